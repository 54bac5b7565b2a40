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
		hc:   &http.Client{Transport: routeRecorder{next: srv.Client().Transport}}, emu: srv,
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
	base := []modeclient.Option{
		modeclient.WithHTTPClient(tg.hc),
		modeclient.WithSharedValueCheck(func(err error) { t.Error(err) }),
	}
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

func reportToken(r modeclient.Report) string { return r.Token }

func spaceToken(s modeclient.Space) string { return s.Token }

func runToken(r modeclient.ReportRun) string { return r.Token }

func queryRunToken(q modeclient.QueryRun) string { return q.Token }

func queryToken(q modeclient.Query) string { return q.Token }

func groupToken(g modeclient.Group) string { return g.Token }

func dataSourceToken(d modeclient.DataSource) string { return d.Token }

func memberName(m modeclient.Membership) string { return m.MemberUsername }

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
