package modeclient_test

// Objects of another workspace: against an emulator that resolves tokens whatever workspace the
// URL names (modetest.WithCrossWorkspaceTokens), every call about one workspace that Mode answers
// with another workspace's object must fail as not found, leave nothing in the cache, and leave
// the right workspace's calls working.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// wantWrongWorkspace fails t unless err is the not-found a wrong workspace's object gives.
func wantWrongWorkspace(t *testing.T, err error) {
	t.Helper()
	var ww *modeclient.WrongWorkspaceError
	var api *modeclient.APIError
	if !errors.As(err, &ww) || !errors.As(err, &api) || api.StatusCode != http.StatusNotFound {
		t.Fatalf("err = %v, want a *WrongWorkspaceError that is a 404 *APIError", err)
	}
}

func TestObjectsOfAnotherWorkspaceAreNotFound(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	emu := modetest.NewServer(t, modetest.WithRateLimit(0, 0), modetest.WithRunDuration(2*time.Millisecond), modetest.WithCrossWorkspaceTokens())
	cred := modeclient.Credential{Token: emu.Token, Secret: emu.Secret}
	ch := newTestCache(t, cache.Options{})
	c, err := modeclient.New(emu.URL, cred, modeclient.WithHTTPClient(emu.Client()), modeclient.WithCache(ch))
	if err != nil {
		t.Fatal(err)
	}
	d := emu.Demo()
	sd := d.Second
	home, other := modetest.DemoWorkspace, modetest.SecondWorkspace

	// A finished run of the second workspace's report, through its own paths.
	run := must(c.RunReport(ctx, other, sd.Report, nil))(t)
	if run, err = pollRun(ctx, c, other, sd.Report, run.Token); err != nil || run.State != "succeeded" {
		t.Fatalf("run: %+v, %v", run, err)
	}
	qrs := collect(t, c.ListQueryRuns(ctx, other, sd.Report, run.Token, nil))
	query := collect(t, c.ListQueries(ctx, other, sd.Report, nil))[0].Token
	chart := collect(t, c.ListQueryCharts(ctx, other, sd.Report, query, nil))[0].Token
	filter := must(c.CreateReportFilter(ctx, other, sd.Report, modeclient.ReportFilterInput{
		Name: "Region", Formula: "[region]", DataType: "string", FormulaType: "column",
		FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: query,
	}))(t).Token

	reads := []struct {
		name string
		path string // of the request, under the workspace asked for
		read func() error
	}{
		{"GetReport", "/api/" + home + "/reports/" + sd.Report, func() error { _, err := c.GetReport(ctx, home, sd.Report); return err }},
		{"GetSpace", "/api/" + home + "/spaces/" + sd.Space, func() error { _, err := c.GetSpace(ctx, home, sd.Space); return err }},
		{"GetDataSource", "/api/" + home + "/data_sources/" + sd.DataSource, func() error {
			_, err := c.GetDataSource(ctx, home, sd.DataSource)
			return err
		}},
		{"GetGroup", "/api/" + home + "/groups/" + sd.Group, func() error { _, err := c.GetGroup(ctx, home, sd.Group); return err }},
		{"GetMembership", "/api/" + home + "/memberships/" + sd.Membership, func() error {
			_, err := c.GetMembership(ctx, home, sd.Membership)
			return err
		}},
		{"GetQuery", "/api/" + home + "/reports/" + sd.Report + "/queries/" + query, func() error {
			_, err := c.GetQuery(ctx, home, sd.Report, query)
			return err
		}},
		{"GetReportRun", "/api/" + home + "/reports/" + sd.Report + "/runs/" + run.Token, func() error {
			_, err := c.GetReportRun(ctx, home, sd.Report, run.Token)
			return err
		}},
		{"GetQueryRun", "/api/" + home + "/reports/" + sd.Report + "/runs/" + run.Token + "/query_runs/" + qrs[0].Token, func() error {
			_, err := c.GetQueryRun(ctx, home, sd.Report, run.Token, qrs[0].Token)
			return err
		}},
		{"ListSpaceReportsPage", "/api/" + home + "/spaces/" + sd.Space + "/reports", func() error {
			_, err := c.ListSpaceReportsPage(ctx, home, sd.Space, 1, nil)
			return err
		}},
		{"ListDataSourceReportsPage", "/api/" + home + "/data_sources/" + sd.DataSource + "/reports", func() error {
			_, err := c.ListDataSourceReportsPage(ctx, home, sd.DataSource, 1, nil)
			return err
		}},
		{"ListQueriesPage", "/api/" + home + "/reports/" + sd.Report + "/queries", func() error {
			_, err := c.ListQueriesPage(ctx, home, sd.Report, 1, nil)
			return err
		}},
		{"ListReportRunsPage", "/api/" + home + "/reports/" + sd.Report + "/runs", func() error {
			_, err := c.ListReportRunsPage(ctx, home, sd.Report, 1, nil)
			return err
		}},
		{"ListQueryRunsPage", "/api/" + home + "/reports/" + sd.Report + "/runs/" + run.Token + "/query_runs", func() error {
			_, err := c.ListQueryRunsPage(ctx, home, sd.Report, run.Token, 1, nil)
			return err
		}},
		{"GetDefinition", "/api/" + home + "/definitions/" + sd.Definition, func() error {
			_, err := c.GetDefinition(ctx, home, sd.Definition)
			return err
		}},
		{"GetReportFilter", "/api/" + home + "/reports/" + sd.Report + "/filters/" + filter, func() error {
			_, err := c.GetReportFilter(ctx, home, sd.Report, filter)
			return err
		}},
		{"ListReportFiltersPage", "/api/" + home + "/reports/" + sd.Report + "/filters", func() error {
			_, err := c.ListReportFiltersPage(ctx, home, sd.Report, 1, nil)
			return err
		}},
		{"GetChart", "/api/" + home + "/reports/" + sd.Report + "/queries/" + query + "/charts/" + chart, func() error {
			_, err := c.GetChart(ctx, home, sd.Report, query, chart)
			return err
		}},
		{"ListQueryChartsPage", "/api/" + home + "/reports/" + sd.Report + "/queries/" + query + "/charts", func() error {
			_, err := c.ListQueryChartsPage(ctx, home, sd.Report, query, 1, nil)
			return err
		}},
		{"ListSpaceReports iterator", "/api/" + home + "/spaces/" + sd.Space + "/reports", func() error {
			for _, err := range c.ListSpaceReports(ctx, home, sd.Space, nil) {
				if err != nil {
					return err
				}
				t.Errorf("ListSpaceReports yielded an item of another workspace")
			}
			return nil
		}},
		{"demo report asked under the second workspace", "/api/" + other + "/reports/" + d.Reports[0], func() error {
			_, err := c.GetReport(ctx, other, d.Reports[0])
			return err
		}},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			before := countGETs(emu, tt.path, "")
			wantWrongWorkspace(t, tt.read())
			// Nothing was cached: asking again asks Mode again, and fails the same way.
			wantWrongWorkspace(t, tt.read())
			if n := countGETs(emu, tt.path, "") - before; n < 2 {
				t.Errorf("GETs of %s = %d, want 2: the first answer was served from the cache", tt.path, n)
			}
		})
	}

	// The right workspace's calls still work, and are cached. (The report was read before, to
	// check its workspace before RunReport, and RunReport invalidated it.)
	paths := []string{"/api/" + other + "/reports/" + sd.Report, "/api/" + other + "/spaces/" + sd.Space + "/reports"}
	before := make([]int, len(paths))
	for i, path := range paths {
		before[i] = countGETs(emu, path, "")
	}
	for range 2 {
		r, err := c.GetReport(ctx, other, sd.Report)
		if err != nil || r.AccountUsername != other {
			t.Fatalf("GetReport of the right workspace: %+v, %v", r, err)
		}
		p, err := c.ListSpaceReportsPage(ctx, other, sd.Space, 1, nil)
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("ListSpaceReportsPage of the right workspace: %+v, %v", p, err)
		}
	}
	for i, path := range paths {
		if n := countGETs(emu, path, "") - before[i]; n != 1 {
			t.Errorf("GETs of %s = %d, want 1 (the second from the cache)", path, n)
		}
	}
	// And the demo workspace's own objects too.
	if r, err := c.GetReport(ctx, home, d.Reports[0]); err != nil || r.AccountUsername != home {
		t.Errorf("GetReport of the demo workspace: %+v, %v", r, err)
	}
}

