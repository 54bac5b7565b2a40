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

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
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

// Modes of the cache-hit benchmarks.
const (
	// benchOff: no telemetry at all.
	benchOff = "off"
	// benchUntraced: everything the binary turns on (metrics, the access
	// log, the instrumentation), but no span sampled (always_off).
	benchUntraced = "untraced"
	// benchOn: everything, and every span sampled and exported.
	benchOn = "on"
)

// benchTarget is one stack of the cache-hit benchmarks, warmed up: its
// report is in the cache.
type benchTarget struct {
	mode string
	s    *stack
	exp  *discardExporter // nil when telemetry is off
	req  *connect.Request[modeplatformv1.GetReportRequest]
}

// newBenchTarget builds the whole server in one of the modes above. With
// telemetry, it is wired as the binary wires it: otelconnect on the server
// (WithTrustRemote), the access log formatted as JSON (into io.Discard),
// the cache span, otelhttp on the Mode transport, metrics, and spans sent,
// as Setup sends them to the exporters OTEL_TRACES_EXPORTER names, through
// the SDK's BatchSpanProcessor with its default settings, to an exporter
// that counts and drops them; "on" samples every span
// (parentbased_always_on), "untraced" none. Everything else is the same in
// all modes: one plain (uninstrumented) caller on HTTP/1.1, the same
// emulator, cache and service options.
func newBenchTarget(b *testing.B, mode string) *benchTarget {
	b.Helper()
	t := &benchTarget{mode: mode}
	cfg := stackConfig{tracingOff: mode == benchOff, plainCaller: true, discardLogs: true}
	if mode != benchOff {
		t.exp = &discardExporter{}
		cfg.spanExporter = t.exp
		sampler := "parentbased_always_on"
		if mode == benchUntraced {
			sampler = "always_off"
		}
		b.Setenv("OTEL_TRACES_SAMPLER", sampler) // read by Setup
	}
	t.s = newStack(b, cfg)
	t.req = connect.NewRequest(&modeplatformv1.GetReportRequest{Name: t.s.reportName(t.s.demo.Reports[0])})
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

// check fails b unless every call after the first was a cache hit and the
// spans exported are what the mode says: none untraced, else each call's
// server and cache span, through the batch processor.
func (t *benchTarget) check(b *testing.B, calls int) {
	b.Helper()
	if n := len(t.s.mode.Requests()); n != 1 {
		b.Fatalf("%s: %d requests to Mode, want 1 (the rest are cache hits)", t.mode, n)
	}
	if t.exp == nil {
		return
	}
	if err := t.s.tel.ForceFlush(context.Background()); err != nil {
		b.Fatalf("ForceFlush: %v", err)
	}
	got := t.exp.n.Load()
	switch want := int64(2*calls + 1); { // the miss also has an HTTP span
	case t.mode == benchUntraced && got != 0:
		b.Fatalf("untraced: %d spans exported", got)
	case t.mode == benchOn && got < want:
		b.Fatalf("%d spans exported, want at least %d (2 per call): is sampling on?", got, want)
	}
}

// BenchmarkGetReportCacheHit measures one GetReport answered from the cache,
// over HTTP/1.1 on loopback, in each mode (see newBenchTarget). Compare them
// with benchstat:
//
//	go test ./telemetry -run '^$' -bench 'GetReportCacheHit$' -benchtime 3s -count 10 | tee bench.txt
//	benchstat -col /mode bench.txt
//
// On a shared or small machine, prefer BenchmarkGetReportCacheHitRatio,
// which runs them in the same loop.
func BenchmarkGetReportCacheHit(b *testing.B) {
	for _, mode := range []string{benchOff, benchUntraced, benchOn} {
		b.Run("mode="+mode, func(b *testing.B) {
			clearOTelEnv(b)
			t := newBenchTarget(b, mode)
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

// BenchmarkGetReportCacheHitRatio runs the stacks of
// BenchmarkGetReportCacheHit side by side in one process and goes round
// them in blocks of ratioBlock calls, so that whatever else the machine is
// doing slows them alike. For each mode it reports the mean and median wall
// time per call and the CPU time of the whole process per call (measured
// over whole blocks: it includes the batch span processor's goroutine and
// the garbage collector), and these ratios:
//
//   - on/off-cpu, on/off-p50, on/off-mean: the cost of all telemetry
//     (traces, metrics, access log) on the cheapest RPC there is;
//   - on/untraced-cpu, on/untraced-p50: the cost of tracing alone.
//
// ns/op and allocs/op are per call, all modes together. On a machine with
// few cores and other work, wall times also measure scheduling (a goroutine
// woken on another core, or not, changes how soon the next network event is
// handled): the CPU ratios are the cost.
//
//	go test ./telemetry -run '^$' -bench 'GetReportCacheHitRatio' -benchtime 24000x -count 10
func BenchmarkGetReportCacheHitRatio(b *testing.B) {
	clearOTelEnv(b)
	type side struct {
		t        *benchTarget
		wall     []time.Duration
		cpu      time.Duration // of the whole blocks run
		cpuCalls int           // calls in those blocks
		cpuStart time.Duration
	}
	var sides []*side
	for _, mode := range []string{benchOff, benchUntraced, benchOn} {
		sides = append(sides, &side{t: newBenchTarget(b, mode)})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := sides[(i/ratioBlock)%len(sides)]
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
	for _, s := range sides {
		if len(s.wall) == 0 {
			return // a run too short to reach every mode
		}
		s.t.check(b, len(s.wall)+10)
	}

	type stats struct{ mean, p50, cpu float64 }
	stat := func(s *side) stats {
		var sum time.Duration
		for _, d := range s.wall {
			sum += d
		}
		slices.Sort(s.wall)
		st := stats{mean: float64(sum) / float64(len(s.wall)), p50: float64(s.wall[len(s.wall)/2])}
		if s.cpuCalls > 0 {
			st.cpu = float64(s.cpu) / float64(s.cpuCalls)
		}
		return st
	}
	off, untraced, on := stat(sides[0]), stat(sides[1]), stat(sides[2])
	for name, st := range map[string]stats{benchOff: off, benchUntraced: untraced, benchOn: on} {
		b.ReportMetric(st.p50, name+"-p50-ns/call")
		if st.cpu > 0 {
			b.ReportMetric(st.cpu, name+"-cpu-ns/call")
		}
	}
	b.ReportMetric(on.p50/off.p50, "on/off-p50")
	b.ReportMetric(on.mean/off.mean, "on/off-mean")
	b.ReportMetric(on.p50/untraced.p50, "on/untraced-p50")
	if off.cpu > 0 && untraced.cpu > 0 {
		b.ReportMetric(on.cpu/off.cpu, "on/off-cpu")
		b.ReportMetric(on.cpu/untraced.cpu, "on/untraced-cpu")
	}
}

// ratioBlock is how many calls BenchmarkGetReportCacheHitRatio makes on
// one stack before going to the next.
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
			resp := &modeplatformv1.GetReportResponse{Report: &modeplatformv1.Report{Name: "workspaces/w/reports/r", DisplayName: "Report"}}
			h := connect.NewUnaryHandler("/modeplatform.v1.ReportService/GetReport",
				func(context.Context, *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error) {
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
