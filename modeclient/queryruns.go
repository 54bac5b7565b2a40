package modeclient

import (
	"context"
	"iter"
)

// QueryRun is the run of one query within a report run. State is one of
// "enqueued", "running", "succeeded", "failed", "cancelled"; a failed run
// carries ErrorCode, ErrorType and ErrorMessage.
type QueryRun struct {
	ID              Int        `json:"id"`
	Token           string     `json:"token"`
	State           string     `json:"state"`
	QueryToken      string     `json:"query_token"`
	QueryName       string     `json:"query_name"`
	QueryCreatedAt  Time       `json:"query_created_at"`
	RawSource       string     `json:"raw_source"`
	RenderedSource  string     `json:"rendered_source"` // SQL after parameters
	Parameters      Parameters `json:"parameters"`
	DataSourceID    Int        `json:"data_source_id"`
	DataSourceToken string     `json:"data_source_token"`
	MaxResultBytes  Int        `json:"max_result_bytes"`
	Limit           Limit      `json:"limit"` // the row limit the query ran with; 0: none
	CreatedAt       Time       `json:"created_at"`
	CompletedAt     Time       `json:"completed_at"`
	ErrorCode       String     `json:"error_code"`
	ErrorType       String     `json:"error_type"`
	ErrorMessage    String     `json:"error_message"`
	Links           Links      `json:"_links"`
}

// Finished reports whether the query run reached a terminal state.
func (q *QueryRun) Finished() bool { return terminalState(q.State) }

func queryRunsPath(ws, report, run string) *apiPath {
	return runPath(ws, report, run).lit("query_runs")
}

// ListQueryRunsPage returns one page of a report run's query runs:
// GET /api/{workspace}/reports/{report}/runs/{run}/query_runs.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListQueryRunsPage(ctx context.Context, workspace, report, run string, page int, opts *ListOptions) (*Page[QueryRun], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.runListPolicy(reportScopeTag(workspace, report), runsScopeTag(workspace))
	return listPage[QueryRun](ctx, c, queryRunsPath(workspace, report, run), q, page, "query_runs", policy)
}

// ListQueryRuns iterates over all query runs of a report run, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListQueryRuns(ctx context.Context, workspace, report, run string, opts *ListOptions) iter.Seq2[QueryRun, error] {
	return listAll(func(page int) (*Page[QueryRun], error) {
		return c.ListQueryRunsPage(ctx, workspace, report, run, page, opts)
	}, func(q QueryRun) string { return q.Token })
}

// GetQueryRun returns one query run:
// GET /api/{workspace}/reports/{report}/runs/{run}/query_runs/{query_run}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetQueryRun(ctx context.Context, workspace, report, run, queryRun string) (*QueryRun, error) {
	p := queryRunPath(workspace, report, run, queryRun)
	return getJSON[QueryRun](ctx, c, p, nil, c.runPolicy(reportScopeTag(workspace, report), runsScopeTag(workspace)))
}
