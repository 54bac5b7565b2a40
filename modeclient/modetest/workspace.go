package modetest

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Account (workspace) and memberships. Groups are in groups.go.

func api(ws string, parts ...string) string {
	p := "/api/" + ws
	for _, s := range parts {
		p += "/" + s
	}
	return p
}

func web(ws string, parts ...string) string {
	p := "/" + ws
	for _, s := range parts {
		p += "/" + s
	}
	return p
}

type avatarJSON struct {
	Type     string `json:"type"`
	Initials string `json:"initials,omitempty"`
	Color    string `json:"color_code,omitempty"`
}

type accountJSON struct {
	Username                string     `json:"username"`
	Name                    string     `json:"name"`
	ID                      int        `json:"id"`
	Token                   string     `json:"token"`
	Email                   *string    `json:"email"`
	DatasetSizeLimitMB      int        `json:"dataset_size_limit_mb"`
	QueryRunSizeLimitMB     int        `json:"query_run_size_limit_mb"`
	Avatar                  avatarJSON `json:"avatar"`
	User                    bool       `json:"user"`
	SpaceCount              int        `json:"space_count"`
	DataSourceCount         int        `json:"data_source_count"`
	DefaultDataSourceToken  string     `json:"default_data_source_token"`
	TrialState              *string    `json:"trial_state"`
	MembershipType          string     `json:"membership_type"`
	PlanCode                string     `json:"plan_code"`
	AuthorizedDomains       []string   `json:"authorized_domains"`
	AdminDataSourceConnOnly bool       `json:"admin_data_source_connections_only"`
	AdminCollectionOnly     bool       `json:"admin_collection_creation_only"`
	CreatedAt               string     `json:"created_at"`
	Links                   links      `json:"_links"`
}

func (e *Emulator) accountJSON(st *store) accountJSON {
	a := st.account
	ws := a.username
	ds := ""
	if len(st.dataSources) > 0 {
		ds = st.dataSources[0].token
	}
	return accountJSON{
		Username: a.username, Name: a.name, ID: a.id, Token: a.token,
		DatasetSizeLimitMB: 500, QueryRunSizeLimitMB: 10240,
		Avatar:     avatarJSON{Type: "initials", Initials: a.initials, Color: "#1f8ecd"},
		SpaceCount: len(st.spaces), DataSourceCount: len(st.dataSources), DefaultDataSourceToken: ds,
		MembershipType: "admin", PlanCode: "plus", AuthorizedDomains: []string{a.domain},
		CreatedAt: formatTime(a.createdAt),
		Links: links{
			"self":                  href(api(ws)),
			"web":                   href(web(ws)),
			"web_spaces":            href(web(ws, "spaces")),
			"web_groups":            href(web("organizations", ws, "groups")),
			"data_sources":          href(api(ws, "data_sources")),
			"data_source":           {Href: api(ws, "data_sources") + "/{token}", Templated: true},
			"memberships":           href(api(ws, "memberships")),
			"groups":                href(api(ws, "groups")),
			"group":                 {Href: api(ws, "groups") + "/{token}", Templated: true},
			"spaces":                href(api(ws, "spaces")),
			"space":                 {Href: api(ws, "spaces") + "/{token}", Templated: true},
			"report":                {Href: api(ws, "reports") + "/{token}", Templated: true},
			"definitions":           href(api(ws, "definitions")),
			"definition":            {Href: api(ws, "definitions") + "/{token}", Templated: true},
			"by_tokens_definitions": {Href: api(ws, "definitions") + "?filter=by_tokens&tokens={tokens}", Templated: true},
			// reports (the account's reports) is left out: the emulator does not list them.
			"home_web":       href(web("home")),
			"new_report_web": href(web("editor", ws, "reports", "new")),
		},
	}
}

