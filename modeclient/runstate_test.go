package modeclient

import "testing"

func TestParseRunState(t *testing.T) {
	for _, tt := range []struct {
		in       string
		want     RunState
		terminal bool
	}{
		{"pending", RunStatePending, false},
		{"enqueued", RunStateEnqueued, false},
		{"running", RunStateRunning, false},
		{"running_notebook", RunStateRunningNotebook, false},
		{"succeeded", RunStateSucceeded, true},
		{" Succeeded ", RunStateSucceeded, true},
		{"failed", RunStateFailed, true},
		{"errored", RunStateFailed, true},
		{"error", RunStateFailed, true},
		{"cancelled", RunStateCancelled, true},
		{"canceled", RunStateCancelled, true},
		{"completed", RunStateCompleted, true},
		{"", RunStateUnknown, false},
		{"exploded", RunStateUnknown, false},
	} {
		got := ParseRunState(tt.in)
		if got != tt.want || got.Terminal() != tt.terminal {
			t.Errorf("ParseRunState(%q) = %v (terminal %v), want %v (terminal %v)", tt.in, got, got.Terminal(), tt.want, tt.terminal)
		}
		if terminalState(tt.in) != tt.terminal {
			t.Errorf("terminalState(%q) = %v", tt.in, !tt.terminal)
		}
	}
	// Every state's canonical spelling reads back as itself.
	for s := RunStatePending; s <= RunStateCompleted; s++ {
		if got := ParseRunState(s.String()); got != s {
			t.Errorf("ParseRunState(%q) = %v, want %v", s.String(), got, s)
		}
	}
}
