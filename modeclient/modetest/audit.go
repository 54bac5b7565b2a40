package modetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The audit log: GET /api/{workspace}/audit_logs. The emulator keeps, per workspace, a real log
// of what callers did through it: every write it serves records an event (recordAudit) with the
// action, the entity it touched (type, token, name), the actor (the user the credential belongs
// to, userOf), the client's IP address (the host of the request's remote address), its
// User-Agent, the time from the emulator's clock (WithClock: a test clock dates events as it
// dates schedules) and the event source "api". Reads record nothing; a refused write (4xx)
// records nothing. Schedules firing on their own are not a caller's doing and record nothing.
//
// Events have ids that increase as they are recorded (UUID-shaped, compared as strings they sort
// in the order of the log), so a reader can resume after the last id it saw.
//
// Mode's document gives the operation the schema of one event (AuditLog) and calls its answer "a
// paginated list of audit log events", paged with next_token. The emulator's reading of the
// list: {"audit_logs": [AuditLog…], "next_token": "…" | null, "_links": {"self", "next_page"}},
// events oldest first, a page of the emulator's page size (WithPerPage; Mode documents none),
// next_token set while more events match. The top-level "event_source" of an event, which the
// event_source filter reads, is our reading too (Mode's AuditLog does not list it).
//
// Filters: start_timestamp and end_timestamp (ISO 8601, both required: 400 without them) bound
// the events' time, start included and end excluded; action, entity_id, entity_type,
// entity_name, username, ip and event_source match exactly (ip as an address: "::ffff:10.0.0.1"
// is 10.0.0.1; an ip that is no address is 400). next_token is opaque, and bound to the filters
// it was issued with: with other filters, or altered, it is 400. A next_token is an event
// position, not a snapshot: events recorded after it was issued that match appear on later pages,
// and no event appears twice.

// maxAuditEvents bounds each workspace's log; the oldest half is dropped when it is full, so a
// long-running cmd/modefake stays bounded. A next_token older than what is kept resumes at the
// oldest event kept.
const maxAuditEvents = 100_000

// auditEventSource is the event source of everything the emulator records: its API.
const auditEventSource = "api"

// auditTimeLayout is the timestamp format of Mode's AuditLog example: microseconds, Z.
const auditTimeLayout = "2006-01-02T15:04:05.000000Z"

// maxAuditFilter is the longest filter value the emulator takes.
const maxAuditFilter = 256

// auditLog is every workspace's audit log. It has a lock of its own, so that recordAudit can be
// called with or without Emulator.mu held (the order is Emulator.mu, then auditLog.mu).
type auditLog struct {
	mu     sync.Mutex
	seq    uint64                  // the last event's sequence number, over all workspaces
	events map[string][]auditEvent // by workspace username, oldest first
}

// auditEvent is one event of a workspace's log.
type auditEvent struct {
	seq         uint64
	id          string
	at          time.Time
	action      string
	entityType  string
	entityID    string
	entityName  string
	username    string // the actor
	userToken   string // the actor's user token
	ip          string
	userAgent   string
	correlation string
	source      string
}

// AuditEvent is one event of a workspace's audit log, as Emulator.AuditEvents returns it.
type AuditEvent struct {
	ID          string    // increases with each event recorded
	Time        time.Time // from the emulator's clock
	Action      string    // "space_created", "report_updated", "member_removed", "invite_sent" …
	EntityType  string    // "space", "report", "membership" …
	EntityID    string    // the entity's token
	EntityName  string    // its name (a membership's: the member's username; an invitation's: the e-mail address)
	Username    string    // the actor: the user the request's credential belongs to
	IP          string    // the client's address
	UserAgent   string
	EventSource string // "api"
}

// recordAudit adds an event to st's audit log: r's credential's user did action to the entity
// (entityType, entityToken, entityName), now (the emulator's clock). Call it once the write has
// been applied, with or without e.mu held (under it, the log's order is the order in which the
// writes were applied).
func (e *Emulator) recordAudit(r *http.Request, st *store, action, entityType, entityToken, entityName string) {
	u := e.userOf(r)
	ev := auditEvent{
		at: e.clock.Now(), action: action, entityType: entityType, entityID: entityToken, entityName: entityName,
		username: u.username, userToken: u.token, ip: clientIP(r), userAgent: r.UserAgent(), correlation: correlationID(r),
		source: auditEventSource,
	}
	e.audit.add(st.account.username, ev)
}

