package service

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Query runs and queries of ReportService: ListQueryRuns, GetQueryRun,
// ListQueries, GetQuery, CreateQuery, UpdateQuery, DeleteQuery. The result
// streams of a query run live in results.go.

// Update mask paths UpdateQuery accepts.
const (
	queryPathDisplayName = "display_name"
	queryPathSQL         = "sql"
	queryPathDataSource  = "data_source"
)

// ListQueryRuns lists the query runs of a report run, one per query of the
// report.
func (s *ReportServer) ListQueryRuns(ctx context.Context, req *connect.Request[modeplatformv1.ListQueryRunsRequest]) (*connect.Response[modeplatformv1.ListQueryRunsResponse], error) {
	page, err := listOf(ctx, s.core, req.Msg, patRun,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.QueryRun], error) {
			return cl.ListQueryRunsPage(ctx, ids[0], ids[1], ids[2], modePage, nil)
		},
		func(_ *modeclient.Client, ids []string, q *modeclient.QueryRun) *modeplatformv1.QueryRun {
			return queryRunFromMode(ids[0], ids[1], ids[2], q)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListQueryRunsResponse{QueryRuns: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetQueryRun returns one query run.
func (s *ReportServer) GetQueryRun(ctx context.Context, req *connect.Request[modeplatformv1.GetQueryRunRequest]) (*connect.Response[modeplatformv1.GetQueryRunResponse], error) {
	v, err := getOf(ctx, s.core, req.Msg, patQueryRun,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.QueryRun, error) {
			return cl.GetQueryRun(ctx, ids[0], ids[1], ids[2], ids[3])
		},
		func(cl *modeclient.Client, ids []string, v *modeclient.QueryRun) *modeplatformv1.QueryRun {
			return queryRunFromMode(ids[0], ids[1], ids[2], v)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetQueryRunResponse{QueryRun: v}), nil
}

// ListQueries lists the queries of a report.
func (s *ReportServer) ListQueries(ctx context.Context, req *connect.Request[modeplatformv1.ListQueriesRequest]) (*connect.Response[modeplatformv1.ListQueriesResponse], error) {
	m := req.Msg
	if w, ok := workspaceWide(m.GetParent(), "/reports/-"); ok {
		return s.listWorkspaceQueries(ctx, m, w)
	}
	ids, err := parseName("parent", m.GetParent(), patReport)
	if err != nil {
		return nil, err
	}
	if err := validated(m); err != nil { // page_size, page_token and the list's own fields
		return nil, err
	}
	w, r := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	dsx := newQueryDataSources(cl, w)
	page, err := listPage(ctx, s.core, m,
		func(ctx context.Context, modePage int) (*modeclient.Page[modeclient.Query], error) {
			p, err := cl.ListQueriesPage(ctx, w, r, modePage, nil)
			if err != nil {
				return nil, err
			}
			// translate cannot fail or call Mode: learn the page's data
			// sources before it runs.
			for i := range p.Items {
				if err := dsx.learn(ctx, int64(p.Items[i].DataSourceID)); err != nil {
					return nil, err
				}
			}
			return p, nil
		},
		func(q *modeclient.Query) *modeplatformv1.Query { return queryFromMode(w, r, q, dsx) })
	if err != nil {
		return nil, upstreamError(err, m.GetParent())
	}
	return connect.NewResponse(&modeplatformv1.ListQueriesResponse{
		Queries: page.items, NextPageToken: page.next, TotalSize: page.total,
	}), nil
}

// GetQuery returns one query of a report.
func (s *ReportServer) GetQuery(ctx context.Context, req *connect.Request[modeplatformv1.GetQueryRequest]) (*connect.Response[modeplatformv1.GetQueryResponse], error) {
	name := req.Msg.GetName()
	ids, err := parseQueryName("name", name)
	if err != nil {
		return nil, err
	}
	w, r := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	q, err := cl.GetQuery(ctx, w, r, ids[2])
	if err != nil {
		return nil, upstreamError(err, name)
	}
	dsx := newQueryDataSources(cl, w)
	if err := dsx.learn(ctx, int64(q.DataSourceID)); err != nil {
		return nil, upstreamError(err, workspaceName(w)+"/dataSources")
	}
	return connect.NewResponse(&modeplatformv1.GetQueryResponse{Query: queryFromMode(w, r, q, dsx)}), nil
}

// CreateQuery adds a query to a report. A request_id makes it safe to retry:
// within the de-duplication window the same id answers the query the first
// call created.
func (s *ReportServer) CreateQuery(ctx context.Context, req *connect.Request[modeplatformv1.CreateQueryRequest]) (*connect.Response[modeplatformv1.CreateQueryResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // query, its sql and data_source required; request_id
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patReport)
	if err != nil {
		return nil, err
	}
	w, r := ids[0], ids[1]
	in := m.GetQuery()
	dsToken, err := parseDataSourceIn("query.data_source", w, in.GetDataSource())
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	fingerprint := requestFingerprint("CreateQuery", m.GetParent(), in.GetSql(), in.GetDataSource(), in.GetDisplayName())
	created, err := do(ctx, s.core.creates, "CreateQuery\x00"+w+"\x00"+r, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.Query, error) {
			dsID, err := dataSourceID(ctx, cl, "query.data_source", w, dsToken, in.GetDataSource())
			if err != nil {
				return nil, err
			}
			q, err := cl.CreateQuery(ctx, w, r, modeclient.QueryCreate{
				RawQuery: in.GetSql(), DataSourceID: dsID, Name: in.GetDisplayName(),
			})
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			dsx := newQueryDataSources(cl, w)
			dsx.add(dsID, dsToken)
			if err := dsx.learn(ctx, int64(q.DataSourceID)); err != nil {
				// The query exists: answer it without its data source
				// rather than fail a create that happened.
				s.core.log.WarnContext(ctx, "CreateQuery: cannot name the new query's data source", "query", q.Token, "error", err)
			}
			return queryFromMode(w, r, q, dsx), nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.CreateQueryResponse{Query: created}), nil
}

// UpdateQuery changes the fields of a query named in update_mask.
func (s *ReportServer) UpdateQuery(ctx context.Context, req *connect.Request[modeplatformv1.UpdateQueryRequest]) (*connect.Response[modeplatformv1.UpdateQueryResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the mask's paths; sql and data_source not set to empty
		return nil, err
	}
	in := m.GetQuery()
	ids, err := parseQueryName("query.name", in.GetName())
	if err != nil {
		return nil, err
	}
	w, r, qt := ids[0], ids[1], ids[2]
	var upd modeclient.QueryUpdate
	dsToken := ""
	for _, p := range updatePaths(m.GetUpdateMask(), queryPathDisplayName, queryPathSQL, queryPathDataSource) {
		switch p {
		case queryPathDisplayName:
			name := in.GetDisplayName()
			upd.Name = &name
		case queryPathSQL:
			sql := in.GetSql()
			upd.RawQuery = &sql
		case queryPathDataSource:
			if dsToken, err = parseDataSourceIn("query.data_source", w, in.GetDataSource()); err != nil {
				return nil, err
			}
		}
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	dsx := newQueryDataSources(cl, w)
	if dsToken != "" {
		id, err := dataSourceID(ctx, cl, "query.data_source", w, dsToken, in.GetDataSource())
		if err != nil {
			return nil, err
		}
		upd.DataSourceID = &id
		dsx.add(id, dsToken)
	}
	q, err := cl.UpdateQuery(ctx, w, r, qt, upd)
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	if err := dsx.learn(ctx, int64(q.DataSourceID)); err != nil {
		// The change is made: answer it without the data source rather
		// than report a write that happened as failed.
		s.core.log.WarnContext(ctx, "UpdateQuery: cannot name the query's data source", "query", in.GetName(), "error", err)
	}
	return connect.NewResponse(&modeplatformv1.UpdateQueryResponse{Query: queryFromMode(w, r, q, dsx)}), nil
}

// DeleteQuery removes a query from its report.
func (s *ReportServer) DeleteQuery(ctx context.Context, req *connect.Request[modeplatformv1.DeleteQueryRequest]) (*connect.Response[modeplatformv1.DeleteQueryResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patQuery,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteQuery(ctx, ids[0], ids[1], ids[2])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteQueryResponse{}), nil
}

// parseQueryRunName parses workspaces/{w}/reports/{r}/runs/{run}/queryRuns/{qr}.
func parseQueryRunName(field, name string) ([]string, error) {
	return parseName(field, name, patQueryRun)
}

// parseQueryName parses workspaces/{w}/reports/{r}/queries/{q}.
func parseQueryName(field, name string) ([]string, error) {
	return parseName(field, name, patQuery)
}

// parseDataSourceIn parses a data source name of request field (a query's or
// a definition's data_source) and checks that it is in workspace w: Mode
// addresses a data source by a number that means nothing in another
// workspace.
func parseDataSourceIn(field, w, name string) (string, error) {
	ids, err := parseName(field, name, patDataSource)
	if err != nil {
		return "", err
	}
	if ids[0] != w {
		return "", invalidArgument(field, "must be a data source of workspace "+strconv.Quote(w))
	}
	return ids[1], nil
}

// dataSourceID resolves a data source token to Mode's numeric id, which is
// what Mode's query and definition bodies take; field is the request field
// that named it. A data source Mode does not know is the
// caller's mistake in the request field, not a missing parent.
func dataSourceID(ctx context.Context, cl *modeclient.Client, field, w, token, name string) (int64, error) {
	d, err := cl.GetDataSource(ctx, w, token)
	if err != nil {
		var api *modeclient.APIError
		if errors.As(err, &api) && (api.StatusCode == http.StatusNotFound || api.StatusCode == http.StatusGone) {
			return 0, invalidArgument(field, "names a data source that does not exist: "+name)
		}
		return 0, upstreamError(err, name)
	}
	if d.ID < 1 {
		e := connect.NewError(connect.CodeInternal, errorf("Mode gave no id for %s", name))
		errdetail.AddInfo(e, ReasonUpstreamBadResponse, nil)
		return 0, e
	}
	return int64(d.ID), nil
}

// queryDataSources maps Mode's numeric data source ids, which is all a Mode
// query says of its data source, to tokens for resource names. It reads the
// workspace's data source list (a cached metadata list) at most once, and
// only for an id it does not know yet.
type queryDataSources struct {
	cl     *modeclient.Client
	ws     string
	byID   map[int64]string
	loaded bool
}

func newQueryDataSources(cl *modeclient.Client, ws string) *queryDataSources {
	return &queryDataSources{cl: cl, ws: ws, byID: map[int64]string{}}
}

// add records that id is the data source token.
func (x *queryDataSources) add(id int64, token string) { x.byID[id] = token }

// learn makes sure id is known, reading the list when it is not. An id that
// is not in the list (a data source the credential cannot see) stays
// unknown; it is not an error.
func (x *queryDataSources) learn(ctx context.Context, id int64) error {
	if id < 1 || x.loaded {
		return nil
	}
	if _, ok := x.byID[id]; ok {
		return nil
	}
	x.loaded = true
	for d, err := range x.cl.ListDataSources(ctx, x.ws, nil) {
		if err != nil {
			x.loaded = false
			return err
		}
		if d.ID > 0 && d.Token != "" {
			x.byID[int64(d.ID)] = d.Token
		}
	}
	return nil
}

// name returns the resource name of the data source id, or "" when unknown.
func (x *queryDataSources) name(id int64) string {
	if t, ok := x.byID[id]; ok && validToken(t) {
		return dataSourceName(x.ws, t)
	}
	return ""
}

// queryFromMode translates a Mode query of report r in workspace w.
func queryFromMode(w, r string, q *modeclient.Query, dsx *queryDataSources) *modeplatformv1.Query {
	return &modeplatformv1.Query{
		Name:        queryName(w, r, q.Token),
		DisplayName: q.Name,
		Sql:         q.RawQuery,
		DataSource:  dsx.name(int64(q.DataSourceID)),
		CreateTime:  timestamp(q.CreatedAt),
		UpdateTime:  timestamp(q.UpdatedAt),
	}
}

// queryRunStateFromMode maps a Mode query run state (modeclient's one table
// of them); an unknown one is STATE_UNSPECIFIED. Query runs have no notebook
// state of their own: running_notebook reads as running.
func queryRunStateFromMode(s string) modeplatformv1.QueryRun_State {
	switch modeclient.ParseRunState(s) {
	case modeclient.RunStatePending:
		return modeplatformv1.QueryRun_STATE_PENDING
	case modeclient.RunStateEnqueued:
		return modeplatformv1.QueryRun_STATE_ENQUEUED
	case modeclient.RunStateRunning, modeclient.RunStateRunningNotebook:
		return modeplatformv1.QueryRun_STATE_RUNNING
	case modeclient.RunStateSucceeded:
		return modeplatformv1.QueryRun_STATE_SUCCEEDED
	case modeclient.RunStateFailed:
		return modeplatformv1.QueryRun_STATE_FAILED
	case modeclient.RunStateCancelled:
		return modeplatformv1.QueryRun_STATE_CANCELLED
	case modeclient.RunStateCompleted:
		return modeplatformv1.QueryRun_STATE_COMPLETED
	}
	return modeplatformv1.QueryRun_STATE_UNSPECIFIED
}

// queryRunFromMode translates a Mode query run of run in report r of
// workspace w.
func queryRunFromMode(w, r, run string, q *modeclient.QueryRun) *modeplatformv1.QueryRun {
	out := &modeplatformv1.QueryRun{
		Name:             queryRunName(w, r, run, q.Token),
		State:            queryRunStateFromMode(q.State),
		QueryDisplayName: q.QueryName,
		RawSql:           q.RawSource,
		RenderedSql:      q.RenderedSource,
		MaxResultBytes:   max(int64(q.MaxResultBytes), 0),
		RowLimit:         int64(q.Limit),
		CreateTime:       timestamp(q.CreatedAt),
		CompleteTime:     timestamp(q.CompletedAt),
	}
	if validToken(q.QueryToken) {
		out.Query = queryName(w, r, q.QueryToken)
	}
	if validToken(q.DataSourceToken) {
		out.DataSource = dataSourceName(w, q.DataSourceToken)
	}
	if out.State == modeplatformv1.QueryRun_STATE_FAILED {
		out.Error = &modeplatformv1.QueryRun_Error{
			Code: string(q.ErrorCode), Type: string(q.ErrorType), Message: string(q.ErrorMessage),
		}
	}
	return out
}
