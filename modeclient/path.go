package modeclient

import (
	"net/url"
	"strings"
)

// Every Mode URL is built here from literal segments and validated caller
// values. A value that could change which URL is hit ("..", "/", "?", "#",
// escapes, NUL, invalid UTF-8 …) is rejected with *InvalidArgumentError and no
// request is made: the accepted alphabets contain nothing that needs escaping,
// and url.PathEscape is applied anyway.

const maxSegment = 64

// reservedWorkspaces are the names under /api/ that Mode's API gives to
// operations, not to accounts: GET /api/account (the authorizing user) and
// GET /api/verify (whether the credential works). A workspace named so
// would address them.
var reservedWorkspaces = []string{"account", "verify"}

// validWorkspace reports whether s is a workspace (account) username:
// ASCII letters, digits, '_' and '-', 1 to 64 characters, not starting with
// '-', and none of reservedWorkspaces (in any case).
func validWorkspace(s string) (reason string, ok bool) {
	if s == "" {
		return "must not be empty", false
	}
	for _, r := range reservedWorkspaces {
		if strings.EqualFold(s, r) {
			return "names an operation of Mode's API, not a workspace", false
		}
	}
	if len(s) > maxSegment {
		return "longer than 64 characters", false
	}
	if s[0] == '-' || s[0] == '.' {
		return "must not start with '-' or '.'", false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return "may contain only letters, digits, '_' and '-'", false
		}
	}
	return "", true
}

// ValidWorkspace reports whether s is a Mode workspace (account) username
// the client accepts: [A-Za-z0-9_][A-Za-z0-9_-]{0,63}, but not "account" or
// "verify" (in any case), which Mode's API reserves for operations of its own
// (/api/account, /api/verify). Packages that check names before they reach
// the client use it, so there is one definition.
func ValidWorkspace(s string) bool { _, ok := validWorkspace(s); return ok }

// ValidToken reports whether s is a Mode token the client accepts:
// [A-Za-z0-9_-]{1,64}.
func ValidToken(s string) bool { _, ok := validToken(s); return ok }

// validToken reports whether s is a Mode token: [A-Za-z0-9_-]{1,64}.
func validToken(s string) (reason string, ok bool) {
	if s == "" {
		return "must not be empty", false
	}
	if len(s) > maxSegment {
		return "longer than 64 characters", false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return "may contain only letters, digits, '_' and '-'", false
		}
	}
	return "", true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// apiPath accumulates a validated API path and its route template.
type apiPath struct {
	root      string   // the first segment: "api" (Mode's REST API) or "batch" (its Metadata API)
	workspace string   // the workspace username of the segment after the root
	segs      []string // escaped segments after the root
	route     []string // the same, with parameters as {name}
	err       error
}

// newPath starts a path under /api/ with the workspace segment.
func newPath(workspace string) *apiPath {
	p := &apiPath{root: "api", workspace: workspace}
	return p.param("workspace", workspace, validWorkspace)
}

// newBatchPath starts a path of Mode's Metadata API, under /batch/, with the workspace segment.
func newBatchPath(workspace string) *apiPath {
	p := &apiPath{root: "batch", workspace: workspace}
	return p.param("workspace", workspace, validWorkspace)
}

// lit appends a literal (trusted, constant) segment.
func (p *apiPath) lit(s string) *apiPath {
	p.segs = append(p.segs, s)
	p.route = append(p.route, s)
	return p
}

// tok appends a token parameter named field.
func (p *apiPath) tok(field, v string) *apiPath { return p.param(field, v, validToken) }

func (p *apiPath) param(field, v string, check func(string) (string, bool)) *apiPath {
	if p.err != nil {
		return p
	}
	if reason, ok := check(v); !ok {
		p.err = &InvalidArgumentError{Field: field, Reason: reason}
		return p
	}
	p.segs = append(p.segs, url.PathEscape(v))
	p.route = append(p.route, "{"+field+"}")
	return p
}

// build returns the escaped path ("/api/ws/reports/abc"), the route template
// ("/api/{workspace}/reports/{report}") or the first validation error.
func (p *apiPath) build() (path, route string, err error) {
	if p.err != nil {
		return "", "", p.err
	}
	root := "/" + p.root + "/"
	return root + strings.Join(p.segs, "/"), root + strings.Join(p.route, "/"), nil
}

// Paths of every resource, shared by reads, writes and cache tags.

func workspacePath(ws string) *apiPath { return newPath(ws) }

func reportPath(ws, report string) *apiPath {
	return newPath(ws).lit("reports").tok("report", report)
}

func runPath(ws, report, run string) *apiPath {
	return reportPath(ws, report).lit("runs").tok("run", run)
}

func queryRunPath(ws, report, run, queryRun string) *apiPath {
	return runPath(ws, report, run).lit("query_runs").tok("query_run", queryRun)
}
