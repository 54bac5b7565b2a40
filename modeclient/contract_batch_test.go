package modeclient_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// batchGETs counts the emulator's logged Metadata API reads (GET /batch/…).
func batchGETs(emu *modetest.Server) int { return emu.CountRequests(http.MethodGet, "/batch/") }

// signatureCreates counts the emulator's logged signature token creations.
func signatureCreates(emu *modetest.Server) int {
	return requestsTo(emu, http.MethodPost, "/batch/"+modetest.DemoWorkspace+"/signature_tokens")
}

// bearerTokens returns the signature tokens (token, access key, access secret) the emulator saw
// Metadata API reads signed with, in order, without repeats.
func bearerTokens(emu *modetest.Server) [][3]string {
	var out [][3]string
	for _, r := range emu.Requests() {
		v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			continue
		}
		parts := strings.SplitN(string(raw), ":", 3)
		if len(parts) == 3 && !slices.Contains(out, [3]string(parts)) {
			out = append(out, [3]string(parts))
		}
	}
	return out
}

func batchReportToken(r modeclient.BatchReport) string { return r.Token }

// TestContractBatchLists reads every Metadata API list through the client: the items hold the
// workspace's real objects, personal spaces are left out unless asked for, and one signature
// token signs every read.
func TestContractBatchLists(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		d := tg.emu.Demo()

		all := collect(t, c.ListBatchReports(ctx, tg.ws, &modeclient.BatchOptions{IncludeSpaces: modeclient.IncludeSpacesAll}))
		assertSameSet(t, "batch reports (include_spaces=all)", tokensOf(all, batchReportToken), d.Reports)
		shared := collect(t, c.ListBatchReports(ctx, tg.ws, nil))
		if len(shared) != len(d.Reports)-2 || slices.ContainsFunc(shared, func(r modeclient.BatchReport) bool { return string(r.SpaceToken) == d.Spaces[3] }) {
			t.Errorf("batch reports without include_spaces: %d, want %d (none of the Personal space)", len(shared), len(d.Reports)-2)
		}
		rest := must(c.GetReport(ctx, tg.ws, d.Reports[0]))(t)
		b := all[0]
		if b.Token != rest.Token || b.Name != rest.Name || b.Description != rest.Description || string(b.SpaceToken) != rest.SpaceToken ||
			!b.CreatedAt.Equal(rest.CreatedAt.Time) || !b.UpdatedAt.Equal(rest.UpdatedAt.Time) || b.ID != rest.ID ||
			b.CreatorEmail != "ana_analyst@parchandposey.com" || c.ResolveURL(string(b.ReportURL)) != c.ResolveURL(apiPath("reports", rest.Token)) ||
			b.SpaceID == 0 || b.LastViewedAt.IsZero() {
			t.Errorf("batch report %+v, REST report %+v", b, rest)
		}

		queries := collect(t, c.ListBatchQueries(ctx, tg.ws, &modeclient.BatchOptions{IncludeSpaces: modeclient.IncludeSpacesAll}))
		var want []string
		for _, rep := range d.Reports {
			for _, q := range collect(t, c.ListQueries(ctx, tg.ws, rep, nil)) {
				want = append(want, q.Token)
			}
		}
		assertSameSet(t, "batch queries", tokensOf(queries, func(q modeclient.BatchQuery) string { return q.Token }), want)
		if q := queries[0]; string(q.ReportToken) != d.Reports[0] || string(q.DataSourceToken) != d.DataSource || q.RawQuery == "" || q.ReportID == 0 {
			t.Errorf("first batch query = %+v", q)
		}

		spaces := collect(t, c.ListBatchSpaces(ctx, tg.ws, &modeclient.BatchOptions{IncludeSpaces: modeclient.IncludeSpacesAll}))
		if got := tokensOf(spaces, func(s modeclient.BatchSpace) string { return s.Token }); !slices.Equal(got, d.Spaces) {
			t.Errorf("batch spaces %v, want %v", got, d.Spaces)
		}
		if s := spaces[3]; s.SpaceType != "private" || s.Name != "Personal" || s.SpaceURL == "" {
			t.Errorf("batch space = %+v", s)
		}
		charts := collect(t, c.ListBatchCharts(ctx, tg.ws, nil))
		if len(charts) == 0 {
			t.Fatal("no batch charts")
		}
		for _, ch := range charts {
			rest, err := c.GetChart(ctx, tg.ws, string(ch.ReportToken), string(ch.QueryToken), ch.Token)
			if err != nil || rest.Type() != string(ch.ChartType) {
				t.Errorf("batch chart %+v: GetChart = %+v, %v", ch, rest, err)
			}
		}
		stats := collect(t, c.ListBatchReportStats(ctx, tg.ws, nil))
		if len(stats) != len(shared) || stats[0].ReportToken != d.Reports[0] || stats[0].ViewCount == 0 ||
			!slices.Equal(stats[0].EditorsEmails, []string{"ana_analyst@parchandposey.com"}) || stats[0].RecentManualRunCreatorsEmails == nil {
			t.Errorf("batch report stats: %d, first %+v", len(stats), stats[0])
		}
		if n := signatureCreates(tg.emu); n != 1 {
			t.Errorf("%d signature tokens made for the reads, want 1", n)
		}
	})
}

