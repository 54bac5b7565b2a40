package cache

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// flight is one fetch in progress, shared by every caller that joins it.
type flight struct {
	key      Key
	start    uint64 // Cache.tick when it started
	deadline int64  // Cache.clock after which nobody joins it any more
	waiters  int    // callers that joined after the first (under Cache.mu; for tests)
	done     chan struct{}
	result   Entry // set before done is closed
	err      error

	// The latest deadline among the callers that asked for the result: the
	// fetch serves the most patient of them, not the one that started it.
	dlMu      sync.Mutex
	latest    time.Time
	unbounded bool // a caller without a deadline asked
}

// addCaller counts ctx's deadline into the deadline the fetch works to.
func (f *flight) addCaller(ctx context.Context) {
	dl, ok := ctx.Deadline()
	f.dlMu.Lock()
	defer f.dlMu.Unlock()
	switch {
	case !ok:
		f.unbounded = true
	case dl.After(f.latest):
		f.latest = dl
	}
}

// flightKey is the context key under which a fetch's context carries its flight.
type flightKey struct{}

// CallersDeadline returns, on the context a fetch function runs on, the
// latest deadline among the callers that asked for its result so far: the
// first one's, pushed later by every caller with a later deadline that
// joins. A fetch (or a transport under it) should start no wait that ends
// after it — nobody would be left to take the answer — and may start any
// wait that ends before it, however short the first caller's own deadline
// was. ok is false when ctx is not a fetch's, or when a caller without a
// deadline asked: then only the fetch's own bound (FetchTimeout, the
// deadline of ctx) applies. Callers that gave up still count: the deadline
// only grows while the fetch runs.
func CallersDeadline(ctx context.Context) (deadline time.Time, ok bool) {
	f, _ := ctx.Value(flightKey{}).(*flight)
	if f == nil {
		return time.Time{}, false
	}
	f.dlMu.Lock()
	defer f.dlMu.Unlock()
	if f.unbounded {
		return time.Time{}, false
	}
	return f.latest, true
}

// PanicError is the error every waiter gets when the fetch panicked. The
// panic does not propagate: it happened on the cache's goroutine, where
// re-panicking would kill the process.
type PanicError struct {
	Value any    // what the fetch panicked with
	Stack []byte // the fetch goroutine's stack at the panic
}

// Error reports the panic value (not the stack).
func (e *PanicError) Error() string { return fmt.Sprintf("cache: fetch panicked: %v", e.Value) }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

var (
	errNilFetch    = errors.New("cache: nil fetch function")
	errFetchGoexit = errors.New("cache: fetch called runtime.Goexit")
)

// Get returns the body stored for key or, on a miss, fetches it once for
// every concurrent caller of the same key and stores it for its TTL.
//
// The fetch runs on its own goroutine, on context.WithoutCancel(ctx) bounded
// by Options.FetchTimeout (and cancelled by Close), so the caller that
// started it can give up without failing the others; every caller waits on
// its own ctx and gets ctx.Err() when that ends first. The fetch's context
// tells the latest deadline among its callers (CallersDeadline), so that a
// fetch started by an impatient caller still waits (for a rate limit, a
// Retry-After) on behalf of the patient ones that joined it. A fetch error is
// returned to every waiter and never stored; a panic in fetch becomes a
// *PanicError. Callers never join a fetch that started before an Invalidate,
// nor one older than FetchTimeout.
//
// With bypass, Get skips the lookup and fetches fresh, storing (or, for TTL
// <= 0, removing) the entry. A bypassing caller still joins a fetch of the
// same key already in flight, bypassing or not, that started after the last
// Invalidate: an in-flight response is not a stored one, it comes from Mode
// as fresh as a new request would, and joining spares the rate limit when
// many clients send no-cache at once (it then reports OutcomeCoalesced).
//
// The returned body is shared with the cache and other callers: do not
// modify it.
func (c *Cache) Get(ctx context.Context, key Key, bypass bool, fetch func(ctx context.Context) (Fetched, error)) ([]byte, Outcome, error) {
	e, o, err := c.GetEntry(ctx, key, bypass, fetch)
	return e.Body, o, err
}

