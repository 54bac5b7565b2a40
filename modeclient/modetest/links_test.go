package modetest

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// maxWalked bounds how many distinct URLs TestLinksLeadSomewhere follows, against links that
// would make the walk endless (it follows far fewer today).
const maxWalked = 5000

// notThere are the links that may answer 404, and why. Each must still be met by the walk
// (the list cannot outlive its reason).
var notThere = map[string]string{
	// ReportLinks and DefinitionLinks require it on every report and definition; the emulator
	// syncs nothing with GitHub, so there is no last successful sync, and no operation of Mode's
	// document serves one.
	"last_successful_github_sync": "no report or definition is synced with GitHub",
}

// hrefs collects the non-templated links under /api/ anywhere in a decoded JSON value (the
// object's own _links and those of everything embedded), as name → hrefs.
func hrefs(v any, out map[string][]string) {
	switch v := v.(type) {
	case map[string]any:
		if ls, ok := v["_links"].(map[string]any); ok {
			for name, l := range ls {
				lk, _ := l.(map[string]any)
				h, _ := lk["href"].(string)
				if templated, _ := lk["templated"].(bool); templated || !strings.HasPrefix(h, "/api/") {
					continue
				}
				out[name] = append(out[name], h)
			}
		}
		for k, child := range v {
			if k != "_links" {
				hrefs(child, out)
			}
		}
	case []any:
		for _, child := range v {
			hrefs(child, out)
		}
	}
}

// TestLinksLeadSomewhere follows every non-templated API link the emulator sends, from the
// workspace and the lists of its spaces, data sources, memberships and groups, after a report
// has run (so that its runs, query runs and results are linked too), and fails on every link
// that answers 404 (but those notThere lists): a link the emulator sends must lead somewhere.
// Links to actions (clone) answer GET with 405 and the methods they take. Web links (outside /api/)
// are Mode's pages for people and are not followed.
func TestLinksLeadSomewhere(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	report := d.Reports[0]
	run := startRun(t, s, report, nil)
	if got := waitRun(t, s, report, run["token"].(string)); got["state"] != stateSucceeded {
		t.Fatalf("the run of %s ended %v", report, got["state"])
	}
	sched := mustJSON(t, s, "POST", wsPath("reports", report, "schedules"), map[string]any{"cron": map[string]any{"freq": "hourly"}}, http.StatusOK)
	mustJSON(t, s, "POST", wsPath("reports", report, "subscriptions"), map[string]any{
		"schedule_token": sched["token"], "email_subscribers": []string{d.Members[0]}, "slack_channels": []string{"#sales"},
	}, http.StatusOK)

	// A dataset that has run and has a field description, so that its run's links (and through
	// them its query runs and results) and its description's links are followed too.
	dataset := d.Datasets[0]
	dsRun := mustJSON(t, s, "POST", wsPath("datasets", dataset, "runs"), nil, http.StatusAccepted)
	if got := waitRun(t, s, dataset, dsRun["token"].(string)); got["state"] != stateSucceeded {
		t.Fatalf("the run of dataset %s ended %v", dataset, got["state"])
	}
	mustJSON(t, s, "POST", wsPath("datasets", dataset, "field_descriptions"),
		object{"field_description": object{"name": "region", "desc": "The sales region of the account's rep."}}, http.StatusOK)

	// Nothing links to a run's options or duplicates (ReportRunLinks names neither): start from
	// them, once the duplicate is done, so their links are followed too.
	rp := wsPath("reports", report, "runs", run["token"].(string))
	dup := mustJSON(t, s, "POST", rp+"/duplicates", nil, http.StatusOK)
	dupPath := rp + "/duplicates/" + dup["token"].(string)
	for deadline := time.Now().Add(10 * time.Second); dup["state"] == "enqueued" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		dup = mustJSON(t, s, "GET", dupPath, nil, http.StatusOK)
	}

	// Nothing links to a schema update either: start from the one a POST queued.
	schemaUpdate := linkHref(mustJSON(t, s, "POST", wsPath("data_sources", d.DataSource, "schema_updates"), nil, http.StatusOK), "self")

	type from struct{ page, link string }
	queue := []string{
		wsPath(), wsPath("spaces") + "?filter=all", wsPath("data_sources"), wsPath("memberships"), wsPath("groups"),
		api(SecondWorkspace), "/api/verify", "/api/account", rp + "/options", dupPath, schemaUpdate,
	}
	seen := map[string]from{}
	for _, u := range queue {
		seen[u] = from{page: "(start)"}
	}
	linkNames, metNotThere := map[string]bool{}, map[string]bool{}
	var broken []string
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		resp, body := call(t, s, http.MethodGet, u, nil)
		f := seen[u]
		switch {
		case resp.StatusCode == http.StatusNotFound && notThere[f.link] != "":
			metNotThere[f.link] = true
			continue
		case resp.StatusCode == http.StatusNotFound && f.page == "/api/account" && accountReportLists[f.link] != "":
			// Lists Mode's document requires the current user's Account to link and documents no
			// operation for (people.go).
			metNotThere["account "+f.link] = true
			continue
		case resp.StatusCode == http.StatusNotFound:
			broken = append(broken, f.link+" of "+f.page+" → "+u)
			continue
		case resp.StatusCode == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "":
			continue // an action (clone is a POST): the route exists
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s (link %s of %s): status %d: %s", u, seen[u].link, seen[u].page, resp.StatusCode, body)
			continue
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), halContentType) {
			continue // a result file
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("GET %s: %v", u, err)
			continue
		}
		found := map[string][]string{}
		hrefs(v, found)
		for name, hs := range found {
			for _, h := range hs {
				linkNames[name] = true
				if _, ok := seen[h]; ok {
					continue
				}
				if len(seen) >= maxWalked {
					t.Fatalf("more than %d distinct links: the walk does not end", maxWalked)
				}
				seen[h] = from{page: u, link: name}
				queue = append(queue, h)
			}
		}
	}
	slices.Sort(broken)
	for _, b := range broken {
		t.Errorf("link answers 404: %s", b)
	}
	for _, name := range []string{"self", "last_run", "last_successful_run", "query_runs", "result", "content", "executed_by", "creator", "groups", "report_run", "new_report", "collection",
		"definitions", "report_filters", "charts",
		"datasets", "dataset", "fields", "field_descriptions", "field_description", "dataset_reports", "latest_successful_dataset_run_api_url",
		"group_memberships", "space_memberships", "member", "user_group"} {
		if !linkNames[name] {
			t.Errorf("no %s link was followed: the walk misses part of the emulator", name)
		}
	}
	for name := range notThere {
		if !metNotThere[name] {
			t.Errorf("notThere lists %s, which the walk never met answering 404: remove it", name)
		}
	}
	for name := range accountReportLists {
		if !metNotThere["account "+name] {
			t.Errorf("the current user's %s link was not met answering 404: is it served now? Then drop it from accountReportLists", name)
		}
	}
	walkedPaths := map[string]bool{}
	for u := range seen {
		p, _ := url.Parse(u)
		walkedPaths[p.Path] = true
	}
	t.Logf("followed %d distinct links (%d paths, %d link names)", len(seen), len(walkedPaths), len(linkNames))
}

