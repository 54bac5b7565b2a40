package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a manually advanced clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func newTestCache(t *testing.T, o Options) (*Cache, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	if o.Now == nil {
		o.Now = clk.Now
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c, clk
}

func key(cred, path string) Key { return Key{Credential: cred, Method: "GET", Path: path} }

// constant returns a fetch that counts its calls and answers body.
func constant(calls *atomic.Int64, body string, ttl time.Duration, tags ...string) func(context.Context) (Fetched, error) {
	return func(context.Context) (Fetched, error) {
		calls.Add(1)
		return Fetched{Body: []byte(body), TTL: ttl, Tags: tags}, nil
	}
}

// gated returns a fetch that blocks until release is closed (or its ctx ends,
// if honourCtx), then answers body.
func gated(calls *atomic.Int64, release <-chan struct{}, honourCtx bool, body string, ttl time.Duration, tags ...string) func(context.Context) (Fetched, error) {
	return func(ctx context.Context) (Fetched, error) {
		calls.Add(1)
		if honourCtx {
			select {
			case <-release:
			case <-ctx.Done():
				return Fetched{}, fmt.Errorf("fetch: %w", ctx.Err())
			}
		} else {
			<-release
		}
		return Fetched{Body: []byte(body), TTL: ttl, Tags: tags}, nil
	}
}

// eventually polls cond; it bounds the wait only to fail instead of hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 20000; i++ {
		if cond() {
			return
		}
		if i < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	t.Fatalf("never happened: %s", what)
}

// flightOf returns the joinable flight for k and its number of joiners.
func flightOf(c *Cache, k Key) (f *flight, waiters int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f = c.flights[k]
	if f != nil {
		waiters = f.waiters
	}
	return f, waiters
}

// checkInvariants verifies the bounds and that bytes, entries and the tag
// index agree with the LRU's content.
func checkInvariants(t *testing.T, c *Cache, maxBytes int64, maxEntries int) {
	t.Helper()
	s := c.Stats()
	if s.Bytes > maxBytes || s.Bytes < 0 {
		t.Fatalf("Bytes = %d, bound %d", s.Bytes, maxBytes)
	}
	if s.Entries > int64(maxEntries) || s.Entries < 0 {
		t.Fatalf("Entries = %d, bound %d", s.Entries, maxEntries)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	// Walk every tag list, checking its links, and collect its nodes.
	linked := map[*tagNode]bool{}
	for tag, head := range c.tags {
		if head == nil || head.prev != nil {
			t.Fatalf("tag %q: bad head %+v", tag, head)
		}
		for n := head; n != nil; n = n.next {
			if n.tag != tag || (n.next != nil && n.next.prev != n) || linked[n] {
				t.Fatalf("tag %q: broken list at %+v", tag, n)
			}
			linked[n] = true
		}
	}
	var sum int64
	refs := 0
	for _, k := range c.lru.Keys() {
		e, _ := c.lru.Peek(k)
		sum += e.size
		for i := range e.tags {
			if n := &e.tags[i]; !linked[n] || n.key != k {
				t.Fatalf("entry %q: tag %q not linked", k, n.tag)
			}
			refs++
		}
	}
	if sum != s.Bytes || int64(c.lru.Len()) != s.Entries {
		t.Fatalf("accounting: sum %d bytes %d, len %d entries %d", sum, s.Bytes, c.lru.Len(), s.Entries)
	}
	if len(linked) != refs {
		t.Fatalf("tag index holds %d nodes, entries carry %d", len(linked), refs)
	}
}

// tagged counts the entries linked under tag.
func tagged(c *Cache, tag string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for x := c.tags[tag]; x != nil; x = x.next {
		n++
	}
	return n
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
		check   func(*Cache) bool
	}{
		{name: "zero takes defaults", check: func(c *Cache) bool {
			return c.maxBytes == DefaultMaxBytes && c.maxEntryBytes == DefaultMaxBytes/8 && c.fetchTimeout == DefaultFetchTimeout
		}},
		{name: "entry bound clamped to MaxBytes", opts: Options{MaxBytes: 1000, MaxEntryBytes: 5000}, check: func(c *Cache) bool {
			return c.maxEntryBytes == 1000
		}},
		{name: "negative entries", opts: Options{MaxEntries: -1}, wantErr: true},
		{name: "negative bytes", opts: Options{MaxBytes: -1}, wantErr: true},
		{name: "negative entry bytes", opts: Options{MaxEntryBytes: -1}, wantErr: true},
		{name: "negative timeout", opts: Options{FetchTimeout: -time.Second}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer c.Close()
			if !tt.check(c) {
				t.Errorf("options not applied: %+v", tt.opts)
			}
		})
	}
}

