package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// The observability checks: the PrometheusRule of the prod overlay passes Prometheus' own checker
// and its unit tests, the Grafana dashboard is well formed, and every metric either names is one
// the real server exports.

const (
	dashboardPath = "grafana/modeplatform.json"
	rulesTestPath = "prometheus-rules-test.yaml"
	// rulesFileName is the name prometheus-rules-test.yaml's rule_files expects.
	rulesFileName = "modeplatform-rules.yaml"
)

// prodRuleGroups renders the prod overlay and returns its PrometheusRule's spec.groups as a plain
// Prometheus rules file ({groups: …}), exactly as kustomize rendered them: the rules are kept in
// one place, the PrometheusRule, and this is how promtool gets them.
func prodRuleGroups(t *testing.T) []byte {
	t.Helper()
	var groups []any
	for _, doc := range bytes.Split(kustomize(t, "overlays/prod"), []byte("\n---\n")) {
		var obj struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				Groups []any `json:"groups"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("prod overlay: %v", err)
		}
		if obj.APIVersion == "monitoring.coreos.com/v1" && obj.Kind == "PrometheusRule" {
			if groups != nil {
				t.Fatalf("prod overlay: more than one PrometheusRule (%s)", obj.Metadata.Name)
			}
			groups = obj.Spec.Groups
		}
	}
	if len(groups) == 0 {
		t.Fatal("prod overlay: no PrometheusRule with rule groups")
	}
	out, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// promtool returns the path of Prometheus' promtool (Debian's prometheus package, installed by
// scripts/test-deploy.sh).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run ./scripts/ensure-apt.sh prometheus (scripts/test-deploy.sh does)")
	}
	return p
}

// TestPrometheusRules runs `promtool check rules` on the prod overlay's rule groups and `promtool
// test rules` with prometheus-rules-test.yaml, and checks every alert has a unit test and the
// labels and annotations the on-call needs.
func TestPrometheusRules(t *testing.T) {
	tool := promtool(t)
	dir := t.TempDir()
	rules := prodRuleGroups(t)
	if err := os.WriteFile(filepath.Join(dir, rulesFileName), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(rulesTestPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rulesTestPath), tests, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", rulesFileName}, {"test", "rules", rulesTestPath}} {
		cmd := exec.Command(tool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	var file struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Record      string            `json:"record"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(rules, &file); err != nil {
		t.Fatal(err)
	}
	var unit struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(tests, &unit); err != nil {
		t.Fatal(err)
	}
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range unit.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !firing[r.Alert] || !quiet[r.Alert] {
				t.Errorf("alert %s: unit tests where it fires: %v, where it does not: %v; want both", r.Alert, firing[r.Alert], quiet[r.Alert])
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("alert %s: severity %q, want critical or warning", r.Alert, s)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[a] == "" {
					t.Errorf("alert %s: no %s annotation", r.Alert, a)
				}
			}
			anchor := "#" + strings.ToLower(r.Alert)
			if !strings.HasSuffix(r.Annotations["runbook_url"], "deploy/README.md"+anchor) {
				t.Errorf("alert %s: runbook_url %q, want deploy/README.md%s", r.Alert, r.Annotations["runbook_url"], anchor)
			}
			if !strings.Contains(string(readme), "\n#### "+r.Alert+"\n") {
				t.Errorf("alert %s: README.md has no heading #### %s (its runbook)", r.Alert, r.Alert)
			}
		}
	}
	if alerts < 5 {
		t.Errorf("%d alerts, want at least 5 (fast and slow burn, 429s, breaker, hit ratio)", alerts)
	}
}

// grafanaVars replaces the dashboard's template variables and Grafana's interval macros by
// values PromQL accepts, so that its queries can be parsed.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h",
	"$job", ".+", "$credential", ".+",
)

// dashboard is the part of a Grafana dashboard this test reads.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

// readDashboard parses the dashboard and returns it with every PromQL query in it: the panels'
// and the template variables' (label_values(<selector>, label)).
func readDashboard(t *testing.T) (dashboard, map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: not JSON: %v", dashboardPath, err)
	}
	if dec.More() {
		t.Fatalf("%s: data after the dashboard", dashboardPath)
	}
	queries := map[string]string{} // where → query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, tg := range p.Targets {
				queries[fmt.Sprintf("panel %q (%s)", p.Title, tg.RefID)] = tg.Expr
			}
		}
	}
	walk(d.Panels)
	labelValues := regexp.MustCompile(`^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)
		s, _ := q["query"].(string)
		m := labelValues.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(<selector>, <label>)", v.Name, s)
			continue
		}
		queries["variable "+v.Name] = m[1]
	}
	return d, queries
}

// TestDashboard checks the Grafana dashboard: valid JSON with a uid and a title, unique panel
// ids, panels inside the 24-column grid, every panel but rows with a Prometheus query on the
// dashboard's data source variable, and every query valid PromQL.
func TestDashboard(t *testing.T) {
	d, queries := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both are required", d.UID, d.Title)
	}
	ids := map[int]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if prev, dup := ids[p.ID]; dup || p.ID == 0 {
				t.Errorf("panel %q: id %d missing or also %q's", p.Title, p.ID, prev)
			}
			ids[p.ID] = p.Title
			if p.Title == "" {
				t.Errorf("panel %d has no title", p.ID)
			}
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
			}
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: datasource %+v, want the prometheus ${datasource} variable", p.Title, p.Datasource)
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q (%s): empty query", p.Title, tg.RefID)
				}
			}
		}
	}
	walk(d.Panels)
	if len(ids) < 10 {
		t.Errorf("%d panels: the dashboard looks truncated", len(ids))
	}
	p := parser.NewParser(parser.Options{})
	for where, q := range queries {
		if _, err := p.ParseExpr(grafanaVars.Replace(q)); err != nil {
			t.Errorf("%s: %v\n%s", where, err, q)
		}
	}
}

