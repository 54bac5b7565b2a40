package service_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// The shared pollers (poller.go): callers following the same thing with the
// same credential share one Mode poll per interval. The pollers run on
// pollClock, which moves only when a test fires it, so these tests count
// polls per interval exactly, with no timing assertion.

// pollClock is a test clock for the pollers' timers: a timer fires only
// when the test calls fire.
type pollClock struct {
	mu      sync.Mutex
	pending map[*pollTimer]struct{}
	waits   []time.Duration // every timer's duration, in the order they were started
}

// pollTimer is one timer of a pollClock.
type pollTimer struct{ c chan time.Time }

func newPollClock() *pollClock { return &pollClock{pending: map[*pollTimer]struct{}{}} }

// newTimer is the pollers' timer (service.SetPollTimer).
func (c *pollClock) newTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := &pollTimer{c: make(chan time.Time, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending[t] = struct{}{}
	c.waits = append(c.waits, d)
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.pending[t]
		delete(c.pending, t)
		return ok
	}
}

// fire fires every pending timer (each poller's wait ends: one interval
// passes) and returns how many it fired.
func (c *pollClock) fire() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.pending)
	for t := range c.pending {
		t.c <- time.Now()
		delete(c.pending, t)
	}
	return n
}

// pendingTimers is how many timers wait to be fired.
func (c *pollClock) pendingTimers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// startedWaits returns the durations of the timers started so far.
func (c *pollClock) startedWaits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// eventually waits until cond holds, failing t when ctx ends first. It
// waits for something the test caused to happen; it asserts no timing.
func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("never: %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// basicAuth is the Authorization header modeclient sends with cred.
func basicAuth(cred modeclient.Credential) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	r.SetBasicAuth(cred.Token, cred.Secret)
	return r.Header.Get("Authorization")
}

// countGETs counts the emulator's GETs of exactly path made with cred.
func countGETs(mode *modetest.Server, path string, cred modeclient.Credential) int {
	auth := basicAuth(cred)
	n := 0
	for _, r := range mode.Requests() {
		if r.Method == http.MethodGet && r.Path == path && r.Header.Get("Authorization") == auth {
			n++
		}
	}
	return n
}

// rotatingUpstream serves every call with the next of its clients in
// turn: callers of one workspace on several credentials.
type rotatingUpstream struct {
	clients atomic.Pointer[[]*modeclient.Client]
	n       atomic.Uint64
}

func (u *rotatingUpstream) Client(context.Context, string) (*modeclient.Client, error) {
	cs := *u.clients.Load()
	return cs[(u.n.Add(1)-1)%uint64(len(cs))], nil
}

// pollCreds are the credentials the service's pollers read with in these
// tests; the env's own client (newEnv) uses pollChecker, so that the
// test's own reads are not counted as polls.
var (
	pollChecker = modeclient.Credential{Token: "poll-checker", Secret: "checker-secret"}
	pollCreds   = []modeclient.Credential{{Token: "poll-a", Secret: "secret-a"}, {Token: "poll-b", Secret: "secret-b"}}
)

// pollEnv is newEnv whose service reads Mode with the first n pollCreds in
// turn, its pollers on clock.
func pollEnv(t *testing.T, n int, clock *pollClock, modeOpts ...modetest.Option) *env {
	t.Helper()
	up := &rotatingUpstream{}
	opts := []modetest.Option{modetest.WithCredentials(pollChecker.Token, pollChecker.Secret)}
	for _, c := range pollCreds {
		opts = append(opts, modetest.WithCredentials(c.Token, c.Secret))
	}
	e := newEnv(t, envConfig{
		modeOpts: append(opts, modeOpts...),
		serviceOpts: func(o *service.Options) {
			o.Upstream = up
			service.SetPollTimer(o, clock.newTimer)
		},
	})
	var clients []*modeclient.Client
	for _, c := range pollCreds[:n] {
		mc, err := modeclient.New(e.mode.URL, c, modeclient.WithHTTPClient(e.mode.Client()), modeclient.WithBackoff(time.Millisecond, 5*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, mc)
	}
	up.clients.Store(&clients)
	return e
}

// watcher is one WatchReportRun caller of a test.
type watcher struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	states []modeplatformv1.ReportRun_State
	ended  bool
	err    error
}