func TestGetHitMissBypass(t *testing.T) {
	type step struct {
		key     Key
		bypass  bool
		body    string // what the fetch would answer
		ttl     time.Duration
		want    string
		outcome Outcome
		fetched bool
	}
	a, b := key("cred-a", "/api/ws/reports/r1"), key("cred-b", "/api/ws/reports/r1")
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "miss then hit", steps: []step{
			{key: a, body: "one", ttl: time.Minute, want: "one", outcome: OutcomeMiss, fetched: true},
			{key: a, body: "two", ttl: time.Minute, want: "one", outcome: OutcomeHit},
		}},
		{name: "credentials never share", steps: []step{
			{key: a, body: "for a", ttl: time.Minute, want: "for a", outcome: OutcomeMiss, fetched: true},
			{key: b, body: "for b", ttl: time.Minute, want: "for b", outcome: OutcomeMiss, fetched: true},
			{key: a, body: "x", ttl: time.Minute, want: "for a", outcome: OutcomeHit},
			{key: b, body: "x", ttl: time.Minute, want: "for b", outcome: OutcomeHit},
		}},
		{name: "query is part of the key", steps: []step{
			{key: a, body: "p1", ttl: time.Minute, want: "p1", outcome: OutcomeMiss, fetched: true},
			{key: Key{Credential: "cred-a", Method: "GET", Path: a.Path, Query: "page=2"}, body: "p2", ttl: time.Minute, want: "p2", outcome: OutcomeMiss, fetched: true},
		}},
		{name: "ttl zero is not stored", steps: []step{
			{key: a, body: "running", want: "running", outcome: OutcomeMiss, fetched: true},
			{key: a, body: "done", ttl: time.Hour, want: "done", outcome: OutcomeMiss, fetched: true},
			{key: a, body: "x", want: "done", outcome: OutcomeHit},
		}},
		{name: "bypass fetches and refreshes", steps: []step{
			{key: a, body: "old", ttl: time.Minute, want: "old", outcome: OutcomeMiss, fetched: true},
			{key: a, bypass: true, body: "new", ttl: time.Minute, want: "new", outcome: OutcomeBypass, fetched: true},
			{key: a, body: "x", ttl: time.Minute, want: "new", outcome: OutcomeHit},
		}},
		{name: "bypass with ttl zero removes the entry", steps: []step{
			{key: a, body: "old", ttl: time.Minute, want: "old", outcome: OutcomeMiss, fetched: true},
			{key: a, bypass: true, body: "moving", want: "moving", outcome: OutcomeBypass, fetched: true},
			{key: a, body: "fresh", ttl: time.Minute, want: "fresh", outcome: OutcomeMiss, fetched: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, Options{})
			for i, s := range tt.steps {
				var calls atomic.Int64
				body, outcome, err := c.Get(t.Context(), s.key, s.bypass, constant(&calls, s.body, s.ttl))
				if err != nil {
					t.Fatalf("step %d: Get: %v", i, err)
				}
				if string(body) != s.want || outcome != s.outcome || (calls.Load() == 1) != s.fetched {
					t.Fatalf("step %d: got %q %v fetched=%v, want %q %v fetched=%v",
						i, body, outcome, calls.Load() == 1, s.want, s.outcome, s.fetched)
				}
				checkInvariants(t, c, c.maxBytes, DefaultMaxEntries)
			}
		})
	}
}

func TestStatsCountOutcomes(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	var calls atomic.Int64
	k := key("c", "/p")
	fetch := constant(&calls, "b", time.Minute)
	c.Get(t.Context(), k, false, fetch)
	c.Get(t.Context(), k, false, fetch)
	c.Get(t.Context(), k, true, fetch)
	c.Lookup(k)
	c.Lookup(key("c", "/other"))
	got := c.Stats()
	want := Stats{Hits: 2, Misses: 2, Bypasses: 1, Bytes: got.Bytes, Entries: 1}
	if got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	if got.Bytes < int64(entryOverhead+len("cGET/pb")) {
		t.Errorf("Bytes = %d does not account for overhead and key", got.Bytes)
	}
}

