package modetest

import (
	"net/http"
	"slices"
	"testing"
)

func TestSpaceMembershipsSeeded(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	type want struct {
		memberType, memberToken, member string // member: the member link
		email                           any
	}
	group := func(i int) want {
		return want{"UserGroup", d.Groups[i], wsPath("groups", d.Groups[i]), nil}
	}
	user := func(name string) want {
		return want{"User", memberTokenOf(t, s, name), api(name), name + "@parchandposey.com"}
	}
	for i, wants := range [][]want{
		{group(0), group(1)},
		{group(0), group(1), user("erin_marketing")},
		{group(2)},
		{user("ana_analyst")},
	} {
		list := wsPath("spaces", d.Spaces[i], "memberships")
		got := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "space_memberships")
		if len(got) != len(wants) {
			t.Errorf("space %d: %d memberships, want %d: %v", i, len(got), len(wants), got)
			continue
		}
		for j, w := range wants {
			m := got[j]
			tok, _ := m["token"].(string)
			id, isNum := m["member_id"].(float64)
			if !tokenRE.MatchString(tok) || m["member_type"] != w.memberType || m["member_token"] != w.memberToken || m["email"] != w.email ||
				!isNum || id <= 0 || linkHref(m, "member") != w.member || linkHref(m, "self") != list+"/"+tok || linkHref(m, "creator") != api(d.Members[0]) {
				t.Errorf("space %d membership %d = %v", i, j, m)
			}
			if one := mustJSON(t, s, "GET", list+"/"+tok, nil, http.StatusOK); one["token"] != tok || one["member_token"] != w.memberToken {
				t.Errorf("GET %s = %v", tok, one)
			}
		}
	}
	if got := embedded(t, mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[2], "memberships"), nil, http.StatusOK), "space_memberships"); got[0]["token"] != d.RestrictedGrant {
		t.Errorf("Demo.RestrictedGrant = %s, the Executive space lists %v", d.RestrictedGrant, got[0]["token"])
	}
	sp := mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[2]), nil, http.StatusOK)
	if linkHref(sp, "space_memberships") != wsPath("spaces", d.Spaces[2], "memberships") {
		t.Errorf("space_memberships link = %q", linkHref(sp, "space_memberships"))
	}
}

func TestSpaceMembershipLifecycle(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	list := wsPath("spaces", d.Spaces[2], "memberships") // Executive, restricted
	ben := memberTokenOf(t, s, "ben_builder")

	byUser := mustJSON(t, s, "POST", list, object{"membership": object{"member_type": "User", "member_token": ben}}, http.StatusOK)
	userTok, _ := byUser["token"].(string)
	if !tokenRE.MatchString(userTok) || byUser["member_type"] != "User" || byUser["member_token"] != ben ||
		byUser["email"] != "ben_builder@parchandposey.com" || linkHref(byUser, "member") != api("ben_builder") || linkHref(byUser, "self") != list+"/"+userTok {
		t.Fatalf("created for a user = %v", byUser)
	}
	byGroup := mustJSON(t, s, "POST", list, object{"membership": object{"member_type": "UserGroup", "member_token": d.Groups[1]}}, http.StatusOK)
	groupTok, _ := byGroup["token"].(string)
	if !tokenRE.MatchString(groupTok) || byGroup["member_type"] != "UserGroup" || byGroup["member_token"] != d.Groups[1] || byGroup["email"] != nil ||
		linkHref(byGroup, "member") != wsPath("groups", d.Groups[1]) {
		t.Fatalf("created for a group = %v", byGroup)
	}
	if got := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "space_memberships"); !slices.Equal(got, []string{d.RestrictedGrant, userTok, groupTok}) {
		t.Errorf("memberships = %v", got)
	}
	if g := mustJSON(t, s, "GET", wsPath("groups", d.Groups[1]), nil, http.StatusOK); g["spaces_count"] != 3.0 {
		t.Errorf("Analysts spaces_count = %v, want 3", g["spaces_count"])
	}
	// Paging, one a page.
	p2 := mustJSON(t, s, "GET", list+"?per_page=1&page=2", nil, http.StatusOK)
	if got := tokensUnder(t, p2, "space_memberships"); !slices.Equal(got, []string{userTok}) || linkHref(p2, "next_page") == "" || linkHref(p2, "prev_page") == "" {
		t.Errorf("page 2 = %v", p2)
	}

	removed := mustJSON(t, s, "DELETE", list+"/"+groupTok, nil, http.StatusOK)
	if removed["token"] != groupTok || removed["member_token"] != d.Groups[1] {
		t.Errorf("DELETE answered %v", removed)
	}
	mustJSON(t, s, "GET", list+"/"+groupTok, nil, http.StatusNotFound)
	mustJSON(t, s, "DELETE", list+"/"+groupTok, nil, http.StatusNotFound)
	if g := mustJSON(t, s, "GET", wsPath("groups", d.Groups[1]), nil, http.StatusOK); g["spaces_count"] != 2.0 {
		t.Errorf("Analysts spaces_count after the removal = %v, want 2", g["spaces_count"])
	}
	if got := tokensUnder(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "space_memberships"); !slices.Equal(got, []string{d.RestrictedGrant, userTok}) {
		t.Errorf("memberships after the removal = %v", got)
	}

	// The memberships go with their space.
	created := mustJSON(t, s, "POST", wsPath("spaces"), object{"space": object{"name": "Board"}}, http.StatusOK)
	board := wsPath("spaces", created["token"].(string), "memberships")
	if got := embedded(t, mustJSON(t, s, "GET", board, nil, http.StatusOK), "space_memberships"); len(got) != 0 {
		t.Errorf("a new space has memberships: %v", got)
	}
	m := mustJSON(t, s, "POST", board, object{"membership": object{"member_type": "UserGroup", "member_token": d.Groups[2]}}, http.StatusOK)
	mustJSON(t, s, "DELETE", wsPath("spaces", created["token"].(string)), nil, http.StatusOK)
	mustJSON(t, s, "GET", board+"/"+m["token"].(string), nil, http.StatusNotFound)
	if g := mustJSON(t, s, "GET", wsPath("groups", d.Groups[2]), nil, http.StatusOK); g["spaces_count"] != 1.0 {
		t.Errorf("Executives spaces_count after the space was deleted = %v, want 1", g["spaces_count"])
	}
}