// startWatchers starts n watchers of the run name over gRPC, each on its
// own context.
func startWatchers(t *testing.T, e *env, name string, n int) []*watcher {
	t.Helper()
	rs := e.clients(protocols[1]).rs
	ws := make([]*watcher, n)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for i := range ws {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		w := &watcher{cancel: cancel}
		ws[i] = w
		t.Cleanup(cancel)
		wg.Go(func() {
			st, err := rs.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: name}))
			if err == nil {
				for st.Receive() {
					w.mu.Lock()
					w.states = append(w.states, st.Msg().GetRun().GetState())
					w.mu.Unlock()
				}
				err = st.Err()
				st.Close()
			}
			w.mu.Lock()
			w.ended, w.err = true, err
			w.mu.Unlock()
		})
	}
	return ws
}

// seen returns the states w received so far and whether its stream ended.
func (w *watcher) seen() ([]modeplatformv1.ReportRun_State, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.states), w.ended, w.err
}

// all reports whether every watcher satisfies ok.
func all(ws []*watcher, ok func(states []modeplatformv1.ReportRun_State, ended bool) bool) bool {
	for _, w := range ws {
		if states, ended, _ := w.seen(); !ok(states, ended) {
			return false
		}
	}
	return true
}

// TestWatchersShareOnePoll: 100 callers watch one run of the emulator; the
// emulator sees one GET of the run per poll interval per credential (the
// first poll, then one per interval the test lets pass), and every watcher
// receives the same states, ending in the terminal one. Watchers on two
// credentials get a poller per credential; the pollers end with the run.
func TestWatchersShareOnePoll(t *testing.T) {
	t.Parallel()
	for _, creds := range []int{1, 2} {
		t.Run(fmt.Sprintf("credentials=%d", creds), func(t *testing.T) {
			t.Parallel()
			clock := newPollClock()
			// The run stays enqueued for 3 s of real time: long enough for its
			// first poll to see it enqueued, on a loaded machine too.
			e := pollEnv(t, creds, clock, modetest.WithRunDuration(3*time.Second))
			ctx := testContext(t)
			run, err := e.client.RunReport(ctx, e.demo.Workspace, e.demo.Reports[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			name := qtRunName(e, e.demo.Reports[0], run.Token)
			path := "/api/" + e.demo.Workspace + "/reports/" + e.demo.Reports[0] + "/runs/" + run.Token

			const n = 100
			ws := startWatchers(t, e, name, n)
			eventually(t, ctx, "every watcher has the run's first state", func() bool {
				return all(ws, func(s []modeplatformv1.ReportRun_State, ended bool) bool { return len(s) > 0 || ended })
			})
			if pollers, subs, _ := service.PollerStats(e.svc); pollers != creds || subs != n {
				t.Fatalf("%d pollers with %d subscribers, want %d with %d", pollers, subs, creds, n)
			}
			for _, w := range ws {
				if states, _, err := w.seen(); len(states) == 0 || states[0] != modeplatformv1.ReportRun_STATE_ENQUEUED {
					t.Fatalf("first states %v (%v), want ENQUEUED: the run ended before its first poll", states, err)
				}
			}

			// Let intervals pass: three while the run is enqueued, then one
			// at a time until the poll sees it finished.
			fires := 0
			ended := func() bool {
				return all(ws, func(_ []modeplatformv1.ReportRun_State, ended bool) bool { return ended })
			}
			for !ended() {
				eventually(t, ctx, "every poller waits for its next interval", func() bool { return clock.pendingTimers() == creds || ended() })
				if ended() {
					break
				}
				if fires >= 3 {
					got, err := e.client.GetReportRun(modeclient.WithCacheBypass(ctx), e.demo.Workspace, e.demo.Reports[0], run.Token)
					if err != nil {
						t.Fatal(err)
					}
					if !got.Finished() {
						time.Sleep(20 * time.Millisecond) // Mode's run takes its time
						continue
					}
				}
				if got := clock.fire(); got != creds {
					t.Fatalf("fired %d timers, want %d", got, creds)
				}
				fires++
			}

			for i, c := range pollCreds[:creds] {
				if got := countGETs(e.mode, path, c); got != fires+1 {
					t.Errorf("credential %d: %d GETs of the run for %d watchers over %d intervals, want %d (one per interval)", i, got, n, fires, fires+1)
				}
			}
			want := []modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_ENQUEUED, modeplatformv1.ReportRun_STATE_SUCCEEDED}
			for i, w := range ws {
				if states, _, err := w.seen(); err != nil || !slices.Equal(states, want) {
					t.Errorf("watcher %d: states %v, error %v; want %v", i, states, err, want)
				}
			}
			eventually(t, ctx, "the pollers end with the run", func() bool {
				pollers, subs, running := service.PollerStats(e.svc)
				return pollers == 0 && subs == 0 && running == 0
			})
		})
	}
}

// TestLastWatcherLeavingStopsThePoll: watchers leaving early do not stop
// the others' poll; the last one leaving stops it, and Mode hears no more
// of the run.
func TestLastWatcherLeavingStopsThePoll(t *testing.T) {
	t.Parallel()
	clock := newPollClock()
	e := pollEnv(t, 1, clock, modetest.WithRunDuration(time.Hour))
	ctx := testContext(t)
	run, err := e.client.RunReport(ctx, e.demo.Workspace, e.demo.Reports[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	name := qtRunName(e, e.demo.Reports[0], run.Token)
	path := "/api/" + e.demo.Workspace + "/reports/" + e.demo.Reports[0] + "/runs/" + run.Token
	gets := func() int { return countGETs(e.mode, path, pollCreds[0]) }
	subscribers := func() int { _, subs, _ := service.PollerStats(e.svc); return subs }

	ws := startWatchers(t, e, name, 10)
	eventually(t, ctx, "every watcher subscribed and has a state", func() bool {
		return subscribers() == 10 && all(ws, func(s []modeplatformv1.ReportRun_State, _ bool) bool { return len(s) > 0 })
	})
	eventually(t, ctx, "the poller waits", func() bool { return clock.pendingTimers() == 1 })
	// Half leave: the others' poll goes on, one GET per interval.
	for _, w := range ws[:5] {
		w.cancel()
	}
	eventually(t, ctx, "five watchers left", func() bool { return subscribers() == 5 })
	for i := range 3 {
		before := gets()
		if clock.fire() != 1 {
			t.Fatalf("interval %d: no poller waiting", i)
		}
		eventually(t, ctx, "the poll and the next wait", func() bool { return clock.pendingTimers() == 1 })
		if got := gets() - before; got != 1 {
			t.Fatalf("interval %d: %d GETs, want 1", i, got)
		}
	}
	for _, w := range ws[5:] {
		if states, ended, err := w.seen(); ended || !slices.Equal(states, []modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_ENQUEUED}) {
			t.Fatalf("a remaining watcher: states %v, ended %v (%v)", states, ended, err)
		}
	}
	// The last ones leave: the poller ends, its timer stopped, and no poll follows.
	for _, w := range ws[5:] {
		w.cancel()
	}
	eventually(t, ctx, "the poller ends", func() bool {
		pollers, subs, running := service.PollerStats(e.svc)
		return pollers == 0 && subs == 0 && running == 0
	})
	before := gets()
	if n := clock.fire(); n != 0 {
		t.Fatalf("%d timers still pending after the poller ended", n)
	}
	if got := gets(); got != before {
		t.Fatalf("%d GETs after the last watcher left", got-before)
	}
	for i, w := range ws {
		eventually(t, ctx, "the watcher's stream ends", func() bool { _, ended, _ := w.seen(); return ended })
		if _, _, err := w.seen(); connect.CodeOf(err) != connect.CodeCanceled {
			t.Errorf("watcher %d ended with %v, want Canceled", i, err)
		}
	}
}

// pollFakeEnv is rptFakeEnv with the pollers on clock and a minimum
// interval of 10ms backing off to 1s.
func pollFakeEnv(t *testing.T, script map[string][]rptFakeStep, clock *pollClock) (*env, *rptFakeMode) {
	t.Helper()
	fake := &rptFakeMode{steps: script, gets: map[string]int{}}
	mode := httptest.NewServer(fake)
	t.Cleanup(mode.Close)
	mc, err := modeclient.New(mode.URL, modeclient.Credential{Token: "fake", Secret: "fake"},
		modeclient.WithMaxAttempts(1), modeclient.WithHTTPClient(mode.Client()))
	if err != nil {
		t.Fatal(err)
	}
	opts := service.Options{Upstream: service.SingleClient(mc), WatchMinInterval: 10 * time.Millisecond, WatchMaxInterval: time.Second}
	service.SetPollTimer(&opts, clock.newTimer)
	svc, err := service.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	url, hc := serve(t, svc)
	return &env{ws: "workspaces/" + modetest.DemoWorkspace, svc: svc, url: url, http: hc}, fake
}

// TestSharedPollSchedule plays scripted runs to 20 watchers, five of which
// leave after the first state: the others receive every state change in
// order and the run's end (its terminal state, or the error that ended the
// poll, the same for all); Mode sees one GET per interval; the intervals
// follow the schedule (the minimum after a change, ×1.5 without one).
func TestSharedPollSchedule(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	s := func(states ...string) []rptFakeStep {
		out := make([]rptFakeStep, len(states))
		for i, st := range states {
			out[i] = rptFakeStep{state: st}
		}
		return out
	}
	unavailable := rptFakeStep{status: http.StatusServiceUnavailable}
	for _, tt := range []struct {
		name  string
		steps []rptFakeStep
		want  []modeplatformv1.ReportRun_State
		code  connect.Code // 0: a clean end
		waits []time.Duration
	}{
		{"states", s("pending", "pending", "enqueued", "enqueued", "enqueued", "running_notebook", "succeeded"),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_PENDING, modeplatformv1.ReportRun_STATE_ENQUEUED, modeplatformv1.ReportRun_STATE_RUNNING_NOTEBOOK, modeplatformv1.ReportRun_STATE_SUCCEEDED},
			0, []time.Duration{10 * ms, 15 * ms, 10 * ms, 15 * ms, 22500 * time.Microsecond, 10 * ms}},
		{"transient failures ridden out", append(append(s("running"), unavailable, unavailable), s("running", "failed")...),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_RUNNING, modeplatformv1.ReportRun_STATE_FAILED},
			0, []time.Duration{10 * ms, 15 * ms, 22500 * time.Microsecond, 33750 * time.Microsecond}},
		{"persistent failure", append(s("enqueued"), unavailable),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_ENQUEUED},
			connect.CodeUnavailable, []time.Duration{10 * ms, 15 * ms, 22500 * time.Microsecond, 33750 * time.Microsecond, 50625 * time.Microsecond}},
		{"vanished", append(s("enqueued"), rptFakeStep{status: http.StatusNotFound}),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_ENQUEUED},
			connect.CodeNotFound, []time.Duration{10 * ms}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newPollClock()
			e, fake := pollFakeEnv(t, map[string][]rptFakeStep{"run1": tt.steps}, clock)
			ctx := testContext(t)
			name := e.reportName("abc123") + "/runs/run1"
			ws := startWatchers(t, e, name, 20)
			eventually(t, ctx, "every watcher has the first state", func() bool {
				return all(ws, func(s []modeplatformv1.ReportRun_State, _ bool) bool { return len(s) > 0 })
			})
			for _, w := range ws[:5] {
				w.cancel()
			}
			stay := ws[5:]
			eventually(t, ctx, "five watchers left", func() bool { _, subs, _ := service.PollerStats(e.svc); return subs == 15 })
			fires := 0
			for {
				// Each interval after every staying watcher has read the
				// state of the last poll (so that none skips one).
				latest := func() modeplatformv1.ReportRun_State {
					for k := min(fake.getsOf("run1"), len(tt.steps)) - 1; k > 0; k-- {
						if tt.steps[k].status == 0 {
							return reportState(tt.steps[k].state)
						}
					}
					return reportState(tt.steps[0].state)
				}
				eventually(t, ctx, "every staying watcher has the latest state, and the poller waits or ended", func() bool {
					_, _, running := service.PollerStats(e.svc)
					return (clock.pendingTimers() == 1 || running == 0) &&
						all(stay, func(s []modeplatformv1.ReportRun_State, ended bool) bool { return ended || s[len(s)-1] == latest() })
				})
				if clock.fire() == 0 {
					break
				}
				fires++
			}
			for i, w := range stay {
				eventually(t, ctx, "the watcher's stream ends", func() bool { _, ended, _ := w.seen(); return ended })
				states, _, err := w.seen()
				wrongEnd := err != nil
				if tt.code != 0 {
					wrongEnd = connect.CodeOf(err) != tt.code
				}
				if !slices.Equal(states, tt.want) || wrongEnd {
					t.Errorf("watcher %d: states %v, error %v; want %v, code %v", i, states, err, tt.want, tt.code)
				}
			}
			if got := fake.getsOf("run1"); got != fires+1 {
				t.Errorf("%d GETs over %d intervals, want %d", got, fires, fires+1)
			}
			if got := clock.startedWaits(); !slices.Equal(got, tt.waits) {
				t.Errorf("intervals %v, want %v", got, tt.waits)
			}
		})
	}
}

