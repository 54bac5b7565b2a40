package modetest

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Report runs and query runs, and the asynchronous life of a run.

const maxResultBytes = 10240 << 20 // the account's query_run_size_limit_mb, in bytes

type reportRunJSON struct {
	ID                                int             `json:"id"`
	Token                             string          `json:"token"`
	State                             string          `json:"state"`
	Parameters                        map[string]any  `json:"parameters"`
	CreatedAt                         string          `json:"created_at"`
	UpdatedAt                         string          `json:"updated_at"`
	CompletedAt                       *string         `json:"completed_at"`
	PurgeStartedAt                    *string         `json:"purge_started_at"`
	PurgeCompletedAt                  *string         `json:"purge_completed_at"`
	PythonState                       string          `json:"python_state"`
	FormFields                        []formFieldJSON `json:"form_fields"`
	IsLatestReportRun                 bool            `json:"is_latest_report_run"`
	IsLatestSuccessfulReportRun       bool            `json:"is_latest_successful_report_run"`
	ReportHasFailuresSinceLastSuccess bool            `json:"report_has_failures_since_last_success"`
	PusherChannelName                 string          `json:"pusher_channel_name"`
	Links                             links           `json:"_links"`
}

func (e *Emulator) runJSON(run *reportRun) reportRunJSON {
	rep := run.report
	ws := rep.ws.account.username
	rp := api(ws, "reports", rep.token, "runs", run.token)
	failuresSince := false
	for i := len(rep.runs) - 1; i >= 0 && rep.runs[i].token != rep.lastSuccessRunTok; i-- {
		if rep.runs[i].state == stateFailed {
			failuresSince = true
		}
	}
	params := run.parameters
	if params == nil {
		params = map[string]any{}
	}
	j := reportRunJSON{
		ID: run.id, Token: run.token, State: run.state, Parameters: params,
		CreatedAt: formatTime(run.createdAt), UpdatedAt: formatTime(run.updatedAt), CompletedAt: timePtr(run.completedAt),
		PurgeStartedAt: timePtr(run.purgeStartedAt), PurgeCompletedAt: timePtr(run.purgeCompletedAt),
		PythonState: "none", FormFields: formFieldsJSON(runForm(run)),
		IsLatestReportRun:                 rep.runs[len(rep.runs)-1] == run,
		IsLatestSuccessfulReportRun:       rep.lastSuccessRunTok == run.token,
		ReportHasFailuresSinceLastSuccess: failuresSince,
		PusherChannelName:                 "report-run-" + run.token,
		Links: links{
			"self":             href(rp),
			"report":           href(api(ws, "reports", rep.token)),
			"query_runs":       href(rp + "/query_runs"),
			"clone":            href(rp + "/clone"),
			"content":          href(rp + "/results/content.json"),
			"preview":          href(rp + "/results/content.json?limit=100"),
			"account":          href(api(ws)),
			"executed_by":      href(api(run.executedBy)),
			"share":            href(web(ws, "reports", rep.token, "runs", run.token)),
			"web_external_url": href(web(ws, "reports", rep.token, "runs", run.token)),
			"web_clone":        href(web(ws, "reports", rep.token, "runs", run.token, "clone")),
		},
	}
	if s := run.schedule; s != nil {
		j.Links["report_schedule"] = href(api(ws, "reports", rep.token, "schedules", s.token))
	}
	switch {
	case run.purged():
		// Its results and PDF are gone (purge.go): no link leads to them.
		delete(j.Links, "content")
		delete(j.Links, "preview")
	case run.state == stateSucceeded:
		j.Links["pdf_export"] = href(api(ws, "reports", rep.token, "exports", "runs", run.token, "pdf", "download"))
	}
	return j
}

