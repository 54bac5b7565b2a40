package cache

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// decoded stands for a body's decoded form.
type decoded struct{ n int }

func TestGetEntryServesTheFetchedValue(t *testing.T) {
	c, _ := newTestCache(t, Options{})
	k := key("cred", "/r")
	var calls atomic.Int64
	release := make(chan struct{})
	val := &decoded{n: 7}
	fetch := func(context.Context) (Fetched, error) {
		calls.Add(1)
		<-release
		return Fetched{Body: []byte(`{"n":7}`), Value: val, ValueSize: 100, TTL: time.Minute}, nil
	}
	// Three callers: the one that fetches and two coalesced on it.
	var wg sync.WaitGroup
	got := make([]Entry, 3)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, _, err := c.GetEntry(context.Background(), k, false, fetch)
			if err != nil {
				t.Errorf("GetEntry: %v", err)
			}
			got[i] = e
		}()
	}
	eventually(t, "callers coalesced", func() bool { _, w := flightOf(c, k); return w == 2 })
	close(release)
	wg.Wait()
	hit, o, err := c.GetEntry(context.Background(), k, false, fetch)
	if err != nil || o != OutcomeHit {
		t.Fatalf("GetEntry after the fetch = %v, %v; want a hit", o, err)
	}
	for i, e := range append(got, hit) {
		if e.Value != val || string(e.Body) != `{"n":7}` {
			t.Errorf("caller %d got %+v; want the fetched body and value", i, e)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
	body, _, _ := c.Get(context.Background(), k, false, fetch)
	if string(body) != `{"n":7}` {
		t.Errorf("Get = %q", body)
	}
	// The value's size is accounted with the entry.
	if s := c.Stats(); s.Bytes != int64(entryOverhead+len(c.storedKeyLocked(k))+len(`{"n":7}`))+100 {
		t.Errorf("Bytes = %d, want the entry with its 100-byte value", s.Bytes)
	}
	checkInvariants(t, c, DefaultMaxBytes, DefaultMaxEntries)
}

func TestAttach(t *testing.T) {
	const ttl = time.Minute
	tests := []struct {
		name string
		// setup stores the entry and returns the body to attach to.
		setup     func(c *Cache, clk *fakeClock, k Key) []byte
		size      int64
		wantValue bool
	}{
		{
			name: "the stored body",
			setup: func(c *Cache, _ *fakeClock, k Key) []byte {
				c.Store(k, []byte("body"), ttl, []string{"t"})
				b, _ := c.Lookup(k)
				return b
			},
			size: 40, wantValue: true,
		},
		{
			name: "an equal body that is not the stored one",
			setup: func(c *Cache, _ *fakeClock, k Key) []byte {
				c.Store(k, []byte("body"), ttl, nil)
				return []byte("body")
			},
			size: 40,
		},
		{
			name: "a body replaced since",
			setup: func(c *Cache, _ *fakeClock, k Key) []byte {
				c.Store(k, []byte("old"), ttl, nil)
				b, _ := c.Lookup(k)
				c.Store(k, []byte("new"), ttl, nil)
				return b
			},
			size: 40,
		},
		{
			name: "an expired entry",
			setup: func(c *Cache, clk *fakeClock, k Key) []byte {
				c.Store(k, []byte("body"), ttl, nil)
				b, _ := c.Lookup(k)
				clk.Advance(2 * ttl)
				return b
			},
			size: 40,
		},
		{
			name: "an invalidated entry",
			setup: func(c *Cache, _ *fakeClock, k Key) []byte {
				c.Store(k, []byte("body"), ttl, []string{"t"})
				b, _ := c.Lookup(k)
				c.Invalidate("t")
				return b
			},
			size: 40,
		},
		{
			name: "a size that would overflow the accounting",
			setup: func(c *Cache, _ *fakeClock, k Key) []byte {
				c.Store(k, []byte("body"), ttl, nil)
				b, _ := c.Lookup(k)
				return b
			},
			size: math.MaxInt64,
		},
		{
			name: "a value that would outgrow MaxEntryBytes",
			setup: func(c *Cache, _ *fakeClock, k Key) []byte {
				c.Store(k, []byte("body"), ttl, nil)
				b, _ := c.Lookup(k)
				return b
			},
			size: 1 << 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk := newTestCache(t, Options{MaxBytes: 1 << 20, MaxEntryBytes: 4096})
			k := key("cred", "/r")
			body := tt.setup(c, clk, k)
			before := c.Stats().Bytes
			c.Attach(k, body, &decoded{n: 1}, tt.size)
			e, o, err := c.GetEntry(context.Background(), k, false, func(context.Context) (Fetched, error) {
				return Fetched{Body: []byte("fetched")}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Value != nil; got != tt.wantValue {
				t.Fatalf("after Attach, GetEntry = %+v (%v); want a value: %v", e, o, tt.wantValue)
			}
			if tt.wantValue {
				if after := c.Stats().Bytes; after != before+tt.size {
					t.Errorf("Bytes = %d, want %d + %d", after, before, tt.size)
				}
				// A second Attach keeps the first value.
				c.Attach(k, e.Body, &decoded{n: 2}, tt.size)
				if e2, _, _ := c.GetEntry(context.Background(), k, false, nil2); e2.Value.(*decoded).n != 1 {
					t.Errorf("a second Attach replaced the value")
				}
			}
			checkInvariants(t, c, 1<<20, DefaultMaxEntries)
		})
	}
}

// nil2 is a fetch that must not run.
func nil2(context.Context) (Fetched, error) { panic("fetch called on a hit") }

func TestAttachMakesRoom(t *testing.T) {
	// Fill the cache to its byte bound, then attach a value to the least
	// recently used entry: older entries go, the bound holds, the entry stays.
	const maxBytes = 8 << 10
	c, _ := newTestCache(t, Options{MaxBytes: maxBytes, MaxEntryBytes: 4 << 10})
	body := make([]byte, 600)
	var keys []Key
	for i := 0; c.Stats().Bytes+int64(entryOverhead+len(body)+32) <= maxBytes; i++ {
		k := key("cred", "/r/"+string(rune('a'+i)))
		c.Store(k, body, time.Minute, []string{"all"})
		keys = append(keys, k)
	}
	first := keys[0]
	b, ok := c.Lookup(first)
	if !ok {
		t.Fatal("first entry evicted while filling")
	}
	c.Attach(first, b, &decoded{}, 2000)
	if e, _, _ := c.GetEntry(context.Background(), first, false, nil2); e.Value == nil {
		t.Fatal("value not attached")
	}
	if s := c.Stats(); s.Evictions == 0 {
		t.Errorf("no eviction making room for the value: %+v", s)
	}
	checkInvariants(t, c, maxBytes, DefaultMaxEntries)
}

func TestFetchedValueSizeBounded(t *testing.T) {
	// A value whose size would outgrow MaxEntryBytes (or overflow the
	// accounting) is not stored; its callers still get it.
	c, _ := newTestCache(t, Options{MaxBytes: 1 << 20, MaxEntryBytes: 4096})
	for _, size := range []int64{8192, math.MaxInt64} {
		k := key("cred", "/r/"+fmt.Sprint(size))
		e, _, err := c.GetEntry(context.Background(), k, false, func(context.Context) (Fetched, error) {
			return Fetched{Body: []byte("body"), Value: &decoded{}, ValueSize: size, TTL: time.Minute}, nil
		})
		if err != nil || e.Value == nil {
			t.Fatalf("size %d: GetEntry = %+v, %v; want the fetched value", size, e, err)
		}
		if _, ok := c.Lookup(k); ok {
			t.Errorf("size %d: stored, want rejected", size)
		}
	}
	if s := c.Stats(); s.Rejected != 2 || s.Bytes != 0 {
		t.Errorf("stats = %+v, want 2 rejected and nothing stored", s)
	}
	checkInvariants(t, c, 1<<20, DefaultMaxEntries)
}
