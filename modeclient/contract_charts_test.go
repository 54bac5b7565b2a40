package modeclient_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

func chartToken(c modeclient.Chart) string { return c.Token }

// TestContractChartsRead lists a query's charts and reads the first: on the emulator, the
// charts seeded on the queries of "Sales Rep Leaderboard", with their types, titles and the
// columns they plot.
func TestContractChartsRead(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		fx := tg.fixtures(t)
		rep, query := fx.Report, fx.Query
		if tg.emu != nil {
			rep = tg.emu.Demo().Reports[3] // Sales Rep Leaderboard
			qs := collect(t, c.ListQueries(ctx, tg.ws, rep, nil))
			for i, want := range []struct {
				typ, title string
				columns    []string
			}{
				{"bar", "Revenue by sales rep", []string{"sales_rep", "revenue_usd", "region"}},
				{"pie", "Sales reps per region", []string{"region", "sales_reps"}},
			} {
				charts := collect(t, c.ListQueryCharts(ctx, tg.ws, rep, qs[i].Token, nil))
				if len(charts) != 1 {
					t.Fatalf("query %s has %d charts, want 1", qs[i].Name, len(charts))
				}
				ch := charts[0]
				if ch.Type() != want.typ || ch.Title() != want.title || !slices.Equal(ch.Columns(), want.columns) ||
					ch.View.Settings[want.typ] == nil || ch.ViewVersion == 0 || ch.CreatedAt.IsZero() ||
					ch.Links.Href("self") != apiPath("reports", rep, "queries", qs[i].Token, "charts", ch.Token) {
					t.Errorf("chart of %s: type %q, title %q, columns %v; %+v", qs[i].Name, ch.Type(), ch.Title(), ch.Columns(), ch)
				}
			}
			if r := must(c.GetReport(ctx, tg.ws, rep))(t); r.ChartCount != 2 {
				t.Errorf("chart_count = %d, want 2", r.ChartCount)
			}
			query = qs[0].Token
		}
		need(t, "query", query)
		charts := collect(t, c.ListQueryCharts(ctx, tg.ws, rep, query, &modeclient.ListOptions{PerPage: 1}))
		assertUnique(t, "charts", tokensOf(charts, chartToken))
		if len(charts) == 0 {
			t.Skip("the query has no chart to read")
		}
		got := must(c.GetChart(ctx, tg.ws, rep, query, charts[0].Token))(t)
		if got.Token != charts[0].Token || got.Type() != charts[0].Type() || got.Title() != charts[0].Title() {
			t.Errorf("GetChart = %+v, listed %+v", got, charts[0])
		}
	})
}