// selector is a metric a query names and the labels its matchers use.
type selector struct {
	name   string
	labels []string
}

// selectors parses q and returns the vector selectors in it.
func selectors(t *testing.T, where, q string) []selector {
	t.Helper()
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(grafanaVars.Replace(q))
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return nil
	}
	var out []selector
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name == "" {
			t.Errorf("%s: a selector without a metric name: %s", where, vs)
			return nil
		}
		s := selector{name: vs.Name}
		for _, m := range vs.LabelMatchers {
			s.labels = append(s.labels, m.Name)
		}
		out = append(out, s)
		return nil
	})
	return out
}

// scrapeTargetLabels are added by Prometheus (or the Collector), not by the server.
var scrapeTargetLabels = []string{model.MetricNameLabel, model.JobLabel, model.InstanceLabel}

// TestDashboardAndRulesNameExportedMetrics starts the release binary (embedded Mode emulator,
// admin listener on a free port), makes calls of every kind — cache misses and hits, an error, a
// run, a result stream, and a burst past the emulator's rate limit (Mode's: 40 requests per 10
// seconds) that brings 429s and waits for the local limit — then scrapes /metrics and checks
// that every metric the dashboard's queries and the rules' expressions name is exported, with
// the labels their matchers use. Series the rules record themselves are not looked for.
func TestDashboardAndRulesNameExportedMetrics(t *testing.T) {
	want := map[string][]string{} // metric → where
	labels := map[string]map[string][]string{}
	addQuery := func(where, q string) {
		for _, s := range selectors(t, where, q) {
			want[s.name] = append(want[s.name], where)
			for _, l := range s.labels {
				if !slices.Contains(scrapeTargetLabels, l) {
					if labels[s.name] == nil {
						labels[s.name] = map[string][]string{}
					}
					labels[s.name][l] = append(labels[s.name][l], where)
				}
			}
		}
	}
	_, queries := readDashboard(t)
	for where, q := range queries {
		addQuery("dashboard "+where, q)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert  string `json:"alert"`
				Record string `json:"record"`
				Expr   string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(prodRuleGroups(t), &file); err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			recorded[r.Record] = true
			addQuery("rule "+r.Alert+r.Record, r.Expr)
		}
	}
	if len(want) < 10 {
		t.Fatalf("only %d metrics named: the parsing went wrong", len(want))
	}

	srv := startServer(t)
	srv.exercise(t)
	exported := srv.scrape(t)

	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if recorded[n] {
			continue
		}
		series, ok := exported[n]
		if !ok {
			t.Errorf("%s is not exported by the server; named by %s", n, strings.Join(dedup(want[n]), ", "))
			continue
		}
		for l, where := range labels[n] {
			if !slices.ContainsFunc(series, func(s map[string]string) bool { _, ok := s[l]; return ok }) {
				t.Errorf("%s has no label %s in any exported series; matched on by %s", n, l, strings.Join(dedup(where), ", "))
			}
		}
	}
	if t.Failed() {
		all := make([]string, 0, len(exported))
		for n := range exported {
			all = append(all, n)
		}
		sort.Strings(all)
		t.Logf("exported: %s", strings.Join(all, " "))
	}
}

