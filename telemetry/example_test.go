package telemetry_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/service"
	"github.com/modeplatform/modeplatform/telemetry"
)

// The wiring of a server: telemetry first, then the Mode client, the
// services and the admin listener; Shutdown last, to flush.
func ExampleSetup() {
	ctx := context.Background()
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(os.Stderr, nil)))
	slog.SetDefault(logger)

	tel, err := telemetry.Setup(ctx, telemetry.Config{Logger: logger}) // OTEL_* from the environment
	if err != nil {
		logger.Error("telemetry", "error", err)
		return
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx) // flushes spans and metrics
	}()

	ch, _ := cache.New(cache.Options{})
	defer ch.Close()
	_ = tel.ObserveCache(ch)
	opts := append([]modeclient.Option{modeclient.WithCache(ch)},
		tel.ModeClientOptions(&http.Client{Timeout: time.Minute})...)
	mc, err := modeclient.New("https://app.mode.com", modeclient.Credential{Token: "…", Secret: "…"}, opts...)
	if err != nil {
		logger.Error("modeclient", "error", err)
		return
	}
	svc, _ := service.New(service.Options{Upstream: service.SingleClient(mc), Logger: logger})
	mux := http.NewServeMux()
	for _, r := range svc.Routes(tel.HandlerOptions(telemetry.HandlerConfig{AccessLog: logger})...) {
		mux.Handle(r.Path, r.Handler)
	}

	admin := &http.Server{Addr: telemetry.DefaultAdminAddr, Handler: tel.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := admin.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin listener", "error", err)
		}
	}()
	defer admin.Close()
	// … serve mux on LISTEN_ADDR until a signal arrives.
}
