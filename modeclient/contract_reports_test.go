package modeclient_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
)

// assertOrdered fails unless items are ordered by key (descending when desc); ties are allowed.
func assertOrdered[T any](t testing.TB, what string, items []T, key func(T) time.Time, desc bool) {
	t.Helper()
	for i := 1; i < len(items); i++ {
		a, b := key(items[i-1]), key(items[i])
		if (!desc && b.Before(a)) || (desc && b.After(a)) {
			t.Errorf("%s: item %d (%v) is out of order after %v", what, i, b, a)
			return
		}
	}
}

// TestContractReports covers GetReport and ListSpaceReports with every filter and ordering
// option.
func TestContractReports(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)
		need(t, "report", fx.Report)

		r := must(c.GetReport(ctx, tg.ws, fx.Report))(t)
		if r.Token != fx.Report || r.SpaceToken != fx.Space || r.AccountUsername != tg.ws || r.Name == "" ||
			r.CreatedAt.IsZero() || r.WebURL() == "" || c.ResolveURL(r.WebURL()) == "" {
			t.Errorf("GetReport = %+v", r)
		}

		list := func(o *modeclient.ListReportsOptions) []modeclient.Report {
			t.Helper()
			return collect(t, c.ListSpaceReports(ctx, tg.ws, fx.Space, o))
		}
		def := list(nil)
		if !slices.Contains(tokensOf(def, reportToken), fx.Report) {
			t.Errorf("space reports lack %s", fx.Report)
		}
		asc := list(&modeclient.ListReportsOptions{Order: "asc", OrderBy: "created_at"})
		desc := list(&modeclient.ListReportsOptions{Order: "desc", OrderBy: "updated_at"})
		created := func(r modeclient.Report) time.Time { return r.CreatedAt.Time }
		assertOrdered(t, "created_at asc", asc, created, false)
		assertOrdered(t, "updated_at desc", desc, func(r modeclient.Report) time.Time { return r.UpdatedAt.Time }, true)
		assertSameSet(t, "reports ordered by created_at", tokensOf(asc, reportToken), tokensOf(def, reportToken))
		all := list(&modeclient.ListReportsOptions{Filter: "all"})
		if len(all) < len(def) {
			t.Errorf("filter=all lists %d reports, the default %d", len(all), len(def))
		}
		for _, r := range list(&modeclient.ListReportsOptions{Filter: "archived"}) {
			if !r.Archived {
				t.Errorf("filter=archived listed unarchived report %s", r.Token)
			}
		}
		if len(asc) >= 2 {
			mid := asc[len(asc)/2].CreatedAt.Time
			after := list(&modeclient.ListReportsOptions{Filter: "created_at.gt." + mid.UTC().Format(time.RFC3339Nano)})
			for _, r := range after {
				if !r.CreatedAt.After(mid) {
					t.Errorf("created_at.gt.%v listed report created %v", mid, r.CreatedAt)
				}
			}
			if tg.emu != nil && len(after) != len(asc)-len(asc)/2-1 {
				t.Errorf("created_at.gt listed %d reports, want %d", len(after), len(asc)-len(asc)/2-1)
			}
		}

		if tg.emu != nil {
			d := tg.emu.Demo()
			if r.Name != "Paper Mix by Year" || r.QueryCount != 1 || r.RunsCount != 0 || bool(r.Archived) ||
				r.LastSuccessfulRunToken != "" || !r.LastRunAt.IsZero() {
				t.Errorf("the discovered demo report = %+v", r)
			}
			if got := tokensOf(asc, reportToken); !slices.Equal(got, d.Reports[:salesReports]) {
				t.Errorf("Sales reports by created_at asc = %v, want %v", got, d.Reports[:salesReports])
			}
			personal := d.Spaces[3]
			arch := collect(t, c.ListSpaceReports(ctx, tg.ws, personal, &modeclient.ListReportsOptions{Filter: "archived"}))
			if len(arch) != 1 || arch[0].Token != d.Reports[scratchpadIndex] || !bool(arch[0].Archived) {
				t.Errorf("archived reports of the personal space = %v", tokensOf(arch, reportToken))
			}
			if n := len(collect(t, c.ListSpaceReports(ctx, tg.ws, personal, nil))); n != 1 {
				t.Errorf("the personal space lists %d unarchived reports, want 1", n)
			}
		}
	})
}