// TestLookupHitCountsOnlyHits: LookupHit answers a stored entry with its
// value and counts the hit; a miss is left for the Get after it to count,
// and an expired entry is no hit.
func TestLookupHitCountsOnlyHits(t *testing.T) {
	c, clk := newTestCache(t, Options{})
	var calls atomic.Int64
	k := key("c", "/p")
	if _, ok := c.LookupHit(k); ok {
		t.Fatal("LookupHit of an empty cache: a hit")
	}
	c.GetEntry(t.Context(), k, false, func(context.Context) (Fetched, error) {
		calls.Add(1)
		return Fetched{Body: []byte("b"), Value: "decoded", TTL: time.Minute}, nil
	})
	e, ok := c.LookupHit(k)
	if !ok || string(e.Body) != "b" || e.Value != "decoded" {
		t.Errorf("LookupHit = %+v, %v; want body b and its value", e, ok)
	}
	clk.Advance(2 * time.Minute)
	if _, ok := c.LookupHit(k); ok {
		t.Error("LookupHit of an expired entry: a hit")
	}
	if got := c.Stats(); got.Hits != 1 || got.Misses != 1 || calls.Load() != 1 {
		t.Errorf("Stats = %+v after one fetch and one hit (%d fetches), want 1 hit, 1 miss", got, calls.Load())
	}
}

func TestExpiry(t *testing.T) {
	c, clk := newTestCache(t, Options{})
	k := key("c", "/api/ws/reports/r")
	c.Store(k, []byte("body"), 10*time.Second, []string{"/api/ws/reports/r", "list:ws:reports"})
	clk.Advance(9 * time.Second)
	if _, ok := c.Lookup(k); !ok {
		t.Fatal("entry gone before its TTL")
	}
	clk.Advance(time.Second)
	if _, ok := c.Lookup(k); ok {
		t.Fatal("entry served after its TTL")
	}
	s := c.Stats()
	if s.Expired != 1 || s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("after expiry Stats = %+v", s)
	}
	if len(c.tags) != 0 {
		t.Errorf("tag index leaked %d tags", len(c.tags))
	}
	// An expired entry at the cold end is dropped (as expired) when storing.
	c.Store(key("c", "/a"), []byte("a"), time.Second, nil)
	clk.Advance(2 * time.Second)
	c.Store(key("c", "/b"), []byte("b"), time.Second, nil)
	if s := c.Stats(); s.Expired != 2 || s.Entries != 1 || s.Evictions != 0 {
		t.Errorf("after store past expiry Stats = %+v", s)
	}
	checkInvariants(t, c, c.maxBytes, DefaultMaxEntries)
}

func TestInvalidate(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	tagged := []Key{key("a", "/api/ws/reports/r"), key("b", "/api/ws/reports/r"), key("a", "/api/ws/spaces/s/reports")}
	c.Store(tagged[0], []byte("1"), time.Hour, []string{"/api/ws/reports/r"})
	c.Store(tagged[1], []byte("2"), time.Hour, []string{"/api/ws/reports/r", "list:ws:reports"})
	c.Store(tagged[2], []byte("3"), time.Hour, []string{"list:ws:reports", "list:ws:reports"})
	other := key("a", "/api/ws/spaces/s")
	c.Store(other, []byte("4"), time.Hour, []string{"/api/ws/spaces/s"})

	c.Invalidate("/api/ws/reports/r", "list:ws:reports")
	for _, k := range tagged {
		if _, ok := c.Lookup(k); ok {
			t.Errorf("%v survived Invalidate", k)
		}
	}
	if _, ok := c.Lookup(other); !ok {
		t.Error("untagged entry dropped")
	}
	if s := c.Stats(); s.Invalidations != 3 || s.Entries != 1 {
		t.Errorf("Stats = %+v", s)
	}
	if len(c.tags) != 1 || len(c.tagGen) != 0 {
		t.Errorf("tag index %v, tagGen %v", c.tags, c.tagGen)
	}
	c.Invalidate() // no tags: nothing happens
	checkInvariants(t, c, c.maxBytes, DefaultMaxEntries)
}

