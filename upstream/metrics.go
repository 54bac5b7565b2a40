package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of this package's metrics.
const ScopeName = "github.com/modeplatform/modeplatform/upstream"

// Metrics of each credential's requests to Mode and of its guard, labelled
// with AttrCredential. Prometheus names in parentheses.
const (
	// MetricRequests counts the requests sent to Mode (retries included;
	// never those a guard or the shared limit refused), by AttrCredential
	// and http.response.status_code (0: no answer, a transport error)
	// (modeplatform_upstream_requests_total).
	MetricRequests = "modeplatform.upstream.requests"
	// MetricBreakerState is the circuit breaker's state: 0 closed, 1
	// half-open (one probe let through), 2 open (requests refused without
	// being sent) (modeplatform_upstream_breaker_state).
	MetricBreakerState = "modeplatform.upstream.breaker.state"
	// MetricRateLimit is the configured rate limit toward Mode, in requests
	// per second (Limits.RPS; 0: none) (modeplatform_upstream_rate_limit_per_second).
	MetricRateLimit = "modeplatform.upstream.rate_limit"
	// MetricRateLimitTokens is how many requests this process's token bucket
	// would let go at once now: Limits.Burst when idle, 0 or less (tokens
	// reserved by waiting requests) when the limit is what holds requests
	// back (modeplatform_upstream_rate_limit_tokens).
	MetricRateLimitTokens = "modeplatform.upstream.rate_limit.tokens"

	// AttrCredential names a credential by the workspaces it serves
	// (comma-separated, sorted as configured; "*": the default credential),
	// never by its token.
	AttrCredential = attribute.Key("modeplatform.credential")
)

var attrStatusCode = attribute.Key("http.response.status_code")

// countingTransport counts the requests a credential sends to Mode by
// status; it sits below the telemetry and shared-limit wrappers, so it sees
// only requests that went out.
type countingTransport struct {
	next     http.RoundTripper
	m        *member
	requests metric.Int64Counter
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	// The caller's cancellation must not drop the count.
	c.requests.Add(context.WithoutCancel(req.Context()), 1, metric.WithAttributes(c.m.credential, attrStatusCode.Int(status)))
	return resp, err
}

// meters holds a pool's instruments.
type meters struct {
	requests metric.Int64Counter
	reg      metric.Registration
}

func newMeters(mp metric.MeterProvider) (*meters, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	requests, err := mp.Meter(ScopeName).Int64Counter(MetricRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests sent to Mode (retries included), by credential and status (0: a transport error)."))
	if err != nil {
		return nil, fmt.Errorf("upstream: metrics: %w", err)
	}
	return &meters{requests: requests}, nil
}

// observe registers the gauges of p's guards (breaker state, rate limit,
// tokens left), read when metrics are collected, once the credentials'
// labels are final.
func (ms *meters) observe(mp metric.MeterProvider, p *Pool, l Limits) error {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	state, err1 := m.Int64ObservableGauge(MetricBreakerState, metric.WithUnit("{state}"),
		metric.WithDescription("Circuit breaker toward Mode, by credential: 0 closed, 1 half-open, 2 open (requests refused without being sent)."))
	limit, err2 := m.Float64ObservableGauge(MetricRateLimit, metric.WithUnit("{request}/s"),
		metric.WithDescription("Rate limit toward Mode per credential, in requests per second (0: none)."))
	tokens, err3 := m.Float64ObservableGauge(MetricRateLimitTokens, metric.WithUnit("{token}"),
		metric.WithDescription("Requests the credential's token bucket would let go at once now (the burst when idle; 0 or less while requests wait for the limit)."))
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("upstream: metrics: %w", err)
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, mb := range p.members {
			set := metric.WithAttributeSet(attribute.NewSet(mb.credential))
			o.ObserveInt64(state, breakerValue(mb.guard.cb.State()), set)
			o.ObserveFloat64(limit, l.RPS, set)
			if mb.guard.adm != nil && l.RPS > 0 {
				o.ObserveFloat64(tokens, mb.guard.adm.tokensNow(), set)
			}
		}
		return nil
	}, state, limit, tokens)
	if err != nil {
		return fmt.Errorf("upstream: metrics: %w", err)
	}
	ms.reg = reg
	return nil
}

// breakerValue is MetricBreakerState's value of s.
func breakerValue(s gobreaker.State) int64 {
	switch s {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	default:
		return 0
	}
}

// Close ends the pool's metric callbacks (the gauges of its guards); its
// clients keep working.
func (p *Pool) Close() error {
	if p.meters == nil || p.meters.reg == nil {
		return nil
	}
	return p.meters.reg.Unregister()
}
