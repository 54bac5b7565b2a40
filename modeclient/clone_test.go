package modeclient

import (
	"context"
	"net/http"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// nested covers the kinds cloneValue handles beyond the client's types.
type nested struct {
	Ptr    *Report
	Any    any
	Arr    [2]map[string]int
	Nums   []int
	Plain  [3]int
	When   time.Time
	hidden []int // unexported: shared, cannot be reached from outside
}

func TestCloneValueIsDeep(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	report := func() *Report {
		return &Report{Token: "r1", Name: "Sales", CreatedAt: Time{when},
			Links: Links{"self": {Href: "/api/acme/reports/r1"}, "web": {Href: "https://mode/r1"}}}
	}
	tests := []struct {
		name   string
		make   func() any                // builds the original, twice: one to clone, one to compare
		clone  func(any) any             // cloneValue at the value's type
		mutate func(t *testing.T, c any) // changes everything reachable in the clone
	}{
		{
			name:  "report links",
			make:  func() any { return report() },
			clone: func(v any) any { return cloneValue(v.(*Report)) },
			mutate: func(_ *testing.T, c any) {
				r := c.(*Report)
				r.Name = "changed"
				r.Links["self"] = Link{Href: "/elsewhere"}
				r.Links["extra"] = Link{Href: "/x"}
			},
		},
		{
			name: "page items and their links",
			make: func() any {
				return &Page[Report]{Items: []Report{*report(), *report()}, Page: 1, NextPage: 2}
			},
			clone: func(v any) any { return cloneValue(v.(*Page[Report])) },
			mutate: func(_ *testing.T, c any) {
				p := c.(*Page[Report])
				p.Items[0].Token = "changed"
				p.Items[1].Links["web"] = Link{Href: "/elsewhere"}
				p.Items = append(p.Items[:1], Report{})
			},
		},
		{
			name: "run parameters, a map of any",
			make: func() any {
				return &ReportRun{Token: "run1", Parameters: Parameters{"region": []any{"east", "west"}, "n": 3.0}}
			},
			clone: func(v any) any { return cloneValue(v.(*ReportRun)) },
			mutate: func(_ *testing.T, c any) {
				r := c.(*ReportRun)
				r.Parameters["region"].([]any)[0] = "north"
				r.Parameters["n"] = 4.0
			},
		},
		{
			name: "pointers, interfaces, arrays of maps",
			make: func() any {
				return &nested{Ptr: report(), Any: map[string]int{"a": 1}, Arr: [2]map[string]int{{"b": 2}, nil},
					Nums: []int{1, 2}, Plain: [3]int{1, 2, 3}, When: when, hidden: []int{9}}
			},
			clone: func(v any) any { return cloneValue(v.(*nested)) },
			mutate: func(t *testing.T, c any) {
				n := c.(*nested)
				if n.Arr[1] != nil || n.hidden[0] != 9 || !n.When.Equal(when) {
					t.Errorf("clone lost a value: %+v", n)
				}
				n.Ptr.Links["self"] = Link{}
				n.Any.(map[string]int)["a"] = 100
				n.Arr[0]["b"] = 200
				n.Nums[0] = 300
				n.Plain[0] = 400
			},
		},
		{
			name:   "nil maps and slices stay nil",
			make:   func() any { return &Page[Report]{} },
			clone:  func(v any) any { return cloneValue(v.(*Page[Report])) },
			mutate: func(*testing.T, any) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig, want := tt.make(), tt.make()
			c := tt.clone(orig)
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("clone = %+v, want %+v", c, want)
			}
			tt.mutate(t, c)
			if !reflect.DeepEqual(orig, want) {
				t.Errorf("changing the clone changed the original: %+v, want %+v", orig, want)
			}
		})
	}
}

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
	// The entry holds the decoded report beside the body.
	e := cacheEntry(t, f.client, "/api/acme/reports/r1", "")
	if v, ok := e.Value.(*Report); !ok || v.Token != "r1" || v.SpaceToken != "s1" {
		t.Fatalf("cached value = %#v, want the decoded report", e.Value)
	}
	// Callers get values of their own: changing one changes neither the
	// cache nor the next caller's.
	first.Name = "changed"
	first.Links = nil
	second, err := f.client.GetReport(ctx, "acme", "r1")
	must(t, err)
	if second.Name == "changed" || second == first || second == e.Value {
		t.Errorf("second GetReport shares the first caller's value: %+v", second)
	}
	if n := h.get("GET /api/acme/reports/r1"); n != 1 {
		t.Errorf("upstream GETs = %d, want 1", n)
	}
	// Pages keep their decoded items too.
	page, err := f.client.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil)
	must(t, err)
	page.Items[0].Token = "changed"
	again, err := f.client.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil)
	must(t, err)
	if len(again.Items) != 1 || again.Items[0].Token != "r1" {
		t.Errorf("second page = %+v, want the cached item unchanged", again.Items)
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
