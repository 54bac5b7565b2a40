package modetest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// auditStart is the test clock's time in the audit tests.
var auditStart = time.Date(2025, 2, 18, 10, 0, 0, 0, time.UTC)

// auditRange is a query of every event the audit tests record.
const auditRange = "start_timestamp=2025-01-01T00:00:00Z&end_timestamp=2026-01-01T00:00:00Z"

// auditPage reads one page of the demo workspace's audit log.
func auditPage(t *testing.T, s *Server, query string, want int) object {
	t.Helper()
	return mustJSON(t, s, http.MethodGet, wsPath("audit_logs")+"?"+query, nil, want)
}

// auditItems returns the events of an audit log page.
func auditItems(t *testing.T, o object) []object {
	t.Helper()
	list, ok := o["audit_logs"].([]any)
	if !ok {
		t.Fatalf("no audit_logs list in %v", o)
	}
	out := make([]object, len(list))
	for i, v := range list {
		out[i] = v.(object)
	}
	return out
}

// expectedEvent is what a write must have recorded.
type expectedEvent struct {
	action, entityType, entityID string
	at                           time.Time
}

// TestAuditRecordsEveryWrite makes one call of every write route the emulator serves, a second
// apart on the test clock, and reads the events back in order: each with its action, entity,
// actor, address, time and source. Refused writes and reads record nothing. A route added
// without a case here fails the test.
func TestAuditRecordsEveryWrite(t *testing.T) {
	clock := NewTestClock(auditStart)
	s := newTestServer(t, WithClock(clock))
	d := s.Demo()
	var want []expectedEvent
	// write sends a write that must answer status and record action on an entity of entityType
	// (entityID, when known before: a create's is read from its answer by the caller).
	write := func(method, path string, body any, status int, action, entityType, entityID string) object {
		t.Helper()
		clock.Advance(time.Second)
		resp, raw := call(t, s, method, path, body)
		if resp.StatusCode != status {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, raw)
		}
		want = append(want, expectedEvent{action: action, entityType: entityType, entityID: entityID, at: clock.Now()})
		var o object
		_ = json.Unmarshal(raw, &o)
		return o
	}
	created := func(o object) string {
		t.Helper()
		tok, _ := o["token"].(string)
		if tok == "" {
			t.Fatalf("no token in %v", o)
		}
		want[len(want)-1].entityID = tok
		return tok
	}

	// Refused writes and reads record nothing.
	mustJSON(t, s, "POST", wsPath("spaces"), object{"space": object{}}, http.StatusBadRequest)
	mustJSON(t, s, "DELETE", wsPath("reports", "000000000000"), nil, http.StatusNotFound)
	mustJSON(t, s, "GET", wsPath("spaces"), nil, http.StatusOK)
	if evs := s.AuditEvents(DemoWorkspace); len(evs) != 0 {
		t.Fatalf("refused writes and reads recorded %v", evs)
	}

	// Spaces, under both names.
	sp := created(write("POST", wsPath("spaces"), object{"space": object{"name": "Audit"}}, 200, "space_created", "space", ""))
	coll := created(write("POST", wsPath("collections"), object{"space": object{"name": "Audit 2"}}, 200, "space_created", "space", ""))
	write("POST", wsPath("spaces", sp), object{"space": object{"description": "x"}}, 200, "space_updated", "space", sp)
	write("POST", wsPath("collections", coll), object{"space": object{"description": "y"}}, 200, "space_updated", "space", coll)
	write("DELETE", wsPath("spaces", sp), nil, 200, "space_deleted", "space", sp)
	write("DELETE", wsPath("collections", coll), nil, 200, "space_deleted", "space", coll)

	// Data sources and purges.
	write("PATCH", wsPath("data_sources", d.DataSource), object{"data_source": object{"description": "Audited."}}, 200, "data_source_updated", "data_source", d.DataSource)
	write("POST", wsPath("data_sources", d.DataSource, "purge"), nil, 202, "data_source_results_purged", "data_source", d.DataSource)
	write("POST", wsPath("data_sources", d.DataSource, "schema_updates"), nil, 200, "data_source_schema_updated", "data_source", d.DataSource)
	write("POST", wsPath("reports", "purge")+"?time=2020-01-01", nil, 202, "report_results_purged", "workspace", s.accountToken(DemoWorkspace))

	// Definitions.
	def := created(write("POST", wsPath("definitions"), object{"definition": object{"name": "audited", "source": "SELECT 1 AS one", "data_source_id": 4001}}, 200, "definition_created", "definition", ""))
	write("PATCH", wsPath("definitions", def), object{"definition": object{"description": "x"}}, 200, "definition_updated", "definition", def)
	write("DELETE", wsPath("definitions", def), nil, 200, "definition_deleted", "definition", def)

	// Datasets: field descriptions, a run, an update, a deletion.
	ds := d.Datasets[0]
	fd := created(write("POST", wsPath("datasets", ds, "field_descriptions"), object{"field_description": object{"name": "region", "desc": "The region."}}, 200,
		"field_description_created", "field_description", ""))
	write("PATCH", wsPath("datasets", ds, "field_descriptions", fd), object{"field_description": object{"desc": "Sales region."}}, 200, "field_description_updated", "field_description", fd)
	write("DELETE", wsPath("datasets", ds, "field_descriptions", fd), nil, 200, "field_description_deleted", "field_description", fd)
	dsRun := created(write("POST", wsPath("datasets", ds, "runs"), nil, 202, "dataset_run", "dataset_run", ""))
	waitRun(t, s, ds, dsRun)
	write("PATCH", wsPath("datasets", ds), object{"report": object{"description": "Audited."}}, 200, "dataset_updated", "dataset", ds)
	write("DELETE", wsPath("datasets", d.Datasets[2]), nil, 200, "dataset_deleted", "dataset", d.Datasets[2])

	// A report: queries, filters, schedules, subscriptions, runs, archive, update, deletion.
	rep := d.Reports[0]
	q := created(write("POST", wsPath("reports", rep, "queries"), object{"query": object{"raw_query": "SELECT name AS region FROM region", "data_source_id": 4001}}, 200,
		"query_created", "query", ""))
	write("PATCH", wsPath("reports", rep, "queries", q), object{"query": object{"name": "Regions"}}, 200, "query_updated", "query", q)
	f := created(write("POST", wsPath("reports", rep, "filters"), object{"report_filter": object{
		"name": "Region", "formula": "[region]", "data_type": "string", "formula_type": "column", "filter_type": "SINGLE",
		"control_type": "LIST", "variable_type": "DISCRETE", "options": object{"query_token": q},
	}}, 200, "report_filter_created", "report_filter", ""))
	write("PATCH", wsPath("reports", rep, "filters", f), object{"report_filter": object{"name": "Sales region"}}, 200, "report_filter_updated", "report_filter", f)
	write("DELETE", wsPath("reports", rep, "filters", f), nil, 200, "report_filter_deleted", "report_filter", f)
	write("DELETE", wsPath("reports", rep, "queries", q), nil, 200, "query_deleted", "query", q)
	sched := created(write("POST", wsPath("reports", rep, "schedules"), object{"cron": object{"freq": "daily", "hour": 6}}, 200, "schedule_created", "schedule", ""))
	write("PATCH", wsPath("reports", rep, "schedules", sched), object{"cron": object{"freq": "daily", "hour": 7}}, 200, "schedule_updated", "schedule", sched)
	sub := created(write("POST", wsPath("reports", rep, "subscriptions"), object{"schedule_token": sched, "email_subscribers": []string{d.Members[1]}}, 200,
		"subscription_created", "subscription", ""))
	write("PATCH", wsPath("reports", rep, "subscriptions", sub), object{"csv_attachments": true}, 200, "subscription_updated", "subscription", sub)
	write("DELETE", wsPath("reports", rep, "subscriptions", sub), nil, 200, "subscription_deleted", "subscription", sub)
	write("DELETE", wsPath("reports", rep, "schedules", sched), nil, 200, "schedule_deleted", "schedule", sched)
	bulk := created(write("POST", wsPath("reports", rep, "schedules"), object{"cron": object{"freq": "daily", "hour": 6}}, 200, "schedule_created", "schedule", ""))
	write("DELETE", wsPath("reports", "schedules", "v1", "bulk_delete"), object{"schedule_tokens": []string{bulk, bulk}}, 200, "schedule_deleted", "schedule", bulk)
	run := created(write("POST", wsPath("reports", rep, "runs"), object{}, 202, "report_run", "report_run", ""))
	waitRun(t, s, rep, run)
	created(write("POST", wsPath("reports", rep, "runs", run, "clone"), nil, 202, "report_run_cloned", "report_run", ""))
	created(write("POST", wsPath("reports", rep, "runs", run, "duplicates"), nil, 200, "report_run_duplicated", "report_run_duplicate", ""))
	write("PATCH", wsPath("reports", rep, "archive"), nil, 200, "report_archived", "report", rep)
	write("PATCH", wsPath("reports", rep, "unarchive"), nil, 200, "report_unarchived", "report", rep)
	write("PATCH", wsPath("reports", rep), object{"report": object{"description": "Audited."}}, 200, "report_updated", "report", rep)
	write("DELETE", wsPath("reports", d.Reports[4]), nil, 200, "report_deleted", "report", d.Reports[4])

	// The Metadata API's signature tokens.
	sig := created(write("POST", "/batch/"+DemoWorkspace+"/signature_tokens", signatureBody("audited", time.Now().Add(time.Hour)), 200,
		"signature_token_created", "signature_token", ""))
	write("DELETE", "/batch/"+DemoWorkspace+"/signature_tokens/"+sig, nil, 200, "signature_token_deleted", "signature_token", sig)

	// Groups, a group's memberships and space memberships (of a member and of a group).
	grp := created(write("POST", wsPath("groups"), object{"user_group": object{"name": "Auditors"}}, 200, "user_group_created", "user_group", ""))
	write("PATCH", wsPath("groups", grp), object{"user_group": object{"description": "They audit."}}, 200, "user_group_updated", "user_group", grp)
	erin := s.memberToken(DemoWorkspace, "erin_marketing")
	gm := created(write("POST", wsPath("groups", grp, "memberships"), object{"membership": object{"member_token": erin}}, 200,
		"user_group_membership_created", "user_group_membership", ""))
	write("DELETE", wsPath("groups", grp, "memberships", gm), nil, 200, "user_group_membership_deleted", "user_group_membership", gm)
	exec := d.Spaces[2]
	byUser := created(write("POST", wsPath("spaces", exec, "memberships"), object{"membership": object{"member_type": "User", "member_token": erin}}, 200,
		"space_membership_created", "space_membership", ""))
	byGroup := created(write("POST", wsPath("spaces", exec, "memberships"), object{"membership": object{"member_type": "UserGroup", "member_token": grp}}, 200,
		"space_membership_created", "space_membership", ""))
	write("DELETE", wsPath("spaces", exec, "memberships", byUser), nil, 200, "space_membership_deleted", "space_membership", byUser)
	write("DELETE", wsPath("spaces", exec, "memberships", byGroup), nil, 200, "space_membership_deleted", "space_membership", byGroup)
	write("DELETE", wsPath("groups", grp), nil, 200, "user_group_deleted", "user_group", grp)

	// People.
	inv := write("POST", wsPath("invites"), object{"invite": object{"invitee": object{"email": "new.person@example.com"}, "message": "Welcome"}}, 200,
		"invite_sent", "membership", "")
	pending := strings.TrimPrefix(linkHref(inv, "membership"), wsPath("memberships")+"/")
	want[len(want)-1].entityID = pending
	write("POST", wsPath("invites"), object{"invite": object{"invitee": object{"email": "new.person@example.com"}, "message": "Again"}}, 200,
		"invite_resent", "membership", pending)
	write("DELETE", wsPath("memberships", pending), nil, 200, "invite_revoked", "membership", pending)
	write("DELETE", wsPath("memberships", d.Memberships[2]), nil, 200, "member_removed", "membership", d.Memberships[2])

	// Every write route was exercised.
	exercised := map[string]bool{}
	for _, req := range s.Requests() {
		if req.Method == http.MethodGet {
			continue
		}
		probe, err := http.NewRequest(req.Method, req.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, pattern := s.mux.Handler(probe)
		exercised[pattern] = true
	}
	for _, route := range s.Routes() {
		if !strings.HasPrefix(route, http.MethodGet+" ") && !exercised[route] {
			t.Errorf("no case of TestAuditRecordsEveryWrite writes through %s: add one (and make its handler call recordAudit)", route)
		}
	}

	evs := s.AuditEvents(DemoWorkspace)
	if len(evs) != len(want) {
		var got []string
		for _, ev := range evs {
			got = append(got, ev.Action)
		}
		t.Fatalf("%d events %v, want %d", len(evs), got, len(want))
	}
	for i, ev := range evs {
		w := want[i]
		if ev.Action != w.action || ev.EntityType != w.entityType || ev.EntityID != w.entityID || !ev.Time.Equal(w.at) ||
			ev.Username != d.Members[0] || ev.IP != "127.0.0.1" || ev.EventSource != "api" || ev.UserAgent == "" || ev.EntityName == "" {
			t.Errorf("event %d = %+v, want %+v by %s from 127.0.0.1", i, ev, w, d.Members[0])
		}
		if i > 0 && ev.ID <= evs[i-1].ID {
			t.Errorf("event %d's id %s does not follow %s", i, ev.ID, evs[i-1].ID)
		}
	}
	if n := len(s.AuditEvents(SecondWorkspace)); n != 0 {
		t.Errorf("the second workspace recorded %d events of the demo workspace's writes", n)
	}

	// The same events through the API, oldest first, with Mode's AuditLog fields.
	var listed []object
	for tok := ""; ; {
		query := auditRange + "&next_token=" + url.QueryEscape(tok)
		if tok == "" {
			query = auditRange
		}
		o := auditPage(t, s, query, http.StatusOK)
		listed = append(listed, auditItems(t, o)...)
		next, _ := o["next_token"].(string)
		if next == "" {
			break
		}
		tok = next
	}
	if len(listed) != len(evs) {
		t.Fatalf("the API listed %d events, want %d", len(listed), len(evs))
	}
	for i, o := range listed {
		ev := evs[i]
		actor, _ := o["actor"].(object)
		entity, _ := o["entity"].(object)
		if o["id"] != ev.ID || o["action"] != ev.Action || o["timestamp"] != ev.Time.UTC().Format(auditTimeLayout) || o["workspace_username"] != DemoWorkspace ||
			o["event_source"] != "api" || o["description"] == "" || actor["username"] != ev.Username || actor["ip"] != ev.IP || actor["user_id"] == "" ||
			entity["entity_id"] != ev.EntityID || entity["entity_type"] != ev.EntityType || entity["entity_name"] != ev.EntityName {
			t.Errorf("listed event %d = %v, recorded %+v", i, o, ev)
		}
	}
}