// TestContractChartsFollowTheirQuery: a query's charts are cached (a second read costs no
// request); UpdateQuery makes them read again; DeleteQuery takes them along, cached or not;
// a query created through the API has none.
func TestContractChartsFollowTheirQuery(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		rep := tg.emu.Demo().Reports[8] // Executive Summary: three queries
		q := collect(t, c.ListQueries(ctx, tg.ws, rep, nil))[2].Token
		listPath := apiPath("reports", rep, "queries", q, "charts")
		var chart string
		read := func() {
			t.Helper()
			p := must(c.ListQueryChartsPage(ctx, tg.ws, rep, q, 1, nil))(t)
			if len(p.Items) != 1 {
				t.Fatalf("%d charts", len(p.Items))
			}
			chart = p.Items[0].Token
			must(c.GetChart(ctx, tg.ws, rep, q, chart))(t)
		}
		reads := func() (int, int) {
			return requestsTo(tg.emu, http.MethodGet, listPath), requestsTo(tg.emu, http.MethodGet, listPath+"/"+chart)
		}
		tg.emu.ResetRequests()
		read()
		read()
		if l, g := reads(); l != 1 || g != 1 {
			t.Fatalf("two reads sent %d list and %d chart requests, want 1 and 1 (cached)", l, g)
		}
		// Updating an unrelated query leaves them cached; updating theirs does not.
		other := collect(t, c.ListQueries(ctx, tg.ws, rep, nil))[0].Token
		name := "Renamed"
		must(c.UpdateQuery(ctx, tg.ws, rep, other, modeclient.QueryUpdate{Name: &name}))(t)
		read()
		if l, g := reads(); l != 1 || g != 1 {
			t.Errorf("after another query's update: %d list and %d chart requests, want 1 and 1", l, g)
		}
		must(c.UpdateQuery(ctx, tg.ws, rep, q, modeclient.QueryUpdate{Name: &name}))(t)
		read()
		if l, g := reads(); l != 2 || g != 2 {
			t.Errorf("after their query's update: %d list and %d chart requests, want 2 and 2 (invalidated)", l, g)
		}

		if n := must(c.GetReport(ctx, tg.ws, rep))(t).ChartCount; n != 3 {
			t.Fatalf("chart_count = %d, want 3", n)
		}
		nq := must(c.CreateQuery(ctx, tg.ws, rep, modeclient.QueryCreate{RawQuery: "SELECT 1 AS one", DataSourceID: 4001}))(t)
		if cs := collect(t, c.ListQueryCharts(ctx, tg.ws, rep, nq.Token, nil)); len(cs) != 0 {
			t.Errorf("a query created through the API has %d charts", len(cs))
		}
		if r := must(c.GetReport(ctx, tg.ws, rep))(t); r.ChartCount != 3 || r.QueryCount != 4 {
			t.Errorf("after CreateQuery: chart_count %d, query_count %d; want 3, 4", r.ChartCount, r.QueryCount)
		}

		if err := c.DeleteQuery(ctx, tg.ws, rep, q); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetChart(ctx, tg.ws, rep, q, chart)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.ListQueryChartsPage(ctx, tg.ws, rep, q, 1, nil)
		wantAPIError(t, err, http.StatusNotFound)
		if n := must(c.GetReport(ctx, tg.ws, rep))(t).ChartCount; n != 2 {
			t.Errorf("chart_count = %d after DeleteQuery, want 2", n)
		}
	})
}

// TestContractChartInvalidArguments: identifiers that are not Mode's are refused before any
// request is sent.
func TestContractChartInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		rep := tg.emu.Demo().Reports[0]
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name, field string
			call        func(ctx context.Context) error
		}{
			{"list bad workspace", "workspace", func(ctx context.Context) error {
				_, err := c.ListQueryChartsPage(ctx, "a b", rep, "abc", 1, nil)
				return err
			}},
			{"list bad report", "report", func(ctx context.Context) error {
				_, err := c.ListQueryChartsPage(ctx, tg.ws, "..", "abc", 1, nil)
				return err
			}},
			{"list bad query", "query", func(ctx context.Context) error {
				_, err := c.ListQueryChartsPage(ctx, tg.ws, rep, "a/b", 1, nil)
				return err
			}},
			{"list bad per_page", "per_page", func(ctx context.Context) error {
				_, err := c.ListQueryChartsPage(ctx, tg.ws, rep, "abc", 1, &modeclient.ListOptions{PerPage: modeclient.MaxPerPage + 1})
				return err
			}},
			{"get bad query", "query", func(ctx context.Context) error {
				_, err := c.GetChart(ctx, tg.ws, rep, "", "abc")
				return err
			}},
			{"get bad chart", "chart", func(ctx context.Context) error {
				_, err := c.GetChart(ctx, tg.ws, rep, "abc", "a?b")
				return err
			}},
		} {
			err := tc.call(ctx)
			var ia *modeclient.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("%s: err = %v, want InvalidArgumentError{%s}", tc.name, err, tc.field)
			}
		}
		if reqs := tg.emu.Requests(); len(reqs) != 0 {
			t.Errorf("%d requests were sent for invalid arguments: %+v", len(reqs), reqs)
		}
	})
}
