package modetest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// batchPath is a Metadata API path of the demo workspace.
func batchPath(list string, query ...string) string {
	p := "/batch/" + DemoWorkspace + "/" + list
	if len(query) > 0 {
		p += "?" + strings.Join(query, "&")
	}
	return p
}

// batchItems returns the items of a Metadata API answer, under key at its top level.
func batchItems(t *testing.T, o object, key string) []object {
	t.Helper()
	list, ok := o[key].([]any)
	if !ok {
		t.Fatalf("no %s list in %v", key, o)
	}
	out := make([]object, len(list))
	for i, v := range list {
		out[i] = v.(object)
	}
	return out
}

// pagingOf returns an answer's pagination as ints.
func pagingOf(t *testing.T, o object) (page, perPage, count, totalPages, totalCount int) {
	t.Helper()
	p, ok := o["pagination"].(object)
	if !ok {
		t.Fatalf("no pagination in %v", o)
	}
	n := func(k string) int {
		v, ok := p[k].(float64)
		if !ok {
			t.Fatalf("pagination.%s = %v", k, p[k])
		}
		return int(v)
	}
	return n("page"), n("per_page"), n("count"), n("total_pages"), n("total_count")
}

// walkBatch reads every page of a Metadata API list by following next_page from path, and
// returns the items and the number of requests it took. It checks each page's pagination and
// that its links lead to pages of the same list.
func walkBatch(t *testing.T, s *Server, bearer, path, key string) ([]object, int) {
	t.Helper()
	var all []object
	requests := 0
	for {
		o := signedJSON(t, s, bearer, path, http.StatusOK)
		requests++
		items := batchItems(t, o, key)
		page, _, count, totalPages, _ := pagingOf(t, o)
		if count != len(items) {
			t.Fatalf("%s: count %d, %d items", path, count, len(items))
		}
		all = append(all, items...)
		next := linkHref(o, "next_page")
		prev := linkHref(o, "prev_page")
		if next == "" || prev == "" {
			t.Fatalf("%s: links %v: Mode's document requires next_page and prev_page", path, o["_links"])
		}

		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(u.Query().Get("page"))
		if page >= totalPages || n <= page {
			if totalPages > 0 && n != totalPages {
				t.Errorf("%s: the last page's next_page leads to page %d, want %d", path, n, totalPages)
			}
			return all, requests
		}
		path = next
	}
}

