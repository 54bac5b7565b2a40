package modeclient_test

// The client's contract suite. Every test runs against the Mode emulator (modetest); the
// read-only ones also run against real Mode when MODE_API_TOKEN, MODE_API_SECRET and
// MODE_WORKSPACE are set (MODE_BASE_URL optional, default https://app.mode.com):
//
//	MODE_API_TOKEN=… MODE_API_SECRET=… MODE_WORKSPACE=… go test ./modeclient -run Contract -v
//
// Against real Mode the suite finds its objects by listing (the first space holding a report,
// that report's last successful run, …), paces its requests under Mode's rate limit and never
// prints the credential. Tests that write, or that inject faults or count requests (which needs
// the emulator), skip there and say why.

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// Environment variables that point the read-only contract tests at real Mode.
const (
	envToken       = "MODE_API_TOKEN"
	envSecret      = "MODE_API_SECRET"
	envWorkspace   = "MODE_WORKSPACE"
	envBaseURL     = "MODE_BASE_URL"
	defaultModeURL = "https://app.mode.com"
)

// Demo report indexes (modetest.Demo.Reports is in seed order).
const (
	salesReports     = 5  // Demo.Reports[0:5] are in the Sales space
	execSummaryIndex = 8  // "Executive Summary": three queries, in the restricted Executive space
	scratchpadIndex  = 11 // "Scratchpad": archived, in the Personal space
	seededReports    = 12 // demo reports before "Big table" and the generated ones
)

// paramRegion and paramMinTotal are the parameters the suite runs Demo.ParamReport with; its SQL
// filters on both, so every result row must honour them.
const (
	paramRegion   = "West"
	paramMinTotal = 500
)

// paramReportColumns are the columns of Demo.ParamReport's query, in SELECT order.
var paramReportColumns = []string{"order_id", "account", "region", "occurred_at", "total", "total_amt_usd"}

// access says what a contract test needs from its target, and so whether it may run against
// real Mode.
type access int

const (
	readOnly      access = iota // only reads: runs against real Mode too
	mutates                     // creates, changes or deletes objects
	injectsFaults               // needs the emulator's fault injection or request log
)

// skipReason is why a test with this access must not run against real Mode ("" if it may).
func (a access) skipReason() string {
	switch a {
	case mutates:
		return "this test writes (creates, changes or deletes objects) and would mutate the real workspace"
	case injectsFaults:
		return "this test injects faults or counts upstream requests, which needs the emulator"
	}
	return ""
}

// target is one Mode the suite runs against: the emulator or real Mode.
type target struct {
	name    string // "emulator" or "mode"
	ws      string // workspace username
	baseURL string
	cred    modeclient.Credential
	hc      *http.Client
	emu     *modetest.Server // nil against real Mode

	fxOnce  sync.Once
	fx      fixtures
	fxErr   error
	seedRun bool // emulator: run Demo.ParamReport before discovery (see fixturesWithRun)
}

// emulatorDefaults are the options every emulator target starts with: no rate limit (the tests
// count requests instead) and quick runs. Options passed to forEachTarget come after them.
func emulatorDefaults() []modetest.Option {
	return []modetest.Option{modetest.WithRateLimit(0, 0), modetest.WithRunDuration(10 * time.Millisecond)}
}

// newEmulatorTarget starts an emulator for t (closed by t.Cleanup).
func newEmulatorTarget(t testing.TB, opts ...modetest.Option) *target {
	t.Helper()
	srv := modetest.NewServer(t, append(emulatorDefaults(), opts...)...)
	return &target{
		name: "emulator", ws: modetest.DemoWorkspace, baseURL: srv.URL,
		cred: modeclient.Credential{Token: srv.Token, Secret: srv.Secret},
		hc:   srv.Client(), emu: srv,
	}
}

// realMode is the process-wide real Mode target: one pacer and one discovery for all tests.
var realMode struct {
	once sync.Once
	tg   *target
}

// realModeTarget returns the real Mode target, or skips t when the environment does not name one.
func realModeTarget(t *testing.T) *target {
	t.Helper()
	token, secret, ws := os.Getenv(envToken), os.Getenv(envSecret), os.Getenv(envWorkspace)
	if token == "" || secret == "" || ws == "" {
		t.Skipf("real Mode not configured: set %s, %s and %s (and optionally %s) to run this against real Mode",
			envToken, envSecret, envWorkspace, envBaseURL)
	}
	realMode.once.Do(func() {
		base := os.Getenv(envBaseURL)
		if base == "" {
			base = defaultModeURL
		}
		realMode.tg = &target{
			name: "mode", ws: ws, baseURL: base,
			cred: modeclient.Credential{Token: token, Secret: secret},
			hc:   &http.Client{Transport: &pacedTransport{next: http.DefaultTransport, gap: 300 * time.Millisecond}},
		}
	})
	return realMode.tg
}

// pacedTransport spaces requests at least gap apart, whatever the tests' parallelism, so that the
// suite stays under Mode's limit of about 40 requests per 10 seconds per user.
type pacedTransport struct {
	next http.RoundTripper
	gap  time.Duration

	mu sync.Mutex
	at time.Time // earliest start of the next request
}

// RoundTrip waits for the request's slot, then sends it.
func (p *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p.mu.Lock()
	start := time.Now()
	if start.Before(p.at) {
		start = p.at
	}
	p.at = start.Add(p.gap)
	p.mu.Unlock()
	if d := time.Until(start); d > 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-tm.C:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return p.next.RoundTrip(req)
}

// forEachTarget runs fn as the subtests "emulator" (a fresh emulator with opts) and "mode" (real
// Mode, skipped unless configured and unless a says the test may not run there).
func forEachTarget(t *testing.T, a access, opts []modetest.Option, fn func(t *testing.T, tg *target)) {
	t.Helper()
	t.Run("emulator", func(t *testing.T) {
		t.Parallel()
		fn(t, newEmulatorTarget(t, opts...))
	})
	t.Run("mode", func(t *testing.T) {
		if reason := a.skipReason(); reason != "" {
			t.Skip("skipped against real Mode: " + reason)
		}
		tg := realModeTarget(t)
		t.Parallel()
		fn(t, tg)
	})
}

// client returns a client for the target. Against the emulator, retry waits without
// Retry-After are a few milliseconds.
func (tg *target) client(t testing.TB, opts ...modeclient.Option) *modeclient.Client {
	t.Helper()
	base := []modeclient.Option{modeclient.WithHTTPClient(tg.hc)}
	if tg.emu != nil {
		base = append(base, modeclient.WithBackoff(time.Millisecond, 5*time.Millisecond))
	}
	c, err := modeclient.New(tg.baseURL, tg.cred, append(base, opts...)...)
	if err != nil {
		t.Fatalf("modeclient.New: %v", err)
	}
	return c
}

