package modetest

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestParseForm(t *testing.T) {
	got := parseForm("SELECT 1\n{% form %}\nregion:\n  type: select\n  label: Region\n  default: 'West'\n  options: [East, \"West\"]\nlimit:\n  type: number\n  default: 10\nkind:\n  options:\n    - a\n    - b\n  default: a\n{% endform %}")
	want := []formFieldDef{
		{name: "region", typ: "select", label: "Region", def: "West", options: []string{"East", "West"}},
		{name: "limit", typ: "number", def: "10"},
		{name: "kind", typ: "text", def: "a", options: []string{"a", "b"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseForm = %+v\nwant %+v", got, want)
	}
	if f := parseForm("SELECT 1"); len(f) != 0 {
		t.Errorf("a query without a form has fields %v", f)
	}
}

// The options of a run of each parameterised demo report are its form: names, types, labels,
// defaults (numbers as numbers) and, for a select, the values its SQL expects; a run shows the
// same form as form_fields. A report without parameters has none.
func TestRunOptions(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	channel := ""
	for _, tok := range d.Reports {
		if r := mustJSON(t, s, "GET", wsPath("reports", tok), nil, http.StatusOK); r["name"] == "Channel Deep Dive" {
			channel = tok
		}
	}
	for _, tt := range []struct {
		report string
		want   []object
	}{
		{d.ParamReport, []object{
			{"name": "region", "type": "select", "label": "Region", "default": "Northeast", "source_size": 4.0},
			{"name": "min_total", "type": "number", "label": "Minimum total (USD)", "default": 1000.0, "source_size": 0.0},
		}},
		{channel, []object{
			{"name": "channel", "type": "select", "label": "Marketing channel", "default": "facebook", "source_size": 6.0},
			{"name": "min_events", "type": "number", "label": "Minimum events", "default": 5.0, "source_size": 0.0},
		}},
		{d.Reports[0], nil},
	} {
		run := mustJSON(t, s, "POST", wsPath("reports", tt.report, "runs"), object{}, http.StatusAccepted)
		tok := run["token"].(string)
		opts := mustJSON(t, s, "GET", wsPath("reports", tt.report, "runs", tok, "options"), nil, http.StatusOK)
		fields := embedded(t, opts, "form_fields")
		if len(fields) != len(tt.want) {
			t.Fatalf("%s: %d form fields, want %d: %v", tt.report, len(fields), len(tt.want), fields)
		}
		for i, w := range tt.want {
			for k, v := range w {
				if fields[i][k] != v {
					t.Errorf("%s: field %d: %s = %v, want %v", tt.report, i, k, fields[i][k], v)
				}
			}
			if fields[i]["options_error"] != nil {
				t.Errorf("options_error = %v", fields[i]["options_error"])
			}
			if n := len(fields[i]["options"].([]any)); float64(n) != w["source_size"] {
				t.Errorf("%d options, source_size %v", n, w["source_size"])
			}
		}
		if ff, _ := run["form_fields"].([]any); len(ff) != len(tt.want) {
			t.Errorf("the run's form_fields = %v, want %d fields", run["form_fields"], len(tt.want))
		}
		if linkHref(opts, "self") != wsPath("reports", tt.report, "runs", tok, "options") {
			t.Errorf("self = %q", linkHref(opts, "self"))
		}
		waitRun(t, s, tt.report, tok)
	}
	mustJSON(t, s, "GET", wsPath("reports", d.ParamReport, "runs", "000000000000", "options"), nil, http.StatusNotFound)
}

// A region's options are exactly the regions the demo database has.
func TestRunOptionsMatchData(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	run := mustJSON(t, s, "POST", wsPath("reports", d.ParamReport, "runs"), object{}, http.StatusAccepted)
	tok := run["token"].(string)
	waitRun(t, s, d.ParamReport, tok)
	fields := embedded(t, mustJSON(t, s, "GET", wsPath("reports", d.ParamReport, "runs", tok, "options"), nil, http.StatusOK), "form_fields")
	rows, err := s.ds.db.Query("SELECT name FROM region ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		have[n] = true
	}
	for _, o := range fields[0]["options"].([]any) {
		pair := o.([]any)
		if !have[pair[1].(string)] {
			t.Errorf("option %v is no region of the database", pair)
		}
	}
	if len(fields[0]["options"].([]any)) != len(have) {
		t.Errorf("%d options, %d regions", len(fields[0]["options"].([]any)), len(have))
	}
}

func TestRunDuplicate(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.ParamReport
	run := mustJSON(t, s, "POST", wsPath("reports", rep, "runs"), object{"parameters": object{"region": "West"}}, http.StatusAccepted)
	tok := run["token"].(string)
	dups := wsPath("reports", rep, "runs", tok, "duplicates")
	mustJSON(t, s, "POST", dups, nil, http.StatusBadRequest) // not finished yet
	waitRun(t, s, rep, tok)
	mustJSON(t, s, "POST", dups+"?collection_id=000000000000", nil, http.StatusBadRequest)
	mustJSON(t, s, "POST", wsPath("reports", rep, "runs", "000000000000", "duplicates"), nil, http.StatusNotFound)

	dup := mustJSON(t, s, "POST", dups+"?collection_id="+d.Spaces[1], nil, http.StatusOK)
	dt := dup["token"].(string)
	if !tokenRE.MatchString(dt) || dup["state"] != "enqueued" || dup["collection_token"] != d.Spaces[1] || dup["new_report_token"] != nil {
		t.Fatalf("duplicate = %v", dup)
	}
	path := dups + "/" + dt
	var got object
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got = mustJSON(t, s, "GET", path, nil, http.StatusOK)
		if got["state"] != "enqueued" || time.Now().After(deadline) {
			break
		}
	}
	if got["state"] != "succeeded" {
		t.Fatalf("duplicate = %v", got)
	}
	nr := got["new_report_token"].(string)
	if linkHref(got, "new_report") != wsPath("reports", nr) {
		t.Errorf("new_report link = %q", linkHref(got, "new_report"))
	}
	copied := mustJSON(t, s, "GET", wsPath("reports", nr), nil, http.StatusOK)
	if copied["name"] != "Copy of Large Orders by Region" || copied["space_token"] != d.Spaces[1] {
		t.Errorf("the copy = %v", copied)
	}
	runs := embedded(t, mustJSON(t, s, "GET", wsPath("reports", nr, "runs"), nil, http.StatusOK), "report_runs")
	if len(runs) != 1 || runs[0]["state"] != "succeeded" || runs[0]["parameters"].(object)["region"] != "West" {
		t.Fatalf("the copy's runs = %v", runs)
	}
	_, src := call(t, s, "GET", wsPath("reports", rep, "runs", tok, "results", "content.csv"), nil)
	_, cp := call(t, s, "GET", wsPath("reports", nr, "runs", runs[0]["token"].(string), "results", "content.csv"), nil)
	if len(src) == 0 || string(src) != string(cp) {
		t.Errorf("the copy's results differ from the source run's:\n%s\n%s", src, cp)
	}
	mustJSON(t, s, "GET", dups+"/000000000000", nil, http.StatusNotFound)
	// Without collection_id the copy lands in the report's own space.
	dup = mustJSON(t, s, "POST", dups, nil, http.StatusOK)
	if dup["collection_token"] != d.Spaces[0] {
		t.Errorf("default collection = %v, want %s", dup["collection_token"], d.Spaces[0])
	}
}