// TestWritesToObjectsOfAnotherWorkspaceAreNotSent: a Mode that resolves tokens whatever workspace
// the URL names would apply a write addressed to one workspace to another workspace's object
// before answering, so checking its answer comes too late (and DeleteReport's answer is empty).
// Every token-addressed write must be refused as not found before it is sent: Mode receives no
// write, and the other workspace's objects are left as they were. A write to the right
// workspace's object still works, at no request more when the object is cached and at one GET
// more when it is not.
func TestWritesToObjectsOfAnotherWorkspaceAreNotSent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	emu := modetest.NewServer(t, modetest.WithRateLimit(0, 0), modetest.WithRunDuration(2*time.Millisecond), modetest.WithCrossWorkspaceTokens())
	cred := modeclient.Credential{Token: emu.Token, Secret: emu.Secret}
	c, err := modeclient.New(emu.URL, cred, modeclient.WithHTTPClient(emu.Client()), modeclient.WithCache(newTestCache(t, cache.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := modeclient.New(emu.URL, cred, modeclient.WithHTTPClient(emu.Client())) // reads the state, uncached
	if err != nil {
		t.Fatal(err)
	}
	d := emu.Demo()
	sd := d.Second
	home, other := modetest.DemoWorkspace, modetest.SecondWorkspace

	// A finished run and a query of the second workspace's report, through its own paths.
	run := must(c.RunReport(ctx, other, sd.Report, nil))(t)
	if run, err = pollRun(ctx, c, other, sd.Report, run.Token); err != nil || run.State != "succeeded" {
		t.Fatalf("run: %+v, %v", run, err)
	}
	query := collect(t, c.ListQueries(ctx, other, sd.Report, nil))[0].Token
	ds := must(c.GetDataSource(ctx, other, sd.DataSource))(t)
	filter := must(c.CreateReportFilter(ctx, other, sd.Report, modeclient.ReportFilterInput{
		Name: "Region", Formula: "[region]", DataType: "string", FormulaType: "column",
		FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: query,
	}))(t).Token

	// state describes the second workspace's objects (and where the demo report lives).
	state := func() string {
		t.Helper()
		r := must(plain.GetReport(ctx, other, sd.Report))(t)
		sp := must(plain.GetSpace(ctx, other, sd.Space))(t)
		q := must(plain.GetQuery(ctx, other, sd.Report, query))(t)
		queries := collect(t, plain.ListQueries(ctx, other, sd.Report, nil))
		runs := collect(t, plain.ListReportRuns(ctx, other, sd.Report, nil))
		mine := must(plain.GetReport(ctx, home, d.Reports[0]))(t)
		def := must(plain.GetDefinition(ctx, other, sd.Definition))(t)
		var filters []string
		for _, f := range collect(t, plain.ListReportFilters(ctx, other, sd.Report, nil)) {
			filters = append(filters, f.Name+" "+f.Formula+" "+f.QueryToken())
		}
		members := len(collect(t, plain.ListMemberships(ctx, other, nil)))
		return fmt.Sprintf("report %q %q archived=%v in %s; space %q %q; query %q %q; %d queries; %d runs; demo report in %s; definition %q %q; filters %q; %d members",
			r.Name, r.Description, bool(r.Archived), r.SpaceToken, sp.Name, sp.Description, q.Name, q.RawQuery,
			len(queries), len(runs), mine.SpaceToken, def.Name, def.Source, filters, members)
	}
	// sentSince returns the requests Mode received after the first n, as "METHOD path".
	sentSince := func(n int) []string {
		var out []string
		for _, r := range emu.Requests()[n:] {
			out = append(out, r.Method+" "+r.Path)
		}
		return out
	}
	onlyGETs := func(reqs []string) bool {
		for _, r := range reqs {
			if !strings.HasPrefix(r, http.MethodGet+" ") {
				return false
			}
		}
		return true
	}
	before := state()

	x := "changed"
	writes := []struct {
		name  string
		write func() error
	}{
		{"UpdateReport", func() error {
			_, err := c.UpdateReport(ctx, home, sd.Report, modeclient.ReportUpdate{Name: &x, Description: &x})
			return err
		}},
		{"UpdateReport moving a report into another workspace's space", func() error {
			_, err := c.UpdateReport(ctx, home, d.Reports[0], modeclient.ReportUpdate{SpaceToken: &sd.Space})
			return err
		}},
		{"ArchiveReport", func() error { _, err := c.ArchiveReport(ctx, home, sd.Report); return err }},
		{"UnarchiveReport", func() error { _, err := c.UnarchiveReport(ctx, home, sd.Report); return err }},
		{"RunReport", func() error { _, err := c.RunReport(ctx, home, sd.Report, nil); return err }},
		{"CloneReportRun", func() error { _, err := c.CloneReportRun(ctx, home, sd.Report, run.Token); return err }},
		{"CreateQuery", func() error {
			_, err := c.CreateQuery(ctx, home, sd.Report, modeclient.QueryCreate{RawQuery: "SELECT 1", DataSourceID: int64(ds.ID)})
			return err
		}},
		{"UpdateQuery", func() error {
			_, err := c.UpdateQuery(ctx, home, sd.Report, query, modeclient.QueryUpdate{Name: &x, RawQuery: &x})
			return err
		}},
		{"DeleteQuery", func() error { return c.DeleteQuery(ctx, home, sd.Report, query) }},
		{"UpdateSpace", func() error {
			_, err := c.UpdateSpace(ctx, home, sd.Space, modeclient.SpaceUpdate{Name: &x, Description: &x})
			return err
		}},
		{"UpdateSpace bypassing the cache", func() error {
			_, err := c.UpdateSpace(modeclient.WithCacheBypass(ctx), home, sd.Space, modeclient.SpaceUpdate{Name: &x})
			return err
		}},
		{"UpdateDefinition", func() error {
			_, err := c.UpdateDefinition(ctx, home, sd.Definition, modeclient.DefinitionUpdate{Name: &x, Source: &x})
			return err
		}},
		{"DeleteDefinition", func() error { return c.DeleteDefinition(ctx, home, sd.Definition) }},
		{"DeleteMembership", func() error { _, err := c.DeleteMembership(ctx, home, sd.Membership); return err }},
		{"CreateReportFilter", func() error {
			_, err := c.CreateReportFilter(ctx, home, sd.Report, modeclient.ReportFilterInput{
				Name: x, Formula: "[sales_reps]", DataType: "number", FormulaType: "column",
				FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: query,
			})
			return err
		}},
		{"UpdateReportFilter", func() error {
			_, err := c.UpdateReportFilter(ctx, home, sd.Report, filter, modeclient.ReportFilterUpdate{Name: &x})
			return err
		}},
		{"DeleteReportFilter", func() error { return c.DeleteReportFilter(ctx, home, sd.Report, filter) }},
		// Mode answers a deletion of a report with an empty body: nothing to check afterwards.
		{"DeleteReport", func() error { return c.DeleteReport(ctx, home, sd.Report) }},
		{"DeleteSpace", func() error { return c.DeleteSpace(ctx, home, sd.Space) }},
	}
	for _, tt := range writes {
		t.Run(tt.name, func(t *testing.T) {
			n := len(emu.Requests())
			wantWrongWorkspace(t, tt.write())
			if sent := sentSince(n); !onlyGETs(sent) {
				t.Errorf("Mode received %v, want only the GET that checks the workspace", sent)
			}
		})
	}
	if after := state(); after != before {
		t.Errorf("the second workspace changed:\n got %s\nwant %s", after, before)
	}

	// The right workspace's writes still work. With the report cached, a write costs no
	// request more than itself, even on a context that bypasses the cache (the workspace an
	// object belongs to never changes); a write invalidates the report, so a write that
	// follows reads it first: one GET more.
	reportPath := "/api/" + other + "/reports/" + sd.Report
	legit := []struct {
		name   string
		cached bool // the report is read (and cached) first
		write  func() error
		want   []string
	}{
		{"UpdateReport of a cached report", true, func() error {
			_, err := c.UpdateReport(ctx, other, sd.Report, modeclient.ReportUpdate{Description: &x})
			return err
		}, []string{"PATCH " + reportPath}},
		{"UpdateReport of a cached report, bypassing the cache", true, func() error {
			_, err := c.UpdateReport(modeclient.WithCacheBypass(ctx), other, sd.Report, modeclient.ReportUpdate{Name: &x})
			return err
		}, []string{"PATCH " + reportPath}},
		{"ArchiveReport of a cached report", true, func() error { _, err := c.ArchiveReport(ctx, other, sd.Report); return err },
			[]string{"PATCH " + reportPath + "/archive"}},
		{"DeleteReport of a report no longer cached", false, func() error { return c.DeleteReport(ctx, other, sd.Report) },
			[]string{"GET " + reportPath, "DELETE " + reportPath}},
	}
	for _, tt := range legit {
		if tt.cached {
			must(c.GetReport(ctx, other, sd.Report))(t)
		}
		n := len(emu.Requests())
		if err := tt.write(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if sent := sentSince(n); !slices.Equal(sent, tt.want) {
			t.Errorf("%s: Mode received %v, want %v", tt.name, sent, tt.want)
		}
	}
	var api *modeclient.APIError
	if _, err := plain.GetReport(ctx, other, sd.Report); !errors.As(err, &api) || api.StatusCode != http.StatusNotFound {
		t.Errorf("GetReport after DeleteReport: %v, want 404", err)
	}
}
