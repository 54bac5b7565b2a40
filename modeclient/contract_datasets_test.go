package modeclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// Demo dataset indexes (modetest.Demo.Datasets is in seed order) and their importers.
const (
	accountsDataset = 0 // "Accounts with Reps", Sales: imported by Reports[3] and Reports[9]
	revenueDataset  = 1 // "Monthly Revenue by Region", Sales, scheduled: imported by Reports[0] and Reports[2]
	channelDataset  = 2 // "Channel Events", Marketing: imported by Reports[5] and Reports[11]
)

func datasetToken(d modeclient.Dataset) string            { return d.Token }
func datasetRunToken(r modeclient.DatasetRun) string      { return r.Token }
func fieldDescToken(f modeclient.FieldDescription) string { return f.Token }
func fieldName(f modeclient.DatasetField) string          { return f.Name }

// waitDatasetRun polls GetDatasetRun until the run finishes, as a service watching a dataset
// run would (RunState, Finished), and returns it.
func waitDatasetRun(t testing.TB, ctx context.Context, c *modeclient.Client, ws, dataset, run string) *modeclient.DatasetRun {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := c.GetDatasetRun(ctx, ws, dataset, run)
		if err != nil {
			t.Fatalf("GetDatasetRun: %v", err)
		}
		if r.Finished() {
			return r
		}
		if st := r.RunState(); st != modeclient.RunStateEnqueued && st != modeclient.RunStatePending {
			t.Fatalf("a dataset run in progress is %v", st)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for dataset run %s: %v", run, ctx.Err())
		case <-tick.C:
		}
	}
}

// TestContractDatasetReads finds a dataset by listing (the first spaces' datasets, as a person
// would) and reads it every way: against the emulator it must be the demo's, against real Mode
// any dataset found (skipped when the workspace has none).
func TestContractDatasetReads(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		var space, dataset string
		seen := 0
		for s, err := range c.ListSpaces(ctx, tg.ws, nil) {
			if err != nil {
				t.Fatalf("ListSpaces: %v", err)
			}
			if seen++; seen > 10 {
				break
			}
			p, err := c.ListSpaceDatasetsPage(ctx, tg.ws, s.Token, 1, &modeclient.ListOptions{PerPage: 10})
			if isStatus(err, http.StatusForbidden) {
				continue
			}
			if err != nil {
				t.Fatalf("ListSpaceDatasetsPage: %v", err)
			}
			if len(p.Items) > 0 {
				space, dataset = s.Token, p.Items[0].Token
				break
			}
		}
		need(t, "dataset", dataset)
		var d modetest.Demo
		if tg.emu != nil {
			d = tg.emu.Demo()
			// Sales' datasets, newest updated first.
			if space != d.Spaces[0] || dataset != d.Datasets[revenueDataset] {
				t.Fatalf("discovery found dataset %s in space %s, want %s in %s", dataset, space, d.Datasets[revenueDataset], d.Spaces[0])
			}
		}
		ds := must(c.GetDataset(ctx, tg.ws, dataset))(t)
		if ds.Token != dataset || ds.AccountUsername != tg.ws || ds.SpaceToken != space || ds.Name == "" || ds.Links.Href("self") == "" {
			t.Errorf("GetDataset = %+v", ds)
		}
		lineage := collect(t, c.ListDatasetReports(ctx, tg.ws, dataset, nil))
		for _, r := range lineage {
			if r.AccountUsername != tg.ws || !slices.ContainsFunc(r.ImportedDatasets, func(ref modeclient.DatasetRef) bool { return ref.Token == dataset }) {
				t.Errorf("a report of the lineage does not say it imports the dataset: %+v", r)
			}
		}
		fields := collect(t, c.ListDatasetFields(ctx, tg.ws, dataset, nil))
		for _, f := range fields {
			if f.Name == "" || f.Type == "" {
				t.Errorf("field %+v", f)
			}
		}
		descs := collect(t, c.ListDatasetFieldDescriptions(ctx, tg.ws, dataset, nil))
		schedules := collect(t, c.ListDatasetSchedules(ctx, tg.ws, dataset, nil))
		runs := collect(t, c.ListDatasetRuns(ctx, tg.ws, dataset, nil))
		if len(runs) > 0 {
			r := must(c.GetDatasetRun(ctx, tg.ws, dataset, runs[0].Token))(t)
			if r.Token != runs[0].Token || r.RunState() == modeclient.RunStateUnknown {
				t.Errorf("GetDatasetRun = %+v", r)
			}
		}
		if tg.emu == nil {
			return
		}
		if !slices.Equal(sortedTokens(tokensOf(lineage, reportToken)), sortedTokens([]string{d.Reports[0], d.Reports[2]})) {
			t.Errorf("lineage = %v", tokensOf(lineage, reportToken))
		}
		var got []string
		for _, f := range fields {
			got = append(got, f.Name+":"+f.Type)
		}
		if want := []string{"month:datetime", "region:string", "orders:integer", "units:integer", "revenue_usd:float"}; !slices.Equal(got, want) {
			t.Errorf("fields = %v, want %v", got, want)
		}
		if len(descs) != 0 || len(runs) != 0 {
			t.Errorf("descriptions %v, runs %v: want none on a fresh emulator", descs, runs)
		}
		if len(schedules) != 1 || schedules[0].Token != d.DatasetSchedule || schedules[0].ReportToken != dataset ||
			schedules[0].ReportType != "DatasetReport" || schedules[0].Cron.Freq != "daily" {
			t.Errorf("schedules = %+v", schedules)
		}
		if ds.Type != "DatasetReport" || ds.SchedulesCount != 1 || ds.QueryCount != 1 {
			t.Errorf("GetDataset = %+v", ds)
		}
		all := collect(t, c.ListDataSourceDatasets(ctx, tg.ws, d.DataSource, nil))
		if !slices.Equal(sortedTokens(tokensOf(all, datasetToken)), sortedTokens(d.Datasets)) {
			t.Errorf("ListDataSourceDatasets = %v", tokensOf(all, datasetToken))
		}
	})
}

