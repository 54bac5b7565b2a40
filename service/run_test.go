package service_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.uber.org/goleak"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// rptTerminal are the run states that end a watch.
var rptTerminal = []modeplatformv1.ReportRun_State{
	modeplatformv1.ReportRun_STATE_SUCCEEDED, modeplatformv1.ReportRun_STATE_FAILED, modeplatformv1.ReportRun_STATE_CANCELLED, modeplatformv1.ReportRun_STATE_COMPLETED,
}

// rptRun starts a run of report with params and request id.
func rptRun(t *testing.T, ctx context.Context, api rptReportAPI, report string, params map[string]string, requestID string) *modeplatformv1.ReportRun {
	t.Helper()
	res, err := api.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report, Parameters: params, RequestId: requestID}))
	if err != nil {
		t.Fatalf("RunReport(%s): %v", report, err)
	}
	return res.Msg.GetRun()
}

// rptWatch follows a run to the end of the stream and returns the runs
// received and the stream's error.
func rptWatch(ctx context.Context, rs modeplatformv1connect.ReportServiceClient, name string) ([]*modeplatformv1.ReportRun, error) {
	stream, err := rs.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: name}))
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	var runs []*modeplatformv1.ReportRun
	for stream.Receive() {
		runs = append(runs, stream.Msg().GetRun())
	}
	return runs, stream.Err()
}

// rptStates returns the runs' states.
func rptStates(runs []*modeplatformv1.ReportRun) []modeplatformv1.ReportRun_State {
	out := make([]modeplatformv1.ReportRun_State, len(runs))
	for i, r := range runs {
		out[i] = r.GetState()
	}
	return out
}

// rptCheckWatch checks a finished watch of the run name: no error, every
// message about that run, a message per state change only, and the last
// message (only) in state want.
func rptCheckWatch(t *testing.T, name string, runs []*modeplatformv1.ReportRun, err error, want modeplatformv1.ReportRun_State) {
	t.Helper()
	if err != nil {
		t.Fatalf("watch of %s ended with %v after %v", name, err, rptStates(runs))
	}
	if len(runs) == 0 {
		t.Fatalf("watch of %s sent nothing", name)
	}
	states := rptStates(runs)
	for i, r := range runs {
		if r.GetName() != name {
			t.Errorf("message %d is about %q, want %q", i, r.GetName(), name)
		}
		if i > 0 && states[i] == states[i-1] {
			t.Errorf("states %v: message %d repeats its state", states, i)
		}
		if i < len(runs)-1 && slices.Contains(rptTerminal, states[i]) {
			t.Errorf("states %v: terminal state before the last message", states)
		}
	}
	last := runs[len(runs)-1]
	if last.GetState() != want {
		t.Errorf("states %v: last %v, want %v", states, last.GetState(), want)
	}
	if last.GetCompleteTime() == nil {
		t.Errorf("terminal run without complete_time")
	}
}

