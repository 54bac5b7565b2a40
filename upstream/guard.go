package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/modeplatform/modeplatform/modeclient"
)

// Wait kinds reported to Options.ObserveWait.
const (
	WaitRate        = "rate"        // waiting for a token of the rate limit toward Mode
	WaitConcurrency = "concurrency" // waiting for a free slot of the concurrency limit
	WaitStreams     = "streams"     // waiting for a free slot of the streamed-body limit
)

// guard is the http.RoundTripper in front of one credential's requests to
// Mode: a circuit breaker, a concurrency limit and a token bucket, the last
// two shared fairly among the callers waiting for them (admission). Every
// request the client sends passes it, retries included.
//
// Order: a breaker already open refuses at once; then, for a streamed body
// (modeclient.Streamed: a query result its caller may read for long), a
// slot of the stream limit, held until the body is closed; then a token and
// a slot of the concurrency limit together, granted in turn to the callers
// waiting (round robin across callers, FIFO within one: see admission) —
// the slot held until the response body is closed, or for a streamed body
// only until its headers arrive, so that slow readers of results never
// starve the other requests. No wait outlasts the caller's deadline: a
// request whose turn would come after it is not queued at all, and one
// still queued at it is refused then (NotSentError rate_limited). Then the
// breaker admits the request (half-open admits one probe) and learns its
// outcome: 5xx answers and transport failures count against Mode, other
// answers (429 included) for it; failures caused by the caller's own
// cancellation or deadline count neither way. Each request sent is charged
// to the caller it is made for (Options.ObserveSend).
type guard struct {
	next    http.RoundTripper
	adm     *admission    // nil: neither a rate nor a concurrency limit
	streams chan struct{} // nil: no limit of streamed bodies
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]
	openFor time.Duration
	openAt  atomic.Int64 // unix nanos when the breaker last opened
	observe func(ctx context.Context, kind string, d time.Duration)
	sent    func(ctx context.Context, caller string) // nil: not observed
	now     func() time.Time
}

// Breaker outcomes reported to gobreaker.
var (
	errUpstreamFailed = errors.New("mode failed")
	errExcluded       = errors.New("ended by the caller")
)

// guardOptions are a guard's observers and clock.
type guardOptions struct {
	observeWait func(ctx context.Context, kind string, d time.Duration)
	observeSend func(ctx context.Context, caller string)
	onState     func(name string, from, to gobreaker.State)
	clock       clock // nil: the real one
}

func newGuard(next http.RoundTripper, name string, l Limits, o guardOptions) *guard {
	if o.clock == nil {
		o.clock = realClock{}
	}
	g := &guard{next: next, openFor: l.BreakerOpen, observe: o.observeWait, sent: o.observeSend, now: o.clock.Now}
	if l.RPS > 0 || l.Concurrency > 0 {
		g.adm = newAdmission(o.clock, max(l.RPS, 0), l.Burst, max(l.Concurrency, 0))
	}
	onState := o.onState
	if l.Streams > 0 {
		g.streams = make(chan struct{}, l.Streams)
	}
	failures := uint32(l.BreakerFailures)
	g.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     l.BreakerOpen,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsExcluded:  func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				g.openAt.Store(g.now().UnixNano())
			}
			if onState != nil {
				onState(name, from, to)
			}
		},
	})
	return g
}

// circuitOpen is the refusal of an open (or probing) breaker.
func (g *guard) circuitOpen() error {
	left := g.openFor - g.now().Sub(time.Unix(0, g.openAt.Load()))
	if left <= 0 {
		left = time.Second // half-open: one probe is out; ask again soon
	}
	return &modeclient.NotSentError{Reason: modeclient.NotSentCircuitOpen, RetryAfter: left}
}

// deadline is the earlier of the request's deadline and the deadline of
// the caller it is made for (a cache fetch runs detached from its caller).
func deadline(ctx context.Context) (time.Time, bool) {
	d, ok := ctx.Deadline()
	if cd, cok := modeclient.CallerDeadline(ctx); cok && (!ok || cd.Before(d)) {
		return cd, true
	}
	return d, ok
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if g.cb.State() == gobreaker.StateOpen {
		closeBody(req)
		return nil, g.circuitOpen()
	}
	streamed := modeclient.Streamed(ctx)
	releaseStream := func() {}
	if streamed && g.streams != nil {
		waitCtx := ctx
		if dl, ok := deadline(ctx); ok {
			var cancel context.CancelFunc
			waitCtx, cancel = context.WithDeadline(ctx, dl)
			defer cancel()
		}
		var err error
		if releaseStream, err = acquire(waitCtx, g.streams, func(d time.Duration) { g.report(ctx, WaitStreams, d) }, g.now); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	caller, _ := modeclient.CallerFromContext(ctx)
	releaseSlot := func() {}
	if g.adm != nil {
		var (
			kind   string
			waited time.Duration
			err    error
		)
		releaseSlot, kind, waited, err = g.adm.acquire(ctx, caller, func() (time.Time, bool) { return deadline(ctx) })
		if err != nil {
			releaseStream()
			closeBody(req)
			return nil, err
		}
		if waited > 0 {
			g.report(ctx, kind, waited)
		}
	}
	release := func() { releaseSlot(); releaseStream() }
	done, err := g.cb.Allow()
	if err != nil {
		release()
		closeBody(req)
		return nil, g.circuitOpen()
	}
	if g.sent != nil {
		g.sent(ctx, caller)
	}
	resp, err := g.next.RoundTrip(req)
	switch {
	case err != nil && ctx.Err() != nil:
		done(errExcluded)
	case err != nil:
		done(errUpstreamFailed)
	case resp.StatusCode >= 500:
		done(errUpstreamFailed)
	default:
		done(nil)
	}
	if err != nil {
		release()
		return nil, err
	}
	if streamed {
		// The headers are in: the body may be read for as long as the
		// caller takes, under the stream limit only.
		releaseSlot()
		release = releaseStream
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// acquire takes a slot of slots (nil: no limit), waiting until ctx ends;
// waited is told how long it waited, when it did.
func acquire(ctx context.Context, slots chan struct{}, waited func(time.Duration), now func() time.Time) (release func(), err error) {
	if slots == nil {
		return func() {}, nil
	}
	select {
	case slots <- struct{}{}:
	default:
		start := now()
		select {
		case slots <- struct{}{}:
			waited(now().Sub(start))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-slots }) }, nil
}

func (g *guard) report(ctx context.Context, kind string, d time.Duration) {
	if g.observe != nil {
		g.observe(ctx, kind, d)
	}
}

// closeBody closes a request body the transport will not send (a
// RoundTripper must close it).
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// releasingBody frees the concurrency slot when the response body is closed
// (or read to its end).
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
