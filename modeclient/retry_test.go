package modeclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// statusSeq answers the given statuses in turn (then 200 with body).
func statusSeq(f *fixture, path, body string, statuses []int, retryAfter string) *counter {
	var n counter
	f.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		i := n.inc() - 1
		if i < len(statuses) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeJSON(w, statuses[i], `{"id":"x","message":"y"}`)
			return
		}
		writeJSON(w, 200, body)
	})
	return &n
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	get := func(c *Client) error { _, err := c.GetReport(ctx, "acme", "r1"); return err }
	post := func(c *Client) error { _, err := c.RunReport(ctx, "acme", "r1", nil); return err }
	patch := func(c *Client) error { _, err := c.ArchiveReport(ctx, "acme", "r1"); return err }
	del := func(c *Client) error { return c.DeleteReport(ctx, "acme", "r1") }
	tests := []struct {
		name       string
		path       string
		call       func(*Client) error
		statuses   []int
		retryAfter string
		requests   int
		wantStatus int // 0: success
		waits      []time.Duration
	}{
		{"GET 429 then ok", "/api/acme/reports/r1", get, []int{429}, "", 2, 0, nil},
		{"GET 502 503 then ok", "/api/acme/reports/r1", get, []int{502, 503}, "", 3, 0, nil},
		{"GET 504 x3 gives up after max attempts", "/api/acme/reports/r1", get, []int{504, 504, 504, 504}, "", 3, 504, nil},
		{"GET 500 not retried", "/api/acme/reports/r1", get, []int{500}, "", 1, 500, nil},
		{"GET 404 not retried", "/api/acme/reports/r1", get, []int{404}, "", 1, 404, nil},
		{"GET Retry-After honoured", "/api/acme/reports/r1", get, []int{503}, "7", 2, 0, []time.Duration{7 * time.Second}},
		{"GET Retry-After beyond the limit not waited", "/api/acme/reports/r1", get, []int{429}, "3600", 1, 429, nil},
		{"POST 503 not retried", "/api/acme/reports/r1/runs", post, []int{503}, "", 1, 503, nil},
		{"POST 502 not retried", "/api/acme/reports/r1/runs", post, []int{502}, "", 1, 502, nil},
		{"POST 429 retried", "/api/acme/reports/r1/runs", post, []int{429}, "2", 2, 0, []time.Duration{2 * time.Second}},
		{"PATCH 504 not retried", "/api/acme/reports/r1/archive", patch, []int{504}, "", 1, 504, nil},
		{"DELETE 429 retried", "/api/acme/reports/r1", del, []int{429, 429}, "", 3, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			method, _, _ := strings.Cut(tt.name, " ")
			n := statusSeq(f, method+" "+tt.path, `{"token":"r1","state":"enqueued","_links":{"self":{"href":"/api/acme/reports/r1"}}}`, tt.statuses, tt.retryAfter)
			// A write first GETs its report to check its workspace (once: the retries are of
			// the write alone).
			var owner counter
			if method != http.MethodGet {
				f.mux.HandleFunc("GET /api/acme/reports/r1", func(w http.ResponseWriter, r *http.Request) {
					owner.inc()
					writeJSON(w, http.StatusOK, reportJSON)
				})
			}
			err := tt.call(f.client)
			if tt.wantStatus == 0 && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantStatus != 0 {
				var ae *APIError
				if !errors.As(err, &ae) || ae.StatusCode != tt.wantStatus {
					t.Fatalf("err = %v, want status %d", err, tt.wantStatus)
				}
			}
			if n.get() != tt.requests {
				t.Errorf("%d requests, want %d", n.get(), tt.requests)
			}
			wantOwner := 1
			if method == http.MethodGet {
				wantOwner = 0
			}
			if owner.get() != wantOwner {
				t.Errorf("%d owner-check GETs, want %d", owner.get(), wantOwner)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.waits) != tt.requests-1 || len(f.events) != tt.requests-1 {
				t.Errorf("waits %v, events %d, want %d", f.waits, len(f.events), tt.requests-1)
			}
			for i, w := range tt.waits {
				if i < len(f.waits) && f.waits[i] != w {
					t.Errorf("wait %d = %v, want %v", i, f.waits[i], w)
				}
			}
			for i, ev := range f.events {
				if ev.Attempt != i+1 || ev.Route == "" || ev.StatusCode != tt.statuses[i] || ev.Wait != f.waits[i] {
					t.Errorf("event %d = %+v", i, ev)
				}
				if ev.RetryAfter != (tt.retryAfter != "") {
					t.Errorf("event %d RetryAfter = %v", i, ev.RetryAfter)
				}
			}
		})
	}
}

