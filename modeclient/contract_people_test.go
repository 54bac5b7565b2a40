package modeclient_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestContractAccount covers GetAccount (cached, per credential) and VerifyCredential (never
// cached; false, not an error, for a credential Mode refuses).
func TestContractAccount(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		ok, err := c.VerifyCredential(ctx)
		if err != nil || !ok {
			t.Fatalf("VerifyCredential = %v, %v; want true", ok, err)
		}
		a, err := c.GetAccount(ctx)
		var ae *modeclient.APIError
		if tg.emu == nil && errors.As(err, &ae) && ae.StatusCode < 500 {
			t.Skipf("Mode does not answer GET /api/account for this credential (%d): it documents the operation as not supported", ae.StatusCode)
		}
		if err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		if a.Username == "" || a.Token == "" || a.ID == 0 || !bool(a.User) || a.CreatedAt.IsZero() || a.WebURL() == "" {
			t.Errorf("GetAccount = %+v", a)
		}
		if tg.emu == nil {
			return
		}
		d := tg.emu.Demo()
		if a.Username != d.Members[0] || a.Email != d.Members[0]+"@parchandposey.com" || a.OrganizationsCount != 1 || a.Name != "Ana Analyst" {
			t.Errorf("the emulator's first credential is Ana: %+v", a)
		}
		if a.Token == tg.cred.Token {
			t.Error("the account's token is the API token")
		}
		// Cached: the second read asks nothing; verifying always asks.
		tg.emu.ResetRequests()
		must(c.GetAccount(ctx))(t)
		must(c.VerifyCredential(ctx))(t)
		must(c.VerifyCredential(ctx))(t)
		if n, v := requestsTo(tg.emu, http.MethodGet, "/api/account"), requestsTo(tg.emu, http.MethodGet, "/api/verify"); n != 0 || v != 2 {
			t.Errorf("%d account and %d verify requests, want 0 and 2", n, v)
		}

		// A credential Mode refuses: not verified (no error), and GetAccount is Mode's 401.
		bad := modeclient.Credential{Token: tg.cred.Token, Secret: tg.cred.Secret + "x"}
		wrong, err := modeclient.New(tg.baseURL, bad, modeclient.WithHTTPClient(tg.hc), modeclient.WithBackoff(time.Millisecond, 2*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := wrong.VerifyCredential(ctx); ok || err != nil {
			t.Errorf("VerifyCredential with a wrong secret = %v, %v; want false, nil", ok, err)
		}
		_, err = wrong.GetAccount(ctx)
		wantAPIError(t, err, http.StatusUnauthorized)

		// Mode unavailable: an error, not a verdict.
		remove := tg.emu.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/verify", Status: http.StatusInternalServerError})
		defer remove()
		if ok, err := c.VerifyCredential(ctx); ok || err == nil {
			t.Errorf("VerifyCredential while Mode fails = %v, %v; want false and an error", ok, err)
		}
	})
}

// TestContractAccountPerCredential: two credentials are two users, and their accounts are
// cached apart.
func TestContractAccountPerCredential(t *testing.T) {
	t.Parallel()
	tg := newEmulatorTarget(t, modetest.WithCredentials("tok-a", "sec-a"), modetest.WithCredentials("tok-b", "sec-b"))
	ctx := tg.ctx(t)
	ch := newTestCache(t, cache.Options{})
	var users []string
	for _, cred := range []modeclient.Credential{{Token: "tok-a", Secret: "sec-a"}, {Token: "tok-b", Secret: "sec-b"}} {
		c, err := modeclient.New(tg.baseURL, cred, modeclient.WithHTTPClient(tg.hc), modeclient.WithCache(ch))
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, must(c.GetAccount(ctx))(t).Username)
	}
	d := tg.emu.Demo()
	if !slices.Equal(users, d.Members[:2]) {
		t.Errorf("accounts %v, want %v", users, d.Members[:2])
	}
}

