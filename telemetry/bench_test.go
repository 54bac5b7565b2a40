package telemetry_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	v1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/telemetry"
)

// discardExporter drops spans after counting them: the benchmark measures
// the instrumentation, not an exporter's encoding.
type discardExporter struct{ n atomic.Int64 }

func (d *discardExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	d.n.Add(int64(len(spans)))
	return nil
}

func (d *discardExporter) Shutdown(context.Context) error { return nil }

// benchTarget is one stack of the cache-hit benchmarks, warmed up: its
// report is in the cache.
type benchTarget struct {
	s   *stack
	exp *discardExporter // nil when tracing is off
	req *connect.Request[v1.GetReportRequest]
}

// newBenchTarget builds the whole server, with every piece of telemetry the
// binary turns on (otelconnect on the server with WithTrustRemote, the
// access log formatted as JSON into io.Discard, the cache span, otelhttp on
// the Mode transport, metrics, every span sampled by the default
// parentbased_always_on sampler and sent, as Setup sends spans to the
// exporters OTEL_TRACES_EXPORTER names, through the SDK's BatchSpanProcessor
// with its default settings, to an exporter that counts and drops them) or
// without any (tracing false). Everything else is the same: one plain (uninstrumented)
// caller on HTTP/1.1, the same emulator options, cache and service options.
func newBenchTarget(b *testing.B, tracing bool) *benchTarget {
	b.Helper()
	t := &benchTarget{}
	cfg := stackConfig{tracingOff: !tracing, plainCaller: true, discardLogs: true}
	if tracing {
		t.exp = &discardExporter{}
		cfg.spanExporter = t.exp
	}
	t.s = newStack(b, cfg)
	t.req = connect.NewRequest(&v1.GetReportRequest{Name: t.s.reportName(t.s.demo.Reports[0])})
	for range 10 { // the miss, then warm the connection and the pools
		t.call(b)
	}
	return t
}

func (t *benchTarget) call(b *testing.B) {
	if _, err := t.s.rs.GetReport(b.Context(), t.req); err != nil {
		b.Fatalf("GetReport: %v", err)
	}
}

// check fails b unless every call after the first was a cache hit and,
// with tracing on, every call's spans (server and cache span) reached the
// exporter through the batch processor.
func (t *benchTarget) check(b *testing.B, calls int) {
	b.Helper()
	if n := len(t.s.mode.Requests()); n != 1 {
		b.Fatalf("%d requests to Mode, want 1 (the rest are cache hits)", n)
	}
	if t.exp == nil {
		return
	}
	if err := t.s.tel.ForceFlush(context.Background()); err != nil {
		b.Fatalf("ForceFlush: %v", err)
	}
	// The miss also has an HTTP span.
	if got, want := t.exp.n.Load(), int64(2*calls+1); got < want {
		b.Fatalf("%d spans exported, want at least %d (2 per call): is sampling on?", got, want)
	}
}

// BenchmarkGetReportCacheHit measures one GetReport answered from the cache,
// over HTTP/1.1 on loopback, without any telemetry ("off") and with
// everything the binary turns on ("on"); see newBenchTarget. Compare the
// two with benchstat:
//
//	go test ./telemetry -run '^$' -bench 'GetReportCacheHit$' -benchtime 3s -count 10 | tee bench.txt
//	benchstat -col /mode bench.txt
//
// On a shared or small machine, prefer BenchmarkGetReportCacheHitRatio,
// which runs both in the same loop.
func BenchmarkGetReportCacheHit(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run("mode="+mode, func(b *testing.B) {
			clearOTelEnv(b)
			t := newBenchTarget(b, mode == "on")
			b.ReportAllocs()
			calls := 10
			for b.Loop() {
				t.call(b)
				calls++
			}
			b.StopTimer()
			t.check(b, calls)
		})
	}
}

