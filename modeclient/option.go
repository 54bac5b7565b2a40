package modeclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient sets the HTTP client (transport, timeouts, telemetry
// wrappers). The client is copied: its redirect policy is wrapped so that
// redirects never leave Mode's host.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		c.hc = hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default "modeplatform/<version> (+go)").
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("user agent must be a non-empty single line")
		}
		c.userAgent = ua
		return nil
	}
}

// WithCache serves GETs of JSON resources through ch (keyed by the
// credential's fingerprint) and invalidates its entries on writes. The
// cache may be shared by clients with different credentials.
func WithCache(ch *cache.Cache) Option {
	return func(c *Client) error {
		c.cache = ch
		return nil
	}
}

// WithSharedValueCheck is for tests: it makes the client check, on every
// cache hit, that the value it is about to hand out still equals a fresh
// decode of the body it came from, and call fail with a description when it
// does not. Values a Client returns are shared with its cache and with other
// callers (see the package doc); a caller that modifies one breaks this
// check the next time the value is read. The check costs a decode per hit:
// do not use it in production.
func WithSharedValueCheck(fail func(error)) Option {
	return func(c *Client) error {
		c.sharedCheck = fail
		return nil
	}
}

// WithMaxAttempts sets how many times a call is attempted in all (default 3; 1 disables retries).
func WithMaxAttempts(n int) Option {
	return func(c *Client) error {
		if n < 1 {
			return fmt.Errorf("max attempts %d < 1", n)
		}
		c.maxAttempts = n
		return nil
	}
}

// WithBackoff sets the exponential backoff between retries when Mode sends
// no Retry-After: attempt n waits a uniformly random duration in
// [0, min(max, min·2ⁿ⁻¹)] ("full jitter"). Defaults 500ms and 10s.
func WithBackoff(minWait, maxWait time.Duration) Option {
	return func(c *Client) error {
		if minWait <= 0 || maxWait < minWait {
			return fmt.Errorf("backoff needs 0 < min <= max, got %v, %v", minWait, maxWait)
		}
		c.backoffMin, c.backoffMax = minWait, maxWait
		return nil
	}
}

// WithPerPage sets the per_page every list request pins (default 100, at most 1000).
func WithPerPage(n int) Option {
	return func(c *Client) error {
		if n < 1 || n > MaxPerPage {
			return fmt.Errorf("per page %d outside [1, %d]", n, MaxPerPage)
		}
		c.perPage = n
		return nil
	}
}

// WithMaxResponseBytes caps the size of a JSON response body (default 32 MiB);
// larger bodies fail with *DecodeError. Streamed results are not capped.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) error {
		if n < 1 {
			return fmt.Errorf("max response bytes %d < 1", n)
		}
		c.maxResponseBytes = n
		return nil
	}
}

// WithMetadataTTL sets how long metadata (workspaces, spaces, reports,
// queries, memberships, groups, data sources and every list) is cached
// (default 30s; <= 0 disables caching of metadata).
func WithMetadataTTL(d time.Duration) Option {
	return func(c *Client) error {
		c.metadataTTL = d
		return nil
	}
}

// WithFinishedRunTTL sets how long report runs and query runs in a terminal
// state are cached (default 1h). Runs still in progress are never cached.
func WithFinishedRunTTL(d time.Duration) Option {
	return func(c *Client) error {
		c.finishedTTL = d
		return nil
	}
}

// WithRetryObserver calls fn before every retry wait (for metrics and
// traces). fn must be fast and safe for concurrent use.
func WithRetryObserver(fn func(ctx context.Context, ev RetryEvent)) Option {
	return func(c *Client) error {
		c.retryObserver = fn
		return nil
	}
}

// withSleep replaces the retry wait (tests).
func withSleep(fn func(context.Context, time.Duration) error) Option {
	return func(c *Client) error {
		c.sleep = fn
		return nil
	}
}