// TestRunReport runs reports and follows their runs over every protocol,
// each protocol on reports of its own where it counts Mode's requests:
// watches end in the run's terminal state, request_id makes RunReport and
// CloneReportRun safe to retry, and ListReportRuns shows new runs at once.
func TestRunReport(t *testing.T) {
	t.Parallel()
	// The generated reports (Demo.Reports[12:]) run cheap SQL.
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithExtraReports(15)}})
	ctx := testContext(t)
	paramReport := e.reportName(e.demo.ParamReport)
	generated := func(i int) string { return e.reportName(e.demo.Reports[12+i]) }
	reportRequests := func(method, report, suffix string) int {
		return e.mode.CountRequests(method, "/api/"+e.demo.Workspace+"/reports/"+report[strings.LastIndex(report, "/")+1:]+suffix)
	}

	// Before any other run: the parameterised report succeeds, and then
	// names its run as its latest successful one.
	first := rptRun(t, ctx, e.clients(protocols[0]).rs, paramReport, map[string]string{"region": "West"}, "")
	runs, err := rptWatch(ctx, e.clients(protocols[0]).rs, first.GetName())
	rptCheckWatch(t, first.GetName(), runs, err, modeplatformv1.ReportRun_STATE_SUCCEEDED)
	rep := rptGet(t, ctx, e.clients(protocols[0]).rs, paramReport)
	if rep.GetLastSuccessfulRun() != first.GetName() || rep.GetLastRunTime() == nil || rep.GetLastSuccessfulRunTime() == nil || rep.GetRunCount() != 1 {
		t.Errorf("report after its run: last_successful_run %q (want %q), last_run_time %v, last_successful_run_time %v, run_count %d",
			rep.GetLastSuccessfulRun(), first.GetName(), rep.GetLastRunTime(), rep.GetLastSuccessfulRunTime(), rep.GetRunCount())
	}

	for i, p := range protocols {
		t.Run(p.name+"/watch", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			rs := e.clients(p).rs
			tests := []struct {
				report string
				params map[string]string
				want   modeplatformv1.ReportRun_State
			}{
				{paramReport, map[string]string{"region": "West"}, modeplatformv1.ReportRun_STATE_SUCCEEDED},
				{e.reportName(e.demo.FailingReport), nil, modeplatformv1.ReportRun_STATE_FAILED},
			}
			for _, tt := range tests {
				run := rptRun(t, ctx, rs, tt.report, tt.params, "")
				if !strings.HasPrefix(run.GetName(), tt.report+"/runs/") || len(run.GetName()) == len(tt.report+"/runs/") {
					t.Fatalf("run name %q not under %s", run.GetName(), tt.report)
				}
				if run.GetState() == modeplatformv1.ReportRun_STATE_UNSPECIFIED || run.GetCreateTime() == nil || !strings.HasPrefix(run.GetWebUri(), "http") {
					t.Errorf("new run: state %v, create_time %v, web_uri %q", run.GetState(), run.GetCreateTime(), run.GetWebUri())
				}
				for k, v := range tt.params {
					if run.GetParameters()[k] != v {
						t.Errorf("new run parameters = %v, want %s=%s", run.GetParameters(), k, v)
					}
				}
				runs, err := rptWatch(ctx, rs, run.GetName())
				rptCheckWatch(t, run.GetName(), runs, err, tt.want)

				res, err := rs.GetReportRun(ctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: run.GetName()}))
				if err != nil {
					t.Fatalf("GetReportRun: %v", err)
				}
				got := res.Msg.GetRun()
				if got.GetName() != run.GetName() || got.GetState() != tt.want || got.GetCompleteTime() == nil || got.GetUpdateTime() == nil {
					t.Errorf("GetReportRun = %v", got)
				}
				for k, v := range tt.params {
					if got.GetParameters()[k] != v {
						t.Errorf("GetReportRun parameters = %v, want %s=%s", got.GetParameters(), k, v)
					}
				}
			}

			// A finished run: one message, then the end.
			runs, err := rptWatch(ctx, rs, first.GetName())
			rptCheckWatch(t, first.GetName(), runs, err, modeplatformv1.ReportRun_STATE_SUCCEEDED)
			if len(runs) != 1 {
				t.Errorf("watch of a finished run sent %v, want one message", rptStates(runs))
			}
			// A run that does not exist.
			missing := paramReport + "/runs/0123456789ab"
			_, err = rptWatch(ctx, rs, missing)
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
			_, err = rs.GetReportRun(ctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: missing}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
		})

		t.Run(p.name+"/request_id", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			rs := e.clients(p).rs
			report, other := generated(i), generated(3+i)
			posts := func() int { return reportRequests("POST", report, "/runs") }
			params := map[string]string{"region": "West", "min_total": "500"}
			run1 := rptRun(t, ctx, rs, report, params, "retry-1")
			again := rptRun(t, ctx, rs, report, map[string]string{"min_total": "500", "region": "West"}, "retry-1")
			if again.GetName() != run1.GetName() {
				t.Errorf("retry answered run %s, want %s", again.GetName(), run1.GetName())
			}
			if n := posts(); n != 1 {
				t.Errorf("%d POSTs to Mode after a retry, want 1", n)
			}

			// Racing retries of a new id: one run among them all.
			var wg sync.WaitGroup
			names := make([]string, 8)
			for j := range names {
				wg.Go(func() {
					res, err := rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report, Parameters: params, RequestId: "retry-2"}))
					if err != nil {
						t.Errorf("RunReport: %v", err)
						return
					}
					names[j] = res.Msg.GetRun().GetName()
				})
			}
			wg.Wait()
			if distinct := slices.Compact(slices.Sorted(slices.Values(names))); len(distinct) != 1 || names[0] == run1.GetName() {
				t.Errorf("racing retries answered runs %v", names)
			}
			if n := posts(); n != 2 {
				t.Errorf("%d POSTs to Mode after racing retries, want 2", n)
			}

			// The same id with other parameters is refused without a word
			// to Mode.
			before := reportRequests("", report, "")
			for _, changed := range []map[string]string{{"region": "East", "min_total": "500"}, {"region": "West"}, nil} {
				_, err := rs.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report, Parameters: changed, RequestId: "retry-1"}))
				if ce := wantCode(t, err, connect.CodeInvalidArgument); !rptNamesField(ce.Message(), "request_id") {
					t.Errorf("message %q does not name request_id", ce.Message())
				}
			}
			if n := reportRequests("", report, "") - before; n != 0 {
				t.Errorf("%d upstream requests for refused retries, want 0", n)
			}

			// The id is scoped to the report; without an id every call runs.
			elsewhere := rptRun(t, ctx, rs, other, params, "retry-1")
			a := rptRun(t, ctx, rs, report, params, "")
			b := rptRun(t, ctx, rs, report, params, "")
			if n := reportRequests("POST", other, "/runs"); n != 1 || a.GetName() == b.GetName() || a.GetName() == run1.GetName() {
				t.Errorf("runs %s, %s (%d POSTs to its report), %s, %s: want all different", run1.GetName(), elsewhere.GetName(), n, a.GetName(), b.GetName())
			}
			if n := posts(); n != 4 {
				t.Errorf("%d POSTs to Mode, want 4", n)
			}
		})

		t.Run(p.name+"/clone", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			rs := e.clients(p).rs
			report := generated(6 + i)
			src := rptRun(t, ctx, rs, report, map[string]string{"region": "Midwest"}, "")
			clone := func(name, requestID string) (*modeplatformv1.ReportRun, error) {
				res, err := rs.CloneReportRun(ctx, connect.NewRequest(&modeplatformv1.CloneReportRunRequest{Name: name, RequestId: requestID}))
				if err != nil {
					return nil, err
				}
				return res.Msg.GetRun(), nil
			}
			c1, err := clone(src.GetName(), "")
			if err != nil {
				t.Fatalf("CloneReportRun: %v", err)
			}
			c2, err := clone(src.GetName(), "clone-1")
			if err != nil {
				t.Fatalf("CloneReportRun(clone-1): %v", err)
			}
			c2again, err := clone(src.GetName(), "clone-1")
			if err != nil {
				t.Fatalf("CloneReportRun(clone-1) again: %v", err)
			}
			for _, c := range []*modeplatformv1.ReportRun{c1, c2} {
				if c.GetName() == src.GetName() || !strings.HasPrefix(c.GetName(), report+"/runs/") || c.GetParameters()["region"] != "Midwest" {
					t.Errorf("clone %s of %s has parameters %v", c.GetName(), src.GetName(), c.GetParameters())
				}
			}
			if c1.GetName() == c2.GetName() || c2again.GetName() != c2.GetName() {
				t.Errorf("clones %s, %s, %s: want two runs, the last two the same", c1.GetName(), c2.GetName(), c2again.GetName())
			}
			srcToken := src.GetName()[strings.LastIndex(src.GetName(), "/")+1:]
			if n := reportRequests("POST", report, "/runs/"+srcToken+"/clone"); n != 2 {
				t.Errorf("%d clone POSTs to Mode, want 2", n)
			}
			// The same id for another run's clone is refused.
			_, err = clone(c1.GetName(), "clone-1")
			if ce := wantCode(t, err, connect.CodeInvalidArgument); !rptNamesField(ce.Message(), "request_id") {
				t.Errorf("message %q does not name request_id", ce.Message())
			}
			missing := report + "/runs/0123456789ab"
			_, err = clone(missing, "")
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
			// The clones follow their own course.
			runs, err := rptWatch(ctx, rs, c2.GetName())
			rptCheckWatch(t, c2.GetName(), runs, err, modeplatformv1.ReportRun_STATE_SUCCEEDED)

			res, err := rs.ListReportRuns(ctx, connect.NewRequest(&modeplatformv1.ListReportRunsRequest{Parent: report}))
			if err != nil {
				t.Fatalf("ListReportRuns: %v", err)
			}
			if got, want := rptRunNames(res.Msg.GetRuns()), []string{c2.GetName(), c1.GetName(), src.GetName()}; !slices.Equal(got, want) {
				t.Errorf("ListReportRuns = %v, want newest first %v", got, want)
			}
		})

		t.Run(p.name+"/list", func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			rs := e.clients(p).rs
			report := generated(9 + i)
			list := func(parent string, size int32, token string) *modeplatformv1.ListReportRunsResponse {
				t.Helper()
				res, err := rs.ListReportRuns(ctx, connect.NewRequest(&modeplatformv1.ListReportRunsRequest{Parent: parent, PageSize: size, PageToken: token}))
				if err != nil {
					t.Fatalf("ListReportRuns: %v", err)
				}
				return res.Msg
			}
			if n := len(list(report, 0, "").GetRuns()); n != 0 {
				t.Fatalf("%d runs before any run", n)
			}
			before := reportRequests("GET", report, "/runs")
			list(report, 0, "")
			if n := reportRequests("GET", report, "/runs") - before; n != 0 {
				t.Fatalf("the empty list was not cached (%d upstream requests)", n)
			}
			var want []string // newest first
			for j := range 3 {
				run := rptRun(t, ctx, rs, report, map[string]string{"n": strconv.Itoa(j)}, "")
				want = append([]string{run.GetName()}, want...)
				got := list(report, 0, "")
				if names := rptRunNames(got.GetRuns()); !slices.Equal(names, want) {
					t.Fatalf("after run %d: ListReportRuns = %v, want %v", j, names, want)
				}
				if got.GetRuns()[0].GetParameters()["n"] != strconv.Itoa(j) || got.GetTotalSize() != int32(j+1) {
					t.Errorf("newest run parameters = %v, total_size %d", got.GetRuns()[0].GetParameters(), got.GetTotalSize())
				}
				if _, err := rptWatch(ctx, rs, run.GetName()); err != nil {
					t.Fatalf("watch: %v", err)
				}
			}
			// Page by page, each run once, in order.
			var paged []string
			token := ""
			for range 10 {
				page := list(report, 1, token)
				if len(page.GetRuns()) > 1 {
					t.Fatalf("page of %d runs, want at most 1", len(page.GetRuns()))
				}
				paged = append(paged, rptRunNames(page.GetRuns())...)
				if token = page.GetNextPageToken(); token == "" {
					break
				}
			}
			if !slices.Equal(paged, want) {
				t.Errorf("paged ListReportRuns = %v, want %v", paged, want)
			}
			all := list(report, 0, "").GetRuns()
			for j := 1; j < len(all); j++ {
				if all[j-1].GetCreateTime().AsTime().Before(all[j].GetCreateTime().AsTime()) || all[j].GetState() != modeplatformv1.ReportRun_STATE_SUCCEEDED {
					t.Errorf("runs not newest first, or not finished: %v", all)
				}
			}
			// A token of this list does not fit another report's list.
			token = list(report, 1, "").GetNextPageToken()
			elsewhere := generated(12 + i) // a report no other subtest runs or reads
			before = reportRequests("", elsewhere, "")
			_, err := rs.ListReportRuns(ctx, connect.NewRequest(&modeplatformv1.ListReportRunsRequest{Parent: elsewhere, PageToken: token}))
			if ce := wantCode(t, err, connect.CodeInvalidArgument); !rptNamesField(ce.Message(), "page_token") {
				t.Errorf("message %q does not name page_token", ce.Message())
			}
			if n := reportRequests("", elsewhere, "") - before; n != 0 {
				t.Errorf("%d upstream requests for a foreign token, want 0", n)
			}
		})
	}
}

