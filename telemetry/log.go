package telemetry

import (
	"context"
	"encoding/hex"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Keys of the attributes NewLogHandler adds.
const (
	LogKeyTraceID = "trace_id"
	LogKeySpanID  = "span_id"
)

// NewLogHandler wraps next so that every record logged with a context that
// carries a valid span context (slog's *Context methods, LogAttrs) gets
// trace_id and span_id attributes, as hex strings. Records without one pass
// through unchanged, and so do records whose first attribute is already
// trace_id (the access log's). The attributes are added to the record, so
// inside a WithGroup they land in the open group.
func NewLogHandler(next slog.Handler) slog.Handler {
	return &logHandler{next: next}
}

type logHandler struct{ next slog.Handler }

// Enabled implements slog.Handler.
func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && !startsWithTraceID(r) {
		tid, sid := hexIDs(sc)
		r = r.Clone()
		r.AddAttrs(slog.String(LogKeyTraceID, tid), slog.String(LogKeySpanID, sid))
	}
	return h.next.Handle(ctx, r)
}

// hexIDs returns the trace and span id of sc in hex, in one allocation.
func hexIDs(sc trace.SpanContext) (traceID, spanID string) {
	tid, sid := sc.TraceID(), sc.SpanID()
	var b [2*len(tid) + 2*len(sid)]byte
	hex.Encode(b[:], tid[:])
	hex.Encode(b[2*len(tid):], sid[:])
	s := string(b[:])
	return s[:2*len(tid)], s[2*len(tid):]
}

// startsWithTraceID reports whether the first attribute of r is trace_id:
// the record already carries the trace (the access log's do).
func startsWithTraceID(r slog.Record) (yes bool) {
	r.Attrs(func(a slog.Attr) bool {
		yes = a.Key == LogKeyTraceID
		return false
	})
	return yes
}

// WithAttrs implements slog.Handler.
func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{next: h.next.WithGroup(name)}
}
