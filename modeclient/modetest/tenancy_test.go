package modetest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSecondWorkspaceIsReal(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	sd := d.Second
	if sd.Workspace != SecondWorkspace || sd.Report == "" || sd.Space == "" || sd.DataSource == "" || sd.Member == "" || sd.Group == "" || sd.Definition == "" {
		t.Fatalf("Demo().Second = %+v, want every token", sd)
	}
	for _, tok := range []string{sd.Report, sd.Space, sd.DataSource, sd.Group, sd.Definition} {
		if !tokenRE.MatchString(tok) {
			t.Errorf("token %q is not 12 hex", tok)
		}
		for _, demo := range append(append(append([]string{d.DataSource}, d.Reports...), d.Spaces...), d.Groups...) {
			if tok == demo {
				t.Errorf("token %s is shared with the demo workspace", tok)
			}
		}
	}
	p := func(parts ...string) string { return api(SecondWorkspace, parts...) }

	acct := mustJSON(t, s, "GET", p(), nil, http.StatusOK)
	if acct["username"] != SecondWorkspace || acct["space_count"] != float64(1) || acct["default_data_source_token"] != sd.DataSource {
		t.Errorf("account = %v", acct)
	}
	lists := []struct {
		path, key, token string
	}{
		{p("spaces"), "spaces", sd.Space},
		{p("spaces", sd.Space, "reports"), "reports", sd.Report},
		{p("data_sources"), "data_sources", sd.DataSource},
		{p("data_sources", sd.DataSource, "reports"), "reports", sd.Report},
		{p("groups"), "groups", sd.Group},
	}
	for _, l := range lists {
		items := embedded(t, mustJSON(t, s, "GET", l.path, nil, http.StatusOK), l.key)
		if len(items) != 1 || items[0]["token"] != l.token {
			t.Errorf("GET %s: %v, want the one object %s", l.path, items, l.token)
		}
		if self := linkHref(items[0], "self"); !strings.HasPrefix(self, "/api/"+SecondWorkspace+"/") {
			t.Errorf("GET %s: self link %q is not under the second workspace", l.path, self)
		}
	}
	members := embedded(t, mustJSON(t, s, "GET", p("memberships"), nil, http.StatusOK), "memberships")
	if len(members) != 1 || members[0]["member_username"] != sd.Member {
		t.Errorf("memberships = %v", members)
	}
	rep := mustJSON(t, s, "GET", p("reports", sd.Report), nil, http.StatusOK)
	if rep["account_username"] != SecondWorkspace || rep["space_token"] != sd.Space {
		t.Errorf("report = %v", rep)
	}
	ds := mustJSON(t, s, "GET", p("data_sources", sd.DataSource), nil, http.StatusOK)
	if ds["account_username"] != SecondWorkspace {
		t.Errorf("data source = %v", ds)
	}

	// Its report runs, and its SQL succeeds.
	run := mustJSON(t, s, "POST", p("reports", sd.Report, "runs"), nil, http.StatusAccepted)
	runPath := p("reports", sd.Report, "runs", run["token"].(string))
	var state any
	for range 2000 {
		if state = mustJSON(t, s, "GET", runPath, nil, http.StatusOK)["state"]; state == stateSucceeded || state == stateFailed {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if state != stateSucceeded {
		t.Fatalf("run of the second workspace's report: state %v, want succeeded", state)
	}
	resp, raw := call(t, s, "GET", runPath+"/results/content.csv", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(raw), "region,sales_reps\r\nMidwest,") || strings.Count(string(raw), "\n") < 2 {
		t.Errorf("results: %d %q", resp.StatusCode, raw)
	}
}

// crossPaths are requests naming one workspace with tokens of the other.
func crossPaths(d Demo) []struct{ name, path, kind string } {
	sd := d.Second
	other := func(parts ...string) string { return api(DemoWorkspace, parts...) }
	back := func(parts ...string) string { return api(SecondWorkspace, parts...) }
	return []struct{ name, path, kind string }{
		{"report", other("reports", sd.Report), "report"},
		{"report queries", other("reports", sd.Report, "queries"), "queries"},
		{"report runs", other("reports", sd.Report, "runs"), "report_runs"},
		{"space", other("spaces", sd.Space), "space"},
		{"collection", other("collections", sd.Space), "space"},
		{"space reports", other("spaces", sd.Space, "reports"), "reports"},
		{"data source", other("data_sources", sd.DataSource), "data_source"},
		{"data source reports", other("data_sources", sd.DataSource, "reports"), "reports"},
		{"group", other("groups", sd.Group), "group"},
		{"membership", other("memberships", sd.Membership), "membership"},
		{"definition", other("definitions", sd.Definition), "definition"},
		{"demo report from the second workspace", back("reports", d.Reports[0]), "report"},
		{"demo space from the second workspace", back("spaces", d.Spaces[0]), "space"},
	}
}

func TestTokensOfAnotherWorkspaceAreNotFound(t *testing.T) {
	s := newTestServer(t)
	for _, tt := range crossPaths(s.Demo()) {
		t.Run(tt.name, func(t *testing.T) {
			if resp, raw := call(t, s, "GET", tt.path, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d %s, want 404", tt.path, resp.StatusCode, raw)
			}
		})
	}
	// Writes too.
	sd := s.Demo().Second
	if resp, raw := call(t, s, "POST", wsPath("reports", sd.Report, "runs"), nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("run of another workspace's report: %d %s, want 404", resp.StatusCode, raw)
	}
	if resp, raw := call(t, s, "PATCH", wsPath("reports", sd.Report), object{"report": object{"name": "x"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("update of another workspace's report: %d %s, want 404", resp.StatusCode, raw)
	}
}

func TestCrossWorkspaceTokensAnswerTheTrueWorkspace(t *testing.T) {
	s := newTestServer(t, WithCrossWorkspaceTokens())
	d := s.Demo()
	mustJSON(t, s, "POST", api(SecondWorkspace, "reports", d.Second.Report, "runs"), nil, http.StatusAccepted) // a run to list
	for _, tt := range crossPaths(d) {
		t.Run(tt.name, func(t *testing.T) {
			o := mustJSON(t, s, "GET", tt.path, nil, http.StatusOK)
			asked := strings.Split(tt.path, "/")[2]
			objs := []object{o}
			if _, ok := o["_embedded"]; ok {
				objs = embedded(t, o, tt.kind)
			}
			if len(objs) == 0 {
				t.Fatalf("GET %s: no objects", tt.path)
			}
			for _, obj := range objs {
				self := linkHref(obj, "self")
				owner := strings.Split(self, "/")[2]
				if owner == asked || (owner != DemoWorkspace && owner != SecondWorkspace) {
					t.Errorf("GET %s: self link %q, want the object's true workspace (not %s)", tt.path, self, asked)
				}
				if u, ok := obj["account_username"]; ok && u != owner {
					t.Errorf("GET %s: account_username %v, self link %s", tt.path, u, self)
				}
			}
		})
	}
	// The workspace's own objects and lists are unchanged.
	items := embedded(t, mustJSON(t, s, "GET", wsPath("spaces"), nil, http.StatusOK), "spaces")
	for _, it := range items {
		if it["token"] == d.Second.Space {
			t.Errorf("the demo workspace's spaces list the second workspace's space")
		}
	}
	rep := mustJSON(t, s, "GET", wsPath("reports", d.Reports[0]), nil, http.StatusOK)
	if rep["account_username"] != DemoWorkspace {
		t.Errorf("demo report: account_username %v", rep["account_username"])
	}
}
