package modeclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

var hostileSegments = []string{
	"", "..", ".", "%2e", "%2e%2e", "a/b", "/", "a?b=1", "a#frag", "a\x00b", "\xff\xfe", "a b",
	"a%2Fb", "a\\b", "-leading", strings.Repeat("a", 65), "ü", "a\nb", "a;b", "a:b", "@x",
}

func TestHostileSegmentsMakeNoRequest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { t.Errorf("request made: %s", r.URL.Path) })
	calls := map[string]func(v string) error{
		"workspace": func(v string) error { _, err := f.client.GetWorkspace(ctx, v); return err },
		"report":    func(v string) error { _, err := f.client.GetReport(ctx, "acme", v); return err },
		"space":     func(v string) error { return f.client.DeleteSpace(ctx, "acme", v) },
		"run": func(v string) error {
			_, err := f.client.RunReport(ctx, "acme", "r1", nil)
			_ = err
			_, err = f.client.CloneReportRun(ctx, "acme", "r1", v)
			return err
		},
		"query_run": func(v string) error { _, err := f.client.QueryResultsCSV(ctx, "acme", "r1", "run1", v); return err },
		"query": func(v string) error {
			_, err := f.client.UpdateQuery(ctx, "acme", "r1", v, QueryUpdate{Name: ptr("x")})
			return err
		},
		"data_source": func(v string) error {
			_, err := f.client.ListDataSourceReportsPage(ctx, "acme", v, 1, nil)
			return err
		},
		"membership": func(v string) error {
			if _, err := f.client.DeleteMembership(ctx, "acme", v); err == nil {
				return errors.New("DeleteMembership took it")
			}
			_, err := f.client.GetMembership(ctx, "acme", v)
			return err
		},
		"group": func(v string) error { _, err := f.client.GetGroup(ctx, "acme", v); return err },
	}
	// RunReport above is valid and would hit the server: serve it, and the GET of its report
	// that checks the report's workspace first.
	f.mux.HandleFunc("/api/acme/reports/r1/runs", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 202, `{}`) })
	f.mux.HandleFunc("GET /api/acme/reports/r1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, reportJSON) })
	for field, call := range calls {
		for _, v := range hostileSegments {
			if field != "workspace" && v == "-leading" {
				continue // a token may start with '-'
			}
			err := call(v)
			var ia *InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != field {
				t.Errorf("%s %q: err = %v, want InvalidArgumentError{%s}", field, v, err, field)
			}
			if len(v) > 2 && strings.Contains(err.Error(), v) {
				t.Errorf("%s: error echoes the value: %v", field, err)
			}
		}
	}
}

func TestValidSegments(t *testing.T) {
	for _, ws := range []string{"parch_and_posey", "a", "A-b_9", strings.Repeat("w", 64)} {
		if _, ok := validWorkspace(ws); !ok {
			t.Errorf("workspace %q rejected", ws)
		}
	}
	for _, tok := range []string{"2e84ac7d1a2c", "-x", "_", strings.Repeat("t", 64)} {
		if _, ok := validToken(tok); !ok {
			t.Errorf("token %q rejected", tok)
		}
	}
}

// FuzzPathSegment: any string is either rejected or yields a URL on the
// configured host whose path has exactly the expected segments.
func FuzzPathSegment(f *testing.F) {
	for _, s := range hostileSegments {
		f.Add(s)
	}
	f.Add("2e84ac7d1a2c")
	f.Add("parch_and_posey")
	c, err := New("https://app.mode.com/prefix", testCred)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []*apiPath{workspacePath(s), reportPath("acme", s), queryRunPath(s, s, s, s)} {
			path, _, err := p.build()
			if err != nil {
				var ia *InvalidArgumentError
				if !errors.As(err, &ia) {
					t.Fatalf("error %v is not InvalidArgumentError", err)
				}
				continue
			}
			u := c.urlFor(path, nil)
			if u.Host != "app.mode.com" || u.Scheme != "https" || u.RawQuery != "" || u.Fragment != "" {
				t.Fatalf("URL %s left the host", u)
			}
			got := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
			if len(got) != len(p.segs)+2 || got[0] != "prefix" || got[1] != "api" {
				t.Fatalf("URL %s has segments %q, want %d", u, got, len(p.segs)+2)
			}
			for _, seg := range got {
				if seg == "" || seg == "." || seg == ".." {
					t.Fatalf("URL %s has segment %q", u, seg)
				}
			}
			if s != "" && !strings.Contains(u.Path, s) {
				t.Fatalf("URL %s lost the value", u)
			}
		}
	})
}

func TestExportedValidators(t *testing.T) {
	for _, tt := range []struct {
		in               string
		workspace, token bool
	}{
		{"parch_and_posey", true, true},
		{"-lead", false, true},
		{"", false, false},
		{"a/b", false, false},
		{"..", false, false},
		{strings.Repeat("a", 65), false, false},
		{"account", false, true}, // GET /api/account, not a workspace
		{"verify", false, true},  // GET /api/verify
		{"Verify", false, true},
		{"accounts", true, true},
	} {
		if got := ValidWorkspace(tt.in); got != tt.workspace {
			t.Errorf("ValidWorkspace(%q) = %v", tt.in, got)
		}
		if got := ValidToken(tt.in); got != tt.token {
			t.Errorf("ValidToken(%q) = %v", tt.in, got)
		}
	}
}

// TestReservedWorkspacesMakeNoRequest: "account" and "verify" name operations of Mode's API
// (/api/account, /api/verify), so no workspace call may address them.
func TestReservedWorkspacesMakeNoRequest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { t.Errorf("request made: %s", r.URL.Path) })
	for _, ws := range []string{"account", "verify", "ACCOUNT"} {
		for name, call := range map[string]func() error{
			"GetWorkspace":   func() error { _, err := f.client.GetWorkspace(ctx, ws); return err },
			"ListSpacesPage": func() error { _, err := f.client.ListSpacesPage(ctx, ws, 1, nil); return err },
			"GetReport":      func() error { _, err := f.client.GetReport(ctx, ws, "r1"); return err },
		} {
			var ia *InvalidArgumentError
			if err := call(); !errors.As(err, &ia) || ia.Field != "workspace" {
				t.Errorf("%s(%q): err = %v, want InvalidArgumentError{workspace}", name, ws, err)
			}
		}
	}
}
