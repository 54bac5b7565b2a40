package contracttest_test

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/contracttest"
)

func TestMethodsAndRequests(t *testing.T) {
	methods := contracttest.Methods(t)
	seen := map[protoreflect.FullName]bool{}
	for _, m := range methods {
		seen[m.FullName()] = true
	}
	for _, want := range []protoreflect.FullName{
		"modeplatform.v1.WorkspaceService.GetWorkspace",
		"modeplatform.v1.ReportService.StreamQueryResults",
		"modeplatform.v1.DataSourceService.GetDataSource",
	} {
		if !seen[want] {
			t.Errorf("Methods lacks %s (%d methods)", want, len(methods))
		}
	}
	const name = "workspaces/acme/reports/r1"
	for _, m := range methods {
		if contracttest.Request(t, m, name) == nil {
			t.Errorf("%s: no request", m.FullName())
		}
	}
	// The three ways a name is carried.
	if r := contracttest.Request(t, modeplatformv1.File_modeplatform_v1_report_proto.Services().ByName("ReportService").Methods().ByName("GetReport"), name).(*modeplatformv1.GetReportRequest); r.GetName() != name {
		t.Errorf("GetReport name = %q", r.GetName())
	}
	if r := contracttest.Request(t, modeplatformv1.File_modeplatform_v1_report_proto.Services().ByName("ReportService").Methods().ByName("ListReports"), name).(*modeplatformv1.ListReportsRequest); r.GetParent() != name {
		t.Errorf("ListReports parent = %q", r.GetParent())
	}
	if r := contracttest.Request(t, modeplatformv1.File_modeplatform_v1_report_proto.Services().ByName("ReportService").Methods().ByName("UpdateReport"), name).(*modeplatformv1.UpdateReportRequest); r.GetReport().GetName() != name {
		t.Errorf("UpdateReport report.name = %q", r.GetReport().GetName())
	}
}
