package modeclient_test

import (
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
)

// The operations of Mode's API the client uses: modeclient.Operations lists them by hand; the
// contract suite records the routes the client calls against the emulator (routeRecorder), and
// TestMain checks, when the tests end, that the two are the same list. TestOperationsInSpec
// checks the list against Mode's OpenAPI document.

// modeSpecs are Mode's OpenAPI documents, kept with the emulator: the REST API and the
// Metadata API.
var modeSpecs = []string{"modetest/testdata/mode-api/swagger.json", "modetest/testdata/mode-api/batch-swagger.json"}

// clientOnlyRoutes are routes the client calls that Mode's OpenAPI file leaves out, and why.
var clientOnlyRoutes = map[string]string{
	"GET /api/{}": "the workspace (Mode's account) itself, documented in Mode's API reference",
}

// calledRoutes are the client's routes seen by routeRecorder ("GET /api/{workspace}/…").
var calledRoutes sync.Map

// routeRecorder notes the route template of every request the client sends.
type routeRecorder struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (r routeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if method, route, ok := modeclient.RouteFromContext(req.Context()); ok {
		calledRoutes.Store(method+" "+route, true)
	}
	return r.next.RoundTrip(req)
}

// specRoutes lists the operations of Mode's documents as "METHOD /api/{}/…" or
// "METHOD /batch/{}/…" (parameters unnamed).
func specRoutes() (map[string]bool, error) {
	out := map[string]bool{}
	for _, file := range modeSpecs {
		ops, err := modespec.Read(file)
		if err != nil {
			return nil, err
		}
		for _, op := range ops {
			out[op.Route()] = true
		}
	}
	return out, nil
}

// compareRoutes compares the routes called with the listed operations: the routes called that
// are not listed, and the listed ones never called.
func compareRoutes(called []string, listed []modeclient.Operation) (unlisted, uncalled []string) {
	names := make([]string, 0, len(listed))
	for _, op := range listed {
		names = append(names, op.Method+" "+op.Route)
	}
	for _, r := range called {
		if !slices.Contains(names, r) {
			unlisted = append(unlisted, r)
		}
	}
	for _, n := range names {
		if !slices.Contains(called, n) {
			uncalled = append(uncalled, n)
		}
	}
	slices.Sort(unlisted)
	slices.Sort(uncalled)
	return unlisted, uncalled
}

// wholeSuite reports whether every test was asked to run (no -run or -skip filter): only then
// must every listed operation have been called.
func wholeSuite() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// TestMain runs the tests, then checks the routes the contract suite made the client call
// against modeclient.Operations.
func TestMain(m *testing.M) {
	code := m.Run()
	var called []string
	calledRoutes.Range(func(k, _ any) bool {
		called = append(called, k.(string))
		return true
	})
	unlisted, uncalled := compareRoutes(called, modeclient.Operations())
	if len(unlisted) > 0 {
		fmt.Fprintf(os.Stderr, "modeclient: the client calls routes modeclient.Operations does not list (add them):\n  %s\n", strings.Join(unlisted, "\n  "))
		code = max(code, 1)
	}
	if code == 0 && wholeSuite() && len(uncalled) > 0 {
		fmt.Fprintf(os.Stderr, "modeclient: modeclient.Operations lists routes the contract suite never called (test them, or remove them):\n  %s\n", strings.Join(uncalled, "\n  "))
		code = 1
	}
	if testing.Verbose() {
		fmt.Printf("modeclient: the contract suite called %d of the client's %d operations\n", len(called)-len(unlisted), len(modeclient.Operations()))
	}
	os.Exit(code)
}

// TestCompareRoutes: a called route missing from the list, and a listed route never called,
// are both reported.
func TestCompareRoutes(t *testing.T) {
	listed := []modeclient.Operation{{Method: "GET", Route: "/api/{workspace}"}, {Method: "GET", Route: "/api/{workspace}/groups"}}
	unlisted, uncalled := compareRoutes([]string{"GET /api/{workspace}", "POST /api/{workspace}/groups"}, listed)
	if !slices.Equal(unlisted, []string{"POST /api/{workspace}/groups"}) || !slices.Equal(uncalled, []string{"GET /api/{workspace}/groups"}) {
		t.Errorf("unlisted %v, uncalled %v", unlisted, uncalled)
	}
}

// TestOperationsInSpec: every operation the client lists is one of Mode's OpenAPI document (or a
// listed exception), each is listed once, and each names the Client methods that call it.
func TestOperationsInSpec(t *testing.T) {
	spec, err := specRoutes()
	if err != nil {
		t.Fatal(err)
	}
	for route, want := range map[string]bool{
		"GET /api/{}/reports/{}":                             true,
		"PATCH /api/{}/reports/{}/archive":                   true,
		"GET /api/{}/reports/{}/runs/{}/results/content.csv": true,
		"GET /api/{}/reports/{}/pins":                        false,
		"GET /api/{}":                                        false,
		"GET /batch/{}/reports":                              true,
		"DELETE /batch/{}/signature_tokens/{}":               true,
	} {
		if spec[route] != want {
			t.Errorf("spec has %s = %v, want %v", route, spec[route], want)
		}
	}
	seen := map[string]bool{}
	for _, op := range modeclient.Operations() {
		key := op.Method + " " + op.Route
		r := modespec.Unnamed(key)
		if !spec[r] && clientOnlyRoutes[r] == "" {
			t.Errorf("the client lists %s, which Mode's OpenAPI document does not have", key)
		}
		if seen[key] {
			t.Errorf("%s is listed twice", key)
		}
		seen[key] = true
		if op.Methods == "" {
			t.Errorf("%s names no Client method", key)
		}
	}
}
