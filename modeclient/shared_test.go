package modeclient

import (
	"context"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// cacheEntry returns what c's cache holds for GET path (without fetching).
func cacheEntry(t *testing.T, c *Client, path, query string) cache.Entry {
	t.Helper()
	e, o, err := c.cache.GetEntry(context.Background(), cache.Key{Credential: c.fingerprint, Method: "GET", Path: path, Query: query},
		false, func(context.Context) (cache.Fetched, error) { return cache.Fetched{}, nil })
	if err != nil || o != cache.OutcomeHit {
		t.Fatalf("cache entry of %s: %v, %v; want a hit", path, o, err)
	}
	return e
}

func TestCacheKeepsDecodedValues(t *testing.T) {
	ctx := context.Background()
	ch := newCache(t)
	f, h := cachedFixture(t, ch, "succeeded")
	first, err := f.client.GetReport(ctx, "acme", "r1")
	must(t, err)
	// The entry holds the decoded report beside the body, and every hit
	// returns that very value: nothing is decoded or copied again.
	e := cacheEntry(t, f.client, "/api/acme/reports/r1", "")
	if v, ok := e.Value.(*Report); !ok || v.Token != "r1" || v.SpaceToken != "s1" {
		t.Fatalf("cached value = %#v, want the decoded report", e.Value)
	}
	second, err := f.client.GetReport(ctx, "acme", "r1")
	must(t, err)
	if second != first || second != e.Value {
		t.Errorf("second GetReport = %p, first %p, cached %p: want the one shared value", second, first, e.Value)
	}
	if n := h.get("GET /api/acme/reports/r1"); n != 1 {
		t.Errorf("upstream GETs = %d, want 1", n)
	}
	// Pages keep their decoded items too.
	page, err := f.client.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil)
	must(t, err)
	again, err := f.client.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil)
	must(t, err)
	if again != page || len(again.Items) != 1 || again.Items[0].Token != "r1" {
		t.Errorf("second page = %+v, want the cached page", again)
	}
}

func TestSharedValueCheck(t *testing.T) {
	// A caller that modifies a value the cache shares fails the check on the
	// next hit; one that only reads does not.
	ctx := context.Background()
	tests := []struct {
		name   string
		read   func(c *Client) (any, error)
		modify func(v any) // nil: read only
	}{
		{"report read only", func(c *Client) (any, error) { return c.GetReport(ctx, "acme", "r1") }, nil},
		{"report field", func(c *Client) (any, error) { return c.GetReport(ctx, "acme", "r1") },
			func(v any) { v.(*Report).Name = "changed" }},
		{"run link", func(c *Client) (any, error) { return c.GetReportRun(ctx, "acme", "r1", "run1") },
			func(v any) { v.(*ReportRun).Links["self"] = Link{Href: "/elsewhere"} }},
		{"page item", func(c *Client) (any, error) { return c.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil) },
			func(v any) { v.(*Page[Report]).Items[0].Token = "changed" }},
		{"page items sorted or cut", func(c *Client) (any, error) { return c.ListQueryRunsPage(ctx, "acme", "r1", "run1", 1, nil) },
			func(v any) { p := v.(*Page[QueryRun]); p.Items = p.Items[1:] }},
		{"page item swapped", func(c *Client) (any, error) { return c.ListQueryRunsPage(ctx, "acme", "r1", "run1", 1, nil) },
			func(v any) { p := v.(*Page[QueryRun]); p.Items[0], p.Items[1] = p.Items[1], p.Items[0] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var failures []error
			f, _ := cachedFixture(t, newCache(t), "succeeded")
			f.client.sharedCheck = func(err error) { failures = append(failures, err) }
			v, err := tt.read(f.client)
			must(t, err)
			if tt.modify != nil {
				tt.modify(v)
			}
			_, err = tt.read(f.client) // a hit: checked
			must(t, err)
			switch {
			case tt.modify != nil && len(failures) == 0:
				t.Error("the modified shared value was not reported")
			case tt.modify == nil && len(failures) != 0:
				t.Errorf("a read-only caller was reported: %v", failures)
			}
		})
	}
}

