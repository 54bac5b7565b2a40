package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the emulator and the server: the
// harness re-executes its own binary (os.Executable) for them.
func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// smokeArgs run scenarios 1 to 7 with tiny sizes (TestOutsideSmoke runs 8
// and 9): this checks that the
// harness works, not how fast anything is.
var smokeArgs = []string{
	"-scenario", "1,2,3,4,5,6,7", "-protocol", "both",
	"-c", "8", "-n", "100", "-rounds", "1",
	"-cold-c", "4", "-cold-n", "40", "-latency", "5ms",
	"-coalesce", "200",
	"-rows", "2000", "-streams", "1",
	"-keys", "3000", "-cache-mb", "2",
	"-reports", "150", "-passes", "1", "-page-size", "50",
	"-generated", "3x20", "-gets", "30",
}

// TestSmoke runs the harness once on every scenario and checks the table's
// structure and the coalescing invariant. No timing is asserted.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator and several servers")
	}
	traces := t.TempDir() + "/spans.json"
	cfg, err := parseConfig(append(slices.Clone(smokeArgs), "-traces", traces), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &harness{cfg: cfg, log: &logs}
	t.Cleanup(h.close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := h.runAll(ctx)
	if err != nil {
		t.Fatalf("runAll: %v\nlogs:\n%s", err, logs.String())
	}

	// -traces: the servers' spans, the RPC's and Mode's requests among them.
	spans, err := os.ReadFile(traces)
	if err != nil {
		t.Fatalf("-traces: %v", err)
	}
	for _, name := range []string{`"Name":"modeplatform.v1.ReportService/GetReport"`, `"Name":"GET /api/{workspace}/reports/{report}"`} {
		if !bytes.Contains(spans, []byte(name)) {
			t.Errorf("-traces file holds no span %s", name)
		}
	}

	// One row per scenario, role and protocol, in scenario order.
	type key struct {
		scenario   int
		role, prot string
	}
	count := map[key]int{}
	for _, r := range rep.Results {
		count[key{r.Scenario, r.Role, r.Protocol}]++
	}
	want := map[key]int{}
	for _, p := range []string{"connect", "grpc"} {
		want[key{1, "baseline", p}] = 1
		want[key{1, "target", p}] = 1
		want[key{2, "target", p}] = 1
		want[key{2, "baseline", p}] = 1 // the minimal Connect proxy
		want[key{3, "target", p}] = 1
		want[key{4, "target", p}] = 4   // stream and export as CSV, Arrow, Parquet
		want[key{6, "target", p}] = 2   // cold and warm
		want[key{7, "baseline", p}] = 1 // per-space listing and cold gets
		want[key{7, "target", p}] = 1   // the workspace-wide listing and basic gets
	}
	want[key{2, "baseline", "rest"}] = 2 // paired with each protocol
	want[key{4, "baseline", "rest"}] = 1
	want[key{6, "baseline", "rest"}] = 1
	want[key{5, "target", "-"}] = 3   // the fill; hits at 3,000 entries, uniform and Zipf
	want[key{5, "baseline", "-"}] = 4 // hits at 1,000 entries; the bare map at 1,000 and 3,000 entries, and Zipf
	for k, n := range want {
		if count[k] != n {
			t.Errorf("scenario %d %s %s: %d rows, want %d", k.scenario, k.role, k.prot, count[k], n)
		}
	}
	if len(count) != len(want) {
		t.Errorf("rows of %d kinds, want %d: %v", len(count), len(want), count)
	}
	if !slices.IsSortedFunc(rep.Results, func(a, b *result) int { return a.Scenario - b.Scenario }) {
		t.Errorf("rows are not in scenario order")
	}

	for _, r := range rep.Results {
		name := r.Name + " " + r.Protocol
		if r.Requests == 0 || r.Errors != 0 || r.FirstError != "" {
			t.Errorf("%s: %d requests, %d errors (%s)", name, r.Requests, r.Errors, r.FirstError)
		}
		if r.RPS <= 0 || r.P50ms > r.P90ms || r.P90ms > r.P99ms {
			t.Errorf("%s: rps %v, p50 %v, p90 %v, p99 %v", name, r.RPS, r.P50ms, r.P90ms, r.P99ms)
		}
		if r.Role == "target" && r.Scenario != 5 {
			if r.AllocsPerRequest == nil || r.CPUusPerRequest == nil || r.PeakRSS == 0 || r.PeakHeapInuse == 0 {
				t.Errorf("%s: no server figures: %+v", name, r)
			}
			if r.VsBaseline == "" {
				t.Errorf("%s: no comparison with a baseline", name)
			}
		}
		switch r.Scenario {
		case 1, 2, 4:
			if r.Role == "target" && (r.Met == nil || r.Target == "" || len(r.Ratios) == 0) {
				t.Errorf("%s: not judged against its target: %+v", name, r)
			}
			if r.Scenario == 2 && r.Role == "target" {
				// The added time split into the server's own work and the hop.
				own, inServer := r.Extra["server_own_p50_ms"], r.Extra["server_time_p50_ms"]
				if own <= 0 || inServer < own || !strings.Contains(r.VsBaseline, "server's own work") {
					t.Errorf("%s: no server time breakdown: own %v, in server %v, %q", name, own, inServer, r.VsBaseline)
				}
				// Judged twice: against the direct GET and against the minimal proxy.
				if len(r.Checks) != 2 || !strings.Contains(r.VsBaseline, "over the minimal proxy") {
					t.Errorf("%s: checks %+v, %q; want the literal target and the one over the minimal proxy", name, r.Checks, r.VsBaseline)
				}
			}
		case 3:
			// The invariant: one upstream request, every call answered.
			if r.Extra["upstream_requests"] != 1 || r.Extra["answered"] != 200 || r.Requests != 200 {
				t.Errorf("%s: %v upstream requests, %v of %d answered; want 1 and 200", name, r.Extra["upstream_requests"], r.Extra["answered"], r.Requests)
			}
			if r.Met == nil || !*r.Met {
				t.Errorf("%s: coalescing target not met", name)
			}
		case 5:
			if strings.HasPrefix(r.Name, "cache fill") && (r.Met == nil || r.Ratios["accounted_over_cap"] > 1) {
				t.Errorf("%s: %+v", name, r)
			}
			if strings.HasPrefix(r.Name, "cache hit") && (r.Ratios["p50_over_bare_map"] <= 0 || !strings.Contains(r.VsBaseline, "the bare map")) {
				t.Errorf("%s: no comparison with the bare map: %+v", name, r)
			}
			if strings.HasPrefix(r.Name, "bare map") && (r.Role != "baseline" || r.AllocsPerRequest == nil) {
				t.Errorf("%s: %+v", name, r)
			}
		case 6:
			if r.Role == "target" && r.Extra["reports_per_second"] <= 0 {
				t.Errorf("%s: no reports/s", name)
			}
		case 7:
			if r.Extra["mode_requests"] <= 0 || r.Extra["gets"] != 30 {
				t.Errorf("%s: %v Mode requests, %v gets; want some, and 30", name, r.Extra["mode_requests"], r.Extra["gets"])
			}
			if r.Role == "target" && (r.Met == nil || !*r.Met || r.Ratios["mode_requests"] <= 0) {
				t.Errorf("%s: not judged against its target, or missed it: %+v", name, r)
			}
		}
	}
	// Scenario 5: each hit row beside its bare-map baseline, and the largest
	// uniform row judged on both checks, the literal and the overhead.
	var names []string
	for _, r := range rep.Results {
		if r.Scenario == 5 {
			names = append(names, r.Name)
		}
	}
	wantNames := []string{
		"cache fill: 3000 distinct keys (512-B bodies), 2 MB cap",
		"bare map lookup, 1000 entries", "cache hit, 1000 entries",
		"bare map lookup, 3000 entries", "cache hit, 3000 entries",
		"bare map lookup, 3000 entries, Zipf(1.1) keys", "cache hit, 3000 entries, Zipf(1.1) keys",
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("scenario 5 rows:\n%q\nwant\n%q", names, wantNames)
	}
	if i := slices.IndexFunc(rep.Results, func(r *result) bool { return r.Name == "cache hit, 3000 entries" }); i >= 0 {
		r := rep.Results[i]
		if r.Met == nil || len(r.Checks) != 2 || !strings.HasPrefix(r.Checks[0].Name, "literal") ||
			!strings.HasPrefix(r.Checks[1].Name, "overhead over bare map") || *r.Met != (r.Checks[0].Met && r.Checks[1].Met) {
			t.Errorf("%s: not judged on the literal and overhead checks: %+v", r.Name, r)
		}
		for _, c := range r.Checks {
			if c.Value <= 0 || c.Detail == "" || c.Target == "" {
				t.Errorf("%s: check %+v", r.Name, c)
			}
		}
		if target := r.cells()[len(header)-1]; !strings.Contains(target, "literal") || !strings.Contains(target, "; overhead over bare map") {
			t.Errorf("%s: target cell %q", r.Name, target)
		}
	}

	// The table: a header, then one line per result with every column.
	var table bytes.Buffer
	rep.writeTable(&table)
	text := table.String()
	lines := strings.Split(text, "\n")
	hi := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "#  scenario") })
	if hi < 0 {
		t.Fatalf("no header line in\n%s", text)
	}
	for _, col := range header {
		if !strings.Contains(lines[hi], col) {
			t.Errorf("header lacks %q: %s", col, lines[hi])
		}
	}
	for i, r := range rep.Results {
		if got := len(r.cells()); got != len(header) {
			t.Errorf("row %d has %d cells, header %d", i, got, len(header))
		}
		if l := lines[hi+1+i]; !strings.Contains(l, r.Name) || !strings.HasPrefix(l, r.cells()[0]+" ") {
			t.Errorf("table line %d is %q, want row %q", i, l, r.Name)
		}
	}
	if !strings.Contains(text, "baseline: bare map lookup, 1000 entries") {
		t.Errorf("the table has no bare-map baseline row:\n%s", text)
	}
	if !strings.Contains(text, "met: exactly 1 upstream") {
		t.Errorf("the table does not show the coalescing target met:\n%s", text)
	}

	// The machine-readable form round-trips.
	var js bytes.Buffer
	if err := rep.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != len(rep.Results) || back.Machine.CPUs == 0 {
		t.Errorf("JSON: %d results, machine %+v", len(back.Results), back.Machine)
	}
	var md bytes.Buffer
	rep.writeMarkdown(&md)
	if n := strings.Count(md.String(), "\n| "); n != len(rep.Results)+1 {
		t.Errorf("markdown: %d table lines, want %d", n, len(rep.Results)+1)
	}
}

