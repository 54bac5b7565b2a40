package modetest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Space memberships: list, get, create, delete. A space membership gives a member ("User") or a
// group ("UserGroup") access to a space: a restricted space is visible to the members it names
// and to the members of the groups it names (access.go), and the space is listed among theirs
// without filter=all. Mode's document gives a membership no access level: it is access to the
// space, the reports in it and its datasets, and nothing finer. (Mode later moved collection
// access to a permissions API with view and edit levels; its document, and the emulator, serve
// the space memberships API.)
//
// A membership is created with {"membership": {"member_type": "User" | "UserGroup",
// "member_token"}}: the token of a member's user (a workspace Membership's member_token) or of a
// group of the space's workspace; a member or group the workspace does not have is 404, one that
// already has a membership of the space 400. Answers are the membership written (200), the
// deleted one included. A member's personal space shares nothing: its one membership, its
// owner's, cannot be added to or removed (403). Memberships are administered by admins only (403
// for a member's credential otherwise); they go with their space, and a group's with the group.
// The list embeds them under "space_memberships" (the emulator's reading: Mode's document leaves
// the collection's embedded key unnamed), oldest first.

// Member types of a space membership, as Mode's document spells them.
const (
	memberTypeUser  = "User"
	memberTypeGroup = "UserGroup"
)

// spaceMembership is one member's or one group's access to a space.
type spaceMembership struct {
	token     string
	member    *member // the member it names, or nil
	group     *group  // the group it names, or nil
	creator   string  // username
	createdAt time.Time
}

// membershipByToken returns s's membership with this token, or nil.
func (s *space) membershipByToken(token string) *spaceMembership {
	for _, sm := range s.memberships {
		if sm.token == token {
			return sm
		}
	}
	return nil
}

// spaceMembershipJSON is Mode's SpaceMembership. member_id is a number, as Mode sends ids (its
// document says string); email is the member's, null for a group.
type spaceMembershipJSON struct {
	Token       string  `json:"token"`
	MemberToken string  `json:"member_token"`
	MemberType  string  `json:"member_type"`
	MemberID    int     `json:"member_id"`
	Email       *string `json:"email"`
	Links       links   `json:"_links"`
}

func spaceMembershipOf(s *space, sm *spaceMembership) spaceMembershipJSON {
	ws := s.ws.account.username
	j := spaceMembershipJSON{
		Token: sm.token,
		Links: links{
			"self":    href(api(ws, "spaces", s.token, "memberships", sm.token)),
			"creator": href(api(sm.creator)),
		},
	}
	if sm.group != nil {
		j.MemberToken, j.MemberType, j.MemberID = sm.group.token, memberTypeGroup, sm.group.id
		j.Links["member"] = href(api(ws, "groups", sm.group.token))
		return j
	}
	email := sm.member.email
	j.MemberToken, j.MemberType, j.MemberID, j.Email = sm.member.token, memberTypeUser, sm.member.id, &email
	j.Links["member"] = href(api(sm.member.username))
	return j
}

// withSpace runs fn on the space of the path (one the caller may see) with e.mu held, answering
// 404 when there is none; fn returns the status and body to answer, or an error status and
// message.
func (e *Emulator) withSpace(w http.ResponseWriter, r *http.Request, fn func(s *space) (int, any, string)) {
	e.mu.Lock()
	s := e.findSpace(r)
	if s == nil {
		e.mu.Unlock()
		notFound(w, "Space")
		return
	}
	status, body, msg := fn(s)
	e.mu.Unlock()
	if status >= 400 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, body)
}

func (e *Emulator) listSpaceMemberships(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	s := e.findSpace(r)
	var all []spaceMembershipJSON
	if s != nil {
		all = make([]spaceMembershipJSON, 0, len(s.memberships))
		for _, sm := range s.memberships {
			all = append(all, spaceMembershipOf(s, sm))
		}
	}
	e.mu.Unlock()
	if s == nil {
		notFound(w, "Space")
		return
	}
	writeJSON(w, http.StatusOK, pageOf(r, pr, "space_memberships", all))
}

