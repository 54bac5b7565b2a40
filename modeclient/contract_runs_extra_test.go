package modeclient_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// TestContractRunOptions: the options of a run of the report with parameters are its form
// (region a select of the demo regions, min_total a number), through GetReportRunOptions and
// GetReportParameters; a report without parameters has none; an unknown run is a 404 APIError.
func TestContractRunOptions(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		if _, err := c.GetReportParameters(ctx, tg.ws, d.ParamReport); !errors.Is(err, modeclient.ErrNeverRun) {
			t.Errorf("GetReportParameters of a report that never ran: err = %v, want ErrNeverRun", err)
		}
		run := must(c.RunReport(ctx, tg.ws, d.ParamReport, paramValues()))(t)
		waitRun(t, ctx, c, tg.ws, d.ParamReport, run.Token)
		o := must(c.GetReportRunOptions(ctx, tg.ws, d.ParamReport, run.Token))(t)
		if len(o.FormFields) != 2 {
			t.Fatalf("GetReportRunOptions = %+v", o)
		}
		region, total := o.Field("region"), o.Field("min_total")
		if region == nil || region.Type != "select" || region.Label != "Region" || region.DefaultString() != "Northeast" ||
			len(region.Options) != 4 || region.Options[0] != (modeclient.FormOption{Label: "Northeast", Value: "Northeast"}) ||
			region.SourceSize != 4 || region.OptionsError != "" {
			t.Errorf("region = %+v", region)
		}
		if total == nil || total.Type != "number" || total.DefaultString() != "1000" || len(total.Options) != 0 {
			t.Errorf("min_total = %+v", total)
		}
		if o.Links.Href("self") == "" {
			t.Errorf("no self link: %+v", o.Links)
		}
		// The run's parameter West is one of the options.
		found := false
		for _, op := range region.Options {
			found = found || op.Value == paramRegion
		}
		if !found {
			t.Errorf("the run's region %q is not among the options %v", paramRegion, region.Options)
		}
		p := must(c.GetReportParameters(ctx, tg.ws, d.ParamReport))(t)
		if len(p.FormFields) != 2 || p.FormFields[0].Name != "region" {
			t.Errorf("GetReportParameters = %+v", p)
		}

		rep := d.Reports[0]
		plain := must(c.RunReport(ctx, tg.ws, rep, nil))(t)
		if o := must(c.GetReportRunOptions(ctx, tg.ws, rep, plain.Token))(t); len(o.FormFields) != 0 {
			t.Errorf("options of a report without parameters = %+v", o.FormFields)
		}
		waitRun(t, ctx, c, tg.ws, rep, plain.Token)
		_, err := c.GetReportRunOptions(ctx, tg.ws, rep, "000000000000")
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractRunDuplicate: DuplicateReportRun of a finished run into a collection, then
// GetReportRunDuplicate until it has succeeded: the copy is a new report in that collection whose
// run has the source run's parameters. An unknown run is a 404 APIError, sent no write.
func TestContractRunDuplicate(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		run := must(c.RunReport(ctx, tg.ws, d.ParamReport, paramValues()))(t)
		waitRun(t, ctx, c, tg.ws, d.ParamReport, run.Token)
		before := len(collect(t, c.ListSpaceReports(ctx, tg.ws, d.Spaces[1], nil)))

		dup := must(c.DuplicateReportRun(ctx, tg.ws, d.ParamReport, run.Token, d.Spaces[1]))(t)
		if dup.Token == "" || dup.Finished() || string(dup.CollectionToken) != d.Spaces[1] || dup.Links.Href("self") == "" {
			t.Fatalf("DuplicateReportRun = %+v", dup)
		}
		var got *modeclient.RunDuplicate
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			got = must(c.GetReportRunDuplicate(ctx, tg.ws, d.ParamReport, run.Token, dup.Token))(t)
			if got.Finished() || time.Now().After(deadline) {
				break
			}
		}
		if got.State != "succeeded" || got.NewReportToken == "" {
			t.Fatalf("GetReportRunDuplicate = %+v", got)
		}
		copied := must(c.GetReport(ctx, tg.ws, string(got.NewReportToken)))(t)
		if copied.SpaceToken != d.Spaces[1] || copied.Name != "Copy of Large Orders by Region" {
			t.Errorf("the copy = %+v", copied)
		}
		runs := collect(t, c.ListReportRuns(ctx, tg.ws, copied.Token, nil))
		if len(runs) != 1 || runs[0].Parameters["region"] != paramRegion {
			t.Errorf("the copy's runs = %+v", runs)
		}
		if after := len(collect(t, c.ListSpaceReports(ctx, tg.ws, d.Spaces[1], nil))); after != before+1 {
			t.Errorf("the collection lists %d reports after the duplicate, %d before", after, before)
		}

		_, err := c.DuplicateReportRun(ctx, tg.ws, d.ParamReport, "000000000000", "")
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.GetReportRunDuplicate(ctx, tg.ws, d.ParamReport, run.Token, "000000000000")
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractRunExtrasInvalidArguments: identifiers that are not Mode's are refused before any
// request is sent.
func TestContractRunExtrasInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		rep := tg.emu.Demo().Reports[0]
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name, field string
			call        func(ctx context.Context) error
		}{
			{"options bad workspace", "workspace", func(ctx context.Context) error {
				_, err := c.GetReportRunOptions(ctx, "../x", rep, "abc")
				return err
			}},
			{"options bad run", "run", func(ctx context.Context) error {
				_, err := c.GetReportRunOptions(ctx, tg.ws, rep, "a/b")
				return err
			}},
			{"parameters bad report", "report", func(ctx context.Context) error {
				_, err := c.GetReportParameters(ctx, tg.ws, "a?b")
				return err
			}},
			{"duplicate bad run", "run", func(ctx context.Context) error {
				_, err := c.DuplicateReportRun(ctx, tg.ws, rep, "..", "")
				return err
			}},
			{"duplicate bad collection", "collection", func(ctx context.Context) error {
				_, err := c.DuplicateReportRun(ctx, tg.ws, rep, "abc", "a b")
				return err
			}},
			{"get bad duplicate", "duplicate", func(ctx context.Context) error {
				_, err := c.GetReportRunDuplicate(ctx, tg.ws, rep, "abc", "a#b")
				return err
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