// rptRunNames returns the runs' names.
func rptRunNames(runs []*modeplatformv1.ReportRun) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.GetName()
	}
	return out
}

// TestWatchReportRunDeadline watches a run that takes an hour: the stream
// ends with the caller's DeadlineExceeded (or Canceled when the caller
// cancels), and no goroutine of the watch outlives it. Not parallel:
// goleak looks at every goroutine of the process.
func TestWatchReportRunDeadline(t *testing.T) {
	// Connections to Mode close after each request, so the only goroutines
	// a finished watch may leave are those of a connection pool.
	modeTransport := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(modeTransport.CloseIdleConnections)
	e := newEnv(t, envConfig{
		modeOpts:   []modetest.Option{modetest.WithRunDuration(time.Hour)},
		clientOpts: []modeclient.Option{modeclient.WithHTTPClient(&http.Client{Transport: routeRecorder{next: modeTransport}})},
	})
	ctx := testContext(t)
	run := rptRun(t, ctx, e.clients(protocols[0]).rs, e.reportName(e.demo.Reports[0]), nil, "")
	for _, p := range protocols {
		for _, cancelEarly := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cancel=%v", p.name, cancelEarly), func(t *testing.T) {
				rs := e.clients(p).rs
				// The watch gets a connection of its own, opened after the
				// snapshot: over HTTP/1.1 the handler runs on the goroutine
				// serving the connection, which must not be one goleak was
				// told to ignore.
				e.http.CloseIdleConnections()
				ignore := goleak.IgnoreCurrent()

				wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				stream, err := rs.WatchReportRun(wctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: run.GetName()}))
				if err != nil {
					t.Fatalf("WatchReportRun: %v", err)
				}
				var states []modeplatformv1.ReportRun_State
				for stream.Receive() {
					states = append(states, stream.Msg().GetRun().GetState())
					if cancelEarly {
						cancel()
					}
				}
				want := connect.CodeDeadlineExceeded
				if cancelEarly {
					want = connect.CodeCanceled
				}
				wantCode(t, stream.Err(), want)
				if err := stream.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				if len(states) == 0 || slices.ContainsFunc(states, func(s modeplatformv1.ReportRun_State) bool { return slices.Contains(rptTerminal, s) }) {
					t.Errorf("states %v: want the current state and no terminal one", states)
				}
				e.http.CloseIdleConnections()
				goleak.VerifyNone(t, ignore)
			})
		}
	}
}

