package modetest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startRun runs a report and returns the run token.
func startRun(t *testing.T, s *Server, report string, params object) object {
	t.Helper()
	body := object{"parameters": params}
	if params == nil {
		body = object{}
	}
	run := mustJSON(t, s, "POST", wsPath("reports", report, "runs"), body, http.StatusAccepted)
	if run["state"] != stateEnqueued {
		t.Errorf("new run state = %v, want enqueued", run["state"])
	}
	return run
}

func queryRuns(t *testing.T, s *Server, report, run string) []object {
	t.Helper()
	return embedded(t, mustJSON(t, s, "GET", wsPath("reports", report, "runs", run, "query_runs"), nil, http.StatusOK), "query_runs")
}

func TestParamRunSucceeds(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().ParamReport
	run := startRun(t, s, rep, object{"region": "West", "min_total": 5000, "not_a_parameter": "ignored"})
	tok := run["token"].(string)
	if !tokenRE.MatchString(tok) || linkHref(run, "query_runs") == "" {
		t.Fatalf("run = %v", run)
	}
	done := waitRun(t, s, rep, tok)
	if done["state"] != stateSucceeded || done["completed_at"] == nil {
		t.Fatalf("run = %v", done)
	}
	qrs := queryRuns(t, s, rep, tok)
	if len(qrs) != 1 {
		t.Fatalf("%d query runs", len(qrs))
	}
	qr := qrs[0]
	rendered := qr["rendered_source"].(string)
	if !strings.Contains(rendered, "r.name = 'West'") || !strings.Contains(rendered, ">= 5000") || strings.Contains(rendered, "{%") {
		t.Errorf("rendered_source = %s", rendered)
	}
	if !strings.Contains(qr["raw_source"].(string), "{{ region }}") {
		t.Errorf("raw_source = %s", qr["raw_source"])
	}
	if qr["state"] != stateSucceeded || qr["data_source_token"] != s.Demo().DataSource || qr["max_result_bytes"] == nil {
		t.Errorf("query run = %v", qr)
	}
	qrTok := qr["token"].(string)
	got := mustJSON(t, s, "GET", wsPath("reports", rep, "runs", tok, "query_runs", qrTok), nil, http.StatusOK)
	if got["token"] != qrTok {
		t.Errorf("get query run = %v", got)
	}

	// JSON results: array of objects, keys in SELECT order, all rows in the West above 5000.
	resp, raw := call(t, s, "GET", wsPath("reports", rep, "runs", tok, "query_runs", qrTok, "results", "content.json"), nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("json results: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("json results: %v", err)
	}
	if len(rows) == 0 || len(rows) > 100 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r["region"] != "West" || r["total_amt_usd"].(float64) < 5000 {
			t.Errorf("row %v does not match the parameters", r)
		}
	}
	if !bytes.HasPrefix(raw, []byte(`[{"order_id":`)) || !bytes.Contains(raw[:200], []byte(`"order_id":`+strconv.Itoa(int(rows[0]["order_id"].(float64)))+`,"account":`)) {
		t.Errorf("columns not in SELECT order: %.200s", raw)
	}

	// CSV results: header, CRLF, same rows.
	resp, raw = call(t, s, "GET", wsPath("reports", rep, "runs", tok, "query_runs", qrTok, "results", "content.csv"), nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv results: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.HasPrefix(raw, []byte("order_id,account,region,occurred_at,total,total_amt_usd\r\n")) {
		t.Errorf("csv header: %.80q", raw)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) != len(rows)+1 {
		t.Errorf("csv: %d records (err %v), want %d", len(recs), err, len(rows)+1)
	}

	// Defaults apply when no parameters are given.
	run2 := startRun(t, s, rep, nil)
	waitRun(t, s, rep, run2["token"].(string))
	qr2 := queryRuns(t, s, rep, run2["token"].(string))[0]
	if r := qr2["rendered_source"].(string); !strings.Contains(r, "'Northeast'") || !strings.Contains(r, ">= 1000") {
		t.Errorf("default rendering = %s", r)
	}

	// The report and run list reflect the runs.
	r := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK)
	if r["runs_count"] != float64(2) || r["last_successful_run_token"] != run2["token"] || r["last_run_at"] == nil {
		t.Errorf("report after runs = %v", r)
	}
	list := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "runs"), nil, http.StatusOK), "report_runs")
	if len(list) != 2 || list[0]["token"] != run2["token"] {
		t.Errorf("runs list (newest first) = %v", list)
	}
}

