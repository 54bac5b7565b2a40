package modeclient_test

// The cache half of the contract suite: modeclient.WithCache(cache.New(…)) in front of the
// emulator, judged by the emulator's request log (so these tests skip against real Mode).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// fakeClock is a clock for cache.Options.Now that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// newFakeClock returns a clock at an arbitrary fixed instant.
func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestCache returns a cache configured by o, closed when the test ends.
func newTestCache(t testing.TB, o cache.Options) *cache.Cache {
	t.Helper()
	ch, err := cache.New(o)
	if err != nil {
		t.Fatalf("cache.New: %v", err)
	}
	t.Cleanup(ch.Close)
	return ch
}

// outcomes records the cache outcome of every call made with its context.
type outcomes struct {
	mu   sync.Mutex
	seen []string
}

// ctx returns a context whose client calls are recorded.
func (o *outcomes) ctx(parent context.Context) context.Context {
	return modeclient.WithCallObserver(parent, func(ci modeclient.CallInfo) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if ci.Cached {
			o.seen = append(o.seen, ci.Outcome.String())
		} else {
			o.seen = append(o.seen, "uncached")
		}
	})
}

// take returns the outcomes recorded since the last take.
func (o *outcomes) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.seen
	o.seen = nil
	return s
}

// countGETs counts the emulator's logged GETs of path whose filter query parameter is filter.
func countGETs(emu *modetest.Server, path, filter string) int {
	n := 0
	for _, r := range emu.Requests() {
		q, _ := url.ParseQuery(r.RawQuery)
		if r.Method == http.MethodGet && r.Path == path && q.Get("filter") == filter {
			n++
		}
	}
	return n
}

// TestContractCacheHitAndMiss checks, for every kind of cached read, that the first read is a
// miss that asks Mode and the second a hit that does not; that other queries of the same path
// are other entries; and that errors and streamed results are never cached.
func TestContractCacheHitAndMiss(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		var fx fixtures
		fx.Report, fx.Run, fx.QueryRun = tg.finishedRun(t)
		fx.Query = collect(t, tg.client(t).ListQueries(ctx, tg.ws, fx.Report, nil))[0].Token
		chart := collect(t, tg.client(t).ListQueryCharts(ctx, tg.ws, fx.Report, fx.Query, nil))[0].Token
		tg.emu.ResetRequests() // forget the setup's requests
		ch := newTestCache(t, cache.Options{})
		c := tg.client(t, modeclient.WithCache(ch))
		d := tg.emu.Demo()
		ws := tg.ws
		// c sees the setup's run finished before the reads below: the first sight of a run that
		// just ended invalidates the report lists, which "another page is another entry" caches
		// in parallel. (per_page 99: an entry of its own.)
		must(c.ListReportRunsPage(ctx, ws, fx.Report, 1, &modeclient.ListRunsOptions{ListOptions: modeclient.ListOptions{PerPage: 99}}))(t)
		tg.emu.ResetRequests()
		reads := []struct {
			name, path, filter string
			read               func(ctx context.Context) error
		}{
			{"GetWorkspace", "/api/" + ws, "", func(ctx context.Context) error { _, err := c.GetWorkspace(ctx, ws); return err }},
			{"GetAccount", "/api/account", "", func(ctx context.Context) error { _, err := c.GetAccount(ctx); return err }},
			{"GetMembership", apiPath("memberships", d.Memberships[1]), "", func(ctx context.Context) error {
				_, err := c.GetMembership(ctx, ws, d.Memberships[1])
				return err
			}},
			{"ListMembershipsPage", apiPath("memberships"), "", func(ctx context.Context) error {
				_, err := c.ListMembershipsPage(ctx, ws, 1, nil)
				return err
			}},
			{"GetGroup", apiPath("groups", d.Groups[1]), "", func(ctx context.Context) error { _, err := c.GetGroup(ctx, ws, d.Groups[1]); return err }},
			{"ListGroupsPage", apiPath("groups"), "", func(ctx context.Context) error { _, err := c.ListGroupsPage(ctx, ws, 1, nil); return err }},
			{"GetSpace", apiPath("spaces", d.Spaces[1]), "", func(ctx context.Context) error { _, err := c.GetSpace(ctx, ws, d.Spaces[1]); return err }},
			{"ListSpacesPage", apiPath("spaces"), "", func(ctx context.Context) error { _, err := c.ListSpacesPage(ctx, ws, 1, nil); return err }},
			{"ListSpacesPage filter=all", apiPath("spaces"), "all", func(ctx context.Context) error {
				_, err := c.ListSpacesPage(ctx, ws, 1, &modeclient.ListSpacesOptions{Filter: "all"})
				return err
			}},
			{"GetDataSource", apiPath("data_sources", d.DataSource), "", func(ctx context.Context) error {
				_, err := c.GetDataSource(ctx, ws, d.DataSource)
				return err
			}},
			{"ListDataSourcesPage", apiPath("data_sources"), "", func(ctx context.Context) error {
				_, err := c.ListDataSourcesPage(ctx, ws, 1, nil)
				return err
			}},
			{"GetReport", apiPath("reports", d.Reports[3]), "", func(ctx context.Context) error { _, err := c.GetReport(ctx, ws, d.Reports[3]); return err }},
			{"ListSpaceReportsPage", apiPath("spaces", d.Spaces[1], "reports"), "", func(ctx context.Context) error {
				_, err := c.ListSpaceReportsPage(ctx, ws, d.Spaces[1], 1, nil)
				return err
			}},
			{"ListSpaceReportsPage filter=archived", apiPath("spaces", d.Spaces[1], "reports"), "archived", func(ctx context.Context) error {
				_, err := c.ListSpaceReportsPage(ctx, ws, d.Spaces[1], 1, &modeclient.ListReportsOptions{Filter: "archived"})
				return err
			}},
			{"ListDataSourceReportsPage", apiPath("data_sources", d.DataSource, "reports"), "", func(ctx context.Context) error {
				_, err := c.ListDataSourceReportsPage(ctx, ws, d.DataSource, 1, nil)
				return err
			}},
			{"GetQuery", apiPath("reports", fx.Report, "queries", fx.Query), "", func(ctx context.Context) error {
				_, err := c.GetQuery(ctx, ws, fx.Report, fx.Query)
				return err
			}},
			{"ListQueriesPage", apiPath("reports", fx.Report, "queries"), "", func(ctx context.Context) error {
				_, err := c.ListQueriesPage(ctx, ws, fx.Report, 1, nil)
				return err
			}},
			{"GetReportRun finished", apiPath("reports", fx.Report, "runs", fx.Run), "", func(ctx context.Context) error {
				_, err := c.GetReportRun(ctx, ws, fx.Report, fx.Run)
				return err
			}},
			{"ListReportRunsPage all finished", apiPath("reports", fx.Report, "runs"), "", func(ctx context.Context) error {
				_, err := c.ListReportRunsPage(ctx, ws, fx.Report, 1, nil)
				return err
			}},
			{"GetQueryRun finished", apiPath("reports", fx.Report, "runs", fx.Run, "query_runs", fx.QueryRun), "", func(ctx context.Context) error {
				_, err := c.GetQueryRun(ctx, ws, fx.Report, fx.Run, fx.QueryRun)
				return err
			}},
			{"ListQueryRunsPage finished", apiPath("reports", fx.Report, "runs", fx.Run, "query_runs"), "", func(ctx context.Context) error {
				_, err := c.ListQueryRunsPage(ctx, ws, fx.Report, fx.Run, 1, nil)
				return err
			}},
			{"GetDefinition", apiPath("definitions", d.Definitions[1]), "", func(ctx context.Context) error {
				_, err := c.GetDefinition(ctx, ws, d.Definitions[1])
				return err
			}},
			{"ListDefinitionsPage", apiPath("definitions"), "", func(ctx context.Context) error {
				_, err := c.ListDefinitionsPage(ctx, ws, 1, nil)
				return err
			}},
			{"GetReportFilter", apiPath("reports", d.FilterReport, "filters", d.Filters[0]), "", func(ctx context.Context) error {
				_, err := c.GetReportFilter(ctx, ws, d.FilterReport, d.Filters[0])
				return err
			}},
			{"ListReportFiltersPage", apiPath("reports", d.FilterReport, "filters"), "", func(ctx context.Context) error {
				_, err := c.ListReportFiltersPage(ctx, ws, d.FilterReport, 1, nil)
				return err
			}},
			{"GetChart", apiPath("reports", fx.Report, "queries", fx.Query, "charts", chart), "", func(ctx context.Context) error {
				_, err := c.GetChart(ctx, ws, fx.Report, fx.Query, chart)
				return err
			}},
			{"ListQueryChartsPage", apiPath("reports", fx.Report, "queries", fx.Query, "charts"), "", func(ctx context.Context) error {
				_, err := c.ListQueryChartsPage(ctx, ws, fx.Report, fx.Query, 1, nil)
				return err
			}},
		}
		for _, rd := range reads {
			t.Run(rd.name, func(t *testing.T) {
				t.Parallel() // every read has its own path (or filter)
				var o outcomes
				for i, want := range []string{"miss", "hit", "hit"} {
					if err := rd.read(o.ctx(ctx)); err != nil {
						t.Fatalf("read %d: %v", i+1, err)
					}
					if got := o.take(); !slices.Equal(got, []string{want}) {
						t.Errorf("read %d: outcome %v, want %s", i+1, got, want)
					}
				}
				if n := countGETs(tg.emu, rd.path, rd.filter); n != 1 {
					t.Errorf("%d upstream requests for three reads, want 1", n)
				}
			})
		}

		t.Run("another page is another entry", func(t *testing.T) {
			t.Parallel()
			path := apiPath("spaces", d.Spaces[0], "reports")
			for range 2 {
				for _, page := range []int{1, 2} {
					must(c.ListSpaceReportsPage(ctx, ws, d.Spaces[0], page, &modeclient.ListReportsOptions{ListOptions: modeclient.ListOptions{PerPage: 3}}))(t)
				}
			}
			if n := countGETs(tg.emu, path, ""); n != 2 {
				t.Errorf("%d requests for two pages read twice, want 2", n)
			}
		})

		t.Run("errors are not cached", func(t *testing.T) {
			t.Parallel()
			const unknown = "0000deadbeef"
			for range 2 {
				_, err := c.GetReport(ctx, ws, unknown)
				wantAPIError(t, err, http.StatusNotFound)
			}
			if n := countGETs(tg.emu, apiPath("reports", unknown), ""); n != 2 {
				t.Errorf("%d requests for two 404 reads, want 2", n)
			}
		})

		t.Run("results are streamed, not cached", func(t *testing.T) {
			t.Parallel()
			path := apiPath("reports", fx.Report, "runs", fx.Run, "query_runs", fx.QueryRun, "results", "content.csv")
			for range 2 {
				body := must(c.QueryResultsCSV(ctx, ws, fx.Report, fx.Run, fx.QueryRun))(t)
				body.Close()
			}
			if n := countGETs(tg.emu, path, ""); n != 2 {
				t.Errorf("%d requests for two result reads, want 2", n)
			}
		})
	})
}

