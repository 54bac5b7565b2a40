package telemetry

import (
	"context"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// nextProcessor records what spanBuffer passes on.
type nextProcessor struct {
	mu        sync.Mutex
	ended     []string
	flushes   int
	shutdowns int
}

func (p *nextProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (p *nextProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = append(p.ended, s.Name())
}

func (p *nextProcessor) ForceFlush(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushes++
	return nil
}

func (p *nextProcessor) Shutdown(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shutdowns++
	return nil
}

func (p *nextProcessor) state() (ended []string, flushes, shutdowns int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ended...), p.flushes, p.shutdowns
}

// newBufferedProvider returns a tracer provider whose spans go through a
// spanBuffer to next.
func newBufferedProvider(t *testing.T, next sdktrace.SpanProcessor, burst int, delay time.Duration, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, *spanBuffer) {
	t.Helper()
	b := newSpanBuffer(next, burst, delay)
	tp := sdktrace.NewTracerProvider(append(opts, sdktrace.WithSpanProcessor(b))...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, b
}

func endSpans(tp *sdktrace.TracerProvider, n int, name string) {
	for range n {
		_, span := tp.Tracer("t").Start(context.Background(), name)
		span.End()
	}
}

// TestSpanBufferBurst: spans are passed on when burst of them have ended,
// all together, and not before.
func TestSpanBufferBurst(t *testing.T) {
	next := &nextProcessor{}
	tp, _ := newBufferedProvider(t, next, 4, time.Hour)
	endSpans(tp, 3, "s")
	if ended, _, _ := next.state(); len(ended) != 0 {
		t.Fatalf("%d spans passed on before the burst was full", len(ended))
	}
	endSpans(tp, 1, "s")
	if ended, _, _ := next.state(); len(ended) != 4 {
		t.Fatalf("%d spans passed on after a full burst, want 4", len(ended))
	}
	endSpans(tp, 5, "s")
	if ended, _, _ := next.state(); len(ended) != 8 {
		t.Fatalf("%d spans passed on after two bursts, want 8", len(ended))
	}
}

// TestSpanBufferDelay: a span alone is passed on after the delay.
func TestSpanBufferDelay(t *testing.T) {
	next := &nextProcessor{}
	tp, _ := newBufferedProvider(t, next, 64, 20*time.Millisecond)
	endSpans(tp, 1, "lonely")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ended, _, _ := next.state(); len(ended) == 1 && ended[0] == "lonely" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the span was not passed on after the delay")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The timer is re-armed by the next span.
	endSpans(tp, 2, "again")
	for {
		if ended, _, _ := next.state(); len(ended) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second spans were not passed on after the delay")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSpanBufferFlushAndShutdown: ForceFlush passes the buffered spans on
// before flushing next; Shutdown does the same before shutting next down,
// and spans ended afterwards are dropped.
func TestSpanBufferFlushAndShutdown(t *testing.T) {
	next := &nextProcessor{}
	tp, b := newBufferedProvider(t, next, 64, time.Hour)
	endSpans(tp, 3, "s")
	if err := b.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ended, flushes, _ := next.state(); len(ended) != 3 || flushes != 1 {
		t.Fatalf("after ForceFlush: %d spans passed on, %d flushes; want 3, 1", len(ended), flushes)
	}
	endSpans(tp, 2, "s")
	if err := b.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	endSpans(tp, 2, "late")
	if err := b.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	ended, _, shutdowns := next.state()
	if len(ended) != 5 || shutdowns != 1 {
		t.Fatalf("after Shutdown: %d spans passed on (%v), %d shutdowns; want 5, 1", len(ended), ended, shutdowns)
	}
}

// recordOnly samples nothing but records everything.
type recordOnly struct{}

func (recordOnly) ShouldSample(sdktrace.SamplingParameters) sdktrace.SamplingResult {
	return sdktrace.SamplingResult{Decision: sdktrace.RecordOnly}
}

func (recordOnly) Description() string { return "recordOnly" }

// TestSpanBufferUnsampled: recorded but unsampled spans are not buffered
// (the batch processor would not export them).
func TestSpanBufferUnsampled(t *testing.T) {
	next := &nextProcessor{}
	tp, b := newBufferedProvider(t, next, 64, time.Hour, sdktrace.WithSampler(recordOnly{}))
	endSpans(tp, 3, "s")
	if err := b.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ended, _, _ := next.state(); len(ended) != 0 {
		t.Fatalf("%d unsampled spans passed on", len(ended))
	}
}

// TestSpanBufferConcurrent: spans ended from many goroutines all reach the
// exporter behind a real batch processor, once each.
func TestSpanBufferConcurrent(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp, _ := newBufferedProvider(t, sdktrace.NewBatchSpanProcessor(exp), 16, time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { endSpans(tp, 250, "s") })
	}
	wg.Wait()
	if err := tp.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	seen := map[[8]byte]bool{}
	for _, s := range spans {
		seen[s.SpanContext.SpanID()] = true
	}
	if len(spans) != 2000 || len(seen) != 2000 {
		t.Fatalf("%d spans exported (%d distinct), want 2000", len(spans), len(seen))
	}
}
