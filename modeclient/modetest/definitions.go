package modetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Definitions: list, create, get, update, delete. A definition is a named SELECT statement of a
// workspace, written against one of its data sources, that queries reference as
// {{ @definition_name }} (Mode's Liquid syntax for definitions): before a query runs, each
// reference is replaced by the definition's SQL as an aliased subquery, "(<source>) AS <name>",
// so that "SELECT * FROM {{ @active_accounts }}" reads the definition like a view. A definition
// may reference other definitions; one that references itself (through others or not), one that
// does not exist, or one written against another data source than the query's fails the query
// run with a message that says so.
//
// Mode's document gives the create and update operations no body. The emulator's reading, after
// Mode's other bodies ({"query": {…}}, {"report": {…}}) and the Definition schema:
// {"definition": {"name", "description", "source", "data_source_id"}}. A name is how queries
// reference the definition, so it must be a Liquid identifier (letters, digits, '_', not starting
// with a digit) and unique in the workspace, whatever the case.

// maxDefinitionDepth bounds how deep definitions may reference definitions.
const maxDefinitionDepth = 8

var (
	definitionRef  = regexp.MustCompile(`\{\{\s*@([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
	definitionName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
)

type definition struct {
	ws           *store // the workspace it belongs to
	id           int
	token        string
	name         string
	description  string
	source       string
	dataSourceID int
	creator      string
	createdAt    time.Time
	updatedAt    time.Time
}

// definitionNamed returns the workspace's definition called name (whatever the case), or nil.
func (st *store) definitionNamed(name string) *definition {
	for _, d := range st.definitions {
		if strings.EqualFold(d.name, name) {
			return d
		}
	}
	return nil
}

func (st *store) definition(token string) *definition {
	for _, d := range st.definitions {
		if d.token == token {
			return d
		}
	}
	return nil
}

// expandDefinitions replaces every {{ @name }} of sql by the SQL of the workspace's definition of
// that name, as "(<source>) AS <name>", for a query that runs on data source dsID. It returns the
// SQL with what it could expand, and the first reason it could not expand a reference.
func (st *store) expandDefinitions(sql string, dsID int) (string, error) {
	return st.expand(sql, dsID, nil)
}

func (st *store) expand(sql string, dsID int, stack []string) (string, error) {
	var failed error
	out := definitionRef.ReplaceAllStringFunc(sql, func(ref string) string {
		if failed != nil {
			return ref
		}
		name := definitionRef.FindStringSubmatch(ref)[1]
		d := st.definitionNamed(name)
		switch {
		case d == nil:
			failed = fmt.Errorf("Definition @%s not found in %s", name, st.account.username)
		case slices.ContainsFunc(stack, func(s string) bool { return strings.EqualFold(s, d.name) }):
			failed = fmt.Errorf("Definition @%s references itself (%s → @%s)", d.name, "@"+strings.Join(stack, " → @"), d.name)
		case len(stack) >= maxDefinitionDepth:
			failed = fmt.Errorf("Definition @%s: definitions reference each other more than %d deep", d.name, maxDefinitionDepth)
		case d.dataSourceID != dsID:
			failed = fmt.Errorf("Definition @%s is written against another data source than this query's", d.name)
		}
		if failed != nil {
			return ref
		}
		body, err := st.expand(d.source, dsID, append(slices.Clip(stack), d.name))
		if err != nil {
			failed = err
			return ref
		}
		return "(" + strings.TrimRight(strings.TrimSpace(body), "; \t\r\n") + ") AS " + d.name
	})
	return out, failed
}

type definitionJSON struct {
	ID                   int     `json:"id"`
	Token                string  `json:"token"`
	Name                 string  `json:"name"`
	Description          string  `json:"description"`
	Source               string  `json:"source"`
	DataSourceID         int     `json:"data_source_id"`
	CreatedAt            string  `json:"created_at"`
	UpdatedAt            string  `json:"updated_at"`
	LastSuccessfulSyncAt *string `json:"last_successful_sync_at"` // always null: nothing is synced with GitHub
	GithubLink           *string `json:"github_link"`
	LastSavedAt          string  `json:"last_saved_at"`
	Links                links   `json:"_links"`
}

func definitionPath(d *definition) string {
	return api(d.ws.account.username, "definitions", d.token)
}

func (e *Emulator) definitionJSON(d *definition) definitionJSON {
	self := definitionPath(d)
	return definitionJSON{
		ID: d.id, Token: d.token, Name: d.name, Description: d.description, Source: d.source,
		DataSourceID: d.dataSourceID, CreatedAt: formatTime(d.createdAt), UpdatedAt: formatTime(d.updatedAt),
		LastSavedAt: formatTime(d.updatedAt),
		Links: links{
			"self": href(self),
			// Mode's document requires last_run: definitions run in Mode's editor, which the
			// emulator does not have, so the link leads to the definition's (empty) runs.
			"last_run":                    href(self + "/runs"),
			"last_successful_github_sync": href(self + "/github_syncs/last_successful"),
			"web_edit":                    href(web(d.ws.account.username, "definitions", d.token, "edit")),
			"creator":                     href(api(d.creator)),
		},
	}
}

// definitionBody is the create and update body (see the package comment above):
// {"definition": {"name", "description", "source", "data_source_id"}}; data_source_id arrives
// as a number or a numeric string.
type definitionBody struct {
	Definition *struct {
		Name         *string         `json:"name"`
		Description  *string         `json:"description"`
		Source       *string         `json:"source"`
		DataSourceID json.RawMessage `json:"data_source_id"`
	} `json:"definition"`
}

// apply sets what b gives onto d (of workspace st) and validates the result; it returns the
// status and message of an error (404 for a data source the workspace does not have, 400 for a
// bad value), or 0.
func (b *definitionBody) apply(e *Emulator, st *store, d *definition) (int, string) {
	in := b.Definition
	n := *d
	if in.Name != nil {
		n.name = strings.TrimSpace(*in.Name)
		switch other := st.definitionNamed(n.name); {
		case n.name == "":
			return http.StatusBadRequest, "Name can't be blank"
		case !definitionName.MatchString(n.name):
			return http.StatusBadRequest, fmt.Sprintf("Invalid name %q: queries reference a definition as {{ @name }}, so its name takes letters, digits and '_' (at most 64), not starting with a digit", n.name)
		case other != nil && other != d:
			return http.StatusBadRequest, "Name has already been taken"
		}
	}
	if in.Description != nil {
		n.description = *in.Description
	}
	if in.Source != nil {
		if strings.TrimSpace(*in.Source) == "" {
			return http.StatusBadRequest, "Source can't be blank"
		}
		n.source = *in.Source
	}
	if in.DataSourceID != nil {
		if s := strings.Trim(string(in.DataSourceID), `" `); s == "" || s == "null" {
			return http.StatusBadRequest, "param is missing or the value is empty: definition.data_source_id"
		}
		ds, ok := e.dataSourceFor(st, in.DataSourceID)
		if !ok {
			return http.StatusNotFound, "DataSource not found"
		}
		n.dataSourceID = ds.id
	}
	*d = n
	return 0, ""
}