func TestInvalidateInFlight(t *testing.T) {
	const tag = "/api/ws/reports/r"
	tests := []struct {
		name       string
		invalidate string
		wantStored bool
	}{
		{name: "tag carried by the result", invalidate: tag, wantStored: false},
		{name: "unrelated tag", invalidate: "/api/ws/reports/other", wantStored: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, Options{})
			k := key("a", tag)
			release := make(chan struct{})
			var calls atomic.Int64
			type result struct {
				body    []byte
				outcome Outcome
				err     error
			}
			first := make(chan result, 1)
			go func() {
				b, o, err := c.Get(context.Background(), k, false, gated(&calls, release, true, "before", time.Hour, tag))
				first <- result{b, o, err}
			}()
			eventually(t, "fetch started", func() bool { return calls.Load() == 1 })

			c.Invalidate(tt.invalidate)
			// A caller arriving after the invalidation must not join the
			// earlier fetch: it gets its own.
			second := make(chan result, 1)
			go func() {
				b, o, err := c.Get(context.Background(), k, false, gated(&calls, release, true, "after", time.Hour, tag))
				second <- result{b, o, err}
			}()
			eventually(t, "second fetch started", func() bool { return calls.Load() == 2 })
			// Finish the earlier fetch first: it must not overwrite or be
			// stored when stale.
			close(release)
			r1, r2 := <-first, <-second
			if r1.err != nil || string(r1.body) != "before" || r1.outcome != OutcomeMiss {
				t.Fatalf("first Get = %q %v %v", r1.body, r1.outcome, r1.err)
			}
			if r2.err != nil || string(r2.body) != "after" || r2.outcome != OutcomeMiss {
				t.Fatalf("second Get = %q %v %v", r2.body, r2.outcome, r2.err)
			}
			got, ok := c.Lookup(k)
			if !ok || string(got) != "after" {
				t.Errorf("stored %q %v, want the post-invalidation result", got, ok)
			}
			stale := c.Stats().Stale
			if want := map[bool]uint64{true: 0, false: 1}[tt.wantStored]; stale != want {
				t.Errorf("Stale = %d, want %d", stale, want)
			}
			c.mu.Lock()
			left := len(c.tagGen) + len(c.running) + len(c.flights)
			c.mu.Unlock()
			if left != 0 {
				t.Errorf("bookkeeping left after all fetches finished: %d", left)
			}
		})
	}
}

func TestInvalidateInFlightOnlyCaller(t *testing.T) {
	// The plain race: one fetch in flight, invalidated, must not store.
	c, _ := newTestCache(t, Options{})
	k := key("a", "/api/ws/reports/r")
	release := make(chan struct{})
	var calls atomic.Int64
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), k, false, gated(&calls, release, true, "stale", time.Hour, "/api/ws/reports/r"))
		done <- err
	}()
	eventually(t, "fetch started", func() bool { return calls.Load() == 1 })
	c.Invalidate("/api/ws/reports/r")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(k); ok {
		t.Fatal("result fetched before the invalidation was stored")
	}
}

