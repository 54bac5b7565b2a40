package modeclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

func groupMembershipToken(m modeclient.GroupMembership) string { return m.Token }

func spaceMembershipToken(m modeclient.SpaceMembership) string { return m.Token }

func groupMemberName(m modeclient.GroupMembership) string { return m.MemberUsername }

// Demo space indexes (modetest.Demo.Spaces is in seed order).
const (
	salesSpace     = 0
	executiveSpace = 2 // restricted: the Executives group (Demo.Groups[2]) has access
	personalSpace  = 3
)

// memberTokens maps the workspace's members' usernames to their member tokens.
func memberTokens(t *testing.T, ctx context.Context, c *modeclient.Client, ws string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range collect(t, c.ListMemberships(ctx, ws, nil)) {
		out[m.MemberUsername] = m.MemberToken
	}
	return out
}

// TestContractGroupMembershipsRead lists a group's memberships a page at a time and reads one:
// on the emulator, the seeded Analysts.
func TestContractGroupMembershipsRead(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		fx := tg.fixtures(t)
		need(t, "group", fx.Group)
		group := fx.Group
		if tg.emu != nil {
			group = tg.emu.Demo().Groups[1]
		}
		ms := collect(t, c.ListGroupMemberships(ctx, tg.ws, group, &modeclient.ListOptions{PerPage: 2}))
		assertUnique(t, "group memberships", tokensOf(ms, groupMembershipToken))
		if tg.emu != nil {
			if got := tokensOf(ms, groupMemberName); !slices.Equal(got, []string{"ana_analyst", "ben_builder", "dev_engineer"}) {
				t.Fatalf("Analysts = %v", got)
			}
			tokens := memberTokens(t, ctx, c, tg.ws)
			for _, m := range ms {
				if m.MemberToken != tokens[m.MemberUsername] || m.Token == m.MemberToken || m.CreatedAt.IsZero() ||
					m.Links.Href("self") != apiPath("groups", group, "memberships", m.Token) {
					t.Errorf("membership = %+v", m)
				}
			}
		}
		if len(ms) == 0 {
			t.Skip("the group has no member to read")
		}
		got := must(c.GetGroupMembership(ctx, tg.ws, group, ms[0].Token))(t)
		if got.Token != ms[0].Token || got.MemberToken != ms[0].MemberToken {
			t.Errorf("GetGroupMembership = %+v, listed %+v", got, ms[0])
		}
		_, err := c.GetGroupMembership(ctx, tg.ws, group, "000000000000")
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractGroupWrites covers a group's life through a cached client: CreateGroup,
// UpdateGroup (a cached read shows the change), members added by token and by username and
// removed (member_count and the membership list follow), what Mode refuses, DeleteGroup.
func TestContractGroupWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		seeded := tokensOf(collect(t, c.ListGroups(ctx, tg.ws, nil)), groupToken)

		g := must(c.CreateGroup(ctx, tg.ws, modeclient.GroupCreate{Name: "Data Engineers", Description: "They keep the pipes."}))(t)
		if g.Token == "" || g.Name != "Data Engineers" || g.Description != "They keep the pipes." || g.GroupType != "custom" ||
			g.MemberCount != 0 || g.Links.Href("self") != apiPath("groups", g.Token) {
			t.Fatalf("CreateGroup = %+v", g)
		}
		must(c.GetGroup(ctx, tg.ws, g.Token))(t) // cached from here on
		if got := tokensOf(must(c.ListGroupsPage(ctx, tg.ws, 1, nil))(t).Items, groupToken); !slices.Equal(got, append(slices.Clone(seeded), g.Token)) {
			t.Errorf("ListGroupsPage after the create = %v", got)
		}
		_, err := c.CreateGroup(ctx, tg.ws, modeclient.GroupCreate{Name: "analysts"}) // taken
		wantAPIError(t, err, http.StatusBadRequest)

		name, desc := "Platform", ""
		u := must(c.UpdateGroup(ctx, tg.ws, g.Token, modeclient.GroupUpdate{Name: &name, Description: &desc}))(t)
		if u.Name != name || u.Description != "" {
			t.Errorf("UpdateGroup = %+v", u)
		}
		if got := must(c.GetGroup(ctx, tg.ws, g.Token))(t); got.Name != name || got.Description != "" {
			t.Errorf("GetGroup after the update (it was cached) = %+v", got)
		}
		_, err = c.UpdateGroup(ctx, tg.ws, d.Groups[0], modeclient.GroupUpdate{Name: &name}) // Everyone
		wantAPIError(t, err, http.StatusForbidden)
		_, err = c.UpdateGroup(ctx, tg.ws, "000000000000", modeclient.GroupUpdate{Name: &name})
		wantAPIError(t, err, http.StatusNotFound)

		// Members: by token, by username.
		tokens := memberTokens(t, ctx, c, tg.ws)
		if page := must(c.ListGroupMembershipsPage(ctx, tg.ws, g.Token, 1, nil))(t); len(page.Items) != 0 {
			t.Fatalf("a new group lists members: %+v", page.Items)
		}
		ben := must(c.CreateGroupMembership(ctx, tg.ws, g.Token, modeclient.GroupMembershipCreate{MemberToken: tokens["ben_builder"]}))(t)
		erin := must(c.CreateGroupMembership(ctx, tg.ws, g.Token, modeclient.GroupMembershipCreate{MemberUsername: "erin_marketing"}))(t)
		if ben.Token == "" || ben.MemberToken != tokens["ben_builder"] || ben.MemberUsername != "ben_builder" ||
			erin.MemberToken != tokens["erin_marketing"] || erin.Links.Href("self") != apiPath("groups", g.Token, "memberships", erin.Token) {
			t.Fatalf("CreateGroupMembership = %+v, %+v", ben, erin)
		}
		if got := must(c.GetGroup(ctx, tg.ws, g.Token))(t); got.MemberCount != 2 {
			t.Errorf("member_count after two joined = %d (the group was cached)", got.MemberCount)
		}
		if got := tokensOf(must(c.ListGroupMembershipsPage(ctx, tg.ws, g.Token, 1, nil))(t).Items, groupMembershipToken); !slices.Equal(got, []string{ben.Token, erin.Token}) {
			t.Errorf("memberships = %v (the first page was cached)", got)
		}
		if got := must(c.GetGroupMembership(ctx, tg.ws, g.Token, erin.Token))(t); got.MemberUsername != "erin_marketing" {
			t.Errorf("GetGroupMembership = %+v", got)
		}
		for _, tc := range []struct {
			in     modeclient.GroupMembershipCreate
			status int
		}{
			{modeclient.GroupMembershipCreate{MemberToken: tokens["ben_builder"]}, http.StatusBadRequest}, // already in
			{modeclient.GroupMembershipCreate{MemberToken: "000000000000"}, http.StatusNotFound},
			{modeclient.GroupMembershipCreate{MemberUsername: "nobody_here"}, http.StatusNotFound},
		} {
			_, err := c.CreateGroupMembership(ctx, tg.ws, g.Token, tc.in)
			wantAPIError(t, err, tc.status)
		}

		wantNil(t, c.DeleteGroupMembership(ctx, tg.ws, g.Token, ben.Token))
		if got := must(c.GetGroup(ctx, tg.ws, g.Token))(t); got.MemberCount != 1 {
			t.Errorf("member_count after Ben left = %d", got.MemberCount)
		}
		if got := tokensOf(collect(t, c.ListGroupMemberships(ctx, tg.ws, g.Token, nil)), groupMembershipToken); !slices.Equal(got, []string{erin.Token}) {
			t.Errorf("memberships after Ben left = %v", got)
		}
		_, err = c.GetGroupMembership(ctx, tg.ws, g.Token, ben.Token)
		wantAPIError(t, err, http.StatusNotFound)
		wantAPIError(t, c.DeleteGroupMembership(ctx, tg.ws, g.Token, ben.Token), http.StatusNotFound)
		everyone := collect(t, c.ListGroupMemberships(ctx, tg.ws, d.Groups[0], nil))
		wantAPIError(t, c.DeleteGroupMembership(ctx, tg.ws, d.Groups[0], everyone[0].Token), http.StatusForbidden)

		wantNil(t, c.DeleteGroup(ctx, tg.ws, g.Token))
		_, err = c.GetGroup(ctx, tg.ws, g.Token)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.ListGroupMembershipsPage(ctx, tg.ws, g.Token, 1, nil)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.GetGroupMembership(ctx, tg.ws, g.Token, erin.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if got := tokensOf(collect(t, c.ListGroups(ctx, tg.ws, nil)), groupToken); !slices.Equal(got, seeded) {
			t.Errorf("groups after the delete = %v", got)
		}
		wantAPIError(t, c.DeleteGroup(ctx, tg.ws, g.Token), http.StatusNotFound)
		wantAPIError(t, c.DeleteGroup(ctx, tg.ws, d.Groups[0]), http.StatusForbidden)
	})
}