// TestContractDeleteMembership removes a member through a cached client: the membership, the
// lists, the groups and the Metadata API's members read fresh afterwards; a token of another
// workspace, or one that is not a token, removes no one.
func TestContractDeleteMembership(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		ben := d.Memberships[1]
		// Everything the removal changes, cached.
		before := collect(t, c.ListMemberships(ctx, tg.ws, nil))
		everyone := must(c.GetGroup(ctx, tg.ws, d.Groups[0]))(t).MemberCount
		must(c.ListGroupsPage(ctx, tg.ws, 1, nil))(t)
		must(c.GetMembership(ctx, tg.ws, ben))(t)
		batch := collect(t, c.ListBatchMembers(ctx, tg.ws, nil))
		if len(batch) != len(before) {
			t.Fatalf("%d batch members, %d memberships", len(batch), len(before))
		}

		// A caller that knows the member by username finds the token (from the cached list).
		tg.emu.ResetRequests()
		if byName := must(c.GetMembershipByUsername(ctx, tg.ws, d.Members[1]))(t); byName.MembershipToken() != ben {
			t.Errorf("GetMembershipByUsername = %+v, want membership %s", byName, ben)
		}
		_, err := c.GetMembershipByUsername(ctx, tg.ws, "nobody_here")
		wantAPIError(t, err, http.StatusNotFound)
		if n := tg.emu.CountRequests("", "/"); n != 0 {
			t.Errorf("%d requests: the memberships were cached", n)
		}

		m := must(c.DeleteMembership(ctx, tg.ws, ben))(t)
		if m.MemberUsername != d.Members[1] || m.State != modeclient.MembershipStateDeleted || m.MembershipToken() != ben {
			t.Errorf("DeleteMembership = %+v", m)
		}
		after := collect(t, c.ListMemberships(ctx, tg.ws, nil))
		if len(after) != len(before)-1 || slices.ContainsFunc(after, func(x modeclient.Membership) bool { return x.MembershipToken() == ben }) {
			t.Errorf("memberships after the removal: %v", tokensOf(after, memberName))
		}
		if got := must(c.GetGroup(ctx, tg.ws, d.Groups[0]))(t).MemberCount; got != everyone-1 {
			t.Errorf("Everyone has %d members after the removal, want %d", got, everyone-1)
		}
		for _, g := range collect(t, c.ListGroups(ctx, tg.ws, nil)) {
			if g.Token == d.Groups[0] && g.MemberCount != everyone-1 {
				t.Errorf("listed Everyone: %d members", g.MemberCount)
			}
		}
		_, err = c.GetMembership(ctx, tg.ws, ben)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.GetMembershipByUsername(ctx, tg.ws, d.Members[1])
		wantAPIError(t, err, http.StatusNotFound)
		if got := collect(t, c.ListBatchMembers(ctx, tg.ws, nil)); len(got) != len(batch)-1 {
			t.Errorf("%d batch members after the removal, want %d", len(got), len(batch)-1)
		}
		_, err = c.DeleteMembership(ctx, tg.ws, ben)
		wantAPIError(t, err, http.StatusNotFound)

		// Another workspace's membership: not found, and no DELETE is sent.
		tg.emu.ResetRequests()
		_, err = c.DeleteMembership(ctx, tg.ws, d.Second.Membership)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.DeleteMembership(ctx, tg.ws, "not/a token")
		var ia *modeclient.InvalidArgumentError
		if !errors.As(err, &ia) || ia.Field != "membership" {
			t.Errorf("DeleteMembership of a path: %v", err)
		}
		if n := tg.emu.CountRequests(http.MethodDelete, "/"); n != 0 {
			t.Errorf("%d DELETEs sent for refused removals", n)
		}
		// The workspace's last admin stays (Mode's 400).
		_, err = c.DeleteMembership(ctx, modetest.SecondWorkspace, d.Second.Membership)
		wantAPIError(t, err, http.StatusBadRequest)
	})
}

