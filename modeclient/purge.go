package modeclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Purges remove the results of report runs from Mode (retention). The runs stay: Mode sets
// their PurgeStartedAt and PurgeCompletedAt, and their results (QueryResultsCSV, …JSON, the
// whole run's and the PDF) answer 404 from then on (the emulator's reading; see
// ReportRun.Purged). Mode answers a purge 202, before it may have finished.
//
// Results are never cached, but finished runs and query runs are, for the finished-run TTL: a
// purge drops every cached run, query run and list of them of the workspace (the "runs:<ws>"
// tag), so that no cached run goes on showing results that are gone. A data source's purge
// reaches the runs that used it, which a cached run does not tell: it drops the workspace's
// runs too.

// Purged reports whether the run's results were purged (Mode set its purge_started_at): its
// results and PDF are gone, and reading them answers 404.
func (r *ReportRun) Purged() bool { return !r.PurgeStartedAt.IsZero() }

// purgeTags are what a purge of workspace ws invalidates: its runs.
func purgeTags(ws string) func(string) []string { return tags(runsScopeTag(ws)) }

// PurgeDataSourceResults removes the results of every report run that used a data source:
// POST /api/{workspace}/data_sources/{data_source}/purge (Mode answers 202). The data source is
// read first (GetDataSource; free when cached): one of another workspace is not found and
// nothing is purged. The workspace's cached runs are dropped (see above).
func (c *Client) PurgeDataSourceResults(ctx context.Context, workspace, dataSource string) error {
	p := dataSourcePath(workspace, dataSource).lit("purge")
	if p.err != nil {
		return p.err
	}
	if err := c.verifyDataSource(ctx, workspace, dataSource); err != nil {
		return err
	}
	_, _, err := c.writeBody(ctx, http.MethodPost, p, nil, nil, purgeTags(workspace))
	return err
}

// PurgeOptions narrow PurgeReportResultsWithOptions to the runs created in a span of days, with
// Mode's parameters of POST /api/{workspace}/reports/purge. Dates are days in UTC: only the year,
// month and day (in UTC) of the times count.
type PurgeOptions struct {
	// Before is Mode's time: without Through, the results of runs created before that day are
	// purged. Required.
	Before time.Time
	// Through is Mode's end_time, "up to and including the end date", which Mode offers to
	// split a large purge into smaller ones. With it, the emulator reads Before as where the
	// span starts, and purges the runs created from that day through this one, both included
	// (our reading of Mode's document). Zero: none.
	Through time.Time
	// SkipInProgress sends in_progress=false: runs whose purge is already in progress are left
	// out (Mode's default, in_progress=true, includes them).
	SkipInProgress bool
}

// PurgeReportResults removes the results of every report run of a workspace created so far:
// POST /api/{workspace}/reports/purge?time=<tomorrow, UTC> (Mode answers 202). The
// workspace's cached runs are dropped (see above). For a span of days, use
// PurgeReportResultsWithOptions.
func (c *Client) PurgeReportResults(ctx context.Context, workspace string) error {
	return c.PurgeReportResultsWithOptions(ctx, workspace, PurgeOptions{Before: c.now().UTC().AddDate(0, 0, 1)})
}

// PurgeReportResultsWithOptions removes the results of the report runs of a workspace created
// in the span of days opts names: POST /api/{workspace}/reports/purge?time=…[&end_time=…]
// [&in_progress=false] (Mode answers 202). The workspace's cached runs are dropped (see above).
func (c *Client) PurgeReportResultsWithOptions(ctx context.Context, workspace string, opts PurgeOptions) error {
	p := newPath(workspace).lit("reports").lit("purge")
	if p.err != nil {
		return p.err
	}
	if opts.Before.IsZero() {
		return &InvalidArgumentError{Field: "time", Reason: "must be set"}
	}
	const day = "2006-01-02"
	q := url.Values{"time": {opts.Before.UTC().Format(day)}}
	if !opts.Through.IsZero() {
		if opts.Through.UTC().Format(day) < q.Get("time") {
			return &InvalidArgumentError{Field: "end_time", Reason: "must not be before time"}
		}
		q.Set("end_time", opts.Through.UTC().Format(day))
	}
	if opts.SkipInProgress {
		q.Set("in_progress", strconv.FormatBool(false))
	}
	_, _, err := c.writeBody(ctx, http.MethodPost, p, q, nil, purgeTags(workspace))
	return err
}