// TestContractCacheExpiry moves a fake cache clock: metadata is served until its TTL passes and
// then refetched, while a finished run stays cached for the (longer) finished-run TTL.
func TestContractCacheExpiry(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		var fx fixtures
		fx.Report, fx.Run, fx.QueryRun = tg.finishedRun(t)
		tg.emu.ResetRequests() // forget the setup's requests
		clock := newFakeClock()
		ch := newTestCache(t, cache.Options{Now: clock.Now})
		c := tg.client(t, modeclient.WithCache(ch), modeclient.WithMetadataTTL(time.Minute), modeclient.WithFinishedRunTTL(time.Hour))
		reportPath := apiPath("reports", fx.Report)
		runPath := apiPath("reports", fx.Report, "runs", fx.Run)
		read := func() {
			t.Helper()
			// The run first: the first sight of a run that just ended invalidates the report.
			must(c.GetReportRun(ctx, tg.ws, fx.Report, fx.Run))(t)
			must(c.GetReport(ctx, tg.ws, fx.Report))(t)
		}
		steps := []struct {
			advance             time.Duration
			wantReport, wantRun int // cumulative upstream requests
		}{
			{0, 1, 1},                // cold: both fetched
			{59 * time.Second, 1, 1}, // within both TTLs
			{2 * time.Second, 2, 1},  // metadata expired, the finished run did not
			{58 * time.Minute, 3, 1}, // 59m01s: the report expired again, the run still cached
			{2 * time.Minute, 4, 2},  // 61m01s: the run's hour is over too
			{time.Second, 4, 2},      // both fresh again
		}
		for i, s := range steps {
			clock.Advance(s.advance)
			read()
			if r, n := requestsTo(tg.emu, http.MethodGet, reportPath), requestsTo(tg.emu, http.MethodGet, runPath); r != s.wantReport || n != s.wantRun {
				t.Fatalf("step %d (+%v): %d report and %d run requests, want %d and %d", i, s.advance, r, n, s.wantReport, s.wantRun)
			}
		}
		if st := ch.Stats(); st.Hits == 0 || st.Misses != 6 {
			t.Errorf("stats = %+v, want 6 misses and some hits", st)
		}
	})
}

// cachedRead is one read through the cached client, reduced to a view string that changes when
// what it reads changes ("gone" once it answers 404).
type cachedRead struct {
	name   string
	path   string // the GET it sends
	filter string // its filter query parameter
	view   func(ctx context.Context) (string, error)
}

// viewOf turns a read's result into its view: "gone" for a 404.
func viewOf[T any](show func(T) string) func(T, error) (string, error) {
	return func(v T, err error) (string, error) {
		if isStatus(err, http.StatusNotFound) {
			return "gone", nil
		}
		if err != nil {
			return "", err
		}
		return show(v), nil
	}
}

// Views of read results for cachedRead: what a write may change, as a comparable string.

func showReport(r *modeclient.Report) string {
	return fmt.Sprintf("%s|%s|archived=%v|space=%s|runs=%d|queries=%d|schedules=%d", r.Token, r.Name, r.Archived, r.SpaceToken, r.RunsCount, r.QueryCount, r.SchedulesCount)
}

func showReports(p *modeclient.Page[modeclient.Report]) string {
	var b strings.Builder
	for _, r := range p.Items {
		fmt.Fprintf(&b, "%s:%s:%v,", r.Token, r.Name, r.Archived)
	}
	return b.String()
}

func showSpace(s *modeclient.Space) string { return s.Token + "|" + s.Name + "|" + s.Description }

func showSpaces(p *modeclient.Page[modeclient.Space]) string {
	return strings.Join(tokensOf(p.Items, func(s modeclient.Space) string { return s.Token + ":" + s.Name }), ",")
}