// accountToken returns the token of workspace ws's account.
func (s *Server) accountToken(ws string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byName[ws].account.token
}

// TestAuditActorIsTheCredentialsUser: the actor is the user the request's credential belongs
// to, and each workspace keeps its own log.
func TestAuditActorIsTheCredentialsUser(t *testing.T) {
	s := newTestServer(t, WithCredentials("tok-a", "sec-a"), WithCredentials("tok-b", "sec-b"))
	d := s.Demo()
	for _, c := range []struct{ token, secret, ws string }{{"tok-a", "sec-a", DemoWorkspace}, {"tok-b", "sec-b", DemoWorkspace}, {"tok-b", "sec-b", SecondWorkspace}} {
		if resp, body := callAs(t, s, c.token, c.secret, "POST", api(c.ws, "spaces"), object{"space": object{"name": "By " + c.token}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("create: %d %s", resp.StatusCode, body)
		}
	}
	var got []string
	for _, ev := range s.AuditEvents(DemoWorkspace) {
		got = append(got, ev.Username+":"+ev.EntityName)
	}
	if want := []string{d.Members[0] + ":By tok-a", d.Members[1] + ":By tok-b"}; !slices.Equal(got, want) {
		t.Errorf("demo events %v, want %v", got, want)
	}
	if evs := s.AuditEvents(SecondWorkspace); len(evs) != 1 || evs[0].Username != d.Members[1] {
		t.Errorf("second workspace events %+v, want one by %s", evs, d.Members[1])
	}
}

// TestAuditLogFilters: each filter narrows the events, and they combine.
func TestAuditLogFilters(t *testing.T) {
	clock := NewTestClock(auditStart)
	s := newTestServer(t, WithClock(clock), WithCredentials("tok-a", "sec-a"), WithCredentials("tok-b", "sec-b"))
	d := s.Demo()
	sp := mustJSON(t, s, "POST", wsPath("spaces"), object{"space": object{"name": "Filtered"}}, http.StatusOK)["token"].(string) // 10:00, Ana
	clock.Advance(time.Hour)
	mustJSON(t, s, "POST", wsPath("spaces", sp), object{"space": object{"description": "x"}}, http.StatusOK) // 11:00, Ana
	clock.Advance(time.Hour)
	if resp, body := callAs(t, s, "tok-b", "sec-b", "PATCH", wsPath("reports", d.Reports[0]), object{"report": object{"description": "x"}}); resp.StatusCode != http.StatusOK { // 12:00, Ben
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}
	for _, tt := range []struct {
		name, query string
		want        []string // actions
	}{
		{"all", auditRange, []string{"space_created", "space_updated", "report_updated"}},
		{"start included", "start_timestamp=2025-02-18T11:00:00Z&end_timestamp=2026-01-01T00:00:00Z", []string{"space_updated", "report_updated"}},
		{"end excluded", "start_timestamp=2025-02-18T10:00:00Z&end_timestamp=2025-02-18T11:00:00Z", []string{"space_created"}},
		{"offset times", "start_timestamp=2025-02-18T11:30:00%2B01:00&end_timestamp=2025-02-18T12:30:00%2B01:00", []string{"space_updated"}},
		{"date only", "start_timestamp=2025-02-18&end_timestamp=2025-02-19", []string{"space_created", "space_updated", "report_updated"}},
		{"empty range", "start_timestamp=2025-02-18T10:00:00Z&end_timestamp=2025-02-18T10:00:00Z", nil},
		{"action", auditRange + "&action=space_updated", []string{"space_updated"}},
		{"entity_type", auditRange + "&entity_type=space", []string{"space_created", "space_updated"}},
		{"entity_id", auditRange + "&entity_id=" + d.Reports[0], []string{"report_updated"}},
		{"entity_name", auditRange + "&entity_name=Filtered", []string{"space_created", "space_updated"}},
		{"username", auditRange + "&username=" + d.Members[1], []string{"report_updated"}},
		{"ip", auditRange + "&ip=127.0.0.1", []string{"space_created", "space_updated", "report_updated"}},
		{"mapped ip", auditRange + "&ip=::ffff:127.0.0.1", []string{"space_created", "space_updated", "report_updated"}},
		{"other ip", auditRange + "&ip=10.0.0.1", nil},
		{"event_source", auditRange + "&event_source=api", []string{"space_created", "space_updated", "report_updated"}},
		{"other event_source", auditRange + "&event_source=web", nil},
		{"combined", auditRange + "&entity_type=space&username=" + d.Members[0] + "&action=space_created", []string{"space_created"}},
		{"no match", auditRange + "&username=nobody", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := auditPage(t, s, tt.query, http.StatusOK)
			var got []string
			for _, ev := range auditItems(t, o) {
				got = append(got, ev["action"].(string))
			}
			if !slices.Equal(got, tt.want) || o["next_token"] != nil {
				t.Errorf("actions %v (next_token %v), want %v", got, o["next_token"], tt.want)
			}
		})
	}
}

