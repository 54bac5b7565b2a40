package modetest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// User groups: list, get, create, update, delete; and their memberships: list, get, add, remove.
//
// Bodies, as Mode's document gives them: a group is created and updated with
// {"user_group": {"name"}}, and the emulator also takes a "description" there (the emulator's
// reading: a UserGroup has one and Mode's document gives no other way to set it); a member is
// added with {"membership": {"member_token"}}, the token of the member's user (a workspace
// Membership's member_token, which never changes, unlike the username). Every answer is the
// group, or the group membership, that was written (200), the deleted one included.
//
// A group membership has a token of its own, given when it is made and kept until it is removed,
// whoever else joins or leaves the group. The "everyone" group holds every member of the
// workspace: it cannot be renamed or deleted and nobody leaves it (403). A group's member_count
// counts its memberships, and spaces_count the spaces it has a space membership in
// (spacememberships.go) plus what the seed counted besides. Groups and their memberships are
// administered by admins only (403 for a member's credential otherwise: access.go); deleting a
// group deletes its space memberships, so its members lose what only the group gave them.

// groupMembership is one member's membership of a group.
type groupMembership struct {
	token     string
	member    *member
	creator   string // username
	createdAt time.Time
}

// membership returns g's membership of m, or nil.
func (g *group) membership(m *member) *groupMembership {
	for _, gm := range g.memberships {
		if gm.member == m {
			return gm
		}
	}
	return nil
}

// membershipByToken returns g's membership with this token, or nil.
func (g *group) membershipByToken(token string) *groupMembership {
	for _, gm := range g.memberships {
		if gm.token == token {
			return gm
		}
	}
	return nil
}

// spacesCount is g's spaces_count: the spaces it has a membership in, plus spacesBase.
func (g *group) spacesCount() int {
	n := g.spacesBase
	for _, s := range g.ws.spaces {
		if slices.ContainsFunc(s.memberships, func(sm *spaceMembership) bool { return sm.group == g }) {
			n++
		}
	}
	return n
}

// joinEveryone adds m to st's "everyone" group, which holds every member of the workspace, pending
// invitees included: a membership with a token of its own, made by creator at time at. It does
// nothing when m is in it already, or while st has no such group (while seeding, before the
// groups: seedGroup puts the seeded members in it). Call with e.mu held.
func (st *store) joinEveryone(m *member, creator string, at time.Time) {
	for _, g := range st.groups {
		if g.groupType != "everyone" || g.membership(m) != nil {
			continue
		}
		g.memberships = append(g.memberships, &groupMembership{token: st.newToken("group_membership"), member: m, creator: creator, createdAt: at})
		g.updatedAt = at
	}
}

