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
package modeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime/debug"
	"strings"
	"sync/atomic"
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
	retryObserver func(context.Context, RetryEvent)
	tracer        trace.Tracer                               // nil: no cache spans (WithTracerProvider)
	sleep         func(context.Context, time.Duration) error // injectable for tests
	now           func() time.Time
}

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

// --- context helpers --------------------------------------------------------

type ctxKey int

const (
	bypassKey ctxKey = iota
	observerKey
	routeKey
	streamedKey
)

// WithCacheBypass returns a context whose GETs skip the cache lookup, fetch
// fresh from Mode and refresh the cached entry.
func WithCacheBypass(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassKey, true)
}

func cacheBypassed(ctx context.Context) bool {
	b, _ := ctx.Value(bypassKey).(bool)
	return b
}

// CallInfo describes one finished client call, for telemetry and access logs.
type CallInfo struct {
	Method string // HTTP method
	Route  string // path template, e.g. "/api/{workspace}/reports/{report}"
	// Cached is true when the call went through the cache; Outcome is then
	// how the cache answered (hit, miss, coalesced, bypass).
	Cached  bool
	Outcome cache.Outcome
	// Attempts is how many HTTP requests this call sent to Mode: 0 when it
	// was answered from the cache or by another caller's coalesced fetch.
	Attempts int
	// StatusCode is the status of the last response Mode sent, 0 if none.
	StatusCode int
}

// WithCallObserver returns a context on which every client call reports a
// CallInfo to fn when it finishes (before the method returns; for streams,
// when the response headers arrived). fn must be safe for concurrent use.
func WithCallObserver(ctx context.Context, fn func(CallInfo)) context.Context {
	return context.WithValue(ctx, observerKey, fn)
}

// RouteFromContext returns the method and route template of the Mode request
// carried by ctx (the context of an outgoing *http.Request made by this
// client), for transport-level telemetry such as span names.
func RouteFromContext(ctx context.Context) (method, route string, ok bool) {
	r, ok := ctx.Value(routeKey).([2]string)
	return r[0], r[1], ok
}

// CallerDeadline returns the deadline of the callers on whose behalf the
// outgoing request carried by ctx is made, when that request runs on a
// detached context: a cache fetch shared by several callers runs with its own
// timeout, and on behalf of the most patient of them, so this is the latest
// deadline among the callers that asked for its result so far (see
// cache.CallersDeadline), not the deadline of the one that happened to start
// it. A transport that waits before sending (a rate limiter) should not wait
// past it. ok is false when the request's own context deadline is the
// caller's, or when a caller without a deadline waits for it.
func CallerDeadline(ctx context.Context) (deadline time.Time, ok bool) {
	return cache.CallersDeadline(ctx)
}

// --- request plumbing -------------------------------------------------------

// call is one logical client call, possibly sent several times.
type call struct {
	method string
	path   string
	route  string
	query  url.Values
	// workspace is the workspace the call is about: every object Mode
	// answers must belong to it (see checkOwner).
	workspace string
	body      []byte // JSON request body, nil for none
	accept    string
	attempts  atomic.Int32 // requests sent (updated by a detached cache fetch)
	status    atomic.Int32 // last status received
}

func (c *Client) newCall(method string, p *apiPath, q url.Values) (*call, error) {
	path, route, err := p.build()
	if err != nil {
		return nil, err
	}
	return &call{method: method, path: path, route: route, query: q, workspace: p.workspace, accept: mediaHAL}, nil
}

// observe reports cl to the context's call observer, if any.
func observe(ctx context.Context, cl *call, cached bool, o cache.Outcome) {
	fn, _ := ctx.Value(observerKey).(func(CallInfo))
	if fn == nil || cl == nil {
		return
	}
	fn(CallInfo{
		Method: cl.method, Route: cl.route, Cached: cached, Outcome: o,
		Attempts: int(cl.attempts.Load()), StatusCode: int(cl.status.Load()),
	})
}

// newRequest builds one attempt of cl; wrote is set once the request has
// been written to the connection.
func (c *Client) newRequest(ctx context.Context, cl *call, wrote *atomic.Bool) (*http.Request, error) {
	ctx = context.WithValue(ctx, routeKey, [2]string{cl.method, cl.route})
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.urlFor(cl.path, cl.query).String(), body)
	if err != nil {
		return nil, &TransportError{Method: cl.method, Route: cl.route, Err: errors.New("building request failed")}
	}
	req.SetBasicAuth(c.cred.Token, c.cred.Secret)
	req.Header.Set("Accept", cl.accept)
	req.Header.Set("User-Agent", c.userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", mediaJSON)
	}
	return req, nil
}

