package modeclient

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Tracing. The client itself only starts one kind of span: around each
// cached GET (WithCache) that is not a plain hit, so that a trace shows how
// the cache answered (a miss, a coalesced wait, a bypass) and the upstream
// HTTP request(s) as its children. A hit has no span: it costs a lookup,
// and a span would cost more than the call (the caller's own span can say
// it was served from the cache; the call observer reports the hit).
// The HTTP spans themselves belong to the transport (see WithHTTPClient and
// RouteFromContext); retries are reported through WithRetryObserver. The
// package uses only the OpenTelemetry API: without WithTracerProvider no span
// is started at all.

// TracerName is the instrumentation scope of the spans the client starts.
const TracerName = "github.com/modeplatform/modeplatform/modeclient"

// CacheSpanName is the name of the span around a cached GET.
const CacheSpanName = "modeclient.cache"

// Attributes of the cache span.
const (
	// AttrCacheOutcome is how the cache answered: "hit", "miss",
	// "coalesced" or "bypass" (cache.Outcome.String).
	AttrCacheOutcome = attribute.Key("cache.outcome")
	// AttrURLTemplate is the route template of the call, e.g.
	// "/api/{workspace}/reports/{report}" (never the concrete URL).
	AttrURLTemplate = attribute.Key("url.template")
	// AttrUpstreamRequests is how many HTTP requests this caller's call sent
	// to Mode (0 for a hit or a coalesced wait).
	AttrUpstreamRequests = attribute.Key("modeclient.upstream_requests")
)

// WithTracerProvider makes the client start a span named CacheSpanName
// around every GET served through the cache but not a hit, carrying the cache outcome;
// upstream requests made on a miss are its children. Without it (or with
// nil) no span is started.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *Client) error {
		if tp == nil {
			c.tracer = nil
			return nil
		}
		c.tracer = tp.Tracer(TracerName)
		return nil
	}
}

// cacheSpanStart caches the start options of the cache span by method and
// route template ([2]string): the set of routes is small and fixed, and
// building the options allocates on every call otherwise.
var cacheSpanStart sync.Map

// cacheSpanOptions returns the start options of the cache span of cl.
func cacheSpanOptions(cl *call) []trace.SpanStartOption {
	key := [2]string{cl.method, cl.route}
	if opts, ok := cacheSpanStart.Load(key); ok {
		return opts.([]trace.SpanStartOption)
	}
	opts := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(
			attribute.String("http.request.method", cl.method),
			AttrURLTemplate.String(cl.route),
		),
	}
	actual, _ := cacheSpanStart.LoadOrStore(key, opts)
	return actual.([]trace.SpanStartOption)
}

// cacheSpanNoRequest holds the end attributes of a cache span whose call
// sent no request (a hit, a coalesced wait), by outcome.
var cacheSpanNoRequest = func() (t [cache.OutcomeBypass + 1][]attribute.KeyValue) {
	for o := range t {
		t[o] = []attribute.KeyValue{AttrCacheOutcome.String(cache.Outcome(o).String()), AttrUpstreamRequests.Int(0)}
	}
	return t
}()

// cacheSpanEnd returns the attributes the cache span ends with. The caller
// must not modify the slice.
func cacheSpanEnd(o cache.Outcome, requests int) []attribute.KeyValue {
	if requests == 0 && o >= 0 && int(o) < len(cacheSpanNoRequest) {
		return cacheSpanNoRequest[o]
	}
	return []attribute.KeyValue{AttrCacheOutcome.String(o.String()), AttrUpstreamRequests.Int(requests)}
}

func endNothing(cache.Outcome, error) {}

// startCacheSpan starts the cache span of cl when tracing is on. end records
// the outcome and error and ends the span.
func (c *Client) startCacheSpan(ctx context.Context, cl *call) (context.Context, func(cache.Outcome, error)) {
	if c.tracer == nil {
		return ctx, endNothing
	}
	ctx, span := c.tracer.Start(ctx, CacheSpanName, cacheSpanOptions(cl)...)
	if !span.IsRecording() {
		return ctx, endNothing // a span that is not recorded has nothing to end
	}
	return ctx, func(o cache.Outcome, err error) {
		span.SetAttributes(cacheSpanEnd(o, int(cl.attempts.Load()))...)
		if err != nil {
			// The client's errors name the route, never the URL or credentials.
			span.SetStatus(codes.Error, err.Error())
			var ae *APIError
			if errors.As(err, &ae) {
				span.SetAttributes(attribute.Int("http.response.status_code", ae.StatusCode))
			}
		}
		span.End()
	}
}
