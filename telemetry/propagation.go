package telemetry

import (
	"context"
	"net/http"
	"net/textproto"

	"go.opentelemetry.io/otel/propagation"
)

// headerPropagator is the propagator otelconnect and otelhttp use: the
// W3C tracecontext + baggage propagator, except that a
// propagation.HeaderCarrier (what both pass) is read and written under the
// canonical header names of the W3C fields, known in advance, instead of
// canonicalizing "traceparent", "tracestate" and "baggage" again (and
// allocating) on every Get and Set of every RPC and upstream request.
// http.Header keys are canonical, so the result is the same.
type headerPropagator struct{ propagation.TextMapPropagator }

// Extract implements propagation.TextMapPropagator.
func (p headerPropagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	if h, ok := carrier.(propagation.HeaderCarrier); ok {
		carrier = canonicalHeaders(h)
	}
	return p.TextMapPropagator.Extract(ctx, carrier)
}

// Inject implements propagation.TextMapPropagator.
func (p headerPropagator) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	if h, ok := carrier.(propagation.HeaderCarrier); ok {
		carrier = canonicalHeaders(h)
	}
	p.TextMapPropagator.Inject(ctx, carrier)
}

// canonicalHeaders is propagation.HeaderCarrier with the W3C field names
// canonicalized ahead of time.
type canonicalHeaders http.Header

var (
	_ propagation.TextMapCarrier = canonicalHeaders{}
	_ propagation.ValuesGetter   = canonicalHeaders{}
)

// headerKey returns the canonical form of the header name key.
func headerKey(key string) string {
	switch key {
	case "traceparent":
		return "Traceparent"
	case "tracestate":
		return "Tracestate"
	case "baggage":
		return "Baggage"
	}
	return textproto.CanonicalMIMEHeaderKey(key)
}

// Get implements propagation.TextMapCarrier.
func (h canonicalHeaders) Get(key string) string {
	if v := h[headerKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values implements propagation.ValuesGetter.
func (h canonicalHeaders) Values(key string) []string { return h[headerKey(key)] }

// Set implements propagation.TextMapCarrier.
func (h canonicalHeaders) Set(key, value string) { h[headerKey(key)] = []string{value} }

// Keys implements propagation.TextMapCarrier.
func (h canonicalHeaders) Keys() []string { return propagation.HeaderCarrier(h).Keys() }
