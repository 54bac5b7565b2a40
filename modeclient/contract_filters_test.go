package modeclient_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

func reportFilterToken(f modeclient.ReportFilter) string { return f.Token }

// filterRows lists a report's filters as "name@row_order", in the report's order.
func filterRows(t *testing.T, ctx context.Context, c *modeclient.Client, ws, rep string) []string {
	t.Helper()
	var out []string
	for f, err := range c.ListReportFilters(ctx, ws, rep, nil) {
		if err != nil {
			t.Fatalf("ListReportFilters: %v", err)
		}
		out = append(out, f.Name+"@"+strconv.Itoa(int(f.RowOrder)))
	}
	return out
}

// TestContractReportFiltersRead lists a report's filters and reads the first: on the emulator,
// the filters seeded on Demo.FilterReport.
func TestContractReportFiltersRead(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		rep := tg.fixtures(t).Report
		if tg.emu != nil {
			rep = tg.emu.Demo().FilterReport
		}
		fs := collect(t, c.ListReportFilters(ctx, tg.ws, rep, &modeclient.ListOptions{PerPage: 1}))
		assertUnique(t, "filters", tokensOf(fs, reportFilterToken))
		if tg.emu != nil {
			d := tg.emu.Demo()
			reps := collect(t, c.ListQueries(ctx, tg.ws, rep, nil))[0].Token
			if !slices.Equal(tokensOf(fs, reportFilterToken), d.Filters) {
				t.Fatalf("ListReportFilters = %v, want the seeded %v", tokensOf(fs, reportFilterToken), d.Filters)
			}
			f := fs[0]
			if f.Name != "Region" || f.Formula != "[region]" || f.FilterType != "MULTI" || f.ControlType != "DROPDOWN" || f.VariableType != "DISCRETE" ||
				f.RowOrder != 1 || f.QueryToken() != reps || f.ReportID == 0 || bool(f.HideSelectAll) || f.Links.Href("report") != apiPath("reports", rep) {
				t.Errorf("first filter = %+v", f)
			}
			if fs[1].FilterType != "RANGE" || fs[1].RowOrder != 2 {
				t.Errorf("second filter = %+v", fs[1])
			}
		}
		if len(fs) == 0 {
			t.Skip("the report has no filter to read")
		}
		got := must(c.GetReportFilter(ctx, tg.ws, rep, fs[0].Token))(t)
		if got.Token != fs[0].Token || got.Formula != fs[0].Formula || got.QueryToken() != fs[0].QueryToken() {
			t.Errorf("GetReportFilter = %+v, listed %+v", got, fs[0])
		}
	})
}

