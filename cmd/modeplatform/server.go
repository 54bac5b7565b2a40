package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"connectrpc.com/connect"
	connectcors "connectrpc.com/cors"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/rs/cors"

	"github.com/modeplatform/modeplatform/auth"
	"github.com/modeplatform/modeplatform/internal/httpserver"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
	"github.com/modeplatform/modeplatform/telemetry"
	"github.com/modeplatform/modeplatform/upstream"
	"github.com/modeplatform/modeplatform/web"
)

// policyPoll is how often the policy file is checked for changes (SIGHUP reloads at once).
const policyPoll = 5 * time.Second

// modeTarget is the Mode the services call.
type modeTarget struct {
	baseURL    string
	cred       modeclient.Credential // the default credential; never logged as such (LogValue is a fingerprint)
	workspaces upstream.Credentials  // per-workspace credentials (--credentials)
	workspace  string
	emulated   bool
}

// serve runs the API server until ctx ends, then drains it. It closes what it opened.
func serve(ctx context.Context, cfg config, up modeTarget, tel *telemetry.Telemetry, logger *slog.Logger, stdout io.Writer, h hooks) error {
	var policy *auth.Store
	if cfg.policy != "" {
		var err error
		if policy, err = auth.NewStore(cfg.policy, logger); err != nil {
			return err
		}
	}
	tlsConf, certs, err := loadTLS(cfg)
	if err != nil {
		return err
	}

	ch, err := cache.New(cache.Options{MaxEntries: cfg.cacheEntries, MaxBytes: cfg.cacheBytes})
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := tel.ObserveCache(ch); err != nil {
		return fmt.Errorf("cache metrics: %w", err)
	}

	transport := httpserver.UpstreamTransport()
	transport.ResponseHeaderTimeout = cfg.upstreamHeaderTimeout
	defer transport.CloseIdleConnections()
	// One Mode client per credential, all on one cache (its keys carry the credential's
	// fingerprint); each credential's requests pass its rate limit, concurrency limit and circuit
	// breaker, below modeclient's retries and above telemetry's client spans.
	shared, err := startSharedCache(cfg, ch, up, logger) // REDIS_URL: the cache the replicas share
	if err != nil {
		return err
	}
	defer shared.close()
	observeSend, err := newSpendMeter(tel.MeterProvider().Meter(telemetry.ScopeName))
	if err != nil {
		return err
	}
	pool, err := upstream.New(upstream.Options{
		BaseURL:    up.baseURL,
		Workspaces: up.workspaces,
		Default:    up.cred,
		Limits: upstream.Limits{
			RPS: cfg.upstreamRPS, Burst: cfg.upstreamBurst, Concurrency: cfg.upstreamConcurrency,
			BreakerFailures: cfg.breakerFailures, BreakerOpen: cfg.breakerOpen,
			Streams: cfg.streams.upstreamStreams,
		},
		Transport:     transport,
		WrapTransport: shared.wrapTransport(tel.WrapTransport),
		ClientOptions: []modeclient.Option{
			modeclient.WithTracerProvider(tel.TracerProvider()),
			modeclient.WithRetryObserver(tel.ObserveRetry),
			modeclient.WithCache(ch),
			modeclient.WithUserAgent("modeplatform/" + version() + " (+go)"),
		},
		ObserveWait:   tel.RecordWait, // waits for the rate limit and concurrency slots: span events and a histogram
		ObserveSend:   observeSend,    // each caller's upstream spend (spend.go)
		Logger:        logger,
		MeterProvider: tel.MeterProvider(), // requests per credential, breaker states, rate-limit tokens
	})
	if err != nil {
		return err
	}
	defer func() { _ = pool.Close() }()
	svc, err := service.New(service.Options{
		Upstream: pool, Logger: logger, CallerID: auth.CallerID, CallerScopes: auth.ScopesIn, CreateTimeout: cfg.createTimeout,
		RequestIDStore:    shared.requestIDStore(),
		StreamIdleTimeout: cfg.streams.idleTimeout, StreamMaxLifetime: cfg.streams.maxLifetime,
		MaxResultRowBytes: int(cfg.streams.maxRowBytes), MaxResultValueBytes: int(cfg.streams.maxValueBytes),
	})
	if err != nil {
		return err
	}
	defer svc.Close()
	guards, err := newGuards(cfg, policy)
	if err != nil {
		return err
	}

	health := grpchealth.NewStaticChecker(service.ServiceNames...)
	shared.reportHealth(health)
	srv := httpserver.New(withCORS(cfg.corsOrigins, auth.WithClientCertificates(newMux(svc, health, tel, cfg.unaryTimeout, logger, guards...))), tlsConf, logger)

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	addr := ln.Addr().String()
	logger.Info("modeplatform listening",
		"addr", addr,
		"version", version(),
		"mode_base_url", baseURLHost(up.baseURL),
		"emulator", up.emulated,
		"workspace", up.workspace,
		"credential", up.cred, // logs a fingerprint only
		"workspace_credentials", up.workspaces.Workspaces(),
		"tls", tlsConf != nil,
		"client_certificates", cfg.clientCA != "",
		"policy", cfg.policy,
		"upstream_rps", cfg.upstreamRPS,
		"upstream_concurrency", cfg.upstreamConcurrency,
		"upstream_streams", cfg.streams.upstreamStreams,
		"caller_rps", cfg.callerRPS,
		"caller_streams", cfg.callerStreams,
		"cors_origins", cfg.corsOrigins,
		"cache_entries", cfg.cacheEntries,
		"cache_bytes", cfg.cacheBytes,
	)
	if policy == nil {
		logger.Warn("no caller policy (POLICY_FILE, --policy): every caller is trusted, so the server listens on loopback only",
			"addr", addr)
	}
	reloadCtx, stopReload := context.WithCancel(ctx)
	reloaded := make(chan struct{})
	go func() {
		defer close(reloaded)
		watchReloads(reloadCtx, policy, certs, h.hup, logger)
	}()
	defer func() { stopReload(); <-reloaded }()
	if up.emulated {
		fmt.Fprintf(stdout, "modeplatform: serving the demo workspace %s on %s\n"+
			"  try: grpcurl -plaintext %s list\n"+
			"       curl -s http://%s/modeplatform.v1.WorkspaceService/GetWorkspace -H 'Content-Type: application/json' -d '{\"name\":\"workspaces/%s\"}'\n",
			modetest.DemoWorkspace, addr, addr, addr, modetest.DemoWorkspace)
	}
	admin, adminErrc, err := startAdmin(cfg.adminListen, tel, logger, h)
	if err != nil {
		_ = ln.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if h.ready != nil {
		h.ready(ln.Addr())
	}

	select {
	case err := <-errc:
		closeAdmin(admin, adminErrc)
		return fmt.Errorf("serve: %w", err)
	case err := <-adminErrc:
		_ = srv.Close()
		<-errc
		return fmt.Errorf("admin listener: %w", err)
	case <-ctx.Done():
	}

	// Drain: health checks answer NOT_SERVING from now on; Shutdown stops accepting connections
	// and waits for in-flight calls until the grace period ends, then cuts what is left.
	health.SetStatus("", grpchealth.StatusNotServing)
	for _, name := range service.ServiceNames {
		health.SetStatus(name, grpchealth.StatusNotServing)
	}
	logger.Info("modeplatform draining", "grace", cfg.shutdownGrace.String(), "open_streams", svc.OpenStreams())
	// Server streams (watches, result streams, exports) can outlast any grace period: they end
	// now with Unavailable, RetryInfo and the offset to resume from, so that their callers resume
	// on another replica instead of being cut when the grace period ends. Unary calls finish.
	svc.DrainStreams()
	if h.draining != nil {
		h.draining()
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("shutdown grace period over: closing the calls still in flight", "error", err)
		_ = srv.Close()
	}
	serveErr := <-errc
	// The admin listener stays up through the drain so /metrics shows it; it goes last.
	closeAdmin(admin, adminErrc)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}

// startAdmin serves /metrics and /debug/pprof/ on addr ("off": nothing). Its server has its own
// mux: net/http/pprof also registers on http.DefaultServeMux, which is never served.
func startAdmin(addr string, tel *telemetry.Telemetry, logger *slog.Logger, h hooks) (*http.Server, chan error, error) {
	if addr == "off" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("admin listener on %s (ADMIN_ADDR, --admin-listen; \"off\" disables it): %w", addr, err)
	}
	srv := &http.Server{
		Handler:           tel.AdminHandler(),
		ReadHeaderTimeout: httpserver.ReadHeaderTimeout,
		IdleTimeout:       httpserver.IdleTimeout,
		MaxHeaderBytes:    httpserver.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("admin listening", "addr", ln.Addr().String(), "paths", []string{"/metrics", "/debug/pprof/"})
	errc := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		errc <- err
	}()
	if h.adminReady != nil {
		h.adminReady(ln.Addr())
	}
	return srv, errc, nil
}

