package modeclient

import (
	"context"
	"iter"
	"net/netip"
	"net/url"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// The audit log: GET /api/{workspace}/audit_logs, filtered by a time range (required) and by
// action, entity, user, IP address and event source, paged with an opaque next_token. Mode's
// document gives the answer the schema of one event (AuditLog) and calls it "a paginated list";
// the client reads the events from "audit_logs" (at the top level, or embedded HAL-style) and the
// next page's token from "next_token".
//
// An audit log is read fresh: pages are never cached (identical reads at the same moment share
// one request, which still reads Mode). A security export that read a page kept from a minute
// ago would miss what happened in that minute.

// Bounds of an audit log query, the client's own.
const (
	// maxAuditFilter is the longest value of a text filter, in bytes.
	maxAuditFilter = 256
	// maxNextToken is the longest next_token the client passes on.
	maxNextToken = 4096
)

// AuditLogFilter selects audit events. Start and End are required: events at Start or later and
// before End. The text filters match exactly when set; IP is an IP address (v4 or v6).
type AuditLogFilter struct {
	Start, End  time.Time
	Action      string // "space_created", "member_removed", …
	EntityID    string // the entity's token
	EntityType  string // "space", "report", "membership", …
	EntityName  string
	Username    string // the actor's username
	IP          string // the actor's address
	EventSource string // "api", …
}

// AuditEvent is one event of a workspace's audit log (Mode's AuditLog).
type AuditEvent struct {
	ID          String       `json:"id"` // unique; the emulator's ids sort in the order of the log
	Action      string       `json:"action"`
	Description string       `json:"description"`
	Time        Time         `json:"timestamp"`
	Workspace   string       `json:"workspace_username"`
	EventSource string       `json:"event_source"`
	Actor       AuditActor   `json:"actor"`
	Entity      AuditEntity  `json:"entity"`
	Context     AuditContext `json:"context"`
}

// AuditContext is what else Mode says of an audit event.
type AuditContext struct {
	CorrelationID String `json:"correlation_id"` // ties the events of one request together
}

// AuditActor is who did what an audit event records.
type AuditActor struct {
	Username  string `json:"username"`
	UserID    String `json:"user_id"` // the user's token
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// AuditEntity is what an audit event's action touched.
type AuditEntity struct {
	Type string `json:"entity_type"`
	ID   String `json:"entity_id"`
	Name string `json:"entity_name"`
}

// AuditLogPage is one page of an audit log. NextToken is "" on the last page (as far as Mode
// knows now: events recorded later come with a new query).
type AuditLogPage struct {
	Events    []AuditEvent
	NextToken string
}

// auditEnvelope is an audit log answer.
type auditEnvelope struct {
	AuditLogs []AuditEvent `json:"audit_logs"`
	NextToken String       `json:"next_token"`
	Embedded  struct {
		AuditLogs []AuditEvent `json:"audit_logs"`
	} `json:"_embedded"`
}

func auditLogsPath(ws string) *apiPath { return newPath(ws).lit("audit_logs") }

// checkAuditText reports why a text filter's value is refused ("" when it is fine).
func checkAuditText(v string) string {
	if len(v) > maxAuditFilter {
		return "longer than " + strconv.Itoa(maxAuditFilter) + " bytes"
	}
	if !utf8.ValidString(v) {
		return "must be UTF-8"
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
	}
	return ""
}

// query returns the query string of f, or why f is refused.
func (f *AuditLogFilter) query() (url.Values, error) {
	switch {
	case f.Start.IsZero():
		return nil, &InvalidArgumentError{Field: "start", Reason: "is required"}
	case f.End.IsZero():
		return nil, &InvalidArgumentError{Field: "end", Reason: "is required"}
	case f.End.Before(f.Start):
		return nil, &InvalidArgumentError{Field: "end", Reason: "is before start"}
	}
	q := url.Values{}
	q.Set("start_timestamp", f.Start.UTC().Format(time.RFC3339Nano))
	q.Set("end_timestamp", f.End.UTC().Format(time.RFC3339Nano))
	for _, t := range []struct{ field, param, v string }{
		{"action", "action", f.Action}, {"entity_id", "entity_id", f.EntityID}, {"entity_type", "entity_type", f.EntityType},
		{"entity_name", "entity_name", f.EntityName}, {"username", "username", f.Username}, {"event_source", "event_source", f.EventSource},
	} {
		if t.v == "" {
			continue
		}
		if reason := checkAuditText(t.v); reason != "" {
			return nil, &InvalidArgumentError{Field: t.field, Reason: reason}
		}
		q.Set(t.param, t.v)
	}
	if f.IP != "" {
		a, err := netip.ParseAddr(f.IP)
		if err != nil {
			return nil, &InvalidArgumentError{Field: "ip", Reason: "is not an IP address"}
		}
		q.Set("ip", a.Unmap().String())
	}
	return q, nil
}

// checkNextToken reports why a next_token is refused ("" when it is fine): Mode's tokens are
// opaque, so the client only bounds them.
func checkNextToken(t string) string {
	if len(t) > maxNextToken {
		return "longer than " + strconv.Itoa(maxNextToken) + " bytes"
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return "must be printable ASCII"
		}
	}
	return ""
}

// ListAuditLogPage returns one page of a workspace's audit log: GET
// /api/{workspace}/audit_logs with f's filters, after nextToken ("" for the first page; pass
// the previous page's NextToken, with the same filter). Never cached (see the top of
// auditlog.go). Every event must be of the workspace asked about (workspace_username, when
// present), or the page is a *WrongWorkspaceError.
func (c *Client) ListAuditLogPage(ctx context.Context, workspace string, f AuditLogFilter, nextToken string) (*AuditLogPage, error) {
	p := auditLogsPath(workspace)
	if p.err != nil {
		return nil, p.err
	}
	q, err := f.query()
	if err != nil {
		return nil, err
	}
	if nextToken != "" {
		if reason := checkNextToken(nextToken); reason != "" {
			return nil, &InvalidArgumentError{Field: "next_token", Reason: reason}
		}
		q.Set("next_token", nextToken)
	}
	fresh := func(any) (time.Duration, []string) { return 0, nil }
	return getDecoded(ctx, c, p, q, fresh, func(cl *call, body []byte) (*AuditLogPage, error) {
		var env auditEnvelope
		if err := decode(cl, body, &env); err != nil {
			return nil, err
		}
		events := env.AuditLogs
		if events == nil {
			events = env.Embedded.AuditLogs
		}
		for _, ev := range events {
			if ev.Workspace != "" && ev.Workspace != cl.workspace {
				return nil, &WrongWorkspaceError{Method: cl.method, Route: cl.route, Workspace: cl.workspace}
			}
		}
		return &AuditLogPage{Events: events, NextToken: string(env.NextToken)}, nil
	})
}

// ListAuditLog iterates over a workspace's audit log matching f, oldest first as Mode answers,
// fetching pages lazily by next_token. Events are de-duplicated by id; the iteration stops on a
// page without a next token, or one that repeats the token it was fetched with.
func (c *Client) ListAuditLog(ctx context.Context, workspace string, f AuditLogFilter) iter.Seq2[AuditEvent, error] {
	return func(yield func(AuditEvent, error) bool) {
		seen := map[string]struct{}{}
		token := ""
		for range maxPages {
			p, err := c.ListAuditLogPage(ctx, workspace, f, token)
			if err != nil {
				yield(AuditEvent{}, err)
				return
			}
			for _, ev := range p.Events {
				if id := string(ev.ID); id != "" {
					if _, dup := seen[id]; dup {
						continue
					}
					seen[id] = struct{}{}
				}
				if !yield(ev, nil) {
					return
				}
			}
			if p.NextToken == "" || p.NextToken == token {
				return
			}
			token = p.NextToken
		}
	}
}
