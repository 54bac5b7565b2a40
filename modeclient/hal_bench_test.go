package modeclient

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// HAL decode benchmarks: what a cache hit costs after the lookup. The bodies
// are the emulator's, so they have Mode's shape (links, nulls, numbers sent
// as strings).
//
//	go test -run '^$' -bench 'Decode|CacheHit' -benchmem ./modeclient/

// halBodies fetches a report and a page of 100 reports from an emulator.
func halBodies(b testing.TB) (report, page []byte, client *Client, demo modetest.Demo) {
	b.Helper()
	mode := modetest.NewServer(b, modetest.WithRateLimit(0, 0), modetest.WithExtraReports(200))
	demo = mode.Demo()
	get := func(path string) []byte {
		req, err := http.NewRequest(http.MethodGet, mode.URL+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.SetBasicAuth(mode.Token, mode.Secret)
		resp, err := mode.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return body
	}
	report = get("/api/" + demo.Workspace + "/reports/" + demo.Reports[0])
	page = get("/api/" + demo.Workspace + "/spaces/" + demo.Spaces[0] + "/reports?page=1&per_page=100")
	ch, err := cache.New(cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ch.Close)
	client, err = New(mode.URL, Credential{Token: mode.Token, Secret: mode.Secret}, WithCache(ch), WithHTTPClient(mode.Client()))
	if err != nil {
		b.Fatal(err)
	}
	return report, page, client, demo
}

// BenchmarkDecodeReport decodes one report (GET /api/{ws}/reports/{r}).
func BenchmarkDecodeReport(b *testing.B) {
	body, _, _, _ := halBodies(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var r Report
		if err := json.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeReportPage decodes a list page of 100 reports as listPage
// does: the HAL envelope, then the embedded array.
func BenchmarkDecodeReportPage(b *testing.B) {
	_, body, _, _ := halBodies(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var env halList
		if err := json.Unmarshal(body, &env); err != nil {
			b.Fatal(err)
		}
		var items []Report
		if err := json.Unmarshal(env.Embedded.items("reports"), &items); err != nil {
			b.Fatal(err)
		}
		if len(items) != 100 {
			b.Fatalf("%d reports", len(items))
		}
	}
}

// BenchmarkGetReportCacheHit is Client.GetReport answered from the cache:
// key, lookup, decode.
func BenchmarkGetReportCacheHit(b *testing.B) {
	_, _, c, demo := halBodies(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.GetReport(ctx, demo.Workspace, demo.Reports[0]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetReport(ctx, demo.Workspace, demo.Reports[0]); err != nil {
			b.Fatal(err)
		}
	}
}
