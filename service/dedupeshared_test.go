package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// memStore is a RequestIDStore in memory, shared by the test's "replicas" (dedupes) as Redis
// would be. Records can be abandoned (their owner died) and the store taken down.
type memStore struct {
	mu      sync.Mutex
	recs    map[string]*memRecord
	changed chan struct{} // closed and replaced on every change
	down    bool
	tokens  int
	claims  int

	awaiting atomic.Int32 // callers in Await
}

type memRecord struct {
	fp, token string
	outcome   []byte
	done      bool
	abandoned bool
}

func newMemStore() *memStore {
	return &memStore{recs: map[string]*memRecord{}, changed: make(chan struct{})}
}

var errStoreDown = errors.New("store down")

func (s *memStore) notifyLocked() { close(s.changed); s.changed = make(chan struct{}) }

func (s *memStore) readLocked(r *memRecord) RequestIDRecord {
	switch {
	case r == nil:
		return RequestIDRecord{}
	case r.done:
		return RequestIDRecord{State: RequestIDDone, Fingerprint: r.fp, Outcome: r.outcome}
	case r.abandoned:
		return RequestIDRecord{State: RequestIDAbandoned, Fingerprint: r.fp}
	}
	return RequestIDRecord{State: RequestIDPending, Fingerprint: r.fp}
}

func (s *memStore) Claim(_ context.Context, key, fp string, _ time.Duration) (RequestIDRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return RequestIDRecord{}, errStoreDown
	}
	s.claims++
	if r := s.recs[key]; r != nil {
		return s.readLocked(r), nil
	}
	s.tokens++
	tok := strconv.Itoa(s.tokens)
	s.recs[key] = &memRecord{fp: fp, token: tok}
	return RequestIDRecord{State: RequestIDClaimed, Token: tok}, nil
}

func (s *memStore) Complete(_ context.Context, key, token, fp string, outcome []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errStoreDown
	}
	if r := s.recs[key]; r != nil && r.token == token {
		r.outcome, r.done = outcome, true
		s.notifyLocked()
	}
	return nil
}

func (s *memStore) Release(_ context.Context, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errStoreDown
	}
	if r := s.recs[key]; r != nil && r.token == token {
		delete(s.recs, key)
		s.notifyLocked()
	}
	return nil
}

func (s *memStore) Await(ctx context.Context, key string) (RequestIDRecord, error) {
	s.awaiting.Add(1)
	defer s.awaiting.Add(-1)
	for {
		s.mu.Lock()
		if s.down {
			s.mu.Unlock()
			return RequestIDRecord{}, errStoreDown
		}
		rec, changed := s.readLocked(s.recs[key]), s.changed
		s.mu.Unlock()
		if rec.State != RequestIDPending {
			return rec, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return RequestIDRecord{}, ctx.Err()
		}
	}
}