func showRuns(p *modeclient.Page[modeclient.ReportRun]) string {
	return strings.Join(tokensOf(p.Items, runToken), ",")
}

func showQuery(q *modeclient.Query) string { return q.Token + "|" + q.Name + "|" + q.RawQuery }

func showQueries(p *modeclient.Page[modeclient.Query]) string {
	return strings.Join(tokensOf(p.Items, func(q modeclient.Query) string { return q.Token + ":" + q.Name + ":" + q.RawQuery }), ",")
}

func showSchedule(x *modeclient.Schedule) string {
	return fmt.Sprintf("%s|%s|%+v|subscribers=%d", x.Token, x.Name, x.Cron, x.SubscriberCount)
}

func showSubscription(x *modeclient.Subscription) string {
	return fmt.Sprintf("%s|schedule=%s|csv=%v|pdf=%v|emails=%d", x.Token, x.ScheduleToken, x.CSVAttachmentsEnabled, x.PDFAttachmentsEnabled, x.EmailSubscriberCount)
}

func showSubscriptions(p *modeclient.Page[modeclient.Subscription]) string {
	return strings.Join(tokensOf(p.Items, func(x modeclient.Subscription) string { return showSubscription(&x) }), ",")
}

func showSchedules(p *modeclient.Page[modeclient.Schedule]) string {
	return strings.Join(tokensOf(p.Items, func(x modeclient.Schedule) string { return showSchedule(&x) }), ",")
}

func showDefinition(x *modeclient.Definition) string {
	return x.Token + "|" + x.Name + "|" + x.Source
}

func showDefinitions(p *modeclient.Page[modeclient.Definition]) string {
	return strings.Join(tokensOf(p.Items, func(x modeclient.Definition) string { return showDefinition(&x) }), ",")
}

func showReportFilter(x *modeclient.ReportFilter) string {
	return fmt.Sprintf("%s|%s|%s|row=%d|query=%s", x.Token, x.Name, x.Formula, x.RowOrder, x.QueryToken())
}

func showReportFilters(p *modeclient.Page[modeclient.ReportFilter]) string {
	return strings.Join(tokensOf(p.Items, func(x modeclient.ReportFilter) string { return showReportFilter(&x) }), ",")
}

func showChart(x *modeclient.Chart) string { return x.Token + "|" + x.Type() + "|" + x.Title() }

func showCharts(p *modeclient.Page[modeclient.Chart]) string {
	return strings.Join(tokensOf(p.Items, func(x modeclient.Chart) string { return showChart(&x) }), ",")
}

func showWorkspace(w *modeclient.Workspace) string { return fmt.Sprintf("spaces=%d", w.SpaceCount) }

func showDataSource(d *modeclient.DataSource) string { return d.Token + "|" + d.Name }

// cachedReads builds the cachedRead constructors of one client.
type cachedReads struct {
	c  *modeclient.Client
	ws string
}

// The reads the invalidation cases warm and re-check, one constructor per client method.

func (r cachedReads) report(rep string) cachedRead {
	return cachedRead{name: "GetReport", path: apiPath("reports", rep), view: func(ctx context.Context) (string, error) {
		return viewOf(showReport)(r.c.GetReport(ctx, r.ws, rep))
	}}
}

func (r cachedReads) spaceReports(space, filter string) cachedRead {
	return cachedRead{name: "ListSpaceReports " + filter, path: apiPath("spaces", space, "reports"), filter: filter,
		view: func(ctx context.Context) (string, error) {
			return viewOf(showReports)(r.c.ListSpaceReportsPage(ctx, r.ws, space, 1, &modeclient.ListReportsOptions{Filter: filter}))
		}}
}

func (r cachedReads) dataSourceReports(ds string) cachedRead {
	return cachedRead{name: "ListDataSourceReports", path: apiPath("data_sources", ds, "reports"), view: func(ctx context.Context) (string, error) {
		return viewOf(showReports)(r.c.ListDataSourceReportsPage(ctx, r.ws, ds, 1, nil))
	}}
}

func (r cachedReads) space(space string) cachedRead {
	return cachedRead{name: "GetSpace", path: apiPath("spaces", space), view: func(ctx context.Context) (string, error) {
		return viewOf(showSpace)(r.c.GetSpace(ctx, r.ws, space))
	}}
}

func (r cachedReads) spaces() cachedRead {
	return cachedRead{name: "ListSpaces", path: apiPath("spaces"), view: func(ctx context.Context) (string, error) {
		return viewOf(showSpaces)(r.c.ListSpacesPage(ctx, r.ws, 1, nil))
	}}
}

func (r cachedReads) workspace() cachedRead {
	return cachedRead{name: "GetWorkspace", path: "/api/" + r.ws, view: func(ctx context.Context) (string, error) {
		return viewOf(showWorkspace)(r.c.GetWorkspace(ctx, r.ws))
	}}
}

func (r cachedReads) dataSource(ds string) cachedRead {
	return cachedRead{name: "GetDataSource", path: apiPath("data_sources", ds), view: func(ctx context.Context) (string, error) {
		return viewOf(showDataSource)(r.c.GetDataSource(ctx, r.ws, ds))
	}}
}

func (r cachedReads) runs(rep string) cachedRead {
	return cachedRead{name: "ListReportRuns", path: apiPath("reports", rep, "runs"), view: func(ctx context.Context) (string, error) {
		return viewOf(showRuns)(r.c.ListReportRunsPage(ctx, r.ws, rep, 1, nil))
	}}
}

func (r cachedReads) query(rep, q string) cachedRead {
	return cachedRead{name: "GetQuery", path: apiPath("reports", rep, "queries", q), view: func(ctx context.Context) (string, error) {
		return viewOf(showQuery)(r.c.GetQuery(ctx, r.ws, rep, q))
	}}
}

func (r cachedReads) queries(rep string) cachedRead {
	return cachedRead{name: "ListQueries", path: apiPath("reports", rep, "queries"), view: func(ctx context.Context) (string, error) {
		return viewOf(showQueries)(r.c.ListQueriesPage(ctx, r.ws, rep, 1, nil))
	}}
}

func (r cachedReads) schedule(rep, sch string) cachedRead {
	return cachedRead{name: "GetReportSchedule", path: apiPath("reports", rep, "schedules", sch), view: func(ctx context.Context) (string, error) {
		return viewOf(showSchedule)(r.c.GetReportSchedule(ctx, r.ws, rep, sch))
	}}
}

func (r cachedReads) schedules(rep string) cachedRead {
	return cachedRead{name: "ListReportSchedules", path: apiPath("reports", rep, "schedules"), view: func(ctx context.Context) (string, error) {
		return viewOf(showSchedules)(r.c.ListReportSchedulesPage(ctx, r.ws, rep, 1, nil))
	}}
}

func (r cachedReads) subscription(rep, sub string) cachedRead {
	return cachedRead{name: "GetReportSubscription", path: apiPath("reports", rep, "subscriptions", sub), view: func(ctx context.Context) (string, error) {
		return viewOf(showSubscription)(r.c.GetReportSubscription(ctx, r.ws, rep, sub))
	}}
}

func (r cachedReads) subscriptions(rep string) cachedRead {
	return cachedRead{name: "ListReportSubscriptions", path: apiPath("reports", rep, "subscriptions"), view: func(ctx context.Context) (string, error) {
		return viewOf(showSubscriptions)(r.c.ListReportSubscriptionsPage(ctx, r.ws, rep, 1, nil))
	}}
}

