package httpserver_test

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/modeplatform/modeplatform/internal/httpserver"
)

func TestNew(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name           string
		tls            *tls.Config
		h2c, h2overTLS bool
	}{
		{"plaintext: HTTP/1.1 and h2c", nil, true, false},
		{"TLS: HTTP/1.1 and h2 by ALPN", &tls.Config{MinVersion: tls.VersionTLS12}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httpserver.New(http.NotFoundHandler(), tt.tls, logger)
			p := s.Protocols
			if !p.HTTP1() || p.UnencryptedHTTP2() != tt.h2c || p.HTTP2() != tt.h2overTLS {
				t.Errorf("protocols = %v; want HTTP/1.1, h2c %v, h2 %v", p, tt.h2c, tt.h2overTLS)
			}
			// No read or write timeout: they would cut long server streams.
			if s.ReadTimeout != 0 || s.WriteTimeout != 0 || s.ReadHeaderTimeout != httpserver.ReadHeaderTimeout ||
				s.IdleTimeout != httpserver.IdleTimeout || s.MaxHeaderBytes != httpserver.MaxHeaderBytes {
				t.Errorf("limits: read %v write %v header %v idle %v header bytes %d", s.ReadTimeout, s.WriteTimeout, s.ReadHeaderTimeout, s.IdleTimeout, s.MaxHeaderBytes)
			}
			if s.HTTP2 == nil || s.HTTP2.MaxConcurrentStreams != httpserver.MaxConcurrentStreams || s.TLSConfig != tt.tls || s.ErrorLog == nil {
				t.Errorf("HTTP/2 config %+v, TLS %v, error log %v", s.HTTP2, s.TLSConfig, s.ErrorLog)
			}
		})
	}
}

func TestUpstreamTransport(t *testing.T) {
	a, b := httpserver.UpstreamTransport(), httpserver.UpstreamTransport()
	if a == b || a == http.DefaultTransport {
		t.Fatal("UpstreamTransport shares a transport")
	}
	if a.MaxIdleConnsPerHost != httpserver.UpstreamIdleConns || a.Proxy == nil {
		t.Errorf("idle per host %d, proxy from environment %v", a.MaxIdleConnsPerHost, a.Proxy != nil)
	}
}