func TestParseConfig(t *testing.T) {
	cfg, err := parseConfig([]string{"-scenario", "coalesce,1,stream", "-protocol", "grpc"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.scenarios, []int{1, 3, 4}) || !slices.Equal(cfg.protocols, []string{"grpc"}) {
		t.Errorf("scenarios %v, protocols %v", cfg.scenarios, cfg.protocols)
	}
	if cfg.generated != (workspaceSize{50, 200}) || cfg.gets != 1000 {
		t.Errorf("scenario 7 defaults: -generated %v, -gets %d; want 50x200 and 1000", cfg.generated.String(), cfg.gets)
	}
	cfg, err = parseConfig([]string{"-scenario", "inventory,7", "-generated", "5x40"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.scenarios, []int{7}) || cfg.generated != (workspaceSize{5, 40}) {
		t.Errorf("scenarios %v, -generated %v", cfg.scenarios, cfg.generated.String())
	}
	if cfg, err = parseConfig(nil, io.Discard); err != nil || !slices.Equal(cfg.scenarios, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("default scenarios %v (%v), want all nine", cfg.scenarios, err)
	}
	cfg, err = parseConfig([]string{"-scenario", "mixed,outside", "-server-flag=--caller-rps=0", "-server-flag", "--upstream-rps=8", "-duration", "5s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.scenarios, []int{8, 9}) || !slices.Equal(cfg.serverFlags, []string{"--caller-rps=0", "--upstream-rps=8"}) || cfg.duration != 5*time.Second {
		t.Errorf("scenarios %v, server flags %q, duration %v", cfg.scenarios, cfg.serverFlags, cfg.duration)
	}
	for _, args := range [][]string{
		{"-scenario", "10"}, {"-scenario", "x"}, {"-block", "500ms"}, {"-duration", "0s"}, {"-rate", "0"}, {"-watchers", "20"}, {"-generated", "50"}, {"-generated", "0x10"}, {"-generated", "5x-1"}, {"-gets", "0"}, {"-scenario", "01"}, {"-protocol", "http"}, {"-n", "0"},
		{"-page-size", "1001"}, {"extra"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestInventory runs scenario 7 small (5 spaces of 40 generated reports, 100
// gets) and checks its Mode request counts: exact figures, no timing.
func TestInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator and four servers")
	}
	const gets = 100
	cfg, err := parseConfig([]string{"-scenario", "inventory", "-protocol", "both", "-generated", "5x40", "-gets", "100"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &harness{cfg: cfg, log: &logs}
	t.Cleanup(h.close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := h.runAll(ctx)
	if err != nil {
		t.Fatalf("runAll: %v\nlogs:\n%s", err, logs.String())
	}
	if len(rep.Results) != 4 {
		t.Fatalf("%d rows, want a baseline and a target per protocol", len(rep.Results))
	}
	for i, p := range []string{"connect", "connect", "grpc", "grpc"} {
		r := rep.Results[i]
		if role := []string{"baseline", "target"}[i%2]; r.Scenario != 7 || r.Role != role || r.Protocol != p {
			t.Fatalf("row %d: scenario %d %s %s, want 7 %s %s", i, r.Scenario, r.Role, r.Protocol, role, p)
		}
	}
	for i := 0; i < len(rep.Results); i += 2 {
		b, tr := rep.Results[i], rep.Results[i+1]
		for _, r := range []*result{b, tr} {
			if r.Errors != 0 || r.FirstError != "" || r.Extra["gets"] != gets {
				t.Errorf("%s %s: %d errors (%s), %v gets", r.Name, r.Protocol, r.Errors, r.FirstError, r.Extra["gets"])
			}
		}
		// 200 generated reports and the demo's, outside personal spaces; the
		// per-space way reaches those in personal spaces too.
		listed, baseListed := tr.Extra["reports_listed"], b.Extra["reports_listed"]
		if listed < 200 || baseListed < listed {
			t.Errorf("%s: listed %v reports the workspace-wide way, %v per space", tr.Protocol, listed, baseListed)
		}
		// Workspace-wide: one Metadata API page (up to 1,000 reports) and
		// the signature token its first read makes; the basic gets are
		// answered from the page.
		if tr.Extra["mode_requests_listing"] != 2 || tr.Extra["mode_requests_batch"] != 2 || tr.Extra["mode_requests_gets"] != 0 {
			t.Errorf("%s: workspace-wide Mode requests: listing %v (batch %v), gets %v; want 2 (2), 0", tr.Protocol,
				tr.Extra["mode_requests_listing"], tr.Extra["mode_requests_batch"], tr.Extra["mode_requests_gets"])
		}
		// Per space: ListSpaces, at least a page per space (4 demo spaces, 5
		// generated ones), and one GET per cold get.
		if b.Extra["mode_requests_listing"] < 1+9 || b.Extra["mode_requests_gets"] != gets || b.Extra["mode_requests_batch"] != 0 {
			t.Errorf("%s: per-space Mode requests: listing %v, gets %v, batch %v; want ≥ 10, %d, 0", b.Protocol,
				b.Extra["mode_requests_listing"], b.Extra["mode_requests_gets"], b.Extra["mode_requests_batch"], gets)
		}
		if b.Extra["mode_requests"] != b.Extra["mode_requests_listing"]+b.Extra["mode_requests_gets"] {
			t.Errorf("%s: %v Mode requests, not listing + gets", b.Protocol, b.Extra["mode_requests"])
		}
		ratio := tr.Ratios["mode_requests"]
		if want := tr.Extra["mode_requests"] / b.Extra["mode_requests"]; ratio != want || ratio > 0.1 {
			t.Errorf("%s: Mode requests ratio %v (%v / %v), want it ≤ 0.1", tr.Protocol, ratio, tr.Extra["mode_requests"], b.Extra["mode_requests"])
		}
		if tr.Met == nil || !*tr.Met || !strings.Contains(tr.cells()[len(header)-1], "met: ≤ 0.1× the Mode requests") {
			t.Errorf("%s: target not met: %+v", tr.Protocol, tr)
		}
		if tr.Ratios["wall_time"] <= 0 || !strings.Contains(tr.VsBaseline, "the wall time") {
			t.Errorf("%s: no wall time ratio: %v, %q", tr.Protocol, tr.Ratios["wall_time"], tr.VsBaseline)
		}
	}
}

// TestOutsideSmoke runs scenarios 8 and 9 briefly (1 s blocks, a 3 s mixed
// load) on cmd/modeplatform built from this tree: each external driver
// (connect-go, wrk, h2load) must get verified successes and no failure from
// the server and from the baseline, the OTLP sink must receive spans, and
// the mixed load must reach every method and count Mode's requests. The
// server's per-caller and upstream rate limits are lifted (-server-flag):
// this checks the drivers and the harness, not the server's defaults. No
// timing is asserted.
func TestOutsideSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/modeplatform and runs wrk and h2load")
	}
	cfg, err := parseConfig([]string{"-scenario", "outside,mixed", "-protocol", "connect", "-rounds", "1", "-block", "1s", "-c", "4",
		"-duration", "3s", "-rate", "40", "-callers", "4", "-hot", "20", "-watch-every", "2", "-watchers", "2", "-run-duration", "200ms", "-latency", "1ms",
		"-server-flag=--caller-rps=0", "-server-flag=--upstream-rps=-1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &harness{cfg: cfg, log: &logs}
	t.Cleanup(h.close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := h.runAll(ctx)
	if err != nil {
		t.Fatalf("runAll: %v\nlogs:\n%s", err, logs.String())
	}
	drivers := map[string]int{}
	methods := map[string]bool{}
	for _, r := range rep.Results {
		name := fmt.Sprintf("scenario %d %s %s (%s)", r.Scenario, r.Role, r.Name, r.Protocol)
		switch r.Scenario {
		case 8:
			drivers[r.Protocol]++
			if r.Extra["verified_successes"] <= 0 || r.Errors != 0 || r.FirstError != "" || r.RPS <= 0 {
				t.Errorf("%s: %v verified successes of %d calls, %d failed (%s)", name, r.Extra["verified_successes"], r.Requests, r.Errors, r.FirstError)
			}
			if r.CPUusPerRequest == nil || *r.CPUusPerRequest <= 0 {
				t.Errorf("%s: no server CPU per call", name)
			}
			if r.Role == "target" {
				if r.Ratios["throughput"] <= 0 || r.Ratios["p99"] <= 0 || len(r.Checks) != 3 {
					t.Errorf("%s: ratios %v, checks %+v", name, r.Ratios, r.Checks)
				}
				if r.Extra["otlp_spans_received"] <= 0 || r.Extra["calls_to_server"] <= 0 {
					t.Errorf("%s: the OTLP sink received %v spans for %v calls", name, r.Extra["otlp_spans_received"], r.Extra["calls_to_server"])
				}
			}
		case 9:
			if r.Errors != 0 || r.Requests == 0 {
				t.Errorf("%s: %d calls, %d failed (%s; %s)", name, r.Requests, r.Errors, r.FirstError, r.VsBaseline)
			}
			if m, ok := strings.CutPrefix(r.Name, "mixed load: "); ok && !strings.HasPrefix(m, "all calls") {
				methods[m] = true
			} else if r.Extra["upstream_requests"] <= 0 || r.Extra["resource_exhausted"] != 0 || r.Met == nil || !*r.Met {
				t.Errorf("%s: %v Mode requests, %v ResourceExhausted, met %v", name, r.Extra["upstream_requests"], r.Extra["resource_exhausted"], r.Met)
			}
		default:
			t.Errorf("unexpected row %s", name)
		}
	}
	for _, p := range []string{"connect-go: connect", "wrk: connect+json, h1", "h2load: grpc, h2c"} {
		if drivers[p] != 2 {
			t.Errorf("driver %s: %d rows, want the baseline and the server", p, drivers[p])
		}
	}
	for _, m := range mixedMethods {
		if !methods[m] {
			t.Errorf("the mixed load has no %s row", m)
		}
	}
}
