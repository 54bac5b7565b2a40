package sharedcache_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/syncbuf"

	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/sharedcache"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

// credentials maps the test keys' Credential fields to shared IDs; "unmapped" has none.
func credentials(fp string) (string, bool) {
	switch fp {
	case "alice", "alice-on-another-replica":
		return sharedcache.CredentialID("alice-token", "alice-secret"), true
	case "bob":
		return sharedcache.CredentialID("bob-token", "bob-secret"), true
	}
	return "", false
}

// replica is one process's cache stack: an LRU with the shared L2 behind it.
type replica struct {
	cache *cache.Cache
	l2    *sharedcache.L2
	logs  *syncbuf.Buffer
}

// newReplica stands up a replica on the Redis at url.
func newReplica(t *testing.T, url string, adjust ...func(*sharedcache.Options)) *replica {
	t.Helper()
	logs := &syncbuf.Buffer{}
	opts := sharedcache.Options{
		URL:         url,
		Namespace:   "test-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()),
		Credentials: credentials,
		Logger:      slog.New(slog.NewTextHandler(logs, nil)),
	}
	for _, a := range adjust {
		a(&opts)
	}
	l2, err := sharedcache.New(opts)
	if err != nil {
		t.Fatalf("sharedcache.New: %v", err)
	}
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatalf("cache.New: %v", err)
	}
	l2.Start(c, 5*time.Second)
	c.SetShared(l2)
	t.Cleanup(func() {
		c.Close()
		if err := l2.Close(); err != nil {
			t.Errorf("L2 Close: %v", err)
		}
	})
	return &replica{cache: c, l2: l2, logs: logs}
}

// upstream counts fetches and can hold them until released.
type upstream struct {
	calls   atomic.Int64
	gate    chan struct{} // nil: answer at once
	body    string
	ttl     time.Duration
	tags    []string
	started chan struct{} // receives once per call, if not nil
}

func (u *upstream) fetch(ctx context.Context) (cache.Fetched, error) {
	n := u.calls.Add(1)
	if u.started != nil {
		u.started <- struct{}{}
	}
	if u.gate != nil {
		select {
		case <-u.gate:
		case <-ctx.Done():
			return cache.Fetched{}, ctx.Err()
		}
	}
	return cache.Fetched{Body: []byte(fmt.Sprintf("%s#%d", u.body, n)), TTL: u.ttl, Tags: u.tags}, nil
}

func key(cred, path string) cache.Key {
	return cache.Key{Credential: cred, Method: "GET", Path: path}
}

func get(t *testing.T, r *replica, k cache.Key, u *upstream) string {
	t.Helper()
	body, _, err := r.cache.Get(context.Background(), k, false, u.fetch)
	if err != nil {
		t.Fatalf("Get %v: %v", k, err)
	}
	return string(body)
}

func TestSharedEntries(t *testing.T) {
	rs := redistest.Start(t)
	tests := []struct {
		name       string
		first      string // credential of the first replica's request
		second     string // credential of the second replica's request, same path
		wantShared bool
	}{
		{"same credential", "alice", "alice-on-another-replica", true},
		{"other credential", "alice", "bob", false},
		{"credential without a shared ID", "unmapped", "unmapped", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newReplica(t, rs.URL), newReplica(t, rs.URL)
			u := &upstream{body: "report", ttl: time.Minute, tags: []string{"/api/ws/reports/r1"}}
			first := get(t, a, key(tt.first, "/api/ws/reports/r1"), u)
			second := get(t, b, key(tt.second, "/api/ws/reports/r1"), u)
			if got := first == second; got != tt.wantShared {
				t.Errorf("second replica answered %q after %q: shared = %v, want %v", second, first, got, tt.wantShared)
			}
			wantCalls := int64(2)
			if tt.wantShared {
				wantCalls = 1
			}
			if n := u.calls.Load(); n != wantCalls {
				t.Errorf("upstream calls = %d, want %d", n, wantCalls)
			}
		})
	}
}

