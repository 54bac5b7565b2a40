package modetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// scratchpadIndex is the index in Demo.Reports of the archived "Scratchpad", which imports
// Datasets[2].
const scratchpadIndex = 11

// tokensIn returns the tokens of a list of objects, in order.
func tokensIn(list []object) []string {
	out := make([]string, len(list))
	for i, o := range list {
		out[i], _ = o["token"].(string)
	}
	return out
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// importedTokens returns the tokens a report's imported_datasets names.
func importedTokens(t *testing.T, rep object) []string {
	t.Helper()
	list, ok := rep["imported_datasets"].([]any)
	if !ok {
		t.Fatalf("imported_datasets = %#v, want an array", rep["imported_datasets"])
	}
	var out []string
	for _, v := range list {
		out = append(out, v.(object)["token"].(string))
	}
	return out
}

func TestDatasetGet(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	if len(d.Datasets) != 3 || d.Second.Dataset == "" || d.DatasetSchedule == "" {
		t.Fatalf("Demo datasets = %v, second %q, schedule %q", d.Datasets, d.Second.Dataset, d.DatasetSchedule)
	}
	for i, tok := range d.Datasets {
		ds := mustJSON(t, s, "GET", wsPath("datasets", tok), nil, http.StatusOK)
		if ds["token"] != tok || ds["type"] != reportTypeDataset || ds["name"] != seedDatasets[i].name ||
			ds["space_token"] != d.Spaces[seedDatasets[i].space] || ds["account_username"] != DemoWorkspace ||
			ds["query_count"] != 1.0 || ds["archived"] != false {
			t.Errorf("dataset %d = %v", i, ds)
		}
		for name, want := range map[string]string{
			"self": wsPath("datasets", tok), "fields": wsPath("datasets", tok, "fields"),
			"report_runs": wsPath("datasets", tok, "runs"), "report_schedules": wsPath("datasets", tok, "schedules"),
			"dataset_reports": wsPath("datasets", tok, "reports"), "queries": wsPath("reports", tok, "queries"),
			"field_descriptions": wsPath("datasets", tok, "field_descriptions"),
		} {
			if got := linkHref(ds, name); got != want {
				t.Errorf("dataset %d: link %s = %q, want %q", i, name, got, want)
			}
		}
		// A dataset is a report: its report path answers it too.
		if rep := mustJSON(t, s, "GET", wsPath("reports", tok), nil, http.StatusOK); rep["type"] != reportTypeDataset || rep["token"] != tok {
			t.Errorf("GET reports/%s = %v", tok, rep)
		}
	}
	if rep := mustJSON(t, s, "GET", wsPath("reports", d.Reports[0]), nil, http.StatusOK); rep["type"] != reportTypeQuery {
		t.Errorf("a report's type = %v", rep["type"])
	}
	for _, tok := range []string{d.Reports[0], "nosuchdataset", d.Second.Dataset} {
		if e := mustJSON(t, s, "GET", wsPath("datasets", tok), nil, http.StatusNotFound); e["id"] != "not_found" {
			t.Errorf("GET datasets/%s: %v", tok, e)
		}
	}
	other := mustJSON(t, s, "GET", api(SecondWorkspace, "datasets", d.Second.Dataset), nil, http.StatusOK)
	if other["account_username"] != SecondWorkspace || other["space_token"] != d.Second.Space {
		t.Errorf("the second workspace's dataset = %v", other)
	}
}

// TestDatasetCrossWorkspaceTokens: with WithCrossWorkspaceTokens, a dataset of another workspace
// answers under the demo workspace's path as it is, naming its own workspace.
func TestDatasetCrossWorkspaceTokens(t *testing.T) {
	s := newTestServer(t, WithCrossWorkspaceTokens())
	d := s.Demo()
	got := mustJSON(t, s, "GET", wsPath("datasets", d.Second.Dataset), nil, http.StatusOK)
	if got["account_username"] != SecondWorkspace || !strings.HasPrefix(linkHref(got, "self"), api(SecondWorkspace)+"/") {
		t.Errorf("cross-workspace dataset = %v", got)
	}
}

func TestDatasetLists(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	sales, marketing := d.Spaces[0], d.Spaces[1]
	list := func(path string) []string {
		t.Helper()
		return tokensIn(embedded(t, mustJSON(t, s, "GET", path, nil, http.StatusOK), "datasets"))
	}
	// Newest updated first, as report lists are; Datasets[1] was seeded after Datasets[0].
	for _, tc := range []struct {
		path string
		want []string
	}{
		{wsPath("spaces", sales, "datasets"), []string{d.Datasets[1], d.Datasets[0]}},
		{wsPath("spaces", sales, "datasets") + "?order=asc&order_by=created_at", []string{d.Datasets[0], d.Datasets[1]}},
		{wsPath("spaces", marketing, "datasets"), []string{d.Datasets[2]}},
		{wsPath("spaces", d.Spaces[2], "datasets"), []string{}},
		{wsPath("spaces", sales, "datasets") + "?filter=created_at.gt.2024-01-17T12:00:00Z", []string{d.Datasets[1]}},
		{wsPath("spaces", sales, "datasets") + "?filter=created_at.lt.2024-01-17T12:00:00Z", []string{d.Datasets[0]}},
		{wsPath("data_sources", d.DataSource, "datasets") + "?order=asc&order_by=created_at", d.Datasets},
		{api(SecondWorkspace, "spaces", d.Second.Space, "datasets"), []string{d.Second.Dataset}},
	} {
		if got := list(tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("GET %s = %v, want %v", tc.path, got, tc.want)
		}
	}
	// Paging: one per page.
	p2 := mustJSON(t, s, "GET", wsPath("data_sources", d.DataSource, "datasets")+"?per_page=1&page=2&order=asc&order_by=created_at", nil, http.StatusOK)
	if got := tokensIn(embedded(t, p2, "datasets")); !slices.Equal(got, d.Datasets[1:2]) {
		t.Errorf("page 2 = %v", got)
	}
	if pg := p2["pagination"].(object); pg["total_count"] != 3.0 || pg["total_pages"] != 3.0 || linkHref(p2, "next_page") == "" || linkHref(p2, "prev_page") == "" {
		t.Errorf("pagination = %v, links %v", pg, p2["_links"])
	}
	// Datasets are not among a space's or a data source's reports.
	for _, path := range []string{wsPath("spaces", sales, "reports") + "?filter=all", wsPath("data_sources", d.DataSource, "reports") + "?filter=all&per_page=1000"} {
		for _, tok := range list2(t, s, path) {
			if slices.Contains(d.Datasets, tok) {
				t.Errorf("GET %s lists dataset %s among reports", path, tok)
			}
		}
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{wsPath("spaces", "nosuchspace", "datasets"), http.StatusNotFound},
		{wsPath("data_sources", "nosuchsource", "datasets"), http.StatusNotFound},
		{wsPath("spaces", d.Second.Space, "datasets"), http.StatusNotFound},
		{wsPath("spaces", sales, "datasets") + "?filter=bogus", http.StatusBadRequest},
		{wsPath("spaces", sales, "datasets") + "?order=sideways", http.StatusBadRequest},
		{wsPath("spaces", sales, "datasets") + "?order_by=name", http.StatusBadRequest},
		{wsPath("spaces", sales, "datasets") + "?per_page=zero", http.StatusBadRequest},
	} {
		mustJSON(t, s, "GET", tc.path, nil, tc.status)
	}
}

// list2 returns the tokens of the reports a report list embeds.
func list2(t *testing.T, s *Server, path string) []string {
	t.Helper()
	return tokensIn(embedded(t, mustJSON(t, s, "GET", path, nil, http.StatusOK), "reports"))
}

func TestDatasetUpdate(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	tok := d.Datasets[0]
	path := wsPath("datasets", tok)
	before := mustJSON(t, s, "GET", path, nil, http.StatusOK)
	got := mustJSON(t, s, "PATCH", path, object{"report": object{"name": "  Accounts  ", "description": "The account dimension."}}, http.StatusOK)
	if got["name"] != "Accounts" || got["description"] != "The account dimension." || got["type"] != reportTypeDataset || got["updated_at"] == before["updated_at"] {
		t.Errorf("PATCH = %v", got)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["name"] != "Accounts" {
		t.Errorf("GET after PATCH = %v", got)
	}
	// The reports importing it show its new name.
	rep := mustJSON(t, s, "GET", wsPath("reports", d.Reports[3]), nil, http.StatusOK)
	if imp := rep["imported_datasets"].([]any); len(imp) != 1 || imp[0].(object)["name"] != "Accounts" {
		t.Errorf("imported_datasets = %v", imp)
	}
	// Moving it to another space moves it between the space lists.
	mustJSON(t, s, "PATCH", path, object{"report": object{"space_token": d.Spaces[1]}}, http.StatusOK)
	if got := tokensIn(embedded(t, mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[1], "datasets"), nil, http.StatusOK), "datasets")); !slices.Contains(got, tok) {
		t.Errorf("Marketing's datasets after the move = %v", got)
	}
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"no report", path, object{"name": "x"}, http.StatusBadRequest},
		{"blank name", path, object{"report": object{"name": " "}}, http.StatusBadRequest},
		{"bad JSON", path, "{", http.StatusBadRequest},
		{"unknown space", path, object{"report": object{"space_token": "nosuchspace"}}, http.StatusNotFound},
		{"unknown dataset", wsPath("datasets", "nosuchdataset"), object{"report": object{"name": "x"}}, http.StatusNotFound},
		{"a report", wsPath("datasets", d.Reports[0]), object{"report": object{"name": "x"}}, http.StatusNotFound},
	} {
		if resp, body := call(t, s, "PATCH", tc.path, tc.body); resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
	}
	if got := mustJSON(t, s, "GET", wsPath("reports", d.Reports[0]), nil, http.StatusOK); got["name"] == "x" {
		t.Error("PATCH datasets/{report} renamed the report")
	}
}