// readLimited reads at most limit bytes of r; more is an error.
func readLimited(r io.Reader, limit int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

// fetchBody sends cl and returns its whole (capped) 2xx body.
func (c *Client) fetchBody(ctx context.Context, cl *call) ([]byte, error) {
	var body []byte
	_, err := c.send(ctx, cl, func(resp *http.Response) error {
		b, tooBig, err := readLimited(resp.Body, c.maxResponseBytes)
		if err != nil {
			return &bodyReadError{err}
		}
		if tooBig {
			return &DecodeError{Method: cl.method, Route: cl.route,
				Reason: fmt.Sprintf("body larger than %d bytes", c.maxResponseBytes)}
		}
		body = b
		return nil
	})
	return body, err
}

// decode unmarshals a JSON body into out.
func decode(cl *call, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return newDecodeError(cl.method, cl.route, err)
	}
	return nil
}

// decodeJSON unmarshals a JSON body into a new T.
func decodeJSON[T any](cl *call, body []byte) (*T, error) {
	v := new(T)
	if err := decode(cl, body, v); err != nil {
		return nil, err
	}
	return v, nil
}

// cachePolicy decides, from a fetched response in decoded form, how long to
// keep it and which tags (besides the resource path) it carries.
type cachePolicy func(decoded any) (ttl time.Duration, tags []string)

// decodedSize is the memory accounted for the decoded form of body kept in
// the cache beside it: 1.5 times the JSON text. TestDecodedSizeBound measures
// the emulator's bodies: once decoded, a report keeps about 1.03 times its
// JSON alive, a page of 100 reports about 1.25 times (a Report per item).
func decodedSize(body []byte) int64 { return int64(len(body)) * 3 / 2 }