func TestGzipCSV(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().Reports[0]
	tok := startRun(t, s, rep, nil)["token"].(string)
	waitRun(t, s, rep, tok)
	qr := queryRuns(t, s, rep, tok)[0]["token"].(string)
	req, _ := http.NewRequest("GET", s.URL+wsPath("reports", rep, "runs", tok, "query_runs", qr, "results", "content.csv"), nil)
	req.SetBasicAuth(s.Token, s.Secret)
	req.Header.Set("Accept-Encoding", "gzip") // set by hand, so the transport leaves the body encoded
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("region,orders,revenue_usd\r\n")) || bytes.Count(raw, []byte("\r\n")) != 5 {
		t.Errorf("csv = %q", raw)
	}
}

func TestFailingRun(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().FailingReport
	tok := startRun(t, s, rep, nil)["token"].(string)
	done := waitRun(t, s, rep, tok)
	if done["state"] != stateFailed {
		t.Fatalf("state = %v", done["state"])
	}
	qr := queryRuns(t, s, rep, tok)[0]
	if qr["state"] != stateFailed || qr["error_code"] == nil || qr["error_type"] == nil ||
		!strings.Contains(qr["error_message"].(string), "account_churn_predictions") {
		t.Errorf("query run = %v", qr)
	}
	resp, _ := call(t, s, "GET", wsPath("reports", rep, "runs", tok, "query_runs", qr["token"].(string), "results", "content.csv"), nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("results of a failed query run: %d", resp.StatusCode)
	}
	r := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK)
	if r["last_successful_run_token"] != nil {
		t.Errorf("failed run counted as successful: %v", r["last_successful_run_token"])
	}
	again := mustJSON(t, s, "GET", wsPath("reports", rep, "runs", tok), nil, http.StatusOK)
	if again["report_has_failures_since_last_success"] != true {
		t.Errorf("report_has_failures_since_last_success = %v", again["report_has_failures_since_last_success"])
	}
}

func TestRunStatesAreAsynchronous(t *testing.T) {
	s := newTestServer(t, WithRunDuration(time.Hour))
	rep := s.Demo().Reports[0]
	run := startRun(t, s, rep, nil)
	tok := run["token"].(string)
	// With a long run duration the run cannot have finished yet.
	got := mustJSON(t, s, "GET", wsPath("reports", rep, "runs", tok), nil, http.StatusOK)
	if st := got["state"]; st != stateEnqueued {
		t.Errorf("state = %v, want enqueued", st)
	}
	if got["completed_at"] != nil {
		t.Errorf("completed_at set on an unfinished run")
	}
	qr := queryRuns(t, s, rep, tok)[0]
	resp, _ := call(t, s, "GET", wsPath("reports", rep, "runs", tok, "query_runs", qr["token"].(string), "results", "content.json"), nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("results of an unfinished run: %d", resp.StatusCode)
	}
}