// add appends ev to the log of workspace ws, numbering it.
func (l *auditLog) add(ws string, ev auditEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	ev.seq = l.seq
	ev.id = auditID(ws, ev.seq)
	evs := l.events[ws]
	if len(evs) >= maxAuditEvents {
		evs = append(evs[:0], evs[len(evs)/2:]...)
	}
	l.events[ws] = append(evs, ev)
}

// auditID is a UUID-shaped id whose first 16 hex digits are the event's sequence number (so ids
// sort as events were recorded) and whose rest derives from the workspace and that number.
func auditID(ws string, seq uint64) string {
	a := fmt.Sprintf("%016x", seq)
	sum := sha256.Sum256([]byte(ws + "/" + strconv.FormatUint(seq, 10)))
	b := hex.EncodeToString(sum[:8])
	return a[:8] + "-" + a[8:12] + "-" + a[12:16] + "-" + b[:4] + "-" + b[4:16]
}

// clientIP is the host of r's remote address, as an IP address when it is one.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

// correlationID ties the events of one request together: the trace id of its traceparent, else
// its X-Request-Id (when short and printable), else nothing.
func correlationID(r *http.Request) string {
	if tp := strings.Split(r.Header.Get("traceparent"), "-"); len(tp) == 4 && len(tp[1]) == 32 {
		if _, err := hex.DecodeString(tp[1]); err == nil {
			return tp[1]
		}
	}
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && printable(id) {
		return id
	}
	return ""
}

// printable reports whether s is printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// AuditEvents returns the audit log of workspace ws, oldest first (nil for a workspace that does
// not exist or has recorded nothing).
func (e *Emulator) AuditEvents(ws string) []AuditEvent {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	evs := e.audit.events[ws]
	if len(evs) == 0 {
		return nil
	}
	out := make([]AuditEvent, len(evs))
	for i, ev := range evs {
		out[i] = AuditEvent{
			ID: ev.id, Time: ev.at, Action: ev.action, EntityType: ev.entityType, EntityID: ev.entityID, EntityName: ev.entityName,
			Username: ev.username, IP: ev.ip, UserAgent: ev.userAgent, EventSource: ev.source,
		}
	}
	return out
}

// auditEventJSON is Mode's AuditLog, with the event's source (our reading).
type auditEventJSON struct {
	ID                string            `json:"id"`
	Action            string            `json:"action"`
	Description       string            `json:"description"`
	Context           map[string]string `json:"context"`
	Actor             auditActorJSON    `json:"actor"`
	Entity            auditEntityJSON   `json:"entity"`
	Timestamp         string            `json:"timestamp"`
	WorkspaceUsername string            `json:"workspace_username"`
	EventSource       string            `json:"event_source"`
}

type auditActorJSON struct {
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	UserID    string `json:"user_id"`
	Username  string `json:"username"`
}

type auditEntityJSON struct {
	EntityName string `json:"entity_name"`
	EntityType string `json:"entity_type"`
	EntityID   string `json:"entity_id"`
}

func (ev *auditEvent) json(ws string) auditEventJSON {
	ctx := map[string]string{}
	if ev.correlation != "" {
		ctx["correlation_id"] = ev.correlation
	}
	return auditEventJSON{
		ID: ev.id, Action: ev.action, Description: strings.ReplaceAll(ev.action, "_", " "), Context: ctx,
		Actor:     auditActorJSON{IP: ev.ip, UserAgent: ev.userAgent, UserID: ev.userToken, Username: ev.username},
		Entity:    auditEntityJSON{EntityName: ev.entityName, EntityType: ev.entityType, EntityID: ev.entityID},
		Timestamp: ev.at.UTC().Format(auditTimeLayout), WorkspaceUsername: ws, EventSource: ev.source,
	}
}

// auditFilter is a parsed audit_logs query.
type auditFilter struct {
	start, end time.Time
	exact      map[string]string // the exact-match filters given, by parameter name
	key        string            // what binds a next_token to these filters
}

// auditExactFilters are the filters matched exactly, with what each reads of an event.
var auditExactFilters = []struct {
	name string
	of   func(*auditEvent) string
}{
	{"action", func(ev *auditEvent) string { return ev.action }},
	{"entity_id", func(ev *auditEvent) string { return ev.entityID }},
	{"entity_type", func(ev *auditEvent) string { return ev.entityType }},
	{"entity_name", func(ev *auditEvent) string { return ev.entityName }},
	{"username", func(ev *auditEvent) string { return ev.username }},
	{"ip", func(ev *auditEvent) string { return ev.ip }},
	{"event_source", func(ev *auditEvent) string { return ev.source }},
}

