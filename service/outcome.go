package service

import (
	"context"
	"errors"
	"maps"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// ReasonCreateOutcomeUnknown: a create failed in a way that may still have
// happened in Mode (Mode answered 5xx after receiving it, the connection
// broke after it was sent, the create's deadline passed). The code is
// Aborted with no RetryInfo: retrying blindly could create twice. The caller
// should look the result up (ListReportRuns, say) and create again, if it
// must, with a new request_id; within the de-duplication window a retry with
// the same request_id gets this same answer. Part of the contract like the
// reasons in errors.go.
const ReasonCreateOutcomeUnknown = "CREATE_OUTCOME_UNKNOWN"

// createOutcome is the answer to a create that failed with err: err itself
// when Mode certainly did nothing (maybeProcessed), else the outcome-unknown
// answer. nil stays nil.
func createOutcome(err error) error {
	if err == nil || !maybeProcessed(err) {
		return err
	}
	return outcomeUnknown(err)
}

// outcomeUnknown is the Aborted answer of a create that may or may not have
// happened. Its message says so and what to do; its ErrorInfo
// (CREATE_OUTCOME_UNKNOWN) carries the cause's code ("cause") and the
// metadata of the cause's own ErrorInfo (http_status, route …). It has no
// RetryInfo: the cause's (a 503's, say) would invite a blind retry.
func outcomeUnknown(err error) *connect.Error {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		ce = connect.NewError(connect.CodeUnknown, errors.New("the create failed"))
	}
	if errdetail.HasReason(ce, ReasonCreateOutcomeUnknown) {
		return ce
	}
	meta := map[string]string{}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if info, ok := v.(*errdetails.ErrorInfo); ok {
				maps.Copy(meta, info.GetMetadata())
				if info.GetReason() != "" {
					meta["cause_reason"] = info.GetReason()
				}
			}
		}
	}
	meta["cause"] = ce.Code().String()
	e := connect.NewError(connect.CodeAborted, errorf("the create may or may not have happened in Mode (%s); "+
		"look for its result before creating again; a retry with the same request_id answers this again "+
		"while the request is remembered, a new request_id creates anew", ce.Message()))
	errdetail.AddInfo(e, ReasonCreateOutcomeUnknown, meta)
	return e
}

// Reconciliation of an outcome-unknown run: before answering that a run may
// or may not have been created, RunReport (and CloneReportRun) look for it
// among the report's newest runs.
const (
	// reconcileRuns is how many of a report's newest runs are searched.
	reconcileRuns = 20
	// reconcileTimeout bounds the search: it runs after the create failed,
	// possibly because the create's own deadline passed.
	reconcileTimeout = 10 * time.Second
)

// findCreatedRun looks, after a create of a run of report r that may or may
// not have happened, for the run it made: one upstream request for the
// report's newest runs, bypassing the cache. A run is the create's if it was
// created no earlier than since (when the attempt began) and shows the
// parameters params (compared as RunReport renders them) or none at all; the
// run exclude (a clone's source) never is. Exactly one such run is the answer; none, several (other creates of the
// same report with the same parameters ran meanwhile) or a failed search
// give nil, and the outcome stays unknown.
func findCreatedRun(ctx context.Context, cl *modeclient.Client, w, r, exclude string, since time.Time, params map[string]string) *modeclient.ReportRun {
	ctx, cancel := context.WithTimeout(modeclient.WithCacheBypass(context.WithoutCancel(ctx)), reconcileTimeout)
	defer cancel()
	opts := &modeclient.ListRunsOptions{ListOptions: modeclient.ListOptions{PerPage: reconcileRuns}, Order: "desc", OrderBy: "created_at"}
	page, err := cl.ListReportRunsPage(ctx, w, r, 1, opts)
	if err != nil {
		return nil
	}
	return matchCreatedRun(page.Items, exclude, since, params)
}

// matchCreatedRun is findCreatedRun's choice among runs.
func matchCreatedRun(runs []modeclient.ReportRun, exclude string, since time.Time, params map[string]string) *modeclient.ReportRun {
	// Mode's timestamps have milliseconds: a run created in the same
	// millisecond just before the attempt counts as created since (with the
	// same parameters, it makes the search ambiguous or, alone, is answered).
	since = since.Truncate(time.Millisecond)
	var found *modeclient.ReportRun
	for i := range runs {
		run := &runs[i]
		if run.Token == "" || run.Token == exclude || run.CreatedAt.IsZero() || run.CreatedAt.Before(since) || !sameParameters(run.Parameters, params) {
			continue
		}
		if found != nil {
			return nil // ambiguous
		}
		found = run
	}
	return found
}

// sameParameters reports whether a run's parameters as Mode shows them are
// params; a run showing none matches any.
func sameParameters(shown modeclient.Parameters, params map[string]string) bool {
	if len(shown) == 0 {
		return true
	}
	if len(shown) != len(params) {
		return false
	}
	for k, v := range shown {
		want, ok := params[k]
		if !ok || runParameterString(v) != want {
			return false
		}
	}
	return true
}

// reconcileRun is RunReport's reconciliation: after its create failed with
// cerr, the run it may have made (findCreatedRun, never the run exclude) when
// cerr leaves the outcome unknown; else nil.
func (c *core) reconcileRun(ctx context.Context, cl *modeclient.Client, w, r, exclude string, since time.Time, params map[string]string, cerr error) *modeclient.ReportRun {
	if !maybeProcessed(cerr) {
		return nil
	}
	if params == nil {
		params = map[string]string{}
	}
	run := findCreatedRun(ctx, cl, w, r, exclude, since, params)
	if run != nil {
		c.log.InfoContext(ctx, "a run whose create failed was found in Mode", "workspace", w, "report", r, "run", run.Token, "code", connect.CodeOf(cerr).String())
	}
	return run
}

// reconcileClone is CloneReportRun's: the clone shows the parameters of the
// run it copies, which is read first (from the cache when finished).
func (c *core) reconcileClone(ctx context.Context, cl *modeclient.Client, w, r, source string, since time.Time, cerr error) *modeclient.ReportRun {
	if !maybeProcessed(cerr) {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reconcileTimeout)
	src, err := cl.GetReportRun(rctx, w, r, source)
	cancel()
	if err != nil {
		return nil
	}
	params := make(map[string]string, len(src.Parameters))
	for k, v := range src.Parameters {
		params[k] = runParameterString(v)
	}
	return c.reconcileRun(ctx, cl, w, r, source, since, params, cerr)
}
