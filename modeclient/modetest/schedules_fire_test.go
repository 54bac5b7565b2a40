package modetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Tests of schedules firing on a TestClock: the clock moves only when a test moves it, and due
// schedules fire before Advance returns, so nothing here waits for a schedule (only for runs to
// finish, as every run test does).

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newClockServer starts an emulator whose schedules read clk.
func newClockServer(t *testing.T, start time.Time) (*Server, *TestClock) {
	t.Helper()
	clk := NewTestClock(start)
	return newTestServer(t, WithClock(clk)), clk
}

// createSchedule creates a schedule of report with this cron and parameters and returns it.
func createSchedule(t *testing.T, s *Server, report string, cron, params object) object {
	t.Helper()
	body := object{"cron": cron}
	if params != nil {
		body["params"] = params
	}
	return mustJSON(t, s, "POST", wsPath("reports", report, "schedules"), body, http.StatusOK)
}

// firedRuns returns the runs of report that schedule fired (their _links.report_schedule),
// oldest first.
func firedRuns(t *testing.T, s *Server, report, schedule string) []object {
	t.Helper()
	var out []object
	list := embedded(t, mustJSON(t, s, "GET", wsPath("reports", report, "runs")+"?order=asc&per_page=1000", nil, http.StatusOK), "report_runs")
	for _, r := range list {
		if strings.HasSuffix(linkHref(r, "report_schedule"), "/schedules/"+schedule) {
			out = append(out, r)
		}
	}
	return out
}

// runCount counts the runs of report without going through HTTP, for loops of many steps.
func runCount(s *Server, report string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.workspaces {
		if rep := st.reportByTok[report]; rep != nil {
			return len(rep.runs)
		}
	}
	return -1
}

// fireTimes advances clk by step until it has moved by total and returns the clock's times at
// which report got new runs.
func fireTimes(s *Server, clk *TestClock, report string, step, total time.Duration) []time.Time {
	var at []time.Time
	n := runCount(s, report)
	for moved := time.Duration(0); moved < total; moved += step {
		clk.Advance(step)
		if m := runCount(s, report); m != n {
			for range m - n {
				at = append(at, clk.Now())
			}
			n = m
		}
	}
	return at
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("time %v is not a string", v)
	}
	tm, err := time.Parse(timeLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func sameTimes(got, want []time.Time) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			return false
		}
	}
	return true
}

func TestScheduleFiresDaily(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	s, clk := newClockServer(t, time.Date(2026, 6, 10, 8, 0, 0, 0, la))
	rep := s.Demo().ParamReport
	// Manual runs disabled refuses manual runs, not scheduled ones.
	s.SetManualRunDisabled(rep, true)
	sch := createSchedule(t, s, rep,
		object{"freq": "daily", "hour": 9, "minute": 30, "time_zone": "Pacific Time (US & Canada)"},
		object{"region": "West", "min_total": 5000})
	tok := sch["token"].(string)
	due := time.Date(2026, 6, 10, 9, 30, 0, 0, la)
	if next := parseTime(t, sch["next_scheduled_run"]); !next.Equal(due) {
		t.Fatalf("next_scheduled_run = %v, want %v", next, due)
	}
	if !parseTime(t, sch["created_at"]).Equal(clk.Now()) {
		t.Errorf("created_at = %v, want the clock's %v", sch["created_at"], clk.Now())
	}
	for _, f := range []string{"last_run_at", "last_succeeded_at", "last_scheduled_run"} {
		if sch[f] != nil {
			t.Errorf("%s = %v before any run", f, sch[f])
		}
	}

	clk.Advance(89*time.Minute + 59*time.Second) // 09:29:59
	if n := runCount(s, rep); n != 0 {
		t.Fatalf("%d runs before 09:30 Pacific", n)
	}
	clk.Advance(time.Second) // 09:30:00
	runs := firedRuns(t, s, rep, tok)
	if len(runs) != 1 || runCount(s, rep) != 1 {
		t.Fatalf("%d scheduled runs (%d in all) at 09:30 Pacific, want 1", len(runs), runCount(s, rep))
	}
	run := runs[0]
	if p := run["parameters"].(object); p["region"] != "West" || p["min_total"] != 5000.0 {
		t.Errorf("run parameters = %v", p)
	}
	runTok := run["token"].(string)
	done := waitRun(t, s, rep, runTok)
	if done["state"] != stateSucceeded {
		t.Fatalf("scheduled run = %v", done)
	}
	qr := queryRuns(t, s, rep, runTok)[0]
	if src := qr["rendered_source"].(string); !strings.Contains(src, "r.name = 'West'") || !strings.Contains(src, ">= 5000") {
		t.Errorf("rendered_source = %s", src)
	}
	resp, raw := call(t, s, "GET", wsPath("reports", rep, "runs", runTok, "query_runs", qr["token"].(string), "results", "content.json"), nil)
	var rows []map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &rows) != nil || len(rows) == 0 {
		t.Fatalf("results: %d %.200s", resp.StatusCode, raw)
	}
	for _, r := range rows {
		if r["region"] != "West" || r["total_amt_usd"].(float64) < 5000 {
			t.Errorf("row %v does not match the schedule's parameters", r)
		}
	}

	got := mustJSON(t, s, "GET", wsPath("reports", rep, "schedules", tok), nil, http.StatusOK)
	for f, want := range map[string]time.Time{
		"last_run_at": due, "last_scheduled_run": due, "last_succeeded_at": due,
		"next_scheduled_run": time.Date(2026, 6, 11, 9, 30, 0, 0, la),
	} {
		if v := parseTime(t, got[f]); !v.Equal(want) {
			t.Errorf("%s = %v, want %v", f, v, want)
		}
	}

	clk.Advance(24*time.Hour - time.Second)
	if n := runCount(s, rep); n != 1 {
		t.Errorf("%d runs a second before the next day's 09:30", n)
	}
	clk.Advance(time.Second)
	if n := len(firedRuns(t, s, rep, tok)); n != 2 {
		t.Errorf("%d scheduled runs the next day at 09:30, want 2", n)
	}
}

