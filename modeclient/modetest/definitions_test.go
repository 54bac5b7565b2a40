package modetest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestDefinitionLifecycle(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	list := wsPath("definitions")
	seeded := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "definitions")
	if len(seeded) != 3 || len(d.Definitions) != 3 {
		t.Fatalf("%d definitions listed, Demo has %d; want 3", len(seeded), len(d.Definitions))
	}
	for i, name := range []string{"active_accounts", "orders_with_region", "revenue_by_region"} {
		def := seeded[i]
		if def["name"] != name || def["token"] != d.Definitions[i] || !tokenRE.MatchString(def["token"].(string)) ||
			def["data_source_id"] != 4001.0 || def["last_successful_sync_at"] != nil || def["source"] == "" {
			t.Errorf("definition %d = %v", i, def)
		}
		if self := linkHref(def, "self"); self != wsPath("definitions", d.Definitions[i]) {
			t.Errorf("definition %d: self %q", i, self)
		}
		if _, ok := def["id"].(float64); !ok {
			t.Errorf("definition %d: id %v is not a number", i, def["id"])
		}
	}
	byTokens := list + "?filter=by_tokens&tokens=" + d.Definitions[2] + ",nosuchtoken"
	if items := embedded(t, mustJSON(t, s, "GET", byTokens, nil, http.StatusOK), "definitions"); len(items) != 1 || items[0]["token"] != d.Definitions[2] {
		t.Errorf("by_tokens = %v", items)
	}
	mustJSON(t, s, "GET", list+"?filter=by_tokens", nil, http.StatusBadRequest)
	mustJSON(t, s, "GET", list+"?filter=by_names&tokens=x", nil, http.StatusBadRequest)

	created := mustJSON(t, s, "POST", list, object{"definition": object{
		"name": "big_orders", "description": "Orders above 10,000 USD.", "source": "SELECT id, total_amt_usd FROM orders WHERE total_amt_usd > 10000",
		"data_source_id": "4001", // a numeric string is a number
	}}, http.StatusOK)
	tok := created["token"].(string)
	path := wsPath("definitions", tok)
	if !tokenRE.MatchString(tok) || created["name"] != "big_orders" || created["data_source_id"] != 4001.0 || linkHref(created, "self") != path ||
		linkHref(created, "creator") != api(d.Members[0]) || linkHref(created, "last_run") != path+"/runs" {
		t.Fatalf("created = %v", created)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["source"] != created["source"] {
		t.Errorf("got = %v", got)
	}
	if n := len(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "definitions")); n != 4 {
		t.Errorf("%d definitions after the create, want 4", n)
	}
	if runs := embedded(t, mustJSON(t, s, "GET", path+"/runs", nil, http.StatusOK), "definition_runs"); len(runs) != 0 {
		t.Errorf("definition runs = %v", runs)
	}

	upd := mustJSON(t, s, "PATCH", path, object{"definition": object{"name": "huge_orders", "source": "SELECT id FROM orders WHERE total_amt_usd > 20000"}}, http.StatusOK)
	if upd["name"] != "huge_orders" || upd["description"] != "Orders above 10,000 USD." || !strings.Contains(upd["source"].(string), "20000") {
		t.Errorf("updated = %v", upd)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["name"] != "huge_orders" {
		t.Errorf("got after the update = %v", got)
	}
	// Renaming it to its own name, whatever the case, is no conflict.
	mustJSON(t, s, "PATCH", path, object{"definition": object{"name": "Huge_Orders"}}, http.StatusOK)

	deleted := mustJSON(t, s, "DELETE", path, nil, http.StatusOK)
	if deleted["token"] != tok || deleted["name"] != "Huge_Orders" {
		t.Errorf("DELETE answered %v, want the deleted definition", deleted)
	}
	mustJSON(t, s, "GET", path, nil, http.StatusNotFound)
	mustJSON(t, s, "GET", path+"/runs", nil, http.StatusNotFound)
	mustJSON(t, s, "DELETE", path, nil, http.StatusNotFound)
	mustJSON(t, s, "PATCH", path, object{"definition": object{"name": "x"}}, http.StatusNotFound)
	if n := len(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "definitions")); n != 3 {
		t.Errorf("%d definitions after the delete, want 3", n)
	}
}

