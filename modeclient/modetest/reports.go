package modetest

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Reports: lists per space and per data source, get, update, delete, archive, unarchive.

type reportJSON struct {
	Token                  string          `json:"token"`
	ID                     int             `json:"id"`
	Name                   string          `json:"name"`
	Description            string          `json:"description"`
	CreatedAt              string          `json:"created_at"`
	UpdatedAt              string          `json:"updated_at"`
	PublishedAt            *string         `json:"published_at"`
	EditedAt               string          `json:"edited_at"`
	ThemeID                *int            `json:"theme_id"`
	Type                   string          `json:"type"`
	LastSuccessfulSyncAt   *string         `json:"last_successful_sync_at"`
	LastSavedAt            string          `json:"last_saved_at"`
	Archived               bool            `json:"archived"`
	SpaceToken             string          `json:"space_token"`
	AccountID              int             `json:"account_id"`
	AccountUsername        string          `json:"account_username"`
	Public                 bool            `json:"public"`
	FullWidth              bool            `json:"full_width"`
	ManualRunDisabled      bool            `json:"manual_run_disabled"`
	DrillAnywhereEnabled   bool            `json:"drill_anywhere_enabled"`
	RunPrivately           bool            `json:"run_privately"`
	DrilldownsEnabled      bool            `json:"drilldowns_enabled"`
	Layout                 string          `json:"layout"`
	IsEmbedded             bool            `json:"is_embedded"`
	IsSigned               bool            `json:"is_signed"`
	ImportedDatasets       []importedJSON  `json:"imported_datasets"`
	Shared                 bool            `json:"shared"`
	ExpectedRuntime        float64         `json:"expected_runtime"`
	LastSuccessfullyRunAt  *string         `json:"last_successfully_run_at"`
	LastRunAt              *string         `json:"last_run_at"`
	WebPreviewImage        *string         `json:"web_preview_image"`
	LastSuccessfulRunToken *string         `json:"last_successful_run_token"`
	GithubLink             *string         `json:"github_link"`
	ThoughtspotPublishedAt *string         `json:"thoughtspot_published_at"` // always null: no ThoughtSpot here
	QueryCount             int             `json:"query_count"`
	MaxQueryCount          int             `json:"max_query_count"`
	ChartCount             int             `json:"chart_count"`
	RunsCount              int             `json:"runs_count"`
	SchedulesCount         int             `json:"schedules_count"`
	QueryPreview           string          `json:"query_preview"`
	ViewCount              int             `json:"view_count"`
	Links                  links           `json:"_links"`
	Forms                  map[string]form `json:"_forms"`
}

func (e *Emulator) reportJSON(rep *report) reportJSON {
	a := rep.ws.account
	ws := a.username
	rp := api(ws, "reports", rep.token)
	var lastTok *string
	if rep.lastSuccessRunTok != "" {
		t := rep.lastSuccessRunTok
		lastTok = &t
	}
	preview := ""
	if len(rep.queries) > 0 {
		preview = rep.queries[0].rawQuery
		if len(preview) > 150 {
			preview = preview[:150]
		}
	}
	// Mode's document requires both links on every report. Until the report has run (or run
	// successfully) there is no such run: they lead to the report's runs, where it would be.
	lastRun, lastSuccess := rp+"/runs", rp+"/runs"
	if n := len(rep.runs); n > 0 {
		lastRun = rp + "/runs/" + rep.runs[n-1].token
	}
	if rep.lastSuccessRunTok != "" {
		lastSuccess = rp + "/runs/" + rep.lastSuccessRunTok
	}
	j := reportJSON{
		Token: rep.token, ID: rep.id, Name: rep.name, Description: rep.description,
		CreatedAt: formatTime(rep.createdAt), UpdatedAt: formatTime(rep.updatedAt),
		PublishedAt: timePtr(rep.publishedAt), EditedAt: formatTime(rep.editedAt), Type: reportType(rep),
		LastSavedAt: formatTime(rep.editedAt), Archived: rep.archived, SpaceToken: rep.spaceToken, ManualRunDisabled: rep.manualRunDisabled,
		AccountID: a.id, AccountUsername: ws, Layout: "grid", ExpectedRuntime: 1.25,
		LastSuccessfullyRunAt: timePtr(rep.lastSuccessAt), LastRunAt: timePtr(rep.lastRunAt),
		LastSuccessfulRunToken: lastTok, QueryCount: len(rep.queries), MaxQueryCount: 160,
		ChartCount: rep.chartCount(), RunsCount: len(rep.runs), SchedulesCount: len(rep.schedules), QueryPreview: preview, ViewCount: rep.viewCount,
		ImportedDatasets: importedJSONs(rep),
		Links: links{
			"self":                href(rp),
			"web":                 href(web(ws, "reports", rep.token)),
			"web_edit":            href(web("editor", ws, "reports", rep.token)),
			"web_report_runs":     href(web(ws, "reports", rep.token, "runs")),
			"account":             href(api(ws)),
			"report_run":          {Href: rp + "/runs/{token}?embed[result]=1", Templated: true},
			"space":               href(api(ws, "collections", rep.spaceToken)),
			"queries":             href(rp + "/queries"),
			"report_runs":         href(rp + "/runs"),
			"report_pins":         href(rp + "/pins"),
			"report_schedules":    href(rp + "/schedules"),
			"report_filters":      href(rp + "/filters"),
			"last_run":            href(lastRun),
			"last_successful_run": href(lastSuccess),
			"creator":             href(api(rep.creator)),
			"perspective_email_subscription_memberships": href(rp + "/perspective_email_report_subscription_memberships"),
			"last_successful_github_sync":                href(rp + "/github_syncs/last_successful"),
		},
		Forms: map[string]form{
			"edit": {Method: "patch", Action: rp, Input: map[string]any{"report": map[string]any{
				"name": map[string]string{"type": "text", "value": rep.name}, "description": map[string]string{"type": "text", "value": rep.description}}}},
			"destroy":   {Method: "delete", Action: rp, Input: map[string]any{}},
			"archive":   {Method: "patch", Action: rp + "/archive", Input: map[string]any{}},
			"unarchive": {Method: "patch", Action: rp + "/unarchive", Input: map[string]any{}},
		},
	}
	if rep.dataset {
		datasetLinks(rep, j.Links)
	}
	return j
}

