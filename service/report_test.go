package service_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// rptSeedBase is when the emulator's demo workspace was created; the i-th
// seeded report was created 72h + i·7h later and updated (i%5+1)·90min
// after that.
var rptSeedBase = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// Positions in Demo.Spaces.
const (
	rptSales = iota
	rptMarketing
	rptExecutive
	rptPersonal
)

// rptScratchpad is the position in Demo.Reports of the one seeded archived
// report (in the Personal space, next to the failing report).
const rptScratchpad = 11

// rptReportAPI is the unary half of ReportService that both the generated
// client and the handler (*service.ReportServer) implement, so a test can
// call the handlers with and without the validating interceptor.
type rptReportAPI interface {
	GetReport(context.Context, *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error)
	ListReports(context.Context, *connect.Request[modeplatformv1.ListReportsRequest]) (*connect.Response[modeplatformv1.ListReportsResponse], error)
	UpdateReport(context.Context, *connect.Request[modeplatformv1.UpdateReportRequest]) (*connect.Response[modeplatformv1.UpdateReportResponse], error)
	DeleteReport(context.Context, *connect.Request[modeplatformv1.DeleteReportRequest]) (*connect.Response[modeplatformv1.DeleteReportResponse], error)
	ArchiveReport(context.Context, *connect.Request[modeplatformv1.ArchiveReportRequest]) (*connect.Response[modeplatformv1.ArchiveReportResponse], error)
	UnarchiveReport(context.Context, *connect.Request[modeplatformv1.UnarchiveReportRequest]) (*connect.Response[modeplatformv1.UnarchiveReportResponse], error)
	RunReport(context.Context, *connect.Request[modeplatformv1.RunReportRequest]) (*connect.Response[modeplatformv1.RunReportResponse], error)
	CloneReportRun(context.Context, *connect.Request[modeplatformv1.CloneReportRunRequest]) (*connect.Response[modeplatformv1.CloneReportRunResponse], error)
	GetReportRun(context.Context, *connect.Request[modeplatformv1.GetReportRunRequest]) (*connect.Response[modeplatformv1.GetReportRunResponse], error)
	ListReportRuns(context.Context, *connect.Request[modeplatformv1.ListReportRunsRequest]) (*connect.Response[modeplatformv1.ListReportRunsResponse], error)
}

// rptInvalidCase is a malformed request and the field its error must name.
type rptInvalidCase struct {
	name  string
	field string
	call  func(ctx context.Context, api rptReportAPI) error
}

// rptRunInvalid runs cases through api, one after the other (each counts
// the emulator's requests): every one must be InvalidArgument naming its
// field, with no request to Mode.
func rptRunInvalid(t *testing.T, e *env, api rptReportAPI, cases []rptInvalidCase) {
	t.Helper()
	ctx := testContext(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			e.mode.ResetRequests()
			ce := wantCode(t, tt.call(ctx, api), connect.CodeInvalidArgument)
			if !rptNamesField(ce.Message(), tt.field) {
				t.Errorf("message %q does not name %s", ce.Message(), tt.field)
			}
			if reqs := e.mode.Requests(); len(reqs) != 0 {
				t.Errorf("%d upstream requests (first %s %s), want 0", len(reqs), reqs[0].Method, reqs[0].Path)
			}
		})
	}
}

// rptNamesField reports whether msg names field as a whole word
// ("report.space: …" names report.space, not space; "parameters[…]"
// names parameters).
func rptNamesField(msg, field string) bool {
	return regexp.MustCompile(`(^|[\s:"])` + regexp.QuoteMeta(field) + `([\s:"\[]|$)`).MatchString(msg)
}

// rptDetails returns an error's ErrorInfo, RetryInfo and ResourceInfo.
func rptDetails(t *testing.T, err error) (info *errdetails.ErrorInfo, retry *errdetails.RetryInfo, res *errdetails.ResourceInfo) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			t.Fatalf("detail %s: %v", d.Type(), derr)
		}
		switch v := v.(type) {
		case *errdetails.ErrorInfo:
			info = v
		case *errdetails.RetryInfo:
			retry = v
		case *errdetails.ResourceInfo:
			res = v
		}
	}
	return info, retry, res
}

// rptListAll pages through ListReports with req's page size and returns
// every page's reports in order.
func rptListAll(t *testing.T, ctx context.Context, api rptReportAPI, req *modeplatformv1.ListReportsRequest) [][]*modeplatformv1.Report {
	t.Helper()
	var pages [][]*modeplatformv1.Report
	req.PageToken = ""
	for range 1000 {
		res, err := api.ListReports(ctx, connect.NewRequest(req))
		if err != nil {
			t.Fatalf("ListReports(%s, page %d): %v", req.GetParent(), len(pages)+1, err)
		}
		pages = append(pages, res.Msg.GetReports())
		if res.Msg.GetNextPageToken() == "" {
			return pages
		}
		req.PageToken = res.Msg.GetNextPageToken()
	}
	t.Fatalf("ListReports(%s) did not end", req.GetParent())
	return nil
}

