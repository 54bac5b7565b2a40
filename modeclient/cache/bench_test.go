package cache

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"
)

const benchWorkspace = "/api/parch_and_posey/reports/"

func benchKey(i int) Key {
	return Key{Credential: "3f1c2a9be07d4c55", Method: "GET", Path: benchWorkspace + strconv.FormatInt(int64(i), 16)}
}

func benchCache(b *testing.B, o Options) *Cache {
	b.Helper()
	c, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// BenchmarkGetHit is the service's hot path: a Get answered from the cache.
func BenchmarkGetHit(b *testing.B) {
	c := benchCache(b, Options{})
	k := benchKey(1)
	c.Store(k, make([]byte, 2048), time.Hour, []string{k.Path})
	fetch := func(context.Context) (Fetched, error) { b.Fatal("fetch on hit"); return Fetched{}, nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, o, err := c.Get(ctx, k, false, fetch); o != OutcomeHit || err != nil {
			b.Fatal(o, err)
		}
	}
}

// BenchmarkGetHitParallel is the hot path under contention, over 1024 keys.
func BenchmarkGetHitParallel(b *testing.B) {
	c := benchCache(b, Options{})
	keys := make([]Key, 1024)
	for i := range keys {
		keys[i] = benchKey(i)
		c.Store(keys[i], make([]byte, 2048), time.Hour, []string{keys[i].Path})
	}
	fetch := func(context.Context) (Fetched, error) { return Fetched{}, nil }
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(keys))
		for pb.Next() {
			i = (i + 1) & (len(keys) - 1)
			if _, o, err := c.Get(ctx, keys[i], false, fetch); o != OutcomeHit || err != nil {
				b.Error(o, err)
				return
			}
		}
	})
}

// BenchmarkGetMissStore is a cold Get: flight set-up, detached fetch
// goroutine, store (the fetch itself is free here; upstream is not).
func BenchmarkGetMissStore(b *testing.B) {
	c := benchCache(b, Options{MaxEntries: 4096})
	keys := make([]Key, b.N)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	body := make([]byte, 2048)
	fetch := func(context.Context) (Fetched, error) {
		return Fetched{Body: body, TTL: time.Minute, Tags: []string{"/api/parch_and_posey/reports/r", "list:parch_and_posey:reports"}}, nil
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, o, err := c.Get(ctx, keys[i], false, fetch); o != OutcomeMiss || err != nil {
			b.Fatal(o, err)
		}
	}
}

// BenchmarkStore is a direct Store of distinct keys into a full cache, so
// every store also evicts.
func BenchmarkStore(b *testing.B) {
	c := benchCache(b, Options{MaxEntries: 1024})
	keys := make([]Key, b.N)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	body := make([]byte, 2048)
	tags := []string{"list:parch_and_posey:reports"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Store(keys[i], body, time.Minute, tags)
	}
}

// filled is a cache loaded with distinct keys and the heap it took.
type filled struct {
	c         *Cache
	present   []Key // a random sample of keys still stored
	heapLive  uint64
	heapInuse uint64
}

// fill stores n distinct keys of bodySize bytes (two tags each) into a cache
// bounded by maxBytes, and measures the live heap that costs.
func fill(b *testing.B, n int, maxBytes int64, bodySize int) *filled {
	b.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := New(Options{MaxEntries: n, MaxBytes: maxBytes, MaxEntryBytes: maxBytes})
	if err != nil {
		b.Fatal(err)
	}
	const list = "list:parch_and_posey:reports"
	for i := range n {
		k := benchKey(i)
		c.Store(k, make([]byte, bodySize), time.Hour, []string{k.Path, list})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	f := &filled{c: c, heapLive: after.HeapAlloc - before.HeapAlloc, heapInuse: after.HeapInuse - before.HeapInuse}
	entries := int(c.Stats().Entries)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1 << 14 {
		f.present = append(f.present, benchKey(n-1-rng.IntN(entries))) // the newest entries survive
	}
	return f
}

func (f *filled) report(b *testing.B, maxBytes int64) {
	s := f.c.Stats()
	b.ReportMetric(float64(s.Entries), "entries")
	b.ReportMetric(float64(f.heapInuse)/(1<<20), "heap-inuse-MB")
	b.ReportMetric(float64(f.heapLive)/(1<<20), "heap-live-MB")
	b.ReportMetric(float64(s.Bytes)/(1<<20), "accounted-MB")
	b.ReportMetric(float64(maxBytes)/(1<<20), "cap-MB")
	b.ReportMetric(float64(f.heapInuse)/float64(maxBytes), "inuse/cap")
	b.ReportMetric(float64(f.heapLive)/float64(s.Entries), "live-B/entry")
}

func (f *filled) hits(b *testing.B) {
	ctx := context.Background()
	fetch := func(context.Context) (Fetched, error) { return Fetched{}, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, o, err := f.c.Get(ctx, f.present[i&(len(f.present)-1)], false, fetch); o != OutcomeHit || err != nil {
			b.Fatal(o, err)
		}
	}
}

// BenchmarkScale loads 1,000,000 distinct keys (512-byte bodies) into a
// 256 MB cache: the byte bound, not the entry bound, decides what stays, and
// the heap the cache really holds must stay under the cap. Then it measures
// hits with 1e3 and 1e6 resident entries (the latter with room for all).
func BenchmarkScale(b *testing.B) {
	const mb = 1 << 20
	var capped *filled // filled once for run1 and runN
	b.Run("keys=1e6/cap=256MB", func(b *testing.B) {
		if capped == nil {
			capped = fill(b, 1_000_000, 256*mb, 512)
		}
		capped.hits(b)
		capped.report(b, 256*mb) // after hits: ResetTimer drops reported metrics
	})
	if capped != nil {
		capped.c.Close()
	}
	for _, tc := range []struct {
		name string
		n    int
	}{{"hit/entries=1e3", 1_000}, {"hit/entries=1e6", 1_000_000}} {
		var f *filled // filled once for run1 and runN
		b.Run(tc.name, func(b *testing.B) {
			if f == nil {
				f = fill(b, tc.n, 2048*mb, 64)
			}
			f.hits(b)
			f.report(b, 2048*mb)
		})
		if f != nil {
			f.c.Close()
		}
	}
}