// findDefinition looks the definition of the path up (see find), with e.mu held.
func (e *Emulator) findDefinition(r *http.Request) *definition {
	tok := r.PathValue("definition")
	return find(e, r, func(st *store) *definition { return st.definition(tok) })
}

// withDefinition runs fn on the definition of the path with e.mu held, answering 404 when there
// is none; fn returns the status and body to answer, or an error status and message.
func (e *Emulator) withDefinition(w http.ResponseWriter, r *http.Request, fn func(d *definition) (int, any, string)) {
	e.mu.Lock()
	d := e.findDefinition(r)
	if d == nil {
		e.mu.Unlock()
		notFound(w, "Definition")
		return
	}
	status, body, msg := fn(d)
	e.mu.Unlock()
	if status >= 400 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, body)
}

// listDefinitions answers the workspace's definitions, oldest first; with filter=by_tokens,
// only those whose tokens the comma-separated tokens parameter names (unknown ones are left out).
func (e *Emulator) listDefinitions(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var only []string
	switch f := q.Get("filter"); f {
	case "":
	case "by_tokens":
		for _, t := range strings.Split(q.Get("tokens"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				only = append(only, t)
			}
		}
		if len(only) == 0 {
			badRequest(w, "param is missing or the value is empty: tokens")
			return
		}
	default:
		badRequest(w, "Invalid filter: "+f)
		return
	}
	st := urlWS(r)
	e.mu.Lock()
	all := make([]definitionJSON, 0, len(st.definitions))
	for _, d := range st.definitions {
		if only == nil || slices.Contains(only, d.token) {
			all = append(all, e.definitionJSON(d))
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "definitions", all))
}

