package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"connectrpc.com/connect"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/telemetry"
)

// waitEvents returns the kind and duration_ms of the wait events of span.
func waitEvents(sp tracetest.SpanStub) (kinds []string, millis []float64) {
	for _, ev := range sp.Events {
		if ev.Name != telemetry.WaitEventName {
			continue
		}
		for _, kv := range ev.Attributes {
			switch kv.Key {
			case telemetry.AttrWaitKind:
				kinds = append(kinds, kv.Value.AsString())
			case telemetry.AttrWaitMillis:
				millis = append(millis, kv.Value.AsFloat64())
			}
		}
	}
	return kinds, millis
}

// limiterTransport stands for the upstream limiter: every request "waits"
// for a token and reports it, before the instrumented transport sends it.
type limiterTransport struct {
	next http.RoundTripper
	wait time.Duration
}

func (l limiterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	telemetry.RecordWait(r.Context(), "rate", l.wait)
	return l.next.RoundTrip(r)
}

// TestRecordWait: a wait reported by a limiter in front of the Mode
// transport is an event on the span of the request's work (the cache span
// of a cached read, in the caller's trace, before the HTTP span) and an
// observation in modeplatform_wait_duration_seconds by kind.
func TestRecordWait(t *testing.T) {
	clearOTelEnv(t)
	s := newStack(t, stackConfig{guard: func(next http.RoundTripper) http.RoundTripper {
		return limiterTransport{next: next, wait: 40 * time.Millisecond}
	}})
	ctx, caller := s.callerSpan(t.Context())
	if _, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[0])})); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	caller.End()
	spans := s.spansOf(caller.SpanContext().TraceID())
	cacheSpan := one(t, spans, modeclient.CacheSpanName)
	kinds, millis := waitEvents(cacheSpan)
	if len(kinds) != 1 || kinds[0] != "rate" || len(millis) != 1 || millis[0] != 40 {
		t.Errorf("cache span wait events: kinds %v, ms %v; want one rate wait of 40 ms", kinds, millis)
	}
	if httpSpan := one(t, spans, reportRoute); httpSpan.Parent.SpanID() != cacheSpan.SpanContext.SpanID() {
		t.Errorf("the HTTP span is not the cache span's child")
	}

	s.tel.RecordWait(context.Background(), "concurrency", 2*time.Second) // no span: the metric only
	m := s.scrape()
	for _, want := range []string{
		`modeplatform_wait_duration_seconds_count\{[^\n]*modeplatform_wait_kind="rate"[^\n]*\} 1$`,
		`modeplatform_wait_duration_seconds_sum\{[^\n]*modeplatform_wait_kind="rate"[^\n]*\} 0.04$`,
		`modeplatform_wait_duration_seconds_bucket\{[^\n]*modeplatform_wait_kind="rate"[^\n]*le="0.025"\} 0$`,
		`modeplatform_wait_duration_seconds_bucket\{[^\n]*modeplatform_wait_kind="rate"[^\n]*le="0.05"\} 1$`,
		`modeplatform_wait_duration_seconds_count\{[^\n]*modeplatform_wait_kind="concurrency"[^\n]*\} 1$`,
	} {
		if !regexp.MustCompile("(?m)" + want).MatchString(m) {
			t.Errorf("/metrics has no line matching %s:\n%s", want, grepLines(m, "modeplatform_wait"))
		}
	}
}

// TestRecordWaitWithoutSetup: the package-level RecordWait goes to the
// Telemetry of the latest Setup until its Shutdown; without one it still
// adds the span event.
func TestRecordWaitWithoutSetup(t *testing.T) {
	clearOTelEnv(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	tel, err := telemetry.Setup(t.Context(), telemetry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	telemetry.RecordWait(t.Context(), "rate", time.Millisecond)
	if m := scrapeOf(t, tel); !regexp.MustCompile(`(?m)modeplatform_wait_duration_seconds_count\{[^\n]*\} 1$`).MatchString(m) {
		t.Errorf("the package-level RecordWait did not reach the Telemetry of Setup:\n%s", grepLines(m, "modeplatform_wait"))
	}
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}

	ctx, span := tp.Tracer("t").Start(t.Context(), "work")
	telemetry.RecordWait(ctx, "concurrency", -time.Second) // after Shutdown, a negative wait
	span.End()
	kinds, millis := waitEvents(exp.GetSpans()[0])
	if len(kinds) != 1 || kinds[0] != "concurrency" || millis[0] != 0 {
		t.Errorf("wait events without Setup: kinds %v, ms %v; want one concurrency wait of 0 ms", kinds, millis)
	}
}

// scrapeOf returns tel's /metrics page.
func scrapeOf(t *testing.T, tel *telemetry.Telemetry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}
