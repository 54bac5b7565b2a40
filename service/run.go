package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Report runs of ReportService: RunReport, CloneReportRun, GetReportRun,
// ListReportRuns and WatchReportRun. Query runs and results live in
// query.go and results.go.

// maxWatchPollFailures is how many polls in a row may fail transiently
// (Mode unavailable or rate limited) before WatchReportRun gives up and
// passes the error on.
const maxWatchPollFailures = 5

// RunReport starts a run of a report with the given parameters and answers
// with the new run, usually not finished. With a request_id, a retry within
// the de-duplication window answers the first call's run. When the create
// may or may not have happened (a 5xx, a connection lost after sending), the
// run is looked for among the report's newest runs (outcome.go); not found,
// the answer is Aborted CREATE_OUTCOME_UNKNOWN.
func (s *ReportServer) RunReport(ctx context.Context, req *connect.Request[modeplatformv1.RunReportRequest]) (*connect.Response[modeplatformv1.RunReportResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // parameters' names, sizes and count; request_id
		return nil, err
	}
	name := m.GetName()
	w, r, err := parseReportName("name", name)
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	// '/' separates the ids: neither a workspace nor a token contains one.
	scope := "RunReport\x00" + w + "/" + r
	res, err := do(ctx, s.core.creates, scope, m.GetRequestId(), runParametersFingerprint(m.GetParameters()),
		func(ctx context.Context) (*modeplatformv1.RunReportResponse, error) {
			// Inside the create: a retry of a run already made is answered
			// without reading the form again. Refused, nothing is recorded.
			if err := checkRunParameters(ctx, cl, w, r, name, m.GetParameters()); err != nil {
				return nil, err
			}
			params := parametersToMode(m.GetParameters())
			start := s.core.opts.Now()
			run, err := cl.RunReport(ctx, w, r, params)
			if err != nil {
				cerr := upstreamError(err, name)
				if run = s.core.reconcileRun(ctx, cl, w, r, "", start, m.GetParameters(), cerr); run == nil {
					return nil, cerr
				}
			}
			return &modeplatformv1.RunReportResponse{Run: runFromMode(cl, w, r, run)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// CloneReportRun starts a new run of a report with the parameters of an
// earlier run. With a request_id, a retry within the de-duplication window
// answers the first call's run. An outcome-unknown clone is reconciled like
// RunReport's run.
func (s *ReportServer) CloneReportRun(ctx context.Context, req *connect.Request[modeplatformv1.CloneReportRunRequest]) (*connect.Response[modeplatformv1.CloneReportRunResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	name := m.GetName()
	w, r, run, err := parseReportRunName("name", name)
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	scope := "CloneReportRun\x00" + w + "/" + r
	fp := fingerprint64(run)
	res, err := do(ctx, s.core.creates, scope, m.GetRequestId(), fp,
		func(ctx context.Context) (*modeplatformv1.CloneReportRunResponse, error) {
			start := s.core.opts.Now()
			clone, err := cl.CloneReportRun(ctx, w, r, run)
			if err != nil {
				cerr := upstreamError(err, name)
				if clone = s.core.reconcileClone(ctx, cl, w, r, run, start, cerr); clone == nil {
					return nil, cerr
				}
			}
			return &modeplatformv1.CloneReportRunResponse{Run: runFromMode(cl, w, r, clone)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// GetReportRun returns one run of a report.
func (s *ReportServer) GetReportRun(ctx context.Context, req *connect.Request[modeplatformv1.GetReportRunRequest]) (*connect.Response[modeplatformv1.GetReportRunResponse], error) {
	name := req.Msg.GetName()
	w, r, run, err := parseReportRunName("name", name)
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	// modeclient caches a run only once it is finished (caching.go), so an
	// unfinished run is always read fresh from Mode.
	got, err := cl.GetReportRun(ctx, w, r, run)
	if err != nil {
		return nil, upstreamError(err, name)
	}
	return connect.NewResponse(&modeplatformv1.GetReportRunResponse{Run: runFromMode(cl, w, r, got)}), nil
}

// ListReportRuns lists the runs of a report, newest first.
func (s *ReportServer) ListReportRuns(ctx context.Context, req *connect.Request[modeplatformv1.ListReportRunsRequest]) (*connect.Response[modeplatformv1.ListReportRunsResponse], error) {
	opts := &modeclient.ListRunsOptions{Order: "desc", OrderBy: "created_at"}
	page, err := listOf(ctx, s.core, req.Msg, patReport,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.ReportRun], error) {
			return cl.ListReportRunsPage(ctx, ids[0], ids[1], modePage, opts)
		},
		func(cl *modeclient.Client, ids []string, run *modeclient.ReportRun) *modeplatformv1.ReportRun {
			return runFromMode(cl, ids[0], ids[1], run)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListReportRunsResponse{Runs: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// WatchReportRun streams a run: as it is now at once, then again each time
// Mode reports another state, and ends (with no error) after sending a
// terminal state. It polls Mode from Options.WatchMinInterval, backing off
// ×1.5 per poll without change up to Options.WatchMaxInterval, and back to
// the minimum after a change — one poll for every watcher of the run with
// the same credential (watchRun). It returns as soon as the caller goes
// away.
func (s *ReportServer) WatchReportRun(ctx context.Context, req *connect.Request[modeplatformv1.WatchReportRunRequest], stream *connect.ServerStream[modeplatformv1.WatchReportRunResponse]) error {
	name := req.Msg.GetName()
	w, r, run, err := parseReportRunName("name", name)
	if err != nil {
		return err
	}
	sc, ctx := s.core.startStream(ctx)
	defer sc.end()
	send := func(msg *modeplatformv1.WatchReportRunResponse) error {
		return sc.send(func() error { return stream.Send(msg) })
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return err
	}
	return watchRun(ctx, s.core, sc, cl, name,
		func(ctx context.Context) (*modeclient.ReportRun, error) { return cl.GetReportRun(ctx, w, r, run) },
		func(cur *modeclient.ReportRun) error {
			return send(&modeplatformv1.WatchReportRunResponse{Run: runFromMode(cl, w, r, cur)})
		})
}

// watchedRun is a run a Watch method follows: a report run or a dataset run.
type watchedRun interface {
	Finished() bool
	RunState() modeclient.RunState
}

// watchRun follows the run name, read with cl by get, sending it with send
// as it is now, then again on each state change, until a terminal state.
// Every watcher of the run with the same client shares one poller
// (poller.go): it polls Mode from Options.WatchMinInterval, backing off
// ×1.5 per poll without change up to Options.WatchMaxInterval, and back to
// the minimum after a change; a few transient failures in a row are retried
// (maxWatchPollFailures). A watcher that joins a poller gets the state of
// its last poll at once; one too slow to read every state gets the latest
// (and always the terminal one).
func watchRun[R watchedRun](ctx context.Context, c *core, sc *streamCtl, cl *modeclient.Client, name string, get func(context.Context) (R, error), send func(R) error) error {
	if err := ctx.Err(); err != nil { // the server drains: start no poller
		return sc.fail(upstreamError(err, name), -1)
	}
	sub := subscribe(ctx, &c.pollers, pollKey{client: cl, what: "run\x00" + name}, 0,
		func() pollSpec[R] { return runPollSpec(name, get) })
	defer sub.leave()
	var last modeclient.RunState
	sent := false
	for {
		cur, err := sub.next(ctx)
		if err != nil {
			return sc.fail(watchError(ctx, err, name), -1)
		}
		if !sent || cur.Finished() || cur.RunState() != last {
			if err := send(cur); err != nil {
				return sc.fail(err, -1)
			}
			sent, last = true, cur.RunState()
		}
		if cur.Finished() {
			return nil
		}
	}
}

// runPollSpec polls the run name with get: a value per state change, the
// last one finished.
func runPollSpec[R watchedRun](name string, get func(context.Context) (R, error)) pollSpec[R] {
	polled, have := false, false
	var last modeclient.RunState
	return pollSpec[R]{
		poll: func(ctx context.Context, _ int64) (R, bool, bool, error) {
			// The first read may come from the cache: modeclient caches a
			// run only once it is finished (caching.go), and a finished run
			// never changes. The next ones bypass it: a run in progress
			// must be read from Mode whatever the cache holds (which costs
			// nothing extra: the cache keeps no unfinished run).
			if polled {
				ctx = modeclient.WithCacheBypass(ctx)
			}
			polled = true
			cur, err := get(ctx)
			if err != nil {
				return cur, false, false, err
			}
			changed := !have || cur.RunState() != last
			have, last = true, cur.RunState()
			return cur, changed, cur.Finished(), nil
		},
		transient: func(err error) bool { return connect.CodeOf(upstreamError(err, name)) == connect.CodeUnavailable },
	}
}

// watchBackoff is the poll interval after one without change.
func watchBackoff(wait, maxWait time.Duration) time.Duration {
	next := time.Duration(float64(wait) * 1.5)
	if next > maxWait || next <= 0 {
		return maxWait
	}
	return next
}

// watchError maps a failed poll; once the caller's context is done, its
// error (DeadlineExceeded or Canceled) wins over whatever the poll saw.
func watchError(ctx context.Context, err error, name string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return upstreamError(ctxErr, name)
	}
	return upstreamError(err, name)
}

// parseReportRunName parses workspaces/{w}/reports/{r}/runs/{run}.
func parseReportRunName(field, name string) (w, r, run string, err error) {
	ids, err := parseName(field, name, patRun)
	if err != nil {
		return "", "", "", err
	}
	return ids[0], ids[1], ids[2], nil
}

// runParametersFingerprint identifies a parameter set whatever the map's
// order: names sorted, every name and value length-prefixed so that no two
// different sets hash alike by shifting bytes between fields.
func runParametersFingerprint(params map[string]string) uint64 {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fields := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		fields = append(fields, k, params[k])
	}
	return fingerprint64(fields...)
}

// reportRunStateFromMode maps a Mode report run state (modeclient's one
// table of them); one this API does not know is STATE_UNSPECIFIED.
func reportRunStateFromMode(s string) modeplatformv1.ReportRun_State {
	switch modeclient.ParseRunState(s) {
	case modeclient.RunStatePending:
		return modeplatformv1.ReportRun_STATE_PENDING
	case modeclient.RunStateEnqueued:
		return modeplatformv1.ReportRun_STATE_ENQUEUED
	case modeclient.RunStateRunning:
		return modeplatformv1.ReportRun_STATE_RUNNING
	case modeclient.RunStateRunningNotebook:
		return modeplatformv1.ReportRun_STATE_RUNNING_NOTEBOOK
	case modeclient.RunStateSucceeded:
		return modeplatformv1.ReportRun_STATE_SUCCEEDED
	case modeclient.RunStateFailed:
		return modeplatformv1.ReportRun_STATE_FAILED
	case modeclient.RunStateCancelled:
		return modeplatformv1.ReportRun_STATE_CANCELLED
	case modeclient.RunStateCompleted:
		return modeplatformv1.ReportRun_STATE_COMPLETED
	}
	return modeplatformv1.ReportRun_STATE_UNSPECIFIED
}

// runFromMode translates a Mode run of report r in workspace w, read with cl.
func runFromMode(cl *modeclient.Client, w, r string, run *modeclient.ReportRun) *modeplatformv1.ReportRun {
	out := &modeplatformv1.ReportRun{
		Name:         runName(w, r, run.Token),
		State:        reportRunStateFromMode(run.State),
		CreateTime:   timestamp(run.CreatedAt),
		UpdateTime:   timestamp(run.UpdatedAt),
		CompleteTime: timestamp(run.CompletedAt),
		WebUri:       cl.ResolveURL(run.WebURL()),
	}
	if len(run.Parameters) > 0 {
		out.Parameters = make(map[string]string, len(run.Parameters))
		for k, v := range run.Parameters {
			out.Parameters[k] = runParameterString(v)
		}
	}
	return out
}

// runParameterString renders a parameter value Mode holds: strings as they
// are, numbers, lists and objects as their JSON text, null as "".
func runParameterString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