// listReportsIn lists the reports of st for which keep is true, applying filter/order/order_by,
// embedded under "reports". Datasets are not among them: Mode lists them on their own
// (listDatasetsIn).
func (e *Emulator) listReportsIn(w http.ResponseWriter, r *http.Request, st *store, keep func(*report) bool) {
	e.listIn(w, r, st, "reports", "", func(rep *report) bool { return !rep.dataset && keep(rep) })
}

// listIn answers one page of the reports (or datasets) of st for which keep is true, embedded
// under key, applying filter (defaultFilter when the request has none), order and order_by. Those
// the caller may not see (access.go) are left out.
func (e *Emulator) listIn(w http.ResponseWriter, r *http.Request, st *store, key, defaultFilter string, keep func(*report) bool) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	filter := q.Get("filter")
	if filter == "" {
		filter = defaultFilter
	}
	match, ok := reportFilter(filter)
	if !ok {
		badRequest(w, "Invalid filter: "+filter)
		return
	}
	order := q.Get("order")
	if order == "" {
		order = "desc"
	}
	orderBy := q.Get("order_by")
	if orderBy == "" {
		orderBy = "updated_at"
	}
	if (order != "asc" && order != "desc") || (orderBy != "created_at" && orderBy != "updated_at") {
		badRequest(w, "Invalid order or order_by")
		return
	}
	e.mu.Lock()
	var picked []*report
	for _, rep := range st.reports {
		if keep(rep) && match(rep) && canSeeReport(r, rep) {
			picked = append(picked, rep)
		}
	}
	slices.SortStableFunc(picked, func(a, b *report) int {
		ka, kb := a.updatedAt, b.updatedAt
		if orderBy == "created_at" {
			ka, kb = a.createdAt, b.createdAt
		}
		c := cmp.Or(ka.Compare(kb), cmp.Compare(a.id, b.id))
		if order == "desc" {
			c = -c
		}
		return c
	})
	all := make([]reportJSON, 0, len(picked))
	for _, rep := range picked {
		all = append(all, e.reportJSON(rep))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, key, all))
}

// reportFilter parses Mode's report list filter: "" (unarchived), "all", "archived", or
// "<created_at|updated_at>.<gt|lt>.<ISO time>" (unarchived reports in that time range).
func reportFilter(f string) (func(*report) bool, bool) {
	switch f {
	case "":
		return func(r *report) bool { return !r.archived }, true
	case "all":
		return func(*report) bool { return true }, true
	case "archived":
		return func(r *report) bool { return r.archived }, true
	}
	in, ok := timeRangeFilter(f)
	if !ok {
		return nil, false
	}
	return func(r *report) bool { return !r.archived && in(r.createdAt, r.updatedAt) }, true
}

// timeRangeFilter parses Mode's time filter "<created_at|updated_at>.<gt|lt>.<ISO time>" (report
// and run lists take it) into a test of an object's created and updated times.
func timeRangeFilter(f string) (in func(created, updated time.Time) bool, ok bool) {
	parts := strings.SplitN(f, ".", 3)
	if len(parts) != 3 || (parts[0] != "created_at" && parts[0] != "updated_at") || (parts[1] != "gt" && parts[1] != "lt") {
		return nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, parts[2])
	if err != nil {
		return nil, false
	}
	return func(created, updated time.Time) bool {
		v := updated
		if parts[0] == "created_at" {
			v = created
		}
		v = v.Truncate(time.Millisecond) // compared as the API shows times: to the millisecond
		if parts[1] == "gt" {
			return v.After(t)
		}
		return v.Before(t)
	}, true
}