// wantNil fails the test on err.
func wantNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// TestContractSpaceMemberships reads the seeded space memberships and grants and revokes access
// to the restricted space, for a member and for a group, through a cached client.
func TestContractSpaceMemberships(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		exec := d.Spaces[executiveSpace]
		tokens := memberTokens(t, ctx, c, tg.ws)

		seeded := collect(t, c.ListSpaceMemberships(ctx, tg.ws, exec, &modeclient.ListOptions{PerPage: 1}))
		if len(seeded) != 1 || seeded[0].Token != d.RestrictedGrant || !seeded[0].IsGroup() || seeded[0].MemberToken != d.Groups[2] ||
			seeded[0].MemberID <= 0 || seeded[0].Email != "" || seeded[0].Links.Href("member") != apiPath("groups", d.Groups[2]) {
			t.Fatalf("Executive's memberships = %+v", seeded)
		}
		marketing := collect(t, c.ListSpaceMemberships(ctx, tg.ws, d.Spaces[1], nil))
		if i := slices.IndexFunc(marketing, func(m modeclient.SpaceMembership) bool { return !m.IsGroup() }); i < 0 ||
			marketing[i].MemberToken != tokens["erin_marketing"] || marketing[i].Email != "erin_marketing@parchandposey.com" {
			t.Errorf("Marketing's memberships = %+v", marketing)
		}

		// One for a member (named by username), one for a group.
		user := must(c.CreateSpaceMembership(ctx, tg.ws, exec, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberUsername: "ben_builder"}))(t)
		group := must(c.CreateSpaceMembership(ctx, tg.ws, exec, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: d.Groups[1]}))(t)
		if user.IsGroup() || user.MemberToken != tokens["ben_builder"] || user.Email != "ben_builder@parchandposey.com" ||
			!group.IsGroup() || group.MemberToken != d.Groups[1] || group.Links.Href("self") != apiPath("spaces", exec, "memberships", group.Token) {
			t.Fatalf("CreateSpaceMembership = %+v, %+v", user, group)
		}
		if got := tokensOf(collect(t, c.ListSpaceMemberships(ctx, tg.ws, exec, &modeclient.ListOptions{PerPage: 1})), spaceMembershipToken); !slices.Equal(got, []string{d.RestrictedGrant, user.Token, group.Token}) {
			t.Errorf("memberships after two grants = %v (the first page was cached)", got)
		}
		if g := must(c.GetGroup(ctx, tg.ws, d.Groups[1]))(t); g.SpacesCount != 3 {
			t.Errorf("Analysts spaces_count = %d, want 3", g.SpacesCount)
		}
		if got := must(c.GetSpaceMembership(ctx, tg.ws, exec, user.Token))(t); got.MemberToken != user.MemberToken {
			t.Errorf("GetSpaceMembership = %+v", got)
		}
		for _, tc := range []struct {
			space  string
			in     modeclient.SpaceMembershipCreate
			status int
		}{
			{exec, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: d.Groups[1]}, http.StatusBadRequest}, // already in
			{exec, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberToken: "000000000000"}, http.StatusNotFound},
			{exec, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: "000000000000"}, http.StatusNotFound},
			{d.Spaces[personalSpace], modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberUsername: "ben_builder"}, http.StatusForbidden},
			{"000000000000", modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberUsername: "ben_builder"}, http.StatusNotFound},
		} {
			_, err := c.CreateSpaceMembership(ctx, tg.ws, tc.space, tc.in)
			wantAPIError(t, err, tc.status)
		}

		wantNil(t, c.DeleteSpaceMembership(ctx, tg.ws, exec, group.Token))
		if g := must(c.GetGroup(ctx, tg.ws, d.Groups[1]))(t); g.SpacesCount != 2 {
			t.Errorf("Analysts spaces_count after the revocation = %d (the group was cached)", g.SpacesCount)
		}
		_, err := c.GetSpaceMembership(ctx, tg.ws, exec, group.Token)
		wantAPIError(t, err, http.StatusNotFound)
		wantAPIError(t, c.DeleteSpaceMembership(ctx, tg.ws, exec, group.Token), http.StatusNotFound)
		wantNil(t, c.DeleteSpaceMembership(ctx, tg.ws, exec, user.Token))
		if got := tokensOf(collect(t, c.ListSpaceMemberships(ctx, tg.ws, exec, nil)), spaceMembershipToken); !slices.Equal(got, []string{d.RestrictedGrant}) {
			t.Errorf("memberships after the revocations = %v", got)
		}
	})
}