// TestContractInviteMembers invites several addresses in one call — a new person, a member, a
// malformed address, one given twice — then invites the new person again, and withdraws the
// invitation; the cached memberships follow.
func TestContractInviteMembers(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		members := len(collect(t, c.ListMemberships(ctx, tg.ws, nil))) // cached
		everyone := must(c.GetGroup(ctx, tg.ws, d.Groups[0]))(t).MemberCount
		everyoneMembers := func() []string {
			return tokensOf(collect(t, c.ListGroupMemberships(ctx, tg.ws, d.Groups[0], nil)), func(m modeclient.GroupMembership) string { return m.MemberToken })
		}
		if n := len(everyoneMembers()); modeclient.Int(n) != everyone { // cached
			t.Fatalf("Everyone lists %d members, counts %d", n, everyone)
		}
		tg.emu.ResetRequests()

		inv := must(c.InviteMembers(ctx, tg.ws, modeclient.InviteInput{
			Emails:  []string{"harold@example.com", d.Members[1] + "@parchandposey.com", "not an address", "Harold@Example.com"},
			Message: "You are an analyst, Harry!",
		}))(t)
		var got []string
		for _, r := range inv.Results {
			got = append(got, r.Email+"="+r.Status.String())
		}
		want := []string{"harold@example.com=sent", d.Members[1] + "@parchandposey.com=refused", "not an address=invalid"}
		if !slices.Equal(got, want) {
			t.Fatalf("results %v, want %v", got, want)
		}
		if n := requestsTo(tg.emu, http.MethodPost, apiPath("invites")); n != 2 {
			t.Errorf("%d invitations sent, want 2 (the invalid address and the repeated one are not)", n)
		}
		sent := inv.Results[0].Invitation
		if sent == nil || sent.Email != "harold@example.com" || sent.Message != "You are an analyst, Harry!" || sent.InviteeUsername() != "harold" ||
			sent.MembershipToken() == "" || sent.ExpiresAt.IsZero() || !sent.ResentAt.IsZero() || sent.InviterID == 0 {
			t.Errorf("invitation = %+v", sent)
		}
		var ae *modeclient.APIError
		if r := inv.Results[1]; !errors.As(r.Err, &ae) || ae.StatusCode != http.StatusBadRequest || r.Invitation != nil {
			t.Errorf("refused result = %+v", r)
		}
		var ia *modeclient.InvalidArgumentError
		if r := inv.Results[2]; !errors.As(r.Err, &ia) || strings.Contains(r.Err.Error(), "not an address") {
			t.Errorf("invalid result = %+v (its error must not echo the address)", r)
		}
		if got := inv.Invited(); len(got) != 1 || got[0].Email != "harold@example.com" {
			t.Errorf("Invited() = %+v", got)
		}

		// The pending membership shows in the cached list, and reads by its token.
		ms := collect(t, c.ListMemberships(ctx, tg.ws, nil))
		if len(ms) != members+1 {
			t.Fatalf("%d memberships after the invitation, want %d", len(ms), members+1)
		}
		pending := must(c.GetMembership(ctx, tg.ws, sent.MembershipToken()))(t)
		if pending.MemberUsername != "harold" || pending.State != modeclient.MembershipStatePending || !bool(pending.Invited) || !pending.ActivatedAt.IsZero() {
			t.Errorf("pending membership = %+v", pending)
		}
		// The invitee joined the Everyone group (the cached group and its memberships follow).
		if got := must(c.GetGroup(ctx, tg.ws, d.Groups[0]))(t).MemberCount; got != everyone+1 {
			t.Errorf("Everyone has %d members after the invitation, want %d", got, everyone+1)
		}
		if !slices.Contains(everyoneMembers(), pending.MemberToken) {
			t.Errorf("the invitee (member_token %s) is not in Everyone", pending.MemberToken)
		}

		// Invited again: sent again.
		again := must(c.InviteMembers(ctx, tg.ws, modeclient.InviteInput{Emails: []string{"harold@example.com"}}))(t)
		if r := again.Results[0]; r.Status != modeclient.InviteResent || r.Invitation.ResentAt.IsZero() || r.Invitation.MembershipToken() != sent.MembershipToken() {
			t.Errorf("invited again = %+v", r)
		}
		// Withdrawn.
		must(c.DeleteMembership(ctx, tg.ws, sent.MembershipToken()))(t)
		if n := len(collect(t, c.ListMemberships(ctx, tg.ws, nil))); n != members {
			t.Errorf("%d memberships after the withdrawal, want %d", n, members)
		}
		if got := must(c.GetGroup(ctx, tg.ws, d.Groups[0]))(t).MemberCount; got != everyone || slices.Contains(everyoneMembers(), pending.MemberToken) {
			t.Errorf("Everyone has %d members after the withdrawal, want %d without the invitee", got, everyone)
		}

		// Inputs refused before any request.
		tg.emu.ResetRequests()
		many := make([]string, modeclient.MaxInviteEmails+1)
		for i := range many {
			many[i] = "p" + string(rune('a'+i%26)) + "@example.com"
		}
		for _, tc := range []struct {
			name  string
			in    modeclient.InviteInput
			field string
		}{
			{"no address", modeclient.InviteInput{}, "emails"},
			{"too many", modeclient.InviteInput{Emails: many}, "emails"},
			{"long message", modeclient.InviteInput{Emails: []string{"x@example.com"}, Message: strings.Repeat("x", modeclient.MaxInviteMessage+1)}, "message"},
			{"message not UTF-8", modeclient.InviteInput{Emails: []string{"x@example.com"}, Message: "\xff"}, "message"},
		} {
			_, err := c.InviteMembers(ctx, tg.ws, tc.in)
			var ia *modeclient.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("%s: err = %v, want an invalid %s", tc.name, err, tc.field)
			}
		}
		_, err := c.InviteMembers(ctx, "bad/ws", modeclient.InviteInput{Emails: []string{"x@example.com"}})
		if !errors.As(err, &ia) || ia.Field != "workspace" {
			t.Errorf("bad workspace: %v", err)
		}
		if n := tg.emu.CountRequests("", "/"); n != 0 {
			t.Errorf("%d requests for refused inputs", n)
		}

		// A failure that concerns every address stops the call: that address failed, the rest
		// were not sent.
		remove := tg.emu.AddFault(modetest.Fault{Method: http.MethodPost, Path: "/api/*/invites", Status: http.StatusForbidden, Times: 1})
		defer remove()
		inv, err = c.InviteMembers(ctx, tg.ws, modeclient.InviteInput{Emails: []string{"a@example.com", "b@example.com"}})
		wantAPIError(t, err, http.StatusForbidden)
		if inv == nil || len(inv.Results) != 2 || inv.Results[0].Status != modeclient.InviteFailed || inv.Results[1].Status != modeclient.InviteNotSent {
			t.Errorf("after a 403: %+v", inv)
		}
	})
}

