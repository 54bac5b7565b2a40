package modetest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// resultPaths are the paths of what a run's purge removes: its whole results, each query run's
// results, and (withPDF; rendering one takes a while) its PDF.
func resultPaths(t *testing.T, s *Server, report, run string, withPDF bool) []string {
	t.Helper()
	rp := wsPath("reports", report, "runs", run)
	paths := []string{rp + "/results/content.csv"}
	if withPDF {
		paths = append(paths, wsPath("reports", report, "exports", "runs", run, "pdf", "download"))
	}
	for _, qr := range queryRuns(t, s, report, run) {
		qp := rp + "/query_runs/" + qr["token"].(string) + "/results/"
		paths = append(paths, qp+"content.json", qp+"content.csv")
	}
	return paths
}

// checkPurged checks that a run's results are gone (404 saying so) and the run says when, or
// that they are all still there. Its PDF is checked once purged.
func checkPurged(t *testing.T, s *Server, report, run string, purged bool) {
	t.Helper()
	got := mustJSON(t, s, http.MethodGet, wsPath("reports", report, "runs", run), nil, http.StatusOK)
	if (got["purge_started_at"] != nil) != purged || (got["purge_completed_at"] != nil) != purged || got["state"] != stateSucceeded {
		t.Errorf("run %s: purge_started_at %v, purge_completed_at %v, state %v; purged: %v", run, got["purge_started_at"], got["purge_completed_at"], got["state"], purged)
	}
	if _, ok := got["_links"].(object)["content"]; ok == purged {
		t.Errorf("run %s: content link present = %v, purged: %v", run, ok, purged)
	}
	for _, p := range resultPaths(t, s, report, run, purged) {
		resp, body := call(t, s, http.MethodGet, p, nil)
		switch {
		case purged && (resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "purged")):
			t.Errorf("GET %s after the purge: %d %s", p, resp.StatusCode, body)
		case !purged && resp.StatusCode != http.StatusOK:
			t.Errorf("GET %s (not purged): %d %.200s", p, resp.StatusCode, body)
		}
	}
}

// TestPurgeDataSource: purging a data source's results purges the finished runs that used it,
// in its workspace only, and leaves later runs their results.
func TestPurgeDataSource(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	cheap := []string{d.Reports[11], d.Reports[9]} // Scratchpad and Account Directory: quick SQL
	var runs []string
	for _, rep := range cheap {
		run := startRun(t, s, rep, nil)["token"].(string)
		waitRun(t, s, rep, run)
		runs = append(runs, run)
	}
	second := runSecond(t, s)

	resp, body := call(t, s, http.MethodPost, wsPath("data_sources", d.DataSource, "purge"), nil)
	if resp.StatusCode != http.StatusAccepted || len(body) != 0 {
		t.Fatalf("purge: %d %s", resp.StatusCode, body)
	}
	for i, rep := range cheap {
		checkPurged(t, s, rep, runs[i], true)
	}
	// The second workspace's run used its own data source.
	sp := api(SecondWorkspace, "reports", d.Second.Report, "runs", second)
	if got := mustJSON(t, s, http.MethodGet, sp, nil, http.StatusOK); got["purge_started_at"] != nil {
		t.Errorf("a run of the second workspace was purged: %v", got)
	}
	// A run made after the purge has its results; purging again keeps the first purge's times.
	first := mustJSON(t, s, http.MethodGet, wsPath("reports", cheap[0], "runs", runs[0]), nil, http.StatusOK)["purge_started_at"]
	later := startRun(t, s, cheap[0], nil)["token"].(string)
	waitRun(t, s, cheap[0], later)
	checkPurged(t, s, cheap[0], later, false)
	time.Sleep(2 * time.Millisecond)
	mustStatus(t, s, http.MethodPost, wsPath("data_sources", d.DataSource, "purge"), http.StatusAccepted)
	if again := mustJSON(t, s, http.MethodGet, wsPath("reports", cheap[0], "runs", runs[0]), nil, http.StatusOK)["purge_started_at"]; again != first {
		t.Errorf("a second purge moved purge_started_at from %v to %v", first, again)
	}
	checkPurged(t, s, cheap[0], later, true)

	mustStatus(t, s, http.MethodPost, wsPath("data_sources", "000000000000", "purge"), http.StatusNotFound)
	mustStatus(t, s, http.MethodPost, wsPath("data_sources", d.Second.DataSource, "purge"), http.StatusNotFound)
}