func TestDatasetLineageAndDelete(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	lineage := func(ds string) []string {
		t.Helper()
		return sorted(list2(t, s, wsPath("datasets", ds, "reports")))
	}
	for i, want := range [][]string{{d.Reports[3], d.Reports[9]}, {d.Reports[0], d.Reports[2]}, {d.Reports[5], d.Reports[scratchpadIndex]}} {
		if got := lineage(d.Datasets[i]); !slices.Equal(got, sorted(want)) {
			t.Errorf("lineage of dataset %d = %v, want %v (archived reports too)", i, got, want)
		}
		for _, rep := range want {
			if got := importedTokens(t, mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK)); !slices.Equal(got, []string{d.Datasets[i]}) {
				t.Errorf("imported_datasets of %s = %v", rep, got)
			}
		}
	}
	if got := importedTokens(t, mustJSON(t, s, "GET", wsPath("reports", d.Reports[1]), nil, http.StatusOK)); len(got) != 0 {
		t.Errorf("a report importing nothing has imported_datasets %v", got)
	}
	if got := lineage(d.Datasets[2]); len(got) != 2 {
		t.Fatalf("lineage = %v", got)
	}
	// An importing report deleted drops out of the lineage; a filter applies when given.
	mustJSON(t, s, "DELETE", wsPath("reports", d.Reports[5]), nil, http.StatusOK)
	if got := lineage(d.Datasets[2]); !slices.Equal(got, []string{d.Reports[scratchpadIndex]}) {
		t.Errorf("lineage after deleting a report = %v", got)
	}
	if got := list2(t, s, wsPath("datasets", d.Datasets[2], "reports")+"?filter=archived"); !slices.Equal(got, []string{d.Reports[scratchpadIndex]}) {
		t.Errorf("archived lineage = %v", got)
	}
	mustJSON(t, s, "GET", wsPath("datasets", "nosuchdataset", "reports"), nil, http.StatusNotFound)
	mustJSON(t, s, "GET", wsPath("datasets", d.Reports[0], "reports"), nil, http.StatusNotFound)

	// Deleting a dataset: 200 with an empty body; it is gone from its lists, its lineage and the
	// imports of the reports that imported it.
	gone := d.Datasets[0]
	resp, body := call(t, s, "DELETE", wsPath("datasets", gone), nil)
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Fatalf("DELETE: %d %q, want 200 and no body", resp.StatusCode, body)
	}
	for _, path := range []string{
		wsPath("datasets", gone), wsPath("datasets", gone, "reports"), wsPath("datasets", gone, "runs"),
		wsPath("datasets", gone, "fields"), wsPath("datasets", gone, "field_descriptions"), wsPath("datasets", gone, "schedules"),
		wsPath("reports", gone),
	} {
		mustJSON(t, s, "GET", path, nil, http.StatusNotFound)
	}
	mustJSON(t, s, "DELETE", wsPath("datasets", gone), nil, http.StatusNotFound)
	if got := tokensIn(embedded(t, mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[0], "datasets"), nil, http.StatusOK), "datasets")); slices.Contains(got, gone) {
		t.Errorf("the space still lists the deleted dataset: %v", got)
	}
	for _, rep := range []string{d.Reports[3], d.Reports[9]} {
		if got := importedTokens(t, mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK)); len(got) != 0 {
			t.Errorf("%s still imports the deleted dataset: %v", rep, got)
		}
	}
	// Deleting a space deletes its datasets.
	mustJSON(t, s, "DELETE", wsPath("spaces", d.Spaces[1]), nil, http.StatusOK)
	mustJSON(t, s, "GET", wsPath("datasets", d.Datasets[2]), nil, http.StatusNotFound)
	if got := tokensIn(embedded(t, mustJSON(t, s, "GET", wsPath("data_sources", d.DataSource, "datasets"), nil, http.StatusOK), "datasets")); !slices.Equal(got, d.Datasets[1:2]) {
		t.Errorf("the data source's datasets after the deletes = %v", got)
	}
}

