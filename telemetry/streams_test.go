package telemetry_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestActiveStreams checks modeplatform_stream_active: 1 for the method of a
// stream being served, back to 0 once its caller has gone; unary calls leave
// it alone.
func TestActiveStreams(t *testing.T) {
	clearOTelEnv(t)
	// A run that stays running: WatchReportRun sends its state at once and
	// then waits for a change that does not come while the test looks.
	s := newStack(t, stackConfig{modeOpts: []modetest.Option{modetest.WithRunDuration(time.Hour)}})
	const method = "modeplatform.v1.ReportService/WatchReportRun"
	active := func() string {
		m := s.scrape()
		got := regexp.MustCompile(`(?m)^modeplatform_stream_active\{[^\n]*rpc_method="` + regexp.QuoteMeta(method) + `"[^\n]*\} (\S+)$`).FindStringSubmatch(m)
		if got == nil {
			return "none"
		}
		return got[1]
	}
	if got := active(); got != "none" {
		t.Fatalf("before any stream: modeplatform_stream_active = %s, want no series", got)
	}

	runCtx, cancelRun := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancelRun()
	run, err := s.client.RunReport(runCtx, s.demo.Workspace, s.demo.Reports[0], nil)
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	if _, err := s.rs.GetReport(runCtx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[0])})); err != nil {
		t.Fatalf("GetReport: %v", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	stream, err := s.rs.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{
		Name: fmt.Sprintf("%s/runs/%s", s.reportName(s.demo.Reports[0]), run.Token),
	}))
	if err != nil {
		t.Fatalf("WatchReportRun: %v", err)
	}
	if !stream.Receive() {
		t.Fatalf("WatchReportRun: no first message: %v", stream.Err())
	}
	if got := active(); got != "1" {
		t.Errorf("while the stream is open: modeplatform_stream_active = %s, want 1", got)
	}
	cancel()
	_ = stream.Close()

	// The handler returns once it sees its caller gone.
	deadline := time.Now().Add(30 * time.Second)
	for active() != "0" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := active(); got != "0" {
		t.Errorf("after the caller left: modeplatform_stream_active = %s, want 0", got)
	}
	if m := s.scrape(); regexp.MustCompile(`modeplatform_stream_active\{[^\n]*GetReport`).MatchString(m) {
		t.Errorf("a unary call is counted as a stream:\n%s", grepLines(m, "modeplatform_stream_active"))
	}
}
