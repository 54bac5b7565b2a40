package modeclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Retry policy. Mode did not process a request it answered 429, so a 429 is
// retried for every method. GET and HEAD are also retried on 502, 503, 504,
// on connection errors and on bodies cut off mid-way. A write (POST, PATCH,
// DELETE) that may have been processed, i.e. got a 5xx or lost its
// connection after the request was written, is never retried; one whose
// connection failed before anything was written is. Retry-After (seconds or
// an HTTP date) replaces the backoff when present; no wait is started that
// would end after the context's deadline, nor, for a cache fetch shared by
// several callers, after the latest deadline among them (CallerDeadline: the
// first caller's deadline alone does not cut the others short): the last
// error is returned at once.
// A *NotSentError from the transport (a circuit breaker or rate limiter under
// the client refused to send) is never retried. Every retry is paid from the
// client's retry budget (WithRetryBudget): with the budget spent, the failure
// is returned at once.

// RetryEvent describes a retry about to happen, for WithRetryObserver.
type RetryEvent struct {
	Method     string        // HTTP method
	Route      string        // path template
	Attempt    int           // the attempt that failed, from 1
	Wait       time.Duration // how long the client waits before the next attempt
	StatusCode int           // status of the failed attempt; 0 for a transport error
	RetryAfter bool          // Wait comes from Mode's Retry-After header
	Err        error         // the failed attempt's error
}

// bodyReadError marks a failure reading a 2xx body (connection cut).
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "reading response body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// idempotent reports whether method may be sent twice without harm.
func idempotent(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// retryableStatus reports whether a response status may be retried for method.
func retryableStatus(method string, status int) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent(method)
	}
	return false
}

// backoff returns the full-jitter wait before attempt+1.
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.backoffMax
	if attempt-1 < 32 {
		if d := c.backoffMin << (attempt - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

// send performs cl with retries. On a 2xx it either returns the response
// (consume == nil; the caller closes the body) or hands it to consume and
// closes it; a *bodyReadError from consume is retried like a connection
// error. Every other outcome is an error: *APIError, *TransportError,
// *DecodeError or a context error.
func (c *Client) send(ctx context.Context, cl *call, consume func(*http.Response) error) (*http.Response, error) {
	var lastErr error
	c.budget.deposit(c.now())
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if lastErr != nil {
				return nil, fmt.Errorf("%w (after: %w)", err, lastErr)
			}
			return nil, &TransportError{Method: cl.method, Route: cl.route, Err: err}
		}
		var wrote atomic.Bool
		req, err := c.newRequest(ctx, cl, &wrote)
		if err != nil {
			return nil, err
		}
		cl.attempts.Add(1)
		resp, err := c.hc.Do(req)
		var (
			retry      bool
			status     int
			retryAfter time.Duration
		)
		switch {
		case err != nil:
			lastErr = &TransportError{Method: cl.method, Route: cl.route, Err: stripURL(err)}
			var ns *NotSentError
			if errors.As(err, &ns) {
				// Refused below us without sending (an open breaker, a rate
				// limit wait past the deadline): not a request to Mode, and
				// retrying would only be refused again.
				cl.attempts.Add(-1)
				return nil, lastErr
			}
			if ctx.Err() != nil {
				return nil, lastErr
			}
			retry = idempotent(cl.method) || !wrote.Load()
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			cl.status.Store(int32(resp.StatusCode))
			if consume == nil {
				return resp, nil
			}
			err := consume(resp)
			resp.Body.Close()
			if err == nil {
				return nil, nil
			}
			var bre *bodyReadError
			if !errors.As(err, &bre) {
				return nil, err
			}
			lastErr = &TransportError{Method: cl.method, Route: cl.route, Err: stripURL(bre.err)}
			if ctx.Err() != nil {
				return nil, lastErr
			}
			retry = idempotent(cl.method)
		default:
			status = resp.StatusCode
			cl.status.Store(int32(status))
			body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			ae := newAPIError(cl.method, cl.route, status, resp.Header, body, c.now())
			lastErr, retryAfter = ae, ae.RetryAfter
			retry = retryableStatus(cl.method, status)
		}
		if !retry || attempt >= c.maxAttempts || retryAfter > MaxRetryAfter {
			return nil, lastErr
		}
		wait := retryAfter
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
			return nil, lastErr // waiting would only end in DeadlineExceeded
		}
		if dl, ok := CallerDeadline(ctx); ok && c.now().Add(wait).After(dl) {
			return nil, lastErr // every caller of this cache fetch would be gone
		}
		if !c.budget.withdraw(c.now()) {
			budgetExhausted(ctx, cl, attempt, status)
			return nil, lastErr // retrying would spend the rate limit new calls need
		}
		if c.retryObserver != nil {
			c.retryObserver(ctx, RetryEvent{
				Method: cl.method, Route: cl.route, Attempt: attempt, Wait: wait,
				StatusCode: status, RetryAfter: retryAfter > 0, Err: lastErr,
			})
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%w (after: %w)", err, lastErr)
		}
	}
}

// RetryBudgetEventName is the span event recorded when a retry was due but the
// client's retry budget (WithRetryBudget) was spent, so the failure was
// returned instead.
const RetryBudgetEventName = "modeclient.retry_budget_exhausted"

// budgetExhausted records a retry the budget refused on the span in ctx.
func budgetExhausted(ctx context.Context, cl *call, attempt, status int) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", cl.method),
		AttrURLTemplate.String(cl.route),
		attribute.Int("modeclient.retry.attempt", attempt),
	}
	if status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", status))
	}
	span.AddEvent(RetryBudgetEventName, trace.WithAttributes(attrs...))
}
