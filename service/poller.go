package service

import (
	"context"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
)

// Shared pollers: one upstream poll per interval for every caller following
// the same thing.
//
// WatchReportRun, WatchDatasetRun and StreamAuditEvents follow something
// that changes in Mode by polling it. Each thing followed — a run, or a
// workspace's audit log under one filter — is polled by one poller
// goroutine however many callers follow it: the first caller starts it, the
// others subscribe to it, and each poll's result is handed to every
// subscriber. A poller is keyed by the Mode client that reads it (one client
// per credential, so callers of different credentials never share a poll,
// nor see what their own credential could not read) and by what it follows.
//
// Schedule: the first poll is at once; then every Options.WatchMinInterval,
// ×1.5 after each poll without change up to Options.WatchMaxInterval, and
// back to the minimum after a change. A subscriber may wake a backed-off
// poller (wake): its next poll is then at most the minimum away, never
// sooner than the minimum after its previous one.
//
// Delivery: the poller keeps only its latest value, with a version number;
// each subscriber reads the latest version it has not seen yet (next). The
// poller never waits for a subscriber, and a subscriber never overflows: a
// slow one skips the values it was too slow to read and gets the latest,
// which is all a follower needs — a run's current state (its terminal state
// is the poller's last value, so every subscriber gets it), or the audit
// log's current window (each window holds every event since the oldest
// position a subscriber still needs, so skipping one loses nothing).
//
// Errors: a poll that fails with Unavailable (Mode unreachable, rate
// limited, its circuit open) is retried on the backed-off schedule, up to
// maxWatchPollFailures in a row; any other failure, or one too many, ends
// the poller and is every subscriber's error.
//
// Lifetime: the poller runs on a context detached from its first caller's
// (it keeps that context's values, its trace among them, but not its
// deadline or cancellation: the first caller may leave before the others).
// It ends after its last value (a finished run), after a failure, or as
// soon as its last subscriber leaves — each subscriber leaves when its own
// stream ends (its deadline, its cancellation, the server draining), so a
// poller never polls for nobody: leaving cancels the poll in flight.

// pollKey names what a poller follows, for one Mode client.
type pollKey struct {
	client *modeclient.Client // one per credential (Upstream): never shared across credentials
	what   string             // "run\x00" + run name, "audit\x00" + workspace + filter
}

// pollTimerFunc starts a timer of d: its channel, and its Stop.
type pollTimerFunc func(d time.Duration) (<-chan time.Time, func() bool)

// realPollTimer is time.NewTimer.
func realPollTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// pollers are the server's running pollers.
type pollers struct {
	minWait, maxWait time.Duration
	newTimer         pollTimerFunc

	mu    sync.Mutex
	byKey map[pollKey]any // *poller[V] of the key's kind
	live  atomic.Int64    // poller goroutines running
}

// pollSpec is how a poller reads what it follows.
type pollSpec[V any] struct {
	// poll reads once, from the poller's goroutine only (so it may keep
	// state between calls). since is the smallest position a subscriber
	// still needs (math.MaxInt64 when none says). It returns the value,
	// whether it differs from the previous poll's (only a changed value is
	// handed out), and whether it is the last (the poller then ends).
	poll func(ctx context.Context, since int64) (v V, changed, final bool, err error)
	// transient reports whether a failed poll may be retried.
	transient func(error) bool
}

// poller polls one thing for all its subscribers (see the top of the file).
type poller[V any] struct {
	set    *pollers
	key    pollKey
	spec   pollSpec[V]
	cancel context.CancelFunc
	kick   chan struct{} // wake: poll at the minimum interval

	mu      sync.Mutex
	subs    map[*subscription[V]]struct{}
	val     V
	version uint64 // of val; 0: no value yet
	done    bool   // no value will follow val
	err     error  // why the poller failed (done)
	changed chan struct{}
}

// subscription is one subscriber of a poller.
type subscription[V any] struct {
	p     *poller[V]
	seen  uint64 // the version last read; the subscriber's own
	since int64  // the position it still needs; guarded by p.mu
}

// subscribe subscribes to the poller of key, starting one with spec()
// when there is none (or the last one has ended). since is the position
// the subscriber needs values from (see pollSpec.poll). The subscriber must
// leave.
func subscribe[V any](ctx context.Context, set *pollers, key pollKey, since int64, spec func() pollSpec[V]) *subscription[V] {
	set.mu.Lock()
	defer set.mu.Unlock()
	if p, ok := set.byKey[key].(*poller[V]); ok {
		s := &subscription[V]{p: p, since: since}
		p.mu.Lock()
		p.subs[s] = struct{}{}
		p.mu.Unlock()
		return s
	}
	pctx, cancel := context.WithCancel(detachedContext(ctx))
	p := &poller[V]{
		set: set, key: key, spec: spec(), cancel: cancel, kick: make(chan struct{}, 1),
		subs: map[*subscription[V]]struct{}{}, changed: make(chan struct{}),
	}
	s := &subscription[V]{p: p, since: since}
	p.subs[s] = struct{}{} // before the first poll, which reads from its since
	if set.byKey == nil {
		set.byKey = map[pollKey]any{}
	}
	set.byKey[key] = p
	set.live.Add(1)
	go p.run(pctx)
	return s
}

