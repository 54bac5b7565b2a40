package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Scenario 5 runs in this process, on package cache alone: the server adds
// nothing to a lookup's memory or latency (scenario 1 measures the rest).

const (
	scaleBodyBytes = 512 // bodies of the fill (as cache's BenchmarkScale)
	hitBodyBytes   = 64  // bodies of the hit-latency caches, so that a million entries fit
	hitBatch       = 64  // lookups timed together (one is shorter than the clock's resolution)
	scaleTag       = "list:parch_and_posey:reports"
)

func scaleKey(i int) cache.Key {
	return cache.Key{Credential: "3f1c2a9be07d4c55", Method: "GET", Path: "/api/parch_and_posey/reports/" + strconv.FormatInt(int64(i), 16)}
}

// liveHeap is the heap still reachable after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func (h *harness) scenarioCache(ctx context.Context) ([]*result, []string, error) {
	cfg := h.cfg
	capBytes := int64(cfg.cacheMB) << 20
	var rows []*result

	// The fill: -keys distinct keys into a cache bounded by bytes only.
	base := liveHeap()
	c, err := cache.New(cache.Options{MaxEntries: cfg.keys, MaxBytes: capBytes, MaxEntryBytes: capBytes})
	if err != nil {
		return nil, nil, err
	}
	s, err := startSampler("", "")
	if err != nil {
		return nil, nil, err
	}
	b := block{lat: make([]time.Duration, 0, cfg.keys/100+1)}
	checkEvery := max(cfg.keys/10, 1)
	var maxLive uint64
	var maxAccounted int64
	start := time.Now()
	batchStart := start
	for i := range cfg.keys {
		k := scaleKey(i)
		c.Store(k, make([]byte, scaleBodyBytes), time.Hour, []string{k.Path, scaleTag})
		if (i+1)%100 == 0 {
			now := time.Now()
			d := now.Sub(batchStart) / 100
			for range 100 {
				b.lat = append(b.lat, d)
			}
			batchStart = now
		}
		if (i+1)%1000 == 0 {
			maxAccounted = max(maxAccounted, c.Stats().Bytes)
		}
		if (i+1)%checkEvery == 0 || i == cfg.keys-1 {
			// A full collection: what the cache holds, garbage excluded.
			pause := time.Now()
			if live := liveHeap(); live > base {
				maxLive = max(maxLive, live-base)
			}
			batchStart = batchStart.Add(time.Since(pause))
			start = start.Add(time.Since(pause))
		}
	}
	b.elapsed = time.Since(start)
	for len(b.lat) < cfg.keys { // the last partial batch
		b.lat = append(b.lat, b.lat[len(b.lat)-1])
	}
	st, err := s.finish()
	if err != nil {
		return nil, nil, err
	}
	b.stats = &st
	entries := c.Stats().Entries
	c.Close()
	fill := newResult(5, fmt.Sprintf("cache fill: %d distinct keys (%d-B bodies), %d MB cap", cfg.keys, scaleBodyBytes, cfg.cacheMB), "target", "-", 1, b)
	fill.CPUusPerRequest = nil
	fill.PeakHeapInuse = maxLive
	over := float64(maxLive) / float64(capBytes)
	fill.Ratios["live_heap_over_cap"] = over
	fill.Ratios["accounted_over_cap"] = float64(maxAccounted) / float64(capBytes)
	fill.Extra["entries_resident"] = float64(entries)
	fill.Extra["peak_heap_inuse_bytes"] = float64(st.PeakHeap)
	fill.VsBaseline = fmt.Sprintf("live heap %.2f× cap, accounted %.2f× cap; %d entries resident", over, fill.Ratios["accounted_over_cap"], entries)
	fill.judge("memory ≤ cap + 10%", maxLive <= uint64(float64(capBytes)*1.10) && maxAccounted <= capBytes)
	rows = append(rows, fill)
	runtime.GC()

	// Hit latency against the number of resident entries.
	var sizes []int
	for n := 1000; n < cfg.keys; n *= 10 {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, cfg.keys)
	lookups := max(min(cfg.keys, 1_000_000), 100_000)
	var first *result
	for _, n := range sizes {
		if err := ctx.Err(); err != nil {
			return rows, nil, err
		}
		r, err := hitLatency(ctx, n, lookups, false)
		if err != nil {
			return rows, nil, err
		}
		if first == nil {
			r.Role = "baseline"
			first = r
		} else {
			p50 := r.P50ms / first.P50ms
			r.Ratios["p50"], r.Ratios["p99"], r.Ratios["throughput"] = p50, r.P99ms/first.P99ms, r.RPS/first.RPS
			r.VsBaseline = fmt.Sprintf("%.2f× p50, %.2f× p99 of %d entries", p50, r.Ratios["p99"], sizes[0])
			if n == sizes[len(sizes)-1] {
				r.judge("flat: p50 ≤ 1.5× the 1,000-entry p50", p50 <= 1.5)
			}
		}
		rows = append(rows, r)
		runtime.GC()
	}
	if z, err := hitLatency(ctx, sizes[len(sizes)-1], lookups, true); err != nil {
		return rows, nil, err
	} else {
		z.Ratios["p50"], z.Ratios["p99"] = z.P50ms/first.P50ms, z.P99ms/first.P99ms
		z.VsBaseline = fmt.Sprintf("%.2f× p50, %.2f× p99 of %d entries", z.Ratios["p50"], z.Ratios["p99"], sizes[0])
		rows = append(rows, z)
	}
	notes := []string{
		fmt.Sprintf("scenario 5 runs in this process on package cache alone (no server). The fill stores -keys distinct keys with %d-byte bodies and two tags into a cache bounded at %d MB (the server's default): 'live heap' is the heap reachable after a full GC, taken 10 times during the fill, above the heap before it; 'accounted' is the cache's own byte count, checked every 1,000 stores; in the fill row srv peak heap is that live-heap peak and srv peak RSS this process's; the HeapInuse peak (garbage not yet collected included, governed by GOGC/GOMEMLIMIT) was %.0f MB", scaleBodyBytes, cfg.cacheMB, float64(st.PeakHeap)/(1<<20)),
		fmt.Sprintf("scenario 5 hit rows: one goroutine, %d lookups per row in a cache of the row's size (%d-byte bodies, inserted in random order, no byte cap binding): uniform rows walk every key in turn (the cache's memory in random order), the Zipf row draws keys with a hot head; timed %d at a time, so the percentiles are those of %d-lookup averages; allocs/req is this process's", lookups, hitBodyBytes, hitBatch, hitBatch),
	}
	return rows, notes, nil
}