func (e *Emulator) listSpaceReports(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	s := e.findSpace(r)
	e.mu.Unlock()
	if s == nil {
		notFound(w, "Space")
		return
	}
	e.listReportsIn(w, r, s.ws, func(rep *report) bool { return rep.spaceToken == s.token })
}

func (e *Emulator) listDataSourceReports(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	d := e.findDataSource(r)
	e.mu.Unlock()
	if d == nil {
		notFound(w, "Data source")
		return
	}
	e.listReportsIn(w, r, d.ws, func(rep *report) bool {
		return slices.ContainsFunc(rep.queries, func(q *query) bool { return q.dataSourceID == d.id })
	})
}

// withReport runs fn on the report named in the path while holding the lock, answering 404 when
// there is none; fn returns the status and body to answer.
func (e *Emulator) withReport(w http.ResponseWriter, r *http.Request, fn func(rep *report) (int, any, string)) {
	e.mu.Lock()
	rep := e.findReport(r)
	if rep == nil {
		e.mu.Unlock()
		notFound(w, "Report")
		return
	}
	status, body, msg := fn(rep)
	e.mu.Unlock()
	if status >= 400 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, body)
}

func (e *Emulator) getReport(w http.ResponseWriter, r *http.Request) {
	e.withReport(w, r, func(rep *report) (int, any, string) {
		return http.StatusOK, e.reportJSON(rep), ""
	})
}

// reportBody is the update body: {"report": {"name", "description", "space_token"}}.
type reportBody struct {
	Report *struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		SpaceToken  *string `json:"space_token"`
	} `json:"report"`
}

// decodeReportBody reads the update body of a report (or dataset), answering 400 and returning
// false when it is not one.
func decodeReportBody(w http.ResponseWriter, r *http.Request) (reportBody, bool) {
	var b reportBody
	if !decodeBody(w, r, &b) {
		return b, false
	}
	if b.Report == nil {
		badRequest(w, "param is missing or the value is empty: report")
		return b, false
	}
	return b, true
}

// apply sets what b gives onto rep (e.mu held), returning the status and message of a refusal
// (0 when applied).
func (b reportBody) apply(rep *report) (int, string) {
	if b.Report.Name != nil && strings.TrimSpace(*b.Report.Name) == "" {
		return http.StatusBadRequest, "Name can't be blank"
	}
	if b.Report.SpaceToken != nil && rep.ws.spaceByTok[*b.Report.SpaceToken] == nil {
		return http.StatusNotFound, "Space not found"
	}
	if b.Report.Name != nil {
		rep.name = strings.TrimSpace(*b.Report.Name)
	}
	if b.Report.Description != nil {
		rep.description = *b.Report.Description
	}
	if b.Report.SpaceToken != nil {
		rep.spaceToken = *b.Report.SpaceToken
	}
	rep.updatedAt = time.Now()
	rep.editedAt = rep.updatedAt
	return 0, ""
}

func (e *Emulator) updateReport(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeReportBody(w, r)
	if !ok {
		return
	}
	e.withReport(w, r, func(rep *report) (int, any, string) {
		if status, msg := b.apply(rep); status != 0 {
			return status, nil, msg
		}
		e.recordAudit(r, rep.ws, "report_updated", "report", rep.token, rep.name)
		return http.StatusOK, e.reportJSON(rep), ""
	})
}

func (e *Emulator) deleteReport(w http.ResponseWriter, r *http.Request) {
	e.withReport(w, r, func(rep *report) (int, any, string) {
		body := e.reportJSON(rep)
		rep.ws.remove(rep)
		e.recordAudit(r, rep.ws, "report_deleted", "report", rep.token, rep.name)
		return http.StatusOK, body, ""
	})
}

// remove deletes rep (a report or a dataset) from the workspace, with its queries, runs and
// schedules. Reports that imported it no longer show it (liveImports). Call with e.mu held.
func (st *store) remove(rep *report) {
	delete(st.reportByTok, rep.token)
	st.reports = slices.DeleteFunc(st.reports, func(x *report) bool { return x == rep })
}

func (e *Emulator) archiveReport(archived bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.withReport(w, r, func(rep *report) (int, any, string) {
			rep.archived = archived
			rep.updatedAt = time.Now()
			e.recordAudit(r, rep.ws, map[bool]string{true: "report_archived", false: "report_unarchived"}[archived], "report", rep.token, rep.name)
			return http.StatusOK, e.reportJSON(rep), ""
		})
	}
}