// reportState is the API's state of a Mode run state.
func reportState(mode string) modeplatformv1.ReportRun_State {
	switch mode {
	case "pending":
		return modeplatformv1.ReportRun_STATE_PENDING
	case "enqueued":
		return modeplatformv1.ReportRun_STATE_ENQUEUED
	case "running":
		return modeplatformv1.ReportRun_STATE_RUNNING
	case "running_notebook":
		return modeplatformv1.ReportRun_STATE_RUNNING_NOTEBOOK
	case "succeeded":
		return modeplatformv1.ReportRun_STATE_SUCCEEDED
	case "failed":
		return modeplatformv1.ReportRun_STATE_FAILED
	}
	return modeplatformv1.ReportRun_STATE_UNSPECIFIED
}

// follower is one StreamAuditEvents caller of a test.
type follower struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	events []string // the events' names
	tokens []string // the resume token after each
	ended  bool
	err    error
}

// startFollowers starts n followers of req over gRPC, each on its own
// context.
func startFollowers(t *testing.T, e *env, req *modeplatformv1.StreamAuditEventsRequest, n int) []*follower {
	t.Helper()
	ws := e.clients(protocols[1]).ws
	fs := make([]*follower, n)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for i := range fs {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		f := &follower{cancel: cancel}
		fs[i] = f
		t.Cleanup(cancel)
		wg.Go(func() {
			st, err := ws.StreamAuditEvents(ctx, connect.NewRequest(req))
			if err == nil {
				for st.Receive() {
					f.mu.Lock()
					f.events = append(f.events, st.Msg().GetAuditEvent().GetName())
					f.tokens = append(f.tokens, st.Msg().GetResumeToken())
					f.mu.Unlock()
				}
				err = st.Err()
				st.Close()
			}
			f.mu.Lock()
			f.ended, f.err = true, err
			f.mu.Unlock()
		})
	}
	return fs
}