func sortedTokens(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// TestContractDatasetWrites covers UpdateDataset and DeleteDataset through a cached client whose
// reads were warmed first: the dataset, its lists and the reports importing it show each change.
func TestContractDatasetWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		sales, tok, importer := d.Spaces[0], d.Datasets[accountsDataset], d.Reports[3]

		// Lists, with Mode's filter and ordering.
		for _, tc := range []struct {
			name string
			opts *modeclient.ListReportsOptions
			want []string
		}{
			{"default", nil, []string{d.Datasets[revenueDataset], tok}},
			{"oldest first", &modeclient.ListReportsOptions{Order: "asc", OrderBy: "created_at"}, []string{tok, d.Datasets[revenueDataset]}},
			{"created after", &modeclient.ListReportsOptions{Filter: "created_at.gt.2024-01-17T12:00:00Z"}, []string{d.Datasets[revenueDataset]}},
			{"one per page", &modeclient.ListReportsOptions{ListOptions: modeclient.ListOptions{PerPage: 1}}, []string{d.Datasets[revenueDataset]}},
		} {
			p := must(c.ListSpaceDatasetsPageWithOptions(ctx, tg.ws, sales, 1, tc.opts))(t)
			if got := tokensOf(p.Items, datasetToken); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		p := must(c.ListDataSourceDatasetsPageWithOptions(ctx, tg.ws, d.DataSource, 2, &modeclient.ListReportsOptions{
			ListOptions: modeclient.ListOptions{PerPage: 2}, Order: "asc", OrderBy: "created_at"}))(t)
		if got := tokensOf(p.Items, datasetToken); !slices.Equal(got, d.Datasets[2:]) || p.NextPage != 0 || p.TotalCount != 3 {
			t.Errorf("page 2 of the data source's datasets = %v (%+v)", got, p)
		}
		_, err := c.ListSpaceDatasetsPageWithOptions(ctx, tg.ws, sales, 1, &modeclient.ListReportsOptions{Order: "up"})
		var ia *modeclient.InvalidArgumentError
		if !errors.As(err, &ia) || ia.Field != "order" {
			t.Errorf("a bad order: %v", err)
		}

		// Warm the cache, then rename.
		must(c.GetDataset(ctx, tg.ws, tok))(t)
		must(c.GetReport(ctx, tg.ws, importer))(t)
		collect(t, c.ListSpaceDatasets(ctx, tg.ws, sales, nil))
		name, desc := "Accounts", "The account dimension."
		u := must(c.UpdateDataset(ctx, tg.ws, tok, modeclient.DatasetUpdate{Name: &name, Description: &desc}))(t)
		if u.Name != name || u.Description != desc || u.Token != tok {
			t.Errorf("UpdateDataset = %+v", u)
		}
		if got := must(c.GetDataset(ctx, tg.ws, tok))(t); got.Name != name || got.Description != desc {
			t.Errorf("GetDataset after the update = %+v", got)
		}
		if got := must(c.GetReport(ctx, tg.ws, tok))(t); got.Name != name {
			t.Errorf("GetReport of the dataset after the update = %+v", got)
		}
		if got := collect(t, c.ListSpaceDatasets(ctx, tg.ws, sales, nil)); !slices.ContainsFunc(got, func(x modeclient.Dataset) bool { return x.Name == name }) {
			t.Errorf("ListSpaceDatasets after the update = %+v", got)
		}
		if got := must(c.GetReport(ctx, tg.ws, importer))(t).ImportedDatasets; !slices.Equal(got, modeclient.DatasetRefs{{Token: tok, Name: name}}) {
			t.Errorf("the importer's imported datasets after the update = %+v", got)
		}

		// Refusals.
		_, err = c.UpdateDataset(ctx, tg.ws, tok, modeclient.DatasetUpdate{})
		if !errors.As(err, &ia) || ia.Field != "dataset" {
			t.Errorf("UpdateDataset of nothing: %v", err)
		}
		blank := " "
		_, err = c.UpdateDataset(ctx, tg.ws, tok, modeclient.DatasetUpdate{Name: &blank})
		wantAPIError(t, err, http.StatusBadRequest)
		_, err = c.UpdateDataset(ctx, tg.ws, d.Reports[0], modeclient.DatasetUpdate{Name: &name}) // a report is not a dataset
		wantAPIError(t, err, http.StatusNotFound)
		if r := must(c.GetReport(ctx, tg.ws, d.Reports[0]))(t); r.Name == name {
			t.Error("UpdateDataset renamed a report")
		}

		// Delete: gone from everything.
		must(c.ListDatasetReportsPage(ctx, tg.ws, tok, 1, nil))(t)
		must(c.ListDatasetFieldsPage(ctx, tg.ws, tok, 1, nil))(t)
		if err := c.DeleteDataset(ctx, tg.ws, tok); err != nil {
			t.Fatalf("DeleteDataset: %v", err)
		}
		_, err = c.GetDataset(ctx, tg.ws, tok)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.ListDatasetReportsPage(ctx, tg.ws, tok, 1, nil)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.ListDatasetFieldsPage(ctx, tg.ws, tok, 1, nil)
		wantAPIError(t, err, http.StatusNotFound)
		if got := tokensOf(collect(t, c.ListSpaceDatasets(ctx, tg.ws, sales, nil)), datasetToken); slices.Contains(got, tok) {
			t.Errorf("ListSpaceDatasets after the delete = %v", got)
		}
		if got := must(c.GetReport(ctx, tg.ws, importer))(t).ImportedDatasets; len(got) != 0 {
			t.Errorf("the importer still imports the deleted dataset: %+v", got)
		}
		wantAPIError(t, c.DeleteDataset(ctx, tg.ws, tok), http.StatusNotFound)
	})
}

