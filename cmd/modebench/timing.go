package main

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimer measures, for every RPC served during a measured block, the
// server's time on it (its ServeHTTP, from the request's headers to the end
// of its response) and the part of it spent waiting on Mode (the upstream
// requests made on its behalf, found through the request's context, which
// the cache's detached fetch keeps). Their difference is what the server
// itself adds to a call, telemetry included; what the client sees beyond the
// server's time is the client↔server transport.
type requestTimer struct {
	mu     sync.Mutex
	on     bool
	server []time.Duration
	own    []time.Duration
}

// timingKey carries a *requestTiming in a request's context.
type timingKey struct{}

// requestTiming adds up one RPC's upstream time.
type requestTiming struct{ upstream atomic.Int64 } // nanoseconds

// start begins recording (clearing what was recorded).
func (t *requestTimer) start() {
	t.mu.Lock()
	t.on, t.server, t.own = true, nil, nil
	t.mu.Unlock()
}

// stop ends recording and returns the server and own times, in milliseconds.
func (t *requestTimer) stop() (server, own []float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	server, own = make([]float64, len(t.server)), make([]float64, len(t.own))
	for i, d := range t.server {
		server[i] = ms(d)
	}
	for i, d := range t.own {
		own[i] = ms(d)
	}
	return server, own
}

// wrap times h's requests while recording.
func (t *requestTimer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		on := t.on
		t.mu.Unlock()
		if !on {
			h.ServeHTTP(w, r)
			return
		}
		rt := &requestTiming{}
		start := time.Now()
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), timingKey{}, rt)))
		d := time.Since(start)
		t.mu.Lock()
		t.server = append(t.server, d)
		t.own = append(t.own, d-time.Duration(rt.upstream.Load()))
		t.mu.Unlock()
	})
}

// timedTransport adds each upstream request's time, until its body is read
// to the end or closed, to the requestTiming of the RPC it serves.
type timedTransport struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (tt timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt, _ := req.Context().Value(timingKey{}).(*requestTiming)
	if rt == nil {
		return tt.next.RoundTrip(req)
	}
	start := time.Now()
	resp, err := tt.next.RoundTrip(req)
	if err != nil {
		rt.upstream.Add(int64(time.Since(start)))
		return resp, err
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, done: func() { rt.upstream.Add(int64(time.Since(start))) }}
	return resp, nil
}

// timedBody calls done once, at the body's end or close.
type timedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.done)
	}
	return n, err
}

func (b *timedBody) Close() error {
	b.once.Do(b.done)
	return b.ReadCloser.Close()
}
