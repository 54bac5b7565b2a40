package modetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// jsonText is v as JSON (object keys sorted).
func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// filterBody is a create body on query q, with fields replacing (or, when nil, removing) the
// defaults: a SINGLE LIST filter on the region column.
func filterBody(q string, fields object) object {
	b := object{
		"name": "Region", "formula": "[region]", "data_type": "string", "formula_type": "column",
		"filter_type": "SINGLE", "control_type": "LIST", "variable_type": "DISCRETE",
		"options": object{"query_token": q},
	}
	for k, v := range fields {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	return object{"report_filter": b}
}

// filterNames lists the names of a report's filters, checking their row_order.
func filterNames(t *testing.T, s *Server, rep string) []string {
	t.Helper()
	var names []string
	for i, f := range embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "filters"), nil, http.StatusOK), "report_filters") {
		if f["row_order"] != float64(i+1) {
			t.Errorf("filter %v at %d has row_order %v", f["name"], i+1, f["row_order"])
		}
		names = append(names, f["name"].(string))
	}
	return names
}

func TestReportFilterLifecycle(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.FilterReport
	queries := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "queries"), nil, http.StatusOK), "queries")
	reps, perRegion := queries[0]["token"].(string), queries[1]["token"].(string)
	report := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK)
	list := wsPath("reports", rep, "filters")
	if linkHref(report, "report_filters") != list {
		t.Errorf("report_filters link = %q", linkHref(report, "report_filters"))
	}

	seeded := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "report_filters")
	if len(seeded) != 2 || len(d.Filters) != 2 {
		t.Fatalf("%d filters listed, Demo has %d; want 2", len(seeded), len(d.Filters))
	}
	region := seeded[0]
	if region["token"] != d.Filters[0] || region["name"] != "Region" || region["formula"] != "[region]" || region["filter_type"] != "MULTI" ||
		region["control_type"] != "DROPDOWN" || region["variable_type"] != "DISCRETE" || region["report_id"] != report["id"] ||
		region["options"].(object)["query_token"] != reps || region["hide_select_all"] != false || region["show_relevant_values_only"] != false ||
		linkHref(region, "self") != list+"/"+d.Filters[0] || linkHref(region, "report") != wsPath("reports", rep) {
		t.Errorf("seeded Region filter = %v", region)
	}
	if seeded[1]["filter_type"] != "RANGE" || seeded[1]["control_type"] != "RANGE" || seeded[1]["formula"] != "[revenue_usd]" {
		t.Errorf("seeded Revenue filter = %v", seeded[1])
	}

	// Created before the second filter; a calculated formula over two columns.
	created := mustJSON(t, s, "POST", list, filterBody(reps, object{
		"name": "Revenue per order", "formula": "[revenue_usd] / [ orders ]", "data_type": "number",
		"filter_type": "RANGE", "control_type": "RANGE", "variable_type": "CONTINUOUS",
		"options":           object{"query_token": reps, "min": 0, "max": 5000},
		"next_filter_token": d.Filters[1],
	}), http.StatusOK)
	tok := created["token"].(string)
	path := list + "/" + tok
	if !tokenRE.MatchString(tok) || created["row_order"] != 2.0 || created["options"].(object)["max"] != 5000.0 || linkHref(created, "self") != path {
		t.Fatalf("created = %v", created)
	}
	if got := filterNames(t, s, rep); !slices.Equal(got, []string{"Region", "Revenue per order", "Revenue (USD)"}) {
		t.Errorf("filters after the create = %v", got)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["formula"] != "[revenue_usd] / [ orders ]" {
		t.Errorf("got = %v", got)
	}

	// An update changes what it gives and keeps the rest; next_filter_token "" moves it last.
	upd := mustJSON(t, s, "PATCH", path, object{"report_filter": object{"name": "Revenue / order", "next_filter_token": ""}}, http.StatusOK)
	if upd["name"] != "Revenue / order" || upd["formula"] != created["formula"] || upd["row_order"] != 3.0 || upd["created_at"] != created["created_at"] {
		t.Errorf("updated = %v", upd)
	}
	if got := filterNames(t, s, rep); !slices.Equal(got, []string{"Region", "Revenue (USD)", "Revenue / order"}) {
		t.Errorf("filters after the move = %v", got)
	}
	// Onto the other query's column, and to the top.
	upd = mustJSON(t, s, "PATCH", path, object{"report_filter": object{
		"formula": "[sales_reps]", "options": object{"query_token": perRegion}, "next_filter_token": d.Filters[0],
	}}, http.StatusOK)
	if upd["formula"] != "[sales_reps]" || upd["options"].(object)["query_token"] != perRegion || upd["row_order"] != 1.0 {
		t.Errorf("moved to the other query = %v", upd)
	}
	// A column the query does not have: refused, nothing changed.
	mustJSON(t, s, "PATCH", path, object{"report_filter": object{"formula": "[revenue_usd]"}}, http.StatusBadRequest)
	mustJSON(t, s, "PATCH", path, object{"report_filter": object{"filter_type": "MULTI"}}, http.StatusBadRequest) // a RANGE control
	mustJSON(t, s, "PATCH", path, object{"report_filter": object{"next_filter_token": tok}}, http.StatusBadRequest)
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["formula"] != "[sales_reps]" || got["filter_type"] != "RANGE" || got["row_order"] != 1.0 {
		t.Errorf("refused updates changed the filter: %v", got)
	}

	deleted := mustJSON(t, s, "DELETE", path, nil, http.StatusOK)
	if deleted["token"] != tok || deleted["name"] != "Revenue / order" {
		t.Errorf("DELETE answered %v, want the deleted filter", deleted)
	}
	mustJSON(t, s, "GET", path, nil, http.StatusNotFound)
	mustJSON(t, s, "DELETE", path, nil, http.StatusNotFound)
	mustJSON(t, s, "PATCH", path, object{"report_filter": object{"name": "x"}}, http.StatusNotFound)
	if got := filterNames(t, s, rep); !slices.Equal(got, []string{"Region", "Revenue (USD)"}) {
		t.Errorf("filters after the delete = %v", got)
	}

	// Deleting the query the seeded filters read deletes them; a filter on the other query stays.
	other := mustJSON(t, s, "POST", list, filterBody(perRegion, nil), http.StatusOK)
	mustJSON(t, s, "DELETE", wsPath("reports", rep, "queries", reps), nil, http.StatusOK)
	items := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "report_filters")
	if len(items) != 1 || items[0]["token"] != other["token"] || items[0]["row_order"] != 1.0 {
		t.Errorf("filters after their query was deleted = %v", items)
	}
	mustJSON(t, s, "GET", list+"/"+d.Filters[0], nil, http.StatusNotFound)

	// Deleting the report deletes the rest.
	mustJSON(t, s, "DELETE", wsPath("reports", rep), nil, http.StatusOK)
	mustJSON(t, s, "GET", list, nil, http.StatusNotFound)
	mustJSON(t, s, "GET", list+"/"+other["token"].(string), nil, http.StatusNotFound)
}

