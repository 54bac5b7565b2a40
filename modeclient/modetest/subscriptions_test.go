package modetest

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func newSchedule(t *testing.T, s *Server, rep string) string {
	t.Helper()
	return mustJSON(t, s, "POST", wsPath("reports", rep, "schedules"), object{"cron": object{"freq": "daily"}}, http.StatusOK)["token"].(string)
}

func TestSubscriptionLifecycle(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[0]
	sched := newSchedule(t, s, rep)
	list := wsPath("reports", rep, "subscriptions")
	if n := len(embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "report_subscriptions")); n != 0 {
		t.Fatalf("%d subscriptions before any was created", n)
	}
	created := mustJSON(t, s, "POST", list, object{
		"schedule_token": sched, "csv_attachments": true, "pdf_attachments": true, "data_tables": false,
		"email_subscribers": []string{d.Members[0], d.Members[1], d.Members[0]}, "slack_channels": []string{"sales", "#sales", "#ops"},
	}, http.StatusOK)
	tok := created["token"].(string)
	if !tokenRE.MatchString(tok) || created["schedule_token"] != sched || created["report_token"] != rep ||
		created["csv_attachments_enabled"] != true || created["pdf_attachments_enabled"] != true ||
		created["data_previews_enabled"] != true || created["report_links_enabled"] != true || created["data_tables_enabled"] != false ||
		created["email_subscriber_count"] != 2.0 || created["slack_subscriber_count"] != 2.0 {
		t.Fatalf("created = %v", created)
	}
	path := wsPath("reports", rep, "subscriptions", tok)
	for name, want := range map[string]string{
		"self": path, "report_schedule": wsPath("reports", rep, "schedules", sched),
		"email_subscription_memberships": path + "/email_subscription_memberships",
		"slack_subscription_memberships": path + "/slack_subscription_memberships",
	} {
		if got := linkHref(created, name); got != want {
			t.Errorf("_links.%s = %q, want %q", name, got, want)
		}
	}
	emails := embedded(t, mustJSON(t, s, "GET", path+"/email_subscription_memberships", nil, http.StatusOK), "email_subscription_memberships")
	if len(emails) != 2 || emails[0]["username"] != d.Members[0] || emails[0]["email"] == "" {
		t.Errorf("email subscribers = %v", emails)
	}
	slack := embedded(t, mustJSON(t, s, "GET", path+"/slack_subscription_memberships", nil, http.StatusOK), "slack_subscription_memberships")
	if len(slack) != 2 || slack[0]["channel"] != "#sales" || slack[1]["channel"] != "#ops" {
		t.Errorf("slack subscribers = %v", slack)
	}
	// The schedule counts its subscribers.
	sch := mustJSON(t, s, "GET", wsPath("reports", rep, "schedules", sched), nil, http.StatusOK)
	if sch["subscriber_count"] != 2.0 || sch["subscribed"] != true {
		t.Errorf("schedule subscriber_count = %v, subscribed = %v", sch["subscriber_count"], sch["subscribed"])
	}

	upd := mustJSON(t, s, "PATCH", path, object{"csv_attachments": false, "email_subscribers": []string{}}, http.StatusOK)
	if upd["csv_attachments_enabled"] != false || upd["pdf_attachments_enabled"] != true || upd["email_subscriber_count"] != 0.0 || upd["slack_subscriber_count"] != 2.0 {
		t.Errorf("updated = %v", upd)
	}
	if got := mustJSON(t, s, "GET", path, nil, http.StatusOK); got["csv_attachments_enabled"] != false {
		t.Errorf("got = %v", got)
	}
	// The schedule's list holds it; another schedule's does not.
	other := newSchedule(t, s, rep)
	if items := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "schedules", sched, "subscriptions"), nil, http.StatusOK), "report_subscriptions"); len(items) != 1 || items[0]["token"] != tok {
		t.Errorf("the schedule's subscriptions = %v", items)
	}
	if n := len(embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "schedules", other, "subscriptions"), nil, http.StatusOK), "report_subscriptions")); n != 0 {
		t.Errorf("the other schedule lists %d subscriptions", n)
	}
	// Moved to the other schedule.
	mustJSON(t, s, "PATCH", path, object{"schedule_token": other}, http.StatusOK)
	if items := embedded(t, mustJSON(t, s, "GET", wsPath("reports", rep, "schedules", other, "subscriptions"), nil, http.StatusOK), "report_subscriptions"); len(items) != 1 {
		t.Errorf("the other schedule's subscriptions after the move = %v", items)
	}

	if resp, body := call(t, s, "DELETE", path, nil); resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("DELETE: %d %q, want 200 and no body", resp.StatusCode, body)
	}
	mustJSON(t, s, "GET", path, nil, http.StatusNotFound)
	mustJSON(t, s, "DELETE", path, nil, http.StatusNotFound)
	mustJSON(t, s, "PATCH", path, object{"csv_attachments": true}, http.StatusNotFound)
	mustJSON(t, s, "GET", path+"/email_subscription_memberships", nil, http.StatusNotFound)
	mustJSON(t, s, "GET", wsPath("reports", "nosuchreport", "subscriptions"), nil, http.StatusNotFound)
	mustJSON(t, s, "POST", wsPath("reports", "nosuchreport", "subscriptions"), object{"schedule_token": sched}, http.StatusNotFound)
	mustJSON(t, s, "GET", wsPath("reports", rep, "schedules", "nosuchschedule", "subscriptions"), nil, http.StatusNotFound)
}