// ctx returns a context for one test: it ends with the test, or after a generous deadline
// (longer against real Mode, whose requests are paced).
func (tg *target) ctx(t *testing.T) context.Context {
	d := time.Minute
	if tg.emu == nil {
		d = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// fixtures are the objects the read-only tests look at, found by listing.
type fixtures struct {
	Member     string // a member's username
	Group      string // a group's token; "" when the credential may not list groups
	DataSource string // a data source's token
	Space      string // the space holding Report
	Report     string // a report, preferably one with a successful run
	Query      string // a query of Report ("" if it has none)
	Run        string // Report's last successful run ("" if none)
	QueryRun   string // a succeeded query run of Run ("" if none)
}

// fixtures discovers the target's fixtures once. On the emulator it checks that discovery finds
// exactly the demo objects; the emulator starts without runs, so Run and QueryRun are found
// only after fixturesWithRun.
func (tg *target) fixtures(t *testing.T) fixtures {
	t.Helper()
	tg.fxOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		c := tg.client(t)
		var seeded string
		if tg.emu != nil && tg.seedRun {
			run, err := c.RunReport(ctx, tg.ws, tg.emu.Demo().ParamReport, paramValues())
			if err != nil {
				tg.fxErr = fmt.Errorf("seeding a run: %w", err)
				return
			}
			if _, err := pollRun(ctx, c, tg.ws, tg.emu.Demo().ParamReport, run.Token); err != nil {
				tg.fxErr = fmt.Errorf("seeding a run: %w", err)
				return
			}
			seeded = run.Token
		}
		tg.fx, tg.fxErr = discover(ctx, c, tg.ws)
		if tg.fxErr == nil && tg.emu != nil {
			d := tg.emu.Demo()
			want := fixtures{
				Member: d.Members[0], Group: d.Groups[0], DataSource: d.DataSource, Space: d.Spaces[0],
				// Without runs: the Sales report updated last (lists are newest first), or one
				// of the generated reports that WithExtraReports adds to Sales.
				Report: d.Reports[salesReports-1], Query: tg.fx.Query,
			}
			if len(d.Reports) > seededReports && slices.Contains(d.Reports[seededReports:], tg.fx.Report) {
				want.Report = tg.fx.Report
			}
			if seeded != "" {
				want.Report, want.Run, want.QueryRun = d.ParamReport, seeded, tg.fx.QueryRun
			}
			if tg.fx != want || tg.fx.Query == "" || (seeded != "" && tg.fx.QueryRun == "") {
				tg.fxErr = fmt.Errorf("discovery on the emulator found %+v, want %+v", tg.fx, want)
			}
		}
	})
	if tg.fxErr != nil {
		t.Fatalf("discovering fixtures on %s: %v", tg.name, tg.fxErr)
	}
	return tg.fx
}

// fixturesWithRun is fixtures for tests that read a finished run. On the emulator it first runs
// Demo.ParamReport with the suite's parameters, so that discovery finds that run by listing as
// it would in a real workspace; it must be the target's first call for fixtures. It skips the
// test when real Mode's workspace has no successful run to read.
func (tg *target) fixturesWithRun(t *testing.T) fixtures {
	t.Helper()
	if tg.emu != nil {
		tg.seedRun = true // an emulator target belongs to one test; the real one is shared
	}
	fx := tg.fixtures(t)
	if tg.emu != nil && fx.Run == "" {
		t.Fatal("fixturesWithRun called after fixtures on the same emulator")
	}
	need(t, "report with a successful run", fx.Run)
	need(t, "succeeded query run", fx.QueryRun)
	return fx
}

// finishedRun runs the demo's archived "Scratchpad" report, whose one query is cheap (SQL is
// slow under -race), waits until it succeeded and returns its report, run and query run tokens.
// For emulator tests that need some finished run but not the parameterised one.
func (tg *target) finishedRun(t *testing.T) (report, run, queryRun string) {
	t.Helper()
	ctx, c := tg.ctx(t), tg.client(t)
	report = tg.emu.Demo().Reports[scratchpadIndex]
	r := waitRun(t, ctx, c, tg.ws, report, must(c.RunReport(ctx, tg.ws, report, nil))(t).Token)
	qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, report, r.Token, nil))
	if r.State != "succeeded" || len(qrs) != 1 {
		t.Fatalf("run of Scratchpad: %+v with %d query runs", r, len(qrs))
	}
	return report, r.Token, qrs[0].Token
}

// discover finds one object of each kind by listing, as a person exploring the workspace would:
// the first member, group and data source; among the first spaces, the first report with a
// successful run (else the first report); its first query; a succeeded query run of that run.
func discover(ctx context.Context, c *modeclient.Client, ws string) (fixtures, error) {
	var fx fixtures
	few := &modeclient.ListOptions{PerPage: 10}
	mp, err := c.ListMembershipsPage(ctx, ws, 1, few)
	if err != nil {
		return fx, fmt.Errorf("listing memberships: %w", err)
	}
	if len(mp.Items) > 0 {
		fx.Member = mp.Items[0].MemberUsername
	}
	gp, err := c.ListGroupsPage(ctx, ws, 1, few)
	switch {
	case isStatus(err, http.StatusForbidden): // some plans and tokens may not list groups
	case err != nil:
		return fx, fmt.Errorf("listing groups: %w", err)
	case len(gp.Items) > 0:
		fx.Group = gp.Items[0].Token
	}
	dp, err := c.ListDataSourcesPage(ctx, ws, 1, few)
	if err != nil {
		return fx, fmt.Errorf("listing data sources: %w", err)
	}
	if len(dp.Items) > 0 {
		fx.DataSource = dp.Items[0].Token
	}
	seen := 0
spaces:
	for s, err := range c.ListSpaces(ctx, ws, nil) {
		if err != nil {
			return fx, fmt.Errorf("listing spaces: %w", err)
		}
		if seen++; seen > 10 {
			break
		}
		rp, err := c.ListSpaceReportsPage(ctx, ws, s.Token, 1, &modeclient.ListReportsOptions{ListOptions: modeclient.ListOptions{PerPage: 50}})
		if isStatus(err, http.StatusForbidden) {
			continue
		}
		if err != nil {
			return fx, fmt.Errorf("listing a space's reports: %w", err)
		}
		for _, r := range rp.Items {
			if fx.Report == "" {
				fx.Space, fx.Report = s.Token, r.Token
			}
			if r.LastSuccessfulRunToken != "" {
				fx.Space, fx.Report, fx.Run = s.Token, r.Token, r.LastSuccessfulRunToken
				break spaces
			}
		}
	}
	if fx.Report == "" {
		return fx, nil
	}
	qp, err := c.ListQueriesPage(ctx, ws, fx.Report, 1, few)
	if err != nil {
		return fx, fmt.Errorf("listing a report's queries: %w", err)
	}
	if len(qp.Items) > 0 {
		fx.Query = qp.Items[0].Token
	}
	if fx.Run == "" {
		return fx, nil
	}
	qrp, err := c.ListQueryRunsPage(ctx, ws, fx.Report, fx.Run, 1, few)
	if err != nil {
		return fx, fmt.Errorf("listing a run's query runs: %w", err)
	}
	for _, qr := range qrp.Items {
		if qr.State == "succeeded" {
			fx.QueryRun = qr.Token
			break
		}
	}
	return fx, nil
}

// need skips t when a fixture the test needs was not found in the target's workspace.
func need(t *testing.T, what, token string) {
	t.Helper()
	if token == "" {
		t.Skipf("the workspace has no %s to test with", what)
	}
}

// --- small helpers -----------------------------------------------------------

// must returns v, or fails the test with err: must(c.GetReport(ctx, ws, r))(t).
func must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// collect drains a list iterator, failing the test on its error.
func collect[T any](t testing.TB, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("listing: %v", err)
		}
		out = append(out, v)
	}
	return out
}

// tokensOf maps items to their keys.
func tokensOf[T any](items []T, key func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = key(it)
	}
	return out
}

// The keys of list items, for tokensOf: tokens, and usernames for memberships.

func reportToken(r modeclient.Report) string         { return r.Token }
func spaceToken(s modeclient.Space) string           { return s.Token }
func runToken(r modeclient.ReportRun) string         { return r.Token }
func queryRunToken(q modeclient.QueryRun) string     { return q.Token }
func queryToken(q modeclient.Query) string           { return q.Token }
func groupToken(g modeclient.Group) string           { return g.Token }
func dataSourceToken(d modeclient.DataSource) string { return d.Token }
func memberName(m modeclient.Membership) string      { return m.MemberUsername }

// assertUnique fails when a token appears twice.
func assertUnique(t testing.TB, what string, tokens []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, tok := range tokens {
		if seen[tok] {
			t.Errorf("%s: %s listed twice", what, tok)
		}
		seen[tok] = true
	}
}

// assertSameSet fails unless got and want hold the same tokens (in any order).
func assertSameSet(t testing.TB, what string, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, g, w)
	}
}

// isStatus reports whether err is an *APIError with this status.
func isStatus(err error, status int) bool {
	var ae *modeclient.APIError
	return errors.As(err, &ae) && ae.StatusCode == status
}

