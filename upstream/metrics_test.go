package upstream

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// point is one data point of a collected metric, by its credential and status.
type point struct {
	credential string
	status     int64
}

// collect reads every data point of this package's metrics: counters and
// gauges by metric name, then by credential (and status).
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]map[point]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := map[string]map[point]float64{}
	key := func(s attribute.Set) point {
		c, _ := s.Value(AttrCredential)
		st, _ := s.Value(attrStatusCode)
		return point{credential: c.AsString(), status: st.AsInt64()}
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			pts := map[point]float64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					pts[key(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					pts[key(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					pts[key(p.Attributes)] = p.Value
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = pts
		}
	}
	return out
}

// TestMetrics checks the per-credential metrics against what the pool did:
// requests counted by credential and status (429s and 503s included,
// refusals of an open breaker not), the breaker's state, the rate limit and
// the tokens left in the bucket.
func TestMetrics(t *testing.T) {
	emu := newEmulator(t)
	mode := serveMode(t, emu)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	// Tokens come back slowly enough to see the ones spent.
	const rps, burst = 0.001, 50
	p, err := New(Options{
		BaseURL:       mode.URL,
		Workspaces:    Credentials{modetest.DemoWorkspace: {Token: tokenA, Secret: secretA}, otherWorkspace: {Token: tokenB, Secret: secretB}},
		Default:       modeclient.Credential{Token: tokenA, Secret: secretA}, // A again: one credential, two labels
		Limits:        Limits{RPS: rps, Burst: burst, BreakerFailures: 2, BreakerOpen: time.Hour},
		Transport:     tr,
		Logger:        slog.New(slog.DiscardHandler),
		MeterProvider: mp,
		ClientOptions: []modeclient.Option{modeclient.WithBackoff(time.Millisecond, 2*time.Millisecond), modeclient.WithRetryBudget(-1, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	credA, credB := modetest.DemoWorkspace+",*", otherWorkspace

	got := collect(t, reader)
	for _, c := range []string{credA, credB} {
		if v, ok := got[MetricBreakerState][point{credential: c}]; !ok || v != 0 {
			t.Errorf("breaker state of %s before any request = %v (%v), want 0", c, v, ok)
		}
		if v := got[MetricRateLimit][point{credential: c}]; v != rps {
			t.Errorf("rate limit of %s = %v, want %v", c, v, rps)
		}
		if v := got[MetricRateLimitTokens][point{credential: c}]; v != burst {
			t.Errorf("tokens of %s while idle = %v, want the burst %v", c, v, burst)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, _ := p.Client(ctx, modetest.DemoWorkspace)
	b, _ := p.Client(ctx, otherWorkspace)
	if _, err := b.GetWorkspace(ctx, otherWorkspace); err != nil {
		t.Fatal(err)
	}
	// One 429 then success: two requests of A's (the retry included).
	emu.AddFault(modetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 1})
	if _, err := a.GetWorkspace(ctx, modetest.DemoWorkspace); err != nil {
		t.Fatal(err)
	}
	// 503s open A's breaker after two; the third attempt is refused unsent.
	emu.AddFault(modetest.Fault{Status: http.StatusServiceUnavailable, Path: "/api/" + modetest.DemoWorkspace})
	if _, err := a.GetWorkspace(ctx, modetest.DemoWorkspace); err == nil {
		t.Fatal("GetWorkspace succeeded through 503s")
	}

	got = collect(t, reader)
	wantRequests := map[point]float64{
		{credA, 429}: 1, {credA, 200}: 1, {credA, 503}: 2,
		{credB, 200}: 1,
	}
	for k, want := range wantRequests {
		if v := got[MetricRequests][k]; v != want {
			t.Errorf("requests %+v = %v, want %v", k, v, want)
		}
	}
	if n := len(got[MetricRequests]); n != len(wantRequests) {
		t.Errorf("request series %v, want %v", got[MetricRequests], wantRequests)
	}
	if v := got[MetricBreakerState][point{credential: credA}]; v != 2 {
		t.Errorf("breaker state of A after 503s = %v, want 2 (open)", v)
	}
	if v := got[MetricBreakerState][point{credential: credB}]; v != 0 {
		t.Errorf("breaker state of B = %v, want 0 (closed)", v)
	}
	if v := got[MetricRateLimitTokens][point{credential: credA}]; v > burst-4+0.1 {
		t.Errorf("tokens of A after its requests = %v, want at most %v (4 spent)", v, burst-4+0.1)
	}

	// Closed, the pool's gauges are no longer reported.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, reader); len(got[MetricBreakerState]) != 0 {
		t.Errorf("breaker state after Close: %v", got[MetricBreakerState])
	}
}

func TestBreakerValue(t *testing.T) {
	for _, tt := range []struct {
		s    gobreaker.State
		want int64
	}{{gobreaker.StateClosed, 0}, {gobreaker.StateHalfOpen, 1}, {gobreaker.StateOpen, 2}} {
		if got := breakerValue(tt.s); got != tt.want {
			t.Errorf("breakerValue(%s) = %d, want %d", tt.s, got, tt.want)
		}
	}
}