// datasetRunStates are the states Mode's document gives a DatasetRun.
func datasetRunStates(t *testing.T) []any {
	t.Helper()
	raw, err := os.ReadFile(specREST)
	if err != nil {
		t.Fatal(err)
	}
	var doc specDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Definitions["DatasetRun"].Properties["state"].Enum
	if len(enum) == 0 {
		t.Fatal("Mode's document gives DatasetRun no states")
	}
	return enum
}

func TestDatasetRuns(t *testing.T) {
	s := newTestServer(t, WithRunDuration(20*time.Millisecond))
	d := s.Demo()
	ds := d.Datasets[2]
	runs := wsPath("datasets", ds, "runs")
	if got := embedded(t, mustJSON(t, s, "GET", runs, nil, http.StatusOK), "report_runs"); len(got) != 0 {
		t.Fatalf("%d runs before any", len(got))
	}
	first := mustJSON(t, s, "POST", runs, nil, http.StatusAccepted)
	tok := first["token"].(string)
	for _, f := range []string{"created_at", "completed_at", "is_latest_dataset_run", "is_latest_successful_dataset_run",
		"purge_completed_at", "purge_started_at", "dataset_has_failures_since_last_success", "state", "token", "updated_at",
		"is_latest_report_run", "is_latest_successful_report_run", "report_has_failures_since_last_success"} {
		if _, ok := first[f]; !ok {
			t.Errorf("the run has no %s: %v", f, first)
		}
	}
	if !tokenRE.MatchString(tok) || first["state"] != stateEnqueued || first["is_latest_dataset_run"] != true {
		t.Errorf("POST = %v", first)
	}
	for name, want := range map[string]string{
		"self": runs + "/" + tok, "dataset": wsPath("datasets", ds), "report": wsPath("reports", ds),
		"account": wsPath(), "query_runs": wsPath("reports", ds, "runs", tok, "query_runs"),
	} {
		if got := linkHref(first, name); got != want {
			t.Errorf("link %s = %q, want %q", name, got, want)
		}
	}
	// Watch it to its end: every state it shows is one of DatasetRun's.
	enum := datasetRunStates(t)
	seen := map[string]bool{}
	var done object
	for range 5000 {
		done = mustJSON(t, s, "GET", runs+"/"+tok, nil, http.StatusOK)
		seen[done["state"].(string)] = true
		if finished(done["state"].(string)) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for st := range seen {
		if !slices.Contains(enum, any(st)) {
			t.Errorf("a dataset run showed state %q, not one of Mode's %v", st, enum)
		}
	}
	if done["state"] != stateSucceeded || done["completed_at"] == nil || linkHref(done, "latest_successful_dataset_run_api_url") != runs+"/"+tok {
		t.Fatalf("finished run = %v", done)
	}
	// Its query_runs link leads to the query runs and their results.
	qrs := embedded(t, mustJSON(t, s, "GET", linkHref(done, "query_runs"), nil, http.StatusOK), "query_runs")
	if len(qrs) != 1 || qrs[0]["state"] != stateSucceeded {
		t.Fatalf("query runs = %v", qrs)
	}
	if resp, body := call(t, s, "GET", linkHref(qrs[0], "result"), nil); resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte(`[{"channel":`)) {
		t.Errorf("results: %d %.80s", resp.StatusCode, body)
	}
	// The dataset shows its last run.
	got := mustJSON(t, s, "GET", wsPath("datasets", ds), nil, http.StatusOK)
	if got["last_successful_run_token"] != tok || got["runs_count"] != 1.0 || linkHref(got, "last_successful_run") != runs+"/"+tok {
		t.Errorf("dataset after its run = %v", got)
	}

	// A second run: newest first by default, oldest first when asked; the report path lists the same.
	second := waitRun(t, s, ds, mustJSON(t, s, "POST", runs, object{}, http.StatusAccepted)["token"].(string))["token"].(string)
	for path, want := range map[string][]string{
		runs:                                     {second, tok},
		runs + "?order=asc":                      {tok, second},
		runs + "?order_by=updated_at&order=desc": {second, tok},
		runs + "?per_page=1&page=2":              {tok},
		wsPath("reports", ds, "runs"):            {second, tok},
		runs + "?filter=created_at.gt.2000-01-01T00:00:00Z": {second, tok},
		runs + "?filter=created_at.lt.2000-01-01T00:00:00Z": {},
	} {
		if got := tokensIn(embedded(t, mustJSON(t, s, "GET", path, nil, http.StatusOK), "report_runs")); !slices.Equal(got, want) {
			t.Errorf("GET %s = %v, want %v", path, got, want)
		}
	}
	if old := mustJSON(t, s, "GET", runs+"/"+tok, nil, http.StatusOK); old["is_latest_dataset_run"] != false || old["is_latest_report_run"] != false {
		t.Errorf("the first run after the second = %v", old)
	}

	report := d.Reports[0]
	reportRun := waitRun(t, s, report, startRun(t, s, report, nil)["token"].(string))["token"].(string)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", runs + "/nosuchrun", nil, http.StatusNotFound},
		{"GET", runs + "/" + reportRun, nil, http.StatusNotFound}, // a run of another report
		{"GET", wsPath("datasets", "nosuchdataset", "runs"), nil, http.StatusNotFound},
		{"POST", wsPath("datasets", "nosuchdataset", "runs"), nil, http.StatusNotFound},
		{"POST", wsPath("datasets", report, "runs"), nil, http.StatusNotFound}, // a report is not a dataset
		{"GET", wsPath("datasets", report, "runs", reportRun), nil, http.StatusNotFound},
		{"POST", runs, "{", http.StatusBadRequest},
		{"GET", runs + "?order=up", nil, http.StatusBadRequest},
		{"GET", runs + "?order_by=name", nil, http.StatusBadRequest},
		{"GET", runs + "?filter=soon", nil, http.StatusBadRequest},
	} {
		if resp, body := call(t, s, tc.method, tc.path, tc.body); resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
		}
	}
	// Manual runs disabled: refused as for a report.
	s.SetManualRunDisabled(ds, true)
	if e := mustJSON(t, s, "POST", runs, nil, http.StatusBadRequest); e["message"] != manualRunsDisabledMessage {
		t.Errorf("run with manual runs disabled: %v", e)
	}
}

