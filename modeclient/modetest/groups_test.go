package modetest

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// tokensUnder returns the tokens of the items a list embeds under key.
func tokensUnder(t *testing.T, o object, key string) []string {
	t.Helper()
	var out []string
	for _, it := range embedded(t, o, key) {
		out = append(out, it["token"].(string))
	}
	return out
}

func TestGroupLifecycle(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	list := wsPath("groups")
	if got := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "groups"); !slices.Equal(got, d.Groups) {
		t.Fatalf("groups = %v, want the seeded %v", got, d.Groups)
	}
	for i, want := range []struct {
		name              string
		members, spaces   float64
		groupType, member string
	}{
		{"Everyone", 5, 3, "everyone", "erin_marketing"},
		{"Analysts", 3, 2, "custom", "ben_builder"},
		{"Executives", 1, 1, "custom", "carla_ceo"},
	} {
		g := mustJSON(t, s, "GET", wsPath("groups", d.Groups[i]), nil, http.StatusOK)
		if g["name"] != want.name || g["member_count"] != want.members || g["spaces_count"] != want.spaces || g["group_type"] != want.groupType {
			t.Errorf("group %d = %v", i, g)
		}
	}

	created := mustJSON(t, s, "POST", list, object{"user_group": object{"name": " Data Engineers ", "description": "They keep the pipes."}}, http.StatusOK)
	tok, _ := created["token"].(string)
	path := wsPath("groups", tok)
	if !tokenRE.MatchString(tok) || created["name"] != "Data Engineers" || created["description"] != "They keep the pipes." ||
		created["group_type"] != "custom" || created["state"] != "active" || created["member_count"] != 0.0 || created["spaces_count"] != 0.0 ||
		linkHref(created, "self") != path || linkHref(created, "creator") != api(d.Members[0]) ||
		linkHref(created, "group_memberships") != path+"/memberships" {
		t.Fatalf("created = %v", created)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["name"] != "Data Engineers" {
		t.Errorf("GET after the create = %v", got)
	}
	if got := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "groups"); !slices.Equal(got, append(slices.Clone(d.Groups), tok)) {
		t.Errorf("groups after the create = %v", got)
	}
	if ms := embedded(t, mustJSON(t, s, "GET", path+"/memberships", nil, http.StatusOK), "group_memberships"); len(ms) != 0 {
		t.Errorf("a new group has members: %v", ms)
	}

	upd := mustJSON(t, s, "PATCH", path, object{"user_group": object{"name": "Platform"}}, http.StatusOK)
	if upd["name"] != "Platform" || upd["description"] != "They keep the pipes." || upd["token"] != tok {
		t.Errorf("PATCH name = %v", upd)
	}
	upd = mustJSON(t, s, "PATCH", path, object{"user_group": object{"description": ""}}, http.StatusOK)
	if upd["name"] != "Platform" || upd["description"] != "" {
		t.Errorf("PATCH description = %v", upd)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["name"] != "Platform" || got["description"] != "" {
		t.Errorf("GET after the update = %v", got)
	}
	// Its own name, in another case, is no conflict; another group's is.
	mustJSON(t, s, "PATCH", path, object{"user_group": object{"name": "PLATFORM"}}, http.StatusOK)
	mustJSON(t, s, "PATCH", path, object{"user_group": object{"name": "analysts"}}, http.StatusBadRequest)

	deleted := mustJSON(t, s, "DELETE", path, nil, http.StatusOK)
	if deleted["token"] != tok || deleted["state"] != "deleted" {
		t.Errorf("DELETE answered %v", deleted)
	}
	mustJSON(t, s, "GET", path, nil, http.StatusNotFound)
	mustJSON(t, s, "GET", path+"/memberships", nil, http.StatusNotFound)
	mustJSON(t, s, "DELETE", path, nil, http.StatusNotFound)
	mustJSON(t, s, "PATCH", path, object{"user_group": object{"name": "x"}}, http.StatusNotFound)
	if got := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "groups"); !slices.Equal(got, d.Groups) {
		t.Errorf("groups after the delete = %v", got)
	}
	// A deleted group's name is free again.
	mustJSON(t, s, "POST", list, object{"user_group": object{"name": "Platform"}}, http.StatusOK)
}

