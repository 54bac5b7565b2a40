package modeclient_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

func scheduleToken(s modeclient.Schedule) string { return s.Token }

func intp(v int) *int { return &v }

// TestContractScheduleWrites covers a report schedule's whole life through a cached client:
// CreateReportSchedule, GetReportSchedule, ListReportSchedules(Page), UpdateReportSchedule
// (a cached read shows the change), DeleteReportSchedule, and a refused cron.
func TestContractScheduleWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		rep := d.Reports[0]

		if ss := collect(t, c.ListReportSchedules(ctx, tg.ws, rep, nil)); len(ss) != 0 {
			t.Fatalf("%d schedules before any was created", len(ss))
		}
		s := must(c.CreateReportSchedule(ctx, tg.ws, rep, modeclient.ScheduleCreate{
			Cron: modeclient.CronInput{Freq: "daily", Hour: intp(7), Minute: intp(45), TimeZone: "Eastern Time (US & Canada)"},
			Name: "Morning", Timeout: 900, Params: map[string]any{"region": "West"},
		}))(t)
		if s.Token == "" || s.Name != "Morning" || s.Timeout != 900 || s.ReportToken != rep ||
			s.Cron != (modeclient.Cron{Freq: "daily", Hour: 7, Minute: 45, DayOfMonth: 1, TimeZone: "Eastern Time (US & Canada)"}) ||
			s.Parameters["region"] != "West" || s.Links.Href("self") == "" {
			t.Fatalf("CreateReportSchedule = %+v", s)
		}
		ny, _ := time.LoadLocation("America/New_York")
		if next := s.NextScheduledRun.In(ny); next.Hour() != 7 || next.Minute() != 45 || !s.NextScheduledRun.After(time.Now()) {
			t.Errorf("next_scheduled_run = %v", s.NextScheduledRun)
		}
		got := must(c.GetReportSchedule(ctx, tg.ws, rep, s.Token))(t) // cached from here on
		if got.Name != "Morning" || got.Cron.Hour != 7 {
			t.Errorf("GetReportSchedule = %+v", got)
		}
		page := must(c.ListReportSchedulesPage(ctx, tg.ws, rep, 1, nil))(t)
		if !slices.Equal(tokensOf(page.Items, scheduleToken), []string{s.Token}) {
			t.Errorf("ListReportSchedulesPage = %v", tokensOf(page.Items, scheduleToken))
		}
		if n := must(c.GetReport(ctx, tg.ws, rep))(t).SchedulesCount; n != 1 {
			t.Errorf("schedules_count = %d, want 1", n)
		}

		name := "Evening"
		u := must(c.UpdateReportSchedule(ctx, tg.ws, rep, s.Token, modeclient.ScheduleUpdate{
			Cron: &modeclient.CronInput{Hour: intp(19)}, Name: &name,
		}))(t)
		if u.Name != name || u.Cron.Hour != 19 || u.Cron.Minute != 45 || u.Cron.Freq != "daily" {
			t.Errorf("UpdateReportSchedule = %+v", u)
		}
		if got := must(c.GetReportSchedule(ctx, tg.ws, rep, s.Token))(t); got.Name != name || got.Cron.Hour != 19 {
			t.Errorf("GetReportSchedule after the update (it was cached) = %+v", got)
		}
		if ss := collect(t, c.ListReportSchedules(ctx, tg.ws, rep, nil)); len(ss) != 1 || ss[0].Name != name {
			t.Errorf("ListReportSchedules after the update = %+v", ss)
		}

		for _, cron := range []modeclient.CronInput{
			{Freq: "yearly"},
			{Freq: "daily", Hour: intp(25)},
			{Freq: "hourly", Minute: intp(60)},
			{Freq: "daily", TimeZone: "Mars/Olympus_Mons"},
		} {
			_, err := c.CreateReportSchedule(ctx, tg.ws, rep, modeclient.ScheduleCreate{Cron: cron})
			if ae := wantAPIError(t, err, http.StatusBadRequest); ae.ID != "bad_request" {
				t.Errorf("cron %+v: %+v", cron, ae)
			}
		}
		_, err := c.UpdateReportSchedule(ctx, tg.ws, rep, s.Token, modeclient.ScheduleUpdate{Cron: &modeclient.CronInput{Hour: intp(24)}})
		wantAPIError(t, err, http.StatusBadRequest)

		if err := c.DeleteReportSchedule(ctx, tg.ws, rep, s.Token); err != nil {
			t.Fatalf("DeleteReportSchedule: %v", err)
		}
		_, err = c.GetReportSchedule(ctx, tg.ws, rep, s.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if ss := collect(t, c.ListReportSchedules(ctx, tg.ws, rep, nil)); len(ss) != 0 {
			t.Errorf("%d schedules after the delete", len(ss))
		}
		if n := must(c.GetReport(ctx, tg.ws, rep))(t).SchedulesCount; n != 0 {
			t.Errorf("schedules_count = %d after the delete, want 0", n)
		}
		wantAPIError(t, c.DeleteReportSchedule(ctx, tg.ws, rep, s.Token), http.StatusNotFound)
		_, err = c.CreateReportSchedule(ctx, tg.ws, "nosuchreport", modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "daily"}})
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractScheduleBulkDelete covers BulkDeleteReportSchedules across two reports, through a
// cached client whose lists were read before.
func TestContractScheduleBulkDelete(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		reps := tg.emu.Demo().Reports[1:3]
		var refs []modeclient.ScheduleRef
		for _, rep := range reps {
			for _, freq := range []string{"hourly", "weekly"} {
				s := must(c.CreateReportSchedule(ctx, tg.ws, rep, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: freq}}))(t)
				refs = append(refs, modeclient.ScheduleRef{Report: rep, Schedule: s.Token})
			}
			if n := len(collect(t, c.ListReportSchedules(ctx, tg.ws, rep, nil))); n != 2 {
				t.Fatalf("%d schedules of %s, want 2", n, rep)
			}
		}
		gone := []modeclient.ScheduleRef{refs[0], refs[2]}
		if err := c.BulkDeleteReportSchedules(ctx, tg.ws, gone); err != nil {
			t.Fatalf("BulkDeleteReportSchedules: %v", err)
		}
		for i, rep := range reps {
			ss := collect(t, c.ListReportSchedules(ctx, tg.ws, rep, nil))
			if !slices.Equal(tokensOf(ss, scheduleToken), []string{refs[2*i+1].Schedule}) {
				t.Errorf("schedules of %s after the bulk delete = %v", rep, tokensOf(ss, scheduleToken))
			}
		}
		for _, g := range gone {
			_, err := c.GetReportSchedule(ctx, tg.ws, g.Report, g.Schedule)
			wantAPIError(t, err, http.StatusNotFound)
		}
		// One unknown schedule: nothing is deleted.
		err := c.BulkDeleteReportSchedules(ctx, tg.ws, []modeclient.ScheduleRef{refs[1], refs[0]})
		wantAPIError(t, err, http.StatusNotFound)
		if _, err := c.GetReportSchedule(ctx, tg.ws, refs[1].Report, refs[1].Schedule); err != nil {
			t.Errorf("a refused bulk delete deleted a schedule: %v", err)
		}
	})
}

