// Package ratelimit protects the server from callers that call too often or
// hold too many streams: a token bucket (golang.org/x/time/rate) and a count
// of open server streams per caller, as a Connect handler interceptor. A
// call over the caller's rate is ResourceExhausted with a QuotaFailure and a
// RetryInfo telling when a token will be there; a stream over the caller's
// stream limit is ResourceExhausted with a QuotaFailure. Nothing waits: a
// refused call costs the server nothing but the check.
//
// This is a ceiling on calls, whatever they cost: a generous one, there to
// stop a runaway caller from taking a replica's CPU, not to ration Mode. A
// call answered from the cache costs Mode nothing; what a caller spends of
// Mode's budget is metered and shared fairly below, per credential, by
// package upstream, which learns whom each request is for from the caller
// identity this interceptor names (Options.Attach).
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/modeplatform/modeplatform/internal/errdetail"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of this package's errors
// (the same for every modeplatform error: errdetail.Domain).
const ErrorDomain = errdetail.Domain

// ErrorInfo reasons of this package's errors.
const (
	ReasonCallerRateLimited   = "CALLER_RATE_LIMITED"
	ReasonCallerStreamLimited = "CALLER_STREAM_LIMITED"
)

// Options configure a Limiter.
type Options struct {
	// RPS is each caller's sustained calls per second; <= 0: no rate limit.
	RPS float64
	// Burst is how many calls a caller may make at once after idling;
	// default max(1, ceil(RPS)).
	Burst int
	// MaxStreams is how many server streams a caller may hold open at once;
	// <= 0: no limit.
	MaxStreams int
	// Identify names the caller of a call (an authenticated identity, else
	// the peer's address). Required.
	Identify func(ctx context.Context, peer connect.Peer) string
	// Attach, when set, returns the context the call goes on with, given
	// the caller's name (modeclient.WithCaller, say: the upstream limits
	// then share Mode's budget by caller). It runs for every admitted call,
	// limited or not.
	Attach func(ctx context.Context, caller string) context.Context
	// MaxCallers bounds the callers tracked at once; callers idle the
	// longest are forgotten first (their bucket is full again anyway).
	// Default 10,000.
	MaxCallers int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Limiter is the interceptor. Create it with New.
type Limiter struct {
	opts Options

	mu      sync.Mutex
	callers map[string]*callerState
}

type callerState struct {
	lim      *rate.Limiter // nil: no rate limit
	streams  int
	lastSeen time.Time
}

// New returns a Limiter.
func New(opts Options) (*Limiter, error) {
	if opts.Identify == nil {
		return nil, errors.New("ratelimit: Options.Identify is required")
	}
	if math.IsNaN(opts.RPS) || math.IsInf(opts.RPS, 0) {
		return nil, fmt.Errorf("ratelimit: RPS %v", opts.RPS)
	}
	if opts.Burst <= 0 {
		opts.Burst = max(1, int(math.Ceil(opts.RPS)))
	}
	if opts.MaxCallers <= 0 {
		opts.MaxCallers = 10_000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Limiter{opts: opts, callers: map[string]*callerState{}}, nil
}

// state returns the caller's state, creating it (and forgetting idle
// callers when there are too many). l.mu is held.
func (l *Limiter) stateLocked(id string, now time.Time) *callerState {
	st, ok := l.callers[id]
	if !ok {
		if len(l.callers) >= l.opts.MaxCallers {
			l.evictLocked(now)
		}
		st = &callerState{}
		if l.opts.RPS > 0 {
			st.lim = rate.NewLimiter(rate.Limit(l.opts.RPS), l.opts.Burst)
		}
		l.callers[id] = st
	}
	st.lastSeen = now
	return st
}

// evictLocked forgets callers without open streams whose bucket has refilled,
// or, if none has, the half idle the longest.
func (l *Limiter) evictLocked(now time.Time) {
	full := time.Duration(float64(l.opts.Burst) / math.Max(l.opts.RPS, 1e-9) * float64(time.Second))
	for id, st := range l.callers {
		if st.streams == 0 && now.Sub(st.lastSeen) >= full {
			delete(l.callers, id)
		}
	}
	if len(l.callers) < l.opts.MaxCallers {
		return
	}
	var oldest time.Time
	n := 0
	for _, st := range l.callers {
		if st.streams == 0 && (n == 0 || st.lastSeen.Before(oldest)) {
			oldest = st.lastSeen
		}
		n++
	}
	cut := oldest.Add(now.Sub(oldest) / 2)
	for id, st := range l.callers {
		if st.streams == 0 && !st.lastSeen.After(cut) {
			delete(l.callers, id)
		}
	}
}

// allow takes a token for id or returns the ResourceExhausted error.
func (l *Limiter) allow(id string) error {
	if l.opts.RPS <= 0 {
		return nil
	}
	now := l.opts.Now()
	l.mu.Lock()
	st := l.stateLocked(id, now)
	r := st.lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	if wait > 0 {
		r.CancelAt(now) // a refused call takes no token
	}
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	e := connect.NewError(connect.CodeResourceExhausted,
		fmt.Errorf("caller %s is over its rate limit of %g calls per second; retry after %s", id, l.opts.RPS, wait.Round(time.Millisecond)))
	addDetails(e, ReasonCallerRateLimited, id, fmt.Sprintf("at most %g calls per second, bursts of %d", l.opts.RPS, l.opts.Burst))
	errdetail.AddRetry(e, wait)
	return e
}

// openStream counts a stream for id; release undoes it.
func (l *Limiter) openStream(id string) (release func(), err error) {
	if l.opts.MaxStreams <= 0 {
		return func() {}, nil
	}
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.stateLocked(id, now)
	if st.streams >= l.opts.MaxStreams {
		e := connect.NewError(connect.CodeResourceExhausted,
			fmt.Errorf("caller %s already holds %d open streams, its limit", id, st.streams))
		addDetails(e, ReasonCallerStreamLimited, id, fmt.Sprintf("at most %d open streams", l.opts.MaxStreams))
		return nil, e
	}
	st.streams++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			st.streams--
			st.lastSeen = l.opts.Now()
			l.mu.Unlock()
		})
	}, nil
}

func addDetails(e *connect.Error, reason, id, desc string) {
	errdetail.Add(e, &errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{
		Subject: "caller:" + id, Description: desc,
	}}})
	errdetail.AddInfo(e, reason, map[string]string{"caller": id})
}

// WrapUnary refuses a unary call over its caller's rate.
func (l *Limiter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		id := l.opts.Identify(ctx, req.Peer())
		if err := l.allow(id); err != nil {
			return nil, err
		}
		return next(l.attach(ctx, id), req)
	}
}

func (l *Limiter) attach(ctx context.Context, id string) context.Context {
	if l.opts.Attach == nil {
		return ctx
	}
	return l.opts.Attach(ctx, id)
}

// WrapStreamingClient leaves clients alone (this is a handler interceptor).
func (l *Limiter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler refuses a stream over its caller's rate or stream
// limit; an admitted stream counts until it ends.
func (l *Limiter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		id := l.opts.Identify(ctx, conn.Peer())
		if err := l.allow(id); err != nil {
			return err
		}
		release, err := l.openStream(id)
		if err != nil {
			return err
		}
		defer release()
		return next(l.attach(ctx, id), conn)
	}
}

// Callers reports how many callers are tracked (for tests and metrics).
func (l *Limiter) Callers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.callers)
}
