package modetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// The credentials of the demo members the access tests use (WithUserCredential).
var testUsers = []string{"ana_analyst", "ben_builder", "carla_ceo", "dev_engineer", "erin_marketing", "no_such_member"}

// userOptions gives each of testUsers a credential: token "<name>-token", secret "<name>-secret".
func userOptions() []Option {
	var opts []Option
	for _, u := range testUsers {
		opts = append(opts, WithUserCredential(u, u+"-token", u+"-secret"))
	}
	return opts
}

// as returns a request function for the member named user (their own credential): it fails the
// test unless the answer's status is want, and returns the decoded object.
func as(t *testing.T, s *Server, user string) func(method, path string, body any, want int) object {
	return func(method, path string, body any, want int) object {
		t.Helper()
		resp, raw := callAs(t, s, user+"-token", user+"-secret", method, path, body)
		if resp.StatusCode != want {
			t.Fatalf("%s: %s %s: status %d, want %d: %s", user, method, path, resp.StatusCode, want, raw)
		}
		var o object
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("%s: %s %s: %v: %s", user, method, path, err, raw)
			}
		}
		return o
	}
}

// view is what a member sees of the Executive space (Spaces[2]) and of its report "Executive
// Summary" (Reports[8]).
type view struct {
	listed, listedAll  bool // among the spaces, without and with filter=all
	space, report      int  // statuses of GET space, GET report
	spaceReports, runs int  // statuses of the space's reports and the report's runs
	inDataSource       bool // among the data source's reports
	inLineage          bool // "Account Directory" (Reports[9]) among the reports importing Datasets[0]
}

// executiveView reads what user sees of the Executive space and its reports.
func executiveView(t *testing.T, s *Server, user string) view {
	t.Helper()
	d := s.Demo()
	space, report, directory := d.Spaces[2], d.Reports[8], d.Reports[9]
	get := func(path string) (int, object) {
		resp, raw := callAs(t, s, user+"-token", user+"-secret", http.MethodGet, path, nil)
		var o object
		_ = json.Unmarshal(raw, &o)
		return resp.StatusCode, o
	}
	tokens := func(path, key string) []string {
		status, o := get(path)
		if status != http.StatusOK {
			t.Fatalf("%s: GET %s: %d %v", user, path, status, o)
		}
		return tokensUnder(t, o, key)
	}
	var v view
	v.listed = slices.Contains(tokens(wsPath("spaces"), "spaces"), space)
	v.listedAll = slices.Contains(tokens(wsPath("spaces")+"?filter=all", "spaces"), space)
	v.space, _ = get(wsPath("spaces", space))
	v.report, _ = get(wsPath("reports", report))
	v.spaceReports, _ = get(wsPath("spaces", space, "reports"))
	v.runs, _ = get(wsPath("reports", report, "runs"))
	v.inDataSource = slices.Contains(tokens(wsPath("data_sources", d.DataSource, "reports")+"?per_page=100", "reports"), report)
	v.inLineage = slices.Contains(tokens(wsPath("datasets", d.Datasets[0], "reports"), "reports"), directory)
	return v
}

var (
	sees    = view{true, true, 200, 200, 200, 200, true, true}
	seesNot = view{false, false, 404, 404, 404, 404, false, false}
)

