package modeclient_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestContractUpdateDataSource: UpdateDataSource changes what cached reads show, sends the
// password (the emulator checks it) and quotes it nowhere; a data source of another workspace is
// not found and nothing is sent to it.
func TestContractUpdateDataSource(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		const password = "correct-horse-battery-staple"

		before := must(c.GetDataSource(ctx, tg.ws, d.DataSource))(t) // cached from here on
		collect(t, c.ListDataSources(ctx, tg.ws, nil))
		got := must(c.UpdateDataSource(ctx, tg.ws, d.DataSource, modeclient.DataSourceUpdate{
			Name: strp("Warehouse"), Description: strp("Renamed by the contract suite."), Password: strp(password),
		}))(t)
		if got.Name != "Warehouse" || got.Description != "Renamed by the contract suite." || got.Token != d.DataSource || !got.UpdatedAt.After(before.UpdatedAt.Time) {
			t.Errorf("UpdateDataSource = %+v", got)
		}
		if !tg.emu.DataSourcePasswordIs(tg.ws, d.DataSource, password) {
			t.Error("the emulator did not get the password")
		}
		if ds := must(c.GetDataSource(ctx, tg.ws, d.DataSource))(t); ds.Name != "Warehouse" {
			t.Errorf("GetDataSource after the update (it was cached) = %q", ds.Name)
		}
		if ds := collect(t, c.ListDataSources(ctx, tg.ws, nil)); len(ds) != 1 || ds[0].Name != "Warehouse" {
			t.Errorf("ListDataSources after the update (it was cached) = %+v", ds)
		}

		// Refusals: before any request for what the client can tell, Mode's otherwise; no error
		// quotes the password.
		tg.emu.ResetRequests()
		for name, in := range map[string]modeclient.DataSourceUpdate{
			"nothing":        {},
			"empty password": {Password: strp("")},
		} {
			var ia *modeclient.InvalidArgumentError
			if _, err := c.UpdateDataSource(ctx, tg.ws, d.DataSource, in); !errors.As(err, &ia) {
				t.Errorf("%s: err = %v, want *InvalidArgumentError", name, err)
			}
		}
		if n := tg.emu.CountRequests("", "/"); n != 0 {
			t.Errorf("refused updates sent %d requests", n)
		}
		_, err := c.UpdateDataSource(ctx, tg.ws, d.DataSource, modeclient.DataSourceUpdate{Name: strp(" "), Password: strp(password)})
		wantAPIError(t, err, http.StatusBadRequest)
		remove := tg.emu.AddFault(modetest.Fault{Method: http.MethodPatch, Path: "/api/*/data_sources/*", Status: http.StatusInternalServerError, Times: 1})
		_, err2 := c.UpdateDataSource(ctx, tg.ws, d.DataSource, modeclient.DataSourceUpdate{ConnectionString: strp("tcps://db?password=" + password)})
		remove()
		wantAPIError(t, err2, http.StatusInternalServerError)
		for _, e := range []error{err, err2} {
			if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, password) {
				t.Errorf("an error quotes the password: %s", s)
			}
		}

		// Another workspace's data source: not found, nothing sent to it.
		tg.emu.ResetRequests()
		_, err = c.UpdateDataSource(ctx, tg.ws, d.Second.DataSource, modeclient.DataSourceUpdate{Name: strp("x")})
		wantAPIError(t, err, http.StatusNotFound)
		if n := tg.emu.CountRequests(http.MethodPatch, "/"); n != 0 {
			t.Errorf("%d PATCH sent for another workspace's data source", n)
		}
		_, err = c.UpdateDataSource(ctx, tg.ws, "../x", modeclient.DataSourceUpdate{Name: strp("x")})
		var ia *modeclient.InvalidArgumentError
		if !errors.As(err, &ia) {
			t.Errorf("a bad token: %v", err)
		}
	})
}

// TestDataSourceUpdateRedacted: every printed form of a DataSourceUpdate hides its secrets.
func TestDataSourceUpdateRedacted(t *testing.T) {
	const password, conn = "pw-d0nt-print", "conn-d0nt-print"
	u := modeclient.DataSourceUpdate{Name: strp("Warehouse"), Password: strp(password), ConnectionString: strp(conn)}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("update", "in", u, "ptr", &u)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("update", "in", u)
	js, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v %+v %#v %s %q %x %v", u, u, u, u, u, u, &u) + logs.String() + string(js) + u.String()
	for _, secret := range []string{password, conn} {
		if strings.Contains(out, secret) {
			t.Errorf("a printed DataSourceUpdate shows a secret: %s", out)
		}
	}
	if !strings.Contains(out, "Warehouse") || !strings.Contains(out, "REDACTED") {
		t.Errorf("a printed DataSourceUpdate should show the name and REDACTED: %s", out)
	}
}

