package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// A client wraps each upstream GET in Cache.Get: the first call fetches,
// the next is a hit, and a write invalidates by tag.
func ExampleCache_Get() {
	c, err := cache.New(cache.Options{MaxEntries: 1000, MaxBytes: 16 << 20})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	key := cache.Key{Credential: "fingerprint-of-credential", Method: "GET", Path: "/api/parch_and_posey/reports/abc123"}
	fetch := func(ctx context.Context) (cache.Fetched, error) {
		// Here the client calls Mode with ctx (detached from the caller,
		// bounded by Options.FetchTimeout).
		return cache.Fetched{
			Body: []byte(`{"token":"abc123"}`),
			TTL:  30 * time.Second,
			Tags: []string{"/api/parch_and_posey/reports/abc123", "list:parch_and_posey:reports"},
		}, nil
	}
	ctx := context.Background()
	for range 2 {
		body, outcome, err := c.Get(ctx, key, false, fetch)
		fmt.Println(string(body), outcome, err)
	}

	// The report was updated: its entry goes, for every credential.
	c.Invalidate("/api/parch_and_posey/reports/abc123")
	_, outcome, _ := c.Get(ctx, key, false, fetch)
	fmt.Println(outcome)

	s := c.Stats()
	fmt.Println(s.Hits, s.Misses, s.Invalidations)
	// Output:
	// {"token":"abc123"} miss <nil>
	// {"token":"abc123"} hit <nil>
	// miss
	// 1 2 1
}