// resultColumns reads a JSON result (an array of row objects) keeping each row's key order:
// the columns (the first row's keys) and every row's values by column, numbers as json.Number.
func resultColumns(t *testing.T, body []byte) (cols []string, rows []map[string]any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	expect := func(want json.Delim) {
		t.Helper()
		tok, err := dec.Token()
		if err != nil || tok != want {
			t.Fatalf("result: token %v (%v), want %v", tok, err, want)
		}
	}
	expect('[')
	for dec.More() {
		expect('{')
		row := map[string]any{}
		var keys []string
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.(string))
			row[k.(string)] = v
		}
		expect('}')
		if cols == nil {
			cols = keys
		} else if !slices.Equal(keys, cols) {
			t.Fatalf("row %d has columns %v, the first %v", len(rows)+1, keys, cols)
		}
		rows = append(rows, row)
	}
	expect(']')
	return cols, rows
}

// fitsType reports whether a result value (decoded with json.Number) is one of a field of typ.
func fitsType(v any, typ string) bool {
	if v == nil {
		return true
	}
	switch typ {
	case typeInteger:
		n, ok := v.(json.Number)
		_, err := n.Int64()
		return ok && err == nil
	case typeFloat:
		_, ok := v.(json.Number)
		return ok
	case typeBoolean:
		_, ok := v.(bool)
		return ok
	case typeString:
		_, ok := v.(string)
		return ok
	case typeDatetime:
		s, _ := v.(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	case typeDate:
		s, _ := v.(string)
		_, err := time.Parse(time.DateOnly, s)
		return err == nil
	}
	return false
}

// TestDatasetFieldsMatchResults runs every demo dataset and checks that its fields are the columns
// of the run's results, in order, each value of each column fitting its field's type.
func TestDatasetFieldsMatchResults(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	wantTypes := map[string][]string{
		d.Datasets[0]: {typeInteger, typeString, typeString, typeString, typeString, typeString, typeFloat, typeFloat},
		d.Datasets[1]: {typeDatetime, typeString, typeInteger, typeInteger, typeFloat},
		d.Datasets[2]: {typeString, typeInteger, typeInteger, typeDatetime, typeDatetime},
	}
	for _, ds := range d.Datasets {
		// Fields before any run: those of the dataset's query.
		before := embedded(t, mustJSON(t, s, "GET", wsPath("datasets", ds, "fields"), nil, http.StatusOK), "dataset_fields")
		run := mustJSON(t, s, "POST", wsPath("datasets", ds, "runs"), nil, http.StatusAccepted)
		waitRun(t, s, ds, run["token"].(string))
		qr := queryRuns(t, s, ds, run["token"].(string))[0]
		_, body := call(t, s, "GET", linkHref(qr, "result"), nil)
		cols, rows := resultColumns(t, body)
		if len(rows) == 0 {
			t.Fatalf("dataset %s: no rows", ds)
		}
		fields := embedded(t, mustJSON(t, s, "GET", wsPath("datasets", ds, "fields"), nil, http.StatusOK), "dataset_fields")
		var names, types []string
		for _, f := range fields {
			names = append(names, f["name"].(string))
			types = append(types, f["type"].(string))
			if linkHref(f, "dataset") != wsPath("datasets", ds) || f["description"] != nil {
				t.Errorf("field %v", f)
			}
		}
		if !slices.Equal(names, cols) {
			t.Errorf("dataset %s: fields %v, result columns %v", ds, names, cols)
		}
		if !slices.Equal(types, wantTypes[ds]) {
			t.Errorf("dataset %s: field types %v, want %v", ds, types, wantTypes[ds])
		}
		for i, row := range rows {
			for j, c := range cols {
				if !fitsType(row[c], types[j]) {
					t.Fatalf("dataset %s row %d: %s = %#v is not a %s", ds, i+1, c, row[c], types[j])
				}
			}
		}
		if fmt.Sprint(before) != fmt.Sprint(fields) {
			t.Errorf("dataset %s: fields before its run %v, after %v", ds, before, fields)
		}
		// The CSV header names the same columns.
		_, csvBody := call(t, s, "GET", strings.TrimSuffix(linkHref(qr, "result"), ".json")+".csv", nil)
		if header, _, _ := strings.Cut(string(csvBody), "\r\n"); header != strings.Join(cols, ",") {
			t.Errorf("dataset %s: CSV header %q, fields %v", ds, header, cols)
		}
	}

	// The latest fields are those of the last successful run: editing the query changes them
	// once a run of the new SQL succeeds.
	ds := d.Datasets[2]
	q := embedded(t, mustJSON(t, s, "GET", wsPath("reports", ds, "queries"), nil, http.StatusOK), "queries")[0]
	mustJSON(t, s, "PATCH", wsPath("reports", ds, "queries", q["token"].(string)),
		object{"query": object{"raw_query": "SELECT channel, COUNT(*) > 1000 AS busy, date(MIN(occurred_at)) AS first_day FROM web_events GROUP BY channel"}}, http.StatusOK)
	fieldNames := func() string {
		var out []string
		for _, f := range embedded(t, mustJSON(t, s, "GET", wsPath("datasets", ds, "fields"), nil, http.StatusOK), "dataset_fields") {
			out = append(out, f["name"].(string)+":"+f["type"].(string))
		}
		return strings.Join(out, ",")
	}
	if got := fieldNames(); got != "channel:string,events:integer,accounts:integer,first_event:datetime,last_event:datetime" {
		t.Errorf("fields after the edit, before a run = %s", got)
	}
	waitRun(t, s, ds, mustJSON(t, s, "POST", wsPath("datasets", ds, "runs"), nil, http.StatusAccepted)["token"].(string))
	if got := fieldNames(); got != "channel:string,busy:integer,first_day:date" {
		t.Errorf("fields after a run of the edited query = %s", got)
	}
	// A run that fails leaves the fields of the last success.
	mustJSON(t, s, "PATCH", wsPath("reports", ds, "queries", q["token"].(string)),
		object{"query": object{"raw_query": "SELECT nothing FROM nowhere"}}, http.StatusOK)
	if r := waitRun(t, s, ds, mustJSON(t, s, "POST", wsPath("datasets", ds, "runs"), nil, http.StatusAccepted)["token"].(string)); r["state"] != stateFailed {
		t.Fatalf("run of broken SQL = %v", r)
	}
	if got := fieldNames(); got != "channel:string,busy:integer,first_day:date" {
		t.Errorf("fields after a failed run = %s", got)
	}
	mustJSON(t, s, "GET", wsPath("datasets", "nosuchdataset", "fields"), nil, http.StatusNotFound)
	mustJSON(t, s, "GET", wsPath("datasets", d.Reports[0], "fields"), nil, http.StatusNotFound)
}

func TestFieldTypes(t *testing.T) {
	for _, tc := range []struct {
		values   []any
		declared string
		want     string
	}{
		{[]any{int64(1), nil, int64(2)}, "", typeInteger},
		{[]any{int64(1), 2.5}, "", typeFloat},
		{[]any{2.5}, "", typeFloat},
		{[]any{"a", int64(1)}, "", typeString},
		{[]any{"2014-01-01T00:00:00.000Z", "2015-06-30 10:00:00"}, "", typeDatetime},
		{[]any{"2014-01-01", "2015-06-30"}, "", typeDate},
		{[]any{"2014-01-01", "2015-06-30T00:00:00Z"}, "", typeDatetime},
		{[]any{"2014-01", "2015-06"}, "", typeString},
		{[]any{"2014-13-45"}, "", typeString},
		{[]any{true, false}, "", typeBoolean},
		{[]any{time.Now()}, "", typeDatetime},
		{[]any{[]byte("text")}, "", typeString},
		{[]any{nil}, "INTEGER", typeInteger},
		{[]any{nil}, "REAL", typeFloat},
		{[]any{nil}, "TIMESTAMP", typeDatetime},
		{[]any{nil}, "", typeString},
	} {
		var k valueKinds
		for _, v := range tc.values {
			k.add(v)
		}
		if got := k.typ(tc.declared); got != tc.want {
			t.Errorf("values %v (declared %q): type %s, want %s", tc.values, tc.declared, got, tc.want)
		}
	}
}

func TestDatasetFieldDescriptions(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	ds := d.Datasets[0]
	list := wsPath("datasets", ds, "field_descriptions")
	if got := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "dataset_field_descriptions"); len(got) != 0 {
		t.Fatalf("%d descriptions before any", len(got))
	}
	created := mustJSON(t, s, "POST", list, object{"field_description": object{"name": "region", "desc": "The region of the account's sales rep."}}, http.StatusOK)
	tok := created["token"].(string)
	if !tokenRE.MatchString(tok) || created["name"] != "region" || created["desc"] != "The region of the account's sales rep." ||
		linkHref(created, "self") != list+"/"+tok || linkHref(created, "dataset") != wsPath("datasets", ds) {
		t.Fatalf("POST = %v", created)
	}
	second := mustJSON(t, s, "POST", list, object{"field_description": object{"name": "lat", "desc": "Latitude 🌎"}}, http.StatusOK)
	if got := tokensIn(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "dataset_field_descriptions")); !slices.Equal(got, []string{tok, second["token"].(string)}) {
		t.Errorf("list = %v", got)
	}
	fieldDesc := func(name string) any {
		t.Helper()
		for _, f := range embedded(t, mustJSON(t, s, "GET", wsPath("datasets", ds, "fields"), nil, http.StatusOK), "dataset_fields") {
			if f["name"] == name {
				return f["description"]
			}
		}
		t.Fatalf("no field %s", name)
		return nil
	}
	if got := fieldDesc("region"); got != "The region of the account's sales rep." {
		t.Errorf("the field's description = %v", got)
	}
	upd := mustJSON(t, s, "PATCH", list+"/"+tok, object{"field_description": object{"desc": "Sales region."}}, http.StatusOK)
	if upd["desc"] != "Sales region." || upd["name"] != "region" || upd["created_at"] != created["created_at"] {
		t.Errorf("PATCH = %v", upd)
	}
	if got := fieldDesc("region"); got != "Sales region." {
		t.Errorf("the field's description after the update = %v", got)
	}
	long := strings.Repeat("é", maxFieldDescription)
	mustJSON(t, s, "PATCH", list+"/"+tok, object{"field_description": object{"desc": long}}, http.StatusOK)

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"second description of a field", "POST", list, object{"field_description": object{"name": "region", "desc": "again"}}, http.StatusBadRequest},
		{"not a field", "POST", list, object{"field_description": object{"name": "Region", "desc": "x"}}, http.StatusBadRequest},
		{"no name", "POST", list, object{"field_description": object{"desc": "x"}}, http.StatusBadRequest},
		{"no desc", "POST", list, object{"field_description": object{"name": "account"}}, http.StatusBadRequest},
		{"blank desc", "POST", list, object{"field_description": object{"name": "account", "desc": "  "}}, http.StatusBadRequest},
		{"too long", "POST", list, object{"field_description": object{"name": "account", "desc": long + "!"}}, http.StatusBadRequest},
		{"no body key", "POST", list, object{"name": "account", "desc": "x"}, http.StatusBadRequest},
		{"bad JSON", "POST", list, "{", http.StatusBadRequest},
		{"unknown dataset", "POST", wsPath("datasets", "nosuchdataset", "field_descriptions"), object{"field_description": object{"name": "a", "desc": "x"}}, http.StatusNotFound},
		{"update blank", "PATCH", list + "/" + tok, object{"field_description": object{"desc": ""}}, http.StatusBadRequest},
		{"update too long", "PATCH", list + "/" + tok, object{"field_description": object{"desc": long + "!"}}, http.StatusBadRequest},
		{"update unknown", "PATCH", list + "/nosuchdesc", object{"field_description": object{"desc": "x"}}, http.StatusNotFound},
		{"update under another dataset", "PATCH", wsPath("datasets", d.Datasets[1], "field_descriptions", tok), object{"field_description": object{"desc": "x"}}, http.StatusNotFound},
		{"delete unknown", "DELETE", list + "/nosuchdesc", nil, http.StatusNotFound},
		{"list unknown dataset", "GET", wsPath("datasets", "nosuchdataset", "field_descriptions"), nil, http.StatusNotFound},
		{"get one (not served)", "GET", list + "/" + tok, nil, http.StatusMethodNotAllowed},
	} {
		if resp, body := call(t, s, tc.method, tc.path, tc.body); resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
	}
	del := mustJSON(t, s, "DELETE", list+"/"+tok, nil, http.StatusOK)
	if del["token"] != tok || del["name"] != "region" {
		t.Errorf("DELETE = %v", del)
	}
	mustJSON(t, s, "DELETE", list+"/"+tok, nil, http.StatusNotFound)
	if got := fieldDesc("region"); got != nil {
		t.Errorf("the field's description after the delete = %v", got)
	}
	// The field can be described again once its description is gone.
	mustJSON(t, s, "POST", list, object{"field_description": object{"name": "region", "desc": "Again."}}, http.StatusOK)
}

