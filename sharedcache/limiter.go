package sharedcache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Waiter is the shape of a rate limit toward Mode: Wait blocks until a request for key (a
// workspace, say) may be sent, or returns an error when ctx ends first or its deadline would
// pass before then. The in-process limiter of package upstream has it; Limiter has it too and
// falls back to one while Redis is down.
type Waiter interface {
	Wait(ctx context.Context, key string) error
}

// ErrWouldExceedDeadline is what Limiter.Wait's error matches (errors.Is) when the wait would
// outlast ctx's deadline: the caller learns at once instead of at its deadline. The error is a
// *DeadlineError, which says how long the wait would have been.
var ErrWouldExceedDeadline = errors.New("sharedcache: rate limit wait would exceed the context deadline")

// DeadlineError is Limiter.Wait's error when the wait would outlast the context's deadline.
type DeadlineError struct {
	Wait time.Duration // how long the request would have had to wait
}

// Error implements error.
func (e *DeadlineError) Error() string {
	return fmt.Sprintf("%v (by a wait of %v)", ErrWouldExceedDeadline, e.Wait)
}

// Is makes errors.Is(err, ErrWouldExceedDeadline) true.
func (e *DeadlineError) Is(target error) bool { return target == ErrWouldExceedDeadline }

// Limiter is a rate limit that every replica shares through Redis: perSecond requests per
// second per key with bursts of up to burst, across the whole deployment (GCRA, the generic cell
// rate algorithm, on Redis's clock: one key and one round trip per request). Mode limits each
// credential, whatever the number of replicas; a per-replica limit would have to divide its
// budget by a replica count that the autoscaler keeps changing.
//
// While Redis is down (or the L2 closed) Wait defers to the fallback Waiter, typically the
// in-process limiter with the whole budget: a replica alone then, or a few, may together exceed
// the budget for the outage, and Mode's 429s (which modeclient retries) cap the excess.
type Limiter struct {
	l2       *L2
	interval time.Duration // between two requests at the sustained rate
	burst    int
	fallback Waiter
}

// NewLimiter returns a shared limiter of perSecond requests per second with bursts of burst.
// Mode allows 40 requests per 10 seconds per credential: NewLimiter(3.6, 4, …) stays under it in
// every 10-second window (burst + perSecond × 10 ≤ 40). fallback may be nil (no limit while Redis
// is down).
func (l *L2) NewLimiter(perSecond float64, burst int, fallback Waiter) (*Limiter, error) {
	if perSecond <= 0 || math.IsInf(perSecond, 0) || math.IsNaN(perSecond) || burst < 1 {
		return nil, fmt.Errorf("sharedcache: limiter needs a positive finite rate and a burst >= 1, not %v and %d", perSecond, burst)
	}
	return &Limiter{l2: l, interval: time.Duration(float64(time.Second) / perSecond), burst: burst, fallback: fallback}, nil
}

// Wait blocks until a request for key may go, as counted across every replica.
func (lim *Limiter) Wait(ctx context.Context, key string) error {
	l := lim.l2
	interval := lim.interval.Microseconds()
	tolerance := interval * int64(lim.burst-1)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !l.available() {
			return lim.fallbackWait(ctx, key)
		}
		octx, cancel := l.opCtx(ctx)
		us, err := limitScript.Run(octx, l.rdb, []string{l.keys.limiter(key)}, interval, tolerance).Int64()
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.failed(ctx, "rate limit", err)
			return lim.fallbackWait(ctx, key)
		}
		l.succeeded()
		if us <= 0 {
			return nil
		}
		d := time.Duration(us) * time.Microsecond
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return &DeadlineError{Wait: d}
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

func (lim *Limiter) fallbackWait(ctx context.Context, key string) error {
	if lim.fallback == nil {
		return nil
	}
	return lim.fallback.Wait(ctx, key)
}
