package modetest

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"sync"
	"time"
)

// Fault is a misbehaviour injected into matching requests (see Emulator.AddFault). A fault with
// only Latency delays the request and then lets it proceed; the other fields answer instead of
// the emulator.
type Fault struct {
	Method     string        // "" = any
	Path       string        // path.Match pattern on r.URL.Path, e.g. "/api/*/reports/*"; "" = any
	Times      int           // apply to the next N matching requests; 0 = unlimited
	Rate       float64       // 0<Rate<1: apply to that fraction of matching requests (deterministic RNG); 0 = always
	Status     int           // answer this status with Mode's error body for it (e.g. 429, 500, 503)
	RetryAfter string        // Retry-After header value to send with Status (e.g. "1")
	Latency    time.Duration // extra delay before answering (or before proceeding normally if Status==0)
	Hang       bool          // never answer until the client goes away (or Close)
	Drop       bool          // close the connection without an answer (http.Hijacker)
	Malformed  bool          // 200 with a body that is not valid JSON
	Truncate   bool          // 200, correct headers, body cut off mid-way then connection closed
	// Process, with Status or Drop, first serves the request as the emulator would (a POST
	// creates what it creates) and then answers Status, or drops the connection, instead of
	// the emulator's answer: a Mode that did the work and failed to say so.
	Process bool
}

// activeFault is a registered fault with its remaining uses and its own RNG.
type activeFault struct {
	f         Fault
	remaining int // meaningful when f.Times > 0
	rng       *rand.Rand
}

type faultSet struct {
	mu     sync.Mutex
	seq    uint64
	faults []*activeFault
}

// AddFault injects f into the requests it matches, in the order faults were added; the first
// matching fault applies. remove takes it out again.
func (e *Emulator) AddFault(f Fault) (remove func()) {
	s := &e.faults
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	af := &activeFault{f: f, remaining: f.Times, rng: rand.New(rand.NewPCG(0x6d6f6465, s.seq))}
	s.faults = append(s.faults, af)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.faults {
			if x == af {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.faults = nil
}

// match returns the fault to apply to r, consuming one of its uses, or nil.
func (s *faultSet) match(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, af := range s.faults {
		f := &af.f
		if f.Method != "" && f.Method != r.Method {
			continue
		}
		if f.Path != "" {
			if ok, err := path.Match(f.Path, r.URL.Path); err != nil || !ok {
				continue
			}
		}
		if f.Rate > 0 && f.Rate < 1 && af.rng.Float64() >= f.Rate {
			continue
		}
		if f.Times > 0 {
			af.remaining--
			if af.remaining <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		c := *f
		return &c
	}
	return nil
}

// malformedBody looks like the start of a HAL object but is not JSON.
const malformedBody = `{"_links": {"self": {"href": "/api"}}, "token": "0123456789ab", "name": <html>Internal proxy error</html>`

// applyFault answers r as f says (its latency has passed already). It returns false when the
// request should proceed normally.
func (e *Emulator) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Process && !f.Hang && (f.Status != 0 || f.Drop) {
		e.serve(&bufferWriter{header: http.Header{}}, r) // done, and the answer lost
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-e.done:
		}
		abort()
	case f.Drop:
		dropConnection(w)
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, "")
	case f.Malformed:
		w.Header().Set("Content-Type", halContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(malformedBody)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(malformedBody))
	case f.Truncate:
		// Answer as the emulator would, then send the headers (with the full Content-Length
		// when there was one) and only the first half of the body before cutting the line.
		rec := &bufferWriter{header: http.Header{}}
		e.serve(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		body := rec.body.Bytes()
		if w.Header().Get("Content-Length") == "" && w.Header().Get("Content-Encoding") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		dropConnection(w)
	default:
		return false
	}
	return true
}

// dropConnection closes the client connection without (the rest of) an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	abort()
}

// bufferWriter records an answer in memory.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
