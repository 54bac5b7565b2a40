// Command modeplatform serves the modeplatform.v1 API — WorkspaceService, ReportService and
// DataSourceService — over gRPC, Connect and gRPC-Web on one port (HTTP/1.1 and h2c), on top of
// Mode's REST API. It also serves gRPC health checks and server reflection.
//
//	go run ./cmd/modeplatform
//	grpcurl -plaintext 127.0.0.1:8080 list
//
// With no MODE_API_TOKEN it starts the built-in Mode emulator (package modetest) on a random
// loopback port, seeded with the demo workspace parch_and_posey, and says so in its first log
// line. Settings are flags, each with an environment variable (a flag wins over its variable):
// --mode-base-url (MODE_BASE_URL), --mode-api-token (MODE_API_TOKEN), --mode-api-secret
// (MODE_API_SECRET), --mode-workspace (MODE_WORKSPACE), --listen (LISTEN_ADDR), --cors-origins
// (CORS_ORIGINS), --cache-entries (CACHE_ENTRIES), --cache-bytes (CACHE_BYTES),
// --shutdown-grace (SHUTDOWN_GRACE), --unary-timeout (UNARY_TIMEOUT), --log-level (LOG_LEVEL)
// and --log-format (LOG_FORMAT); see --help. Logs are JSON on stderr by default and never hold
// the credentials.
//
// Security (README "Security", SECURITY.md): --policy (POLICY_FILE) names the callers, their
// keys' SHA-256 hashes, workspaces and scopes, and is reloaded on SIGHUP and when it changes;
// without it the server listens on loopback only. --tls-cert, --tls-key and --client-ca serve
// TLS and client certificates; --credentials (MODE_CREDENTIALS_FILE) gives each workspace its
// own Mode credential. --upstream-rps, --upstream-burst, --upstream-concurrency and
// --upstream-breaker-* protect Mode, whose budget is shared fairly among the callers waiting for
// it; --caller-rps, --caller-burst and --caller-streams, generous ceilings on any caller's calls
// (cache hits included) and streams, protect the server from a runaway caller.
//
// On SIGTERM or SIGINT the server reports NOT_SERVING to health checks, lets in-flight calls
// finish within --shutdown-grace, closes its cache and the emulator, and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/modeplatform/modeplatform/internal/logbuffer"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/telemetry"
	"github.com/modeplatform/modeplatform/upstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Logs (an access log record per call) go to standard error in batches:
	// a write system call per record was most of the access log's cost.
	logs := logbuffer.New(os.Stderr, logbuffer.DefaultSize, logbuffer.DefaultInterval)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, logs)
	_ = logs.Close()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "modeplatform:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down gracefully and returns nil. It returns an error when
// the settings are wrong or the server cannot start or stop cleanly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, getenv, stdout, stderr, hooks{})
}

// hooks let tests follow the server's life; nil fields are skipped.
type hooks struct {
	// ready receives the listening address once the server accepts connections.
	ready func(addr net.Addr)
	// adminReady receives the admin listener's address.
	adminReady func(addr net.Addr)
	// draining runs after health turned NOT_SERVING and before the server stops accepting
	// connections.
	draining func()
	// hup replaces SIGHUP (reload the policy and the TLS certificate).
	hup <-chan os.Signal
}

// runWith is run with hooks.
func runWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, h hooks) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	if h.hup == nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		h.hup = hup
	}

	// Telemetry first (it is silent when all is well), so everything after it is traced.
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceVersion: version(), Stdout: stdout, Logger: logger})
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		// After the servers drained: flush the last spans and metrics.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(flushCtx); err != nil {
			logger.Warn("telemetry shutdown", "error", err)
		}
	}()

	up := modeTarget{
		baseURL:   cfg.baseURL,
		cred:      modeclient.Credential{Token: cfg.token, Secret: cfg.secret},
		workspace: cfg.workspace,
	}
	if cfg.credentials != "" {
		if up.workspaces, err = upstream.LoadCredentials(cfg.credentials, getenv); err != nil {
			return err
		}
	}
	var emu *emulator
	if cfg.useEmulator() {
		if emu, err = startEmulator(logger); err != nil {
			return err
		}
		up.baseURL, up.cred, up.emulated = emu.url, emu.credential(), true
		if up.workspace == "" {
			up.workspace = modetest.DemoWorkspace
		}
		logger.Info("no MODE_API_TOKEN: serving the built-in Mode emulator with the demo workspace "+modetest.DemoWorkspace,
			"emulator_url", emu.url, "workspace", modetest.DemoWorkspace)
		if cfg.baseURL != defaultBaseURL {
			logger.Warn("MODE_BASE_URL is ignored without MODE_API_TOKEN and MODE_API_SECRET", "mode_base_url", baseURLHost(cfg.baseURL))
		}
	}

	err = serve(ctx, cfg, up, tel, logger, stdout, h)
	if emu != nil {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = errors.Join(err, emu.close(closeCtx))
		cancel()
	}
	if err != nil {
		logger.Error("modeplatform stopped with an error", "error", err)
		return err
	}
	logger.Info("modeplatform stopped")
	return nil
}

// newLogger writes JSON (or text) records at the configured level; records made inside a traced
// request carry its trace_id and span_id.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.logFormat == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(telemetry.NewLogHandler(h))
}

// version is the version stamped at link time (buildVersion), else the module version the binary
// was built from, or "dev".
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "dev"
	}
	return bi.Main.Version
}
