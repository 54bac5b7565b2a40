package service_test

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// TestRunReportOutcomeUnknown: a run whose create may have reached Mode is
// looked for among the report's newest runs; found, it is the answer (and
// what a retry with the request_id answers); not found, the answer is
// Aborted CREATE_OUTCOME_UNKNOWN without RetryInfo, to the first call and to
// every retry with the same request_id, and no second run is started.
func TestRunReportOutcomeUnknown(t *testing.T) {
	e := newEnv(t, envConfig{})
	rs := e.clients(protocols[0]).rs
	ctx := testContext(t)
	report := e.demo.ParamReport
	name := e.reportName(report)
	runsPath := "/api/" + e.demo.Workspace + "/reports/" + report + "/runs"
	posts := func() int { return e.mode.CountRequests(http.MethodPost, runsPath) }
	lists := func() int { // the run list itself, not a run or its form
		n := 0
		for _, r := range e.mode.Requests() {
			if r.Method == http.MethodGet && r.Path == runsPath {
				n++
			}
		}
		return n
	}

	tests := []struct {
		name       string
		fault      modetest.Fault
		reconciled bool // the run is found and answered
	}{
		{"5xx after Mode created the run", modetest.Fault{Status: http.StatusInternalServerError, Process: true}, true},
		{"connection cut after Mode created the run", modetest.Fault{Drop: true, Process: true}, true},
		{"5xx and Mode created nothing", modetest.Fault{Status: http.StatusBadGateway}, false},
		{"connection cut and Mode created nothing", modetest.Fault{Drop: true}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case its own parameters: a run another case made in the
			// same millisecond (Mode's precision) must not look like this
			// case's.
			region := []string{"West", "East", "Midwest", "Northeast"}[i]
			params := map[string]string{"region": region}
			id := "outcome-" + string(rune('a'+i))
			f := tt.fault
			f.Method, f.Path, f.Times = http.MethodPost, runsPath, 1
			e.mode.AddFault(f)
			p0, l0 := posts(), lists()
			req := func() *connect.Request[modeplatformv1.RunReportRequest] {
				return connect.NewRequest(&modeplatformv1.RunReportRequest{Name: name, Parameters: params, RequestId: id})
			}
			first, err1 := rs.RunReport(ctx, req())
			retry, err2 := rs.RunReport(ctx, req())
			if n := posts() - p0; n != 1 {
				t.Errorf("%d POSTs reached Mode, want 1", n)
			}
			if n := lists() - l0; n != 1 {
				t.Errorf("%d run lists read from Mode, want 1 (the reconciliation, bypassing the cache)", n)
			}
			if tt.reconciled {
				if err1 != nil || err2 != nil {
					t.Fatalf("RunReport: %v; retry: %v", err1, err2)
				}
				run := first.Msg.GetRun()
				if run.GetName() == "" || retry.Msg.GetRun().GetName() != run.GetName() {
					t.Errorf("first run %q, retry's %q: want the same found run", run.GetName(), retry.Msg.GetRun().GetName())
				}
				if run.GetParameters()["region"] != region {
					t.Errorf("run parameters %v", run.GetParameters())
				}
				if _, err := rs.GetReportRun(ctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: run.GetName()})); err != nil {
					t.Errorf("the answered run does not exist: %v", err)
				}
				return
			}
			for n, err := range []error{err1, err2} {
				ce := wantCode(t, err, connect.CodeAborted)
				info, retryInfo, _ := rptDetails(t, ce)
				if info.GetReason() != service.ReasonCreateOutcomeUnknown || info.GetDomain() != service.ErrorDomain {
					t.Errorf("answer %d: ErrorInfo %v, want %s", n+1, info, service.ReasonCreateOutcomeUnknown)
				}
				if retryInfo != nil {
					t.Errorf("answer %d carries RetryInfo %v: it invites a blind retry", n+1, retryInfo)
				}
				for _, want := range []string{"may or may not", "new request_id"} {
					if !strings.Contains(ce.Message(), want) {
						t.Errorf("answer %d: message %q lacks %q", n+1, ce.Message(), want)
					}
				}
			}
			// A new request_id creates anew.
			if _, err := rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: name, Parameters: map[string]string{"region": "South"}, RequestId: id + "-new"})); err != nil {
				t.Errorf("with a new request_id: %v", err)
			}
		})
	}
}

