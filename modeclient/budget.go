package modeclient

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Defaults of the retry budget (WithRetryBudget).
const (
	// DefaultRetryRatio is the share of new calls that may be retried once
	// the budget's reserve is spent: 10%.
	DefaultRetryRatio = 0.1
	// DefaultRetryMinPerSecond is the retries a credential may make per
	// second whatever its traffic, so that a quiet one can still retry.
	DefaultRetryMinPerSecond = 0.5
	// retryReserveSeconds is how many seconds of the minimum rate the budget
	// can save up (Finagle's RetryBudget keeps its deposits for 10s).
	retryReserveSeconds = 10
)

// retryBudget bounds the retries of one client (one Mode credential) to a
// share of its calls, so that retrying Mode's 429s cannot spend the rate
// limit the new calls need: it is a token bucket in the manner of gRPC's
// retry throttling and Finagle's RetryBudget. Every call deposits ratio
// tokens, time deposits minPerSecond tokens per second, the balance never
// exceeds max(1, 10s × minPerSecond) (the reserve), and every retry
// withdraws one token; with less than one token left the retry is not made
// and the call ends with its last error at once.
//
// So N calls make at most N × ratio + the reserve + minPerSecond × their
// duration retries, whatever Mode answers. It starts full.
type retryBudget struct {
	ratio, perSecond, capacity float64

	mu     sync.Mutex
	tokens float64
	last   time.Time // when time's deposit was last added
}

// newRetryBudget returns a full budget; a negative ratio returns nil (no
// budget: only WithMaxAttempts bounds retries).
func newRetryBudget(ratio, minPerSecond float64) *retryBudget {
	if ratio < 0 {
		return nil
	}
	capacity := max(1, retryReserveSeconds*minPerSecond)
	return &retryBudget{ratio: ratio, perSecond: minPerSecond, capacity: capacity, tokens: capacity}
}

// refillLocked adds time's deposit up to now.
func (b *retryBudget) refillLocked(now time.Time) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens += now.Sub(b.last).Seconds() * b.perSecond
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	b.tokens = min(b.tokens, b.capacity)
}

// deposit records a new call.
func (b *retryBudget) deposit(now time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked(now)
	b.tokens = min(b.tokens+b.ratio, b.capacity)
}

// withdraw takes the token of one retry and reports whether there was one.
func (b *retryBudget) withdraw(now time.Time) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// WithRetryBudget bounds the client's retries (of every kind: 429s, 5xx,
// connection errors) to ratio of its calls plus minPerSecond retries per
// second (which a budget can save up for 10 seconds, at least one retry's
// worth): a token bucket where each call deposits ratio tokens, each second
// deposits minPerSecond, and each retry takes one. With the budget spent a
// retryable failure is returned at once (a 429 as the *APIError carrying
// Mode's Retry-After) instead of being retried. The budget belongs to the
// client, i.e. to its credential. Defaults DefaultRetryRatio (10%) and
// DefaultRetryMinPerSecond (0.5); a negative ratio disables the budget.
func WithRetryBudget(ratio, minPerSecond float64) Option {
	return func(c *Client) error {
		if math.IsNaN(ratio) || ratio > 1 || math.IsInf(ratio, 0) {
			return fmt.Errorf("retry budget ratio %v outside [0, 1] (negative: no budget)", ratio)
		}
		if math.IsNaN(minPerSecond) || math.IsInf(minPerSecond, 0) || minPerSecond < 0 {
			return fmt.Errorf("retry budget minimum %v per second is not a finite number >= 0", minPerSecond)
		}
		c.retryRatio, c.retryMinPerSecond = ratio, minPerSecond
		return nil
	}
}
