package service_test

import (
	"cmp"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modeplatform/modeplatform/internal/modespec"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// Coverage of Mode's API, measured when the service tests end (TestMain): for every operation
// of Mode's OpenAPI documents, whether the emulator serves it, whether the client uses it
// (modeclient.Operations), and whether it is reachable through the contract (the client called
// it while these tests ran: newEnv's client records its routes). The table is printed with -v
// and written to the file named by $MODEPLATFORM_COVERAGE_REPORT (scripts/test.sh prints it).
// The tests fail when the client uses an operation the emulator does not serve, or when the
// service made the client call a route modeclient.Operations does not list.

// coverageReportEnv names the environment variable naming the file the table is written to.
const coverageReportEnv = "MODEPLATFORM_COVERAGE_REPORT"

// modeSpecs are Mode's OpenAPI documents, kept with the emulator.
var modeSpecs = []struct{ name, file string }{
	{"REST API", "../modeclient/modetest/testdata/mode-api/swagger.json"},
	{"Metadata API", "../modeclient/modetest/testdata/mode-api/batch-swagger.json"},
}

// reachedRoutes are the routes ("GET /api/{workspace}/…") the client called during the tests.
var reachedRoutes sync.Map

// routeRecorder notes the route of every request the client sends (modeclient.RouteFromContext).
type routeRecorder struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (r routeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if method, route, ok := modeclient.RouteFromContext(req.Context()); ok {
		reachedRoutes.Store(method+" "+route, true)
	}
	return r.next.RoundTrip(req)
}

// TestMain runs the tests, then builds the coverage table and checks it.
func TestMain(m *testing.M) {
	code := m.Run()
	var reached []string
	reachedRoutes.Range(func(k, _ any) bool {
		reached = append(reached, k.(string))
		return true
	})
	table, problems, err := coverage(reached, wholeSuite())
	if err != nil {
		fmt.Fprintln(os.Stderr, "service: coverage of Mode's API:", err)
		os.Exit(max(code, 1))
	}
	if path := os.Getenv(coverageReportEnv); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "service: writing the coverage table to %s: %v\n", path, err)
			code = max(code, 1)
		}
	}
	if testing.Verbose() {
		fmt.Print(table)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "service: coverage of Mode's API:\n  %s\n", strings.Join(problems, "\n  "))
		code = max(code, 1)
	}
	os.Exit(code)
}

// wholeSuite reports whether every test was asked to run (no -run or -skip filter), so that
// the reachable column is complete.
func wholeSuite() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// coverageRow is one documented operation (or one route outside the documents).
type coverageRow struct {
	key                     string // "GET /api/{account}/reports/{report}"
	served, used, reachable bool
}

// marks renders a row's three columns.
func (r coverageRow) marks() string {
	m := func(ok bool, c string) string {
		if ok {
			return c
		}
		return "-"
	}
	return m(r.served, "S") + " " + m(r.used, "U") + " " + m(r.reachable, "R")
}

// coverageCount totals the three columns over rows.
type coverageCount struct{ served, used, reachable, all int }

func (c *coverageCount) add(r coverageRow) {
	c.all++
	for _, col := range []struct {
		ok bool
		n  *int
	}{{r.served, &c.served}, {r.used, &c.used}, {r.reachable, &c.reachable}} {
		if col.ok {
			*col.n++
		}
	}
}

func (c coverageCount) String() string {
	return fmt.Sprintf("served %d, used %d, reachable %d of %d", c.served, c.used, c.reachable, c.all)
}

