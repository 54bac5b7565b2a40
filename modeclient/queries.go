package modeclient

import (
	"context"
	"iter"
	"net/http"
)

// Query is one SQL query of a report.
type Query struct {
	ID                 Int    `json:"id"`
	Token              string `json:"token"`
	Name               string `json:"name"`
	RawQuery           string `json:"raw_query"`
	DataSourceID       Int    `json:"data_source_id"`
	LastRunID          Int    `json:"last_run_id"`
	ExplorationsCount  Int    `json:"explorations_count"`
	ReportImportsCount Int    `json:"report_imports_count"`
	CreatedAt          Time   `json:"created_at"`
	UpdatedAt          Time   `json:"updated_at"`
	Links              Links  `json:"_links"`
}

// QueryCreate is the body of CreateQuery.
type QueryCreate struct {
	RawQuery     string `json:"raw_query"`
	DataSourceID int64  `json:"data_source_id"`
	Name         string `json:"name,omitempty"`
}

// QueryUpdate is the body of UpdateQuery: nil fields are left unchanged.
type QueryUpdate struct {
	RawQuery     *string `json:"raw_query,omitempty"`
	DataSourceID *int64  `json:"data_source_id,omitempty"`
	Name         *string `json:"name,omitempty"`
}

func queriesPath(ws, report string) *apiPath { return reportPath(ws, report).lit("queries") }

func queryPath(ws, report, query string) *apiPath {
	return queriesPath(ws, report).tok("query", query)
}

// ListQueriesPage returns one page of a report's queries:
// GET /api/{workspace}/reports/{report}/queries.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListQueriesPage(ctx context.Context, workspace, report string, page int, opts *ListOptions) (*Page[Query], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(reportListTag(workspace, report, "queries"), reportScopeTag(workspace, report))
	return listPage[Query](ctx, c, queriesPath(workspace, report), q, page, "queries", policy)
}

// ListQueries iterates over all of a report's queries, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListQueries(ctx context.Context, workspace, report string, opts *ListOptions) iter.Seq2[Query, error] {
	return listAll(func(page int) (*Page[Query], error) {
		return c.ListQueriesPage(ctx, workspace, report, page, opts)
	}, func(q Query) string { return q.Token })
}

// GetQuery returns one query: GET /api/{workspace}/reports/{report}/queries/{query}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetQuery(ctx context.Context, workspace, report, query string) (*Query, error) {
	return getJSON[Query](ctx, c, queryPath(workspace, report, query), nil, c.metadata(reportScopeTag(workspace, report)))
}

// CreateQuery adds a query to a report: POST
// /api/{workspace}/reports/{report}/queries with {"query": {…}}. The report
// is read first (GetReport; free when cached): one of another workspace is
// not found and gains no query (see checkOwner).
func (c *Client) CreateQuery(ctx context.Context, workspace, report string, in QueryCreate) (*Query, error) {
	if in.RawQuery == "" {
		return nil, &InvalidArgumentError{Field: "raw_query", Reason: "must not be empty"}
	}
	if in.DataSourceID < 1 {
		return nil, &InvalidArgumentError{Field: "data_source_id", Reason: "must be positive"}
	}
	if err := c.verifyReport(ctx, workspace, report); err != nil {
		return nil, err
	}
	body := struct {
		Query QueryCreate `json:"query"`
	}{in}
	var q Query
	if err := c.write(ctx, http.MethodPost, queriesPath(workspace, report), body, &q,
		tags(reportListTag(workspace, report, "queries"), apiPathOf(reportPath(workspace, report)),
			reportListTag(workspace, report, "fields"))); err != nil {
		return nil, err
	}
	return &q, nil
}

// UpdateQuery changes a query: PATCH
// /api/{workspace}/reports/{report}/queries/{query} with {"query": {…}}.
// (Query writes also drop a dataset's fields: those of a dataset that has not
// run are its query's.)
// The query is read first (GetQuery; free when cached): one of another
// workspace is not found and is left as it is (see checkOwner).
func (c *Client) UpdateQuery(ctx context.Context, workspace, report, query string, in QueryUpdate) (*Query, error) {
	if in.RawQuery == nil && in.DataSourceID == nil && in.Name == nil {
		return nil, &InvalidArgumentError{Field: "query", Reason: "nothing to update"}
	}
	if in.DataSourceID != nil && *in.DataSourceID < 1 {
		return nil, &InvalidArgumentError{Field: "data_source_id", Reason: "must be positive"}
	}
	if err := c.verifyQuery(ctx, workspace, report, query); err != nil {
		return nil, err
	}
	body := struct {
		Query QueryUpdate `json:"query"`
	}{in}
	var q Query
	// The query's own path also tags its charts, their list and the filters that read it
	// (chartPolicy, reportFilterPolicy): they go too.
	if err := c.write(ctx, http.MethodPatch, queryPath(workspace, report, query), body, &q,
		tags(reportListTag(workspace, report, "queries"), reportListTag(workspace, report, "fields"))); err != nil {
		return nil, err
	}
	return &q, nil
}

// DeleteQuery removes a query from a report, with its charts and the report's filters that read
// it: DELETE /api/{workspace}/reports/{report}/queries/{query}. The query is read
// first (GetQuery; free when cached): one of another workspace is not found
// and the DELETE is not sent; the deleted query Mode answers must belong to
// the workspace too (checkOwner).
func (c *Client) DeleteQuery(ctx context.Context, workspace, report, query string) error {
	if err := c.verifyQuery(ctx, workspace, report, query); err != nil {
		return err
	}
	// Mode deletes the query's charts and the report's filters that read it: the query's own
	// path tags its charts, their list and those filters (chartPolicy, reportFilterPolicy), and
	// the report's filter list goes too, as does the report (query_count, chart_count).
	return c.write(ctx, http.MethodDelete, queryPath(workspace, report, query), nil, new(Query),
		tags(reportListTag(workspace, report, "queries"), apiPathOf(reportPath(workspace, report)),
			reportListTag(workspace, report, "filters"), reportListTag(workspace, report, "fields")))
}