// TestContractBatchPaging: pages of a given size, iterators that stop at the last page without
// asking for one more, and per_page and include_spaces checked before any request.
func TestContractBatchPaging(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, []modetest.Option{modetest.WithExtraReports(13)}, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		total := len(tg.emu.Demo().Reports) - 2 // 23 without the Personal space's two
		p := must(c.ListBatchReportsPage(ctx, tg.ws, 2, &modeclient.BatchOptions{PerPage: 10}))(t)
		if len(p.Items) != 10 || p.Page != 2 || p.PerPage != 10 || p.TotalCount != total || p.TotalPages != 3 || p.NextPage != 3 {
			t.Errorf("page 2 of 10 = {%d items, page %d, per %d, total %d in %d pages, next %d}", len(p.Items), p.Page, p.PerPage, p.TotalCount, p.TotalPages, p.NextPage)
		}
		if last := must(c.ListBatchReportsPage(ctx, tg.ws, 3, &modeclient.BatchOptions{PerPage: 10}))(t); len(last.Items) != 3 || last.NextPage != 0 {
			t.Errorf("the last page: %d items, next %d", len(last.Items), last.NextPage)
		}
		for _, per := range []int{1, 7, 10, 23, 1000} {
			tg.emu.ResetRequests()
			items := collect(t, c.ListBatchReports(ctx, tg.ws, &modeclient.BatchOptions{PerPage: per}))
			want := (total + per - 1) / per
			if len(items) != total || batchGETs(tg.emu) != want {
				t.Errorf("per_page %d: %d reports in %d requests, want %d in %d", per, len(items), batchGETs(tg.emu), total, want)
			}
			assertUnique(t, "batch reports", tokensOf(items, batchReportToken))
		}
		tg.emu.ResetRequests()
		var ia *modeclient.InvalidArgumentError
		for _, o := range []modeclient.BatchOptions{{PerPage: -1}, {PerPage: 1001}, {IncludeSpaces: "mine"}} {
			if _, err := c.ListBatchReportsPage(ctx, tg.ws, 1, &o); !errors.As(err, &ia) {
				t.Errorf("options %+v: err = %v, want *InvalidArgumentError", o, err)
			}
		}
		if _, err := c.ListBatchSpacesPage(ctx, "../x", 1, nil); !errors.As(err, &ia) {
			t.Errorf("a bad workspace: %v", err)
		}
		if n := tg.emu.CountRequests("", "/"); n != 0 {
			t.Errorf("refused lists sent %d requests", n)
		}
		// The spaces list takes no include_spaces: it is not sent.
		must(c.ListBatchSpacesPage(ctx, tg.ws, 1, &modeclient.BatchOptions{IncludeSpaces: modeclient.IncludeSpacesAll}))(t)
		for _, r := range tg.emu.Requests() {
			if strings.Contains(r.RawQuery, "include_spaces") {
				t.Errorf("the spaces list sent %s", r.RawQuery)
			}
		}
		_, err := c.ListBatchReportsPage(ctx, "no_such_workspace", 1, nil)
		wantAPIError(t, err, http.StatusNotFound)
	})
}

