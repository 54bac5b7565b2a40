package service

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

type callerCtx struct{}

// withKey is a context carrying an Idempotency-Key header, as the
// interceptor leaves it.
func withKey(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, idempotencyKey{value: v, present: true})
}

func TestDedupeScopesByCallerAndAcceptsIdempotencyKey(t *testing.T) {
	caller := func(ctx context.Context) string { s, _ := ctx.Value(callerCtx{}).(string); return s }
	d := newDedupe(100, time.Minute, time.Now, caller)
	alice := context.WithValue(context.Background(), callerCtx{}, "alice")
	bob := context.WithValue(context.Background(), callerCtx{}, "bob")
	var calls atomic.Int32
	create := func(v string) func(context.Context) (*wrapperspb.StringValue, error) {
		return func(context.Context) (*wrapperspb.StringValue, error) {
			calls.Add(1)
			return wrapperspb.String(v), nil
		}
	}

	tests := []struct {
		name      string
		ctx       context.Context
		requestID string
		fp        uint64
		value     string
		want      string // "" with wantCode
		wantCode  connect.Code
		calls     int32 // creates run so far
	}{
		{"alice creates with a request_id", alice, "k1", 1, "alice-1", "alice-1", 0, 1},
		{"alice retries with the header instead", withKey(alice, "k1"), "", 1, "alice-2", "alice-1", 0, 1},
		{"a quoted header is the same key", withKey(alice, `"k1"`), "", 1, "alice-3", "alice-1", 0, 1},
		{"header and field equal", withKey(alice, "k1"), "k1", 1, "alice-4", "alice-1", 0, 1},
		{"bob's same id is his own", bob, "k1", 1, "bob-1", "bob-1", 0, 2},
		{"bob's retry answers bob's result", withKey(bob, "k1"), "", 1, "bob-2", "bob-1", 0, 2},
		{"header and field differ", withKey(alice, "k2"), "k1", 1, "x", "", connect.CodeInvalidArgument, 2},
		{"header not a token", withKey(alice, "a b"), "", 1, "x", "", connect.CodeInvalidArgument, 2},
		{"header too long", withKey(alice, string(make([]byte, 65))), "", 1, "x", "", connect.CodeInvalidArgument, 2},
		{"empty header", withKey(alice, ""), "", 1, "x", "", connect.CodeInvalidArgument, 2},
		{"a caller named to forge a scope", context.WithValue(context.Background(), callerCtx{}, "alice\x00s"), "k1", 1, "forged", "forged", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := do(tt.ctx, d, "s", tt.requestID, tt.fp, create(tt.value))
			if tt.wantCode != 0 {
				if connect.CodeOf(err) != tt.wantCode {
					t.Fatalf("err = %v, want %v", err, tt.wantCode)
				}
			} else if err != nil || got.GetValue() != tt.want {
				t.Fatalf("got %q, %v; want %q", got.GetValue(), err, tt.want)
			}
			if calls.Load() != tt.calls {
				t.Errorf("creates run = %d, want %d", calls.Load(), tt.calls)
			}
		})
	}
}

func TestRefusedCreatesAreNotRemembered(t *testing.T) {
	// A create refused before it left (our limiter, an open breaker, Mode's
	// 429) did nothing: a retry with the same id must try again. One that may
	// have been processed (a 503 after sending) is remembered.
	d := newDedupe(100, time.Minute, time.Now, nil)
	ctx := context.Background()
	tests := []struct {
		name     string
		err      error
		repeated bool
	}{
		{"circuit open", upstreamError(&modeclient.TransportError{Method: "POST", Route: "/r", Err: &modeclient.NotSentError{Reason: modeclient.NotSentCircuitOpen}}, "x"), true},
		{"local rate limit", upstreamError(&modeclient.TransportError{Method: "POST", Route: "/r", Err: &modeclient.NotSentError{Reason: modeclient.NotSentRateLimited}}, "x"), true},
		{"Mode's 429", upstreamError(&modeclient.APIError{StatusCode: 429, Method: "POST", Route: "/r"}, "x"), true},
		{"Mode's 401 (our credential refused)", upstreamError(&modeclient.APIError{StatusCode: 401, Method: "POST", Route: "/r"}, "x"), true},
		{"Mode's 413", upstreamError(&modeclient.APIError{StatusCode: 413, Method: "POST", Route: "/r"}, "x"), true},
		{"Mode's 400 for a wrong state", upstreamError(&modeclient.APIError{StatusCode: 400, Message: "Manual runs are disabled for this report.", Method: "POST", Route: "/r"}, "x"), true},
		{"Mode's 409", upstreamError(&modeclient.APIError{StatusCode: 409, Method: "POST", Route: "/r"}, "x"), true},
		{"Mode's 503", upstreamError(&modeclient.APIError{StatusCode: 503, Method: "POST", Route: "/r"}, "x"), false},
		{"connection lost after sending", upstreamError(&modeclient.TransportError{Method: "POST", Route: "/r", Err: errors.New("connection reset")}, "x"), false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "id-" + string(rune('a'+i))
			var calls int
			fail := func(context.Context) (*wrapperspb.StringValue, error) { calls++; return nil, tt.err }
			_, err1 := do(ctx, d, "s", id, 1, fail)
			_, err2 := do(ctx, d, "s", id, 1, fail)
			if err1 == nil || err2 == nil {
				t.Fatalf("errors %v, %v", err1, err2)
			}
			if want := map[bool]int{true: 2, false: 1}[tt.repeated]; calls != want {
				t.Errorf("create ran %d times, want %d", calls, want)
			}
		})
	}
}

func TestNotSentErrorMapping(t *testing.T) {
	tests := []struct {
		reason     string
		wantReason string
	}{
		{modeclient.NotSentCircuitOpen, ReasonUpstreamCircuitOpen},
		{modeclient.NotSentRateLimited, ReasonUpstreamRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			err := upstreamError(&modeclient.TransportError{Method: "GET", Route: "/api/{workspace}", Err: &modeclient.NotSentError{Reason: tt.reason, RetryAfter: 7 * time.Second}}, "workspaces/w")
			if connect.CodeOf(err) != connect.CodeUnavailable || !errdetail.HasReason(err, tt.wantReason) {
				t.Fatalf("err = %v, want Unavailable with %s", err, tt.wantReason)
			}
			var ce *connect.Error
			errors.As(err, &ce)
			var retry *errdetails.RetryInfo
			for _, d := range ce.Details() {
				if v, err := d.Value(); err == nil {
					if r, ok := v.(*errdetails.RetryInfo); ok {
						retry = r
					}
				}
			}
			if retry == nil || retry.GetRetryDelay().AsDuration() != 7*time.Second {
				t.Errorf("RetryInfo = %v, want 7s", retry)
			}
		})
	}
}
