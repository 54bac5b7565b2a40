package modeclient

import "strings"

// RunState is the state of a report or query run, as Mode spells it in a
// run's "state" field. It is the one table of Mode's run states: the cache's
// notion of a finished run (Finished) and the service's translation to the
// contract both read it.
type RunState int

// The run states Mode reports (MODE_API.md). RunStateUnknown stands for a
// spelling this client does not know.
const (
	RunStateUnknown RunState = iota
	RunStatePending
	RunStateEnqueued
	RunStateRunning
	RunStateRunningNotebook // a report run whose notebook is running
	RunStateSucceeded
	RunStateFailed
	RunStateCancelled
	RunStateCompleted
)

// runStates maps Mode's spellings (lower case) to RunState. Mode's API uses
// "cancelled", "failed" and "succeeded"; "canceled", "errored" and "error"
// have been seen from it and are read as the same states.
var runStates = map[string]RunState{
	"pending":          RunStatePending,
	"enqueued":         RunStateEnqueued,
	"running":          RunStateRunning,
	"running_notebook": RunStateRunningNotebook,
	"succeeded":        RunStateSucceeded,
	"failed":           RunStateFailed,
	"errored":          RunStateFailed,
	"error":            RunStateFailed,
	"cancelled":        RunStateCancelled,
	"canceled":         RunStateCancelled,
	"completed":        RunStateCompleted,
}

// ParseRunState reads a run's state as Mode spells it, ignoring case and
// surrounding space; an unknown spelling is RunStateUnknown.
func ParseRunState(s string) RunState {
	return runStates[strings.ToLower(strings.TrimSpace(s))]
}

// Terminal reports whether a run in state s has finished: it will not change
// again.
func (s RunState) Terminal() bool {
	switch s {
	case RunStateSucceeded, RunStateFailed, RunStateCancelled, RunStateCompleted:
		return true
	}
	return false
}

// String is the state's canonical Mode spelling ("unknown" for RunStateUnknown).
func (s RunState) String() string {
	switch s {
	case RunStatePending:
		return "pending"
	case RunStateEnqueued:
		return "enqueued"
	case RunStateRunning:
		return "running"
	case RunStateRunningNotebook:
		return "running_notebook"
	case RunStateSucceeded:
		return "succeeded"
	case RunStateFailed:
		return "failed"
	case RunStateCancelled:
		return "cancelled"
	case RunStateCompleted:
		return "completed"
	}
	return "unknown"
}

// RunState is the run's state (ParseRunState of State).
func (r *ReportRun) RunState() RunState { return ParseRunState(r.State) }

// RunState is the query run's state (ParseRunState of State).
func (q *QueryRun) RunState() RunState { return ParseRunState(q.State) }

// UnmarshalJSON implements json.Unmarshaler: a state as Mode spells it (ParseRunState); null, a
// non-string or an unknown spelling is RunStateUnknown.
func (s *RunState) UnmarshalJSON(b []byte) error {
	v, _ := unquote(b)
	*s = ParseRunState(v)
	return nil
}

// MarshalJSON implements json.Marshaler: the state's canonical Mode spelling.
func (s RunState) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }
