package service_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Helpers of the query and result tests carry the prefix qt.

// qtFinishedRun runs report with params straight through the Mode client
// and waits until the run has finished; it returns the run's token.
func qtFinishedRun(t testing.TB, e *env, report string, params map[string]any) string {
	t.Helper()
	ctx := testContext(t)
	run, err := e.client.RunReport(ctx, e.demo.Workspace, report, params)
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !run.Finished() {
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %s", run.Token, run.State)
		}
		time.Sleep(5 * time.Millisecond)
		if run, err = e.client.GetReportRun(ctx, e.demo.Workspace, report, run.Token); err != nil {
			t.Fatalf("GetReportRun: %v", err)
		}
	}
	return run.Token
}

// qtQueryRuns lists a run's query runs through the Mode client.
func qtQueryRuns(t testing.TB, e *env, report, run string) []modeclient.QueryRun {
	t.Helper()
	var out []modeclient.QueryRun
	for qr, err := range e.client.ListQueryRuns(testContext(t), e.demo.Workspace, report, run, nil) {
		if err != nil {
			t.Fatalf("ListQueryRuns: %v", err)
		}
		out = append(out, qr)
	}
	if len(out) == 0 {
		t.Fatalf("run %s has no query runs", run)
	}
	return out
}

// qtRunName and friends format the demo's resource names.
func qtRunName(e *env, report, run string) string { return e.reportName(report) + "/runs/" + run }
func qtQueryRunName(e *env, report, run, qr string) string {
	return qtRunName(e, report, run) + "/queryRuns/" + qr
}
func qtQueryName(e *env, report, q string) string { return e.reportName(report) + "/queries/" + q }

// qtReason returns the ErrorInfo reason of a Connect error, or "".
func qtReason(err error) string {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return ""
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if info, ok := v.(*errdetails.ErrorInfo); ok {
				return info.GetReason()
			}
		}
	}
	return ""
}

// qtMultiQueryReport returns a demo report with at least two queries.
func qtMultiQueryReport(t testing.TB, e *env) string {
	t.Helper()
	for _, r := range e.demo.Reports {
		n := 0
		for _, err := range e.client.ListQueries(testContext(t), e.demo.Workspace, r, nil) {
			if err != nil {
				t.Fatalf("ListQueries: %v", err)
			}
			n++
		}
		if n >= 2 {
			return r
		}
	}
	t.Fatal("no demo report has two queries")
	return ""
}

func TestListQueryRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	paramRun := qtFinishedRun(t, e, e.demo.ParamReport, map[string]any{"region": "West"})
	multi := qtMultiQueryReport(t, e)
	multiRun := qtFinishedRun(t, e, multi, nil)
	var wantMulti []string
	for _, qr := range qtQueryRuns(t, e, multi, multiRun) {
		wantMulti = append(wantMulti, qtQueryRunName(e, multi, multiRun, qr.Token))
	}
	wantParam := qtQueryRuns(t, e, e.demo.ParamReport, paramRun)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)

			// The param report has one query: one page, no next token.
			res, err := c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: qtRunName(e, e.demo.ParamReport, paramRun), PageSize: 1}))
			if err != nil {
				t.Fatalf("ListQueryRuns: %v", err)
			}
			if got := res.Msg.GetQueryRuns(); len(got) != 1 || res.Msg.GetNextPageToken() != "" ||
				got[0].GetName() != qtQueryRunName(e, e.demo.ParamReport, paramRun, wantParam[0].Token) ||
				got[0].GetState() != modeplatformv1.QueryRun_STATE_SUCCEEDED {
				t.Fatalf("ListQueryRuns = %v", res.Msg)
			}

			// Pages of one through a report with several queries.
			parent := qtRunName(e, multi, multiRun)
			var got []string
			token := ""
			for page := 0; ; page++ {
				if page > len(wantMulti) {
					t.Fatalf("more pages than query runs: %v", got)
				}
				res, err := c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: parent, PageSize: 1, PageToken: token}))
				if err != nil {
					t.Fatalf("ListQueryRuns page %d: %v", page, err)
				}
				if n := len(res.Msg.GetQueryRuns()); n > 1 {
					t.Fatalf("page %d has %d query runs, want at most 1", page, n)
				}
				for _, qr := range res.Msg.GetQueryRuns() {
					got = append(got, qr.GetName())
				}
				if token = res.Msg.GetNextPageToken(); token == "" {
					break
				}
				// The token is bound to its request.
				_, err = c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: qtRunName(e, e.demo.ParamReport, paramRun), PageToken: token}))
				if ce := wantCode(t, err, connect.CodeInvalidArgument); !strings.Contains(ce.Message(), "page_token") {
					t.Errorf("foreign token error %q does not name page_token", ce.Message())
				}
			}
			if strings.Join(got, " ") != strings.Join(wantMulti, " ") {
				t.Fatalf("paged query runs = %v, want %v", got, wantMulti)
			}

			// A run that does not exist.
			missing := qtRunName(e, e.demo.ParamReport, "0123456789ab")
			_, err = c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: missing}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
		})
	}
}

func TestGetQueryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	run := qtFinishedRun(t, e, e.demo.ParamReport, map[string]any{"region": "West"})
	mqr := qtQueryRuns(t, e, e.demo.ParamReport, run)[0]
	failRun := qtFinishedRun(t, e, e.demo.FailingReport, nil)
	fqr := qtQueryRuns(t, e, e.demo.FailingReport, failRun)[0]
	mq, err := e.client.GetQuery(testContext(t), e.demo.Workspace, e.demo.ParamReport, mqr.QueryToken)
	if err != nil {
		t.Fatalf("GetQuery: %v", err)
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)
			name := qtQueryRunName(e, e.demo.ParamReport, run, mqr.Token)
			res, err := c.rs.GetQueryRun(ctx, connect.NewRequest(&modeplatformv1.GetQueryRunRequest{Name: name}))
			if err != nil {
				t.Fatalf("GetQueryRun: %v", err)
			}
			qr := res.Msg.GetQueryRun()
			checks := []struct {
				field string
				ok    bool
			}{
				{"name", qr.GetName() == name},
				{"state", qr.GetState() == modeplatformv1.QueryRun_STATE_SUCCEEDED},
				{"query", qr.GetQuery() == qtQueryName(e, e.demo.ParamReport, mq.Token)},
				{"query_display_name", qr.GetQueryDisplayName() == mq.Name && mq.Name != ""},
				{"data_source", qr.GetDataSource() == e.dataSourceName()},
				{"raw_sql", qr.GetRawSql() == mq.RawQuery && strings.Contains(qr.GetRawSql(), "{{ region }}")},
				{"rendered_sql", strings.Contains(qr.GetRenderedSql(), "'West'") && !strings.Contains(qr.GetRenderedSql(), "{{")},
				{"row_limit", qr.GetRowLimit() == 0},
				{"max_result_bytes", qr.GetMaxResultBytes() == int64(mqr.MaxResultBytes) && qr.GetMaxResultBytes() > 0},
				{"create_time", qr.GetCreateTime().AsTime().Equal(mqr.CreatedAt.Time)},
				{"complete_time", qr.GetCompleteTime() != nil && !qr.GetCompleteTime().AsTime().Before(qr.GetCreateTime().AsTime())},
				{"error", qr.GetError() == nil},
			}
			for _, ch := range checks {
				if !ch.ok {
					t.Errorf("%s wrong in %v", ch.field, qr)
				}
			}

			// A failed query run says why.
			res, err = c.rs.GetQueryRun(ctx, connect.NewRequest(&modeplatformv1.GetQueryRunRequest{Name: qtQueryRunName(e, e.demo.FailingReport, failRun, fqr.Token)}))
			if err != nil {
				t.Fatalf("GetQueryRun failed run: %v", err)
			}
			if f := res.Msg.GetQueryRun(); f.GetState() != modeplatformv1.QueryRun_STATE_FAILED || f.GetError().GetMessage() == "" ||
				f.GetError().GetMessage() != string(fqr.ErrorMessage) || f.GetError().GetType() != string(fqr.ErrorType) {
				t.Errorf("failed query run = %v", f)
			}

			missing := qtQueryRunName(e, e.demo.ParamReport, run, "0123456789ab")
			_, err = c.rs.GetQueryRun(ctx, connect.NewRequest(&modeplatformv1.GetQueryRunRequest{Name: missing}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
		})
	}
}

func TestListAndGetQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	multi := qtMultiQueryReport(t, e)
	var want []modeclient.Query
	for q, err := range e.client.ListQueries(testContext(t), e.demo.Workspace, multi, nil) {
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, q)
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)
			parent := e.reportName(multi)
			var got []*modeplatformv1.Query
			token := ""
			for page := 0; ; page++ {
				if page > len(want) {
					t.Fatalf("more pages than queries")
				}
				res, err := c.rs.ListQueries(ctx, connect.NewRequest(&modeplatformv1.ListQueriesRequest{Parent: parent, PageSize: 1, PageToken: token}))
				if err != nil {
					t.Fatalf("ListQueries: %v", err)
				}
				if len(res.Msg.GetQueries()) > 1 {
					t.Fatalf("page %d has %d queries", page, len(res.Msg.GetQueries()))
				}
				got = append(got, res.Msg.GetQueries()...)
				if token = res.Msg.GetNextPageToken(); token == "" {
					break
				}
			}
			if len(got) != len(want) {
				t.Fatalf("listed %d queries, want %d", len(got), len(want))
			}
			for i, q := range got {
				w := want[i]
				if q.GetName() != qtQueryName(e, multi, w.Token) || q.GetDisplayName() != w.Name || q.GetSql() != w.RawQuery ||
					q.GetDataSource() != e.dataSourceName() || !q.GetCreateTime().AsTime().Equal(w.CreatedAt.Time) ||
					!q.GetUpdateTime().AsTime().Equal(w.UpdatedAt.Time) {
					t.Errorf("query %d = %v, want from %+v", i, q, w)
				}
				res, err := c.rs.GetQuery(ctx, connect.NewRequest(&modeplatformv1.GetQueryRequest{Name: q.GetName()}))
				if err != nil {
					t.Fatalf("GetQuery: %v", err)
				}
				if g := res.Msg.GetQuery(); g.GetName() != q.GetName() || g.GetSql() != q.GetSql() || g.GetDataSource() != q.GetDataSource() ||
					g.GetDisplayName() != q.GetDisplayName() {
					t.Errorf("GetQuery = %v, want %v", g, q)
				}
			}
			missing := qtQueryName(e, multi, "0123456789ab")
			_, err := c.rs.GetQuery(ctx, connect.NewRequest(&modeplatformv1.GetQueryRequest{Name: missing}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
		})
	}
}

func TestQueryLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	report := e.demo.Reports[0]
	parent := e.reportName(report)
	createPath := "/api/" + e.demo.Workspace + "/reports/" + report + "/queries"
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := testContext(t)
			c := e.clients(p)
			sql := "SELECT id, name FROM accounts -- " + p.name
			req := &modeplatformv1.CreateQueryRequest{
				Parent:    parent,
				Query:     &modeplatformv1.Query{Sql: sql, DataSource: e.dataSourceName(), DisplayName: "Accounts " + p.name},
				RequestId: "create-" + p.name,
			}
			posts := e.mode.CountRequests(http.MethodPost, createPath)
			first, err := c.rs.CreateQuery(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("CreateQuery: %v", err)
			}
			q := first.Msg.GetQuery()
			if !strings.HasPrefix(q.GetName(), parent+"/queries/") || q.GetSql() != sql || q.GetDisplayName() != "Accounts "+p.name ||
				q.GetDataSource() != e.dataSourceName() || q.GetCreateTime() == nil || q.GetUpdateTime() == nil {
				t.Fatalf("created %v", q)
			}
			again, err := c.rs.CreateQuery(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("CreateQuery again: %v", err)
			}
			if again.Msg.GetQuery().GetName() != q.GetName() {
				t.Fatalf("retry created %s, first %s", again.Msg.GetQuery().GetName(), q.GetName())
			}
			if n := e.mode.CountRequests(http.MethodPost, createPath) - posts; n != 1 {
				t.Fatalf("%d POSTs upstream for one request_id, want 1", n)
			}
			// The same id with other content is refused.
			other := &modeplatformv1.CreateQueryRequest{Parent: parent, Query: &modeplatformv1.Query{Sql: "SELECT 1", DataSource: e.dataSourceName()}, RequestId: req.RequestId}
			_, err = c.rs.CreateQuery(ctx, connect.NewRequest(other))
			if ce := wantCode(t, err, connect.CodeInvalidArgument); !strings.Contains(ce.Message(), "request_id") {
				t.Errorf("reused request_id error %q", ce.Message())
			}

			// Update only the fields in the mask.
			upd, err := c.rs.UpdateQuery(ctx, connect.NewRequest(&modeplatformv1.UpdateQueryRequest{
				Query:      &modeplatformv1.Query{Name: q.GetName(), DisplayName: "Renamed", Sql: "SELECT 'ignored'"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
			}))
			if err != nil {
				t.Fatalf("UpdateQuery display_name: %v", err)
			}
			if u := upd.Msg.GetQuery(); u.GetDisplayName() != "Renamed" || u.GetSql() != sql || u.GetName() != q.GetName() || u.GetDataSource() != e.dataSourceName() {
				t.Fatalf("after display_name update: %v", u)
			}
			upd, err = c.rs.UpdateQuery(ctx, connect.NewRequest(&modeplatformv1.UpdateQueryRequest{
				Query:      &modeplatformv1.Query{Name: q.GetName(), Sql: "SELECT 2", DataSource: e.dataSourceName()},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"sql", "data_source"}},
			}))
			if err != nil {
				t.Fatalf("UpdateQuery sql: %v", err)
			}
			if u := upd.Msg.GetQuery(); u.GetDisplayName() != "Renamed" || u.GetSql() != "SELECT 2" || u.GetDataSource() != e.dataSourceName() {
				t.Fatalf("after sql update: %v", u)
			}
			got, err := c.rs.GetQuery(ctx, connect.NewRequest(&modeplatformv1.GetQueryRequest{Name: q.GetName()}))
			if err != nil {
				t.Fatalf("GetQuery: %v", err)
			}
			if g := got.Msg.GetQuery(); g.GetSql() != "SELECT 2" || g.GetDisplayName() != "Renamed" {
				t.Fatalf("GetQuery after updates: %v", g)
			}
			// `*` replaces every field the method changes (AIP-134).
			upd, err = c.rs.UpdateQuery(ctx, connect.NewRequest(&modeplatformv1.UpdateQueryRequest{
				Query:      &modeplatformv1.Query{Name: q.GetName(), DisplayName: "Replaced", Sql: "SELECT 3", DataSource: e.dataSourceName()},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
			}))
			if err != nil {
				t.Fatalf("UpdateQuery(*): %v", err)
			}
			if u := upd.Msg.GetQuery(); u.GetDisplayName() != "Replaced" || u.GetSql() != "SELECT 3" || u.GetDataSource() != e.dataSourceName() {
				t.Fatalf("after * update: %v", u)
			}

			if _, err := c.rs.DeleteQuery(ctx, connect.NewRequest(&modeplatformv1.DeleteQueryRequest{Name: q.GetName()})); err != nil {
				t.Fatalf("DeleteQuery: %v", err)
			}
			_, err = c.rs.GetQuery(ctx, connect.NewRequest(&modeplatformv1.GetQueryRequest{Name: q.GetName()}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), q.GetName()) {
				t.Errorf("NotFound after delete %q does not name %s", ce.Message(), q.GetName())
			}
			_, err = c.rs.DeleteQuery(ctx, connect.NewRequest(&modeplatformv1.DeleteQueryRequest{Name: q.GetName()}))
			wantCode(t, err, connect.CodeNotFound)
		})
	}
}

func TestCreateQueryUnknownDataSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	c := e.clients(protocols[0])
	_, err := c.rs.CreateQuery(testContext(t), connect.NewRequest(&modeplatformv1.CreateQueryRequest{
		Parent: e.reportName(e.demo.Reports[0]),
		Query:  &modeplatformv1.Query{Sql: "SELECT 1", DataSource: e.ws + "/dataSources/0123456789ab"},
	}))
	if ce := wantCode(t, err, connect.CodeInvalidArgument); !strings.Contains(ce.Message(), "query.data_source") {
		t.Errorf("unknown data source error %q does not name query.data_source", ce.Message())
	}
	if n := e.mode.CountRequests(http.MethodPost, "/api/"); n != 0 {
		t.Errorf("%d POSTs upstream for a query on an unknown data source", n)
	}
}

// qtInvalidCase is one request a handler must refuse before calling Mode.
type qtInvalidCase struct {
	name  string
	field string // the field the error must name
	call  func(ctx context.Context, rs qtReportHandlers) error
}

