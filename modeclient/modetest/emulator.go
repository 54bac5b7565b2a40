package modetest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Emulator is an in-memory Mode API server. It is an http.Handler, safe for concurrent use.
type Emulator struct {
	cfg      config
	ds       *dataset
	mux      *http.ServeMux
	patterns []string // the patterns of mux, as routes.go registered them
	reqs     requestLog
	faults   faultSet
	limiter  *rateLimiter

	done      chan struct{}      // closed when the emulator closes
	ctx       context.Context    // canceled when the emulator closes; runs execute SQL under it
	cancel    context.CancelFunc //
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // run goroutines and the schedule ticker
	clock     Clock          // the time of schedules; cfg.clock or the real time

	mu         sync.Mutex // guards everything below and the objects they point to
	closed     bool
	reg        registry
	workspaces []*store          // the workspaces, in seed order (DemoWorkspace first)
	byName     map[string]*store // the workspaces by username; fixed once seeded
	demo       Demo
	ticking    bool                   // the schedule ticker started (fire.go)
	tickerDone chan struct{}          // closed when the schedule ticker returns
	fieldsMemo map[string][]fieldInfo // the fields of a dataset's SQL, by SQL text (fields.go)
	// people are the Mode users, by username: every person who is or was a member of a
	// workspace (people.go). A user outlives their memberships, as on Mode: links to them
	// (creator, executed_by) keep leading somewhere.
	people map[string]*member
	// apiUsers are the users the credentials belong to: credential i is apiUsers[i %
	// len(apiUsers)] (the demo workspace's seeded people, Ana first). Fixed once seeded.
	apiUsers []*member

	audit auditLog // what callers did, per workspace (audit.go); has its own lock
}

// New returns an emulator seeded with the demo workspace DemoWorkspace and a second, smaller
// workspace SecondWorkspace, both visible to every credential. Close it when done.
func New(opts ...Option) (*Emulator, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.perPage < 1 {
		cfg.perPage = defaultPerPage
	}
	if cfg.runDuration < 0 {
		cfg.runDuration = 0
	}
	if !slices.ContainsFunc(cfg.credentials, func(c credential) bool { return c.username == "" }) {
		// Every emulator has a credential that sees everything (Credentials), first.
		cfg.credentials = slices.Insert(cfg.credentials, 0, credential{token: randomHex(6), secret: randomHex(16)})
	}
	ds, err := openDataset(context.Background(), cfg.bigRows)
	if err != nil {
		return nil, fmt.Errorf("modetest: %w", err)
	}
	e := &Emulator{
		cfg:     cfg,
		ds:      ds,
		mux:     http.NewServeMux(),
		limiter: newRateLimiter(cfg.rateLimit, cfg.ratePer),
		done:    make(chan struct{}),
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.clock = cfg.clock
	if e.clock == nil {
		e.clock = realClock{}
	}
	e.reqs.max = defaultMaxLoggedReq
	e.reg.tokens = map[string]bool{}
	e.byName = map[string]*store{}
	e.fieldsMemo = map[string][]fieldInfo{}
	e.people = map[string]*member{}
	e.audit.events = map[string][]auditEvent{}
	e.seed()
	e.routes()
	e.mu.Lock()
	e.startTicker() // the demo's dataset schedule exists from the start
	e.mu.Unlock()
	if tc, ok := e.clock.(*TestClock); ok {
		tc.attach(e)
	}
	return e, nil
}

// randomHex returns 2n random lowercase hex characters.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Close stops the run goroutines and the schedule ticker, ends hanging requests and closes the
// SQL database. Requests arriving afterwards are answered 503, and schedules no longer fire.
func (e *Emulator) Close() error {
	e.beginClose()
	e.closeOnce.Do(func() {
		if tc, ok := e.clock.(*TestClock); ok {
			tc.detach(e)
		}
		e.wg.Wait()
		e.closeErr = e.ds.Close()
	})
	return e.closeErr
}

// beginClose marks the emulator closed and wakes everything waiting on it, without waiting.
func (e *Emulator) beginClose() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.closed = true
		close(e.done)
		e.cancel()
	}
}

// Credentials returns the API token and secret of the first user that stands for no member in
// particular (WithCredentials, or a random pair the emulator made when none was given): it sees
// everything.
func (e *Emulator) Credentials() (token, secret string) {
	i := slices.IndexFunc(e.cfg.credentials, func(c credential) bool { return c.username == "" })
	c := e.cfg.credentials[i]
	return c.token, c.secret
}

// Demo returns the tokens of the seeded demo objects.
func (e *Emulator) Demo() Demo {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.demo
	d.Spaces = append([]string(nil), d.Spaces...)
	d.Reports = append([]string(nil), d.Reports...)
	d.Members = append([]string(nil), d.Members...)
	d.Memberships = append([]string(nil), d.Memberships...)
	d.Groups = append([]string(nil), d.Groups...)
	d.Definitions = append([]string(nil), d.Definitions...)
	d.Filters = append([]string(nil), d.Filters...)
	d.Datasets = append([]string(nil), d.Datasets...)
	d.GeneratedSpaces = append([]string(nil), d.GeneratedSpaces...)
	d.Second.Reports = append([]string(nil), d.Second.Reports...)
	return d
}

// ServeHTTP answers one Mode API request: log, faults, latency, Basic auth, rate limit, route.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.reqs.add(r)
	select {
	case <-e.done:
		writeError(w, http.StatusServiceUnavailable, "Mode emulator is shutting down")
		return
	default:
	}
	if f := e.faults.match(r); f != nil {
		if !e.sleep(r.Context(), f.Latency) {
			abort()
		}
		if answered := e.applyFault(w, r, f); answered {
			return
		}
	}
	if !e.sleep(r.Context(), e.cfg.latency) {
		abort()
	}
	e.serve(w, r)
}

// serve is everything after faults: auth, rate limit and routing. Reads of the Metadata API
// (/batch/…) authenticate with a signature token (signature.go), everything else with Basic auth.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request) {
	if metadataRead(r) {
		tok, msg := e.authenticateSignature(r)
		if tok == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="Mode Metadata API"`)
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		if !e.limiter.allow(w, tok.creator) {
			return
		}
		e.mux.ServeHTTP(w, withCaller(withSignature(r, tok), e.callerOf(tok.creator)))
		return
	}
	c, ok := e.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="Mode API"`)
		writeError(w, http.StatusUnauthorized, "")
		return
	}
	if !e.limiter.allow(w, c.token) {
		return
	}
	e.mux.ServeHTTP(w, withCaller(r, c.username))
}

// authenticate checks Basic auth against the configured users and returns the credential.
func (e *Emulator) authenticate(r *http.Request) (credential, bool) {
	token, secret, ok := r.BasicAuth()
	if !ok {
		return credential{}, false
	}
	var found credential
	ok = false
	for _, c := range e.cfg.credentials {
		t := subtle.ConstantTimeCompare([]byte(token), []byte(c.token))
		s := subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret))
		if t&s == 1 && !ok {
			found, ok = c, true
		}
	}
	return found, ok
}

// callerOf returns the username of the member the credential with API token token belongs to
// ("" for one that stands for no member, or for no credential).
func (e *Emulator) callerOf(token string) string {
	for _, c := range e.cfg.credentials {
		if c.token == token {
			return c.username
		}
	}
	return ""
}

// sleep waits d; it returns false when ctx ended or the emulator closed first.
func (e *Emulator) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-e.done:
		return false
	}
}

// abort ends the request without a (complete) answer: net/http closes the connection and does
// not log the panic.
func abort() { panic(http.ErrAbortHandler) }