func TestOlderFetchDoesNotOverwriteNewer(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("a", "/p")
	release := make(chan struct{})
	var calls atomic.Int64
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), k, false, gated(&calls, release, true, "old", time.Hour))
		done <- err
	}()
	eventually(t, "fetch started", func() bool { return calls.Load() == 1 })
	c.Invalidate("unrelated") // so the bypass below does not join the old fetch
	body, o, err := c.Get(t.Context(), k, true, constant(&calls, "new", time.Hour))
	if err != nil || string(body) != "new" || o != OutcomeBypass {
		t.Fatalf("bypass Get = %q %v %v", body, o, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Lookup(k); string(got) != "new" {
		t.Errorf("stored %q, want the newer result", got)
	}
}

func TestBypassJoinsInFlight(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("a", "/p")
	release := make(chan struct{})
	var calls atomic.Int64
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), k, false, gated(&calls, release, true, "body", time.Hour))
		done <- err
	}()
	eventually(t, "fetch started", func() bool { return calls.Load() == 1 })
	type result struct {
		body []byte
		o    Outcome
		err  error
	}
	bypassed := make(chan result, 1)
	go func() {
		b, o, err := c.Get(context.Background(), k, true, constant(&calls, "other", time.Hour))
		bypassed <- result{b, o, err}
	}()
	eventually(t, "bypass joined", func() bool { _, n := flightOf(c, k); return n == 1 })
	close(release)
	r := <-bypassed
	if r.err != nil || string(r.body) != "body" || r.o != OutcomeCoalesced || calls.Load() != 1 {
		t.Fatalf("bypass Get = %q %v %v calls %d", r.body, r.o, r.err, calls.Load())
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestByteBoundRandom(t *testing.T) {
	const (
		maxBytes   = 64 << 10
		maxEntries = 200
	)
	c, clk := newTestCache(t, Options{MaxBytes: maxBytes, MaxEntries: maxEntries, MaxEntryBytes: 16 << 10})
	rng := rand.New(rand.NewPCG(1, 2))
	tagPool := []string{"t0", "t1", "t2", "t3", "t4", "t5", "list:ws:reports", "list:ws:spaces"}
	randKey := func() Key {
		return Key{Credential: "cred" + strconv.Itoa(rng.IntN(3)), Method: "GET", Path: "/api/ws/x/" + strconv.Itoa(rng.IntN(300))}
	}
	for op := 0; op < 5000; op++ {
		switch r := rng.IntN(10); {
		case r < 6:
			var tags []string
			for range rng.IntN(4) {
				tags = append(tags, tagPool[rng.IntN(len(tagPool))])
			}
			body := make([]byte, rng.IntN(20<<10), 20<<10+rng.IntN(100)) // some with spare capacity
			c.Store(randKey(), body, time.Duration(rng.IntN(6))*time.Second, tags)
		case r < 8:
			c.Lookup(randKey())
		case r < 9:
			c.Invalidate(tagPool[rng.IntN(len(tagPool))])
		default:
			clk.Advance(time.Duration(rng.IntN(1000)) * time.Millisecond)
		}
		checkInvariants(t, c, maxBytes, maxEntries)
	}
	s := c.Stats()
	if s.Evictions == 0 || s.Expired == 0 || s.Invalidations == 0 || s.Rejected == 0 {
		t.Errorf("random run did not exercise every path: %+v", s)
	}
	c.Invalidate(tagPool...)
	clk.Advance(time.Hour)
	c.mu.Lock()
	for _, k := range c.lru.Keys() {
		c.lru.Get(k) // an expired entry is dropped on access
		c.removeLocked(k, reasonExpired)
	}
	c.mu.Unlock()
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 || len(c.tags) != 0 {
		t.Errorf("after expiring everything: %+v, %d tags indexed", s, len(c.tags))
	}
}

func TestEntryBound(t *testing.T) {
	c, _ := newTestCache(t, Options{MaxEntries: 3})
	keys := []Key{key("c", "/1"), key("c", "/2"), key("c", "/3"), key("c", "/4"), key("c", "/5")}
	for _, k := range keys[:3] {
		c.Store(k, []byte(k.Path), time.Hour, []string{"all"})
	}
	c.Lookup(keys[0]) // now /2 is the least recently used
	c.Store(keys[3], []byte("4"), time.Hour, []string{"all"})
	c.Store(keys[4], []byte("5"), time.Hour, []string{"all"})
	for i, want := range []bool{true, false, false, true, true} {
		if _, ok := c.Lookup(keys[i]); ok != want {
			t.Errorf("%v present = %v, want %v", keys[i], ok, want)
		}
	}
	if s := c.Stats(); s.Entries != 3 || s.Evictions != 2 {
		t.Errorf("Stats = %+v", s)
	}
	if n := tagged(c, "all"); n != 3 {
		t.Errorf("tag index holds %d entries, want 3", n)
	}
	checkInvariants(t, c, c.maxBytes, 3)
}

func TestOversizeNotStored(t *testing.T) {
	c, _ := newTestCache(t, Options{MaxBytes: 10000, MaxEntryBytes: 1000})
	k := key("c", "/big")
	var calls atomic.Int64
	big := string(make([]byte, 2000))
	for i, want := range []Outcome{OutcomeMiss, OutcomeMiss} {
		body, o, err := c.Get(t.Context(), k, false, constant(&calls, big, time.Hour))
		if err != nil || len(body) != 2000 || o != want {
			t.Fatalf("Get %d = %d bytes %v %v", i, len(body), o, err)
		}
	}
	if s := c.Stats(); s.Rejected != 2 || s.Entries != 0 || calls.Load() != 2 {
		t.Errorf("Stats = %+v, calls %d", s, calls.Load())
	}
}

func TestCoalesceConcurrentColdGets(t *testing.T) {
	const n = 100
	c, _ := newTestCache(t, Options{})
	k := key("a", "/api/ws/reports/r")
	release := make(chan struct{})
	var calls atomic.Int64
	fetch := gated(&calls, release, true, "shared body", time.Minute)
	var wg sync.WaitGroup
	outcomes := make([]Outcome, n)
	bodies := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { bodies[i], outcomes[i], errs[i] = c.Get(context.Background(), k, false, fetch) })
	}
	eventually(t, "all callers waiting", func() bool { _, w := flightOf(c, k); return w == n-1 })
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("fetch called %d times", calls.Load())
	}
	count := map[Outcome]int{}
	for i := range n {
		if errs[i] != nil || string(bodies[i]) != "shared body" {
			t.Fatalf("caller %d: %q %v", i, bodies[i], errs[i])
		}
		count[outcomes[i]]++
	}
	if count[OutcomeMiss] != 1 || count[OutcomeCoalesced] != n-1 {
		t.Errorf("outcomes %v", count)
	}
	if s := c.Stats(); s.Misses != 1 || s.Coalesced != n-1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestTTLZeroStillCoalesced(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("a", "/api/ws/reports/r/runs/x")
	release := make(chan struct{})
	var calls atomic.Int64
	fetch := gated(&calls, release, true, "running", 0)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if b, _, err := c.Get(context.Background(), k, false, fetch); err != nil || string(b) != "running" {
				t.Errorf("Get = %q %v", b, err)
			}
		})
	}
	eventually(t, "callers waiting", func() bool { _, w := flightOf(c, k); return w == 2 })
	close(release)
	wg.Wait()
	if calls.Load() != 1 || c.Stats().Entries != 0 {
		t.Errorf("calls %d, stats %+v", calls.Load(), c.Stats())
	}
}