func (r cachedReads) scheduleSubscriptions(rep, sch string) cachedRead {
	return cachedRead{name: "ListScheduleSubscriptions", path: apiPath("reports", rep, "schedules", sch, "subscriptions"), view: func(ctx context.Context) (string, error) {
		return viewOf(showSubscriptions)(r.c.ListScheduleSubscriptionsPage(ctx, r.ws, rep, sch, 1, nil))
	}}
}

func (r cachedReads) definition(def string) cachedRead {
	return cachedRead{name: "GetDefinition", path: apiPath("definitions", def), view: func(ctx context.Context) (string, error) {
		return viewOf(showDefinition)(r.c.GetDefinition(ctx, r.ws, def))
	}}
}

func (r cachedReads) definitions() cachedRead {
	return cachedRead{name: "ListDefinitions", path: apiPath("definitions"), view: func(ctx context.Context) (string, error) {
		return viewOf(showDefinitions)(r.c.ListDefinitionsPage(ctx, r.ws, 1, nil))
	}}
}

func (r cachedReads) reportFilter(rep, f string) cachedRead {
	return cachedRead{name: "GetReportFilter", path: apiPath("reports", rep, "filters", f), view: func(ctx context.Context) (string, error) {
		return viewOf(showReportFilter)(r.c.GetReportFilter(ctx, r.ws, rep, f))
	}}
}

func (r cachedReads) reportFilters(rep string) cachedRead {
	return cachedRead{name: "ListReportFilters", path: apiPath("reports", rep, "filters"), view: func(ctx context.Context) (string, error) {
		return viewOf(showReportFilters)(r.c.ListReportFiltersPage(ctx, r.ws, rep, 1, nil))
	}}
}

func (r cachedReads) chart(rep, q, ch string) cachedRead {
	return cachedRead{name: "GetChart", path: apiPath("reports", rep, "queries", q, "charts", ch), view: func(ctx context.Context) (string, error) {
		return viewOf(showChart)(r.c.GetChart(ctx, r.ws, rep, q, ch))
	}}
}

func (r cachedReads) charts(rep, q string) cachedRead {
	return cachedRead{name: "ListQueryCharts", path: apiPath("reports", rep, "queries", q, "charts"), view: func(ctx context.Context) (string, error) {
		return viewOf(showCharts)(r.c.ListQueryChartsPage(ctx, r.ws, rep, q, 1, nil))
	}}
}

// newReportFilter creates a SINGLE filter of rep on column col of query q with an uncached
// client, for a test's setup.
func newReportFilter(t *testing.T, ctx context.Context, c *modeclient.Client, ws, rep, q, col string) string {
	t.Helper()
	return must(c.CreateReportFilter(ctx, ws, rep, modeclient.ReportFilterInput{
		Name: "Filter on " + col, Formula: "[" + col + "]", DataType: "string", FormulaType: "column",
		FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: q,
	}))(t).Token
}

// newSubscription creates a subscription following sch with an uncached client, for a test's
// setup: one e-mail subscriber, the workspace's first member.
func newSubscription(t *testing.T, ctx context.Context, c *modeclient.Client, ws, rep, sch string, d modetest.Demo) string {
	t.Helper()
	return must(c.CreateReportSubscription(ctx, ws, rep, modeclient.SubscriptionCreate{Schedule: sch, EmailSubscribers: d.Members[:1]}))(t).Token
}

// newSchedule creates a daily schedule of rep with an uncached client, for a test's setup.
func newSchedule(t *testing.T, ctx context.Context, c *modeclient.Client, ws, rep string) string {
	t.Helper()
	return must(c.CreateReportSchedule(ctx, ws, rep, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "daily"}}))(t).Token
}

// invalidationSetup is what a case of TestContractCacheInvalidation prepares: the reads its write
// must invalidate, and the write.
type invalidationSetup struct {
	reads []cachedRead                // must be refetched and change after the write
	write func(context.Context) error // the write under test
}

// invalidationCase is one case of TestContractCacheInvalidation: a fresh emulator with emuOpts,
// and setup, given a cached client's reads (r), an uncached client for the setup's own writes
// and the demo's tokens.
type invalidationCase struct {
	name    string
	emuOpts []modetest.Option
	setup   func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) invalidationSetup
}

// hourLongRuns keeps runs in progress for a whole test (no SQL executed).
var hourLongRuns = []modetest.Option{modetest.WithRunDuration(time.Hour)}

