package modetest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCurrentUser: GET /api/account answers the user the credential belongs to, with the fields
// Mode's Account requires, and never the credential itself.
func TestCurrentUser(t *testing.T) {
	s := newTestServer(t, WithCredentials("tok3n-A-should-not-appear", "s3cret-A-should-not-appear"),
		WithCredentials("tok3n-B-should-not-appear", "s3cret-B-should-not-appear"))
	d := s.Demo()
	for i, c := range []struct{ token, secret, user string }{
		{"tok3n-A-should-not-appear", "s3cret-A-should-not-appear", d.Members[0]},
		{"tok3n-B-should-not-appear", "s3cret-B-should-not-appear", d.Members[1]},
	} {
		resp, raw := callAs(t, s, c.token, c.secret, http.MethodGet, "/api/account", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("credential %d: %d %s", i, resp.StatusCode, raw)
		}
		for _, secret := range []string{"tok3n", "s3cret", "should-not-appear"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("credential %d: the account answer contains the credential: %s", i, raw)
			}
		}
		o := mustJSONAs(t, s, c.token, c.secret, "/api/account")
		if o["username"] != c.user || o["user"] != true || o["email"] != c.user+"@parchandposey.com" || o["organizations_count"] != 1.0 ||
			linkHref(o, "self") != api(c.user) {
			t.Errorf("credential %d: account %v, want the user %s", i, o, c.user)
		}
		for _, f := range []string{"id", "token", "name", "created_at", "dataset_size_limit_mb", "query_run_size_limit_mb", "avatar"} {
			if o[f] == nil {
				t.Errorf("credential %d: no %s in %v", i, f, o)
			}
		}
		// The same person as their public account.
		pub := mustJSON(t, s, http.MethodGet, api(c.user), nil, http.StatusOK)
		if pub["token"] != o["token"] || pub["id"] != o["id"] {
			t.Errorf("account %v, public account %v", o, pub)
		}
	}
	if resp, _ := callAs(t, s, "", "", http.MethodGet, "/api/account", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without credentials: %d, want 401", resp.StatusCode)
	}
	// Still the same user once their membership is gone: a user outlives it.
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Memberships[1]), nil, http.StatusOK)
	if o := mustJSONAs(t, s, "tok3n-B-should-not-appear", "s3cret-B-should-not-appear", "/api/account"); o["username"] != d.Members[1] || o["organizations_count"] != 0.0 {
		t.Errorf("after the removal, account %v", o)
	}
}

// mustJSONAs GETs path with this credential and decodes the 200 answer.
func mustJSONAs(t *testing.T, s *Server, token, secret, path string) object {
	t.Helper()
	saved := *s
	saved.Token, saved.Secret = token, secret
	return mustJSON(t, &saved, http.MethodGet, path, nil, http.StatusOK)
}

// TestMembershipTokens: a membership has a token of its own, which its paths take; neither the
// member's username nor their member_token addresses it.
func TestMembershipTokens(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	list := embedded(t, mustJSON(t, s, http.MethodGet, wsPath("memberships"), nil, http.StatusOK), "memberships")
	if len(list) != len(d.Members) {
		t.Fatalf("%d memberships, want %d", len(list), len(d.Members))
	}
	seen := map[string]bool{}
	for i, m := range list {
		tok, _ := m["token"].(string)
		if tok != d.Memberships[i] || tok == m["member_username"] || tok == m["member_token"] || seen[tok] || !tokenRE.MatchString(tok) {
			t.Errorf("membership %v: want token %s, distinct from the username and member_token", m, d.Memberships[i])
		}
		seen[tok] = true
		if linkHref(m, "self") != wsPath("memberships", tok) || linkHref(m, "groups") != wsPath("memberships", tok, "groups") {
			t.Errorf("membership %v: links by username", m)
		}
		got := mustJSON(t, s, http.MethodGet, wsPath("memberships", tok), nil, http.StatusOK)
		if got["member_username"] != m["member_username"] || got["state"] != "active" || got["invited"] != false || got["activated_at"] == nil {
			t.Errorf("GET membership %s = %v", tok, got)
		}
		mustJSON(t, s, http.MethodGet, wsPath("memberships", m["member_username"].(string)), nil, http.StatusNotFound)
		mustJSON(t, s, http.MethodGet, wsPath("memberships", m["member_token"].(string)), nil, http.StatusNotFound)
	}
}