// hitLatency fills a cache with n entries, inserted in random order, and
// times lookups. Uniform lookups walk the keys in index order: the keys
// themselves are read sequentially (in the server a key is built from the
// request, in hot memory) while the cache's map slots and list elements are
// visited in random order, as real lookups visit them. Zipf lookups (s = 1.1)
// pick keys at random with a hot head, as real traffic does.
func hitLatency(ctx context.Context, n, lookups int, zipf bool) (*result, error) {
	c, err := cache.New(cache.Options{MaxEntries: n, MaxBytes: 64 << 30, MaxEntryBytes: 1 << 20})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	keys := make([]cache.Key, n)
	for i := range keys {
		keys[i] = scaleKey(i)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	for _, i := range rng.Perm(n) {
		c.Store(keys[i], make([]byte, hitBodyBytes), time.Hour, []string{keys[i].Path, scaleTag})
	}
	if got := c.Stats().Entries; got != int64(n) {
		return nil, fmt.Errorf("cache holds %d entries, want %d", got, n)
	}
	next := func(j int) int { return j % n }
	if zipf {
		z := rand.NewZipf(rand.New(rand.NewPCG(2, uint64(n))), 1.1, 1, uint64(n-1))
		order := make([]int32, 1<<16)
		for i := range order {
			order[i] = int32(z.Uint64())
		}
		next = func(j int) int { return int(order[j&(len(order)-1)]) }
	}
	fetch := func(context.Context) (cache.Fetched, error) { return cache.Fetched{}, fmt.Errorf("miss") }
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b := block{lat: make([]time.Duration, 0, lookups)}
	start := time.Now()
	for i := 0; i < lookups; i += hitBatch {
		t0 := time.Now()
		for j := i; j < i+hitBatch; j++ {
			if _, o, err := c.Get(ctx, keys[next(j)], false, fetch); err != nil || o != cache.OutcomeHit {
				return nil, fmt.Errorf("lookup %d: outcome %v, %v", j, o, err)
			}
		}
		d := time.Since(t0) / hitBatch
		for range hitBatch {
			b.lat = append(b.lat, d)
		}
	}
	b.elapsed = time.Since(start)
	runtime.ReadMemStats(&after)
	b.stats = &blockStats{Mallocs: after.Mallocs - before.Mallocs}
	name := fmt.Sprintf("cache hit, %d entries", n)
	if zipf {
		name += ", Zipf(1.1) keys"
	}
	r := newResult(5, name, "target", "-", 1, b)
	r.CPUusPerRequest = nil
	r.PeakRSS, r.PeakHeapInuse = 0, 0
	return r, nil
}