// TestContractAuditLog: the client's own writes come back from the audit log, in order, with
// the credential's user, the client's address and the emulator's time; the log is read fresh
// (never cached) and paged without loss or repeat; filters are checked before any request.
func TestContractAuditLog(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 2, 18, 10, 0, 0, 0, time.UTC)
	clock := modetest.NewTestClock(start)
	forEachTarget(t, mutates, []modetest.Option{modetest.WithClock(clock), modetest.WithPerPage(2)}, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		all := modeclient.AuditLogFilter{Start: start, End: start.Add(24 * time.Hour)}

		sp := must(c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "Audited"}))(t)
		clock.Advance(time.Minute)
		must(c.UpdateSpace(ctx, tg.ws, sp.Token, modeclient.SpaceUpdate{Description: strp("x")}))(t)
		clock.Advance(time.Minute)
		inv := must(c.InviteMembers(ctx, tg.ws, modeclient.InviteInput{Emails: []string{"audited@example.com"}}))(t)
		clock.Advance(time.Minute)
		must(c.DeleteMembership(ctx, tg.ws, d.Memberships[2]))(t)

		events := collect(t, c.ListAuditLog(ctx, tg.ws, all))
		type row struct{ action, entity string }
		var got []row
		for _, ev := range events {
			got = append(got, row{ev.Action, string(ev.Entity.ID)})
			if ev.Actor.Username != d.Members[0] || ev.Actor.IP != "127.0.0.1" || ev.EventSource != "api" || ev.Workspace != tg.ws ||
				ev.Actor.UserID == "" || ev.ID == "" || ev.Time.IsZero() {
				t.Errorf("event %+v", ev)
			}
		}
		want := []row{{"space_created", sp.Token}, {"space_updated", sp.Token},
			{"invite_sent", inv.Results[0].Invitation.MembershipToken()}, {"member_removed", d.Memberships[2]}}
		if !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		for i, at := range []time.Time{start, start.Add(time.Minute), start.Add(2 * time.Minute), start.Add(3 * time.Minute)} {
			if !events[i].Time.Equal(at) {
				t.Errorf("event %d at %v, want %v", i, events[i].Time, at)
			}
		}

		// Filters, and pages: with two events a page, next_token leads through them all.
		f := all
		f.EntityType, f.Username = "space", d.Members[0]
		p := must(c.ListAuditLogPage(ctx, tg.ws, f, ""))(t)
		if len(p.Events) != 2 || p.Events[0].Action != "space_created" || p.NextToken != "" {
			t.Errorf("space events: %+v", p)
		}
		first := must(c.ListAuditLogPage(ctx, tg.ws, all, ""))(t)
		if len(first.Events) != 2 || first.NextToken == "" {
			t.Fatalf("first page = %+v", first)
		}
		second := must(c.ListAuditLogPage(ctx, tg.ws, all, first.NextToken))(t)
		if len(second.Events) != 2 || second.Events[0].ID == first.Events[1].ID || second.Events[0].Action != "invite_sent" {
			t.Errorf("second page = %+v", second)
		}

		// Fresh: a write between two identical reads shows at once, each read asks Mode.
		tg.emu.ResetRequests()
		before := len(collect(t, c.ListAuditLog(ctx, tg.ws, all)))
		clock.Advance(time.Minute)
		must(c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "Audited 2"}))(t)
		if after := len(collect(t, c.ListAuditLog(ctx, tg.ws, all))); after != before+1 {
			t.Errorf("%d events after a write, want %d", after, before+1)
		}
		if n := requestsTo(tg.emu, http.MethodGet, apiPath("audit_logs")); n != 5 { // 4 events in 2 pages, then 5 in 3
			t.Errorf("%d audit log reads, want 5 (never cached)", n)
		}

		// Refused before any request.
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name  string
			f     modeclient.AuditLogFilter
			token string
			field string
		}{
			{"no start", modeclient.AuditLogFilter{End: start}, "", "start"},
			{"no end", modeclient.AuditLogFilter{Start: start}, "", "end"},
			{"end before start", modeclient.AuditLogFilter{Start: start, End: start.Add(-time.Second)}, "", "end"},
			{"bad ip", modeclient.AuditLogFilter{Start: start, End: start, IP: "300.0.0.1"}, "", "ip"},
			{"ip with port", modeclient.AuditLogFilter{Start: start, End: start, IP: "10.0.0.1:80"}, "", "ip"},
			{"long action", modeclient.AuditLogFilter{Start: start, End: start, Action: strings.Repeat("a", 257)}, "", "action"},
			{"control character", modeclient.AuditLogFilter{Start: start, End: start, Username: "ana\nx"}, "", "username"},
			{"not UTF-8", modeclient.AuditLogFilter{Start: start, End: start, EntityName: "\xff"}, "", "entity_name"},
			{"bad next token", all, "a b", "next_token"},
		} {
			_, err := c.ListAuditLogPage(ctx, tg.ws, tc.f, tc.token)
			var ia *modeclient.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("%s: err = %v, want an invalid %s", tc.name, err, tc.field)
			}
		}
		if n := tg.emu.CountRequests("", "/"); n != 0 {
			t.Errorf("%d requests for refused filters", n)
		}
		// An IPv4-mapped address is the IPv4 one.
		mapped := all
		mapped.IP = "::ffff:127.0.0.1"
		if n := len(collect(t, c.ListAuditLog(ctx, tg.ws, mapped))); n != before+1 {
			t.Errorf("%d events from ::ffff:127.0.0.1, want %d", n, before+1)
		}
	})
}