func TestDatasetSchedules(t *testing.T) {
	start := time.Date(2026, 6, 10, 4, 0, 0, 0, time.UTC)
	s, clk := newClockServer(t, start)
	d := s.Demo()
	scheduled := d.Datasets[datasetScheduleIndex]
	list := embedded(t, mustJSON(t, s, "GET", wsPath("datasets", scheduled, "schedules"), nil, http.StatusOK), "dataset_schedules")
	if len(list) != 1 || list[0]["token"] != d.DatasetSchedule || list[0]["report_token"] != scheduled || list[0]["report_type"] != reportTypeDataset ||
		list[0]["cron"].(object)["freq"] != "daily" || list[0]["next_scheduled_run"] != "2026-06-10T05:00:00.000Z" {
		t.Fatalf("the seeded dataset schedule = %v", list)
	}
	// The same schedule under the dataset's report path.
	if got := tokensIn(embedded(t, mustJSON(t, s, "GET", wsPath("reports", scheduled, "schedules"), nil, http.StatusOK), "report_schedules")); !slices.Equal(got, []string{d.DatasetSchedule}) {
		t.Errorf("report schedules of the dataset = %v", got)
	}
	if got := mustJSON(t, s, "GET", wsPath("datasets", scheduled), nil, http.StatusOK); got["schedules_count"] != 1.0 {
		t.Errorf("schedules_count = %v", got["schedules_count"])
	}
	// A schedule made through the report path of another dataset is one of its dataset schedules.
	other := d.Datasets[0]
	if got := embedded(t, mustJSON(t, s, "GET", wsPath("datasets", other, "schedules"), nil, http.StatusOK), "dataset_schedules"); len(got) != 0 {
		t.Fatalf("%d schedules of %s before any", len(got), other)
	}
	made := createSchedule(t, s, other, object{"freq": "hourly", "minute": 30}, nil)
	if got := tokensIn(embedded(t, mustJSON(t, s, "GET", wsPath("datasets", other, "schedules"), nil, http.StatusOK), "dataset_schedules")); !slices.Equal(got, []string{made["token"].(string)}) {
		t.Errorf("dataset schedules after POST reports/%s/schedules = %v", other, got)
	}
	mustJSON(t, s, "GET", wsPath("datasets", "nosuchdataset", "schedules"), nil, http.StatusNotFound)
	mustJSON(t, s, "GET", wsPath("datasets", d.Reports[0], "schedules"), nil, http.StatusNotFound)

	// Both fire on the test clock: the hourly one at 04:30, the seeded daily one at 05:00.
	clk.Advance(30 * time.Minute)
	clk.Advance(30 * time.Minute)
	for _, tc := range []struct{ dataset, schedule string }{{other, made["token"].(string)}, {scheduled, d.DatasetSchedule}} {
		runs := embedded(t, mustJSON(t, s, "GET", wsPath("datasets", tc.dataset, "runs"), nil, http.StatusOK), "report_runs")
		if len(runs) == 0 {
			t.Fatalf("dataset %s: no run after its schedule came due", tc.dataset)
		}
		run := runs[len(runs)-1]
		if !strings.HasSuffix(linkHref(run, "report_schedule"), "/schedules/"+tc.schedule) {
			t.Errorf("dataset %s: run %v was not fired by %s", tc.dataset, run, tc.schedule)
		}
		if done := waitRun(t, s, tc.dataset, run["token"].(string)); done["state"] != stateSucceeded {
			t.Errorf("dataset %s: fired run ended %v", tc.dataset, done["state"])
		}
	}
	sch := embedded(t, mustJSON(t, s, "GET", wsPath("datasets", scheduled, "schedules"), nil, http.StatusOK), "dataset_schedules")[0]
	if sch["last_scheduled_run"] != "2026-06-10T05:00:00.000Z" || sch["next_scheduled_run"] != "2026-06-11T05:00:00.000Z" {
		t.Errorf("the seeded schedule after firing = %v", sch)
	}
	if sch["last_succeeded_at"] != "2026-06-10T05:00:00.000Z" { // the run succeeded (waited for above) with the clock at 05:00
		t.Errorf("the seeded schedule's last_succeeded_at = %v", sch["last_succeeded_at"])
	}
	// A deleted dataset's schedules no longer fire.
	if resp, body := call(t, s, "DELETE", wsPath("datasets", other), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, body)
	}
	clk.Advance(2 * time.Hour)
	if n := runCount(s, other); n != -1 {
		t.Errorf("the deleted dataset is still stored (%d runs)", n)
	}
}
