package modeclient

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// refusingTransport refuses every request the way a circuit breaker or a
// rate limiter under the client does, and counts what reached it.
type refusingTransport struct {
	calls     counter
	deadlines []time.Time // CallerDeadline seen per request (zero: none)
}

func (r *refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.calls.inc()
	dl, _ := CallerDeadline(req.Context())
	r.deadlines = append(r.deadlines, dl)
	return nil, &NotSentError{Reason: NotSentCircuitOpen, RetryAfter: 3 * time.Second}
}

func TestNotSentErrorIsNeverRetried(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"GET", func(ctx context.Context, c *Client) error { _, err := c.GetReport(ctx, "acme", "r1"); return err }},
		{"POST", func(ctx context.Context, c *Client) error { _, err := c.RunReport(ctx, "acme", "r1", nil); return err }},
		{"PATCH", func(ctx context.Context, c *Client) error { _, err := c.ArchiveReport(ctx, "acme", "r1"); return err }},
		{"DELETE", func(ctx context.Context, c *Client) error { return c.DeleteReport(ctx, "acme", "r1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &refusingTransport{}
			var infos []CallInfo
			f := newFixture(t, WithHTTPClient(&http.Client{Transport: rt}))
			ctx := WithCallObserver(context.Background(), func(ci CallInfo) { infos = append(infos, ci) })
			err := tt.call(ctx, f.client)
			var ns *NotSentError
			if !errors.As(err, &ns) || ns.Reason != NotSentCircuitOpen || ns.RetryAfter != 3*time.Second {
				t.Fatalf("err = %v, want a *NotSentError", err)
			}
			var te *TransportError
			if !errors.As(err, &te) {
				t.Errorf("err = %T, want it inside a *TransportError", err)
			}
			if n := rt.calls.get(); n != 1 {
				t.Errorf("transport asked %d times, want 1 (no retry)", n)
			}
			if len(infos) != 1 || infos[0].Attempts != 0 {
				t.Errorf("call info %+v, want one call with 0 requests sent to Mode", infos)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.waits) != 0 {
				t.Errorf("retry waits %v, want none", f.waits)
			}
		})
	}
}

func TestCallerDeadlineReachesTheTransportOfACachedFetch(t *testing.T) {
	ch, err := cache.New(cache.Options{MaxEntries: 10, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Close)
	rt := &refusingTransport{}
	f := newFixture(t, WithHTTPClient(&http.Client{Transport: rt}), WithCache(ch))
	want := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), want)
	defer cancel()
	if _, err := f.client.GetReport(ctx, "acme", "r1"); err == nil {
		t.Fatal("no error")
	}
	if len(rt.deadlines) != 1 || !rt.deadlines[0].Equal(want) {
		t.Errorf("CallerDeadline in the transport = %v, want %v", rt.deadlines, want)
	}
	// Without a cache the request's own context carries the caller's deadline.
	rt2 := &refusingTransport{}
	f2 := newFixture(t, WithHTTPClient(&http.Client{Transport: rt2}))
	_, _ = f2.client.GetReport(ctx, "acme", "r1")
	if len(rt2.deadlines) != 1 || !rt2.deadlines[0].IsZero() {
		t.Errorf("CallerDeadline without a cache = %v, want none", rt2.deadlines)
	}
}
