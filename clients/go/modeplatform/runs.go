package modeplatform

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// maxRetries is how many times in a row a stream is opened again after the server ended it with
// Unavailable without anything new arriving in between.
const maxRetries = 5

// defaultRetryDelay is the wait before opening a stream again when the server's error carries no
// RetryInfo; maxRetryDelay bounds the wait a RetryInfo asks for.
const (
	defaultRetryDelay = 500 * time.Millisecond
	maxRetryDelay     = 30 * time.Second
)

// Terminal reports whether a run in state s has ended: succeeded, failed, cancelled or completed.
func Terminal(s modeplatformv1.ReportRun_State) bool {
	switch s {
	case modeplatformv1.ReportRun_STATE_SUCCEEDED, modeplatformv1.ReportRun_STATE_FAILED,
		modeplatformv1.ReportRun_STATE_CANCELLED, modeplatformv1.ReportRun_STATE_COMPLETED:
		return true
	}
	return false
}

// FollowRun yields the report run named run (`workspaces/{w}/reports/{r}/runs/{run}`) as it is
// now, then each time its state changes, and ends after a terminal state (see Terminal). It
// watches with WatchReportRun; a watch the server ends with Unavailable (shutting down, open for
// its maximum lifetime) is opened again after the delay the server asks for. An error ends the
// sequence; ctx bounds the whole watch.
//
//	for run, err := range c.FollowRun(ctx, name) {
//		if err != nil { return err }
//		fmt.Println(run.GetState())
//	}
func (c *Client) FollowRun(ctx context.Context, run string) iter.Seq2[*modeplatformv1.ReportRun, error] {
	return func(yield func(*modeplatformv1.ReportRun, error) bool) {
		var last *modeplatformv1.ReportRun
		for retries := 0; ; {
			stream, err := c.Reports.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: run}))
			if err != nil {
				yield(nil, fmt.Errorf("modeplatform: watch %s: %w", run, err))
				return
			}
			for stream.Receive() {
				got := stream.Msg().GetRun()
				if last != nil && got.GetState() == last.GetState() {
					continue // the same state again, after a watch was opened again
				}
				last, retries = got, 0
				if !yield(got, nil) {
					_ = stream.Close()
					return
				}
				if Terminal(got.GetState()) {
					_ = stream.Close()
					return
				}
			}
			err = stream.Err()
			_ = stream.Close()
			if err == nil {
				yield(nil, fmt.Errorf("modeplatform: watch %s: the stream ended before the run did", run))
				return
			}
			delay, retry := retryDelay(err)
			if !retry || retries >= maxRetries {
				yield(nil, fmt.Errorf("modeplatform: watch %s: %w", run, err))
				return
			}
			retries++
			if err := sleep(ctx, delay); err != nil {
				yield(nil, fmt.Errorf("modeplatform: watch %s: %w", run, err))
				return
			}
		}
	}
}

// WaitRun follows the report run named run to its end (see FollowRun) and returns it in its
// terminal state. A run that failed or was cancelled is returned too, without an error: look at
// its state.
func (c *Client) WaitRun(ctx context.Context, run string) (*modeplatformv1.ReportRun, error) {
	var last *modeplatformv1.ReportRun
	for r, err := range c.FollowRun(ctx, run) {
		if err != nil {
			return nil, err
		}
		last = r
	}
	return last, nil
}

// QueryRuns lists every query run of the report run named run, one per query of the report,
// reading all pages.
func (c *Client) QueryRuns(ctx context.Context, run string) ([]*modeplatformv1.QueryRun, error) {
	var all []*modeplatformv1.QueryRun
	req := &modeplatformv1.ListQueryRunsRequest{Parent: run}
	for {
		res, err := c.Reports.ListQueryRuns(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, fmt.Errorf("modeplatform: list the query runs of %s: %w", run, err)
		}
		all = append(all, res.Msg.GetQueryRuns()...)
		if res.Msg.GetNextPageToken() == "" {
			return all, nil
		}
		req.PageToken = res.Msg.GetNextPageToken()
	}
}

// retryDelay says whether a stream that ended with err is to be opened again, and after how long:
// only Unavailable is, after its RetryInfo's delay (bounded) or a default one.
func retryDelay(err error) (time.Duration, bool) {
	var cerr *connect.Error
	if !errors.As(err, &cerr) || cerr.Code() != connect.CodeUnavailable {
		return 0, false
	}
	for _, d := range cerr.Details() {
		v, derr := d.Value()
		if info, ok := v.(*errdetails.RetryInfo); derr == nil && ok && info.GetRetryDelay() != nil {
			return min(max(info.GetRetryDelay().AsDuration(), 0), maxRetryDelay), true
		}
	}
	return defaultRetryDelay, true
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