func TestGroupValidation(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	list := wsPath("groups")
	everyone, analysts := wsPath("groups", d.Groups[0]), wsPath("groups", d.Groups[1])
	for _, tt := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"create without body", "POST", list, nil, http.StatusBadRequest},
		{"create not JSON", "POST", list, "{", http.StatusBadRequest},
		{"create without user_group", "POST", list, object{"name": "x"}, http.StatusBadRequest},
		{"create with an empty user_group", "POST", list, object{"user_group": object{}}, http.StatusBadRequest},
		{"create without name", "POST", list, object{"user_group": object{"description": "x"}}, http.StatusBadRequest},
		{"create with a blank name", "POST", list, object{"user_group": object{"name": "  "}}, http.StatusBadRequest},
		{"create with a name taken", "POST", list, object{"user_group": object{"name": "EXECUTIVES"}}, http.StatusBadRequest},
		{"create with a name not a string", "POST", list, object{"user_group": object{"name": 7}}, http.StatusBadRequest},
		{"update without user_group", "PATCH", analysts, object{}, http.StatusBadRequest},
		{"update with a blank name", "PATCH", analysts, object{"user_group": object{"name": ""}}, http.StatusBadRequest},
		{"update an unknown group", "PATCH", wsPath("groups", "000000000000"), object{"user_group": object{"name": "x"}}, http.StatusNotFound},
		{"update another workspace's group", "PATCH", wsPath("groups", d.Second.Group), object{"user_group": object{"name": "x"}}, http.StatusNotFound},
		{"rename the Everyone group", "PATCH", everyone, object{"user_group": object{"name": "All"}}, http.StatusForbidden},
		{"delete the Everyone group", "DELETE", everyone, nil, http.StatusForbidden},
		{"delete an unknown group", "DELETE", wsPath("groups", "000000000000"), nil, http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := mustJSON(t, s, tt.method, tt.path, tt.body, tt.status)
			if o["id"] != errorID(tt.status) || o["message"] == "" {
				t.Errorf("error body = %v", o)
			}
		})
	}
	// Nothing changed.
	if got := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "groups"); !slices.Equal(got, d.Groups) {
		t.Errorf("groups = %v", got)
	}
	if g := mustJSON(t, s, "GET", everyone, nil, http.StatusOK); g["name"] != "Everyone" {
		t.Errorf("Everyone = %v", g)
	}
}

// membershipOf returns the membership token of the seeded member username (Demo.Memberships): a
// membership is addressed by its own token, not by the username.
func membershipOf(t *testing.T, s *Server, username string) string {
	t.Helper()
	d := s.Demo()
	i := slices.Index(d.Members, username)
	if i < 0 {
		t.Fatalf("%s is not a seeded member", username)
	}
	return d.Memberships[i]
}

// memberTokenOf returns the member_token (the user's token) of the workspace membership of
// username, read from the membership.
func memberTokenOf(t *testing.T, s *Server, username string) string {
	t.Helper()
	m := mustJSON(t, s, "GET", wsPath("memberships", membershipOf(t, s, username)), nil, http.StatusOK)
	if m["member_username"] != username {
		t.Fatalf("membership of %s = %v", username, m)
	}
	return m["member_token"].(string)
}

