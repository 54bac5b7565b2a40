package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestSchedules walks a report's schedules over each protocol: create (once
// per request_id), read, list, update (a read cached before shows the
// change), replace with `*`, delete; then a batch delete across reports.
func TestSchedules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := testContext(t)
			rs := e.clients(p).rs
			report := e.reportName(e.demo.Reports[i])
			daily := &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_DAILY, Hour: 9, Minute: 30, TimeZone: "Pacific Time (US & Canada)"}
			req := &modeplatformv1.CreateScheduleRequest{Parent: report, RequestId: "sched-" + p.name, Schedule: &modeplatformv1.Schedule{
				DisplayName: "Morning " + p.name, Cron: daily, Parameters: map[string]string{"region": "west"},
				Timeout: durationpb.New(time.Hour),
			}}
			posts := e.mode.CountRequests("POST", "/api/"+strings.TrimPrefix(report, "workspaces/")+"/schedules")
			res, err := rs.CreateSchedule(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("CreateSchedule: %v", err)
			}
			sc := res.Msg.GetSchedule()
			if !strings.HasPrefix(sc.GetName(), report+"/schedules/") || sc.GetDisplayName() != "Morning "+p.name ||
				sc.GetCron().GetFrequency() != modeplatformv1.Cron_FREQUENCY_DAILY || sc.GetCron().GetHour() != 9 ||
				sc.GetCron().GetMinute() != 30 || sc.GetCron().GetTimeZone() != "Pacific Time (US & Canada)" ||
				sc.GetParameters()["region"] != "west" || sc.GetTimeout().AsDuration() != time.Hour {
				t.Fatalf("created schedule = %v", sc)
			}
			next := sc.GetNextScheduledRunTime().AsTime()
			if pacific, err := time.LoadLocation("America/Los_Angeles"); err != nil {
				t.Fatal(err)
			} else if at := next.In(pacific); at.Hour() != 9 || at.Minute() != 30 || !next.After(time.Now().Add(-time.Minute)) {
				t.Errorf("next_scheduled_run_time %v, want the next 09:30 Pacific", at)
			}
			// The same request_id answers the first schedule without a second POST.
			again, err := rs.CreateSchedule(ctx, connect.NewRequest(req))
			if err != nil || again.Msg.GetSchedule().GetName() != sc.GetName() {
				t.Fatalf("CreateSchedule retried: %v, %v; want %s", again, err, sc.GetName())
			}
			if n := e.mode.CountRequests("POST", "/api/"+strings.TrimPrefix(report, "workspaces/")+"/schedules") - posts; n != 1 {
				t.Errorf("%d POSTs for one request_id, want 1", n)
			}

			get := func() *modeplatformv1.Schedule {
				t.Helper()
				res, err := rs.GetSchedule(ctx, connect.NewRequest(&modeplatformv1.GetScheduleRequest{Name: sc.GetName()}))
				if err != nil {
					t.Fatalf("GetSchedule: %v", err)
				}
				return res.Msg.GetSchedule()
			}
			if g := get(); g.GetName() != sc.GetName() || g.GetCron().GetHour() != 9 {
				t.Fatalf("GetSchedule = %v", g)
			}
			list, err := rs.ListSchedules(ctx, connect.NewRequest(&modeplatformv1.ListSchedulesRequest{Parent: report}))
			if err != nil || len(list.Msg.GetSchedules()) != 1 || list.Msg.GetSchedules()[0].GetName() != sc.GetName() {
				t.Fatalf("ListSchedules = %v, %v", list, err)
			}

			// A weekly cron on Monday at 07:05 in London; the name is kept.
			weekly := &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_WEEKLY, DayOfWeek: modeplatformv1.Cron_DAY_OF_WEEK_MONDAY, Hour: 7, Minute: 5, TimeZone: "London"}
			upd, err := rs.UpdateSchedule(ctx, connect.NewRequest(&modeplatformv1.UpdateScheduleRequest{
				Schedule:   &modeplatformv1.Schedule{Name: sc.GetName(), DisplayName: "ignored", Cron: weekly},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"cron"}},
			}))
			if err != nil {
				t.Fatalf("UpdateSchedule(cron): %v", err)
			}
			for _, s := range []*modeplatformv1.Schedule{upd.Msg.GetSchedule(), get()} {
				c := s.GetCron()
				if s.GetDisplayName() != "Morning "+p.name || c.GetFrequency() != modeplatformv1.Cron_FREQUENCY_WEEKLY ||
					c.GetDayOfWeek() != modeplatformv1.Cron_DAY_OF_WEEK_MONDAY || c.GetHour() != 7 || c.GetMinute() != 5 || c.GetTimeZone() != "London" {
					t.Errorf("after the cron update: %v", s)
				}
			}
			// `*` replaces every field: no parameters any more.
			monthly := &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_MONTHLY, DayOfMonth: 15, Hour: 6}
			upd, err = rs.UpdateSchedule(ctx, connect.NewRequest(&modeplatformv1.UpdateScheduleRequest{
				Schedule:   &modeplatformv1.Schedule{Name: sc.GetName(), DisplayName: "Monthly", Cron: monthly, Timeout: durationpb.New(30 * time.Minute)},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
			}))
			if err != nil {
				t.Fatalf("UpdateSchedule(*): %v", err)
			}
			for _, s := range []*modeplatformv1.Schedule{upd.Msg.GetSchedule(), get()} {
				if s.GetDisplayName() != "Monthly" || len(s.GetParameters()) != 0 || s.GetCron().GetDayOfMonth() != 15 ||
					s.GetCron().GetTimeZone() != "UTC" || s.GetTimeout().AsDuration() != 30*time.Minute {
					t.Errorf("after *: %v", s)
				}
			}

			if _, err := rs.DeleteSchedule(ctx, connect.NewRequest(&modeplatformv1.DeleteScheduleRequest{Name: sc.GetName()})); err != nil {
				t.Fatalf("DeleteSchedule: %v", err)
			}
			_, err = rs.GetSchedule(ctx, connect.NewRequest(&modeplatformv1.GetScheduleRequest{Name: sc.GetName()}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), sc.GetName()) {
				t.Errorf("NotFound %q does not name the schedule", ce.Message())
			}
		})
	}

	t.Run("batch delete", func(t *testing.T) {
		ctx := testContext(t)
		rs := e.clients(protocols[0]).rs
		create := func(report string) string {
			t.Helper()
			res, err := rs.CreateSchedule(ctx, connect.NewRequest(&modeplatformv1.CreateScheduleRequest{Parent: report,
				Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY, Minute: 10}}}))
			if err != nil {
				t.Fatalf("CreateSchedule: %v", err)
			}
			return res.Msg.GetSchedule().GetName()
		}
		r1, r2 := e.reportName(e.demo.Reports[4]), e.reportName(e.demo.Reports[5])
		a, b, c := create(r1), create(r1), create(r2)
		missing := r2 + "/schedules/0000000000ff"
		_, err := rs.BatchDeleteSchedules(ctx, connect.NewRequest(&modeplatformv1.BatchDeleteSchedulesRequest{Parent: e.ws + "/reports/-", Names: []string{a, c, missing}}))
		wantCode(t, err, connect.CodeNotFound)
		count := func(report string) int {
			t.Helper()
			res, err := rs.ListSchedules(ctx, connect.NewRequest(&modeplatformv1.ListSchedulesRequest{Parent: report}))
			if err != nil {
				t.Fatalf("ListSchedules: %v", err)
			}
			return len(res.Msg.GetSchedules())
		}
		if n1, n2 := count(r1), count(r2); n1 != 2 || n2 != 1 {
			t.Fatalf("after a batch with a missing name: %d and %d schedules, want 2 and 1 (all or nothing)", n1, n2)
		}
		if _, err := rs.BatchDeleteSchedules(ctx, connect.NewRequest(&modeplatformv1.BatchDeleteSchedulesRequest{Parent: e.ws + "/reports/-", Names: []string{a, c}})); err != nil {
			t.Fatalf("BatchDeleteSchedules across reports: %v", err)
		}
		if _, err := rs.BatchDeleteSchedules(ctx, connect.NewRequest(&modeplatformv1.BatchDeleteSchedulesRequest{Parent: r1, Names: []string{b}})); err != nil {
			t.Fatalf("BatchDeleteSchedules of one report: %v", err)
		}
		if n1, n2 := count(r1), count(r2); n1 != 0 || n2 != 0 {
			t.Fatalf("after the batches: %d and %d schedules, want none", n1, n2)
		}
	})
}

