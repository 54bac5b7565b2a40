package modeclient

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

func newCache(t *testing.T) *cache.Cache {
	ch, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Close)
	return ch
}

// cachedFixture serves every GET and write the cache tests use, counting
// requests per "METHOD path".
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hits) get(k string) int { h.mu.Lock(); defer h.mu.Unlock(); return h.n[k] }

func cachedFixture(t *testing.T, ch *cache.Cache, runState string) (*fixture, *hits) {
	f := newFixture(t, WithCache(ch))
	h := &hits{n: map[string]int{}}
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.n[r.Method+" "+r.URL.Path]++
		h.mu.Unlock()
		switch r.URL.Path {
		case "/api/acme/reports/r1/runs/run1":
			writeJSON(w, 200, `{"token":"run1","state":"`+runState+`","_links":{"self":{"href":"/api/acme/reports/r1/runs/run1"}}}`)
		case "/api/acme/reports/r1/runs/run1/query_runs/qr1":
			writeJSON(w, 200, `{"token":"qr1","state":"`+runState+`","_links":{"self":{"href":"/api/acme/reports/r1/runs/run1/query_runs/qr1"}}}`)
		case "/api/acme/reports/r1/runs/run1/query_runs":
			writeJSON(w, 200, `{"_embedded":{"query_runs":[{"token":"qr0","state":"succeeded","_links":{"self":{"href":"/api/acme/reports/r1/runs/run1/query_runs/qr0"}}},{"token":"qr1","state":"`+runState+`","_links":{"self":{"href":"/api/acme/reports/r1/runs/run1/query_runs/qr1"}}}]}}`)
		case "/api/acme/reports/r1/runs":
			writeJSON(w, 200, `{"token":"run2","state":"enqueued","_links":{"self":{"href":"/api/acme/reports/r1/runs/run2"}},"_embedded":{"report_runs":[{"token":"run1","state":"`+runState+`","_links":{"self":{"href":"/api/acme/reports/r1/runs/run1"}}}]}}`)
		case "/api/acme/reports/r1/queries", "/api/acme/reports/r1/queries/q1":
			writeJSON(w, 200, `{"token":"q1","_links":{"self":{"href":"/api/acme/reports/r1/queries/q1"}},"_embedded":{"queries":[{"token":"q1","_links":{"self":{"href":"/api/acme/reports/r1/queries/q1"}}}]}}`)
		case "/api/acme/spaces", "/api/acme/spaces/s1":
			writeJSON(w, 200, `{"token":"s1","_links":{"self":{"href":"/api/acme/collections/s1"}},"_embedded":{"spaces":[{"token":"s1","_links":{"self":{"href":"/api/acme/collections/s1"}}}]}}`)
		default:
			writeJSON(w, 200, `{"token":"r1","space_token":"s1","account_username":"acme","_embedded":{"reports":[{"token":"r1","account_username":"acme"}]}}`)
		}
	})
	return f, h
}