// TestContractBatchMembers reads the Metadata API's members: one per membership, with the
// membership token the REST API addresses it by, cached like the other pages.
func TestContractBatchMembers(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		members := collect(t, c.ListBatchMembers(ctx, tg.ws, &modeclient.BatchOptions{PerPage: 2}))
		rest := collect(t, c.ListMemberships(ctx, tg.ws, nil))
		assertUnique(t, "batch members", tokensOf(members, func(m modeclient.BatchMember) string { return m.Token }))
		assertSameSet(t, "batch member usernames", tokensOf(members, func(m modeclient.BatchMember) string { return m.MemberUsername }), tokensOf(rest, memberName))
		if tg.emu == nil {
			return
		}
		d := tg.emu.Demo()
		if got := tokensOf(members, func(m modeclient.BatchMember) string { return m.Token }); !slices.Equal(got, d.Memberships) {
			t.Errorf("batch member tokens %v, want %v", got, d.Memberships)
		}
		m := members[0]
		if m.MemberUsername != d.Members[0] || m.MemberEmail != "ana_analyst@parchandposey.com" || m.State != "active" || m.ActivatedAt.IsZero() ||
			string(m.MemberToken) != rest[0].MemberToken || m.ID == 0 || m.LastReportCreatedAt.IsZero() {
			t.Errorf("first batch member = %+v", m)
		}
		page := must(c.ListBatchMembersPage(ctx, tg.ws, 1, &modeclient.BatchOptions{PerPage: 2, IncludeSpaces: modeclient.IncludeSpacesAll}))(t)
		if len(page.Items) != 2 || page.NextPage != 2 || page.TotalCount != len(d.Members) {
			t.Errorf("first page of 2: %+v", page)
		}
		for _, r := range tg.emu.Requests() {
			if strings.HasPrefix(r.Path, "/batch/") && strings.Contains(r.RawQuery, "include_spaces") {
				t.Errorf("include_spaces sent to the members list: %s?%s", r.Path, r.RawQuery)
			}
		}
		// Cached.
		tg.emu.ResetRequests()
		must(c.ListBatchMembersPage(ctx, tg.ws, 1, &modeclient.BatchOptions{PerPage: 2}))(t)
		if n := tg.emu.CountRequests("", "/"); n != 0 {
			t.Errorf("%d requests for a cached page", n)
		}
	})
}