// rptList lists one page of up to 1000 reports.
func rptList(t *testing.T, ctx context.Context, api rptReportAPI, parent string, f modeplatformv1.ListReportsRequest_ArchivedFilter, orderBy string) []*modeplatformv1.Report {
	t.Helper()
	res, err := api.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: parent, PageSize: 1000, ArchivedFilter: f, OrderBy: orderBy}))
	if err != nil {
		t.Fatalf("ListReports(%s, %v, %q): %v", parent, f, orderBy, err)
	}
	if res.Msg.GetNextPageToken() != "" {
		t.Fatalf("ListReports(%s): more than one page", parent)
	}
	return res.Msg.GetReports()
}

// rptNames returns the reports' names.
func rptNames(reports []*modeplatformv1.Report) []string {
	out := make([]string, len(reports))
	for i, r := range reports {
		out[i] = r.GetName()
	}
	return out
}

// rptReportNames returns the names of the demo reports at the positions idx.
func rptReportNames(e *env, idx ...int) []string {
	out := make([]string, len(idx))
	for i, x := range idx {
		out[i] = e.reportName(e.demo.Reports[x])
	}
	return out
}

// rptSameSet fails t unless got and want hold the same names, each once.
func rptSameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, g, w)
	}
}

// rptGet reads one report.
func rptGet(t *testing.T, ctx context.Context, api rptReportAPI, name string) *modeplatformv1.Report {
	t.Helper()
	res, err := api.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
	if err != nil {
		t.Fatalf("GetReport(%s): %v", name, err)
	}
	return res.Msg.GetReport()
}

// TestGetReport checks every Report field against the seeded demo reports,
// and maps Mode's failures to Connect codes with details (one persistent
// fault per report, on reports the field checks do not read).
func TestGetReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	tests := []struct {
		index       int
		displayName string
		description string
		space       int
		archived    bool
		queries     int32
	}{
		{0, "Revenue by Region", "Order count and revenue per sales region.", rptSales, false, 1},
		{3, "Sales Rep Leaderboard", "Revenue per sales rep, and reps per region.", rptSales, false, 2},
		{8, "Executive Summary", "Headline numbers, top accounts and yearly revenue.", rptExecutive, false, 3},
		{rptScratchpad, "Scratchpad", "Old experiments.", rptPersonal, true, 1},
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			for _, tt := range tests {
				token := e.demo.Reports[tt.index]
				got := rptGet(t, ctx, e.clients(p).rs, e.reportName(token))
				created := rptSeedBase.Add(72*time.Hour + time.Duration(tt.index)*7*time.Hour)
				updated := created.Add(time.Duration(tt.index%5+1) * 90 * time.Minute)
				if got.GetName() != e.reportName(token) {
					t.Errorf("name = %q, want %q", got.GetName(), e.reportName(token))
				}
				if got.GetDisplayName() != tt.displayName || got.GetDescription() != tt.description {
					t.Errorf("display_name, description = %q, %q; want %q, %q", got.GetDisplayName(), got.GetDescription(), tt.displayName, tt.description)
				}
				if want := e.spaceName(e.demo.Spaces[tt.space]); got.GetSpace() != want {
					t.Errorf("space = %q, want %q", got.GetSpace(), want)
				}
				if got.GetArchived() != tt.archived || got.GetPublic() || got.GetRunPrivately() || got.GetManualRunDisabled() {
					t.Errorf("archived, public, run_privately, manual_run_disabled = %v, %v, %v, %v; want %v, false, false, false",
						got.GetArchived(), got.GetPublic(), got.GetRunPrivately(), got.GetManualRunDisabled(), tt.archived)
				}
				for _, ts := range []struct {
					field string
					got   time.Time
					want  time.Time
				}{
					{"create_time", got.GetCreateTime().AsTime(), created},
					{"update_time", got.GetUpdateTime().AsTime(), updated},
					{"edit_time", got.GetEditTime().AsTime(), updated},
					{"publish_time", got.GetPublishTime().AsTime(), updated},
				} {
					if !ts.got.Equal(ts.want) {
						t.Errorf("%s = %v, want %v", ts.field, ts.got, ts.want)
					}
				}
				if got.GetLastRunTime() != nil || got.GetLastSuccessfulRunTime() != nil || got.GetLastSuccessfulRun() != "" {
					t.Errorf("never run, but last_run_time = %v, last_successful_run_time = %v, last_successful_run = %q",
						got.GetLastRunTime(), got.GetLastSuccessfulRunTime(), got.GetLastSuccessfulRun())
				}
				if got.GetQueryCount() != tt.queries || got.GetChartCount() != tt.queries || got.GetRunCount() != 0 || got.GetScheduleCount() != 0 {
					t.Errorf("query, chart, run, schedule counts = %d, %d, %d, %d; want %d, %d, 0, 0",
						got.GetQueryCount(), got.GetChartCount(), got.GetRunCount(), got.GetScheduleCount(), tt.queries, tt.queries)
				}
				if want := int32((tt.index*37)%200 + 3); got.GetViewCount() != want {
					t.Errorf("view_count = %d, want %d", got.GetViewCount(), want)
				}
				if u, err := url.Parse(got.GetWebUri()); err != nil || !u.IsAbs() || !strings.HasSuffix(u.Path, "/reports/"+token) {
					t.Errorf("web_uri = %q, want an absolute URL of the report's page", got.GetWebUri())
				}
			}
		})
	}

	faults := []struct {
		name   string
		report int
		fault  modetest.Fault
		code   connect.Code
		reason string
		retry  time.Duration // the RetryInfo delay wanted; 0 for none checked
	}{
		{"429", 1, modetest.Fault{Status: 429, RetryAfter: "7"}, connect.CodeUnavailable, "UPSTREAM_RATE_LIMITED", 7 * time.Second},
		{"503", 2, modetest.Fault{Status: 503}, connect.CodeUnavailable, "UPSTREAM_UNAVAILABLE", 0},
		{"403", 4, modetest.Fault{Status: 403}, connect.CodePermissionDenied, "UPSTREAM_PERMISSION_DENIED", 0},
		{"401", 5, modetest.Fault{Status: 401}, connect.CodeUnavailable, "UPSTREAM_CREDENTIAL_REJECTED", 0},
		{"404", 6, modetest.Fault{Status: 404}, connect.CodeNotFound, "UPSTREAM_NOT_FOUND", 0},
		{"malformed", 7, modetest.Fault{Malformed: true}, connect.CodeInternal, "UPSTREAM_BAD_RESPONSE", 0},
	}
	for _, tt := range faults {
		t.Run("upstream "+tt.name, func(t *testing.T) {
			t.Parallel()
			token := e.demo.Reports[tt.report]
			f := tt.fault
			f.Method, f.Path = "GET", "/api/"+e.demo.Workspace+"/reports/"+token
			e.mode.AddFault(f)
			name := e.reportName(token)
			for _, p := range protocols {
				// A deadline shorter than Mode's Retry-After: the client
				// answers at once instead of waiting to retry.
				ctx, cancel := context.WithTimeout(testContext(t), 3*time.Second)
				_, err := e.clients(p).rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
				cancel()
				ce := wantCode(t, err, tt.code)
				info, retry, _ := rptDetails(t, ce)
				if info.GetReason() != tt.reason || info.GetDomain() == "" {
					t.Errorf("%s: ErrorInfo = %v, want reason %s", p.name, info, tt.reason)
				}
				if tt.retry > 0 && retry.GetRetryDelay().AsDuration() != tt.retry {
					t.Errorf("%s: RetryInfo = %v, want %v", p.name, retry, tt.retry)
				}
				for _, leak := range []string{"<html>", "proxy error", "0123456789ab", e.mode.Secret, e.mode.Token} {
					if strings.Contains(ce.Message(), leak) {
						t.Errorf("%s: message %q contains %q", p.name, ce.Message(), leak)
					}
				}
				if tt.code == connect.CodeNotFound && !strings.Contains(ce.Message(), name) {
					t.Errorf("%s: message %q does not name %s", p.name, ce.Message(), name)
				}
			}
		})
	}
}