// wantAPIError fails unless err is an *APIError with this status, and returns it.
func wantAPIError(t testing.TB, err error, status int) *modeclient.APIError {
	t.Helper()
	var ae *modeclient.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want *modeclient.APIError %d", err, err, status)
	}
	if ae.StatusCode != status {
		t.Fatalf("status = %d (%v), want %d", ae.StatusCode, ae, status)
	}
	return ae
}

// paramValues are the run parameters of Demo.ParamReport used throughout the suite.
func paramValues() map[string]any {
	return map[string]any{"region": paramRegion, "min_total": paramMinTotal}
}

// pollRun polls GetReportRun until the run is finished or ctx ends.
func pollRun(ctx context.Context, c *modeclient.Client, ws, report, run string) (*modeclient.ReportRun, error) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := c.GetReportRun(ctx, ws, report, run)
		if err != nil {
			return nil, err
		}
		if r.Finished() {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("run %s still %s: %w", run, r.State, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitRun is pollRun failing the test on error.
func waitRun(t testing.TB, ctx context.Context, c *modeclient.Client, ws, report, run string) *modeclient.ReportRun {
	t.Helper()
	r, err := pollRun(ctx, c, ws, report, run)
	if err != nil {
		t.Fatalf("waiting for run: %v", err)
	}
	return r
}

// apiPath is an emulator API path of the demo workspace: apiPath("reports", tok).
func apiPath(parts ...string) string {
	return "/api/" + modetest.DemoWorkspace + "/" + strings.Join(parts, "/")
}

// requestsTo counts the emulator's logged requests with this method and exactly this path
// (CountRequests matches prefixes, and a report's path prefixes its runs' paths).
func requestsTo(emu *modetest.Server, method, path string) int {
	n := 0
	for _, r := range emu.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// basicUser returns the user (API token) of a logged request's Basic auth.
func basicUser(r modetest.Request) string {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !ok {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	user, _, _ := strings.Cut(string(raw), ":")
	return user
}

// --- results -----------------------------------------------------------------

// resultSet is one query run's result read in the three ways the client offers.
type resultSet struct {
	header    []string         // QueryResultsCSV's header row
	csv       [][]string       // its data rows
	json      []map[string]any // QueryResultsJSON's row objects (numbers as json.Number)
	cols      []string         // QueryResultRows' columns
	rows      []modeclient.Row // its rows
	truncated bool             // a reader stopped at the row limit
}

// readResults reads a query run's result as CSV, raw JSON and rows, each up to limit rows, and
// checks that the three agree on columns and (when complete) row count.
func readResults(t *testing.T, ctx context.Context, c *modeclient.Client, ws, report, run, queryRun string, limit int) resultSet {
	t.Helper()
	var rs resultSet

	body, err := c.QueryResultsCSV(ctx, ws, report, run, queryRun)
	if err != nil {
		t.Fatalf("QueryResultsCSV: %v", err)
	}
	cr := csv.NewReader(body)
	for len(rs.csv) < limit {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			body.Close()
			t.Fatalf("reading CSV: %v", err)
		}
		if rs.header == nil {
			rs.header = rec
			continue
		}
		rs.csv = append(rs.csv, rec)
	}
	rs.truncated = len(rs.csv) == limit
	body.Close()
	if len(rs.header) == 0 {
		t.Fatalf("CSV result has no header row")
	}

	body, err = c.QueryResultsJSON(ctx, ws, report, run, queryRun)
	if err != nil {
		t.Fatalf("QueryResultsJSON: %v", err)
	}
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		body.Close()
		t.Fatalf("JSON result does not start an array: %v %v", tok, err)
	}
	for dec.More() && len(rs.json) < limit {
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			body.Close()
			t.Fatalf("decoding JSON row %d: %v", len(rs.json)+1, err)
		}
		rs.json = append(rs.json, row)
	}
	rs.truncated = rs.truncated || len(rs.json) == limit
	body.Close()

	rr, err := c.QueryResultRows(ctx, ws, report, run, queryRun)
	if err != nil {
		t.Fatalf("QueryResultRows: %v", err)
	}
	rs.cols = rr.Columns()
	for row, err := range rr.All() {
		if err != nil {
			rr.Close()
			t.Fatalf("QueryResultRows row %d: %v", len(rs.rows)+1, err)
		}
		rs.rows = append(rs.rows, row)
		if len(rs.rows) == limit {
			rs.truncated = true
			break
		}
	}
	rr.Close()

	if len(rs.rows) > 0 && !slices.Equal(rs.cols, rs.header) {
		t.Errorf("row reader columns %v, CSV header %v", rs.cols, rs.header)
	}
	for i, row := range rs.json {
		if len(row) != len(rs.header) {
			t.Errorf("JSON row %d has %d keys, CSV has %d columns", i+1, len(row), len(rs.header))
			break
		}
	}
	if !rs.truncated && (len(rs.json) != len(rs.csv) || len(rs.rows) != len(rs.csv)) {
		t.Errorf("row counts differ: CSV %d, JSON %d, rows %d", len(rs.csv), len(rs.json), len(rs.rows))
	}
	return rs
}

// assertParamRows checks that a result of Demo.ParamReport honours the suite's parameters in
// all three forms: every row is of paramRegion with a total of at least paramMinTotal.
func assertParamRows(t *testing.T, rs resultSet) {
	t.Helper()
	if !slices.Equal(rs.header, paramReportColumns) {
		t.Fatalf("CSV header = %v, want %v", rs.header, paramReportColumns)
	}
	if len(rs.csv) == 0 || len(rs.csv) > 100 {
		t.Fatalf("CSV has %d rows, want 1..100 (the query has LIMIT 100)", len(rs.csv))
	}
	region, total := slices.Index(rs.header, "region"), slices.Index(rs.header, "total_amt_usd")
	for i, rec := range rs.csv {
		usd, err := strconv.ParseFloat(rec[total], 64)
		if rec[region] != paramRegion || err != nil || usd < paramMinTotal {
			t.Fatalf("CSV row %d = %v: want region %s and total_amt_usd >= %d", i+1, rec, paramRegion, paramMinTotal)
		}
	}
	for i, row := range rs.json {
		if row["region"] != paramRegion {
			t.Fatalf("JSON row %d region = %v, want %s", i+1, row["region"], paramRegion)
		}
		if n, ok := row["order_id"].(json.Number); !ok || n.String() != rs.csv[i][0] {
			t.Fatalf("JSON row %d order_id = %v, CSV says %s", i+1, row["order_id"], rs.csv[i][0])
		}
	}
	for i, row := range rs.rows {
		if row[region] != paramRegion {
			t.Fatalf("row %d region = %v, want %s", i+1, row[region], paramRegion)
		}
	}
}

// --- read-only tests (emulator and real Mode) ----------------------------------

// TestContractWorkspace covers GetWorkspace, ListMemberships/GetMembership and
// ListGroups/GetGroup.
func TestContractWorkspace(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)

		t.Run("GetWorkspace", func(t *testing.T) {
			w := must(c.GetWorkspace(ctx, tg.ws))(t)
			if w.Username != tg.ws || w.Token == "" || w.Name == "" || w.CreatedAt.IsZero() {
				t.Errorf("workspace = %+v: want username %s, a token, a name and created_at", w, tg.ws)
			}
			if tg.emu != nil {
				if w.Name != "Parch & Posey" || w.SpaceCount != 4 || w.DataSourceCount != 1 ||
					w.DefaultDataSourceToken != tg.emu.Demo().DataSource || w.WebURL() == "" {
					t.Errorf("demo workspace = %+v", w)
				}
			}
		})

		t.Run("Memberships", func(t *testing.T) {
			need(t, "membership", fx.Member)
			ms := collect(t, c.ListMemberships(ctx, tg.ws, nil))
			names := tokensOf(ms, memberName)
			assertUnique(t, "memberships", names)
			if !slices.Contains(names, fx.Member) {
				t.Fatalf("memberships %v lack %s", names, fx.Member)
			}
			m := must(c.GetMembership(ctx, tg.ws, fx.Member))(t)
			listed := ms[slices.Index(names, fx.Member)]
			if m.MemberUsername != fx.Member || m.MemberToken != listed.MemberToken || m.Admin != listed.Admin || m.State == "" {
				t.Errorf("GetMembership = %+v, listed as %+v", m, listed)
			}
			if tg.emu != nil {
				assertSameSet(t, "members", names, tg.emu.Demo().Members)
				byToken := must(c.GetMembership(ctx, tg.ws, m.MemberToken))(t) // Mode takes the token too
				if byToken.MemberUsername != fx.Member {
					t.Errorf("GetMembership by token = %+v", byToken)
				}
			}
		})

		t.Run("Groups", func(t *testing.T) {
			need(t, "group (or the credential may not list groups)", fx.Group)
			gs := collect(t, c.ListGroups(ctx, tg.ws, nil))
			toks := tokensOf(gs, groupToken)
			assertUnique(t, "groups", toks)
			g := must(c.GetGroup(ctx, tg.ws, fx.Group))(t)
			if g.Token != fx.Group || g.Name == "" || !slices.Contains(toks, g.Token) {
				t.Errorf("GetGroup = %+v, listed %v", g, toks)
			}
			if tg.emu != nil {
				assertSameSet(t, "groups", toks, tg.emu.Demo().Groups)
				if g.Name != "Everyone" || g.MemberCount != 5 || g.GroupType != "everyone" {
					t.Errorf("the Everyone group = %+v", g)
				}
			}
		})
	})
}

