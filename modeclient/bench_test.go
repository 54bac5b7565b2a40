package modeclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// BenchmarkRowsMillion streams 1,000,000 generated rows through
// QueryResultRows and reports the peak heap seen while doing it: memory
// stays bounded by one row, not by the result.
func BenchmarkRowsMillion(b *testing.B) {
	const n = 1_000_000
	mux := http.NewServeMux()
	mux.HandleFunc(resultBase+"content.json", rowsHandler(n))
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	c, err := New(srv.URL, testCred, WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rr, err := c.QueryResultRows(context.Background(), "acme", "r1", "run1", "qr1")
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for _, err := range rr.All() {
			if err != nil {
				b.Fatal(err)
			}
			count++
			if count%100_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
		rr.Close()
		if count != n {
			b.Fatalf("%d rows", count)
		}
	}
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MiB")
	b.ReportMetric(n, "rows/op")
}
