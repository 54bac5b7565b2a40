package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// emulator is the built-in Mode emulator (package modetest) served over real HTTP on a random
// loopback port, so the path from the handlers through modeclient is the one used against Mode.
type emulator struct {
	emu  *modetest.Emulator
	srv  *http.Server
	errc chan error
	url  string
}

// startEmulator starts the emulator, seeded with the demo workspace, with its default rate limit
// (Mode's: 40 requests per 10 seconds per credential) and fresh random credentials.
func startEmulator(logger *slog.Logger) (*emulator, error) {
	emu, err := modetest.New()
	if err != nil {
		return nil, fmt.Errorf("start the Mode emulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = emu.Close()
		return nil, fmt.Errorf("listen for the Mode emulator: %w", err)
	}
	e := &emulator{
		emu: emu,
		srv: &http.Server{
			Handler:           emu,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.With("component", "emulator").Handler(), slog.LevelWarn),
		},
		errc: make(chan error, 1),
		url:  "http://" + ln.Addr().String(),
	}
	go func() { e.errc <- e.srv.Serve(ln) }()
	return e, nil
}

// credential is the emulator's (random) API credential.
func (e *emulator) credential() modeclient.Credential {
	token, secret := e.emu.Credentials()
	return modeclient.Credential{Token: token, Secret: secret}
}

// close stops the emulator: it first ends requests still waiting on it, then closes its server
// and its database.
func (e *emulator) close(ctx context.Context) error {
	var errs []error
	// Closing the emulator first answers 503 to anything still arriving and ends hanging
	// requests, so Shutdown finishes promptly.
	closeErr := e.emu.Close()
	if err := e.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down the Mode emulator's server: %w", err))
		_ = e.srv.Close()
	}
	if err := <-e.errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve the Mode emulator: %w", err))
	}
	if err := closeErr; err != nil {
		errs = append(errs, fmt.Errorf("close the Mode emulator: %w", err))
	}
	return errors.Join(errs...)
}