func TestScheduleFiresHourlyAndEvery15Minutes(t *testing.T) {
	start := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	s, clk := newClockServer(t, start)
	d := s.Demo()
	hourly := createSchedule(t, s, d.Reports[0], object{"freq": "hourly", "minute": 5}, nil)["token"].(string)
	quarter := createSchedule(t, s, d.ParamReport, object{"freq": "every_15_minutes"}, nil)["token"].(string)
	for range 36 { // three hours in steps of five minutes
		clk.Advance(5 * time.Minute)
	}
	if n := len(firedRuns(t, s, d.Reports[0], hourly)); n != 3 { // 00:05, 01:05, 02:05
		t.Errorf("hourly at :05 fired %d times in three hours, want 3", n)
	}
	if n := len(firedRuns(t, s, d.ParamReport, quarter)); n != 12 { // 00:15 … 03:00
		t.Errorf("every 15 minutes fired %d times in three hours, want 12", n)
	}
	got := mustJSON(t, s, "GET", wsPath("reports", d.ParamReport, "schedules", quarter), nil, http.StatusOK)
	if v := parseTime(t, got["next_scheduled_run"]); !v.Equal(start.Add(3*time.Hour + 15*time.Minute)) {
		t.Errorf("next_scheduled_run = %v", v)
	}
}

func TestScheduleBigJumpFiresOnce(t *testing.T) {
	start := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	s, clk := newClockServer(t, start)
	rep := s.Demo().ParamReport
	tok := createSchedule(t, s, rep, object{"freq": "hourly", "minute": 20}, nil)["token"].(string)
	clk.Advance(72*time.Hour + 30*time.Minute) // 72 slots missed
	if n := len(firedRuns(t, s, rep, tok)); n != 1 {
		t.Fatalf("a jump over 72 slots fired %d runs, want 1", n)
	}
	got := mustJSON(t, s, "GET", wsPath("reports", rep, "schedules", tok), nil, http.StatusOK)
	now := clk.Now()
	for f, want := range map[string]time.Time{
		"last_run_at":        now,
		"last_scheduled_run": time.Date(2026, 6, 13, 0, 20, 0, 0, time.UTC), // the latest missed slot
		"next_scheduled_run": time.Date(2026, 6, 13, 1, 20, 0, 0, time.UTC),
	} {
		if v := parseTime(t, got[f]); !v.Equal(want) {
			t.Errorf("%s = %v, want %v", f, v, want)
		}
	}
	clk.Advance(49 * time.Minute) // 01:19
	if n := runCount(s, rep); n != 1 {
		t.Errorf("%d runs before the next slot", n)
	}
}

