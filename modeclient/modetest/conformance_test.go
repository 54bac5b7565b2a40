package modetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/modespec"
)

// Mode's own OpenAPI documents (MIT, testdata/mode-api/LICENSE), copied from
// ../shared/mode-api: the reference the emulator is measured against.
const (
	specREST  = "testdata/mode-api/swagger.json"
	specBatch = "testdata/mode-api/batch-swagger.json"
)

// minServedGETs is how many JSON GET operations TestSpecConformanceAnswers
// reads (every GET the emulator serves but the result files): 36 of the REST
// API, 6 of the Metadata API.
const minServedGETs = 44

// minServed is how many of Mode's REST operations the emulator served when
// this test was written; coverage may only grow (raise it as it does).
const minServed = 94

// minServedBatch is how many of the Metadata API's operations (batch-swagger.json)
// the emulator serves: all of them.
const minServedBatch = 8

// emulatorOnlyRoutes are routes the emulator serves that Mode's document does
// not list, and why.
var emulatorOnlyRoutes = map[string]string{
	// The workspace (Mode's account) itself, which Mode's API reference documents and its
	// OpenAPI file leaves out; the client reads it for GetWorkspace.
	"GET /api/{}": "the workspace itself",
	// "collections", Mode's older name for spaces, which its API still answers.
	"GET /api/{}/collections":            "collections alias of spaces",
	"POST /api/{}/collections":           "collections alias of spaces",
	"GET /api/{}/collections/{}":         "collections alias of spaces",
	"POST /api/{}/collections/{}":        "collections alias of spaces",
	"DELETE /api/{}/collections/{}":      "collections alias of spaces",
	"GET /api/{}/collections/{}/reports": "collections alias of spaces",
	// Targets of links Mode's document requires (MembershipLinks.groups, QueryLinks.query_runs,
	// ReportLinks.report_pins and .perspective_email_subscription_memberships,
	// SpaceLinks.search_space_permissions) but documents no operation for. A link the emulator
	// sends must lead somewhere (TestLinksLeadSomewhere); the last three are always empty here.
	"GET /api/{}/memberships/{}/groups":                                        "a membership's groups link",
	"GET /api/{}/reports/{}/queries/{}/runs":                                   "a query's query_runs link",
	"GET /api/{}/reports/{}/pins":                                              "a report's report_pins link",
	"GET /api/{}/reports/{}/perspective_email_report_subscription_memberships": "a report's perspective_email_subscription_memberships link",
	"GET /api/{}/spaces/{}/search_space_permissions":                           "a space's search_space_permissions link",
	// ReportSubscriptionLinks.email_subscription_memberships and .slack_subscription_memberships:
	// a subscription's e-mail subscribers and Slack channels.
	"GET /api/{}/reports/{}/subscriptions/{}/email_subscription_memberships": "a subscription's email_subscription_memberships link",
	"GET /api/{}/reports/{}/subscriptions/{}/slack_subscription_memberships": "a subscription's slack_subscription_memberships link",
	// DefinitionLinks.last_run: a definition's runs (always empty: no definition editor here).
	"GET /api/{}/definitions/{}/runs": "a definition's last_run link",
	// DataSourceSchemaUpdateLinks.self: the schema update a POST …/schema_updates queued.
	"GET /api/{}/data_sources/{}/schema_updates/{}": "a schema update's self link",
}