// TestContractReportFilterWrites covers report filters' whole life through a cached client:
// CreateReportFilter (placed with NextFilter), GetReportFilter, ListReportFilters(Page),
// UpdateReportFilter (a cached read of the filter, and of the filters it moved, shows the
// change), DeleteReportFilter, bodies Mode refuses, and DeleteQuery taking its filters along.
func TestContractReportFilterWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		rep := tg.emu.Demo().Reports[0] // Revenue by Region: region, orders, revenue_usd
		q := collect(t, c.ListQueries(ctx, tg.ws, rep, nil))[0].Token
		if fs := collect(t, c.ListReportFilters(ctx, tg.ws, rep, nil)); len(fs) != 0 {
			t.Fatalf("%d filters before any was created", len(fs))
		}

		region := must(c.CreateReportFilter(ctx, tg.ws, rep, modeclient.ReportFilterInput{
			Name: "Region", Formula: "[region]", DataType: "string", FormulaType: "column",
			FilterType: "MULTI", ControlType: "DROPDOWN", VariableType: "DISCRETE",
			Query: q, Options: map[string]any{"selected_values": []string{"West"}},
		}))(t)
		if region.Token == "" || region.Name != "Region" || region.QueryToken() != q || region.RowOrder != 1 ||
			region.Links.Href("self") != apiPath("reports", rep, "filters", region.Token) {
			t.Fatalf("CreateReportFilter = %+v", region)
		}
		if v, _ := region.Options["selected_values"].([]any); len(v) != 1 || v[0] != "West" {
			t.Errorf("options = %v", region.Options)
		}
		revenue := must(c.CreateReportFilter(ctx, tg.ws, rep, modeclient.ReportFilterInput{
			Name: "Revenue", Formula: "[revenue_usd]", DataType: "number", FormulaType: "column",
			FilterType: "RANGE", ControlType: "RANGE", VariableType: "CONTINUOUS", Query: q, NextFilter: &region.Token,
		}))(t)
		if revenue.RowOrder != 1 {
			t.Errorf("a filter placed before the first: row_order %d", revenue.RowOrder)
		}
		// Both cached from here on.
		if got := must(c.GetReportFilter(ctx, tg.ws, rep, region.Token))(t); got.RowOrder != 2 {
			t.Errorf("the first filter after another was placed before it: row_order %d", got.RowOrder)
		}
		must(c.GetReportFilter(ctx, tg.ws, rep, revenue.Token))(t)
		page := must(c.ListReportFiltersPage(ctx, tg.ws, rep, 1, nil))(t)
		if !slices.Equal(tokensOf(page.Items, reportFilterToken), []string{revenue.Token, region.Token}) {
			t.Errorf("ListReportFiltersPage = %v", tokensOf(page.Items, reportFilterToken))
		}

		// Moving one renumbers the other, cached or not.
		name := "Sales region"
		u := must(c.UpdateReportFilter(ctx, tg.ws, rep, region.Token, modeclient.ReportFilterUpdate{Name: &name, NextFilter: &revenue.Token}))(t)
		if u.Name != name || u.RowOrder != 1 || u.Formula != "[region]" || u.QueryToken() != q {
			t.Errorf("UpdateReportFilter = %+v", u)
		}
		if got := must(c.GetReportFilter(ctx, tg.ws, rep, revenue.Token))(t); got.RowOrder != 2 {
			t.Errorf("the other filter (it was cached) after the move: row_order %d", got.RowOrder)
		}
		if got := filterRows(t, ctx, c, tg.ws, rep); !slices.Equal(got, []string{"Sales region@1", "Revenue@2"}) {
			t.Errorf("filters after the move = %v", got)
		}
		// New options keep the filter's query.
		opts := map[string]any{"selected_values": []string{"Midwest", "West"}}
		u = must(c.UpdateReportFilter(ctx, tg.ws, rep, region.Token, modeclient.ReportFilterUpdate{Options: &opts}))(t)
		if v, _ := u.Options["selected_values"].([]any); len(v) != 2 || u.QueryToken() != q {
			t.Errorf("UpdateReportFilter of the options = %+v", u)
		}
		if got := must(c.GetReportFilter(ctx, tg.ws, rep, region.Token))(t); len(got.Options["selected_values"].([]any)) != 2 {
			t.Errorf("GetReportFilter after the update (it was cached) = %+v", got)
		}

		bad := "[no_such_column]"
		_, err := c.UpdateReportFilter(ctx, tg.ws, rep, region.Token, modeclient.ReportFilterUpdate{Formula: &bad})
		wantAPIError(t, err, http.StatusBadRequest)
		for _, in := range []modeclient.ReportFilterInput{
			{Name: "x", Formula: bad, DataType: "string", FormulaType: "column", FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: q},
			{Name: "x", Formula: "[region]", DataType: "string", FormulaType: "column", FilterType: "SINGLE", ControlType: "RANGE", VariableType: "DISCRETE", Query: q},
			{Name: "x", Formula: "[region]", DataType: "string", FormulaType: "column", FilterType: "ONE", ControlType: "LIST", VariableType: "DISCRETE", Query: q},
		} {
			_, err := c.CreateReportFilter(ctx, tg.ws, rep, in)
			if ae := wantAPIError(t, err, http.StatusBadRequest); ae.ID != "bad_request" {
				t.Errorf("%+v: %+v", in, ae)
			}
		}
		// A query the report does not have is not found (the client reads it first).
		_, err = c.CreateReportFilter(ctx, tg.ws, rep, modeclient.ReportFilterInput{
			Name: "x", Formula: "[region]", DataType: "string", FormulaType: "column", FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: "nosuchquery",
		})
		wantAPIError(t, err, http.StatusNotFound)

		if err := c.DeleteReportFilter(ctx, tg.ws, rep, region.Token); err != nil {
			t.Fatalf("DeleteReportFilter: %v", err)
		}
		_, err = c.GetReportFilter(ctx, tg.ws, rep, region.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if got := must(c.GetReportFilter(ctx, tg.ws, rep, revenue.Token))(t); got.RowOrder != 1 {
			t.Errorf("the other filter (it was cached) after the delete: row_order %d", got.RowOrder)
		}
		if got := filterRows(t, ctx, c, tg.ws, rep); !slices.Equal(got, []string{"Revenue@1"}) {
			t.Errorf("filters after the delete = %v", got)
		}
		wantAPIError(t, c.DeleteReportFilter(ctx, tg.ws, rep, region.Token), http.StatusNotFound)

		// Deleting the query deletes the filters that read it, cached or not.
		if err := c.DeleteQuery(ctx, tg.ws, rep, q); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetReportFilter(ctx, tg.ws, rep, revenue.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if fs := collect(t, c.ListReportFilters(ctx, tg.ws, rep, nil)); len(fs) != 0 {
			t.Errorf("%d filters after their query was deleted", len(fs))
		}
	})
}

