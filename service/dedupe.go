package service

import (
	"context"
	"sync"
	"time"

	"connectrpc.com/connect"
	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/protobuf/proto"
)

// dedupe makes creating methods safe to retry (AIP-155): within a window, a
// request with the same request_id answers the first request's result
// instead of creating again. A duplicate arriving while the first is still
// in flight waits for it. The id is scoped by method and workspace (and the
// caller, once callers are identified), and bound to the request's content:
// the same id with a different request is refused.
type dedupe struct {
	window time.Duration
	now    func() time.Time
	mu     sync.Mutex
	byKey  *lru.Cache[string, *dedupeEntry]
}

type dedupeEntry struct {
	fingerprint uint64
	done        chan struct{} // closed when res/err are set
	res         proto.Message
	err         error
	expires     time.Time
}

func newDedupe(entries int, window time.Duration, now func() time.Time) *dedupe {
	c, err := lru.New[string, *dedupeEntry](entries)
	if err != nil {
		panic(err) // only for entries <= 0, which setDefaults rules out
	}
	return &dedupe{window: window, now: now, byKey: c}
}

// do runs create once per (scope, requestID) within the window. An empty
// requestID runs create every time. fingerprint identifies the request's
// content.
func do[M proto.Message](ctx context.Context, d *dedupe, scope, requestID string, fingerprint uint64, create func(context.Context) (M, error)) (M, error) {
	var zero M
	if requestID == "" {
		return create(ctx)
	}
	key := scope + "\x00" + requestID
	d.mu.Lock()
	e, ok := d.byKey.Get(key)
	if ok && !e.expires.IsZero() && d.now().After(e.expires) {
		d.byKey.Remove(key)
		ok = false
	}
	if ok {
		d.mu.Unlock()
		if e.fingerprint != fingerprint {
			return zero, invalidArgument("request_id", "was already used for a different request")
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return zero, upstreamError(ctx.Err(), "request "+requestID)
		}
		if e.err != nil {
			return zero, e.err
		}
		return proto.Clone(e.res).(M), nil
	}
	e = &dedupeEntry{fingerprint: fingerprint, done: make(chan struct{})}
	d.byKey.Add(key, e)
	d.mu.Unlock()

	// The create runs to completion even if this caller goes away: others
	// may be waiting for it, and a write half done is worse than one done.
	res, err := create(context.WithoutCancel(ctx))
	d.mu.Lock()
	e.expires = d.now().Add(d.window)
	if err != nil && !maybeProcessed(err) {
		// Mode certainly did nothing: a retry with this id may try again.
		if cur, ok := d.byKey.Peek(key); ok && cur == e {
			d.byKey.Remove(key)
		}
	}
	e.err = err
	if err == nil {
		e.res = proto.Clone(res)
	}
	close(e.done)
	d.mu.Unlock()
	if err == nil && ctx.Err() != nil {
		return zero, upstreamError(ctx.Err(), "request "+requestID)
	}
	return res, err
}

// maybeProcessed reports whether a failed create may still have happened in
// Mode: those outcomes are remembered for the window, so a retry answers the
// same error rather than creating a second time.
func maybeProcessed(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeInvalidArgument, connect.CodeNotFound, connect.CodePermissionDenied,
		connect.CodeUnauthenticated, connect.CodeFailedPrecondition, connect.CodeResourceExhausted,
		connect.CodeAlreadyExists, connect.CodeCanceled:
		return false
	case connect.CodeUnavailable:
		// Mode's 429 means it did not process the request.
		return !hasReason(err, ReasonUpstreamRateLimited)
	}
	return true
}