// getAccount answers GET /api/{name}: Mode's account resource, which is a workspace
// (organization) or a user. The links a user is named by (creator, executed_by, a membership's
// user, a group membership's member) lead here.
func (e *Emulator) getAccount(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ws")
	if reservedAccountName(name) {
		writeError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
		return
	}
	if st := e.byName[name]; st != nil { // fixed once seeded: read without the lock
		e.mu.Lock()
		body := e.accountJSON(st)
		e.mu.Unlock()
		writeJSON(w, http.StatusOK, body)
		return
	}
	e.mu.Lock()
	var body *userJSON
	if m := e.people[name]; m != nil {
		u := userAccountJSON(m)
		body = &u
	}
	e.mu.Unlock()
	if body == nil {
		notFound(w, "Account")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// userJSON is a user as Mode's account resource shows one (Account with "user": true).
type userJSON struct {
	Username            string     `json:"username"`
	Name                string     `json:"name"`
	ID                  int        `json:"id"`
	Token               string     `json:"token"`
	Email               string     `json:"email"`
	DatasetSizeLimitMB  int        `json:"dataset_size_limit_mb"`
	QueryRunSizeLimitMB int        `json:"query_run_size_limit_mb"`
	Avatar              avatarJSON `json:"avatar"`
	User                bool       `json:"user"`
	CreatedAt           string     `json:"created_at"`
	Links               links      `json:"_links"`
}

// userAccountJSON is the person of membership m as a user account. Call with e.mu held.
func userAccountJSON(m *member) userJSON {
	return userJSON{
		Username: m.username, Name: m.name, ID: m.id, Token: m.token, Email: m.email,
		DatasetSizeLimitMB: 500, QueryRunSizeLimitMB: 10240,
		Avatar: avatarJSON{Type: "initials", Initials: initials(m.name), Color: "#1f8ecd"}, User: true,
		CreatedAt: formatTime(userSince(m)),
		Links:     links{"self": href(api(m.username)), "web": href(web(m.username))},
	}
}

// initials are the first letters of a name's words, for an avatar.
func initials(name string) string {
	out := ""
	for _, f := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(f)
		out += string(r)
	}
	return out
}

// userSince is when the person of m became a user: when they joined, or were invited.
func userSince(m *member) time.Time {
	if m.pending() && m.invite != nil {
		return m.invite.createdAt
	}
	return m.activatedAt
}

// reservedAccountNames are the names under /api/ that are operations of Mode's document, not
// accounts: no workspace or user is named so, and GET /api/{name} does not read them as one.
var reservedAccountNames = []string{"account", "verify"}

// reservedAccountName reports whether name is one of reservedAccountNames (in any case).
func reservedAccountName(name string) bool {
	return slices.ContainsFunc(reservedAccountNames, func(r string) bool { return strings.EqualFold(r, name) })
}

// verify answers GET /api/verify, Mode's "Verify User": 200 when the credential works (the
// request got past authentication, which answers 401 otherwise). Mode documents no body; the
// emulator sends a self link only.
func (e *Emulator) verify(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"_links": links{"self": href("/api/verify")}})
}

// membershipJSON is Mode's Membership, plus the membership's own token (people.go).
type membershipJSON struct {
	Token          string  `json:"token"`
	Admin          bool    `json:"admin"`
	Invited        bool    `json:"invited"`
	State          string  `json:"state"`
	MemberUsername string  `json:"member_username"`
	MemberToken    string  `json:"member_token"`
	ActivatedAt    *string `json:"activated_at"`
	ManagedByScim  bool    `json:"managed_by_scim"`
	Links          links   `json:"_links"`
}

// Membership states: a member, or a person invited who has not joined yet.
const (
	membershipActive  = "active"
	membershipPending = "pending"
)

func (e *Emulator) membershipJSON(m *member) membershipJSON {
	ws := m.ws.account.username
	state := membershipActive
	if m.pending() {
		state = membershipPending
	}
	return membershipJSON{
		Token: m.membership, Admin: m.admin, Invited: m.invite != nil, State: state, MemberUsername: m.username, MemberToken: m.token,
		ActivatedAt: timePtr(m.activatedAt),
		Links: links{
			"self":         href(api(ws, "memberships", m.membership)),
			"web_self":     href(web("organizations", ws, "memberships", m.membership)),
			"organization": href(api(ws)),
			"user":         href(api(m.username)),
			"groups":       href(api(ws, "memberships", m.membership, "groups")),
		},
	}
}

func (e *Emulator) listMemberships(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	st := urlWS(r)
	all := make([]membershipJSON, 0, len(st.members))
	for _, m := range st.members {
		all = append(all, e.membershipJSON(m))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "memberships", all))
}

func (e *Emulator) getMembership(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	m := e.findMember(r)
	var body membershipJSON
	if m != nil {
		body = e.membershipJSON(m)
	}
	e.mu.Unlock()
	if m == nil {
		notFound(w, "Membership")
		return
	}
	writeJSON(w, http.StatusOK, body)
}
