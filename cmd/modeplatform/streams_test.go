package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

func TestParseStreamConfig(t *testing.T) {
	c, err := parseConfig([]string{"--upstream-streams", "4", "--stream-idle-timeout", "10s", "--result-max-row-bytes", "2MiB"},
		envMap(map[string]string{"STREAM_MAX_LIFETIME": "30m", "RESULT_MAX_VALUE_BYTES": "512KiB", "MODE_STREAMS": "9"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := streamConfig{upstreamStreams: 4, idleTimeout: 10 * time.Second, maxLifetime: 30 * time.Minute, maxRowBytes: 2 << 20, maxValueBytes: 512 << 10}
	if c.streams != want {
		t.Errorf("streams %+v, want %+v", c.streams, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--upstream-streams", "0"}, "MODE_STREAMS"},
		{[]string{"--stream-idle-timeout", "0s"}, "STREAM_IDLE_TIMEOUT"},
		{[]string{"--stream-max-lifetime", "-1s"}, "STREAM_MAX_LIFETIME"},
		{[]string{"--result-max-row-bytes", "4MiB"}, "RESULT_MAX_ROW_BYTES"},
		{[]string{"--result-max-value-bytes", "4MiB"}, "RESULT_MAX_VALUE_BYTES"},
		{[]string{"--result-max-row-bytes", "lots"}, "result-max-row-bytes"},
	} {
		if _, err := parseConfig(tc.args, envMap(nil), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseConfig(%q) = %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}

// bigResult makes the emulator's first demo report hold one query of rows*1000 random bytes of
// hex, runs it, and returns its query run's resource name.
func bigResult(t *testing.T, mode *modetest.Server, rows int) string {
	t.Helper()
	ctx := t.Context()
	mc, err := modeclient.New(mode.URL, modeclient.Credential{Token: mode.Token, Secret: mode.Secret})
	if err != nil {
		t.Fatal(err)
	}
	demo := mode.Demo()
	ws, report := demo.Workspace, demo.Reports[0]
	var tokens []string
	for q, err := range mc.ListQueries(ctx, ws, report, nil) {
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, q.Token)
	}
	for _, q := range tokens {
		if err := mc.DeleteQuery(ctx, ws, report, q); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := mc.GetDataSource(ctx, ws, demo.DataSource)
	if err != nil {
		t.Fatal(err)
	}
	sql := `WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < ` + strconv.Itoa(rows) + `)
SELECT id, hex(randomblob(500)) AS cell FROM seq`
	if _, err := mc.CreateQuery(ctx, ws, report, modeclient.QueryCreate{RawQuery: sql, DataSourceID: int64(ds.ID), Name: "Big"}); err != nil {
		t.Fatal(err)
	}
	run, err := mc.RunReport(ctx, ws, report, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(waitLimit); !run.Finished(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("run still %s", run.State)
		}
		if run, err = mc.GetReportRun(ctx, ws, report, run.Token); err != nil {
			t.Fatal(err)
		}
	}
	for qr, err := range mc.ListQueryRuns(ctx, ws, report, run.Token, nil) {
		if err != nil {
			t.Fatal(err)
		}
		return "workspaces/" + ws + "/reports/" + report + "/runs/" + run.Token + "/queryRuns/" + qr.Token
	}
	t.Fatal("no query run")
	return ""
}

// TestShutdownEndsStreamsWithResumeOffsets starts the real server, opens an export and a row
// stream that the caller reads slowly (its HTTP/2 windows are the smallest allowed, so the
// server waits in Send), stops the server, and checks that both streams end with Unavailable,
// RetryInfo and the offset to resume from, and that the server then exits cleanly.
func TestShutdownEndsStreamsWithResumeOffsets(t *testing.T) {
	t.Parallel()
	mode := modetest.NewServer(t, modetest.WithRateLimit(0, 0), modetest.WithRunDuration(10*time.Millisecond))
	name := bigResult(t, mode, 2000) // about 2 MB
	drained := make(chan struct{})
	ts := startServer(t, []string{"--shutdown-grace", "1m"}, map[string]string{
		"MODE_BASE_URL": mode.URL, "MODE_API_TOKEN": mode.Token, "MODE_API_SECRET": mode.Secret,
	}, hooks{draining: func() { close(drained) }})

	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: p, HTTP2: &http.HTTP2Config{MaxReceiveBufferPerConnection: 16 << 20, MaxReceiveBufferPerStream: 64 << 10}}
	defer tr.CloseIdleConnections()
	rs := modeplatformv1connect.NewReportServiceClient(&http.Client{Transport: tr}, ts.base, connect.WithGRPC())
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()

	ex, err := rs.ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: name, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV}))
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	rows, err := rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: name, MaxRowsPerBatch: 10}))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var bytes, n int64
	if !ex.Receive() || !rows.Receive() {
		t.Fatalf("no first messages: %v, %v", ex.Err(), rows.Err())
	}
	bytes += int64(len(ex.Msg().GetData()))
	n += int64(len(rows.Msg().GetRows()))

	ts.cancel() // SIGTERM
	select {
	case <-drained:
	case <-ctx.Done():
		t.Fatal("the server never drained")
	}
	for ex.Receive() {
		bytes += int64(len(ex.Msg().GetData()))
	}
	for rows.Receive() {
		n += int64(len(rows.Msg().GetRows()))
	}
	for _, s := range []struct {
		what string
		err  error
		got  int64
	}{{"export", ex.Err(), bytes}, {"rows", rows.Err(), n}} {
		var ce *connect.Error
		if !errors.As(s.err, &ce) || ce.Code() != connect.CodeUnavailable {
			t.Fatalf("%s: %v, want Unavailable", s.what, s.err)
		}
		var reason, resume string
		retry := false
		for _, d := range ce.Details() {
			switch v, _ := d.Value(); x := v.(type) {
			case *errdetails.ErrorInfo:
				reason, resume = x.GetReason(), x.GetMetadata()["resume_offset"]
			case *errdetails.RetryInfo:
				retry = true
			}
		}
		if reason != service.ReasonServerDraining || !retry || resume != strconv.FormatInt(s.got, 10) {
			t.Errorf("%s: reason %q, RetryInfo %v, resume_offset %q after %d", s.what, reason, retry, resume, s.got)
		}
	}
	if err := ts.stop(t); err != nil {
		t.Fatalf("run = %v, want nil", err)
	}
}