// detachedContext is ctx without its deadline and cancellation, for a
// poller that outlives its first caller. It keeps ctx's values (the trace,
// a cache bypass) but not the caller's HTTP response, which it must not
// hold on to.
func detachedContext(ctx context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(ctx), responseControllerKey{}, (*http.ResponseController)(nil))
}

// next returns the poller's latest value once it is newer than the last
// one this subscriber read: at once when it is, else when the poller hands
// out the next one. It returns the poller's error once every value was
// read, or ctx's when ctx ends first.
func (s *subscription[V]) next(ctx context.Context) (V, error) {
	p := s.p
	for {
		p.mu.Lock()
		if p.version > s.seen {
			v := p.val
			s.seen = p.version
			p.mu.Unlock()
			return v, nil
		}
		done, err, changed := p.done, p.err, p.changed
		p.mu.Unlock()
		if done {
			var zero V
			return zero, err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
}

// setSince records the position the subscriber still needs.
func (s *subscription[V]) setSince(since int64) {
	s.p.mu.Lock()
	s.since = since
	s.p.mu.Unlock()
}

// wake asks the poller to poll at the minimum interval, once.
func (s *subscription[V]) wake() {
	select {
	case s.p.kick <- struct{}{}:
	default: // a wake is pending already
	}
}

// leave unsubscribes; the last subscriber to leave stops the poller (and
// its poll in flight).
func (s *subscription[V]) leave() {
	p, set := s.p, s.p.set
	set.mu.Lock()
	defer set.mu.Unlock()
	p.mu.Lock()
	delete(p.subs, s)
	left := len(p.subs)
	p.mu.Unlock()
	if left == 0 {
		if set.byKey[p.key] == any(p) {
			delete(set.byKey, p.key)
		}
		p.cancel()
	}
}

// run polls until the last value, a failure, or the last subscriber's
// leaving (ctx canceled).
func (p *poller[V]) run(ctx context.Context) {
	defer p.set.live.Add(-1)
	defer p.cancel()
	wait := p.set.minWait
	failures := 0
	for {
		v, changed, final, err := p.spec.poll(ctx, p.minSince())
		if ctx.Err() != nil {
			return // nobody is left to tell
		}
		switch {
		case err != nil:
			failures++
			if !p.spec.transient(err) || failures >= maxWatchPollFailures {
				p.finish(v, false, err)
				return
			}
			wait = watchBackoff(wait, p.set.maxWait)
		case final:
			p.finish(v, true, nil)
			return
		case changed:
			failures = 0
			p.publish(v)
			wait = p.set.minWait
		default:
			failures = 0
			wait = watchBackoff(wait, p.set.maxWait)
		}
		if !p.sleep(ctx, &wait) {
			return
		}
	}
}

// sleep waits *wait, or less when woken while backed off (setting *wait to
// the minimum); false when ctx ended first.
func (p *poller[V]) sleep(ctx context.Context, wait *time.Duration) bool {
	c, stop := p.set.newTimer(*wait)
	for {
		select {
		case <-ctx.Done():
			stop()
			return false
		case <-c:
			return true
		case <-p.kick:
			if *wait > p.set.minWait {
				stop()
				*wait = p.set.minWait
				c, stop = p.set.newTimer(*wait)
			}
		}
	}
}

// minSince is the smallest position a subscriber still needs.
func (p *poller[V]) minSince() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	since := int64(math.MaxInt64)
	for s := range p.subs {
		since = min(since, s.since)
	}
	return since
}

// publish hands v out to the subscribers.
func (p *poller[V]) publish(v V) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.val = v
	p.version++
	close(p.changed)
	p.changed = make(chan struct{})
}

// finish ends the poller: with v as its last value (final), or with err.
// A caller that subscribes from now on starts another poller.
func (p *poller[V]) finish(v V, final bool, err error) {
	set := p.set
	set.mu.Lock()
	if set.byKey[p.key] == any(p) {
		delete(set.byKey, p.key)
	}
	set.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if final {
		p.val = v
		p.version++
	}
	p.done, p.err = true, err
	close(p.changed)
	p.changed = make(chan struct{})
}

// stats returns how many pollers are registered, their subscribers, and
// how many poller goroutines are running.
func (set *pollers) stats() (pollers, subscribers, running int) {
	set.mu.Lock()
	defer set.mu.Unlock()
	for _, p := range set.byKey {
		pollers++
		subscribers += p.(interface{ subscribers() int }).subscribers()
	}
	return pollers, subscribers, int(set.live.Load())
}

// subscribers is how many subscribers p has.
func (p *poller[V]) subscribers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.subs)
}
