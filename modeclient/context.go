package modeclient

import (
	"context"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// ctxKey keys the values this package puts in a context.
type ctxKey int

const (
	bypassKey ctxKey = iota
	observerKey
	routeKey
	streamedKey
)

// WithCacheBypass returns a context whose GETs skip the cache lookup, fetch
// fresh from Mode and refresh the cached entry.
func WithCacheBypass(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassKey, true)
}

func cacheBypassed(ctx context.Context) bool {
	b, _ := ctx.Value(bypassKey).(bool)
	return b
}

// CallInfo describes one finished client call, for telemetry and access logs.
type CallInfo struct {
	Method string // HTTP method
	Route  string // path template, e.g. "/api/{workspace}/reports/{report}"
	// Cached is true when the call went through the cache; Outcome is then
	// how the cache answered (hit, miss, coalesced, bypass).
	Cached  bool
	Outcome cache.Outcome
	// Attempts is how many HTTP requests this call sent to Mode: 0 when it
	// was answered from the cache or by another caller's coalesced fetch.
	Attempts int
	// StatusCode is the status of the last response Mode sent, 0 if none.
	StatusCode int
}

// WithCallObserver returns a context on which every client call reports a
// CallInfo to fn when it finishes (before the method returns; for streams,
// when the response headers arrived). fn must be safe for concurrent use.
func WithCallObserver(ctx context.Context, fn func(CallInfo)) context.Context {
	return context.WithValue(ctx, observerKey, fn)
}

// RouteFromContext returns the method and route template of the Mode request
// carried by ctx (the context of an outgoing *http.Request made by this
// client), for transport-level telemetry such as span names.
func RouteFromContext(ctx context.Context) (method, route string, ok bool) {
	r, ok := ctx.Value(routeKey).([2]string)
	return r[0], r[1], ok
}

// CallerDeadline returns the deadline of the callers on whose behalf the
// outgoing request carried by ctx is made, when that request runs on a
// detached context: a cache fetch shared by several callers runs with its own
// timeout, and on behalf of the most patient of them, so this is the latest
// deadline among the callers that asked for its result so far (see
// cache.CallersDeadline), not the deadline of the one that happened to start
// it. A transport that waits before sending (a rate limiter) should not wait
// past it. ok is false when the request's own context deadline is the
// caller's, or when a caller without a deadline waits for it.
func CallerDeadline(ctx context.Context) (deadline time.Time, ok bool) {
	return cache.CallersDeadline(ctx)
}

// callerKey keys the caller identity WithCaller puts in a context.
type callerKey struct{}

// WithCaller returns a context whose requests to Mode are made on behalf of
// caller: a name that a transport under the client (a rate limiter that
// shares Mode's budget fairly among callers, a meter of each caller's
// upstream spend) may schedule and count by. The name travels with the
// context's values, so a cache fetch — which runs detached from its caller
// but keeps its values — carries the identity of the caller that started it:
// a fetch shared by several callers (coalesced) is charged to that one alone.
// An empty caller leaves ctx as it is.
func WithCaller(ctx context.Context, caller string) context.Context {
	if caller == "" {
		return ctx
	}
	return context.WithValue(ctx, callerKey{}, caller)
}

// CallerFromContext returns the caller set by WithCaller on ctx (or on the
// context of the caller whose cache fetch ctx belongs to); ok is false when
// none was set.
func CallerFromContext(ctx context.Context) (caller string, ok bool) {
	caller, ok = ctx.Value(callerKey{}).(string)
	return caller, ok
}