// TestBatchLists reads each Metadata API list of the demo workspace: the items' fields, the
// paging, and include_spaces.
func TestBatchLists(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	_, bearer := createSignature(t, s, DemoWorkspace)

	// Reports: every report out of the personal space by default (archived ones too), all of
	// them with include_spaces=all.
	reports, _ := walkBatch(t, s, bearer, batchPath("reports"), "reports")
	all, _ := walkBatch(t, s, bearer, batchPath("reports", "include_spaces=all"), "reports")
	if len(all) != len(d.Reports) {
		t.Errorf("include_spaces=all lists %d reports, want %d", len(all), len(d.Reports))
	}
	personal := map[string]bool{}
	for _, r := range all {
		if r["space_token"] == d.Spaces[3] {
			personal[r["token"].(string)] = true
		}
	}
	if len(personal) != 2 || len(reports) != len(all)-2 {
		t.Errorf("%d reports by default, %d in all, %d personal: want the two of the Personal space left out", len(reports), len(all), len(personal))
	}
	for _, r := range reports {
		if personal[r["token"].(string)] {
			t.Errorf("report %s of a personal space listed without include_spaces=all", r["token"])
		}
	}
	first := all[0]
	if first["token"] != d.Reports[0] || first["name"] != "Revenue by Region" || first["creator_email"] != "ana_analyst@parchandposey.com" ||
		first["space_token"] != d.Spaces[0] || first["space_id"] == nil || first["report_url"] != wsPath("reports", d.Reports[0]) ||
		first["last_run_token"] != nil || first["last_viewed_at"] == nil {
		t.Errorf("first report = %v", first)
	}
	mustJSON(t, s, http.MethodGet, first["report_url"].(string), nil, http.StatusOK) // report_url leads to the report

	// A run shows as the report's last run; its end, as its state.
	run := startRun(t, s, d.Reports[0], nil)
	waitRun(t, s, d.Reports[0], run["token"].(string))
	first = batchItems(t, signedJSON(t, s, bearer, batchPath("reports", "per_page=1"), http.StatusOK), "reports")[0]
	if first["last_run_token"] != run["token"] || first["last_run_state"] != stateSucceeded || first["last_run_at"] == nil || first["last_successfully_run_at"] == nil {
		t.Errorf("after a run, first report = %v", first)
	}

	// Queries: every query of every listed report.
	queries, _ := walkBatch(t, s, bearer, batchPath("queries", "include_spaces=all"), "queries")
	want := 0
	for _, r := range seedReports {
		want += len(r.queries)
	}
	if len(queries) != want {
		t.Errorf("%d queries, want %d", len(queries), want)
	}
	q := queries[0]
	if q["report_token"] != d.Reports[0] || q["data_source_token"] != d.DataSource || q["raw_query"] == "" ||
		q["creator_email"] != "ana_analyst@parchandposey.com" || q["space_token"] != d.Spaces[0] || q["report_id"] == nil {
		t.Errorf("first query = %v", q)
	}
	if qs, _ := walkBatch(t, s, bearer, batchPath("queries"), "queries"); len(qs) != want-2 {
		t.Errorf("%d queries without include_spaces, want %d", len(qs), want-2)
	}

	// Spaces: every space, personal ones too.
	spaces, _ := walkBatch(t, s, bearer, batchPath("spaces"), "spaces")
	var toks []string
	for _, sp := range spaces {
		toks = append(toks, sp["token"].(string))
		if sp["space_url"] != wsPath("spaces", sp["token"].(string)) || sp["space_type"] == "" || sp["id"] == nil {
			t.Errorf("space = %v", sp)
		}
	}
	if !slices.Equal(toks, d.Spaces) {
		t.Errorf("spaces %v, want %v", toks, d.Spaces)
	}

	// Charts: one per query of the demo's listed reports, each naming its query and report.
	charts := signedJSON(t, s, bearer, batchPath("charts"), http.StatusOK)
	items := batchItems(t, charts, "charts")
	if len(items) == 0 {
		t.Fatal("no charts")
	}
	for _, c := range items {
		rest := fmt.Sprintf("/api/%s/reports/%s/queries/%s/charts/%s", d.Workspace, c["report_token"], c["query_token"], c["token"])
		if c["chart_type"] == "" || c["id"] == nil {
			t.Errorf("chart %v", c)
		}
		mustJSON(t, s, "GET", rest, nil, http.StatusOK) // the chart the REST API serves
	}
	if _, _, _, totalPages, totalCount := pagingOf(t, charts); totalPages != 1 || totalCount != len(items) {
		t.Errorf("charts pagination = %v", charts["pagination"])
	}
}