// userCredential is the credential the access tests give the demo member named username.
func userCredential(username string) (token, secret string) {
	return username + "-token", username + "-secret"
}

// TestContractAccessFollowsWrites: a member's own client and an admin's share a cache. What the
// member sees of the restricted Executive space, and of its reports, follows the admin's grants
// and revocations at once (a space membership of the member, of a group of theirs, the member
// joining or leaving that group, the group deleted), although the member's reads were cached;
// and the member's cached reads cost no request until a write changes them.
func TestContractAccessFollowsWrites(t *testing.T) {
	t.Parallel()
	bt, bs := userCredential("ben_builder")
	opts := []modetest.Option{modetest.WithUserCredential("ben_builder", bt, bs)}
	forEachTarget(t, injectsFaults, opts, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		ch := newTestCache(t, cache.Options{})
		admin := tg.client(t, modeclient.WithCache(ch))
		ben, err := modeclient.New(tg.baseURL, modeclient.Credential{Token: bt, Secret: bs}, modeclient.WithHTTPClient(tg.hc), modeclient.WithCache(ch))
		if err != nil {
			t.Fatal(err)
		}
		d := tg.emu.Demo()
		exec, summary := d.Spaces[executiveSpace], d.Reports[execSummaryIndex]

		// found tells a read that found its object from one Mode answered 404.
		found := func(err error) bool {
			t.Helper()
			if err != nil && !isStatus(err, http.StatusNotFound) {
				t.Fatalf("read: %v", err)
			}
			return err == nil
		}
		// sees reads, through Ben's cached client, whether he sees the Executive space, among
		// every space, itself, among the data source's reports, and the Executive Summary.
		sees := func() [4]bool {
			t.Helper()
			var v [4]bool
			spaces := collect(t, ben.ListSpaces(ctx, tg.ws, &modeclient.ListSpacesOptions{Filter: "all"}))
			v[0] = slices.Contains(tokensOf(spaces, spaceToken), exec)
			_, err := ben.GetSpace(ctx, tg.ws, exec)
			v[1] = found(err)
			reports := collect(t, ben.ListDataSourceReports(ctx, tg.ws, d.DataSource, &modeclient.ListReportsOptions{ListOptions: modeclient.ListOptions{PerPage: 100}}))
			v[2] = slices.Contains(tokensOf(reports, reportToken), summary)
			_, err = ben.GetReport(ctx, tg.ws, summary)
			v[3] = found(err)
			return v
		}
		all, none := [4]bool{true, true, true, true}, [4]bool{}
		step := func(name string, want [4]bool) {
			t.Helper()
			if got := sees(); got != want {
				t.Fatalf("%s: Ben sees %v, want %v", name, got, want)
			}
			// Read again: what was cached costs nothing (the 404s are never cached).
			tg.emu.ResetRequests()
			sees()
			var sent []string
			for _, r := range tg.emu.Requests() {
				sent = append(sent, r.Method+" "+r.Path)
			}
			if want == all && len(sent) != 0 {
				t.Errorf("%s: reading again sent %v, want nothing (cached)", name, sent)
			}
			if want == none && len(sent) != 2 {
				t.Errorf("%s: reading again sent %v, want only the two reads that were 404", name, sent)
			}
		}
		step("seeded", none)

		grant := must(admin.CreateSpaceMembership(ctx, tg.ws, exec, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberUsername: "ben_builder"}))(t)
		step("Ben granted", all)
		wantNil(t, admin.DeleteSpaceMembership(ctx, tg.ws, exec, grant.Token))
		step("Ben revoked", none)

		grant = must(admin.CreateSpaceMembership(ctx, tg.ws, exec, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: d.Groups[1]}))(t)
		step("Analysts granted", all)
		wantNil(t, admin.DeleteSpaceMembership(ctx, tg.ws, exec, grant.Token))
		step("Analysts revoked", none)

		joined := must(admin.CreateGroupMembership(ctx, tg.ws, d.Groups[2], modeclient.GroupMembershipCreate{MemberUsername: "ben_builder"}))(t)
		step("Ben joined Executives", all)
		wantNil(t, admin.DeleteGroupMembership(ctx, tg.ws, d.Groups[2], joined.Token))
		step("Ben left Executives", none)

		must(admin.CreateGroupMembership(ctx, tg.ws, d.Groups[2], modeclient.GroupMembershipCreate{MemberUsername: "ben_builder"}))(t)
		step("Ben joined Executives again", all)
		wantNil(t, admin.DeleteGroup(ctx, tg.ws, d.Groups[2]))
		step("Executives deleted", none)

		// Ben may not administer: Mode's 403, and nothing changes.
		_, err = ben.CreateGroup(ctx, tg.ws, modeclient.GroupCreate{Name: "Ben's"})
		wantAPIError(t, err, http.StatusForbidden)
		_, err = ben.CreateSpaceMembership(ctx, tg.ws, d.Spaces[salesSpace], modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberUsername: "ben_builder"})
		wantAPIError(t, err, http.StatusForbidden)
	})
}

