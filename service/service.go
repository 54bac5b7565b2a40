// Package service implements the modeplatform.v1 Connect services —
// WorkspaceService, ReportService and DataSourceService — on top of
// modeclient. A handler does only this: its request was validated by the
// protovalidate interceptor; it parses resource names, calls modeclient,
// translates Mode's resources into protobuf messages and maps Mode's errors
// to Connect codes with details. It never builds a URL.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Upstream gives the Mode client that serves a workspace. Each workspace may
// have its own Mode credential; the client's cache keys entries by that
// credential.
type Upstream interface {
	// Client returns the Mode client for workspace, or an error (a
	// *connect.Error is passed to the caller as is).
	Client(ctx context.Context, workspace string) (*modeclient.Client, error)
}

// SingleClient serves every workspace with one Mode client.
func SingleClient(c *modeclient.Client) Upstream { return singleUpstream{c} }

type singleUpstream struct{ c *modeclient.Client }

func (u singleUpstream) Client(context.Context, string) (*modeclient.Client, error) { return u.c, nil }

// Options configure the services. Zero values take the documented defaults.
type Options struct {
	// Upstream resolves the Mode client per workspace. Required.
	Upstream Upstream
	// Logger receives the handlers' own records; default slog.Default().
	Logger *slog.Logger

	// DefaultPageSize is the page size of a list whose page_size is 0; default 50.
	DefaultPageSize int

	// WatchMinInterval and WatchMaxInterval bound how often the streams
	// that follow something in Mode (WatchReportRun, WatchDatasetRun,
	// StreamAuditEvents) poll it: from the minimum, backing off (×1.5 per
	// poll without change) to the maximum. Every caller following the same
	// thing with the same credential shares one poll (poller.go). Defaults
	// 250ms and 5s.
	WatchMinInterval, WatchMaxInterval time.Duration

	// StreamBatchRows caps the rows of one StreamQueryResults message (a
	// request may ask for fewer); default 500. StreamBatchBytes caps its
	// encoded size (a row larger than it goes alone); default 1 MiB, at most
	// MaxStreamMessageBytes.
	StreamBatchRows  int
	StreamBatchBytes int
	// ExportChunkBytes is the size of one ExportQueryResults chunk; default
	// 64 KiB, at most MaxStreamMessageBytes.
	ExportChunkBytes int
	// MaxResultRowBytes caps one row of a StreamQueryResults stream: its
	// JSON text as Mode sends it and its encoded size in a message; default
	// 3 MiB, at most MaxStreamMessageBytes. MaxResultValueBytes caps one
	// value of it (a string's bytes, a number's digits, a nested value's
	// JSON); default 1 MiB. A larger row ends the stream with
	// FailedPrecondition (reason RESULT_ROW_TOO_LARGE, naming its offset
	// and the limit) after the rows before it; ExportQueryResults has no
	// such limit.
	MaxResultRowBytes   int
	MaxResultValueBytes int

	// StreamIdleTimeout bounds how long one Send of a server stream may wait
	// for the caller to read: past it the stream is reset and everything it
	// holds (its Mode response, its slot) freed; default 1 minute.
	StreamIdleTimeout time.Duration
	// StreamMaxLifetime bounds how long a server stream stays open; then it
	// ends with Unavailable, RetryInfo and the offset to resume from;
	// default 1 hour.
	StreamMaxLifetime time.Duration
	// OnStreamEnd, when set, is told each server stream's end: nil when it
	// ended by itself (finished, failed, or the caller left), else why the
	// server ended it (draining, lifetime, idle caller). Tests and metrics.
	OnStreamEnd func(cause error)

	// RequestIDWindow is how long a create's request_id answers its first
	// result (AIP-155); default 15 minutes. RequestIDEntries bounds how many
	// are remembered; default 100,000.
	RequestIDWindow  time.Duration
	RequestIDEntries int
	// CreateTimeout bounds a create with a request_id: it runs detached
	// from its caller (so that the caller going away cannot cut it half
	// done), under this deadline instead; default DefaultCreateTimeout.
	CreateTimeout time.Duration
	// RequestIDStore, when set, shares those records among the replicas
	// (a retry reaching another replica answers the first create's
	// outcome); while it is unreachable, creates that carry an id are
	// refused with Unavailable (ReasonRequestIDUnavailable). nil: each
	// replica remembers its own.
	RequestIDStore RequestIDStore

	// MaxRequestBytes caps a request message (connect.WithReadMaxBytes);
	// default 1 MiB.
	MaxRequestBytes int

	// CallerID names the authenticated caller of the request ctx belongs to
	// (auth.CallerFromContext, say); creates' request_id and Idempotency-Key
	// are scoped by it. nil, or "": every caller shares one scope (a
	// server without caller authentication).
	CallerID func(ctx context.Context) string

	// CallerScopes returns the scopes ("read", "write", "run", "admin") the
	// authenticated caller of the request ctx belongs to holds in workspace
	// (auth.ScopesIn, say), for TestPermissions. nil, or known false: every
	// scope (a server without caller authentication trusts every caller).
	CallerScopes func(ctx context.Context, workspace string) (scopes []string, known bool)

	// Now is the clock; default time.Now.
	Now func() time.Time

	// pollTimer starts the pollers' timers; default time.NewTimer. Tests
	// replace it (export_test.go).
	pollTimer pollTimerFunc
}