// rptFakeStep is one answer of rptFakeMode to a GET of a run: a state, or
// an HTTP error status.
type rptFakeStep struct {
	status int
	state  string
}

// rptFakeMode is a scripted stand-in for Mode's run endpoint: each GET of a
// run answers that run's next step (the last one repeats), so a test can
// play states the emulator never produces.
type rptFakeMode struct {
	mu    sync.Mutex
	steps map[string][]rptFakeStep // by run token
	gets  map[string]int
}

// ServeHTTP answers GET /api/{ws}/reports/{report}/runs/{run}.
func (f *rptFakeMode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(r.URL.Path, "/")
	if r.Method != http.MethodGet || len(parts) != 7 || parts[3] != "reports" || parts[5] != "runs" {
		http.Error(w, `{"id":"not_found","message":"Not found"}`, http.StatusNotFound)
		return
	}
	token := parts[6]
	f.mu.Lock()
	steps := f.steps[token]
	i := f.gets[token]
	f.gets[token]++
	f.mu.Unlock()
	if len(steps) == 0 {
		http.Error(w, `{"id":"not_found","message":"Report run not found"}`, http.StatusNotFound)
		return
	}
	step := steps[min(i, len(steps)-1)]
	w.Header().Set("Content-Type", "application/hal+json")
	if step.status != 0 {
		w.WriteHeader(step.status)
		fmt.Fprintf(w, `{"id":"error","message":"HTTP %d"}`, step.status)
		return
	}
	completed := "null"
	if slices.Contains([]string{"succeeded", "failed", "cancelled", "canceled", "completed", "errored", "error"}, strings.ToLower(step.state)) {
		completed = `"2024-03-02T11:31:00.000Z"`
	}
	fmt.Fprintf(w, `{"token":%q,"state":%q,"created_at":"2024-03-02T11:30:00.123Z","updated_at":"2024-03-02T11:30:30.000Z","completed_at":%s,
"parameters":{"region":"West","min_total":1000,"big":12345678901234567890,"list":[1,"a"],"obj":{"k":true},"on":false,"none":null},
"_links":{"self":{"href":"/api/%s/reports/%s/runs/%s"},"web_external_url":{"href":"/%s/reports/%s/runs/%s"}}}`,
		token, step.state, completed, parts[2], parts[4], token, parts[2], parts[4], token)
}