func dedup(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

// server is the release binary running with the emulator.
type server struct {
	api, admin string // base URLs
	hc         *http.Client
}

// startServer starts the release binary on free loopback ports with the embedded emulator, a
// local limit toward Mode of 20 requests per second with a burst of 45, and no per-caller
// limit, and stops it (SIGTERM, then its drain) when the test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	bin := releaseBinary(t)
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--upstream-rps", "20", "--upstream-burst", "45", "--caller-rps", "0", "--caller-streams", "0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LOG_FORMAT=json", "LOG_LEVEL=info"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var logsMu sync.Mutex
	addrs := make(chan [2]string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var api, admin string
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			logsMu.Lock()
			logs.Write(line)
			logs.WriteByte('\n')
			logsMu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) != nil {
				continue
			}
			switch rec.Msg {
			case "modeplatform listening":
				api = rec.Addr
			case "admin listening":
				admin = rec.Addr
			}
			if api != "" && admin != "" {
				addrs <- [2]string{api, admin}
				api, admin = "", "-"
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { <-done; exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				logsMu.Lock()
				t.Errorf("server exit: %v\n%s", err, logs.String())
				logsMu.Unlock()
			}
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("server did not stop within 60s of SIGTERM")
		}
	})
	select {
	case a := <-addrs:
		return &server{api: "http://" + a[0], admin: "http://" + a[1], hc: &http.Client{}}
	case <-done:
		logsMu.Lock()
		defer logsMu.Unlock()
		t.Fatalf("server exited before listening:\n%s", logs.String())
	case <-time.After(60 * time.Second):
		logsMu.Lock()
		defer logsMu.Unlock()
		t.Fatalf("server not listening after 60s:\n%s", logs.String())
	}
	return nil
}

const workspace = "workspaces/parch_and_posey"

// call makes a unary Connect call with JSON and returns the status and the decoded answer.
func (s *server) call(t *testing.T, method, body string, header http.Header) (int, map[string]any) {
	t.Helper()
	code, out, err := s.do(method, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return code, out
}

// do is call without the test: safe from any goroutine.
func (s *server) do(method, body string, header http.Header) (int, map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api+"/"+method, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: reading the answer: %w", method, err)
	}
	_ = json.Unmarshal(raw, &out) // an error's body is JSON too; the status is what callers check
	return resp.StatusCode, out, nil
}

// stream makes a server-streaming Connect call (enveloped JSON) and returns the messages it
// received; the end-of-stream message must carry no error.
func (s *server) stream(t *testing.T, method, body string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var env bytes.Buffer
	env.WriteByte(0)
	_ = binary.Write(&env, binary.BigEndian, uint32(len(body)))
	env.WriteString(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api+"/"+method, &env)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/connect+json")
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d", method, resp.StatusCode)
	}
	msgs := 0
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(resp.Body, hdr[:]); err != nil {
			t.Fatalf("%s: stream ended without its end message: %v", method, err)
		}
		msg := make([]byte, binary.BigEndian.Uint32(hdr[1:]))
		if _, err := io.ReadFull(resp.Body, msg); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if hdr[0]&2 != 0 { // end of stream
			var end struct {
				Error any `json:"error"`
			}
			_ = json.Unmarshal(msg, &end)
			if end.Error != nil {
				t.Fatalf("%s: %s", method, msg)
			}
			return msgs
		}
		msgs++
	}
}