func TestBodyStoredWithoutValueIsDecodedOnceAndAttached(t *testing.T) {
	// A body that reaches the cache without its decoded form (Store, or a
	// second level) is decoded by the first hit and kept decoded.
	ctx := context.Background()
	ch := newCache(t)
	f, h := cachedFixture(t, ch, "succeeded")
	k := cache.Key{Credential: f.client.fingerprint, Method: "GET", Path: "/api/acme/reports/r9"}
	ch.Store(k, []byte(`{"token":"r9","name":"Stored","account_username":"acme"}`), time.Minute, nil)
	if e := cacheEntry(t, f.client, k.Path, ""); e.Value != nil {
		t.Fatalf("stored entry already has a value %#v", e.Value)
	}
	r, err := f.client.GetReport(ctx, "acme", "r9")
	must(t, err)
	if r.Name != "Stored" {
		t.Fatalf("GetReport = %+v, want the stored body", r)
	}
	if v, ok := cacheEntry(t, f.client, k.Path, "").Value.(*Report); !ok || v.Name != "Stored" {
		t.Errorf("value not attached after the first hit: %#v", v)
	}
	if n := h.get("GET /api/acme/reports/r9"); n != 0 {
		t.Errorf("upstream GETs = %d, want 0", n)
	}
}

func TestUndecodableBodyIsNotCached(t *testing.T) {
	// A body that does not decode into the resource fails every coalesced
	// caller and is not stored: the next call asks Mode again.
	ctx := context.Background()
	ch := newCache(t)
	f := newFixture(t, WithCache(ch))
	var n counter
	f.mux.HandleFunc("/api/acme/reports/r1", func(w http.ResponseWriter, _ *http.Request) {
		n.inc()
		writeJSON(w, 200, `{"token":["not","a","string"]}`)
	})
	for range 2 {
		var de *DecodeError
		if _, err := f.client.GetReport(ctx, "acme", "r1"); !errorsAs(err, &de) {
			t.Fatalf("GetReport error = %v, want a DecodeError", err)
		}
	}
	if got := n.get(); got != 2 {
		t.Errorf("upstream GETs = %d, want 2 (nothing cached)", got)
	}
}

func TestDecodedSizeBound(t *testing.T) {
	// decodedSize accounts the JSON length for the decoded form kept in the
	// cache: check that it bounds the live heap of decoded emulator bodies.
	report, page, _, _ := halBodies(t)
	tests := []struct {
		name   string
		body   []byte
		decode func([]byte) (any, error)
	}{
		{"report", report, func(b []byte) (any, error) { return decodeJSON[Report](&call{}, b) }},
		{"page of 100 reports", page, func(b []byte) (any, error) {
			return decodePage[Report](&Client{}, &call{}, b, 1, "reports")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			copies := max(20, (4<<20)/len(tt.body)) // about 4 MB of JSON: enough to measure, quick under -race
			keep := make([]any, copies)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range keep {
				v, err := tt.decode(tt.body)
				if err != nil {
					t.Fatal(err)
				}
				keep[i] = v
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			perValue := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(copies)
			runtime.KeepAlive(keep)
			if perValue > decodedSize(tt.body) {
				t.Errorf("a decoded %s keeps %d B alive; decodedSize accounts %d B", tt.name, perValue, decodedSize(tt.body))
			}
			t.Logf("%s: %d B of JSON, %d B decoded", tt.name, len(tt.body), perValue)
		})
	}
}

// TestFormFieldDefault reads a form field's default in the shapes Mode may send it.
func TestFormFieldDefault(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		has  bool
		text string
	}{
		{``, false, ""},
		{`null`, false, ""},
		{` null `, false, ""},
		{`""`, true, ""},
		{`"West"`, true, "West"},
		{`1000`, true, "1000"},
	} {
		f := FormField{Default: []byte(tt.raw)}
		if f.HasDefault() != tt.has || f.DefaultString() != tt.text {
			t.Errorf("default %q: HasDefault %v, DefaultString %q; want %v, %q", tt.raw, f.HasDefault(), f.DefaultString(), tt.has, tt.text)
		}
	}
}