// TestAccessFollowsMemberships: with their own credentials, members see the restricted Executive
// space and its reports when a space membership gives them access, directly or through a group,
// and stop seeing them when it is taken away: the membership deleted, the member removed from
// the group, or the group deleted. Admins, and credentials that stand for no member, see it.
func TestAccessFollowsMemberships(t *testing.T) {
	s := newTestServer(t, userOptions()...)
	d := s.Demo()
	admin := func(method, path string, body any, want int) object {
		t.Helper()
		return mustJSON(t, s, method, path, body, want)
	}
	check := func(step, user string, want view) {
		t.Helper()
		if got := executiveView(t, s, user); got != want {
			t.Errorf("%s: %s sees %+v, want %+v", step, user, got, want)
		}
	}
	// Seeded: the Executives group (Carla) has access; Ben, Erin do not; Ana and Dev are admins.
	check("seeded", "carla_ceo", sees)
	check("seeded", "ben_builder", seesNot)
	check("seeded", "erin_marketing", seesNot)
	adminView := sees
	adminView.listed = false // not a member of it: listed with filter=all only
	check("seeded", "dev_engineer", adminView)
	if got := executiveView(t, s, "ana_analyst"); got != adminView {
		t.Errorf("seeded: ana_analyst sees %+v", got)
	}

	// A group's space membership.
	list := wsPath("spaces", d.Spaces[2], "memberships")
	grant := admin("POST", list, object{"membership": object{"member_type": "UserGroup", "member_token": d.Groups[1]}}, http.StatusOK)
	check("Analysts granted", "ben_builder", sees)
	check("Analysts granted", "erin_marketing", seesNot)
	admin("DELETE", list+"/"+grant["token"].(string), nil, http.StatusOK)
	check("Analysts revoked", "ben_builder", seesNot)
	check("Analysts revoked", "carla_ceo", sees)

	// A member's own space membership.
	ben := memberTokenOf(t, s, "ben_builder")
	grant = admin("POST", list, object{"membership": object{"member_type": "User", "member_token": ben}}, http.StatusOK)
	check("Ben granted", "ben_builder", sees)
	admin("DELETE", list+"/"+grant["token"].(string), nil, http.StatusOK)
	check("Ben revoked", "ben_builder", seesNot)

	// Joining and leaving a group that has access.
	execs := wsPath("groups", d.Groups[2], "memberships")
	joined := admin("POST", execs, object{"membership": object{"member_token": ben}}, http.StatusOK)
	check("Ben joined Executives", "ben_builder", sees)
	admin("DELETE", execs+"/"+joined["token"].(string), nil, http.StatusOK)
	check("Ben left Executives", "ben_builder", seesNot)

	// Deleting the group takes its access away.
	admin("DELETE", wsPath("groups", d.Groups[2]), nil, http.StatusOK)
	check("Executives deleted", "carla_ceo", seesNot)
	mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[2]), nil, http.StatusOK) // still there for those who may see it
}

// TestPersonalSpaces: a personal space and its reports are its owner's only; a credential that
// stands for no member sees them too.
func TestPersonalSpaces(t *testing.T) {
	s := newTestServer(t, userOptions()...)
	d := s.Demo()
	personal, failing := d.Spaces[3], d.Reports[10]
	for _, tt := range []struct {
		user string
		want int
	}{{"ana_analyst", 200}, {"dev_engineer", 404}, {"ben_builder", 404}} {
		do := func(path string) int {
			resp, _ := callAs(t, s, tt.user+"-token", tt.user+"-secret", http.MethodGet, path, nil)
			return resp.StatusCode
		}
		for _, path := range []string{wsPath("spaces", personal), wsPath("spaces", personal, "reports"), wsPath("spaces", personal, "memberships"), wsPath("reports", failing)} {
			if got := do(path); got != tt.want {
				t.Errorf("%s: GET %s = %d, want %d", tt.user, path, got, tt.want)
			}
		}
		listed := slices.Contains(tokensUnder(t, as(t, s, tt.user)("GET", wsPath("spaces")+"?filter=all", nil, http.StatusOK), "spaces"), personal)
		if listed != (tt.want == 200) {
			t.Errorf("%s: personal space listed = %v", tt.user, listed)
		}
	}
	mustJSON(t, s, "GET", wsPath("reports", failing), nil, http.StatusOK)
}