func TestSubscriptionValidation(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[0]
	sched := newSchedule(t, s, rep)
	otherReportSched := newSchedule(t, s, d.Reports[1])
	list := wsPath("reports", rep, "subscriptions")
	for _, tc := range []struct {
		body object
		want int
	}{
		{object{}, http.StatusBadRequest},
		{object{"schedule_token": ""}, http.StatusBadRequest},
		{object{"schedule_token": "nosuchschedule"}, http.StatusNotFound},
		{object{"schedule_token": otherReportSched}, http.StatusNotFound},
		{object{"schedule_token": sched, "csv_attachments": "yes"}, http.StatusBadRequest},
		{object{"schedule_token": sched, "data_previews": false, "report_links": false}, http.StatusBadRequest},
		{object{"schedule_token": sched, "email_subscribers": []string{"nosuchuser"}}, http.StatusBadRequest},
		{object{"schedule_token": sched, "slack_channels": []string{"two words"}}, http.StatusBadRequest},
		{object{"schedule_token": sched, "slack_channels": []string{"#"}}, http.StatusBadRequest},
	} {
		o := mustJSON(t, s, "POST", list, tc.body, tc.want)
		if want := map[int]string{400: "bad_request", 404: "not_found"}[tc.want]; o["id"] != want {
			t.Errorf("%v: error %v", tc.body, o)
		}
	}
	tok := mustJSON(t, s, "POST", list, object{"schedule_token": sched}, http.StatusOK)["token"].(string)
	mustJSON(t, s, "PATCH", list+"/"+tok, object{"data_previews": false, "report_links": false}, http.StatusBadRequest)
	mustJSON(t, s, "PATCH", list+"/"+tok, object{"schedule_token": "nosuchschedule"}, http.StatusNotFound)
	if got := mustJSON(t, s, "GET", list+"/"+tok, nil, http.StatusOK); got["data_previews_enabled"] != true || got["schedule_token"] != sched {
		t.Errorf("a refused update changed the subscription: %v", got)
	}
}

