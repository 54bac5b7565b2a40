package upstream

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
)

// admission shares one credential's capacity toward Mode — the tokens of its
// rate limit and the slots of its concurrency limit — fairly among the
// callers waiting for it.
//
// Design: one mutex guards a token bucket on the admission's own clock
// (tokens refill at rate per second up to burst), a count of slots in use,
// and one FIFO queue of waiting requests per caller (the caller a request is
// made for: modeclient.CallerFromContext, "" when none is named). The callers
// with waiting requests form a ring. Whenever a token and a slot are both
// free, the caller at the head of the ring gets them for its oldest request
// and moves to the tail (or leaves the ring when it has no more waiting).
// That is round robin across callers, FIFO within a caller; every request
// costs one token, so it is also deficit round robin with a quantum of one.
// A caller therefore gets at most its share (budget ÷ callers waiting) while
// others wait, however many requests it queues, and a caller alone gets the
// whole budget: nothing is reserved for callers that do not ask.
//
// A request arriving while nobody waits and a token and a slot are free
// goes at once, without queueing. Otherwise it queues, and one timer
// dispatches the next token when it has accrued; a released slot dispatches
// at once. A request never waits past its deadline (the earlier of its
// context's and its callers', see deadline): when its turn, counted from the
// queues as they are (round robin order, the tokens left), would come after
// the deadline, it is refused at once, and a request still queued at its
// deadline — other callers arrived, slots stayed busy — is refused then;
// both without a token taken, as modeclient.NotSentError rate_limited with
// a RetryAfter estimated the same way. A cache fetch's deadline can grow
// while it waits (a patient caller joins the fetch): it is read again when
// it passes. Cancellation removes the request from its queue (or, if it was
// just granted, gives its token and slot back).
type admission struct {
	clock clock
	rate  float64 // tokens per second; 0: no rate limit
	burst float64
	slots int // 0: no concurrency limit

	mu      sync.Mutex
	tokens  float64
	last    time.Time // when tokens was last brought up to date
	inUse   int       // slots held
	callers map[string]*callerQueue
	ring    []*callerQueue // callers with waiting requests; ring[0] is served next
	timer   timer          // the dispatch of the next token; nil when not armed
}

// callerQueue is one caller's waiting requests, oldest first.
type callerQueue struct {
	name    string
	waiters []*waiter
}

// waiter is one request waiting for a token and a slot.
type waiter struct {
	q        *callerQueue
	ready    chan struct{} // closed when granted or refused
	granted  bool
	refused  bool
	retry    time.Duration // when refused: the estimated wait
	kind     string        // what it waited for: WaitRate or WaitConcurrency
	enqueued time.Time
	expiry   timer // the deadline's timer; nil without a deadline
}

// tokenEpsilon absorbs floating-point error in the token count.
const tokenEpsilon = 1e-9

// newAdmission returns an admission of rate tokens per second (0: no rate
// limit) with bursts of burst (at least 1), and slots concurrency slots (0:
// no concurrency limit), on clock c.
func newAdmission(c clock, rate float64, burst, slots int) *admission {
	burst = max(burst, 1)
	return &admission{
		clock: c, rate: rate, burst: float64(burst), slots: slots,
		tokens: float64(burst), last: c.Now(), callers: map[string]*callerQueue{},
	}
}

// acquire takes a token and a slot for a request made for caller, waiting
// its turn. release frees the slot (the token is spent). waited is how long
// it queued and kind what it queued for (the resource short when it
// arrived); waited is 0 when it went at once. deadline is read when the
// request arrives and again whenever the deadline it told passes.
func (a *admission) acquire(ctx context.Context, caller string, deadline func() (time.Time, bool)) (release func(), kind string, waited time.Duration, err error) {
	a.mu.Lock()
	now := a.clock.Now()
	a.refillLocked(now)
	if len(a.ring) == 0 && a.freeLocked() {
		a.takeLocked()
		a.mu.Unlock()
		return a.releaser(), "", 0, nil
	}
	w := &waiter{ready: make(chan struct{}), enqueued: now, kind: WaitConcurrency}
	if a.rate > 0 && a.tokens < 1-tokenEpsilon {
		w.kind = WaitRate
	}
	a.enqueueLocked(caller, w)
	if dl, ok := deadline(); ok {
		if est := a.estimateLocked(w); !dl.After(now) || (est > 0 && now.Add(est).After(dl)) {
			a.removeLocked(w)
			a.mu.Unlock()
			return nil, w.kind, 0, &modeclient.NotSentError{Reason: modeclient.NotSentRateLimited, RetryAfter: est}
		}
		a.armExpiryLocked(w, dl.Sub(now), deadline)
	}
	a.armLocked()
	a.mu.Unlock()

	select {
	case <-w.ready:
	case <-ctx.Done():
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if w.expiry != nil {
		w.expiry.Stop()
	}
	switch {
	case w.refused:
		return nil, w.kind, 0, &modeclient.NotSentError{Reason: modeclient.NotSentRateLimited, RetryAfter: w.retry}
	case ctx.Err() != nil:
		if w.granted {
			a.giveBackLocked()
		} else {
			a.removeLocked(w)
		}
		return nil, w.kind, 0, ctx.Err()
	}
	return a.releaser(), w.kind, a.clock.Now().Sub(w.enqueued), nil
}

// releaser returns the function that frees a granted slot, once.
func (a *admission) releaser() func() {
	if a.slots == 0 {
		return func() {}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			a.inUse--
			a.dispatchLocked(a.clock.Now())
			a.mu.Unlock()
		})
	}
}