// coverage builds the table from the routes reached and lists what fails: an operation the
// client uses that the emulator does not serve, a reached route the client does not list.
func coverage(reached []string, complete bool) (table string, problems []string, err error) {
	emu, err := modetest.New()
	if err != nil {
		return "", nil, fmt.Errorf("starting the emulator: %w", err)
	}
	defer emu.Close()

	used := map[string]string{} // unnamed route → the client's route
	for _, op := range modeclient.Operations() {
		key := op.Method + " " + op.Route
		used[modespec.Unnamed(key)] = key
		if !emu.Serves(op.Method, op.Route) {
			problems = append(problems, "the client uses "+key+" ("+op.Methods+"), which the emulator does not serve")
		}
	}
	reachedSet := map[string]bool{}
	for _, r := range reached {
		reachedSet[modespec.Unnamed(r)] = true
		if used[modespec.Unnamed(r)] == "" {
			problems = append(problems, "the service made the client call "+r+", which modeclient.Operations does not list")
		}
	}

	var b strings.Builder
	b.WriteString("Coverage of Mode's API: the operations of Mode's OpenAPI documents (modeclient/modetest/testdata/mode-api)\n")
	b.WriteString("  S = served by the emulator (modetest), U = used by the client (modeclient.Operations),\n")
	b.WriteString("  R = reachable through the contract (the client called it while the service tests ran)\n")
	if !complete {
		b.WriteString("  (only some tests ran: the R column is partial)\n")
	}
	inSpec := map[string]bool{}
	for _, doc := range modeSpecs {
		ops, err := modespec.Read(doc.file)
		if err != nil {
			return "", nil, err
		}
		// One row per documented operation (the two result files of one operation are one row:
		// served when both are, used or reachable when either is), grouped by family.
		rows := map[string]*coverageRow{}
		family := map[string]string{}
		for _, op := range ops {
			r := op.Route()
			inSpec[r] = true
			row := rows[op.Key()]
			if row == nil {
				row = &coverageRow{key: op.Key(), served: true}
				rows[op.Key()] = row
				family[op.Key()] = cmp.Or(op.Family, "(no family)")
			}
			row.served = row.served && emu.Serves(op.Method, op.Path)
			row.used = row.used || used[r] != ""
			row.reachable = row.reachable || reachedSet[r]
		}
		keys := make([]string, 0, len(rows))
		for k := range rows {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			return cmp.Or(strings.Compare(family[a], family[b]), strings.Compare(pathOf(a), pathOf(b)), strings.Compare(a, b))
		})
		fmt.Fprintf(&b, "\n%s (%s)\n", doc.name, doc.file[strings.LastIndex(doc.file, "/")+1:])
		var total, fam coverageCount
		for i, k := range keys {
			if i == 0 || family[k] != family[keys[i-1]] {
				fam = coverageCount{}
				for _, k2 := range keys[i:] {
					if family[k2] != family[k] {
						break
					}
					fam.add(*rows[k2])
				}
				fmt.Fprintf(&b, "  %s (%s)\n", family[k], fam)
			}
			row := rows[k]
			total.add(*row)
			method, path, _ := strings.Cut(row.key, " ")
			fmt.Fprintf(&b, "    [%s] %-6s %s\n", row.marks(), method, path)
		}
		fmt.Fprintf(&b, "  %s total: %s\n", doc.name, total)
	}

	// Routes outside the documents: the client's and the emulator's.
	outside := map[string]*coverageRow{}
	for r, key := range used {
		if !inSpec[r] {
			outside[r] = &coverageRow{key: key, used: true, reachable: reachedSet[r]}
		}
	}
	for _, pattern := range emu.Routes() {
		r := modespec.Unnamed(pattern)
		if inSpec[r] {
			continue
		}
		if outside[r] == nil {
			outside[r] = &coverageRow{key: pattern}
		}
		outside[r].served = true
	}
	keys := make([]string, 0, len(outside))
	for r := range outside {
		keys = append(keys, r)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(strings.Compare(pathOf(a), pathOf(b)), strings.Compare(a, b)) })
	var total coverageCount
	b.WriteString("\nOutside Mode's OpenAPI documents (the workspace itself; the emulator's aliases and link targets)\n")
	for _, r := range keys {
		row := outside[r]
		total.add(*row)
		method, path, _ := strings.Cut(row.key, " ")
		fmt.Fprintf(&b, "    [%s] %-6s %s\n", row.marks(), method, path)
	}
	fmt.Fprintf(&b, "  outside total: %s\n", total)
	slices.Sort(problems)
	return b.String(), problems, nil
}

// pathOf is the path of "METHOD /path".
func pathOf(key string) string {
	_, p, _ := strings.Cut(key, " ")
	return p
}

// TestCoverageProblems: coverage reports an operation the client uses that the emulator does
// not serve and a reached route the client does not list, and nothing for a route it lists.
func TestCoverageProblems(t *testing.T) {
	// Every operation of Mode's documents is served and used now: the one the client does not
	// list is made up.
	table, problems, err := coverage([]string{"GET /api/{workspace}/reports/{report}", "GET /api/{workspace}/not_a_mode_operation"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"the service made the client call GET /api/{workspace}/not_a_mode_operation, which modeclient.Operations does not list"}
	if !slices.Equal(problems, want) {
		t.Errorf("problems = %q, want %q", problems, want)
	}
	for _, line := range []string{
		"    [S U R] GET    /api/{account}/reports/{report}\n",
		"    [S U -] PATCH  /api/{account}/reports/{report}\n",
		"    [S U -] GET    /api/{workspace}/audit_logs\n",
		"    [S U -] GET    /api/{workspace}\n",
		"(only some tests ran: the R column is partial)",
		"Metadata API total: served 8, used 8, reachable 0 of 8\n",
	} {
		if !strings.Contains(table, line) {
			t.Errorf("the table has no line %q:\n%s", line, table)
		}
	}
}