func TestScheduleWeeklyAndMonthlyDays(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	start := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC) // a Thursday
	s, clk := newClockServer(t, start)
	d := s.Demo()
	createSchedule(t, s, d.Reports[0], object{"freq": "weekly", "day_of_week": 3, "hour": 7, "time_zone": "Eastern Time (US & Canada)"}, nil)
	createSchedule(t, s, d.ParamReport, object{"freq": "monthly", "day_of_month": 31, "hour": 6, "minute": 45}, nil)
	var weekly, monthly []time.Time
	nw, nm := 0, 0
	for range 80 * 24 * 4 { // 80 days in steps of 15 minutes
		clk.Advance(15 * time.Minute)
		if m := runCount(s, d.Reports[0]); m != nw {
			weekly, nw = append(weekly, clk.Now()), m
		}
		if m := runCount(s, d.ParamReport); m != nm {
			monthly, nm = append(monthly, clk.Now()), m
		}
	}
	var wantWeekly []time.Time
	for day := time.Date(2026, 1, 21, 7, 0, 0, 0, ny); day.Before(start.AddDate(0, 0, 80)); day = day.AddDate(0, 0, 7) {
		wantWeekly = append(wantWeekly, day) // Wednesdays, 07:00 in New York (EST, then EDT from March 8)
	}
	if !sameTimes(weekly, wantWeekly) {
		t.Errorf("weekly on Wednesday 07:00 Eastern fired at %v, want %v", weekly, wantWeekly)
	}
	wantMonthly := []time.Time{ // a month shorter than the 31st runs on its last day
		time.Date(2026, 1, 31, 6, 45, 0, 0, time.UTC),
		time.Date(2026, 2, 28, 6, 45, 0, 0, time.UTC),
		time.Date(2026, 3, 31, 6, 45, 0, 0, time.UTC),
	}
	if !sameTimes(monthly, wantMonthly) {
		t.Errorf("monthly on the 31st fired at %v, want %v", monthly, wantMonthly)
	}
}

// TestScheduleDaylightSavingTime documents what a schedule in a zone with daylight saving time
// does on the days its clocks change (see fire.go).
func TestScheduleDaylightSavingTime(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	pacific := "Pacific Time (US & Canada)"

	t.Run("spring forward", func(t *testing.T) {
		// 2026-03-08: 02:00 PST becomes 03:00 PDT; 02:30 does not exist that day.
		s, clk := newClockServer(t, time.Date(2026, 3, 7, 0, 0, 0, 0, la))
		rep := s.Demo().ParamReport
		createSchedule(t, s, rep, object{"freq": "daily", "hour": 2, "minute": 30, "time_zone": pacific}, nil)
		got := fireTimes(s, clk, rep, 15*time.Minute, 72*time.Hour)
		want := []time.Time{
			time.Date(2026, 3, 7, 2, 30, 0, 0, la),
			time.Date(2026, 3, 8, 3, 30, 0, 0, la), // 02:30 PST would have been 03:30 PDT
			time.Date(2026, 3, 9, 2, 30, 0, 0, la),
		}
		if !sameTimes(got, want) {
			t.Errorf("daily 02:30 Pacific fired at %v, want %v", got, want)
		}
	})

	t.Run("fall back", func(t *testing.T) {
		// 2026-11-01: 02:00 PDT becomes 01:00 PST; 01:30 happens twice that day.
		start := time.Date(2026, 10, 31, 0, 0, 0, 0, la)
		s, clk := newClockServer(t, start)
		d := s.Demo()
		createSchedule(t, s, d.ParamReport, object{"freq": "daily", "hour": 1, "minute": 30, "time_zone": pacific}, nil)
		createSchedule(t, s, d.Reports[0], object{"freq": "hourly", "minute": 0, "time_zone": pacific}, nil)
		clk.Advance(24 * time.Hour) // to 2026-11-01 00:00 PDT
		daily := runCount(s, d.ParamReport)
		hourlyBefore := runCount(s, d.Reports[0])
		got := fireTimes(s, clk, d.ParamReport, 15*time.Minute, 49*time.Hour)
		want := []time.Time{
			time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC), // 01:30 PDT, the first 01:30; not again at 01:30 PST
			time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC), // 01:30 PST
		}
		if daily != 1 || !sameTimes(got, want) {
			t.Errorf("daily 01:30 Pacific fired %d times on Oct 31, then at %v, want 1, then %v", daily, got, want)
		}
		// Hourly runs every real hour at its minute: 25 times in the 25 hours of Nov 1, 49 in
		// the 49 hours from its midnight.
		if n := runCount(s, d.Reports[0]) - hourlyBefore; n != 49 {
			t.Errorf("hourly fired %d times in the 49 hours from Nov 1 00:00 PDT, want 49", n)
		}
	})
}

