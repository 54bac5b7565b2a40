package modetest

import (
	"net/http"
	"strings"
	"testing"
)

// TestFaultProcessThenFail: with Process, the request takes effect (a run is
// created) and the answer is lost: a 5xx, or a dropped connection. Without
// it, the fault answers instead of the emulator and nothing happens.
func TestFaultProcessThenFail(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().Reports[0]
	runsPath := wsPath("reports", rep, "runs")
	runs := func() int {
		return len(embedded(t, mustJSON(t, s, "GET", runsPath+"?per_page=1000", nil, http.StatusOK), "report_runs"))
	}
	post := func() (int, error) {
		req, err := http.NewRequest("POST", s.URL+runsPath, strings.NewReader(`{"parameters":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(s.Token, s.Secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.Client().Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int // 0: the connection drops
		created    int
	}{
		{"500 after processing", Fault{Method: "POST", Path: runsPath, Status: 500, Process: true, Times: 1}, 500, 1},
		{"drop after processing", Fault{Method: "POST", Path: runsPath, Drop: true, Process: true, Times: 1}, 0, 1},
		{"500 without processing", Fault{Method: "POST", Path: runsPath, Status: 500, Times: 1}, 500, 0},
		{"drop without processing", Fault{Method: "POST", Path: runsPath, Drop: true, Times: 1}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runs()
			s.AddFault(tt.fault)
			status, err := post()
			switch {
			case tt.wantStatus == 0 && err == nil:
				t.Errorf("dropped request answered %d", status)
			case tt.wantStatus != 0 && (err != nil || status != tt.wantStatus):
				t.Errorf("answer %d, %v; want %d", status, err, tt.wantStatus)
			}
			if got := runs() - before; got != tt.created {
				t.Errorf("%d runs created, want %d", got, tt.created)
			}
		})
	}
}