// TestContractGroupCacheHits: each read of groups' and spaces' memberships is a miss that asks
// Mode, then hits that do not.
func TestContractGroupCacheHits(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		g, sp := d.Groups[1], d.Spaces[executiveSpace]
		gm := collect(t, tg.client(t).ListGroupMemberships(ctx, tg.ws, g, nil))[0].Token
		tg.emu.ResetRequests()
		for _, rd := range []struct {
			path string
			read func() error
		}{
			{apiPath("groups", g, "memberships"), func() error { _, err := c.ListGroupMembershipsPage(ctx, tg.ws, g, 1, nil); return err }},
			{apiPath("groups", g, "memberships", gm), func() error { _, err := c.GetGroupMembership(ctx, tg.ws, g, gm); return err }},
			{apiPath("spaces", sp, "memberships"), func() error { _, err := c.ListSpaceMembershipsPage(ctx, tg.ws, sp, 1, nil); return err }},
			{apiPath("spaces", sp, "memberships", d.RestrictedGrant), func() error {
				_, err := c.GetSpaceMembership(ctx, tg.ws, sp, d.RestrictedGrant)
				return err
			}},
		} {
			for range 3 {
				if err := rd.read(); err != nil {
					t.Fatalf("%s: %v", rd.path, err)
				}
			}
			if n := requestsTo(tg.emu, http.MethodGet, rd.path); n != 1 {
				t.Errorf("%s: %d requests for three reads, want 1", rd.path, n)
			}
		}
	})
}

