package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// The audit log of WorkspaceService: ListAuditEvents pages through Mode's
// audit log (paged by Mode's next_token); StreamAuditEvents follows it,
// polling for events after the last one sent. The audit log is never cached
// (modeclient reads it fresh).

// defaultAuditLookback is how far back ListAuditEvents reads when the filter
// sets no start_time.
const defaultAuditLookback = 90 * 24 * time.Hour

// auditPageToken is ListAuditEvents' page token: Mode's next_token, how
// many events of that Mode page were already answered, the time range the
// first page resolved (so that "now" does not move between pages), and the
// checksum of the request it belongs to.
type auditPageToken struct {
	ModeNext string `json:"n,omitempty"`
	Skip     int    `json:"s,omitempty"`
	Start    int64  `json:"a"`
	End      int64  `json:"b"`
	Sum      uint32 `json:"c"`
}

func (t auditPageToken) String() string {
	b, _ := json.Marshal(t) // plain fields: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseAuditPageToken(s string) (auditPageToken, error) {
	var t auditPageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Skip < 0 || t.End <= t.Start {
		return t, errBadToken
	}
	return t, nil
}

// auditFilterToMode is the filter Mode is asked with, between start and end.
func auditFilterToMode(f *modeplatformv1.AuditFilter, start, end time.Time) modeclient.AuditLogFilter {
	return modeclient.AuditLogFilter{
		Start: start, End: end,
		Action: f.GetAction(), EntityID: f.GetEntityId(), EntityType: f.GetEntityType(), EntityName: f.GetEntityName(),
		Username: f.GetActorUsername(), IP: f.GetActorIp(), EventSource: f.GetEventSource(),
	}
}