// getsOf returns how many GETs the run token got.
func (f *rptFakeMode) getsOf(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[token]
}

// rptFakeEnv is the service stack of newEnv (handlers with the
// interceptors on an HTTP/1.1 and h2c server, generated clients) reading
// runs from a script instead of the emulator, which it does not start (the
// emulator's seeding is the slow part of newEnv). Each scripted run is read
// once per call (no retries, no cache), so the fake's GET counts are the
// service's polls. Only the env fields the clients need are set.
func rptFakeEnv(t *testing.T, script map[string][]rptFakeStep) (*env, *rptFakeMode) {
	t.Helper()
	fake := &rptFakeMode{steps: script, gets: map[string]int{}}
	mode := httptest.NewServer(fake)
	t.Cleanup(mode.Close)
	mc, err := modeclient.New(mode.URL, modeclient.Credential{Token: "fake", Secret: "fake"},
		modeclient.WithMaxAttempts(1), modeclient.WithHTTPClient(mode.Client()))
	if err != nil {
		t.Fatalf("modeclient.New: %v", err)
	}
	svc, err := service.New(service.Options{
		Upstream:         service.SingleClient(mc),
		WatchMinInterval: time.Millisecond,
		WatchMaxInterval: 4 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	url, hc := serve(t, svc)
	return &env{
		ws: "workspaces/" + modetest.DemoWorkspace, svc: svc, url: url, http: hc,
	}, fake
}

// TestReportRunStates maps every Mode run state, and translates the run's
// fields, parameters of every JSON kind included.
func TestReportRunStates(t *testing.T) {
	t.Parallel()
	states := map[string]modeplatformv1.ReportRun_State{
		"pending":          modeplatformv1.ReportRun_STATE_PENDING,
		"enqueued":         modeplatformv1.ReportRun_STATE_ENQUEUED,
		"running":          modeplatformv1.ReportRun_STATE_RUNNING,
		"running_notebook": modeplatformv1.ReportRun_STATE_RUNNING_NOTEBOOK,
		"succeeded":        modeplatformv1.ReportRun_STATE_SUCCEEDED,
		"failed":           modeplatformv1.ReportRun_STATE_FAILED,
		"cancelled":        modeplatformv1.ReportRun_STATE_CANCELLED,
		"canceled":         modeplatformv1.ReportRun_STATE_CANCELLED,
		"completed":        modeplatformv1.ReportRun_STATE_COMPLETED,
		"Succeeded":        modeplatformv1.ReportRun_STATE_SUCCEEDED,
		"errored":          modeplatformv1.ReportRun_STATE_FAILED,
		"exploded":         modeplatformv1.ReportRun_STATE_UNSPECIFIED,
		"":                 modeplatformv1.ReportRun_STATE_UNSPECIFIED,
	}
	script := map[string][]rptFakeStep{}
	tokens := map[string]string{}
	i := 0
	for s := range states {
		tok := fmt.Sprintf("run%03d", i)
		i++
		tokens[s] = tok
		script[tok] = []rptFakeStep{{state: s}}
	}
	e, _ := rptFakeEnv(t, script)
	report := e.reportName("abc123")
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			for s, want := range states {
				name := report + "/runs/" + tokens[s]
				res, err := e.clients(p).rs.GetReportRun(ctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: name}))
				if err != nil {
					t.Fatalf("GetReportRun(%q): %v", s, err)
				}
				got := res.Msg.GetRun()
				if got.GetState() != want {
					t.Errorf("Mode state %q = %v, want %v", s, got.GetState(), want)
				}
				if got.GetName() != name || !strings.HasSuffix(got.GetWebUri(), "/parch_and_posey/reports/abc123/runs/"+tokens[s]) || !strings.HasPrefix(got.GetWebUri(), "http") {
					t.Errorf("name %q, web_uri %q", got.GetName(), got.GetWebUri())
				}
				wantCreate := time.Date(2024, 3, 2, 11, 30, 0, 123e6, time.UTC)
				if !got.GetCreateTime().AsTime().Equal(wantCreate) || !got.GetUpdateTime().AsTime().Equal(wantCreate.Add(30*time.Second-123*time.Millisecond)) {
					t.Errorf("create_time %v, update_time %v", got.GetCreateTime().AsTime(), got.GetUpdateTime().AsTime())
				}
				if (got.GetCompleteTime() != nil) != slices.Contains(rptTerminal, want) {
					t.Errorf("state %v with complete_time %v", got.GetState(), got.GetCompleteTime())
				}
				wantParams := map[string]string{
					"region": "West", "min_total": "1000", "big": "12345678901234567890",
					"list": `[1,"a"]`, "obj": `{"k":true}`, "on": "false", "none": "",
				}
				for k, v := range wantParams {
					if gv, ok := got.GetParameters()[k]; !ok || gv != v {
						t.Errorf("parameters[%s] = %q, want %q", k, gv, v)
					}
				}
			}
		})
	}
}