// TestListReports lists reports: first, alone, how archived_filter and
// order_by reach Mode and how foreign page tokens are refused without
// asking Mode; then, in parallel over every protocol, by space and by data
// source with each archived filter, in each order, and page by page. The
// client reads Mode three reports a page, so pages of two straddle Mode's.
func TestListReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{clientOpts: []modeclient.Option{modeclient.WithPerPage(3)}})
	sales := e.spaceName(e.demo.Spaces[rptSales])

	t.Run("mode query", func(t *testing.T) {
		tests := []struct {
			filter                             modeplatformv1.ListReportsRequest_ArchivedFilter
			orderBy                            string
			modeFilter, modeOrder, modeOrderBy string
		}{
			{modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_UNSPECIFIED, "", "", "", ""},
			{modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE, "create_time", "", "asc", "created_at"},
			{modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ARCHIVED, "create_time asc", "archived", "asc", "created_at"},
			{modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL, "create_time desc", "all", "desc", "created_at"},
			{modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL, "update_time", "all", "asc", "updated_at"},
			{modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE, "update_time desc", "", "desc", "updated_at"},
		}
		for _, p := range protocols {
			ctx := testContext(t)
			for _, tt := range tests {
				e.mode.ResetRequests()
				req := connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: e.dataSourceName(), PageSize: 2, ArchivedFilter: tt.filter, OrderBy: tt.orderBy})
				req.Header().Set("Cache-Control", "no-cache") // so every call reaches Mode
				if _, err := e.clients(p).rs.ListReports(ctx, req); err != nil {
					t.Fatalf("%s: ListReports(%v, %q): %v", p.name, tt.filter, tt.orderBy, err)
				}
				reqs := e.mode.Requests()
				if len(reqs) != 1 {
					t.Fatalf("%s: %v, %q: %d upstream requests, want 1", p.name, tt.filter, tt.orderBy, len(reqs))
				}
				q, _ := url.ParseQuery(reqs[0].RawQuery)
				if q.Get("filter") != tt.modeFilter || q.Get("order") != tt.modeOrder || q.Get("order_by") != tt.modeOrderBy {
					t.Errorf("%s: %v, %q: Mode got filter=%q order=%q order_by=%q; want %q, %q, %q", p.name, tt.filter, tt.orderBy,
						q.Get("filter"), q.Get("order"), q.Get("order_by"), tt.modeFilter, tt.modeOrder, tt.modeOrderBy)
				}
				if ordered := tt.orderBy != ""; q.Has("order") != ordered || q.Has("order_by") != ordered || q.Has("filter") != (tt.modeFilter != "") {
					t.Errorf("%s: %v, %q: Mode query %q", p.name, tt.filter, tt.orderBy, reqs[0].RawQuery)
				}
			}
		}
	})

	t.Run("page token", func(t *testing.T) {
		ctx := testContext(t)
		first, err := e.clients(protocols[0]).rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: sales, PageSize: 2}))
		if err != nil {
			t.Fatalf("ListReports: %v", err)
		}
		token := first.Msg.GetNextPageToken()
		if token == "" {
			t.Fatal("no next_page_token after the first two of five reports")
		}
		list := func(req *modeplatformv1.ListReportsRequest) func(context.Context, rptReportAPI) error {
			return func(ctx context.Context, api rptReportAPI) error {
				_, err := api.ListReports(ctx, connect.NewRequest(req))
				return err
			}
		}
		cases := []rptInvalidCase{
			{"garbage", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageToken: "not a token!"})},
			{"base64 noise", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageToken: "AAAAAAAAAAAAAAAAAAA"})},
			{"truncated", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageToken: token[:len(token)-2]})},
			{"other space", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[rptMarketing]), PageToken: token})},
			{"data source", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: e.dataSourceName(), PageToken: token})},
			{"other filter", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageToken: token, ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL})},
			{"other order", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageToken: token, OrderBy: "update_time"})},
			{"runs list", "page_token", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.ListReportRuns(ctx, connect.NewRequest(&modeplatformv1.ListReportRunsRequest{Parent: e.reportName(e.demo.Reports[0]), PageToken: token}))
				return err
			}},
		}
		for _, p := range protocols {
			t.Run(p.name, func(t *testing.T) { rptRunInvalid(t, e, e.clients(p).rs, cases) })
		}
		t.Run("handler", func(t *testing.T) { rptRunInvalid(t, e, e.svc.Report, cases) })
		// The token still works with its own request, at any page size; an
		// explicit ACTIVE filter is the default's request.
		for _, size := range []int32{1, 2, 3} {
			res, err := e.clients(protocols[0]).rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: sales, PageSize: size, PageToken: token,
				ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE}))
			if err != nil {
				t.Fatalf("ListReports with its own token, page_size %d: %v", size, err)
			}
			if got := len(res.Msg.GetReports()); got != int(size) {
				t.Errorf("page_size %d after the token: %d reports", size, got)
			}
		}
	})

	// Touch the second oldest report: it becomes the most recently updated,
	// so update order differs from create order.
	touched := e.reportName(e.demo.Reports[1])
	if _, err := e.clients(protocols[0]).rs.UpdateReport(testContext(t), connect.NewRequest(&modeplatformv1.UpdateReportRequest{
		Report:     &modeplatformv1.Report{Name: touched, Description: "touched"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}},
	})); err != nil {
		t.Fatalf("UpdateReport: %v", err)
	}

	all := make([]int, len(e.demo.Reports))
	for i := range all {
		all[i] = i
	}
	active := slices.DeleteFunc(slices.Clone(all), func(i int) bool { return i == rptScratchpad })
	const (
		unspecified = modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_UNSPECIFIED
		onlyActive  = modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE
		archived    = modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ARCHIVED
		every       = modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL
	)
	filters := []struct {
		name   string
		parent string
		filter modeplatformv1.ListReportsRequest_ArchivedFilter
		want   []int
	}{
		{"sales/default", sales, unspecified, []int{0, 1, 2, 3, 4}},
		{"marketing/active", e.spaceName(e.demo.Spaces[rptMarketing]), onlyActive, []int{5, 6, 7}},
		{"personal/default", e.spaceName(e.demo.Spaces[rptPersonal]), unspecified, []int{10}},
		{"personal/active", e.spaceName(e.demo.Spaces[rptPersonal]), onlyActive, []int{10}},
		{"personal/archived", e.spaceName(e.demo.Spaces[rptPersonal]), archived, []int{rptScratchpad}},
		{"personal/all", e.spaceName(e.demo.Spaces[rptPersonal]), every, []int{10, rptScratchpad}},
		{"sales/archived", sales, archived, nil},
		{"dataSource/default", e.dataSourceName(), unspecified, active},
		{"dataSource/archived", e.dataSourceName(), archived, []int{rptScratchpad}},
		{"dataSource/all", e.dataSourceName(), every, all},
	}
	byCreate := func(r *modeplatformv1.Report) time.Time { return r.GetCreateTime().AsTime() }
	byUpdate := func(r *modeplatformv1.Report) time.Time { return r.GetUpdateTime().AsTime() }
	n := len(e.demo.Reports)
	orders := []struct {
		orderBy string
		key     func(*modeplatformv1.Report) time.Time
		desc    bool
		pos     int // where the touched report is
	}{
		{"create_time", byCreate, false, 1},
		{"create_time asc", byCreate, false, 1},
		{"create_time desc", byCreate, true, n - 2},
		{"update_time", byUpdate, false, n - 1},
		{"update_time asc", byUpdate, false, n - 1},
		{"update_time desc", byUpdate, true, 0},
	}
	for _, p := range protocols {
		t.Run(p.name+"/filters", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			for _, tt := range filters {
				got := rptList(t, ctx, e.clients(p).rs, tt.parent, tt.filter, "")
				rptSameSet(t, tt.name, rptNames(got), rptReportNames(e, tt.want...))
				for _, r := range got {
					if tt.filter != every && r.GetArchived() != (tt.filter == archived) {
						t.Errorf("%s: %s archived = %v", tt.name, r.GetName(), r.GetArchived())
					}
					if strings.Contains(tt.parent, "/spaces/") && r.GetSpace() != tt.parent {
						t.Errorf("%s: %s space = %q", tt.name, r.GetName(), r.GetSpace())
					}
				}
			}
		})
		t.Run(p.name+"/order", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			for _, tt := range orders {
				got := rptList(t, ctx, e.clients(p).rs, e.dataSourceName(), every, tt.orderBy)
				rptSameSet(t, tt.orderBy, rptNames(got), rptReportNames(e, all...))
				for i := 1; i < len(got); i++ {
					a, b := tt.key(got[i-1]), tt.key(got[i])
					if (!tt.desc && a.After(b)) || (tt.desc && a.Before(b)) {
						t.Errorf("%q: %s (%v) before %s (%v)", tt.orderBy, got[i-1].GetName(), a, got[i].GetName(), b)
					}
				}
				if pos := slices.IndexFunc(got, func(r *modeplatformv1.Report) bool { return r.GetName() == touched }); pos != tt.pos {
					t.Errorf("%q: touched report at %d, want %d", tt.orderBy, pos, tt.pos)
				}
			}
		})
		t.Run(p.name+"/paging", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			for _, tt := range []struct {
				parent  string
				filter  modeplatformv1.ListReportsRequest_ArchivedFilter
				orderBy string
				want    []int
			}{
				{sales, unspecified, "", []int{0, 1, 2, 3, 4}},
				{sales, unspecified, "create_time desc", []int{0, 1, 2, 3, 4}},
				{e.dataSourceName(), every, "update_time", all},
			} {
				pages := rptListAll(t, ctx, e.clients(p).rs, &modeplatformv1.ListReportsRequest{Parent: tt.parent, PageSize: 2, ArchivedFilter: tt.filter, OrderBy: tt.orderBy})
				var got []*modeplatformv1.Report
				for i, pg := range pages {
					if len(pg) > 2 || (len(pg) == 0 && i < len(pages)-1) {
						t.Errorf("%s %q: page %d has %d reports", tt.parent, tt.orderBy, i+1, len(pg))
					}
					got = append(got, pg...)
				}
				if len(got) != len(tt.want) {
					t.Errorf("%s %q: %d reports over %d pages, want %d", tt.parent, tt.orderBy, len(got), len(pages), len(tt.want))
				}
				rptSameSet(t, tt.parent+" "+tt.orderBy, rptNames(got), rptReportNames(e, tt.want...))
				if tt.orderBy == "create_time desc" {
					for i := 1; i < len(got); i++ {
						if byCreate(got[i-1]).Before(byCreate(got[i])) {
							t.Errorf("%s created before %s but listed first", got[i-1].GetName(), got[i].GetName())
						}
					}
				}
			}
			res, err := e.clients(p).rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: sales, PageSize: 2}))
			if err != nil || res.Msg.GetTotalSize() != 5 {
				t.Errorf("total_size = %d, %v; want 5", res.Msg.GetTotalSize(), err)
			}
		})
	}
}