// TestBatchReportStats: report stats count the report's real schedules, and name its editors
// and the people who ran it by hand or through a schedule.
func TestBatchReportStats(t *testing.T) {
	clock := NewTestClock(time.Date(2030, 1, 1, 7, 0, 0, 0, time.UTC))
	s := newTestServer(t, WithClock(clock))
	d := s.Demo()
	_, bearer := createSignature(t, s, DemoWorkspace)
	rep := d.Reports[2]
	stat := func() object {
		t.Helper()
		for _, st := range batchItems(t, signedJSON(t, s, bearer, batchPath("report_stats"), http.StatusOK), "report_stats") {
			if st["report_token"] == rep {
				return st
			}
		}
		t.Fatalf("no stats of %s", rep)
		return nil
	}
	st := stat()
	if st["active_schedules_count"] != float64(0) || st["view_count"] == float64(0) || st["explorations_count"] != float64(0) ||
		fmt.Sprint(st["editors_emails"]) != "[ana_analyst@parchandposey.com]" ||
		fmt.Sprint(st["recent_manual_run_creators_emails"]) != "[]" || fmt.Sprint(st["scheduled_run_creators_emails"]) != "[]" ||
		st["report_id"] == nil {
		t.Errorf("stats before = %v", st)
	}
	mustJSON(t, s, http.MethodPost, wsPath("reports", rep, "schedules"), object{"cron": object{"freq": "daily", "hour": 8}}, http.StatusOK)
	mustJSON(t, s, http.MethodPost, wsPath("reports", rep, "schedules"), object{"cron": object{"freq": "weekly"}}, http.StatusOK)
	run := startRun(t, s, rep, nil)
	waitRun(t, s, rep, run["token"].(string))
	clock.Advance(2 * time.Hour) // the daily schedule fires
	st = stat()
	if st["active_schedules_count"] != float64(2) ||
		fmt.Sprint(st["recent_manual_run_creators_emails"]) != "[ana_analyst@parchandposey.com]" ||
		fmt.Sprint(st["scheduled_run_creators_emails"]) != "[ana_analyst@parchandposey.com]" {
		t.Errorf("stats after two schedules, a manual run and a scheduled one = %v", st)
	}
}

// TestBatchPaging: per_page and page bounds, and links that lead to the pages of the same list.
func TestBatchPaging(t *testing.T) {
	s := newTestServer(t, WithExtraReports(25))
	_, bearer := createSignature(t, s, DemoWorkspace)
	total := len(s.Demo().Reports) - 2 // without the Personal space's two

	o := signedJSON(t, s, bearer, batchPath("reports"), http.StatusOK)
	if page, perPage, count, pages, n := pagingOf(t, o); page != 1 || perPage != 1000 || count != total || pages != 1 || n != total {
		t.Errorf("default page: pagination %v, want one page of %d", o["pagination"], total)
	}
	if linkHref(o, "next_page") != batchPath("reports", "page=1", "per_page=1000") || linkHref(o, "prev_page") != batchPath("reports", "page=1", "per_page=1000") {
		t.Errorf("a single page's links = %v", o["_links"])
	}

	items, requests := walkBatch(t, s, bearer, batchPath("reports", "per_page=10", "include_spaces=all"), "reports")
	if len(items) != total+2 || requests != 4 {
		t.Errorf("per_page=10: %d items in %d requests, want %d in 4", len(items), requests, total+2)
	}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it["token"].(string)] {
			t.Errorf("report %s listed twice", it["token"])
		}
		seen[it["token"].(string)] = true
	}

	o = signedJSON(t, s, bearer, batchPath("reports", "per_page=10", "page=2", "include_spaces=all"), http.StatusOK)
	if linkHref(o, "prev_page") != batchPath("reports", "include_spaces=all", "page=1", "per_page=10") ||
		linkHref(o, "next_page") != batchPath("reports", "include_spaces=all", "page=3", "per_page=10") {
		t.Errorf("page 2's links = %v", o["_links"])
	}
	for _, l := range []string{"prev_page", "next_page"} {
		lo := signedJSON(t, s, bearer, linkHref(o, l), http.StatusOK)
		if p, perPage, count, _, _ := pagingOf(t, lo); (l == "prev_page") != (p == 1) || perPage != 10 || count != 10 {
			t.Errorf("page 2's %s leads to %v", l, lo["pagination"])
		}
	}
	o = signedJSON(t, s, bearer, batchPath("reports", "per_page=10", "page=9"), http.StatusOK)
	if items := batchItems(t, o, "reports"); len(items) != 0 {
		t.Errorf("a page past the last has %d items", len(items))
	}
	if page, _, count, pages, _ := pagingOf(t, o); page != 9 || count != 0 || pages != 4 {
		t.Errorf("past the last page: pagination %v", o["pagination"])
	}
	for _, l := range []string{"next_page", "prev_page"} {
		if h := linkHref(o, l); h != batchPath("reports", "page=4", "per_page=10") {
			t.Errorf("past the last page, %s = %s, want the last page", l, h)
		}
	}
	signedJSON(t, s, bearer, batchPath("reports", "per_page=1000"), http.StatusOK)
	for _, q := range []string{"per_page=0", "per_page=1001", "per_page=-1", "per_page=ten", "page=0", "page=x", "include_spaces=some"} {
		for _, list := range []string{"reports", "queries", "report_stats", "charts"} {
			signedJSON(t, s, bearer, batchPath(list, q), http.StatusBadRequest)
		}
	}
	signedJSON(t, s, bearer, batchPath("spaces", "include_spaces=some"), http.StatusOK) // not a parameter of spaces
	signedJSON(t, s, bearer, batchPath("spaces", "per_page=1001"), http.StatusBadRequest)
	if resp, _ := callSigned(t, s, bearer, http.MethodPost, batchPath("reports")); resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST a list: status %d", resp.StatusCode)
	}
	signedJSON(t, s, bearer, batchPath("members_of_nothing"), http.StatusNotFound)
}