// TestAuditLogPaging: next_token pages through the events with none lost or repeated, events
// recorded between pages appear on later ones, and a next_token is bound to its filters.
func TestAuditLogPaging(t *testing.T) {
	clock := NewTestClock(auditStart)
	s := newTestServer(t, WithClock(clock), WithPerPage(2))
	names := []string{}
	create := func(name string) {
		clock.Advance(time.Second)
		mustJSON(t, s, "POST", wsPath("spaces"), object{"space": object{"name": name}}, http.StatusOK)
		names = append(names, name)
	}
	for _, n := range []string{"P1", "P2", "P3", "P4", "P5"} {
		create(n)
	}
	var seen []string
	query := auditRange + "&action=space_created"
	var next string
	for pages := 0; ; pages++ {
		q := query
		if next != "" {
			q += "&next_token=" + url.QueryEscape(next)
		}
		o := auditPage(t, s, q, http.StatusOK)
		items := auditItems(t, o)
		if len(items) > 2 {
			t.Fatalf("a page of %d events, want at most 2", len(items))
		}
		for _, ev := range items {
			seen = append(seen, ev["entity"].(object)["entity_name"].(string))
		}
		if pages == 0 {
			create("P6") // recorded while the reader is between pages: it must still come
			if linkHref(o, "next_page") == "" || !strings.Contains(linkHref(o, "next_page"), "next_token=") {
				t.Errorf("first page links %v: want a next_page carrying the next_token", o["_links"])
			}
		}
		tok, _ := o["next_token"].(string)
		if tok == "" {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		// A next_token is bound to the filters it was issued with.
		auditPage(t, s, auditRange+"&next_token="+url.QueryEscape(tok), http.StatusBadRequest)
		next = tok
	}
	if !slices.Equal(seen, names) {
		t.Errorf("paged through %v, want %v", seen, names)
	}
	for _, bad := range []string{"x", "bm90LWEtdG9rZW4", "MTphYmNk"} {
		auditPage(t, s, query+"&next_token="+bad, http.StatusBadRequest)
	}
}

// TestAuditLogBadInput: a query Mode would refuse answers 400 with Mode's error body.
func TestAuditLogBadInput(t *testing.T) {
	s := newTestServer(t)
	for _, tt := range []struct{ name, query string }{
		{"no range", ""},
		{"no start", "end_timestamp=2025-01-01T00:00:00Z"},
		{"no end", "start_timestamp=2025-01-01T00:00:00Z"},
		{"bad start", "start_timestamp=yesterday&end_timestamp=2025-01-01T00:00:00Z"},
		{"bad end", "start_timestamp=2025-01-01T00:00:00Z&end_timestamp=2025-13-01T00:00:00Z"},
		{"end before start", "start_timestamp=2025-02-01T00:00:00Z&end_timestamp=2025-01-01T00:00:00Z"},
		{"bad ip", auditRange + "&ip=300.1.1.1"},
		{"ip with port", auditRange + "&ip=127.0.0.1:80"},
		{"long filter", auditRange + "&entity_name=" + strings.Repeat("x", maxAuditFilter+1)},
		{"bad next_token", auditRange + "&next_token=%21%21"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if o := auditPage(t, s, tt.query, http.StatusBadRequest); o["id"] != "bad_request" || o["message"] == "" {
				t.Errorf("error body %v", o)
			}
		})
	}
	// Another workspace's path reads that workspace's log; an unknown one is 404.
	mustJSON(t, s, "GET", api("no_such_ws", "audit_logs")+"?"+auditRange, nil, http.StatusNotFound)
}
