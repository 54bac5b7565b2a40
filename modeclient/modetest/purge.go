package modetest

import (
	"net/http"
	"strconv"
	"time"
)

// Purges of report results: of the runs that used one data source
// (POST /api/{ws}/data_sources/{data_source}/purge) and of every report of a workspace by
// creation date (POST /api/{ws}/reports/purge?time=…). Both answer 202 with an empty body.
//
// A purge removes results, not runs: as Mode's retention policy says, "query and run histories
// will remain, but the results will be deleted". A purged run keeps its state and its query
// runs; its purge_started_at and purge_completed_at are set; its results (whole run and per
// query run, JSON and CSV) and its PDF export answer 404 not_found, Mode's word for a thing that
// is not there, with a message saying the results were purged; its content, preview and
// pdf_export links are left out (the query runs' result link stays: Mode's document requires
// it). Only finished runs have results to purge: a run still going when a purge comes is left
// alone, and keeps the results it ends with. The emulator purges at once: purge_started_at and
// purge_completed_at are the same instant, and no purge is ever in progress. A run purged once
// keeps the times of that first purge.

// purgeRun marks run's results purged at now, once. Call with e.mu held.
func purgeRun(run *reportRun, now time.Time) {
	if !finished(run.state) || !run.purgeStartedAt.IsZero() {
		return
	}
	run.purgeStartedAt, run.purgeCompletedAt = now, now
}

// purged reports whether run's results were purged. Call with e.mu held.
func (run *reportRun) purged() bool { return !run.purgeStartedAt.IsZero() }

// purgedMessage is the message of the 404 that purged results answer.
func purgedMessage(what string, run *reportRun) string {
	return what + " were purged at " + formatTime(run.purgeStartedAt) + ": run the report again for fresh results"
}

// purgeDataSource purges the results of every finished run, of any report of the data source's
// workspace, that has a query run on the data source ("Removes all report results that use a
// data source").
func (e *Emulator) purgeDataSource(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	d := e.findDataSource(r)
	if d == nil {
		e.mu.Unlock()
		notFound(w, "Data source")
		return
	}
	now := time.Now()
	for _, rep := range d.ws.reports {
		for _, run := range rep.runs {
			for _, qr := range run.queryRuns {
				if qr.dataSource == d {
					purgeRun(run, now)
					break
				}
			}
		}
	}
	e.recordAudit(r, d.ws, "data_source_results_purged", "data_source", d.token, d.name)
	e.mu.Unlock()
	writeEmpty(w, http.StatusAccepted)
}

// dateLayout is the form of the purge's dates: "YYYY-MM-DD".
const dateLayout = "2006-01-02"

// purgeReports purges the results of the workspace's finished runs by the day they were created
// (UTC), with Mode's query parameters: time (required, "YYYY-MM-DD"), end_time (optional) and
// in_progress (optional boolean, default true).
//
// Our reading of Mode's document, which describes time as "all records older than the date" and
// end_time as "purge records up to and including the end date", meant to split a large purge
// into smaller ones: without end_time, runs created before the day time names are purged; with
// end_time, time is where the range starts, and runs created from the day time names through the
// day end_time names (both included) are purged. in_progress includes runs whose purge is in
// progress: the emulator has none (see above), so it changes nothing but must be a boolean.
func (e *Emulator) purgeReports(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("time") == "" {
		badRequest(w, "param is missing or the value is empty: time")
		return
	}
	from, err := time.Parse(dateLayout, q.Get("time"))
	if err != nil {
		badRequest(w, "Invalid time: must be a date, YYYY-MM-DD")
		return
	}
	in := func(created time.Time) bool { return created.Before(from) }
	if v := q.Get("end_time"); v != "" {
		through, err := time.Parse(dateLayout, v)
		if err != nil {
			badRequest(w, "Invalid end_time: must be a date, YYYY-MM-DD")
			return
		}
		if through.Before(from) {
			badRequest(w, "end_time must not be before time")
			return
		}
		end := through.AddDate(0, 0, 1)
		in = func(created time.Time) bool { return !created.Before(from) && created.Before(end) }
	}
	if v := q.Get("in_progress"); v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			badRequest(w, "Invalid in_progress: must be true or false")
			return
		}
	}
	e.mu.Lock()
	now := time.Now()
	for _, rep := range urlWS(r).reports {
		for _, run := range rep.runs {
			if in(run.createdAt.UTC()) {
				purgeRun(run, now)
			}
		}
	}
	e.recordAudit(r, urlWS(r), "report_results_purged", "workspace", urlWS(r).account.token, urlWS(r).account.username)
	e.mu.Unlock()
	writeEmpty(w, http.StatusAccepted)
}
