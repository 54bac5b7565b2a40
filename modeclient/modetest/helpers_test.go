package modetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// newTestServer starts an emulator without rate limit and with quick runs, plus opts.
func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	base := []Option{WithRateLimit(0, 0), WithRunDuration(2 * time.Millisecond)}
	return NewServer(t, append(base, opts...)...)
}

// call sends an authenticated request and returns the answer with its body read.
func call(t *testing.T, s *Server, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	return callAs(t, s, s.Token, s.Secret, method, path, body)
}

func callAs(t *testing.T, s *Server, token, secret, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" || secret != "" {
		req.SetBasicAuth(token, secret)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, raw
}

// object is a decoded JSON object.
type object = map[string]any

// mustJSON calls and decodes a JSON object, failing unless the status is want.
func mustJSON(t *testing.T, s *Server, method, path string, body any, want int) object {
	t.Helper()
	resp, raw := call(t, s, method, path, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, raw)
	}
	return o
}

// embedded returns the list under _embedded[key].
func embedded(t *testing.T, o object, key string) []object {
	t.Helper()
	emb, ok := o["_embedded"].(object)
	if !ok {
		t.Fatalf("no _embedded in %v", o)
	}
	list, ok := emb[key].([]any)
	if !ok {
		t.Fatalf("no _embedded.%s in %v", key, emb)
	}
	out := make([]object, len(list))
	for i, v := range list {
		out[i] = v.(object)
	}
	return out
}

func linkHref(o object, name string) string {
	l, _ := o["_links"].(object)
	h, _ := l[name].(object)
	s, _ := h["href"].(string)
	return s
}

// waitRun polls a run until it finishes and returns it.
func waitRun(t *testing.T, s *Server, report, run string) object {
	t.Helper()
	path := "/api/" + DemoWorkspace + "/reports/" + report + "/runs/" + run
	for range 2000 {
		o := mustJSON(t, s, "GET", path, nil, http.StatusOK)
		if st := o["state"]; st == stateSucceeded || st == stateFailed {
			return o
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("run %s did not finish", run)
	return nil
}

func wsPath(parts ...string) string { return api(DemoWorkspace, parts...) }
