package modetest

import (
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// People: Mode users, the memberships that make them members of a workspace, removing a member
// (DELETE /api/{workspace}/memberships/{membership}) and inviting people by e-mail
// (POST /api/{workspace}/invites).
//
// A membership is addressed by its own token (Mode's document: "`Membership` token"), which is
// neither the member's username nor member_token (the user's token, the same in every workspace
// the person belongs to). The Metadata API's memberships carry both (token and member_token);
// the REST API's Membership as Mode's document gives it carries only member_token, so the
// emulator adds the membership's "token" to it and puts it in the membership's links (our
// reading: without it nothing in the REST API would name the {membership} its own paths take).
//
// Removing a member removes them from every group of the workspace (the "everyone" group
// included), from every space membership naming them and from the e-mail subscribers of its
// reports' subscriptions; the other group and space memberships keep their tokens. The person
// (their user account, GET /api/{username}) remains, as on Mode. The workspace's last active admin
// cannot be removed (400).
//
// An invitation (Mode's CreateInviteRequestBody) names one person by e-mail address, with a
// message. Mode's document takes one invitee per request, so inviting several people is one
// request each, and each e-mail address has its own outcome:
//   - an address no member of the workspace has: Mode creates the user (or finds the person,
//     when a user of another workspace has that address) and a pending membership (invited,
//     state "pending", no activated_at), which is in the workspace's "everyone" group like every
//     other membership (a group membership of its own), and answers 200 with the Invite;
//   - the address of a pending invitee: the invitation is sent again (resent_at), 200;
//   - the address of an active member: 400, "… is already a member of this workspace";
//   - an address that is not one (no "@", a display name, spaces …): 400, "Invalid email".
// Invitations expire after inviteLifetime; the emulator's clock (WithClock) dates them.

// inviteLifetime is how long an invitation stays valid.
const inviteLifetime = 7 * 24 * time.Hour

// invite is the invitation that made a pending membership.
type invite struct {
	email     string
	message   string
	inviter   *member // the user who sent it (the credential's user)
	createdAt time.Time
	sentAt    time.Time
	resentAt  time.Time // zero until sent again
	expiresAt time.Time
}

// addMember makes m a member of st: it numbers the user (unless m is a person already known,
// whose id it keeps) and the membership, and registers the person. Call with e.mu held (or
// while seeding).
func (e *Emulator) addMember(st *store, m *member) {
	st.membersEver++
	if m.id == 0 {
		m.id = st.account.id*10_000 + st.membersEver
	}
	m.membershipID = st.id("membership", 300_000)
	st.members = append(st.members, m)
	st.memberByName[m.username] = m
	delete(st.formerByName, m.username)
	if e.people[m.username] == nil {
		e.people[m.username] = m
	}
}

// findMember returns the membership of the path's {membership} token. Call with e.mu held.
func (e *Emulator) findMember(r *http.Request) *member {
	key := r.PathValue("membership")
	return find(e, r, func(st *store) *member {
		for _, m := range st.members {
			if m.membership == key {
				return m
			}
		}
		return nil
	})
}

// removeMember ends m's membership of its workspace: it leaves the member list, every group, every
// space membership naming it and the e-mail subscribers of every subscription of the workspace;
// the other group and space memberships are left as they are, tokens included. The person remains
// (e.people), and st.email still finds their address for what they made. Call with e.mu held.
func (st *store) removeMember(m *member) {
	st.members = slices.DeleteFunc(st.members, func(x *member) bool { return x == m })
	delete(st.memberByName, m.username)
	st.formerByName[m.username] = m
	for _, g := range st.groups {
		g.memberships = slices.DeleteFunc(g.memberships, func(gm *groupMembership) bool { return gm.member == m })
	}
	for _, sp := range st.spaces {
		sp.memberships = slices.DeleteFunc(sp.memberships, func(sm *spaceMembership) bool { return sm.member == m })
	}
	for _, rep := range st.reports {
		for _, sub := range rep.subscriptions {
			sub.emails = slices.DeleteFunc(sub.emails, func(u string) bool { return u == m.username })
		}
	}
}

// deleteMembership answers DELETE /api/{ws}/memberships/{membership}: the member is removed
// (removeMember) and the membership answered as it was, with state "deleted". A pending
// invitation is withdrawn the same way.
func (e *Emulator) deleteMembership(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	m := e.findMember(r)
	if m == nil {
		e.mu.Unlock()
		notFound(w, "Membership")
		return
	}
	st := m.ws
	if m.admin && !m.pending() && activeAdmins(st) == 1 {
		e.mu.Unlock()
		badRequest(w, "A workspace needs an admin: "+m.username+" is its last one")
		return
	}
	body := e.membershipJSON(m)
	body.State = "deleted"
	st.removeMember(m)
	action := "member_removed"
	if m.pending() {
		action = "invite_revoked"
	}
	e.recordAudit(r, st, action, "membership", m.membership, m.username)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// activeAdmins counts the admins of st whose membership is active. Call with e.mu held.
func activeAdmins(st *store) int {
	n := 0
	for _, m := range st.members {
		if m.admin && !m.pending() {
			n++
		}
	}
	return n
}

// inviteBody is Mode's CreateInviteRequestBody.
type inviteBody struct {
	Invite *struct {
		Invitee *struct {
			Email *string `json:"email"`
		} `json:"invitee"`
		Message *string `json:"message"`
	} `json:"invite"`
}

// inviteJSON is Mode's Invite. The emulator adds a "membership" link to the pending membership
// the invitation made (our reading: it is what a caller needs to withdraw the invitation).
type inviteJSON struct {
	Email          string  `json:"email"`
	Message        string  `json:"message"`
	InviterID      int     `json:"inviter_id"`
	InviteeID      int     `json:"invitee_id"`
	OrganizationID int     `json:"organization_id"`
	Limited        bool    `json:"limited"`
	SentAt         *string `json:"sent_at"`
	ResentAt       *string `json:"resent_at"`
	ClickedAt      *string `json:"clicked_at"`
	AcceptedAt     *string `json:"accepted_at"`
	ExpiresAt      string  `json:"expires_at"`
	CreatedAt      string  `json:"created_at"`
	Links          links   `json:"_links"`
}

func inviteOf(m *member) inviteJSON {
	inv := m.invite
	ws := m.ws.account.username
	return inviteJSON{
		Email: inv.email, Message: inv.message, InviterID: inv.inviter.id, InviteeID: m.id, OrganizationID: m.ws.account.id,
		SentAt: timePtr(inv.sentAt), ResentAt: timePtr(inv.resentAt), AcceptedAt: timePtr(m.activatedAt),
		ExpiresAt: formatTime(inv.expiresAt), CreatedAt: formatTime(inv.createdAt),
		Links: links{
			"inviter":         href(api(inv.inviter.username)),
			"invitee":         href(api(m.username)),
			"membership":      href(api(ws, "memberships", m.membership)),
			"web_self_resend": href(web("organizations", ws, "invites", m.membership, "resend")),
		},
	}
}

// maxEmail is the longest e-mail address the emulator takes (RFC 5321's path limit).
const maxEmail = 254

// validEmail reports whether s is a bare e-mail address (local@domain.tld): what Mode's invite
// form takes, without a display name or angle brackets.
func validEmail(s string) bool {
	if s == "" || len(s) > maxEmail || !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n<>,;\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(strings.Trim(domain, "."), ".")
}

// createInvite answers POST /api/{ws}/invites (see the outcomes above).
func (e *Emulator) createInvite(w http.ResponseWriter, r *http.Request) {
	var b inviteBody
	if !decodeBody(w, r, &b) {
		return
	}
	switch {
	case b.Invite == nil:
		badRequest(w, "param is missing or the value is empty: invite")
		return
	case b.Invite.Invitee == nil || b.Invite.Invitee.Email == nil || *b.Invite.Invitee.Email == "":
		badRequest(w, "param is missing or the value is empty: invitee.email")
		return
	case b.Invite.Message == nil:
		badRequest(w, "param is missing or the value is empty: message")
		return
	}
	email := strings.TrimSpace(*b.Invite.Invitee.Email)
	if !validEmail(email) {
		badRequest(w, "Invalid email: "+strconv.Quote(email)+" is not an e-mail address")
		return
	}
	message := *b.Invite.Message
	e.mu.Lock()
	defer e.mu.Unlock()
	st := urlWS(r)
	now := e.clock.Now()
	inviter := e.userOf(r)
	if m := memberByEmail(st.members, email); m != nil {
		if !m.pending() {
			writeError(w, http.StatusBadRequest, email+" is already a member of this workspace")
			return
		}
		m.invite.message, m.invite.resentAt, m.invite.expiresAt, m.invite.inviter = message, now, now.Add(inviteLifetime), inviter
		e.recordAudit(r, st, "invite_resent", "membership", m.membership, email)
		writeJSON(w, http.StatusOK, inviteOf(m))
		return
	}
	m := &member{ws: st, membership: st.newToken("membership"), email: strings.ToLower(email)}
	if p := e.personByEmail(email); p != nil { // a user of another workspace: the same person
		m.id, m.token, m.username, m.name, m.email = p.id, p.token, p.username, p.name, p.email
	} else {
		m.username = e.newUsername(email)
		m.token = st.newToken("member")
		m.name = m.username
	}
	m.invite = &invite{email: email, message: message, inviter: inviter, createdAt: now, sentAt: now, expiresAt: now.Add(inviteLifetime)}
	e.addMember(st, m)
	st.joinEveryone(m, actor(r, st).username, now)
	e.recordAudit(r, st, "invite_sent", "membership", m.membership, email)
	writeJSON(w, http.StatusOK, inviteOf(m))
}

// memberByEmail returns the member of members with this e-mail address (case-insensitive).
func memberByEmail(members []*member, email string) *member {
	for _, m := range members {
		if strings.EqualFold(m.email, email) {
			return m
		}
	}
	return nil
}

// personByEmail returns the user with this e-mail address, if any. Call with e.mu held.
func (e *Emulator) personByEmail(email string) *member {
	for _, st := range e.workspaces {
		if m := memberByEmail(st.members, email); m != nil {
			return m
		}
	}
	for _, p := range e.people {
		if strings.EqualFold(p.email, email) {
			return p
		}
	}
	return nil
}

// newUsername makes a username no user has from an e-mail address's local part: lowercase
// letters, digits and '_' ("Harold.Ceramicist@…" → "harold_ceramicist", then
// "harold_ceramicist_2" …). Call with e.mu held.
func (e *Emulator) newUsername(email string) string {
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	var b strings.Builder
	for _, c := range local {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	base := strings.Trim(b.String(), "_")
	if base == "" {
		base = "user"
	}
	if len(base) > 48 {
		base = base[:48]
	}
	taken := func(u string) bool { return e.people[u] != nil || e.byName[u] != nil || reservedAccountName(u) }
	name := base
	for i := 2; taken(name); i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

// userOf returns the user the request's credential belongs to: credential i of the emulator's
// configuration is apiUsers[i % len(apiUsers)] (Ana, the demo workspace's first admin, for the
// first credential). A request signed with a signature token acts as the credential that made
// the token. Needs no lock: both lists are fixed once seeded.
func (e *Emulator) userOf(r *http.Request) *member {
	token, _, ok := r.BasicAuth()
	if tok, _ := r.Context().Value(signatureKey{}).(*signatureToken); tok != nil {
		token, ok = tok.creator, true
	}
	if ok {
		for i, c := range e.cfg.credentials {
			if c.token == token {
				return e.apiUsers[i%len(e.apiUsers)]
			}
		}
	}
	return e.apiUsers[0]
}

// currentUserJSON is Mode's Account for the user a credential belongs to (GET /api/account):
// the person's account, with the fields and links Mode's document requires of an Account. It
// names the user (their username, token and id), never the credential: neither the API token
// nor its secret is in it.
type currentUserJSON struct {
	Username            string     `json:"username"`
	Name                string     `json:"name"`
	ID                  int        `json:"id"`
	Token               string     `json:"token"`
	Email               string     `json:"email"`
	EmailVerified       bool       `json:"email_verified"`
	DatasetSizeLimitMB  int        `json:"dataset_size_limit_mb"`
	QueryRunSizeLimitMB int        `json:"query_run_size_limit_mb"`
	Avatar              avatarJSON `json:"avatar"`
	User                bool       `json:"user"`
	OrganizationsCount  int        `json:"organizations_count"`
	CreatedAt           string     `json:"created_at"`
	Links               links      `json:"_links"`
}

// accountReportLists are the account-level lists Mode's document requires an Account to link
// (AccountLinks) and documents no operation for: a user's reports by filter, their datasets and
// base reports, their color palettes. The emulator sends the links (under /api/{username}/…)
// and serves none of them (see TestLinksLeadSomewhere).
var accountReportLists = map[string]string{
	"reports": "reports", "archived_reports": "reports?filter=archived", "public_reports": "reports?filter=public",
	"drafts_reports": "reports?filter=drafts", "starred_reports": "reports?filter=starred", "viewed_reports": "reports?filter=viewed",
	"starred_datasets": "datasets?filter=starred", "viewed_datasets": "datasets?filter=viewed",
	"starred_base_reports": "base_reports?filter=starred", "viewed_base_reports": "base_reports?filter=viewed",
	"all_color_palettes": "color_palettes?filter=all",
}

// getCurrentUser answers GET /api/account, "Get authorizing user": the user the request's
// credential belongs to (userOf).
func (e *Emulator) getCurrentUser(w http.ResponseWriter, r *http.Request) {
	u := e.userOf(r)
	e.mu.Lock()
	orgs := 0
	for _, st := range e.workspaces {
		if m := st.memberByName[u.username]; m != nil && !m.pending() {
			orgs++
		}
	}
	name := u.username
	ls := links{
		"self":                       href(api(name)),
		"web":                        href(web(name)),
		"web_settings":               href(web("settings", "account")),
		"web_public_datasource_home": href(web(name, "data_sources", "public")),
		"web_groups":                 href(web(name, "groups")),
		"web_new_organization":       href(web("organizations", "new")),
		"home_web":                   href(web("home")),
		"home_starred_web":           href(web("home", "starred")),
		"home_explorations_web":      href(web("home", "explorations")),
		"home_search_web":            href(web("home", "search")),
		"new_invite_web":             href(web(name, "invites", "new")),
		"new_upload_web":             href(web(name, "uploads", "new")),
		"report":                     {Href: api(name, "reports") + "/{token}", Templated: true},
		"by_ids_reports":             {Href: api(name, "reports") + "?filter=by_ids&ids={ids}", Templated: true},
		"by_ids_datasets":            {Href: api(name, "datasets") + "?filter=by_ids&ids={ids}", Templated: true},
		"by_ids_base_reports":        {Href: api(name, "base_reports") + "?filter=by_ids&ids={ids}", Templated: true},
	}
	for rel, p := range accountReportLists {
		ls[rel] = href(api(name) + "/" + p)
	}
	body := currentUserJSON{
		Username: u.username, Name: u.name, ID: u.id, Token: u.token, Email: u.email, EmailVerified: true,
		DatasetSizeLimitMB: 500, QueryRunSizeLimitMB: 10240,
		Avatar: avatarJSON{Type: "initials", Initials: initials(u.name), Color: "#1f8ecd"}, User: true,
		OrganizationsCount: orgs, CreatedAt: formatTime(userSince(u)), Links: ls,
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