// TestContractScheduleInvalidArguments: identifiers that are not Mode's are refused before any
// request is sent.
func TestContractScheduleInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		rep := tg.emu.Demo().Reports[0]
		daily := modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "daily"}}
		name := "x"
		upd := modeclient.ScheduleUpdate{Name: &name}
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name, field string
			call        func(ctx context.Context) error
		}{
			{"list bad workspace", "workspace", func(ctx context.Context) error {
				_, err := c.ListReportSchedulesPage(ctx, "../x", rep, 1, nil)
				return err
			}},
			{"list bad report", "report", func(ctx context.Context) error {
				_, err := c.ListReportSchedulesPage(ctx, tg.ws, "a/b", 1, nil)
				return err
			}},
			{"get bad schedule", "schedule", func(ctx context.Context) error {
				_, err := c.GetReportSchedule(ctx, tg.ws, rep, "..")
				return err
			}},
			{"create bad report", "report", func(ctx context.Context) error {
				_, err := c.CreateReportSchedule(ctx, tg.ws, "a?b", daily)
				return err
			}},
			{"create without freq", "cron.freq", func(ctx context.Context) error {
				_, err := c.CreateReportSchedule(ctx, tg.ws, rep, modeclient.ScheduleCreate{})
				return err
			}},
			{"update bad schedule", "schedule", func(ctx context.Context) error {
				_, err := c.UpdateReportSchedule(ctx, tg.ws, rep, "a#b", upd)
				return err
			}},
			{"update nothing", "schedule", func(ctx context.Context) error {
				_, err := c.UpdateReportSchedule(ctx, tg.ws, rep, "abc", modeclient.ScheduleUpdate{})
				return err
			}},
			{"delete bad schedule", "schedule", func(ctx context.Context) error {
				return c.DeleteReportSchedule(ctx, tg.ws, rep, "")
			}},
			{"bulk none", "schedules", func(ctx context.Context) error {
				return c.BulkDeleteReportSchedules(ctx, tg.ws, nil)
			}},
			{"bulk bad workspace", "workspace", func(ctx context.Context) error {
				return c.BulkDeleteReportSchedules(ctx, "verify", []modeclient.ScheduleRef{{Report: rep, Schedule: "abc"}})
			}},
			{"bulk bad schedule", "schedule", func(ctx context.Context) error {
				return c.BulkDeleteReportSchedules(ctx, tg.ws, []modeclient.ScheduleRef{{Report: rep, Schedule: "abc"}, {Report: rep, Schedule: "a b"}})
			}},
		} {
			err := tc.call(ctx)
			var ia *modeclient.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("%s: err = %v, want InvalidArgumentError{%s}", tc.name, err, tc.field)
			}
		}
		if reqs := tg.emu.Requests(); len(reqs) != 0 {
			t.Errorf("%d requests were sent for invalid arguments: %+v", len(reqs), reqs)
		}
	})
}
