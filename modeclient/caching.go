package modeclient

import (
	"encoding/json"
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
	return func([]byte) (time.Duration, []string) { return c.metadataTTL, tags }
}

// reportPolicy caches a report for the metadata TTL, tagged with its space.
func (c *Client) reportPolicy(ws string) cachePolicy {
	return func(body []byte) (time.Duration, []string) {
		var r struct {
			SpaceToken String `json:"space_token"`
		}
		_ = json.Unmarshal(body, &r)
		if r.SpaceToken == "" {
			return c.metadataTTL, nil
		}
		return c.metadataTTL, []string{spaceScopeTag(ws, string(r.SpaceToken))}
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

// runPolicy caches a run only once it is finished, for the finished TTL.
func (c *Client) runPolicy(tags ...string) cachePolicy {
	return func(body []byte) (time.Duration, []string) {
		var r struct {
			State String `json:"state"`
		}
		if json.Unmarshal(body, &r) != nil || !terminalState(string(r.State)) {
			return 0, tags
		}
		return c.finishedTTL, tags
	}
}

// runListPolicy caches a page of runs for the metadata TTL only when every
// run on it is finished: a page showing a run in progress goes stale at once.
func (c *Client) runListPolicy(key string, tags ...string) cachePolicy {
	return func(body []byte) (time.Duration, []string) {
		var env halList
		if json.Unmarshal(body, &env) != nil {
			return 0, tags
		}
		var runs []struct {
			State String `json:"state"`
		}
		if raw := env.Embedded.items(key); raw != nil {
			if json.Unmarshal(raw, &runs) != nil {
				return 0, tags
			}
		}
		for _, r := range runs {
			if !terminalState(string(r.State)) {
				return 0, tags
			}
		}
		return c.metadataTTL, tags
	}
}

// tags returns a write's invalidation set: the written path plus extra.
func tags(extra ...string) func(path string) []string {
	return func(path string) []string { return append([]string{path}, extra...) }
}
