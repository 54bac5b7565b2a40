package modeclient_test

// Faults of the cache and retry layers that only show with several callers or several requests:
// a coalesced fetch started by an impatient caller, and the retry budget.

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// waitFor polls cond until it holds, failing t when ctx ends first. It orders the steps of a
// test; it asserts nothing about time.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// TestCoalescedCallersOutliveTheFirstCallersDeadline: a caller with a 100ms deadline starts a
// fetch that Mode answers slowly with a 429 and Retry-After: 1; callers with a minute to spare
// join it. The shared fetch waits out the Retry-After on their behalf (the first caller's
// deadline is not theirs) and they all get the report: one fetch, the 429 and its retry.
func TestCoalescedCallersOutliveTheFirstCallersDeadline(t *testing.T) {
	t.Parallel()
	tg := newEmulatorTarget(t)
	ctx := tg.ctx(t)
	ch := newTestCache(t, cache.Options{})
	c := tg.client(t, modeclient.WithCache(ch))
	rep := tg.emu.Demo().Reports[0]
	path := apiPath("reports", rep)
	tg.emu.AddFault(modetest.Fault{
		Method: http.MethodGet, Path: path, Times: 1,
		Latency: 300 * time.Millisecond, Status: http.StatusTooManyRequests, RetryAfter: "1",
	})

	firstErr := make(chan error, 1)
	go func() {
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := c.GetReport(short, tg.ws, rep)
		firstErr <- err
	}()
	waitFor(t, ctx, "the first caller's request to reach Mode", func() bool { return requestsTo(tg.emu, http.MethodGet, path) == 1 })

	const joiners = 3
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		outs = &outcomes{}
	)
	for range joiners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.GetReport(outs.ctx(ctx), tg.ws, rep)
			if err == nil && r.Token != rep {
				err = errors.New("got report " + r.Token)
			}
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := <-firstErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("first caller: %v, want its own deadline exceeded", err)
	}
	for _, err := range errs {
		if err != nil {
			t.Errorf("a caller with time to spare failed: %v", err)
		}
	}
	for _, o := range outs.take() {
		if o != cache.OutcomeCoalesced.String() {
			t.Errorf("joiner outcome %s, want coalesced (one fetch for everyone)", o)
		}
	}
	if n := requestsTo(tg.emu, http.MethodGet, path); n != 2 {
		t.Errorf("%d requests to Mode, want 2 (the 429 and one retry)", n)
	}
}

// TestContractRunEndRefreshesTheCachedReport: against the emulator, a report cached while its
// run is in progress shows that run as its last successful run as soon as a poll saw it
// succeed, though the cache's clock stands still (no TTL passes).
func TestContractRunEndRefreshesTheCachedReport(t *testing.T) {
	t.Parallel()
	tg := newEmulatorTarget(t, modetest.WithRunDuration(500*time.Millisecond))
	ctx := tg.ctx(t)
	c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{Now: newFakeClock().Now})))
	rep := tg.emu.Demo().Reports[scratchpadIndex] // its one query is cheap to run
	run := must(c.RunReport(ctx, tg.ws, rep, nil))(t)
	before := must(c.GetReport(ctx, tg.ws, rep))(t) // cached while the run is (very likely) in progress
	done := waitRun(t, ctx, c, tg.ws, rep, run.Token)
	if done.State != "succeeded" {
		t.Fatalf("run = %+v", done)
	}
	after := must(c.GetReport(ctx, tg.ws, rep))(t)
	if after.LastSuccessfulRunToken != run.Token {
		t.Errorf("report's last successful run %q (before the run ended: %q), want %q", after.LastSuccessfulRunToken, before.LastSuccessfulRunToken, run.Token)
	}
}