func (o *Options) setDefaults() error {
	if o.Upstream == nil {
		return errors.New("service: Options.Upstream is required")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	def(&o.DefaultPageSize, 50)
	defDur(&o.WatchMinInterval, 250*time.Millisecond)
	defDur(&o.WatchMaxInterval, 5*time.Second)
	if o.WatchMaxInterval < o.WatchMinInterval {
		o.WatchMaxInterval = o.WatchMinInterval
	}
	def(&o.StreamBatchRows, 500)
	def(&o.StreamBatchBytes, 1<<20)
	def(&o.ExportChunkBytes, 64<<10)
	def(&o.MaxResultRowBytes, modeclient.DefaultMaxRowBytes)
	def(&o.MaxResultValueBytes, modeclient.DefaultMaxValueBytes)
	defDur(&o.StreamIdleTimeout, time.Minute)
	defDur(&o.StreamMaxLifetime, time.Hour)
	defDur(&o.RequestIDWindow, 15*time.Minute)
	def(&o.RequestIDEntries, 100_000)
	defDur(&o.CreateTimeout, DefaultCreateTimeout)
	def(&o.MaxRequestBytes, 1<<20)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.pollTimer == nil {
		o.pollTimer = realPollTimer
	}
	if o.DefaultPageSize > maxPageSize {
		return fmt.Errorf("service: DefaultPageSize %d above %d", o.DefaultPageSize, maxPageSize)
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"StreamBatchBytes", o.StreamBatchBytes}, {"ExportChunkBytes", o.ExportChunkBytes}, {"MaxResultRowBytes", o.MaxResultRowBytes}} {
		if v.n > MaxStreamMessageBytes {
			return fmt.Errorf("service: %s %d above MaxStreamMessageBytes (%d): gRPC clients could not read the messages", v.name, v.n, MaxStreamMessageBytes)
		}
	}
	return nil
}

// maxPageSize is the largest page_size the contract allows.
const maxPageSize = 1000

// core is what every handler shares.
type core struct {
	opts    Options
	log     *slog.Logger
	creates *dedupe
	streams streamSet
	pollers pollers // the shared pollers of the streams that follow Mode
}

// client resolves the Mode client for workspace.
func (c *core) client(ctx context.Context, workspace string) (*modeclient.Client, error) {
	cl, err := c.opts.Upstream.Client(ctx, workspace)
	if err != nil {
		var ce *connect.Error
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("no Mode client for workspace %q", workspace))
	}
	return cl, nil
}

// Server holds the service implementations.
type Server struct {
	core       *core
	Workspace  *WorkspaceServer
	Report     *ReportServer
	DataSource *DataSourceServer
	Dataset    *DatasetServer
}

// New builds the services.
func New(opts Options) (*Server, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	c := &core{opts: opts, log: opts.Logger, creates: newDedupe(opts.RequestIDEntries, opts.RequestIDWindow, opts.Now, opts.CallerID)}
	c.creates.createTimeout = opts.CreateTimeout
	c.creates.store, c.creates.log = opts.RequestIDStore, opts.Logger
	c.pollers.minWait, c.pollers.maxWait, c.pollers.newTimer = opts.WatchMinInterval, opts.WatchMaxInterval, opts.pollTimer
	return &Server{
		core:       c,
		Workspace:  &WorkspaceServer{core: c},
		Report:     &ReportServer{core: c},
		DataSource: &DataSourceServer{core: c},
		Dataset:    &DatasetServer{core: c},
	}, nil
}

// ServiceNames are the fully qualified names of the services, for health
// checks and reflection.
var ServiceNames = []string{
	modeplatformv1connect.WorkspaceServiceName,
	modeplatformv1connect.ReportServiceName,
	modeplatformv1connect.DataSourceServiceName,
	modeplatformv1connect.DatasetServiceName,
}

// Route is an HTTP path prefix and the handler serving it.
type Route struct {
	Path    string
	Handler http.Handler
}

// Routes returns the services' HTTP handlers, with the protovalidate
// interceptor, the request size limit, the cache-bypass header and the
// Idempotency-Key header applied.
// extra handler options (interceptors for telemetry or auth, say) run before
// validation.
func (s *Server) Routes(extra ...connect.HandlerOption) []Route {
	opts := append([]connect.HandlerOption{}, extra...)
	opts = append(opts,
		connect.WithInterceptors(requestInterceptor{}),
		connect.WithReadMaxBytes(s.core.opts.MaxRequestBytes),
	)
	opts = append(opts, CompressionOptions()...) // gzip at BestSpeed, 1 KiB and up (compress.go)
	var routes []Route
	add := func(path string, h http.Handler) { routes = append(routes, Route{path, withResponseController(h)}) }
	add(modeplatformv1connect.NewWorkspaceServiceHandler(s.Workspace, opts...))
	add(modeplatformv1connect.NewReportServiceHandler(s.Report, opts...))
	add(modeplatformv1connect.NewDataSourceServiceHandler(s.DataSource, opts...))
	add(modeplatformv1connect.NewDatasetServiceHandler(s.Dataset, opts...))
	return routes
}

// Close releases what the services hold.
func (s *Server) Close() {}

// wantsFresh reports whether a request's `Cache-Control: no-cache` (or
// `no-store`, or `Pragma: no-cache`) asks for a modeclient cache bypass.
func wantsFresh(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(d)) {
			case "no-cache", "no-store", "max-age=0":
				return true
			}
		}
	}
	return strings.EqualFold(strings.TrimSpace(h.Get("Pragma")), "no-cache")
}
