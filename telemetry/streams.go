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

// activeStreams is a Connect interceptor that counts the streaming RPCs a
// server is handling in MetricStreamsActive: one more when a handler
// starts, one less when it returns. Unary RPCs and client calls pass
// through. HandlerOptions includes it.
type activeStreams struct {
	active metric.Int64UpDownCounter
}

// WrapUnary implements connect.Interceptor (unary RPCs pass through).
func (a activeStreams) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc { return next }

// WrapStreamingClient implements connect.Interceptor (client calls pass through).
func (a activeStreams) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (a activeStreams) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		set := metric.WithAttributeSet(attribute.NewSet(attribute.String("rpc.method", trimSlash(conn.Spec().Procedure))))
		// The decrement must not be lost when ctx is cancelled: the SDK
		// records whatever the context, but use one that is never done.
		bg := context.WithoutCancel(ctx)
		a.active.Add(bg, 1, set)
		defer a.active.Add(bg, -1, set)
		return next(ctx, conn)
	}
}
