// Package upstream gives the services their Mode clients: one
// modeclient.Client per Mode credential, chosen by workspace (a credentials
// file maps workspaces to credentials; a default credential may serve the
// rest), all sharing one response cache whose keys carry the credential's
// fingerprint, so one credential's data is never served to another.
//
// Every request a client sends to Mode — retries included — passes that
// credential's guard, at the HTTP transport: a token-bucket rate limit
// (Mode allows about 4 requests per second per credential), a concurrency
// limit, and a circuit breaker (sony/gobreaker) that fails fast while Mode
// keeps failing. Waits never outlast the caller's deadline: a request that
// could not be sent in time is refused without being sent
// (modeclient.NotSentError, which the service maps to Unavailable with
// RetryInfo, and which modeclient never retries).
//
// Fair spend. Mode's budget is what callers compete for, so it is metered
// and shared by caller, not by call: each request is made on behalf of the
// caller named on its context (modeclient.WithCaller; the server's
// per-caller interceptor names it), and a cache fetch, which runs detached
// from its caller but keeps the context's values, on behalf of the caller
// that started it — the callers that join it are not charged (splitting the
// cost would need the fetch to learn its joiners before it is sent, and
// joiners spend nothing extra). When tokens or concurrency slots run short,
// the callers waiting get them in turn (round robin across callers, FIFO
// within one: see admission), so no caller takes more than its share while
// others wait and a caller alone gets the whole budget. Options.ObserveSend
// counts each caller's spend. The share is per process: each replica shares
// its own limiter among its own callers (a rate limit shared through Redis,
// when configured, sits below it, first come first served).
package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"time"

	"connectrpc.com/connect"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/modeplatform/modeplatform/modeclient"
)

// Limits protect Mode (and our credentials' rate limit) from us.
type Limits struct {
	// RPS is the sustained requests per second toward Mode per credential;
	// default 4 (Mode's own limit); < 0: none.
	RPS float64
	// Burst is how many requests may go at once after a quiet spell;
	// default max(1, ceil(RPS)).
	Burst int
	// Concurrency is how many requests per credential may be in flight at
	// once (a streamed result counts only until its headers arrive);
	// default 8; < 0: no limit.
	Concurrency int
	// Streams is how many streamed result bodies per credential may be open
	// at once, apart from Concurrency: a caller reading a result slowly
	// holds one of these, never a request slot; default 16; < 0: no limit.
	Streams int
	// BreakerFailures is how many consecutive failures (5xx answers,
	// transport errors) open the circuit breaker; default 5.
	BreakerFailures int
	// BreakerOpen is how long the breaker stays open before it lets one
	// probe through (half-open); default 30s.
	BreakerOpen time.Duration
}

// Default limits.
const (
	DefaultRPS             = 4
	DefaultConcurrency     = 8
	DefaultStreams         = 16
	DefaultBreakerFailures = 5
	DefaultBreakerOpen     = 30 * time.Second
)

func (l *Limits) setDefaults() error {
	if math.IsNaN(l.RPS) || math.IsInf(l.RPS, 0) {
		return fmt.Errorf("upstream: RPS %v", l.RPS)
	}
	switch {
	case l.RPS == 0:
		l.RPS = DefaultRPS
	case l.RPS < 0:
		l.RPS = 0
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(l.RPS)))
	}
	switch {
	case l.Concurrency == 0:
		l.Concurrency = DefaultConcurrency
	case l.Concurrency < 0:
		l.Concurrency = 0
	}
	switch {
	case l.Streams == 0:
		l.Streams = DefaultStreams
	case l.Streams < 0:
		l.Streams = 0
	}
	if l.BreakerFailures <= 0 {
		l.BreakerFailures = DefaultBreakerFailures
	}
	if l.BreakerOpen <= 0 {
		l.BreakerOpen = DefaultBreakerOpen
	}
	return nil
}

// Options configure a Pool.
type Options struct {
	// BaseURL is Mode's, e.g. "https://app.mode.com". Required.
	BaseURL string
	// Workspaces maps workspaces to their credentials (LoadCredentials).
	Workspaces Credentials
	// Default, when valid, serves every workspace not in Workspaces.
	Default modeclient.Credential
	// Limits apply per credential.
	Limits Limits
	// Transport sends the requests (shared by all credentials; nil:
	// http.DefaultTransport).
	Transport http.RoundTripper
	// WrapTransport, when set, wraps each credential's transport below its
	// guard (telemetry.WrapTransport, say): requests the guard refuses are
	// never seen by it.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// ClientOptions are passed to every modeclient.New (the shared cache,
	// the user agent, retry observers …). A WithHTTPClient among them is
	// overridden.
	ClientOptions []modeclient.Option
	// ObserveWait, when set, is told how long a request waited for its turn
	// at the credential's budget: WaitRate when a token of the rate limit was
	// short when it arrived, else WaitConcurrency (a slot of the concurrency
	// limit); WaitStreams for a slot of the streamed-body limit.
	ObserveWait func(ctx context.Context, kind string, d time.Duration)
	// ObserveSend, when set, is told of every request sent to Mode (retries
	// included; not the requests refused before sending), with the caller it
	// is made for (modeclient.CallerFromContext, "" when none): the caller's
	// upstream spend. A cache fetch is charged to the caller that started it,
	// even when others joined it. It runs on the request's path: keep it
	// cheap.
	ObserveSend func(ctx context.Context, caller string)
	// Logger receives breaker state changes; default slog.Default().
	Logger *slog.Logger
	// MeterProvider receives the metrics of the requests to Mode and of the
	// guards (see MetricRequests); default otel.GetMeterProvider(). Close
	// the pool to end them.
	MeterProvider metric.MeterProvider
}

