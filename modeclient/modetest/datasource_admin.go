package modetest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Data source administration: update (PATCH …/data_sources/{data_source}) and schema updates
// (POST …/data_sources/{data_source}/schema_updates). Purges are in purge.go.
//
// A data source's password and the other secrets an update may carry are never part of any
// answer: the emulator keeps a hash of the password (DataSourcePasswordIs lets a test check what
// was sent) and only whether a connection string was given.

// dataSourceBody is the update body of Mode's document (UpdateDataSourceRequestBody):
// {"data_source": {"name", "description", "password", "custom_attributes": {"connection_string"},
// "certificate", "key", "wallet"}}. The last three are file uploads in Mode's document
// (multipart/form-data); the emulator takes JSON only and refuses them (see updateDataSource).
type dataSourceBody struct {
	DataSource *struct {
		Name             *string `json:"name"`
		Description      *string `json:"description"`
		Password         *string `json:"password"`
		CustomAttributes *struct {
			ConnectionString *string `json:"connection_string"`
		} `json:"custom_attributes"`
		Certificate json.RawMessage `json:"certificate"`
		Key         json.RawMessage `json:"key"`
		Wallet      json.RawMessage `json:"wallet"`
	} `json:"data_source"`
}

// updateDataSource applies the body to the data source of the path and answers it (200), as
// Mode's document has it. Messages name the fields they refuse, never their values.
func (e *Emulator) updateDataSource(w http.ResponseWriter, r *http.Request) {
	var b dataSourceBody
	if !decodeBody(w, r, &b) {
		return
	}
	ds := b.DataSource
	switch {
	case ds == nil:
		badRequest(w, "param is missing or the value is empty: data_source")
		return
	case ds.Name != nil && strings.TrimSpace(*ds.Name) == "":
		badRequest(w, "Name can't be blank")
		return
	case ds.Password != nil && *ds.Password == "":
		badRequest(w, "Password can't be blank")
		return
	case present(ds.Certificate) || present(ds.Key) || present(ds.Wallet):
		badRequest(w, "certificate, key and wallet are file uploads (multipart/form-data), which this endpoint does not take as JSON")
		return
	}
	e.mu.Lock()
	d := e.findDataSource(r)
	if d == nil {
		e.mu.Unlock()
		notFound(w, "Data source")
		return
	}
	if ds.Name != nil {
		d.name = strings.TrimSpace(*ds.Name)
		d.displayName = d.name
	}
	if ds.Description != nil {
		d.description = *ds.Description
	}
	if ds.Password != nil {
		d.passwordHash, d.passwordSet = sha256.Sum256([]byte(*ds.Password)), true
	}
	if ds.CustomAttributes != nil && ds.CustomAttributes.ConnectionString != nil {
		d.connectionStringSet = *ds.CustomAttributes.ConnectionString != ""
	}
	d.updatedAt = time.Now()
	e.recordAudit(r, d.ws, "data_source_updated", "data_source", d.token, d.name)
	body := e.dataSourceJSON(d)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// present reports whether a JSON member was sent with a value other than null.
func present(raw json.RawMessage) bool { return len(raw) > 0 && !isJSONNull(raw) }

func isJSONNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

// DataSourcePasswordIs reports whether password is the one last set on the data source
// (PATCH …/data_sources/{token} with a password) of workspace ws: for tests of what a client
// sent. It is false for a data source whose password was never set through the API. No answer
// of the emulator ever shows a password.
func (e *Emulator) DataSourcePasswordIs(ws, token, password string) bool {
	st := e.byName[ws] // fixed once seeded: read without the lock
	if st == nil {
		return false
	}
	sum := sha256.Sum256([]byte(password))
	e.mu.Lock()
	defer e.mu.Unlock()
	d := st.dataByTok[token]
	return d != nil && d.passwordSet && subtle.ConstantTimeCompare(sum[:], d.passwordHash[:]) == 1
}

// A schema update reads the data source's schema (its schemas and tables) for Mode's schema
// browser. Mode queues it; here it stays enqueued for the run duration (WithRunDuration) after
// it was created, then it has succeeded, with the counts of the emulator's database. Its state is
// worked out when it is read: no goroutine runs it.
type schemaUpdate struct {
	id            int
	token         string
	ds            *dataSource
	createdAt     time.Time
	doneAt        time.Time // when it succeeds: createdAt + the run duration
	tables        int
	contentLength int
}

// done reports whether u has succeeded at now.
func (u *schemaUpdate) done(now time.Time) bool { return !now.Before(u.doneAt) }

// schemaUpdateJSON is Mode's DataSourceSchemaUpdate. Mode's document types its counts as
// strings; the emulator sends numbers, as Mode does for counts elsewhere. The property
// last_succesful_refresh_at is spelled as Mode's document spells it.
type schemaUpdateJSON struct {
	ID                     int     `json:"id"`
	Token                  string  `json:"token"`
	State                  string  `json:"state"`
	ContentLength          int     `json:"content_length"`
	NumberOfSchemas        int     `json:"number_of_schemas"`
	NumberOfTables         int     `json:"number_of_tables"`
	LastSuccesfulRefreshAt *string `json:"last_succesful_refresh_at"`
	WebappURI              string  `json:"webapp_uri"`
	Links                  links   `json:"_links"`
}

// schemaUpdateJSON renders u at now: enqueued with no counts until it is done, then succeeded
// with the schema's counts. last_succesful_refresh_at is when the data source's latest schema
// update done by now succeeded (null before any has).
func (e *Emulator) schemaUpdateJSON(u *schemaUpdate, now time.Time) schemaUpdateJSON {
	d := u.ds
	ws := d.ws.account.username
	j := schemaUpdateJSON{
		ID: u.id, Token: u.token, State: stateEnqueued,
		WebappURI: web(ws, "data_sources", d.token, "schema"),
		Links:     links{"self": href(api(ws, "data_sources", d.token, "schema_updates", u.token))},
	}
	if u.done(now) {
		j.State, j.ContentLength, j.NumberOfSchemas, j.NumberOfTables = stateSucceeded, u.contentLength, 1, u.tables
	}
	var last time.Time
	for _, o := range d.schemaUpdates {
		if o.done(now) && o.doneAt.After(last) {
			last = o.doneAt
		}
	}
	j.LastSuccesfulRefreshAt = timePtr(last)
	return j
}

// createSchemaUpdate queues a schema update of the data source of the path and answers it (200,
// as Mode's document has it). While one is queued, asking again answers that one rather than
// queueing another.
func (e *Emulator) createSchemaUpdate(w http.ResponseWriter, r *http.Request) {
	tables, length, err := e.schemaSize(r)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Could not read the data source's schema")
		return
	}
	now := time.Now()
	e.mu.Lock()
	d := e.findDataSource(r)
	if d == nil {
		e.mu.Unlock()
		notFound(w, "Data source")
		return
	}
	var u *schemaUpdate
	if n := len(d.schemaUpdates); n > 0 && !d.schemaUpdates[n-1].done(now) {
		u = d.schemaUpdates[n-1]
	} else {
		u = &schemaUpdate{
			id: d.ws.id("schema_update", 6_000_000), token: d.ws.newToken("schema_update"), ds: d,
			createdAt: now, doneAt: now.Add(e.cfg.runDuration), tables: tables, contentLength: length,
		}
		d.schemaUpdates = append(d.schemaUpdates, u)
	}
	e.recordAudit(r, d.ws, "data_source_schema_updated", "data_source", d.token, d.name)
	body := e.schemaUpdateJSON(u, now)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// getSchemaUpdate answers one schema update of the data source of the path: the target of its
// self link (Mode's document lists no operation for it).
func (e *Emulator) getSchemaUpdate(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	d := e.findDataSource(r)
	var u *schemaUpdate
	if d != nil {
		for _, o := range d.schemaUpdates {
			if o.token == r.PathValue("schema_update") {
				u = o
			}
		}
	}
	var body schemaUpdateJSON
	if u != nil {
		body = e.schemaUpdateJSON(u, time.Now())
	}
	e.mu.Unlock()
	switch {
	case d == nil:
		notFound(w, "Data source")
	case u == nil:
		notFound(w, "Schema update")
	default:
		writeJSON(w, http.StatusOK, body)
	}
}

// schemaSize counts the tables of the emulator's database and the length of their definitions
// (the schema a schema update reads).
func (e *Emulator) schemaSize(r *http.Request) (tables, length int, err error) {
	ctx, cancel := e.requestContext(r)
	defer cancel()
	err = e.ds.db.QueryRowContext(ctx,
		`SELECT COUNT(*), COALESCE(SUM(LENGTH(sql)), 0) FROM sqlite_master WHERE type IN ('table', 'view')`).Scan(&tables, &length)
	return tables, length, err
}