// qtReportHandlers is what both the generated client and the handler itself
// offer, so that a case runs over the wire and without the validating
// interceptor alike.
type qtReportHandlers interface {
	ListQueryRuns(context.Context, *connect.Request[modeplatformv1.ListQueryRunsRequest]) (*connect.Response[modeplatformv1.ListQueryRunsResponse], error)
	GetQueryRun(context.Context, *connect.Request[modeplatformv1.GetQueryRunRequest]) (*connect.Response[modeplatformv1.GetQueryRunResponse], error)
	ListQueries(context.Context, *connect.Request[modeplatformv1.ListQueriesRequest]) (*connect.Response[modeplatformv1.ListQueriesResponse], error)
	GetQuery(context.Context, *connect.Request[modeplatformv1.GetQueryRequest]) (*connect.Response[modeplatformv1.GetQueryResponse], error)
	CreateQuery(context.Context, *connect.Request[modeplatformv1.CreateQueryRequest]) (*connect.Response[modeplatformv1.CreateQueryResponse], error)
	UpdateQuery(context.Context, *connect.Request[modeplatformv1.UpdateQueryRequest]) (*connect.Response[modeplatformv1.UpdateQueryResponse], error)
	DeleteQuery(context.Context, *connect.Request[modeplatformv1.DeleteQueryRequest]) (*connect.Response[modeplatformv1.DeleteQueryResponse], error)
}

