package modetest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawGet sends an authenticated GET and returns the answer without reading the body.
func rawGet(ctx context.Context, s *Server, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(s.Token, s.Secret)
	return s.Client().Do(req)
}

func TestFaultStatus(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().Reports[0]
	tests := []struct {
		name       string
		fault      Fault
		path       string
		wantStatus []int // statuses of consecutive requests
		id         string
		retryAfter string
	}{
		{"500 once", Fault{Path: "/api/*/reports/*", Times: 1, Status: 500}, wsPath("reports", rep), []int{500, 200, 200}, "internal_server_error", ""},
		{"503 twice", Fault{Status: 503, Times: 2}, wsPath(), []int{503, 503, 200}, "service_unavailable", ""},
		{"429 with Retry-After", Fault{Path: "/api/" + DemoWorkspace, Status: 429, RetryAfter: "1", Times: 1}, wsPath(), []int{429, 200}, "rate_limited", "1"},
		{"429 without Retry-After", Fault{Status: 429, Times: 1}, wsPath(), []int{429, 200}, "rate_limited", ""},
		{"method filter", Fault{Method: "POST", Status: 500}, wsPath(), []int{200, 200}, "", ""},
		{"path filter", Fault{Path: "/api/*/spaces", Status: 500}, wsPath(), []int{200}, "", ""},
		{"unlimited", Fault{Path: "/api/*", Status: 502}, wsPath(), []int{502, 502, 502}, "bad_gateway", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remove := s.AddFault(tt.fault)
			defer remove()
			for i, want := range tt.wantStatus {
				resp, raw := call(t, s, "GET", tt.path, nil)
				if resp.StatusCode != want {
					t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, want)
				}
				if want < 400 {
					continue
				}
				var e modeError
				if err := json.Unmarshal(raw, &e); err != nil || e.ID != tt.id {
					t.Errorf("error body %s, want id %s", raw, tt.id)
				}
				if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
				}
			}
		})
	}
}

func TestFaultRateIsDeterministic(t *testing.T) {
	count := func() []bool {
		s := newTestServer(t)
		s.AddFault(Fault{Status: 500, Rate: 0.3})
		var hits []bool
		for range 40 {
			resp, _ := call(t, s, "GET", wsPath(), nil)
			hits = append(hits, resp.StatusCode == 500)
		}
		return hits
	}
	a, b := count(), count()
	n := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("fault pattern differs between emulators at request %d", i)
		}
		if a[i] {
			n++
		}
	}
	if n == 0 || n == len(a) {
		t.Errorf("Rate 0.3 applied to %d of %d requests", n, len(a))
	}
}