// TestContractDeleteMembershipDropsWhatNamesThem removes Erin through a cached client: her group
// memberships (Everyone), her own space membership (Marketing) and her subscription of a report
// are read fresh afterwards and name her no more; everyone else's group and space memberships
// keep their tokens.
func TestContractDeleteMembershipDropsWhatNamesThem(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		erin := d.Members[4]
		rep, marketing, everyone := d.Reports[0], d.Spaces[1], d.Groups[0]
		sched := must(c.CreateReportSchedule(ctx, tg.ws, rep, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "daily"}}))(t).Token
		sub := must(c.CreateReportSubscription(ctx, tg.ws, rep, modeclient.SubscriptionCreate{Schedule: sched, EmailSubscribers: []string{d.Members[0], erin}}))(t).Token

		// Cached: every read that names Erin.
		groupMs := collect(t, c.ListGroupMemberships(ctx, tg.ws, everyone, nil))
		erinGM := groupMs[slices.IndexFunc(groupMs, func(m modeclient.GroupMembership) bool { return m.MemberUsername == erin })].Token
		must(c.GetGroupMembership(ctx, tg.ws, everyone, erinGM))(t)
		spaceMs := collect(t, c.ListSpaceMemberships(ctx, tg.ws, marketing, nil))
		erinSM := spaceMs[slices.IndexFunc(spaceMs, func(m modeclient.SpaceMembership) bool { return !m.IsGroup() })].Token
		must(c.GetSpaceMembership(ctx, tg.ws, marketing, erinSM))(t)
		if s := must(c.GetReportSubscription(ctx, tg.ws, rep, sub))(t); !slices.Equal(s.EmailSubscribers, []string{d.Members[0], erin}) {
			t.Fatalf("subscription = %+v", s)
		}
		must(c.ListReportSubscriptionsPage(ctx, tg.ws, rep, 1, nil))(t)
		if s := must(c.GetReportSchedule(ctx, tg.ws, rep, sched))(t); s.SubscriberCount != 2 {
			t.Fatalf("schedule subscriber_count = %d, want 2", s.SubscriberCount)
		}

		must(c.DeleteMembership(ctx, tg.ws, d.Memberships[4]))(t)

		var wantGM []string
		for _, m := range groupMs {
			if m.Token != erinGM {
				wantGM = append(wantGM, m.Token)
			}
		}
		if got := tokensOf(collect(t, c.ListGroupMemberships(ctx, tg.ws, everyone, nil)), groupMembershipToken); !slices.Equal(got, wantGM) {
			t.Errorf("Everyone's memberships after the removal = %v, want %v (the others' tokens unchanged)", got, wantGM)
		}
		_, err := c.GetGroupMembership(ctx, tg.ws, everyone, erinGM)
		wantAPIError(t, err, http.StatusNotFound)
		var wantSM []string
		for _, m := range spaceMs {
			if m.Token != erinSM {
				wantSM = append(wantSM, m.Token)
			}
		}
		if got := tokensOf(collect(t, c.ListSpaceMemberships(ctx, tg.ws, marketing, nil)), spaceMembershipToken); !slices.Equal(got, wantSM) {
			t.Errorf("Marketing's memberships after the removal = %v, want %v", got, wantSM)
		}
		_, err = c.GetSpaceMembership(ctx, tg.ws, marketing, erinSM)
		wantAPIError(t, err, http.StatusNotFound)
		if s := must(c.GetReportSubscription(ctx, tg.ws, rep, sub))(t); !slices.Equal(s.EmailSubscribers, []string{d.Members[0]}) {
			t.Errorf("subscribers after the removal = %v", s.EmailSubscribers)
		}
		for _, s := range must(c.ListReportSubscriptionsPage(ctx, tg.ws, rep, 1, nil))(t).Items {
			if slices.Contains(s.EmailSubscribers, erin) {
				t.Errorf("listed subscription %s still names %s", s.Token, erin)
			}
		}
		if s := must(c.GetReportSchedule(ctx, tg.ws, rep, sched))(t); s.SubscriberCount != 1 {
			t.Errorf("schedule subscriber_count after the removal = %d, want 1", s.SubscriberCount)
		}
	})
}