// exercise makes calls of every kind, so that every series the dashboard and the rules name has
// a value.
func (s *server) exercise(t *testing.T) {
	t.Helper()
	report := `{"name":"` + workspace + `/reports/849c9a32d24b"}`
	for i := range 2 { // a cache miss, then a hit
		if code, out := s.call(t, "modeplatform.v1.ReportService/GetReport", report, nil); code != http.StatusOK {
			t.Fatalf("GetReport %d: HTTP %d %v", i, code, out)
		}
	}
	if code, _ := s.call(t, "modeplatform.v1.ReportService/GetReport", `{"name":"`+workspace+`/reports/ffffffffffff"}`, nil); code != http.StatusNotFound {
		t.Fatalf("GetReport of a missing report: HTTP %d, want 404", code)
	}
	code, out := s.call(t, "modeplatform.v1.ReportService/RunReport", report, nil)
	run, _ := out["run"].(map[string]any)
	if code != http.StatusOK || run == nil {
		t.Fatalf("RunReport: HTTP %d %v", code, out)
	}
	runName, _ := run["name"].(string)
	var queryRun string
	for deadline := time.Now().Add(60 * time.Second); queryRun == "" && time.Now().Before(deadline); {
		_, out := s.call(t, "modeplatform.v1.ReportService/ListQueryRuns", `{"parent":"`+runName+`"}`, http.Header{"Cache-Control": {"no-cache"}})
		if qrs, _ := out["queryRuns"].([]any); len(qrs) > 0 {
			if qr, _ := qrs[0].(map[string]any); qr["state"] == "STATE_SUCCEEDED" {
				queryRun, _ = qr["name"].(string)
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if queryRun == "" {
		t.Fatalf("run %s did not succeed within 60s", runName)
	}
	if n := s.stream(t, "modeplatform.v1.ReportService/StreamQueryResults", `{"name":"`+queryRun+`"}`); n == 0 {
		t.Fatal("StreamQueryResults sent nothing")
	}

	// Reads that skip the cache, one after the other (concurrent identical reads would share
	// one fetch): more than the emulator allows in 10 seconds (40), and more than the local
	// burst (45) at a rate above the local limit (20/s), so some are answered 429 and some wait
	// for a token. They give up after 5 seconds (Connect-Timeout-Ms), too soon to retry after a
	// 429's Retry-After; once one has failed so, one read with time to retry ends the burst.
	byCode := map[int]int{}
	for i := range 80 {
		timeout := "5000"
		if i >= 50 && byCode[http.StatusOK] < i {
			timeout = "30000"
		}
		code, _ := s.call(t, "modeplatform.v1.ReportService/GetReport", report,
			http.Header{"Cache-Control": {"no-cache"}, "Connect-Timeout-Ms": {timeout}})
		byCode[code]++
		if timeout == "30000" {
			break
		}
	}
	t.Logf("uncached reads: HTTP statuses %v", byCode)
}

// scrape reads the admin listener's /metrics and returns every sample name (histograms as their
// _bucket, _sum and _count series) with the label sets of its series.
func (s *server) scrape(t *testing.T) map[string][]map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.admin+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	out := map[string][]map[string]string{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			ls := map[string]string{}
			for _, l := range m.GetLabel() {
				ls[l.GetName()] = l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					out[name+suffix] = append(out[name+suffix], ls)
				}
			case dto.MetricType_SUMMARY:
				for _, suffix := range []string{"", "_sum", "_count"} {
					out[name+suffix] = append(out[name+suffix], ls)
				}
			default:
				out[name] = append(out[name], ls)
			}
		}
	}
	return out
}