func TestHitKeepsTagsAndTTL(t *testing.T) {
	rs := redistest.Start(t)
	a, b := newReplica(t, rs.URL), newReplica(t, rs.URL)
	u := &upstream{body: "r", ttl: time.Minute, tags: []string{"space:ws/s1", "/api/ws/reports/r1"}}
	get(t, a, key("alice", "/api/ws/reports/r1"), u)
	got, err := b.l2.Fetch(context.Background(), key("alice", "/api/ws/reports/r1"), false, u.fetch)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != "r#1" || strings.Join(got.Tags, ",") != "space:ws/s1,/api/ws/reports/r1" {
		t.Errorf("Fetch = %q tags %q, want r#1 with both tags", got.Body, got.Tags)
	}
	if got.TTL <= 0 || got.TTL > time.Minute {
		t.Errorf("TTL = %v, want what is left of 1m", got.TTL)
	}
	// The local cache of b now holds it, tagged: a tag invalidation from a reaches it.
	get(t, b, key("alice", "/api/ws/reports/r1"), u)
	a.cache.Invalidate("space:ws/s1")
	if _, ok := b.cache.Lookup(key("alice", "/api/ws/reports/r1")); ok {
		t.Error("b's local entry survived a's invalidation of its tag")
	}
}

func TestInvalidationAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	tests := []struct {
		name        string
		invalidate  []string
		wantRefetch bool
	}{
		{"the resource's own tag", []string{"/api/ws/reports/r1"}, true},
		{"a list family it belongs to", []string{"list:ws:reports"}, true},
		{"an unrelated tag", []string{"/api/ws/reports/r2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reps := []*replica{newReplica(t, rs.URL), newReplica(t, rs.URL), newReplica(t, rs.URL)}
			u := &upstream{body: "r", ttl: time.Minute, tags: []string{"/api/ws/reports/r1", "list:ws:reports"}}
			k := key("alice", "/api/ws/reports/r1")
			for _, r := range reps {
				get(t, r, k, u) // every local cache holds it
			}
			if n := u.calls.Load(); n != 1 {
				t.Fatalf("upstream calls before the write = %d, want 1", n)
			}
			reps[0].cache.Invalidate(tt.invalidate...) // a write through replica 0
			for i, r := range reps[1:] {
				_, ok := r.cache.Lookup(k)
				if ok == tt.wantRefetch {
					t.Errorf("replica %d local entry present = %v right after the invalidation returned, want %v", i+1, ok, !tt.wantRefetch)
				}
			}
			body := get(t, reps[2], k, u)
			if want := map[bool]string{true: "r#2", false: "r#1"}[tt.wantRefetch]; body != want {
				t.Errorf("replica 2 answered %q after the write, want %q", body, want)
			}
			if s := reps[0].l2.Stats(); s.InvalidationsSent != 1 || s.AckTimeouts != 0 {
				t.Errorf("publisher stats: %+v, want 1 sent and no ack timeout", s)
			}
		})
	}
}

func TestStaleFetchNotStored(t *testing.T) {
	rs := redistest.Start(t)
	a, b := newReplica(t, rs.URL), newReplica(t, rs.URL)
	u := &upstream{body: "r", ttl: time.Minute, tags: []string{"/api/ws/reports/r1"}, gate: make(chan struct{}), started: make(chan struct{}, 1)}
	k := key("alice", "/api/ws/reports/r1")
	done := make(chan string)
	go func() {
		body, _, _ := a.cache.Get(context.Background(), k, false, u.fetch)
		done <- string(body)
	}()
	<-u.started                              // the fetch read Mode before...
	b.cache.Invalidate("/api/ws/reports/r1") // ...a write through b
	close(u.gate)                            // and answers with what it read
	if got := <-done; got != "r#1" {
		t.Fatalf("in-flight caller got %q, want r#1", got)
	}
	if s := a.l2.Stats(); s.Stale != 1 || s.Stores != 0 {
		t.Errorf("a's stats %+v: want the stale result refused (Stale 1, Stores 0)", s)
	}
	u.gate = nil
	if got := get(t, b, k, u); got != "r#2" {
		t.Errorf("after the write b answered %q, want a fresh fetch r#2", got)
	}
}

func TestCoalescingAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	tests := []struct {
		name string
		ttl  time.Duration // 0: a response that must not be cached (a run in progress)
	}{
		{"cacheable", time.Minute},
		{"uncacheable", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const replicas, callers = 3, 30
			reps := make([]*replica, replicas)
			for i := range reps {
				reps[i] = newReplica(t, rs.URL)
			}
			u := &upstream{body: "r", ttl: tt.ttl, tags: []string{"/api/ws/reports/r1"}, gate: make(chan struct{}), started: make(chan struct{}, replicas)}
			k := key("alice", "/api/ws/reports/r1")
			var wg sync.WaitGroup
			bodies := make([]string, replicas*callers)
			for i := range bodies {
				wg.Go(func() {
					body, _, err := reps[i%replicas].cache.Get(context.Background(), k, false, u.fetch)
					if err != nil {
						t.Errorf("Get: %v", err)
					}
					bodies[i] = string(body)
				})
			}
			<-u.started // one fetch runs; every replica is waiting on it (locally or in Redis)
			// Every caller must have joined before the fetch ends: one that came later would
			// (rightly) fetch an uncacheable answer again.
			waitFor(t, "the other replicas to wait on the lock and every caller to join", func() bool {
				var waits, joined uint64
				for _, r := range reps {
					waits += r.l2.Stats().Waits
					joined += r.cache.Stats().Coalesced
				}
				return waits == replicas-1 && joined == replicas*(callers-1)
			})
			close(u.gate)
			wg.Wait()
			if n := u.calls.Load(); n != 1 {
				t.Errorf("upstream calls = %d, want 1", n)
			}
			for i, b := range bodies {
				if b != "r#1" {
					t.Fatalf("caller %d got %q, want r#1", i, b)
				}
			}
		})
	}
}

func TestLockHolderDies(t *testing.T) {
	rs := redistest.Start(t)
	a := newReplica(t, rs.URL, func(o *sharedcache.Options) { o.PollInterval = 10 * time.Millisecond })
	// Another replica took the lock of this key and died: its lock expires on its own.
	id := sharedcache.CredentialID("alice-token", "alice-secret")
	ns := "test-" + t.Name()
	lockKey := sharedcache.LockKeyOf(ns, id, key("alice", "/api/ws/reports/r1"))
	ctx := context.Background()
	if got, err := rs.Do(ctx, "SET", lockKey, "dead-replica", "PX", "300"); err != nil || got != "+OK" {
		t.Fatalf("SET lock: %q %v", got, err)
	}
	u := &upstream{body: "r", ttl: time.Minute, tags: []string{"/api/ws/reports/r1"}}
	if got := get(t, a, key("alice", "/api/ws/reports/r1"), u); got != "r#1" {
		t.Errorf("got %q, want r#1 fetched once the dead holder's lock expired", got)
	}
	if s := a.l2.Stats(); s.Waits != 1 || s.Misses != 1 {
		t.Errorf("stats %+v: want one wait, then the lock taken over (one miss)", s)
	}
}