// TestReportWrites updates, archives and deletes reports (a report of its
// own per protocol and write) and checks that the next reads, cached
// before the write, show it.
func TestReportWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	sales, marketing := e.spaceName(e.demo.Spaces[rptSales]), e.spaceName(e.demo.Spaces[rptMarketing])
	findIn := func(t *testing.T, ctx context.Context, rs rptReportAPI, parent, name string, f modeplatformv1.ListReportsRequest_ArchivedFilter) *modeplatformv1.Report {
		t.Helper()
		for _, r := range rptList(t, ctx, rs, parent, f, "") {
			if r.GetName() == name {
				return r
			}
		}
		return nil
	}
	for i, p := range protocols {
		// Update moves Sales reports 0-2 to Marketing; delete takes
		// Marketing reports 5-7; archive flips Executive and Personal ones.
		t.Run(p.name+"/update", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			rs := e.clients(p).rs
			name := e.reportName(e.demo.Reports[i])
			before := rptGet(t, ctx, rs, name) // cached now, as are the lists
			findIn(t, ctx, rs, sales, name, 0)
			findIn(t, ctx, rs, marketing, name, 0)
			update := func(r *modeplatformv1.Report, paths ...string) (*modeplatformv1.Report, error) {
				res, err := rs.UpdateReport(ctx, connect.NewRequest(&modeplatformv1.UpdateReportRequest{Report: r, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}}))
				if err != nil {
					return nil, err
				}
				return res.Msg.GetReport(), nil
			}

			// display_name only: the other fields sent are ignored.
			got, err := update(&modeplatformv1.Report{Name: name, DisplayName: "Renamed " + p.name, Description: "not applied", Space: marketing}, "display_name")
			if err != nil {
				t.Fatalf("UpdateReport(display_name): %v", err)
			}
			for _, r := range []*modeplatformv1.Report{got, rptGet(t, ctx, rs, name), findIn(t, ctx, rs, sales, name, 0)} {
				if r.GetDisplayName() != "Renamed "+p.name || r.GetDescription() != before.GetDescription() || r.GetSpace() != sales {
					t.Errorf("after display_name update: %q, %q, %q", r.GetDisplayName(), r.GetDescription(), r.GetSpace())
				}
			}
			if !got.GetUpdateTime().AsTime().After(before.GetUpdateTime().AsTime()) {
				t.Errorf("update_time %v not after %v", got.GetUpdateTime().AsTime(), before.GetUpdateTime().AsTime())
			}

			// description and space: the report moves.
			got, err = update(&modeplatformv1.Report{Name: name, DisplayName: "not applied", Description: "Moved to marketing.", Space: marketing}, "description", "space")
			if err != nil {
				t.Fatalf("UpdateReport(description, space): %v", err)
			}
			for _, r := range []*modeplatformv1.Report{got, rptGet(t, ctx, rs, name), findIn(t, ctx, rs, marketing, name, 0)} {
				if r.GetDisplayName() != "Renamed "+p.name || r.GetDescription() != "Moved to marketing." || r.GetSpace() != marketing {
					t.Errorf("after description, space update: %q, %q, %q", r.GetDisplayName(), r.GetDescription(), r.GetSpace())
				}
			}
			if findIn(t, ctx, rs, sales, name, 0) != nil {
				t.Errorf("%s still listed in its old space", name)
			}

			// An empty description clears it.
			if got, err = update(&modeplatformv1.Report{Name: name}, "description"); err != nil || got.GetDescription() != "" {
				t.Errorf("clearing description: %q, %v", got.GetDescription(), err)
			}

			// `*` replaces every field the method changes (AIP-134): the
			// report moves back, with a new title and no description.
			got, err = update(&modeplatformv1.Report{Name: name, DisplayName: "Replaced " + p.name, Space: sales}, "*")
			if err != nil {
				t.Fatalf("UpdateReport(*): %v", err)
			}
			for _, r := range []*modeplatformv1.Report{got, rptGet(t, ctx, rs, name), findIn(t, ctx, rs, sales, name, 0)} {
				if r.GetDisplayName() != "Replaced "+p.name || r.GetDescription() != "" || r.GetSpace() != sales {
					t.Errorf("after * update: %q, %q, %q", r.GetDisplayName(), r.GetDescription(), r.GetSpace())
				}
			}

			// A space that does not exist is named as missing, and so is a
			// report that does not exist.
			missing := e.spaceName("0123456789ab")
			_, err = update(&modeplatformv1.Report{Name: name, Space: missing}, "space")
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
			gone := e.reportName("0123456789ab")
			_, err = update(&modeplatformv1.Report{Name: gone, DisplayName: "x"}, "display_name")
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), gone) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), gone)
			}
		})

		t.Run(p.name+"/archive", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			rs := e.clients(p).rs
			name := e.reportName(e.demo.Reports[8+i])
			space := rptGet(t, ctx, rs, name).GetSpace()
			listed := func(f modeplatformv1.ListReportsRequest_ArchivedFilter) bool {
				return findIn(t, ctx, rs, space, name, f) != nil
			}
			if !listed(modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE) || listed(modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ARCHIVED) {
				t.Fatalf("%s not listed as active before archiving", name)
			}
			for range 2 { // the second time changes nothing
				res, err := rs.ArchiveReport(ctx, connect.NewRequest(&modeplatformv1.ArchiveReportRequest{Name: name}))
				if err != nil {
					t.Fatalf("ArchiveReport: %v", err)
				}
				if r := res.Msg.GetReport(); !r.GetArchived() || r.GetName() != name || r.GetSpace() != space {
					t.Errorf("ArchiveReport = %s archived %v in %s", r.GetName(), r.GetArchived(), r.GetSpace())
				}
			}
			if !rptGet(t, ctx, rs, name).GetArchived() {
				t.Error("GetReport after archiving: archived = false")
			}
			if listed(modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE) || !listed(modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ARCHIVED) || !listed(modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL) {
				t.Error("lists after archiving do not follow")
			}
			for range 2 {
				res, err := rs.UnarchiveReport(ctx, connect.NewRequest(&modeplatformv1.UnarchiveReportRequest{Name: name}))
				if err != nil {
					t.Fatalf("UnarchiveReport: %v", err)
				}
				if r := res.Msg.GetReport(); r.GetArchived() || r.GetName() != name {
					t.Errorf("UnarchiveReport = %s archived %v", r.GetName(), r.GetArchived())
				}
			}
			if rptGet(t, ctx, rs, name).GetArchived() {
				t.Error("GetReport after unarchiving: archived = true")
			}
			if !listed(modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE) || listed(modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ARCHIVED) {
				t.Error("lists after unarchiving do not follow")
			}
			gone := e.reportName("0123456789ab")
			_, err := rs.ArchiveReport(ctx, connect.NewRequest(&modeplatformv1.ArchiveReportRequest{Name: gone}))
			wantCode(t, err, connect.CodeNotFound)
			_, err = rs.UnarchiveReport(ctx, connect.NewRequest(&modeplatformv1.UnarchiveReportRequest{Name: gone}))
			wantCode(t, err, connect.CodeNotFound)
		})

		t.Run(p.name+"/delete", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			rs := e.clients(p).rs
			name := e.reportName(e.demo.Reports[5+i])
			rptGet(t, ctx, rs, name)
			if findIn(t, ctx, rs, marketing, name, 0) == nil {
				t.Fatalf("%s not listed before deleting", name)
			}
			if _, err := rs.DeleteReport(ctx, connect.NewRequest(&modeplatformv1.DeleteReportRequest{Name: name})); err != nil {
				t.Fatalf("DeleteReport: %v", err)
			}
			_, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
			ce := wantCode(t, err, connect.CodeNotFound)
			if !strings.Contains(ce.Message(), name) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), name)
			}
			if _, _, res := rptDetails(t, ce); res.GetResourceName() != name {
				t.Errorf("ResourceInfo names %q, want %q", res.GetResourceName(), name)
			}
			if findIn(t, ctx, rs, marketing, name, modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL) != nil {
				t.Errorf("%s still listed after deleting", name)
			}
			_, err = rs.DeleteReport(ctx, connect.NewRequest(&modeplatformv1.DeleteReportRequest{Name: name}))
			wantCode(t, err, connect.CodeNotFound)
		})
	}
}