// waitAwaiting waits until n callers wait in the store.
func waitAwaiting(t *testing.T, s *memStore, n int32) {
	t.Helper()
	for i := 0; s.awaiting.Load() != n; i++ {
		if i > 10000 {
			t.Fatalf("never %d callers awaiting", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// abandon plays the owner of every pending record dying: their leases expire.
func (s *memStore) abandon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.recs {
		if !r.done {
			r.abandoned = true
		}
	}
	s.notifyLocked()
}

func (s *memStore) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
	s.notifyLocked()
}

// TestRequestIDAcrossReplicas: with a shared RequestIDStore, a request_id creates once across
// replicas (each with its own in-memory records), whichever replica the retries reach, and
// answers every replica the same outcome, errors included.
func TestRequestIDAcrossReplicas(t *testing.T) {
	store := newMemStore()
	replica := func() *dedupe {
		d := newDedupe(100, time.Minute, time.Now, nil)
		d.store = store
		return d
	}
	replicas := []*dedupe{replica(), replica(), replica()}
	ctx := context.Background()
	var calls atomic.Int32
	succeed := func(v string) func(context.Context) (*wrapperspb.StringValue, error) {
		return func(context.Context) (*wrapperspb.StringValue, error) { calls.Add(1); return wrapperspb.String(v), nil }
	}

	t.Run("sequential retries through each replica", func(t *testing.T) {
		calls.Store(0)
		for i, d := range replicas {
			got, err := do(ctx, d, "s", "seq", 1, succeed("made by "+strconv.Itoa(i)))
			if err != nil || got.GetValue() != "made by 0" {
				t.Errorf("replica %d: %q, %v; want the first create's result", i, got.GetValue(), err)
			}
		}
		if calls.Load() != 1 {
			t.Errorf("creates run = %d, want 1", calls.Load())
		}
		// The same id for another request is refused on every replica.
		for i, d := range replicas {
			if _, err := do(ctx, d, "s", "seq", 2, succeed("other")); connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("replica %d, different request: %v, want InvalidArgument", i, err)
			}
		}
	})

	t.Run("concurrent duplicates wait for the owner's create", func(t *testing.T) {
		calls.Store(0)
		gate := make(chan struct{})
		started := make(chan struct{}, len(replicas))
		blocked := func(context.Context) (*wrapperspb.StringValue, error) {
			calls.Add(1)
			started <- struct{}{}
			<-gate
			return wrapperspb.String("the one"), nil
		}
		var wg sync.WaitGroup
		results := make([]string, len(replicas))
		for i, d := range replicas {
			wg.Go(func() {
				got, err := do(ctx, d, "s", "conc", 1, blocked)
				if err != nil {
					t.Errorf("replica %d: %v", i, err)
				}
				results[i] = got.GetValue()
			})
		}
		<-started // one create runs; the others wait in the store
		close(gate)
		wg.Wait()
		for i, r := range results {
			if r != "the one" {
				t.Errorf("replica %d answered %q", i, r)
			}
		}
		if calls.Load() != 1 {
			t.Errorf("creates run = %d, want 1", calls.Load())
		}
	})

	t.Run("an error that may have been processed is everyone's answer", func(t *testing.T) {
		calls.Store(0)
		sent := upstreamError(&modeclient.APIError{StatusCode: 503, Method: "POST", Route: "/r"}, "x")
		fail := func(context.Context) (*wrapperspb.StringValue, error) { calls.Add(1); return nil, sent }
		for i, d := range replicas {
			_, err := do(ctx, d, "s", "err", 1, fail)
			// Every replica answers the first create's outcome-unknown error, its cause kept.
			if connect.CodeOf(err) != connect.CodeAborted || !errdetail.HasReason(err, ReasonCreateOutcomeUnknown) ||
				!strings.Contains(err.Error(), "HTTP 503") {
				t.Errorf("replica %d: %v, want Aborted %s caused by %v", i, err, ReasonCreateOutcomeUnknown, sent)
			}
		}
		if calls.Load() != 1 {
			t.Errorf("creates run = %d, want 1", calls.Load())
		}
	})

	t.Run("an error that certainly did nothing lets another replica create", func(t *testing.T) {
		calls.Store(0)
		refused := upstreamError(&modeclient.APIError{StatusCode: 429, Method: "POST", Route: "/r"}, "x")
		if _, err := do(ctx, replicas[0], "s", "429", 1, func(context.Context) (*wrapperspb.StringValue, error) {
			calls.Add(1)
			return nil, refused
		}); err == nil {
			t.Fatal("want the 429's error")
		}
		if got, err := do(ctx, replicas[1], "s", "429", 1, succeed("second try")); err != nil || got.GetValue() != "second try" {
			t.Errorf("retry through another replica: %q, %v", got.GetValue(), err)
		}
		if calls.Load() != 2 {
			t.Errorf("creates run = %d, want 2", calls.Load())
		}
	})

	t.Run("an owner that died: outcome unknown, never created again", func(t *testing.T) {
		calls.Store(0)
		// A replica claimed the id and crashed mid-create: its record stays pending, then its
		// lease expires.
		if rec, err := store.Claim(ctx, dedupeKey("", "s", "dead"), strconv.FormatUint(1, 16), time.Minute); err != nil || rec.State != RequestIDClaimed {
			t.Fatalf("claim: %+v %v", rec, err)
		}
		errs := make(chan error, 1)
		go func() {
			_, err := do(ctx, replicas[1], "s", "dead", 1, succeed("must not run"))
			errs <- err
		}()
		store.abandon()
		for i, err := range []error{<-errs, func() error { _, err := do(ctx, replicas[2], "s", "dead", 1, succeed("must not run")); return err }()} {
			if connect.CodeOf(err) != connect.CodeAborted || !errdetail.HasReason(err, ReasonCreateOutcomeUnknown) {
				t.Errorf("answer %d: %v, want Aborted %s", i, err, ReasonCreateOutcomeUnknown)
			}
		}
		if calls.Load() != 0 {
			t.Errorf("creates run = %d, want 0", calls.Load())
		}
	})

	t.Run("a create that panics: outcome unknown everywhere, never created again", func(t *testing.T) {
		calls.Store(0)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the create's panic did not reach the caller")
				}
			}()
			_, _ = do(ctx, replicas[0], "s", "panic", 1, func(context.Context) (*wrapperspb.StringValue, error) {
				calls.Add(1)
				panic("boom")
			})
		}()
		// A hang guard, not a timing assertion: without an answer the retries would wait forever.
		guard, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for i, d := range replicas {
			if _, err := do(guard, d, "s", "panic", 1, succeed("must not run")); connect.CodeOf(err) != connect.CodeAborted || !errdetail.HasReason(err, ReasonCreateOutcomeUnknown) {
				t.Errorf("replica %d: %v, want Aborted %s", i, err, ReasonCreateOutcomeUnknown)
			}
		}
		if calls.Load() != 1 {
			t.Errorf("creates run = %d, want 1", calls.Load())
		}
	})

	t.Run("a duplicate on the same replica outlives the first caller's wait", func(t *testing.T) {
		calls.Store(0)
		// Another replica claimed the id and is creating.
		own, err := store.Claim(ctx, dedupeKey("", "s", "patient"), strconv.FormatUint(1, 16), time.Minute)
		if err != nil || own.State != RequestIDClaimed {
			t.Fatalf("claim: %+v %v", own, err)
		}
		impatient, cancel := context.WithCancel(ctx)
		first := make(chan error, 1)
		go func() {
			_, err := do(impatient, replicas[1], "s", "patient", 1, succeed("must not run"))
			first <- err
		}()
		waitAwaiting(t, store, 1) // the first caller waits in the store, holding the replica's entry
		second := make(chan string, 1)
		go func() {
			got, err := do(ctx, replicas[1], "s", "patient", 1, succeed("must not run"))
			if err != nil {
				t.Errorf("the patient duplicate: %v", err)
			}
			second <- got.GetValue()
		}()
		time.Sleep(50 * time.Millisecond) // let the second reach the replica's entry (ordering only)
		cancel()                          // the first caller gives up; the second still waits for the owner
		if err := <-first; connect.CodeOf(err) != connect.CodeCanceled {
			t.Errorf("the caller that gave up: %v, want Canceled", err)
		}
		out, err := encodeOutcome(wrapperspb.String("made elsewhere"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Complete(ctx, dedupeKey("", "s", "patient"), own.Token, "1", out, time.Minute); err != nil {
			t.Fatal(err)
		}
		if got := <-second; got != "made elsewhere" {
			t.Errorf("the patient duplicate answered %q, want the owner's result", got)
		}
		if calls.Load() != 0 {
			t.Errorf("creates run = %d, want 0", calls.Load())
		}
	})

	t.Run("store down: refused as Unavailable, nothing created, a retry works", func(t *testing.T) {
		calls.Store(0)
		store.setDown(true)
		_, err := do(ctx, replicas[0], "s", "down", 1, succeed("x"))
		if connect.CodeOf(err) != connect.CodeUnavailable || !errdetail.HasReason(err, ReasonRequestIDUnavailable) {
			t.Errorf("with the store down: %v, want Unavailable %s", err, ReasonRequestIDUnavailable)
		}
		if calls.Load() != 0 {
			t.Errorf("creates run with the store down = %d, want 0", calls.Load())
		}
		// Without an id there is nothing to de-duplicate: the store is not needed.
		if _, err := do(ctx, replicas[0], "s", "", 1, succeed("x")); err != nil {
			t.Errorf("create without an id with the store down: %v", err)
		}
		store.setDown(false)
		if got, err := do(ctx, replicas[0], "s", "down", 1, succeed("after")); err != nil || got.GetValue() != "after" {
			t.Errorf("retry once the store is back: %q, %v", got.GetValue(), err)
		}
		if calls.Load() != 2 {
			t.Errorf("creates run = %d, want 2", calls.Load())
		}
	})
}

// TestOutcomeRoundTrip: what a replica stores of a create's outcome reads back the same on
// another: the result, or the error's code, message and details.
func TestOutcomeRoundTrip(t *testing.T) {
	res := wrapperspb.String("made")
	b, err := encodeOutcome(res, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeOutcome[*wrapperspb.StringValue](b)
	if err != nil || got.GetValue() != "made" {
		t.Errorf("result: %v, %v", got, err)
	}
	if _, err := decodeOutcome[*wrapperspb.Int64Value](b); connect.CodeOf(err) != connect.CodeInternal {
		t.Errorf("result read as another type: %v, want Internal", err)
	}
	want := upstreamError(&modeclient.TransportError{Method: "POST", Route: "/r", Err: &modeclient.NotSentError{Reason: modeclient.NotSentRateLimited, RetryAfter: 3 * time.Second}}, "x")
	b, err = encodeOutcome(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	_, gotErr := decodeOutcome[*wrapperspb.StringValue](b)
	var we, ge *connect.Error
	if !errors.As(want, &we) || !errors.As(gotErr, &ge) {
		t.Fatalf("errors %v, %v", want, gotErr)
	}
	if ge.Code() != we.Code() || ge.Message() != we.Message() || len(ge.Details()) != len(we.Details()) || !errdetail.HasReason(ge, ReasonUpstreamRateLimited) {
		t.Errorf("error read back as %v (%d details), want %v (%d details)", ge, len(ge.Details()), we, len(we.Details()))
	}
}

// TestPanickedCreateIsNotWaitedForever: without a shared store too, a create that panicked
// leaves an "outcome unknown" answer for its retries, not a record pending forever.
func TestPanickedCreateIsNotWaitedForever(t *testing.T) {
	d := newDedupe(100, time.Minute, time.Now, nil)
	func() {
		defer func() { _ = recover() }()
		_, _ = do(context.Background(), d, "s", "id", 1, func(context.Context) (*wrapperspb.StringValue, error) { panic("boom") })
	}()
	// A hang guard, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := do(ctx, d, "s", "id", 1, func(context.Context) (*wrapperspb.StringValue, error) { return wrapperspb.String("again"), nil })
	if connect.CodeOf(err) != connect.CodeAborted || !errdetail.HasReason(err, ReasonCreateOutcomeUnknown) {
		t.Errorf("retry after a panicked create: %v, want Aborted %s", err, ReasonCreateOutcomeUnknown)
	}
}
