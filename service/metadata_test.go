package service_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestWorkspaceInventory reads a workspace of a few hundred reports through the Metadata API:
// ListReports of the workspace holds every report the per-space lists hold (outside personal
// spaces), in the basic view, in a page or two of Mode requests; GetReport(view=BASIC) of each
// then costs nothing and agrees with the listing; the workspace-wide queries, charts, spaces and
// report statistics name real objects.
func TestWorkspaceInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithGeneratedReports(5, 40)}})
	ctx := testContext(t)
	c := e.clients(protocols[0])

	spaces, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, View: modeplatformv1.View_VIEW_BASIC, PageSize: 1000}))
	if err != nil {
		t.Fatalf("ListSpaces(basic): %v", err)
	}
	full, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: 1000}))
	if err != nil {
		t.Fatalf("ListSpaces: %v", err)
	}
	basic := map[string]bool{}
	for _, sp := range spaces.Msg.GetSpaces() {
		basic[sp.GetName()] = true
		if sp.GetSpaceType() == modeplatformv1.Space_SPACE_TYPE_PRIVATE || sp.GetDisplayName() == "" || sp.GetWebUri() == "" {
			t.Errorf("basic space %v", sp)
		}
	}
	for _, sp := range full.Msg.GetSpaces() {
		if sp.GetSpaceType() != modeplatformv1.Space_SPACE_TYPE_PRIVATE && !basic[sp.GetName()] {
			t.Errorf("the basic view lacks space %s", sp.GetName())
		}
	}
	var want []string
	for _, sp := range spaces.Msg.GetSpaces() {
		list, err := c.rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: sp.GetName(), PageSize: 1000,
			ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL}))
		if err != nil {
			t.Fatalf("ListReports(%s): %v", sp.GetName(), err)
		}
		for _, r := range list.Msg.GetReports() {
			want = append(want, r.GetName())
		}
	}
	slices.Sort(want)

	batchReads := func() int { return e.mode.CountRequests(http.MethodGet, "/batch/"+e.demo.Workspace+"/reports") }
	before := batchReads()
	var listed []*modeplatformv1.Report
	req := &modeplatformv1.ListReportsRequest{Parent: e.ws, PageSize: 150}
	for {
		res, err := c.rs.ListReports(ctx, connect.NewRequest(req))
		if err != nil {
			t.Fatalf("ListReports(%s): %v", e.ws, err)
		}
		listed = append(listed, res.Msg.GetReports()...)
		if res.Msg.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.Msg.GetNextPageToken()
	}
	var got []string
	for _, r := range listed {
		got = append(got, r.GetName())
		if r.GetDisplayName() == "" || r.GetCreateTime() == nil || !strings.HasPrefix(r.GetSpace(), e.ws+"/spaces/") || r.GetWebUri() == "" ||
			r.GetQueryCount() != 0 || r.GetViewCount() != 0 {
			t.Fatalf("a workspace-wide report is not in the basic view: %v", r)
		}
	}
	slices.Sort(got)
	if len(got) < 200 || !slices.Equal(got, want) {
		t.Fatalf("the workspace lists %d reports, its spaces %d", len(got), len(want))
	}
	if n := batchReads() - before; n != 1 {
		t.Errorf("%d Metadata API reads for %d reports in pages of 150, want 1 (Mode's pages hold 1,000)", n, len(got))
	}

	before = e.upstream()
	for _, r := range listed {
		res, err := c.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: r.GetName(), View: modeplatformv1.View_VIEW_BASIC}))
		if err != nil || !proto.Equal(res.Msg.GetReport(), r) {
			t.Fatalf("GetReport(%s, basic) = %v, %v; want the listed %v", r.GetName(), res, err, r)
		}
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("%d Mode requests for %d basic reads after the listing, want 0", n, len(listed))
	}
	// The full view still reads Mode, and the basic view of a full read agrees with the listing.
	fullRes, err := c.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: listed[0].GetName()}))
	if err != nil || fullRes.Msg.GetReport().GetQueryCount() == 0 || e.upstream()-before != 1 {
		t.Fatalf("GetReport(full) = %v, %v after %d requests", fullRes, err, e.upstream()-before)
	}

	queries, err := c.rs.ListQueries(ctx, connect.NewRequest(&modeplatformv1.ListQueriesRequest{Parent: e.ws + "/reports/-", PageSize: 1000}))
	if err != nil || len(queries.Msg.GetQueries()) < len(got) {
		t.Fatalf("ListQueries of the workspace = %d queries, %v", len(queries.Msg.GetQueries()), err)
	}
	q := queries.Msg.GetQueries()[0]
	if one, err := c.rs.GetQuery(ctx, connect.NewRequest(&modeplatformv1.GetQueryRequest{Name: q.GetName()})); err != nil || one.Msg.GetQuery().GetSql() != q.GetSql() || one.Msg.GetQuery().GetDataSource() != q.GetDataSource() {
		t.Fatalf("GetQuery(%s) = %v, %v; want the listed %v", q.GetName(), one, err, q)
	}
	charts, err := c.rs.ListCharts(ctx, connect.NewRequest(&modeplatformv1.ListChartsRequest{Parent: e.ws + "/reports/-/queries/-"}))
	if err != nil || len(charts.Msg.GetCharts()) == 0 {
		t.Fatalf("ListCharts of the workspace = %v, %v", charts, err)
	}
	ch := charts.Msg.GetCharts()[0]
	if one, err := c.rs.GetChart(ctx, connect.NewRequest(&modeplatformv1.GetChartRequest{Name: ch.GetName()})); err != nil || one.Msg.GetChart().GetChartType() != ch.GetChartType() {
		t.Fatalf("GetChart(%s) = %v, %v; want the listed %v", ch.GetName(), one, err, ch)
	}
	stats, err := c.rs.ListReportStats(ctx, connect.NewRequest(&modeplatformv1.ListReportStatsRequest{Parent: e.ws + "/reports/-", PageSize: 1000}))
	if err != nil || len(stats.Msg.GetReportStats()) != len(got) {
		t.Fatalf("ListReportStats = %d, %v; want %d", len(stats.Msg.GetReportStats()), err, len(got))
	}
	for _, st := range stats.Msg.GetReportStats() {
		if st.GetName() != st.GetReport()+"/stats" || !slices.Contains(got, st.GetReport()) {
			t.Fatalf("report stats %v", st)
		}
	}
}

// TestWorkspaceListInvalidInput: the Metadata API's lists refuse what they cannot honour, before
// Mode.
func TestWorkspaceListInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	rs := e.clients(protocols[0]).rs
	before := e.upstream()
	for _, tt := range []struct {
		name string
		req  *modeplatformv1.ListReportsRequest
	}{
		{"full view", &modeplatformv1.ListReportsRequest{Parent: e.ws, View: modeplatformv1.View_VIEW_FULL}},
		{"archived filter", &modeplatformv1.ListReportsRequest{Parent: e.ws, ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ARCHIVED}},
		{"ordered", &modeplatformv1.ListReportsRequest{Parent: e.ws, OrderBy: "update_time desc"}},
	} {
		if _, err := rs.ListReports(ctx, connect.NewRequest(tt.req)); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", tt.name, err)
		}
	}
	if _, err := rs.ListReportStats(ctx, connect.NewRequest(&modeplatformv1.ListReportStatsRequest{Parent: e.reportName(e.demo.Reports[0])})); connect.CodeOf(err) != connect.CodeInvalidArgument || badRequestField(err) != "parent" {
		t.Errorf("ListReportStats of one report: %v, want InvalidArgument naming parent", err)
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("%d requests reached Mode for refused lists", n)
	}
}
