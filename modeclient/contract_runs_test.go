package modeclient_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
)

// TestContractRunsReadOnly reads an existing finished run: GetReportRun, ListReportRuns,
// ListQueryRuns, GetQueryRun and its results as CSV, JSON and rows.
func TestContractRunsReadOnly(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixturesWithRun(t)

		run := must(c.GetReportRun(ctx, tg.ws, fx.Report, fx.Run))(t)
		if run.Token != fx.Run || run.State != "succeeded" || !run.Finished() || run.CreatedAt.IsZero() || run.CompletedAt.IsZero() {
			t.Errorf("GetReportRun = %+v", run)
		}
		found := false
		for r, err := range c.ListReportRuns(ctx, tg.ws, fx.Report, nil) {
			if err != nil {
				t.Fatalf("ListReportRuns: %v", err)
			}
			if r.Token == fx.Run {
				found = true
				break // a real report may have thousands of runs
			}
		}
		if !found {
			t.Errorf("ListReportRuns lacks %s", fx.Run)
		}
		qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, fx.Report, fx.Run, nil))
		if !slices.Contains(tokensOf(qrs, queryRunToken), fx.QueryRun) {
			t.Errorf("ListQueryRuns lacks %s", fx.QueryRun)
		}
		qr := must(c.GetQueryRun(ctx, tg.ws, fx.Report, fx.Run, fx.QueryRun))(t)
		if qr.Token != fx.QueryRun || qr.State != "succeeded" || qr.RawSource == "" || qr.RenderedSource == "" || qr.QueryToken == "" {
			t.Errorf("GetQueryRun = %+v", qr)
		}
		if !run.PurgeCompletedAt.IsZero() {
			t.Skip("the run's results were purged by Mode")
		}
		rs := readResults(t, ctx, c, tg.ws, fx.Report, fx.Run, fx.QueryRun, 2000)
		if tg.emu != nil {
			assertParamRows(t, rs)
			if run.Parameters["region"] != paramRegion || qr.Parameters["region"] != paramRegion {
				t.Errorf("parameters: run %v, query run %v", run.Parameters, qr.Parameters)
			}
		}
	})
}

// TestContractRunReport covers RunReport with parameters, polling GetReportRun until it
// succeeds, ListQueryRuns, GetQueryRun, the results as CSV, JSON and rows honouring the
// parameters, a failing report's run, ListReportRuns and CloneReportRun.
func TestContractRunReport(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		d := tg.emu.Demo()
		rep := d.ParamReport

		started := must(c.RunReport(ctx, tg.ws, rep, paramValues()))(t)
		if started.Token == "" || started.State == "" || started.Parameters["region"] != paramRegion {
			t.Fatalf("RunReport = %+v", started)
		}
		run := waitRun(t, ctx, c, tg.ws, rep, started.Token)
		if run.State != "succeeded" || run.CompletedAt.IsZero() || !bool(run.IsLatestReportRun) || run.WebURL() == "" {
			t.Fatalf("finished run = %+v", run)
		}
		qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, rep, run.Token, nil))
		if len(qrs) != 1 {
			t.Fatalf("%d query runs, want 1", len(qrs))
		}
		qr := must(c.GetQueryRun(ctx, tg.ws, rep, run.Token, qrs[0].Token))(t)
		if qr.State != "succeeded" || !qr.Finished() || qr.Token != qrs[0].Token || qr.QueryName != "Large orders" ||
			!strings.Contains(qr.RenderedSource, "'"+paramRegion+"'") || strings.Contains(qr.RenderedSource, "{{") ||
			qr.Parameters["region"] != paramRegion || qr.DataSourceToken != d.DataSource {
			t.Errorf("GetQueryRun = %+v", qr)
		}
		assertParamRows(t, readResults(t, ctx, c, tg.ws, rep, run.Token, qr.Token, 1000))

		t.Run("failing report", func(t *testing.T) {
			started := must(c.RunReport(ctx, tg.ws, d.FailingReport, nil))(t)
			run := waitRun(t, ctx, c, tg.ws, d.FailingReport, started.Token)
			if run.State != "failed" {
				t.Fatalf("run of the failing report = %+v", run)
			}
			qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, d.FailingReport, run.Token, nil))
			if len(qrs) != 1 || qrs[0].State != "failed" || !strings.Contains(string(qrs[0].ErrorMessage), "account_churn_predictions") {
				t.Fatalf("query runs of the failed run = %+v", qrs)
			}
			_, err := c.QueryResultsCSV(ctx, tg.ws, d.FailingReport, run.Token, qrs[0].Token)
			wantAPIError(t, err, http.StatusNotFound)
		})

		t.Run("CloneReportRun and ListReportRuns", func(t *testing.T) {
			clone := must(c.CloneReportRun(ctx, tg.ws, rep, run.Token))(t)
			if clone.Token == "" || clone.Token == run.Token || clone.Parameters["region"] != paramRegion {
				t.Fatalf("CloneReportRun = %+v", clone)
			}
			done := waitRun(t, ctx, c, tg.ws, rep, clone.Token)
			if done.State != "succeeded" {
				t.Fatalf("cloned run = %+v", done)
			}
			runs := collect(t, c.ListReportRuns(ctx, tg.ws, rep, nil))
			assertSameSet(t, "runs", tokensOf(runs, runToken), []string{run.Token, clone.Token})
			if runs[0].Token != clone.Token || !bool(runs[0].IsLatestReportRun) {
				t.Errorf("runs are not newest first: %v", tokensOf(runs, runToken))
			}
			asc := collect(t, c.ListReportRuns(ctx, tg.ws, rep, &modeclient.ListRunsOptions{Order: "asc"}))
			if len(asc) != 2 || asc[0].Token != run.Token {
				t.Errorf("runs in ascending order = %v", tokensOf(asc, runToken))
			}
			r := must(c.GetReport(ctx, tg.ws, rep))(t)
			if r.RunsCount != 2 || r.LastSuccessfulRunToken != clone.Token || r.LastRunAt.IsZero() {
				t.Errorf("report after two runs = %+v", r)
			}
			cqrs := collect(t, c.ListQueryRuns(ctx, tg.ws, rep, clone.Token, nil))
			if len(cqrs) != 1 {
				t.Fatalf("%d query runs of the clone", len(cqrs))
			}
			if cqr := must(c.GetQueryRun(ctx, tg.ws, rep, clone.Token, cqrs[0].Token))(t); cqr.RenderedSource != qr.RenderedSource {
				t.Errorf("the clone ran %q, the original %q", cqr.RenderedSource, qr.RenderedSource)
			}
			_, err := c.CloneReportRun(ctx, tg.ws, rep, "0000deadbeef")
			wantAPIError(t, err, http.StatusNotFound)
		})
	})
}
