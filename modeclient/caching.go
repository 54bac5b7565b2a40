package modeclient

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Cache tags. Every cached GET carries its own path as a tag, plus:
//   - lists carry their family, "list:<ws>:<plural>" for workspace-level
//     lists (every report list of a workspace shares "list:<ws>:reports")
//     and "list:<ws>/reports/<r>:<plural>" for lists under a report;
//   - everything under a report (its runs, query runs, queries and their
//     lists) carries "report:<ws>/<r>", dropped when the report is deleted;
//   - a report carries "space:<ws>/<s>" of its space, dropped when the space
//     is deleted, and "imports:<ws>/<d>" of each dataset it imports, dropped
//     when the dataset is renamed or deleted;
//   - a dataset is a report: everything under it carries "report:<ws>/<d>",
//     its lists under the report's ("list:<ws>/reports/<d>:runs", …:fields,
//     …:field_descriptions, …:schedules), so that a write through the report
//     API or the dataset API drops both views; its own entry also carries its
//     report path;
//   - what belongs to another object that a write of that object changes or
//     deletes carries that object's path: a query's charts and their list,
//     and a report filter, carry their query's path (UpdateQuery and
//     DeleteQuery drop them); a subscription carries its schedule's.
//   - every report run and query run, and every list of them, carries
//     "runs:<ws>", dropped when results are purged (purge.go): a purge changes
//     runs (purge_started_at, purge_completed_at) of many reports at once, and
//     which runs a data source's purge reaches is not known from a run;
//   - every page of the Metadata API (batch.go) carries "batch:<ws>", dropped
//     by every write of the workspace (writeBody) and by the end of a run
//     (reportRunEndTags): its pages list every report, query, space and
//     report stat, so nearly any write changes one of them;
//   - every space, report and dataset carries "access:<ws>", dropped when a
//     group gains or loses a member or is deleted (groups.go): what the
//     credential's member sees may change then, in spaces the client cannot
//     name (a group's space memberships are not read from the group);
//   - a space's memberships and their lists carry their space's scope and
//     "space_memberships:<ws>", dropped when a group is deleted (its space
//     memberships go with it) and when a member is removed (theirs go); a
//     group's memberships and their list carry "group:<ws>/<g>", dropped
//     when the group is deleted;
//   - what says who belongs to the workspace and its groups (a membership,
//     a group and its member_count, a group's memberships and their lists)
//     carries "people:<ws>", dropped when a member is removed or someone is
//     invited (the invitee joins the "everyone" group): a group membership
//     write changes one group only and drops that group's entries instead;
//   - schedules and subscriptions and their lists carry "subscribers:<ws>",
//     dropped when a member is removed: Mode takes them off every
//     subscription of the workspace (email_subscribers, the counts).
// A write invalidates the written resource's path, the list families that
// can contain it and the parents whose counts it changes. A report run seen
// reaching a terminal state invalidates what its end changed (see
// reportRunPolicy): Mode updates the report's last run fields then.

func listTag(ws, family string) string          { return "list:" + ws + ":" + family }
func reportListTag(ws, r, family string) string { return "list:" + ws + "/reports/" + r + ":" + family }
func reportScopeTag(ws, r string) string        { return "report:" + ws + "/" + r }
func spaceScopeTag(ws, s string) string         { return "space:" + ws + "/" + s }
func runsScopeTag(ws string) string             { return "runs:" + ws }
func batchTag(ws string) string                 { return "batch:" + ws }
func accessTag(ws string) string                { return "access:" + ws }
func spaceMembershipsTag(ws string) string      { return "space_memberships:" + ws }
func peopleTag(ws string) string                { return "people:" + ws }
func subscribersTag(ws string) string           { return "subscribers:" + ws }

// apiPathOf returns the cache tag of a resource path (its escaped path).
func apiPathOf(p *apiPath) string {
	path, _, _ := p.build()
	return path
}

// metadata caches for the metadata TTL with tags.
func (c *Client) metadata(tags ...string) cachePolicy {
	return func(any) (time.Duration, []string) { return c.metadataTTL, tags }
}

// reportPolicy caches a report for the metadata TTL, tagged with its space,
// with the datasets it imports (whose rename or deletion changes it) and with
// the workspace's access tag (who sees it may change).
func (c *Client) reportPolicy(ws string) cachePolicy {
	return func(v any) (time.Duration, []string) {
		r, _ := v.(*Report)
		if r == nil {
			return c.metadataTTL, nil
		}
		t := []string{accessTag(ws)}
		if r.SpaceToken != "" {
			t = append(t, spaceScopeTag(ws, r.SpaceToken))
		}
		for _, d := range r.ImportedDatasets {
			t = append(t, importTag(ws, d.Token))
		}
		return c.metadataTTL, t
	}
}

// terminalState reports whether a (report or query) run state, as Mode spells
// it, is final (runstate.go).
func terminalState(s string) bool { return ParseRunState(s).Terminal() }

// runState returns the state of a decoded run (a report or query run) and
// whether v is one.
func runState(v any) (string, bool) {
	switch r := v.(type) {
	case *ReportRun:
		return r.State, r != nil
	case *QueryRun:
		return r.State, r != nil
	case *DatasetRun:
		if r == nil {
			return "", false
		}
		return r.State.String(), true
	}
	return "", false
}

// runPolicy caches a run only once it is finished, for the finished TTL.
func (c *Client) runPolicy(tags ...string) cachePolicy {
	return func(v any) (time.Duration, []string) {
		if s, ok := runState(v); !ok || !terminalState(s) {
			return 0, tags
		}
		return c.finishedTTL, tags
	}
}

