package modetest

import (
	"net/http"
	"testing"
)

func TestSpaceLifecycle(t *testing.T) {
	for _, coll := range []string{"spaces", "collections"} {
		t.Run(coll, func(t *testing.T) {
			s := newTestServer(t)
			created := mustJSON(t, s, "POST", wsPath(coll), object{"space": object{"name": "Finance", "description": "Money"}}, http.StatusOK)
			tok := created["token"].(string)
			if !tokenRE.MatchString(tok) || created["name"] != "Finance" || created["space_type"] != "custom" {
				t.Fatalf("created = %v", created)
			}
			got := mustJSON(t, s, "GET", wsPath(coll, tok), nil, http.StatusOK)
			if got["description"] != "Money" {
				t.Errorf("got = %v", got)
			}
			mustJSON(t, s, "POST", wsPath(coll), object{"space": object{"name": "finance"}}, http.StatusBadRequest)
			upd := mustJSON(t, s, "POST", wsPath(coll, tok), object{"space": object{"name": "Finance 2"}}, http.StatusOK)
			if upd["name"] != "Finance 2" || upd["description"] != "Money" {
				t.Errorf("updated = %v", upd)
			}
			list := mustJSON(t, s, "GET", wsPath(coll)+"?filter=all", nil, http.StatusOK)
			if n := len(embedded(t, list, "spaces")); n != 5 {
				t.Errorf("%d spaces after create, want 5", n)
			}
			mustJSON(t, s, "DELETE", wsPath(coll, tok), nil, http.StatusOK)
			mustJSON(t, s, "GET", wsPath(coll, tok), nil, http.StatusNotFound)
			mustJSON(t, s, "DELETE", wsPath(coll, tok), nil, http.StatusNotFound)
			mustJSON(t, s, "POST", wsPath(coll, tok), object{"space": object{"name": "x"}}, http.StatusNotFound)
		})
	}
}

func TestReportWrites(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[0]
	upd := mustJSON(t, s, "PATCH", wsPath("reports", rep), object{"report": object{"name": "Renamed", "description": "New", "space_token": d.Spaces[1]}}, http.StatusOK)
	if upd["name"] != "Renamed" || upd["description"] != "New" || upd["space_token"] != d.Spaces[1] {
		t.Fatalf("updated = %v", upd)
	}
	inMarketing := mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[1], "reports"), nil, http.StatusOK)
	found := false
	for _, r := range embedded(t, inMarketing, "reports") {
		found = found || r["token"] == rep
	}
	if !found {
		t.Errorf("moved report not listed in its new space")
	}

	arch := mustJSON(t, s, "PATCH", wsPath("reports", rep, "archive"), nil, http.StatusOK)
	if arch["archived"] != true {
		t.Errorf("archive: %v", arch["archived"])
	}
	archived := mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[1], "reports")+"?filter=archived", nil, http.StatusOK)
	if l := embedded(t, archived, "reports"); len(l) != 1 || l[0]["token"] != rep {
		t.Errorf("archived list = %v", l)
	}
	unarch := mustJSON(t, s, "PATCH", wsPath("reports", rep, "unarchive"), nil, http.StatusOK)
	if unarch["archived"] != false {
		t.Errorf("unarchive: %v", unarch["archived"])
	}

	mustJSON(t, s, "DELETE", wsPath("reports", rep), nil, http.StatusOK)
	mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusNotFound)
	mustJSON(t, s, "PATCH", wsPath("reports", rep, "archive"), nil, http.StatusNotFound)
}

func TestQueryLifecycle(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[2]
	ds := mustJSON(t, s, "GET", wsPath("data_sources", d.DataSource), nil, http.StatusOK)
	dsID := ds["id"]

	created := mustJSON(t, s, "POST", wsPath("reports", rep, "queries"),
		object{"query": object{"raw_query": "SELECT COUNT(*) AS n FROM region", "data_source_id": dsID, "name": "Count regions"}}, http.StatusOK)
	q := created["token"].(string)
	if created["name"] != "Count regions" || created["data_source_id"] != dsID {
		t.Fatalf("created = %v", created)
	}
	// data_source_id as a string is accepted too.
	mustJSON(t, s, "POST", wsPath("reports", rep, "queries"),
		object{"query": object{"raw_query": "SELECT 1 AS one", "data_source_id": "4001"}}, http.StatusOK)

	list := mustJSON(t, s, "GET", wsPath("reports", rep, "queries"), nil, http.StatusOK)
	if n := len(embedded(t, list, "queries")); n != 3 {
		t.Errorf("%d queries, want 3", n)
	}
	upd := mustJSON(t, s, "PATCH", wsPath("reports", rep, "queries", q), object{"query": object{"raw_query": "SELECT COUNT(*) AS n FROM sales_reps"}}, http.StatusOK)
	if upd["raw_query"] != "SELECT COUNT(*) AS n FROM sales_reps" || upd["name"] != "Count regions" {
		t.Errorf("updated = %v", upd)
	}
	got := mustJSON(t, s, "GET", wsPath("reports", rep, "queries", q), nil, http.StatusOK)
	if got["raw_query"] != upd["raw_query"] {
		t.Errorf("get after update = %v", got)
	}
	r := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK)
	if r["query_count"] != float64(3) {
		t.Errorf("report query_count = %v", r["query_count"])
	}
	mustJSON(t, s, "DELETE", wsPath("reports", rep, "queries", q), nil, http.StatusOK)
	mustJSON(t, s, "GET", wsPath("reports", rep, "queries", q), nil, http.StatusNotFound)
}