// rptBadReportNames are malformed report names.
func rptBadReportNames(e *env) []string {
	return []string{
		"", "reports/abc", e.ws, e.ws + "/reports/", e.ws + "/reports/a/b", e.ws + "/spaces/abc",
		e.ws + "/reports/" + strings.Repeat("a", 65), e.ws + "/reports/a%2Fb", e.ws + "/reports/..",
		"workspaces/-x/reports/abc", e.reportName(e.demo.Reports[0]) + "/runs/abc",
	}
}

// rptReportInvalidCases are malformed requests of the report methods.
func rptReportInvalidCases(e *env) []rptInvalidCase {
	report := e.reportName(e.demo.Reports[0])
	sales := e.spaceName(e.demo.Spaces[rptSales])
	var cases []rptInvalidCase
	for _, bad := range rptBadReportNames(e) {
		cases = append(cases,
			rptInvalidCase{"GetReport/" + bad, "name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: bad}))
				return err
			}},
			rptInvalidCase{"DeleteReport/" + bad, "name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.DeleteReport(ctx, connect.NewRequest(&modeplatformv1.DeleteReportRequest{Name: bad}))
				return err
			}},
			rptInvalidCase{"ArchiveReport/" + bad, "name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.ArchiveReport(ctx, connect.NewRequest(&modeplatformv1.ArchiveReportRequest{Name: bad}))
				return err
			}},
			rptInvalidCase{"UnarchiveReport/" + bad, "name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.UnarchiveReport(ctx, connect.NewRequest(&modeplatformv1.UnarchiveReportRequest{Name: bad}))
				return err
			}},
		)
		if bad != "" { // an empty report.name is its own case below
			cases = append(cases, rptInvalidCase{"UpdateReport/" + bad, "report.name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.UpdateReport(ctx, connect.NewRequest(&modeplatformv1.UpdateReportRequest{
					Report: &modeplatformv1.Report{Name: bad, DisplayName: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
				}))
				return err
			}})
		}
	}
	list := func(req *modeplatformv1.ListReportsRequest) func(context.Context, rptReportAPI) error {
		return func(ctx context.Context, api rptReportAPI) error {
			_, err := api.ListReports(ctx, connect.NewRequest(req))
			return err
		}
	}
	for _, bad := range []string{"", "workspaces/-x", e.ws + "/reports/-", report, e.ws + "/spaces/", e.ws + "/dataSources/a/b", e.ws + "/groups/abc", "spaces/abc", e.ws + "/spaces/a%2Fb"} {
		cases = append(cases, rptInvalidCase{"ListReports/parent/" + bad, "parent", list(&modeplatformv1.ListReportsRequest{Parent: bad})})
	}
	cases = append(cases,
		rptInvalidCase{"ListReports/page_size/negative", "page_size", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageSize: -1})},
		rptInvalidCase{"ListReports/page_size/too big", "page_size", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageSize: 1001})},
		rptInvalidCase{"ListReports/page_token/too long", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageToken: strings.Repeat("A", 1025)})},
		rptInvalidCase{"ListReports/page_token/garbage", "page_token", list(&modeplatformv1.ListReportsRequest{Parent: sales, PageToken: "garbage!"})},
		rptInvalidCase{"ListReports/archived_filter/undefined", "archived_filter", list(&modeplatformv1.ListReportsRequest{Parent: sales, ArchivedFilter: 99})},
		rptInvalidCase{"ListReports/archived_filter/negative", "archived_filter", list(&modeplatformv1.ListReportsRequest{Parent: sales, ArchivedFilter: -1})},
	)
	for _, bad := range []string{"name", "create_time up", "create_time asc desc", "createTime", "-create_time", "create_time,update_time", " ", "update_time DESC"} {
		cases = append(cases, rptInvalidCase{"ListReports/order_by/" + bad, "order_by", list(&modeplatformv1.ListReportsRequest{Parent: sales, OrderBy: bad})})
	}
	update := func(r *modeplatformv1.Report, mask *fieldmaskpb.FieldMask) func(context.Context, rptReportAPI) error {
		return func(ctx context.Context, api rptReportAPI) error {
			_, err := api.UpdateReport(ctx, connect.NewRequest(&modeplatformv1.UpdateReportRequest{Report: r, UpdateMask: mask}))
			return err
		}
	}
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	cases = append(cases,
		rptInvalidCase{"UpdateReport/no report", "report", update(nil, mask("display_name"))},
		rptInvalidCase{"UpdateReport/no report name", "report.name", update(&modeplatformv1.Report{DisplayName: "x"}, mask("display_name"))},
		rptInvalidCase{"UpdateReport/no mask", "update_mask", update(&modeplatformv1.Report{Name: report, DisplayName: "x"}, nil)},
		rptInvalidCase{"UpdateReport/empty mask", "update_mask", update(&modeplatformv1.Report{Name: report, DisplayName: "x"}, mask())},
		rptInvalidCase{"UpdateReport/unknown path", "update_mask", update(&modeplatformv1.Report{Name: report, DisplayName: "x"}, mask("display_name", "archived"))},
		rptInvalidCase{"UpdateReport/wildcard and a path", "update_mask", update(&modeplatformv1.Report{Name: report, DisplayName: "x"}, mask("*", "display_name"))},
		rptInvalidCase{"UpdateReport/wildcard without a space", "report.space", update(&modeplatformv1.Report{Name: report, DisplayName: "x"}, mask("*"))},
		rptInvalidCase{"UpdateReport/camel case path", "update_mask", update(&modeplatformv1.Report{Name: report, DisplayName: "x"}, mask("displayName"))},
		rptInvalidCase{"UpdateReport/empty display_name", "report.display_name", update(&modeplatformv1.Report{Name: report}, mask("display_name"))},
		rptInvalidCase{"UpdateReport/long display_name", "report.display_name", update(&modeplatformv1.Report{Name: report, DisplayName: strings.Repeat("x", 256)}, mask("display_name"))},
		rptInvalidCase{"UpdateReport/long description", "report.description", update(&modeplatformv1.Report{Name: report, Description: strings.Repeat("x", 10001)}, mask("description"))},
		rptInvalidCase{"UpdateReport/empty space", "report.space", update(&modeplatformv1.Report{Name: report}, mask("space"))},
		rptInvalidCase{"UpdateReport/malformed space", "report.space", update(&modeplatformv1.Report{Name: report, Space: e.ws + "/spaces/a/b"}, mask("space"))},
		rptInvalidCase{"UpdateReport/space not a space", "report.space", update(&modeplatformv1.Report{Name: report, Space: e.dataSourceName()}, mask("space"))},
		rptInvalidCase{"UpdateReport/space in another workspace", "report.space", update(&modeplatformv1.Report{Name: report, Space: "workspaces/other/spaces/abc"}, mask("space"))},
	)
	return cases
}

