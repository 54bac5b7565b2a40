package modetest

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"
)

func TestScheduleLifecycle(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().Reports[0]
	list := wsPath("reports", rep, "schedules")
	if n := len(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "report_schedules")); n != 0 {
		t.Fatalf("%d schedules before any was created", n)
	}
	created := mustJSON(t, s, "POST", list, object{
		"cron": object{"freq": "weekly", "day_of_week": 1, "hour": 9, "minute": 15, "time_zone": "Pacific Time (US & Canada)"},
		"name": "Monday", "timeout": 600, "params": object{"region": "West"},
	}, http.StatusOK)
	tok := created["token"].(string)
	if !tokenRE.MatchString(tok) || created["name"] != "Monday" || created["timeout"] != 600.0 {
		t.Fatalf("created = %v", created)
	}
	cron := created["cron"].(object)
	if cron["freq"] != "weekly" || cron["day_of_week"] != 1.0 || cron["hour"] != 9.0 || cron["time_zone"] != "Pacific Time (US & Canada)" {
		t.Errorf("cron = %v", cron)
	}
	if p := created["parameters"].(object); p["region"] != "West" {
		t.Errorf("parameters = %v", p)
	}
	next, err := time.Parse(timeLayout, created["next_scheduled_run"].(string))
	if err != nil {
		t.Fatal(err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	if l := next.In(la); l.Weekday() != time.Monday || l.Hour() != 9 || l.Minute() != 15 || !next.After(time.Now()) || next.After(time.Now().Add(8*24*time.Hour)) {
		t.Errorf("next_scheduled_run = %v (%v in Los Angeles)", next, l)
	}
	path := wsPath("reports", rep, "schedules", tok)
	upd := mustJSON(t, s, "PATCH", path, object{"cron": object{"hour": 23}, "name": "Late"}, http.StatusOK)
	if upd["name"] != "Late" || upd["cron"].(object)["hour"] != 23.0 || upd["cron"].(object)["minute"] != 15.0 {
		t.Errorf("updated = %v", upd)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["name"] != "Late" {
		t.Errorf("got = %v", got)
	}
	if r := mustJSON(t, s, "GET", wsPath("reports", rep), nil, http.StatusOK); r["schedules_count"] != 1.0 {
		t.Errorf("schedules_count = %v", r["schedules_count"])
	}
	if n := len(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "report_schedules")); n != 1 {
		t.Errorf("%d schedules listed, want 1", n)
	}
	mustJSON(t, s, "GET", path+"/subscriptions", nil, http.StatusOK)
	if resp, body := call(t, s, "DELETE", path, nil); resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("DELETE: %d %q, want 200 and no body", resp.StatusCode, body)
	}
	mustJSON(t, s, "GET", path, nil, http.StatusNotFound)
	mustJSON(t, s, "DELETE", path, nil, http.StatusNotFound)
	mustJSON(t, s, "PATCH", path, object{"name": "x"}, http.StatusNotFound)
	mustJSON(t, s, "GET", path+"/subscriptions", nil, http.StatusNotFound)
	mustJSON(t, s, "POST", wsPath("reports", "nosuchreport", "schedules"), object{"cron": object{"freq": "daily"}}, http.StatusNotFound)
}

func TestScheduleValidation(t *testing.T) {
	s := newTestServer(t)
	list := wsPath("reports", s.Demo().Reports[0], "schedules")
	for _, body := range []object{
		{},
		{"cron": object{}},
		{"cron": object{"freq": "yearly"}},
		{"cron": object{"freq": "daily", "hour": 24}},
		{"cron": object{"freq": "daily", "hour": -1}},
		{"cron": object{"freq": "daily", "minute": 60}},
		{"cron": object{"freq": "weekly", "day_of_week": 7}},
		{"cron": object{"freq": "monthly", "day_of_month": 0}},
		{"cron": object{"freq": "daily", "time_zone": "Mars/Olympus_Mons"}},
		{"cron": object{"freq": "daily", "time_zone": "Local"}},
		{"cron": object{"freq": "daily"}, "timeout": 0},
		{"cron": object{"freq": "daily"}, "name": " "},
	} {
		if o := mustJSON(t, s, "POST", list, body, http.StatusBadRequest); o["id"] != "bad_request" {
			t.Errorf("%v: error %v", body, o)
		}
	}
	tok := mustJSON(t, s, "POST", list, object{"cron": object{"freq": "hourly", "time_zone": "Europe/Paris"}}, http.StatusOK)["token"].(string)
	mustJSON(t, s, "PATCH", list+"/"+tok, object{"cron": object{"minute": 61}}, http.StatusBadRequest)
	if got := mustJSON(t, s, "GET", list+"/"+tok, nil, http.StatusOK); got["cron"].(object)["minute"] != 0.0 {
		t.Errorf("a refused update changed the schedule: %v", got)
	}
}

