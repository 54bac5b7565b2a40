package modespec

import "testing"

func TestRead(t *testing.T) {
	ops, err := Read("../../modeclient/modetest/testdata/mode-api/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, op := range ops {
		routes[op.Route()] = true
	}
	for route, want := range map[string]bool{
		"GET /api/{}/reports/{}": true,
		"GET /api/verify":        true, // already under the base path
		"GET /api/account":       true,
		"GET /api/{}/reports/{}/runs/{}/results/content.csv":  true,
		"GET /api/{}/reports/{}/runs/{}/results/content.json": true,
		"GET /api/{}/reports/{}/pins":                         false,
	} {
		if routes[route] != want {
			t.Errorf("route %s listed = %v, want %v", route, routes[route], want)
		}
	}
	if len(ops) != 96 { // 94 operations, two of them a pair of files
		t.Errorf("%d operations, want 96", len(ops))
	}
	for _, op := range ops {
		if op.Family == "" {
			t.Errorf("%s has no family (x-summary)", op.Route())
		}
		if op.Route() == "GET /api/{}/reports/{}/runs/{}/results/content.csv" &&
			(op.Key() != "GET /api/{account}/reports/{report}/runs/{run}/results/content(.csv, .json)" || op.Family != "Export") {
			t.Errorf("content.csv: key %q, family %q", op.Key(), op.Family)
		}
	}
	if got := Fill("/api/{account}/reports/{report}", func(n string) string { return n + "1" }); got != "/api/account1/reports/report1" {
		t.Errorf("Fill = %q", got)
	}
	if _, err := Read("no/such/file.json"); err == nil {
		t.Error("Read of a missing file: no error")
	}
}
