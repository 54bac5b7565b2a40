package service

import (
	"context"
	"time"

	"connectrpc.com/connect"
)

// DefaultUnaryTimeout is the deadline cmd/modeplatform gives a unary call
// whose caller set none, unless configured otherwise (--unary-timeout).
const DefaultUnaryTimeout = 60 * time.Second

// DefaultCreateTimeout is how long a create with a request_id (or an
// Idempotency-Key) may run, unless configured otherwise
// (Options.CreateTimeout). Such a create runs detached from its caller, so
// that a caller going away cannot leave it half done for the others waiting
// on it; this is its own deadline instead of the caller's.
const DefaultCreateTimeout = 60 * time.Second

// UnaryDeadline is a handler interceptor giving a unary call the Default
// deadline when its caller set none (0: no default). Streams are exempt:
// WatchReportRun and StreamQueryResults may rightly run for long, which is
// also why the HTTP server has no WriteTimeout.
type UnaryDeadline struct {
	Default time.Duration
}

// WrapUnary adds the default deadline to a unary call without one.
func (u UnaryDeadline) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	if u.Default <= 0 {
		return next
	}
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, u.Default)
			defer cancel()
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient leaves clients alone (this is a handler interceptor).
func (UnaryDeadline) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler leaves streams without a deadline.
func (UnaryDeadline) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
