package modetest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Server is an Emulator listening on a local httptest server.
type Server struct {
	*Emulator
	URL           string // base URL, e.g. http://127.0.0.1:PORT; API paths are under /api/
	Token, Secret string // the first user's credentials
	srv           *httptest.Server
}

// NewServer starts an emulator on a local port; t.Cleanup closes both. It fails the test when
// the emulator cannot start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	e, err := New(opts...)
	if err != nil {
		t.Fatalf("modetest.NewServer: %v", err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		e.beginClose() // ends hanging requests so that srv.Close does not wait for them
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("modetest: close emulator: %v", err)
		}
	})
	token, secret := e.Credentials()
	return &Server{Emulator: e, URL: srv.URL, Token: token, Secret: secret, srv: srv}
}

// Client returns an HTTP client for the server (no credentials attached).
func (s *Server) Client() *http.Client { return s.srv.Client() }