func (e *Emulator) getSpaceMembership(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("space_membership")
	e.withSpace(w, r, func(s *space) (int, any, string) {
		sm := s.membershipByToken(tok)
		if sm == nil {
			return http.StatusNotFound, nil, "Space membership not found"
		}
		return http.StatusOK, spaceMembershipOf(s, sm), ""
	})
}

// spaceMembershipBody is the create body: {"membership": {"member_type", "member_token"}}.
type spaceMembershipBody struct {
	Membership *struct {
		MemberType  *string `json:"member_type"`
		MemberToken *string `json:"member_token"`
	} `json:"membership"`
}

// personalShared is the answer to a change of a personal space's memberships.
const personalShared = "Personal collections cannot be shared"

func (e *Emulator) createSpaceMembership(w http.ResponseWriter, r *http.Request) {
	var b spaceMembershipBody
	if !decodeBody(w, r, &b) {
		return
	}
	in := b.Membership
	switch {
	case in == nil:
		badRequest(w, "param is missing or the value is empty: membership")
		return
	case in.MemberType == nil || *in.MemberType == "":
		badRequest(w, "param is missing or the value is empty: membership.member_type")
		return
	case *in.MemberType != memberTypeUser && *in.MemberType != memberTypeGroup:
		badRequest(w, "Invalid member_type: must be "+memberTypeUser+" or "+memberTypeGroup)
		return
	case in.MemberToken == nil || strings.TrimSpace(*in.MemberToken) == "":
		badRequest(w, "param is missing or the value is empty: membership.member_token")
		return
	}
	kind, tok := *in.MemberType, strings.TrimSpace(*in.MemberToken)
	e.withSpace(w, r, func(s *space) (int, any, string) {
		st := s.ws
		switch {
		case !adminCaller(r, st):
			return http.StatusForbidden, nil, adminOnly
		case s.spaceType == "private":
			return http.StatusForbidden, nil, personalShared
		}
		sm := &spaceMembership{creator: actor(r, st).username, createdAt: e.clock.Now()}
		name := ""
		if kind == memberTypeGroup {
			if sm.group = st.groupByTok[tok]; sm.group == nil {
				return http.StatusNotFound, nil, "UserGroup not found"
			}
			name = sm.group.name
		} else {
			if sm.member = st.memberByToken(tok); sm.member == nil {
				return http.StatusNotFound, nil, "Membership not found for Workspace"
			}
			name = sm.member.username
		}
		if slices.ContainsFunc(s.memberships, func(x *spaceMembership) bool {
			return x.member == sm.member && x.group == sm.group
		}) {
			return http.StatusBadRequest, nil, "Member has already been added to this space"
		}
		sm.token = st.newToken("space_membership")
		s.memberships = append(s.memberships, sm)
		e.recordAudit(r, st, "space_membership_created", "space_membership", sm.token, name)
		return http.StatusOK, spaceMembershipOf(s, sm), ""
	})
}

// deleteSpaceMembership removes a membership and answers it: what the space gave its member (or
// the group's members) only through it is no longer theirs.
func (e *Emulator) deleteSpaceMembership(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("space_membership")
	e.withSpace(w, r, func(s *space) (int, any, string) {
		st := s.ws
		sm := s.membershipByToken(tok)
		switch {
		case sm == nil:
			return http.StatusNotFound, nil, "Space membership not found"
		case !adminCaller(r, st):
			return http.StatusForbidden, nil, adminOnly
		case s.spaceType == "private":
			return http.StatusForbidden, nil, personalShared
		}
		body := spaceMembershipOf(s, sm)
		s.memberships = slices.DeleteFunc(s.memberships, func(x *spaceMembership) bool { return x == sm })
		name := ""
		if sm.group != nil {
			name = sm.group.name
		} else {
			name = sm.member.username
		}
		e.recordAudit(r, st, "space_membership_deleted", "space_membership", sm.token, name)
		return http.StatusOK, body, ""
	})
}