// TestContractBatchLargeWorkspace: the 10,000 reports of 50 generated spaces are listed in
// ceil(total/per_page) Metadata API requests.
func TestContractBatchLargeWorkspace(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, []modetest.Option{modetest.WithGeneratedReports(50, 200)}, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		total := 10_000 + len(tg.emu.Demo().Reports)
		for _, per := range []int{0, 250} {
			tg.emu.ResetRequests()
			reports := collect(t, c.ListBatchReports(ctx, tg.ws, &modeclient.BatchOptions{PerPage: per, IncludeSpaces: modeclient.IncludeSpacesAll}))
			size := per
			if size == 0 {
				size = modeclient.DefaultBatchPerPage
			}
			if want := (total + size - 1) / size; len(reports) != total || batchGETs(tg.emu) != want {
				t.Errorf("per_page %d: %d reports in %d requests, want %d in %d", size, len(reports), batchGETs(tg.emu), total, want)
			}
			perSpace := map[string]int{}
			for _, r := range reports {
				perSpace[string(r.SpaceToken)]++
			}
			for _, s := range tg.emu.Demo().GeneratedSpaces {
				if perSpace[s] != 200 {
					t.Errorf("space %s: %d reports, want 200", s, perSpace[s])
				}
			}
		}
		if n := signatureCreates(tg.emu); n != 0 {
			t.Errorf("%d signature tokens made for the second listing, want 0 (the first one's is reused)", n)
		}
	})
}

