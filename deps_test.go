package modeplatform_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/modeplatform/modeplatform"

// TestDependencyDirection keeps the layering of ARCHITECTURE.md true: cmd → service → modeclient,
// the emulator and the cache import nothing of ours, and modeclient never sees a protobuf type.
func TestDependencyDirection(t *testing.T) {
	tests := []struct {
		pkg       string
		forbidden []string // import path prefixes the package must not depend on
		allowed   []string // of this module's packages, only these (nil: any but forbidden)
	}{
		{pkg: "./modeclient/modetest", allowed: []string{module + "/modeclient/modetest"}},
		{pkg: "./modeclient/cache", allowed: []string{module + "/modeclient/cache"}},
		// The shared cache plugs into the cache's Shared extension and knows nothing above it.
		{pkg: "./sharedcache", allowed: []string{module + "/sharedcache", module + "/modeclient/cache"}},
		{pkg: "./sharedcache/redistest", allowed: []string{module + "/sharedcache/redistest", module + "/internal/syncbuf"}},
		// Helpers under internal/ are leaves: anything may use them, they use nothing of ours.
		{pkg: "./internal/syncbuf", allowed: []string{module + "/internal/syncbuf"}},
		{pkg: "./internal/httpserver", allowed: []string{module + "/internal/httpserver"}},
		{pkg: "./internal/errdetail", allowed: []string{module + "/internal/errdetail"}},
		{pkg: "./internal/modespec", allowed: []string{module + "/internal/modespec"}},
		{
			pkg:       "./modeclient",
			allowed:   []string{module + "/modeclient", module + "/modeclient/cache"},
			forbidden: []string{"google.golang.org/protobuf", "connectrpc.com/"},
		},
		{
			// service never builds a URL, so it needs no emulator and no cache of its own.
			pkg: "./service",
			allowed: []string{
				module + "/service", module + "/modeclient", module + "/modeclient/cache",
				module + "/gen/go/modeplatform/v1", module + "/gen/go/modeplatform/v1/modeplatformv1connect",
				module + "/internal/errdetail", module + "/internal/namepattern",
			},
			forbidden: []string{"net/http/httptest"},
		},
		// The guards are small and independent: caller auth needs only telemetry (to name the
		// caller) and the contract's descriptors (each method's scope); the per-caller limiter
		// nothing of ours; the upstream pool only modeclient. None of them imports service, and
		// service imports none of them (cmd wires them). The error details are shared by all.
		{
			pkg: "./auth",
			allowed: []string{
				module + "/auth", module + "/telemetry", module + "/modeclient", module + "/modeclient/cache",
				module + "/gen/go/modeplatform/v1", module + "/internal/errdetail",
			},
		},
		{pkg: "./ratelimit", allowed: []string{module + "/ratelimit", module + "/internal/errdetail"}},
		{
			pkg:       "./upstream",
			allowed:   []string{module + "/upstream", module + "/modeclient", module + "/modeclient/cache"},
			forbidden: []string{"net/http/httptest"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			deps := goListDeps(t, tt.pkg)
			if len(deps) == 0 {
				t.Fatalf("go list found no packages for %s", tt.pkg)
			}
			for _, dep := range deps {
				for _, f := range tt.forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s depends on %s (forbidden: %s)", tt.pkg, dep, f)
					}
				}
				if tt.allowed != nil && (dep == module || strings.HasPrefix(dep, module+"/")) && !contains(tt.allowed, dep) {
					t.Errorf("%s depends on %s; allowed of this module: %v", tt.pkg, dep, tt.allowed)
				}
			}
		})
	}
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
