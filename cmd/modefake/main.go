// Command modefake serves the Mode API emulator (package modetest) on a local port, seeded with
// the demo workspace parch_and_posey, for other languages' tests and local development.
//
//	go run ./cmd/modefake --token t --secret s
//	curl -u t:s http://127.0.0.1:8081/api/parch_and_posey
//
// Flags (environment variables MODEFAKE_LISTEN, MODEFAKE_TOKEN and MODEFAKE_SECRET do the same;
// flags win): --listen, --token, --secret (random when unset; both are printed at start, this is
// a development tool), --latency, --big-rows, --rate-limit ("40/10s", "40" per 10s, or "0" for
// none), --run-duration, --extra-reports, --per-page.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "modefake:", err)
		os.Exit(1)
	}
}

// options are the command's settings.
type options struct {
	listen       string
	token        string
	secret       string
	latency      time.Duration
	bigRows      int
	rateLimit    string
	runDuration  time.Duration
	extraReports int
	perPage      int
	crossTokens  bool
}

// parseOptions reads flags over environment variables over defaults.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	o := options{listen: "127.0.0.1:8081", rateLimit: "40/10s", runDuration: 50 * time.Millisecond, perPage: 30}
	if v := getenv("MODEFAKE_LISTEN"); v != "" {
		o.listen = v
	}
	o.token = getenv("MODEFAKE_TOKEN")
	o.secret = getenv("MODEFAKE_SECRET")
	fs := flag.NewFlagSet("modefake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", o.listen, "address to listen on (env MODEFAKE_LISTEN)")
	fs.StringVar(&o.token, "token", o.token, "API token accepted by the emulator; random when unset (env MODEFAKE_TOKEN)")
	fs.StringVar(&o.secret, "secret", o.secret, "API secret accepted by the emulator; random when unset (env MODEFAKE_SECRET)")
	fs.DurationVar(&o.latency, "latency", 0, "latency added to every request")
	fs.IntVar(&o.bigRows, "big-rows", 0, "add table big_rows with this many rows and the report \"Big table\"")
	fs.StringVar(&o.rateLimit, "rate-limit", o.rateLimit, `requests per credential: "N/period", "N" (per 10s) or "0" (no limit)`)
	fs.DurationVar(&o.runDuration, "run-duration", o.runDuration, "how long a report run stays enqueued and running")
	fs.IntVar(&o.extraReports, "extra-reports", 0, "add this many generated reports to the Sales space")
	fs.IntVar(&o.perPage, "per-page", o.perPage, "default page size of lists")
	fs.BoolVar(&o.crossTokens, "cross-workspace-tokens", false,
		"resolve tokens in every workspace whatever workspace the URL names, answering the object's true workspace (a Mode clients must guard against)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.token == "" {
		o.token = randomHex(6)
	}
	if o.secret == "" {
		o.secret = randomHex(16)
	}
	return o, nil
}

// parseRateLimit reads "N/period", "N" (per 10s) or "0".
func parseRateLimit(s string) (int, time.Duration, error) {
	nStr, perStr, hasPer := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(nStr))
	if err != nil {
		return 0, 0, fmt.Errorf("invalid --rate-limit %q: %w", s, err)
	}
	per := 10 * time.Second
	if hasPer {
		if per, err = time.ParseDuration(strings.TrimSpace(perStr)); err != nil || per <= 0 {
			return 0, 0, fmt.Errorf("invalid --rate-limit period %q", perStr)
		}
	}
	return n, per, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// run serves until ctx ends, then shuts down gracefully. listening, when not nil, receives the
// address once the listener is open (tests use it with --listen 127.0.0.1:0).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, listening func(net.Addr)) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	n, per, err := parseRateLimit(o.rateLimit)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	opts := []modetest.Option{
		modetest.WithCredentials(o.token, o.secret),
		modetest.WithLatency(o.latency),
		modetest.WithRateLimit(n, per),
		modetest.WithRunDuration(o.runDuration),
		modetest.WithBigRows(o.bigRows),
		modetest.WithExtraReports(o.extraReports),
		modetest.WithPerPage(o.perPage),
	}
	if o.crossTokens {
		opts = append(opts, modetest.WithCrossWorkspaceTokens())
	}
	emu, err := modetest.New(opts...)
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	defer emu.Close()

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	srv := &http.Server{
		Handler:           logRequests(logger, emu),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	base := "http://" + ln.Addr().String()
	// The credentials go to stdout on purpose: this is a local development tool, and whoever
	// started it needs them. They never go to the log.
	fmt.Fprintf(stdout, "modefake: Mode API emulator on %s (workspaces %s and %s)\n", base, modetest.DemoWorkspace, modetest.SecondWorkspace)
	fmt.Fprintf(stdout, "  token:  %s\n  secret: %s\n", o.token, o.secret)
	fmt.Fprintf(stdout, "  try:    curl -u %s:%s %s/api/%s\n", o.token, o.secret, base, modetest.DemoWorkspace)
	logger.Info("modefake listening", "addr", ln.Addr().String(), "workspace", modetest.DemoWorkspace,
		"second_workspace", modetest.SecondWorkspace, "cross_workspace_tokens", o.crossTokens,
		"big_rows", o.bigRows, "rate_limit", o.rateLimit, "latency", o.latency)
	if listening != nil {
		listening(ln.Addr())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("modefake shutting down")
	// Closing the emulator first ends hanging (fault-injected) requests, so Shutdown can finish.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	closeErr := emu.Close()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if closeErr != nil {
		return fmt.Errorf("close emulator: %w", closeErr)
	}
	logger.Info("modefake stopped")
	return nil
}

// logRequests logs each request's method, path, status and duration (never its headers).
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			logger.Info("request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
				"status", sw.status, "duration", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter records the status; it passes Flush and Hijack through for streaming and faults.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijacking not supported")
}