// TestReportInvalidInput checks that every malformed request of every
// method of reports and runs is InvalidArgument naming its field, with no
// upstream request: through the interceptor over every protocol, and to the
// handler directly (which checks its input itself, for a mount without the
// interceptor). WatchReportRun's stream is checked over every protocol.
func TestReportInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	cases := append(rptReportInvalidCases(e), rptRunInvalidCases(e)...)
	report := e.reportName(e.demo.ParamReport)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			rptRunInvalid(t, e, e.clients(p).rs, cases)
			for _, bad := range []string{"", report, report + "/runs/", report + "/runs/a/b", e.ws + "/runs/abc", report + "/runs/a%2Fb", report + "/runs/x/queryRuns/y"} {
				t.Run("WatchReportRun/"+bad, func(t *testing.T) {
					e.mode.ResetRequests()
					runs, err := rptWatch(testContext(t), e.clients(p).rs, bad)
					if ce := wantCode(t, err, connect.CodeInvalidArgument); !rptNamesField(ce.Message(), "name") {
						t.Errorf("message %q does not name name", ce.Message())
					}
					if len(runs) != 0 || len(e.mode.Requests()) != 0 {
						t.Errorf("%d messages, %d upstream requests; want none", len(runs), len(e.mode.Requests()))
					}
				})
			}
		})
	}
	t.Run("handler", func(t *testing.T) { rptRunInvalid(t, e, e.svc.Report, cases) })
}