func TestFaultLatency(t *testing.T) {
	s := newTestServer(t)
	s.AddFault(Fault{Latency: 20 * time.Millisecond, Times: 1})
	// Latency only: the request proceeds normally afterwards.
	resp, _ := call(t, s, "GET", wsPath(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// A client deadline shorter than the latency gives up.
	s.AddFault(Fault{Latency: time.Hour, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := rawGet(ctx, s, wsPath()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	// WithLatency delays every request and still answers.
	s2 := newTestServer(t, WithLatency(time.Millisecond))
	resp, _ = call(t, s2, "GET", wsPath(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with latency: %d", resp.StatusCode)
	}
}

func TestFaultHang(t *testing.T) {
	t.Run("client gives up", func(t *testing.T) {
		s := newTestServer(t)
		s.AddFault(Fault{Hang: true, Times: 1})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := rawGet(ctx, s, wsPath())
			errc <- err
		}()
		waitForRequests(t, s, 1)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want canceled", err)
		}
		resp, _ := call(t, s, "GET", wsPath(), nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("after the hang: %d", resp.StatusCode)
		}
	})
	t.Run("emulator closes", func(t *testing.T) {
		s := newTestServer(t)
		s.AddFault(Fault{Hang: true})
		errc := make(chan error, 1)
		go func() {
			resp, err := rawGet(context.Background(), s, wsPath())
			if err == nil {
				resp.Body.Close()
				err = errors.New("got an answer")
			}
			errc <- err
		}()
		waitForRequests(t, s, 1)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err == nil || err.Error() == "got an answer" {
			t.Errorf("hanging request ended with %v, want a connection error", err)
		}
	})
}

// waitForRequests waits until the emulator logged n requests.
func waitForRequests(t *testing.T, s *Server, n int) {
	t.Helper()
	for range 5000 {
		if len(s.Requests()) >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("emulator did not receive %d requests", n)
}

func TestFaultDrop(t *testing.T) {
	s := newTestServer(t)
	s.AddFault(Fault{Drop: true, Times: 1})
	if resp, err := rawGet(context.Background(), s, wsPath()); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	resp, _ := call(t, s, "GET", wsPath(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the drop: %d", resp.StatusCode)
	}
}

func TestFaultMalformed(t *testing.T) {
	s := newTestServer(t)
	s.AddFault(Fault{Malformed: true, Path: "/api/*/reports/*", Times: 1})
	resp, raw := call(t, s, "GET", wsPath("reports", s.Demo().Reports[0]), nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != halContentType {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if json.Valid(raw) {
		t.Errorf("body is valid JSON: %s", raw)
	}
}

func TestFaultTruncate(t *testing.T) {
	s := newTestServer(t)
	s.AddFault(Fault{Truncate: true, Times: 1})
	resp, err := rawGet(context.Background(), s, wsPath())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength <= 0 {
		t.Fatalf("status %d, length %d", resp.StatusCode, resp.ContentLength)
	}
	raw, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read err = %v, want unexpected EOF", err)
	}
	if int64(len(raw)) >= resp.ContentLength || !strings.HasPrefix(string(raw), `{"username":"parch_and_posey"`) {
		t.Errorf("got %d of %d bytes: %.60s", len(raw), resp.ContentLength, raw)
	}
}

func TestClearAndRemoveFaults(t *testing.T) {
	s := newTestServer(t)
	remove := s.AddFault(Fault{Status: 500})
	s.AddFault(Fault{Status: 503})
	if resp, _ := call(t, s, "GET", wsPath(), nil); resp.StatusCode != 500 {
		t.Fatalf("first fault did not apply first: %d", resp.StatusCode)
	}
	remove()
	if resp, _ := call(t, s, "GET", wsPath(), nil); resp.StatusCode != 503 {
		t.Fatalf("after remove: %d", resp.StatusCode)
	}
	s.ClearFaults()
	if resp, _ := call(t, s, "GET", wsPath(), nil); resp.StatusCode != 200 {
		t.Fatalf("after clear: %d", resp.StatusCode)
	}
}

func TestRequestLog(t *testing.T) {
	s := newTestServer(t)
	req, _ := http.NewRequest("GET", s.URL+wsPath("spaces")+"?filter=all", nil)
	req.SetBasicAuth(s.Token, s.Secret)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	call(t, s, "POST", wsPath("spaces"), object{"space": object{"name": "Logged"}})
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests logged", len(reqs))
	}
	r := reqs[0]
	if r.Method != "GET" || r.Path != wsPath("spaces") || r.RawQuery != "filter=all" || r.Time.IsZero() ||
		r.Header.Get("traceparent") != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Errorf("logged %+v", r)
	}
	reqs[0].Header.Set("traceparent", "changed")
	if s.Requests()[0].Header.Get("traceparent") == "changed" {
		t.Errorf("Requests does not return a copy")
	}
	if n := s.CountRequests("POST", wsPath("spaces")); n != 1 {
		t.Errorf("CountRequests POST = %d", n)
	}
	if n := s.CountRequests("", "/api/"); n != 2 {
		t.Errorf("CountRequests any = %d", n)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Errorf("log not reset")
	}
}

func TestRateLimit(t *testing.T) {
	s := NewServer(t, WithRateLimit(3, time.Hour), WithCredentials("tok1", "sec1"), WithCredentials("tok2", "sec2"))
	for i := range 3 {
		resp, _ := callAs(t, s, "tok1", "sec1", "GET", wsPath(), nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("request %d: %d, limit header %q", i, resp.StatusCode, resp.Header.Get("X-RateLimit-Limit"))
		}
	}
	resp, raw := callAs(t, s, "tok1", "sec1", "GET", wsPath(), nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request: %d", resp.StatusCode)
	}
	var e modeError
	if err := json.Unmarshal(raw, &e); err != nil || e.ID != "rate_limited" {
		t.Errorf("body %s", raw)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	// Per credential: another user is not limited.
	if resp, _ := callAs(t, s, "tok2", "sec2", "GET", wsPath(), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("other credential: %d", resp.StatusCode)
	}
	// Failed authentication does not count against anyone.
	if resp, _ := callAs(t, s, "tok2", "wrong", "GET", wsPath(), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", resp.StatusCode)
	}
	if tok, sec := s.Credentials(); tok != "tok1" || sec != "sec1" {
		t.Errorf("Credentials() = first user expected")
	}
}

func TestRateLimitDefault(t *testing.T) {
	s := NewServer(t)
	resp, _ := call(t, s, "GET", wsPath(), nil)
	if resp.Header.Get("X-RateLimit-Limit") != "40" {
		t.Errorf("X-RateLimit-Limit = %q, want Mode's 40", resp.Header.Get("X-RateLimit-Limit"))
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	cheap := d.Reports[11] // runs are started on a report with cheap SQL: the race detector slows SQLite
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep := d.Reports[i%len(d.Reports)]
			for j := range 5 {
				s.AddFault(Fault{Latency: time.Microsecond, Times: 1})
				for _, p := range []string{wsPath("reports", rep), wsPath("spaces") + "?filter=all", wsPath("reports", rep, "runs")} {
					resp, err := rawGet(context.Background(), s, p)
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				req, _ := http.NewRequest("POST", s.URL+wsPath("reports", cheap, "runs"), strings.NewReader(`{"parameters":{}}`))
				req.SetBasicAuth(s.Token, s.Secret)
				resp, err := s.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if j%2 == 0 {
					req, _ := http.NewRequest("PATCH", s.URL+wsPath("reports", rep), strings.NewReader(`{"report":{"description":"x"}}`))
					req.SetBasicAuth(s.Token, s.Secret)
					if resp, err := s.Client().Do(req); err == nil {
						resp.Body.Close()
					}
				}
				_ = s.Requests()
				_ = s.CountRequests("GET", "/api/")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every run finishes.
	runs := embedded(t, mustJSON(t, s, "GET", wsPath("reports", cheap, "runs")+"?per_page=100", nil, http.StatusOK), "report_runs")
	if len(runs) != 8*5 {
		t.Errorf("%d runs, want %d", len(runs), 8*5)
	}
	for _, r := range runs {
		if st := waitRun(t, s, cheap, r["token"].(string))["state"]; st != stateSucceeded {
			t.Errorf("run %s: %v", r["token"], st)
		}
	}
}
