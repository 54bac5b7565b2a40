package sharedcache_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/modeplatform/modeplatform/sharedcache"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

// TestRequestRecords plays two replicas de-duplicating creates through one Redis: the first
// claims, the second waits for and gets the first's outcome; a released claim may be taken
// again; a claim whose owner died reads abandoned, and is never claimed anew.
func TestRequestRecords(t *testing.T) {
	rs := redistest.Start(t)
	a := newReplica(t, rs.URL)
	b := newReplica(t, rs.URL)
	ns := "test-" + t.Name()
	ctx := context.Background()
	const window = time.Minute
	const key = "5:alice\x00CreateSpace\x00ws\x00req-1"

	claim := func(r *replica, key, fp string) sharedcache.RequestRecord {
		t.Helper()
		rec, err := r.l2.ClaimRequest(ctx, key, fp, window)
		if err != nil {
			t.Fatalf("ClaimRequest: %v", err)
		}
		return rec
	}
	awaiting := func(r *replica, key string) <-chan sharedcache.RequestRecord {
		ch := make(chan sharedcache.RequestRecord, 1)
		go func() {
			rec, err := r.l2.AwaitRequest(ctx, key)
			if err != nil {
				t.Errorf("AwaitRequest: %v", err)
			}
			ch <- rec
		}()
		return ch
	}

	t.Run("claim, wait, outcome", func(t *testing.T) {
		own := claim(a, key, "f1")
		if own.State != sharedcache.RecordClaimed || own.Token == "" {
			t.Fatalf("first claim = %+v, want claimed with a token", own)
		}
		if got := claim(b, key, "f1"); got.State != sharedcache.RecordPending || got.Fingerprint != "f1" {
			t.Fatalf("second claim = %+v, want pending of f1", got)
		}
		done := awaiting(b, key)
		if err := a.l2.CompleteRequest(ctx, key, own.Token, "f1", []byte("outcome"), window); err != nil {
			t.Fatalf("CompleteRequest: %v", err)
		}
		if got := <-done; got.State != sharedcache.RecordDone || string(got.Outcome) != "outcome" {
			t.Errorf("awaited %+v, want done with the outcome", got)
		}
		if got := claim(b, key, "f2"); got.State != sharedcache.RecordDone || got.Fingerprint != "f1" || string(got.Outcome) != "outcome" {
			t.Errorf("a later claim = %+v, want the done record of f1", got)
		}
	})

	t.Run("released claims may be taken again", func(t *testing.T) {
		const key = key + "-released"
		own := claim(a, key, "f1")
		if got := claim(b, key, "f1"); got.State != sharedcache.RecordPending {
			t.Fatalf("second claim = %+v, want pending", got)
		}
		done := awaiting(b, key)
		if err := a.l2.ReleaseRequest(ctx, key, own.Token); err != nil {
			t.Fatalf("ReleaseRequest: %v", err)
		}
		if got := <-done; got.State != 0 {
			t.Errorf("awaited %+v, want no record", got)
		}
		if got := claim(b, key, "f1"); got.State != sharedcache.RecordClaimed {
			t.Errorf("claim after the release = %+v, want claimed", got)
		}
	})

	t.Run("an owner that died leaves an abandoned record", func(t *testing.T) {
		const key = key + "-abandoned"
		dead := newReplica(t, rs.URL, func(o *sharedcache.Options) { o.Namespace = ns })
		if got := claim(dead, key, "f1"); got.State != sharedcache.RecordClaimed {
			t.Fatalf("claim = %+v", got)
		}
		done := awaiting(b, key)
		// The owner crashes: it stops renewing, and its lease expires.
		if err := dead.l2.Close(); err != nil {
			t.Fatal(err)
		}
		if got, err := rs.Do(ctx, "PEXPIRE", sharedcache.RequestLeaseKeyOf(ns, key), "1"); err != nil || got != ":1" {
			t.Fatalf("PEXPIRE lease: %q %v", got, err)
		}
		if got := <-done; got.State != sharedcache.RecordAbandoned || got.Fingerprint != "f1" {
			t.Errorf("awaited %+v, want abandoned", got)
		}
		if got := claim(a, key, "f1"); got.State != sharedcache.RecordAbandoned {
			t.Errorf("a retry's claim = %+v, want abandoned (never claimed anew)", got)
		}
	})

	t.Run("a record Redis lost while awaited reads abandoned", func(t *testing.T) {
		const key = key + "-lost"
		if got := claim(a, key, "f1"); got.State != sharedcache.RecordClaimed {
			t.Fatalf("claim = %+v", got)
		}
		done := awaiting(b, key)
		if got, err := rs.Do(ctx, "DEL", sharedcache.RequestRecordKeyOf(ns, key)); err != nil || got != ":1" {
			t.Fatalf("DEL record: %q %v", got, err)
		}
		if got := <-done; got.State != sharedcache.RecordAbandoned {
			t.Errorf("awaited %+v, want abandoned (its create may be running still)", got)
		}
	})

	t.Run("Redis holds no caller name and no key in clear", func(t *testing.T) {
		c := redis.NewClient(&redis.Options{Addr: rs.Addr})
		defer c.Close()
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.Contains(k, "alice") || strings.Contains(k, "req-1") {
				t.Errorf("Redis key %q names the caller or the request id", k)
			}
			if typ, _ := c.Type(ctx, k).Result(); typ == "hash" {
				for f, v := range c.HGetAll(ctx, k).Val() {
					if strings.Contains(v, "alice") || strings.Contains(v, "req-1") {
						t.Errorf("Redis %s field %s holds %q", k, f, v)
					}
				}
			}
		}
	})

	t.Run("Redis down: an error, never a claim", func(t *testing.T) {
		rs.Kill()
		defer rs.Restart()
		for i := range 2 { // the failure, then the L2 stepping aside
			if rec, err := a.l2.ClaimRequest(ctx, key+"-down", "f1", window); !errors.Is(err, sharedcache.ErrUnavailable) {
				t.Errorf("claim %d with Redis down = %+v, %v; want ErrUnavailable", i, rec, err)
			}
		}
	})
}