func TestDefinitionValidation(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	list := wsPath("definitions")
	def := func(fields object) object {
		b := object{"name": "fresh", "source": "SELECT 1 AS one", "data_source_id": 4001}
		for k, v := range fields {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = v
		}
		return object{"definition": b}
	}
	for _, tt := range []struct {
		name   string
		body   any
		status int
	}{
		{"no body", nil, http.StatusBadRequest},
		{"not JSON", "{", http.StatusBadRequest},
		{"no definition", object{}, http.StatusBadRequest},
		{"empty definition", object{"definition": object{}}, http.StatusBadRequest},
		{"no name", def(object{"name": nil}), http.StatusBadRequest},
		{"no source", def(object{"source": nil}), http.StatusBadRequest},
		{"no data source", def(object{"data_source_id": nil}), http.StatusBadRequest},
		{"null data source", def(object{"data_source_id": json.RawMessage("null")}), http.StatusBadRequest},
		{"blank name", def(object{"name": "  "}), http.StatusBadRequest},
		{"name with a space", def(object{"name": "big orders"}), http.StatusBadRequest},
		{"name starting with a digit", def(object{"name": "1st"}), http.StatusBadRequest},
		{"name taken, in another case", def(object{"name": "Active_Accounts"}), http.StatusBadRequest},
		{"blank source", def(object{"source": " \n"}), http.StatusBadRequest},
		{"unknown data source", def(object{"data_source_id": 999}), http.StatusNotFound},
		{"another workspace's data source", def(object{"data_source_id": 100_004_001}), http.StatusNotFound},
		{"data source not a number", def(object{"data_source_id": "abc"}), http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := mustJSON(t, s, "POST", list, tt.body, tt.status)
			if o["id"] != errorID(tt.status) || o["message"] == "" {
				t.Errorf("error body %v", o)
			}
		})
	}
	if n := len(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "definitions")); n != 3 {
		t.Errorf("%d definitions after refused creates, want 3", n)
	}
	path := wsPath("definitions", d.Definitions[0])
	for _, body := range []object{
		{},
		{"definition": object{"name": "orders_with_region"}},
		{"definition": object{"name": ""}},
		{"definition": object{"source": ""}},
	} {
		mustJSON(t, s, "PATCH", path, body, http.StatusBadRequest)
	}
	mustJSON(t, s, "PATCH", path, object{"definition": object{"data_source_id": 12}}, http.StatusNotFound)
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["name"] != "active_accounts" || got["data_source_id"] != 4001.0 {
		t.Errorf("refused updates changed the definition: %v", got)
	}
	// The second workspace's definitions are its own.
	items := embedded(t, mustJSON(t, s, "GET", api(SecondWorkspace, "definitions"), nil, http.StatusOK), "definitions")
	if len(items) != 1 || items[0]["token"] != d.Second.Definition || items[0]["data_source_id"] != 100_004_001.0 {
		t.Errorf("second workspace's definitions = %v", items)
	}
	mustJSON(t, s, "GET", wsPath("definitions", d.Second.Definition), nil, http.StatusNotFound)
	// A name taken in the other workspace is free here.
	mustJSON(t, s, "POST", list, def(object{"name": "regions_with_reps"}), http.StatusOK)
}

// TestExpandDefinitions: {{ @name }} becomes the definition's SQL as an aliased subquery,
// definitions referencing definitions expand too, and what cannot expand says why.
func TestExpandDefinitions(t *testing.T) {
	st := newStore(&registry{tokens: map[string]bool{}}, 0)
	st.account = &account{username: "acme"}
	for _, d := range []struct {
		name, source string
		ds           int
	}{
		{"a", "SELECT 1 AS x;  ", 1},
		{"b", "SELECT x FROM {{ @a }}", 1},
		{"loop1", "SELECT * FROM {{@loop2}}", 1},
		{"loop2", "SELECT * FROM {{ @Loop1 }}", 1},
		{"elsewhere", "SELECT 2", 2},
	} {
		st.definitions = append(st.definitions, &definition{ws: st, name: d.name, source: d.source, dataSourceID: d.ds})
	}
	for _, tt := range []struct {
		sql, want, err string
	}{
		{sql: "SELECT 1", want: "SELECT 1"},
		{sql: "SELECT * FROM {{ @a }}", want: "SELECT * FROM (SELECT 1 AS x) AS a"},
		{sql: "SELECT * FROM {{@A}} JOIN {{ @a }} USING (x)", want: "SELECT * FROM (SELECT 1 AS x) AS a JOIN (SELECT 1 AS x) AS a USING (x)"},
		{sql: "SELECT * FROM {{ @b }}", want: "SELECT * FROM (SELECT x FROM (SELECT 1 AS x) AS a) AS b"},
		{sql: "SELECT '{{ region }}' FROM {{ @a }}", want: "SELECT '{{ region }}' FROM (SELECT 1 AS x) AS a"},
		{sql: "SELECT * FROM {{ @nope }}", err: "@nope not found"},
		{sql: "SELECT * FROM {{ @loop1 }}", err: "references itself"},
		{sql: "SELECT * FROM {{ @elsewhere }}", err: "another data source"},
	} {
		got, err := st.expandDefinitions(tt.sql, 1)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("expand(%q) = %q, %v; want %q", tt.sql, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("expand(%q): err %v, want one saying %q", tt.sql, err, tt.err)
		}
	}
}

