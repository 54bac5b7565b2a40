// Package modeclient is a typed client for Mode Analytics' REST API
// (https://app.mode.com/api): HAL+JSON resources decoded into Go structs,
// HTTP Basic auth, validated and escaped paths, pagination as lazy
// iterators, typed errors, retries with backoff honouring Retry-After,
// streamed query results and an optional shared response cache.
//
// Mode allows about 4 requests per second per credential, so the client
// spends requests carefully: lists pin a large per_page, GETs can be served
// from a cache.Cache (WithCache) with concurrent identical misses coalesced,
// and writes invalidate exactly the entries they may have changed.
//
// Every method takes the context first, then the workspace username, then
// the tokens of the resource's parents and of the resource itself. Every
// object Mode answers must belong to that workspace: one of another
// workspace (Mode's tokens are global) is a *WrongWorkspaceError, a 404,
// and is never cached. A write addressed by a token first reads the object
// it changes (or, for a create, its parent) with the ordinary cached GET, so
// that an object of another workspace is not found before anything is sent
// to it: free when that object is cached, one GET when it is not.
//
// # The Metadata API
//
// Mode's Metadata API (/batch/{workspace}/…, ListBatchReports and its
// siblings) lists a whole workspace a thousand objects a request. Its reads
// are signed with a signature token, not with the Credential: the client
// makes one per workspace when it first needs it, keeps it in memory only,
// renews it before it expires (WithBatchTokenLifetime) and deletes it on
// ReleaseBatchTokens. Secrets (signature tokens' access secrets, data source
// passwords) are never cached, logged or put in an error.
//
// # People and the audit log
//
// GetAccount answers the user the Credential belongs to (cached per
// credential) and VerifyCredential whether Mode accepts it (never cached);
// neither puts the credential in an answer, an error, a log or a span.
// Memberships are addressed by their own token (Membership.MembershipToken;
// GetMembershipByUsername finds it from a username); DeleteMembership and
// InviteMembers (one request per address, an outcome per address) drop
// what a change of people changes. ListAuditLog reads a workspace's audit
// log, filtered and paged by next_token, always fresh.
//
// # Shared values
//
// With a cache, what a read returns (the object of a GetXxx, the page of a
// ListXxxPage, and the maps and slices inside the items a ListXxx yields) is
// the decoded value the cache keeps, shared with every other caller that
// reads the same entry: treat it as read-only, and copy what you need to
// change. Values that writes return (CreateXxx, UpdateXxx, RunReport…) are
// the caller's own. Tests can catch a caller that breaks this rule with
// WithSharedValueCheck.
package modeclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Defaults of the options.
const (
	DefaultMaxAttempts      = 3
	DefaultBackoffMin       = 500 * time.Millisecond
	DefaultBackoffMax       = 10 * time.Second
	DefaultPerPage          = 100
	MaxPerPage              = 1000
	DefaultMaxResponseBytes = 32 << 20
	DefaultMetadataTTL      = 30 * time.Second
	DefaultFinishedTTL      = time.Hour
	// MaxRetryAfter is the longest Retry-After the client waits for; a
	// longer one ends the call with the *APIError carrying it.
	MaxRetryAfter = time.Minute
)

const (
	mediaHAL  = "application/hal+json"
	mediaJSON = "application/json"
	mediaCSV  = "text/csv"
)

// Client calls Mode's REST API with one credential. It is safe for
// concurrent use. Create it with New.
type Client struct {
	base        *url.URL // scheme and host (and an optional path prefix) of Mode
	basePath    string   // base.Path without a trailing slash
	cred        Credential
	fingerprint string
	hc          *http.Client
	userAgent   string

	maxAttempts      int
	backoffMin       time.Duration
	backoffMax       time.Duration
	perPage          int
	maxResponseBytes int64
	metadataTTL      time.Duration
	finishedTTL      time.Duration

	retryRatio        float64
	retryMinPerSecond float64
	budget            *retryBudget // nil: no retry budget

	cache         *cache.Cache
	finished      *finishedRuns // report runs seen finished (runsEnded)
	batchAuth     batchSessions // the signature tokens of Metadata API reads (batchauth.go)
	batchLifetime time.Duration // how long each of them lasts
	retryObserver func(context.Context, RetryEvent)
	sharedCheck   func(error)                                // nil: no check of shared values (WithSharedValueCheck)
	tracer        trace.Tracer                               // nil: no cache spans (WithTracerProvider)
	sleep         func(context.Context, time.Duration) error // injectable for tests
	now           func() time.Time
}

