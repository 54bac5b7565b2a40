package service_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
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
	run, err := c.rs.RunReport(ctx, connect.NewRequest(&v1.RunReportRequest{Name: other + "/reports/" + sd.Report}))
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	runName := run.Msg.GetRun().GetName()
	runTok := runName[strings.LastIndex(runName, "/")+1:]
	for {
		got, err := c.rs.GetReportRun(ctx, connect.NewRequest(&v1.GetReportRunRequest{Name: runName}))
		if err != nil {
			t.Fatalf("GetReportRun: %v", err)
		}
		if s := got.Msg.GetRun().GetState(); s == v1.ReportRun_STATE_SUCCEEDED {
			break
		} else if s == v1.ReportRun_STATE_FAILED {
			t.Fatalf("run failed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	qrs, err := c.rs.ListQueryRuns(ctx, connect.NewRequest(&v1.ListQueryRunsRequest{Parent: runName}))
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
			_, err := c.rs.GetReport(ctx, connect.NewRequest(&v1.GetReportRequest{Name: name}))
			return err
		}},
		{mine + "/spaces/" + sd.Space, modeWS + "/spaces/" + sd.Space, func(name string) error {
			_, err := c.ws.GetSpace(ctx, connect.NewRequest(&v1.GetSpaceRequest{Name: name}))
			return err
		}},
		{mine + "/dataSources/" + sd.DataSource, modeWS + "/data_sources/" + sd.DataSource, func(name string) error {
			_, err := c.ds.GetDataSource(ctx, connect.NewRequest(&v1.GetDataSourceRequest{Name: name}))
			return err
		}},
		{mine + "/spaces/" + sd.Space, modeWS + "/spaces/" + sd.Space + "/reports", func(name string) error {
			_, err := c.rs.ListReports(ctx, connect.NewRequest(&v1.ListReportsRequest{Parent: name}))
			return err
		}},
		{mine + "/reports/" + sd.Report + "/runs/" + runTok, modeWS + "/reports/" + sd.Report + "/runs/" + runTok, func(name string) error {
			_, err := c.rs.GetReportRun(ctx, connect.NewRequest(&v1.GetReportRunRequest{Name: name}))
			return err
		}},
		{mine + "/reports/" + sd.Report + "/runs/" + runTok + "/queryRuns/" + qrTok,
			modeWS + "/reports/" + sd.Report + "/runs/" + runTok + "/query_runs/" + qrTok, func(name string) error {
				msgs, err := qtStream(ctx, c.rs, &v1.StreamQueryResultsRequest{Name: name})
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
	// the cache the second time.
	for range 2 {
		got := rptGet(t, ctx, c.rs, other+"/reports/"+sd.Report)
		if got.GetName() != other+"/reports/"+sd.Report || got.GetSpace() != other+"/spaces/"+sd.Space {
			t.Errorf("GetReport of the right workspace: name %q, space %q", got.GetName(), got.GetSpace())
		}
	}
	if n := countModeGETs(e, "/api/"+sd.Workspace+"/reports/"+sd.Report); n != 1 {
		t.Errorf("GETs of the right workspace's report = %d, want 1", n)
	}
}