func TestCacheIntegration(t *testing.T) {
	ctx := context.Background()
	getReport := func(t *testing.T, c *Client) { mustOK(t)(c.GetReport(ctx, "acme", "r1")) }
	listReports := func(t *testing.T, c *Client) { mustOK(t)(c.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil)) }
	listDSReports := func(t *testing.T, c *Client) { mustOK(t)(c.ListDataSourceReportsPage(ctx, "acme", "d1", 1, nil)) }
	getRun := func(t *testing.T, c *Client) { mustOK(t)(c.GetReportRun(ctx, "acme", "r1", "run1")) }
	listRuns := func(t *testing.T, c *Client) { mustOK(t)(c.ListReportRunsPage(ctx, "acme", "r1", 1, nil)) }
	getQueryRun := func(t *testing.T, c *Client) { mustOK(t)(c.GetQueryRun(ctx, "acme", "r1", "run1", "qr1")) }
	listQueryRuns := func(t *testing.T, c *Client) { mustOK(t)(c.ListQueryRunsPage(ctx, "acme", "r1", "run1", 1, nil)) }
	getQuery := func(t *testing.T, c *Client) { mustOK(t)(c.GetQuery(ctx, "acme", "r1", "q1")) }
	listQueries := func(t *testing.T, c *Client) { mustOK(t)(c.ListQueriesPage(ctx, "acme", "r1", 1, nil)) }
	getSpace := func(t *testing.T, c *Client) { mustOK(t)(c.GetSpace(ctx, "acme", "s1")) }
	listSpaces := func(t *testing.T, c *Client) { mustOK(t)(c.ListSpacesPage(ctx, "acme", 1, nil)) }
	tests := []struct {
		name     string
		runState string
		read     func(t *testing.T, c *Client)
		key      string
		write    func(t *testing.T, c *Client)
		want     int // upstream GETs of key after read, write, read
	}{
		{"second GET served from cache", "succeeded", getReport, "GET /api/acme/reports/r1", nil, 1},
		{"archive invalidates the report", "", getReport, "GET /api/acme/reports/r1",
			func(t *testing.T, c *Client) { mustOK(t)(c.ArchiveReport(ctx, "acme", "r1")) }, 2},
		{"archive invalidates space report lists", "", listReports, "GET /api/acme/spaces/s1/reports",
			func(t *testing.T, c *Client) { mustOK(t)(c.ArchiveReport(ctx, "acme", "r1")) }, 2},
		{"unarchive invalidates data source report lists", "", listDSReports, "GET /api/acme/data_sources/d1/reports",
			func(t *testing.T, c *Client) { mustOK(t)(c.UnarchiveReport(ctx, "acme", "r1")) }, 2},
		{"update invalidates the report", "", getReport, "GET /api/acme/reports/r1",
			func(t *testing.T, c *Client) {
				mustOK(t)(c.UpdateReport(ctx, "acme", "r1", ReportUpdate{Name: ptr("n")}))
			}, 2},
		{"finished run cached", "succeeded", getRun, "GET /api/acme/reports/r1/runs/run1", nil, 1},
		{"running run not cached", "running", getRun, "GET /api/acme/reports/r1/runs/run1", nil, 2},
		{"run list with a running run not cached", "running", listRuns, "GET /api/acme/reports/r1/runs", nil, 2},
		{"finished run list cached", "succeeded", listRuns, "GET /api/acme/reports/r1/runs", nil, 1},
		{"finished query run cached", "succeeded", getQueryRun, "GET /api/acme/reports/r1/runs/run1/query_runs/qr1", nil, 1},
		{"running query run not cached", "running", getQueryRun, "GET /api/acme/reports/r1/runs/run1/query_runs/qr1", nil, 2},
		{"finished query run list cached", "succeeded", listQueryRuns, "GET /api/acme/reports/r1/runs/run1/query_runs", nil, 1},
		{"query run list with a running run not cached", "running", listQueryRuns, "GET /api/acme/reports/r1/runs/run1/query_runs", nil, 2},
		{"creating a run invalidates the run list", "succeeded", listRuns, "GET /api/acme/reports/r1/runs",
			func(t *testing.T, c *Client) { mustOK(t)(c.RunReport(ctx, "acme", "r1", nil)) }, 2},
		{"creating a run invalidates the report", "succeeded", getReport, "GET /api/acme/reports/r1",
			func(t *testing.T, c *Client) { mustOK(t)(c.RunReport(ctx, "acme", "r1", nil)) }, 2},
		{"updating a query invalidates it", "", getQuery, "GET /api/acme/reports/r1/queries/q1",
			func(t *testing.T, c *Client) {
				mustOK(t)(c.UpdateQuery(ctx, "acme", "r1", "q1", QueryUpdate{Name: ptr("x")}))
			}, 2},
		{"updating a query invalidates the query list", "", listQueries, "GET /api/acme/reports/r1/queries",
			func(t *testing.T, c *Client) {
				mustOK(t)(c.UpdateQuery(ctx, "acme", "r1", "q1", QueryUpdate{Name: ptr("x")}))
			}, 2},
		{"deleting a space invalidates it", "", getSpace, "GET /api/acme/spaces/s1",
			func(t *testing.T, c *Client) { must(t, c.DeleteSpace(ctx, "acme", "s1")) }, 2},
		{"deleting a space invalidates the space list", "", listSpaces, "GET /api/acme/spaces",
			func(t *testing.T, c *Client) { must(t, c.DeleteSpace(ctx, "acme", "s1")) }, 2},
		{"deleting a space invalidates its reports", "", getReport, "GET /api/acme/reports/r1",
			func(t *testing.T, c *Client) { must(t, c.DeleteSpace(ctx, "acme", "s1")) }, 2},
		{"deleting a report invalidates its runs", "succeeded", getRun, "GET /api/acme/reports/r1/runs/run1",
			func(t *testing.T, c *Client) { must(t, c.DeleteReport(ctx, "acme", "r1")) }, 2},
		{"creating a space leaves reports cached", "", getReport, "GET /api/acme/reports/r1",
			func(t *testing.T, c *Client) { mustOK(t)(c.CreateSpace(ctx, "acme", SpaceCreate{Name: "x"})) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, h := cachedFixture(t, newCache(t), tt.runState)
			tt.read(t, f.client)
			if tt.write != nil {
				tt.write(t, f.client)
			}
			tt.read(t, f.client)
			if got := h.get(tt.key); got != tt.want {
				t.Errorf("%s: %d upstream requests, want %d", tt.key, got, tt.want)
			}
		})
	}
}