// TestDeleteMembership: removing a member answers the membership as deleted, and takes them out
// of the member list, every group and every subscription of the workspace; their account
// remains. Unknown or foreign tokens are 404, and the last admin stays.
func TestDeleteMembership(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	ben, benTok := d.Members[1], d.Memberships[1]
	report := d.Reports[0]
	sched := mustJSON(t, s, http.MethodPost, wsPath("reports", report, "schedules"), object{"cron": object{"freq": "daily"}}, http.StatusOK)["token"].(string)
	sub := mustJSON(t, s, http.MethodPost, wsPath("reports", report, "subscriptions"),
		object{"schedule_token": sched, "email_subscribers": []string{d.Members[0], ben}}, http.StatusOK)["token"].(string)
	groupsOf := func(membership string) []string {
		var out []string
		for _, g := range embedded(t, mustJSON(t, s, http.MethodGet, wsPath("memberships", membership, "groups"), nil, http.StatusOK), "groups") {
			out = append(out, g["name"].(string))
		}
		return out
	}
	if got := groupsOf(benTok); !slices.Equal(got, []string{"Everyone", "Analysts"}) {
		t.Fatalf("Ben's groups before: %v", got)
	}
	everyone := mustJSON(t, s, http.MethodGet, wsPath("groups", d.Groups[0]), nil, http.StatusOK)["member_count"].(float64)

	deleted := mustJSON(t, s, http.MethodDelete, wsPath("memberships", benTok), nil, http.StatusOK)
	if deleted["member_username"] != ben || deleted["token"] != benTok || deleted["state"] != "deleted" {
		t.Errorf("deleted = %v", deleted)
	}
	mustJSON(t, s, http.MethodGet, wsPath("memberships", benTok), nil, http.StatusNotFound)
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", benTok), nil, http.StatusNotFound)
	for _, m := range embedded(t, mustJSON(t, s, http.MethodGet, wsPath("memberships"), nil, http.StatusOK), "memberships") {
		if m["member_username"] == ben {
			t.Error("Ben is still listed")
		}
	}
	for _, g := range d.Groups {
		for _, m := range embedded(t, mustJSON(t, s, http.MethodGet, wsPath("groups", g, "memberships"), nil, http.StatusOK), "group_memberships") {
			if m["member_username"] == ben {
				t.Errorf("Ben is still in group %s", g)
			}
		}
	}
	if got := mustJSON(t, s, http.MethodGet, wsPath("groups", d.Groups[0]), nil, http.StatusOK)["member_count"].(float64); got != everyone-1 {
		t.Errorf("Everyone has %v members, want %v", got, everyone-1)
	}
	subs := mustJSON(t, s, http.MethodGet, wsPath("reports", report, "subscriptions", sub), nil, http.StatusOK)
	if got := subs["email_subscribers"]; !slices.Equal(anyStrings(got), []string{d.Members[0]}) {
		t.Errorf("subscribers after the removal: %v", got)
	}
	mustJSON(t, s, http.MethodGet, api(ben), nil, http.StatusOK) // the person remains

	// Unknown, foreign and username addresses.
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", "000000000000"), nil, http.StatusNotFound)
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Second.Membership), nil, http.StatusNotFound)
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Members[2]), nil, http.StatusNotFound)

	// The last admin: Ana and Dev are the admins; one may go, not both.
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Memberships[0]), nil, http.StatusOK)
	if e := mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Memberships[3]), nil, http.StatusBadRequest); !strings.Contains(e["message"].(string), "admin") {
		t.Errorf("last admin: %v", e)
	}
	mustJSON(t, s, http.MethodDelete, api(SecondWorkspace, "memberships", d.Second.Membership), nil, http.StatusBadRequest)
	// Writes still work with the first members gone (the workspace's remaining members create).
	mustJSON(t, s, http.MethodPost, wsPath("spaces"), object{"space": object{"name": "After"}}, http.StatusOK)
}