// TestScheduleInvalidInput: a bad cron, parameter, timeout, name or page
// size is InvalidArgument with a google.rpc.BadRequest naming the field,
// through the server and straight to the handler, and never reaches Mode.
func TestScheduleInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	report := e.reportName(e.demo.Reports[0])
	schedule := report + "/schedules/abc123"
	cron := func(c *modeplatformv1.Cron) *modeplatformv1.CreateScheduleRequest {
		return &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: c}}
	}
	daily := func(edit func(*modeplatformv1.Cron)) *modeplatformv1.CreateScheduleRequest {
		c := &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_DAILY, Hour: 9}
		edit(c)
		return cron(c)
	}
	tests := []struct {
		name  string
		field string // the BadRequest field; "" for a rule across fields
		req   any
	}{
		{"hour 25", "schedule.cron.hour", daily(func(c *modeplatformv1.Cron) { c.Hour = 25 })},
		{"minute 60", "schedule.cron.minute", daily(func(c *modeplatformv1.Cron) { c.Minute = 60 })},
		{"unknown time zone", "schedule.cron.time_zone", daily(func(c *modeplatformv1.Cron) { c.TimeZone = "Mars/Olympus" })},
		{"no frequency", "schedule.cron.frequency", daily(func(c *modeplatformv1.Cron) { c.Frequency = 0 })},
		{"unknown frequency", "schedule.cron.frequency", daily(func(c *modeplatformv1.Cron) { c.Frequency = 42 })},
		{"weekly without a day", "schedule.cron", daily(func(c *modeplatformv1.Cron) { c.Frequency = modeplatformv1.Cron_FREQUENCY_WEEKLY })},
		{"monthly without a day", "schedule.cron", daily(func(c *modeplatformv1.Cron) { c.Frequency = modeplatformv1.Cron_FREQUENCY_MONTHLY })},
		{"day of month 32", "schedule.cron.day_of_month", daily(func(c *modeplatformv1.Cron) { c.DayOfMonth = 32 })},
		{"no cron", "schedule", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{DisplayName: "x"}}},
		{"bad parameter name", `schedule.parameters["a b"]`, &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{
			Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY}, Parameters: map[string]string{"a b": "x"}}}},
		{"fractional timeout", "schedule.timeout", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{
			Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY}, Timeout: durationpb.New(1500 * time.Millisecond)}}},
		{"bad parent", "parent", &modeplatformv1.CreateScheduleRequest{Parent: e.ws + "/spaces/x", Schedule: &modeplatformv1.Schedule{
			Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY}}}},
		{"page size", "page_size", &modeplatformv1.ListSchedulesRequest{Parent: report, PageSize: 1001}},
		{"update without mask", "update_mask", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: schedule}}},
		{"update unknown path", "update_mask", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: schedule}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"next_scheduled_run_time"}}}},
		{"update clears the name", "", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: schedule, Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}}},
		{"update clears cron", "", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: schedule}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"cron"}}}},
		{"batch name elsewhere", "", &modeplatformv1.BatchDeleteSchedulesRequest{Parent: report, Names: []string{e.reportName(e.demo.Reports[1]) + "/schedules/abc"}}},
		{"batch of none", "names", &modeplatformv1.BatchDeleteSchedulesRequest{Parent: report}},
		{"batch twice the same", "names", &modeplatformv1.BatchDeleteSchedulesRequest{Parent: report, Names: []string{schedule, schedule}}},
	}
	before := e.upstream()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viaServer, direct := callSchedule(ctx, e.clients(protocols[0]).rs, tt.req), callSchedule(ctx, e.svc.Report, tt.req)
			for _, err := range []error{viaServer, direct} {
				ce := wantCode(t, err, connect.CodeInvalidArgument)
				if tt.field == "" {
					continue
				}
				var fields []string
				for _, d := range ce.Details() {
					if v, derr := d.Value(); derr == nil {
						if br, ok := v.(*errdetails.BadRequest); ok {
							for _, fv := range br.GetFieldViolations() {
								fields = append(fields, fv.GetField())
							}
						}
					}
				}
				if !containsPrefix(fields, tt.field) {
					t.Errorf("BadRequest names %v, want %s (%v)", fields, tt.field, err)
				}
			}
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("invalid schedule requests sent %d requests to Mode, want 0", n)
	}
}