// TestContractSchemaUpdate: UpdateDataSourceSchema queues a schema update that then succeeds;
// another workspace's data source is not found.
func TestContractSchemaUpdate(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		d := tg.emu.Demo()
		u := must(c.UpdateDataSourceSchema(ctx, tg.ws, d.DataSource))(t)
		if u.Token == "" || u.ID == 0 || (u.State != "enqueued" && u.State != "succeeded") || u.Links.Href("self") == "" {
			t.Errorf("UpdateDataSourceSchema = %+v", u)
		}
		_, err := c.UpdateDataSourceSchema(ctx, tg.ws, d.Second.DataSource)
		wantAPIError(t, err, http.StatusNotFound)
		_, err = c.UpdateDataSourceSchema(ctx, tg.ws, "000000000000")
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// finishRun runs report to its end through c and reads its run, query runs and their lists, so
// that c's cache holds them all; it returns the run and its first query run.
func finishRun(t *testing.T, tg *target, c *modeclient.Client, report string) (*modeclient.ReportRun, string) {
	t.Helper()
	ctx := tg.ctx(t)
	run := must(c.RunReport(ctx, tg.ws, report, nil))(t)
	done := waitRun(t, ctx, c, tg.ws, report, run.Token)
	if done.State != "succeeded" {
		t.Fatalf("run of %s: %s", report, done.State)
	}
	must(c.GetReportRun(ctx, tg.ws, report, run.Token))(t)
	qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, report, run.Token, nil))
	must(c.GetQueryRun(ctx, tg.ws, report, run.Token, qrs[0].Token))(t)
	collect(t, c.ListReportRuns(ctx, tg.ws, report, nil))
	return done, qrs[0].Token
}

// checkPurged checks through c that a run's results are gone or there: the run (read through
// the cache) says whether it was purged, and its results answer 404 or stream.
func checkPurged(t *testing.T, tg *target, c *modeclient.Client, report, run, queryRun string, purged bool) {
	t.Helper()
	ctx := tg.ctx(t)
	r := must(c.GetReportRun(ctx, tg.ws, report, run))(t)
	if r.Purged() != purged || r.PurgeCompletedAt.IsZero() == purged {
		t.Errorf("run %s: purge started %v, completed %v; want purged %v", run, r.PurgeStartedAt, r.PurgeCompletedAt, purged)
	}
	var listed *modeclient.ReportRun
	for rr, err := range c.ListReportRuns(ctx, tg.ws, report, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if rr.Token == run {
			listed = &rr
		}
	}
	if listed == nil || listed.Purged() != purged {
		t.Errorf("run %s as ListReportRuns shows it: %+v; want purged %v", run, listed, purged)
	}
	body, err := c.QueryResultsCSV(ctx, tg.ws, report, run, queryRun)
	if purged {
		wantAPIError(t, err, http.StatusNotFound)
		return
	}
	if err != nil {
		t.Fatalf("results of %s before any purge: %v", run, err)
	}
	body.Close()
}

// TestContractPurges: a data source's purge and a workspace's purge make the runs they reach
// say so and their results answer 404, through a cached client that held those runs (finished
// runs are cached for an hour): the purge drops them.
func TestContractPurges(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		rep := d.Reports[scratchpadIndex] // its SQL reads the four regions: quick results

		run, qr := finishRun(t, tg, c, rep)
		checkPurged(t, tg, c, rep, run.Token, qr, false)
		if err := c.PurgeDataSourceResults(ctx, tg.ws, d.DataSource); err != nil {
			t.Fatalf("PurgeDataSourceResults: %v", err)
		}
		checkPurged(t, tg, c, rep, run.Token, qr, true)
		if q := must(c.GetQueryRun(ctx, tg.ws, rep, run.Token, qr))(t); q.State != "succeeded" {
			t.Errorf("a purged run's query run: %+v", q)
		}

		// The workspace's purge, by creation day: a span that ends yesterday leaves today's run.
		run2, qr2 := finishRun(t, tg, c, rep)
		now := time.Now()
		if err := c.PurgeReportResultsWithOptions(ctx, tg.ws, modeclient.PurgeOptions{
			Before: now.AddDate(0, 0, -7), Through: now.AddDate(0, 0, -1), SkipInProgress: true,
		}); err != nil {
			t.Fatalf("PurgeReportResultsWithOptions: %v", err)
		}
		checkPurged(t, tg, c, rep, run2.Token, qr2, false)
		if err := c.PurgeReportResults(ctx, tg.ws); err != nil {
			t.Fatalf("PurgeReportResults: %v", err)
		}
		checkPurged(t, tg, c, rep, run2.Token, qr2, true)
		req := tg.emu.Requests()
		var last modetest.Request
		for _, r := range req {
			if r.Method == http.MethodPost && r.Path == apiPath("reports", "purge") {
				last = r
			}
		}
		if want := "time=" + now.UTC().AddDate(0, 0, 1).Format("2006-01-02"); last.RawQuery != want {
			t.Errorf("PurgeReportResults sent ?%s, want ?%s", last.RawQuery, want)
		}

		// Refusals.
		tg.emu.ResetRequests()
		var ia *modeclient.InvalidArgumentError
		for name, o := range map[string]modeclient.PurgeOptions{
			"no time":        {},
			"a span reverse": {Before: now, Through: now.AddDate(0, 0, -2)},
		} {
			if err := c.PurgeReportResultsWithOptions(ctx, tg.ws, o); !errors.As(err, &ia) {
				t.Errorf("%s: err = %v, want *InvalidArgumentError", name, err)
			}
		}
		wantAPIError(t, c.PurgeDataSourceResults(ctx, tg.ws, d.Second.DataSource), http.StatusNotFound)
		if n := tg.emu.CountRequests(http.MethodPost, "/"); n != 0 {
			t.Errorf("%d POST sent by refused purges", n)
		}
		wantAPIError(t, c.PurgeReportResults(ctx, "no_such_workspace"), http.StatusNotFound)
	})
}