func TestWaiterCancelDoesNotFailOthers(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("a", "/p")
	release := make(chan struct{})
	var fetchCtxErr atomic.Value
	var calls atomic.Int64
	fetch := func(ctx context.Context) (Fetched, error) {
		calls.Add(1)
		<-release
		fetchCtxErr.Store(fmt.Sprint(ctx.Err()))
		return Fetched{Body: []byte("ok"), TTL: time.Minute}, nil
	}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	waiterCtx, cancelWaiter := context.WithCancel(context.Background())
	type result struct {
		body []byte
		o    Outcome
		err  error
	}
	results := make([]chan result, 3)
	for i, ctx := range []context.Context{leaderCtx, waiterCtx, context.Background()} {
		results[i] = make(chan result, 1)
		go func() {
			b, o, err := c.Get(ctx, k, false, fetch)
			results[i] <- result{b, o, err}
		}()
		eventually(t, "caller joined", func() bool { _, w := flightOf(c, k); return calls.Load() == 1 && w == i })
	}
	cancelLeader()
	cancelWaiter()
	for i, want := range []Outcome{OutcomeMiss, OutcomeCoalesced} {
		r := <-results[i]
		if !errors.Is(r.err, context.Canceled) || r.body != nil || r.o != want {
			t.Errorf("cancelled caller %d = %q %v %v", i, r.body, r.o, r.err)
		}
	}
	close(release)
	r := <-results[2]
	if r.err != nil || string(r.body) != "ok" || r.o != OutcomeCoalesced {
		t.Errorf("patient caller = %q %v %v", r.body, r.o, r.err)
	}
	if got := fetchCtxErr.Load(); got != "<nil>" {
		t.Errorf("fetch ctx err = %v, want nil: it must be detached", got)
	}
	if b, ok := c.Lookup(k); !ok || string(b) != "ok" {
		t.Errorf("result not stored: %q %v", b, ok)
	}
}