// TestSlowExportsDoNotStallOtherCalls: more exports than the credential's request slots
// (--upstream-concurrency 8), each read slowly by its caller, and an uncached GetReport on the
// same credential still goes through.
func TestSlowExportsDoNotStallOtherCalls(t *testing.T) {
	t.Parallel()
	mode := modetest.NewServer(t, modetest.WithRateLimit(0, 0), modetest.WithRunDuration(10*time.Millisecond))
	name := bigResult(t, mode, 2000)
	// The idle timeout is long: the exports are not to end on their own meanwhile.
	ts := startServer(t, []string{"--upstream-concurrency", "8", "--upstream-rps", "-1", "--stream-idle-timeout", "10m"}, map[string]string{
		"MODE_BASE_URL": mode.URL, "MODE_API_TOKEN": mode.Token, "MODE_API_SECRET": mode.Secret,
	}, hooks{})
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: p, HTTP2: &http.HTTP2Config{MaxReceiveBufferPerConnection: 16 << 20, MaxReceiveBufferPerStream: 64 << 10}}
	defer tr.CloseIdleConnections()
	rs := modeplatformv1connect.NewReportServiceClient(&http.Client{Transport: tr}, ts.base, connect.WithGRPC())
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()

	const exports = 10
	for i := range exports {
		ex, err := rs.ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: name, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV}))
		if err != nil {
			t.Fatal(err)
		}
		defer ex.Close()
		if !ex.Receive() { // its Mode response is open: the export is under way
			t.Fatalf("export %d: no first chunk: %v", i+1, ex.Err())
		}
	}
	before := len(mode.Requests())
	req := connect.NewRequest(&modeplatformv1.GetReportRequest{Name: strings.TrimSuffix(name[:strings.Index(name, "/runs/")], "/")})
	req.Header().Set("Cache-Control", "no-cache")
	if _, err := rs.GetReport(ctx, req); err != nil {
		t.Fatalf("GetReport behind %d slow exports: %v", exports, err)
	}
	if len(mode.Requests()) == before {
		t.Fatal("GetReport did not reach Mode")
	}
}
