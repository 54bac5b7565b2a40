package upstream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

const (
	tokenA, secretA = "tokA-1b2c3d", "secA-4e5f6a7b8c"
	tokenB, secretB = "tokB-9d8e7f", "secB-6a5b4c3d2e"
	// otherWorkspace is the emulator's second workspace, with its own
	// credential here.
	otherWorkspace = modetest.SecondWorkspace
)

// serveMode serves the emulator on a test server.
func serveMode(t *testing.T, emu *modetest.Emulator) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return srv
}

func newEmulator(t *testing.T, opts ...modetest.Option) *modetest.Emulator {
	t.Helper()
	emu, err := modetest.New(append([]modetest.Option{
		modetest.WithCredentials(tokenA, secretA), modetest.WithCredentials(tokenB, secretB), modetest.WithRateLimit(0, 0),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	return emu
}

func newPool(t *testing.T, baseURL string, l Limits, extra ...modeclient.Option) (*Pool, *cache.Cache) {
	t.Helper()
	ch, err := cache.New(cache.Options{MaxEntries: 1000, MaxBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	p, err := New(Options{
		BaseURL:    baseURL,
		Workspaces: Credentials{modetest.DemoWorkspace: {Token: tokenA, Secret: secretA}, otherWorkspace: {Token: tokenB, Secret: secretB}},
		Limits:     l,
		Transport:  tr,
		Logger:     slog.New(slog.DiscardHandler),
		ClientOptions: append([]modeclient.Option{
			modeclient.WithCache(ch), modeclient.WithBackoff(time.Millisecond, 2*time.Millisecond),
		}, extra...),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, ch
}

// user returns the Basic-auth user (token) of a logged request.
func user(r modetest.Request) string {
	req := &http.Request{Header: r.Header}
	u, _, _ := req.BasicAuth()
	return u
}

func TestEachWorkspaceUsesItsCredentialAndTheCacheKeepsThemApart(t *testing.T) {
	emu := newEmulator(t)
	mode := serveMode(t, emu)
	p, _ := newPool(t, mode.URL, Limits{RPS: -1})
	ctx := context.Background()
	if p.Credentials() != 2 || p.HasDefault() {
		t.Fatalf("credentials %d default %v", p.Credentials(), p.HasDefault())
	}

	tests := []struct {
		name      string
		workspace string
		user      string
		requests  int // new upstream requests
	}{
		{"A fetches its workspace", modetest.DemoWorkspace, tokenA, 1},
		{"A again: from the cache", modetest.DemoWorkspace, "", 0},
		{"B's workspace: B's credential, not A's entry", otherWorkspace, tokenB, 1},
		{"B again: B's own entry", otherWorkspace, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(emu.Requests())
			c, err := p.Client(ctx, tt.workspace)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetWorkspace(ctx, tt.workspace); err != nil {
				t.Fatal(err)
			}
			reqs := emu.Requests()[before:]
			if len(reqs) != tt.requests {
				t.Fatalf("%d upstream requests, want %d", len(reqs), tt.requests)
			}
			for _, r := range reqs {
				if user(r) != tt.user {
					t.Errorf("request for %s sent as %q, want %q", tt.workspace, user(r), tt.user)
				}
			}
		})
	}

	// The same path asked with two credentials is two entries: the default
	// credential serving a workspace must not see another credential's entry.
	pd, err := New(Options{BaseURL: mode.URL, Default: modeclient.Credential{Token: tokenB, Secret: secretB},
		Workspaces: Credentials{modetest.DemoWorkspace: {Token: tokenA, Secret: secretA}}, Limits: Limits{RPS: -1}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pd.Client(ctx, "anything_else"); err != nil {
		t.Errorf("default credential not used: %v", err)
	}
	if _, err := p.Client(ctx, "unconfigured"); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Errorf("unconfigured workspace: %v, want PermissionDenied", err)
	}
}

func TestRateLimitWaitsWithinTheDeadlineAndRefusesBeyondIt(t *testing.T) {
	emu := newEmulator(t)
	mode := serveMode(t, emu)
	var mu sync.Mutex
	var waits []string
	ch, _ := cache.New(cache.Options{MaxEntries: 10, MaxBytes: 1 << 20})
	t.Cleanup(ch.Close)
	p, err := New(Options{
		BaseURL:    mode.URL,
		Workspaces: Credentials{modetest.DemoWorkspace: {Token: tokenA, Secret: secretA}},
		Limits:     Limits{RPS: 5, Burst: 1},
		ObserveWait: func(_ context.Context, kind string, _ time.Duration) {
			mu.Lock()
			waits = append(waits, kind)
			mu.Unlock()
		},
		ClientOptions: []modeclient.Option{modeclient.WithCache(ch)},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := p.Client(context.Background(), modetest.DemoWorkspace)
	get := func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(modeclient.WithCacheBypass(context.Background()), timeout)
		defer cancel()
		_, err := c.GetWorkspace(ctx, modetest.DemoWorkspace)
		return err
	}
	if err := get(time.Minute); err != nil { // the burst's token
		t.Fatal(err)
	}
	before := len(emu.Requests())
	// The next token is 200ms away: a 20ms deadline cannot wait for it.
	err = get(20 * time.Millisecond)
	var ns *modeclient.NotSentError
	if !errors.As(err, &ns) || ns.Reason != modeclient.NotSentRateLimited || ns.RetryAfter <= 0 {
		t.Fatalf("err = %v, want NotSentError rate_limited with a RetryAfter", err)
	}
	if n := len(emu.Requests()) - before; n != 0 {
		t.Errorf("%d requests sent while refused", n)
	}
	// A caller with time waits for its token.
	if err := get(time.Minute); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) == 0 || waits[len(waits)-1] != WaitRate {
		t.Errorf("waits observed %v, want a rate wait", waits)
	}
}

func TestConcurrencyLimitHoldsASlotUntilTheBodyIsClosed(t *testing.T) {
	var inflight, peak int
	var mu sync.Mutex
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inflight++
		peak = max(peak, inflight)
		mu.Unlock()
		<-release
		mu.Lock()
		inflight--
		mu.Unlock()
		w.Header().Set("Content-Type", "application/hal+json")
		_, _ = w.Write([]byte(`{"username":"w","token":"t"}`))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	g := newGuard(http.DefaultTransport, "t", Limits{Concurrency: 2, BreakerFailures: 5, BreakerOpen: time.Minute}, guardOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			resp, err := g.RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		}()
	}
	// Wait until two are in the server, then check no third joined.
	for deadline := time.Now().Add(time.Minute); ; {
		mu.Lock()
		n := inflight
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests in flight, want 2", n)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if peak != 2 {
		t.Errorf("peak in flight %d, want 2", peak)
	}
}

func TestBreakerOpensFailsFastThenRecovers(t *testing.T) {
	emu := newEmulator(t)
	mode := serveMode(t, emu)
	const open = 150 * time.Millisecond
	// No retry budget: every GET below makes all its attempts (the budget is
	// modeclient's, tested there).
	p, _ := newPool(t, mode.URL, Limits{RPS: -1, BreakerFailures: 3, BreakerOpen: open}, modeclient.WithRetryBudget(-1, 0))
	ctx := modeclient.WithCacheBypass(context.Background())
	a, _ := p.Client(ctx, modetest.DemoWorkspace)
	b, _ := p.Client(ctx, otherWorkspace)

	// 429s and 404s are Mode answering: they never open the breaker.
	remove := emu.AddFault(modetest.Fault{Status: http.StatusTooManyRequests, Times: 6})
	for range 2 {
		_, _ = a.GetWorkspace(ctx, modetest.DemoWorkspace)
	}
	remove()
	for range 4 {
		_, _ = a.GetReport(ctx, modetest.DemoWorkspace, "000000000000")
	}
	if s := p.BreakerStates()[modetest.DemoWorkspace]; s != "closed" {
		t.Fatalf("breaker %s after 429s and 404s", s)
	}

	// A burst of 503s on A's workspace: one GET retried 3 times opens it.
	remove = emu.AddFault(modetest.Fault{Status: http.StatusServiceUnavailable, Path: "/api/" + modetest.DemoWorkspace})
	_, err := a.GetWorkspace(ctx, modetest.DemoWorkspace)
	var ae *modeclient.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("err = %v, want the 503", err)
	}
	if s := p.BreakerStates()[modetest.DemoWorkspace]; s != "open" {
		t.Fatalf("breaker %s after 3 failures", s)
	}
	before := len(emu.Requests())
	for _, call := range []func() error{
		func() error { _, err := a.GetWorkspace(ctx, modetest.DemoWorkspace); return err },
		func() error {
			_, err := a.RunReport(ctx, modetest.DemoWorkspace, emu.Demo().Reports[0], nil)
			return err
		},
	} {
		err := call()
		var ns *modeclient.NotSentError
		if !errors.As(err, &ns) || ns.Reason != modeclient.NotSentCircuitOpen || ns.RetryAfter <= 0 || ns.RetryAfter > open {
			t.Errorf("while open: %v, want NotSentError circuit_open", err)
		}
	}
	if n := len(emu.Requests()) - before; n != 0 {
		t.Errorf("%d requests reached Mode while the breaker was open", n)
	}
	// The other credential's breaker is its own (the fault is on the
	// workspace path only; B reads a report).
	if _, err := b.GetReport(ctx, otherWorkspace, emu.Demo().Second.Report); err != nil {
		t.Errorf("B failed while A's breaker is open: %v", err)
	}

	// Mode recovers; after the open period one probe closes the breaker.
	remove()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := a.GetWorkspace(ctx, modetest.DemoWorkspace)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never recovered: %v", err)
		}
		time.Sleep(open / 5)
	}
	if s := p.BreakerStates()[modetest.DemoWorkspace]; s != "closed" {
		t.Errorf("breaker %s after recovery", s)
	}
}

func TestCallerCancellationDoesNotOpenTheBreaker(t *testing.T) {
	emu := newEmulator(t)
	mode := serveMode(t, emu)
	p, _ := newPool(t, mode.URL, Limits{RPS: -1, BreakerFailures: 2, BreakerOpen: time.Minute})
	a, _ := p.Client(context.Background(), modetest.DemoWorkspace)
	remove := emu.AddFault(modetest.Fault{Hang: true})
	for range 4 {
		ctx, cancel := context.WithTimeout(modeclient.WithCacheBypass(context.Background()), 10*time.Millisecond)
		_, err := a.GetWorkspace(ctx, modetest.DemoWorkspace)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the deadline", err)
		}
	}
	remove()
	if s := p.BreakerStates()[modetest.DemoWorkspace]; s != "closed" {
		t.Errorf("breaker %s after callers' deadlines", s)
	}
}

func TestParseCredentials(t *testing.T) {
	env := map[string]string{"A_TOKEN": "envtok", "A_SECRET": "envsec"}
	getenv := func(k string) string { return env[k] }
	got, err := ParseCredentials([]byte(`
workspaces:
  acme:
    token_env: A_TOKEN
    secret_env: A_SECRET
  beta_co:
    token: inlinetok
    secret: inlinesec
`), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got["acme"] != (modeclient.Credential{Token: "envtok", Secret: "envsec"}) || got["beta_co"] != (modeclient.Credential{Token: "inlinetok", Secret: "inlinesec"}) {
		t.Errorf("parsed %d workspaces wrongly", len(got))
	}

	tests := []struct{ name, doc, want string }{
		{"Empty", "", "empty"},
		{"NoWorkspaces", "workspaces: {}", "no workspaces"},
		{"UnknownField", "workspaces:\n  w: {token: t, secret: s, password: hunter2}", "unknown or of the wrong type"},
		{"BadWorkspace", "workspaces:\n  \"../x\": {token: t, secret: s}", "not a Mode workspace"},
		{"MissingSecret", "workspaces:\n  w: {token: hunter2}", "secret (or secret_env) is required"},
		{"Both", "workspaces:\n  w: {token: hunter2, token_env: A_TOKEN, secret: s}", "not both"},
		{"UnsetEnv", "workspaces:\n  w: {token_env: NOPE, secret: hunter2}", "NOPE, which is not set"},
		{"NotYAML", "workspaces: [hunter2", "invalid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCredentials([]byte(tt.doc), getenv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error quotes a secret: %v", err)
			}
		})
	}
}