// TestContractDatasetRuns runs a dataset and watches the run to its end through a cached client;
// its fields are the columns of the run's results, and the run's end invalidates what it changed.
func TestContractDatasetRuns(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		plain := tg.client(t) // its writes do not invalidate c's cache
		d := tg.emu.Demo()
		ds := d.Datasets[channelDataset]

		before := must(c.GetDataset(ctx, tg.ws, ds))(t)
		if before.LastSuccessfulRunToken != "" || len(collect(t, c.ListDatasetRuns(ctx, tg.ws, ds, nil))) != 0 {
			t.Fatalf("the dataset has run already: %+v", before)
		}
		run := must(c.RunDataset(ctx, tg.ws, ds))(t)
		if run.Token == "" || run.Finished() || run.RunState() != modeclient.RunStateEnqueued || !bool(run.IsLatestDatasetRun) ||
			run.Links.Href("query_runs") == "" {
			t.Fatalf("RunDataset = %+v", run)
		}
		if got := must(c.GetDataset(ctx, tg.ws, ds))(t); got.LastRunAt.IsZero() {
			t.Errorf("the dataset after RunDataset (the cached one was dropped) = %+v", got)
		}
		done := waitDatasetRun(t, ctx, c, tg.ws, ds, run.Token)
		if done.State != modeclient.RunStateSucceeded || done.CompletedAt.IsZero() || !bool(done.IsLatestSuccessfulDatasetRun) {
			t.Fatalf("finished run = %+v", done)
		}
		// Seeing the run finished dropped the dataset the cache held since RunDataset.
		if got := must(c.GetDataset(ctx, tg.ws, ds))(t); got.LastSuccessfulRunToken != run.Token {
			t.Errorf("the dataset after its run ended = %+v", got)
		}

		// The fields are the columns of the run's results, each value fitting its type.
		qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, ds, run.Token, nil))
		if len(qrs) != 1 || qrs[0].State != "succeeded" {
			t.Fatalf("query runs of the dataset run = %+v", qrs)
		}
		fields := collect(t, c.ListDatasetFields(ctx, tg.ws, ds, nil))
		rows := must(c.QueryResultRows(ctx, tg.ws, ds, run.Token, qrs[0].Token))(t)
		defer rows.Close()
		n := 0
		for row, err := range rows.All() {
			if err != nil {
				t.Fatal(err)
			}
			n++
			for i, v := range row {
				if !fitsFieldType(v, fields[i].Type) {
					t.Errorf("row %d: %s = %#v is not a %s", n, fields[i].Name, v, fields[i].Type)
				}
			}
		}
		if !slices.Equal(tokensOf(fields, fieldName), rows.Columns()) || n == 0 {
			t.Errorf("fields %v, result columns %v (%d rows)", tokensOf(fields, fieldName), rows.Columns(), n)
		}

		// A second run, after the query changed behind the cache's back: the fields follow once
		// the client sees the run end.
		q := collect(t, plain.ListQueries(ctx, tg.ws, ds, nil))[0].Token
		raw := "SELECT channel, COUNT(*) AS events FROM web_events GROUP BY channel"
		must(plain.UpdateQuery(ctx, tg.ws, ds, q, modeclient.QueryUpdate{RawQuery: &raw}))(t)
		second := must(c.RunDataset(ctx, tg.ws, ds))(t)
		for range 2 { // the second read is a hit, but the run is not finished yet: never cached
			if r := must(c.GetDatasetRun(ctx, tg.ws, ds, second.Token))(t); r.Finished() {
				break
			}
		}
		waitDatasetRun(t, ctx, c, tg.ws, ds, second.Token)
		if got := tokensOf(collect(t, c.ListDatasetFields(ctx, tg.ws, ds, nil)), fieldName); !slices.Equal(got, []string{"channel", "events"}) {
			t.Errorf("fields after the second run = %v", got)
		}

		// Lists: newest first, or as asked.
		if got := tokensOf(collect(t, c.ListDatasetRuns(ctx, tg.ws, ds, nil)), datasetRunToken); !slices.Equal(got, []string{second.Token, run.Token}) {
			t.Errorf("ListDatasetRuns = %v", got)
		}
		asc := must(c.ListDatasetRunsPageWithOptions(ctx, tg.ws, ds, 1, &modeclient.ListRunsOptions{Order: "asc"}))(t)
		if got := tokensOf(asc.Items, datasetRunToken); !slices.Equal(got, []string{run.Token, second.Token}) {
			t.Errorf("oldest first = %v", got)
		}
		if p := must(c.ListDatasetRunsPage(ctx, tg.ws, ds, 2, &modeclient.ListOptions{PerPage: 1}))(t); len(p.Items) != 1 || p.Items[0].Token != run.Token {
			t.Errorf("page 2 of 1 = %+v", p.Items)
		}
		// The same runs through the report API.
		if got := tokensOf(collect(t, c.ListReportRuns(ctx, tg.ws, ds, nil)), runToken); !slices.Equal(got, []string{second.Token, run.Token}) {
			t.Errorf("ListReportRuns of the dataset = %v", got)
		}
		_, err := c.GetDatasetRun(ctx, tg.ws, ds, "nosuchrun")
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.RunDataset(ctx, tg.ws, d.Reports[0]) // a report is not a dataset
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// fitsFieldType reports whether a result value (a RowReader's: string, json.Number, bool, nil) is
// one of a field of typ, as the emulator names types.
func fitsFieldType(v any, typ string) bool {
	if v == nil {
		return true
	}
	switch typ {
	case "integer":
		n, ok := v.(json.Number)
		_, err := n.Int64()
		return ok && err == nil
	case "float":
		_, ok := v.(json.Number)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "datetime", "date":
		s, _ := v.(string)
		_, err := modeclient.ParseTime(s)
		return s != "" && err == nil
	}
	return false
}

