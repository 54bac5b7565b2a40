package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/auth"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/ratelimit"
)

// newGuards returns the interceptors that run before any handler: caller authentication and
// authorization when there is a policy, then the caller's ceilings on calls and streams, which
// also name the caller to the Mode clients below (modeclient.WithCaller): each credential's
// budget toward Mode is shared fairly among the callers waiting for it, and each request sent is
// charged to its caller. The limiter is installed even without ceilings, for that naming.
func newGuards(cfg config, policy *auth.Store) ([]connect.Interceptor, error) {
	var guards []connect.Interceptor
	if policy != nil {
		guards = append(guards, auth.NewInterceptor(policy))
	}
	burst := cfg.callerBurst
	if burst == 0 {
		burst = max(1, int(2*cfg.callerRPS))
	}
	lim, err := ratelimit.New(ratelimit.Options{
		RPS: cfg.callerRPS, Burst: burst, MaxStreams: cfg.callerStreams,
		Identify: callerIdentity, Attach: modeclient.WithCaller,
	})
	if err != nil {
		return nil, err
	}
	return append(guards, lim), nil
}

// peerCallerPrefix starts the name of a caller known by its address only.
const peerCallerPrefix = "peer:"

// callerIdentity names the caller for the per-caller limits: the policy's caller when one was
// authenticated, else the peer's IP address (all of a host's clients share one budget).
func callerIdentity(ctx context.Context, peer connect.Peer) string {
	if name, ok := auth.CallerFromContext(ctx); ok {
		return name
	}
	host, _, err := net.SplitHostPort(peer.Addr)
	if err != nil {
		host = peer.Addr
	}
	return peerCallerPrefix + host
}

// certificate holds the server's TLS certificate, reloadable.
type certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

func (c *certificate) load() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate (TLS_CERT, TLS_KEY): %w", err)
	}
	c.cur.Store(&pair)
	return nil
}

// loadTLS builds the server's TLS configuration from the flags: nil without --tls-cert. With
// --client-ca, clients may present a certificate, which is verified against those CAs (a
// caller without one can still use a bearer key).
func loadTLS(cfg config) (*tls.Config, *certificate, error) {
	if cfg.tlsCert == "" {
		return nil, nil, nil
	}
	cert := &certificate{certFile: cfg.tlsCert, keyFile: cfg.tlsKey}
	if err := cert.load(); err != nil {
		return nil, nil, err
	}
	conf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return cert.cur.Load(), nil
		},
	}
	if cfg.clientCA != "" {
		pem, err := os.ReadFile(cfg.clientCA)
		if err != nil {
			return nil, nil, fmt.Errorf("client CA (TLS_CLIENT_CA): %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, errors.New("client CA (TLS_CLIENT_CA): no PEM certificate in the file")
		}
		conf.ClientCAs = pool
		conf.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return conf, cert, nil
}

// watchReloads reloads the policy on SIGHUP and when its file changes, and the TLS
// certificate on SIGHUP, until ctx ends. A reload that fails keeps what is in force.
func watchReloads(ctx context.Context, policy *auth.Store, cert *certificate, hup <-chan os.Signal, logger *slog.Logger) {
	var policyHUP chan os.Signal
	if policy != nil {
		policyHUP = make(chan os.Signal, 1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			policy.Watch(ctx, policyPoll, policyHUP)
		}()
		defer func() { <-done }()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-hup:
			if policyHUP != nil {
				select {
				case policyHUP <- sig:
				default:
				}
			}
			if cert != nil {
				if err := cert.load(); err != nil {
					logger.Error("TLS certificate not reloaded: the previous one stays in force", "error", err)
				} else {
					logger.Info("TLS certificate reloaded", "cert", cert.certFile)
				}
			}
		}
	}
}
