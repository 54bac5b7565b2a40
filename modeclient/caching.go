package modeclient

import (
	"strings"
	"time"
)

// Cache tags. Every cached GET carries its own path as a tag, plus:
//   - lists carry their family, "list:<ws>:<plural>" for workspace-level
//     lists (every report list of a workspace shares "list:<ws>:reports")
//     and "list:<ws>/reports/<r>:<plural>" for lists under a report;
//   - everything under a report (its runs, query runs, queries and their
//     lists) carries "report:<ws>/<r>", dropped when the report is deleted;
//   - a report carries "space:<ws>/<s>" of its space, dropped when the space
//     is deleted.
// A write invalidates the written resource's path, the list families that
// can contain it and the parents whose counts it changes.

func listTag(ws, family string) string          { return "list:" + ws + ":" + family }
func reportListTag(ws, r, family string) string { return "list:" + ws + "/reports/" + r + ":" + family }
func reportScopeTag(ws, r string) string        { return "report:" + ws + "/" + r }
func spaceScopeTag(ws, s string) string         { return "space:" + ws + "/" + s }

// apiPathOf returns the cache tag of a resource path (its escaped path).
func apiPathOf(p *apiPath) string {
	path, _, _ := p.build()
	return path
}

// metadata caches for the metadata TTL with tags.
func (c *Client) metadata(tags ...string) cachePolicy {
	return func(any) (time.Duration, []string) { return c.metadataTTL, tags }
}

// reportPolicy caches a report for the metadata TTL, tagged with its space.
func (c *Client) reportPolicy(ws string) cachePolicy {
	return func(v any) (time.Duration, []string) {
		r, _ := v.(*Report)
		if r == nil || r.SpaceToken == "" {
			return c.metadataTTL, nil
		}
		return c.metadataTTL, []string{spaceScopeTag(ws, r.SpaceToken)}
	}
}

// terminalState reports whether a (report or query) run state is final.
func terminalState(s string) bool {
	switch strings.ToLower(s) {
	case "succeeded", "failed", "cancelled", "canceled", "completed", "errored", "error":
		return true
	}
	return false
}

// runState returns the state of a decoded run (a report or query run) and
// whether v is one.
func runState(v any) (string, bool) {
	switch r := v.(type) {
	case *ReportRun:
		return r.State, r != nil
	case *QueryRun:
		return r.State, r != nil
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
