package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

func TestOutcomeUnknownAnswer(t *testing.T) {
	cause := upstreamError(&modeclient.APIError{StatusCode: 503, RetryAfter: 5 * time.Second, Method: "POST", Route: "/api/{workspace}/reports/{report}/runs"}, "workspaces/w/reports/r")
	err := createOutcome(cause)
	if connect.CodeOf(err) != connect.CodeAborted {
		t.Fatalf("code = %v, want Aborted", connect.CodeOf(err))
	}
	info, retry, _, _ := details(t, err)
	if retry != nil {
		t.Errorf("RetryInfo %v: the answer must not invite a blind retry", retry)
	}
	if info.GetReason() != ReasonCreateOutcomeUnknown || info.GetDomain() != ErrorDomain {
		t.Errorf("ErrorInfo %v", info)
	}
	for k, want := range map[string]string{"cause": "unavailable", "cause_reason": ReasonUpstreamUnavailable, "http_status": "503", "route": "/api/{workspace}/reports/{report}/runs"} {
		if got := info.GetMetadata()[k]; got != want {
			t.Errorf("metadata %s = %q, want %q", k, got, want)
		}
	}
	for _, want := range []string{"may or may not have happened", "HTTP 503", "look for its result", "same request_id", "new request_id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err.Error(), want)
		}
	}
	if again := createOutcome(err); again != err {
		t.Errorf("an outcome-unknown answer is wrapped again: %v", again)
	}
	// Refusals Mode did not act on pass through unchanged.
	for _, refused := range []error{
		upstreamError(&modeclient.APIError{StatusCode: 401, Method: "POST", Route: "/r"}, "x"),
		upstreamError(&modeclient.APIError{StatusCode: 400, Method: "POST", Route: "/r"}, "x"),
		nil,
	} {
		if got := createOutcome(refused); got != refused {
			t.Errorf("createOutcome(%v) = %v, want it unchanged", refused, got)
		}
	}
}

// TestCreateWithoutRequestIDOutcome: a create without a request_id that may
// have happened gets the same outcome-unknown answer (no RetryInfo).
func TestCreateWithoutRequestIDOutcome(t *testing.T) {
	d := newDedupe(10, time.Minute, time.Now, nil)
	_, err := do(context.Background(), d, "s", "", 1, func(context.Context) (*wrapperspb.StringValue, error) {
		return nil, upstreamError(&modeclient.TransportError{Method: "POST", Route: "/r", Err: errors.New("connection reset")}, "x")
	})
	if connect.CodeOf(err) != connect.CodeAborted || !errdetail.HasReason(err, ReasonCreateOutcomeUnknown) {
		t.Fatalf("err = %v, want Aborted %s", err, ReasonCreateOutcomeUnknown)
	}
}

func TestMatchCreatedRun(t *testing.T) {
	since := time.Date(2026, 12, 5, 8, 0, 0, 123_456_789, time.UTC)
	at := func(d time.Duration) modeclient.Time {
		return modeclient.Time{Time: since.Truncate(time.Millisecond).Add(d)}
	}
	run := func(tok string, created modeclient.Time, params modeclient.Parameters) modeclient.ReportRun {
		return modeclient.ReportRun{Token: tok, CreatedAt: created, Parameters: params}
	}
	west := modeclient.Parameters{"region": "West"}
	want := map[string]string{"region": "West"}
	tests := []struct {
		name    string
		runs    []modeclient.ReportRun
		params  map[string]string
		exclude string // a clone's source
		want    string // token; "" for none
	}{
		{"the run created since", []modeclient.ReportRun{run("new", at(time.Second), west), run("old", at(-time.Minute), west)}, want, "", "new"},
		{"same millisecond as the attempt began", []modeclient.ReportRun{run("new", at(0), west)}, want, "", "new"},
		{"only older runs", []modeclient.ReportRun{run("old", at(-time.Millisecond), west)}, want, "", ""},
		{"other parameters", []modeclient.ReportRun{run("other", at(time.Second), modeclient.Parameters{"region": "East"})}, want, "", ""},
		{"an extra parameter", []modeclient.ReportRun{run("other", at(time.Second), modeclient.Parameters{"region": "West", "x": "1"})}, want, "", ""},
		{"Mode shows an empty parameter set", []modeclient.ReportRun{run("other", at(time.Second), modeclient.Parameters{})}, want, "", "other"},
		{"numbers as Mode shows them", []modeclient.ReportRun{run("n", at(time.Second), modeclient.Parameters{"min_total": float64(5000)})}, map[string]string{"min_total": "5000"}, "", "n"},
		{"Mode shows no parameters", []modeclient.ReportRun{run("new", at(time.Second), nil)}, want, "", "new"},
		{"two candidates: ambiguous", []modeclient.ReportRun{run("a", at(time.Second), west), run("b", at(2*time.Second), west)}, want, "", ""},
		{"two runs, one matching", []modeclient.ReportRun{run("a", at(time.Second), modeclient.Parameters{"region": "East"}), run("b", at(2*time.Second), west)}, want, "", "b"},
		{"no creation time", []modeclient.ReportRun{run("t", modeclient.Time{}, west)}, want, "", ""},
		{"no runs", nil, want, "", ""},
		{"a clone's source is never the clone", []modeclient.ReportRun{run("clone", at(time.Second), west), run("src", at(0), west)}, want, "src", "clone"},
		{"only the source", []modeclient.ReportRun{run("src", at(0), west)}, want, "src", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchCreatedRun(tt.runs, tt.exclude, since, tt.params)
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("got run %s, want none", got.Token)
			case tt.want != "" && (got == nil || got.Token != tt.want):
				t.Errorf("got %v, want run %s", got, tt.want)
			}
		})
	}
}