// TestRemovingAMemberKeepsOtherTokens: removing members takes their group and space memberships
// away and leaves everyone else's as they were, tokens included (a group membership's token is
// its own, not derived from the member's place in the group); a membership made later takes none
// of the removed tokens.
func TestRemovingAMemberKeepsOtherTokens(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	// Ben is in the middle of Everyone and Analysts; Erin is in Everyone and has a space membership
	// of her own in Marketing.
	gone := map[string]bool{d.Members[1]: true, d.Members[4]: true}
	goneTokens := map[string]bool{s.memberToken(DemoWorkspace, d.Members[1]): true, s.memberToken(DemoWorkspace, d.Members[4]): true}
	type list struct{ path, key, memberField string }
	var lists []list
	for _, g := range d.Groups {
		lists = append(lists, list{wsPath("groups", g, "memberships"), "group_memberships", "member_username"})
	}
	for _, sp := range d.Spaces {
		lists = append(lists, list{wsPath("spaces", sp, "memberships"), "space_memberships", "member_token"})
	}
	// read returns a list's memberships, as token → the member (or group) it names.
	read := func(l list) ([]string, map[string]any) {
		var toks []string
		names := map[string]any{}
		for _, m := range embedded(t, mustJSON(t, s, http.MethodGet, l.path, nil, http.StatusOK), l.key) {
			tok := m["token"].(string)
			toks = append(toks, tok)
			names[tok] = m[l.memberField]
		}
		return toks, names
	}
	removed := func(l list, name any) bool {
		s, _ := name.(string)
		if l.memberField == "member_username" {
			return gone[s]
		}
		return goneTokens[s]
	}
	type state struct {
		toks  []string
		names map[string]any
	}
	before := make([]state, len(lists))
	seen := map[string]bool{}
	dropped := 0
	for i, l := range lists {
		before[i].toks, before[i].names = read(l)
		for _, tok := range before[i].toks {
			seen[tok] = true
			if removed(l, before[i].names[tok]) {
				dropped++
			}
		}
	}
	if dropped != 4 { // Ben's in Everyone and Analysts, Erin's in Everyone and her own in Marketing
		t.Fatalf("%d memberships name Ben or Erin, want 4", dropped)
	}

	mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Memberships[1]), nil, http.StatusOK)
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Memberships[4]), nil, http.StatusOK)

	for i, l := range lists {
		var want []string
		for _, tok := range before[i].toks {
			if removed(l, before[i].names[tok]) {
				mustJSON(t, s, http.MethodGet, l.path+"/"+tok, nil, http.StatusNotFound)
				continue
			}
			want = append(want, tok)
		}
		got, names := read(l)
		if !slices.Equal(got, want) {
			t.Errorf("%s after the removals = %v, want %v", l.path, got, want)
		}
		for _, tok := range got {
			one := mustJSON(t, s, http.MethodGet, l.path+"/"+tok, nil, http.StatusOK)
			if one[l.memberField] != before[i].names[tok] || names[tok] != before[i].names[tok] {
				t.Errorf("%s/%s names %v after the removals, %v before", l.path, tok, one[l.memberField], before[i].names[tok])
			}
		}
	}

	// A member added to a group afterwards, and an invitee (who joins Everyone), get new tokens.
	added := mustJSON(t, s, http.MethodPost, wsPath("groups", d.Groups[2], "memberships"),
		object{"membership": object{"member_token": s.memberToken(DemoWorkspace, d.Members[0])}}, http.StatusOK)
	mustJSON(t, s, http.MethodPost, wsPath("invites"), object{"invite": object{"invitee": object{"email": "new@example.com"}, "message": ""}}, http.StatusOK)
	everyone, _ := read(lists[0])
	for _, tok := range []string{added["token"].(string), everyone[len(everyone)-1]} {
		if seen[tok] {
			t.Errorf("a new group membership took the token %s of an earlier one", tok)
		}
	}
}