// seen returns the events' names and resume tokens f received so far.
func (f *follower) seen() (events, tokens []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events), slices.Clone(f.tokens)
}

// end reports whether f's stream ended, and its error.
func (f *follower) end() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ended, f.err
}

// TestAuditFollowersShareOnePoll: 100 followers of a workspace's audit log
// make one Mode read of it per poll interval, and each receives every event
// once, in order, with the same resume tokens; a follower resumed from
// further back joins the same poll (one read from its position, for all),
// and gets exactly the events after its token while the others get none
// again; another filter has its own poll; the last follower leaving ends
// the polls.
func TestAuditFollowersShareOnePoll(t *testing.T) {
	t.Parallel()
	clock := newPollClock()
	e := pollEnv(t, 1, clock)
	ctx := testContext(t)
	polls := func() int { return countGETs(e.mode, "/api/"+e.demo.Workspace+"/audit_logs", pollCreds[0]) }
	stats := func() (pollers, subs, running int) { return service.PollerStats(e.svc) }
	fires := 0
	interval := func() { // one poll interval passes, and the poll after it is done
		t.Helper()
		eventually(t, ctx, "the pollers wait", func() bool { p, _, _ := stats(); return clock.pendingTimers() == p })
		fires += clock.fire()
		eventually(t, ctx, "the pollers wait again", func() bool { p, _, _ := stats(); return clock.pendingTimers() == p })
	}
	space := func(name string) {
		t.Helper()
		if _, err := e.client.CreateSpace(ctx, e.demo.Workspace, modeclient.SpaceCreate{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	// have waits until every follower of fs received n events.
	have := func(fs []*follower, n int) {
		t.Helper()
		eventually(t, ctx, fmt.Sprintf("every follower has %d events", n), func() bool {
			for _, f := range fs {
				if events, _ := f.seen(); len(events) < n {
					return false
				}
			}
			return true
		})
	}

	const n = 100
	fs := startFollowers(t, e, &modeplatformv1.StreamAuditEventsRequest{Parent: e.ws}, n)
	eventually(t, ctx, "every follower subscribed", func() bool { p, subs, _ := stats(); return p == 1 && subs == n })
	for i := range 3 {
		space(fmt.Sprintf("Followed %d", i))
	}
	interval()
	have(fs, 3)
	interval() // nothing new
	interval()
	space("Followed 3")
	interval()
	have(fs, 4)
	if got := polls(); got != fires+1 {
		t.Errorf("%d reads of the audit log for %d followers over %d intervals, want %d (one per interval)", got, n, fires, fires+1)
	}
	events, tokens := fs[0].seen()
	for i, f := range fs {
		if ev, tok := f.seen(); !slices.Equal(ev, events) || !slices.Equal(tok, tokens) || len(ev) != 4 || len(slices.Compact(slices.Sorted(slices.Values(ev)))) != 4 {
			t.Fatalf("follower %d received %v (tokens %v), follower 0 %v (%v): want the same 4 events", i, ev, tok, events, tokens)
		}
	}

	// Resumed after the first event: it joins the poll, which reads once
	// from its position for everyone.
	resumed := startFollowers(t, e, &modeplatformv1.StreamAuditEventsRequest{Parent: e.ws, ResumeToken: tokens[0]}, 1)
	eventually(t, ctx, "the resumed follower subscribed", func() bool { p, subs, _ := stats(); return p == 1 && subs == n+1 })
	interval()
	have(resumed, 3)
	space("Followed 4")
	interval()
	have(fs, 5)
	have(resumed, 4)
	if got, want := polls(), fires+1; got != want {
		t.Errorf("%d reads of the audit log over %d intervals, want %d", got, fires, want)
	}
	all5, _ := fs[0].seen()
	for i, f := range fs {
		if ev, _ := f.seen(); !slices.Equal(ev, all5) || len(ev) != 5 || !slices.Equal(ev[:4], events) {
			t.Fatalf("follower %d received %v after the resumed one joined, want %v then one more", i, ev, events)
		}
	}
	if ev, _ := resumed[0].seen(); !slices.Equal(ev, all5[1:]) {
		t.Fatalf("the resumed follower received %v, want %v", ev, all5[1:])
	}

	// Another filter is another poll.
	filtered := startFollowers(t, e, &modeplatformv1.StreamAuditEventsRequest{Parent: e.ws, Filter: &modeplatformv1.AuditFilter{Action: "space_created"}}, 1)
	eventually(t, ctx, "a second poller for the other filter", func() bool { p, subs, _ := stats(); return p == 2 && subs == n+2 })

	// Everyone leaves: the polls end, and Mode hears no more.
	for _, f := range slices.Concat(fs, resumed, filtered) {
		f.cancel()
	}
	eventually(t, ctx, "the pollers end", func() bool { p, subs, running := stats(); return p == 0 && subs == 0 && running == 0 })
	before := polls()
	if got := clock.fire(); got != 0 {
		t.Fatalf("%d timers still pending after the pollers ended", got)
	}
	if got := polls(); got != before {
		t.Fatalf("%d reads of the audit log after the last follower left", got-before)
	}
}

// TestDrainingEndsSharedWatchers: DrainStreams ends every watcher and
// follower of a shared poll with SERVER_DRAINING, and the pollers with them.
func TestDrainingEndsSharedWatchers(t *testing.T) {
	t.Parallel()
	clock := newPollClock()
	e := pollEnv(t, 1, clock, modetest.WithRunDuration(time.Hour))
	ctx := testContext(t)
	run, err := e.client.RunReport(ctx, e.demo.Workspace, e.demo.Reports[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	ws := startWatchers(t, e, qtRunName(e, e.demo.Reports[0], run.Token), 5)
	fs := startFollowers(t, e, &modeplatformv1.StreamAuditEventsRequest{Parent: e.ws}, 5)
	eventually(t, ctx, "two pollers of five subscribers each", func() bool {
		p, subs, _ := service.PollerStats(e.svc)
		return p == 2 && subs == 10 && all(ws, func(s []modeplatformv1.ReportRun_State, _ bool) bool { return len(s) > 0 })
	})
	e.svc.DrainStreams()
	eventually(t, ctx, "the pollers end", func() bool {
		p, subs, running := service.PollerStats(e.svc)
		return p == 0 && subs == 0 && running == 0
	})
	var errs []error
	for _, w := range ws {
		eventually(t, ctx, "the watcher's stream ends", func() bool { _, ended, _ := w.seen(); return ended })
		_, _, err := w.seen()
		errs = append(errs, err)
	}
	for _, f := range fs {
		eventually(t, ctx, "the follower's stream ends", func() bool { ended, _ := f.end(); return ended })
		_, err := f.end()
		errs = append(errs, err)
	}
	for i, err := range errs {
		if connect.CodeOf(err) != connect.CodeUnavailable || qtReason(err) != service.ReasonServerDraining {
			t.Errorf("stream %d ended with %v, want Unavailable %s", i, err, service.ReasonServerDraining)
		}
	}
}
