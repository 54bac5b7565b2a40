package modeclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Mode's tokens are global, and one credential may see several workspaces.
// A Mode that resolved an object by its token whatever workspace the URL
// names would answer GET /api/acme/reports/<token of another workspace>
// with the other workspace's report; the service would hand it to a caller
// allowed only acme, relabelled as acme's, and the cache would keep serving
// it. So every object Mode answers (single objects, the answers of writes,
// every item of a list page) must name the workspace the call was about,
// and is checked before it is cached or returned:
//
//   - account_username (reports, data sources) or username (a workspace),
//     when present, must equal the workspace asked for;
//   - the workspace segment of _links.self and _links.account
//     ("/api/{workspace}/…"), when present, must equal it too;
//   - at least one of them must be present: every object of Mode's spec
//     has a self link, so an object naming no workspace is a response this
//     client cannot vouch for (*DecodeError), not a match.
//
// Usernames are compared exactly, as Mode's paths and the callers' grants
// name them: a case-folded match would be looser than the authorization the
// request passed. A mismatch is a *WrongWorkspaceError, which unwraps to a
// 404 *APIError: to the caller the object does not exist in the workspace
// it asked about, exactly as if Mode had answered 404, and nothing of the
// other workspace's object (not even its workspace's name) is reported.

// owned is a Mode object that names the workspace it belongs to.
type owned interface {
	// owner returns the workspace username the object carries in a field of
	// its own ("" when it has none) and its HAL links.
	owner() (username string, links Links)
}

// ownedPtr is a pointer to a Mode object that names its workspace: the
// constraint makes every decoded resource type prove it can be checked.
type ownedPtr[T any] interface {
	*T
	owned
}

func (r *Report) owner() (string, Links)     { return r.AccountUsername, r.Links }
func (d *DataSource) owner() (string, Links) { return d.AccountUsername, d.Links }
func (w *Workspace) owner() (string, Links)  { return w.Username, w.Links }
func (s *Space) owner() (string, Links)      { return "", s.Links }
func (q *Query) owner() (string, Links)      { return "", q.Links }
func (r *ReportRun) owner() (string, Links)  { return "", r.Links }
func (q *QueryRun) owner() (string, Links)   { return "", q.Links }
func (m *Membership) owner() (string, Links) { return "", m.Links }
func (g *Group) owner() (string, Links)      { return "", g.Links }
func (d *Dataset) owner() (string, Links)    { return d.AccountUsername, d.Links }
func (r *DatasetRun) owner() (string, Links) { return "", r.Links }

// ownerLinks are the relations whose href names the object's own workspace.
// (Others may point elsewhere on purpose: a membership's "user" is the
// member's personal account, a run's "executed_by" a user.)
var ownerLinks = [...]string{"self", "account"}

// WrongWorkspaceError means Mode answered a call about one workspace with an
// object of another (a token of another workspace resolved whatever
// workspace the URL named). It unwraps to a 404 *APIError, so callers that
// handle not-found need nothing more; its text names neither the object nor
// the workspace it belongs to.
type WrongWorkspaceError struct {
	Method    string // HTTP method
	Route     string // path template of the call
	Workspace string // the workspace the call was about
}

// Error implements error.
func (e *WrongWorkspaceError) Error() string {
	return fmt.Sprintf("modeclient: %s %s: Mode answered with an object of another workspace than %q: treated as not found",
		e.Method, e.Route, e.Workspace)
}

// Unwrap returns the 404 *APIError the mismatch stands for.
func (e *WrongWorkspaceError) Unwrap() error {
	return &APIError{StatusCode: http.StatusNotFound, ID: "not_found", Message: "Not Found", Method: e.Method, Route: e.Route}
}