// GetEntry is Get returning the body's decoded form beside it, when the
// entry (or the fetch the caller joined) has one: see Fetched.Value and
// Attach. Both are shared with the cache and other callers: do not modify
// them.
func (c *Cache) GetEntry(ctx context.Context, key Key, bypass bool, fetch func(ctx context.Context) (Fetched, error)) (Entry, Outcome, error) {
	if fetch == nil {
		return Entry{}, OutcomeMiss, errNilFetch
	}
	now := c.clock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return Entry{}, OutcomeMiss, ErrClosed
	}
	if !bypass {
		if e, ok := c.lookupLocked(key, now); ok {
			c.mu.Unlock()
			c.hits.Add(1)
			return e, OutcomeHit, nil
		}
	}
	outcome := OutcomeMiss
	if bypass {
		outcome = OutcomeBypass
	}
	if err := ctx.Err(); err != nil {
		// Nobody would wait for the answer: spend no upstream request on it.
		c.mu.Unlock()
		return Entry{}, outcome, err
	}
	if f, ok := c.flights[key]; ok && f.start > c.lastInval && now < f.deadline {
		f.waiters++
		f.addCaller(ctx)
		c.mu.Unlock()
		c.coalesced.Add(1)
		return wait(ctx, f, OutcomeCoalesced)
	}
	c.tick++
	f := &flight{key: key, start: c.tick, deadline: now + int64(c.fetchTimeout), done: make(chan struct{})}
	f.addCaller(ctx)
	c.flights[key] = f // replaces a stale or overdue flight, which still finishes for its own waiters
	c.running[f] = struct{}{}
	shared := c.shared
	c.mu.Unlock()
	if bypass {
		c.bypasses.Add(1)
	} else {
		c.misses.Add(1)
	}
	if shared != nil {
		fetch = sharedFetch(shared, key, bypass, fetch)
	}
	go c.run(ctx, f, fetch)
	return wait(ctx, f, outcome)
}

// wait returns f's result, or ctx's error if ctx ends first.
func wait(ctx context.Context, f *flight, o Outcome) (Entry, Outcome, error) {
	select {
	case <-f.done:
		return f.result, o, f.err
	case <-ctx.Done():
		return Entry{}, o, ctx.Err()
	}
}

// run performs f's fetch detached from the caller and always finishes f,
// even if fetch panics or calls runtime.Goexit.
func (c *Cache) run(parent context.Context, f *flight, fetch func(context.Context) (Fetched, error)) {
	ctx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(parent), flightKey{}, f), c.fetchTimeout)
	stop := context.AfterFunc(c.closing, cancel)
	var (
		res      Fetched
		err      error
		returned bool
	)
	defer func() {
		if !returned {
			if p := recover(); p != nil {
				err = &PanicError{Value: p, Stack: debug.Stack()}
			} else {
				err = errFetchGoexit
			}
		}
		stop()
		cancel()
		c.finish(f, res, err)
	}()
	res, err = fetch(ctx)
	returned = true
}

// finish stores f's result when allowed, retires f and wakes its waiters.
func (c *Cache) finish(f *flight, res Fetched, err error) {
	now := c.clock()
	c.mu.Lock()
	if c.flights[f.key] == f {
		delete(c.flights, f.key)
	}
	delete(c.running, f)
	if err == nil && !c.closed {
		c.storeFetchedLocked(f, res, now)
	}
	if len(c.running) == 0 && len(c.tagGen) > 0 {
		clear(c.tagGen) // no fetch left that an invalidation could make stale
	}
	c.mu.Unlock()
	if err != nil {
		c.fetchErrors.Add(1)
		f.result, f.err = Entry{}, err
	} else {
		f.result = Entry{Body: res.Body, Value: res.Value}
	}
	close(f.done)
}

// storeFetchedLocked stores a fetch result unless an invalidation made it
// stale or a fresher result is already stored.
func (c *Cache) storeFetchedLocked(f *flight, res Fetched, now int64) {
	if f.start < c.purged {
		c.stale.Add(1)
		return
	}
	for _, t := range res.Tags {
		if g, ok := c.tagGen[t]; ok && g > f.start {
			c.stale.Add(1)
			return
		}
	}
	if e, ok := c.lru.Peek(c.viewKeyLocked(f.key)); ok && e.tick > f.start {
		return // e.g. a bypass fetch that started later already finished
	}
	c.putLocked(f.key, res.Body, res.Value, res.ValueSize, res.TTL, res.Tags, f.start, now)
}