// TestContractCacheInvalidation warms the cache with reads, makes one write of each kind and
// checks that every read the write affects asks Mode again and shows the change, while an
// unrelated read stays cached.
func TestContractCacheInvalidation(t *testing.T) {
	t.Parallel()
	type setup = invalidationSetup
	cases := []invalidationCase{
		{"UpdateReport", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep, name := d.Reports[0], "Renamed by the cache test"
			return setup{
				reads: []cachedRead{r.report(rep), r.spaceReports(d.Spaces[0], ""), r.dataSourceReports(d.DataSource)},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateReport(ctx, r.ws, rep, modeclient.ReportUpdate{Name: &name})
					return err
				},
			}
		}},
		{"UpdateReport moving it", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep, to := d.Reports[0], d.Spaces[1]
			return setup{
				reads: []cachedRead{r.report(rep), r.spaceReports(d.Spaces[0], ""), r.spaceReports(to, "")},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateReport(ctx, r.ws, rep, modeclient.ReportUpdate{SpaceToken: &to})
					return err
				},
			}
		}},
		{"ArchiveReport", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[1]
			return setup{
				reads: []cachedRead{r.report(rep), r.spaceReports(d.Spaces[0], ""), r.spaceReports(d.Spaces[0], "archived")},
				write: func(ctx context.Context) error { _, err := r.c.ArchiveReport(ctx, r.ws, rep); return err },
			}
		}},
		{"UnarchiveReport", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep, personal := d.Reports[scratchpadIndex], d.Spaces[3]
			return setup{
				reads: []cachedRead{r.report(rep), r.spaceReports(personal, ""), r.spaceReports(personal, "archived")},
				write: func(ctx context.Context) error { _, err := r.c.UnarchiveReport(ctx, r.ws, rep); return err },
			}
		}},
		{"DeleteReport", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[2]
			q := collect(t, plain.ListQueries(ctx, r.ws, rep, nil))[0].Token
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			return setup{
				reads: []cachedRead{r.report(rep), r.spaceReports(d.Spaces[0], ""), r.queries(rep), r.query(rep, q), r.runs(rep), r.schedules(rep), r.schedule(rep, sch)},
				write: func(ctx context.Context) error { return r.c.DeleteReport(ctx, r.ws, rep) },
			}
		}},
		{"CreateSpace", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			return setup{
				reads: []cachedRead{r.spaces(), r.workspace()},
				write: func(ctx context.Context) error {
					_, err := r.c.CreateSpace(ctx, r.ws, modeclient.SpaceCreate{Name: "Cache Test Space"})
					return err
				},
			}
		}},
		{"UpdateSpace", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			space, name := d.Spaces[0], "Sales (renamed)"
			return setup{
				reads: []cachedRead{r.space(space), r.spaces()},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateSpace(ctx, r.ws, space, modeclient.SpaceUpdate{Name: &name})
					return err
				},
			}
		}},
		{"DeleteSpace", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			space := d.Spaces[1] // Marketing, holding Demo.Reports[5:8] and Demo.Datasets[2]
			return setup{
				reads: []cachedRead{r.space(space), r.spaces(), r.workspace(), r.report(d.Reports[5]),
					r.spaceReports(space, ""), r.dataSourceReports(d.DataSource),
					r.dataset(d.Datasets[channelDataset]), r.spaceDatasets(space), r.dataSourceDatasets(d.DataSource)},
				write: func(ctx context.Context) error { return r.c.DeleteSpace(ctx, r.ws, space) },
			}
		}},
		{"RunReport", hourLongRuns, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[3]
			return setup{
				reads: []cachedRead{r.runs(rep), r.report(rep)},
				write: func(ctx context.Context) error { _, err := r.c.RunReport(ctx, r.ws, rep, nil); return err },
			}
		}},
		{"CloneReportRun", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[scratchpadIndex] // its one query is cheap to run
			run := waitRun(t, ctx, plain, r.ws, rep, must(plain.RunReport(ctx, r.ws, rep, nil))(t).Token)
			return setup{
				reads: []cachedRead{r.runs(rep), r.report(rep)},
				write: func(ctx context.Context) error { _, err := r.c.CloneReportRun(ctx, r.ws, rep, run.Token); return err },
			}
		}},
		{"CreateQuery", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			return setup{
				reads: []cachedRead{r.queries(rep), r.report(rep)},
				write: func(ctx context.Context) error {
					_, err := r.c.CreateQuery(ctx, r.ws, rep, modeclient.QueryCreate{RawQuery: "SELECT 1 AS one", DataSourceID: 4001})
					return err
				},
			}
		}},
		{"UpdateQuery", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			q := collect(t, plain.ListQueries(ctx, r.ws, rep, nil))[0].Token
			raw := "SELECT 2 AS two"
			return setup{
				reads: []cachedRead{r.query(rep, q), r.queries(rep)},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateQuery(ctx, r.ws, rep, q, modeclient.QueryUpdate{RawQuery: &raw})
					return err
				},
			}
		}},
		{"CreateReportSchedule", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			return setup{
				reads: []cachedRead{r.schedules(rep), r.report(rep)},
				write: func(ctx context.Context) error {
					_, err := r.c.CreateReportSchedule(ctx, r.ws, rep, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "hourly"}})
					return err
				},
			}
		}},
		{"UpdateReportSchedule", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			name := "Renamed by the cache test"
			return setup{
				reads: []cachedRead{r.schedule(rep, sch), r.schedules(rep)},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateReportSchedule(ctx, r.ws, rep, sch, modeclient.ScheduleUpdate{Name: &name})
					return err
				},
			}
		}},
		{"DeleteReportSchedule", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			return setup{
				reads: []cachedRead{r.schedule(rep, sch), r.schedules(rep), r.report(rep)},
				write: func(ctx context.Context) error { return r.c.DeleteReportSchedule(ctx, r.ws, rep, sch) },
			}
		}},
		{"BulkDeleteReportSchedules", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			a, b := d.Reports[3], d.Reports[4]
			sa, sb := newSchedule(t, ctx, plain, r.ws, a), newSchedule(t, ctx, plain, r.ws, b)
			return setup{
				reads: []cachedRead{r.schedule(a, sa), r.schedule(b, sb), r.schedules(a), r.schedules(b), r.report(a), r.report(b)},
				write: func(ctx context.Context) error {
					return r.c.BulkDeleteReportSchedules(ctx, r.ws, []modeclient.ScheduleRef{{Report: a, Schedule: sa}, {Report: b, Schedule: sb}})
				},
			}
		}},
		{"CreateReportSubscription", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			return setup{
				reads: []cachedRead{r.subscriptions(rep), r.scheduleSubscriptions(rep, sch), r.schedule(rep, sch)},
				write: func(ctx context.Context) error {
					_, err := r.c.CreateReportSubscription(ctx, r.ws, rep, modeclient.SubscriptionCreate{Schedule: sch, EmailSubscribers: d.Members[:1]})
					return err
				},
			}
		}},
		{"UpdateReportSubscription", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			sub := newSubscription(t, ctx, plain, r.ws, rep, sch, d)
			emails := d.Members[:2]
			return setup{
				reads: []cachedRead{r.subscription(rep, sub), r.subscriptions(rep), r.scheduleSubscriptions(rep, sch), r.schedule(rep, sch)},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateReportSubscription(ctx, r.ws, rep, sub, modeclient.SubscriptionUpdate{EmailSubscribers: &emails})
					return err
				},
			}
		}},
		{"UpdateReportSubscription to another schedule", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			a, b := newSchedule(t, ctx, plain, r.ws, rep), newSchedule(t, ctx, plain, r.ws, rep)
			sub := newSubscription(t, ctx, plain, r.ws, rep, a, d)
			return setup{
				reads: []cachedRead{r.subscription(rep, sub), r.subscriptions(rep), r.scheduleSubscriptions(rep, a), r.scheduleSubscriptions(rep, b), r.schedule(rep, a), r.schedule(rep, b)},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateReportSubscription(ctx, r.ws, rep, sub, modeclient.SubscriptionUpdate{Schedule: &b})
					return err
				},
			}
		}},
		{"DeleteReportSubscription", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			sub := newSubscription(t, ctx, plain, r.ws, rep, sch, d)
			return setup{
				reads: []cachedRead{r.subscription(rep, sub), r.subscriptions(rep), r.scheduleSubscriptions(rep, sch), r.schedule(rep, sch)},
				write: func(ctx context.Context) error { return r.c.DeleteReportSubscription(ctx, r.ws, rep, sub) },
			}
		}},
		{"DeleteReportSchedule with subscriptions", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			sub := newSubscription(t, ctx, plain, r.ws, rep, sch, d)
			return setup{
				reads: []cachedRead{r.subscription(rep, sub), r.subscriptions(rep), r.scheduleSubscriptions(rep, sch)},
				write: func(ctx context.Context) error { return r.c.DeleteReportSchedule(ctx, r.ws, rep, sch) },
			}
		}},
		{"BulkDeleteReportSchedules with subscriptions", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[4]
			sch := newSchedule(t, ctx, plain, r.ws, rep)
			sub := newSubscription(t, ctx, plain, r.ws, rep, sch, d)
			return setup{
				reads: []cachedRead{r.subscription(rep, sub), r.subscriptions(rep), r.scheduleSubscriptions(rep, sch)},
				write: func(ctx context.Context) error {
					return r.c.BulkDeleteReportSchedules(ctx, r.ws, []modeclient.ScheduleRef{{Report: rep, Schedule: sch}})
				},
			}
		}},
		{"DeleteQuery", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.Reports[3] // "Sales Rep Leaderboard": two queries, the seeded filters on the first
			q := collect(t, plain.ListQueries(ctx, r.ws, rep, nil))[1].Token
			ch := collect(t, plain.ListQueryCharts(ctx, r.ws, rep, q, nil))[0].Token
			f := newReportFilter(t, ctx, plain, r.ws, rep, q, "region")
			return setup{
				reads: []cachedRead{r.query(rep, q), r.queries(rep), r.report(rep), r.charts(rep, q), r.chart(rep, q, ch),
					r.reportFilter(rep, f), r.reportFilters(rep)},
				write: func(ctx context.Context) error { return r.c.DeleteQuery(ctx, r.ws, rep, q) },
			}
		}},
		{"CreateDefinition", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			return setup{
				reads: []cachedRead{r.definitions()},
				write: func(ctx context.Context) error {
					_, err := r.c.CreateDefinition(ctx, r.ws, modeclient.DefinitionCreate{Name: "cache_test", Source: "SELECT 1 AS one", DataSourceID: 4001})
					return err
				},
			}
		}},
		{"UpdateDefinition", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			def, source := d.Definitions[0], "SELECT id, name FROM accounts"
			return setup{
				reads: []cachedRead{r.definition(def), r.definitions()},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateDefinition(ctx, r.ws, def, modeclient.DefinitionUpdate{Source: &source})
					return err
				},
			}
		}},
		{"DeleteDefinition", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			def := d.Definitions[2]
			return setup{
				reads: []cachedRead{r.definition(def), r.definitions()},
				write: func(ctx context.Context) error { return r.c.DeleteDefinition(ctx, r.ws, def) },
			}
		}},
		{"CreateReportFilter before the others", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) setup {
			rep := d.FilterReport
			q := collect(t, plain.ListQueries(ctx, r.ws, rep, nil))[0].Token
			return setup{
				reads: []cachedRead{r.reportFilters(rep), r.reportFilter(rep, d.Filters[0]), r.reportFilter(rep, d.Filters[1])},
				write: func(ctx context.Context) error {
					_, err := r.c.CreateReportFilter(ctx, r.ws, rep, modeclient.ReportFilterInput{
						Name: "Rep", Formula: "[sales_rep]", DataType: "string", FormulaType: "column",
						FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: q, NextFilter: &d.Filters[0],
					})
					return err
				},
			}
		}},
		{"UpdateReportFilter moving it", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep, last := d.FilterReport, ""
			name := "Sales region"
			return setup{
				reads: []cachedRead{r.reportFilter(rep, d.Filters[0]), r.reportFilter(rep, d.Filters[1]), r.reportFilters(rep)},
				write: func(ctx context.Context) error {
					_, err := r.c.UpdateReportFilter(ctx, r.ws, rep, d.Filters[0], modeclient.ReportFilterUpdate{Name: &name, NextFilter: &last})
					return err
				},
			}
		}},
		{"DeleteReportFilter", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) setup {
			rep := d.FilterReport
			return setup{
				reads: []cachedRead{r.reportFilter(rep, d.Filters[0]), r.reportFilter(rep, d.Filters[1]), r.reportFilters(rep)},
				write: func(ctx context.Context) error { return r.c.DeleteReportFilter(ctx, r.ws, rep, d.Filters[0]) },
			}
		}},
	}
	cases = append(cases, datasetInvalidationCases...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachTarget(t, injectsFaults, tc.emuOpts, func(t *testing.T, tg *target) {
				ctx := tg.ctx(t)
				ch := newTestCache(t, cache.Options{})
				r := cachedReads{c: tg.client(t, modeclient.WithCache(ch)), ws: tg.ws}
				d := tg.emu.Demo()
				s := tc.setup(t, ctx, r, tg.client(t), d)
				kept := r.dataSource(d.DataSource) // no write changes it
				tg.emu.ResetRequests()             // forget the setup's requests

				before := map[string]string{}
				for _, rd := range append(slices.Clone(s.reads), kept) {
					for range 2 {
						v, err := rd.view(ctx)
						if err != nil {
							t.Fatalf("%s before the write: %v", rd.name, err)
						}
						before[rd.name+rd.path+rd.filter] = v
					}
					if n := countGETs(tg.emu, rd.path, rd.filter); n != 1 {
						t.Fatalf("%s: %d requests for two reads before the write, want 1 (not cached?)", rd.name, n)
					}
				}
				tg.emu.ResetRequests()
				if err := s.write(ctx); err != nil {
					t.Fatalf("write: %v", err)
				}
				for _, rd := range s.reads {
					v, err := rd.view(ctx)
					if err != nil {
						t.Fatalf("%s after the write: %v", rd.name, err)
					}
					if n := countGETs(tg.emu, rd.path, rd.filter); n != 1 {
						t.Errorf("%s %s?filter=%s: %d requests after the write, want 1 (not invalidated)", rd.name, rd.path, rd.filter, n)
					}
					if v == before[rd.name+rd.path+rd.filter] {
						t.Errorf("%s still reads %q after the write", rd.name, v)
					}
				}
				if v, err := kept.view(ctx); err != nil || v != before[kept.name+kept.path] || countGETs(tg.emu, kept.path, "") != 0 {
					t.Errorf("an unrelated read was refetched or changed: %q, %v", v, err)
				}
			})
		})
	}
}