// New returns a client for the Mode instance at baseURL (e.g.
// "https://app.mode.com"; the API lives under /api/ on it) using cred.
func New(baseURL string, cred Credential, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, errors.New("modeclient: base URL does not parse") // the URL may hold secrets: not quoted
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("modeclient: base URL must be http or https")
	case u.Host == "":
		return nil, errors.New("modeclient: base URL has no host")
	case u.User != nil:
		return nil, errors.New("modeclient: base URL must not carry credentials; pass a Credential")
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, errors.New("modeclient: base URL must not have a query or fragment")
	}
	if !cred.valid() {
		return nil, errors.New("modeclient: credential needs a token and a secret")
	}
	c := &Client{
		base:             &url.URL{Scheme: u.Scheme, Host: u.Host},
		basePath:         strings.TrimSuffix(u.EscapedPath(), "/"),
		cred:             cred,
		fingerprint:      cred.Fingerprint(),
		hc:               http.DefaultClient,
		userAgent:        defaultUserAgent(),
		maxAttempts:      DefaultMaxAttempts,
		backoffMin:       DefaultBackoffMin,
		backoffMax:       DefaultBackoffMax,
		perPage:          DefaultPerPage,
		maxResponseBytes: DefaultMaxResponseBytes,
		metadataTTL:      DefaultMetadataTTL,
		finishedTTL:      DefaultFinishedTTL,
		batchLifetime:    DefaultBatchTokenLifetime,
		sleep:            sleepCtx,
		now:              time.Now,
	}
	c.retryRatio, c.retryMinPerSecond = DefaultRetryRatio, DefaultRetryMinPerSecond
	c.finished = newFinishedRuns()
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("modeclient: %w", err)
		}
	}
	c.budget = newRetryBudget(c.retryRatio, c.retryMinPerSecond)
	hc := *c.hc
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != c.base.Scheme || req.URL.Host != c.base.Host {
			return http.ErrUseLastResponse // the 3xx becomes an APIError; nothing leaves Mode's host
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		return nil
	}
	c.hc = &hc
	return c, nil
}

// defaultUserAgent is "modeplatform/<module version> (+go)".
func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/modeplatform/modeplatform" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/modeplatform/modeplatform" && d.Version != "" {
				v = d.Version
			}
		}
	}
	return "modeplatform/" + v + " (+go)"
}

// String describes the client without its credential.
func (c *Client) String() string {
	return "modeclient.Client{base: " + c.base.String() + c.basePath + ", credential: " + c.fingerprint + "}"
}

// GoString is String: %#v must not print the credential.
func (c *Client) GoString() string { return c.String() }

// Format implements fmt.Formatter so that no verb prints the credential.
func (c *Client) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base", c.base.String()+c.basePath), slog.String("credential", c.fingerprint))
}

// ResolveURL resolves a HAL href (absolute or relative to Mode's host) to an
// absolute URL, e.g. a resource's "web" link for a person to open. It
// returns "" for an empty or unparsable href.
func (c *Client) ResolveURL(href string) string {
	if href == "" {
		return ""
	}
	ref, err := url.Parse(href)
	if err != nil {
		return ""
	}
	return c.base.ResolveReference(ref).String()
}

// urlFor returns the absolute URL of an API path built by apiPath.
func (c *Client) urlFor(path string, q url.Values) *url.URL {
	u := *c.base
	u.Path = c.basePath + path
	u.RawPath = ""
	u.RawQuery = q.Encode()
	return &u
}

// stripURL removes the *url.Error layer, which quotes the full URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