// ListAuditEvents lists a workspace's audit log, filtered. Without
// filter.start_time it reads the last 90 days; without filter.end_time, up
// to the first call's time (the next pages keep that range).
func (s *WorkspaceServer) ListAuditEvents(ctx context.Context, req *connect.Request[modeplatformv1.ListAuditEventsRequest]) (*connect.Response[modeplatformv1.ListAuditEventsResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the filter's fields; a time range that goes forward
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	sum, err := requestChecksum(m)
	if err != nil {
		return nil, connect.NewError(connect.CodeInternal, err)
	}
	cur := auditPageToken{Sum: sum}
	if m.GetPageToken() != "" {
		if cur, err = parseAuditPageToken(m.GetPageToken()); err != nil || cur.Sum != sum {
			return nil, invalidArgument("page_token", "is not a token this list returned for this request")
		}
	} else {
		now := s.core.opts.Now()
		start, end := now.Add(-defaultAuditLookback), now.Add(time.Second)
		if f := m.GetFilter(); f.GetStartTime() != nil {
			start = f.GetStartTime().AsTime()
		}
		if f := m.GetFilter(); f.GetEndTime() != nil {
			end = f.GetEndTime().AsTime()
		}
		cur.Start, cur.End = start.UnixNano(), end.UnixNano()
	}
	size := int(m.GetPageSize())
	if size <= 0 {
		size = s.core.opts.DefaultPageSize
	}
	size = min(size, maxPageSize)
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	filter := auditFilterToMode(m.GetFilter(), time.Unix(0, cur.Start), time.Unix(0, cur.End))
	out := &modeplatformv1.ListAuditEventsResponse{}
	for range maxModePagesPerCall {
		p, err := cl.ListAuditLogPage(ctx, w, filter, cur.ModeNext)
		if err != nil {
			return nil, upstreamError(err, m.GetParent())
		}
		events := p.Events[min(cur.Skip, len(p.Events)):]
		take := min(len(events), size-len(out.AuditEvents))
		for i := range take {
			out.AuditEvents = append(out.AuditEvents, auditEventFromMode(w, &events[i]))
		}
		if take < len(events) { // the page is full inside this Mode page
			cur.Skip += take
			out.NextPageToken = cur.String()
			return connect.NewResponse(out), nil
		}
		if p.NextToken == "" {
			return connect.NewResponse(out), nil
		}
		cur.ModeNext, cur.Skip = p.NextToken, 0
		if len(out.AuditEvents) == size {
			break
		}
	}
	out.NextPageToken = cur.String()
	return connect.NewResponse(out), nil
}

// auditResumeToken is StreamAuditEvents' resume token: the time of the last
// event sent and the ids of the events sent at that very time (events of
// one instant may come in any order), bound to the request's workspace and
// filter.
type auditResumeToken struct {
	Time int64    `json:"t"`
	IDs  []string `json:"i"`
	Sum  uint32   `json:"c"`
}

// maxResumeIDs bounds the ids a resume token carries: events of one instant
// beyond it may be sent again after a resume.
const maxResumeIDs = 64

func (t auditResumeToken) String() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// StreamAuditEvents follows a workspace's audit log: it sends the events
// after the resume token (or from filter.start_time, or from now), oldest
// first, then polls Mode for new ones — from Options.WatchMinInterval,
// backing off to WatchMaxInterval while nothing happens — until the caller
// leaves. Each message carries the token to resume after it. Followers of
// one workspace with the same filter (start_time aside) and credential
// share one poll (auditPollSpec, poller.go).
func (s *WorkspaceServer) StreamAuditEvents(ctx context.Context, req *connect.Request[modeplatformv1.StreamAuditEventsRequest], stream *connect.ServerStream[modeplatformv1.StreamAuditEventsResponse]) error {
	m := req.Msg
	if err := validated(m); err != nil { // the filter's fields; no end_time
		return err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return err
	}
	w := ids[0]
	sum := uint32(requestFingerprint("StreamAuditEvents", m.GetParent(), m.GetFilter().String()))
	cursor := auditResumeToken{Time: s.core.opts.Now().UnixNano(), Sum: sum}
	if st := m.GetFilter().GetStartTime(); st != nil {
		cursor.Time = st.AsTime().UnixNano()
	}
	if m.GetResumeToken() != "" {
		var t auditResumeToken
		b, err := base64.RawURLEncoding.DecodeString(m.GetResumeToken())
		if err != nil || json.Unmarshal(b, &t) != nil || t.Sum != sum {
			return invalidArgument("resume_token", "is not a token this stream sent for this workspace and filter")
		}
		cursor = t
	}
	sc, ctx := s.core.startStream(ctx)
	defer sc.end()
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return err
	}
	// The response headers go out now (Send(nil) writes no message): a
	// follower learns the stream is open before the first event, which may
	// be long in coming.
	if err := sc.send(func() error { return stream.Send(nil) }); err != nil {
		return sc.fail(err, -1)
	}
	seen := map[string]bool{}
	for _, id := range cursor.IDs {
		seen[id] = true
	}
	if err := ctx.Err(); err != nil { // the server drains: start no poller
		return sc.fail(upstreamError(err, m.GetParent()), -1)
	}
	filter := auditFilterToMode(m.GetFilter(), time.Time{}, time.Time{}) // the range is the poller's
	sub := subscribe(ctx, &s.core.pollers, pollKey{client: cl, what: auditPollKey(w, filter)}, cursor.Time,
		func() pollSpec[*auditWindow] { return auditPollSpec(s.core, cl, w, m.GetParent(), filter) })
	defer sub.leave()
	for {
		win, err := sub.next(ctx)
		if err != nil {
			return sc.fail(watchError(ctx, err, m.GetParent()), -1)
		}
		if win.from > cursor.Time {
			// Read for followers further on: the next window starts at
			// this follower's cursor (minSince) or earlier.
			sub.wake()
			continue
		}
		for i := range win.events {
			ev := &win.events[i]
			t, id := ev.Time.UnixNano(), string(ev.ID)
			if t < cursor.Time || (t == cursor.Time && seen[id]) {
				continue
			}
			if t > cursor.Time {
				cursor.Time, cursor.IDs = t, nil
				clear(seen)
			}
			seen[id] = true
			if len(cursor.IDs) < maxResumeIDs {
				cursor.IDs = append(cursor.IDs, id)
			}
			msg := &modeplatformv1.StreamAuditEventsResponse{AuditEvent: auditEventFromMode(w, ev), ResumeToken: cursor.String()}
			if err := sc.send(func() error { return stream.Send(msg) }); err != nil {
				return sc.fail(err, -1)
			}
		}
		sub.setSince(cursor.Time)
	}
}