// scheduleAPI is the schedule half of ReportService, served or called.
type scheduleAPI interface {
	ListSchedules(context.Context, *connect.Request[modeplatformv1.ListSchedulesRequest]) (*connect.Response[modeplatformv1.ListSchedulesResponse], error)
	CreateSchedule(context.Context, *connect.Request[modeplatformv1.CreateScheduleRequest]) (*connect.Response[modeplatformv1.CreateScheduleResponse], error)
	UpdateSchedule(context.Context, *connect.Request[modeplatformv1.UpdateScheduleRequest]) (*connect.Response[modeplatformv1.UpdateScheduleResponse], error)
	BatchDeleteSchedules(context.Context, *connect.Request[modeplatformv1.BatchDeleteSchedulesRequest]) (*connect.Response[modeplatformv1.BatchDeleteSchedulesResponse], error)
}

// callSchedule sends req to the schedule method that takes it.
func callSchedule(ctx context.Context, api scheduleAPI, req any) error {
	var err error
	switch m := req.(type) {
	case *modeplatformv1.ListSchedulesRequest:
		_, err = api.ListSchedules(ctx, connect.NewRequest(m))
	case *modeplatformv1.CreateScheduleRequest:
		_, err = api.CreateSchedule(ctx, connect.NewRequest(m))
	case *modeplatformv1.UpdateScheduleRequest:
		_, err = api.UpdateSchedule(ctx, connect.NewRequest(m))
	case *modeplatformv1.BatchDeleteSchedulesRequest:
		_, err = api.BatchDeleteSchedules(ctx, connect.NewRequest(m))
	}
	return err
}