// closeAdmin stops the admin server, if any, and waits for it.
func closeAdmin(srv *http.Server, errc chan error) {
	if srv == nil {
		return
	}
	_ = srv.Close()
	<-errc
}

// newMux routes the services, their REST routes under /v1/ and /openapi.yaml, gRPC health and
// server reflection (v1 and v1alpha), and the web console under /ui/.
func newMux(svc *service.Server, health *grpchealth.StaticChecker, tel *telemetry.Telemetry, unaryTimeout time.Duration, logger *slog.Logger, guards ...connect.Interceptor) *http.ServeMux {
	mux := http.NewServeMux()
	// Telemetry outermost (tracing, metrics, the access log: failures of the server's side at
	// error or warning level), then panics turned into Internal, the guards (caller authentication and authorization, then the caller's rate
	// and stream limits: before any cache lookup or call to Mode), the default deadline;
	// service.Routes adds validation inside those.
	opts := tel.HandlerOptions(telemetry.HandlerConfig{AccessLog: logger})
	opts = append(opts, connect.WithRecover(recoverPanic(logger)))
	if len(guards) > 0 {
		opts = append(opts, connect.WithInterceptors(guards...))
	}
	routes := svc.Routes(append(opts,
		connect.WithInterceptors(service.UnaryDeadline{Default: unaryTimeout}),
	)...)
	for _, r := range routes {
		mux.Handle(r.Path, r.Handler)
	}
	restRoutes(mux, routes) // REST (/v1/…) into the same handlers, and /openapi.yaml (rest.go)
	// Health and reflection requests are tiny; connect's default read limit is none.
	limit := connect.WithReadMaxBytes(64 << 10)
	mux.Handle(grpchealth.NewHandler(health, limit))
	names := append([]string{grpchealth.HealthV1ServiceName}, service.ServiceNames...)
	reflector := grpcreflect.NewStaticReflector(names...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, limit))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, limit))
	// The web console (package web, assets embedded), and browsers at / sent to it.
	mux.Handle(web.Prefix, web.Handler())
	mux.Handle("GET /{$}", http.RedirectHandler(web.Prefix, http.StatusFound))
	return mux
}