// TestContractBatchCache: pages are cached (a hit costs no request), and the writes of the
// workspace, and the end of a run, drop them.
func TestContractBatchCache(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		var seen outcomes
		octx := seen.ctx(ctx)
		reportsPage := func() *modeclient.BatchPage[modeclient.BatchReport] {
			t.Helper()
			return must(c.ListBatchReportsPage(octx, tg.ws, 1, nil))(t)
		}
		reportsPage()
		if got := seen.take(); !slices.Equal(got, []string{"uncached", "miss"}) { // making the token, then the read
			t.Errorf("first read: %v", got)
		}
		tg.emu.ResetRequests()
		reportsPage()
		must(c.ListBatchReportsPage(octx, tg.ws, 1, nil))(t)
		if got := seen.take(); !slices.Equal(got, []string{"hit", "hit"}) || tg.emu.CountRequests("", "/") != 0 {
			t.Errorf("cached reads: %v, %d requests", got, tg.emu.CountRequests("", "/"))
		}
		// Another page size is another entry.
		must(c.ListBatchReportsPage(octx, tg.ws, 1, &modeclient.BatchOptions{PerPage: 5}))(t)
		if got := seen.take(); !slices.Equal(got, []string{"miss"}) {
			t.Errorf("another page size: %v", got)
		}

		name := func(p *modeclient.BatchPage[modeclient.BatchReport], token string) string {
			for _, r := range p.Items {
				if r.Token == token {
					return r.Name
				}
			}
			return ""
		}
		// A report's update: the page is read again and shows it.
		must(c.UpdateReport(ctx, tg.ws, d.Reports[0], modeclient.ReportUpdate{Name: strp("Renamed")}))(t)
		tg.emu.ResetRequests()
		if got := name(reportsPage(), d.Reports[0]); got != "Renamed" || batchGETs(tg.emu) != 1 {
			t.Errorf("after UpdateReport: name %q, %d reads", got, batchGETs(tg.emu))
		}
		// A space's creation.
		must(c.ListBatchSpacesPage(ctx, tg.ws, 1, nil))(t)
		sp := must(c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "Batch space"}))(t)
		if got := must(c.ListBatchSpacesPage(ctx, tg.ws, 1, nil))(t); !slices.ContainsFunc(got.Items, func(s modeclient.BatchSpace) bool { return s.Token == sp.Token }) {
			t.Errorf("the spaces page after CreateSpace lacks %s", sp.Token)
		}
		// A query's update.
		qs := must(c.ListBatchQueriesPage(ctx, tg.ws, 1, nil))(t)
		q := qs.Items[0]
		must(c.UpdateQuery(ctx, tg.ws, string(q.ReportToken), q.Token, modeclient.QueryUpdate{Name: strp("Renamed query")}))(t)
		if got := must(c.ListBatchQueriesPage(ctx, tg.ws, 1, nil))(t).Items[0]; got.Name != "Renamed query" {
			t.Errorf("the queries page after UpdateQuery: %+v", got)
		}
		// A schedule's creation: the report's stats.
		stat := func() modeclient.BatchReportStat {
			for _, s := range must(c.ListBatchReportStatsPage(ctx, tg.ws, 1, nil))(t).Items {
				if s.ReportToken == d.Reports[1] {
					return s
				}
			}
			t.Fatalf("no stats of %s", d.Reports[1])
			return modeclient.BatchReportStat{}
		}
		if n := stat().ActiveSchedulesCount; n != 0 {
			t.Fatalf("active schedules before: %d", n)
		}
		must(c.CreateReportSchedule(ctx, tg.ws, d.Reports[1], modeclient.ScheduleCreate{Cron: modeclient.CronInput{Freq: "daily"}}))(t)
		if n := stat().ActiveSchedulesCount; n != 1 {
			t.Errorf("active schedules after CreateReportSchedule: %d, want 1", n)
		}
		// A run: its start, and then its end, seen through GetReportRun.
		run := must(c.RunReport(ctx, tg.ws, d.Reports[0], nil))(t)
		if got := reportsPage().Items; got[0].LastRunToken != modeclient.String(run.Token) {
			t.Errorf("after RunReport, the report's last run is %q, want %q", got[0].LastRunToken, run.Token)
		}
		waitRun(t, ctx, c, tg.ws, d.Reports[0], run.Token)
		if got := reportsPage().Items[0]; got.LastRunState != "succeeded" {
			t.Errorf("after the run ended, last_run_state = %q", got.LastRunState)
		}
		// Another workspace's writes leave this one's pages.
		reportsPage()
		seen.take()
		must(c.UpdateReport(ctx, d.Second.Workspace, d.Second.Report, modeclient.ReportUpdate{Description: strp("x")}))(t)
		reportsPage()
		if got := seen.take(); !slices.Equal(got, []string{"hit"}) {
			t.Errorf("after a write of another workspace: %v", got)
		}
	})
}

