package modetest

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

// chartColumns returns the columns a chart's view_vegas encoding plots, and checks that its view
// names the same type.
func chartColumns(t *testing.T, c object) []string {
	t.Helper()
	view, vegas := c["view"].(object), c["view_vegas"].(object)
	typ, _ := view["selectedChart"].(string)
	if !slices.Contains(chartTypes, typ) || view["chartTitle"] != vegas["title"] || view[typ] == nil {
		t.Errorf("chart %v: view %v", c["token"], view)
	}
	if want := map[string]string{chartBigNumber: "bigValue"}[typ]; want != "" && vegas["chartType"] != want || want == "" && vegas["chartType"] != typ {
		t.Errorf("chart %v: view is a %s, view_vegas a %v", c["token"], typ, vegas["chartType"])
	}
	var cols []string
	for _, ch := range vegas["encoding"].(object) {
		switch ch := ch.(type) {
		case object:
			cols = append(cols, ch["field"].(string))
		case []any:
			for _, it := range ch {
				cols = append(cols, it.(object)["field"].(string))
			}
		}
	}
	if len(cols) == 0 {
		t.Errorf("chart %v plots no column: %v", c["token"], vegas)
	}
	return cols
}

// TestSeededCharts: every query of the dozen demo reports has one chart, which plots columns
// the query answers; a report's chart_count counts them.
func TestSeededCharts(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	types := map[string]bool{}
	for i, rep := range d.Reports {
		report := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK)
		queries := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "queries"), nil, http.StatusOK), "queries")
		if report["chart_count"] != float64(len(queries)) {
			t.Errorf("report %d: chart_count %v, %d queries", i, report["chart_count"], len(queries))
		}
		for _, q := range queries {
			list := linkHref(q, "charts")
			if list != wsPath("reports", rep, "queries", q["token"].(string), "charts") {
				t.Errorf("query %v: charts link %q", q["name"], list)
			}
			charts := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "charts")
			if len(charts) != 1 {
				t.Fatalf("query %v has %d charts, want 1", q["name"], len(charts))
			}
			c := charts[0]
			if !tokenRE.MatchString(c["token"].(string)) || linkHref(c, "self") != list+"/"+c["token"].(string) || c["view_version"] == nil {
				t.Errorf("chart = %v", c)
			}
			types[c["view"].(object)["selectedChart"].(string)] = true
			cols := chartColumns(t, c)
			if rep == d.FailingReport {
				continue // its SQL reads a table that is not there
			}
			sql, _ := renderSQL(q["raw_query"].(string), nil)
			answers, err := s.columnsOf(context.Background(), sql)
			if err != nil {
				t.Fatal(err)
			}
			for _, col := range cols {
				if !slices.Contains(answers, col) {
					t.Errorf("chart %v of query %v plots %s, which the query does not answer (%v)", c["view"].(object)["chartTitle"], q["name"], col, answers)
				}
			}
		}
	}
	if len(types) < 6 {
		t.Errorf("the seeded charts are of %d types, want most of %v", len(types), chartTypes)
	}
}

func TestChartsFollowTheirQuery(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[8] // Executive Summary: three queries
	queries := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "queries"), nil, http.StatusOK), "queries")
	q := queries[1]["token"].(string)
	list := wsPath("reports", rep, "queries", q, "charts")
	charts := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "charts")
	path := list + "/" + charts[0]["token"].(string)
	got := mustJSON(t, s, "GET", path, nil, http.StatusOK)
	if jsonText(t, got) != jsonText(t, charts[0]) {
		t.Errorf("GET %s = %v, the list shows %v", path, got, charts[0])
	}
	if linkHref(got, "creator") != api("ana_analyst") || linkHref(got, "preview") == "" || linkHref(got, "report_run_viz_web") == "" {
		t.Errorf("chart links = %v", got["_links"])
	}
	for _, p := range []string{
		list + "/nosuchchart",
		wsPath("reports", rep, "queries", "nosuchquery", "charts"),
		wsPath("reports", rep, "queries", "nosuchquery", "charts", charts[0]["token"].(string)),
		wsPath("reports", rep, "queries", queries[0]["token"].(string), "charts", charts[0]["token"].(string)), // another query's
		wsPath("reports", "nosuchreport", "queries", q, "charts"),
	} {
		mustJSON(t, s, "GET", p, nil, http.StatusNotFound)
	}
	// Read-only: no route writes a chart.
	if resp, _ := call(t, s, "POST", list, object{}); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d, want 405", list, resp.StatusCode)
	}

	// A query created through the API has no chart, and adds none to the report.
	nq := mustJSON(t, s, "POST", wsPath("reports", rep, "queries"), object{"query": object{"raw_query": "SELECT 1 AS one"}}, http.StatusOK)
	if n := len(embedded(t, mustJSON(t, s, "GET", linkHref(nq, "charts"), nil, http.StatusOK), "charts")); n != 0 {
		t.Errorf("a new query has %d charts", n)
	}
	if r := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK); r["chart_count"] != 3.0 || r["query_count"] != 4.0 {
		t.Errorf("chart_count %v, query_count %v; want 3, 4", r["chart_count"], r["query_count"])
	}
	// Deleting a query deletes its charts.
	mustJSON(t, s, "DELETE", wsPath("reports", rep, "queries", q), nil, http.StatusOK)
	mustJSON(t, s, "GET", path, nil, http.StatusNotFound)
	mustJSON(t, s, "GET", list, nil, http.StatusNotFound)
	if r := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK); r["chart_count"] != 2.0 {
		t.Errorf("chart_count %v after a query was deleted, want 2", r["chart_count"])
	}
	// The second workspace's query has its chart, under its own workspace only.
	sq := firstToken(t, s, api(SecondWorkspace, "reports", d.Second.Report, "queries"), "queries")
	if n := len(embedded(t, mustJSON(t, s, "GET", api(SecondWorkspace, "reports", d.Second.Report, "queries", sq, "charts"), nil, http.StatusOK), "charts")); n != 1 {
		t.Errorf("the second workspace's query has %d charts", n)
	}
	mustJSON(t, s, "GET", wsPath("reports", d.Second.Report, "queries", sq, "charts"), nil, http.StatusNotFound)
}
