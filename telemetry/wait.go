package telemetry

import (
	"context"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Waits: time a request spent queued before it could go on (for a token of
// the rate limit toward Mode, for a slot of a concurrency limit …).
const (
	// WaitEventName is the span event RecordWait adds.
	WaitEventName = "modeplatform.wait"
	// MetricWaitDuration is the histogram of waits (seconds), by AttrWaitKind.
	MetricWaitDuration = "modeplatform.wait.duration"
	// AttrWaitKind says what was waited for: a short fixed word chosen by
	// the caller of RecordWait, e.g. "rate" or "concurrency".
	AttrWaitKind = attribute.Key("modeplatform.wait.kind")
	// AttrWaitMillis is the length of the wait in milliseconds (on the event).
	AttrWaitMillis = attribute.Key("modeplatform.wait.duration_ms")
)

// waitBuckets are the histogram's bucket bounds, in seconds: a rate limit
// of a few requests per second makes waits of tens of milliseconds to
// seconds.
var waitBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// RecordWait records that the work of ctx waited d before it could go on,
// for what kind says (a short fixed word: it is a metric label; the
// upstream limiter's are "rate" and "concurrency"):
//
//   - an event named WaitEventName on the span in ctx (when it records:
//     for a request to Mode, the cache span or the RPC's span), with
//     AttrWaitKind and AttrWaitMillis;
//   - d in the MetricWaitDuration histogram (seconds), by AttrWaitKind
//     (Prometheus: modeplatform_wait_duration_seconds).
//
// A negative d counts as 0. Its signature is that of a wait observer
// (upstream.Options.ObserveWait): pass t.RecordWait.
func (t *Telemetry) RecordWait(ctx context.Context, kind string, d time.Duration) {
	d = max(d, 0)
	kindAttr := AttrWaitKind.String(kind)
	addWaitEvent(ctx, kindAttr, d)
	t.inst.waits.Record(ctx, d.Seconds(), metric.WithAttributeSet(attribute.NewSet(kindAttr)))
}

// RecordWait is Telemetry.RecordWait of the Telemetry the latest Setup
// returned, until its Shutdown. Without one it only adds the span event.
func RecordWait(ctx context.Context, kind string, d time.Duration) {
	if t := current.Load(); t != nil {
		t.RecordWait(ctx, kind, d)
		return
	}
	addWaitEvent(ctx, AttrWaitKind.String(kind), max(d, 0))
}

func addWaitEvent(ctx context.Context, kind attribute.KeyValue, d time.Duration) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(WaitEventName, trace.WithAttributes(kind, AttrWaitMillis.Float64(float64(d.Microseconds())/1000)))
	}
}

// current is the Telemetry of the package-level RecordWait.
var current atomic.Pointer[Telemetry]