// TestDistributionWorkflow walks the distribution of a report through the
// contract: a schedule with parameters and a subscription to it; the
// schedule fires when Mode's clock (the emulator's test clock) reaches its
// time, a run of the report with those parameters appears and succeeds, the
// schedule shows its last and next runs, and the run is delivered to the
// subscription; then both are changed and deleted.
func TestDistributionWorkflow(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC) // 08:00 Pacific (PST)
	clock := modetest.NewTestClock(start)
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithClock(clock)}})
	ctx := testContext(t)
	rs := e.clients(protocols[1]).rs
	report := e.reportName(e.demo.ParamReport)
	// The report's parameters, as a caller building a form reads them (the
	// form of its last run: run it once first).
	succeededRun(t, ctx, rs, report, nil)
	form, err := rs.GetReportParameters(ctx, connect.NewRequest(&modeplatformv1.GetReportParametersRequest{Name: report}))
	if err != nil {
		t.Fatalf("GetReportParameters: %v", err)
	}
	var region *modeplatformv1.ReportParameter
	for _, p := range form.Msg.GetParameters() {
		if p.GetName() == "region" {
			region = p
		}
	}
	if region == nil || len(region.GetAllowedValues()) == 0 {
		t.Fatalf("the report's form %v has no region to choose", form.Msg.GetParameters())
	}
	west := region.GetAllowedValues()[len(region.GetAllowedValues())-1].GetValue()
	res, err := rs.CreateSchedule(ctx, connect.NewRequest(&modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{
		DisplayName: "Morning", Parameters: map[string]string{"region": west},
		Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_DAILY, Hour: 9, Minute: 30, TimeZone: "Pacific Time (US & Canada)"},
	}}))
	if err != nil {
		t.Fatalf("CreateSchedule: %v", err)
	}
	sc := res.Msg.GetSchedule()
	due := start.Add(90 * time.Minute)
	subRes, err := rs.CreateSubscription(ctx, connect.NewRequest(&modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{
		Schedule: sc.GetName(), CsvAttachments: true, EmailSubscribers: []string{e.demo.Members[1]},
	}}))
	if err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	sub := subRes.Msg.GetSubscription()
	if got := sc.GetNextScheduledRunTime().AsTime(); !got.Equal(due) {
		t.Fatalf("next_scheduled_run_time = %v, want %v", got, due)
	}
	runs := func() []*modeplatformv1.ReportRun {
		t.Helper()
		req := connect.NewRequest(&modeplatformv1.ListReportRunsRequest{Parent: report})
		req.Header().Set("Cache-Control", "no-cache") // Mode ran it on its own: no write of ours told the cache
		res, err := rs.ListReportRuns(ctx, req)
		if err != nil {
			t.Fatalf("ListReportRuns: %v", err)
		}
		return res.Msg.GetRuns()
	}
	before := len(runs())
	clock.Advance(90*time.Minute - time.Second)
	if n := len(runs()); n != before {
		t.Fatalf("%d runs a second before the schedule's time, want %d", n, before)
	}
	clock.Advance(time.Second)
	after := runs()
	if len(after) != before+1 {
		t.Fatalf("%d runs at the schedule's time, want %d", len(after), before+1)
	}
	run := after[0] // newest first
	if run.GetParameters()["region"] != west {
		t.Errorf("the scheduled run's parameters = %v, want region=%s", run.GetParameters(), west)
	}
	watch, err := rs.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: run.GetName()}))
	if err != nil {
		t.Fatalf("WatchReportRun: %v", err)
	}
	var last modeplatformv1.ReportRun_State
	for watch.Receive() {
		last = watch.Msg().GetRun().GetState()
	}
	if last != modeplatformv1.ReportRun_STATE_SUCCEEDED {
		t.Fatalf("the scheduled run ended %v (%v), want SUCCEEDED", last, watch.Err())
	}
	get := connect.NewRequest(&modeplatformv1.GetScheduleRequest{Name: sc.GetName()})
	get.Header().Set("Cache-Control", "no-cache")
	got, err := rs.GetSchedule(ctx, get)
	if err != nil {
		t.Fatalf("GetSchedule: %v", err)
	}
	g := got.Msg.GetSchedule()
	if !g.GetLastScheduledRunTime().AsTime().Equal(due) || !g.GetLastRunTime().AsTime().Equal(due) ||
		!g.GetNextScheduledRunTime().AsTime().Equal(due.Add(24*time.Hour)) {
		t.Errorf("after firing: last scheduled %v, last run %v, next %v; want %v, %v, %v",
			g.GetLastScheduledRunTime().AsTime(), g.GetLastRunTime().AsTime(), g.GetNextScheduledRunTime().AsTime(), due, due, due.Add(24*time.Hour))
	}

	// The run reached the subscription's subscriber (Mode delivers just after the run succeeds).
	reportToken, runToken := e.demo.ParamReport, run.GetName()[strings.LastIndex(run.GetName(), "/")+1:]
	var deliveries []modetest.Delivery
	for range 1000 {
		if deliveries = e.mode.Deliveries(modetest.DemoWorkspace, reportToken); len(deliveries) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(deliveries) != 1 || deliveries[0].Run != runToken || !strings.HasSuffix(sub.GetName(), "/"+deliveries[0].Subscription) ||
		len(deliveries[0].EmailSubscribers) != 1 || deliveries[0].EmailSubscribers[0] != e.demo.Members[1] {
		t.Fatalf("deliveries = %+v, want run %s to %s", deliveries, runToken, sub.GetName())
	}

	// Change both, then delete both.
	if _, err := rs.UpdateSubscription(ctx, connect.NewRequest(&modeplatformv1.UpdateSubscriptionRequest{
		Subscription: &modeplatformv1.Subscription{Name: sub.GetName(), PdfAttachments: true},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"pdf_attachments"}},
	})); err != nil {
		t.Fatalf("UpdateSubscription: %v", err)
	}
	if _, err := rs.UpdateSchedule(ctx, connect.NewRequest(&modeplatformv1.UpdateScheduleRequest{
		Schedule:   &modeplatformv1.Schedule{Name: sc.GetName(), Parameters: map[string]string{"region": "East"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"parameters"}},
	})); err != nil {
		t.Fatalf("UpdateSchedule: %v", err)
	}
	if _, err := rs.DeleteSubscription(ctx, connect.NewRequest(&modeplatformv1.DeleteSubscriptionRequest{Name: sub.GetName()})); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	if _, err := rs.BatchDeleteSchedules(ctx, connect.NewRequest(&modeplatformv1.BatchDeleteSchedulesRequest{Parent: report, Names: []string{sc.GetName()}})); err != nil {
		t.Fatalf("BatchDeleteSchedules: %v", err)
	}
	_, err = rs.GetSchedule(ctx, connect.NewRequest(&modeplatformv1.GetScheduleRequest{Name: sc.GetName()}))
	wantCode(t, err, connect.CodeNotFound)
}

