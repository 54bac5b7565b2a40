package sharedcache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/sharedcache"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

// BenchmarkFetchHit is a local miss answered from Redis (one script round trip on loopback): what
// a replica pays, instead of a request to Mode, for an entry another replica fetched.
func BenchmarkFetchHit(b *testing.B) {
	rs := redistest.Start(b)
	l2, err := sharedcache.New(sharedcache.Options{URL: rs.URL, Namespace: "bench", Credentials: credentials})
	if err != nil {
		b.Fatal(err)
	}
	defer l2.Close()
	body := make([]byte, 2048) // a typical report's JSON
	fetch := func(context.Context) (cache.Fetched, error) {
		return cache.Fetched{Body: body, TTL: time.Hour, Tags: []string{"/api/ws/reports/r1", "space:ws/s1"}}, nil
	}
	k := key("alice", "/api/ws/reports/r1")
	if _, err := l2.Fetch(context.Background(), k, false, fetch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l2.Fetch(context.Background(), k, false, func(context.Context) (cache.Fetched, error) {
			return cache.Fetched{}, fmt.Errorf("fetched: want a hit")
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLimiterWait is one request through the shared rate limit (one script round trip).
func BenchmarkLimiterWait(b *testing.B) {
	rs := redistest.Start(b)
	l2, err := sharedcache.New(sharedcache.Options{URL: rs.URL, Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer l2.Close()
	lim, err := l2.NewLimiter(1e9, 1<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := lim.Wait(context.Background(), "ws"); err != nil {
			b.Fatal(err)
		}
	}
}
