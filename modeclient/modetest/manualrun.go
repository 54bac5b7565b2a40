package modetest

import "net/http"

// manualRunsDisabledMessage is the 400 the emulator answers a run (or clone) of a report whose
// manual runs are disabled. Mode's spec gives the refusal no id of its own ("bad_request").
const manualRunsDisabledMessage = "Manual runs are disabled for this report."

// SetManualRunDisabled sets the manual_run_disabled field of a report, as a report's owner can
// in Mode: while it is set, POST …/runs and …/runs/{run}/clone answer 400 (bad_request,
// "Manual runs are disabled for this report."). It reports whether the report exists.
func (e *Emulator) SetManualRunDisabled(reportToken string, disabled bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, st := range e.workspaces {
		if rep := st.reportByTok[reportToken]; rep != nil {
			rep.manualRunDisabled = disabled
			return true
		}
	}
	return false
}

// refuseManualRun answers 400 and returns true when rep's manual runs are disabled. Call with
// e.mu held.
func refuseManualRun(w http.ResponseWriter, rep *report) bool {
	if !rep.manualRunDisabled {
		return false
	}
	badRequest(w, manualRunsDisabledMessage)
	return true
}
