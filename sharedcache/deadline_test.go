package sharedcache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

// TestFetchThroughTheSharedLevelServesItsMostPatientCaller: a caller with a 100ms deadline
// starts a fetch on replica A that outlasts it; a caller with a minute joins it on A and another
// waits for it on replica B (on the Redis lock). The fetch runs through the L2 with the callers'
// latest deadline in its context (cache.CallersDeadline, which bounds the waits of modeclient's
// retries and of the guard toward Mode), not the first caller's, and both patient callers get
// its answer: one upstream fetch.
func TestFetchThroughTheSharedLevelServesItsMostPatientCaller(t *testing.T) {
	rs := redistest.Start(t)
	a, b := newReplica(t, rs.URL), newReplica(t, rs.URL)
	k := key("alice", "/api/ws/reports/r1")
	started, release := make(chan struct{}), make(chan struct{})
	seen := make(chan time.Time, 1)
	calls := 0
	fetch := func(ctx context.Context) (cache.Fetched, error) {
		calls++
		close(started)
		<-release
		dl, ok := cache.CallersDeadline(ctx)
		if !ok {
			return cache.Fetched{}, errors.New("no callers' deadline in the fetch's context")
		}
		seen <- dl
		return cache.Fetched{Body: []byte("report"), TTL: time.Minute, Tags: []string{"/api/ws/reports/r1"}}, nil
	}

	first := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, _, err := a.cache.Get(ctx, k, false, fetch)
		first <- err
	}()
	<-started
	long, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want, _ := long.Deadline()
	type answer struct {
		body string
		err  error
	}
	answers := make(chan answer, 2)
	for _, r := range []*replica{a, b} {
		go func() {
			body, _, err := r.cache.Get(long, k, false, fetch)
			answers <- answer{string(body), err}
		}()
	}
	waitFor(t, "the patient callers to wait on the fetch", func() bool {
		return a.cache.Stats().Coalesced == 1 && b.l2.Stats().Waits == 1
	})
	if err := <-first; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first caller: %v, want its deadline exceeded", err)
	}
	close(release)
	for range 2 {
		if got := <-answers; got.err != nil || got.body != "report" {
			t.Errorf("patient caller got %q, %v; want the report", got.body, got.err)
		}
	}
	if dl := <-seen; !dl.Equal(want) {
		t.Errorf("the fetch worked to %v, want the patient callers' deadline %v", dl, want)
	}
	if calls != 1 {
		t.Errorf("%d upstream fetches, want 1", calls)
	}
}