// TestContractGroupWritesInvalidate warms a cached client's reads, makes one write and checks
// that every read the write changes asks Mode again and shows the change, while a read it does
// not change stays cached.
func TestContractGroupWritesInvalidate(t *testing.T) {
	t.Parallel()
	type setup struct {
		reads []cachedRead
		kept  []cachedRead // reads the write must leave cached
		write func(ctx context.Context) error
	}
	group := func(c *modeclient.Client, ws, g string) cachedRead {
		return cachedRead{name: "GetGroup", path: apiPath("groups", g), view: func(ctx context.Context) (string, error) {
			return viewOf(func(g *modeclient.Group) string {
				return fmt.Sprintf("%s|%s|%s|members=%d|spaces=%d", g.Token, g.Name, g.Description, g.MemberCount, g.SpacesCount)
			})(c.GetGroup(ctx, ws, g))
		}}
	}
	groups := func(c *modeclient.Client, ws string) cachedRead {
		return cachedRead{name: "ListGroups", path: apiPath("groups"), view: func(ctx context.Context) (string, error) {
			return viewOf(func(p *modeclient.Page[modeclient.Group]) string {
				var b strings.Builder
				for _, g := range p.Items {
					fmt.Fprintf(&b, "%s:%s:%d:%d,", g.Token, g.Name, g.MemberCount, g.SpacesCount)
				}
				return b.String()
			})(c.ListGroupsPage(ctx, ws, 1, nil))
		}}
	}
	groupMembers := func(c *modeclient.Client, ws, g string) cachedRead {
		return cachedRead{name: "ListGroupMemberships", path: apiPath("groups", g, "memberships"), view: func(ctx context.Context) (string, error) {
			return viewOf(func(p *modeclient.Page[modeclient.GroupMembership]) string {
				return strings.Join(tokensOf(p.Items, groupMembershipToken), ",")
			})(c.ListGroupMembershipsPage(ctx, ws, g, 1, nil))
		}}
	}
	groupMember := func(c *modeclient.Client, ws, g, m string) cachedRead {
		return cachedRead{name: "GetGroupMembership", path: apiPath("groups", g, "memberships", m), view: func(ctx context.Context) (string, error) {
			return viewOf(func(m *modeclient.GroupMembership) string { return m.Token })(c.GetGroupMembership(ctx, ws, g, m))
		}}
	}
	spaceMembers := func(c *modeclient.Client, ws, s string) cachedRead {
		return cachedRead{name: "ListSpaceMemberships", path: apiPath("spaces", s, "memberships"), view: func(ctx context.Context) (string, error) {
			return viewOf(func(p *modeclient.Page[modeclient.SpaceMembership]) string {
				return strings.Join(tokensOf(p.Items, spaceMembershipToken), ",")
			})(c.ListSpaceMembershipsPage(ctx, ws, s, 1, nil))
		}}
	}
	spaceMember := func(c *modeclient.Client, ws, s, m string) cachedRead {
		return cachedRead{name: "GetSpaceMembership", path: apiPath("spaces", s, "memberships", m), view: func(ctx context.Context) (string, error) {
			return viewOf(func(m *modeclient.SpaceMembership) string { return m.Token })(c.GetSpaceMembership(ctx, ws, s, m))
		}}
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, ctx context.Context, c, plain *modeclient.Client, ws string, d modetest.Demo) setup
	}{
		{"UpdateGroup", func(t *testing.T, ctx context.Context, c, _ *modeclient.Client, ws string, d modetest.Demo) setup {
			name := "Report Writers"
			return setup{
				reads: []cachedRead{group(c, ws, d.Groups[1]), groups(c, ws)},
				kept:  []cachedRead{groupMembers(c, ws, d.Groups[1]), group(c, ws, d.Groups[2])},
				write: func(ctx context.Context) error {
					_, err := c.UpdateGroup(ctx, ws, d.Groups[1], modeclient.GroupUpdate{Name: &name})
					return err
				},
			}
		}},
		{"CreateGroup", func(t *testing.T, ctx context.Context, c, _ *modeclient.Client, ws string, d modetest.Demo) setup {
			return setup{
				reads: []cachedRead{groups(c, ws)},
				kept:  []cachedRead{group(c, ws, d.Groups[1])},
				write: func(ctx context.Context) error {
					_, err := c.CreateGroup(ctx, ws, modeclient.GroupCreate{Name: "New"})
					return err
				},
			}
		}},
		{"DeleteGroup", func(t *testing.T, ctx context.Context, c, _ *modeclient.Client, ws string, d modetest.Demo) setup {
			g := d.Groups[2]
			m := collect(t, c.ListGroupMemberships(ctx, ws, g, nil))[0].Token
			return setup{
				reads: []cachedRead{group(c, ws, g), groups(c, ws), groupMembers(c, ws, g), groupMember(c, ws, g, m),
					spaceMembers(c, ws, d.Spaces[executiveSpace]), spaceMember(c, ws, d.Spaces[executiveSpace], d.RestrictedGrant)},
				kept:  []cachedRead{groupMembers(c, ws, d.Groups[1])},
				write: func(ctx context.Context) error { return c.DeleteGroup(ctx, ws, g) },
			}
		}},
		{"CreateGroupMembership", func(t *testing.T, ctx context.Context, c, _ *modeclient.Client, ws string, d modetest.Demo) setup {
			return setup{
				reads: []cachedRead{group(c, ws, d.Groups[2]), groups(c, ws), groupMembers(c, ws, d.Groups[2])},
				kept:  []cachedRead{groupMembers(c, ws, d.Groups[1])},
				write: func(ctx context.Context) error {
					_, err := c.CreateGroupMembership(ctx, ws, d.Groups[2], modeclient.GroupMembershipCreate{MemberUsername: "erin_marketing"})
					return err
				},
			}
		}},
		{"DeleteGroupMembership", func(t *testing.T, ctx context.Context, c, _ *modeclient.Client, ws string, d modetest.Demo) setup {
			g := d.Groups[1]
			m := collect(t, c.ListGroupMemberships(ctx, ws, g, nil))[1].Token
			return setup{
				reads: []cachedRead{group(c, ws, g), groups(c, ws), groupMembers(c, ws, g), groupMember(c, ws, g, m)},
				kept:  []cachedRead{groupMembers(c, ws, d.Groups[2])},
				write: func(ctx context.Context) error { return c.DeleteGroupMembership(ctx, ws, g, m) },
			}
		}},
		{"CreateSpaceMembership", func(t *testing.T, ctx context.Context, c, _ *modeclient.Client, ws string, d modetest.Demo) setup {
			sp := d.Spaces[executiveSpace]
			return setup{
				reads: []cachedRead{spaceMembers(c, ws, sp), group(c, ws, d.Groups[1]), groups(c, ws)},
				kept:  []cachedRead{spaceMembers(c, ws, d.Spaces[salesSpace]), groupMembers(c, ws, d.Groups[1])},
				write: func(ctx context.Context) error {
					_, err := c.CreateSpaceMembership(ctx, ws, sp, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: d.Groups[1]})
					return err
				},
			}
		}},
		{"DeleteSpaceMembership", func(t *testing.T, ctx context.Context, c, _ *modeclient.Client, ws string, d modetest.Demo) setup {
			sp := d.Spaces[executiveSpace]
			return setup{
				reads: []cachedRead{spaceMembers(c, ws, sp), spaceMember(c, ws, sp, d.RestrictedGrant), group(c, ws, d.Groups[2]), groups(c, ws)},
				kept:  []cachedRead{spaceMembers(c, ws, d.Spaces[salesSpace])},
				write: func(ctx context.Context) error { return c.DeleteSpaceMembership(ctx, ws, sp, d.RestrictedGrant) },
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
				ctx := tg.ctx(t)
				c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
				s := tc.setup(t, ctx, c, tg.client(t), tg.ws, tg.emu.Demo())
				before := map[string]string{}
				for _, rd := range append(slices.Clone(s.reads), s.kept...) {
					v, err := rd.view(ctx)
					if err != nil {
						t.Fatalf("%s before the write: %v", rd.name, err)
					}
					before[rd.path] = v
				}
				tg.emu.ResetRequests()
				if err := s.write(ctx); err != nil {
					t.Fatalf("write: %v", err)
				}
				for _, rd := range s.reads {
					n := countGETs(tg.emu, rd.path, "")
					v, err := rd.view(ctx)
					if err != nil {
						t.Fatalf("%s after the write: %v", rd.name, err)
					}
					if countGETs(tg.emu, rd.path, "")-n != 1 {
						t.Errorf("%s %s: served from the cache after the write (not invalidated)", rd.name, rd.path)
					}
					if v == before[rd.path] {
						t.Errorf("%s still reads %q after the write", rd.name, v)
					}
				}
				for _, rd := range s.kept {
					n := countGETs(tg.emu, rd.path, "")
					if v, err := rd.view(ctx); err != nil || v != before[rd.path] || countGETs(tg.emu, rd.path, "") != n {
						t.Errorf("%s %s: an unrelated read was refetched or changed: %q, %v", rd.name, rd.path, v, err)
					}
				}
			})
		})
	}
}

