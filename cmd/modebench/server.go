package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/httpserver"
	"github.com/modeplatform/modeplatform/internal/rest"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/service"
	"github.com/modeplatform/modeplatform/telemetry"
)

// ceilingProcedure is the no-op handler of scenario 1: it answers a
// GetReportRequest with a GetReportResponse made once at start, the same
// message GetReport returns for the report it was started with.
const ceilingProcedure = "/modebench.v1.Ceiling/GetReport"

// proxyProcedure is the least a Connect service in front of Mode does
// (scenario 2's second baseline): it GETs the named report from the emulator
// with a plain HTTP client, reads the body, and answers the ceiling's
// message, with the ceiling's handler options. Nothing is cached, decoded or
// translated.
const proxyProcedure = "/modebench.v1.Proxy/GetReport"

// Control endpoints of the server process: a measured block starts with
// beginPath and ends with endPath, which answers the block's blockStats.
const (
	beginPath = "/_modebench/begin"
	endPath   = "/_modebench/end"
)

// serverInfo is what a server process tells the harness once it listens.
type serverInfo struct {
	URL string `json:"url"`
}

// runServer serves the services on a loopback port until stdin closes.
func runServer(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	upstreamURL := fs.String("upstream", "", "Mode (emulator) base URL")
	token := fs.String("token", "", "Mode API token")
	secret := fs.String("secret", "", "Mode API secret")
	cacheMB := fs.Int("cache-mb", 256, "cache byte bound in MB")
	cacheEntries := fs.Int("cache-entries", cache.DefaultMaxEntries, "cache entry bound (cmd/modeplatform's --cache-entries default)")
	withTelemetry := fs.Bool("telemetry", true, "instrument as cmd/modeplatform does")
	ceilingReport := fs.String("ceiling-report", "", "report name whose GetReportResponse the ceiling handler returns")
	verbose := fs.Bool("v", false, "log warnings to stderr")
	traces := fs.String("traces", "", "append the spans to this file (console exporter)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The access log is formatted as in production (JSON, level info) and
	// discarded; warnings and errors go to stderr with -v.
	logger := slog.New(logTee{
		all:  slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}),
		warn: slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}),
		show: *verbose,
	})

	ch, err := cache.New(cache.Options{MaxEntries: *cacheEntries, MaxBytes: int64(*cacheMB) << 20})
	if err != nil {
		return err
	}
	defer ch.Close()
	transport := httpserver.UpstreamTransport()
	defer transport.CloseIdleConnections()
	httpClient := &http.Client{Transport: timedTransport{next: transport}}
	timer := &requestTimer{}

	var handlerOpts []connect.HandlerOption
	clientOpts := []modeclient.Option{modeclient.WithHTTPClient(httpClient)}
	if *withTelemetry {
		cfg := telemetry.Config{ServiceName: "modebench", ServiceVersion: "bench", Stdout: io.Discard, Logger: logger}
		if *traces != "" {
			f, err := os.OpenFile(*traces, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				return fmt.Errorf("traces: %w", err)
			}
			defer f.Close()
			exp, err := stdouttrace.New(stdouttrace.WithWriter(f))
			if err != nil {
				return fmt.Errorf("traces: %w", err)
			}
			cfg.SpanExporters = []sdktrace.SpanExporter{exp}
		}
		tel, err := telemetry.Setup(ctx, cfg)
		if err != nil {
			return fmt.Errorf("telemetry: %w", err)
		}
		defer func() {
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			_ = tel.Shutdown(sctx)
		}()
		if err := tel.ObserveCache(ch); err != nil {
			return err
		}
		clientOpts = tel.ModeClientOptions(httpClient)
		handlerOpts = tel.HandlerOptions(telemetry.HandlerConfig{AccessLog: logger})
	}
	clientOpts = append(clientOpts, modeclient.WithCache(ch), modeclient.WithUserAgent("modebench (+go)"))
	client, err := modeclient.New(*upstreamURL, modeclient.Credential{Token: *token, Secret: *secret}, clientOpts...)
	if err != nil {
		return err
	}
	svc, err := service.New(service.Options{Upstream: service.SingleClient(client), Logger: logger})
	if err != nil {
		return err
	}
	defer svc.Close()
	// As cmd/modeplatform: telemetry outermost, then panics turned into
	// Internal and the default deadline of unary calls.
	handlerOpts = append(handlerOpts,
		connect.WithRecover(func(context.Context, connect.Spec, http.Header, any) error {
			return connect.NewError(connect.CodeInternal, errors.New("internal error"))
		}),
		connect.WithInterceptors(service.UnaryDeadline{Default: service.DefaultUnaryTimeout}),
	)

	mux := http.NewServeMux()
	routes := svc.Routes(handlerOpts...)
	for _, r := range routes {
		mux.Handle(r.Path, r.Handler)
	}
	// As cmd/modeplatform: the REST routes under /v1/, into the same handlers.
	restH, err := rest.NewHandler(routes)
	if err != nil {
		return err
	}
	mux.Handle(rest.Prefix, restH)
	if *ceilingReport != "" {
		h, err := ceilingHandler(ctx, svc, *ceilingReport, handlerOpts)
		if err != nil {
			return err
		}
		mux.Handle(ceilingProcedure, h)
		mux.Handle(proxyProcedure, proxyHandler(*upstreamURL, *token, *secret, h.msg, h.opts))
	}
	ctl := &control{timer: timer}
	root := http.NewServeMux()
	root.Handle("/", timer.wrap(mux))
	root.HandleFunc("POST "+beginPath, ctl.begin)
	root.HandleFunc("POST "+endPath, ctl.end)

	srv := httpserver.New(root, nil, logger)
	return serveChild(srv, stdout, stdin)
}