// TestDefinitionsInRuns: a query that references definitions runs their SQL; a definition
// changed or deleted changes the next run; a reference that cannot expand fails the query run
// with the reason.
func TestDefinitionsInRuns(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[11] // Scratchpad: one cheap query
	q := firstToken(t, s, wsPath("reports", rep, "queries"), "queries")
	// runWith sets the report's query to sql, runs the report and returns its query run.
	runWith := func(sql string) object {
		t.Helper()
		mustJSON(t, s, "PATCH", wsPath("reports", rep, "queries", q), object{"query": object{"raw_query": sql}}, http.StatusOK)
		run := startRun(t, s, rep, nil)
		waitRun(t, s, rep, run["token"].(string))
		qrs := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "runs", run["token"].(string), "query_runs"), nil, http.StatusOK), "query_runs")
		if len(qrs) != 1 {
			t.Fatalf("%d query runs", len(qrs))
		}
		return qrs[0]
	}
	results := func(qr object) []object {
		t.Helper()
		resp, raw := call(t, s, "GET", linkHref(qr, "result"), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("results: %d %s", resp.StatusCode, raw)
		}
		var rows []object
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		return rows
	}

	qr := runWith("SELECT region, revenue_usd FROM {{ @revenue_by_region }} ORDER BY region")
	if qr["state"] != stateSucceeded || !strings.Contains(qr["rendered_source"].(string), ") AS orders_with_region") ||
		!strings.Contains(qr["raw_source"].(string), "{{ @revenue_by_region }}") {
		t.Fatalf("query run = %v", qr)
	}
	if rows := results(qr); len(rows) != 4 || rows[0]["region"] != "Midwest" {
		t.Errorf("revenue_by_region rows = %v", rows)
	}

	// The definition changed: the next run reads the new SQL.
	mustJSON(t, s, "PATCH", wsPath("definitions", d.Definitions[2]), object{"definition": object{
		"source": "SELECT region, COUNT(*) AS orders FROM {{ @orders_with_region }} WHERE region = 'West' GROUP BY region",
	}}, http.StatusOK)
	qr = runWith("SELECT * FROM {{ @revenue_by_region }}")
	if rows := results(qr); qr["state"] != stateSucceeded || len(rows) != 1 || rows[0]["region"] != "West" || rows[0]["orders"] == nil {
		t.Errorf("after the definition changed: %v, rows %v", qr["state"], rows)
	}

	for _, tt := range []struct{ name, sql, message string }{
		{"unknown", "SELECT * FROM {{ @no_such_definition }}", "@no_such_definition not found"},
		{"another workspace's", "SELECT * FROM {{ @regions_with_reps }}", "@regions_with_reps not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			qr := runWith(tt.sql)
			if qr["state"] != stateFailed || !strings.Contains(qr["error_message"].(string), tt.message) {
				t.Errorf("query run = %v, want failed with %q", qr, tt.message)
			}
		})
	}
	mustJSON(t, s, "DELETE", wsPath("definitions", d.Definitions[0]), nil, http.StatusOK)
	if qr := runWith("SELECT COUNT(*) AS n FROM {{ @active_accounts }}"); qr["state"] != stateFailed {
		t.Errorf("a run after its definition was deleted: %v", qr["state"])
	}
}
