package service_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// TestWorkflow is what a caller does end to end, with generated clients over
// the Connect protocol and over gRPC: list spaces, list a space's reports,
// run one with parameters, watch the run to its end, list its query runs,
// stream the rows and export them as CSV; streamed rows and exported CSV
// must agree, and honour the parameter.
func TestWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols[:2] { // connect, grpc
		t.Run(p.name, func(t *testing.T) {
			ctx := testContext(t)
			c := e.clients(p)

			spaces, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws}))
			if err != nil {
				t.Fatalf("ListSpaces: %v", err)
			}
			var sales string
			for _, s := range spaces.Msg.GetSpaces() {
				if s.GetDisplayName() == "Sales" {
					sales = s.GetName()
				}
			}
			if sales == "" {
				t.Fatalf("no Sales space in %v", spaces.Msg.GetSpaces())
			}

			var report string
			for token := ""; ; /* first page */ {
				reports, err := c.rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: sales, PageSize: 5, PageToken: token}))
				if err != nil {
					t.Fatalf("ListReports: %v", err)
				}
				for _, r := range reports.Msg.GetReports() {
					if r.GetDisplayName() == "Large Orders by Region" {
						report = r.GetName()
					}
				}
				if token = reports.Msg.GetNextPageToken(); token == "" {
					break
				}
			}
			if report != e.reportName(e.demo.ParamReport) {
				t.Fatalf("found report %q in Sales, want the parameterised report %q", report, e.reportName(e.demo.ParamReport))
			}

			run, err := c.rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report, Parameters: map[string]string{"region": "West", "min_total": "500"}}))
			if err != nil {
				t.Fatalf("RunReport: %v", err)
			}
			watch, err := c.rs.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: run.Msg.GetRun().GetName()}))
			if err != nil {
				t.Fatalf("WatchReportRun: %v", err)
			}
			var last *modeplatformv1.ReportRun
			for watch.Receive() {
				last = watch.Msg().GetRun()
			}
			if err := watch.Err(); err != nil {
				t.Fatalf("WatchReportRun stream: %v", err)
			}
			if last.GetState() != modeplatformv1.ReportRun_STATE_SUCCEEDED {
				t.Fatalf("run ended %v, want SUCCEEDED", last.GetState())
			}

			qruns, err := c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: last.GetName()}))
			if err != nil || len(qruns.Msg.GetQueryRuns()) == 0 {
				t.Fatalf("ListQueryRuns: %v, %v", qruns, err)
			}
			qrun := qruns.Msg.GetQueryRuns()[0].GetName()

			stream, err := c.rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: qrun}))
			if err != nil {
				t.Fatalf("StreamQueryResults: %v", err)
			}
			var columns []*modeplatformv1.Column
			var rows []*modeplatformv1.Row
			for stream.Receive() {
				if cols := stream.Msg().GetColumns(); len(cols) > 0 {
					if columns != nil || len(rows) > 0 {
						t.Fatal("columns sent twice or after rows")
					}
					columns = cols
				}
				rows = append(rows, stream.Msg().GetRows()...)
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("StreamQueryResults stream: %v", err)
			}
			region := -1
			for i, col := range columns {
				if col.GetName() == "region" {
					region = i
				}
			}
			if region < 0 || len(rows) == 0 {
				t.Fatalf("columns %v, %d rows: want a region column and rows", columns, len(rows))
			}
			for i, r := range rows {
				if got := r.GetValues()[region].GetStringValue(); got != "West" {
					t.Fatalf("row %d has region %q, want West", i, got)
				}
			}

			export, err := c.rs.ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: qrun, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV}))
			if err != nil {
				t.Fatalf("ExportQueryResults: %v", err)
			}
			var buf bytes.Buffer
			for export.Receive() {
				buf.Write(export.Msg().GetData())
			}
			if err := export.Err(); err != nil {
				t.Fatalf("ExportQueryResults stream: %v", err)
			}
			records, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("exported CSV: %v", err)
			}
			if len(records) != len(rows)+1 {
				t.Fatalf("CSV has %d records, want a header and the %d streamed rows", len(records), len(rows))
			}
			if got := strings.Join(records[0], ","); !strings.Contains(got, "region") {
				t.Errorf("CSV header %q lacks region", got)
			}
			for i, rec := range records[1:] {
				if rec[region] != rows[i].GetValues()[region].GetStringValue() {
					t.Fatalf("CSV row %d region %q, streamed %q", i, rec[region], rows[i].GetValues()[region].GetStringValue())
				}
			}
		})
	}
}
