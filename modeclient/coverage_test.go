package modeclient_test

import (
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

// The operations of Mode's API the client uses, as the contract suite calls them against the
// emulator (routeRecorder), checked against Mode's OpenAPI document when the tests end
// (TestMain): every route the client calls must be an operation Mode documents.

// modeSpec is Mode's OpenAPI document, kept with the emulator.
const modeSpec = "modetest/testdata/mode-api/swagger.json"

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

// specRoutes lists the operations of Mode's document as "METHOD /api/{}/…" (parameters unnamed).
func specRoutes() (map[string]bool, error) {
	ops, err := modespec.Read(modeSpec)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, op := range ops {
		out[op.Route()] = true
	}
	return out, nil
}

// checkCalledRoutes reports the routes the client called that Mode does not document.
func checkCalledRoutes() (used int, unknown []string, err error) {
	spec, err := specRoutes()
	if err != nil {
		return 0, nil, err
	}
	calledRoutes.Range(func(k, _ any) bool {
		used++
		r := modespec.Unnamed(k.(string))
		if !spec[r] && clientOnlyRoutes[r] == "" {
			unknown = append(unknown, k.(string))
		}
		return true
	})
	slices.Sort(unknown)
	return used, unknown, nil
}

// TestMain runs the tests, then checks the routes the contract suite made the client call.
func TestMain(m *testing.M) {
	code := m.Run()
	used, unknown, err := checkCalledRoutes()
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "modeclient: reading Mode's OpenAPI document:", err)
		code = max(code, 1)
	case len(unknown) > 0:
		fmt.Fprintf(os.Stderr, "modeclient: the client calls routes Mode's OpenAPI document does not have:\n  %s\n", strings.Join(unknown, "\n  "))
		code = max(code, 1)
	case testing.Verbose() && used > 0:
		fmt.Printf("modeclient: the contract suite called %d of Mode's operations\n", used)
	}
	os.Exit(code)
}

// TestCheckCalledRoutes: a route Mode does not document is reported; documented ones and the
// listed exception are not.
func TestCheckCalledRoutes(t *testing.T) {
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
	} {
		if spec[route] != want {
			t.Errorf("spec has %s = %v, want %v", route, spec[route], want)
		}
	}
	if clientOnlyRoutes["GET /api/{}"] == "" {
		t.Error("GET /api/{workspace} is not listed as a client-only route")
	}
}