// TestRequestLeaseRenewed: an owner whose create outlasts the lease keeps its claim.
func TestRequestLeaseRenewed(t *testing.T) {
	rs := redistest.Start(t)
	a := newReplica(t, rs.URL, func(o *sharedcache.Options) { o.RequestLease = 300 * time.Millisecond })
	b := newReplica(t, rs.URL, func(o *sharedcache.Options) { o.RequestLease = 300 * time.Millisecond })
	ctx := context.Background()
	own, err := a.l2.ClaimRequest(ctx, "k", "f", time.Minute)
	if err != nil || own.State != sharedcache.RecordClaimed {
		t.Fatalf("claim = %+v, %v", own, err)
	}
	time.Sleep(time.Second) // more than three leases: renewed every 100ms
	if got, err := b.l2.ClaimRequest(ctx, "k", "f", time.Minute); err != nil || got.State != sharedcache.RecordPending {
		t.Errorf("claim by another replica after three leases = %+v, %v; want pending (the lease renewed)", got, err)
	}
	if err := a.l2.CompleteRequest(ctx, "k", own.Token, "f", []byte("x"), time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestRequestRecordsSurviveARedisRestart: Redis restarts empty; the records a replica knows
// (one completed, one whose create still runs) are put back, and a retry through another
// replica answers them: it is refused (unavailable) while the replicas restore theirs, never
// given a claim to create again.
func TestRequestRecordsSurviveARedisRestart(t *testing.T) {
	rs := redistest.Start(t)
	a := newReplica(t, rs.URL)
	b := newReplica(t, rs.URL)
	ctx := context.Background()
	const window = time.Minute

	claim := func(r *replica, key string) sharedcache.RequestRecord {
		t.Helper()
		rec, err := r.l2.ClaimRequest(ctx, key, "f", window)
		if err != nil {
			t.Fatalf("ClaimRequest(%s): %v", key, err)
		}
		return rec
	}
	done := claim(a, "done")
	if done.State != sharedcache.RecordClaimed {
		t.Fatalf("claim = %+v", done)
	}
	if err := a.l2.CompleteRequest(ctx, "done", done.Token, "f", []byte("the outcome"), window); err != nil {
		t.Fatal(err)
	}
	running := claim(a, "running")
	if running.State != sharedcache.RecordClaimed {
		t.Fatalf("claim = %+v", running)
	}
	if got := claim(b, "done"); got.State != sharedcache.RecordDone { // b has seen the epoch
		t.Fatalf("b's claim before the restart = %+v", got)
	}

	rs.Kill()
	rs.Restart()

	// b's retry until Redis answers it: refused while the records are restored, then a's
	// outcome. Never a claim. (The loop ends on the test's own timeout should it hang.)
	refused := 0
	var got sharedcache.RequestRecord
	for {
		rec, err := b.l2.ClaimRequest(ctx, "done", "f", window)
		if err == nil {
			got = rec
			break
		}
		if !errors.Is(err, sharedcache.ErrUnavailable) {
			t.Fatalf("claim after the restart: %v", err)
		}
		refused++
		time.Sleep(50 * time.Millisecond)
	}
	if got.State != sharedcache.RecordDone || string(got.Outcome) != "the outcome" {
		t.Fatalf("claim after the restart = %+v, want a's outcome restored", got)
	}
	if refused == 0 {
		t.Error("the first claim after the restart was answered; want refusals while Redis was down or restoring")
	}

	// The create that was running when Redis restarted is still a's: b waits for it.
	if rec := claim(b, "running"); rec.State != sharedcache.RecordPending {
		t.Fatalf("claim of the running create after the restart = %+v, want pending", rec)
	}
	awaited := make(chan sharedcache.RequestRecord, 1)
	go func() {
		rec, err := b.l2.AwaitRequest(ctx, "running")
		if err != nil {
			t.Errorf("AwaitRequest: %v", err)
		}
		awaited <- rec
	}()
	if err := a.l2.CompleteRequest(ctx, "running", running.Token, "f", []byte("late"), window); err != nil {
		t.Fatal(err)
	}
	if rec := <-awaited; rec.State != sharedcache.RecordDone || string(rec.Outcome) != "late" {
		t.Errorf("awaited = %+v, want the running create's outcome", rec)
	}

	// An id nobody knew is claimed once the grace period is over (refused until then).
	for {
		rec, err := b.l2.ClaimRequest(ctx, "new", "f", window)
		if err == nil {
			if rec.State != sharedcache.RecordClaimed {
				t.Errorf("claim of a new id = %+v", rec)
			}
			break
		}
		if !errors.Is(err, sharedcache.ErrUnavailable) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// b knew the completed record too (it read it): either may have restored it.
	if sa, sb := a.l2.Stats(), b.l2.Stats(); sa.RequestRecordLosses == 0 || sa.RequestRecordsRestored+sb.RequestRecordsRestored < 2 {
		t.Errorf("stats a = %+v, b = %+v; want a loss seen by a and 2 records restored", sa, sb)
	}
}

// TestRequestRecordsFirstStartHasNoGrace: replicas starting on a Redis that never held records
// claim at once (there is nothing to restore).
func TestRequestRecordsFirstStartHasNoGrace(t *testing.T) {
	rs := redistest.Start(t)
	a := newReplica(t, rs.URL)
	rec, err := a.l2.ClaimRequest(context.Background(), "k", "f", time.Minute)
	if err != nil || rec.State != sharedcache.RecordClaimed {
		t.Fatalf("first claim = %+v, %v; want claimed", rec, err)
	}
}
