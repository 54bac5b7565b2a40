package modetest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var (
	tokenRE = regexp.MustCompile(`^[0-9a-f]{12}$`)
	timeRE  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func TestReadEndpoints(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[0]
	tests := []struct {
		name     string
		path     string
		listKey  string   // "" for a single object
		fields   []string // fields every object must carry
		numeric  []string // fields that must be JSON numbers
		selfLink bool
	}{
		{"account", wsPath(), "", []string{"username", "name", "token", "created_at"}, []string{"id", "space_count"}, true},
		{"memberships", wsPath("memberships"), "memberships", []string{"member_username", "member_token", "activated_at"}, nil, true},
		{"membership", wsPath("memberships", d.Memberships[0]), "", []string{"token", "member_username", "admin", "state"}, nil, true},
		{"groups", wsPath("groups"), "groups", []string{"token", "name", "group_type", "state"}, []string{"member_count"}, true},
		{"group", wsPath("groups", d.Groups[1]), "", []string{"token", "name"}, []string{"member_count"}, true},
		{"group memberships", wsPath("groups", d.Groups[1], "memberships"), "group_memberships", []string{"member_username"}, nil, true},
		{"spaces", wsPath("spaces"), "spaces", []string{"token", "space_type", "name", "state"}, []string{"id"}, true},
		{"spaces all", wsPath("spaces") + "?filter=all", "spaces", []string{"token"}, []string{"id"}, true},
		{"collections", wsPath("collections"), "spaces", []string{"token"}, []string{"id"}, true},
		{"space", wsPath("spaces", d.Spaces[0]), "", []string{"token", "name", "restricted", "_forms"}, []string{"id"}, true},
		{"collection", wsPath("collections", d.Spaces[0]), "", []string{"token"}, []string{"id"}, true},
		{"space reports", wsPath("spaces", d.Spaces[0], "reports"), "reports", []string{"token", "name", "space_token", "created_at"}, []string{"id", "query_count", "runs_count"}, true},
		{"collection reports", wsPath("collections", d.Spaces[1], "reports"), "reports", []string{"token"}, []string{"id"}, true},
		{"data sources", wsPath("data_sources"), "data_sources", []string{"token", "name", "adapter", "vendor"}, []string{"id", "port"}, true},
		{"data source", wsPath("data_sources", d.DataSource), "", []string{"token", "display_name", "queryable"}, []string{"id"}, true},
		{"data source reports", wsPath("data_sources", d.DataSource, "reports"), "reports", []string{"token"}, []string{"id"}, true},
		{"report", wsPath("reports", rep), "", []string{"token", "name", "archived", "account_username", "_forms"}, []string{"id", "query_count", "view_count"}, true},
		{"runs", wsPath("reports", rep, "runs"), "report_runs", nil, nil, true},
		{"queries", wsPath("reports", rep, "queries"), "queries", []string{"token", "raw_query", "name"}, []string{"id", "data_source_id"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := call(t, s, "GET", tt.path, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, raw)
			}
			if ct := resp.Header.Get("Content-Type"); ct != halContentType {
				t.Errorf("Content-Type = %q", ct)
			}
			if resp.Header.Get("X-RateLimit-Limit") != "" {
				t.Errorf("rate limit header sent although the limit is disabled")
			}
			var o object
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			if tt.selfLink && linkHref(o, "self") == "" {
				t.Errorf("no _links.self.href in %s", raw)
			}
			objs := []object{o}
			if tt.listKey != "" {
				objs = embedded(t, o, tt.listKey)
				p, ok := o["pagination"].(object)
				if !ok {
					t.Fatalf("no pagination: %s", raw)
				}
				for _, k := range []string{"page", "per_page", "count", "total_pages", "total_count"} {
					if _, ok := p[k].(float64); !ok {
						t.Errorf("pagination.%s is not a number: %v", k, p[k])
					}
				}
				if int(p["count"].(float64)) != len(objs) {
					t.Errorf("pagination.count %v, items %d", p["count"], len(objs))
				}
			}
			for _, obj := range objs {
				for _, f := range tt.fields {
					if _, ok := obj[f]; !ok {
						t.Errorf("field %q missing in %v", f, obj)
					}
				}
				for _, f := range tt.numeric {
					if _, ok := obj[f].(float64); !ok {
						t.Errorf("field %q = %v (%T), want a JSON number", f, obj[f], obj[f])
					}
				}
				if tok, ok := obj["token"].(string); ok && !tokenRE.MatchString(tok) {
					t.Errorf("token %q is not 12 lowercase hex", tok)
				}
				for _, f := range []string{"created_at", "updated_at", "activated_at"} {
					if v, ok := obj[f].(string); ok && !timeRE.MatchString(v) {
						t.Errorf("%s = %q, want ISO-8601 with milliseconds and Z", f, v)
					}
				}
				if _, ok := obj["_links"].(object); !ok {
					t.Errorf("object without _links: %v", obj)
				}
			}
		})
	}
}