// withCORS lets browsers on the given origins call the API with Connect and gRPC-Web. No
// origins: no CORS headers at all (same-origin and non-browser callers only).
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: append(connectcors.AllowedMethods(), http.MethodPatch, http.MethodDelete), // + REST
		AllowedHeaders: append(connectcors.AllowedHeaders(),
			"Authorization", "Cache-Control", "Pragma", "Idempotency-Key", // the caller's key, the cache bypass, create de-duplication
			"Connect-Accept-Encoding", "Connect-Content-Encoding", "Grpc-Accept-Encoding", "Grpc-Encoding",
			"Traceparent", "Tracestate", "Baggage", // trace context from browser callers
		),
		// Access-Control-Expose-Headers takes names, not patterns: the Connect headers a client
		// reads are listed one by one.
		ExposedHeaders: append(connectcors.ExposedHeaders(),
			"Connect-Content-Encoding", "Connect-Accept-Encoding", "Grpc-Encoding", "Grpc-Accept-Encoding"),
		MaxAge: int((2 * time.Hour).Seconds()), // browsers cap it at 2h (Chromium) or 24h
	}).Handler(next)
}

// recoverPanic turns a handler's panic into Internal, logging it with its stack.
func recoverPanic(logger *slog.Logger) func(context.Context, connect.Spec, http.Header, any) error {
	return func(ctx context.Context, spec connect.Spec, _ http.Header, p any) error {
		logger.ErrorContext(ctx, "handler panicked", "procedure", spec.Procedure, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return connect.NewError(connect.CodeInternal, errors.New("internal error"))
	}
}