// Pool resolves the Mode client of a workspace. It implements the
// service's Upstream interface.
type Pool struct {
	byWorkspace map[string]*member
	def         *member
	members     []*member
	meters      *meters
}

type member struct {
	client *modeclient.Client
	guard  *guard
	label  string // the workspaces it serves, for logs
	// credential is AttrCredential (label), set once New has seen every workspace.
	credential attribute.KeyValue
}

// New builds one client per distinct credential.
func New(opts Options) (*Pool, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("upstream: Options.BaseURL is required")
	}
	if err := opts.Limits.setDefaults(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	ms, err := newMeters(opts.MeterProvider)
	if err != nil {
		return nil, err
	}
	p := &Pool{byWorkspace: map[string]*member{}, meters: ms}
	byFingerprint := map[string]*member{}
	add := func(cred modeclient.Credential, label string) (*member, error) {
		fp := cred.Fingerprint()
		if m, ok := byFingerprint[fp]; ok {
			m.label += "," + label
			return m, nil
		}
		m := &member{label: label}
		var rt http.RoundTripper = &countingTransport{next: base, m: m, requests: ms.requests}
		if opts.WrapTransport != nil {
			rt = opts.WrapTransport(rt)
		}
		logger := opts.Logger
		m.guard = newGuard(rt, fp, opts.Limits, guardOptions{
			observeWait: opts.ObserveWait,
			observeSend: opts.ObserveSend,
			onState: func(_ string, from, to gobreaker.State) {
				level := slog.LevelWarn
				if to == gobreaker.StateClosed {
					level = slog.LevelInfo
				}
				logger.Log(context.Background(), level, "circuit breaker toward Mode changed state",
					"workspaces", m.label, "credential", fp, "from", from.String(), "to", to.String())
			},
		})
		clientOpts := append(append([]modeclient.Option{}, opts.ClientOptions...),
			modeclient.WithHTTPClient(&http.Client{Transport: m.guard}))
		c, err := modeclient.New(opts.BaseURL, cred, clientOpts...)
		if err != nil {
			return nil, err
		}
		m.client = c
		byFingerprint[fp] = m
		p.members = append(p.members, m)
		return m, nil
	}
	for _, w := range opts.Workspaces.Workspaces() {
		m, err := add(opts.Workspaces[w], w)
		if err != nil {
			return nil, fmt.Errorf("upstream: workspace %s: %w", w, err)
		}
		p.byWorkspace[w] = m
	}
	if opts.Default.Token != "" || opts.Default.Secret != "" {
		m, err := add(opts.Default, "*")
		if err != nil {
			return nil, fmt.Errorf("upstream: default credential: %w", err)
		}
		p.def = m
	}
	if len(p.members) == 0 {
		return nil, errors.New("upstream: no credential: give a credentials file or a default credential")
	}
	for _, m := range p.members {
		m.credential = AttrCredential.String(m.label)
	}
	if err := ms.observe(opts.MeterProvider, p, opts.Limits); err != nil {
		return nil, err
	}
	return p, nil
}

// Client returns the client of workspace's credential. A workspace with no
// credential (and no default) is PermissionDenied.
func (p *Pool) Client(_ context.Context, workspace string) (*modeclient.Client, error) {
	if m, ok := p.byWorkspace[workspace]; ok {
		return m.client, nil
	}
	if p.def != nil {
		return p.def.client, nil
	}
	return nil, connect.NewError(connect.CodePermissionDenied,
		fmt.Errorf("no Mode credential is configured for workspaces/%s", workspace))
}

// Workspaces returns the workspaces with their own credential, sorted.
func (p *Pool) Workspaces() []string {
	out := make([]string, 0, len(p.byWorkspace))
	for w := range p.byWorkspace {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// HasDefault reports whether a default credential serves other workspaces.
func (p *Pool) HasDefault() bool { return p.def != nil }

// Credentials is how many distinct credentials (clients, guards) there are.
func (p *Pool) Credentials() int { return len(p.members) }

// BreakerStates returns each credential's breaker state by the workspaces
// it serves ("*": the default), for health and tests.
func (p *Pool) BreakerStates() map[string]string {
	out := map[string]string{}
	for _, m := range p.members {
		out[m.label] = m.guard.cb.State().String()
	}
	return out
}
