package modetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Queries of a report.

type queryJSON struct {
	ID                 int     `json:"id"`
	Token              string  `json:"token"`
	RawQuery           string  `json:"raw_query"`
	CreatedAt          string  `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
	Name               string  `json:"name"`
	LastRunID          *int    `json:"last_run_id"`
	DataSourceID       int     `json:"data_source_id"`
	ExplorationsCount  int     `json:"explorations_count"`
	ReportImportsCount int     `json:"report_imports_count"`
	DbtMetricID        *int    `json:"dbt_metric_id"`
	DbtMetricToken     *string `json:"dbt_metric_token"`
	MappingID          *int    `json:"mapping_id"`
	Links              links   `json:"_links"`
}

func (e *Emulator) queryJSON(rep *report, q *query) queryJSON {
	ws := rep.ws.account.username
	rp := api(ws, "reports", rep.token)
	var last *int
	if q.lastRunID != 0 {
		id := q.lastRunID
		last = &id
	}
	return queryJSON{
		ID: q.id, Token: q.token, RawQuery: q.rawQuery, CreatedAt: formatTime(q.createdAt),
		UpdatedAt: formatTime(q.updatedAt), Name: q.name, LastRunID: last, DataSourceID: q.dataSourceID,
		Links: links{
			"self":        href(rp + "/queries/" + q.token),
			"report":      href(rp),
			"report_runs": href(rp + "/runs"),
			"query_runs":  href(rp + "/queries/" + q.token + "/runs"),
			"charts":      href(rp + "/queries/" + q.token + "/charts"),
			// new_chart, new_query_table and query_tables (all optional) are left out: the
			// emulator has no operation that makes charts and no query tables.
			"creator":          href(api(q.creator)),
			"report_viz_web":   href(web(ws, "reports", rep.token, "viz", q.token)),
			"edit_web":         href(web("editor", ws, "reports", rep.token, "queries", q.token)),
			"report_web":       href(web(ws, "reports", rep.token)),
			"report_edit_web":  href(web("editor", ws, "reports", rep.token)),
			"report_query_web": href(web("editor", ws, "reports", rep.token, "queries", q.token)),
		},
	}
}

func (e *Emulator) listQueries(w http.ResponseWriter, r *http.Request) {
	listOfReport(e, w, r, "queries", func(rep *report) ([]queryJSON, int, string) {
		all := make([]queryJSON, 0, len(rep.queries))
		for _, q := range rep.queries {
			all = append(all, e.queryJSON(rep, q))
		}
		return all, 0, ""
	})
}

// withQuery runs fn on the report and query of the path with e.mu held, answering 404 when
// either is missing.
func (e *Emulator) withQuery(w http.ResponseWriter, r *http.Request, fn func(rep *report, q *query) (int, any, string)) {
	e.withReport(w, r, func(rep *report) (int, any, string) {
		q := rep.query(r.PathValue("query"))
		if q == nil {
			return http.StatusNotFound, nil, "Query not found"
		}
		return fn(rep, q)
	})
}

func (e *Emulator) getQuery(w http.ResponseWriter, r *http.Request) {
	e.withQuery(w, r, func(rep *report, q *query) (int, any, string) {
		return http.StatusOK, e.queryJSON(rep, q), ""
	})
}

// queryBody is the create/update body: {"query": {"raw_query", "data_source_id", "name"}}.
// data_source_id arrives as a number or a numeric string.
type queryBody struct {
	Query *struct {
		RawQuery     *string         `json:"raw_query"`
		DataSourceID json.RawMessage `json:"data_source_id"`
		Name         *string         `json:"name"`
	} `json:"query"`
}

// dataSourceFor resolves a body's data_source_id among the data sources of st (e.mu held);
// absent means the default one.
func (e *Emulator) dataSourceFor(st *store, raw json.RawMessage) (*dataSource, bool) {
	s := strings.Trim(string(raw), `"`)
	if s == "" || s == "null" {
		return st.dataSources[0], true
	}
	id, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	d := st.dataByID[id]
	return d, d != nil
}

func (e *Emulator) createQuery(w http.ResponseWriter, r *http.Request) {
	var b queryBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Query == nil {
		badRequest(w, "param is missing or the value is empty: query")
		return
	}
	if b.Query.RawQuery == nil {
		badRequest(w, "param is missing or the value is empty: raw_query")
		return
	}
	e.withReport(w, r, func(rep *report) (int, any, string) {
		ds, ok := e.dataSourceFor(rep.ws, b.Query.DataSourceID)
		if !ok {
			return http.StatusBadRequest, nil, "Data source not found"
		}
		now := time.Now()
		q := &query{
			id: rep.ws.id("query", 5_000_000), token: rep.ws.newToken("query"), rawQuery: *b.Query.RawQuery,
			dataSourceID: ds.id, creator: rep.ws.members[0].username, createdAt: now, updatedAt: now,
			name: "Query " + strconv.Itoa(len(rep.queries)+1),
		}
		if b.Query.Name != nil && *b.Query.Name != "" {
			q.name = *b.Query.Name
		}
		rep.queries = append(rep.queries, q)
		rep.updatedAt, rep.editedAt = now, now
		e.recordAudit(r, rep.ws, "query_created", "query", q.token, q.name)
		return http.StatusOK, e.queryJSON(rep, q), ""
	})
}

func (e *Emulator) updateQuery(w http.ResponseWriter, r *http.Request) {
	var b queryBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Query == nil {
		badRequest(w, "param is missing or the value is empty: query")
		return
	}
	e.withQuery(w, r, func(rep *report, q *query) (int, any, string) {
		if b.Query.DataSourceID != nil {
			ds, ok := e.dataSourceFor(rep.ws, b.Query.DataSourceID)
			if !ok {
				return http.StatusBadRequest, nil, "Data source not found"
			}
			q.dataSourceID = ds.id
		}
		if b.Query.RawQuery != nil {
			q.rawQuery = *b.Query.RawQuery
		}
		if b.Query.Name != nil {
			if strings.TrimSpace(*b.Query.Name) == "" {
				return http.StatusBadRequest, nil, "Name can't be blank"
			}
			q.name = *b.Query.Name
		}
		now := time.Now()
		q.updatedAt, rep.updatedAt, rep.editedAt = now, now, now
		e.recordAudit(r, rep.ws, "query_updated", "query", q.token, q.name)
		return http.StatusOK, e.queryJSON(rep, q), ""
	})
}

// deleteQuery deletes the query, its charts (they are stored with it) and the report's filters
// that read it.
func (e *Emulator) deleteQuery(w http.ResponseWriter, r *http.Request) {
	e.withQuery(w, r, func(rep *report, q *query) (int, any, string) {
		body := e.queryJSON(rep, q)
		rep.queries = slices.DeleteFunc(rep.queries, func(x *query) bool { return x == q })
		rep.dropFilters(q)
		rep.updatedAt, rep.editedAt = time.Now(), time.Now()
		e.recordAudit(r, rep.ws, "query_deleted", "query", q.token, q.name)
		return http.StatusOK, body, ""
	})
}
