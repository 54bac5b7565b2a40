package modetest

import (
	"net/http"
	"testing"
)

func TestManualRunDisabledRefusesRunsAndClones(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().Reports[0]
	first := startRun(t, s, rep, nil)
	if !s.SetManualRunDisabled(rep, true) {
		t.Fatal("SetManualRunDisabled: report not found")
	}
	if s.SetManualRunDisabled("ffffffffffff", true) {
		t.Error("SetManualRunDisabled of an unknown report reported success")
	}
	if got := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK); got["manual_run_disabled"] != true {
		t.Errorf("report manual_run_disabled = %v, want true", got["manual_run_disabled"])
	}
	for _, tt := range []struct{ name, path string }{
		{"run", wsPath("reports", rep, "runs")},
		{"clone", wsPath("reports", rep, "runs", first["token"].(string), "clone")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := mustJSON(t, s, "POST", tt.path, object{}, http.StatusBadRequest)
			if got["id"] != "bad_request" || got["message"] != manualRunsDisabledMessage {
				t.Errorf("body = %v", got)
			}
		})
	}
	runs := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "runs"), nil, http.StatusOK), "report_runs")
	if len(runs) != 1 {
		t.Errorf("%d runs after refused runs, want 1", len(runs))
	}
	s.SetManualRunDisabled(rep, false)
	startRun(t, s, rep, nil)
}
