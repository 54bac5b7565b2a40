package modetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Mode's own OpenAPI documents (MIT, testdata/mode-api/LICENSE), copied from
// ../shared/mode-api: the reference the emulator is measured against.
const (
	specREST  = "testdata/mode-api/swagger.json"
	specBatch = "testdata/mode-api/batch-swagger.json"
)

// minServed is how many of Mode's REST operations the emulator served when
// this test was written; coverage may only grow (raise it as it does).
const minServed = 32

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
}

// specOperation is one operation of an OpenAPI document.
type specOperation struct {
	method string
	path   string // as the emulator is asked it: under /api, one per concrete file name
}

// route is the operation as a method and a path with its parameters unnamed.
func (o specOperation) route() string { return o.method + " " + unnamedParams(o.path) }

var paramPattern = regexp.MustCompile(`\{[^}]*\}`)

// unnamedParams replaces every {name} of a path template with {}.
func unnamedParams(path string) string { return paramPattern.ReplaceAllString(path, "{}") }

// loadSpec reads the operations of an OpenAPI 2 document. A path the document
// writes as "content(.csv, .json)" is the two files it stands for.
func loadSpec(t *testing.T, file string) []specOperation {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		BasePath string                                `json:"basePath"`
		Paths    map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var ops []specOperation
	for path, methods := range doc.Paths {
		full := path
		if !strings.HasPrefix(path, doc.BasePath+"/") {
			full = doc.BasePath + path
		}
		concrete := []string{full}
		if strings.Contains(full, "content(.csv, .json)") {
			concrete = []string{strings.Replace(full, "content(.csv, .json)", "content.csv", 1), strings.Replace(full, "content(.csv, .json)", "content.json", 1)}
		}
		for m := range methods {
			method := strings.ToUpper(m)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
				continue
			}
			for _, p := range concrete {
				ops = append(ops, specOperation{method: method, path: p})
			}
		}
	}
	slices.SortFunc(ops, func(a, b specOperation) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return ops
}

// serves reports whether the emulator routes op to a handler registered for
// that very operation (not to a wider pattern that happens to match, such as
// GET /api/{ws} for GET /api/account).
func serves(e *Emulator, op specOperation) bool {
	path := paramPattern.ReplaceAllString(op.path, "x1")
	req := httptest.NewRequest(op.method, path, nil)
	_, pattern := e.mux.Handler(req)
	return pattern != "/" && unnamedParams(pattern) == op.route()
}

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
	count := func(name string, ops []specOperation) int {
		served := 0
		seen := map[string]bool{}
		for _, op := range ops {
			specRoutes[op.route()] = true
			ok := serves(e, op)
			key := op.method + " " + strings.Replace(strings.Replace(op.path, "content.csv", "content(.csv, .json)", 1), "content.json", "content(.csv, .json)", 1)
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
	count("Metadata API ("+specBatch+")", batch)
	t.Logf("coverage:\n%s", table.String())

	if servedREST < minServed {
		t.Errorf("the emulator serves %d of Mode's REST operations, fewer than the %d it served before", servedREST, minServed)
	}
	for _, p := range e.patterns {
		r := unnamedParams(p)
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
		op   specOperation
		want bool
	}{
		{specOperation{http.MethodGet, "/api/{account}/reports/{report}"}, true},
		{specOperation{http.MethodGet, "/api/account"}, false},                     // caught by GET /api/{ws}
		{specOperation{http.MethodPost, "/api/{account}/reports/{report}"}, false}, // 405
		{specOperation{http.MethodGet, "/api/{workspace}/definitions"}, false},
	} {
		if got := serves(e, tt.op); got != tt.want {
			t.Errorf("serves(%s) = %v, want %v", tt.op.route(), got, tt.want)
		}
	}
}