// TestContractGroupInvalidArguments: identifiers that are not Mode's, and bodies without what
// Mode needs, are refused before any request is sent.
func TestContractGroupInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		name, blank := "x", " "
		user := func(tok, username string) modeclient.SpaceMembershipCreate {
			return modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberToken: tok, MemberUsername: username}
		}
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name, field string
			call        func() error
		}{
			{"create group bad workspace", "workspace", func() error { _, err := c.CreateGroup(ctx, "verify", modeclient.GroupCreate{Name: "x"}); return err }},
			{"create group without name", "name", func() error { _, err := c.CreateGroup(ctx, tg.ws, modeclient.GroupCreate{Name: " "}); return err }},
			{"update group bad token", "group", func() error {
				_, err := c.UpdateGroup(ctx, tg.ws, "a/b", modeclient.GroupUpdate{Name: &name})
				return err
			}},
			{"update group nothing", "user_group", func() error { _, err := c.UpdateGroup(ctx, tg.ws, "abc", modeclient.GroupUpdate{}); return err }},
			{"update group blank name", "name", func() error {
				_, err := c.UpdateGroup(ctx, tg.ws, "abc", modeclient.GroupUpdate{Name: &blank})
				return err
			}},
			{"delete group bad token", "group", func() error { return c.DeleteGroup(ctx, tg.ws, "..") }},
			{"list members bad group", "group", func() error { _, err := c.ListGroupMembershipsPage(ctx, tg.ws, "a b", 1, nil); return err }},
			{"list members bad per_page", "per_page", func() error {
				_, err := c.ListGroupMembershipsPage(ctx, tg.ws, "abc", 1, &modeclient.ListOptions{PerPage: -1})
				return err
			}},
			{"get member bad token", "membership", func() error { _, err := c.GetGroupMembership(ctx, tg.ws, "abc", "?"); return err }},
			{"add member no one", "member_token", func() error {
				_, err := c.CreateGroupMembership(ctx, tg.ws, "abc", modeclient.GroupMembershipCreate{})
				return err
			}},
			{"add member both", "member_token", func() error {
				_, err := c.CreateGroupMembership(ctx, tg.ws, "abc", modeclient.GroupMembershipCreate{MemberToken: "abc", MemberUsername: "ben"})
				return err
			}},
			{"add member bad token", "member_token", func() error {
				_, err := c.CreateGroupMembership(ctx, tg.ws, "abc", modeclient.GroupMembershipCreate{MemberToken: "a/b"})
				return err
			}},
			{"add member bad username", "member_username", func() error {
				_, err := c.CreateGroupMembership(ctx, tg.ws, "abc", modeclient.GroupMembershipCreate{MemberUsername: "../x"})
				return err
			}},
			{"add member bad group", "group", func() error {
				_, err := c.CreateGroupMembership(ctx, tg.ws, "#", modeclient.GroupMembershipCreate{MemberToken: "abc"})
				return err
			}},
			{"remove member bad token", "membership", func() error { return c.DeleteGroupMembership(ctx, tg.ws, "abc", "") }},
			{"list space members bad space", "space", func() error { _, err := c.ListSpaceMembershipsPage(ctx, tg.ws, "a%b", 1, nil); return err }},
			{"get space member bad token", "space_membership", func() error { _, err := c.GetSpaceMembership(ctx, tg.ws, "abc", "a b"); return err }},
			{"grant bad type", "member_type", func() error {
				_, err := c.CreateSpaceMembership(ctx, tg.ws, "abc", modeclient.SpaceMembershipCreate{MemberType: "user", MemberToken: "abc"})
				return err
			}},
			{"grant no one", "member_token", func() error { _, err := c.CreateSpaceMembership(ctx, tg.ws, "abc", user("", "")); return err }},
			{"grant both", "member_token", func() error { _, err := c.CreateSpaceMembership(ctx, tg.ws, "abc", user("abc", "ben")); return err }},
			{"grant a group by username", "member_username", func() error {
				_, err := c.CreateSpaceMembership(ctx, tg.ws, "abc", modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberUsername: "x"})
				return err
			}},
			{"grant a group without token", "member_token", func() error {
				_, err := c.CreateSpaceMembership(ctx, tg.ws, "abc", modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup})
				return err
			}},
			{"grant bad space", "space", func() error { _, err := c.CreateSpaceMembership(ctx, tg.ws, "..", user("abc", "")); return err }},
			{"revoke bad token", "space_membership", func() error { return c.DeleteSpaceMembership(ctx, tg.ws, "abc", "a/b") }},
		} {
			err := tc.call()
			var ia *modeclient.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("%s: err = %v, want InvalidArgumentError{%s}", tc.name, err, tc.field)
			}
		}
		if reqs := tg.emu.Requests(); len(reqs) != 0 {
			t.Errorf("%d requests were sent for invalid arguments: %+v", len(reqs), reqs)
		}
	})
}