func TestCancelledBeforeFetchSpendsNothing(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	_, _, err := c.Get(ctx, key("a", "/p"), false, constant(&calls, "x", time.Minute))
	if !errors.Is(err, context.Canceled) || calls.Load() != 0 {
		t.Errorf("err %v, calls %d", err, calls.Load())
	}
}

func TestFetchFailures(t *testing.T) {
	errUpstream := errors.New("upstream 503")
	tests := []struct {
		name  string
		fetch func(context.Context) (Fetched, error)
		check func(error) bool
	}{
		{name: "error", fetch: func(context.Context) (Fetched, error) { return Fetched{}, errUpstream },
			check: func(err error) bool { return errors.Is(err, errUpstream) }},
		{name: "panic", fetch: func(context.Context) (Fetched, error) { panic("boom") },
			check: func(err error) bool {
				var p *PanicError
				return errors.As(err, &p) && p.Value == "boom" && len(p.Stack) > 0
			}},
		{name: "panic with error", fetch: func(context.Context) (Fetched, error) { panic(errUpstream) },
			check: func(err error) bool { return errors.Is(err, errUpstream) }},
		{name: "goexit", fetch: func(context.Context) (Fetched, error) { runtime.Goexit(); return Fetched{}, nil },
			check: func(err error) bool { return errors.Is(err, errFetchGoexit) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, Options{})
			k := key("a", "/p")
			release := make(chan struct{})
			var calls atomic.Int64
			fetch := func(ctx context.Context) (Fetched, error) {
				calls.Add(1)
				<-release
				return tt.fetch(ctx)
			}
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					if b, _, err := c.Get(context.Background(), k, false, fetch); !tt.check(err) || b != nil {
						t.Errorf("Get = %q %v", b, err)
					}
				})
			}
			eventually(t, "callers waiting", func() bool { _, w := flightOf(c, k); return w == 2 })
			close(release)
			wg.Wait()
			// Not cached, not wedged: the next Get fetches again.
			var again atomic.Int64
			b, o, err := c.Get(t.Context(), k, false, constant(&again, "fine", time.Minute))
			if err != nil || string(b) != "fine" || o != OutcomeMiss || calls.Load() != 1 {
				t.Errorf("Get after failure = %q %v %v (calls %d)", b, o, err, calls.Load())
			}
			if s := c.Stats(); s.FetchErrors != 1 {
				t.Errorf("FetchErrors = %d", s.FetchErrors)
			}
		})
	}
}

func TestOverdueFetchIsNotJoined(t *testing.T) {
	c, clk := newTestCache(t, Options{FetchTimeout: time.Minute})
	k := key("a", "/p")
	release := make(chan struct{})
	var calls atomic.Int64
	done := make(chan error, 1)
	go func() {
		// Ignores its context: the worst case.
		_, _, err := c.Get(context.Background(), k, false, gated(&calls, release, false, "late", time.Minute))
		done <- err
	}()
	eventually(t, "fetch started", func() bool { return calls.Load() == 1 })
	clk.Advance(time.Minute)
	b, o, err := c.Get(t.Context(), k, false, constant(&calls, "fresh", time.Minute))
	if err != nil || string(b) != "fresh" || o != OutcomeMiss {
		t.Errorf("Get past an overdue fetch = %q %v %v", b, o, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestClose(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("a", "/p")
	c.Store(key("a", "/stored"), []byte("x"), time.Hour, []string{"t"})
	var calls atomic.Int64
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), k, false, gated(&calls, make(chan struct{}), true, "never", time.Hour))
		done <- err
	}()
	eventually(t, "fetch started", func() bool { return calls.Load() == 1 })
	c.Close()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("in-flight Get after Close: %v, want the cancelled fetch's error", err)
	}
	if _, _, err := c.Get(t.Context(), k, false, constant(&calls, "x", time.Hour)); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, ok := c.Lookup(k); ok {
		t.Error("Lookup hit after Close")
	}
	c.Store(k, []byte("x"), time.Hour, []string{"t"})
	c.Invalidate("t")
	c.Close()
	if s := c.Stats(); s.Bytes != 0 || s.Entries != 0 || s.Evictions != 0 {
		t.Errorf("Stats after Close = %+v", s)
	}
	if calls.Load() != 1 {
		t.Errorf("fetch called %d times", calls.Load())
	}
}

func TestNilFetch(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	if _, _, err := c.Get(t.Context(), key("a", "/p"), false, nil); err == nil {
		t.Error("nil fetch accepted")
	}
}