// anyStrings converts a decoded JSON array of strings.
func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestInvites: each e-mail address's outcome — a new person invited into a pending membership,
// a pending invitee invited again, a member refused, an address that is none refused — and
// the pending membership's life.
func TestInvites(t *testing.T) {
	clock := NewTestClock(auditStart)
	s := newTestServer(t, WithClock(clock))
	d := s.Demo()
	invite := func(email, message string) object {
		return object{"invite": object{"invitee": object{"email": email}, "message": message}}
	}
	inv := mustJSON(t, s, http.MethodPost, wsPath("invites"), invite("Harold.Ceramicist@example.com", "You are an analyst, Harry!"), http.StatusOK)
	ana := mustJSON(t, s, http.MethodGet, api(d.Members[0]), nil, http.StatusOK)
	if inv["email"] != "Harold.Ceramicist@example.com" || inv["message"] != "You are an analyst, Harry!" || inv["inviter_id"] != ana["id"] ||
		inv["invitee_id"] == nil || inv["organization_id"] != 1.0 || inv["limited"] != false ||
		inv["created_at"] != formatTime(auditStart) || inv["sent_at"] != formatTime(auditStart) || inv["resent_at"] != nil || inv["accepted_at"] != nil ||
		inv["expires_at"] != formatTime(auditStart.Add(7*24*time.Hour)) ||
		linkHref(inv, "inviter") != api(d.Members[0]) || linkHref(inv, "invitee") != api("harold_ceramicist") || linkHref(inv, "web_self_resend") == "" {
		t.Errorf("invite = %v", inv)
	}
	mpath := linkHref(inv, "membership")
	m := mustJSON(t, s, http.MethodGet, mpath, nil, http.StatusOK)
	if m["member_username"] != "harold_ceramicist" || m["state"] != "pending" || m["invited"] != true || m["activated_at"] != nil || m["admin"] != false {
		t.Errorf("pending membership = %v", m)
	}
	if u := mustJSON(t, s, http.MethodGet, api("harold_ceramicist"), nil, http.StatusOK); u["email"] != "harold.ceramicist@example.com" || u["id"] != inv["invitee_id"] {
		t.Errorf("the invitee's account = %v", u)
	}
	if n := len(embedded(t, mustJSON(t, s, http.MethodGet, wsPath("memberships"), nil, http.StatusOK), "memberships")); n != len(d.Members)+1 {
		t.Errorf("%d memberships after the invite, want %d", n, len(d.Members)+1)
	}
	// The invitee is in the Everyone group, like every member, with a group membership of their own.
	everyone := wsPath("groups", d.Groups[0])
	inEveryone := func() []object {
		var out []object
		for _, gm := range embedded(t, mustJSON(t, s, http.MethodGet, everyone+"/memberships", nil, http.StatusOK), "group_memberships") {
			if gm["member_username"] == "harold_ceramicist" {
				out = append(out, gm)
			}
		}
		return out
	}
	joined := inEveryone()
	if len(joined) != 1 || joined[0]["member_token"] != m["member_token"] || joined[0]["token"] == m["member_token"] || joined[0]["token"] == m["token"] ||
		!tokenRE.MatchString(joined[0]["token"].(string)) || joined[0]["created_at"] != formatTime(auditStart) {
		t.Errorf("the invitee's Everyone memberships = %v, want one for member_token %v", joined, m["member_token"])
	}
	if g := mustJSON(t, s, http.MethodGet, everyone, nil, http.StatusOK); g["member_count"] != float64(len(d.Members)+1) {
		t.Errorf("Everyone's member_count after the invite = %v, want %d", g["member_count"], len(d.Members)+1)
	}
	if got := tokensUnder(t, mustJSON(t, s, http.MethodGet, linkHref(m, "groups"), nil, http.StatusOK), "groups"); !slices.Equal(got, d.Groups[:1]) {
		t.Errorf("the invitee's groups = %v, want Everyone", got)
	}

	// Invited again (any case): sent again, the same membership.
	clock.Advance(time.Hour)
	again := mustJSON(t, s, http.MethodPost, wsPath("invites"), invite("harold.ceramicist@EXAMPLE.com", "Reminder"), http.StatusOK)
	if again["resent_at"] != formatTime(auditStart.Add(time.Hour)) || again["created_at"] != inv["created_at"] || again["message"] != "Reminder" ||
		linkHref(again, "membership") != mpath || again["expires_at"] != formatTime(auditStart.Add(time.Hour+7*24*time.Hour)) {
		t.Errorf("invited again = %v", again)
	}

	// A user of another workspace is the same person; a username taken gets a suffix.
	nora := mustJSON(t, s, http.MethodPost, wsPath("invites"), invite("nora_northwind@northwind.example", ""), http.StatusOK)
	noraM := mustJSON(t, s, http.MethodGet, linkHref(nora, "membership"), nil, http.StatusOK)
	noraThere := mustJSON(t, s, http.MethodGet, api(SecondWorkspace, "memberships", d.Second.Membership), nil, http.StatusOK)
	if noraM["member_username"] != d.Second.Member || noraM["member_token"] != noraThere["member_token"] || noraM["token"] == noraThere["token"] {
		t.Errorf("Nora invited: %v, in her workspace %v", noraM, noraThere)
	}
	other := mustJSON(t, s, http.MethodPost, wsPath("invites"), invite("ana.analyst@elsewhere.example", "x"), http.StatusOK)
	if linkHref(other, "invitee") != api("ana_analyst_2") {
		t.Errorf("a second ana_analyst: %v", other)
	}

	// Refusals.
	for _, tt := range []struct {
		name string
		body any
		msg  string
	}{
		{"a member", invite(d.Members[1]+"@parchandposey.com", "hi"), "already a member"},
		{"a member in capitals", invite(strings.ToUpper(d.Members[1])+"@PARCHANDPOSEY.COM", "hi"), "already a member"},
		{"no at", invite("harold.example.com", "hi"), "Invalid email"},
		{"display name", invite("Harold <harold@example.com>", "hi"), "Invalid email"},
		{"no domain dot", invite("harold@localhost", "hi"), "Invalid email"},
		{"two addresses", invite("a@example.com, b@example.com", "hi"), "Invalid email"},
		{"too long", invite(strings.Repeat("a", 250)+"@example.com", "hi"), "Invalid email"},
		{"no message", object{"invite": object{"invitee": object{"email": "x@example.com"}}}, "message"},
		{"no email", object{"invite": object{"invitee": object{}, "message": "hi"}}, "invitee.email"},
		{"no invite", object{}, "invite"},
		{"not json", "{", "Invalid JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := mustJSON(t, s, http.MethodPost, wsPath("invites"), tt.body, http.StatusBadRequest)
			if e["id"] != "bad_request" || !strings.Contains(e["message"].(string), tt.msg) {
				t.Errorf("error %v, want a message with %q", e, tt.msg)
			}
		})
	}
	mustJSON(t, s, http.MethodPost, api("no_such_ws", "invites"), invite("x@example.com", "hi"), http.StatusNotFound)

	// Withdrawn: the membership is gone, and the address may be invited anew.
	mustJSON(t, s, http.MethodDelete, mpath, nil, http.StatusOK)
	mustJSON(t, s, http.MethodGet, mpath, nil, http.StatusNotFound)
	if left := inEveryone(); len(left) != 0 {
		t.Errorf("a withdrawn invitee is still in Everyone: %v", left)
	}
	renewed := mustJSON(t, s, http.MethodPost, wsPath("invites"), invite("harold.ceramicist@example.com", "Once more"), http.StatusOK)
	if linkHref(renewed, "membership") == mpath || linkHref(renewed, "invitee") != api("harold_ceramicist") || renewed["resent_at"] != nil {
		t.Errorf("invited after the withdrawal: %v", renewed)
	}
	if again := inEveryone(); len(again) != 1 || again[0]["token"] == joined[0]["token"] {
		t.Errorf("invited anew: Everyone memberships %v, want one new (not %v)", again, joined[0]["token"])
	}
}