// TestWatchReportRunScripted follows scripted runs: a message per state
// change only (a state unknown to the API counts), the end right after a
// terminal state (no poll more), transient Mode failures ridden out,
// persistent ones and a vanished run passed on.
func TestWatchReportRunScripted(t *testing.T) {
	t.Parallel()
	s := func(states ...string) []rptFakeStep {
		out := make([]rptFakeStep, len(states))
		for i, st := range states {
			out[i] = rptFakeStep{state: st}
		}
		return out
	}
	unavailable := rptFakeStep{status: http.StatusServiceUnavailable}
	tests := []struct {
		name  string
		steps []rptFakeStep
		want  []modeplatformv1.ReportRun_State
		code  connect.Code // 0 for a clean end
		gets  int          // GETs of the run, 0 for unchecked
	}{
		{"unknown state", s("pending", "pending", "pending", "launching", "running_notebook", "running_notebook", "completed", "completed"),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_PENDING, modeplatformv1.ReportRun_STATE_UNSPECIFIED, modeplatformv1.ReportRun_STATE_RUNNING_NOTEBOOK, modeplatformv1.ReportRun_STATE_COMPLETED}, 0, 7},
		{"cancelled", s("enqueued", "running", "cancelled"),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_ENQUEUED, modeplatformv1.ReportRun_STATE_RUNNING, modeplatformv1.ReportRun_STATE_CANCELLED}, 0, 3},
		{"transient failures", append(append(s("running"), unavailable, unavailable, unavailable), s("running", "succeeded")...),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_RUNNING, modeplatformv1.ReportRun_STATE_SUCCEEDED}, 0, 6},
		{"persistent failure", append(s("running"), unavailable),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_RUNNING}, connect.CodeUnavailable, 0},
		{"vanished", append(s("running"), rptFakeStep{status: http.StatusNotFound}),
			[]modeplatformv1.ReportRun_State{modeplatformv1.ReportRun_STATE_RUNNING}, connect.CodeNotFound, 2},
		{"forbidden at once", []rptFakeStep{{status: http.StatusForbidden}}, nil, connect.CodePermissionDenied, 1},
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			script := map[string][]rptFakeStep{}
			for i, tt := range tests {
				script[fmt.Sprintf("run%d", i)] = tt.steps
			}
			e, fake := rptFakeEnv(t, script)
			ctx := testContext(t)
			for i, tt := range tests {
				token := fmt.Sprintf("run%d", i)
				name := e.reportName("abc123") + "/runs/" + token
				runs, err := rptWatch(ctx, e.clients(p).rs, name)
				if got := rptStates(runs); !slices.Equal(got, tt.want) {
					t.Errorf("%s: states %v, want %v", tt.name, got, tt.want)
				}
				if tt.code == 0 {
					rptCheckWatch(t, name, runs, err, tt.want[len(tt.want)-1])
				} else if ce := wantCode(t, err, tt.code); !strings.Contains(ce.Message(), name) {
					t.Errorf("%s: message %q does not name %s", tt.name, ce.Message(), name)
				}
				if n := fake.getsOf(token); tt.gets > 0 && n != tt.gets {
					t.Errorf("%s: %d GETs of the run, want %d", tt.name, n, tt.gets)
				}
			}
		})
	}
}