// TestGroupsOfAnotherWorkspace: against an emulator that resolves tokens whatever workspace the
// URL names, another workspace's group, its memberships and its space's memberships are not
// found under the demo workspace, nothing of them is cached, and no write addressed to them (or
// granting another workspace's group) is sent.
func TestGroupsOfAnotherWorkspace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	emu := modetest.NewServer(t, modetest.WithRateLimit(0, 0), modetest.WithCrossWorkspaceTokens())
	cred := modeclient.Credential{Token: emu.Token, Secret: emu.Secret}
	c, err := modeclient.New(emu.URL, cred, modeclient.WithHTTPClient(emu.Client()), modeclient.WithCache(newTestCache(t, cache.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	d := emu.Demo()
	sd := d.Second
	home, other := modetest.DemoWorkspace, modetest.SecondWorkspace
	gm := collect(t, c.ListGroupMemberships(ctx, other, sd.Group, nil))[0]
	sm := collect(t, c.ListSpaceMemberships(ctx, other, sd.Space, nil))[0]

	for _, tt := range []struct {
		name, path string
		read       func() error
	}{
		{"GetGroup", "/groups/" + sd.Group, func() error { _, err := c.GetGroup(ctx, home, sd.Group); return err }},
		{"ListGroupMembershipsPage", "/groups/" + sd.Group + "/memberships", func() error {
			_, err := c.ListGroupMembershipsPage(ctx, home, sd.Group, 1, nil)
			return err
		}},
		{"GetGroupMembership", "/groups/" + sd.Group + "/memberships/" + gm.Token, func() error {
			_, err := c.GetGroupMembership(ctx, home, sd.Group, gm.Token)
			return err
		}},
		{"ListSpaceMembershipsPage", "/spaces/" + sd.Space + "/memberships", func() error {
			_, err := c.ListSpaceMembershipsPage(ctx, home, sd.Space, 1, nil)
			return err
		}},
		{"GetSpaceMembership", "/spaces/" + sd.Space + "/memberships/" + sm.Token, func() error {
			_, err := c.GetSpaceMembership(ctx, home, sd.Space, sm.Token)
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/" + home + tt.path
			before := countGETs(emu, path, "")
			wantWrongWorkspace(t, tt.read())
			wantWrongWorkspace(t, tt.read())
			if n := countGETs(emu, path, "") - before; n != 2 {
				t.Errorf("GETs of %s = %d, want 2: the first answer was served from the cache", path, n)
			}
		})
	}
	x := "changed"
	for _, tt := range []struct {
		name  string
		write func() error
	}{
		{"UpdateGroup", func() error {
			_, err := c.UpdateGroup(ctx, home, sd.Group, modeclient.GroupUpdate{Name: &x})
			return err
		}},
		{"DeleteGroup", func() error { return c.DeleteGroup(ctx, home, sd.Group) }},
		{"CreateGroupMembership", func() error {
			_, err := c.CreateGroupMembership(ctx, home, sd.Group, modeclient.GroupMembershipCreate{MemberToken: gm.MemberToken})
			return err
		}},
		{"DeleteGroupMembership", func() error { return c.DeleteGroupMembership(ctx, home, sd.Group, gm.Token) }},
		{"CreateSpaceMembership in another workspace's space", func() error {
			_, err := c.CreateSpaceMembership(ctx, home, sd.Space, modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: d.Groups[1]})
			return err
		}},
		{"CreateSpaceMembership granting another workspace's group", func() error {
			_, err := c.CreateSpaceMembership(ctx, home, d.Spaces[executiveSpace], modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: sd.Group})
			return err
		}},
		{"DeleteSpaceMembership", func() error { return c.DeleteSpaceMembership(ctx, home, sd.Space, sm.Token) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := len(emu.Requests())
			wantWrongWorkspace(t, tt.write())
			for _, r := range emu.Requests()[n:] {
				if r.Method != http.MethodGet {
					t.Errorf("Mode received %s %s, want only the GETs that check the workspace", r.Method, r.Path)
				}
			}
		})
	}
	// The other workspace is as it was.
	if g := must(c.GetGroup(ctx, other, sd.Group))(t); g.Name != "Everyone" || g.MemberCount != 1 {
		t.Errorf("the other workspace's group changed: %+v", g)
	}
	if ms := collect(t, c.ListSpaceMemberships(ctx, other, sd.Space, nil)); len(ms) != 1 || ms[0].Token != sm.Token {
		t.Errorf("the other workspace's space memberships changed: %+v", ms)
	}
}

