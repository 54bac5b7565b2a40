package modeclient_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

func subscriptionToken(s modeclient.Subscription) string { return s.Token }

func boolp(v bool) *bool { return &v }

// TestContractSubscriptionWrites covers a report subscription's whole life through a cached
// client: CreateReportSubscription, GetReportSubscription, ListReportSubscriptions(Page),
// ListScheduleSubscriptions(Page), UpdateReportSubscription (a cached read shows the change),
// DeleteReportSubscription, and bodies Mode refuses.
func TestContractSubscriptionWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		rep := d.Reports[0]
		sch := must(c.CreateReportSchedule(ctx, tg.ws, rep, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "daily"}}))(t).Token
		other := must(c.CreateReportSchedule(ctx, tg.ws, rep, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "weekly"}}))(t).Token

		if ss := collect(t, c.ListReportSubscriptions(ctx, tg.ws, rep, nil)); len(ss) != 0 {
			t.Fatalf("%d subscriptions before any was created", len(ss))
		}
		if ss := collect(t, c.ListScheduleSubscriptions(ctx, tg.ws, rep, sch, nil)); len(ss) != 0 {
			t.Fatalf("%d subscriptions of the schedule before any was created", len(ss))
		}
		if s := must(c.GetReportSchedule(ctx, tg.ws, rep, sch))(t); bool(s.Subscribed) || s.SubscriberCount != 0 {
			t.Fatalf("a new schedule: subscribed %v, subscriber_count %d", s.Subscribed, s.SubscriberCount)
		}
		s := must(c.CreateReportSubscription(ctx, tg.ws, rep, modeclient.SubscriptionCreate{
			Schedule: sch, CSVAttachments: boolp(true), PDFAttachments: boolp(true),
			EmailSubscribers: []string{d.Members[0]}, SlackChannels: []string{"#sales"},
		}))(t)
		if s.Token == "" || s.ScheduleToken != sch || s.ReportToken != rep || !bool(s.CSVAttachmentsEnabled) || !bool(s.PDFAttachmentsEnabled) ||
			!bool(s.DataPreviewsEnabled) || !bool(s.ReportLinksEnabled) || bool(s.DataTablesEnabled) ||
			s.EmailSubscriberCount != 1 || s.SlackSubscriberCount != 1 || !slices.Equal(s.EmailSubscribers, []string{d.Members[0]}) ||
			s.Links.Href("self") == "" || s.Links.Href("report_schedule") == "" {
			t.Fatalf("CreateReportSubscription = %+v", s)
		}
		got := must(c.GetReportSubscription(ctx, tg.ws, rep, s.Token))(t) // cached from here on
		if got.Token != s.Token || !bool(got.CSVAttachmentsEnabled) {
			t.Errorf("GetReportSubscription = %+v", got)
		}
		page := must(c.ListReportSubscriptionsPage(ctx, tg.ws, rep, 1, nil))(t)
		if !slices.Equal(tokensOf(page.Items, subscriptionToken), []string{s.Token}) {
			t.Errorf("ListReportSubscriptionsPage = %v", tokensOf(page.Items, subscriptionToken))
		}
		spage := must(c.ListScheduleSubscriptionsPage(ctx, tg.ws, rep, sch, 1, nil))(t)
		if !slices.Equal(tokensOf(spage.Items, subscriptionToken), []string{s.Token}) {
			t.Errorf("ListScheduleSubscriptionsPage = %v", tokensOf(spage.Items, subscriptionToken))
		}
		if ss := collect(t, c.ListScheduleSubscriptions(ctx, tg.ws, rep, other, nil)); len(ss) != 0 {
			t.Errorf("the other schedule lists %d subscriptions", len(ss))
		}
		if x := must(c.GetReportSchedule(ctx, tg.ws, rep, sch))(t); !bool(x.Subscribed) || x.SubscriberCount != 1 {
			t.Errorf("the schedule after the create (it was cached): subscribed %v, subscriber_count %d", x.Subscribed, x.SubscriberCount)
		}

		emails := []string{d.Members[0], d.Members[1]}
		u := must(c.UpdateReportSubscription(ctx, tg.ws, rep, s.Token, modeclient.SubscriptionUpdate{
			CSVAttachments: boolp(false), EmailSubscribers: &emails, Schedule: &other,
		}))(t)
		if bool(u.CSVAttachmentsEnabled) || !bool(u.PDFAttachmentsEnabled) || u.EmailSubscriberCount != 2 || u.ScheduleToken != other {
			t.Errorf("UpdateReportSubscription = %+v", u)
		}
		if got := must(c.GetReportSubscription(ctx, tg.ws, rep, s.Token))(t); bool(got.CSVAttachmentsEnabled) || got.EmailSubscriberCount != 2 || got.ScheduleToken != other {
			t.Errorf("GetReportSubscription after the update (it was cached) = %+v", got)
		}
		if ss := collect(t, c.ListReportSubscriptions(ctx, tg.ws, rep, nil)); len(ss) != 1 || ss[0].EmailSubscriberCount != 2 {
			t.Errorf("ListReportSubscriptions after the update = %+v", ss)
		}
		if ss := collect(t, c.ListScheduleSubscriptions(ctx, tg.ws, rep, sch, nil)); len(ss) != 0 {
			t.Errorf("the first schedule still lists %d subscriptions after the move", len(ss))
		}
		if ss := collect(t, c.ListScheduleSubscriptions(ctx, tg.ws, rep, other, nil)); !slices.Equal(tokensOf(ss, subscriptionToken), []string{s.Token}) {
			t.Errorf("the other schedule lists %v after the move", tokensOf(ss, subscriptionToken))
		}
		if x := must(c.GetReportSchedule(ctx, tg.ws, rep, sch))(t); bool(x.Subscribed) || x.SubscriberCount != 0 {
			t.Errorf("the first schedule after the move: subscribed %v, subscriber_count %d", x.Subscribed, x.SubscriberCount)
		}

		// Bodies Mode refuses.
		for _, in := range []modeclient.SubscriptionCreate{
			{Schedule: sch, DataPreviews: boolp(false), ReportLinks: boolp(false)},
			{Schedule: sch, EmailSubscribers: []string{"nosuchuser"}},
			{Schedule: sch, SlackChannels: []string{"two words"}},
		} {
			_, err := c.CreateReportSubscription(ctx, tg.ws, rep, in)
			if ae := wantAPIError(t, err, http.StatusBadRequest); ae.ID != "bad_request" {
				t.Errorf("%+v: %+v", in, ae)
			}
		}
		_, err := c.UpdateReportSubscription(ctx, tg.ws, rep, s.Token, modeclient.SubscriptionUpdate{
			DataPreviews: boolp(false), ReportLinks: boolp(false), PDFAttachments: boolp(false),
		})
		wantAPIError(t, err, http.StatusBadRequest)
		// A schedule that does not exist is not found (the client reads it first).
		_, err = c.CreateReportSubscription(ctx, tg.ws, rep, modeclient.SubscriptionCreate{Schedule: "nosuchschedule"})
		wantAPIError(t, err, http.StatusNotFound)

		if err := c.DeleteReportSubscription(ctx, tg.ws, rep, s.Token); err != nil {
			t.Fatalf("DeleteReportSubscription: %v", err)
		}
		_, err = c.GetReportSubscription(ctx, tg.ws, rep, s.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if ss := collect(t, c.ListReportSubscriptions(ctx, tg.ws, rep, nil)); len(ss) != 0 {
			t.Errorf("%d subscriptions after the delete", len(ss))
		}
		if ss := collect(t, c.ListScheduleSubscriptions(ctx, tg.ws, rep, other, nil)); len(ss) != 0 {
			t.Errorf("%d subscriptions of the schedule after the delete", len(ss))
		}
		wantAPIError(t, c.DeleteReportSubscription(ctx, tg.ws, rep, s.Token), http.StatusNotFound)

		// Deleting a schedule deletes its subscriptions, cached or not.
		s2 := must(c.CreateReportSubscription(ctx, tg.ws, rep, modeclient.SubscriptionCreate{Schedule: other}))(t)
		must(c.GetReportSubscription(ctx, tg.ws, rep, s2.Token))(t)
		if n := len(collect(t, c.ListReportSubscriptions(ctx, tg.ws, rep, nil))); n != 1 {
			t.Fatalf("%d subscriptions, want 1", n)
		}
		if err := c.DeleteReportSchedule(ctx, tg.ws, rep, other); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetReportSubscription(ctx, tg.ws, rep, s2.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if n := len(collect(t, c.ListReportSubscriptions(ctx, tg.ws, rep, nil))); n != 0 {
			t.Errorf("%d subscriptions after their schedule was deleted", n)
		}
		_, err = c.ListScheduleSubscriptionsPage(ctx, tg.ws, rep, other, 1, nil)
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractSubscriptionInvalidArguments: identifiers that are not Mode's, a create without
// a schedule and an update without a change are refused before any request is sent.
func TestContractSubscriptionInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		rep := tg.emu.Demo().Reports[0]
		upd := modeclient.SubscriptionUpdate{CSVAttachments: boolp(true)}
		bad := "a/b"
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name, field string
			call        func(ctx context.Context) error
		}{
			{"list bad workspace", "workspace", func(ctx context.Context) error {
				_, err := c.ListReportSubscriptionsPage(ctx, "../x", rep, 1, nil)
				return err
			}},
			{"list bad report", "report", func(ctx context.Context) error {
				_, err := c.ListReportSubscriptionsPage(ctx, tg.ws, "a/b", 1, nil)
				return err
			}},
			{"schedule list bad schedule", "schedule", func(ctx context.Context) error {
				_, err := c.ListScheduleSubscriptionsPage(ctx, tg.ws, rep, "..", 1, nil)
				return err
			}},
			{"schedule list bad report", "report", func(ctx context.Context) error {
				_, err := c.ListScheduleSubscriptionsPage(ctx, tg.ws, "a?b", "abc", 1, nil)
				return err
			}},
			{"get bad subscription", "subscription", func(ctx context.Context) error {
				_, err := c.GetReportSubscription(ctx, tg.ws, rep, "..")
				return err
			}},
			{"create bad report", "report", func(ctx context.Context) error {
				_, err := c.CreateReportSubscription(ctx, tg.ws, "a?b", modeclient.SubscriptionCreate{Schedule: "abc"})
				return err
			}},
			{"create without schedule", "schedule", func(ctx context.Context) error {
				_, err := c.CreateReportSubscription(ctx, tg.ws, rep, modeclient.SubscriptionCreate{})
				return err
			}},
			{"create bad schedule", "schedule", func(ctx context.Context) error {
				_, err := c.CreateReportSubscription(ctx, tg.ws, rep, modeclient.SubscriptionCreate{Schedule: "a b"})
				return err
			}},
			{"update bad subscription", "subscription", func(ctx context.Context) error {
				_, err := c.UpdateReportSubscription(ctx, tg.ws, rep, "a#b", upd)
				return err
			}},
			{"update bad schedule", "schedule", func(ctx context.Context) error {
				_, err := c.UpdateReportSubscription(ctx, tg.ws, rep, "abc", modeclient.SubscriptionUpdate{Schedule: &bad})
				return err
			}},
			{"update nothing", "subscription", func(ctx context.Context) error {
				_, err := c.UpdateReportSubscription(ctx, tg.ws, rep, "abc", modeclient.SubscriptionUpdate{})
				return err
			}},
			{"delete bad subscription", "subscription", func(ctx context.Context) error {
				return c.DeleteReportSubscription(ctx, tg.ws, rep, "")
			}},
			{"delete bad workspace", "workspace", func(ctx context.Context) error {
				return c.DeleteReportSubscription(ctx, "verify", rep, "abc")
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
