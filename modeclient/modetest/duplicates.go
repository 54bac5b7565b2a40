package modetest

import (
	"net/http"
	"time"
)

// Report run duplicates (Mode's "ReportRunDuplicate"): POST …/runs/{run}/duplicates copies the
// report as it was in that run, with the run and its results, into a new report in a collection
// (collection_id, a space token; the source report's own space without it). Mode enqueues the
// copy and answers the duplicate at once (200); GET …/duplicates/{duplicate} tells how it went.
// Mode's document names ReportRunDuplicate without defining it: the emulator answers a token, a
// state (enqueued, then succeeded or failed), its times, the collection and, once done, the new
// report's token, with links to the source report and run, the collection and the new report.
// Only a finished run can be duplicated (400 otherwise), into a collection of the same workspace
// (400 for an unknown collection_id).

// runDuplicate is one duplication of a run.
type runDuplicate struct {
	token       string
	run         *reportRun
	space       *space
	state       string
	createdAt   time.Time
	updatedAt   time.Time
	completedAt time.Time
	newReport   *report // set once succeeded
}

type runDuplicateJSON struct {
	Token           string  `json:"token"`
	State           string  `json:"state"`
	CreatedAt       string  `json:"created_at"`
	UpdatedAt       string  `json:"updated_at"`
	CompletedAt     *string `json:"completed_at"`
	ReportToken     string  `json:"report_token"`
	ReportRunToken  string  `json:"report_run_token"`
	CollectionToken string  `json:"collection_token"`
	NewReportToken  *string `json:"new_report_token"`
	Links           links   `json:"_links"`
}

func (e *Emulator) duplicateJSON(d *runDuplicate) runDuplicateJSON {
	rep := d.run.report
	ws := rep.ws.account.username
	rp := api(ws, "reports", rep.token, "runs", d.run.token)
	j := runDuplicateJSON{
		Token: d.token, State: d.state, CreatedAt: formatTime(d.createdAt), UpdatedAt: formatTime(d.updatedAt),
		CompletedAt: timePtr(d.completedAt), ReportToken: rep.token, ReportRunToken: d.run.token, CollectionToken: d.space.token,
		Links: links{
			"self":       href(rp + "/duplicates/" + d.token),
			"report":     href(api(ws, "reports", rep.token)),
			"report_run": href(rp),
			"collection": href(api(ws, "spaces", d.space.token)),
			"account":    href(api(ws)),
		},
	}
	if d.newReport != nil {
		j.NewReportToken = &d.newReport.token
		j.Links["new_report"] = href(api(ws, "reports", d.newReport.token))
	}
	return j
}

func (e *Emulator) duplicateRun(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Mode emulator is shutting down")
		return
	}
	rep, run, ok := e.lookupRun(w, r)
	if !ok {
		e.mu.Unlock()
		return
	}
	if !finished(run.state) {
		e.mu.Unlock()
		badRequest(w, "Report run "+run.token+" has not finished: only a finished run can be duplicated")
		return
	}
	sp := rep.ws.spaceByTok[rep.spaceToken]
	if c := r.URL.Query().Get("collection_id"); c != "" {
		if sp = rep.ws.spaceByTok[c]; sp == nil {
			e.mu.Unlock()
			badRequest(w, "Unknown collection_id: "+c)
			return
		}
	}
	if sp == nil {
		e.mu.Unlock()
		badRequest(w, "The report is in no collection: give collection_id")
		return
	}
	now := time.Now()
	d := &runDuplicate{token: rep.ws.newToken("duplicate"), run: run, space: sp, state: stateEnqueued, createdAt: now, updatedAt: now}
	run.duplicates = append(run.duplicates, d)
	e.recordAudit(r, rep.ws, "report_run_duplicated", "report_run_duplicate", d.token, rep.name)
	body := e.duplicateJSON(d)
	e.wg.Add(1)
	go e.completeDuplicate(d)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// completeDuplicate makes the copy after the run duration: a new report in the duplicate's
// collection, named "Copy of …", with the source run's queries and a succeeded run of them with
// the same parameters and rendered SQL (so its results read as the source run's).
func (e *Emulator) completeDuplicate(d *runDuplicate) {
	defer e.wg.Done()
	if !e.sleep(e.ctx, e.cfg.runDuration) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	src, st := d.run.report, d.run.report.ws
	now := time.Now()
	rep := &report{
		ws: st, id: st.id("report", 90_000), token: st.newToken("report"), name: "Copy of " + src.name,
		description: src.description, spaceToken: d.space.token, creator: st.members[0].username,
		createdAt: now, updatedAt: now, editedAt: now, publishedAt: now,
	}
	run := &reportRun{
		id: st.id("run", 3_000_000), token: st.newToken("run"), report: rep, state: stateSucceeded,
		parameters: d.run.parameters, createdAt: now, updatedAt: now, completedAt: now, executedBy: rep.creator,
	}
	for _, qr := range d.run.queryRuns {
		q := &query{
			id: st.id("query", 5_000_000), token: st.newToken("query"), name: qr.queryName, rawQuery: qr.rawSource,
			dataSourceID: qr.dataSource.id, creator: rep.creator, createdAt: now, updatedAt: now,
		}
		c := &queryRun{
			id: st.id("query_run", 8_000_000), token: st.newToken("query_run"), run: run,
			queryToken: q.token, queryName: q.name, queryCreatedAt: now, dataSource: qr.dataSource,
			rawSource: qr.rawSource, renderedSource: qr.renderedSource, parameters: qr.parameters,
			state: qr.state, createdAt: now, completedAt: now,
			errorCode: qr.errorCode, errorType: qr.errorType, errorMessage: qr.errorMessage,
		}
		q.lastRunID = c.id
		rep.queries = append(rep.queries, q)
		run.queryRuns = append(run.queryRuns, c)
	}
	run.state = d.run.state
	rep.runs = append(rep.runs, run)
	rep.lastRunAt = now
	if run.state == stateSucceeded {
		rep.lastSuccessAt, rep.lastSuccessRunTok = now, run.token
	}
	st.reports = append(st.reports, rep)
	st.reportByTok[rep.token] = rep
	d.newReport, d.state, d.updatedAt, d.completedAt = rep, stateSucceeded, now, now
}

func (e *Emulator) getRunDuplicate(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	_, run, ok := e.lookupRun(w, r)
	if !ok {
		e.mu.Unlock()
		return
	}
	tok := r.PathValue("duplicate")
	for _, d := range run.duplicates {
		if d.token == tok {
			body := e.duplicateJSON(d)
			e.mu.Unlock()
			writeJSON(w, http.StatusOK, body)
			return
		}
	}
	e.mu.Unlock()
	notFound(w, "Report run duplicate")
}
