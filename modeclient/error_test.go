package modeclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		status  int
		body    string
		id, msg string
	}{
		{400, `{"id":"bad_request","message":"bad"}`, "bad_request", "bad"},
		{401, `{"id":"unauthorized","message":"who?"}`, "unauthorized", "who?"},
		{403, `{"id":"forbidden","message":"no"}`, "forbidden", "no"},
		{404, `{"id":"not_found","message":"Report not found"}`, "not_found", "Report not found"},
		{409, `{"id":"conflict","message":"exists"}`, "conflict", "exists"},
		{413, `{"id":"payload_too_large","message":"big"}`, "payload_too_large", "big"},
		{422, `{"id":"param_missing","message":"name"}`, "param_missing", "name"},
		{429, `{"id":"rate_limited","message":"slow down"}`, "rate_limited", "slow down"},
		{500, `{"id":"internal_server_error","message":"oops"}`, "internal_server_error", "oops"},
		{502, `<html>bad gateway</html>`, "", "Bad Gateway"},
		{503, `{"id":"service_unavailable","message":"later"}`, "service_unavailable", "later"},
		{504, ``, "", "Gateway Timeout"},
		{404, `{"id":123,"message":null}`, "123", "Not Found"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			f := newFixture(t, WithMaxAttempts(1))
			f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.status, tt.body) })
			_, err := f.client.GetReport(context.Background(), "acme", "r1")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			want := APIError{StatusCode: tt.status, ID: tt.id, Message: tt.msg, Method: "GET", Route: "/api/{workspace}/reports/{report}"}
			if *ae != want {
				t.Errorf("got %+v, want %+v", *ae, want)
			}
			if strings.Contains(err.Error(), "/api/acme") || strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("error names the URL: %v", err)
			}
		})
	}
}

func TestErrorBodyIsBounded(t *testing.T) {
	f := newFixture(t, WithMaxAttempts(1))
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"id":"bad_request","message":"`+strings.Repeat("x", 1<<20)+`"}`)
	})
	_, err := f.client.GetReport(context.Background(), "acme", "r1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || len(ae.Message) > maxErrorMessage+8 {
		t.Fatalf("err = %.200v", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"1", time.Second}, {"120", 2 * time.Minute}, {"-3", 0}, {"soon", 0},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{now.Add(-5 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeErrorHasNoBodyBytes(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not JSON", `SECRETDATA<html>`},
		{"wrong type", `{"token":"r1","name":{"SECRETDATA":1}}`},
		{"bad count", `{"token":"r1","query_count":"SECRETDATA"}`},
		{"bad time", `{"token":"r1","created_at":"SECRETDATA"}`},
		{"truncated", `{"token":"SECRETDATA`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tt.body) })
			_, err := f.client.GetReport(context.Background(), "acme", "r1")
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DecodeError", err)
			}
			if strings.Contains(err.Error(), "SECRETDATA") || strings.Contains(err.Error(), "<html") {
				t.Errorf("error quotes the body: %v", err)
			}
		})
	}
}

func TestResponseBodyCap(t *testing.T) {
	f := newFixture(t, WithMaxResponseBytes(64))
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"token":"r1","name":"`+strings.Repeat("n", 100)+`"}`)
	})
	_, err := f.client.GetReport(context.Background(), "acme", "r1")
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "larger than 64") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirectToOtherHostIsNotFollowed(t *testing.T) {
	f := newFixture(t)
	var other counter
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != f.srv.Listener.Addr().String() {
			other.inc()
		}
		http.Redirect(w, r, "http://localhost:1/elsewhere", http.StatusFound)
	})
	_, err := f.client.GetReport(context.Background(), "acme", "r1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusFound {
		t.Fatalf("err = %v, want APIError 302", err)
	}
}

func TestAPIErrorWrongState(t *testing.T) {
	tests := []struct {
		name   string
		status int
		id     string
		msg    string
		want   bool
	}{
		{"manual runs disabled, the emulator's wording", 400, "bad_request", "Manual runs are disabled for this report.", true},
		{"the field named in the message", 400, "bad_request", "Report has manual_run_disabled set", true},
		{"the field as the id", 400, "manual_run_disabled", "Not allowed", true},
		{"422 with the marker", 422, "bad_request", "manual runs are disabled", true},
		{"an ordinary bad request", 400, "bad_request", "Invalid parameter: region", false},
		{"param missing", 422, "param_missing", "name", false},
		{"not a 4xx of content", 409, "conflict", "manual runs are disabled", false},
		{"a 403 naming the marker", 403, "forbidden", "manual_run_disabled", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &APIError{StatusCode: tt.status, ID: tt.id, Message: tt.msg, Method: "POST", Route: "/r"}
			if got := e.WrongState(); got != tt.want {
				t.Errorf("WrongState() = %v, want %v", got, tt.want)
			}
		})
	}
}