// TestAccountNames: GET /api/{name} is Mode's account resource, a workspace or a user;
// /api/verify answers whether the credential works; "account" and "verify" are never read as a
// workspace.
func TestAccountNames(t *testing.T) {
	s := newTestServer(t)
	member, member0 := s.Demo().Members[1], s.Demo().Members[0]
	for _, tt := range []struct {
		path   string
		noAuth bool
		status int
		user   any    // the answer's "user" field, when 200 with one
		self   string // the answer's self link when not path
	}{
		{path: wsPath(), status: http.StatusOK, user: false},
		{path: api(member), status: http.StatusOK, user: true},
		{path: "/api/verify", status: http.StatusOK},
		{path: "/api/verify", noAuth: true, status: http.StatusUnauthorized},
		{path: "/api/account", status: http.StatusOK, user: true, self: api(member0)}, // the credential's user
		{path: "/api/Account", status: http.StatusNotFound},
		{path: "/api/account/spaces", status: http.StatusNotFound},
		{path: "/api/verify/reports/abc", status: http.StatusNotFound},
		{path: "/api/no_such_account", status: http.StatusNotFound},
	} {
		token, secret := s.Token, s.Secret
		if tt.noAuth {
			token, secret = "", ""
		}
		resp, body := callAs(t, s, token, secret, http.MethodGet, tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: status %d, want %d: %s", tt.path, resp.StatusCode, tt.status, body)
			continue
		}
		if tt.status != http.StatusOK {
			continue
		}
		var o object
		if err := json.Unmarshal(body, &o); err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		if want := cmp.Or(tt.self, tt.path); linkHref(o, "self") != want {
			t.Errorf("GET %s: self link %q", tt.path, linkHref(o, "self"))
		}
		if tt.user != nil && o["user"] != tt.user {
			t.Errorf("GET %s: user = %v, want %v", tt.path, o["user"], tt.user)
		}
	}
}
