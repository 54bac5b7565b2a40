// Package modetest is a faithful in-memory stand-in for Mode Analytics' REST API, in the spirit of
// net/http/httptest: the same paths, verbs, HAL+JSON shapes, paging, Basic auth, error bodies,
// status codes and rate limit as Mode, seeded with the demo workspace "parch_and_posey" whose
// reports hold real SQL that runs on an embedded SQLite database with Parch & Posey data.
// A second, smaller workspace (SecondWorkspace) is visible to the same credentials; its tokens
// answer 404 under the first workspace's paths, as on Mode, unless WithCrossWorkspaceTokens makes
// the emulator resolve tokens whatever workspace the URL names.
//
// Report runs go through Mode's states asynchronously; results are streamed as JSON and CSV.
// A whole run's results are its one query's, or for several queries a ZIP of one CSV per query;
// a succeeded run exports as a real PDF (export.go), served with Range requests.
// Report schedules fire runs on their cron, on a clock tests control (WithClock, TestClock) or
// on the real time.
// Definitions are named SELECT statements of a workspace that queries reference as
// {{ @definition_name }}, expanded before a run executes the SQL (definitions.go); report filters
// read columns of a report's queries (filters.go); charts belong to queries and are read-only
// (charts.go).
// Datasets are reports of their own kind (datasets.go): they live in spaces, run like reports,
// expose the columns of their query's result as fields (typed from the real SQL's result) with
// descriptions, are imported by reports (lineage), and refresh on schedules; the demo workspace
// has three, one of them scheduled (Demo.Datasets, Demo.DatasetSchedule).
// on the real time. Data sources can be updated (their password is never shown again) and have
// their schema refreshed; report results can be purged per data source or per workspace, after
// which the runs say when and their results answer 404.
// Each credential belongs to a user (GET /api/account answers them; the first credential is Ana,
// the demo's first admin); members can be removed and people invited by e-mail into pending
// memberships (people.go); every write a caller makes is recorded in its workspace's audit log,
// with the user, the client's address and the time of the emulator's clock, and read back
// filtered and paged with next_token (audit.go).
// The Metadata API (/batch/{workspace}/…: reports, queries, charts, spaces, members, report stats) lists a
// whole workspace a thousand objects a page, read with a signature token (Bearer) that a Basic-auth
// request creates; WithGeneratedReports seeds a workspace of thousands of reports for it.
// User groups are administered with their memberships (groups.go), and space memberships give
// members or groups access to spaces (spacememberships.go). The access takes effect for requests
// made with a member's own credential (WithUserCredential, access.go): a restricted space, its
// reports and datasets are visible only to admins and to the members a space membership names,
// directly or through a group, and a grant or a revocation shows in the member's next request.
// Credentials of WithCredentials stand for no member and see everything.
// Faults (latency, error statuses, 429s, hangs, dropped connections, malformed or truncated
// bodies) can be injected per path, and every request is logged for assertions.
//
// The package imports nothing from the rest of this module: it writes Mode's JSON from its own
// types, so a shape the client gets wrong cannot be wrong the same way here.
//
// Use NewServer in tests and New (an http.Handler) to embed the emulator elsewhere:
//
//	srv := modetest.NewServer(t)
//	req, _ := http.NewRequest("GET", srv.URL+"/api/"+modetest.DemoWorkspace, nil)
//	req.SetBasicAuth(srv.Token, srv.Secret)
//	resp, err := srv.Client().Do(req)
package modetest