type queryRunJSON struct {
	ID              int            `json:"id"`
	Token           string         `json:"token"`
	RawSource       string         `json:"raw_source"`
	State           string         `json:"state"`
	CreatedAt       string         `json:"created_at"`
	CompletedAt     *string        `json:"completed_at"`
	DataSourceID    int            `json:"data_source_id"`
	DataSourceToken string         `json:"data_source_token"`
	Limit           bool           `json:"limit"`
	QueryToken      string         `json:"query_token"`
	QueryName       string         `json:"query_name"`
	QueryCreatedAt  string         `json:"query_created_at"`
	DbtMetricID     *int           `json:"dbt_metric_id"`
	Parameters      map[string]any `json:"parameters"`
	RenderedSource  string         `json:"rendered_source"`
	MaxResultBytes  int64          `json:"max_result_bytes"`
	HelpURL         *string        `json:"help_url"`
	ErrorCode       *string        `json:"error_code"`
	ErrorType       *string        `json:"error_type"`
	ErrorMessage    *string        `json:"error_message"`
	Links           links          `json:"_links"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (e *Emulator) queryRunJSON(qr *queryRun) queryRunJSON {
	run := qr.run
	ws := run.report.ws.account.username
	rp := api(ws, "reports", run.report.token, "runs", run.token)
	qp := rp + "/query_runs/" + qr.token
	j := queryRunJSON{
		ID: qr.id, Token: qr.token, RawSource: qr.rawSource, State: qr.state,
		CreatedAt: formatTime(qr.createdAt), CompletedAt: timePtr(qr.completedAt),
		DataSourceID: qr.dataSource.id, DataSourceToken: qr.dataSource.token,
		QueryToken: qr.queryToken, QueryName: qr.queryName, QueryCreatedAt: formatTime(qr.queryCreatedAt),
		Parameters: qr.parameters, RenderedSource: qr.renderedSource, MaxResultBytes: maxResultBytes,
		ErrorCode: optString(qr.errorCode), ErrorType: optString(qr.errorType), ErrorMessage: optString(qr.errorMessage),
		Links: links{
			"self":           href(qp),
			"query":          href(api(ws, "reports", run.report.token, "queries", qr.queryToken)),
			"result":         href(qp + "/results/content.json"),
			"result_web":     href(web(ws, "reports", run.report.token, "runs", run.token, "query_runs", qr.token, "results")),
			"query_web":      href(web("editor", ws, "reports", run.report.token, "queries", qr.queryToken)),
			"report_run":     href(rp),
			"report_run_web": href(web(ws, "reports", run.report.token, "runs", run.token)),
			"executed_by":    href(api(run.executedBy)),
		},
	}
	if qr.state == stateFailed {
		j.HelpURL = optString("https://mode.com/help/articles/troubleshooting-queries")
	}
	return j
}

// runBody is the run request body: {"parameters": {...}}.
type runBody struct {
	Parameters map[string]any `json:"parameters"`
}

// startRun creates a run of rep with these parameters and starts it. Call with e.mu held.
func (e *Emulator) startRun(rep *report, params map[string]any) *reportRun {
	now := time.Now()
	st := rep.ws
	run := &reportRun{
		id: st.id("run", 3_000_000), token: st.newToken("run"), report: rep, state: stateEnqueued,
		parameters: params, createdAt: now, updatedAt: now, executedBy: st.members[0].username,
	}
	for _, q := range rep.queries {
		ds := st.dataByID[q.dataSourceID]
		expanded, err := st.expandDefinitions(q.rawQuery, q.dataSourceID)
		rendered, effective := renderSQL(expanded, params)
		qr := &queryRun{
			id: st.id("query_run", 8_000_000), token: st.newToken("query_run"), run: run,
			queryToken: q.token, queryName: q.name, queryCreatedAt: q.createdAt, dataSource: ds,
			rawSource: q.rawQuery, renderedSource: rendered, parameters: effective,
			state: stateEnqueued, createdAt: now,
		}
		if err != nil {
			qr.renderErr = err.Error()
		}
		q.lastRunID = qr.id
		run.queryRuns = append(run.queryRuns, qr)
	}
	rep.runs = append(rep.runs, run)
	rep.lastRunAt = now
	e.wg.Add(1)
	go e.execute(run)
	return run
}

// execute moves run from enqueued to succeeded or failed, and its query runs through enqueued →
// running → succeeded/failed. A report run has no "running" state in Mode's document (its states
// are pending, enqueued, running_notebook, succeeded, failed, cancelled, completed): it stays
// enqueued while its query runs run. The SQL of each query run is executed (up to its first row)
// while running, to learn whether it fails; results are read later by executing the rendered
// SQL again at read time (see results.go).
func (e *Emulator) execute(run *reportRun) {
	defer e.wg.Done()
	half := e.cfg.runDuration / 2
	if !e.sleep(e.ctx, half) {
		return
	}
	e.mu.Lock()
	now := time.Now()
	run.updatedAt = now
	sqls := make([]string, len(run.queryRuns))
	renderErrs := make([]string, len(run.queryRuns))
	for i, qr := range run.queryRuns {
		qr.state = stateRunning
		sqls[i], renderErrs[i] = qr.renderedSource, qr.renderErr
	}
	e.mu.Unlock()

	errs := make([]error, len(sqls))
	for i, sql := range sqls {
		if renderErrs[i] != "" {
			errs[i] = errors.New(renderErrs[i])
			continue
		}
		errs[i] = e.checkSQL(e.ctx, sql)
	}
	if e.ctx.Err() != nil || !e.sleep(e.ctx, e.cfg.runDuration-half) {
		return
	}

	e.mu.Lock()
	now = time.Now()
	failed := false
	for i, qr := range run.queryRuns {
		qr.completedAt = now
		if errs[i] != nil {
			failed = true
			qr.state = stateFailed
			qr.errorCode, qr.errorType, qr.errorMessage = "QUERY_ERROR", "SQLException", sqlErrorMessage(errs[i])
			continue
		}
		qr.state = stateSucceeded
	}
	run.state, run.updatedAt, run.completedAt = stateSucceeded, now, now
	if failed {
		run.state = stateFailed
		e.mu.Unlock()
		return
	}
	rep := run.report
	rep.lastSuccessAt = now
	rep.lastSuccessRunTok = run.token
	scheduled := e.scheduledRunSucceeded(run)
	e.mu.Unlock()
	if scheduled {
		e.afterScheduledRun(rep.ws, rep, run.schedule, run)
	}
}

// checkSQL executes sql on the demo database up to its first row.
func (e *Emulator) checkSQL(ctx context.Context, sql string) error {
	if strings.TrimSpace(sql) == "" {
		return errors.New("empty query")
	}
	rows, err := e.ds.db.QueryContext(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	rows.Next()
	return rows.Err()
}

// sqlErrorMessage strips the driver's prefix from a SQL error, as a database's own message reads.
func sqlErrorMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "SQL logic error") {
		msg = msg[i+2:]
	}
	return msg
}

func (e *Emulator) createRun(w http.ResponseWriter, r *http.Request) {
	var b runBody
	if !decodeBody(w, r, &b) {
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Mode emulator is shutting down")
		return
	}
	rep := e.findReport(r)
	if rep == nil {
		e.mu.Unlock()
		notFound(w, "Report")
		return
	}
	if refuseManualRun(w, rep) {
		e.mu.Unlock()
		return
	}
	run := e.startRun(rep, b.Parameters)
	e.recordAudit(r, rep.ws, "report_run", "report_run", run.token, rep.name)
	body := e.runJSON(run)
	e.mu.Unlock()
	writeJSON(w, http.StatusAccepted, body)
}

func (e *Emulator) cloneRun(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Mode emulator is shutting down")
		return
	}
	rep, run, ok := e.lookupRun(w, r)
	if !ok || refuseManualRun(w, rep) {
		e.mu.Unlock()
		return
	}
	clone := e.startRun(rep, run.parameters)
	e.recordAudit(r, rep.ws, "report_run_cloned", "report_run", clone.token, rep.name)
	body := e.runJSON(clone)
	e.mu.Unlock()
	writeJSON(w, http.StatusAccepted, body)
}

// lookupRun finds the report and run of the path (e.mu held), answering 404 when missing.
func (e *Emulator) lookupRun(w http.ResponseWriter, r *http.Request) (*report, *reportRun, bool) {
	rep := e.findReport(r)
	if rep == nil {
		notFound(w, "Report")
		return nil, nil, false
	}
	run := rep.run(r.PathValue("run"))
	if run == nil {
		notFound(w, "Report run")
		return nil, nil, false
	}
	return rep, run, true
}

func (e *Emulator) listRuns(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	pick, ok := runsQuery(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	rep := e.findReport(r)
	if rep == nil {
		e.mu.Unlock()
		notFound(w, "Report")
		return
	}
	runs := pick(rep.runs)
	all := make([]reportRunJSON, 0, len(runs))
	for _, run := range runs {
		all = append(all, e.runJSON(run))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "report_runs", all))
}

// runsQuery reads the filter, order and order_by of a list of runs (Mode's report and dataset run
// lists take the same three), answering 400 and returning false when one is invalid. pick
// returns the runs (given oldest first) the list shows, in its order: newest first by default.
func runsQuery(w http.ResponseWriter, r *http.Request) (pick func(runs []*reportRun) []*reportRun, ok bool) {
	q := r.URL.Query()
	order := cmp.Or(q.Get("order"), "desc")
	if order != "asc" && order != "desc" {
		badRequest(w, "Invalid order: "+order)
		return nil, false
	}
	orderBy := cmp.Or(q.Get("order_by"), "created_at")
	if orderBy != "created_at" && orderBy != "updated_at" {
		badRequest(w, "Invalid order_by: "+orderBy)
		return nil, false
	}
	in := func(created, updated time.Time) bool { return true }
	if f := q.Get("filter"); f != "" {
		if in, ok = timeRangeFilter(f); !ok {
			badRequest(w, "Invalid filter: "+f)
			return nil, false
		}
	}
	return func(all []*reportRun) []*reportRun {
		runs := make([]*reportRun, 0, len(all))
		for _, run := range all { // in creation order
			if in(run.createdAt, run.updatedAt) {
				runs = append(runs, run)
			}
		}
		if orderBy == "updated_at" {
			slices.SortStableFunc(runs, func(a, b *reportRun) int { return a.updatedAt.Compare(b.updatedAt) })
		}
		if order == "desc" {
			slices.Reverse(runs)
		}
		return runs
	}, true
}

func (e *Emulator) getRun(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	_, run, ok := e.lookupRun(w, r)
	if !ok {
		e.mu.Unlock()
		return
	}
	body := e.runJSON(run)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (e *Emulator) listQueryRuns(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	_, run, ok := e.lookupRun(w, r)
	if !ok {
		e.mu.Unlock()
		return
	}
	all := make([]queryRunJSON, 0, len(run.queryRuns))
	for _, qr := range run.queryRuns {
		all = append(all, e.queryRunJSON(qr))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "query_runs", all))
}

func (e *Emulator) getQueryRun(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	_, run, ok := e.lookupRun(w, r)
	if !ok {
		e.mu.Unlock()
		return
	}
	qr := run.queryRun(r.PathValue("query_run"))
	if qr == nil {
		e.mu.Unlock()
		notFound(w, "Query run")
		return
	}
	body := e.queryRunJSON(qr)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
