package telemetry

import (
	"context"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Ended spans reach an exporter through the SDK's BatchSpanProcessor (its
// queue, batch size, schedule and export timeout follow OTEL_BSP_*), but
// not one at a time: the BatchSpanProcessor receives each span on a channel
// its goroutine waits on, so every span ended wakes that goroutine and,
// when the other processors are idle, an OS thread to run it. On the
// cheapest RPC (a cache hit: a server span and a cache span) those wake-ups
// cost more than the spans themselves. spanBuffer sits in front of it and
// hands spans over in bursts.
const (
	// spanBurst is how many ended spans spanBuffer holds before handing
	// them to the batch processor.
	spanBurst = 64
	// spanBufferDelay is the longest a span waits in spanBuffer: much
	// shorter than the batch processor's own schedule (5 s by default).
	spanBufferDelay = 100 * time.Millisecond
)

// spanBuffer is a SpanProcessor that collects sampled ended spans and passes
// them to next (a BatchSpanProcessor) spanBurst at a time, or spanBufferDelay
// after the first of them ended, or on ForceFlush and Shutdown, whichever
// comes first. It is safe for concurrent use.
type spanBuffer struct {
	next  sdktrace.SpanProcessor
	burst int
	delay time.Duration

	mu      sync.Mutex
	buf     []sdktrace.ReadOnlySpan
	timer   *time.Timer // armed while buf is not empty
	stopped bool
}

func newSpanBuffer(next sdktrace.SpanProcessor, burst int, delay time.Duration) *spanBuffer {
	b := &spanBuffer{next: next, burst: burst, delay: delay, buf: make([]sdktrace.ReadOnlySpan, 0, burst)}
	b.timer = time.AfterFunc(time.Hour, b.flush)
	b.timer.Stop()
	return b
}

// OnStart implements sdktrace.SpanProcessor.
func (b *spanBuffer) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) { b.next.OnStart(ctx, s) }

// OnEnd implements sdktrace.SpanProcessor.
func (b *spanBuffer) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return // the batch processor would drop it too
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	b.buf = append(b.buf, s)
	switch len(b.buf) {
	case b.burst:
		b.passLocked()
	case 1:
		b.timer.Reset(b.delay)
	}
}

// passLocked hands the buffered spans to the batch processor (whose OnEnd
// does not block: it drops spans when its queue is full) and empties the
// buffer. Passing under b.mu orders it before any ForceFlush or Shutdown
// that follows.
func (b *spanBuffer) passLocked() {
	if len(b.buf) == 0 {
		return
	}
	b.timer.Stop()
	for i, s := range b.buf {
		b.next.OnEnd(s)
		b.buf[i] = nil
	}
	b.buf = b.buf[:0]
}

// flush passes on what the buffer holds (the timer's function).
func (b *spanBuffer) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.passLocked()
}

// ForceFlush implements sdktrace.SpanProcessor: the buffered spans go to the
// batch processor, which exports them and everything it holds.
func (b *spanBuffer) ForceFlush(ctx context.Context) error {
	b.flush()
	return b.next.ForceFlush(ctx)
}

// Shutdown implements sdktrace.SpanProcessor: the buffered spans go to the
// batch processor before it shuts down; later spans are dropped.
func (b *spanBuffer) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	b.stopped = true
	b.passLocked()
	b.timer.Stop()
	b.mu.Unlock()
	return b.next.Shutdown(ctx)
}