// tokensNow returns the tokens in the bucket now less the requests waiting
// in line: the burst when idle, 0 or less while requests wait for the limit
// (for the rate-limit tokens gauge). Without a rate limit it is 0.
func (a *admission) tokensNow() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rate <= 0 {
		return 0
	}
	a.refillLocked(a.clock.Now())
	waiting := 0
	for _, q := range a.ring {
		waiting += len(q.waiters)
	}
	return a.tokens - float64(waiting)
}

// refillLocked brings the token count up to now.
func (a *admission) refillLocked(now time.Time) {
	if a.rate <= 0 {
		return
	}
	if now.After(a.last) {
		a.tokens = math.Min(a.burst, a.tokens+a.rate*now.Sub(a.last).Seconds())
		a.last = now
	}
}

// freeLocked reports whether a token and a slot are free.
func (a *admission) freeLocked() bool {
	return (a.rate <= 0 || a.tokens >= 1-tokenEpsilon) && (a.slots == 0 || a.inUse < a.slots)
}

func (a *admission) takeLocked() {
	if a.rate > 0 {
		a.tokens--
	}
	if a.slots > 0 {
		a.inUse++
	}
}

// giveBackLocked returns the token and slot of a request granted but
// cancelled before it could use them.
func (a *admission) giveBackLocked() {
	if a.rate > 0 {
		a.tokens = math.Min(a.burst, a.tokens+1)
	}
	if a.slots > 0 {
		a.inUse--
	}
	a.dispatchLocked(a.clock.Now())
}

// enqueueLocked puts w at the end of caller's queue, and the caller at the
// end of the ring if it had nothing waiting.
func (a *admission) enqueueLocked(caller string, w *waiter) {
	q := a.callers[caller]
	if q == nil {
		q = &callerQueue{name: caller}
		a.callers[caller] = q
		a.ring = append(a.ring, q)
	}
	w.q = q
	q.waiters = append(q.waiters, w)
}

// removeLocked takes a waiting w out of its queue (and its caller out of the
// ring when nothing else of it waits). A no-op for a w no longer queued.
func (a *admission) removeLocked(w *waiter) {
	q := w.q
	i := slices.Index(q.waiters, w)
	if i < 0 {
		return
	}
	q.waiters = slices.Delete(q.waiters, i, i+1)
	if len(q.waiters) == 0 {
		a.dropLocked(q)
	}
}

func (a *admission) dropLocked(q *callerQueue) {
	if i := slices.Index(a.ring, q); i >= 0 {
		a.ring = slices.Delete(a.ring, i, i+1)
	}
	delete(a.callers, q.name)
}

// dispatchLocked grants the free tokens and slots in round robin and arms
// the timer of the next token if requests are left waiting for one.
func (a *admission) dispatchLocked(now time.Time) {
	a.refillLocked(now)
	for len(a.ring) > 0 && a.freeLocked() {
		q := a.ring[0]
		w := q.waiters[0]
		q.waiters = slices.Delete(q.waiters, 0, 1)
		if len(q.waiters) == 0 {
			a.dropLocked(q)
		} else {
			a.ring = append(a.ring[1:], q)
		}
		a.takeLocked()
		w.granted = true
		close(w.ready)
	}
	a.armLocked()
}

// armLocked arms the dispatch timer when requests wait for a token.
func (a *admission) armLocked() {
	if a.timer != nil || len(a.ring) == 0 || a.rate <= 0 || a.tokens >= 1-tokenEpsilon {
		return
	}
	d := time.Duration(math.Ceil((1 - a.tokens) / a.rate * float64(time.Second)))
	a.timer = a.clock.AfterFunc(d, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.timer = nil
		a.dispatchLocked(a.clock.Now())
	})
}

// armExpiryLocked refuses w at its deadline, d from now, unless it was
// granted by then or its deadline grew meanwhile.
func (a *admission) armExpiryLocked(w *waiter, d time.Duration, deadline func() (time.Time, bool)) {
	w.expiry = a.clock.AfterFunc(d, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if w.granted || w.refused || slices.Index(w.q.waiters, w) < 0 {
			return
		}
		now := a.clock.Now()
		dl, ok := deadline()
		if !ok {
			return // a caller without a deadline joined: wait for the turn
		}
		if dl.After(now) {
			a.armExpiryLocked(w, dl.Sub(now), deadline)
			return
		}
		a.refillLocked(now)
		w.retry = max(a.estimateLocked(w), time.Millisecond)
		a.removeLocked(w)
		w.refused = true
		close(w.ready)
	})
}

// estimateLocked is how long from now until w's turn: the requests that
// round robin serves before it, from the queues as they are, less the
// tokens already there, at the rate. A request waiting for a slot alone
// counts 0 (when a slot frees is not known).
func (a *admission) estimateLocked(w *waiter) time.Duration {
	if a.rate <= 0 {
		return 0
	}
	i := slices.Index(w.q.waiters, w)
	pos, passed := 0, false
	for _, q := range a.ring {
		switch {
		case q == w.q:
			pos += i + 1
			passed = true
		case !passed:
			pos += min(len(q.waiters), i+1)
		default:
			pos += min(len(q.waiters), i)
		}
	}
	need := float64(pos) - a.tokens
	if need <= tokenEpsilon {
		return 0
	}
	return time.Duration(math.Ceil(need / a.rate * float64(time.Second)))
}

// waiting is how many requests are queued (for tests and metrics).
func (a *admission) waiting() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, q := range a.ring {
		n += len(q.waiters)
	}
	return n
}

// clock is the admission's time source: the real one, or a test's.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) timer
}

// timer is a pending AfterFunc.
type timer interface {
	Stop() bool
}

// realClock is time's.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) timer { return time.AfterFunc(d, f) }

// held is how many concurrency slots are held (for tests).
func (a *admission) held() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inUse
}
