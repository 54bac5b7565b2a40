package service

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
)

func TestUnaryDeadline(t *testing.T) {
	var got struct {
		deadline time.Time
		ok       bool
	}
	next := connect.UnaryFunc(func(ctx context.Context, _ connect.AnyRequest) (connect.AnyResponse, error) {
		got.deadline, got.ok = ctx.Deadline()
		return nil, nil
	})
	req := connect.NewRequest(&struct{}{})

	before := time.Now()
	_, _ = UnaryDeadline{Default: time.Hour}.WrapUnary(next)(t.Context(), req)
	if !got.ok || got.deadline.Before(before.Add(time.Hour)) {
		t.Errorf("no default deadline: %v %v", got.deadline, got.ok)
	}

	ctx, cancel := context.WithDeadline(t.Context(), before.Add(time.Minute))
	defer cancel()
	_, _ = UnaryDeadline{Default: time.Hour}.WrapUnary(next)(ctx, req)
	if !got.deadline.Equal(before.Add(time.Minute)) {
		t.Errorf("caller's deadline replaced: %v", got.deadline)
	}

	_, _ = UnaryDeadline{Default: 0}.WrapUnary(next)(t.Context(), req)
	if got.ok {
		t.Error("--unary-timeout 0 still set a deadline")
	}

	var streamOK bool
	stream := connect.StreamingHandlerFunc(func(ctx context.Context, _ connect.StreamingHandlerConn) error {
		_, streamOK = ctx.Deadline()
		return nil
	})
	_ = UnaryDeadline{Default: time.Hour}.WrapStreamingHandler(stream)(t.Context(), nil)
	if streamOK {
		t.Error("a stream got the unary deadline")
	}
}
