package telemetry

import (
	"context"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// MetricStreamsActive is the gauge of streaming RPCs being served, by
// rpc.method (Prometheus: modeplatform_stream_active).
const MetricStreamsActive = "modeplatform.stream.active"

// streamOpen counts a streaming RPC as open in MetricStreamsActive until
// the returned function is called (when its handler returns).
func (in *instruments) streamOpen(ctx context.Context, spec connect.Spec) (closed func()) {
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("rpc.method", trimSlash(spec.Procedure))))
	// The decrement must not be lost when ctx is cancelled: the SDK records
	// whatever the context, but use one that is never done.
	bg := context.WithoutCancel(ctx)
	in.streamsActive.Add(bg, 1, set)
	return func() { in.streamsActive.Add(bg, -1, set) }
}
