package service_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// reportNamed returns the resource name of the demo report with this title.
func reportNamed(t *testing.T, ctx context.Context, e *env, rs modeplatformv1connect.ReportServiceClient, title string) string {
	t.Helper()
	for _, tok := range e.demo.Reports {
		res, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: e.reportName(tok)}))
		if err == nil && res.Msg.GetReport().GetDisplayName() == title {
			return res.Msg.GetReport().GetName()
		}
	}
	t.Fatalf("no demo report %q", title)
	return ""
}

// succeededRun runs report and follows the run to its end, which must be SUCCEEDED.
func succeededRun(t *testing.T, ctx context.Context, rs modeplatformv1connect.ReportServiceClient, report string, params map[string]string) string {
	t.Helper()
	run := rptRun(t, ctx, rs, report, params, "")
	runs, err := rptWatch(ctx, rs, run.GetName())
	if err != nil || len(runs) == 0 || runs[len(runs)-1].GetState() != modeplatformv1.ReportRun_STATE_SUCCEEDED {
		t.Fatalf("run %s: %v, %v", run.GetName(), runs, err)
	}
	return run.GetName()
}

// TestReportParameters: a report's form (names, types, defaults, allowed
// values) through GetReportParameters, and RunReport refusing a parameter
// the form does not have, naming it, without starting a run.
func TestReportParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	rs := e.clients(protocols[0]).rs
	report := e.reportName(e.demo.ParamReport)

	_, err := rs.GetReportParameters(ctx, connect.NewRequest(&modeplatformv1.GetReportParametersRequest{Name: report}))
	if ce := wantCode(t, err, connect.CodeFailedPrecondition); !strings.Contains(ce.Message(), "never run") || !errdetail.HasReason(err, service.ReasonReportNeverRun) {
		t.Errorf("a report that never ran: %q", ce.Message())
	}
	run := succeededRun(t, ctx, rs, report, map[string]string{"region": "West"})
	res, err := rs.GetReportParameters(ctx, connect.NewRequest(&modeplatformv1.GetReportParametersRequest{Name: report}))
	if err != nil {
		t.Fatalf("GetReportParameters: %v", err)
	}
	if res.Msg.GetRun() != run {
		t.Errorf("the form's run = %q, want the last run %q", res.Msg.GetRun(), run)
	}
	byName := map[string]*modeplatformv1.ReportParameter{}
	for _, p := range res.Msg.GetParameters() {
		byName[p.GetName()] = p
	}
	region, total := byName["region"], byName["min_total"]
	if region == nil || total == nil || len(byName) != 2 {
		t.Fatalf("parameters = %v, want region and min_total", res.Msg.GetParameters())
	}
	var values []string
	for _, v := range region.GetAllowedValues() {
		values = append(values, v.GetValue())
	}
	if region.GetType() != "select" || region.GetDefaultValue() != "Northeast" || !region.GetHasDefault() ||
		strings.Join(values, ",") != "Northeast,Midwest,Southeast,West" {
		t.Errorf("region = %v", region)
	}
	if total.GetType() != "number" || total.GetDefaultValue() != "1000" || len(total.GetAllowedValues()) != 0 {
		t.Errorf("min_total = %v", total)
	}

	posts := e.mode.CountRequests("POST", "/api/"+strings.TrimPrefix(report, "workspaces/")+"/runs")
	_, err = rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report, Parameters: map[string]string{"regoin": "West", "min_total": "5"}}))
	ce := wantCode(t, err, connect.CodeInvalidArgument)
	if !strings.Contains(ce.Message(), "regoin") || strings.Contains(ce.Message(), "not min_total") {
		t.Errorf("unknown parameter message %q", ce.Message())
	}
	if n := e.mode.CountRequests("POST", "/api/"+strings.TrimPrefix(report, "workspaces/")+"/runs") - posts; n != 0 {
		t.Errorf("%d runs started for a refused parameter, want 0", n)
	}
}

// TestDuplicateReportRun copies a report as it was in a run and follows the
// copy to its end: a new report in the space asked for.
func TestDuplicateReportRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	rs := e.clients(protocols[1]).rs
	report := e.reportName(e.demo.Reports[0])
	run := succeededRun(t, ctx, rs, report, nil)
	space := e.spaceName(e.demo.Spaces[1])
	res, err := rs.DuplicateReportRun(ctx, connect.NewRequest(&modeplatformv1.DuplicateReportRunRequest{Name: run, Space: space, RequestId: "dup-1"}))
	if err != nil {
		t.Fatalf("DuplicateReportRun: %v", err)
	}
	d := res.Msg.GetDuplicate()
	if !strings.HasPrefix(d.GetName(), run+"/duplicates/") {
		t.Fatalf("duplicate = %v", d)
	}
	again, err := rs.DuplicateReportRun(ctx, connect.NewRequest(&modeplatformv1.DuplicateReportRunRequest{Name: run, Space: space, RequestId: "dup-1"}))
	if err != nil || again.Msg.GetDuplicate().GetName() != d.GetName() {
		t.Fatalf("retried DuplicateReportRun: %v, %v", again, err)
	}
	for range 400 {
		got, err := rs.GetReportRunDuplicate(ctx, connect.NewRequest(&modeplatformv1.GetReportRunDuplicateRequest{Name: d.GetName()}))
		if err != nil {
			t.Fatalf("GetReportRunDuplicate: %v", err)
		}
		if d = got.Msg.GetDuplicate(); d.GetState() != "enqueued" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d.GetState() != "succeeded" || d.GetNewReport() == "" || d.GetSpace() != space {
		t.Fatalf("finished duplicate = %v", d)
	}
	copied, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: d.GetNewReport()}))
	if err != nil || copied.Msg.GetReport().GetSpace() != space {
		t.Fatalf("the copy: %v, %v", copied, err)
	}
	_, err = rs.DuplicateReportRun(ctx, connect.NewRequest(&modeplatformv1.DuplicateReportRunRequest{Name: run, Space: "workspaces/northwind_traders/spaces/abc"}))
	if ce := wantCode(t, err, connect.CodeInvalidArgument); !strings.Contains(ce.Message(), "space") {
		t.Errorf("a space of another workspace: %q", ce.Message())
	}
}