func TestCloneAndWholeRunResults(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.ParamReport
	first := startRun(t, s, rep, object{"region": "Midwest"})["token"].(string)
	waitRun(t, s, rep, first)
	clone := mustJSON(t, s, "POST", wsPath("reports", rep, "runs", first, "clone"), nil, http.StatusAccepted)
	ctok := clone["token"].(string)
	if ctok == first {
		t.Fatal("clone has the same token")
	}
	done := waitRun(t, s, rep, ctok)
	if p := done["parameters"].(object); p["region"] != "Midwest" {
		t.Errorf("clone parameters = %v", p)
	}
	// Single-query report: the whole run's results are the query's.
	_, raw := call(t, s, "GET", wsPath("reports", rep, "runs", ctok, "results", "content.json"), nil)
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) == 0 || rows[0]["region"] != "Midwest" {
		t.Errorf("whole-run json: %v %.100s", err, raw)
	}
	// Several queries: CSV is a ZIP of per-query CSVs, JSON is refused.
	multi := d.Reports[8]
	mtok := startRun(t, s, multi, nil)["token"].(string)
	waitRun(t, s, multi, mtok)
	resp, raw := call(t, s, "GET", wsPath("reports", multi, "runs", mtok, "results", "content.csv"), nil)
	if resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil || len(zr.File) != 3 {
		t.Fatalf("zip: %v, %d files", err, len(zr.File))
	}
	mustJSON(t, s, "GET", wsPath("reports", multi, "runs", mtok, "results", "content.json"), nil, http.StatusBadRequest)
	mustJSON(t, s, "POST", wsPath("reports", rep, "runs", "000000000000", "clone"), nil, http.StatusNotFound)
}

func TestBigRowsStream(t *testing.T) {
	const n = 20000
	s := newTestServer(t, WithBigRows(n))
	rep := s.Demo().BigReport
	tok := startRun(t, s, rep, nil)["token"].(string)
	waitRun(t, s, rep, tok)
	qr := queryRuns(t, s, rep, tok)[0]["token"].(string)
	path := wsPath("reports", rep, "runs", tok, "query_runs", qr, "results")

	req, _ := http.NewRequest("GET", s.URL+path+"/content.csv", nil)
	req.SetBasicAuth(s.Token, s.Secret)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != -1 {
		t.Errorf("Content-Length %d: results should be streamed", resp.ContentLength)
	}
	cr := csv.NewReader(resp.Body)
	count := -1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if count >= 0 && rec[0] != strconv.Itoa(count+1) {
			t.Fatalf("row %d has id %s", count+1, rec[0])
		}
		count++
	}
	if count != n {
		t.Errorf("%d rows, want %d", count, n)
	}

	_, raw := call(t, s, "GET", path+"/content.json?limit=10", nil)
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) != 10 {
		t.Errorf("limit=10: %d rows, %v", len(rows), err)
	}
}

// TestListRunsFilterAndOrder: the run list honours Mode's filter
// (created_at|updated_at . gt|lt . time), order (asc|desc) and order_by
// (created_at|updated_at), and refuses malformed values with 400.
func TestListRunsFilterAndOrder(t *testing.T) {
	s := newTestServer(t)
	report := s.Demo().Reports[1]
	var tokens, created []string
	for range 3 {
		run := startRun(t, s, report, nil)
		tok := run["token"].(string)
		done := waitRun(t, s, report, tok)
		tokens = append(tokens, tok)
		created = append(created, done["created_at"].(string))
		time.Sleep(2 * time.Millisecond) // distinct created_at (milliseconds)
	}
	list := func(query string) []string {
		t.Helper()
		o := mustJSON(t, s, "GET", wsPath("reports", report, "runs")+query, nil, http.StatusOK)
		var got []string
		for _, r := range embedded(t, o, "report_runs") {
			if slices.Contains(tokens, r["token"].(string)) {
				got = append(got, r["token"].(string))
			}
		}
		return got
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{tokens[2], tokens[1], tokens[0]}},
		{"?order=asc", tokens},
		{"?order=asc&order_by=updated_at", tokens},
		{"?filter=created_at.gt." + created[0], []string{tokens[2], tokens[1]}},
		{"?filter=created_at.lt." + created[2] + "&order=asc", []string{tokens[0], tokens[1]}},
	} {
		if got := list(tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("runs%s = %v, want %v", tt.query, got, tt.want)
		}
	}
	for _, bad := range []string{"?filter=created_at.after.2020-01-01T00:00:00Z", "?filter=name.gt.x", "?order_by=name", "?order=up"} {
		if resp, raw := call(t, s, "GET", wsPath("reports", report, "runs")+bad, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("runs%s: %d %s, want 400", bad, resp.StatusCode, raw)
		}
	}
}