// TestSubscriptions walks a schedule's subscriptions: create (once per
// request_id), read, list (all of the report's, and one schedule's), move
// to another schedule and change its subscribers, delete.
func TestSubscriptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	rs := e.clients(protocols[0]).rs
	report := e.reportName(e.demo.Reports[3])
	schedule := func() string {
		t.Helper()
		res, err := rs.CreateSchedule(ctx, connect.NewRequest(&modeplatformv1.CreateScheduleRequest{Parent: report,
			Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY}}}))
		if err != nil {
			t.Fatalf("CreateSchedule: %v", err)
		}
		return res.Msg.GetSchedule().GetName()
	}
	first, second := schedule(), schedule()
	member := e.demo.Members[0]
	req := &modeplatformv1.CreateSubscriptionRequest{Parent: report, RequestId: "sub-1", Subscription: &modeplatformv1.Subscription{
		Schedule: first, CsvAttachments: true, ReportLinks: true, EmailSubscribers: []string{member}, SlackChannels: []string{"#sales"},
	}}
	res, err := rs.CreateSubscription(ctx, connect.NewRequest(req))
	if err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	sub := res.Msg.GetSubscription()
	if !strings.HasPrefix(sub.GetName(), report+"/subscriptions/") || sub.GetSchedule() != first || !sub.GetCsvAttachments() || sub.GetPdfAttachments() ||
		!sub.GetReportLinks() || sub.GetEmailSubscriberCount() != 1 || sub.GetSlackSubscriberCount() != 1 ||
		len(sub.GetEmailSubscribers()) != 1 || sub.GetEmailSubscribers()[0] != member {
		t.Fatalf("created subscription = %v", sub)
	}
	if again, err := rs.CreateSubscription(ctx, connect.NewRequest(req)); err != nil || again.Msg.GetSubscription().GetName() != sub.GetName() {
		t.Fatalf("CreateSubscription retried: %v, %v; want %s", again, err, sub.GetName())
	}
	list := func(schedule string) []*modeplatformv1.Subscription {
		t.Helper()
		res, err := rs.ListSubscriptions(ctx, connect.NewRequest(&modeplatformv1.ListSubscriptionsRequest{Parent: report, Schedule: schedule}))
		if err != nil {
			t.Fatalf("ListSubscriptions(%q): %v", schedule, err)
		}
		return res.Msg.GetSubscriptions()
	}
	if all, ofFirst, ofSecond := list(""), list(first), list(second); len(all) != 1 || len(ofFirst) != 1 || len(ofSecond) != 0 {
		t.Fatalf("lists: report %d, first schedule %d, second schedule %d; want 1, 1, 0", len(all), len(ofFirst), len(ofSecond))
	}
	sched, err := rs.GetSchedule(ctx, connect.NewRequest(&modeplatformv1.GetScheduleRequest{Name: first}))
	if err != nil || sched.Msg.GetSchedule().GetSubscriberCount() != 1 {
		t.Errorf("the schedule's subscriber_count after subscribing: %v, %v; want 1 (the write refreshed the cached schedule)", sched, err)
	}

	upd, err := rs.UpdateSubscription(ctx, connect.NewRequest(&modeplatformv1.UpdateSubscriptionRequest{
		Subscription: &modeplatformv1.Subscription{Name: sub.GetName(), Schedule: second, PdfAttachments: true},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"schedule", "pdf_attachments", "slack_channels"}},
	}))
	if err != nil {
		t.Fatalf("UpdateSubscription: %v", err)
	}
	if u := upd.Msg.GetSubscription(); u.GetSchedule() != second || !u.GetPdfAttachments() || !u.GetCsvAttachments() ||
		len(u.GetSlackChannels()) != 0 || len(u.GetEmailSubscribers()) != 1 {
		t.Errorf("after the update: %v", u)
	}
	if ofFirst, ofSecond := list(first), list(second); len(ofFirst) != 0 || len(ofSecond) != 1 {
		t.Errorf("after the move: first schedule %d, second %d; want 0, 1", len(ofFirst), len(ofSecond))
	}
	got, err := rs.GetSubscription(ctx, connect.NewRequest(&modeplatformv1.GetSubscriptionRequest{Name: sub.GetName()}))
	if err != nil || got.Msg.GetSubscription().GetSchedule() != second {
		t.Errorf("GetSubscription after the move: %v, %v", got, err)
	}
	if _, err := rs.DeleteSubscription(ctx, connect.NewRequest(&modeplatformv1.DeleteSubscriptionRequest{Name: sub.GetName()})); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	_, err = rs.GetSubscription(ctx, connect.NewRequest(&modeplatformv1.GetSubscriptionRequest{Name: sub.GetName()}))
	wantCode(t, err, connect.CodeNotFound)

	// Bad input never reaches Mode.
	before := e.upstream()
	otherReport := e.reportName(e.demo.Reports[4]) + "/schedules/abc"
	for _, bad := range []struct {
		name  string
		field string
		req   *modeplatformv1.CreateSubscriptionRequest
	}{
		{"another report's schedule", "", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{Schedule: otherReport, ReportLinks: true}}},
		{"delivers nothing", "", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{Schedule: first}}},
		{"bad slack channel", "subscription.slack_channels[0]", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{Schedule: first, ReportLinks: true, SlackChannels: []string{"sales team"}}}},
		{"bad subscriber", "subscription.email_subscribers[0]", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{Schedule: first, ReportLinks: true, EmailSubscribers: []string{"a@b.c"}}}},
	} {
		_, err := rs.CreateSubscription(ctx, connect.NewRequest(bad.req))
		ce := wantCode(t, err, connect.CodeInvalidArgument)
		if bad.field != "" && !strings.Contains(ce.Message(), bad.field) {
			t.Errorf("%s: %q does not name %s", bad.name, ce.Message(), bad.field)
		}
		_, direct := e.svc.Report.CreateSubscription(ctx, connect.NewRequest(bad.req))
		wantCode(t, direct, connect.CodeInvalidArgument)
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("invalid subscriptions sent %d requests to Mode, want 0", n)
	}
}