func TestBackoffIsBoundedFullJitter(t *testing.T) {
	c, err := New("https://app.mode.com", testCred, WithBackoff(100*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 40; attempt++ {
		ceil := min(time.Second, 100*time.Millisecond<<(min(attempt, 20)-1))
		for range 50 {
			if d := c.backoff(attempt); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v outside [0, %v]", attempt, d, ceil)
			}
		}
	}
}

// TestRetryAfterRealWait is the one test that really sleeps: a 429 with
// Retry-After: 1 is retried about a second later (a lower bound only).
func TestRetryAfterRealWait(t *testing.T) {
	mux := http.NewServeMux()
	var mu sync.Mutex
	var times []time.Time
	mux.HandleFunc("/api/acme/reports/r1", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		first := len(times) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, `{"id":"rate_limited","message":"slow"}`)
			return
		}
		writeJSON(w, 200, `{"token":"r1","account_username":"acme"}`)
	})
	srv := newServer(t, mux)
	c, err := New(srv.URL, testCred, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetReport(context.Background(), "acme", "r1"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("%d requests, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < 950*time.Millisecond {
		t.Errorf("retried after %v, want >= ~1s", gap)
	}
}

func TestDeadlineStopsRetrying(t *testing.T) {
	f := newFixture(t)
	n := statusSeq(f, "/api/acme/reports/r1", `{}`, []int{429, 429}, "5")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := f.client.GetReport(ctx, "acme", "r1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.RetryAfter != 5*time.Second {
		t.Fatalf("err = %v, want the 429 right away", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err is DeadlineExceeded, want the last APIError")
	}
	if n.get() != 1 || len(f.waits) != 0 {
		t.Errorf("requests=%d waits=%v", n.get(), f.waits)
	}
}

func TestCancelDuringWait(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	f.client.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	statusSeq(f, "/api/acme/reports/r1", `{}`, []int{503}, "")
	_, err := f.client.GetReport(ctx, "acme", "r1")
	var ae *APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ae) {
		t.Fatalf("err = %v, want Canceled wrapping the APIError", err)
	}
}

func TestConnectionErrors(t *testing.T) {
	// A listener that accepts and immediately closes: the request was
	// written (maybe), the answer never came.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	accepted := 0
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			buf := make([]byte, 4096)
			conn.Read(buf) // let the request be written
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	tests := []struct {
		name string
		call func(c *Client) error
		want int
	}{
		{"GET retried", func(c *Client) error { _, err := c.GetReport(context.Background(), "acme", "r1"); return err }, 3},
		// CreateSpace: a POST sent first thing (a token-addressed write would first GET its
		// object, whose broken connections are retried).
		{"POST not retried", func(c *Client) error {
			_, err := c.CreateSpace(context.Background(), "acme", SpaceCreate{Name: "x"})
			return err
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			accepted = 0
			mu.Unlock()
			tr := &http.Transport{DisableKeepAlives: true}
			c, err := New("http://"+ln.Addr().String(), testCred, WithHTTPClient(&http.Client{Transport: tr}),
				withSleep(func(context.Context, time.Duration) error { return nil }))
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(c)
			var te *TransportError
			if !errors.As(err, &te) || te.Route == "" {
				t.Fatalf("err = %v, want *TransportError", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if accepted != tt.want {
				t.Errorf("%d connections, want %d", accepted, tt.want)
			}
		})
	}
}

func TestRefusedConnectionRetriedEvenForPOST(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: dial fails before anything is written
	var tries int
	c, err := New("http://"+addr, testCred, withSleep(func(context.Context, time.Duration) error { return nil }),
		WithRetryObserver(func(context.Context, RetryEvent) { tries++ }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RunReport(context.Background(), "acme", "r1", nil)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v", err)
	}
	if tries != DefaultMaxAttempts-1 {
		t.Errorf("%d retries, want %d", tries, DefaultMaxAttempts-1)
	}
}

func TestTruncatedBodyRetriedForGET(t *testing.T) {
	f := newFixture(t)
	var n counter
	f.mux.HandleFunc("/api/acme/reports/r1", func(w http.ResponseWriter, r *http.Request) {
		if n.inc() == 1 {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			w.Write([]byte(`{"token":`))
			return // the server closes a short body's connection
		}
		writeJSON(w, 200, `{"token":"r1","account_username":"acme"}`)
	})
	r, err := f.client.GetReport(context.Background(), "acme", "r1")
	if err != nil || r.Token != "r1" || n.get() != 2 {
		t.Fatalf("r=%v err=%v requests=%d", r, err, n.get())
	}
}
