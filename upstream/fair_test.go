package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// fakeClock is a clock that moves only when the test advances it; timers
// due by then fire, in order, on the test's goroutine.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock by d and fires the timers due, earliest first
// (timers they set that are due fire too).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	for {
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		var due *fakeTimer
		for len(c.timers) > 0 && due == nil {
			t := c.timers[0]
			if t.at.After(c.now) {
				break
			}
			c.timers = c.timers[1:]
			if !t.stopped {
				t.stopped = true
				due = t
			}
		}
		if due == nil {
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		due.f()
		c.mu.Lock()
	}
}

// noDeadline is the deadline of a request without one.
func noDeadline() (time.Time, bool) { return time.Time{}, false }

// result is one acquire's outcome.
type result struct {
	caller  string
	release func()
	kind    string
	waited  time.Duration
	err     error
}

// queue starts n acquires for caller and waits until all n are queued.
func queue(t *testing.T, a *admission, ctx context.Context, caller string, n int, deadline func() (time.Time, bool), out chan<- result) {
	t.Helper()
	before := a.waiting()
	for range n {
		go func() {
			rel, kind, waited, err := a.acquire(ctx, caller, deadline)
			out <- result{caller, rel, kind, waited, err}
		}()
	}
	waitFor(t, fmt.Sprintf("%d requests of %s to queue", n, caller), func() bool { return a.waiting() == before+n })
}