// auditWindow is one poll of an audit log: every event Mode had from the
// time from on (Unix nanoseconds), oldest first.
type auditWindow struct {
	from   int64
	events []modeclient.AuditEvent
}

// auditPollKey names the poll of workspace w's audit log with filter f
// (its range aside): followers whose polls would be the same share it.
func auditPollKey(w string, f modeclient.AuditLogFilter) string {
	return "audit\x00" + strconv.Quote(w) + strconv.Quote(f.Action) + strconv.Quote(f.EntityID) + strconv.Quote(f.EntityType) +
		strconv.Quote(f.EntityName) + strconv.Quote(f.Username) + strconv.Quote(f.IP) + strconv.Quote(f.EventSource)
}

// auditPollSpec polls workspace w's audit log (named parent) with cl and
// filter f: each poll reads the window from the oldest position a follower
// still needs (the time of the last event it sent: since) to now. A window
// is handed out when it holds an event the previous one did not, or starts
// earlier (a follower resumed from further back); a follower sends the
// window's events after its own cursor, so a window skipped (or one read
// for followers further back) loses and repeats nothing.
func auditPollSpec(c *core, cl *modeclient.Client, w, parent string, f modeclient.AuditLogFilter) pollSpec[*auditWindow] {
	var prev map[string]bool // the previous window's events
	prevFrom := int64(math.MaxInt64)
	return pollSpec[*auditWindow]{
		poll: func(ctx context.Context, since int64) (*auditWindow, bool, bool, error) {
			if since == math.MaxInt64 {
				return nil, false, false, nil // nobody is left
			}
			f.Start, f.End = time.Unix(0, since), c.opts.Now().Add(time.Second)
			win := &auditWindow{from: since}
			for ev, err := range cl.ListAuditLog(ctx, w, f) {
				if err != nil {
					return nil, false, false, err
				}
				win.events = append(win.events, ev)
			}
			slices.SortStableFunc(win.events, func(a, b modeclient.AuditEvent) int { return a.Time.Compare(b.Time.Time) })
			ids := make(map[string]bool, len(win.events))
			changed := prev == nil || since < prevFrom
			for i := range win.events {
				k := auditEventKey(&win.events[i])
				ids[k] = true
				changed = changed || !prev[k]
			}
			prev, prevFrom = ids, since
			return win, changed, false, nil
		},
		transient: func(err error) bool { return connect.CodeOf(upstreamError(err, parent)) == connect.CodeUnavailable },
	}
}

// auditEventKey identifies an audit event: its id at its time.
func auditEventKey(ev *modeclient.AuditEvent) string {
	return strconv.FormatInt(ev.Time.UnixNano(), 10) + "/" + string(ev.ID)
}

// auditEventFromMode translates an audit event of workspace w.
func auditEventFromMode(w string, ev *modeclient.AuditEvent) *modeplatformv1.AuditEvent {
	out := &modeplatformv1.AuditEvent{
		EventTime:      timestamp(ev.Time),
		Action:         ev.Action,
		Description:    ev.Description,
		ActorUsername:  ev.Actor.Username,
		ActorIp:        ev.Actor.IP,
		ActorUserAgent: ev.Actor.UserAgent,
		EntityType:     ev.Entity.Type,
		EntityId:       string(ev.Entity.ID),
		EntityName:     ev.Entity.Name,
		EventSource:    ev.EventSource,
		CorrelationId:  string(ev.Context.CorrelationID),
	}
	if id := string(ev.ID); validToken(id) {
		out.Name = resourceNameOf(patAuditEvent, w, id)
	}
	return out
}