// TestContractQueries covers ListQueries and GetQuery.
func TestContractQueries(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)
		need(t, "report with a query", fx.Query)

		qs := collect(t, c.ListQueries(ctx, tg.ws, fx.Report, nil))
		toks := tokensOf(qs, queryToken)
		assertUnique(t, "queries", toks)
		q := must(c.GetQuery(ctx, tg.ws, fx.Report, fx.Query))(t)
		if q.Token != fx.Query || q.RawQuery == "" || q.DataSourceID == 0 || !slices.Contains(toks, q.Token) {
			t.Errorf("GetQuery = %+v, listed %v", q, toks)
		}
		if tg.emu != nil {
			if len(qs) != 1 || q.Name != "Paper mix" || !strings.Contains(q.RawQuery, "poster_qty") || q.DataSourceID != 4001 {
				t.Errorf("the discovered demo report's query = %+v", q)
			}
		}
	})
}

// TestContractReportWrites covers UpdateReport (name, description, move), ArchiveReport,
// UnarchiveReport and DeleteReport and their errors.
func TestContractReportWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		d := tg.emu.Demo()
		sales, marketing := d.Spaces[0], d.Spaces[1]
		inSpace := func(space string, o *modeclient.ListReportsOptions) []string {
			return tokensOf(collect(t, c.ListSpaceReports(ctx, tg.ws, space, o)), reportToken)
		}

		t.Run("UpdateReport", func(t *testing.T) {
			rep := d.Reports[0]
			name, desc := "Revenue by Region (v2)", "Edited by the contract tests."
			u := must(c.UpdateReport(ctx, tg.ws, rep, modeclient.ReportUpdate{Name: &name, Description: &desc}))(t)
			if u.Token != rep || u.Name != name || u.Description != desc {
				t.Errorf("UpdateReport = %+v", u)
			}
			if got := must(c.GetReport(ctx, tg.ws, rep))(t); got.Name != name || got.Description != desc {
				t.Errorf("GetReport after update = %+v", got)
			}
			moved := must(c.UpdateReport(ctx, tg.ws, rep, modeclient.ReportUpdate{SpaceToken: &marketing}))(t)
			if moved.SpaceToken != marketing || moved.Name != name {
				t.Errorf("moved report = %+v", moved)
			}
			if !slices.Contains(inSpace(marketing, nil), rep) || slices.Contains(inSpace(sales, nil), rep) {
				t.Errorf("the moved report is listed in the wrong space")
			}
			blank := "   "
			_, err := c.UpdateReport(ctx, tg.ws, rep, modeclient.ReportUpdate{Name: &blank})
			if ae := wantAPIError(t, err, http.StatusBadRequest); ae.Message != "Name can't be blank" {
				t.Errorf("blank name: %+v", ae)
			}
			nowhere := "0000deadbeef"
			_, err = c.UpdateReport(ctx, tg.ws, rep, modeclient.ReportUpdate{SpaceToken: &nowhere})
			wantAPIError(t, err, http.StatusNotFound)
		})

		t.Run("Archive and Unarchive", func(t *testing.T) {
			rep := d.Reports[1]
			a := must(c.ArchiveReport(ctx, tg.ws, rep))(t)
			if !bool(a.Archived) || a.Token != rep {
				t.Errorf("ArchiveReport = %+v", a)
			}
			if slices.Contains(inSpace(sales, nil), rep) || !slices.Contains(inSpace(sales, &modeclient.ListReportsOptions{Filter: "archived"}), rep) {
				t.Errorf("the archived report is listed wrongly")
			}
			if !must(c.GetReport(ctx, tg.ws, rep))(t).Archived {
				t.Errorf("GetReport does not show the report archived")
			}
			u := must(c.UnarchiveReport(ctx, tg.ws, rep))(t)
			if u.Archived {
				t.Errorf("UnarchiveReport = %+v", u)
			}
			if !slices.Contains(inSpace(sales, nil), rep) {
				t.Errorf("the unarchived report is not listed")
			}
			_, err := c.ArchiveReport(ctx, tg.ws, "0000deadbeef")
			wantAPIError(t, err, http.StatusNotFound)
		})

		t.Run("DeleteReport", func(t *testing.T) {
			rep := d.Reports[2]
			if err := c.DeleteReport(ctx, tg.ws, rep); err != nil {
				t.Fatalf("DeleteReport: %v", err)
			}
			_, err := c.GetReport(ctx, tg.ws, rep)
			wantAPIError(t, err, http.StatusNotFound)
			if slices.Contains(inSpace(sales, &modeclient.ListReportsOptions{Filter: "all"}), rep) {
				t.Errorf("the deleted report is still listed")
			}
			wantAPIError(t, c.DeleteReport(ctx, tg.ws, rep), http.StatusNotFound)
		})
	})
}