// rptRunInvalidCases are malformed requests of the run methods.
func rptRunInvalidCases(e *env) []rptInvalidCase {
	report := e.reportName(e.demo.ParamReport)
	run := report + "/runs/0123456789ab"
	badRuns := []string{
		"", report, report + "/runs/", report + "/runs/a/b", report + "/queries/abc", e.ws + "/runs/abc",
		report + "/runs/" + strings.Repeat("a", 65), report + "/runs/a%2Fb", "workspaces/-x/reports/r/runs/x",
		run + "/queryRuns/abc",
	}
	var cases []rptInvalidCase
	for _, bad := range badRuns {
		cases = append(cases,
			rptInvalidCase{"GetReportRun/" + bad, "name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.GetReportRun(ctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: bad}))
				return err
			}},
			rptInvalidCase{"CloneReportRun/" + bad, "name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.CloneReportRun(ctx, connect.NewRequest(&modeplatformv1.CloneReportRunRequest{Name: bad}))
				return err
			}},
		)
	}
	for _, bad := range rptBadReportNames(e) {
		cases = append(cases,
			rptInvalidCase{"RunReport/" + bad, "name", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: bad}))
				return err
			}},
			rptInvalidCase{"ListReportRuns/" + bad, "parent", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.ListReportRuns(ctx, connect.NewRequest(&modeplatformv1.ListReportRunsRequest{Parent: bad}))
				return err
			}},
		)
	}
	runReport := func(params map[string]string, requestID string) func(context.Context, rptReportAPI) error {
		return func(ctx context.Context, api rptReportAPI) error {
			_, err := api.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report, Parameters: params, RequestId: requestID}))
			return err
		}
	}
	tooMany := map[string]string{}
	for i := range 101 {
		tooMany[fmt.Sprintf("p%d", i)] = "x"
	}
	for _, key := range []string{"", "1st", "has space", "dotted.name", "région", "-dash", strings.Repeat("k", 65), "a/b", "a\x00b"} {
		cases = append(cases, rptInvalidCase{fmt.Sprintf("RunReport/parameter name %q", key), "parameters", runReport(map[string]string{key: "x"}, "")})
	}
	cases = append(cases,
		rptInvalidCase{"RunReport/too many parameters", "parameters", runReport(tooMany, "")},
		rptInvalidCase{"RunReport/long value", "parameters", runReport(map[string]string{"region": strings.Repeat("x", 16385)}, "")},
	)
	for _, id := range []string{"has space", "ünïcode", strings.Repeat("r", 65), "a/b", "a.b"} {
		cases = append(cases,
			rptInvalidCase{"RunReport/request_id " + id, "request_id", runReport(nil, id)},
			rptInvalidCase{"CloneReportRun/request_id " + id, "request_id", func(ctx context.Context, api rptReportAPI) error {
				_, err := api.CloneReportRun(ctx, connect.NewRequest(&modeplatformv1.CloneReportRunRequest{Name: run, RequestId: id}))
				return err
			}},
		)
	}
	listRuns := func(req *modeplatformv1.ListReportRunsRequest) func(context.Context, rptReportAPI) error {
		return func(ctx context.Context, api rptReportAPI) error {
			_, err := api.ListReportRuns(ctx, connect.NewRequest(req))
			return err
		}
	}
	cases = append(cases,
		rptInvalidCase{"ListReportRuns/page_size negative", "page_size", listRuns(&modeplatformv1.ListReportRunsRequest{Parent: report, PageSize: -1})},
		rptInvalidCase{"ListReportRuns/page_size too big", "page_size", listRuns(&modeplatformv1.ListReportRunsRequest{Parent: report, PageSize: 1001})},
		rptInvalidCase{"ListReportRuns/page_token garbage", "page_token", listRuns(&modeplatformv1.ListReportRunsRequest{Parent: report, PageToken: "garbage!"})},
		rptInvalidCase{"ListReportRuns/page_token too long", "page_token", listRuns(&modeplatformv1.ListReportRunsRequest{Parent: report, PageToken: strings.Repeat("A", 1025)})},
	)
	return cases
}