func TestDeletedScheduleDoesNotFire(t *testing.T) {
	start := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	s, clk := newClockServer(t, start)
	d := s.Demo()
	tok := createSchedule(t, s, d.ParamReport, object{"freq": "every_30_minutes"}, nil)["token"].(string)
	clk.Advance(30 * time.Minute)
	if n := runCount(s, d.ParamReport); n != 1 {
		t.Fatalf("%d runs at the first slot", n)
	}
	if resp, body := call(t, s, "DELETE", wsPath("reports", d.ParamReport, "schedules", tok), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE schedule: %d %s", resp.StatusCode, body)
	}
	// and a schedule of a deleted report
	other := d.Reports[0]
	if other == d.ParamReport {
		other = d.Reports[2]
	}
	createSchedule(t, s, other, object{"freq": "every_30_minutes"}, nil)
	mustJSON(t, s, "DELETE", wsPath("reports", other), nil, http.StatusOK)
	clk.Advance(6 * time.Hour)
	if n := runCount(s, d.ParamReport); n != 1 {
		t.Errorf("%d runs after the schedule was deleted, want 1", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.workspaces {
		for _, rep := range st.reports {
			// The seeded dataset schedule (Demo.DatasetSchedule) fired at 05:00, as it should.
			if len(rep.runs) != 0 && rep.token != d.ParamReport && rep.token != d.Datasets[datasetScheduleIndex] {
				t.Errorf("report %s has %d runs", rep.token, len(rep.runs))
			}
		}
	}
}

// TestScheduleUpdateMovesNextRun: changing the cron moves next_scheduled_run from the clock's
// now; changing only the name does not.
func TestScheduleUpdateMovesNextRun(t *testing.T) {
	start := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	s, clk := newClockServer(t, start)
	rep := s.Demo().ParamReport
	tok := createSchedule(t, s, rep, object{"freq": "daily", "hour": 6}, nil)["token"].(string)
	path := wsPath("reports", rep, "schedules", tok)
	clk.Advance(time.Hour)
	if v := parseTime(t, mustJSON(t, s, "PATCH", path, object{"name": "x"}, http.StatusOK)["next_scheduled_run"]); !v.Equal(start.Add(6 * time.Hour)) {
		t.Errorf("next_scheduled_run after a rename = %v", v)
	}
	if v := parseTime(t, mustJSON(t, s, "PATCH", path, object{"cron": object{"hour": 0, "minute": 30}}, http.StatusOK)["next_scheduled_run"]); !v.Equal(start.Add(24*time.Hour + 30*time.Minute)) {
		t.Errorf("next_scheduled_run after the cron moved = %v", v)
	}
}

// TestScheduleHourlyHalfHourZone: an hourly schedule's minute is local, also where the zone is
// not a whole number of hours off UTC.
func TestScheduleHourlyHalfHourZone(t *testing.T) {
	kolkata := mustZone(t, "Asia/Kolkata")
	c := cronLine{freq: "hourly", minute: 0, loc: kolkata}
	at := time.Date(2026, 6, 10, 10, 7, 0, 0, kolkata)
	if got, want := c.next(at), time.Date(2026, 6, 10, 11, 0, 0, 0, kolkata); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got, want)
	}
}

// TestScheduleRealTime: with the real clock, a schedule due in hours does not fire during a
// test, and the ticker, started with the emulator (the demo's dataset schedule exists from the
// start), fires a due one and stops with Close.
func TestScheduleRealTime(t *testing.T) {
	e, err := New(WithRateLimit(0, 0), WithRunDuration(time.Millisecond), withTick(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(func() { e.beginClose(); hs.Close(); e.Close() })
	token, secret := e.Credentials()
	srv := &Server{Emulator: e, URL: hs.URL, Token: token, Secret: secret, srv: hs}
	rep := srv.Demo().ParamReport
	e.mu.Lock()
	ticking := e.ticking
	e.mu.Unlock()
	if !ticking {
		t.Fatal("the ticker does not run, though the demo's dataset schedule exists from the start")
	}
	hour := (time.Now().UTC().Hour() + 12) % 24
	sch := createSchedule(t, srv, rep, object{"freq": "daily", "hour": hour}, nil)
	if next := parseTime(t, sch["next_scheduled_run"]); next.Before(time.Now().Add(10 * time.Hour)) {
		t.Errorf("next_scheduled_run = %v", next)
	}
	// Many ticks pass; nothing is due.
	for range 20 {
		time.Sleep(time.Millisecond)
	}
	if n := runCount(srv, rep); n != 0 {
		t.Fatalf("%d runs of a schedule due in hours", n)
	}
	// Make it due now: the ticker fires it.
	e.mu.Lock()
	e.byName[DemoWorkspace].reportByTok[rep].schedules[0].next = time.Now()
	e.mu.Unlock()
	for i := 0; runCount(srv, rep) == 0; i++ {
		if i == 5000 {
			t.Fatal("the ticker did not fire a due schedule")
		}
		time.Sleep(time.Millisecond)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	<-e.tickerDone // Close waited for it: already closed
}
