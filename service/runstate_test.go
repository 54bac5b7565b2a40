package service

import (
	"testing"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// TestRunStatesFromMode: every state of modeclient's table maps to a contract state for report
// and query runs alike, finished ones to finished ones; an unknown one is STATE_UNSPECIFIED.
func TestRunStatesFromMode(t *testing.T) {
	reportDone := map[modeplatformv1.ReportRun_State]bool{
		modeplatformv1.ReportRun_STATE_SUCCEEDED: true, modeplatformv1.ReportRun_STATE_FAILED: true,
		modeplatformv1.ReportRun_STATE_CANCELLED: true, modeplatformv1.ReportRun_STATE_COMPLETED: true,
	}
	queryDone := map[modeplatformv1.QueryRun_State]bool{
		modeplatformv1.QueryRun_STATE_SUCCEEDED: true, modeplatformv1.QueryRun_STATE_FAILED: true,
		modeplatformv1.QueryRun_STATE_CANCELLED: true, modeplatformv1.QueryRun_STATE_COMPLETED: true,
	}
	for s := modeclient.RunStatePending; s <= modeclient.RunStateCompleted; s++ {
		r, q := reportRunStateFromMode(s.String()), queryRunStateFromMode(s.String())
		if r == modeplatformv1.ReportRun_STATE_UNSPECIFIED || q == modeplatformv1.QueryRun_STATE_UNSPECIFIED {
			t.Errorf("%v: report run %v, query run %v; want both mapped", s, r, q)
		}
		if reportDone[r] != s.Terminal() || queryDone[q] != s.Terminal() {
			t.Errorf("%v (terminal %v): report run %v, query run %v", s, s.Terminal(), r, q)
		}
	}
	// Spellings Mode has used for a failed run fail the query run too (they were unmapped).
	for _, in := range []string{"errored", "error", "FAILED"} {
		if got := queryRunStateFromMode(in); got != modeplatformv1.QueryRun_STATE_FAILED {
			t.Errorf("query run state %q = %v, want STATE_FAILED", in, got)
		}
	}
	if got := reportRunStateFromMode("exploded"); got != modeplatformv1.ReportRun_STATE_UNSPECIFIED {
		t.Errorf("unknown report run state = %v", got)
	}
}