// TestContractSpaces covers ListSpaces with and without filter=all and GetSpace.
func TestContractSpaces(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)
		need(t, "space with a report", fx.Space)

		def := tokensOf(collect(t, c.ListSpaces(ctx, tg.ws, nil)), spaceToken)
		allSpaces := collect(t, c.ListSpaces(ctx, tg.ws, &modeclient.ListSpacesOptions{Filter: "all"}))
		all := tokensOf(allSpaces, spaceToken)
		assertUnique(t, "spaces", def)
		assertUnique(t, "spaces (filter all)", all)
		for _, s := range def {
			if !slices.Contains(all, s) {
				t.Errorf("space %s is listed by default but not with filter=all", s)
			}
		}
		s := must(c.GetSpace(ctx, tg.ws, fx.Space))(t)
		if s.Token != fx.Space || s.Name == "" || s.SpaceType == "" || !slices.Contains(def, s.Token) {
			t.Errorf("GetSpace = %+v", s)
		}
		if tg.emu != nil {
			d := tg.emu.Demo()
			restricted := d.Spaces[2] // "Executive": restricted and not joined
			assertSameSet(t, "spaces", def, []string{d.Spaces[0], d.Spaces[1], d.Spaces[3]})
			assertSameSet(t, "spaces (filter all)", all, d.Spaces)
			exec := must(c.GetSpace(ctx, tg.ws, restricted))(t)
			if !bool(exec.Restricted) || exec.Name != "Executive" || exec.DefaultAccessLevel != "restricted" {
				t.Errorf("restricted space = %+v", exec)
			}
			if p := must(c.GetSpace(ctx, tg.ws, d.Spaces[3]))(t); p.SpaceType != "private" {
				t.Errorf("personal space = %+v", p)
			}
			if s.Name != "Sales" || s.WebURL() == "" {
				t.Errorf("Sales space = %+v", s)
			}
		}
	})
}

// TestContractDataSources covers ListDataSources, GetDataSource and ListDataSourceReports with
// its filter and ordering options.
func TestContractDataSources(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)
		need(t, "data source", fx.DataSource)

		dss := collect(t, c.ListDataSources(ctx, tg.ws, nil))
		assertUnique(t, "data sources", tokensOf(dss, dataSourceToken))
		ds := must(c.GetDataSource(ctx, tg.ws, fx.DataSource))(t)
		if ds.Token != fx.DataSource || ds.ID == 0 || ds.Adapter == "" || ds.Name == "" {
			t.Errorf("GetDataSource = %+v", ds)
		}
		if tg.emu != nil {
			if len(dss) != 1 || ds.ID != 4001 || ds.Adapter != "jdbc:postgresql" || ds.Database != "parch_and_posey" || ds.Port != 5432 {
				t.Errorf("demo data sources = %+v", dss)
			}
		}

		list := func(o *modeclient.ListReportsOptions) []modeclient.Report {
			t.Helper()
			return collect(t, c.ListDataSourceReports(ctx, tg.ws, fx.DataSource, o))
		}
		def, all := list(nil), list(&modeclient.ListReportsOptions{Filter: "all"})
		archived := list(&modeclient.ListReportsOptions{Filter: "archived"})
		for _, r := range archived {
			if !r.Archived {
				t.Errorf("filter=archived listed unarchived report %s", r.Token)
			}
		}
		for _, r := range def {
			if r.Archived {
				t.Errorf("the default filter listed archived report %s", r.Token)
			}
		}
		if len(all) < len(def) || len(all) < len(archived) {
			t.Errorf("filter=all lists %d reports, default %d, archived %d", len(all), len(def), len(archived))
		}
		asc := list(&modeclient.ListReportsOptions{Order: "asc", OrderBy: "created_at"})
		assertOrdered(t, "created_at asc", asc, func(r modeclient.Report) time.Time { return r.CreatedAt.Time }, false)
		if tg.emu != nil {
			d := tg.emu.Demo()
			// Every demo report queries the one data source; only Scratchpad is archived.
			want := slices.Delete(slices.Clone(d.Reports), scratchpadIndex, scratchpadIndex+1)
			assertSameSet(t, "data source reports", tokensOf(def, reportToken), want)
			assertSameSet(t, "data source reports (all)", tokensOf(all, reportToken), d.Reports)
			assertSameSet(t, "data source reports (archived)", tokensOf(archived, reportToken), d.Reports[scratchpadIndex:scratchpadIndex+1])
		}
	})
}

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

// pagedList adapts one of the client's lists to tokens, so that one table pages through all.
type pagedList struct {
	name   string
	needs  string   // the fixture token the list depends on ("-" for none); "" skips it
	path   string   // the list's API path, to find its requests in the emulator's log
	filter string   // its filter query parameter, if any
	per    int      // the page size it is listed with
	want   []string // emulator: the tokens it must yield (nil: only wantN is checked)
	wantN  int      // emulator: how many items it must yield
	page   func(ctx context.Context, page int) (tokenPage, error)
	all    func(ctx context.Context) iter.Seq2[string, error]
}

// tokenPage is a modeclient.Page reduced to tokens.
type tokenPage struct {
	tokens                       []string
	page, next, count, pageCount int
}

// asTokenPage returns a function reducing a ListXPage result to tokens:
// asTokenPage(key)(c.ListXPage(…)).
func asTokenPage[T any](key func(T) string) func(*modeclient.Page[T], error) (tokenPage, error) {
	return func(p *modeclient.Page[T], err error) (tokenPage, error) {
		if err != nil {
			return tokenPage{}, err
		}
		return tokenPage{tokens: tokensOf(p.Items, key), page: p.Page, next: p.NextPage, count: p.TotalCount, pageCount: p.TotalPages}, nil
	}
}

// asTokenSeq reduces an iterator to its tokens.
func asTokenSeq[T any](seq iter.Seq2[T, error], key func(T) string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for it, err := range seq {
			if err != nil {
				yield("", err)
				return
			}
			if !yield(key(it), nil) {
				return
			}
		}
	}
}