// groupNamed returns the group of st called name, whatever the case, or nil.
func (st *store) groupNamed(name string) *group {
	for _, g := range st.groups {
		if strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

type groupJSON struct {
	Token            string `json:"token"`
	GroupType        string `json:"group_type"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	State            string `json:"state"`
	MemberCount      int    `json:"member_count"`
	SpacesCount      int    `json:"spaces_count"`
	DataSourcesCount int    `json:"data_sources_count"`
	Managed          bool   `json:"managed"`
	CreatedAt        string `json:"created_at"`
	Links            links  `json:"_links"`
}

func (e *Emulator) groupJSON(g *group) groupJSON {
	ws := g.ws.account.username
	return groupJSON{
		Token: g.token, GroupType: g.groupType, Name: g.name, Description: g.description, State: "active",
		MemberCount: len(g.memberships), SpacesCount: g.spacesCount(), DataSourcesCount: g.dataSources,
		CreatedAt: formatTime(g.createdAt),
		Links: links{
			"self":                href(api(ws, "groups", g.token)),
			"web":                 href(web("organizations", ws, "groups", g.token)),
			"creator":             href(api(g.creator)),
			"group_memberships":   href(api(ws, "groups", g.token, "memberships")),
			"membership_by_id":    {Href: api(ws, "groups", g.token, "memberships") + "/{membership_token}", Templated: true},
			"memberships_preview": href(api(ws, "groups", g.token, "memberships") + "?per_page=5"),
		},
	}
}

func (e *Emulator) listGroups(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	st := urlWS(r)
	all := make([]groupJSON, 0, len(st.groups))
	for _, g := range st.groups {
		all = append(all, e.groupJSON(g))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "groups", all))
}

// withGroup runs fn on the group of the path with e.mu held, answering 404 when there is none; fn
// returns the status and body to answer, or an error status and message.
func (e *Emulator) withGroup(w http.ResponseWriter, r *http.Request, fn func(g *group) (int, any, string)) {
	e.mu.Lock()
	g := e.findGroup(r)
	if g == nil {
		e.mu.Unlock()
		notFound(w, "Group")
		return
	}
	status, body, msg := fn(g)
	e.mu.Unlock()
	if status >= 400 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, body)
}

func (e *Emulator) getGroup(w http.ResponseWriter, r *http.Request) {
	e.withGroup(w, r, func(g *group) (int, any, string) { return http.StatusOK, e.groupJSON(g), "" })
}

// groupBody is the create and update body: {"user_group": {"name", "description"}}.
type groupBody struct {
	UserGroup *struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	} `json:"user_group"`
}

// decodeGroupBody reads a groupBody; it answers 400 and returns false when the body is not one,
// gives no user_group (or an empty one), or a blank name.
func decodeGroupBody(w http.ResponseWriter, r *http.Request) (groupBody, bool) {
	var b groupBody
	if !decodeBody(w, r, &b) {
		return b, false
	}
	if b.UserGroup == nil || (b.UserGroup.Name == nil && b.UserGroup.Description == nil) {
		badRequest(w, "param is missing or the value is empty: user_group")
		return b, false
	}
	if b.UserGroup.Name != nil && strings.TrimSpace(*b.UserGroup.Name) == "" {
		badRequest(w, "Name can't be blank")
		return b, false
	}
	return b, true
}

// createGroup adds a custom group, without members, made by the caller.
func (e *Emulator) createGroup(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeGroupBody(w, r)
	if !ok {
		return
	}
	if b.UserGroup.Name == nil {
		badRequest(w, "Name can't be blank")
		return
	}
	name := strings.TrimSpace(*b.UserGroup.Name)
	st := urlWS(r)
	e.mu.Lock()
	status, msg := 0, ""
	var body groupJSON
	switch {
	case !adminCaller(r, st):
		status, msg = http.StatusForbidden, adminOnly
	case st.groupNamed(name) != nil:
		status, msg = http.StatusBadRequest, "Name has already been taken"
	default:
		now := e.clock.Now()
		g := &group{ws: st, id: st.id("group", 3_000), token: st.newToken("group"), name: name, groupType: "custom",
			creator: actor(r, st).username, createdAt: now, updatedAt: now}
		if b.UserGroup.Description != nil {
			g.description = *b.UserGroup.Description
		}
		st.groups = append(st.groups, g)
		st.groupByTok[g.token] = g
		e.recordAudit(r, st, "user_group_created", "user_group", g.token, g.name)
		body = e.groupJSON(g)
	}
	e.mu.Unlock()
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// everyoneFixed is the answer to a change of the "everyone" group Mode does not allow.
const everyoneFixed = "The Everyone group holds every member of the workspace and cannot be changed"

// updateGroup renames a group or changes its description.
func (e *Emulator) updateGroup(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeGroupBody(w, r)
	if !ok {
		return
	}
	e.withGroup(w, r, func(g *group) (int, any, string) {
		switch {
		case !adminCaller(r, g.ws):
			return http.StatusForbidden, nil, adminOnly
		case g.groupType == "everyone":
			return http.StatusForbidden, nil, everyoneFixed
		}
		if b.UserGroup.Name != nil {
			name := strings.TrimSpace(*b.UserGroup.Name)
			if other := g.ws.groupNamed(name); other != nil && other != g {
				return http.StatusBadRequest, nil, "Name has already been taken"
			}
			g.name = name
		}
		if b.UserGroup.Description != nil {
			g.description = *b.UserGroup.Description
		}
		g.updatedAt = e.clock.Now()
		e.recordAudit(r, g.ws, "user_group_updated", "user_group", g.token, g.name)
		return http.StatusOK, e.groupJSON(g), ""
	})
}

// deleteGroup deletes a group with its memberships and its space memberships, and answers the
// deleted group (state "deleted").
func (e *Emulator) deleteGroup(w http.ResponseWriter, r *http.Request) {
	e.withGroup(w, r, func(g *group) (int, any, string) {
		st := g.ws
		switch {
		case !adminCaller(r, st):
			return http.StatusForbidden, nil, adminOnly
		case g.groupType == "everyone":
			return http.StatusForbidden, nil, everyoneFixed
		}
		body := e.groupJSON(g)
		body.State = "deleted"
		st.groups = slices.DeleteFunc(st.groups, func(x *group) bool { return x == g })
		delete(st.groupByTok, g.token)
		for _, s := range st.spaces {
			s.memberships = slices.DeleteFunc(s.memberships, func(sm *spaceMembership) bool { return sm.group == g })
		}
		e.recordAudit(r, st, "user_group_deleted", "user_group", g.token, g.name)
		return http.StatusOK, body, ""
	})
}

type groupMembershipJSON struct {
	Token          string `json:"token"`
	MemberUsername string `json:"member_username"`
	MemberToken    string `json:"member_token"`
	State          string `json:"state"`
	CreatedAt      string `json:"created_at"`
	Links          links  `json:"_links"`
}

func groupMembershipOf(g *group, gm *groupMembership) groupMembershipJSON {
	ws := g.ws.account.username
	return groupMembershipJSON{
		Token: gm.token, MemberUsername: gm.member.username, MemberToken: gm.member.token, State: "active",
		CreatedAt: formatTime(gm.createdAt),
		Links: links{
			// Link names as Mode's OpenAPI document gives them (UserGroupMembershipLinks).
			"self":       href(api(ws, "groups", g.token, "memberships", gm.token)),
			"user_group": href(api(ws, "groups", g.token)),
			"member":     href(api(gm.member.username)),
			"creator":    href(api(gm.creator)),
		},
	}
}

func (e *Emulator) listGroupMemberships(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	g := e.findGroup(r)
	var all []groupMembershipJSON
	if g != nil {
		all = make([]groupMembershipJSON, 0, len(g.memberships))
		for _, gm := range g.memberships {
			all = append(all, groupMembershipOf(g, gm))
		}
	}
	e.mu.Unlock()
	if g == nil {
		notFound(w, "Group")
		return
	}
	writeJSON(w, http.StatusOK, pageOf(r, pr, "group_memberships", all))
}

func (e *Emulator) getGroupMembership(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("membership")
	e.withGroup(w, r, func(g *group) (int, any, string) {
		gm := g.membershipByToken(tok)
		if gm == nil {
			return http.StatusNotFound, nil, "Group membership not found"
		}
		return http.StatusOK, groupMembershipOf(g, gm), ""
	})
}

// groupMembershipBody is the body that adds a member: {"membership": {"member_token"}}.
type groupMembershipBody struct {
	Membership *struct {
		MemberToken *string `json:"member_token"`
	} `json:"membership"`
}

// memberByToken returns the member of st whose user token is token, or nil.
func (st *store) memberByToken(token string) *member {
	for _, m := range st.members {
		if m.token == token {
			return m
		}
	}
	return nil
}

// createGroupMembership adds the member whose token the body gives to the group.
func (e *Emulator) createGroupMembership(w http.ResponseWriter, r *http.Request) {
	var b groupMembershipBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Membership == nil {
		badRequest(w, "param is missing or the value is empty: membership")
		return
	}
	if b.Membership.MemberToken == nil || strings.TrimSpace(*b.Membership.MemberToken) == "" {
		badRequest(w, "param is missing or the value is empty: membership.member_token")
		return
	}
	tok := strings.TrimSpace(*b.Membership.MemberToken)
	e.withGroup(w, r, func(g *group) (int, any, string) {
		st := g.ws
		if !adminCaller(r, st) {
			return http.StatusForbidden, nil, adminOnly
		}
		m := st.memberByToken(tok)
		switch {
		case m == nil:
			return http.StatusNotFound, nil, "Membership not found for Workspace"
		case g.membership(m) != nil:
			return http.StatusBadRequest, nil, "Member has already been added to this group"
		}
		gm := &groupMembership{token: st.newToken("group_membership"), member: m, creator: actor(r, st).username, createdAt: e.clock.Now()}
		g.memberships = append(g.memberships, gm)
		g.updatedAt = gm.createdAt
		e.recordAudit(r, st, "user_group_membership_created", "user_group_membership", gm.token, m.username)
		return http.StatusOK, groupMembershipOf(g, gm), ""
	})
}

// deleteGroupMembership removes a member from a group and answers the removed membership. What
// the member could see only through the group is no longer theirs.
func (e *Emulator) deleteGroupMembership(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("membership")
	e.withGroup(w, r, func(g *group) (int, any, string) {
		st := g.ws
		gm := g.membershipByToken(tok)
		switch {
		case gm == nil:
			return http.StatusNotFound, nil, "Group membership not found"
		case !adminCaller(r, st):
			return http.StatusForbidden, nil, adminOnly
		case g.groupType == "everyone":
			return http.StatusForbidden, nil, everyoneFixed
		}
		body := groupMembershipOf(g, gm)
		g.memberships = slices.DeleteFunc(g.memberships, func(x *groupMembership) bool { return x == gm })
		g.updatedAt = e.clock.Now()
		e.recordAudit(r, st, "user_group_membership_deleted", "user_group_membership", gm.token, gm.member.username)
		return http.StatusOK, body, ""
	})
}