// TestContractDatasetFieldDescriptions covers a data dictionary's whole life through a cached
// client: create, list, the fields showing their descriptions, update, delete and refusals.
func TestContractDatasetFieldDescriptions(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		ds := d.Datasets[accountsDataset]
		describedAs := func(field string) string {
			t.Helper()
			for _, f := range collect(t, c.ListDatasetFields(ctx, tg.ws, ds, nil)) {
				if f.Name == field {
					return f.Description
				}
			}
			t.Fatalf("no field %s", field)
			return ""
		}
		if got := collect(t, c.ListDatasetFieldDescriptions(ctx, tg.ws, ds, nil)); len(got) != 0 {
			t.Fatalf("%d descriptions before any", len(got))
		}
		if got := describedAs("region"); got != "" {
			t.Fatalf("region described as %q before any description", got)
		}
		fd := must(c.CreateDatasetFieldDescription(ctx, tg.ws, ds, "region", "The region of the account's sales rep."))(t)
		if fd.Token == "" || fd.Name != "region" || fd.Description != "The region of the account's sales rep." || fd.CreatedAt.IsZero() {
			t.Fatalf("CreateDatasetFieldDescription = %+v", fd)
		}
		if got := describedAs("region"); got != fd.Description {
			t.Errorf("the field after the create (it was cached) reads %q", got)
		}
		if got := tokensOf(collect(t, c.ListDatasetFieldDescriptions(ctx, tg.ws, ds, nil)), fieldDescToken); !slices.Equal(got, []string{fd.Token}) {
			t.Errorf("ListDatasetFieldDescriptions = %v", got)
		}
		// One description per field; only fields of the dataset.
		_, err := c.CreateDatasetFieldDescription(ctx, tg.ws, ds, "region", "again")
		wantAPIError(t, err, http.StatusBadRequest)
		_, err = c.CreateDatasetFieldDescription(ctx, tg.ws, ds, "no_such_field", "x")
		wantAPIError(t, err, http.StatusBadRequest)
		_, err = c.CreateDatasetFieldDescription(ctx, tg.ws, ds, "account", strings.Repeat("x", 351))
		wantAPIError(t, err, http.StatusBadRequest)

		u := must(c.UpdateDatasetFieldDescription(ctx, tg.ws, ds, fd.Token, "Sales region."))(t)
		if u.Token != fd.Token || u.Name != "region" || u.Description != "Sales region." {
			t.Errorf("UpdateDatasetFieldDescription = %+v", u)
		}
		if got := describedAs("region"); got != "Sales region." {
			t.Errorf("the field after the update reads %q", got)
		}
		if got := collect(t, c.ListDatasetFieldDescriptions(ctx, tg.ws, ds, nil)); len(got) != 1 || got[0].Description != "Sales region." {
			t.Errorf("descriptions after the update = %+v", got)
		}
		_, err = c.UpdateDatasetFieldDescription(ctx, tg.ws, ds, "nosuchdesc", "x")
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.UpdateDatasetFieldDescription(ctx, tg.ws, d.Datasets[revenueDataset], fd.Token, "x") // another dataset's
		wantAPIError(t, err, http.StatusNotFound)

		if err := c.DeleteDatasetFieldDescription(ctx, tg.ws, ds, fd.Token); err != nil {
			t.Fatalf("DeleteDatasetFieldDescription: %v", err)
		}
		if got := describedAs("region"); got != "" {
			t.Errorf("the field after the delete reads %q", got)
		}
		if got := collect(t, c.ListDatasetFieldDescriptions(ctx, tg.ws, ds, nil)); len(got) != 0 {
			t.Errorf("descriptions after the delete = %+v", got)
		}
		wantAPIError(t, c.DeleteDatasetFieldDescription(ctx, tg.ws, ds, fd.Token), http.StatusNotFound)
		_, err = c.CreateDatasetFieldDescription(ctx, tg.ws, d.Reports[0], "region", "x") // a report is not a dataset
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractDatasetSchedules: a dataset's refresh schedules are its report schedules: one made
// with CreateReportSchedule appears in ListDatasetSchedules (cached before), and goes with
// DeleteReportSchedule.
func TestContractDatasetSchedules(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		ds := d.Datasets[accountsDataset]
		if got := collect(t, c.ListDatasetSchedules(ctx, tg.ws, ds, nil)); len(got) != 0 {
			t.Fatalf("%d schedules before any", len(got))
		}
		s := must(c.CreateReportSchedule(ctx, tg.ws, ds, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "daily", Hour: intp(4)}, Name: "Nightly"}))(t)
		got := collect(t, c.ListDatasetSchedules(ctx, tg.ws, ds, nil))
		if len(got) != 1 || got[0].Token != s.Token || got[0].Name != "Nightly" || got[0].ReportType != "DatasetReport" {
			t.Errorf("ListDatasetSchedules after the create = %+v", got)
		}
		if n := must(c.GetDataset(ctx, tg.ws, ds))(t).SchedulesCount; n != 1 {
			t.Errorf("schedules_count = %d", n)
		}
		if err := c.DeleteReportSchedule(ctx, tg.ws, ds, s.Token); err != nil {
			t.Fatal(err)
		}
		if got := collect(t, c.ListDatasetSchedules(ctx, tg.ws, ds, nil)); len(got) != 0 {
			t.Errorf("ListDatasetSchedules after the delete = %+v", got)
		}
		_, err := c.ListDatasetSchedulesPage(ctx, tg.ws, "nosuchdataset", 1, nil)
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractDatasetCacheHits: every dataset read is a miss that asks Mode, then a hit that does
// not; a dataset run in progress, and a page showing one, are never cached.
func TestContractDatasetCacheHits(t *testing.T) {
	t.Parallel()
	t.Run("finished", func(t *testing.T) {
		t.Parallel()
		forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
			ctx := tg.ctx(t)
			d := tg.emu.Demo()
			ds := d.Datasets[channelDataset]
			plain := tg.client(t)
			run := waitDatasetRun(t, ctx, plain, tg.ws, ds, must(plain.RunDataset(ctx, tg.ws, ds))(t).Token)
			must(plain.CreateDatasetFieldDescription(ctx, tg.ws, ds, "channel", "Marketing channel."))(t)
			c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
			tg.emu.ResetRequests()
			reads := []struct {
				path string
				read func() error
			}{
				{apiPath("datasets", ds), func() error { _, err := c.GetDataset(ctx, tg.ws, ds); return err }},
				{apiPath("spaces", d.Spaces[1], "datasets"), func() error { _, err := c.ListSpaceDatasetsPage(ctx, tg.ws, d.Spaces[1], 1, nil); return err }},
				{apiPath("data_sources", d.DataSource, "datasets"), func() error {
					_, err := c.ListDataSourceDatasetsPage(ctx, tg.ws, d.DataSource, 1, nil)
					return err
				}},
				{apiPath("datasets", ds, "reports"), func() error { _, err := c.ListDatasetReportsPage(ctx, tg.ws, ds, 1, nil); return err }},
				{apiPath("datasets", ds, "fields"), func() error { _, err := c.ListDatasetFieldsPage(ctx, tg.ws, ds, 1, nil); return err }},
				{apiPath("datasets", ds, "field_descriptions"), func() error {
					_, err := c.ListDatasetFieldDescriptionsPage(ctx, tg.ws, ds, 1, nil)
					return err
				}},
				{apiPath("datasets", ds, "schedules"), func() error { _, err := c.ListDatasetSchedulesPage(ctx, tg.ws, ds, 1, nil); return err }},
				{apiPath("datasets", ds, "runs"), func() error { _, err := c.ListDatasetRunsPage(ctx, tg.ws, ds, 1, nil); return err }},
				{apiPath("datasets", ds, "runs", run.Token), func() error { _, err := c.GetDatasetRun(ctx, tg.ws, ds, run.Token); return err }},
			}
			for _, rd := range reads {
				for range 3 {
					if err := rd.read(); err != nil {
						t.Fatalf("%s: %v", rd.path, err)
					}
				}
				if n := requestsTo(tg.emu, http.MethodGet, rd.path); n != 1 {
					t.Errorf("%s: %d requests for three reads, want 1", rd.path, n)
				}
			}
		})
	})
	t.Run("in progress", func(t *testing.T) {
		t.Parallel()
		forEachTarget(t, injectsFaults, []modetest.Option{modetest.WithRunDuration(time.Hour)}, func(t *testing.T, tg *target) {
			ctx := tg.ctx(t)
			c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
			ds := tg.emu.Demo().Datasets[channelDataset]
			run := must(c.RunDataset(ctx, tg.ws, ds))(t)
			tg.emu.ResetRequests()
			for range 3 {
				if r := must(c.GetDatasetRun(ctx, tg.ws, ds, run.Token))(t); r.Finished() {
					t.Fatalf("run finished: %+v", r)
				}
				if p := must(c.ListDatasetRunsPage(ctx, tg.ws, ds, 1, nil))(t); p.Items[0].Finished() {
					t.Fatalf("run finished: %+v", p.Items[0])
				}
			}
			for _, path := range []string{apiPath("datasets", ds, "runs", run.Token), apiPath("datasets", ds, "runs")} {
				if n := requestsTo(tg.emu, http.MethodGet, path); n != 3 {
					t.Errorf("%s: %d requests for three reads of a run in progress, want 3", path, n)
				}
			}
		})
	})
}