// pagedLists returns every list of the client with page sizes that make the emulator's lists
// span several pages (pageSize maps them, e.g. to 1 against real Mode). A page size equal to
// clientPer is left to the client's WithPerPage default.
func pagedLists(c *modeclient.Client, ws string, fx fixtures, clientPer int, pageSize func(int) int, execReport, execRun string) []pagedList {
	lo := func(per int) modeclient.ListOptions {
		if per == clientPer {
			return modeclient.ListOptions{}
		}
		return modeclient.ListOptions{PerPage: per}
	}
	var lists []pagedList
	add := func(l pagedList) {
		l.per = pageSize(l.per)
		lists = append(lists, l)
	}
	add(pagedList{name: "memberships", needs: "-", path: apiPath("memberships"), per: 2})
	add(pagedList{name: "groups", needs: fx.Group, path: apiPath("groups"), per: 1})
	add(pagedList{name: "spaces", needs: "-", path: apiPath("spaces"), per: 1})
	add(pagedList{name: "spaces filter=all", needs: "-", path: apiPath("spaces"), filter: "all", per: 1})
	add(pagedList{name: "data sources", needs: "-", path: apiPath("data_sources"), per: 1})
	add(pagedList{name: "space reports", needs: fx.Space, path: apiPath("spaces", fx.Space, "reports"), per: 7})
	add(pagedList{name: "data source reports", needs: fx.DataSource, path: apiPath("data_sources", fx.DataSource, "reports"), per: 10})
	add(pagedList{name: "report runs", needs: execReport, path: apiPath("reports", execReport, "runs"), per: 2})
	add(pagedList{name: "query runs", needs: execRun, path: apiPath("reports", execReport, "runs", execRun, "query_runs"), per: 1})
	add(pagedList{name: "queries", needs: execReport, path: apiPath("reports", execReport, "queries"), per: 1})
	for i := range lists {
		l := &lists[i]
		o := lo(l.per)
		switch l.name {
		case "memberships":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(memberName)(c.ListMembershipsPage(ctx, ws, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListMemberships(ctx, ws, nil), memberName) // the client's per_page
			}
		case "groups":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(groupToken)(c.ListGroupsPage(ctx, ws, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListGroups(ctx, ws, &o), groupToken)
			}
		case "spaces", "spaces filter=all":
			so := &modeclient.ListSpacesOptions{ListOptions: o, Filter: l.filter}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(spaceToken)(c.ListSpacesPage(ctx, ws, p, so))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListSpaces(ctx, ws, so), spaceToken)
			}
		case "data sources":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(dataSourceToken)(c.ListDataSourcesPage(ctx, ws, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListDataSources(ctx, ws, &o), dataSourceToken)
			}
		case "space reports":
			ro := &modeclient.ListReportsOptions{ListOptions: o}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(reportToken)(c.ListSpaceReportsPage(ctx, ws, fx.Space, p, ro))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListSpaceReports(ctx, ws, fx.Space, ro), reportToken)
			}
		case "data source reports":
			ro := &modeclient.ListReportsOptions{ListOptions: o}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(reportToken)(c.ListDataSourceReportsPage(ctx, ws, fx.DataSource, p, ro))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListDataSourceReports(ctx, ws, fx.DataSource, ro), reportToken)
			}
		case "report runs":
			ro := &modeclient.ListRunsOptions{ListOptions: o}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(runToken)(c.ListReportRunsPage(ctx, ws, execReport, p, ro))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListReportRuns(ctx, ws, execReport, ro), runToken)
			}
		case "query runs":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(queryRunToken)(c.ListQueryRunsPage(ctx, ws, execReport, execRun, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListQueryRuns(ctx, ws, execReport, execRun, &o), queryRunToken)
			}
		case "queries":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(queryToken)(c.ListQueriesPage(ctx, ws, execReport, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListQueries(ctx, ws, execReport, &o), queryToken)
			}
		}
	}
	return lists
}

// TestContractPaging pages through every list. On the emulator (with 20 extra reports and 5 runs
// of a three-query report) each list spans up to 4 pages: the iterator must yield every item
// exactly once, the request log must show exactly pages 1..n with per_page pinned, and ListXPage
// must report NextPage, TotalCount and TotalPages correctly, also past the end. Against real
// Mode, with one item per page, the first two pages must chain and not overlap.
func TestContractPaging(t *testing.T) {
	t.Parallel()
	const extra = 20
	// Hour-long runs: listing them needs no SQL executed (which is slow under -race).
	opts := []modetest.Option{modetest.WithExtraReports(extra), modetest.WithPerPage(3), modetest.WithRunDuration(time.Hour)}
	forEachTarget(t, readOnly, opts, func(t *testing.T, tg *target) {
		ctx, fx := tg.ctx(t), tg.fixtures(t)
		const clientPer = 2
		c := tg.client(t, modeclient.WithPerPage(clientPer))
		execReport, execRun := fx.Report, fx.Run
		var runs []string
		pageSize := func(n int) int { return 1 }
		if tg.emu != nil {
			pageSize = func(n int) int { return n }
			execReport = tg.emu.Demo().Reports[execSummaryIndex]
			for range 5 {
				runs = append(runs, must(c.RunReport(ctx, tg.ws, execReport, nil))(t).Token)
			}
			execRun = runs[0]
		}
		lists := pagedLists(c, tg.ws, fx, clientPer, pageSize, execReport, execRun)
		if tg.emu != nil {
			d := tg.emu.Demo()
			sales := append(slices.Clone(d.Reports[:salesReports]), d.Reports[seededReports:]...)
			unarchived := slices.Delete(slices.Clone(d.Reports), scratchpadIndex, scratchpadIndex+1)
			want := map[string][]string{
				"memberships": d.Members, "groups": d.Groups,
				"spaces": {d.Spaces[0], d.Spaces[1], d.Spaces[3]}, "spaces filter=all": d.Spaces,
				"data sources": {d.DataSource}, "space reports": sales, "data source reports": unarchived,
				"report runs": runs,
			}
			for i := range lists {
				lists[i].want = want[lists[i].name]
				lists[i].wantN = len(lists[i].want)
				if lists[i].want == nil {
					lists[i].wantN = 3 // the three queries of Executive Summary, and their query runs
				}
			}
			if len(sales) != salesReports+extra {
				t.Fatalf("the Sales space should hold %d reports, Demo has %d", salesReports+extra, len(sales))
			}
		}
		start := 0
		if tg.emu != nil {
			start = len(tg.emu.Requests())
		}
		for _, l := range lists {
			t.Run(l.name, func(t *testing.T) {
				t.Parallel()
				if tg.emu == nil {
					checkRealPaging(t, ctx, l)
					return
				}
				checkEmulatorPaging(t, ctx, tg.emu, start, l)
			})
		}
	})
}

// checkEmulatorPaging runs the full paging checks of one list against the emulator; requests
// logged before index start are not this list's.
func checkEmulatorPaging(t *testing.T, ctx context.Context, emu *modetest.Server, start int, l pagedList) {
	got := collect(t, l.all(ctx))
	assertUnique(t, l.name, got)
	if l.want != nil {
		assertSameSet(t, l.name, got, l.want)
	}
	if len(got) != l.wantN {
		t.Fatalf("%s yielded %d items, want %d", l.name, len(got), l.wantN)
	}
	pages := (l.wantN + l.per - 1) / l.per

	// The request log: exactly pages 1..n, each with per_page pinned.
	var asked []string
	for _, r := range emu.Requests()[start:] {
		q, _ := url.ParseQuery(r.RawQuery)
		if r.Method != http.MethodGet || r.Path != l.path || q.Get("filter") != l.filter {
			continue
		}
		if q.Get("per_page") != strconv.Itoa(l.per) {
			t.Errorf("request %s?%s does not pin per_page=%d", r.Path, r.RawQuery, l.per)
		}
		asked = append(asked, q.Get("page"))
	}
	var want []string
	for p := 1; p <= pages; p++ {
		want = append(want, strconv.Itoa(p))
	}
	if !slices.Equal(asked, want) {
		t.Errorf("iterating asked for pages %v, want %v", asked, want)
	}
	if l.name != "data sources" && pages < 3 {
		t.Errorf("%s spans only %d pages", l.name, pages)
	}

	// ListXPage: page numbers, NextPage and totals, including past the end.
	var paged []string
	for p := 1; p <= pages; p++ {
		tp, err := l.page(ctx, p)
		if err != nil {
			t.Fatalf("page %d: %v", p, err)
		}
		wantNext := p + 1
		if p == pages {
			wantNext = 0
		}
		if tp.page != p || tp.next != wantNext || tp.count != l.wantN || tp.pageCount != pages {
			t.Errorf("page %d: page %d, next %d, total %d in %d pages; want next %d, total %d in %d pages",
				p, tp.page, tp.next, tp.count, tp.pageCount, wantNext, l.wantN, pages)
		}
		if len(tp.tokens) != min(l.per, l.wantN-(p-1)*l.per) {
			t.Errorf("page %d has %d items", p, len(tp.tokens))
		}
		paged = append(paged, tp.tokens...)
	}
	if !slices.Equal(paged, got) {
		t.Errorf("pages %v differ from the iterator's %v", paged, got)
	}
	past, err := l.page(ctx, pages+1)
	if err != nil || len(past.tokens) != 0 || past.next != 0 {
		t.Errorf("past the last page: %+v, %v; want no items and no next page", past, err)
	}
	first, err := l.page(ctx, 0) // a page < 1 means 1
	if err != nil || first.page != 1 || len(got) > 0 && (len(first.tokens) == 0 || first.tokens[0] != got[0]) {
		t.Errorf("page 0: %+v, %v; want page 1", first, err)
	}
}