// auditTimeLayouts are the ISO 8601 forms start_timestamp and end_timestamp take.
var auditTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"}

func parseAuditTime(s string) (time.Time, bool) {
	for _, l := range auditTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseAuditFilter reads the filters of an audit_logs query; it returns the message of a 400
// when one is missing or invalid.
func parseAuditFilter(q url.Values) (auditFilter, string) {
	var f auditFilter
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"start_timestamp", &f.start}, {"end_timestamp", &f.end}} {
		v := q.Get(p.name)
		if v == "" {
			return f, "param is missing or the value is empty: " + p.name
		}
		t, ok := parseAuditTime(v)
		if !ok {
			return f, "Invalid " + p.name + ": must be an ISO 8601 time (2025-02-18T10:47:37Z)"
		}
		*p.dst = t
	}
	if f.end.Before(f.start) {
		return f, "Invalid time range: end_timestamp is before start_timestamp"
	}
	f.exact = map[string]string{}
	for _, x := range auditExactFilters {
		v := q.Get(x.name)
		if v == "" {
			continue
		}
		if len(v) > maxAuditFilter || !utf8.ValidString(v) {
			return f, "Invalid " + x.name + ": at most " + strconv.Itoa(maxAuditFilter) + " bytes of UTF-8"
		}
		if x.name == "ip" {
			a, err := netip.ParseAddr(v)
			if err != nil {
				return f, "Invalid ip: " + strconv.Quote(v) + " is not an IP address"
			}
			v = a.Unmap().String()
		}
		f.exact[x.name] = v
	}
	bound := url.Values{}
	for k, vs := range q {
		if k != "next_token" {
			bound[k] = vs
		}
	}
	sum := sha256.Sum256([]byte(bound.Encode()))
	f.key = hex.EncodeToString(sum[:8])
	return f, ""
}

// match reports whether ev passes f.
func (f *auditFilter) match(ev *auditEvent) bool {
	if ev.at.Before(f.start) || !ev.at.Before(f.end) {
		return false
	}
	for _, x := range auditExactFilters {
		if want, ok := f.exact[x.name]; ok && x.of(ev) != want {
			return false
		}
	}
	return true
}

// nextToken is the next_token after the event numbered seq, for filters f.
func nextToken(seq uint64, f *auditFilter) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(seq, 10) + ":" + f.key))
}

// parseNextToken returns the sequence number a next_token resumes after (0 for none), or the
// message of a 400.
func parseNextToken(tok string, f *auditFilter) (uint64, string) {
	if tok == "" {
		return 0, ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, "Invalid next_token"
	}
	seqText, key, ok := strings.Cut(string(raw), ":")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok || err != nil {
		return 0, "Invalid next_token"
	}
	if key != f.key {
		return 0, "Invalid next_token: it was issued for other filters"
	}
	return seq, ""
}

// listAuditLogs answers GET /api/{ws}/audit_logs (see the top of this file).
func (e *Emulator) listAuditLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, msg := parseAuditFilter(q)
	if msg != "" {
		badRequest(w, msg)
		return
	}
	after, msg := parseNextToken(q.Get("next_token"), &f)
	if msg != "" {
		badRequest(w, msg)
		return
	}
	ws := urlWS(r).account.username
	per := e.cfg.perPage
	page := make([]auditEventJSON, 0, min(per, 100))
	var last uint64
	more := false
	e.audit.mu.Lock()
	evs := e.audit.events[ws]
	for i := sort.Search(len(evs), func(i int) bool { return evs[i].seq > after }); i < len(evs); i++ {
		ev := &evs[i]
		if !f.match(ev) {
			continue
		}
		if len(page) == per {
			more = true
			break
		}
		page = append(page, ev.json(ws))
		last = ev.seq
	}
	e.audit.mu.Unlock()
	body := map[string]any{"audit_logs": page, "next_token": nil}
	ls := links{"self": href((&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String())}
	if more {
		tok := nextToken(last, &f)
		body["next_token"] = tok
		next := url.Values{}
		for k, vs := range q {
			next[k] = slices.Clone(vs)
		}
		next.Set("next_token", tok)
		ls["next_page"] = href((&url.URL{Path: r.URL.Path, RawQuery: next.Encode()}).String())
	}
	body["_links"] = ls
	writeJSON(w, http.StatusOK, body)
}
