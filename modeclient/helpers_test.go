package modeclient

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test credential values: tests assert they never appear in output.
const (
	testToken  = "tok3n_SHOULD_NOT_LEAK"
	testSecret = "s3cret_SHOULD_NOT_LEAK"
)

var testCred = Credential{Token: testToken, Secret: testSecret}

// fixture is an httptest server with a mux, and a client pointed at it
// whose retry waits are recorded instead of slept.
type fixture struct {
	t      *testing.T
	mux    *http.ServeMux
	srv    *httptest.Server
	client *Client

	mu     sync.Mutex
	waits  []time.Duration
	events []RetryEvent
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{t: t, mux: http.NewServeMux()}
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	base := []Option{
		WithHTTPClient(f.srv.Client()),
		withSleep(func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.waits = append(f.waits, d)
			f.mu.Unlock()
			return ctx.Err()
		}),
		WithRetryObserver(func(_ context.Context, ev RetryEvent) {
			f.mu.Lock()
			f.events = append(f.events, ev)
			f.mu.Unlock()
		}),
		WithSharedValueCheck(func(err error) { t.Error(err) }),
	}
	c, err := New(f.srv.URL, testCred, append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.client = c
	return f
}

// expect describes the request a handler must receive.
type expect struct {
	method string
	path   string            // r.URL.EscapedPath()
	query  map[string]string // exact query (nil: empty)
	body   string            // JSON the body must equal (semantically); "" for none
}

// checkRequest asserts method, path, query, headers and body of r.
func checkRequest(t *testing.T, r *http.Request, want expect) {
	t.Helper()
	if r.Method != want.method {
		t.Errorf("method = %s, want %s", r.Method, want.method)
	}
	if got := r.URL.EscapedPath(); got != want.path {
		t.Errorf("path = %s, want %s", got, want.path)
	}
	q := r.URL.Query()
	if len(q) != len(want.query) {
		t.Errorf("query = %v, want %v", q, want.query)
	}
	for k, v := range want.query {
		if got := q.Get(k); got != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	u, p, ok := r.BasicAuth()
	if !ok || u != testToken || p != testSecret {
		t.Errorf("basic auth missing or wrong")
	}
	if got := r.Header.Get("User-Agent"); !strings.HasPrefix(got, "modeplatform/") || !strings.HasSuffix(got, " (+go)") {
		t.Errorf("User-Agent = %q", got)
	}
	if got := r.Header.Get("Accept"); got == "" {
		t.Errorf("no Accept header")
	}
	body, _ := io.ReadAll(r.Body)
	if want.body == "" {
		if len(body) != 0 {
			t.Errorf("body = %s, want none", body)
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var gotV, wantV any
	if err := json.Unmarshal(body, &gotV); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(want.body), &wantV); err != nil {
		t.Fatalf("want body is not JSON: %v", err)
	}
	g, _ := json.Marshal(gotV)
	w, _ := json.Marshal(wantV)
	if string(g) != string(w) {
		t.Errorf("body = %s, want %s", g, w)
	}
}

// counter counts requests to a handler.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
