package service_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// countModeGETs counts the emulator's logged GETs of exactly path.
func countModeGETs(e *env, path string) int {
	n := 0
	for _, r := range e.mode.Requests() {
		if r.Method == http.MethodGet && r.Path == path {
			n++
		}
	}
	return n
}

// TestObjectOfAnotherWorkspaceIsNotFound asks, through a Mode that resolves
// tokens whatever workspace the URL names, for the second workspace's
// objects under the demo workspace's names: every call is NotFound naming
// the resource asked for, says nothing of the other workspace, and is not
// answered from the cache the second time either; the same objects under
// their own workspace's names are served.
func TestObjectOfAnotherWorkspaceIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithCrossWorkspaceTokens()}})
	ctx := testContext(t)
	sd := e.demo.Second
	other := "workspaces/" + sd.Workspace
	c := e.clients(protocols[0])

	// A finished run of the second workspace's report, under its own name.
	run, err := c.rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: other + "/reports/" + sd.Report}))
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	runName := run.Msg.GetRun().GetName()
	runTok := runName[strings.LastIndex(runName, "/")+1:]
	for {
		got, err := c.rs.GetReportRun(ctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: runName}))
		if err != nil {
			t.Fatalf("GetReportRun: %v", err)
		}
		if s := got.Msg.GetRun().GetState(); s == modeplatformv1.ReportRun_STATE_SUCCEEDED {
			break
		} else if s == modeplatformv1.ReportRun_STATE_FAILED {
			t.Fatalf("run failed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	qrs, err := c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: runName}))
	if err != nil || len(qrs.Msg.GetQueryRuns()) != 1 {
		t.Fatalf("ListQueryRuns: %v, %v", qrs, err)
	}
	qrName := qrs.Msg.GetQueryRuns()[0].GetName()
	qrTok := qrName[strings.LastIndex(qrName, "/")+1:]

	mine := e.ws // the demo workspace
	modeWS := "/api/" + e.demo.Workspace
	tests := []struct {
		name     string // the resource asked for, under the demo workspace
		modePath string // what the service asks Mode
		call     func(name string) error
	}{
		{mine + "/reports/" + sd.Report, modeWS + "/reports/" + sd.Report, func(name string) error {
			_, err := c.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
			return err
		}},
		{mine + "/spaces/" + sd.Space, modeWS + "/spaces/" + sd.Space, func(name string) error {
			_, err := c.ws.GetSpace(ctx, connect.NewRequest(&modeplatformv1.GetSpaceRequest{Name: name}))
			return err
		}},
		{mine + "/dataSources/" + sd.DataSource, modeWS + "/data_sources/" + sd.DataSource, func(name string) error {
			_, err := c.ds.GetDataSource(ctx, connect.NewRequest(&modeplatformv1.GetDataSourceRequest{Name: name}))
			return err
		}},
		{mine + "/spaces/" + sd.Space, modeWS + "/spaces/" + sd.Space + "/reports", func(name string) error {
			_, err := c.rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: name}))
			return err
		}},
		{mine + "/reports/" + sd.Report + "/runs/" + runTok, modeWS + "/reports/" + sd.Report + "/runs/" + runTok, func(name string) error {
			_, err := c.rs.GetReportRun(ctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: name}))
			return err
		}},
		{mine + "/reports/" + sd.Report + "/runs/" + runTok + "/queryRuns/" + qrTok,
			modeWS + "/reports/" + sd.Report + "/runs/" + runTok + "/query_runs/" + qrTok, func(name string) error {
				msgs, err := qtStream(ctx, c.rs, &modeplatformv1.StreamQueryResultsRequest{Name: name})
				if len(msgs) > 0 {
					t.Errorf("StreamQueryResults(%s) sent %d messages of another workspace's result", name, len(msgs))
				}
				return err
			}},
	}
	for _, tt := range tests {
		before := countModeGETs(e, tt.modePath)
		for range 2 {
			ce := wantCode(t, tt.call(tt.name), connect.CodeNotFound)
			if !strings.Contains(ce.Message(), tt.name) || strings.Contains(ce.Error(), sd.Workspace) {
				t.Errorf("%s: message %q, want one naming the resource asked for and not the other workspace", tt.name, ce.Message())
			}
		}
		if n := countModeGETs(e, tt.modePath) - before; n != 2 {
			t.Errorf("%s: Mode was asked %s %d times for two calls, want 2 (an answer of another workspace must not be cached)", tt.name, tt.modePath, n)
		}
	}
	// No result of another workspace was downloaded either.
	for _, r := range e.mode.Requests() {
		if u, _ := url.PathUnescape(r.Path); strings.HasPrefix(u, modeWS+"/") && strings.Contains(u, "/results/") {
			t.Errorf("the service asked Mode for %s", r.Path)
		}
	}

	// The same objects under their own workspace's names are served, from
	// the cache the second time. (The report was read once before, by the
	// check of its workspace RunReport makes, and RunReport invalidated it.)
	reportGETs := countModeGETs(e, "/api/"+sd.Workspace+"/reports/"+sd.Report)
	for range 2 {
		got := rptGet(t, ctx, c.rs, other+"/reports/"+sd.Report)
		if got.GetName() != other+"/reports/"+sd.Report || got.GetSpace() != other+"/spaces/"+sd.Space {
			t.Errorf("GetReport of the right workspace: name %q, space %q", got.GetName(), got.GetSpace())
		}
	}
	if n := countModeGETs(e, "/api/"+sd.Workspace+"/reports/"+sd.Report) - reportGETs; n != 1 {
		t.Errorf("GETs of the right workspace's report = %d, want 1", n)
	}
}