// TestBatchMembers: the Metadata API's members list every membership (pending ones too) with
// their person and their activity, paged like the other lists.
func TestBatchMembers(t *testing.T) {
	clock := NewTestClock(auditStart)
	s := newTestServer(t, WithClock(clock))
	d := s.Demo()
	_, bearer := createSignature(t, s, DemoWorkspace) // a write: Ana's API activity today
	run := startRun(t, s, d.Reports[0], nil)
	waitRun(t, s, d.Reports[0], run["token"].(string))
	clock.Advance(24 * time.Hour)
	mustJSON(t, s, http.MethodPost, wsPath("invites"), object{"invite": object{"invitee": object{"email": "pat@example.com"}, "message": ""}}, http.StatusOK)

	members, requests := walkBatch(t, s, bearer, batchPath("members", "per_page=2"), "memberships")
	if requests != 3 || len(members) != len(d.Members)+1 {
		t.Fatalf("%d members in %d requests, want %d in 3", len(members), requests, len(d.Members)+1)
	}
	for i, m := range members[:len(d.Members)] {
		if m["member_username"] != d.Members[i] || m["token"] != d.Memberships[i] || m["state"] != "active" || m["activated_at"] == nil ||
			m["member_email"] != d.Members[i]+"@parchandposey.com" || m["id"] == nil || m["member_token"] == nil {
			t.Errorf("member %d = %v", i, m)
		}
	}
	ana := members[0]
	if ana["last_report_created_at"] == nil || ana["last_report_run_at"] == nil || ana["last_day_api_engaged"] != "2025-02-19" ||
		ana["last_day_engaged"] != "2025-02-19" || ana["total_days_engaged"] != 2.0 || ana["last_day_in_app_engaged"] != nil {
		t.Errorf("Ana's activity = %v", ana)
	}
	if ben := members[1]; ben["last_report_run_at"] != nil || ben["last_day_api_engaged"] != nil || ben["total_days_engaged"] != 0.0 {
		t.Errorf("Ben's activity = %v", ben)
	}
	if pat := members[len(members)-1]; pat["member_username"] != "pat" || pat["state"] != "pending" || pat["activated_at"] != nil || pat["member_email"] != "pat@example.com" {
		t.Errorf("the invitee = %v", pat)
	}
	mustJSON(t, s, http.MethodDelete, wsPath("memberships", d.Memberships[4]), nil, http.StatusOK)
	if o := signedJSON(t, s, bearer, batchPath("members"), http.StatusOK); len(batchItems(t, o, "memberships")) != len(d.Members) {
		t.Errorf("after a removal: %v", o)
	}
	signedJSON(t, s, bearer, batchPath("members", "per_page=0"), http.StatusBadRequest)
	// Basic auth is not enough.
	mustJSON(t, s, http.MethodGet, batchPath("members"), nil, http.StatusUnauthorized)
}