func TestRedisDown(t *testing.T) {
	rs := redistest.Start(t)
	var health []bool
	var mu sync.Mutex
	a := newReplica(t, rs.URL, func(o *sharedcache.Options) {
		o.OnHealth = func(up bool) { mu.Lock(); health = append(health, up); mu.Unlock() }
		o.RetryAfter = time.Millisecond
	})
	u := &upstream{body: "r", ttl: time.Minute, tags: []string{"/api/ws/reports/r1"}}
	get(t, a, key("alice", "/api/ws/reports/r1"), u)
	rs.Kill()
	// Misses, invalidations and the limiter keep working without Redis.
	if got := get(t, a, key("alice", "/api/ws/reports/r2"), u); got != "r#2" {
		t.Errorf("with Redis down got %q, want r#2 from upstream", got)
	}
	a.cache.Invalidate("/api/ws/reports/r1")
	if got := get(t, a, key("alice", "/api/ws/reports/r1"), u); got != "r#3" {
		t.Errorf("after a local invalidation with Redis down got %q, want r#3", got)
	}
	lim, err := a.l2.NewLimiter(1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := lim.Wait(context.Background(), "ws"); err != nil {
		t.Errorf("limiter with Redis down: %v, want the fallback (none: no limit)", err)
	}
	s := a.l2.Stats()
	if s.Up || s.Errors == 0 {
		t.Errorf("stats %+v: want Up false and errors counted", s)
	}
	if !strings.Contains(a.logs.String(), "Redis is unreachable") {
		t.Errorf("no log of the outage; logs:\n%s", a.logs.String())
	}
	// Back: the next operation after RetryAfter finds it and says so.
	rs.Restart()
	waitFor(t, "the L2 to see Redis again", func() bool {
		get(t, a, key("alice", fmt.Sprintf("/api/ws/reports/r%d", u.calls.Load()+10)), u)
		return a.l2.Up()
	})
	mu.Lock()
	defer mu.Unlock()
	if len(health) < 2 || health[0] || !health[len(health)-1] {
		t.Errorf("OnHealth calls %v, want false then, at last, true", health)
	}
}

func TestLimiterShared(t *testing.T) {
	rs := redistest.Start(t)
	a, b := newReplica(t, rs.URL), newReplica(t, rs.URL)
	const burst = 3
	limA, err := a.l2.NewLimiter(1.0/3600, burst, nil) // one an hour after the burst
	if err != nil {
		t.Fatal(err)
	}
	limB, err := b.l2.NewLimiter(1.0/3600, burst, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tests := []struct {
		lim     *sharedcache.Limiter
		key     string
		wantErr error
	}{
		{limA, "ws1", nil},
		{limB, "ws1", nil},
		{limA, "ws1", nil},
		{limB, "ws1", sharedcache.ErrWouldExceedDeadline}, // the burst is spent across both replicas
		{limA, "ws1", sharedcache.ErrWouldExceedDeadline},
		{limB, "ws2", nil}, // another key has its own budget
	}
	for i, tt := range tests {
		if err := tt.lim.Wait(ctx, tt.key); !errors.Is(err, tt.wantErr) {
			t.Errorf("request %d (%s): Wait = %v, want %v", i, tt.key, err, tt.wantErr)
		}
	}
}

func TestLimiterFallback(t *testing.T) {
	rs := redistest.Start(t)
	a := newReplica(t, rs.URL)
	fb := &countingWaiter{}
	lim, err := a.l2.NewLimiter(10, 1, fb)
	if err != nil {
		t.Fatal(err)
	}
	if err := lim.Wait(context.Background(), "ws"); err != nil || fb.n.Load() != 0 {
		t.Fatalf("with Redis up: err %v, fallback calls %d; want nil, 0", err, fb.n.Load())
	}
	rs.Kill()
	if err := lim.Wait(context.Background(), "ws"); err != nil || fb.n.Load() != 1 {
		t.Errorf("with Redis down: err %v, fallback calls %d; want nil, 1", err, fb.n.Load())
	}
}

func TestNewLimiterRejects(t *testing.T) {
	l2, err := sharedcache.New(sharedcache.Options{URL: "redis://127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	for _, tt := range []struct {
		rate  float64
		burst int
	}{{0, 1}, {-1, 1}, {1, 0}} {
		if _, err := l2.NewLimiter(tt.rate, tt.burst, nil); err == nil {
			t.Errorf("NewLimiter(%v, %d) accepted", tt.rate, tt.burst)
		}
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts sharedcache.Options
	}{
		{"not a URL", sharedcache.Options{URL: "localhost:6379"}},
		{"unknown scheme", sharedcache.Options{URL: "http://localhost:6379"}},
		{"namespace with braces", sharedcache.Options{URL: "redis://localhost:6379", Namespace: "a{b}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if l2, err := sharedcache.New(tt.opts); err == nil {
				l2.Close()
				t.Error("New accepted it")
			}
		})
	}
}

func TestCredentialID(t *testing.T) {
	tests := []struct {
		name       string
		a, b       [2]string
		wantSameID bool
	}{
		{"same credential", [2]string{"token1", "secret-xyz"}, [2]string{"token1", "secret-xyz"}, true},
		{"other secret", [2]string{"token1", "secret-xyz"}, [2]string{"token1", "secret-xyw"}, false},
		{"boundary moved", [2]string{"token1s", "ecret-xyz"}, [2]string{"token1", "secret-xyz"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := sharedcache.CredentialID(tt.a[0], tt.a[1]), sharedcache.CredentialID(tt.b[0], tt.b[1])
			if (a == b) != tt.wantSameID {
				t.Errorf("IDs %s and %s: same = %v, want %v", a, b, a == b, tt.wantSameID)
			}
			if strings.Contains(a, tt.a[1]) || len(a) != 32 {
				t.Errorf("ID %q: want 32 hex characters without the secret", a)
			}
		})
	}
}

type countingWaiter struct{ n atomic.Int64 }

func (w *countingWaiter) Wait(context.Context, string) error { w.n.Add(1); return nil }

// waitFor polls cond until it holds, failing the test after a generous bound (a hang guard,
// not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