func TestReportFilterValidation(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[0] // Revenue by Region: region, orders, revenue_usd
	q := firstToken(t, s, wsPath("reports", rep, "queries"), "queries")
	list := wsPath("reports", rep, "filters")
	with := func(fields object) object { return filterBody(q, fields) }
	cases := []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"no body", list, nil, http.StatusBadRequest},
		{"not JSON", list, "[", http.StatusBadRequest},
		{"no report_filter", list, object{"filter": object{}}, http.StatusBadRequest},
		{"bad filter_type", list, with(object{"filter_type": "BOTH"}), http.StatusBadRequest},
		{"bad control_type", list, with(object{"control_type": "SLIDER"}), http.StatusBadRequest},
		{"bad variable_type", list, with(object{"variable_type": "discrete"}), http.StatusBadRequest},
		{"RANGE control of a SINGLE filter", list, with(object{"control_type": "RANGE"}), http.StatusBadRequest},
		{"RANGE filter in a LIST", list, with(object{"filter_type": "RANGE"}), http.StatusBadRequest},
		{"options without query_token", list, with(object{"options": object{"values": []string{"West"}}}), http.StatusBadRequest},
		{"query_token not a string", list, with(object{"options": object{"query_token": 7}}), http.StatusBadRequest},
		{"unknown query", list, with(object{"options": object{"query_token": "nosuchquery"}}), http.StatusBadRequest},
		{"another report's query", list, filterBody(firstToken(t, s, wsPath("reports", d.Reports[2], "queries"), "queries"), nil), http.StatusBadRequest},
		{"formula without a column", list, with(object{"formula": "region"}), http.StatusBadRequest},
		{"unknown column", list, with(object{"formula": "[region_name]"}), http.StatusBadRequest},
		{"one unknown column", list, with(object{"formula": "[revenue_usd] / [units]"}), http.StatusBadRequest},
		{"unknown next filter", list, with(object{"next_filter_token": "nosuchfilter"}), http.StatusBadRequest},
		{"a query that does not run", wsPath("reports", d.FailingReport, "filters"),
			filterBody(firstToken(t, s, wsPath("reports", d.FailingReport, "queries"), "queries"), object{"formula": "[churn_score]"}), http.StatusBadRequest},
		{"unknown report", wsPath("reports", "nosuchreport", "filters"), with(nil), http.StatusNotFound},
		{"another workspace's report", wsPath("reports", d.Second.Report, "filters"), with(nil), http.StatusNotFound},
	}
	for _, f := range []string{"name", "formula", "data_type", "formula_type", "filter_type", "control_type", "variable_type", "options"} {
		cases = append(cases, struct {
			name   string
			path   string
			body   any
			status int
		}{"no " + f, list, with(object{f: nil}), http.StatusBadRequest})
		if f != "options" {
			cases = append(cases, struct {
				name   string
				path   string
				body   any
				status int
			}{"blank " + f, list, with(object{f: " "}), http.StatusBadRequest})
		}
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			o := mustJSON(t, s, "POST", tt.path, tt.body, tt.status)
			if o["id"] != errorID(tt.status) || o["message"] == "" {
				t.Errorf("error body %v", o)
			}
			t.Log(o["message"])
		})
	}
	if n := len(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "report_filters")); n != 0 {
		t.Errorf("%d filters after refused creates, want 0", n)
	}

	// What is accepted: any data_type and formula_type, options kept as sent, a column of a query
	// that reads a definition, a parameterised query's column.
	opts := object{"query_token": q, "selected_values": []any{"West", "Midwest"}, "hide": false}
	got := mustJSON(t, s, "POST", list, with(object{"data_type": "TEXT", "formula_type": "dimension", "options": opts}), http.StatusOK)
	if jsonText(t, got["options"]) != jsonText(t, opts) || got["data_type"] != "TEXT" || got["formula_type"] != "dimension" {
		t.Errorf("created = %v", got)
	}
	dq := mustJSON(t, s, "POST", wsPath("reports", rep, "queries"), object{"query": object{"raw_query": "SELECT * FROM {{ @active_accounts }}"}}, http.StatusOK)
	mustJSON(t, s, "POST", list, filterBody(dq["token"].(string), object{"formula": "[last_order_at]"}), http.StatusOK)
	pq := firstToken(t, s, wsPath("reports", d.ParamReport, "queries"), "queries")
	mustJSON(t, s, "POST", wsPath("reports", d.ParamReport, "filters"), filterBody(pq, object{"formula": "[total_amt_usd]"}), http.StatusOK)
}