// TestSubscriptionsGoWithTheirSchedule: deleting a schedule (alone or in bulk) deletes the
// subscriptions that follow it; deleting the report deletes them all.
func TestSubscriptionsGoWithTheirSchedule(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[0]
	a, b, c := newSchedule(t, s, rep), newSchedule(t, s, rep), newSchedule(t, s, rep)
	list := wsPath("reports", rep, "subscriptions")
	var subs []string
	for _, sch := range []string{a, b, c} {
		subs = append(subs, mustJSON(t, s, "POST", list, object{"schedule_token": sch}, http.StatusOK)["token"].(string))
	}
	tokens := func() []string {
		var out []string
		for _, o := range embedded(t, mustJSON(t, s, "GET", list, nil, http.StatusOK), "report_subscriptions") {
			out = append(out, o["token"].(string))
		}
		return out
	}
	if resp, _ := call(t, s, "DELETE", wsPath("reports", rep, "schedules", a), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE schedule: %d", resp.StatusCode)
	}
	if got := tokens(); !slices.Equal(got, subs[1:]) {
		t.Errorf("after deleting a schedule: %v, want %v", got, subs[1:])
	}
	if resp, _ := call(t, s, "DELETE", wsPath("reports", "schedules", "v1", "bulk_delete"), object{"schedule_tokens": []string{b}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("bulk delete: %d", resp.StatusCode)
	}
	if got := tokens(); !slices.Equal(got, subs[2:]) {
		t.Errorf("after a bulk delete: %v, want %v", got, subs[2:])
	}
	mustJSON(t, s, "DELETE", wsPath("reports", rep), nil, http.StatusOK)
	mustJSON(t, s, "GET", list+"/"+subs[2], nil, http.StatusNotFound)
	if got := s.Deliveries(DemoWorkspace, rep); got != nil {
		t.Errorf("Deliveries of a deleted report = %v", got)
	}
}

// TestSubscriptionDeliveries: deliver records one delivery per subscription of the schedule
// whose run succeeded, and none for the subscriptions of other schedules.
func TestSubscriptionDeliveries(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.Reports[0]
	sched, other := newSchedule(t, s, rep), newSchedule(t, s, rep)
	list := wsPath("reports", rep, "subscriptions")
	first := mustJSON(t, s, "POST", list, object{
		"schedule_token": sched, "csv_attachments": true, "email_subscribers": []string{d.Members[0]},
	}, http.StatusOK)["token"].(string)
	second := mustJSON(t, s, "POST", list, object{
		"schedule_token": sched, "pdf_attachments": true, "data_previews": false, "slack_channels": []string{"#ops"},
	}, http.StatusOK)["token"].(string)
	mustJSON(t, s, "POST", list, object{"schedule_token": other}, http.StatusOK)
	if got := s.Deliveries(DemoWorkspace, rep); len(got) != 0 {
		t.Fatalf("%d deliveries before any run", len(got))
	}
	runTok := startRun(t, s, rep, nil)["token"].(string)
	if got := waitRun(t, s, rep, runTok); got["state"] != stateSucceeded {
		t.Fatalf("run ended %v", got["state"])
	}

	s.mu.Lock()
	st := s.byName[DemoWorkspace]
	r := st.reportByTok[rep]
	var run *reportRun
	for _, x := range r.runs {
		if x.token == runTok {
			run = x
		}
	}
	s.deliver(st, r, r.schedule(sched), run)
	s.mu.Unlock()

	got := s.Deliveries(DemoWorkspace, rep)
	if len(got) != 2 {
		t.Fatalf("Deliveries = %+v, want 2", got)
	}
	if x := got[0]; x.Subscription != first || x.Schedule != sched || x.Run != runTok || !x.CSVAttachments || x.PDFAttachments ||
		!x.DataPreviews || !x.ReportLinks || !slices.Equal(x.EmailSubscribers, []string{d.Members[0]}) || len(x.Emails) != 1 || x.Emails[0] == "" || x.At.IsZero() {
		t.Errorf("first delivery = %+v", x)
	}
	if x := got[1]; x.Subscription != second || !x.PDFAttachments || x.DataPreviews || !slices.Equal(x.SlackChannels, []string{"#ops"}) || len(x.EmailSubscribers) != 0 {
		t.Errorf("second delivery = %+v", x)
	}
	got[0].EmailSubscribers[0] = "changed"
	if s.Deliveries(DemoWorkspace, rep)[0].EmailSubscribers[0] == "changed" {
		t.Error("Deliveries shares its slices with the emulator")
	}
	if s.Deliveries("nosuchworkspace", rep) != nil || s.Deliveries(DemoWorkspace, "nosuchreport") != nil {
		t.Error("Deliveries of an unknown workspace or report is not nil")
	}
}

// TestFiredScheduleDelivers: when a schedule fires and its run succeeds, each of its
// subscriptions records a delivery of that run.
func TestFiredScheduleDelivers(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	s, clk := newClockServer(t, time.Date(2026, 6, 10, 8, 0, 0, 0, la))
	d := s.Demo()
	rep := d.Reports[0]
	sched := createSchedule(t, s, rep, object{"freq": "daily", "hour": 9, "minute": 30, "time_zone": "Pacific Time (US & Canada)"}, nil)["token"].(string)
	sub := mustJSON(t, s, "POST", wsPath("reports", rep, "subscriptions"), object{
		"schedule_token": sched, "csv_attachments": true, "email_subscribers": []string{d.Members[0]},
	}, http.StatusOK)["token"].(string)

	clk.Advance(90 * time.Minute)
	runs := firedRuns(t, s, rep, sched)
	if len(runs) != 1 {
		t.Fatalf("%d runs fired, want 1", len(runs))
	}
	runTok := runs[0]["token"].(string)
	if got := waitRun(t, s, rep, runTok); got["state"] != stateSucceeded {
		t.Fatalf("the fired run ended %v", got["state"])
	}
	// The delivery is recorded just after the run's success, on the run's goroutine.
	var got []Delivery
	for range 1000 {
		if got = s.Deliveries(DemoWorkspace, rep); len(got) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(got) != 1 || got[0].Subscription != sub || got[0].Schedule != sched || got[0].Run != runTok || !got[0].CSVAttachments {
		t.Fatalf("Deliveries = %+v, want one of run %s to subscription %s", got, runTok, sub)
	}
}