func TestTagGenPruned(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("a", "/p")
	release := make(chan struct{})
	var calls atomic.Int64
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), k, false, gated(&calls, release, true, "x", time.Hour))
		done <- err
	}()
	eventually(t, "fetch started", func() bool { return calls.Load() == 1 })
	for i := range 500 {
		c.Invalidate("tag" + strconv.Itoa(i))
	}
	c.mu.Lock()
	n := len(c.tagGen)
	c.mu.Unlock()
	if n != 500 {
		t.Errorf("tagGen holds %d invalidations while a fetch runs, want 500", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := range 500 { // no fetch running: nothing recorded
		c.Invalidate("tag" + strconv.Itoa(i))
	}
	c.mu.Lock()
	n = len(c.tagGen)
	c.mu.Unlock()
	if n != 0 {
		t.Errorf("tagGen holds %d entries with no fetch running", n)
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{OutcomeMiss: "miss", OutcomeHit: "hit", OutcomeCoalesced: "coalesced", OutcomeBypass: "bypass", 9: "Outcome(9)"} {
		if o.String() != want {
			t.Errorf("%d.String() = %q", int(o), o.String())
		}
	}
}

func TestKeyEncodingIsInjective(t *testing.T) {
	keys := []Key{
		{},
		{Credential: "a", Method: "GET", Path: "/x", Query: "q=1"},
		{Credential: "aG", Method: "ET", Path: "/x", Query: "q=1"},
		{Credential: "a", Method: "GET", Path: "/xq=1"},
		{Credential: "a", Method: "GET", Path: "/x\x00", Query: "q=1"},
		{Credential: "a\x01", Method: "GET", Path: "/x", Query: "q=1"},
		{Path: string(make([]byte, 300))},
		{Path: string(make([]byte, 299)), Query: "\x00"},
	}
	seen := map[string]Key{}
	for _, k := range keys {
		enc := string(k.AppendEncoded(nil))
		if prev, dup := seen[enc]; dup {
			t.Errorf("%+v and %+v encode alike", prev, k)
		}
		seen[enc] = k
	}
}

func TestTagNodes(t *testing.T) {
	nodes, bytes := newTagNodes("k", []string{"a", "bb", "a", "c"})
	var got []string
	for _, n := range nodes {
		got = append(got, n.tag)
	}
	if fmt.Sprint(got) != "[a bb c]" || bytes != 3*tagOverhead+4 {
		t.Errorf("newTagNodes = %q, %d", got, bytes)
	}
	if nodes, bytes := newTagNodes("k", nil); nodes != nil || bytes != 0 {
		t.Errorf("newTagNodes(nil) = %v, %d", nodes, bytes)
	}
}

// TestStoreSince: a body derived from a fetch is stored unless a tag it carries was invalidated
// after the fetch began (while it ran), or the cache was purged since.
func TestStoreSince(t *testing.T) {
	const tag = "/api/ws/reports/r"
	tests := []struct {
		name       string
		invalidate string // during the fetch; "" for none
		purge      bool
		wantStored bool
	}{
		{name: "nothing changed", wantStored: true},
		{name: "a tag it carries", invalidate: tag, wantStored: false},
		{name: "an unrelated tag", invalidate: "/api/ws/reports/other", wantStored: true},
		{name: "purged", purge: true, wantStored: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, Options{})
			derived := key("a", tag+"?view=basic")
			since := c.Tick()
			release := make(chan struct{})
			var calls atomic.Int64
			done := make(chan error, 1)
			go func() {
				_, _, err := c.Get(context.Background(), key("a", "/batch/ws/reports"), false, gated(&calls, release, true, "page", time.Hour, "batch:ws"))
				done <- err
			}()
			eventually(t, "fetch started", func() bool { return calls.Load() == 1 })
			if tt.invalidate != "" {
				c.Invalidate(tt.invalidate)
			}
			if tt.purge {
				c.PurgeLocal()
			}
			c.StoreSince(derived, []byte("basic"), time.Hour, []string{tag}, since) // as the page's decode does
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Lookup(derived); ok != tt.wantStored {
				t.Errorf("stored = %v, want %v", ok, tt.wantStored)
			}
		})
	}
}