// TestGroupMembershipFollowsTheSpec: a group membership carries what Mode's OpenAPI document
// requires of a UserGroupMembership: token, member_token and the links self, member and
// user_group.
func TestGroupMembershipFollowsTheSpec(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	resp, raw := call(t, s, "GET", wsPath("groups", d.Groups[1], "memberships"), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	ms := embedded(t, o, "group_memberships")
	if len(ms) == 0 {
		t.Fatal("no group memberships")
	}
	for _, m := range ms {
		for _, f := range []string{"token", "member_token"} {
			if v, _ := m[f].(string); v == "" {
				t.Errorf("field %q missing in %v", f, m)
			}
		}
		for _, l := range []string{"self", "member", "user_group"} {
			if linkHref(m, l) == "" {
				t.Errorf("link %q missing in %v", l, m["_links"])
			}
		}
	}
}

func TestErrors(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	tests := []struct {
		name          string
		token, secret string
		method, path  string
		body          any
		status        int
		id            string
		allow         string
	}{
		{"no auth", "", "", "GET", wsPath(), nil, 401, "unauthorized", ""},
		{"wrong secret", s.Token, "nope", "GET", wsPath(), nil, 401, "unauthorized", ""},
		{"wrong token", "nope", s.Secret, "GET", wsPath("reports", d.Reports[0]), nil, 401, "unauthorized", ""},
		{"no auth on unknown path", "", "", "GET", "/api/nowhere/x/y/z", nil, 401, "unauthorized", ""},
		{"unknown workspace", s.Token, s.Secret, "GET", "/api/other_ws", nil, 404, "not_found", ""},
		{"unknown workspace report", s.Token, s.Secret, "GET", "/api/other_ws/reports/" + d.Reports[0], nil, 404, "not_found", ""},
		{"unknown report", s.Token, s.Secret, "GET", wsPath("reports", "000000000000"), nil, 404, "not_found", ""},
		{"unknown space", s.Token, s.Secret, "GET", wsPath("spaces", "000000000000"), nil, 404, "not_found", ""},
		{"unknown space reports", s.Token, s.Secret, "GET", wsPath("spaces", "000000000000", "reports"), nil, 404, "not_found", ""},
		{"unknown data source", s.Token, s.Secret, "GET", wsPath("data_sources", "000000000000"), nil, 404, "not_found", ""},
		{"unknown group", s.Token, s.Secret, "GET", wsPath("groups", "000000000000"), nil, 404, "not_found", ""},
		{"unknown membership", s.Token, s.Secret, "GET", wsPath("memberships", "nobody"), nil, 404, "not_found", ""},
		{"membership by username", s.Token, s.Secret, "GET", wsPath("memberships", d.Members[0]), nil, 404, "not_found", ""},
		{"unknown run", s.Token, s.Secret, "GET", wsPath("reports", d.Reports[0], "runs", "000000000000"), nil, 404, "not_found", ""},
		{"unknown query", s.Token, s.Secret, "GET", wsPath("reports", d.Reports[0], "queries", "000000000000"), nil, 404, "not_found", ""},
		{"unknown path", s.Token, s.Secret, "GET", "/api/" + DemoWorkspace + "/nothing/here", nil, 404, "not_found", ""},
		{"not under api", s.Token, s.Secret, "GET", "/reports", nil, 404, "not_found", ""},
		{"wrong verb on report", s.Token, s.Secret, "POST", wsPath("reports", d.Reports[0]), nil, 405, "method_not_allowed", "GET, PATCH, DELETE"},
		{"wrong verb on runs", s.Token, s.Secret, "DELETE", wsPath("reports", d.Reports[0], "runs"), nil, 405, "method_not_allowed", "GET, POST"},
		{"wrong verb on account", s.Token, s.Secret, "PATCH", wsPath(), nil, 405, "method_not_allowed", "GET"},
		{"bad json", s.Token, s.Secret, "POST", wsPath("spaces"), "{not json", 400, "bad_request", ""},
		{"space without name", s.Token, s.Secret, "POST", wsPath("spaces"), object{"space": object{"description": "x"}}, 400, "bad_request", ""},
		{"space body missing", s.Token, s.Secret, "POST", wsPath("spaces"), object{}, 400, "bad_request", ""},
		{"query without raw_query", s.Token, s.Secret, "POST", wsPath("reports", d.Reports[0], "queries"), object{"query": object{"name": "x"}}, 400, "bad_request", ""},
		{"query with unknown data source", s.Token, s.Secret, "POST", wsPath("reports", d.Reports[0], "queries"), object{"query": object{"raw_query": "SELECT 1", "data_source_id": 99}}, 400, "bad_request", ""},
		{"report move to unknown space", s.Token, s.Secret, "PATCH", wsPath("reports", d.Reports[0]), object{"report": object{"space_token": "000000000000"}}, 404, "not_found", ""},
		{"bad page", s.Token, s.Secret, "GET", wsPath("spaces") + "?page=zero", nil, 400, "bad_request", ""},
		{"bad per_page", s.Token, s.Secret, "GET", wsPath("spaces") + "?per_page=-1", nil, 400, "bad_request", ""},
		{"bad report filter", s.Token, s.Secret, "GET", wsPath("spaces", d.Spaces[0], "reports") + "?filter=nope", nil, 400, "bad_request", ""},
		{"bad order", s.Token, s.Secret, "GET", wsPath("spaces", d.Spaces[0], "reports") + "?order=sideways", nil, 400, "bad_request", ""},
		{"private space delete", s.Token, s.Secret, "DELETE", wsPath("spaces", d.Spaces[3]), nil, 403, "forbidden", ""},
		{"results of unknown query run", s.Token, s.Secret, "GET", wsPath("reports", d.Reports[0], "runs", "000000000000", "query_runs", "000000000000", "results", "content.csv"), nil, 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := callAs(t, s, tt.token, tt.secret, tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			if ct := resp.Header.Get("Content-Type"); ct != halContentType {
				t.Errorf("Content-Type = %q", ct)
			}
			var e modeError
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("error body is not JSON: %s", raw)
			}
			if e.ID != tt.id || e.Message == "" {
				t.Errorf("error body = %+v, want id %q and a message", e, tt.id)
			}
			if tt.allow != "" && resp.Header.Get("Allow") != tt.allow {
				t.Errorf("Allow = %q, want %q", resp.Header.Get("Allow"), tt.allow)
			}
			if tt.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without WWW-Authenticate: Basic")
			}
			if strings.Contains(string(raw), s.Secret) {
				t.Errorf("error body echoes the secret")
			}
		})
	}
}

func TestDemoSeed(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(WithBigRows(10), WithExtraReports(3))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	da, db := a.Demo(), b.Demo()
	if da.Workspace != DemoWorkspace || len(da.Spaces) != 4 || len(da.Reports) != 12 || len(da.Members) < 3 || len(da.Groups) < 2 {
		t.Fatalf("demo = %+v", da)
	}
	if da.ParamReport == "" || da.FailingReport == "" || da.BigReport != "" || da.DataSource == "" {
		t.Errorf("demo = %+v", da)
	}
	if db.BigReport == "" || len(db.Reports) != 12+1+3 {
		t.Errorf("demo with big rows and extras = %+v", db)
	}
	// Tokens are deterministic across emulators.
	for i := range da.Reports {
		if da.Reports[i] != db.Reports[i] {
			t.Errorf("report %d token differs between emulators: %s vs %s", i, da.Reports[i], db.Reports[i])
		}
	}
	if da.DataSource != db.DataSource || da.Spaces[0] != db.Spaces[0] {
		t.Errorf("tokens differ between emulators")
	}
	ta, sa := a.Credentials()
	if ta == "" || sa == "" {
		t.Errorf("no default credentials")
	}
}