// TestContractQueryWrites covers CreateQuery, UpdateQuery and DeleteQuery, a run of the new
// query, and their errors.
func TestContractQueryWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		d := tg.emu.Demo()
		rep := d.Reports[scratchpadIndex] // its one query is cheap to run
		ds := must(c.GetDataSource(ctx, tg.ws, d.DataSource))(t)

		q := must(c.CreateQuery(ctx, tg.ws, rep, modeclient.QueryCreate{
			RawQuery: "SELECT id, name FROM region ORDER BY id", DataSourceID: int64(ds.ID), Name: "Regions",
		}))(t)
		if q.Token == "" || q.Name != "Regions" || q.DataSourceID != ds.ID || !strings.HasPrefix(q.RawQuery, "SELECT id, name") {
			t.Fatalf("CreateQuery = %+v", q)
		}
		if got := must(c.GetQuery(ctx, tg.ws, rep, q.Token))(t); got.RawQuery != q.RawQuery || got.Name != q.Name {
			t.Errorf("GetQuery after create = %+v", got)
		}
		qs := collect(t, c.ListQueries(ctx, tg.ws, rep, nil))
		if len(qs) != 2 || !slices.Contains(tokensOf(qs, queryToken), q.Token) {
			t.Errorf("queries after create = %v", tokensOf(qs, queryToken))
		}
		if n := must(c.GetReport(ctx, tg.ws, rep))(t).QueryCount; n != 2 {
			t.Errorf("query_count = %d, want 2", n)
		}

		raw, name := "SELECT id, name FROM region WHERE id <= 2 ORDER BY id", "Two regions"
		u := must(c.UpdateQuery(ctx, tg.ws, rep, q.Token, modeclient.QueryUpdate{RawQuery: &raw, Name: &name}))(t)
		if u.RawQuery != raw || u.Name != name {
			t.Errorf("UpdateQuery = %+v", u)
		}
		if got := must(c.GetQuery(ctx, tg.ws, rep, q.Token))(t); got.RawQuery != raw || got.Name != name {
			t.Errorf("GetQuery after update = %+v", got)
		}

		run := waitRun(t, ctx, c, tg.ws, rep, must(c.RunReport(ctx, tg.ws, rep, nil))(t).Token)
		var ours *modeclient.QueryRun
		for _, qr := range collect(t, c.ListQueryRuns(ctx, tg.ws, rep, run.Token, nil)) {
			if qr.QueryToken == q.Token {
				ours = &qr
			}
		}
		if run.State != "succeeded" || ours == nil {
			t.Fatalf("run %+v has no query run of the new query", run)
		}
		if rs := readResults(t, ctx, c, tg.ws, rep, run.Token, ours.Token, 100); len(rs.csv) != 2 || !slices.Equal(rs.header, []string{"id", "name"}) {
			t.Errorf("results of the new query: %v %v", rs.header, rs.csv)
		}

		_, err := c.CreateQuery(ctx, tg.ws, rep, modeclient.QueryCreate{RawQuery: "SELECT 1", DataSourceID: 999999})
		if ae := wantAPIError(t, err, http.StatusBadRequest); ae.Message != "Data source not found" {
			t.Errorf("unknown data source: %+v", ae)
		}

		if err := c.DeleteQuery(ctx, tg.ws, rep, q.Token); err != nil {
			t.Fatalf("DeleteQuery: %v", err)
		}
		_, err = c.GetQuery(ctx, tg.ws, rep, q.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if qs := collect(t, c.ListQueries(ctx, tg.ws, rep, nil)); len(qs) != 1 {
			t.Errorf("%d queries after delete, want 1", len(qs))
		}
		wantAPIError(t, c.DeleteQuery(ctx, tg.ws, rep, q.Token), http.StatusNotFound)
	})
}