// waitFor polls cond (the goroutines under test run on their own); it fails
// the test only after a generous bound, so it asserts no timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFairShareCountsTokensPerCaller: with the budget spent, callers queue
// requests (all of the first caller's before any of the others', the worst
// case for a FIFO); over the next tokens, counted one by one, each caller
// gets its share: round robin across the callers waiting, the whole budget
// to a caller alone, and a caller that asks for less than its share gets
// all it asks for while the rest goes to the others.
func TestFairShareCountsTokensPerCaller(t *testing.T) {
	const rate = 4
	tests := []struct {
		name   string
		queued map[string]int // requests queued per caller, in the order of names
		order  []string
		tokens int
		want   map[string][2]int // caller → [min, max] tokens granted
	}{
		{"two callers flooding get half each", map[string]int{"A": 100, "B": 100}, []string{"A", "B"}, 40,
			map[string][2]int{"A": {19, 21}, "B": {19, 21}}},
		{"odd number of tokens", map[string]int{"A": 100, "B": 100}, []string{"A", "B"}, 41,
			map[string][2]int{"A": {20, 21}, "B": {20, 21}}},
		{"a lone caller gets every token", map[string]int{"A": 100}, []string{"A"}, 40,
			map[string][2]int{"A": {40, 40}}},
		{"three callers a third each", map[string]int{"A": 100, "B": 100, "C": 100}, []string{"A", "B", "C"}, 60,
			map[string][2]int{"A": {19, 21}, "B": {19, 21}, "C": {19, 21}}},
		{"a light caller gets all it asks; the idle rest goes to the heavy one", map[string]int{"A": 100, "B": 5}, []string{"A", "B"}, 40,
			map[string][2]int{"A": {35, 35}, "B": {5, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			a := newAdmission(clk, rate, 1, 0)
			// Spend the burst: from now on a token comes every 250ms.
			if rel, _, _, err := a.acquire(context.Background(), "warmup", noDeadline); err != nil {
				t.Fatal(err)
			} else {
				rel()
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			total := 0
			out := make(chan result, 1000)
			for _, c := range tt.order {
				queue(t, a, ctx, c, tt.queued[c], noDeadline, out)
				total += tt.queued[c]
			}
			got := map[string]int{}
			for range tt.tokens {
				clk.Advance(time.Second / rate)
				r := <-out
				if r.err != nil {
					t.Fatalf("%s: %v", r.caller, r.err)
				}
				if r.kind != WaitRate || r.waited <= 0 {
					t.Errorf("%s waited %v for %q, want a rate wait", r.caller, r.waited, r.kind)
				}
				got[r.caller]++
			}
			if n := a.waiting(); n != total-tt.tokens {
				t.Fatalf("%d still queued after %d tokens, want %d: more granted than the rate allows", n, tt.tokens, total-tt.tokens)
			}
			for c, w := range tt.want {
				if got[c] < w[0] || got[c] > w[1] {
					t.Errorf("caller %s got %d of %d tokens, want %d..%d (all: %v)", c, got[c], tt.tokens, w[0], w[1], got)
				}
			}
			cancel()
			for range total - tt.tokens {
				if r := <-out; !errors.Is(r.err, context.Canceled) {
					t.Errorf("cancelled waiter: %v", r.err)
				}
			}
			if n := a.waiting(); n != 0 {
				t.Errorf("%d queued after every waiter was cancelled", n)
			}
		})
	}
}

// TestIdleBudgetGoesToWhoeverAsks: a caller alone, asking all the time,
// gets the burst and then every token of the rate: nothing is kept for
// callers that do not ask.
func TestIdleBudgetGoesToWhoeverAsks(t *testing.T) {
	clk := newFakeClock()
	a := newAdmission(clk, 4, 4, 0)
	granted := 0
	for range 4 { // the burst, at once
		if _, _, waited, err := a.acquire(context.Background(), "A", noDeadline); err != nil || waited != 0 {
			t.Fatalf("burst: waited %v, %v", waited, err)
		}
		granted++
	}
	out := make(chan result, 100)
	queue(t, a, context.Background(), "A", 40, noDeadline, out)
	for range 40 { // 10s, a token every 250ms
		clk.Advance(250 * time.Millisecond)
		if r := <-out; r.err != nil {
			t.Fatal(r.err)
		}
		granted++
	}
	if granted != 44 {
		t.Errorf("granted %d in 10s at 4/s with a burst of 4, want 44", granted)
	}
}

// TestQueuedRequestsDeadlineAndCancellation: a request never waits past its
// deadline — refused at once when its turn would come later, refused at the
// deadline when still queued (unless the deadline grew meanwhile), in both
// cases without taking a token and leaving its place to the others; a
// cancelled one leaves its place too.
func TestQueuedRequestsDeadlineAndCancellation(t *testing.T) {
	t.Run("turn after the deadline: refused at once", func(t *testing.T) {
		clk := newFakeClock()
		a := newAdmission(clk, 4, 1, 0)
		if _, _, _, err := a.acquire(context.Background(), "A", noDeadline); err != nil {
			t.Fatal(err)
		}
		out := make(chan result, 10)
		queue(t, a, context.Background(), "A", 1, noDeadline, out) // next token: A's
		dl := clk.Now().Add(400 * time.Millisecond)
		_, _, _, err := a.acquire(context.Background(), "B", func() (time.Time, bool) { return dl, true })
		var ns *modeclient.NotSentError
		// B's turn is the second token from now: 500ms, past its 400ms.
		if !errors.As(err, &ns) || ns.Reason != modeclient.NotSentRateLimited || ns.RetryAfter != 500*time.Millisecond {
			t.Fatalf("err = %v, want NotSentError rate_limited retrying after 500ms", err)
		}
		if n := a.waiting(); n != 1 {
			t.Fatalf("%d queued, want A's 1", n)
		}
		clk.Advance(250 * time.Millisecond)
		if r := <-out; r.err != nil || r.caller != "A" {
			t.Fatalf("A: %v", r.err)
		}
		// The refused request took no token: the next comes 250ms later,
		// and a request within its deadline waits for it.
		dl = clk.Now().Add(300 * time.Millisecond)
		queue(t, a, context.Background(), "B", 1, func() (time.Time, bool) { return dl, true }, out)
		clk.Advance(250 * time.Millisecond)
		if r := <-out; r.err != nil || r.waited != 250*time.Millisecond {
			t.Fatalf("B waited %v: %v", r.waited, r.err)
		}
	})

	for _, grow := range []bool{false, true} {
		t.Run(fmt.Sprintf("deadline passes while queued, deadline grows %v", grow), func(t *testing.T) {
			clk := newFakeClock()
			a := newAdmission(clk, 4, 4, 1)
			hold, _, _, err := a.acquire(context.Background(), "A", noDeadline) // the only slot
			if err != nil {
				t.Fatal(err)
			}
			out := make(chan result, 10)
			queue(t, a, context.Background(), "A", 2, noDeadline, out)
			var mu sync.Mutex
			dl := clk.Now().Add(time.Second)
			deadline := func() (time.Time, bool) { mu.Lock(); defer mu.Unlock(); return dl, true }
			queue(t, a, context.Background(), "B", 1, deadline, out)
			if grow { // a patient caller joined B's fetch
				mu.Lock()
				dl = dl.Add(time.Minute)
				mu.Unlock()
			}
			clk.Advance(time.Second)
			if grow {
				if n := a.waiting(); n != 3 {
					t.Fatalf("%d queued after the first deadline, want 3: the grown deadline was not read", n)
				}
				hold()
				r := <-out // round robin: A, then B
				if r.err != nil || r.caller != "A" {
					t.Fatalf("first: %s %v", r.caller, r.err)
				}
				r.release()
				if r = <-out; r.err != nil || r.caller != "B" || r.kind != WaitConcurrency {
					t.Fatalf("second: %s %q %v, want B after a concurrency wait", r.caller, r.kind, r.err)
				}
				r.release()
				r = <-out
				r.release()
				return
			}
			r := <-out
			var ns *modeclient.NotSentError
			if r.caller != "B" || !errors.As(r.err, &ns) || ns.Reason != modeclient.NotSentRateLimited || ns.RetryAfter <= 0 {
				t.Fatalf("%s: %v, want B refused as rate_limited with a RetryAfter", r.caller, r.err)
			}
			if n := a.waiting(); n != 2 {
				t.Fatalf("%d queued, want A's 2: B's place not freed", n)
			}
			hold()
			for range 2 {
				r := <-out
				if r.err != nil || r.caller != "A" {
					t.Fatalf("%s: %v", r.caller, r.err)
				}
				r.release()
			}
			if h := a.held(); h != 0 {
				t.Errorf("%d slots held at the end", h)
			}
		})
	}

	t.Run("cancelled while queued", func(t *testing.T) {
		clk := newFakeClock()
		a := newAdmission(clk, 4, 1, 0)
		if _, _, _, err := a.acquire(context.Background(), "A", noDeadline); err != nil {
			t.Fatal(err)
		}
		out := make(chan result, 10)
		ctx, cancel := context.WithCancel(context.Background())
		queue(t, a, ctx, "B", 1, noDeadline, out)
		queue(t, a, context.Background(), "A", 1, noDeadline, out)
		cancel()
		if r := <-out; r.caller != "B" || !errors.Is(r.err, context.Canceled) {
			t.Fatalf("%s: %v, want B cancelled", r.caller, r.err)
		}
		waitFor(t, "B to leave the queue", func() bool { return a.waiting() == 1 })
		clk.Advance(250 * time.Millisecond) // the token B would have had goes to A
		if r := <-out; r.caller != "A" || r.err != nil {
			t.Fatalf("%s: %v", r.caller, r.err)
		}
	})
}

// TestGuardChargesAndSharesByCaller: through the guard, two callers
// flooding one credential each get half the requests that reach Mode, and
// each request is charged to the caller it was made for.
func TestGuardChargesAndSharesByCaller(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	clk := newFakeClock()
	var mu sync.Mutex
	sent := map[string]int{}
	g := newGuard(tr, "t", Limits{RPS: 4, Burst: 1, BreakerFailures: 5, BreakerOpen: time.Minute}, guardOptions{
		clock: clk,
		observeSend: func(_ context.Context, caller string) {
			mu.Lock()
			sent[caller]++
			mu.Unlock()
		},
	})
	total := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range sent {
			n += v
		}
		return n
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 100)
	start := func(caller string, n int, queued bool) {
		before := g.adm.waiting()
		for range n {
			go func() {
				req, _ := http.NewRequestWithContext(modeclient.WithCaller(ctx, caller), http.MethodGet, srv.URL, nil)
				resp, err := g.RoundTrip(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
		}
		if queued {
			waitFor(t, "requests to queue", func() bool { return g.adm.waiting() == before+n })
		}
	}
	// The burst's token goes to a third caller; then A and B queue 30 each.
	start("C", 1, false)
	waitFor(t, "C's request", func() bool { return total() == 1 })
	<-done
	start("A", 30, true)
	start("B", 30, true)
	const tokens = 20
	for i := range tokens {
		clk.Advance(250 * time.Millisecond)
		waitFor(t, "a request to be sent", func() bool { return total() == 2+i })
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	a, b := sent["A"], sent["B"]
	mu.Unlock()
	if a < tokens/2-1 || a > tokens/2+1 || a+b != tokens {
		t.Errorf("sent for A %d, for B %d; want about %d each", a, b, tokens/2)
	}
	cancel()
	for range 60 - tokens {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	}
}

// TestCoalescedFetchIsChargedToTheCallerThatStartedIt: the caller's identity
// travels into the cache's detached fetch; callers that join it are not
// charged, and a caller of its own fetch is.
func TestCoalescedFetchIsChargedToTheCallerThatStartedIt(t *testing.T) {
	emu := newEmulator(t)
	mode := serveMode(t, emu)
	ch, err := cache.New(cache.Options{MaxEntries: 100, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Close)
	var mu sync.Mutex
	var charged []string
	p, err := New(Options{
		BaseURL:    mode.URL,
		Workspaces: Credentials{modetest.DemoWorkspace: {Token: tokenA, Secret: secretA}},
		Limits:     Limits{RPS: -1},
		Logger:     slog.New(slog.DiscardHandler),
		ObserveSend: func(_ context.Context, caller string) {
			mu.Lock()
			charged = append(charged, caller)
			mu.Unlock()
		},
		ClientOptions: []modeclient.Option{modeclient.WithCache(ch)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _ := p.Client(ctx, modetest.DemoWorkspace)
	report := emu.Demo().Reports[0]
	emu.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/" + modetest.DemoWorkspace + "/reports/" + report, Latency: 200 * time.Millisecond, Times: 1})

	errs := make(chan error, 3)
	go func() {
		_, err := c.GetReport(modeclient.WithCaller(ctx, "alice"), modetest.DemoWorkspace, report)
		errs <- err
	}()
	waitFor(t, "alice's fetch to start", func() bool { return ch.Stats().Misses == 1 })
	for range 2 {
		go func() {
			_, err := c.GetReport(modeclient.WithCaller(ctx, "bob"), modetest.DemoWorkspace, report)
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if s := ch.Stats(); s.Coalesced+s.Hits != 2 {
		t.Fatalf("bob's calls: %d coalesced, %d hits; want both served by alice's fetch", s.Coalesced, s.Hits)
	}
	// A fetch of bob's own is bob's.
	if _, err := c.GetSpace(modeclient.WithCaller(ctx, "bob"), modetest.DemoWorkspace, emu.Demo().Spaces[0]); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(charged) != "[alice bob]" {
		t.Errorf("requests charged to %v, want [alice bob]", charged)
	}
}
