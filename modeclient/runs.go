package modeclient

import (
	"context"
	"iter"
	"net/http"
)

// ReportRun is one run of a report. State is one of "pending",
// "enqueued", "running_notebook", "succeeded", "failed", "cancelled",
// "completed".
type ReportRun struct {
	Token                             string     `json:"token"`
	State                             string     `json:"state"`
	Parameters                        Parameters `json:"parameters"`
	PythonState                       String     `json:"python_state"`
	CreatedAt                         Time       `json:"created_at"`
	UpdatedAt                         Time       `json:"updated_at"`
	CompletedAt                       Time       `json:"completed_at"`
	PurgeStartedAt                    Time       `json:"purge_started_at"`
	PurgeCompletedAt                  Time       `json:"purge_completed_at"`
	IsLatestReportRun                 Bool       `json:"is_latest_report_run"`
	IsLatestSuccessfulReportRun       Bool       `json:"is_latest_successful_report_run"`
	ReportHasFailuresSinceLastSuccess Bool       `json:"report_has_failures_since_last_success"`
	Links                             Links      `json:"_links"`
}

// Finished reports whether the run reached a terminal state.
func (r *ReportRun) Finished() bool { return terminalState(r.State) }

// WebURL returns the run's page for a person (its "web_external_url" or "share" link).
func (r *ReportRun) WebURL() string {
	if h := r.Links.Href("web_external_url"); h != "" {
		return h
	}
	return r.Links.Href("share")
}

// ListRunsOptions are the options of ListReportRuns (same filter and
// ordering as report lists).
type ListRunsOptions = ListReportsOptions

func runsPath(ws, report string) *apiPath { return reportPath(ws, report).lit("runs") }

// runWriteTags are invalidated by anything that creates a run of report.
func runWriteTags(ws, report string) func(string) []string {
	return tags(reportListTag(ws, report, "runs"), apiPathOf(reportPath(ws, report)))
}

// RunReport starts a run of a report with the given parameter values (nil
// for none): POST /api/{workspace}/reports/{report}/runs with
// {"parameters": {…}}. Mode answers 202 with the run, usually not finished:
// poll GetReportRun. The report is read first (GetReport; free when
// cached): one of another workspace is not found and is not run (see
// checkOwner).
func (c *Client) RunReport(ctx context.Context, workspace, report string, params map[string]any) (*ReportRun, error) {
	if err := c.verifyReport(ctx, workspace, report); err != nil {
		return nil, err
	}
	if params == nil {
		params = map[string]any{}
	}
	body := struct {
		Parameters map[string]any `json:"parameters"`
	}{params}
	var r ReportRun
	if err := c.write(ctx, http.MethodPost, runsPath(workspace, report), body, &r, runWriteTags(workspace, report)); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetReportRun returns one run: GET /api/{workspace}/reports/{report}/runs/{run}.
// Finished runs are cached for the finished TTL, others not at all; the
// first fetch that shows the run finished invalidates the report, the report
// lists and the report's run lists, whose last run it changed.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetReportRun(ctx context.Context, workspace, report, run string) (*ReportRun, error) {
	return getJSON[ReportRun](ctx, c, runPath(workspace, report, run), nil, c.reportRunPolicy(workspace, report))
}

// ListReportRunsPage returns one page of a report's runs:
// GET /api/{workspace}/reports/{report}/runs.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListReportRunsPage(ctx context.Context, workspace, report string, page int, opts *ListRunsOptions) (*Page[ReportRun], error) {
	q, page, err := c.pageQuery(page, opts.listOptions())
	if err != nil {
		return nil, err
	}
	if err := opts.query(q); err != nil {
		return nil, err
	}
	return listPage[ReportRun](ctx, c, runsPath(workspace, report), q, page, "report_runs", c.reportRunListPolicy(workspace, report))
}

// ListReportRuns iterates over all of a report's runs, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListReportRuns(ctx context.Context, workspace, report string, opts *ListRunsOptions) iter.Seq2[ReportRun, error] {
	return listAll(func(page int) (*Page[ReportRun], error) {
		return c.ListReportRunsPage(ctx, workspace, report, page, opts)
	}, func(r ReportRun) string { return r.Token })
}

// CloneReportRun starts a new run with the parameters of an earlier one:
// POST /api/{workspace}/reports/{report}/runs/{run}/clone. (Mode refuses it
// to workspace API tokens.) The run is read first (GetReportRun; free when
// it is cached, as finished runs are): one of another workspace is not
// found and is not cloned (see checkOwner).
func (c *Client) CloneReportRun(ctx context.Context, workspace, report, run string) (*ReportRun, error) {
	if err := c.verifyReportRun(ctx, workspace, report, run); err != nil {
		return nil, err
	}
	var r ReportRun
	if err := c.write(ctx, http.MethodPost, runPath(workspace, report, run).lit("clone"), nil, &r, runWriteTags(workspace, report)); err != nil {
		return nil, err
	}
	return &r, nil
}