// exportRun reads ExportReportRun to its end: the first message's content
// type and file name, and the bytes.
func exportRun(t *testing.T, ctx context.Context, rs modeplatformv1connect.ReportServiceClient, run string, f modeplatformv1.ExportReportRunRequest_Format, offset int64) (contentType, file string, data []byte) {
	t.Helper()
	stream, err := rs.ExportReportRun(ctx, connect.NewRequest(&modeplatformv1.ExportReportRunRequest{Name: run, Format: f, Offset: offset}))
	if err != nil {
		t.Fatalf("ExportReportRun: %v", err)
	}
	for i := 0; stream.Receive(); i++ {
		m := stream.Msg()
		if i == 0 {
			contentType, file = m.GetContentType(), m.GetFileName()
		} else if m.GetContentType() != "" || m.GetFileName() != "" {
			t.Errorf("message %d repeats the file's type or name", i)
		}
		data = append(data, m.GetData()...)
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("ExportReportRun(%s, %v): %v", run, f, err)
	}
	return contentType, file, data
}

// TestExportReportRun: a run as a PDF (resumable by offset) and as a zip of
// one CSV per query; a run not finished is FailedPrecondition.
func TestExportReportRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	rs := e.clients(protocols[0]).rs
	report := reportNamed(t, ctx, e, rs, "Sales Rep Leaderboard") // two queries
	run := succeededRun(t, ctx, rs, report, nil)

	typ, file, pdf := exportRun(t, ctx, rs, run, modeplatformv1.ExportReportRunRequest_FORMAT_PDF, 0)
	if typ != "application/pdf" || !strings.HasSuffix(file, ".pdf") || !bytes.HasPrefix(pdf, []byte("%PDF-1.")) ||
		!bytes.Contains(pdf[max(0, len(pdf)-64):], []byte("%%EOF")) {
		t.Fatalf("PDF export: %q, %q, %d bytes starting %q", typ, file, len(pdf), pdf[:min(len(pdf), 8)])
	}
	_, _, rest := exportRun(t, ctx, rs, run, modeplatformv1.ExportReportRunRequest_FORMAT_PDF, int64(len(pdf)/3))
	if !bytes.Equal(append(bytes.Clone(pdf[:len(pdf)/3]), rest...), pdf) {
		t.Error("the PDF resumed at a third is not the rest of the file")
	}
	if _, _, none := exportRun(t, ctx, rs, run, modeplatformv1.ExportReportRunRequest_FORMAT_PDF, int64(len(pdf))); len(none) != 0 {
		t.Errorf("an offset at the end answered %d bytes", len(none))
	}

	typ, file, zipped := exportRun(t, ctx, rs, run, modeplatformv1.ExportReportRunRequest_FORMAT_CSV, 0)
	if typ != "application/zip" || !strings.HasSuffix(file, ".zip") {
		t.Fatalf("CSV export of two queries: %q, %q", typ, file)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil || len(zr.File) != 2 {
		t.Fatalf("the zip: %v files, %v", len(zr.File), err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(rc).ReadAll()
		_ = rc.Close()
		if err != nil || len(records) < 2 {
			t.Errorf("%s: %d records, %v", f.Name, len(records), err)
		}
	}

	// A request the contract refuses names its field in a google.rpc.BadRequest, on a stream too.
	bad, err := rs.ExportReportRun(ctx, connect.NewRequest(&modeplatformv1.ExportReportRunRequest{Name: run}))
	if err == nil {
		for bad.Receive() {
		}
		err = bad.Err()
	}
	if ce := wantCode(t, err, connect.CodeInvalidArgument); !hasBadRequestField(ce, "format") {
		t.Errorf("ExportReportRun without a format: %v, want a BadRequest naming format", ce)
	}

	// A run still going has no file yet.
	slow := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithRunDuration(time.Hour)}})
	srs := slow.clients(protocols[0]).rs
	pending := rptRun(t, ctx, srs, slow.reportName(slow.demo.Reports[0]), nil, "")
	stream, err := srs.ExportReportRun(ctx, connect.NewRequest(&modeplatformv1.ExportReportRunRequest{Name: pending.GetName(), Format: modeplatformv1.ExportReportRunRequest_FORMAT_PDF}))
	if err == nil {
		for stream.Receive() {
		}
		err = stream.Err()
	}
	wantCode(t, err, connect.CodeFailedPrecondition)
}

// hasBadRequestField reports whether ce carries a google.rpc.BadRequest naming field.
func hasBadRequestField(ce *connect.Error, field string) bool {
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if br, ok := v.(*errdetails.BadRequest); ok {
				for _, fv := range br.GetFieldViolations() {
					if fv.GetField() == field {
						return true
					}
				}
			}
		}
	}
	return false
}
