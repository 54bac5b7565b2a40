package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/modeplatform/modeplatform/modeclient"
)

// Attributes of upstream (Mode) requests and retries.
const (
	attrMethod     = attribute.Key("http.request.method")
	attrStatus     = attribute.Key("http.response.status_code")
	attrErrorType  = attribute.Key("error.type")
	attrTemplate   = modeclient.AttrURLTemplate // "url.template"
	attrAttempt    = attribute.Key("modeclient.retry.attempt")
	attrWaitMillis = attribute.Key("modeclient.retry.wait_ms")
	attrRetryAfter = attribute.Key("modeclient.retry.retry_after")
)

// RetryEventName is the name of the span event recorded for each retry.
const RetryEventName = "modeclient.retry"

// ModeClientOptions returns the modeclient options that instrument a Mode
// client: base (nil: a client on http.DefaultTransport) wrapped by
// HTTPClient, the cache span (modeclient.WithTracerProvider) and
// ObserveRetry as the retry observer. Pass them to modeclient.New after the
// options they should not override (a later WithRetryObserver replaces
// ObserveRetry; call it from your own observer to keep both).
func (t *Telemetry) ModeClientOptions(base *http.Client) []modeclient.Option {
	return []modeclient.Option{
		modeclient.WithHTTPClient(t.HTTPClient(base)),
		modeclient.WithTracerProvider(t.tracing),
		modeclient.WithRetryObserver(t.ObserveRetry),
	}
}

// HTTPClient returns a copy of base (nil: an empty client) whose transport
// is wrapped by WrapTransport.
func (t *Telemetry) HTTPClient(base *http.Client) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	}
	c.Transport = t.WrapTransport(c.Transport)
	return &c
}

// WrapTransport instruments rt (nil: http.DefaultTransport) for requests to
// Mode: a client span per request named "<METHOD> <route template>" (from
// modeclient.RouteFromContext; requests made by anything else are named by
// their method only), the trace context injected as traceparent (and
// baggage) headers, the http.client.request.duration histogram labelled with
// url.template, and a count of 429 responses. No request header is recorded
// and url.full carries no userinfo.
func (t *Telemetry) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	inner := &upstreamTransport{next: rt, rateLimited: t.inst.rateLimited}
	return otelhttp.NewTransport(inner,
		otelhttp.WithTracerProvider(t.tracing),
		otelhttp.WithMeterProvider(t.mp),
		otelhttp.WithPropagators(headerPropagator{t.prop}),
		otelhttp.WithSpanNameFormatter(upstreamSpanName),
		otelhttp.WithMetricAttributesFn(func(r *http.Request) []attribute.KeyValue {
			if _, route, ok := modeclient.RouteFromContext(r.Context()); ok {
				return []attribute.KeyValue{attrTemplate.String(route)}
			}
			return nil
		}),
	)
}

// upstreamSpanName names a client span after the route template, never the URL.
func upstreamSpanName(_ string, r *http.Request) string {
	if method, route, ok := modeclient.RouteFromContext(r.Context()); ok {
		return method + " " + route
	}
	return r.Method
}

// upstreamTransport runs inside otelhttp's span: it labels the span with
// the route template and counts 429s.
type upstreamTransport struct {
	next        http.RoundTripper
	rateLimited metric.Int64Counter
}

func (u *upstreamTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	method, route, ok := modeclient.RouteFromContext(ctx)
	if ok {
		trace.SpanFromContext(ctx).SetAttributes(attrTemplate.String(route))
	}
	resp, err := u.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if !ok {
			method, route = r.Method, ""
		}
		u.rateLimited.Add(ctx, 1, metric.WithAttributes(attrMethod.String(method), attrTemplate.String(route)))
	}
	return resp, err
}

// ObserveRetry is a modeclient retry observer (modeclient.WithRetryObserver):
// it records the retry as an event named RetryEventName on the span in ctx
// (the cache span for cached reads, else the RPC's span) with the failed
// attempt's number, the wait before the next one, its status and whether
// the wait came from Retry-After, and counts it in
// modeplatform.upstream.retries.
func (t *Telemetry) ObserveRetry(ctx context.Context, ev modeclient.RetryEvent) {
	status := attrStatus.Int(ev.StatusCode)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		attrs := []attribute.KeyValue{
			attrAttempt.Int(ev.Attempt),
			attrWaitMillis.Float64(float64(ev.Wait.Microseconds()) / 1000),
			attrRetryAfter.Bool(ev.RetryAfter),
			attrMethod.String(ev.Method),
			attrTemplate.String(ev.Route),
		}
		if ev.StatusCode != 0 {
			attrs = append(attrs, status)
		} else {
			attrs = append(attrs, attrErrorType.String("transport"))
		}
		span.AddEvent(RetryEventName, trace.WithAttributes(attrs...))
	}
	t.inst.retries.Add(ctx, 1, metric.WithAttributes(attrMethod.String(ev.Method), attrTemplate.String(ev.Route), status))
}