func TestGroupMemberships(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	analysts := wsPath("groups", d.Groups[1])
	list := analysts + "/memberships"
	seeded := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "group_memberships")
	var names []string
	for _, m := range seeded {
		names = append(names, m["member_username"].(string))
		tok := m["token"].(string)
		if !tokenRE.MatchString(tok) || m["member_token"] != memberTokenOf(t, s, m["member_username"].(string)) ||
			linkHref(m, "self") != list+"/"+tok || linkHref(m, "user_group") != analysts || linkHref(m, "member") != api(m["member_username"].(string)) {
			t.Errorf("membership = %v", m)
		}
		if got := mustJSON(t, s, "GET", list+"/"+tok, nil, http.StatusOK); got["token"] != tok || got["member_token"] != m["member_token"] {
			t.Errorf("GET %s = %v", tok, got)
		}
	}
	if want := []string{"ana_analyst", "ben_builder", "dev_engineer"}; !slices.Equal(names, want) {
		t.Fatalf("Analysts = %v, want %v", names, want)
	}

	// Add Erin, by her member token: her membership has a token of its own.
	erin := memberTokenOf(t, s, "erin_marketing")
	added := mustJSON(t, s, "POST", list, object{"membership": object{"member_token": erin}}, http.StatusOK)
	tok, _ := added["token"].(string)
	if !tokenRE.MatchString(tok) || tok == erin || added["member_token"] != erin || added["member_username"] != "erin_marketing" ||
		linkHref(added, "self") != list+"/"+tok || linkHref(added, "creator") != api(d.Members[0]) {
		t.Fatalf("added = %v", added)
	}
	if g := mustJSON(t, s, "GET", analysts, nil, http.StatusOK); g["member_count"] != 4.0 {
		t.Errorf("member_count after the add = %v", g["member_count"])
	}
	groupsOfErin := tokensUnder(t, mustJSON(t, s, "GET", wsPath("memberships", membershipOf(t, s, "erin_marketing"), "groups"), nil, http.StatusOK), "groups")
	if !slices.Equal(groupsOfErin, []string{d.Groups[0], d.Groups[1]}) {
		t.Errorf("Erin's groups = %v", groupsOfErin)
	}
	mustJSON(t, s, "POST", list, object{"membership": object{"member_token": erin}}, http.StatusBadRequest) // already in

	// Ben leaves: the other memberships keep their tokens.
	before := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "group_memberships")
	removed := mustJSON(t, s, "DELETE", list+"/"+before[1], nil, http.StatusOK)
	if removed["token"] != before[1] || removed["member_username"] != "ben_builder" {
		t.Errorf("DELETE answered %v", removed)
	}
	after := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "group_memberships")
	if want := []string{before[0], before[2], before[3]}; !slices.Equal(after, want) {
		t.Errorf("memberships after Ben left = %v, want %v", after, want)
	}
	mustJSON(t, s, "GET", list+"/"+before[1], nil, http.StatusNotFound)
	mustJSON(t, s, "DELETE", list+"/"+before[1], nil, http.StatusNotFound)
	if got := mustJSON(t, s, "GET", list+"/"+tok, nil, http.StatusOK); got["member_username"] != "erin_marketing" {
		t.Errorf("Erin's membership after Ben left = %v", got)
	}
	if g := mustJSON(t, s, "GET", analysts, nil, http.StatusOK); g["member_count"] != 3.0 {
		t.Errorf("member_count after the removal = %v", g["member_count"])
	}
	// Ben can join again, under a new token.
	again := mustJSON(t, s, "POST", list, object{"membership": object{"member_token": memberTokenOf(t, s, "ben_builder")}}, http.StatusOK)
	if again["token"] == before[1] {
		t.Errorf("a new membership took the removed one's token %v", before[1])
	}

	everyone := wsPath("groups", d.Groups[0], "memberships")
	first := tokensUnder(t, mustJSON(t, s, "GET", everyone, nil, http.StatusOK), "group_memberships")[0]
	for _, tt := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"add without body", "POST", list, nil, http.StatusBadRequest},
		{"add without membership", "POST", list, object{"member_token": erin}, http.StatusBadRequest},
		{"add without member_token", "POST", list, object{"membership": object{}}, http.StatusBadRequest},
		{"add a blank member_token", "POST", list, object{"membership": object{"member_token": " "}}, http.StatusBadRequest},
		{"add a username", "POST", list, object{"membership": object{"member_token": "carla_ceo"}}, http.StatusNotFound},
		{"add an unknown member", "POST", list, object{"membership": object{"member_token": "000000000000"}}, http.StatusNotFound},
		{"add another workspace's member", "POST", list, object{"membership": object{"member_token": s.memberToken(SecondWorkspace, d.Second.Member)}}, http.StatusNotFound},
		{"add to an unknown group", "POST", wsPath("groups", "000000000000", "memberships"), object{"membership": object{"member_token": erin}}, http.StatusNotFound},
		{"add to Everyone", "POST", everyone, object{"membership": object{"member_token": erin}}, http.StatusBadRequest},
		{"remove from Everyone", "DELETE", everyone + "/" + first, nil, http.StatusForbidden},
		{"get from another group", "GET", wsPath("groups", d.Groups[2], "memberships", tok), nil, http.StatusNotFound},
		{"list another workspace's group", "GET", wsPath("groups", d.Second.Group, "memberships"), nil, http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := mustJSON(t, s, tt.method, tt.path, tt.body, tt.status)
			if o["id"] != errorID(tt.status) || o["message"] == "" {
				t.Errorf("error body = %v", o)
			}
		})
	}

	// Paging: Everyone's five members, two a page.
	var paged []string
	for page := 1; page <= 3; page++ {
		o := mustJSON(t, s, "GET", everyone+"?per_page=2&page="+strconv.Itoa(page), nil, http.StatusOK)
		paged = append(paged, tokensUnder(t, o, "group_memberships")...)
		if next := linkHref(o, "next_page"); (page < 3) != (next != "") {
			t.Errorf("page %d: next_page %q", page, next)
		}
	}
	if all := tokensUnder(t, mustJSON(t, s, "GET", everyone, nil, http.StatusOK), "group_memberships"); !slices.Equal(paged, all) || len(all) != 5 {
		t.Errorf("paged %v, whole %v", paged, all)
	}
}

// memberToken returns the member_token of username in workspace ws, read directly.
func (s *Server) memberToken(ws, username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byName[ws].memberByName[username].token
}

// TestDeleteGroupDropsItsSpaceMemberships: a deleted group's space memberships go with it, and
// the spaces count one group fewer.
func TestDeleteGroupDropsItsSpaceMemberships(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	created := mustJSON(t, s, "POST", wsPath("groups"), object{"user_group": object{"name": "Auditors"}}, http.StatusOK)
	tok := created["token"].(string)
	for _, sp := range []string{d.Spaces[0], d.Spaces[2]} {
		mustJSON(t, s, "POST", wsPath("spaces", sp, "memberships"), object{"membership": object{"member_type": "UserGroup", "member_token": tok}}, http.StatusOK)
	}
	if g := mustJSON(t, s, "GET", wsPath("groups", tok), nil, http.StatusOK); g["spaces_count"] != 2.0 {
		t.Errorf("spaces_count = %v, want 2", g["spaces_count"])
	}
	mustJSON(t, s, "DELETE", wsPath("groups", tok), nil, http.StatusOK)
	for _, sp := range []string{d.Spaces[0], d.Spaces[2]} {
		for _, m := range embedded(t, mustJSON(t, s, "GET", wsPath("spaces", sp, "memberships"), nil, http.StatusOK), "space_memberships") {
			if m["member_token"] == tok {
				t.Errorf("space %s keeps a membership of the deleted group: %v", sp, m)
			}
		}
	}
}
