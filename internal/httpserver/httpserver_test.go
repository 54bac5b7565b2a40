package httpserver_test

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

// TestUpstreamResponseHeaderTimeout: a Mode that never sends its headers
// fails the request once the response-header timeout passes, while a
// download whose headers came promptly is not cut however long its body
// takes (here: longer than the timeout, as the failed request proves).
func TestUpstreamResponseHeaderTimeout(t *testing.T) {
	if d := httpserver.UpstreamTransport().ResponseHeaderTimeout; d != httpserver.UpstreamResponseHeaderTimeout || d <= 0 {
		t.Fatalf("ResponseHeaderTimeout = %v, want %v", d, httpserver.UpstreamResponseHeaderTimeout)
	}
	release := make(chan struct{})         // lets the hung handler go at the end
	headersTimedOut := make(chan struct{}) // the hung request failed: the timeout has passed
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hung.Close)
	slowBody := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "first half,")
		w.(http.Flusher).Flush()
		select {
		case <-headersTimedOut:
		case <-release:
			return
		}
		_, _ = io.WriteString(w, "second half")
	}))
	t.Cleanup(slowBody.Close)
	t.Cleanup(func() { close(release) })

	tr := httpserver.UpstreamTransport()
	tr.ResponseHeaderTimeout = 50 * time.Millisecond
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}

	resp, err := hc.Get(slowBody.URL)
	if err != nil {
		t.Fatalf("download with prompt headers: %v", err)
	}
	defer resp.Body.Close()

	_, err = hc.Get(hung.URL)
	if err == nil || !strings.Contains(err.Error(), "awaiting response headers") {
		t.Fatalf("request to a Mode that never answers: %v, want a response-header timeout", err)
	}
	close(headersTimedOut)
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != "first half,second half" {
		t.Fatalf("download outliving the header timeout: %q, %v", body, err)
	}
}