// loadSpec reads the operations of one of Mode's documents.
func loadSpec(t *testing.T, file string) []modespec.Operation {
	t.Helper()
	ops, err := modespec.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// serves reports whether the emulator routes op to a handler registered for
// that very operation (Emulator.Serves).
func serves(e *Emulator, op modespec.Operation) bool { return e.Serves(op.Method, op.Path) }

// TestSpecConformance measures the emulator against Mode's OpenAPI documents:
// it lists every operation, says which the emulator serves, prints the
// coverage, fails when coverage drops below minServed, and fails when the
// emulator serves a route Mode's document does not have (other than the
// listed emulatorOnlyRoutes).
func TestSpecConformance(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })

	rest, batch := loadSpec(t, specREST), loadSpec(t, specBatch)
	specRoutes := map[string]bool{}
	var table strings.Builder
	count := func(name string, ops []modespec.Operation) int {
		served := 0
		seen := map[string]bool{}
		for _, op := range ops {
			specRoutes[op.Route()] = true
			ok := serves(e, op)
			key := op.Method + " " + strings.Replace(strings.Replace(op.Path, "content.csv", "content(.csv, .json)", 1), "content.json", "content(.csv, .json)", 1)
			if seen[key] {
				continue // the two files of one operation count once
			}
			seen[key] = true
			mark := " "
			if ok {
				mark = "x"
				served++
			}
			fmt.Fprintf(&table, "  [%s] %s\n", mark, key)
		}
		fmt.Fprintf(&table, "%s: the emulator serves %d of %d operations\n", name, served, len(seen))
		return served
	}
	servedREST := count("REST API ("+specREST+")", rest)
	servedBatch := count("Metadata API ("+specBatch+")", batch)
	t.Logf("coverage:\n%s", table.String())

	if servedREST < minServed {
		t.Errorf("the emulator serves %d of Mode's REST operations, fewer than the %d it served before", servedREST, minServed)
	}
	if servedBatch < minServedBatch {
		t.Errorf("the emulator serves %d of the Metadata API's operations, fewer than the %d it served before", servedBatch, minServedBatch)
	}
	for _, p := range e.patterns {
		r := modespec.Unnamed(p)
		if !specRoutes[r] && emulatorOnlyRoutes[r] == "" {
			t.Errorf("the emulator serves %s, which Mode's OpenAPI document does not have", p)
		}
	}
}

// TestSpecConformanceMatchesRoutes keeps serves honest: a route the emulator
// registers for an operation counts, a wider pattern does not.
func TestSpecConformanceMatchesRoutes(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	for _, tt := range []struct {
		op   modespec.Operation
		want bool
	}{
		{modespec.Operation{Method: http.MethodGet, Path: "/api/{account}/reports/{report}"}, true},
		{modespec.Operation{Method: http.MethodGet, Path: "/api/account"}, true}, // not caught by GET /api/{ws}
		{modespec.Operation{Method: http.MethodGet, Path: "/api/verify"}, true},
		{modespec.Operation{Method: http.MethodGet, Path: "/api/{workspace}/definitions/{definition}"}, true},
		{modespec.Operation{Method: http.MethodPost, Path: "/api/{account}/reports/{report}"}, false}, // 405
		{modespec.Operation{Method: http.MethodGet, Path: "/api/{workspace}/definitions"}, true},
		// Caught by no route but the unrouted 404 (GET /api/{ws}/definitions/{definition} is
		// one segment shorter).
		{modespec.Operation{Method: http.MethodGet, Path: "/api/{workspace}/definitions/{definition}/versions"}, false},
	} {
		if got := serves(e, tt.op); got != tt.want {
			t.Errorf("serves(%s) = %v, want %v", tt.op.Route(), got, tt.want)
		}
	}
}

// schema is the part of an OpenAPI 2 schema the answer check reads.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
}

// specDocument is an OpenAPI 2 document's operations' 200 answers and its
// definitions.
type specDocument struct {
	Paths       map[string]map[string]json.RawMessage `json:"paths"`
	Definitions map[string]*schema                    `json:"definitions"`
}

// resolve follows a $ref to its definition (nil when there is none).
func (d *specDocument) resolve(s *schema) (string, *schema) {
	if s == nil || s.Ref == "" {
		return "", s
	}
	name := strings.TrimPrefix(s.Ref, "#/definitions/")
	if n, err := url.PathUnescape(name); err == nil {
		name = n // the Metadata API's references escape "::" ("BatchApiRepresenters%3A%3AReports")
	}
	return name, d.Definitions[name]
}

