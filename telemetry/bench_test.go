package telemetry_test

import (
	"context"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	v1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// discardExporter drops spans after counting them: the benchmark measures
// the instrumentation, not an exporter's encoding.
type discardExporter struct{ n atomic.Int64 }

func (d *discardExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	d.n.Add(int64(len(spans)))
	return nil
}

func (d *discardExporter) Shutdown(context.Context) error { return nil }

// BenchmarkGetReportCacheHit measures one GetReport answered from the cache,
// over HTTP/1.1 on loopback, without any telemetry ("off") and with
// everything the binary turns on ("on": otelconnect on the server, the
// access log, the cache span, metrics, every span sampled and batched to an
// exporter that drops them). The caller is the same plain client in both.
func BenchmarkGetReportCacheHit(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			clearOTelEnv(b)
			exp := &discardExporter{}
			s := newStack(b, stackConfig{tracingOff: mode == "off", spanProcessor: sdktrace.NewBatchSpanProcessor(exp), plainCaller: true, discardLogs: true})
			ctx := b.Context()
			req := connect.NewRequest(&v1.GetReportRequest{Name: s.reportName(s.demo.Reports[0])})
			if _, err := s.rs.GetReport(ctx, req); err != nil {
				b.Fatalf("GetReport: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.rs.GetReport(ctx, req); err != nil {
					b.Fatalf("GetReport: %v", err)
				}
			}
			if n := len(s.mode.Requests()); n != 1 {
				b.Fatalf("%d requests to Mode, want 1 (the rest are cache hits)", n)
			}
		})
	}
}
