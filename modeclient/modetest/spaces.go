package modetest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Spaces, also served as /collections/ (Mode's UI renamed them).

type spaceJSON struct {
	Token              string          `json:"token"`
	ID                 int             `json:"id"`
	SpaceType          string          `json:"space_type"`
	Name               string          `json:"name"`
	Description        string          `json:"description"`
	State              string          `json:"state"`
	Restricted         bool            `json:"restricted"`
	FreeDefault        bool            `json:"free_default"`
	Viewable           bool            `json:"viewable?"`
	Viewed             bool            `json:"viewed?"`
	DefaultAccessLevel string          `json:"default_access_level"`
	Links              links           `json:"_links"`
	Forms              map[string]form `json:"_forms"`
}

func (e *Emulator) spaceJSON(s *space) spaceJSON {
	ws := s.ws.account.username
	access := "edit"
	if s.restricted {
		access = "restricted"
	}
	if s.spaceType == "private" {
		access = "private"
	}
	return spaceJSON{
		Token: s.token, ID: s.id, SpaceType: s.spaceType, Name: s.name, Description: s.description,
		State: "active", Restricted: s.restricted, Viewable: true, DefaultAccessLevel: access,
		Links: links{
			"self":                     href(api(ws, "collections", s.token)),
			"detail":                   href(api(ws, "spaces", s.token)),
			"web":                      href(web(ws, "spaces", s.token)),
			"reports":                  href(api(ws, "spaces", s.token, "reports")),
			"datasets":                 href(api(ws, "spaces", s.token, "datasets")), // not in SpaceLinks: the emulator's addition
			"creator":                  href(api(s.creator)),
			"space_memberships":        href(api(ws, "spaces", s.token, "memberships")),
			"search_space_permissions": href(api(ws, "spaces", s.token, "search_space_permissions")),
		},
		Forms: map[string]form{
			"edit": {Method: "post", Action: api(ws, "spaces", s.token),
				Input: map[string]any{"space": map[string]any{"name": map[string]string{"type": "text", "value": s.name}}}},
			"destroy": {Method: "delete", Action: api(ws, "spaces", s.token), Input: map[string]any{}},
		},
	}
}

func (e *Emulator) listSpaces(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	filter := r.URL.Query().Get("filter")
	if filter != "" && filter != "all" {
		badRequest(w, "Invalid filter: "+filter)
		return
	}
	e.mu.Lock()
	st := urlWS(r)
	m, _ := caller(r, st)
	all := []spaceJSON{}
	for _, s := range st.spaces {
		// Without filter=all: the spaces joined, and for a member's credential those a space
		// membership gives them too (access.go).
		listed := filter == "all" || s.joined || (m != nil && s.grants(m))
		if listed && canSeeSpace(r, s) {
			all = append(all, e.spaceJSON(s))
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "spaces", all))
}

func (e *Emulator) getSpace(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	s := e.findSpace(r)
	var body spaceJSON
	if s != nil {
		body = e.spaceJSON(s)
	}
	e.mu.Unlock()
	if s == nil {
		notFound(w, "Space")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// spaceBody is the create/update body: {"space": {"name", "description"}}.
type spaceBody struct {
	Space *struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	} `json:"space"`
}

func (e *Emulator) createSpace(w http.ResponseWriter, r *http.Request) {
	var b spaceBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Space == nil {
		badRequest(w, "param is missing or the value is empty: space")
		return
	}
	if b.Space.Name == nil || strings.TrimSpace(*b.Space.Name) == "" {
		badRequest(w, "Name can't be blank")
		return
	}
	e.mu.Lock()
	st := urlWS(r)
	for _, s := range st.spaces {
		if strings.EqualFold(s.name, *b.Space.Name) {
			e.mu.Unlock()
			badRequest(w, "Name has already been taken")
			return
		}
	}
	now := time.Now()
	s := &space{
		ws: st, id: st.id("space", 0), token: st.newToken("space"), name: strings.TrimSpace(*b.Space.Name),
		spaceType: "custom", joined: true, creator: actor(r, st).username, createdAt: now, updatedAt: now,
	}
	if b.Space.Description != nil {
		s.description = *b.Space.Description
	}
	st.spaces = append(st.spaces, s)
	st.spaceByTok[s.token] = s
	e.recordAudit(r, st, "space_created", "space", s.token, s.name)
	body := e.spaceJSON(s)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (e *Emulator) updateSpace(w http.ResponseWriter, r *http.Request) {
	var b spaceBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Space == nil {
		badRequest(w, "param is missing or the value is empty: space")
		return
	}
	if b.Space.Name != nil && strings.TrimSpace(*b.Space.Name) == "" {
		badRequest(w, "Name can't be blank")
		return
	}
	e.mu.Lock()
	s := e.findSpace(r)
	if s == nil {
		e.mu.Unlock()
		notFound(w, "Space")
		return
	}
	if s.spaceType == "private" {
		e.mu.Unlock()
		writeError(w, http.StatusForbidden, "Personal collections cannot be renamed")
		return
	}
	if b.Space.Name != nil {
		s.name = strings.TrimSpace(*b.Space.Name)
	}
	if b.Space.Description != nil {
		s.description = *b.Space.Description
	}
	s.updatedAt = time.Now()
	e.recordAudit(r, s.ws, "space_updated", "space", s.token, s.name)
	body := e.spaceJSON(s)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// deleteSpace removes the space and the reports in it, and answers the deleted space.
func (e *Emulator) deleteSpace(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	s := e.findSpace(r)
	if s == nil {
		e.mu.Unlock()
		notFound(w, "Space")
		return
	}
	st := s.ws
	if s.spaceType == "private" {
		e.mu.Unlock()
		writeError(w, http.StatusForbidden, "Personal collections cannot be deleted")
		return
	}
	body := e.spaceJSON(s)
	body.State = "deleted"
	delete(st.spaceByTok, s.token)
	st.spaces = slices.DeleteFunc(st.spaces, func(x *space) bool { return x == s })
	for _, rep := range st.reports {
		if rep.spaceToken == s.token {
			delete(st.reportByTok, rep.token)
		}
	}
	st.reports = slices.DeleteFunc(st.reports, func(x *report) bool { return x.spaceToken == s.token })
	e.recordAudit(r, st, "space_deleted", "space", s.token, s.name)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