// checkRealPaging checks, against real Mode, that the first two one-item pages of a list chain.
func checkRealPaging(t *testing.T, ctx context.Context, l pagedList) {
	need(t, "object to list "+l.name+" of", l.needs)
	p1, err := l.page(ctx, 1)
	if isStatus(err, http.StatusForbidden) {
		t.Skipf("the credential may not list %s", l.name)
	}
	if err != nil {
		t.Fatalf("page 1: %v", err)
	}
	if len(p1.tokens) > 1 {
		t.Fatalf("page 1 has %d items with per_page=1", len(p1.tokens))
	}
	if p1.next == 0 {
		if p1.count > 1 {
			t.Errorf("page 1 has no next page, but Mode counts %d items", p1.count)
		}
		return
	}
	if p1.next != 2 {
		t.Fatalf("page 1's next page = %d, want 2", p1.next)
	}
	p2, err := l.page(ctx, 2)
	if err != nil {
		t.Fatalf("page 2: %v", err)
	}
	if len(p2.tokens) != 1 || slices.Contains(p1.tokens, p2.tokens[0]) {
		t.Errorf("page 2 = %v after page 1 = %v", p2.tokens, p1.tokens)
	}
}

// TestContractNotFoundAndUnauthorized covers Mode's own 404 for unknown tokens and 401 for
// wrong credentials, on both targets.
func TestContractNotFoundAndUnauthorized(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1)), tg.fixtures(t)
		const unknown = "0000deadbeef"

		t.Run("unknown tokens are 404", func(t *testing.T) {
			type call struct {
				name  string
				route string
				call  func() error
			}
			calls := []call{
				{"GetReport", "/api/{workspace}/reports/{report}", func() error { _, err := c.GetReport(ctx, tg.ws, unknown); return err }},
				{"GetSpace", "/api/{workspace}/spaces/{space}", func() error { _, err := c.GetSpace(ctx, tg.ws, unknown); return err }},
				{"GetDataSource", "/api/{workspace}/data_sources/{data_source}", func() error { _, err := c.GetDataSource(ctx, tg.ws, unknown); return err }},
			}
			if fx.Report != "" {
				calls = append(calls, call{"GetReportRun", "/api/{workspace}/reports/{report}/runs/{run}", func() error {
					_, err := c.GetReportRun(ctx, tg.ws, fx.Report, unknown)
					return err
				}})
			}
			for _, tc := range calls {
				ae := wantAPIError(t, tc.call(), http.StatusNotFound)
				if ae.ID != "not_found" || ae.Message == "" || ae.Route != tc.route || ae.Method != http.MethodGet {
					t.Errorf("%s: %+v", tc.name, ae)
				}
				if strings.Contains(ae.Error(), unknown) {
					t.Errorf("%s: the error quotes the requested token: %v", tc.name, ae)
				}
			}
			if tg.emu != nil {
				_, err := c.GetReport(ctx, tg.ws, unknown)
				if ae := wantAPIError(t, err, http.StatusNotFound); ae.Message != "Report not found" {
					t.Errorf("message = %q", ae.Message)
				}
				_, err = c.GetWorkspace(ctx, "no_such_workspace")
				wantAPIError(t, err, http.StatusNotFound)
			}
		})

		t.Run("wrong credentials are 401", func(t *testing.T) {
			wrong := modeclient.Credential{Token: tg.cred.Token, Secret: "not-the-secret-" + strconv.Itoa(len(tg.cred.Secret))}
			bad, err := modeclient.New(tg.baseURL, wrong, modeclient.WithHTTPClient(tg.hc), modeclient.WithMaxAttempts(1))
			if err != nil {
				t.Fatal(err)
			}
			_, err = bad.ListSpacesPage(ctx, tg.ws, 1, nil)
			ae := wantAPIError(t, err, http.StatusUnauthorized)
			if ae.ID != "unauthorized" || ae.Message == "" {
				t.Errorf("401: %+v", ae)
			}
			for _, secret := range []string{tg.cred.Token, tg.cred.Secret, wrong.Secret} {
				if strings.Contains(err.Error(), secret) {
					t.Fatal("the error reveals the credential")
				}
			}
		})
	})
}

// --- emulator-only tests: errors and retries -------------------------------------

// TestContractErrorStatuses injects every error status Mode answers into a GET and a POST and
// checks the *APIError: status, Mode's error id and message, Retry-After when sent, and the
// route template instead of the URL. The emulator's own rate limit gives a real 429.
func TestContractErrorStatuses(t *testing.T) {
	t.Parallel()
	const generic5xx = "Something went wrong on our end. Please retry later."
	cases := []struct {
		status     int
		retryAfter string
		wantID     string // "" = any non-empty id (Mode documents none for this status)
		wantMsg    string
		wantWait   time.Duration
	}{
		{http.StatusBadRequest, "", "bad_request", "Bad Request", 0},
		{http.StatusUnauthorized, "", "unauthorized", "Unauthorized. Please check your API token and secret.", 0},
		{http.StatusForbidden, "", "forbidden", "Forbidden", 0},
		{http.StatusNotFound, "", "not_found", "Not Found", 0},
		{http.StatusConflict, "", "", "Conflict", 0},
		{http.StatusUnprocessableEntity, "", "unprocessable_entity", "Unprocessable Entity", 0},
		{http.StatusTooManyRequests, "7", "rate_limited", "Rate limit exceeded. Please retry later.", 7 * time.Second},
		{http.StatusTooManyRequests, "", "rate_limited", "Rate limit exceeded. Please retry later.", 0},
		{http.StatusInternalServerError, "", "internal_server_error", generic5xx, 0},
		{http.StatusBadGateway, "", "bad_gateway", generic5xx, 0},
		{http.StatusServiceUnavailable, "30", "service_unavailable", "Service temporarily unavailable. Please retry later.", 30 * time.Second},
		{http.StatusGatewayTimeout, "", "gateway_timeout", generic5xx, 0},
	}
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1))
		report := tg.emu.Demo().Reports[0]
		calls := []struct {
			method, path, route string
			call                func() error
		}{
			{http.MethodGet, apiPath("reports", report), "/api/{workspace}/reports/{report}", func() error {
				_, err := c.GetReport(ctx, tg.ws, report)
				return err
			}},
			{http.MethodPost, apiPath("spaces"), "/api/{workspace}/spaces", func() error {
				_, err := c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "Never created"})
				return err
			}},
		}
		// Sequential: the faults are the emulator's, shared by everything running on it.
		for _, tc := range cases {
			for _, call := range calls {
				t.Run(fmt.Sprintf("%d_RA%s_%s", tc.status, tc.retryAfter, call.method), func(t *testing.T) {
					before := requestsTo(tg.emu, call.method, call.path)
					tg.emu.AddFault(modetest.Fault{Method: call.method, Path: call.path, Times: 1, Status: tc.status, RetryAfter: tc.retryAfter})
					err := call.call()
					ae := wantAPIError(t, err, tc.status)
					if (tc.wantID != "" && ae.ID != tc.wantID) || ae.ID == "" {
						t.Errorf("id = %q, want %q", ae.ID, tc.wantID)
					}
					if ae.Message != tc.wantMsg {
						t.Errorf("message = %q, want %q", ae.Message, tc.wantMsg)
					}
					if ae.RetryAfter != tc.wantWait {
						t.Errorf("RetryAfter = %v, want %v", ae.RetryAfter, tc.wantWait)
					}
					if ae.Method != call.method || ae.Route != call.route || strings.Contains(ae.Error(), report) {
						t.Errorf("error names %s %s (%v), want the route %s", ae.Method, ae.Route, ae, call.route)
					}
					if n := requestsTo(tg.emu, call.method, call.path) - before; n != 1 {
						t.Errorf("%d requests, want 1", n)
					}
				})
			}
		}
		if spaces := collect(t, c.ListSpaces(ctx, tg.ws, &modeclient.ListSpacesOptions{Filter: "all"})); len(spaces) != 4 {
			t.Errorf("a failed CreateSpace created a space: %d spaces", len(spaces))
		}
	})

	t.Run("emulator rate limit", func(t *testing.T) {
		t.Parallel()
		tg := newEmulatorTarget(t, modetest.WithRateLimit(2, time.Minute))
		ctx, c := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1))
		for range 2 {
			must(c.GetWorkspace(ctx, tg.ws))(t)
		}
		_, err := c.GetWorkspace(ctx, tg.ws)
		ae := wantAPIError(t, err, http.StatusTooManyRequests)
		if ae.ID != "rate_limited" || ae.RetryAfter <= 0 || ae.RetryAfter > time.Minute || !ae.Temporary() {
			t.Errorf("rate limited: %+v", ae)
		}
	})
}