// runListPolicy caches a page of runs for the metadata TTL only when every
// run on it is finished: a page showing a run in progress goes stale at once.
func (c *Client) runListPolicy(tags ...string) cachePolicy {
	return func(v any) (time.Duration, []string) {
		var finished bool
		switch p := v.(type) {
		case *Page[ReportRun]:
			finished = p != nil && allFinished(p.Items, func(r ReportRun) string { return r.State })
		case *Page[QueryRun]:
			finished = p != nil && allFinished(p.Items, func(r QueryRun) string { return r.State })
		case *Page[DatasetRun]:
			finished = p != nil && allFinished(p.Items, func(r DatasetRun) string { return r.State.String() })
		}
		if !finished {
			return 0, tags
		}
		return c.metadataTTL, tags
	}
}

// allFinished reports whether every run of runs is in a terminal state.
func allFinished[T any](runs []T, state func(T) string) bool {
	for _, r := range runs {
		if !terminalState(state(r)) {
			return false
		}
	}
	return true
}

// tags returns a write's invalidation set: the written path plus extra.
func tags(extra ...string) func(path string) []string {
	return func(path string) []string { return append([]string{path}, extra...) }
}

// knownFinishedRuns bounds the set of report runs a client remembers it saw
// finished, so that each run's end invalidates once.
const knownFinishedRuns = 4096

// runEndSkew is how far Mode's clock may be ahead of ours when runsEnded
// judges whether a run ended before anything cached was fetched.
const runEndSkew = time.Minute

// finishedRuns is the set of report runs (by path) seen in a terminal state.
type finishedRuns = lru.Cache[string, struct{}]

func newFinishedRuns() *finishedRuns {
	s, err := lru.New[string, struct{}](knownFinishedRuns)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return s
}

// reportRunEndTags are invalidated when a run of report ends: the report
// (its last_run and last_successful_run fields), the report lists holding it,
// its fields when the report is a dataset (the latest fields are those of its
// last successful run), the Metadata API's pages (a report's last_run_state)
// and the report's run lists, last.
func reportRunEndTags(ws, report string) []string {
	return []string{apiPathOf(reportPath(ws, report)), listTag(ws, "reports"), reportListTag(ws, report, "fields"),
		batchTag(ws), reportListTag(ws, report, "runs")}
}

// runEnd is what runsEndedBy reads of a run: its token, whether it is in a terminal state, and
// when it completed (else was last updated).
type runEnd struct {
	token              string
	terminal           bool
	completed, updated time.Time
}

// runsEnded invalidates tags once for the runs of report in runs that are
// terminal, were not known to be, and ended recently enough for a cached
// entry to predate their end: the first fetch from Mode that shows a run
// finished drops what the end of the run changed, later fetches of it (polls,
// list pages, expired entries) do not. Cache hits never get
// here (policies run on fetched responses only). The invalidation goes
// through the cache's shared level like a write's, so every replica drops
// the report, and it happens before the fetch returns: a caller that saw the
// run finished reads the report fresh.
func (c *Client) runsEnded(ws, report string, runs []ReportRun, tags []string) {
	ends := make([]runEnd, 0, len(runs))
	for _, r := range runs {
		ends = append(ends, runEnd{token: r.Token, terminal: terminalState(r.State), completed: r.CompletedAt.Time, updated: r.UpdatedAt.Time})
	}
	c.runsEndedBy(ends, func(run string) string { return apiPathOf(runPath(ws, report, run)) }, tags)
}

// runsEndedBy is runsEnded for runs of any kind, each remembered as key(token).
func (c *Client) runsEndedBy(runs []runEnd, key func(token string) string, tags []string) {
	var ended []string
	// A cached entry lives at most the metadata TTL: none can predate the end
	// of a run that ended longer ago than that (give or take the skew between
	// Mode's clock and ours), so such runs, as on most pages of runs, change
	// nothing cached.
	horizon := c.now().Add(-c.metadataTTL - runEndSkew)
	for _, r := range runs {
		if !r.terminal || r.token == "" {
			continue
		}
		at := r.completed
		if at.IsZero() {
			at = r.updated
		}
		if !at.IsZero() && at.Before(horizon) {
			continue
		}
		k := key(r.token)
		if !c.finished.Contains(k) {
			ended = append(ended, k)
		}
	}
	if len(ended) == 0 {
		return
	}
	c.cache.Invalidate(tags...)
	for _, k := range ended {
		c.finished.Add(k, struct{}{})
	}
}

// reportRunPolicy is runPolicy for one run of report, which also invalidates
// what the run's end changed when it is seen finished for the first time.
func (c *Client) reportRunPolicy(ws, report string) cachePolicy {
	policy := c.runPolicy(reportScopeTag(ws, report), runsScopeTag(ws))
	return func(v any) (time.Duration, []string) {
		if r, ok := v.(*ReportRun); ok && r != nil {
			c.runsEnded(ws, report, []ReportRun{*r}, reportRunEndTags(ws, report))
		}
		return policy(v)
	}
}

// reportRunListPolicy is runListPolicy for a page of report's runs, which
// also invalidates what the end of a run on it changed when the run is seen
// finished for the first time — except the run lists: the page itself is
// fetched fresh, and no other cached page can show the run in progress
// (pages are cached only when every run on them is finished).
func (c *Client) reportRunListPolicy(ws, report string) cachePolicy {
	policy := c.runListPolicy(reportListTag(ws, report, "runs"), reportScopeTag(ws, report), runsScopeTag(ws))
	return func(v any) (time.Duration, []string) {
		if p, ok := v.(*Page[ReportRun]); ok && p != nil {
			end := reportRunEndTags(ws, report)
			c.runsEnded(ws, report, p.Items, end[:len(end)-1])
		}
		return policy(v)
	}
}