// ceilingHandler is a no-op Connect handler returning the GetReportResponse
// of report, made once now (through the service, which also warms the
// cache). It has the server's handler options and the services' compression
// settings and read limit, but no validation: it is the least any handler
// on this server costs.
func ceilingHandler(ctx context.Context, svc *service.Server, report string, opts []connect.HandlerOption) (*ceiling, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := svc.Report.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: report}))
	if err != nil {
		return nil, fmt.Errorf("ceiling message: GetReport %s: %w", report, err)
	}
	msg := resp.Msg
	opts = append(append(append([]connect.HandlerOption{}, opts...), service.CompressionOptions()...),
		connect.WithReadMaxBytes(1<<20),
	)
	h := connect.NewUnaryHandler(ceilingProcedure,
		func(context.Context, *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error) {
			return connect.NewResponse(msg), nil
		}, opts...)
	return &ceiling{Handler: h, msg: msg, opts: opts}, nil
}

// ceiling is the ceiling handler, with its message and options for the
// proxy baseline.
type ceiling struct {
	http.Handler
	msg  *modeplatformv1.GetReportResponse
	opts []connect.HandlerOption
}

// proxyHandler serves proxyProcedure: GET upstream's report named by the
// request ("workspaces/{ws}/reports/{report}"), read it, answer msg.
func proxyHandler(upstream, token, secret string, msg *modeplatformv1.GetReportResponse, opts []connect.HandlerOption) http.Handler {
	hc := &http.Client{Transport: httpserver.UpstreamTransport()}
	return connect.NewUnaryHandler(proxyProcedure,
		func(ctx context.Context, req *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error) {
			parts := strings.Split(req.Msg.GetName(), "/")
			if len(parts) != 4 || parts[0] != "workspaces" || parts[2] != "reports" ||
				!modeclient.ValidWorkspace(parts[1]) || !modeclient.ValidToken(parts[3]) {
				return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("name: want workspaces/{workspace}/reports/{report}"))
			}
			hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, upstream+"/api/"+url.PathEscape(parts[1])+"/reports/"+url.PathEscape(parts[3]), nil)
			if err != nil {
				return nil, connect.NewError(connect.CodeInternal, err)
			}
			hreq.SetBasicAuth(token, secret)
			hreq.Header.Set("Accept", "application/hal+json")
			resp, err := hc.Do(hreq)
			if err != nil {
				return nil, connect.NewError(connect.CodeUnavailable, err)
			}
			defer resp.Body.Close()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != http.StatusOK {
				return nil, connect.NewError(connect.CodeUnavailable, fmt.Errorf("GET report: %s %v", resp.Status, err))
			}
			return connect.NewResponse(msg), nil
		}, opts...)
}

// control serves the begin and end of measured blocks.
type control struct {
	mu    sync.Mutex
	s     *sampler
	timer *requestTimer
}

func (c *control) begin(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s != nil {
		http.Error(w, "a block is in progress", http.StatusConflict)
		return
	}
	q := r.URL.Query()
	s, err := startSampler(q.Get("cpuprofile"), q.Get("memprofile"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.s = s
	c.timer.start()
}

func (c *control) end(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s == nil {
		http.Error(w, "no block in progress", http.StatusConflict)
		return
	}
	st, err := c.s.finish()
	c.s = nil
	st.ServerMs, st.OwnMs = c.timer.stop()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// logTee formats every enabled record with all (discarded: the cost of the
// production access log) and shows warnings and errors with warn when show
// is set.
type logTee struct {
	all, warn slog.Handler
	show      bool
}

func (t logTee) Enabled(ctx context.Context, l slog.Level) bool { return t.all.Enabled(ctx, l) }

func (t logTee) Handle(ctx context.Context, r slog.Record) error {
	err := t.all.Handle(ctx, r)
	if t.show && t.warn.Enabled(ctx, r.Level) {
		err = errors.Join(err, t.warn.Handle(ctx, r.Clone()))
	}
	return err
}

func (t logTee) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logTee{all: t.all.WithAttrs(attrs), warn: t.warn.WithAttrs(attrs), show: t.show}
}

func (t logTee) WithGroup(name string) slog.Handler {
	return logTee{all: t.all.WithGroup(name), warn: t.warn.WithGroup(name), show: t.show}
}