func TestScheduleBulkDeleteAndReportDelete(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	var toks []string
	for _, rep := range d.Reports[:2] {
		for range 2 {
			o := mustJSON(t, s, "POST", wsPath("reports", rep, "schedules"), object{"cron": object{"freq": "daily"}}, http.StatusOK)
			toks = append(toks, o["token"].(string))
		}
	}
	bulk := wsPath("reports", "schedules", "v1", "bulk_delete")
	mustJSON(t, s, "DELETE", bulk, object{"schedule_tokens": []string{toks[0], "nosuchschedule"}}, http.StatusNotFound)
	mustJSON(t, s, "DELETE", bulk, object{}, http.StatusBadRequest)
	if resp, body := call(t, s, "DELETE", bulk, object{"schedule_tokens": []string{toks[0], toks[2]}}); resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Fatalf("bulk delete: %d %s", resp.StatusCode, body)
	}
	for i, rep := range d.Reports[:2] {
		items := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "schedules"), nil, http.StatusOK), "report_schedules")
		if len(items) != 1 || items[0]["token"] != toks[2*i+1] {
			t.Errorf("report %d lists %v after the bulk delete", i, items)
		}
	}
	mustJSON(t, s, "DELETE", wsPath("reports", d.Reports[1]), nil, http.StatusOK)
	mustJSON(t, s, "DELETE", bulk, object{"schedule_tokens": []string{toks[3]}}, http.StatusNotFound)
	if resp, body := call(t, s, "DELETE", bulk, object{"schedule_tokens": []string{toks[1]}}); resp.StatusCode != http.StatusOK {
		t.Errorf("bulk delete: %d %s", resp.StatusCode, body)
	}
}

// TestScheduleTimeZones: every time zone name Mode's document allows resolves.
func TestScheduleTimeZones(t *testing.T) {
	raw, err := os.ReadFile(specREST)
	if err != nil {
		t.Fatal(err)
	}
	var doc specDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Definitions["ReportScheduleRequestBodyCronProperty"].Properties["time_zone"].Enum
	if len(enum) < 100 {
		t.Fatalf("Mode's document lists %d time zones", len(enum))
	}
	for _, z := range enum {
		if _, ok := scheduleZone(z.(string)); !ok {
			t.Errorf("time zone %q of Mode's document does not resolve", z)
		}
	}
	if len(railsZones) != len(enum) {
		t.Errorf("railsZones has %d names, Mode's document %d", len(railsZones), len(enum))
	}
}

func TestScheduleNext(t *testing.T) {
	at := time.Date(2026, 1, 31, 10, 7, 0, 0, time.UTC) // a Saturday
	for _, tt := range []struct {
		c    cronLine
		want time.Time
	}{
		{cronLine{freq: "every_15_minutes"}, time.Date(2026, 1, 31, 10, 15, 0, 0, time.UTC)},
		{cronLine{freq: "every_30_minutes"}, time.Date(2026, 1, 31, 10, 30, 0, 0, time.UTC)},
		{cronLine{freq: "hourly", minute: 5}, time.Date(2026, 1, 31, 11, 5, 0, 0, time.UTC)},
		{cronLine{freq: "hourly", minute: 30}, time.Date(2026, 1, 31, 10, 30, 0, 0, time.UTC)},
		{cronLine{freq: "daily", hour: 9}, time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)},
		{cronLine{freq: "weekly", dayOfWeek: 1, hour: 8}, time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)},
		{cronLine{freq: "monthly", dayOfMonth: 30, hour: 8}, time.Date(2026, 2, 28, 8, 0, 0, 0, time.UTC)},
	} {
		if got := tt.c.next(at); !got.Equal(tt.want) {
			t.Errorf("%+v: next = %v, want %v", tt.c, got, tt.want)
		}
	}
}