// BenchmarkGetReportCacheHitRatio runs the two stacks of
// BenchmarkGetReportCacheHit side by side in one process and alternates
// between them in blocks of ratioBlock calls, so that whatever else the
// machine is doing slows both alike. It reports, for each stack, the mean
// and median wall time per call and the CPU time of the whole process per
// call (measured over whole blocks: it includes the batch span processor's
// goroutine and the garbage collector), and the ratios on/off of all three:
// the cost of telemetry on the cheapest RPC there is. ns/op and allocs/op
// are per call, both stacks together.
//
// On a machine with few cores and other work, the wall-time ratio also
// measures scheduling: a goroutine woken on another core, or not, changes
// how fast the next network event is handled. The CPU ratio is the cost.
//
//	go test ./telemetry -run '^$' -bench 'GetReportCacheHitRatio' -benchtime 20000x -count 6
func BenchmarkGetReportCacheHitRatio(b *testing.B) {
	clearOTelEnv(b)
	// Explicitly the default: every root span sampled.
	b.Setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
	type side struct {
		t        *benchTarget
		wall     []time.Duration
		cpu      time.Duration // of the whole blocks run
		cpuCalls int           // calls in those blocks
		cpuStart time.Duration
	}
	off := &side{t: newBenchTarget(b, false)}
	on := &side{t: newBenchTarget(b, true)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := off
		if (i/ratioBlock)%2 == 1 {
			s = on
		}
		if i%ratioBlock == 0 {
			s.cpuStart = processCPU()
		}
		start := time.Now()
		s.t.call(b)
		s.wall = append(s.wall, time.Since(start))
		if i%ratioBlock == ratioBlock-1 {
			s.cpu += processCPU() - s.cpuStart
			s.cpuCalls += ratioBlock
		}
	}
	b.StopTimer()
	if len(off.wall) == 0 || len(on.wall) == 0 {
		return // the first, single-iteration run
	}
	off.t.check(b, len(off.wall)+10)
	on.t.check(b, len(on.wall)+10)

	mean := func(ds []time.Duration) float64 {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return float64(sum) / float64(len(ds))
	}
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2])
	}
	mOff, mOn := mean(off.wall), mean(on.wall)
	pOff, pOn := median(off.wall), median(on.wall)
	b.ReportMetric(mOff, "off-ns/call")
	b.ReportMetric(mOn, "on-ns/call")
	b.ReportMetric(mOn/mOff, "on/off-mean")
	b.ReportMetric(pOff, "off-p50-ns/call")
	b.ReportMetric(pOn, "on-p50-ns/call")
	b.ReportMetric(pOn/pOff, "on/off-p50")
	if off.cpuCalls > 0 && on.cpuCalls > 0 && off.cpu > 0 {
		cOff := float64(off.cpu) / float64(off.cpuCalls)
		cOn := float64(on.cpu) / float64(on.cpuCalls)
		b.ReportMetric(cOff, "off-cpu-ns/call")
		b.ReportMetric(cOn, "on-cpu-ns/call")
		b.ReportMetric(cOn/cOff, "on/off-cpu")
	}
}

// ratioBlock is how many calls BenchmarkGetReportCacheHitRatio makes on
// one stack before switching to the other.
const ratioBlock = 64

// BenchmarkHandlerInstrumentation measures what HandlerOptions adds to a
// unary Connect handler that does nothing, in process (no network): the
// server span (otelconnect, batched to a discarding exporter), the RPC
// duration histogram, the access log (JSON into io.Discard through
// NewLogHandler) and the server span's attributes. "bare" is the same
// handler without them.
func BenchmarkHandlerInstrumentation(b *testing.B) {
	for _, mode := range []string{"bare", "instrumented"} {
		b.Run("mode="+mode, func(b *testing.B) {
			clearOTelEnv(b)
			var opts []connect.HandlerOption
			if mode == "instrumented" {
				tel, err := telemetry.Setup(b.Context(), telemetry.Config{
					SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewBatchSpanProcessor(&discardExporter{})},
				})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
				logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(io.Discard, nil)))
				opts = tel.HandlerOptions(telemetry.HandlerConfig{AccessLog: logger})
			}
			resp := &v1.GetReportResponse{Report: &v1.Report{Name: "workspaces/w/reports/r", DisplayName: "Report"}}
			h := connect.NewUnaryHandler("/modeplatform.v1.ReportService/GetReport",
				func(context.Context, *connect.Request[v1.GetReportRequest]) (*connect.Response[v1.GetReportResponse], error) {
					return connect.NewResponse(resp), nil
				}, opts...)
			body := []byte(`{"name":"workspaces/w/reports/r"}`)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/modeplatform.v1.ReportService/GetReport", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