func TestCacheBypassAndOutcome(t *testing.T) {
	ch := newCache(t)
	f, h := cachedFixture(t, ch, "")
	var mu sync.Mutex
	var infos []CallInfo
	ctx := WithCallObserver(context.Background(), func(ci CallInfo) { mu.Lock(); infos = append(infos, ci); mu.Unlock() })
	for _, c := range []context.Context{ctx, ctx, WithCacheBypass(ctx), ctx} {
		if _, err := f.client.GetReport(c, "acme", "r1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.get("GET /api/acme/reports/r1"); got != 2 {
		t.Errorf("%d upstream requests, want 2 (miss, hit, bypass, hit)", got)
	}
	want := []cache.Outcome{cache.OutcomeMiss, cache.OutcomeHit, cache.OutcomeBypass, cache.OutcomeHit}
	wantAttempts := []int{1, 0, 1, 0}
	mu.Lock()
	defer mu.Unlock()
	if len(infos) != len(want) {
		t.Fatalf("%d call infos", len(infos))
	}
	for i, ci := range infos {
		if !ci.Cached || ci.Outcome != want[i] || ci.Attempts != wantAttempts[i] || ci.Route != "/api/{workspace}/reports/{report}" || ci.Method != "GET" {
			t.Errorf("call %d: %+v", i, ci)
		}
	}
}

func TestCacheCredentialsDoNotShare(t *testing.T) {
	ch := newCache(t)
	f, h := cachedFixture(t, ch, "")
	other, err := New(f.srv.URL, Credential{Token: "other", Secret: "pair"}, WithHTTPClient(f.srv.Client()), WithCache(ch))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []*Client{f.client, other, f.client, other} {
		if _, err := c.GetReport(ctx, "acme", "r1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.get("GET /api/acme/reports/r1"); got != 2 {
		t.Errorf("%d upstream requests, want 2 (one per credential)", got)
	}
}

func TestCacheErrorsNotStored(t *testing.T) {
	ch := newCache(t)
	f := newFixture(t, WithCache(ch), WithMaxAttempts(1))
	var n counter
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if n.inc() == 1 {
			writeJSON(w, 500, `{}`)
			return
		}
		writeJSON(w, 200, `not json`)
	})
	for range 3 {
		f.client.GetReport(context.Background(), "acme", "r1")
	}
	if n.get() != 3 {
		t.Errorf("%d requests, want 3: errors and undecodable bodies are not cached", n.get())
	}
}

func mustOK(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCachedFetchHonoursCallerDeadline(t *testing.T) {
	f := newFixture(t, WithCache(newCache(t)))
	n := statusSeq(f, "/api/acme/reports/r1", `{}`, []int{429, 429}, "5")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := f.client.GetReport(ctx, "acme", "r1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 {
		t.Fatalf("err = %v, want the 429 right away", err)
	}
	if n.get() != 1 {
		t.Errorf("%d requests", n.get())
	}
}
