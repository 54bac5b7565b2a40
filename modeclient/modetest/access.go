package modetest

import (
	"context"
	"net/http"
)

// Who makes a request, and what they may see.
//
// A credential of WithCredentials stands for no member in particular: it sees every workspace and
// everything in them, as a workspace admin does, and what it creates is made by the workspace's
// first member (an admin). A user credential (WithUserCredential) is one member's: serve tags its
// requests with the member's username (the caller), and then
//
//   - a workspace the caller is not a member of answers 404, like one that does not exist;
//   - a space is visible to the caller when it is open (not restricted, not personal), when the
//     caller is an admin, or when one of the space's memberships names the caller or a group the
//     caller belongs to (spacememberships.go); a personal space only to the member it belongs to
//     (its creator). The reports and datasets in a space are visible with it. What the caller
//     cannot see answers 404 and is left out of every list, so a grant shows at once in the
//     caller's lists and reads, and a revocation (deleting the membership, removing the caller
//     from the group, deleting the group) takes them away at once;
//   - administration (groups, group and space memberships, signature tokens) is for admins: a
//     member who is not one is answered 403.
//
// The Metadata API's reads count as the requests of the credential that created their signature
// token, which is an admin's.

type callerKey struct{}

// withCaller returns r made by the member named username ("" for a credential that stands for no
// member, which leaves r as it is).
func withCaller(r *http.Request, username string) *http.Request {
	if username == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, username))
}

// callerName returns the username of the member r is made by, "" for a credential that stands
// for no member.
func callerName(r *http.Request) string {
	s, _ := r.Context().Value(callerKey{}).(string)
	return s
}

// caller returns the member of st that r is made by, and whether r is a member's at all (a user
// credential's): (nil, true) is a user credential of someone who is not a member of st. Call with
// e.mu held.
func caller(r *http.Request, st *store) (*member, bool) {
	name := callerName(r)
	if name == "" {
		return nil, false
	}
	return st.memberByName[name], true
}

// actor returns the member of st a write of r is made by: the caller, or the workspace's first
// member for a credential that stands for no member. Call with e.mu held, after inWorkspace let r
// in (so a caller is a member of st).
func actor(r *http.Request, st *store) *member {
	if m, _ := caller(r, st); m != nil {
		return m
	}
	return st.members[0]
}

// adminCaller reports whether r may administer st: a credential that stands for no member may, a
// member only when an admin. Call with e.mu held.
func adminCaller(r *http.Request, st *store) bool {
	m, user := caller(r, st)
	return !user || (m != nil && m.admin)
}

// adminOnly is the message of the 403 that answers an administrative request of a member who is
// not an admin.
const adminOnly = "Only workspace admins can do this"

// canSeeSpace reports whether the caller of r may see s (see above). Call with e.mu held.
func canSeeSpace(r *http.Request, s *space) bool {
	m, user := caller(r, s.ws)
	if !user {
		return true
	}
	return m != nil && s.visibleTo(m)
}

// canSeeReport reports whether the caller of r may see rep (a report or a dataset): whether they
// may see its space. Call with e.mu held.
func canSeeReport(r *http.Request, rep *report) bool {
	s := rep.ws.spaceByTok[rep.spaceToken]
	return s == nil || canSeeSpace(r, s)
}

// visibleTo reports whether member m may see s: a personal space only its owner, any other space
// an admin, an open one everyone, a restricted one whoever it grants access to.
func (s *space) visibleTo(m *member) bool {
	switch {
	case s.spaceType == "private":
		return s.creator == m.username
	case m.admin || !s.restricted:
		return true
	}
	return s.grants(m)
}

// grants reports whether one of s's memberships names m, or a group m belongs to.
func (s *space) grants(m *member) bool {
	for _, sm := range s.memberships {
		if sm.member == m || (sm.group != nil && sm.group.membership(m) != nil) {
			return true
		}
	}
	return false
}
