// Package httpserver holds modeplatform's HTTP settings, so that the server
// (cmd/modeplatform) and the load harness that measures it (cmd/modebench)
// cannot drift apart: one port for HTTP/1.1 and HTTP/2 (h2c without TLS),
// header and idle limits, a cap on concurrent streams per connection, no
// read or write timeout (they would cut long server streams; unary calls
// get their deadline from service.UnaryDeadline), and the connection pool
// toward Mode with its response-header timeout.
package httpserver

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"
)

// Limits of every server modeplatform runs (the API's and the admin one).
const (
	// ReadHeaderTimeout bounds how long a client may take to send a
	// request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes = 64 << 10
	// MaxConcurrentStreams caps the HTTP/2 streams (calls) one connection
	// may have open: a single client cannot multiplex without bound.
	MaxConcurrentStreams = 100
	// UpstreamIdleConns is how many idle connections to Mode are kept per
	// host (net/http's default, 2, would reconnect under any concurrency).
	UpstreamIdleConns = 32
	// UpstreamResponseHeaderTimeout is the default bound on how long Mode
	// may take, once a request is sent, to answer its status and headers
	// (cmd/modeplatform: --upstream-header-timeout). It does not bound the
	// body: a long result download whose headers came promptly is not cut.
	UpstreamResponseHeaderTimeout = 30 * time.Second
)

// New returns the API server for handler: HTTP/1.1 and HTTP/2 on one port
// (negotiated by ALPN over tlsConf, or h2c with prior knowledge, as gRPC
// clients connect, when tlsConf is nil), with the limits above, logging its
// own errors to logger at warning level.
func New(handler http.Handler, tlsConf *tls.Config, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		Protocols:         Protocols(tlsConf != nil),
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: MaxConcurrentStreams},
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Protocols serves HTTP/1.1 and HTTP/2 on one port: over TLS, HTTP/2 as
// negotiated by ALPN; without, unencrypted HTTP/2 (h2c, prior knowledge).
func Protocols(tls bool) *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	if tls {
		p.SetHTTP2(true)
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	return &p
}

// UpstreamTransport returns a new transport toward Mode: net/http's
// defaults (proxy from the environment, dial and TLS handshake timeouts)
// with UpstreamIdleConns idle connections kept per host and
// UpstreamResponseHeaderTimeout to wait for an answer's headers (set the
// field to change it). A Mode that accepts a request and never answers
// thus fails it even when no caller deadline would.
func UpstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = UpstreamIdleConns
	t.ResponseHeaderTimeout = UpstreamResponseHeaderTimeout
	return t
}
