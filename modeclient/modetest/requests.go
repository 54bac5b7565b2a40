package modetest

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is one request the emulator received, as logged for assertions.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header // a copy, including traceparent and Authorization
	Time     time.Time
}

// requestLog keeps the most recent requests (at most max; the oldest half is dropped when full,
// so a long-running cmd/modefake stays bounded).
type requestLog struct {
	mu   sync.Mutex
	max  int
	reqs []Request
}

func (l *requestLog) add(r *http.Request) {
	req := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Time: time.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && len(l.reqs) >= l.max {
		l.reqs = append(l.reqs[:0], l.reqs[len(l.reqs)/2:]...)
	}
	l.reqs = append(l.reqs, req)
}

// Requests returns the logged requests, oldest first. The slice and headers are copies.
func (e *Emulator) Requests() []Request {
	e.reqs.mu.Lock()
	defer e.reqs.mu.Unlock()
	out := make([]Request, len(e.reqs.reqs))
	for i, r := range e.reqs.reqs {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// ResetRequests empties the request log.
func (e *Emulator) ResetRequests() {
	e.reqs.mu.Lock()
	defer e.reqs.mu.Unlock()
	e.reqs.reqs = nil
}

// CountRequests counts logged requests with this method ("" = any) whose path starts with
// pathPrefix.
func (e *Emulator) CountRequests(method, pathPrefix string) int {
	e.reqs.mu.Lock()
	defer e.reqs.mu.Unlock()
	n := 0
	for _, r := range e.reqs.reqs {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}