func (e *Emulator) getDefinition(w http.ResponseWriter, r *http.Request) {
	e.withDefinition(w, r, func(d *definition) (int, any, string) {
		return http.StatusOK, e.definitionJSON(d), ""
	})
}

// createDefinition answers 200 with the definition, as Mode's document does (not 201).
func (e *Emulator) createDefinition(w http.ResponseWriter, r *http.Request) {
	var b definitionBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Definition == nil {
		badRequest(w, "param is missing or the value is empty: definition")
		return
	}
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"name", b.Definition.Name == nil},
		{"source", b.Definition.Source == nil},
		{"data_source_id", b.Definition.DataSourceID == nil},
	} {
		if f.missing {
			badRequest(w, "param is missing or the value is empty: definition."+f.name)
			return
		}
	}
	st := urlWS(r)
	e.mu.Lock()
	now := time.Now()
	d := &definition{ws: st, creator: st.members[0].username, createdAt: now, updatedAt: now}
	status, msg := b.apply(e, st, d)
	if status == 0 {
		d.id = st.id("definition", 60_000)
		d.token = st.newToken("definition")
		st.definitions = append(st.definitions, d)
		e.recordAudit(r, st, "definition_created", "definition", d.token, d.name)
	}
	var body definitionJSON
	if status == 0 {
		body = e.definitionJSON(d)
	}
	e.mu.Unlock()
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (e *Emulator) updateDefinition(w http.ResponseWriter, r *http.Request) {
	var b definitionBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Definition == nil {
		badRequest(w, "param is missing or the value is empty: definition")
		return
	}
	e.withDefinition(w, r, func(d *definition) (int, any, string) {
		if status, msg := b.apply(e, d.ws, d); status != 0 {
			return status, nil, msg
		}
		d.updatedAt = time.Now()
		e.recordAudit(r, d.ws, "definition_updated", "definition", d.token, d.name)
		return http.StatusOK, e.definitionJSON(d), ""
	})
}

// deleteDefinition answers 200 with the deleted definition, as Mode's document does. Queries
// that reference it fail from their next run on.
func (e *Emulator) deleteDefinition(w http.ResponseWriter, r *http.Request) {
	e.withDefinition(w, r, func(d *definition) (int, any, string) {
		body := e.definitionJSON(d)
		d.ws.definitions = slices.DeleteFunc(d.ws.definitions, func(x *definition) bool { return x == d })
		e.recordAudit(r, d.ws, "definition_deleted", "definition", d.token, d.name)
		return http.StatusOK, body, ""
	})
}

// listDefinitionRuns answers a definition's last_run link (Mode's document requires the link and
// documents no operation for it): the runs of the definition in Mode's definition editor, which
// the emulator does not have, so always an empty page; 404 for an unknown definition.
func (e *Emulator) listDefinitionRuns(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	d := e.findDefinition(r)
	e.mu.Unlock()
	if d == nil {
		notFound(w, "Definition")
		return
	}
	writeJSON(w, http.StatusOK, pageOf(r, pr, "definition_runs", []struct{}{}))
}