// checkOwner checks that o belongs to the workspace cl is about.
func (c *Client) checkOwner(cl *call, o owned) error {
	name, links := o.owner()
	named := false
	if name != "" {
		if name != cl.workspace {
			return &WrongWorkspaceError{Method: cl.method, Route: cl.route, Workspace: cl.workspace}
		}
		named = true
	}
	for _, rel := range ownerLinks {
		ws, ok := c.hrefWorkspace(links.Href(rel))
		if !ok {
			continue
		}
		if ws != cl.workspace {
			return &WrongWorkspaceError{Method: cl.method, Route: cl.route, Workspace: cl.workspace}
		}
		named = true
	}
	if !named {
		return &DecodeError{Method: cl.method, Route: cl.route,
			Reason: "the object names no workspace (no account_username and no _links.self under /api/{workspace}/)"}
	}
	return nil
}

// checkOwners checks every item of a list page (see checkOwner). One item of
// another workspace fails the whole page: a list under a token of another
// workspace (a space's reports, a report's runs) is that workspace's list,
// and its paging counts would describe it too, so dropping the item would
// still answer about the other workspace.
func checkOwners[T any, PT ownedPtr[T]](c *Client, cl *call, items []T) error {
	for i := range items {
		if err := c.checkOwner(cl, PT(&items[i])); err != nil {
			return err
		}
	}
	return nil
}

// hrefWorkspace returns the workspace segment of a HAL href to Mode's API
// ("/api/{workspace}/…", absolute or relative, with or without the client's
// base path), and false for an empty href or one that is not under /api/.
func (c *Client) hrefWorkspace(href string) (string, bool) {
	if href == "" {
		return "", false
	}
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	p := u.EscapedPath()
	if c.basePath != "" {
		if rest, ok := strings.CutPrefix(p, c.basePath); ok && strings.HasPrefix(rest, "/api/") {
			p = rest
		}
	}
	rest, ok := strings.CutPrefix(p, "/api/")
	if !ok {
		return "", false
	}
	ws, _, _ := strings.Cut(rest, "/")
	if !ValidWorkspace(ws) {
		return "", false
	}
	return ws, true
}

// Writes are checked before they are sent. Checking the answer of a write
// is not enough: a Mode that resolves a token of another workspace has
// applied the write to that workspace's object by the time it answers (and
// some deletions answer nothing to check). So every write addressed by a
// token (to the object it changes, or for a create, to the parent it
// creates under) first reads that object with the ordinary GET of its kind
// (GetReport, GetSpace, GetQuery, GetReportRun), which runs checkOwner and
// goes through the cache. An object of another workspace fails that GET
// with *WrongWorkspaceError, so the write is never sent and the caller gets
// the same not-found as a read; an object that does not exist fails it with
// Mode's own 404 (or 403), which the write would have got too.
//
// The check costs nothing upstream when the object is cached (a write then
// costs the same requests, and the same rate limit, as before), and at most
// one GET when it is not. It uses the cache even when the caller's context
// bypasses it (WithCacheBypass): the workspace an object belongs to never
// changes (Mode has no call that moves an object between workspaces), so an
// entry that passed checkOwner once is proof enough, however old its other
// fields are. The write then invalidates the object's entries as it always
// did.

// ownerCheckContext is the context of a pre-write check: through the cache,
// whatever the caller's context says (see above).
func ownerCheckContext(ctx context.Context) context.Context {
	if !cacheBypassed(ctx) {
		return ctx
	}
	return context.WithValue(ctx, bypassKey, false)
}

// verifyReport checks, before a write, that report belongs to workspace.
func (c *Client) verifyReport(ctx context.Context, workspace, report string) error {
	_, err := c.GetReport(ownerCheckContext(ctx), workspace, report)
	return err
}

// verifySpace checks, before a write, that space belongs to workspace.
func (c *Client) verifySpace(ctx context.Context, workspace, space string) error {
	_, err := c.GetSpace(ownerCheckContext(ctx), workspace, space)
	return err
}

// verifyQuery checks, before a write, that query (of report) belongs to workspace.
func (c *Client) verifyQuery(ctx context.Context, workspace, report, query string) error {
	_, err := c.GetQuery(ownerCheckContext(ctx), workspace, report, query)
	return err
}

// verifyReportRun checks, before a write, that run (of report) belongs to workspace.
func (c *Client) verifyReportRun(ctx context.Context, workspace, report, run string) error {
	_, err := c.GetReportRun(ownerCheckContext(ctx), workspace, report, run)
	return err
}