// TestContractBatchSignature: the client makes one signature token for all the reads of a
// workspace, even concurrent ones; makes another when Mode refuses it (deleted), and sends the
// read once more; fails with Mode's answer when it cannot make one; and deletes its tokens on
// ReleaseBatchTokens.
func TestContractBatchSignature(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := c.ListBatchReportsPage(ctx, tg.ws, i+1, &modeclient.BatchOptions{PerPage: 2}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := signatureCreates(tg.emu); n != 1 {
			t.Errorf("8 concurrent first reads made %d signature tokens, want 1", n)
		}
		toks := bearerTokens(tg.emu)
		if len(toks) != 1 {
			t.Fatalf("reads signed with %d tokens, want 1", len(toks))
		}
		for _, r := range tg.emu.Requests() {
			if strings.HasPrefix(r.Path, "/batch/") && r.Method == http.MethodGet && basicUser(r) != "" {
				t.Errorf("a Metadata API read carried Basic auth")
			}
		}

		// Deleted by the client itself (DeleteSignatureToken): it makes another, with no 401.
		if err := c.DeleteSignatureToken(ctx, tg.ws, toks[0][0]); err != nil {
			t.Fatal(err)
		}
		tg.emu.ResetRequests()
		must(c.ListBatchSpacesPage(ctx, tg.ws, 1, nil))(t)
		if n, reads := signatureCreates(tg.emu), batchGETs(tg.emu); n != 1 || reads != 1 {
			t.Errorf("after its own deletion: %d tokens made, %d reads; want 1 and 1", n, reads)
		}
		// Deleted behind the client's back: one 401, a new token, the read again.
		resp, body := deleteAsAdmin(t, tg, bearerTokens(tg.emu)[0][0])
		if resp != http.StatusOK {
			t.Fatalf("deleting c's token: %d %s", resp, body)
		}
		tg.emu.ResetRequests()
		must(c.ListBatchSpacesPage(ctx, tg.ws, 1, nil))(t)
		if n, reads := signatureCreates(tg.emu), batchGETs(tg.emu); n != 1 || reads != 2 {
			t.Errorf("after a deletion c did not see: %d tokens made, %d reads; want 1 and 2 (a 401, then the read again)", n, reads)
		}

		// Mode refuses to make a token: its answer, and no read.
		fresh := tg.client(t)
		remove := tg.emu.AddFault(modetest.Fault{Method: http.MethodPost, Path: "/batch/*/signature_tokens", Status: http.StatusForbidden})
		tg.emu.ResetRequests()
		_, err := fresh.ListBatchReportsPage(ctx, tg.ws, 1, nil)
		remove()
		if ae := wantAPIError(t, err, http.StatusForbidden); ae.Route != "/batch/{workspace}/signature_tokens" {
			t.Errorf("refused token: %+v", ae)
		}
		if batchGETs(tg.emu) != 0 {
			t.Error("a read was sent without a token")
		}

		// ReleaseBatchTokens deletes what the client made; the next read makes another.
		tg.emu.ResetRequests()
		if err := c.ReleaseBatchTokens(ctx); err != nil {
			t.Fatal(err)
		}
		if n := tg.emu.CountRequests(http.MethodDelete, "/batch/"); n != 1 {
			t.Errorf("ReleaseBatchTokens sent %d deletions, want 1", n)
		}
		if err := c.ReleaseBatchTokens(ctx); err != nil || tg.emu.CountRequests(http.MethodDelete, "/batch/") != 1 {
			t.Errorf("a second ReleaseBatchTokens: %v", err)
		}
		must(c.ListBatchSpacesPage(ctx, tg.ws, 1, nil))(t)
		if n := signatureCreates(tg.emu); n != 1 {
			t.Errorf("after ReleaseBatchTokens, %d tokens made, want 1", n)
		}
	})
}

// deleteAsAdmin deletes a signature token of the demo workspace with the emulator's credential,
// outside any client.
func deleteAsAdmin(t *testing.T, tg *target, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, tg.baseURL+"/batch/"+tg.ws+"/signature_tokens/"+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(tg.cred.Token, tg.cred.Secret)
	resp, err := tg.emu.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// BenchmarkListBatchReportsLargeWorkspace lists the 10,010 reports of a workspace of 50
// generated spaces (WithGeneratedReports) through the Metadata API, uncached, and reports the
// requests each listing costs (ceil(10,010/1,000) = 11; the signature token is made once).
func BenchmarkListBatchReportsLargeWorkspace(b *testing.B) {
	emu := modetest.NewServer(b, modetest.WithRateLimit(0, 0), modetest.WithGeneratedReports(50, 200))
	c, err := modeclient.New(emu.URL, modeclient.Credential{Token: emu.Token, Secret: emu.Secret}, modeclient.WithHTTPClient(emu.Client()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if _, err := c.ListBatchReportsPage(ctx, modetest.DemoWorkspace, 1, &modeclient.BatchOptions{PerPage: 1}); err != nil {
		b.Fatal(err) // the signature token, made once
	}
	emu.ResetRequests()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for _, err := range c.ListBatchReports(ctx, modetest.DemoWorkspace, nil) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n), "reports/op")
	b.ReportMetric(float64(batchGETs(emu))/float64(b.N), "requests/op")
}