// TestWriteToObjectOfAnotherWorkspaceIsNotSent sends, through a Mode that
// resolves tokens whatever workspace the URL names, every write RPC
// addressed to the second workspace's objects under the demo workspace's
// names. Such a Mode would apply the write to the other workspace before
// answering (and DeleteReport's answer is empty, so the caller would get
// success): every call must be NotFound naming the resource asked for, Mode
// must receive no write, and the second workspace's objects must be as they
// were. The same writes under the right names still work, at no Mode
// request more than the write when the object is cached.
func TestWriteToObjectOfAnotherWorkspaceIsNotSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithCrossWorkspaceTokens()}})
	ctx := testContext(t)
	sd := e.demo.Second
	other := "workspaces/" + sd.Workspace
	mine := e.ws
	c := e.clients(protocols[0])
	// plain reads Mode's state, bypassing every cache.
	plain, err := modeclient.New(e.mode.URL, modeclient.Credential{Token: e.mode.Token, Secret: e.mode.Secret},
		modeclient.WithHTTPClient(e.mode.Client()))
	if err != nil {
		t.Fatal(err)
	}

	// A run and a query of the second workspace's report, under their own names.
	run, err := c.rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: other + "/reports/" + sd.Report}))
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	runName := run.Msg.GetRun().GetName()
	runTok := runName[strings.LastIndex(runName, "/")+1:]
	queries, err := plain.ListQueriesPage(ctx, sd.Workspace, sd.Report, 1, nil)
	if err != nil || len(queries.Items) == 0 {
		t.Fatalf("ListQueriesPage: %v, %v", queries, err)
	}
	queryTok := queries.Items[0].Token

	state := func() string {
		t.Helper()
		r, err := plain.GetReport(ctx, sd.Workspace, sd.Report)
		if err != nil {
			t.Fatalf("the second workspace's report: %v", err)
		}
		sp, err := plain.GetSpace(ctx, sd.Workspace, sd.Space)
		if err != nil {
			t.Fatalf("the second workspace's space: %v", err)
		}
		q, err := plain.GetQuery(ctx, sd.Workspace, sd.Report, queryTok)
		if err != nil {
			t.Fatalf("the second workspace's query: %v", err)
		}
		qs, err := plain.ListQueriesPage(ctx, sd.Workspace, sd.Report, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs, err := plain.ListReportRunsPage(ctx, sd.Workspace, sd.Report, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		demo, err := plain.GetReport(ctx, e.demo.Workspace, e.demo.Reports[0])
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("report %q %q archived=%v; space %q %q; query %q %q; %d queries; %d runs; demo report in %s",
			r.Name, r.Description, bool(r.Archived), sp.Name, sp.Description, q.Name, q.RawQuery,
			len(qs.Items), len(runs.Items), demo.SpaceToken)
	}
	before := state()

	report := mine + "/reports/" + sd.Report
	space := mine + "/spaces/" + sd.Space
	query := report + "/queries/" + queryTok
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	tests := []struct {
		name  string
		asked string // the resource the error must name
		call  func() error
	}{
		{"UpdateReport", report, func() error {
			_, err := c.rs.UpdateReport(ctx, connect.NewRequest(&modeplatformv1.UpdateReportRequest{
				Report: &modeplatformv1.Report{Name: report, Description: "changed"}, UpdateMask: mask("description")}))
			return err
		}},
		{"UpdateReport moving a report into another workspace's space", space, func() error {
			_, err := c.rs.UpdateReport(ctx, connect.NewRequest(&modeplatformv1.UpdateReportRequest{
				Report: &modeplatformv1.Report{Name: e.ws + "/reports/" + e.demo.Reports[0], Space: space}, UpdateMask: mask("space")}))
			return err
		}},
		{"ArchiveReport", report, func() error {
			_, err := c.rs.ArchiveReport(ctx, connect.NewRequest(&modeplatformv1.ArchiveReportRequest{Name: report}))
			return err
		}},
		{"UnarchiveReport", report, func() error {
			_, err := c.rs.UnarchiveReport(ctx, connect.NewRequest(&modeplatformv1.UnarchiveReportRequest{Name: report}))
			return err
		}},
		{"RunReport", report, func() error {
			_, err := c.rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report}))
			return err
		}},
		{"CloneReportRun", report + "/runs/" + runTok, func() error {
			_, err := c.rs.CloneReportRun(ctx, connect.NewRequest(&modeplatformv1.CloneReportRunRequest{Name: report + "/runs/" + runTok}))
			return err
		}},
		{"CreateQuery", report, func() error {
			_, err := c.rs.CreateQuery(ctx, connect.NewRequest(&modeplatformv1.CreateQueryRequest{Parent: report,
				Query: &modeplatformv1.Query{Sql: "SELECT 1", DataSource: mine + "/dataSources/" + e.demo.DataSource}}))
			return err
		}},
		{"UpdateQuery", query, func() error {
			_, err := c.rs.UpdateQuery(ctx, connect.NewRequest(&modeplatformv1.UpdateQueryRequest{
				Query: &modeplatformv1.Query{Name: query, Sql: "SELECT 2"}, UpdateMask: mask("sql")}))
			return err
		}},
		{"DeleteQuery", query, func() error {
			_, err := c.rs.DeleteQuery(ctx, connect.NewRequest(&modeplatformv1.DeleteQueryRequest{Name: query}))
			return err
		}},
		{"UpdateSpace", space, func() error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{
				Space: &modeplatformv1.Space{Name: space, Description: "changed"}, UpdateMask: mask("description")}))
			return err
		}},
		// Mode's answer to a report's deletion is empty: without the check
		// before it, the caller would get success.
		{"DeleteReport", report, func() error {
			_, err := c.rs.DeleteReport(ctx, connect.NewRequest(&modeplatformv1.DeleteReportRequest{Name: report}))
			return err
		}},
		{"DeleteSpace", space, func() error {
			_, err := c.ws.DeleteSpace(ctx, connect.NewRequest(&modeplatformv1.DeleteSpaceRequest{Name: space}))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(e.mode.Requests())
			ce := wantCode(t, tt.call(), connect.CodeNotFound)
			if !strings.Contains(ce.Message(), tt.asked) || strings.Contains(ce.Error(), sd.Workspace) {
				t.Errorf("message %q, want one naming %s and not the other workspace", ce.Message(), tt.asked)
			}
			for _, r := range e.mode.Requests()[n:] {
				if r.Method != http.MethodGet {
					t.Errorf("Mode received %s %s, want only GETs (the check of the workspace)", r.Method, r.Path)
				}
			}
		})
	}
	if after := state(); after != before {
		t.Errorf("the second workspace changed:\n got %s\nwant %s", after, before)
	}

	// Under the right name, writes work. A cached report costs no request
	// more than the write; the write invalidates it, so the deletion that
	// follows reads it first (one GET more), and the report is then gone.
	right := other + "/reports/" + sd.Report
	modeReport := "/api/" + sd.Workspace + "/reports/" + sd.Report
	sentSince := func(n int) []string {
		var out []string
		for _, r := range e.mode.Requests()[n:] {
			out = append(out, r.Method+" "+r.Path)
		}
		return out
	}
	rptGet(t, ctx, c.rs, right)
	n := len(e.mode.Requests())
	if _, err := c.rs.ArchiveReport(ctx, connect.NewRequest(&modeplatformv1.ArchiveReportRequest{Name: right})); err != nil {
		t.Fatalf("ArchiveReport: %v", err)
	}
	if got, want := sentSince(n), []string{"PATCH " + modeReport + "/archive"}; !slices.Equal(got, want) {
		t.Errorf("ArchiveReport of a cached report: Mode received %v, want %v", got, want)
	}
	n = len(e.mode.Requests())
	if _, err := c.rs.DeleteReport(ctx, connect.NewRequest(&modeplatformv1.DeleteReportRequest{Name: right})); err != nil {
		t.Fatalf("DeleteReport: %v", err)
	}
	if got, want := sentSince(n), []string{"GET " + modeReport, "DELETE " + modeReport}; !slices.Equal(got, want) {
		t.Errorf("DeleteReport of a report no longer cached: Mode received %v, want %v", got, want)
	}
	_, err = c.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: right}))
	wantCode(t, err, connect.CodeNotFound)
}
