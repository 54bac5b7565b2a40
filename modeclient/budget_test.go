package modeclient

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// budgetClock is a clock for the client that moves only when told to.
type budgetClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *budgetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *budgetClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// withNow replaces the client's clock (tests).
func withNow(fn func() time.Time) Option {
	return func(c *Client) error {
		c.now = fn
		return nil
	}
}

// rateLimitedMode is an emulator that answers 429 with Retry-After: 7 to every request, and a
// client of it whose retry waits are not slept and whose clock stands still unless advanced.
func rateLimitedMode(t *testing.T, opts ...Option) (*modetest.Server, *Client, *budgetClock) {
	t.Helper()
	emu := modetest.NewServer(t, modetest.WithRateLimit(0, 0))
	emu.AddFault(modetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7"})
	clk := &budgetClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	base := []Option{
		WithHTTPClient(emu.Client()),
		withSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
		withNow(clk.Now),
	}
	c, err := New(emu.URL, Credential{Token: emu.Token, Secret: emu.Secret}, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return emu, c, clk
}

// TestRetryBudgetBoundsRetriesOfA429Storm: with Mode answering 429 to everything, N calls make
// at most N × (1 + ratio) + the reserve requests, where without a budget every call makes
// WithMaxAttempts (3) of them; and the calls the budget refused a retry get Mode's 429 with its
// Retry-After at once.
func TestRetryBudgetBoundsRetriesOfA429Storm(t *testing.T) {
	const n = 100
	tests := []struct {
		name         string
		opts         []Option
		maxRequests  int
		minRequests  int
		wantDeclined bool
	}{
		{"default budget", nil, n + n*DefaultRetryRatio + retryReserveSeconds*DefaultRetryMinPerSecond, n + 1, true},
		{"20% and 1 per second", []Option{WithRetryBudget(0.2, 1)}, n + n*0.2 + 10, n + 1, true},
		{"no budget", []Option{WithRetryBudget(-1, 0)}, 3 * n, 3 * n, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, c, _ := rateLimitedMode(t, tt.opts...)
			declined := 0
			for i := range n {
				_, err := c.GetWorkspace(t.Context(), modetest.DemoWorkspace)
				var ae *APIError
				if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests || ae.RetryAfter != 7*time.Second {
					t.Fatalf("call %d: %v, want the 429 with Retry-After 7s", i, err)
				}
				if emu.CountRequests(http.MethodGet, "/api/") < 3*(i+1) {
					declined++
				}
			}
			got := emu.CountRequests(http.MethodGet, "/api/")
			if got > tt.maxRequests || got < tt.minRequests {
				t.Errorf("%d calls made %d requests, want between %d and %d", n, got, tt.minRequests, tt.maxRequests)
			}
			if (declined > 0) != tt.wantDeclined {
				t.Errorf("%d calls had a retry declined; want some: %v", declined, tt.wantDeclined)
			}
		})
	}
}

// TestRetryBudgetRefillsWithTime: a spent budget lets a quiet credential retry again after a
// while (minPerSecond), and never saves up more than its reserve.
func TestRetryBudgetRefillsWithTime(t *testing.T) {
	emu, c, clk := rateLimitedMode(t, WithRetryBudget(0, 1)) // no deposits per call: time only
	requests := func() int {
		before := emu.CountRequests(http.MethodGet, "/api/")
		_, _ = c.GetWorkspace(t.Context(), modetest.DemoWorkspace)
		return emu.CountRequests(http.MethodGet, "/api/") - before
	}
	// The reserve: 10 retries (10s of 1 per second), i.e. five calls retried twice.
	for i := range 5 {
		if got := requests(); got != 3 {
			t.Fatalf("call %d on a full budget made %d requests, want 3", i, got)
		}
	}
	if got := requests(); got != 1 {
		t.Fatalf("call on a spent budget made %d requests, want 1 (no retry)", got)
	}
	clk.Advance(time.Second)
	if got := requests(); got != 2 {
		t.Errorf("call a second later made %d requests, want 2 (one retry earned)", got)
	}
	clk.Advance(time.Hour)
	total := 0
	for range 10 {
		total += requests()
	}
	if want := 10 + 10; total != want {
		t.Errorf("ten calls after an hour made %d requests, want %d (the reserve caps what is saved)", total, want)
	}
}

// TestRetryBudgetExhaustionIsASpanEvent: a retry the budget refused is recorded on the caller's
// span as RetryBudgetEventName.
func TestRetryBudgetExhaustionIsASpanEvent(t *testing.T) {
	_, c, _ := rateLimitedMode(t, WithRetryBudget(0, 0)) // a reserve of one retry
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "rpc")
	_, _ = c.GetWorkspace(ctx, modetest.DemoWorkspace) // 429, retry (the reserve), 429, declined
	span.End()
	var events []string
	for _, s := range spans.Ended() {
		for _, ev := range s.Events() {
			events = append(events, ev.Name)
		}
	}
	if len(events) != 1 || events[0] != RetryBudgetEventName {
		t.Errorf("span events %v, want one %s", events, RetryBudgetEventName)
	}
}

func TestWithRetryBudgetRejectsBadValues(t *testing.T) {
	for _, tt := range []struct{ ratio, min float64 }{{1.5, 1}, {0.1, -1}} {
		if _, err := New("https://mode.example", testCred, WithRetryBudget(tt.ratio, tt.min)); err == nil {
			t.Errorf("WithRetryBudget(%v, %v) accepted", tt.ratio, tt.min)
		}
	}
}
