package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeShared is a Shared level in memory: it answers from its own map or calls fetch, and
// records what it was asked.
type fakeShared struct {
	mu          sync.Mutex
	stored      map[Key]Fetched
	fetches     []Key
	bypasses    []bool
	invalidated [][]string
	onInval     func() // runs inside Invalidate
}

func (s *fakeShared) Fetch(ctx context.Context, k Key, bypass bool, fetch func(context.Context) (Fetched, error)) (Fetched, error) {
	s.mu.Lock()
	s.fetches = append(s.fetches, k)
	s.bypasses = append(s.bypasses, bypass)
	res, ok := s.stored[k]
	s.mu.Unlock()
	if ok && !bypass {
		return res, nil
	}
	return fetch(ctx)
}

func (s *fakeShared) Invalidate(tags []string) {
	if s.onInval != nil {
		s.onInval()
	}
	s.mu.Lock()
	s.invalidated = append(s.invalidated, tags)
	s.mu.Unlock()
}

func TestSharedFetchPath(t *testing.T) {
	tests := []struct {
		name        string
		storedThere bool // the shared level holds the key
		localFirst  bool // a local entry exists before the Get
		bypass      bool
		wantAsked   bool // the shared level is consulted
		wantBody    string
		wantCalls   int64 // upstream fetches
	}{
		{name: "local hit never reaches it", localFirst: true, wantBody: "local"},
		{name: "local miss answered by it", storedThere: true, wantAsked: true, wantBody: "shared"},
		{name: "local miss, shared miss", wantAsked: true, wantBody: "upstream", wantCalls: 1},
		{name: "bypass passes through", storedThere: true, localFirst: true, bypass: true, wantAsked: true, wantBody: "upstream", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, Options{})
			k := key("cred", "/api/r")
			sh := &fakeShared{stored: map[Key]Fetched{}}
			if tt.storedThere {
				sh.stored[k] = Fetched{Body: []byte("shared"), TTL: time.Minute, Tags: []string{"t"}}
			}
			if tt.localFirst {
				c.Store(k, []byte("local"), time.Minute, []string{"t"})
			}
			c.SetShared(sh)
			var calls atomic.Int64
			body, _, err := c.Get(context.Background(), k, tt.bypass, constant(&calls, "upstream", time.Minute, "t"))
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != tt.wantBody || calls.Load() != tt.wantCalls {
				t.Errorf("Get = %q with %d upstream calls, want %q with %d", body, calls.Load(), tt.wantBody, tt.wantCalls)
			}
			if asked := len(sh.fetches) > 0; asked != tt.wantAsked {
				t.Errorf("shared level asked = %v, want %v", asked, tt.wantAsked)
			}
			if tt.wantAsked && sh.bypasses[0] != tt.bypass {
				t.Errorf("shared level got bypass %v, want %v", sh.bypasses[0], tt.bypass)
			}
			// Whatever answered is now stored locally, tagged.
			if got, ok := c.Lookup(k); !ok || string(got) != tt.wantBody {
				t.Errorf("local entry after Get = %q, %v; want %q", got, ok, tt.wantBody)
			}
			if tagged(c, "t") != 1 {
				t.Error("local entry lost its tag")
			}
		})
	}
}

func TestSharedInvalidateOrder(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("cred", "/api/r")
	c.Store(k, []byte("old"), time.Minute, []string{"t"})
	sh := &fakeShared{}
	var presentDuringShared bool
	sh.onInval = func() { _, presentDuringShared = c.Lookup(k) }
	c.SetShared(sh)

	c.Invalidate("t")
	if !presentDuringShared {
		t.Error("the local entry was dropped before the shared level was invalidated")
	}
	if _, ok := c.Lookup(k); ok {
		t.Error("the local entry survived Invalidate")
	}
	if len(sh.invalidated) != 1 || len(sh.invalidated[0]) != 1 || sh.invalidated[0][0] != "t" {
		t.Errorf("shared level invalidated %v, want [[t]]", sh.invalidated)
	}

	// InvalidateLocal (another replica's invalidation arriving) does not echo it back.
	c.Store(k, []byte("new"), time.Minute, []string{"t"})
	c.InvalidateLocal("t")
	if _, ok := c.Lookup(k); ok || len(sh.invalidated) != 1 {
		t.Errorf("InvalidateLocal: entry present %v, shared invalidations %d; want gone and still 1", ok, len(sh.invalidated))
	}
}

func TestSharedRemoved(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	sh := &fakeShared{}
	c.SetShared(sh)
	c.SetShared(nil)
	var calls atomic.Int64
	if _, _, err := c.Get(context.Background(), key("cred", "/api/r"), false, constant(&calls, "x", time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.Invalidate("t")
	if len(sh.fetches) != 0 || len(sh.invalidated) != 0 || calls.Load() != 1 {
		t.Errorf("removed shared level still used: %d fetches, %d invalidations", len(sh.fetches), len(sh.invalidated))
	}
}

func TestSharedPanicPassesThrough(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	c.SetShared(&fakeShared{})
	_, _, err := c.Get(context.Background(), key("cred", "/api/r"), false, func(context.Context) (Fetched, error) {
		panic("boom")
	})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" {
		t.Errorf("Get = %v, want the fetch's panic as *PanicError", err)
	}
}

// TestPurgeLocal: a purge (a Shared level that lost its connection to the other caches) drops
// every entry, of every credential, and a fetch in flight across it neither stores its result
// nor is joined by callers arriving after it.
func TestPurgeLocal(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	var calls atomic.Int64
	ctx := context.Background()
	for _, k := range []Key{key("a", "/api/r1"), key("b", "/api/r2")} {
		c.Store(k, []byte("old"), time.Hour, []string{k.Path})
	}
	k := key("a", "/api/r3")
	release := make(chan struct{})
	first := make(chan []byte, 1)
	go func() {
		b, _, _ := c.Get(ctx, k, false, gated(&calls, release, false, "before", time.Hour, "/api/r3"))
		first <- b
	}()
	eventually(t, "fetch started", func() bool { return calls.Load() == 1 })

	c.PurgeLocal()
	for _, k := range []Key{key("a", "/api/r1"), key("b", "/api/r2")} {
		if _, ok := c.Lookup(k); ok {
			t.Errorf("%v survived the purge", k)
		}
	}
	release2 := make(chan struct{})
	second := make(chan []byte, 1)
	go func() {
		b, _, _ := c.Get(ctx, k, false, gated(&calls, release2, false, "after", time.Hour, "/api/r3"))
		second <- b
	}()
	eventually(t, "a fetch of its own for the caller after the purge", func() bool { return calls.Load() == 2 })
	close(release)
	if b := <-first; string(b) != "before" {
		t.Errorf("first answer %q, want before", b)
	}
	if got, ok := c.Lookup(k); ok {
		t.Errorf("the fetch begun before the purge stored %q", got)
	}
	close(release2)
	if b := <-second; string(b) != "after" {
		t.Errorf("second answer %q, want after", b)
	}
	if got, ok := c.Lookup(k); !ok || string(got) != "after" {
		t.Errorf("stored %q %v, want the fetch begun after the purge", got, ok)
	}
	if s := c.Stats(); s.Entries != 1 || s.Invalidations != 2 {
		t.Errorf("stats %+v: want 1 entry, the 2 purged counted as invalidations", s)
	}
}