// TestContractUndecodableAndDropped covers a malformed 2xx body (*DecodeError, without body
// bytes in the message), a dropped connection and a body cut off mid-way (*TransportError),
// for objects, lists and streamed results.
func TestContractUndecodableAndDropped(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1))
		var fx fixtures
		fx.Report, fx.Run, fx.QueryRun = tg.finishedRun(t)
		d := tg.emu.Demo()
		getReport := func(i int) func() error {
			return func() error { _, err := c.GetReport(ctx, tg.ws, d.Reports[i]); return err }
		}
		csvPath := apiPath("reports", fx.Report, "runs", fx.Run, "query_runs", fx.QueryRun, "results", "content.csv")
		readCSV := func() error {
			body, err := c.QueryResultsCSV(ctx, tg.ws, fx.Report, fx.Run, fx.QueryRun)
			if err != nil {
				return err
			}
			defer body.Close()
			_, err = csv.NewReader(body).ReadAll()
			return err
		}
		cases := []struct {
			name  string
			fault modetest.Fault
			call  func() error
			want  any // pointer to the error type errors.As must find
		}{
			{"malformed object", modetest.Fault{Path: apiPath("reports", d.Reports[0]), Malformed: true}, getReport(0), new(*modeclient.DecodeError)},
			{"malformed list", modetest.Fault{Path: apiPath("groups"), Malformed: true}, func() error {
				_, err := c.ListGroupsPage(ctx, tg.ws, 1, nil)
				return err
			}, new(*modeclient.DecodeError)},
			{"dropped GET", modetest.Fault{Path: apiPath("reports", d.Reports[1]), Drop: true}, getReport(1), new(*modeclient.TransportError)},
			{"dropped POST", modetest.Fault{Path: apiPath("reports", d.Reports[2], "runs"), Drop: true}, func() error {
				_, err := c.RunReport(ctx, tg.ws, d.Reports[2], nil)
				return err
			}, new(*modeclient.TransportError)},
			{"truncated object", modetest.Fault{Path: apiPath("reports", d.Reports[3]), Truncate: true}, getReport(3), new(*modeclient.TransportError)},
			{"truncated CSV stream", modetest.Fault{Path: csvPath, Truncate: true}, readCSV, new(*modeclient.TransportError)},
			{"malformed JSON result", modetest.Fault{Path: strings.TrimSuffix(csvPath, "csv") + "json", Malformed: true}, func() error {
				rr, err := c.QueryResultRows(ctx, tg.ws, fx.Report, fx.Run, fx.QueryRun)
				if err != nil {
					return err
				}
				defer rr.Close()
				for _, err := range rr.All() {
					if err != nil {
						return err
					}
				}
				return nil
			}, new(*modeclient.DecodeError)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel() // each case faults its own path
				tg.emu.AddFault(tc.fault)
				err := tc.call()
				if err == nil {
					t.Fatal("no error")
				}
				if !errors.As(err, tc.want) {
					t.Fatalf("error = %v (%T), want %T", err, err, tc.want)
				}
				var ae *modeclient.APIError
				if errors.As(err, &ae) {
					t.Errorf("also an APIError: %v", err)
				}
				if strings.Contains(err.Error(), "<html>") || strings.Contains(err.Error(), tg.baseURL) {
					t.Errorf("error quotes the body or the URL: %v", err)
				}
			})
		}
	})
}

// retryRecorder collects the client's RetryEvents.
type retryRecorder struct {
	mu     sync.Mutex
	events []modeclient.RetryEvent
}