// TestContractCacheFailedWrites checks invalidation when a write fails: an answer that means
// Mode may have applied it (5xx, a connection lost after sending) invalidates like a success,
// one that means Mode refused it (4xx, 429) leaves the cache alone.
func TestContractCacheFailedWrites(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault       modetest.Fault
		invalidates bool
	}{
		{modetest.Fault{Status: http.StatusInternalServerError}, true},
		{modetest.Fault{Status: http.StatusBadGateway}, true},
		{modetest.Fault{Status: http.StatusServiceUnavailable}, true},
		{modetest.Fault{Status: http.StatusGatewayTimeout}, true},
		{modetest.Fault{Drop: true}, true},
		{modetest.Fault{Status: http.StatusBadRequest}, false},
		{modetest.Fault{Status: http.StatusForbidden}, false},
		{modetest.Fault{Status: http.StatusConflict}, false},
		{modetest.Fault{Status: http.StatusUnprocessableEntity}, false},
		{modetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"}, false},
	}
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})), modeclient.WithMaxAttempts(1))
		d := tg.emu.Demo()
		if len(cases) > len(d.Reports) {
			t.Fatalf("%d cases but %d reports to give each its own", len(cases), len(d.Reports))
		}
		for i, tc := range cases {
			name := fmt.Sprintf("status %d", tc.fault.Status)
			if tc.fault.Drop {
				name = "dropped"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel() // each case writes a report of its own
				rep := d.Reports[i]
				path := apiPath("reports", rep)
				for range 2 {
					must(c.GetReport(ctx, tg.ws, rep))(t)
				}
				f := tc.fault
				f.Method, f.Path, f.Times = http.MethodPatch, path, 1
				tg.emu.AddFault(f)
				desc := "never applied"
				if _, err := c.UpdateReport(ctx, tg.ws, rep, modeclient.ReportUpdate{Description: &desc}); err == nil {
					t.Fatal("the faulted write succeeded")
				}
				must(c.GetReport(ctx, tg.ws, rep))(t)
				want := 1
				if tc.invalidates {
					want = 2
				}
				if n := requestsTo(tg.emu, http.MethodGet, path); n != want {
					t.Errorf("%d GETs of the report, want %d (invalidated: %v)", n, want, tc.invalidates)
				}
			})
		}
	})
}