// TestAdministrationIsForAdmins: a member who is not an admin is refused (403) every write of
// groups, group memberships, space memberships and signature tokens, and nothing changes; an
// admin's own credential may, and is the creator of what it makes.
func TestAdministrationIsForAdmins(t *testing.T) {
	s := newTestServer(t, userOptions()...)
	d := s.Demo()
	ben, dev := as(t, s, "ben_builder"), as(t, s, "dev_engineer")
	erin := memberTokenOf(t, s, "erin_marketing")
	groupMember := tokensUnder(t, mustJSON(t, s, "GET", wsPath("groups", d.Groups[1], "memberships"), nil, http.StatusOK), "group_memberships")[0]
	salesGrant := tokensUnder(t, mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[0], "memberships"), nil, http.StatusOK), "space_memberships")[0]
	for _, tt := range []struct {
		name, method, path string
		body               any
	}{
		{"create a group", "POST", wsPath("groups"), object{"user_group": object{"name": "Mine"}}},
		{"rename a group", "PATCH", wsPath("groups", d.Groups[1]), object{"user_group": object{"name": "Mine"}}},
		{"delete a group", "DELETE", wsPath("groups", d.Groups[1]), nil},
		{"add a group member", "POST", wsPath("groups", d.Groups[1], "memberships"), object{"membership": object{"member_token": erin}}},
		{"remove a group member", "DELETE", wsPath("groups", d.Groups[1], "memberships", groupMember), nil},
		{"grant a space", "POST", wsPath("spaces", d.Spaces[0], "memberships"), object{"membership": object{"member_type": "User", "member_token": erin}}},
		{"revoke a space", "DELETE", wsPath("spaces", d.Spaces[0], "memberships", salesGrant), nil},
		{"create a signature token", "POST", "/batch/" + DemoWorkspace + "/signature_tokens", object{"signature_token": object{
			"name": "mine", "expires_at": "2999-01-01T00:00Z", "auth_scope": object{"authentication_for": "batch-api", "authorization_type": "read-only"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if o := ben(tt.method, tt.path, tt.body, http.StatusForbidden); o["id"] != "forbidden" {
				t.Errorf("error body = %v", o)
			}
		})
	}
	if g := mustJSON(t, s, "GET", wsPath("groups", d.Groups[1]), nil, http.StatusOK); g["name"] != "Analysts" || g["member_count"] != 3.0 {
		t.Errorf("Analysts after refused writes = %v", g)
	}
	if n := len(embedded(t, mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[0], "memberships"), nil, http.StatusOK), "space_memberships")); n != 2 {
		t.Errorf("Sales has %d memberships after refused writes, want 2", n)
	}

	// Members read groups and memberships all the same.
	ben("GET", wsPath("groups"), nil, http.StatusOK)
	ben("GET", wsPath("groups", d.Groups[1], "memberships"), nil, http.StatusOK)
	ben("GET", wsPath("spaces", d.Spaces[0], "memberships"), nil, http.StatusOK)

	// An admin's credential administers, as itself.
	g := dev("POST", wsPath("groups"), object{"user_group": object{"name": "Dev's"}}, http.StatusOK)
	if linkHref(g, "creator") != api("dev_engineer") {
		t.Errorf("created by dev_engineer: creator %q", linkHref(g, "creator"))
	}
	m := dev("POST", wsPath("groups", g["token"].(string), "memberships"), object{"membership": object{"member_token": erin}}, http.StatusOK)
	sm := dev("POST", wsPath("spaces", d.Spaces[2], "memberships"), object{"membership": object{"member_type": "UserGroup", "member_token": g["token"]}}, http.StatusOK)
	if linkHref(m, "creator") != api("dev_engineer") || linkHref(sm, "creator") != api("dev_engineer") {
		t.Errorf("creators: %v, %v", m["_links"], sm["_links"])
	}
	if v := executiveView(t, s, "erin_marketing"); v != sees {
		t.Errorf("erin_marketing, in Dev's group, sees %+v", v)
	}
	sp := ben("POST", wsPath("spaces"), object{"space": object{"name": "Ben's"}}, http.StatusOK)
	if linkHref(sp, "creator") != api("ben_builder") {
		t.Errorf("a space Ben created: creator %q", linkHref(sp, "creator"))
	}
}

// TestUserCredentialsReachTheirWorkspacesOnly: a member's credential reaches the workspaces
// they are a member of; another workspace, or any workspace for a username no workspace has,
// answers 404 as a workspace that does not exist.
func TestUserCredentialsReachTheirWorkspacesOnly(t *testing.T) {
	s := newTestServer(t, append(userOptions(), WithUserCredential(s2Member, s2Member+"-token", s2Member+"-secret"))...)
	d := s.Demo()
	as(t, s, "ben_builder")("GET", wsPath("reports", d.Reports[0]), nil, http.StatusOK)
	for _, path := range []string{api(SecondWorkspace, "spaces"), api(SecondWorkspace, "reports", d.Second.Report)} {
		if o := as(t, s, "ben_builder")("GET", path, nil, http.StatusNotFound); o["id"] != "not_found" {
			t.Errorf("GET %s = %v", path, o)
		}
	}
	as(t, s, s2Member)("GET", api(SecondWorkspace, "reports", d.Second.Report), nil, http.StatusOK)
	as(t, s, s2Member)("GET", wsPath("spaces"), nil, http.StatusNotFound)
	as(t, s, "no_such_member")("GET", wsPath("spaces"), nil, http.StatusNotFound)
	as(t, s, "no_such_member")("GET", "/api/verify", nil, http.StatusOK) // the credential itself works
	// The credential that stands for no member reaches both.
	mustJSON(t, s, "GET", api(SecondWorkspace, "spaces"), nil, http.StatusOK)
	mustJSON(t, s, "GET", wsPath("spaces"), nil, http.StatusOK)
	// Credentials() is that credential, whatever the order of the options.
	if s.Token == "" || s.Token == "ben_builder-token" {
		t.Errorf("Credentials() = %q, want the credential that stands for no member", s.Token)
	}
}

// s2Member is the only member of SecondWorkspace.
const s2Member = "nora_northwind"