// TestContractMemberByUsername: a member named by username (CreateGroupMembership,
// CreateSpaceMembership) is found among the workspace's memberships (one list read, cached) and
// sent as their user token, Mode's member_token, never as the membership's own token; the client
// never reads a membership by username (Mode addresses one by its token). A username no
// membership has, or one removed, is Mode's 404 and nothing is written.
func TestContractMemberByUsername(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		erin, ben := d.Members[4], d.Members[1]
		var erinM modeclient.Membership
		for _, m := range collect(t, tg.client(t).ListMemberships(ctx, tg.ws, nil)) {
			if m.MemberUsername == erin {
				erinM = m
			}
		}
		if erinM.MemberToken == "" || erinM.MembershipToken() != d.Memberships[4] || erinM.MemberToken == erinM.MembershipToken() {
			t.Fatalf("Erin's membership = %+v", erinM)
		}
		tg.emu.ResetRequests()

		gm := must(c.CreateGroupMembership(ctx, tg.ws, d.Groups[2], modeclient.GroupMembershipCreate{MemberUsername: erin}))(t)
		sm := must(c.CreateSpaceMembership(ctx, tg.ws, d.Spaces[executiveSpace], modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberUsername: erin}))(t)
		if gm.MemberToken != erinM.MemberToken || gm.MemberUsername != erin || sm.MemberToken != erinM.MemberToken || sm.IsGroup() {
			t.Errorf("by username: group membership %+v, space membership %+v; want member_token %s", gm, sm, erinM.MemberToken)
		}
		if n := requestsTo(tg.emu, http.MethodGet, apiPath("memberships")); n != 1 {
			t.Errorf("%d reads of the memberships for two writes naming the same member, want 1 (then cached)", n)
		}
		for _, r := range tg.emu.Requests() {
			if strings.HasPrefix(r.Path, apiPath("memberships")+"/") {
				t.Errorf("the client read a membership by another address than the list: %s %s", r.Method, r.Path)
			}
		}

		// Unknown and removed usernames: 404, nothing sent to the group or the space.
		must(c.DeleteMembership(ctx, tg.ws, d.Memberships[1]))(t) // Ben
		tg.emu.ResetRequests()
		for _, name := range []string{"nobody_here", ben} {
			_, err := c.CreateGroupMembership(ctx, tg.ws, d.Groups[2], modeclient.GroupMembershipCreate{MemberUsername: name})
			wantAPIError(t, err, http.StatusNotFound)
			_, err = c.CreateSpaceMembership(ctx, tg.ws, d.Spaces[executiveSpace], modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser, MemberUsername: name})
			wantAPIError(t, err, http.StatusNotFound)
		}
		if n := tg.emu.CountRequests(http.MethodPost, "/"); n != 0 {
			t.Errorf("%d POSTs sent for members that are not", n)
		}
	})
}