// observe is the WithRetryObserver callback.
func (r *retryRecorder) observe(_ context.Context, ev modeclient.RetryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// get returns the events so far.
func (r *retryRecorder) get() []modeclient.RetryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// TestContractRetries checks the retry policy against the emulator's faults, by the request
// log: what is retried, what is not, and that deadlines and long Retry-After values stop it.
func TestContractRetries(t *testing.T) {
	t.Parallel()
	// Extra reports, so that every case faults the paths of a report of its own; hour-long runs,
	// so that the runs started by successful POSTs execute no SQL.
	opts := []modetest.Option{modetest.WithExtraReports(10), modetest.WithRunDuration(time.Hour)}
	forEachTarget(t, injectsFaults, opts, func(t *testing.T, tg *target) {
		d := tg.emu.Demo()
		type outcome struct {
			err      error
			requests int
			events   []modeclient.RetryEvent
		}
		// run injects f on the path of method, calls call with a fresh client and reports what happened.
		run := func(t *testing.T, ctx context.Context, method, path string, f modetest.Fault, opts []modeclient.Option,
			call func(ctx context.Context, c *modeclient.Client) error) outcome {
			rec := &retryRecorder{}
			// Without keep-alives: net/http itself resends an idempotent request whose reused
			// connection fails, which would hide (or double) the client's own retries.
			tr := &http.Transport{DisableKeepAlives: true}
			t.Cleanup(tr.CloseIdleConnections)
			base := []modeclient.Option{modeclient.WithHTTPClient(&http.Client{Transport: tr}), modeclient.WithRetryObserver(rec.observe)}
			c := tg.client(t, append(base, opts...)...)
			f.Method, f.Path = method, path
			tg.emu.AddFault(f)
			err := call(ctx, c)
			return outcome{err: err, requests: requestsTo(tg.emu, method, path), events: rec.get()}
		}
		get := func(i int) (string, string, func(context.Context, *modeclient.Client) error) {
			return http.MethodGet, apiPath("reports", d.Reports[i]), func(ctx context.Context, c *modeclient.Client) error {
				_, err := c.GetReport(ctx, tg.ws, d.Reports[i])
				return err
			}
		}
		post := func(i int) (string, string, func(context.Context, *modeclient.Client) error) {
			return http.MethodPost, apiPath("reports", d.Reports[i], "runs"), func(ctx context.Context, c *modeclient.Client) error {
				_, err := c.RunReport(ctx, tg.ws, d.Reports[i], nil)
				return err
			}
		}
		patch := func(i int) (string, string, func(context.Context, *modeclient.Client) error) {
			return http.MethodPatch, apiPath("reports", d.Reports[i]), func(ctx context.Context, c *modeclient.Client) error {
				name := "Renamed"
				_, err := c.UpdateReport(ctx, tg.ws, d.Reports[i], modeclient.ReportUpdate{Name: &name})
				return err
			}
		}
		type call func(int) (string, string, func(context.Context, *modeclient.Client) error)
		cases := []struct {
			name         string
			call         call
			fault        modetest.Fault
			opts         []modeclient.Option
			timeout      time.Duration // 0: the test's context
			wantStatus   int           // 0: success
			wantErr      any           // else: pointer to the error type errors.As must find
			wantDeadline bool          // errors.Is(err, context.DeadlineExceeded)
			wantRequests int
			check        func(t *testing.T, events []modeclient.RetryEvent)
		}{
			{name: "GET 429 Retry-After 1 then success", call: get, fault: modetest.Fault{Times: 1, Status: 429, RetryAfter: "1"},
				wantRequests: 2, check: func(t *testing.T, evs []modeclient.RetryEvent) {
					if len(evs) != 1 || evs[0].StatusCode != 429 || !evs[0].RetryAfter || evs[0].Wait < time.Second || evs[0].Attempt != 1 {
						t.Errorf("retry events = %+v, want one 429 wait of at least 1s from Retry-After", evs)
					}
				}},
			{name: "POST 429 without Retry-After is retried", call: post, fault: modetest.Fault{Times: 1, Status: 429},
				wantRequests: 2, check: func(t *testing.T, evs []modeclient.RetryEvent) {
					if len(evs) != 1 || evs[0].RetryAfter || evs[0].Method != http.MethodPost {
						t.Errorf("retry events = %+v, want one backoff wait", evs)
					}
				}},
			{name: "GET 503 twice then success", call: get, fault: modetest.Fault{Times: 2, Status: 503}, wantRequests: 3},
			{name: "GET 502 persists: attempts exhausted", call: get, fault: modetest.Fault{Status: 502}, wantStatus: 502, wantRequests: 3},
			{name: "GET 504 with WithMaxAttempts(1)", call: get, fault: modetest.Fault{Status: 504}, opts: []modeclient.Option{modeclient.WithMaxAttempts(1)},
				wantStatus: 504, wantRequests: 1},
			{name: "GET 500 is not retried", call: get, fault: modetest.Fault{Status: 500}, wantStatus: 500, wantRequests: 1},
			{name: "GET 404 is not retried", call: get, fault: modetest.Fault{Status: 404}, wantStatus: 404, wantRequests: 1},
			{name: "POST 503 is not retried", call: post, fault: modetest.Fault{Status: 503}, wantStatus: 503, wantRequests: 1},
			{name: "PATCH 502 is not retried", call: patch, fault: modetest.Fault{Status: 502}, wantStatus: 502, wantRequests: 1},
			{name: "dropped GET is retried", call: get, fault: modetest.Fault{Times: 1, Drop: true}, wantRequests: 2},
			{name: "dropped POST is not retried", call: post, fault: modetest.Fault{Drop: true}, wantErr: new(*modeclient.TransportError), wantRequests: 1},
			{name: "Retry-After beyond the deadline", call: get, fault: modetest.Fault{Status: 503, RetryAfter: "30"},
				opts: []modeclient.Option{modeclient.WithMaxAttempts(10)}, timeout: 5 * time.Second, wantStatus: 503, wantRequests: 1},
			{name: "Retry-After beyond MaxRetryAfter", call: get, fault: modetest.Fault{Status: 429, RetryAfter: "120"},
				opts: []modeclient.Option{modeclient.WithMaxAttempts(10)}, wantStatus: 429, wantRequests: 1},
			{name: "deadline during a hung request", call: get, fault: modetest.Fault{Hang: true},
				opts: []modeclient.Option{modeclient.WithMaxAttempts(10)}, timeout: 200 * time.Millisecond,
				wantErr: new(*modeclient.TransportError), wantDeadline: true, wantRequests: 1},
		}
		if len(cases) > len(d.Reports) {
			t.Fatalf("%d cases but %d reports to give each its own path", len(cases), len(d.Reports))
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel() // each case faults the paths of its own report
				ctx := tg.ctx(t)
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				method, path, call := tc.call(i)
				o := run(t, ctx, method, path, tc.fault, tc.opts, call)
				switch {
				case tc.wantStatus != 0:
					ae := wantAPIError(t, o.err, tc.wantStatus)
					if want := tc.fault.RetryAfter; want != "" && ae.RetryAfter != parseSeconds(want) {
						t.Errorf("RetryAfter = %v, want %ss", ae.RetryAfter, want)
					}
				case tc.wantErr != nil:
					if !errors.As(o.err, tc.wantErr) {
						t.Fatalf("error = %v (%T), want %T", o.err, o.err, tc.wantErr)
					}
				case o.err != nil:
					t.Fatalf("error = %v, want success", o.err)
				}
				if tc.wantDeadline && !errors.Is(o.err, context.DeadlineExceeded) {
					t.Errorf("error = %v, want context.DeadlineExceeded", o.err)
				}
				if o.requests != tc.wantRequests {
					t.Errorf("%d %s requests, want %d", o.requests, method, tc.wantRequests)
				}
				if len(o.events) != tc.wantRequests-1 {
					t.Errorf("%d retry events, want %d", len(o.events), tc.wantRequests-1)
				}
				if tc.check != nil {
					tc.check(t, o.events)
				}
			})
		}
	})
}

// parseSeconds reads a Retry-After delay in seconds.
func parseSeconds(s string) time.Duration {
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Second
}

// --- emulator-only tests: writes -------------------------------------------------

// TestContractSpaceWrites covers CreateSpace, UpdateSpace and DeleteSpace and their errors.
func TestContractSpaceWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		d := tg.emu.Demo()
		listed := func() []string {
			return tokensOf(collect(t, c.ListSpaces(ctx, tg.ws, &modeclient.ListSpacesOptions{Filter: "all"})), spaceToken)
		}

		s := must(c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "Contract Suite", Description: "Made by the contract tests."}))(t)
		if s.Token == "" || s.Name != "Contract Suite" || s.Description != "Made by the contract tests." || s.SpaceType != "custom" || bool(s.Restricted) {
			t.Errorf("CreateSpace = %+v", s)
		}
		if got := must(c.GetSpace(ctx, tg.ws, s.Token))(t); got.Name != s.Name {
			t.Errorf("GetSpace after create = %+v", got)
		}
		if !slices.Contains(listed(), s.Token) {
			t.Errorf("the new space is not listed")
		}
		_, err := c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "contract suite"})
		if ae := wantAPIError(t, err, http.StatusBadRequest); ae.Message != "Name has already been taken" {
			t.Errorf("duplicate name: %+v", ae)
		}

		name, desc := "Contract Suite (renamed)", "Renamed by the contract tests."
		u := must(c.UpdateSpace(ctx, tg.ws, s.Token, modeclient.SpaceUpdate{Name: &name, Description: &desc}))(t)
		if u.Token != s.Token || u.Name != name || u.Description != desc {
			t.Errorf("UpdateSpace = %+v", u)
		}
		if got := must(c.GetSpace(ctx, tg.ws, s.Token))(t); got.Name != name || got.Description != desc {
			t.Errorf("GetSpace after update = %+v", got)
		}
		_, err = c.UpdateSpace(ctx, tg.ws, d.Spaces[3], modeclient.SpaceUpdate{Name: &name})
		wantAPIError(t, err, http.StatusForbidden) // personal spaces cannot be renamed

		if err := c.DeleteSpace(ctx, tg.ws, s.Token); err != nil {
			t.Fatalf("DeleteSpace: %v", err)
		}
		_, err = c.GetSpace(ctx, tg.ws, s.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if slices.Contains(listed(), s.Token) {
			t.Errorf("the deleted space is still listed")
		}
		wantAPIError(t, c.DeleteSpace(ctx, tg.ws, s.Token), http.StatusNotFound)
		wantAPIError(t, c.DeleteSpace(ctx, tg.ws, d.Spaces[3]), http.StatusForbidden)
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