func TestSpaceMembershipValidation(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	list := wsPath("spaces", d.Spaces[0], "memberships")
	erin := memberTokenOf(t, s, "erin_marketing")
	personal := wsPath("spaces", d.Spaces[3], "memberships")
	anaGrant := tokensUnder(t, mustJSON(t, s, "GET", personal, nil, http.StatusOK), "space_memberships")[0]
	body := func(kind, tok string) object {
		return object{"membership": object{"member_type": kind, "member_token": tok}}
	}
	for _, tt := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"no body", "POST", list, nil, http.StatusBadRequest},
		{"not JSON", "POST", list, "[", http.StatusBadRequest},
		{"no membership", "POST", list, object{"member_type": "User"}, http.StatusBadRequest},
		{"no member_type", "POST", list, object{"membership": object{"member_token": erin}}, http.StatusBadRequest},
		{"unknown member_type", "POST", list, body("Group", d.Groups[2]), http.StatusBadRequest},
		{"member_type in lower case", "POST", list, body("user", erin), http.StatusBadRequest},
		{"no member_token", "POST", list, object{"membership": object{"member_type": "User"}}, http.StatusBadRequest},
		{"blank member_token", "POST", list, body("User", ""), http.StatusBadRequest},
		{"unknown user", "POST", list, body("User", "000000000000"), http.StatusNotFound},
		{"a username for a user", "POST", list, body("User", "erin_marketing"), http.StatusNotFound},
		{"a group token for a user", "POST", list, body("User", d.Groups[2]), http.StatusNotFound},
		{"a user token for a group", "POST", list, body("UserGroup", erin), http.StatusNotFound},
		{"another workspace's group", "POST", list, body("UserGroup", d.Second.Group), http.StatusNotFound},
		{"a group already in", "POST", list, body("UserGroup", d.Groups[0]), http.StatusBadRequest},
		{"an unknown space", "POST", wsPath("spaces", "000000000000", "memberships"), body("User", erin), http.StatusNotFound},
		{"another workspace's space", "GET", wsPath("spaces", d.Second.Space, "memberships"), nil, http.StatusNotFound},
		{"share a personal space", "POST", personal, body("User", erin), http.StatusForbidden},
		{"unshare a personal space", "DELETE", personal + "/" + anaGrant, nil, http.StatusForbidden},
		{"get an unknown membership", "GET", list + "/000000000000", nil, http.StatusNotFound},
		{"get another space's membership", "GET", list + "/" + anaGrant, nil, http.StatusNotFound},
		{"delete an unknown membership", "DELETE", list + "/000000000000", nil, http.StatusNotFound},
		{"list with a bad page", "GET", list + "?page=0", nil, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := mustJSON(t, s, tt.method, tt.path, tt.body, tt.status)
			if o["id"] != errorID(tt.status) || o["message"] == "" {
				t.Errorf("error body = %v", o)
			}
		})
	}
	if got := embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "space_memberships"); len(got) != 2 {
		t.Errorf("Sales memberships after refused writes = %v", got)
	}
}
