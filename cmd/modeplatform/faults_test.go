package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/syncbuf"

	"connectrpc.com/connect"
	"go.uber.org/goleak"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// faultStack is a server in front of an emulator, started and stopped by the test itself (not
// by t.Cleanup) so that goleak can check what is left after both stopped.
type faultStack struct {
	emu    *modetest.Emulator
	stopFn func() error
	base   string
	tr     *http.Transport
	ws     modeplatformv1connect.WorkspaceServiceClient
	rs     modeplatformv1connect.ReportServiceClient
	stderr *syncbuf.Buffer
	key    string
}

// startFaultStack starts the emulator and the server (with a policy; the admin caller).
func startFaultStack(t *testing.T, args ...string) *faultStack {
	t.Helper()
	emu, mode := startMode(t)
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	writeFile(t, policy, policyYAML(testKeys))
	env := map[string]string{
		"MODE_BASE_URL": mode.URL, "MODE_API_TOKEN": userAToken, "MODE_API_SECRET": userASecret, "POLICY_FILE": policy,
		"MODE_RATE_LIMIT": "-1", "CALLER_RATE_LIMIT": "0",
		"MODE_BREAKER_FAILURES": "3", "MODE_BREAKER_OPEN": "200ms", "UNARY_TIMEOUT": "1s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	fs := &faultStack{emu: emu, stderr: &syncbuf.Buffer{}, key: testKeys["admin"]}
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	args = append([]string{"--listen", "127.0.0.1:0", "--admin-listen", "off"}, args...)
	go func() {
		done <- runWith(ctx, args, envMap(env), &syncbuf.Buffer{}, fs.stderr, hooks{ready: func(a net.Addr) { ready <- a }, hup: make(chan os.Signal)})
	}()
	select {
	case a := <-ready:
		fs.base = "http://" + a.String()
	case err := <-done:
		cancel()
		closeMode(emu, mode)
		t.Fatalf("server did not start: %v\n%s", err, fs.stderr)
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	fs.tr = &http.Transport{Protocols: &p}
	hc := &http.Client{Transport: fs.tr}
	fs.ws = modeplatformv1connect.NewWorkspaceServiceClient(hc, fs.base, connect.WithGRPC())
	fs.rs = modeplatformv1connect.NewReportServiceClient(hc, fs.base, connect.WithGRPC())
	fs.stopFn = func() error {
		cancel()
		var err error
		select {
		case err = <-done:
		case <-time.After(waitLimit):
			err = errors.New("server did not stop")
		}
		fs.tr.CloseIdleConnections()
		closeMode(emu, mode)
		return err
	}
	return fs
}

// authed is a request with the stack's key.
func authed[T any](fs *faultStack, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+fs.key)
	return req
}

func (fs *faultStack) getWorkspace(ctx context.Context) error {
	_, err := fs.ws.GetWorkspace(ctx, authed(fs, &modeplatformv1.GetWorkspaceRequest{Name: "workspaces/" + demoWS}))
	return err
}

// healthy checks the server still serves: health SERVING and a read that reaches Mode.
func (fs *faultStack) healthy(t *testing.T, call func(context.Context) error) {
	t.Helper()
	if s, err := checkHealth(t.Context(), fs.base); err != nil || s != "SERVING_STATUS_SERVING" {
		t.Errorf("health after the fault: %q %v", s, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := call(ctx); err != nil {
		t.Errorf("a call after the fault: %v", err)
	}
}

// wantReason fails unless err has code and ErrorInfo reason (reason "" skips it).
func wantReason(t *testing.T, err error, code connect.Code, reason string) {
	t.Helper()
	if connect.CodeOf(err) != code {
		t.Fatalf("err = %v, want %v", err, code)
	}
	if reason == "" {
		return
	}
	_, _, info := errorDetails(t, err)
	if info.GetReason() != reason {
		t.Errorf("ErrorInfo reason %q, want %q (%v)", info.GetReason(), reason, err)
	}
}

// TestFaults injects Mode's misbehaviours through the emulator; for each the caller gets the
// expected code, the server stays healthy, and once the server and the emulator stopped no
// goroutine is left behind. It does not run in parallel: goleak looks at the whole process.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server per fault")
	}
	deadline := func(d time.Duration) (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), d)
	}
	report := func(fs *faultStack) string { return "workspaces/" + demoWS + "/reports/" + fs.emu.Demo().Reports[0] }
	tests := []struct {
		name string
		run  func(t *testing.T, fs *faultStack)
	}{
		{"429Storm", func(t *testing.T, fs *faultStack) {
			remove := fs.emu.AddFault(modetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
			ctx, cancel := deadline(1500 * time.Millisecond)
			defer cancel()
			err := fs.getWorkspace(ctx)
			wantReason(t, err, connect.CodeUnavailable, service.ReasonUpstreamRateLimited)
			if _, retry, _ := errorDetails(t, err); retry.GetRetryDelay().AsDuration() != time.Second {
				t.Errorf("RetryInfo %v, want Mode's Retry-After (1s)", retry)
			}
			// A create during the storm is not remembered as maybe-done: the same id retried
			// after the storm creates it once.
			create := func() (string, error) {
				ctx, cancel := deadline(10 * time.Second) // a create runs to its end: its retries take 2s
				defer cancel()
				resp, err := fs.ws.CreateSpace(ctx, authed(fs, &modeplatformv1.CreateSpaceRequest{
					Parent: "workspaces/" + demoWS, Space: &modeplatformv1.Space{DisplayName: "storm"}, RequestId: "storm-1"}))
				if err != nil {
					return "", err
				}
				return resp.Msg.GetSpace().GetName(), nil
			}
			if _, err := create(); connect.CodeOf(err) != connect.CodeUnavailable {
				t.Fatalf("create during the storm: %v", err)
			}
			remove()
			first, err := create()
			if err != nil {
				t.Fatalf("create after the storm: %v", err)
			}
			if again, err := create(); err != nil || again != first {
				t.Errorf("retry of the create = %q, %v; want %q", again, err, first)
			}
			// 429s never open the breaker.
			fs.healthy(t, fs.getWorkspace)
		}},
		{"5xxBurstOpensTheBreakerThenItRecovers", func(t *testing.T, fs *faultStack) {
			remove := fs.emu.AddFault(modetest.Fault{Status: http.StatusServiceUnavailable})
			ctx, cancel := deadline(10 * time.Second)
			defer cancel()
			// One GET, retried: three 503s, the breaker's threshold.
			wantReason(t, fs.getWorkspace(ctx), connect.CodeUnavailable, service.ReasonUpstreamUnavailable)
			before := len(fs.emu.Requests())
			for range 5 {
				_, err := fs.ws.ListSpaces(ctx, authed(fs, &modeplatformv1.ListSpacesRequest{Parent: "workspaces/" + demoWS}))
				wantReason(t, err, connect.CodeUnavailable, service.ReasonUpstreamCircuitOpen)
				if _, retry, _ := errorDetails(t, err); retry.GetRetryDelay().AsDuration() <= 0 {
					t.Errorf("no RetryInfo while the breaker is open")
				}
			}
			_, err := fs.rs.RunReport(ctx, authed(fs, &modeplatformv1.RunReportRequest{Name: report(fs), RequestId: "open-1"}))
			wantReason(t, err, connect.CodeUnavailable, service.ReasonUpstreamCircuitOpen)
			if n := len(fs.emu.Requests()) - before; n != 0 {
				t.Errorf("%d requests reached Mode while the breaker was open", n)
			}
			remove()
			// After the open period a probe goes through, succeeds and closes the breaker; the
			// create refused while open was not remembered.
			for {
				_, err := fs.ws.ListSpaces(ctx, authed(fs, &modeplatformv1.ListSpacesRequest{Parent: "workspaces/" + demoWS}))
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("never recovered: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if _, err := fs.rs.RunReport(ctx, authed(fs, &modeplatformv1.RunReportRequest{Name: report(fs), RequestId: "open-1"})); err != nil {
				t.Errorf("the create refused while open, retried: %v", err)
			}
			fs.healthy(t, fs.getWorkspace)
		}},
		{"LatencyPastTheDeadline", func(t *testing.T, fs *faultStack) {
			remove := fs.emu.AddFault(modetest.Fault{Latency: time.Second, Times: 1})
			ctx, cancel := deadline(200 * time.Millisecond)
			defer cancel()
			wantReason(t, fs.getWorkspace(ctx), connect.CodeDeadlineExceeded, "")
			remove()
			fs.healthy(t, fs.getWorkspace)
		}},
		{"HangingUpstream", func(t *testing.T, fs *faultStack) {
			remove := fs.emu.AddFault(modetest.Fault{Hang: true, Path: "/api/" + demoWS})
			// No deadline from the caller: the server's default (UNARY_TIMEOUT=1s) ends it.
			wantReason(t, fs.getWorkspace(context.Background()), connect.CodeDeadlineExceeded, "")
			remove()
			// The hung fetch of that key is shared until the cache's fetch timeout; another
			// resource shows the server is fine.
			fs.healthy(t, func(ctx context.Context) error {
				_, err := fs.ws.ListSpaces(ctx, authed(fs, &modeplatformv1.ListSpacesRequest{Parent: "workspaces/" + demoWS}))
				return err
			})
		}},
		{"ConnectionResets", func(t *testing.T, fs *faultStack) {
			ctx, cancel := deadline(20 * time.Second)
			defer cancel()
			// A GET whose connection drops once is retried transparently.
			remove := fs.emu.AddFault(modetest.Fault{Drop: true, Times: 1, Method: http.MethodGet})
			if err := fs.getWorkspace(ctx); err != nil {
				t.Errorf("GET after one reset: %v", err)
			}
			remove()
			// A run whose connection drops after it was sent may have started: it is not
			// retried; not found among the report's newest runs, it is answered as of unknown
			// outcome, and a retry with the same request_id answers the same instead of
			// starting a second run.
			remove = fs.emu.AddFault(modetest.Fault{Drop: true, Method: http.MethodPost})
			posts := func() int { return fs.emu.CountRequests(http.MethodPost, "/api/") }
			p0 := posts()
			_, err := fs.rs.RunReport(ctx, authed(fs, &modeplatformv1.RunReportRequest{Name: report(fs), RequestId: "reset-1"}))
			wantReason(t, err, connect.CodeAborted, service.ReasonCreateOutcomeUnknown)
			remove()
			_, err2 := fs.rs.RunReport(ctx, authed(fs, &modeplatformv1.RunReportRequest{Name: report(fs), RequestId: "reset-1"}))
			if connect.CodeOf(err2) != connect.CodeAborted {
				t.Errorf("retry of a maybe-started run: %v, want the first answer again", err2)
			}
			if n := posts() - p0; n != 1 {
				t.Errorf("%d POSTs reached Mode, want 1", n)
			}
			// A result stream cut mid-way ends the stream with Unavailable.
			started, err := fs.rs.RunReport(ctx, authed(fs, &modeplatformv1.RunReportRequest{Name: report(fs)}))
			if err != nil {
				t.Fatal(err)
			}
			watch, err := fs.rs.WatchReportRun(ctx, authed(fs, &modeplatformv1.WatchReportRunRequest{Name: started.Msg.GetRun().GetName()}))
			if err != nil {
				t.Fatal(err)
			}
			for watch.Receive() {
			}
			if err := watch.Err(); err != nil {
				t.Fatal(err)
			}
			_ = watch.Close()
			qrs, err := fs.rs.ListQueryRuns(ctx, authed(fs, &modeplatformv1.ListQueryRunsRequest{Parent: started.Msg.GetRun().GetName()}))
			if err != nil || len(qrs.Msg.GetQueryRuns()) == 0 {
				t.Fatalf("ListQueryRuns: %v", err)
			}
			remove = fs.emu.AddFault(modetest.Fault{Truncate: true, Path: "/api/*/reports/*/runs/*/query_runs/*/results/*"})
			stream, err := fs.rs.StreamQueryResults(ctx, authed(fs, &modeplatformv1.StreamQueryResultsRequest{Name: qrs.Msg.GetQueryRuns()[0].GetName()}))
			if err == nil {
				for stream.Receive() {
				}
				err = stream.Err()
				_ = stream.Close()
			}
			if c := connect.CodeOf(err); c != connect.CodeUnavailable && c != connect.CodeInternal {
				t.Errorf("cut result stream: %v, want Unavailable (or Internal for a cut JSON)", err)
			}
			remove()
			fs.healthy(t, fs.getWorkspace)
		}},
		{"TruncatedJSON", func(t *testing.T, fs *faultStack) {
			remove := fs.emu.AddFault(modetest.Fault{Truncate: true, Path: "/api/" + demoWS})
			ctx, cancel := deadline(20 * time.Second)
			defer cancel()
			wantReason(t, fs.getWorkspace(ctx), connect.CodeUnavailable, service.ReasonUpstreamUnavailable)
			remove()
			fs.healthy(t, fs.getWorkspace)
		}},
		{"MalformedJSON", func(t *testing.T, fs *faultStack) {
			remove := fs.emu.AddFault(modetest.Fault{Malformed: true, Path: "/api/" + demoWS})
			ctx, cancel := deadline(20 * time.Second)
			defer cancel()
			err := fs.getWorkspace(ctx)
			wantReason(t, err, connect.CodeInternal, service.ReasonUpstreamBadResponse)
			remove()
			// Not cached: the next call reads Mode again and succeeds.
			fs.healthy(t, fs.getWorkspace)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			fs := startFaultStack(t)
			func() {
				defer func() {
					if err := fs.stopFn(); err != nil {
						t.Errorf("server stopped with %v; log:\n%s", err, fs.stderr)
					}
				}()
				tt.run(t, fs)
			}()
			goleak.VerifyNone(t, ignore)
		})
	}
}