func qtQueryInvalidCases(e *env) []qtInvalidCase {
	rep := e.reportName(e.demo.Reports[0])
	run := rep + "/runs/0123456789ab"
	qname := rep + "/queries/0123456789ab"
	ds := e.dataSourceName()
	badNames := []string{"", "workspaces/" + e.demo.Workspace, rep + "/runs", rep + "/queries/a b", "workspaces/-x/reports/r", rep + "/spaces/abc"}
	var cases []qtInvalidCase
	for _, bad := range badNames {
		cases = append(cases,
			qtInvalidCase{"ListQueryRuns/parent=" + bad, "parent", func(ctx context.Context, rs qtReportHandlers) error {
				_, err := rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: bad}))
				return err
			}},
			qtInvalidCase{"GetQueryRun/name=" + bad, "name", func(ctx context.Context, rs qtReportHandlers) error {
				_, err := rs.GetQueryRun(ctx, connect.NewRequest(&modeplatformv1.GetQueryRunRequest{Name: bad}))
				return err
			}},
			qtInvalidCase{"ListQueries/parent=" + bad + "/x", "parent", func(ctx context.Context, rs qtReportHandlers) error {
				_, err := rs.ListQueries(ctx, connect.NewRequest(&modeplatformv1.ListQueriesRequest{Parent: bad + "/x"}))
				return err
			}},
			qtInvalidCase{"GetQuery/name=" + bad, "name", func(ctx context.Context, rs qtReportHandlers) error {
				_, err := rs.GetQuery(ctx, connect.NewRequest(&modeplatformv1.GetQueryRequest{Name: bad}))
				return err
			}},
			qtInvalidCase{"DeleteQuery/name=" + bad, "name", func(ctx context.Context, rs qtReportHandlers) error {
				_, err := rs.DeleteQuery(ctx, connect.NewRequest(&modeplatformv1.DeleteQueryRequest{Name: bad}))
				return err
			}},
		)
	}
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	update := func(q *modeplatformv1.Query, m *fieldmaskpb.FieldMask) func(ctx context.Context, rs qtReportHandlers) error {
		return func(ctx context.Context, rs qtReportHandlers) error {
			_, err := rs.UpdateQuery(ctx, connect.NewRequest(&modeplatformv1.UpdateQueryRequest{Query: q, UpdateMask: m}))
			return err
		}
	}
	create := func(parent string, q *modeplatformv1.Query, id string) func(ctx context.Context, rs qtReportHandlers) error {
		return func(ctx context.Context, rs qtReportHandlers) error {
			_, err := rs.CreateQuery(ctx, connect.NewRequest(&modeplatformv1.CreateQueryRequest{Parent: parent, Query: q, RequestId: id}))
			return err
		}
	}
	cases = append(cases,
		qtInvalidCase{"ListQueryRuns/page_size=-1", "page_size", func(ctx context.Context, rs qtReportHandlers) error {
			_, err := rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: run, PageSize: -1}))
			return err
		}},
		qtInvalidCase{"ListQueryRuns/page_token", "page_token", func(ctx context.Context, rs qtReportHandlers) error {
			_, err := rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: run, PageToken: "not-a-token"}))
			return err
		}},
		qtInvalidCase{"ListQueries/page_size=1001", "page_size", func(ctx context.Context, rs qtReportHandlers) error {
			_, err := rs.ListQueries(ctx, connect.NewRequest(&modeplatformv1.ListQueriesRequest{Parent: rep, PageSize: 1001}))
			return err
		}},
		qtInvalidCase{"CreateQuery/parent", "parent", create(run, &modeplatformv1.Query{Sql: "SELECT 1", DataSource: ds}, "")},
		qtInvalidCase{"CreateQuery/no query", "query", create(rep, nil, "")},
		qtInvalidCase{"CreateQuery/no sql", "query.sql", create(rep, &modeplatformv1.Query{DataSource: ds}, "")},
		qtInvalidCase{"CreateQuery/no data_source", "query.data_source", create(rep, &modeplatformv1.Query{Sql: "SELECT 1"}, "")},
		qtInvalidCase{"CreateQuery/bad data_source", "query.data_source", create(rep, &modeplatformv1.Query{Sql: "SELECT 1", DataSource: e.ws + "/spaces/abc"}, "")},
		qtInvalidCase{"CreateQuery/data_source elsewhere", "query.data_source", create(rep, &modeplatformv1.Query{Sql: "SELECT 1", DataSource: "workspaces/other/dataSources/abc"}, "")},
		qtInvalidCase{"CreateQuery/request_id", "request_id", create(rep, &modeplatformv1.Query{Sql: "SELECT 1", DataSource: ds}, "no spaces allowed")},
		qtInvalidCase{"UpdateQuery/no query", "query", update(nil, mask("sql"))},
		qtInvalidCase{"UpdateQuery/no name", "query.name", update(&modeplatformv1.Query{Sql: "SELECT 1"}, mask("sql"))},
		qtInvalidCase{"UpdateQuery/bad name", "query.name", update(&modeplatformv1.Query{Name: rep, Sql: "SELECT 1"}, mask("sql"))},
		qtInvalidCase{"UpdateQuery/no mask", "update_mask", update(&modeplatformv1.Query{Name: qname, Sql: "SELECT 1"}, nil)},
		qtInvalidCase{"UpdateQuery/empty mask", "update_mask", update(&modeplatformv1.Query{Name: qname, Sql: "SELECT 1"}, mask())},
		qtInvalidCase{"UpdateQuery/unknown path", "update_mask", update(&modeplatformv1.Query{Name: qname, Sql: "SELECT 1"}, mask("sql", "create_time"))},
		qtInvalidCase{"UpdateQuery/star and a path", "update_mask", update(&modeplatformv1.Query{Name: qname, Sql: "SELECT 1"}, mask("sql", "*"))},
		qtInvalidCase{"UpdateQuery/star without a data_source", "query.data_source", update(&modeplatformv1.Query{Name: qname, Sql: "SELECT 1"}, mask("*"))},
		qtInvalidCase{"UpdateQuery/empty sql", "query.sql", update(&modeplatformv1.Query{Name: qname}, mask("sql"))},
		qtInvalidCase{"UpdateQuery/empty data_source", "query.data_source", update(&modeplatformv1.Query{Name: qname}, mask("data_source"))},
		qtInvalidCase{"UpdateQuery/bad data_source", "query.data_source", update(&modeplatformv1.Query{Name: qname, DataSource: "dataSources/abc"}, mask("data_source"))},
		qtInvalidCase{"UpdateQuery/data_source elsewhere", "query.data_source", update(&modeplatformv1.Query{Name: qname, DataSource: "workspaces/other/dataSources/abc"}, mask("data_source"))},
	)
	return cases
}

// qtRunInvalid runs each case over every protocol and straight against the
// handler (without the validating interceptor): each must answer
// InvalidArgument naming its field, without a single upstream request.
func qtRunInvalid(t *testing.T, e *env, cases []qtInvalidCase, handlers func(p protocol) qtReportHandlers) {
	t.Helper()
	targets := append([]protocol{{name: "handler"}}, protocols...)
	before := e.upstream()
	for _, p := range targets {
		var rs qtReportHandlers
		if p.name == "handler" {
			rs = e.svc.Report
		} else {
			rs = handlers(p)
		}
		t.Run(p.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					err := tc.call(testContext(t), rs)
					if ce := wantCode(t, err, connect.CodeInvalidArgument); !strings.Contains(ce.Message(), tc.field) {
						t.Errorf("error %q does not name %s", ce.Message(), tc.field)
					}
				})
			}
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("invalid requests made %d upstream requests, want 0", n)
	}
}

func TestQueryInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	qtRunInvalid(t, e, qtQueryInvalidCases(e), func(p protocol) qtReportHandlers { return e.clients(p).rs })
}