// TestContractCacheByteBound fills a small cache with many distinct reads from several
// goroutines: the accounted bytes never exceed MaxBytes, entries get evicted, and a response
// larger than MaxEntryBytes is served but never stored.
func TestContractCacheByteBound(t *testing.T) {
	t.Parallel()
	const maxBytes = 64 << 10
	forEachTarget(t, injectsFaults, []modetest.Option{modetest.WithExtraReports(60)}, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		ch := newTestCache(t, cache.Options{MaxBytes: maxBytes, MaxEntryBytes: 16 << 10})
		c := tg.client(t, modeclient.WithCache(ch))
		d := tg.emu.Demo()

		var reads []func() error
		for _, rep := range d.Reports {
			reads = append(reads, func() error { _, err := c.GetReport(ctx, tg.ws, rep); return err })
		}
		for per := 1; per <= 4; per++ {
			for page := 1; page <= 5; page++ {
				reads = append(reads, func() error {
					_, err := c.ListDataSourceReportsPage(ctx, tg.ws, d.DataSource, page, &modeclient.ListReportsOptions{ListOptions: modeclient.ListOptions{PerPage: per}})
					return err
				})
			}
		}
		work := make(chan func() error)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var maxSeen int64
		for range 4 {
			wg.Go(func() {
				for read := range work {
					if err := read(); err != nil {
						t.Errorf("read: %v", err)
					}
					st := ch.Stats()
					mu.Lock()
					maxSeen = max(maxSeen, st.Bytes)
					mu.Unlock()
				}
			})
		}
		for range 2 { // the second round hits what is left and refetches what was evicted
			for _, read := range reads {
				work <- read
			}
		}
		close(work)
		wg.Wait()
		st := ch.Stats()
		if maxSeen > maxBytes || st.Bytes > maxBytes || st.Bytes <= 0 {
			t.Errorf("accounted bytes reached %d (now %d), bound %d", maxSeen, st.Bytes, maxBytes)
		}
		if st.Evictions == 0 {
			t.Errorf("no evictions: the test did not fill the cache (%+v)", st)
		}
		if n := countGETs(tg.emu, apiPath("reports", d.Reports[0]), ""); n < 2 {
			t.Errorf("the first report was fetched %d times: it should have been evicted", n)
		}

		// A list page of 100 reports is larger than MaxEntryBytes: served, never stored.
		rejected := ch.Stats().Rejected
		for range 2 {
			p := must(c.ListDataSourceReportsPage(ctx, tg.ws, d.DataSource, 1, &modeclient.ListReportsOptions{ListOptions: modeclient.ListOptions{PerPage: 100}}))(t)
			if len(p.Items) != len(d.Reports)-1 {
				t.Errorf("big page has %d reports", len(p.Items))
			}
		}
		if got := ch.Stats().Rejected - rejected; got != 2 {
			t.Errorf("%d oversized responses rejected, want 2", got)
		}
		if st := ch.Stats(); st.Bytes > maxBytes {
			t.Errorf("accounted bytes %d exceed %d", st.Bytes, maxBytes)
		}
	})
}

// TestContractCacheCredentials shares one cache between clients of two users and one with a
// wrong secret: each user's reads go upstream on their own, the wrong credential always gets
// Mode's 401 and never the others' entries, and a write invalidates for everyone.
func TestContractCacheCredentials(t *testing.T) {
	t.Parallel()
	const (
		tokenA, secretA = "aaaaaaaaaaaa", "secret-of-user-a"
		tokenB, secretB = "bbbbbbbbbbbb", "secret-of-user-b"
	)
	opts := []modetest.Option{modetest.WithCredentials(tokenA, secretA), modetest.WithCredentials(tokenB, secretB), modetest.WithLatency(20 * time.Millisecond)}
	forEachTarget(t, injectsFaults, opts, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		ch := newTestCache(t, cache.Options{})
		newClient := func(cred modeclient.Credential) *modeclient.Client {
			c, err := modeclient.New(tg.baseURL, cred, modeclient.WithHTTPClient(tg.hc), modeclient.WithCache(ch), modeclient.WithMaxAttempts(1))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		a := newClient(modeclient.Credential{Token: tokenA, Secret: secretA})
		b := newClient(modeclient.Credential{Token: tokenB, Secret: secretB})
		wrong := newClient(modeclient.Credential{Token: tokenA, Secret: secretB})
		d := tg.emu.Demo()
		rep := d.Reports[0]
		path := apiPath("reports", rep)
		byUser := func() map[string]int {
			n := map[string]int{}
			for _, r := range tg.emu.Requests() {
				if r.Method == http.MethodGet && r.Path == path {
					n[basicUser(r)]++
				}
			}
			return n
		}

		for range 2 {
			for _, c := range []*modeclient.Client{a, b} {
				if r := must(c.GetReport(ctx, tg.ws, rep))(t); r.Token != rep {
					t.Fatalf("GetReport = %+v", r)
				}
			}
		}
		if n := byUser(); n[tokenA] != 1 || n[tokenB] != 1 {
			t.Fatalf("requests by user = %v, want one each", n)
		}
		for i := range 2 {
			r, err := wrong.GetReport(ctx, tg.ws, rep)
			ae := wantAPIError(t, err, http.StatusUnauthorized)
			if r != nil || ae.ID != "unauthorized" {
				t.Fatalf("wrong credential, read %d: %+v, %v", i+1, r, ae)
			}
		}
		if n := byUser(); n[tokenA] != 3 || n[tokenB] != 1 {
			t.Errorf("requests by user = %v: the wrong credential must ask Mode (and fail) every time", n)
		}

		// Concurrent cold reads by two users are not coalesced across credentials.
		other := d.Reports[1]
		var wg sync.WaitGroup
		for _, c := range []*modeclient.Client{a, b} {
			wg.Go(func() {
				if _, err := c.GetReport(ctx, tg.ws, other); err != nil {
					t.Errorf("GetReport: %v", err)
				}
			})
		}
		wg.Wait()
		users := map[string]bool{}
		for _, r := range tg.emu.Requests() {
			if r.Path == apiPath("reports", other) {
				users[basicUser(r)] = true
			}
		}
		if len(users) != 2 || !users[tokenA] || !users[tokenB] {
			t.Errorf("concurrent cold reads went upstream as %v, want once per user", users)
		}

		// A write by one user invalidates the entry for every credential.
		name := "Renamed by user A"
		must(a.UpdateReport(ctx, tg.ws, rep, modeclient.ReportUpdate{Name: &name}))(t)
		if r := must(b.GetReport(ctx, tg.ws, rep))(t); r.Name != name {
			t.Errorf("user B still reads %q after user A's write", r.Name)
		}
		if n := byUser(); n[tokenB] != 2 {
			t.Errorf("user B made %d requests, want 2", n[tokenB])
		}
	})
}

// TestContractCacheCoalescing sends 100 concurrent identical cold reads through one cached
// client while the emulator answers slowly: exactly one goes upstream, every caller gets the
// answer.
func TestContractCacheCoalescing(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, []modetest.Option{modetest.WithLatency(100 * time.Millisecond)}, func(t *testing.T, tg *target) {
		ch := newTestCache(t, cache.Options{})
		c := tg.client(t, modeclient.WithCache(ch))
		d := tg.emu.Demo()
		reads := []struct {
			name, path string
			read       func(ctx context.Context) (string, error)
		}{
			{"GetReport", apiPath("reports", d.Reports[0]), func(ctx context.Context) (string, error) {
				r, err := c.GetReport(ctx, tg.ws, d.Reports[0])
				if err != nil {
					return "", err
				}
				return r.Token, nil
			}},
			{"ListSpaceReportsPage", apiPath("spaces", d.Spaces[1], "reports"), func(ctx context.Context) (string, error) {
				p, err := c.ListSpaceReportsPage(ctx, tg.ws, d.Spaces[1], 1, nil)
				if err != nil {
					return "", err
				}
				return strings.Join(tokensOf(p.Items, reportToken), ","), nil
			}},
		}
		for _, rd := range reads {
			t.Run(rd.name, func(t *testing.T) {
				t.Parallel()
				ctx := tg.ctx(t)
				const callers = 100
				var (
					o       outcomes
					wg      sync.WaitGroup
					start   = make(chan struct{})
					results = make([]string, callers)
				)
				for i := range callers {
					wg.Go(func() {
						<-start
						v, err := rd.read(o.ctx(ctx))
						if err != nil {
							t.Errorf("caller %d: %v", i, err)
						}
						results[i] = v
					})
				}
				close(start)
				wg.Wait()
				if n := countGETs(tg.emu, rd.path, ""); n != 1 {
					t.Errorf("%d upstream requests for %d concurrent identical reads, want 1", n, callers)
				}
				for i, v := range results {
					if v == "" || v != results[0] {
						t.Fatalf("caller %d read %q, caller 0 %q", i, v, results[0])
					}
				}
				seen := map[string]int{}
				for _, s := range o.take() {
					seen[s]++
				}
				if seen["miss"] != 1 || seen["coalesced"]+seen["hit"] != callers-1 {
					t.Errorf("outcomes = %v, want 1 miss and %d coalesced or hits", seen, callers-1)
				}
			})
		}
	})
}

