package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/emptypb"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type callerKey struct{}

func as(id string) context.Context { return context.WithValue(context.Background(), callerKey{}, id) }

func identify(ctx context.Context, _ connect.Peer) string {
	s, _ := ctx.Value(callerKey{}).(string)
	return s
}

// details returns the QuotaFailure and RetryInfo of err.
func details(t *testing.T, err error) (*errdetails.QuotaFailure, *errdetails.RetryInfo) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a connect error: %v", err)
	}
	var q *errdetails.QuotaFailure
	var r *errdetails.RetryInfo
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			t.Fatal(err)
		}
		switch v := v.(type) {
		case *errdetails.QuotaFailure:
			q = v
		case *errdetails.RetryInfo:
			r = v
		}
	}
	return q, r
}

func TestRateLimit(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	l, err := New(Options{RPS: 1, Burst: 2, Identify: identify, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	call := l.WrapUnary(func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) { return nil, nil })
	req := connect.NewRequest(&emptypb.Empty{})
	tests := []struct {
		name    string
		caller  string
		advance time.Duration
		refused bool
		retry   time.Duration // RetryInfo of a refusal
	}{
		{"first of the burst", "alice", 0, false, 0},
		{"second of the burst", "alice", 0, false, 0},
		{"over the rate", "alice", 0, true, time.Second},
		{"still over, half a second on", "alice", 500 * time.Millisecond, true, 500 * time.Millisecond},
		{"another caller has its own bucket", "bob", 0, false, 0},
		{"a token came back", "alice", 500 * time.Millisecond, false, 0},
		{"refusals took no token", "alice", time.Second, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.advance(tt.advance)
			_, err := call(as(tt.caller), req)
			if !tt.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Fatalf("err = %v, want ResourceExhausted", err)
			}
			q, r := details(t, err)
			if q == nil || len(q.GetViolations()) != 1 || q.GetViolations()[0].GetSubject() != "caller:"+tt.caller {
				t.Errorf("QuotaFailure = %v", q)
			}
			if r == nil || r.GetRetryDelay().AsDuration() != tt.retry {
				t.Errorf("RetryInfo = %v, want %v", r, tt.retry)
			}
		})
	}
}

// fakeConn is a streaming handler connection with a peer.
type fakeConn struct{ connect.StreamingHandlerConn }

func (fakeConn) Peer() connect.Peer { return connect.Peer{Addr: "127.0.0.1:1"} }

func TestStreamLimit(t *testing.T) {
	l, err := New(Options{MaxStreams: 1, Identify: identify})
	if err != nil {
		t.Fatal(err)
	}
	inside := make(chan struct{})
	release := make(chan struct{})
	stream := l.WrapStreamingHandler(func(context.Context, connect.StreamingHandlerConn) error {
		inside <- struct{}{}
		<-release
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- stream(as("alice"), fakeConn{}) }()
	<-inside
	quick := l.WrapStreamingHandler(func(context.Context, connect.StreamingHandlerConn) error { return nil })
	err = quick(as("alice"), fakeConn{})
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("second stream: %v, want ResourceExhausted", err)
	}
	if q, _ := details(t, err); q == nil {
		t.Error("no QuotaFailure")
	}
	if err := quick(as("bob"), fakeConn{}); err != nil {
		t.Errorf("bob's stream refused: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := quick(as("alice"), fakeConn{}); err != nil {
		t.Errorf("stream after the first ended refused: %v", err)
	}
}

func TestCallersAreBounded(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	l, err := New(Options{RPS: 10, MaxCallers: 100, Identify: identify, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	call := l.WrapUnary(func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) { return nil, nil })
	for i := range 1000 {
		clk.advance(time.Millisecond)
		if _, err := call(as("c"+strconv.Itoa(i)), connect.NewRequest(&emptypb.Empty{})); err != nil {
			t.Fatal(err)
		}
		if n := l.Callers(); n > 100 {
			t.Fatalf("%d callers tracked, limit 100", n)
		}
	}
}

func TestNewRequiresIdentify(t *testing.T) {
	if _, err := New(Options{RPS: 1}); err == nil {
		t.Error("New without Identify succeeded")
	}
}

type attachedKey struct{}

// TestAttachNamesTheCallerToWhatRunsBelow: every admitted call, unary or
// stream, with or without limits, goes on with the context Attach made from
// its caller's name; a refused call never reaches the handler.
func TestAttachNamesTheCallerToWhatRunsBelow(t *testing.T) {
	attach := func(ctx context.Context, caller string) context.Context {
		return context.WithValue(ctx, attachedKey{}, caller)
	}
	tests := []struct {
		name string
		opts Options
	}{
		{"no limits", Options{}},
		{"rate and stream limits", Options{RPS: 1, Burst: 1, MaxStreams: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Identify, opts.Attach = identify, attach
			l, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			var seen []string
			unary := l.WrapUnary(func(ctx context.Context, _ connect.AnyRequest) (connect.AnyResponse, error) {
				s, _ := ctx.Value(attachedKey{}).(string)
				seen = append(seen, s)
				return nil, nil
			})
			stream := l.WrapStreamingHandler(func(ctx context.Context, _ connect.StreamingHandlerConn) error {
				s, _ := ctx.Value(attachedKey{}).(string)
				seen = append(seen, s)
				return nil
			})
			if _, err := unary(as("alice"), connect.NewRequest(&emptypb.Empty{})); err != nil {
				t.Fatal(err)
			}
			if err := stream(as("bob"), fakeConn{}); err != nil {
				t.Fatal(err)
			}
			_, err = unary(as("alice"), connect.NewRequest(&emptypb.Empty{}))
			if refused := connect.CodeOf(err) == connect.CodeResourceExhausted; refused != (opts.RPS > 0) {
				t.Fatalf("alice's second call: %v", err)
			}
			want := "[alice bob alice]"
			if opts.RPS > 0 {
				want = "[alice bob]"
			}
			if got := fmt.Sprint(seen); got != want {
				t.Errorf("handlers saw callers %s, want %s", got, want)
			}
		})
	}
}