// TestContractReportFilterInvalidArguments: identifiers that are not Mode's, creates without an
// attribute Mode requires and updates without a change are refused before any request is sent.
func TestContractReportFilterInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		rep := tg.emu.Demo().Reports[0]
		full := modeclient.ReportFilterInput{
			Name: "x", Formula: "[region]", DataType: "string", FormulaType: "column",
			FilterType: "SINGLE", ControlType: "LIST", VariableType: "DISCRETE", Query: "abc",
		}
		without := func(clear func(*modeclient.ReportFilterInput)) modeclient.ReportFilterInput {
			in := full
			clear(&in)
			return in
		}
		empty, bad := "", "a/b"
		tg.emu.ResetRequests()
		cases := []struct {
			name, field string
			call        func(ctx context.Context) error
		}{
			{"list bad workspace", "workspace", func(ctx context.Context) error {
				_, err := c.ListReportFiltersPage(ctx, "../x", rep, 1, nil)
				return err
			}},
			{"list bad report", "report", func(ctx context.Context) error {
				_, err := c.ListReportFiltersPage(ctx, tg.ws, "a?b", 1, nil)
				return err
			}},
			{"get bad filter", "filter", func(ctx context.Context) error {
				_, err := c.GetReportFilter(ctx, tg.ws, rep, "..")
				return err
			}},
			{"create bad report", "report", func(ctx context.Context) error {
				_, err := c.CreateReportFilter(ctx, tg.ws, "a#b", full)
				return err
			}},
			{"create without query", "query", func(ctx context.Context) error {
				_, err := c.CreateReportFilter(ctx, tg.ws, rep, without(func(in *modeclient.ReportFilterInput) { in.Query = "" }))
				return err
			}},
			{"create bad query", "query", func(ctx context.Context) error {
				_, err := c.CreateReportFilter(ctx, tg.ws, rep, without(func(in *modeclient.ReportFilterInput) { in.Query = "a b" }))
				return err
			}},
			{"update bad filter", "filter", func(ctx context.Context) error {
				_, err := c.UpdateReportFilter(ctx, tg.ws, rep, "a b", modeclient.ReportFilterUpdate{Name: strp("y")})
				return err
			}},
			{"update nothing", "report_filter", func(ctx context.Context) error {
				_, err := c.UpdateReportFilter(ctx, tg.ws, rep, "abc", modeclient.ReportFilterUpdate{})
				return err
			}},
			{"update to no name", "name", func(ctx context.Context) error {
				_, err := c.UpdateReportFilter(ctx, tg.ws, rep, "abc", modeclient.ReportFilterUpdate{Name: &empty})
				return err
			}},
			{"update to a bad query", "query", func(ctx context.Context) error {
				_, err := c.UpdateReportFilter(ctx, tg.ws, rep, "abc", modeclient.ReportFilterUpdate{Query: &bad})
				return err
			}},
			{"delete bad filter", "filter", func(ctx context.Context) error {
				return c.DeleteReportFilter(ctx, tg.ws, rep, "")
			}},
			{"delete bad workspace", "workspace", func(ctx context.Context) error {
				return c.DeleteReportFilter(ctx, "account", rep, "abc")
			}},
		}
		for _, f := range []struct {
			field string
			clear func(*modeclient.ReportFilterInput)
		}{
			{"name", func(in *modeclient.ReportFilterInput) { in.Name = "" }},
			{"formula", func(in *modeclient.ReportFilterInput) { in.Formula = "" }},
			{"data_type", func(in *modeclient.ReportFilterInput) { in.DataType = "" }},
			{"formula_type", func(in *modeclient.ReportFilterInput) { in.FormulaType = "" }},
			{"filter_type", func(in *modeclient.ReportFilterInput) { in.FilterType = "" }},
			{"control_type", func(in *modeclient.ReportFilterInput) { in.ControlType = "" }},
			{"variable_type", func(in *modeclient.ReportFilterInput) { in.VariableType = "" }},
		} {
			cases = append(cases, struct {
				name, field string
				call        func(ctx context.Context) error
			}{"create without " + f.field, f.field, func(ctx context.Context) error {
				_, err := c.CreateReportFilter(ctx, tg.ws, rep, without(f.clear))
				return err
			}})
		}
		for _, tc := range cases {
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