// TestContractCacheBypass checks that WithCacheBypass asks Mode even for a cached entry and
// refreshes it for later readers.
func TestContractCacheBypass(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		ch := newTestCache(t, cache.Options{})
		c := tg.client(t, modeclient.WithCache(ch))
		plain := tg.client(t) // writes through it do not invalidate the cache
		rep := tg.emu.Demo().Reports[0]
		path := apiPath("reports", rep)
		var o outcomes

		old := must(c.GetReport(o.ctx(ctx), tg.ws, rep))(t).Name
		name := "Changed behind the cache's back"
		must(plain.UpdateReport(ctx, tg.ws, rep, modeclient.ReportUpdate{Name: &name}))(t)
		// GETs of the report so far: c's first read, and the one plain's UpdateReport sends
		// first to check the report's workspace (plain has no cache).
		steps := []struct {
			bypass       bool
			wantName     string
			wantOutcome  string
			wantRequests int
		}{
			{false, old, "hit", 2},    // stale, as designed: nobody invalidated it
			{true, name, "bypass", 3}, // asks Mode
			{false, name, "hit", 3},   // the bypass refreshed the entry
			{true, name, "bypass", 4}, // every bypass asks
			{false, name, "hit", 4},
		}
		o.take()
		for i, s := range steps {
			sctx := o.ctx(ctx)
			if s.bypass {
				sctx = modeclient.WithCacheBypass(sctx)
			}
			r := must(c.GetReport(sctx, tg.ws, rep))(t)
			if got := o.take(); r.Name != s.wantName || !slices.Equal(got, []string{s.wantOutcome}) {
				t.Errorf("step %d: name %q outcome %v, want %q %s", i, r.Name, got, s.wantName, s.wantOutcome)
			}
			if n := requestsTo(tg.emu, http.MethodGet, path); n != s.wantRequests {
				t.Errorf("step %d: %d requests, want %d", i, n, s.wantRequests)
			}
		}
	})
}

// TestContractCacheRuns checks that runs in progress (and lists showing one) are never cached,
// while finished runs and query runs are.
func TestContractCacheRuns(t *testing.T) {
	t.Parallel()
	t.Run("in progress", func(t *testing.T) {
		t.Parallel()
		// Runs that take an hour stay in progress for the whole test (Close ends them).
		forEachTarget(t, injectsFaults, []modetest.Option{modetest.WithRunDuration(time.Hour)}, func(t *testing.T, tg *target) {
			ctx := tg.ctx(t)
			c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
			rep := tg.emu.Demo().Reports[0]
			run := must(c.RunReport(ctx, tg.ws, rep, nil))(t)
			if run.Finished() {
				t.Fatalf("run finished at once: %+v", run)
			}
			qr := collect(t, c.ListQueryRuns(ctx, tg.ws, rep, run.Token, nil))[0]
			tg.emu.ResetRequests()
			reads := []struct {
				path string
				read func() (string, error)
			}{
				{apiPath("reports", rep, "runs", run.Token), func() (string, error) {
					r, err := c.GetReportRun(ctx, tg.ws, rep, run.Token)
					return stateOf(r, err)
				}},
				{apiPath("reports", rep, "runs"), func() (string, error) {
					p, err := c.ListReportRunsPage(ctx, tg.ws, rep, 1, nil)
					if err != nil {
						return "", err
					}
					return p.Items[0].State, nil
				}},
				{apiPath("reports", rep, "runs", run.Token, "query_runs", qr.Token), func() (string, error) {
					q, err := c.GetQueryRun(ctx, tg.ws, rep, run.Token, qr.Token)
					if err != nil {
						return "", err
					}
					return q.State, nil
				}},
				{apiPath("reports", rep, "runs", run.Token, "query_runs"), func() (string, error) {
					p, err := c.ListQueryRunsPage(ctx, tg.ws, rep, run.Token, 1, nil)
					if err != nil {
						return "", err
					}
					return p.Items[0].State, nil
				}},
			}
			for _, rd := range reads {
				for range 3 {
					state, err := rd.read()
					if err != nil || state == "succeeded" || state == "failed" {
						t.Fatalf("%s: state %q, %v; want a run in progress", rd.path, state, err)
					}
				}
				if n := countGETs(tg.emu, rd.path, ""); n != 3 {
					t.Errorf("%s: %d requests for three reads of a run in progress, want 3", rd.path, n)
				}
			}
		})
	})
	t.Run("finished", func(t *testing.T) {
		t.Parallel()
		forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
			ctx := tg.ctx(t)
			c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
			rep := tg.emu.Demo().Reports[scratchpadIndex] // its one query is cheap to run
			run := must(c.RunReport(ctx, tg.ws, rep, nil))(t)
			done := waitRun(t, ctx, c, tg.ws, rep, run.Token) // polls through the cache: in progress is never served stale
			if done.State != "succeeded" {
				t.Fatalf("run = %+v", done)
			}
			runPath := apiPath("reports", rep, "runs", run.Token)
			tg.emu.ResetRequests()
			for range 3 {
				if r := must(c.GetReportRun(ctx, tg.ws, rep, run.Token))(t); r.State != "succeeded" {
					t.Fatalf("cached run = %+v", r)
				}
				qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, rep, run.Token, nil))
				if len(qrs) != 1 {
					t.Fatalf("%d query runs", len(qrs))
				}
				for _, qr := range qrs {
					must(c.GetQueryRun(ctx, tg.ws, rep, run.Token, qr.Token))(t)
				}
				must(c.ListReportRunsPage(ctx, tg.ws, rep, 1, nil))(t)
			}
			if n := requestsTo(tg.emu, http.MethodGet, runPath); n != 0 {
				t.Errorf("the finished run was fetched %d more times, want 0 (the last poll stored it)", n)
			}
			counts := map[string]int{}
			for _, r := range tg.emu.Requests() {
				counts[r.Path]++
			}
			for p, n := range counts {
				if n != 1 {
					t.Errorf("%s fetched %d times in three rounds, want once", p, n)
				}
			}
			if len(counts) != 3 { // the query run list, the query run, the run list
				t.Errorf("requests after the run finished: %v", counts)
			}
		})
	})
}

// stateOf returns a run's state.
func stateOf(r *modeclient.ReportRun, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return r.State, nil
}