// TestContractDatasetInvalidArguments: identifiers that are not Mode's, and arguments the client
// can tell are wrong, are refused before any request is sent.
func TestContractDatasetInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		ds := tg.emu.Demo().Datasets[0]
		name := "x"
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name, field string
			call        func() error
		}{
			{"get bad workspace", "workspace", func() error { _, err := c.GetDataset(ctx, "verify", ds); return err }},
			{"get bad dataset", "dataset", func() error { _, err := c.GetDataset(ctx, tg.ws, "../x"); return err }},
			{"update bad dataset", "dataset", func() error {
				_, err := c.UpdateDataset(ctx, tg.ws, "a/b", modeclient.DatasetUpdate{Name: &name})
				return err
			}},
			{"update nothing", "dataset", func() error { _, err := c.UpdateDataset(ctx, tg.ws, ds, modeclient.DatasetUpdate{}); return err }},
			{"update empty name", "name", func() error {
				empty := ""
				_, err := c.UpdateDataset(ctx, tg.ws, ds, modeclient.DatasetUpdate{Name: &empty})
				return err
			}},
			{"delete bad dataset", "dataset", func() error { return c.DeleteDataset(ctx, tg.ws, "a?b") }},
			{"space list bad space", "space", func() error { _, err := c.ListSpaceDatasetsPage(ctx, tg.ws, "a b", 1, nil); return err }},
			{"data source list bad per_page", "per_page", func() error {
				_, err := c.ListDataSourceDatasetsPage(ctx, tg.ws, "abc", 1, &modeclient.ListOptions{PerPage: -1})
				return err
			}},
			{"space list bad filter", "filter", func() error {
				_, err := c.ListSpaceDatasetsPageWithOptions(ctx, tg.ws, "abc", 1, &modeclient.ListReportsOptions{Filter: "created_at.gt.soon"})
				return err
			}},
			{"lineage bad dataset", "dataset", func() error { _, err := c.ListDatasetReportsPage(ctx, tg.ws, "#", 1, nil); return err }},
			{"run bad dataset", "dataset", func() error { _, err := c.RunDataset(ctx, tg.ws, ".."); return err }},
			{"get run bad run", "run", func() error { _, err := c.GetDatasetRun(ctx, tg.ws, ds, "a/b"); return err }},
			{"runs bad order", "order_by", func() error {
				_, err := c.ListDatasetRunsPageWithOptions(ctx, tg.ws, ds, 1, &modeclient.ListRunsOptions{OrderBy: "name"})
				return err
			}},
			{"fields bad dataset", "dataset", func() error { _, err := c.ListDatasetFieldsPage(ctx, tg.ws, "", 1, nil); return err }},
			{"descriptions bad dataset", "dataset", func() error {
				_, err := c.ListDatasetFieldDescriptionsPage(ctx, tg.ws, "a b", 1, nil)
				return err
			}},
			{"create without field", "name", func() error { _, err := c.CreateDatasetFieldDescription(ctx, tg.ws, ds, "", "x"); return err }},
			{"create blank description", "desc", func() error {
				_, err := c.CreateDatasetFieldDescription(ctx, tg.ws, ds, "region", " ")
				return err
			}},
			{"create bad dataset", "dataset", func() error { _, err := c.CreateDatasetFieldDescription(ctx, tg.ws, "?", "region", "x"); return err }},
			{"update bad description token", "field_description", func() error {
				_, err := c.UpdateDatasetFieldDescription(ctx, tg.ws, ds, "a/b", "x")
				return err
			}},
			{"update blank description", "desc", func() error { _, err := c.UpdateDatasetFieldDescription(ctx, tg.ws, ds, "abc", ""); return err }},
			{"delete bad description token", "field_description", func() error { return c.DeleteDatasetFieldDescription(ctx, tg.ws, ds, "") }},
			{"schedules bad dataset", "dataset", func() error { _, err := c.ListDatasetSchedulesPage(ctx, tg.ws, "a%2f", 1, nil); return err }},
		} {
			err := tc.call()
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

// TestDatasetsOfAnotherWorkspace: against an emulator that resolves tokens whatever workspace the
// URL names, a dataset of another workspace (and its runs, fields, lineage) is not found under
// the demo workspace, nothing of it is cached, and no write addressed to it is sent.
func TestDatasetsOfAnotherWorkspace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	emu := modetest.NewServer(t, modetest.WithRateLimit(0, 0), modetest.WithRunDuration(2*time.Millisecond), modetest.WithCrossWorkspaceTokens())
	cred := modeclient.Credential{Token: emu.Token, Secret: emu.Secret}
	c, err := modeclient.New(emu.URL, cred, modeclient.WithHTTPClient(emu.Client()), modeclient.WithCache(newTestCache(t, cache.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	sd := emu.Demo().Second
	home, other := modetest.DemoWorkspace, modetest.SecondWorkspace
	run := waitDatasetRun(t, ctx, c, other, sd.Dataset, must(c.RunDataset(ctx, other, sd.Dataset))(t).Token)
	fd := must(c.CreateDatasetFieldDescription(ctx, other, sd.Dataset, "name", "The region's name."))(t)

	reads := []struct {
		name, path string
		read       func() error
	}{
		{"GetDataset", "/datasets/" + sd.Dataset, func() error { _, err := c.GetDataset(ctx, home, sd.Dataset); return err }},
		{"GetDatasetRun", "/datasets/" + sd.Dataset + "/runs/" + run.Token, func() error {
			_, err := c.GetDatasetRun(ctx, home, sd.Dataset, run.Token)
			return err
		}},
		{"ListDatasetRunsPage", "/datasets/" + sd.Dataset + "/runs", func() error {
			_, err := c.ListDatasetRunsPage(ctx, home, sd.Dataset, 1, nil)
			return err
		}},
		{"ListDatasetFieldsPage", "/datasets/" + sd.Dataset + "/fields", func() error {
			_, err := c.ListDatasetFieldsPage(ctx, home, sd.Dataset, 1, nil)
			return err
		}},
		{"ListDatasetFieldDescriptionsPage", "/datasets/" + sd.Dataset + "/field_descriptions", func() error {
			_, err := c.ListDatasetFieldDescriptionsPage(ctx, home, sd.Dataset, 1, nil)
			return err
		}},
		{"ListDatasetReportsPage", "/datasets/" + sd.Dataset + "/reports", func() error {
			_, err := c.ListDatasetReportsPage(ctx, home, sd.Dataset, 1, nil)
			return err
		}},
		{"ListSpaceDatasetsPage", "/spaces/" + sd.Space + "/datasets", func() error {
			_, err := c.ListSpaceDatasetsPage(ctx, home, sd.Space, 1, nil)
			return err
		}},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/" + home + tt.path
			before := countGETs(emu, path, "")
			wantWrongWorkspace(t, tt.read())
			wantWrongWorkspace(t, tt.read())
			if n := countGETs(emu, path, "") - before; n != 2 {
				t.Errorf("GETs of %s = %d, want 2: the first answer was served from the cache", path, n)
			}
		})
	}
	x := "changed"
	writes := []struct {
		name  string
		write func() error
	}{
		{"UpdateDataset", func() error {
			_, err := c.UpdateDataset(ctx, home, sd.Dataset, modeclient.DatasetUpdate{Name: &x})
			return err
		}},
		{"DeleteDataset", func() error { return c.DeleteDataset(ctx, home, sd.Dataset) }},
		{"RunDataset", func() error { _, err := c.RunDataset(ctx, home, sd.Dataset); return err }},
		{"CreateDatasetFieldDescription", func() error {
			_, err := c.CreateDatasetFieldDescription(ctx, home, sd.Dataset, "id", x)
			return err
		}},
		{"UpdateDatasetFieldDescription", func() error {
			_, err := c.UpdateDatasetFieldDescription(ctx, home, sd.Dataset, fd.Token, x)
			return err
		}},
		{"DeleteDatasetFieldDescription", func() error { return c.DeleteDatasetFieldDescription(ctx, home, sd.Dataset, fd.Token) }},
	}
	for _, tt := range writes {
		t.Run(tt.name, func(t *testing.T) {
			n := len(emu.Requests())
			wantWrongWorkspace(t, tt.write())
			for _, r := range emu.Requests()[n:] {
				if r.Method != http.MethodGet {
					t.Errorf("Mode received %s %s, want only the GET that checks the workspace", r.Method, r.Path)
				}
			}
		})
	}
	// The other workspace's dataset is as it was.
	got := must(c.GetDataset(ctx, other, sd.Dataset))(t)
	descs := collect(t, c.ListDatasetFieldDescriptions(ctx, other, sd.Dataset, nil))
	runs := collect(t, c.ListDatasetRuns(ctx, other, sd.Dataset, nil))
	if got.Name == x || len(descs) != 1 || descs[0].Description != fd.Description || len(runs) != 1 {
		t.Errorf("the other workspace's dataset changed: %+v, %+v, %d runs", got, descs, len(runs))
	}
}

// showDataset is the view of a dataset the invalidation cases compare.
func showDataset(d *modeclient.Dataset) string {
	return fmt.Sprintf("%s|%s|%s|space=%s|runs=%d|schedules=%d|last=%s", d.Token, d.Name, d.Description, d.SpaceToken,
		d.RunsCount, d.SchedulesCount, d.LastSuccessfulRunToken)
}

func showDatasets(p *modeclient.Page[modeclient.Dataset]) string {
	var b strings.Builder
	for _, d := range p.Items {
		fmt.Fprintf(&b, "%s:%s,", d.Token, d.Name)
	}
	return b.String()
}

func showDatasetRuns(p *modeclient.Page[modeclient.DatasetRun]) string {
	var b strings.Builder
	for _, r := range p.Items {
		fmt.Fprintf(&b, "%s:%v,", r.Token, r.State)
	}
	return b.String()
}

func showFields(p *modeclient.Page[modeclient.DatasetField]) string {
	var b strings.Builder
	for _, f := range p.Items {
		fmt.Fprintf(&b, "%s:%s:%s,", f.Name, f.Type, f.Description)
	}
	return b.String()
}

func showFieldDescriptions(p *modeclient.Page[modeclient.FieldDescription]) string {
	var b strings.Builder
	for _, f := range p.Items {
		fmt.Fprintf(&b, "%s:%s:%s,", f.Token, f.Name, f.Description)
	}
	return b.String()
}

func showImports(r *modeclient.Report) string { return fmt.Sprint(r.ImportedDatasets) }

// The dataset reads the invalidation cases (TestContractCacheInvalidation) warm and re-check.

func (r cachedReads) dataset(ds string) cachedRead {
	return cachedRead{name: "GetDataset", path: apiPath("datasets", ds), view: func(ctx context.Context) (string, error) {
		return viewOf(showDataset)(r.c.GetDataset(ctx, r.ws, ds))
	}}
}

func (r cachedReads) spaceDatasets(space string) cachedRead {
	return cachedRead{name: "ListSpaceDatasets", path: apiPath("spaces", space, "datasets"), view: func(ctx context.Context) (string, error) {
		return viewOf(showDatasets)(r.c.ListSpaceDatasetsPage(ctx, r.ws, space, 1, nil))
	}}
}

func (r cachedReads) dataSourceDatasets(ds string) cachedRead {
	return cachedRead{name: "ListDataSourceDatasets", path: apiPath("data_sources", ds, "datasets"), view: func(ctx context.Context) (string, error) {
		return viewOf(showDatasets)(r.c.ListDataSourceDatasetsPage(ctx, r.ws, ds, 1, nil))
	}}
}

func (r cachedReads) datasetReports(ds string) cachedRead {
	return cachedRead{name: "ListDatasetReports", path: apiPath("datasets", ds, "reports"), view: func(ctx context.Context) (string, error) {
		return viewOf(showReports)(r.c.ListDatasetReportsPage(ctx, r.ws, ds, 1, nil))
	}}
}

func (r cachedReads) datasetRuns(ds string) cachedRead {
	return cachedRead{name: "ListDatasetRuns", path: apiPath("datasets", ds, "runs"), view: func(ctx context.Context) (string, error) {
		return viewOf(showDatasetRuns)(r.c.ListDatasetRunsPage(ctx, r.ws, ds, 1, nil))
	}}
}

func (r cachedReads) datasetFields(ds string) cachedRead {
	return cachedRead{name: "ListDatasetFields", path: apiPath("datasets", ds, "fields"), view: func(ctx context.Context) (string, error) {
		return viewOf(showFields)(r.c.ListDatasetFieldsPage(ctx, r.ws, ds, 1, nil))
	}}
}

func (r cachedReads) fieldDescriptions(ds string) cachedRead {
	return cachedRead{name: "ListDatasetFieldDescriptions", path: apiPath("datasets", ds, "field_descriptions"), view: func(ctx context.Context) (string, error) {
		return viewOf(showFieldDescriptions)(r.c.ListDatasetFieldDescriptionsPage(ctx, r.ws, ds, 1, nil))
	}}
}

func (r cachedReads) datasetSchedules(ds string) cachedRead {
	return cachedRead{name: "ListDatasetSchedules", path: apiPath("datasets", ds, "schedules"), view: func(ctx context.Context) (string, error) {
		return viewOf(showSchedules)(r.c.ListDatasetSchedulesPage(ctx, r.ws, ds, 1, nil))
	}}
}

// reportImports reads a report (GetReport, as r.report does) for the datasets it imports.
func (r cachedReads) reportImports(rep string) cachedRead {
	return cachedRead{name: "GetReport imports", path: apiPath("reports", rep), view: func(ctx context.Context) (string, error) {
		return viewOf(showImports)(r.c.GetReport(ctx, r.ws, rep))
	}}
}

// newFieldDescription describes a field of ds with an uncached client, for a test's setup.
func newFieldDescription(t *testing.T, ctx context.Context, c *modeclient.Client, ws, ds, field string) string {
	t.Helper()
	return must(c.CreateDatasetFieldDescription(ctx, ws, ds, field, "Described by the test's setup."))(t).Token
}

// datasetInvalidationCases are TestContractCacheInvalidation's cases of the dataset writes, and
// of the report writes that reach a dataset through its report token.
var datasetInvalidationCases = []invalidationCase{
	{"UpdateDataset", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds, name := d.Datasets[accountsDataset], "Renamed by the cache test"
		return invalidationSetup{
			reads: []cachedRead{r.dataset(ds), r.report(ds), r.spaceDatasets(d.Spaces[0]), r.dataSourceDatasets(d.DataSource),
				r.reportImports(d.Reports[3])},
			write: func(ctx context.Context) error {
				_, err := r.c.UpdateDataset(ctx, r.ws, ds, modeclient.DatasetUpdate{Name: &name})
				return err
			},
		}
	}},
	{"DeleteDataset", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[accountsDataset]
		newFieldDescription(t, ctx, plain, r.ws, ds, "region")
		newSchedule(t, ctx, plain, r.ws, ds)
		return invalidationSetup{
			reads: []cachedRead{r.dataset(ds), r.report(ds), r.spaceDatasets(d.Spaces[0]), r.dataSourceDatasets(d.DataSource),
				r.datasetReports(ds), r.datasetRuns(ds), r.datasetFields(ds), r.fieldDescriptions(ds), r.datasetSchedules(ds),
				r.reportImports(d.Reports[3]), r.reportImports(d.Reports[9])},
			write: func(ctx context.Context) error { return r.c.DeleteDataset(ctx, r.ws, ds) },
		}
	}},
	{"RunDataset", hourLongRuns, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[channelDataset]
		return invalidationSetup{
			reads: []cachedRead{r.datasetRuns(ds), r.dataset(ds), r.runs(ds), r.report(ds)},
			write: func(ctx context.Context) error { _, err := r.c.RunDataset(ctx, r.ws, ds); return err },
		}
	}},
	{"RunReport of a dataset", hourLongRuns, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[channelDataset]
		return invalidationSetup{
			reads: []cachedRead{r.datasetRuns(ds), r.dataset(ds)},
			write: func(ctx context.Context) error { _, err := r.c.RunReport(ctx, r.ws, ds, nil); return err },
		}
	}},
	{"CreateDatasetFieldDescription", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[accountsDataset]
		return invalidationSetup{
			reads: []cachedRead{r.fieldDescriptions(ds), r.datasetFields(ds)},
			write: func(ctx context.Context) error {
				_, err := r.c.CreateDatasetFieldDescription(ctx, r.ws, ds, "region", "Created by the cache test.")
				return err
			},
		}
	}},
	{"UpdateDatasetFieldDescription", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[accountsDataset]
		fd := newFieldDescription(t, ctx, plain, r.ws, ds, "region")
		return invalidationSetup{
			reads: []cachedRead{r.fieldDescriptions(ds), r.datasetFields(ds)},
			write: func(ctx context.Context) error {
				_, err := r.c.UpdateDatasetFieldDescription(ctx, r.ws, ds, fd, "Updated by the cache test.")
				return err
			},
		}
	}},
	{"DeleteDatasetFieldDescription", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[accountsDataset]
		fd := newFieldDescription(t, ctx, plain, r.ws, ds, "region")
		return invalidationSetup{
			reads: []cachedRead{r.fieldDescriptions(ds), r.datasetFields(ds)},
			write: func(ctx context.Context) error { return r.c.DeleteDatasetFieldDescription(ctx, r.ws, ds, fd) },
		}
	}},
	{"CreateReportSchedule of a dataset", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[accountsDataset]
		return invalidationSetup{
			reads: []cachedRead{r.datasetSchedules(ds), r.schedules(ds), r.dataset(ds)},
			write: func(ctx context.Context) error {
				_, err := r.c.CreateReportSchedule(ctx, r.ws, ds, modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "hourly"}})
				return err
			},
		}
	}},
	{"UpdateReport of a dataset", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds, name := d.Datasets[accountsDataset], "Renamed through the report API"
		return invalidationSetup{
			reads: []cachedRead{r.dataset(ds), r.spaceDatasets(d.Spaces[0]), r.reportImports(d.Reports[9])},
			write: func(ctx context.Context) error {
				_, err := r.c.UpdateReport(ctx, r.ws, ds, modeclient.ReportUpdate{Name: &name})
				return err
			},
		}
	}},
	{"DeleteReport of a dataset", nil, func(t *testing.T, ctx context.Context, r cachedReads, _ *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[accountsDataset]
		return invalidationSetup{
			reads: []cachedRead{r.dataset(ds), r.spaceDatasets(d.Spaces[0]), r.datasetReports(ds), r.datasetFields(ds), r.reportImports(d.Reports[3])},
			write: func(ctx context.Context) error { return r.c.DeleteReport(ctx, r.ws, ds) },
		}
	}},
	{"UpdateQuery of a dataset that never ran", nil, func(t *testing.T, ctx context.Context, r cachedReads, plain *modeclient.Client, d modetest.Demo) invalidationSetup {
		ds := d.Datasets[channelDataset]
		q := collect(t, plain.ListQueries(ctx, r.ws, ds, nil))[0].Token
		raw := "SELECT channel FROM web_events GROUP BY channel"
		return invalidationSetup{
			reads: []cachedRead{r.datasetFields(ds)},
			write: func(ctx context.Context) error {
				_, err := r.c.UpdateQuery(ctx, r.ws, ds, q, modeclient.QueryUpdate{RawQuery: &raw})
				return err
			},
		}
	}},
}
