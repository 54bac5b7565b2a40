package main

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// call makes request i of a block.
type call func(ctx context.Context, i int) error

// block is the outcome of n calls at concurrency c (or several such blocks
// added up).
type block struct {
	lat      []time.Duration // one per call, failed ones included
	errs     int
	firstErr error
	elapsed  time.Duration // wall time of the whole block
	stats    *blockStats   // the server's figures, when measured
}

// drive makes n calls with c workers, each taking the next request index
// as soon as its previous call returned.
func drive(ctx context.Context, n, c int, fn call) block {
	b := block{lat: make([]time.Duration, n)}
	var next atomic.Int64
	var errs errorTally
	var wg sync.WaitGroup
	start := time.Now()
	for range min(c, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := fn(ctx, i)
				b.lat[i] = time.Since(t0)
				errs.record(err)
			}
		})
	}
	wg.Wait()
	b.elapsed = time.Since(start)
	b.errs, b.firstErr = errs.result()
	if err := ctx.Err(); err != nil && b.firstErr == nil {
		b.firstErr = err
	}
	return b
}

// burst starts n calls at once (each in its own goroutine, released
// together) and waits for all of them.
func burst(ctx context.Context, n int, fn call) block {
	b := block{lat: make([]time.Duration, n)}
	var errs errorTally
	var wg, ready sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(n)
	var start time.Time
	for i := range n {
		wg.Go(func() {
			ready.Done()
			<-gate
			t0 := time.Now()
			err := fn(ctx, i)
			b.lat[i] = time.Since(t0)
			errs.record(err)
		})
	}
	ready.Wait()
	start = time.Now()
	close(gate)
	wg.Wait()
	b.elapsed = time.Since(start)
	b.errs, b.firstErr = errs.result()
	return b
}

// errorTally counts the failed calls of a block and keeps the first error.
type errorTally struct {
	mu    sync.Mutex
	n     int
	first error
}

func (e *errorTally) record(err error) {
	if err == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if e.first == nil {
		e.first = err
	}
}

func (e *errorTally) result() (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n, e.first
}

// merge adds blocks measured separately (rounds) into one: latencies
// pooled, wall times and server figures summed (peaks: the highest).
func merge(blocks ...block) block {
	var out block
	for _, b := range blocks {
		out.lat = append(out.lat, b.lat...)
		out.errs += b.errs
		if out.firstErr == nil {
			out.firstErr = b.firstErr
		}
		out.elapsed += b.elapsed
		if b.stats != nil {
			if out.stats == nil {
				out.stats = &blockStats{RSSSource: b.stats.RSSSource}
			}
			out.stats.Mallocs += b.stats.Mallocs
			out.stats.CPUSeconds += b.stats.CPUSeconds
			out.stats.PeakHeap = max(out.stats.PeakHeap, b.stats.PeakHeap)
			out.stats.PeakRSS = max(out.stats.PeakRSS, b.stats.PeakRSS)
			out.stats.ServerMs = append(out.stats.ServerMs, b.stats.ServerMs...)
			out.stats.OwnMs = append(out.stats.OwnMs, b.stats.OwnMs...)
		}
	}
	return out
}

// rps is calls per second of wall time.
func (b block) rps() float64 {
	if b.elapsed <= 0 {
		return 0
	}
	return float64(len(b.lat)) / b.elapsed.Seconds()
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// percentile returns the q-quantile (0 < q <= 1) of the latencies, nearest
// rank.
func (b block) percentile(q float64) time.Duration {
	if len(b.lat) == 0 {
		return 0
	}
	s := slices.Clone(b.lat)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
