package modeclient

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// recordingShared is a cache.Shared second level that stores nothing and
// records the invalidations sent to it (what the other replicas would get).
type recordingShared struct {
	mu    sync.Mutex
	inval [][]string
}

func (s *recordingShared) Fetch(ctx context.Context, _ cache.Key, _ bool, fetch func(context.Context) (cache.Fetched, error)) (cache.Fetched, error) {
	return fetch(ctx)
}

func (s *recordingShared) Invalidate(tags []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inval = append(s.inval, slices.Clone(tags))
}

// count returns how many invalidations sent to the shared level carried tag.
func (s *recordingShared) count(tag string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, tags := range s.inval {
		if slices.Contains(tags, tag) {
			n++
		}
	}
	return n
}

// TestRunEndInvalidatesTheReport: a report and a list holding it are cached
// showing run1 as the last successful run; run2 is then seen in progress and,
// after Mode finished it, seen succeeded — by GetReportRun, by the bypassing
// polls WatchReportRun makes, or on a page of the report's runs. The report
// and the list are read fresh at once (the cache's clock stands still: no
// TTL passes), the invalidation reaches the shared level (the other
// replicas) once, and later reads of the finished run invalidate nothing.
func TestRunEndInvalidatesTheReport(t *testing.T) {
	tests := []struct {
		name string
		read func(ctx context.Context, c *Client) (string, error)
	}{
		{"GetReportRun", func(ctx context.Context, c *Client) (string, error) {
			r, err := c.GetReportRun(ctx, "acme", "r1", "run2")
			if err != nil {
				return "", err
			}
			return r.State, nil
		}},
		{"GetReportRun bypassing the cache (WatchReportRun)", func(ctx context.Context, c *Client) (string, error) {
			r, err := c.GetReportRun(WithCacheBypass(ctx), "acme", "r1", "run2")
			if err != nil {
				return "", err
			}
			return r.State, nil
		}},
		{"ListReportRunsPage", func(ctx context.Context, c *Client) (string, error) {
			p, err := c.ListReportRunsPage(ctx, "acme", "r1", 1, nil)
			if err != nil {
				return "", err
			}
			return p.Items[0].State, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			ch, err := cache.New(cache.Options{Now: func() time.Time { return frozen }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(ch.Close)
			shared := &recordingShared{}
			ch.SetShared(shared)
			f := newFixture(t, WithCache(ch))

			var mu sync.Mutex
			lastRun, runState := "run1", "running"
			requests := map[string]int{}
			serve := func(path string, body func() string) {
				f.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					defer mu.Unlock()
					requests[path]++
					writeJSON(w, 200, body())
				})
			}
			report := func() string {
				return fmt.Sprintf(`{"token":"r1","name":"R","space_token":"s1","account_username":"acme","last_successful_run_token":%q}`, lastRun)
			}
			run := func() string {
				return fmt.Sprintf(`{"token":"run2","state":%q,"_links":{"self":{"href":"/api/acme/reports/r1/runs/run2"}}}`, runState)
			}
			serve("/api/acme/reports/r1", report)
			serve("/api/acme/spaces/s1/reports", func() string { return `{"_embedded":{"reports":[` + report() + `]}}` })
			serve("/api/acme/reports/r1/runs/run2", run)
			serve("/api/acme/reports/r1/runs", func() string {
				return `{"_embedded":{"report_runs":[` + run() + `,{"token":"run1","state":"succeeded","_links":{"self":{"href":"/api/acme/reports/r1/runs/run1"}}}]}}`
			})

			lastSuccess := func() (string, string) {
				t.Helper()
				r, err := f.client.GetReport(ctx, "acme", "r1")
				if err != nil {
					t.Fatal(err)
				}
				p, err := f.client.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil)
				if err != nil {
					t.Fatal(err)
				}
				return r.LastSuccessfulRunToken, p.Items[0].LastSuccessfulRunToken
			}
			if r, l := lastSuccess(); r != "run1" || l != "run1" {
				t.Fatalf("before: report %s, list %s", r, l)
			}
			if state, err := tt.read(ctx, f.client); err != nil || state != "running" {
				t.Fatalf("run in progress read as %q, %v", state, err)
			}
			if r, l := lastSuccess(); r != "run1" || l != "run1" {
				t.Fatalf("while running: report %s, list %s (cached: want run1)", r, l)
			}
			// (A page of runs shows finished runs never seen before, run1: its
			// first sight invalidates too, as the client cannot know how long
			// ago it ended. Only what follows counts.)
			reportTag := "/api/acme/reports/r1"
			base := shared.count(reportTag)
			mu.Lock()
			lastRun, runState = "run2", "succeeded" // Mode finishes the run
			mu.Unlock()
			if state, err := tt.read(ctx, f.client); err != nil || state != "succeeded" {
				t.Fatalf("finished run read as %q, %v", state, err)
			}
			if r, l := lastSuccess(); r != "run2" || l != "run2" {
				t.Errorf("after the run was seen finished: report %s, list %s, want run2 (no stale last run)", r, l)
			}
			if n := shared.count(reportTag) - base; n != 1 {
				t.Errorf("the report was invalidated in the shared level %d times, want 1", n)
			}

			// Reading the finished run again (from Mode, bypassing the cache,
			// or from the cache) invalidates nothing more.
			for range 2 {
				if _, err := tt.read(WithCacheBypass(ctx), f.client); err != nil {
					t.Fatal(err)
				}
				if _, err := tt.read(ctx, f.client); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			before := requests[reportTag]
			mu.Unlock()
			lastSuccess()
			mu.Lock()
			after := requests[reportTag]
			mu.Unlock()
			if after != before {
				t.Errorf("the report was fetched again after later reads of the finished run: invalidated more than once")
			}
			if n := shared.count(reportTag) - base; n != 1 {
				t.Errorf("the report was invalidated in the shared level %d times in all, want 1", n)
			}
		})
	}
}

// TestLongFinishedRunsInvalidateNothing: runs that ended longer ago than any
// cached entry can have lived (the metadata TTL, plus a minute of clock
// skew), as on most pages of runs, are not news: reading them invalidates
// nothing, and a run that ended just now does.
func TestLongFinishedRunsInvalidateNothing(t *testing.T) {
	now := time.Now().UTC()
	tests := []struct {
		name        string
		completedAt time.Time
		want        int
	}{
		{"an hour ago", now.Add(-time.Hour), 0},
		{"just past the TTL and the skew", now.Add(-DefaultMetadataTTL - 2*time.Minute), 0},
		{"within the TTL", now.Add(-DefaultMetadataTTL / 2), 1},
		{"Mode's clock ahead of ours", now.Add(30 * time.Second), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := newCache(t)
			shared := &recordingShared{}
			ch.SetShared(shared)
			f := newFixture(t, WithCache(ch))
			f.mux.HandleFunc("/api/acme/reports/r1/runs", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, fmt.Sprintf(`{"_embedded":{"report_runs":[{"token":"run1","state":"succeeded","completed_at":%q,"_links":{"self":{"href":"/api/acme/reports/r1/runs/run1"}}}]}}`,
					tt.completedAt.Format(time.RFC3339)))
			})
			if _, err := f.client.ListReportRunsPage(context.Background(), "acme", "r1", 1, nil); err != nil {
				t.Fatal(err)
			}
			if n := shared.count("/api/acme/reports/r1"); n != tt.want {
				t.Errorf("report invalidated %d times, want %d", n, tt.want)
			}
		})
	}
}