// TestBatchLargeWorkspace: a workspace of 10,000 generated reports across 50 spaces seeds
// quickly, and the Metadata API lists it in ceil(total/per_page) requests.
func TestBatchLargeWorkspace(t *testing.T) {
	s := newTestServer(t, WithGeneratedReports(50, 200))
	d := s.Demo()
	if len(d.GeneratedSpaces) != 50 {
		t.Fatalf("%d generated spaces, want 50", len(d.GeneratedSpaces))
	}
	_, bearer := createSignature(t, s, DemoWorkspace)
	total := 10_000 + len(d.Reports)
	for _, perPage := range []int{1000, 300} {
		s.ResetRequests()
		items, requests := walkBatch(t, s, bearer, batchPath("reports", "include_spaces=all", "per_page="+strconv.Itoa(perPage)), "reports")
		want := (total + perPage - 1) / perPage
		if len(items) != total || requests != want || s.CountRequests(http.MethodGet, "/batch/") != want {
			t.Errorf("per_page=%d: %d reports in %d requests (%d logged), want %d in %d", perPage, len(items), requests,
				s.CountRequests(http.MethodGet, "/batch/"), total, want)
		}
		perSpace := map[string]int{}
		tokens := map[string]bool{}
		for _, it := range items {
			perSpace[it["space_token"].(string)]++
			tokens[it["token"].(string)] = true
		}
		if len(tokens) != total {
			t.Errorf("%d distinct tokens, want %d", len(tokens), total)
		}
		for _, sp := range d.GeneratedSpaces {
			if perSpace[sp] != 200 {
				t.Errorf("generated space %s holds %d reports, want 200", sp, perSpace[sp])
			}
		}
	}
	queries := 10_000
	for _, r := range seedReports {
		if r.space != 3 { // the Personal space's are left out
			queries += len(r.queries)
		}
	}
	o := signedJSON(t, s, bearer, batchPath("queries", "per_page=1000", "page=10"), http.StatusOK)
	if _, _, count, pages, n := pagingOf(t, o); n != queries || pages != 11 || count != 1000 {
		t.Errorf("queries of the large workspace: pagination %v", o["pagination"])
	}
	if _, _, _, pages, n := pagingOf(t, signedJSON(t, s, bearer, batchPath("spaces"), http.StatusOK)); n != 54 || pages != 1 {
		t.Errorf("spaces of the large workspace: %d in %d pages", n, pages)
	}
	rep := batchItems(t, signedJSON(t, s, bearer, batchPath("reports", "per_page=1", "page=20"), http.StatusOK), "reports")[0]
	mustJSON(t, s, http.MethodGet, rep["report_url"].(string), nil, http.StatusOK)
}

// BenchmarkGeneratedWorkspace measures seeding 10,000 reports across 50 spaces.
func BenchmarkGeneratedWorkspace(b *testing.B) {
	for b.Loop() {
		e, err := New(WithGeneratedReports(50, 200))
		if err != nil {
			b.Fatal(err)
		}
		_ = e.Close()
	}
}