// TestCloneReportRunOutcomeUnknown: a clone Mode made but whose answer was
// lost is found and answered, the same to a retry.
func TestCloneReportRunOutcomeUnknown(t *testing.T) {
	e := newEnv(t, envConfig{})
	rs := e.clients(protocols[0]).rs
	ctx := testContext(t)
	name := e.reportName(e.demo.ParamReport)
	src, err := rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: name, Parameters: map[string]string{"region": "East"}}))
	if err != nil {
		t.Fatal(err)
	}
	srcName := src.Msg.GetRun().GetName()
	clonePath := "/api/" + e.demo.Workspace + "/reports/" + e.demo.ParamReport + "/runs/*/clone"
	e.mode.AddFault(modetest.Fault{Method: http.MethodPost, Path: clonePath, Status: http.StatusServiceUnavailable, Process: true, Times: 1})
	req := func() *connect.Request[modeplatformv1.CloneReportRunRequest] {
		return connect.NewRequest(&modeplatformv1.CloneReportRunRequest{Name: srcName, RequestId: "clone-lost"})
	}
	first, err := rs.CloneReportRun(ctx, req())
	if err != nil {
		t.Fatalf("CloneReportRun: %v", err)
	}
	again, err := rs.CloneReportRun(ctx, req())
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	got := first.Msg.GetRun()
	if got.GetName() == srcName || got.GetName() != again.Msg.GetRun().GetName() || got.GetParameters()["region"] != "East" {
		t.Errorf("clone %v, retry's %v (source %s)", got, again.Msg.GetRun(), srcName)
	}
	if n := e.mode.CountRequests(http.MethodPost, "/api/"+e.demo.Workspace+"/reports/"+e.demo.ParamReport+"/runs/"); n != 1 {
		t.Errorf("%d clone POSTs reached Mode, want 1", n)
	}
}

// TestCreateRefusals: Mode's refusals of a run for the report's state, or of
// this service's credential, are answered with their own codes (never
// Unauthenticated, never the outcome-unknown answer) and are not remembered:
// a retry with the same request_id tries again.
func TestCreateRefusals(t *testing.T) {
	e := newEnv(t, envConfig{})
	rs := e.clients(protocols[0]).rs
	ctx := testContext(t)
	report := e.demo.Reports[0]
	name := e.reportName(report)
	runsPath := "/api/" + e.demo.Workspace + "/reports/" + report + "/runs"
	req := func(id string) *connect.Request[modeplatformv1.RunReportRequest] {
		return connect.NewRequest(&modeplatformv1.RunReportRequest{Name: name, RequestId: id})
	}

	t.Run("manual runs disabled", func(t *testing.T) {
		e.mode.SetManualRunDisabled(report, true)
		_, err := rs.RunReport(ctx, req("refused-1"))
		ce := wantCode(t, err, connect.CodeFailedPrecondition)
		if info, _, _ := rptDetails(t, ce); info.GetReason() != service.ReasonUpstreamFailedPrecondition {
			t.Errorf("ErrorInfo %v, want %s", info, service.ReasonUpstreamFailedPrecondition)
		}
		e.mode.SetManualRunDisabled(report, false)
		if _, err := rs.RunReport(ctx, req("refused-1")); err != nil {
			t.Errorf("retry once runs are enabled again: %v", err)
		}
	})

	t.Run("our credential refused", func(t *testing.T) {
		remove := e.mode.AddFault(modetest.Fault{Method: http.MethodPost, Path: runsPath, Status: http.StatusUnauthorized, Times: 1})
		defer remove()
		_, err := rs.RunReport(ctx, req("refused-2"))
		ce := wantCode(t, err, connect.CodeUnavailable)
		if info, _, _ := rptDetails(t, ce); info.GetReason() != service.ReasonUpstreamCredentialRejected {
			t.Errorf("ErrorInfo %v, want %s", info, service.ReasonUpstreamCredentialRejected)
		}
		for _, leak := range []string{e.mode.Token, e.mode.Secret} {
			if strings.Contains(ce.Message(), leak) {
				t.Errorf("message %q contains a credential", ce.Message())
			}
		}
		if _, err := rs.RunReport(ctx, req("refused-2")); err != nil {
			t.Errorf("retry after the credential was accepted again: %v", err)
		}
	})
}