// answerSchema returns the schema of an operation's 200 answer.
func (d *specDocument) answerSchema(path, method string) (string, *schema) {
	var op struct {
		Responses map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(d.Paths[path][method], &op); err != nil {
		return "", nil
	}
	return d.resolve(op.Responses["200"].Schema)
}

// differences lists how o departs from the definition name: required fields
// missing, required links missing, and the same for the objects embedded in
// a collection. Each difference reads "Definition: what".
func (d *specDocument) differences(name string, s *schema, o map[string]any) []string {
	var out []string
	for _, f := range s.Required {
		if _, ok := o[f]; !ok {
			out = append(out, name+": missing field "+f)
		}
	}
	if linksName, ls := d.resolve(s.Properties["_links"]); ls != nil {
		got, _ := o["_links"].(map[string]any)
		for _, l := range ls.Required {
			if lk, _ := got[l].(map[string]any); lk == nil || lk["href"] == nil {
				out = append(out, linksName+": missing link "+l)
			}
		}
	}
	if _, es := d.resolve(s.Properties["_embedded"]); es != nil {
		got, _ := o["_embedded"].(map[string]any)
		for key, p := range es.Properties {
			if p.Items == nil {
				continue
			}
			itemName, item := d.resolve(p.Items)
			if item == nil {
				continue
			}
			list, _ := got[key].([]any)
			for _, it := range list {
				if m, ok := it.(map[string]any); ok {
					out = append(out, d.differences(itemName, item, m)...)
				}
			}
		}
	}
	return out
}

// itemAnswers are the operations whose 200 answer Mode's document describes as a collection
// ("`FormField` collection response") while giving it the schema of one item: the answer is a
// HAL collection embedding the items under this key, and each item is checked against the schema.
var itemAnswers = map[string]string{
	"/{account}/reports/{report}/runs/{run}/options": "form_fields",
}

// answerQueries are the query strings of the GET operations that need some to answer 200 (their
// required parameters).
var answerQueries = map[string]string{
	"/{workspace}/audit_logs": "start_timestamp=2000-01-01T00:00:00Z&end_timestamp=2100-01-01T00:00:00Z",
}

// listAnswers are the operations whose 200 answer Mode's document describes as a list ("a
// paginated list of audit log events") while giving it the schema of one item, in an answer that
// is not a HAL collection: the items sit under this key at the top level (audit.go).
var listAnswers = map[string]string{
	"/{workspace}/audit_logs": "audit_logs",
}

// listDifferences checks a list answer of listAnswers: at least one item under key, and every
// item against the item schema: its required fields and, since Mode's AuditLog requires none,
// every field it lists.
func listDifferences(name string, item *schema, key string, o map[string]any) []string {
	list, _ := o[key].([]any)
	if len(list) == 0 {
		return []string{name + " list: no items under " + key + ": nothing to check"}
	}
	var out []string
	for _, it := range list {
		m, _ := it.(map[string]any)
		for f := range item.Properties {
			if _, ok := m[f]; !ok {
				out = append(out, name+": missing field "+f)
			}
		}
		for _, f := range item.Required {
			if _, ok := m[f]; !ok {
				out = append(out, name+": missing field "+f)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// itemDifferences checks a collection answer of itemAnswers: a self link, at least one item
// embedded under key, and every item against the item schema.
func itemDifferences(t *testing.T, doc *specDocument, name string, item *schema, key string, o map[string]any) []string {
	t.Helper()
	var out []string
	if ls, _ := o["_links"].(map[string]any); ls == nil || ls["self"] == nil {
		out = append(out, name+" collection: missing link self")
	}
	emb, _ := o["_embedded"].(map[string]any)
	list, _ := emb[key].([]any)
	if len(list) == 0 {
		out = append(out, name+" collection: no items embedded as "+key)
	}
	for _, it := range list {
		m, _ := it.(map[string]any)
		out = append(out, doc.differences(name, item, m)...)
	}
	return out
}

// TestSpecConformanceAnswers reads every GET operation the emulator serves,
// with the demo workspace's real tokens (a report that has run, its run,
// query and query run, a space, a data source, a member, a group), and checks
// each 200 answer against the schema Mode's document gives it: required
// fields, required links, and the same for the items of a collection.
func TestSpecConformanceAnswers(t *testing.T) {
	raw, err := os.ReadFile(specREST)
	if err != nil {
		t.Fatal(err)
	}
	var doc specDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t)
	d := s.Demo()
	report := d.Reports[0]
	resp, body := call(t, s, "POST", wsPath("reports", report, "runs"), map[string]any{})
	if resp.StatusCode/100 != 2 {
		t.Fatalf("run: %d %s", resp.StatusCode, body)
	}
	var created object
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	run, _ := created["token"].(string)
	waitRun(t, s, report, run)
	sched := mustJSON(t, s, "POST", wsPath("reports", report, "schedules"),
		map[string]any{"cron": map[string]any{"freq": "daily", "hour": 8, "minute": 30, "time_zone": "London"}}, http.StatusOK)
	sub := mustJSON(t, s, "POST", wsPath("reports", report, "subscriptions"),
		map[string]any{"schedule_token": sched["token"], "csv_attachments": true, "email_subscribers": []string{d.Members[0]}}, http.StatusOK)
	query := firstToken(t, s, wsPath("reports", report, "queries"), "queries")
	filter := mustJSON(t, s, "POST", wsPath("reports", report, "filters"), map[string]any{"report_filter": map[string]any{
		"name": "Region", "formula": "[region]", "data_type": "string", "formula_type": "column", "filter_type": "SINGLE",
		"control_type": "LIST", "variable_type": "DISCRETE", "options": map[string]any{"query_token": query},
	}}, http.StatusOK)
	params := map[string]string{
		"account": DemoWorkspace, "workspace": DemoWorkspace, "report": report, "run": run,
		"space": d.Spaces[0], "data_source": d.DataSource, "membership": d.Memberships[0],
		"group_token":      d.Groups[1],
		"schedule":         sched["token"].(string),
		"subscription":     sub["token"].(string),
		"query":            query,
		"filter":           filter["token"].(string),
		"chart":            firstToken(t, s, wsPath("reports", report, "queries", query, "charts"), "charts"),
		"definition":       d.Definitions[0],
		"query_run":        firstToken(t, s, wsPath("reports", report, "runs", run, "query_runs"), "query_runs"),
		"membership_token": firstToken(t, s, wsPath("groups", d.Groups[1], "memberships"), "group_memberships"),
		"space_membership": firstToken(t, s, wsPath("spaces", d.Spaces[0], "memberships"), "space_memberships"),
	}
	// A run of the report with parameters, so that its options have fields to check.
	paramRun := mustJSON(t, s, "POST", wsPath("reports", d.ParamReport, "runs"), map[string]any{}, http.StatusAccepted)
	waitRun(t, s, d.ParamReport, paramRun["token"].(string))
	paramParams := map[string]string{"account": DemoWorkspace, "report": d.ParamReport, "run": paramRun["token"].(string)}
	// A run of a dataset, for the dataset paths (whose {run} is a dataset run).
	dataset := d.Datasets[0]
	datasetRun := mustJSON(t, s, "POST", wsPath("datasets", dataset, "runs"), nil, http.StatusAccepted)["token"].(string)
	waitRun(t, s, dataset, datasetRun)
	datasetParams := maps.Clone(params)
	datasetParams["dataset"], datasetParams["run"] = dataset, datasetRun
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })

	seen := map[string]bool{}
	checked := 0
	for _, op := range loadSpec(t, specREST) {
		if op.Method != http.MethodGet || !serves(e, op) || strings.HasSuffix(op.Path, ".csv") || strings.HasSuffix(op.Path, ".json") {
			continue
		}
		specPath := strings.TrimPrefix(op.Path, "/api")
		name, sch := doc.answerSchema(specPath, "get")
		if sch == nil {
			continue
		}
		path := modespec.Fill(op.Path, func(name string) string { return params[name] })
		if _, ok := itemAnswers[specPath]; ok {
			path = modespec.Fill(op.Path, func(name string) string { return paramParams[name] })
		}
		if strings.Contains(specPath, "/datasets/") {
			path = modespec.Fill(op.Path, func(name string) string { return datasetParams[name] })
		}
		if q, ok := answerQueries[specPath]; ok {
			path += "?" + q
		}
		resp, body := call(t, s, "GET", path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200: %s", path, resp.StatusCode, body)
			continue
		}
		var o map[string]any
		if err := json.Unmarshal(body, &o); err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		checked++
		diffs := doc.differences(name, sch, o)
		if key, ok := itemAnswers[specPath]; ok {
			diffs = itemDifferences(t, &doc, name, sch, key, o)
		}
		if key, ok := listAnswers[specPath]; ok {
			diffs = listDifferences(name, sch, key, o)
		}
		for _, diff := range diffs {
			if seen[diff] {
				continue
			}
			seen[diff] = true
			t.Errorf("GET %s: %s", op.Path, diff)
		}
	}
	// The Metadata API's lists, read with a signature token: their pagination, their links and
	// every field of every item (Mode's representers list the fields they send and require none;
	// the emulator sends them all).
	rawBatch, err := os.ReadFile(specBatch)
	if err != nil {
		t.Fatal(err)
	}
	var batchDoc specDocument
	if err := json.Unmarshal(rawBatch, &batchDoc); err != nil {
		t.Fatal(err)
	}
	_, bearer := createSignature(t, s, DemoWorkspace)
	for _, op := range loadSpec(t, specBatch) {
		if op.Method != http.MethodGet || !serves(e, op) {
			continue
		}
		name, sch := batchDoc.answerSchema(op.Path, "get")
		if sch == nil {
			t.Errorf("GET %s: Mode's document gives no answer schema", op.Path)
			continue
		}
		path := modespec.Fill(op.Path, func(string) string { return DemoWorkspace }) + "?include_spaces=all"
		o := signedJSON(t, s, bearer, path, http.StatusOK)
		checked++
		for _, diff := range batchDifferences(&batchDoc, name, sch, o) {
			t.Errorf("GET %s: %s", op.Path, diff)
		}
	}

	// A report that has never run: Mode requires its last_run and last_successful_run links too.
	unrun := d.Reports[1]
	name, sch := doc.answerSchema("/{account}/reports/{report}", "get")
	for _, diff := range doc.differences(name, sch, mustJSON(t, s, "GET", wsPath("reports", unrun), nil, http.StatusOK)) {
		t.Errorf("GET a report that never ran: %s", diff)
	}
	if checked < minServedGETs {
		t.Errorf("checked %d GET answers, want at least %d (every GET the emulator serves but the result files)", checked, minServedGETs)
	}
	t.Logf("checked %d GET answers against Mode's schemas", checked)
}

// firstToken returns the token of the first item a list embeds under key.
func firstToken(t *testing.T, s *Server, path, key string) string {
	t.Helper()
	items := embedded(t, mustJSON(t, s, "GET", path, nil, http.StatusOK), key)
	if len(items) == 0 {
		t.Fatalf("%s lists no %s", path, key)
	}
	tok, _ := items[0]["token"].(string)
	return tok
}

// batchDifferences lists how a Metadata API answer departs from its collection schema: the
// differences of the envelope (required pagination fields, required links), then, for the list
// of items under each array property, every property of the item schema an item lacks.
func batchDifferences(doc *specDocument, name string, s *schema, o map[string]any) []string {
	out := doc.differences(name, s, o)
	if pn, ps := doc.resolve(s.Properties["pagination"]); ps != nil {
		p, _ := o["pagination"].(map[string]any)
		out = append(out, doc.differences(pn, ps, p)...)
	}
	for key, p := range s.Properties {
		if p.Type != "array" || p.Items == nil {
			continue
		}
		itemName, item := doc.resolve(p.Items)
		list, ok := o[key].([]any)
		if !ok {
			out = append(out, name+": no "+key+" list")
			continue
		}
		if len(list) == 0 {
			out = append(out, name+": the "+key+" list is empty: nothing to check")
		}
		for _, it := range list {
			m, _ := it.(map[string]any)
			for f := range item.Properties {
				if _, ok := m[f]; !ok {
					out = append(out, itemName+": missing field "+f)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSpecRunStates: every state a report run shows, from its creation to its end, is one of the
// states Mode's document gives a ReportRun.
func TestSpecRunStates(t *testing.T) {
	raw, err := os.ReadFile(specREST)
	if err != nil {
		t.Fatal(err)
	}
	var doc specDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Definitions["ReportRun"].Properties["state"].Enum
	if len(enum) == 0 {
		t.Fatal("Mode's document gives ReportRun no states")
	}
	s := newTestServer(t, WithRunDuration(20*time.Millisecond))
	report := s.Demo().Reports[0]
	run := startRun(t, s, report, nil)
	seen := map[string]bool{run["state"].(string): true}
	path := wsPath("reports", report, "runs", run["token"].(string))
	for !finished(mustJSON(t, s, "GET", path, nil, http.StatusOK)["state"].(string)) {
		o := mustJSON(t, s, "GET", path, nil, http.StatusOK)
		seen[o["state"].(string)] = true
		list := embedded(t, mustJSON(t, s, "GET", wsPath("reports", report, "runs"), nil, http.StatusOK), "report_runs")
		seen[list[0]["state"].(string)] = true
		time.Sleep(time.Millisecond)
	}
	seen[mustJSON(t, s, "GET", path, nil, http.StatusOK)["state"].(string)] = true
	for st := range seen {
		if !slices.Contains(enum, any(st)) {
			t.Errorf("a report run showed state %q, not one of Mode's %v", st, enum)
		}
	}
	if !seen[stateEnqueued] || !seen[stateSucceeded] {
		t.Errorf("states seen %v, want enqueued and succeeded among them", seen)
	}
}