// runSecond runs the second workspace's report to its end and returns the run's token.
func runSecond(t *testing.T, s *Server) string {
	t.Helper()
	rp := api(SecondWorkspace, "reports", s.Demo().Second.Report, "runs")
	run := mustJSON(t, s, http.MethodPost, rp, object{}, http.StatusAccepted)["token"].(string)
	for range 2000 {
		if st := mustJSON(t, s, http.MethodGet, rp+"/"+run, nil, http.StatusOK)["state"]; st == stateSucceeded {
			return run
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("run %s did not finish", run)
	return ""
}

// mustStatus sends a request without a body and fails unless it answers status.
func mustStatus(t *testing.T, s *Server, method, path string, status int) {
	t.Helper()
	if resp, body := call(t, s, method, path, nil); resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, body)
	}
}

// TestPurgeReports: the workspace's purge by creation date, with Mode's time, end_time and
// in_progress parameters, and its refusals.
func TestPurgeReports(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[11] // Scratchpad: its SQL reads the four regions
	run := startRun(t, s, rep, nil)["token"].(string)
	waitRun(t, s, rep, run)
	second := runSecond(t, s)
	today := time.Now().UTC()
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format("2006-01-02") }
	purge := wsPath("reports", "purge")

	// Purges that leave today's run: older than today, a range that ends yesterday, a range that
	// starts tomorrow.
	for _, q := range []string{"time=" + day(0), "time=" + day(-7) + "&end_time=" + day(-1), "time=" + day(1) + "&end_time=" + day(2)} {
		mustStatus(t, s, http.MethodPost, purge+"?"+q, http.StatusAccepted)
		checkPurged(t, s, rep, run, false)
	}
	// A range through today takes it.
	mustStatus(t, s, http.MethodPost, purge+"?time="+day(-7)+"&end_time="+day(0)+"&in_progress=false", http.StatusAccepted)
	checkPurged(t, s, rep, run, true)
	if got := mustJSON(t, s, http.MethodGet, api(SecondWorkspace, "reports", d.Second.Report, "runs", second), nil, http.StatusOK); got["purge_started_at"] != nil {
		t.Errorf("the demo workspace's purge purged a run of the second workspace: %v", got)
	}
	// Everything created before tomorrow: the second workspace's run too.
	mustStatus(t, s, http.MethodPost, api(SecondWorkspace, "reports", "purge")+"?time="+day(1), http.StatusAccepted)
	if got := mustJSON(t, s, http.MethodGet, api(SecondWorkspace, "reports", d.Second.Report, "runs", second), nil, http.StatusOK); got["purge_completed_at"] == nil {
		t.Errorf("the second workspace's purge left its run: %v", got)
	}

	for _, q := range []string{"", "time=", "time=yesterday", "time=2024-13-01", "time=" + day(0) + "&end_time=soon",
		"time=" + day(0) + "&end_time=" + day(-1), "time=" + day(0) + "&in_progress=maybe"} {
		mustStatus(t, s, http.MethodPost, purge+"?"+q, http.StatusBadRequest)
	}
	mustStatus(t, s, http.MethodPost, api("no_such_workspace", "reports", "purge")+"?time="+day(0), http.StatusNotFound)
	mustStatus(t, s, http.MethodGet, purge, http.StatusNotFound) // GET …/reports/purge is a report token that does not exist
}