// getJSON GETs p (through the cache when configured) and decodes it into a
// new T, which must belong to the workspace of p (checkOwner) before it is
// cached or returned.
func getJSON[T any, PT ownedPtr[T]](ctx context.Context, c *Client, p *apiPath, q url.Values, policy cachePolicy) (*T, error) {
	return getDecoded(ctx, c, p, q, policy, func(cl *call, body []byte) (*T, error) {
		v, err := decodeJSON[T](cl, body)
		if err != nil {
			return nil, err
		}
		if err := c.checkOwner(cl, PT(v)); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// getDecoded GETs p (through the cache when configured) and returns its body
// decoded by decode, a value of the caller's own. The cache keeps the decoded
// form beside the body, so that a hit costs a copy rather than a decode: the
// fetch decodes once for every coalesced caller (which also validates the
// body before it is stored), and a body that arrives without its decoded
// form (from a second cache level) is decoded once and attached.
func getDecoded[T any](ctx context.Context, c *Client, p *apiPath, q url.Values, policy cachePolicy, decode func(*call, []byte) (*T, error)) (*T, error) {
	cl, err := c.newCall(http.MethodGet, p, q)
	if err != nil {
		return nil, err
	}
	if c.cache == nil {
		body, err := c.fetchBody(ctx, cl)
		observe(ctx, cl, false, cache.OutcomeMiss)
		if err != nil {
			return nil, err
		}
		return decode(cl, body)
	}
	key := cache.Key{Credential: c.fingerprint, Method: cl.method, Path: cl.path, Query: q.Encode()}
	sctx, endSpan := c.startCacheSpan(ctx, cl)
	ent, outcome, err := c.cache.GetEntry(sctx, key, cacheBypassed(ctx), func(fctx context.Context) (cache.Fetched, error) {
		body, err := c.fetchBody(fctx, cl)
		if err != nil {
			return cache.Fetched{}, err
		}
		v, err := decode(cl, body)
		if err != nil {
			return cache.Fetched{}, err
		}
		ttl, tags := policy(v)
		return cache.Fetched{Body: body, Value: v, ValueSize: decodedSize(body), TTL: ttl, Tags: append(tags, cl.path)}, nil
	})
	endSpan(outcome, err)
	observe(ctx, cl, true, outcome)
	if err != nil {
		if errors.Is(err, cache.ErrClosed) {
			return nil, fmt.Errorf("modeclient: %s %s: %w", cl.method, cl.route, err)
		}
		return nil, err
	}
	if v, ok := ent.Value.(*T); ok {
		return cloneValue(v), nil
	}
	v, err := decode(cl, ent.Body)
	if err != nil {
		return nil, err
	}
	c.cache.Attach(key, ent.Body, v, decodedSize(ent.Body))
	return cloneValue(v), nil
}

// write sends a JSON body (nil for none) with method to p, decodes a
// non-empty answer into out (when non-nil), checks that it belongs to the
// workspace of p (checkOwner; for a DELETE, only that it names no other
// workspace) and invalidates tags. Tags are invalidated
// whenever Mode may have processed the request, even if the call failed (a
// 5xx or a broken connection after sending).
func (c *Client) write(ctx context.Context, method string, p *apiPath, in any, out owned, tags func(path string) []string) error {
	cl, err := c.newCall(method, p, nil)
	if err != nil {
		return err
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("modeclient: %s %s: encoding request body: %w", cl.method, cl.route, err)
		}
		cl.body = b
	}
	body, err := c.fetchBody(ctx, cl)
	observe(ctx, cl, false, cache.OutcomeMiss)
	if c.cache != nil && maybeProcessed(cl, err) {
		c.cache.Invalidate(tags(cl.path)...)
	}
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if cl.method == http.MethodDelete {
		// The deleted object is not handed to the caller, and Mode's spec
		// has an empty body for some deletions: only an answer that names
		// another workspace fails the call.
		if decode(cl, body, out) != nil {
			return nil
		}
		var ww *WrongWorkspaceError
		if err := c.checkOwner(cl, out); errors.As(err, &ww) {
			return err
		}
		return nil
	}
	if err := decode(cl, body, out); err != nil {
		return err
	}
	return c.checkOwner(cl, out)
}

// maybeProcessed reports whether Mode may have applied a write that ended with err.
func maybeProcessed(cl *call, err error) bool {
	if err == nil {
		return true
	}
	if cl.attempts.Load() == 0 {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500
	}
	return true
}

// stream sends a GET for a result body and returns the open response body.
func (c *Client) stream(ctx context.Context, p *apiPath, accept string) (io.ReadCloser, error) {
	cl, err := c.newCall(http.MethodGet, p, nil)
	if err != nil {
		return nil, err
	}
	cl.accept = accept
	resp, err := c.send(context.WithValue(ctx, streamedKey, true), cl, nil)
	observe(ctx, cl, false, cache.OutcomeMiss)
	if err != nil {
		return nil, err
	}
	want := resp.ContentLength
	if resp.Uncompressed {
		want = -1 // the length was of the compressed body (gzip checks its own length)
	}
	return &streamBody{rc: resp.Body, cl: cl, want: want}, nil
}

// Streamed reports whether the outgoing request carried by ctx reads a
// streamed body (a query result) that its caller may hold open for long: a
// transport limiting requests in flight may count it apart from the others.
func Streamed(ctx context.Context) bool {
	b, _ := ctx.Value(streamedKey).(bool)
	return b
}

// streamBody wraps a result body so that read failures name the route
// instead of the URL, and a body that ends before its Content-Length is an
// error (io.ErrUnexpectedEOF in a *TransportError), never a clean end.
// net/http already checks the length of HTTP/1.1 and HTTP/2 bodies; this
// check holds whatever transport sits under the client. A body with no
// length (chunked, or compressed) is checked by its framing: a chunked body
// cut before its last chunk, or a gzip stream cut before its trailer, also
// fails with io.ErrUnexpectedEOF. Only a body delimited by the connection's
// end (HTTP/1.0 style, no length, no chunks, no compression) cannot be told
// from a whole one here.
type streamBody struct {
	rc   io.ReadCloser
	cl   *call
	want int64 // Content-Length, -1 if unknown
	n    int64 // bytes read
}

func (s *streamBody) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	s.n += int64(n)
	if err == io.EOF && s.want >= 0 && s.n != s.want {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		err = &TransportError{Method: s.cl.method, Route: s.cl.route, Err: stripURL(err)}
	}
	return n, err
}

func (s *streamBody) Close() error { return s.rc.Close() }

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

// withSleep replaces the retry wait (tests).
func withSleep(fn func(context.Context, time.Duration) error) Option {
	return func(c *Client) error {
		c.sleep = fn
		return nil
	}
}