// TestCoalescedCallersOutliveTheFirstCallersDeadline: with one concurrency slot held by a slow
// request, a caller with a 100ms deadline starts a cached fetch that must wait for the slot, and
// callers with a minute to spare join it. The guard's wait for the slot is bounded by the
// callers' latest deadline, not the first caller's: they all get the answer, from one request.
func TestCoalescedCallersOutliveTheFirstCallersDeadline(t *testing.T) {
	emu := newEmulator(t)
	mode := serveMode(t, emu)
	p, ch := newPool(t, mode.URL, Limits{RPS: -1, Concurrency: 1})
	c, err := p.Client(context.Background(), modetest.DemoWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	demo := emu.Demo()
	slowPath := "/api/" + modetest.DemoWorkspace + "/spaces/" + demo.Spaces[0]
	emu.AddFault(modetest.Fault{Method: http.MethodGet, Path: slowPath, Latency: 300 * time.Millisecond, Times: 1})
	reportPath := "/api/" + modetest.DemoWorkspace + "/reports/" + demo.Reports[0]
	count := func(path string) int {
		n := 0
		for _, r := range emu.Requests() {
			if r.Path == path {
				n++
			}
		}
		return n
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("waiting for %s", what)
			case <-time.After(time.Millisecond):
			}
		}
	}

	slowDone := make(chan error, 1)
	go func() {
		_, err := c.GetSpace(ctx, modetest.DemoWorkspace, demo.Spaces[0])
		slowDone <- err
	}()
	waitUntil("the slow request to hold the slot", func() bool { return count(slowPath) == 1 })
	firstErr := make(chan error, 1)
	go func() {
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := c.GetReport(short, modetest.DemoWorkspace, demo.Reports[0])
		firstErr <- err
	}()
	waitUntil("the first caller's fetch to start", func() bool { return ch.Stats().Misses == 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetReport(ctx, modetest.DemoWorkspace, demo.Reports[0])
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a caller with time to spare failed: %v", err)
		}
	}
	if err := <-firstErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("first caller: %v, want its own deadline exceeded", err)
	}
	if err := <-slowDone; err != nil {
		t.Errorf("slow request: %v", err)
	}
	if n := count(reportPath); n != 1 {
		t.Errorf("%d requests for the report, want 1", n)
	}
	if s := ch.Stats(); s.Coalesced != 3 {
		t.Errorf("%d callers coalesced, want 3", s.Coalesced)
	}
}
