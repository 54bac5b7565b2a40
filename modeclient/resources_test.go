package modeclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// Fixtures mix what real payloads do: numbers as strings, nulls, unknown
// fields, _forms, links to /collections/.
const (
	reportJSON = `{"token":"r1","id":"42","name":"Sales","description":null,"space_token":"s1",
		"account_username":"acme","archived":"false","public":true,"query_count":"3","chart_count":2,
		"runs_count":"17","view_count":null,"created_at":"2024-03-02T11:30:00.123Z",
		"updated_at":"2024-03-02T11:30:00Z","last_run_at":null,"edited_at":"2024-03-02 11:30:00 UTC",
		"expected_runtime":"1.5","brand_new_field":{"x":[1,2]},"_forms":{"edit":{"method":"patch"}},
		"_links":{"web":{"href":"https://app.mode.com/acme/reports/r1"},"space":{"href":"/api/acme/collections/s1","templated":false}}}`
	spaceJSON = `{"token":"s1","id":7,"space_type":"custom","name":"Team","description":"d","state":"active",
		"restricted":false,"free_default":"true","viewable?":true,"default_access_level":"view","_forms":{},
		"_links":{"self":{"href":"/api/acme/collections/s1"},"web":{"href":"https://app.mode.com/acme/spaces/s1"}}}`
	runJSON = `{"token":"run1","state":"succeeded","parameters":{"n":5,"region":"west"},
		"created_at":"2024-03-02T11:30:00.123Z","completed_at":"2024-03-02T11:31:00.000Z",
		"is_latest_report_run":"true","_links":{"self":{"href":"/api/acme/reports/r1/runs/run1"},"web_external_url":{"href":"https://app.mode.com/x"}}}`
	queryRunJSON = `{"id":"9","token":"qr1","state":"failed","query_token":"q1","raw_source":"select 1",
		"rendered_source":"select 1","max_result_bytes":"1048576","data_source_id":3,
		"error_code":500,"error_type":"sql","error_message":"boom","parameters":"{\"a\":1}",
		"_links":{"self":{"href":"/api/acme/reports/r1/runs/run1/query_runs/qr1"}}}`
	queryJSON = `{"id":"11","token":"q1","name":"Q","raw_query":"select 1","data_source_id":"3",
		"created_at":"2024-03-02T11:30:00.123Z","updated_at":null,"last_run_id":null,
		"_links":{"self":{"href":"/api/acme/reports/r1/queries/q1"}}}`
	dataSourceJSON = `{"id":3,"token":"d1","name":"warehouse","display_name":"Warehouse","adapter":"jdbc:postgres",
		"vendor":"postgres","port":"5432","public":false,"queryable":true,"asleep":null,"soft_deleted":false,
		"created_at":"2024-03-02T11:30:00.123+01:00","account_username":"acme"}`
	membershipJSON = `{"member_username":"ann","member_token":"m1","admin":true,"state":"active","activated_at":"2024-03-02T11:30:00.123Z",
		"_links":{"self":{"href":"/api/acme/memberships/ann"},"user":{"href":"/api/ann"}}}`
	groupJSON = `{"token":"g1","name":"Analysts","group_type":"custom","state":"active","member_count":"12",
		"_links":{"self":{"href":"/api/acme/groups/g1"}}}`
	definitionJSON = `{"id":"37","token":"d1","name":"users","description":null,"source":"select 1","data_source_id":"3",
		"created_at":"2024-03-02T11:30:00.123Z","updated_at":"2024-03-02T11:30:00.123Z","last_successful_sync_at":null,
		"github_link":null,"last_saved_at":"2024-03-02T11:30:00.123Z","_links":{"self":{"href":"/api/acme/definitions/d1"}}}`
	filterJSON = `{"id":5,"report_id":"42","token":"f1","name":"Region","row_order":"2","formula":"[region]","data_type":"string",
		"formula_type":"column","hide_select_all":"false","show_relevant_values_only":true,"filter_type":"MULTI",
		"control_type":"DROPDOWN","variable_type":"DISCRETE","options":"{\"query_token\":\"q1\",\"values\":[1]}",
		"_links":{"self":{"href":"/api/acme/reports/r1/filters/f1"},"report":{"href":"/api/acme/reports/r1"}}}`
	chartJSON = `{"token":"c1","view":{"selectedChart":"bar","chartTitle":"Revenue","bar":{"x":"region"},"pie":{}},"view_version":"2",
		"view_vegas":{"title":"Revenue (vegas)","chartType":"bar","format":{},"encoding":{"y":[{"field":"revenue"},{"field":"orders"}],
		"x":{"field":"region"},"color":{"field":"region"},"tooltip":"weird","size":[{"nofield":1}]}},"color_palette_token":null,
		"created_at":"2024-03-02T11:30:00.123Z","updated_at":null,"_links":{"self":{"href":"/api/acme/reports/r1/queries/q1/charts/c1"}}}`
	bigNumberJSON = `{"token":"c2","view":null,"view_vegas":{"chartType":"bigValue","title":"Total","encoding":{"text":{"field":"n"}}},
		"_links":{"self":{"href":"/api/acme/reports/r1/queries/q1/charts/c2"}}}`
	// A membership whose answer has no token of its own: its self link names it.
	pendingJSON = `{"member_username":"hal","member_token":"u9","admin":"false","invited":"true","state":"pending","activated_at":null,
		"_links":{"self":{"href":"/api/acme/memberships/m9"},"user":{"href":"/api/hal"}}}`
	accountJSON = `{"id":"10001","token":"u1","username":"ann","name":"Ann","email":"ann@acme.example","user":"true",
		"email_verified":true,"organizations_count":"2","created_at":"2024-03-02T11:30:00.123Z","settings":null,"new_field":[1],
		"_links":{"self":{"href":"/api/ann"},"web":{"href":"https://app.mode.com/ann"}}}`
	inviteJSON = `{"email":"hal@example.com","message":"hi","inviter_id":"10001","invitee_id":10009,"organization_id":"1","limited":"false",
		"sent_at":"2025-02-18T10:00:00.000Z","resent_at":null,"clicked_at":null,"accepted_at":null,"expires_at":"2025-02-25T10:00:00.000Z",
		"created_at":"2025-02-18T10:00:00.000Z","_links":{"inviter":{"href":"/api/ann"},"invitee":{"href":"/api/hal"},
		"membership":{"href":"/api/acme/memberships/m9"},"web_self_resend":{"href":"/organizations/acme/invites/m9/resend"}}}`
	// Audit events, embedded HAL-style, with a numeric id and user_id, and a microsecond timestamp.
	auditJSON = `{"_embedded":{"audit_logs":[{"id":77,"action":"space_created","description":"space created","context":{"correlation_id":"c1"},
		"actor":{"ip":"10.0.0.1","user_agent":"ua","user_id":12,"username":"ann"},"entity":{"entity_name":"Team","entity_type":"space","entity_id":"s1"},
		"timestamp":"2025-02-18T10:47:37.123456Z","workspace_username":"acme","event_source":"api"}]},"next_token":"NT1"}`
	workspaceJSON = `{"id":1,"token":"w1","username":"acme","name":"Acme","user":false,"space_count":"4",
		"data_source_count":2,"query_run_size_limit_mb":"500","created_at":"2020-01-01T00:00:00.000Z",
		"_links":{"web":{"href":"https://app.mode.com/acme"}},"_embedded":{"thing":[]}}`
)

func list(key, item string) string {
	return `{"pagination":{"page":1,"per_page":100,"total_pages":1,"total_count":1},"_links":{"self":{"href":"/x"}},"_embedded":{"` + key + `":[` + item + `]}}`
}

func pageQ() map[string]string { return map[string]string{"page": "1", "per_page": "100"} }

func TestResources(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		want   expect
		status int
		resp   string
		call   func(c *Client) (any, error)
		// pre are the GETs (path, answer) a write sends before itself: the
		// owner check of the object it changes or creates under (the
		// fixture's client has no cache, so the check always asks Mode).
		pre   [][2]string
		check func(t *testing.T, got any)
	}{
		{
			name: "GetWorkspace", want: expect{method: "GET", path: "/api/acme"}, resp: workspaceJSON,
			call: func(c *Client) (any, error) { return c.GetWorkspace(ctx, "acme") },
			check: func(t *testing.T, got any) {
				w := got.(*Workspace)
				if w.Username != "acme" || w.SpaceCount != 4 || w.QueryRunSizeLimitMB != 500 || w.WebURL() != "https://app.mode.com/acme" {
					t.Errorf("got %+v", w)
				}
			},
		},
		{
			name: "ListMembershipsPage", want: expect{method: "GET", path: "/api/acme/memberships", query: pageQ()},
			resp: list("memberships", membershipJSON),
			call: func(c *Client) (any, error) { return c.ListMembershipsPage(ctx, "acme", 1, nil) },
			check: func(t *testing.T, got any) {
				p := got.(*Page[Membership])
				if len(p.Items) != 1 || p.Items[0].MemberUsername != "ann" || !bool(p.Items[0].Admin) || p.NextPage != 0 || p.TotalCount != 1 {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetMembership", want: expect{method: "GET", path: "/api/acme/memberships/ann"}, resp: membershipJSON,
			call: func(c *Client) (any, error) { return c.GetMembership(ctx, "acme", "ann") },
			check: func(t *testing.T, got any) {
				if m := got.(*Membership); m.ActivatedAt.IsZero() || m.MemberToken != "m1" {
					t.Errorf("got %+v", m)
				}
			},
		},
		{
			name: "GetMembership named by its self link", want: expect{method: "GET", path: "/api/acme/memberships/m9"}, resp: pendingJSON,
			call: func(c *Client) (any, error) { return c.GetMembership(ctx, "acme", "m9") },
			check: func(t *testing.T, got any) {
				if m := got.(*Membership); m.MembershipToken() != "m9" || m.State != MembershipStatePending || !bool(m.Invited) || !m.ActivatedAt.IsZero() {
					t.Errorf("got %+v", m)
				}
			},
		},
		{
			name: "DeleteMembership", want: expect{method: "DELETE", path: "/api/acme/memberships/m9"},
			resp: strings.Replace(pendingJSON, `"pending"`, `"deleted"`, 1), pre: [][2]string{{"/api/acme/memberships/m9", pendingJSON}},
			call: func(c *Client) (any, error) { return c.DeleteMembership(ctx, "acme", "m9") },
			check: func(t *testing.T, got any) {
				if m := got.(*Membership); m.State != MembershipStateDeleted || m.MemberUsername != "hal" {
					t.Errorf("got %+v", m)
				}
			},
		},
		{
			name: "DeleteMembership answered with no body", want: expect{method: "DELETE", path: "/api/acme/memberships/m9"},
			resp: "", pre: [][2]string{{"/api/acme/memberships/m9", pendingJSON}},
			call: func(c *Client) (any, error) { return c.DeleteMembership(ctx, "acme", "m9") },
			check: func(t *testing.T, got any) {
				if m := got.(*Membership); m.MemberUsername != "hal" || m.MembershipToken() != "m9" {
					t.Errorf("got %+v: want the membership as read before", m)
				}
			},
		},
		{
			name: "GetAccount", want: expect{method: "GET", path: "/api/account"}, resp: accountJSON,
			call: func(c *Client) (any, error) { return c.GetAccount(ctx) },
			check: func(t *testing.T, got any) {
				a := got.(*Account)
				if a.ID != 10001 || a.Username != "ann" || a.Token != "u1" || !bool(a.User) || a.OrganizationsCount != 2 || a.WebURL() == "" || a.CreatedAt.IsZero() {
					t.Errorf("got %+v", a)
				}
			},
		},
		{
			name: "VerifyCredential", want: expect{method: "GET", path: "/api/verify"}, resp: "",
			call: func(c *Client) (any, error) { return c.VerifyCredential(ctx) },
			check: func(t *testing.T, got any) {
				if ok := got.(bool); !ok {
					t.Error("an empty 200 is a verified credential")
				}
			},
		},
		{
			name: "InviteMembers", want: expect{method: "POST", path: "/api/acme/invites", body: `{"invite":{"invitee":{"email":"hal@example.com"},"message":"hi"}}`},
			resp: inviteJSON,
			call: func(c *Client) (any, error) {
				return c.InviteMembers(ctx, "acme", InviteInput{Emails: []string{" hal@example.com ", "HAL@example.com", "bad"}, Message: "hi"})
			},
			check: func(t *testing.T, got any) {
				in := got.(*Invite)
				if len(in.Results) != 2 || in.Results[0].Status != InviteSent || in.Results[1].Status != InviteInvalid {
					t.Fatalf("got %+v", in)
				}
				inv := in.Results[0].Invitation
				if inv.MembershipToken() != "m9" || inv.InviteeUsername() != "hal" || inv.InviterID != 10001 || bool(inv.Limited) ||
					!inv.ResentAt.IsZero() || inv.ExpiresAt.Sub(inv.SentAt.Time) != 7*24*time.Hour {
					t.Errorf("got %+v", inv)
				}
			},
		},
		{
			name: "ListAuditLogPage",
			want: expect{method: "GET", path: "/api/acme/audit_logs", query: map[string]string{
				"start_timestamp": "2025-02-18T09:00:00Z", "end_timestamp": "2025-02-19T00:00:00.5Z", "action": "space_created",
				"entity_type": "space", "username": "ann", "ip": "10.0.0.1", "event_source": "api", "next_token": "NT0"}},
			resp: auditJSON,
			call: func(c *Client) (any, error) {
				cet := time.FixedZone("CET", 3600)
				return c.ListAuditLogPage(ctx, "acme", AuditLogFilter{
					Start: time.Date(2025, 2, 18, 10, 0, 0, 0, cet), End: time.Date(2025, 2, 19, 0, 0, 0, 5e8, time.UTC),
					Action: "space_created", EntityType: "space", Username: "ann", IP: "::ffff:10.0.0.1", EventSource: "api",
				}, "NT0")
			},
			check: func(t *testing.T, got any) {
				p := got.(*AuditLogPage)
				if len(p.Events) != 1 || p.NextToken != "NT1" {
					t.Fatalf("got %+v", p)
				}
				ev := p.Events[0]
				if ev.ID != "77" || ev.Actor.UserID != "12" || ev.Actor.IP != "10.0.0.1" || ev.Entity.ID != "s1" || ev.Entity.Name != "Team" ||
					ev.Time.Nanosecond() != 123456000 || ev.Context.CorrelationID != "c1" || ev.Workspace != "acme" {
					t.Errorf("got %+v", ev)
				}
			},
		},
		{
			name: "ListGroupsPage", want: expect{method: "GET", path: "/api/acme/groups", query: map[string]string{"page": "2", "per_page": "5"}},
			resp: list("groups", groupJSON),
			call: func(c *Client) (any, error) { return c.ListGroupsPage(ctx, "acme", 2, &ListOptions{PerPage: 5}) },
			check: func(t *testing.T, got any) {
				if p := got.(*Page[Group]); len(p.Items) != 1 || p.Items[0].MemberCount != 12 || p.Page != 2 {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetGroup", want: expect{method: "GET", path: "/api/acme/groups/g1"}, resp: groupJSON,
			call: func(c *Client) (any, error) { return c.GetGroup(ctx, "acme", "g1") },
			check: func(t *testing.T, got any) {
				if g := got.(*Group); g.Name != "Analysts" {
					t.Errorf("got %+v", g)
				}
			},
		},
		{
			name: "ListSpacesPage filter=all", want: expect{method: "GET", path: "/api/acme/spaces", query: map[string]string{"page": "1", "per_page": "100", "filter": "all"}},
			resp: list("spaces", spaceJSON),
			call: func(c *Client) (any, error) {
				return c.ListSpacesPage(ctx, "acme", 0, &ListSpacesOptions{Filter: "all"})
			},
			check: func(t *testing.T, got any) {
				p := got.(*Page[Space])
				if len(p.Items) != 1 || !bool(p.Items[0].FreeDefault) || !bool(p.Items[0].Viewable) || p.Items[0].ID != 7 {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetSpace", want: expect{method: "GET", path: "/api/acme/spaces/s1"}, resp: spaceJSON,
			call: func(c *Client) (any, error) { return c.GetSpace(ctx, "acme", "s1") },
			check: func(t *testing.T, got any) {
				if s := got.(*Space); s.Name != "Team" || s.WebURL() == "" {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "CreateSpace", want: expect{method: "POST", path: "/api/acme/spaces", body: `{"space":{"name":"Team","description":"d"}}`},
			resp: spaceJSON,
			call: func(c *Client) (any, error) {
				return c.CreateSpace(ctx, "acme", SpaceCreate{Name: "Team", Description: "d"})
			},
			check: func(t *testing.T, got any) {
				if s := got.(*Space); s.Token != "s1" {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "UpdateSpace is a POST", want: expect{method: "POST", path: "/api/acme/spaces/s1", body: `{"space":{"name":"New"}}`},
			resp: spaceJSON, pre: [][2]string{{"/api/acme/spaces/s1", spaceJSON}},
			call:  func(c *Client) (any, error) { return c.UpdateSpace(ctx, "acme", "s1", SpaceUpdate{Name: ptr("New")}) },
			check: func(t *testing.T, got any) {},
		},
		{
			name: "DeleteSpace", want: expect{method: "DELETE", path: "/api/acme/spaces/s1"}, resp: spaceJSON,
			pre:  [][2]string{{"/api/acme/spaces/s1", spaceJSON}},
			call: func(c *Client) (any, error) { return nil, c.DeleteSpace(ctx, "acme", "s1") },
		},
		{
			name: "ListDataSourcesPage", want: expect{method: "GET", path: "/api/acme/data_sources", query: pageQ()},
			resp: list("data_sources", dataSourceJSON),
			call: func(c *Client) (any, error) { return c.ListDataSourcesPage(ctx, "acme", 1, nil) },
			check: func(t *testing.T, got any) {
				p := got.(*Page[DataSource])
				if len(p.Items) != 1 || p.Items[0].Port != 5432 || !bool(p.Items[0].Queryable) || p.Items[0].CreatedAt.UTC().Hour() != 10 {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetDataSource", want: expect{method: "GET", path: "/api/acme/data_sources/d1"}, resp: dataSourceJSON,
			call: func(c *Client) (any, error) { return c.GetDataSource(ctx, "acme", "d1") },
			check: func(t *testing.T, got any) {
				if d := got.(*DataSource); d.DisplayName != "Warehouse" {
					t.Errorf("got %+v", d)
				}
			},
		},
		{
			name: "GetReport", want: expect{method: "GET", path: "/api/acme/reports/r1"}, resp: reportJSON,
			call: func(c *Client) (any, error) { return c.GetReport(ctx, "acme", "r1") },
			check: func(t *testing.T, got any) {
				r := got.(*Report)
				want := time.Date(2024, 3, 2, 11, 30, 0, 123e6, time.UTC)
				if r.ID != 42 || r.QueryCount != 3 || r.ChartCount != 2 || r.RunsCount != 17 || r.ViewCount != 0 ||
					!r.CreatedAt.Equal(want) || !r.LastRunAt.IsZero() || r.EditedAt.IsZero() || r.ExpectedRuntime != 1.5 ||
					r.WebURL() != "https://app.mode.com/acme/reports/r1" || r.Links.Href("space") != "/api/acme/collections/s1" || bool(r.Archived) {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "ListSpaceReportsPage with ordering",
			want: expect{method: "GET", path: "/api/acme/spaces/s1/reports", query: map[string]string{
				"page": "1", "per_page": "100", "filter": "created_at.gt.2019-10-23T06:23:01Z", "order": "asc", "order_by": "created_at"}},
			resp: list("reports", reportJSON),
			call: func(c *Client) (any, error) {
				return c.ListSpaceReportsPage(ctx, "acme", "s1", 1, &ListReportsOptions{Filter: "created_at.gt.2019-10-23T06:23:01Z", Order: "asc", OrderBy: "created_at"})
			},
			check: func(t *testing.T, got any) {
				if p := got.(*Page[Report]); len(p.Items) != 1 || p.Items[0].Token != "r1" {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "ListDataSourceReportsPage archived",
			want: expect{method: "GET", path: "/api/acme/data_sources/d1/reports", query: map[string]string{"page": "1", "per_page": "100", "filter": "archived", "order": "desc", "order_by": "updated_at"}},
			resp: list("reports", reportJSON),
			call: func(c *Client) (any, error) {
				return c.ListDataSourceReportsPage(ctx, "acme", "d1", 1, &ListReportsOptions{Filter: "archived", Order: "desc", OrderBy: "updated_at"})
			},
			check: func(t *testing.T, got any) {},
		},
		{
			name: "UpdateReport", want: expect{method: "PATCH", path: "/api/acme/reports/r1", body: `{"report":{"name":"N","space_token":"s2"}}`},
			resp: reportJSON, pre: [][2]string{{"/api/acme/reports/r1", reportJSON}, {"/api/acme/spaces/s2", spaceJSON}},
			call: func(c *Client) (any, error) {
				return c.UpdateReport(ctx, "acme", "r1", ReportUpdate{Name: ptr("N"), SpaceToken: ptr("s2")})
			},
			check: func(t *testing.T, got any) {},
		},
		{
			name: "UpdateReport empty description", want: expect{method: "PATCH", path: "/api/acme/reports/r1", body: `{"report":{"description":""}}`},
			resp: reportJSON, pre: [][2]string{{"/api/acme/reports/r1", reportJSON}},
			call: func(c *Client) (any, error) {
				return c.UpdateReport(ctx, "acme", "r1", ReportUpdate{Description: ptr("")})
			},
		},
		{
			name: "DeleteReport", want: expect{method: "DELETE", path: "/api/acme/reports/r1"}, resp: "", pre: [][2]string{{"/api/acme/reports/r1", reportJSON}},
			call: func(c *Client) (any, error) { return nil, c.DeleteReport(ctx, "acme", "r1") },
		},
		{
			name: "ArchiveReport", want: expect{method: "PATCH", path: "/api/acme/reports/r1/archive"}, resp: reportJSON, pre: [][2]string{{"/api/acme/reports/r1", reportJSON}},
			call: func(c *Client) (any, error) { return c.ArchiveReport(ctx, "acme", "r1") },
			check: func(t *testing.T, got any) {
				if r := got.(*Report); r.Token != "r1" {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "UnarchiveReport", want: expect{method: "PATCH", path: "/api/acme/reports/r1/unarchive"}, resp: reportJSON, pre: [][2]string{{"/api/acme/reports/r1", reportJSON}},
			call: func(c *Client) (any, error) { return c.UnarchiveReport(ctx, "acme", "r1") },
		},
		{
			name: "RunReport with parameters", want: expect{method: "POST", path: "/api/acme/reports/r1/runs", body: `{"parameters":{"n":5,"region":"west"}}`},
			status: http.StatusAccepted, resp: runJSON, pre: [][2]string{{"/api/acme/reports/r1", reportJSON}},
			call: func(c *Client) (any, error) {
				return c.RunReport(ctx, "acme", "r1", map[string]any{"n": 5, "region": "west"})
			},
			check: func(t *testing.T, got any) {
				r := got.(*ReportRun)
				if r.Token != "r1" && r.Token != "run1" || !r.Finished() || r.Parameters["region"] != "west" || r.Parameters["n"] != json.Number("5") ||
					!bool(r.IsLatestReportRun) || r.WebURL() != "https://app.mode.com/x" {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "RunReport without parameters", want: expect{method: "POST", path: "/api/acme/reports/r1/runs", body: `{"parameters":{}}`},
			status: http.StatusAccepted, pre: [][2]string{{"/api/acme/reports/r1", reportJSON}}, resp: `{"token":"run2","state":"enqueued","_links":{"self":{"href":"/api/acme/reports/r1/runs/run2"}}}`,
			call: func(c *Client) (any, error) { return c.RunReport(ctx, "acme", "r1", nil) },
			check: func(t *testing.T, got any) {
				if r := got.(*ReportRun); r.Finished() || r.State != "enqueued" {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "GetReportRun", want: expect{method: "GET", path: "/api/acme/reports/r1/runs/run1"}, resp: runJSON,
			call: func(c *Client) (any, error) { return c.GetReportRun(ctx, "acme", "r1", "run1") },
		},
		{
			name: "ListReportRunsPage", want: expect{method: "GET", path: "/api/acme/reports/r1/runs", query: map[string]string{"page": "1", "per_page": "100", "order": "desc"}},
			resp: `{"pagination":{"page":"1","per_page":"100","count":1,"total_pages":"1","total_count":"1"},"_embedded":{"report_runs":[` + runJSON + `]}}`,
			call: func(c *Client) (any, error) {
				return c.ListReportRunsPage(ctx, "acme", "r1", 1, &ListRunsOptions{Order: "desc"})
			},
			check: func(t *testing.T, got any) {
				if p := got.(*Page[ReportRun]); len(p.Items) != 1 || p.TotalPages != 1 || p.NextPage != 0 {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "CloneReportRun", want: expect{method: "POST", path: "/api/acme/reports/r1/runs/run1/clone"}, resp: runJSON,
			pre:  [][2]string{{"/api/acme/reports/r1/runs/run1", runJSON}},
			call: func(c *Client) (any, error) { return c.CloneReportRun(ctx, "acme", "r1", "run1") },
		},
		{
			name: "ListQueryRunsPage", want: expect{method: "GET", path: "/api/acme/reports/r1/runs/run1/query_runs", query: pageQ()},
			resp: list("query_runs", queryRunJSON),
			call: func(c *Client) (any, error) { return c.ListQueryRunsPage(ctx, "acme", "r1", "run1", 1, nil) },
			check: func(t *testing.T, got any) {
				p := got.(*Page[QueryRun])
				if len(p.Items) != 1 || p.Items[0].ID != 9 || p.Items[0].ErrorCode != "500" || p.Items[0].MaxResultBytes != 1<<20 ||
					p.Items[0].Parameters["a"] != json.Number("1") || !p.Items[0].Finished() {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetQueryRun", want: expect{method: "GET", path: "/api/acme/reports/r1/runs/run1/query_runs/qr1"}, resp: queryRunJSON,
			call: func(c *Client) (any, error) { return c.GetQueryRun(ctx, "acme", "r1", "run1", "qr1") },
			check: func(t *testing.T, got any) {
				if q := got.(*QueryRun); q.ErrorMessage != "boom" || q.DataSourceID != 3 {
					t.Errorf("got %+v", q)
				}
			},
		},
		{
			name: "ListQueriesPage", want: expect{method: "GET", path: "/api/acme/reports/r1/queries", query: pageQ()},
			resp: list("queries", queryJSON),
			call: func(c *Client) (any, error) { return c.ListQueriesPage(ctx, "acme", "r1", 1, nil) },
			check: func(t *testing.T, got any) {
				if p := got.(*Page[Query]); len(p.Items) != 1 || p.Items[0].DataSourceID != 3 || p.Items[0].ID != 11 {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetQuery", want: expect{method: "GET", path: "/api/acme/reports/r1/queries/q1"}, resp: queryJSON,
			call: func(c *Client) (any, error) { return c.GetQuery(ctx, "acme", "r1", "q1") },
		},
		{
			name: "CreateQuery", want: expect{method: "POST", path: "/api/acme/reports/r1/queries", body: `{"query":{"raw_query":"select 1","data_source_id":3,"name":"Q"}}`},
			resp: queryJSON, pre: [][2]string{{"/api/acme/reports/r1", reportJSON}},
			call: func(c *Client) (any, error) {
				return c.CreateQuery(ctx, "acme", "r1", QueryCreate{RawQuery: "select 1", DataSourceID: 3, Name: "Q"})
			},
		},
		{
			name: "UpdateQuery", want: expect{method: "PATCH", path: "/api/acme/reports/r1/queries/q1", body: `{"query":{"raw_query":"select 2"}}`},
			resp: queryJSON, pre: [][2]string{{"/api/acme/reports/r1/queries/q1", queryJSON}},
			call: func(c *Client) (any, error) {
				return c.UpdateQuery(ctx, "acme", "r1", "q1", QueryUpdate{RawQuery: ptr("select 2")})
			},
		},
		{
			name: "DeleteQuery", want: expect{method: "DELETE", path: "/api/acme/reports/r1/queries/q1"}, resp: `{}`,
			pre:  [][2]string{{"/api/acme/reports/r1/queries/q1", queryJSON}},
			call: func(c *Client) (any, error) { return nil, c.DeleteQuery(ctx, "acme", "r1", "q1") },
		},
		{
			name: "ListDefinitionsPage", want: expect{method: "GET", path: "/api/acme/definitions", query: pageQ()},
			resp: list("definitions", definitionJSON),
			call: func(c *Client) (any, error) { return c.ListDefinitionsPage(ctx, "acme", 1, nil) },
			check: func(t *testing.T, got any) {
				p := got.(*Page[Definition])
				if len(p.Items) != 1 || p.Items[0].ID != 37 || p.Items[0].DataSourceID != 3 || p.Items[0].Description != "" ||
					!p.Items[0].LastSuccessfulSyncAt.IsZero() || p.Items[0].Reference() != "{{ @users }}" {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetDefinition", want: expect{method: "GET", path: "/api/acme/definitions/d1"}, resp: definitionJSON,
			call: func(c *Client) (any, error) { return c.GetDefinition(ctx, "acme", "d1") },
		},
		{
			name: "CreateDefinition", resp: definitionJSON,
			want: expect{method: "POST", path: "/api/acme/definitions", body: `{"definition":{"name":"users","source":"select 1","data_source_id":3}}`},
			call: func(c *Client) (any, error) {
				return c.CreateDefinition(ctx, "acme", DefinitionCreate{Name: "users", Source: "select 1", DataSourceID: 3})
			},
		},
		{
			name: "UpdateDefinition", resp: definitionJSON, pre: [][2]string{{"/api/acme/definitions/d1", definitionJSON}},
			want: expect{method: "PATCH", path: "/api/acme/definitions/d1", body: `{"definition":{"description":"","data_source_id":4}}`},
			call: func(c *Client) (any, error) {
				return c.UpdateDefinition(ctx, "acme", "d1", DefinitionUpdate{Description: ptr(""), DataSourceID: ptr(int64(4))})
			},
		},
		{
			name: "DeleteDefinition", want: expect{method: "DELETE", path: "/api/acme/definitions/d1"}, resp: definitionJSON,
			pre:  [][2]string{{"/api/acme/definitions/d1", definitionJSON}},
			call: func(c *Client) (any, error) { return nil, c.DeleteDefinition(ctx, "acme", "d1") },
		},
		{
			name: "ListReportFiltersPage", want: expect{method: "GET", path: "/api/acme/reports/r1/filters", query: pageQ()},
			resp: list("report_filters", filterJSON),
			call: func(c *Client) (any, error) { return c.ListReportFiltersPage(ctx, "acme", "r1", 1, nil) },
			check: func(t *testing.T, got any) {
				p := got.(*Page[ReportFilter])
				if len(p.Items) != 1 || p.Items[0].RowOrder != 2 || p.Items[0].ReportID != 42 || bool(p.Items[0].HideSelectAll) ||
					!bool(p.Items[0].ShowRelevantValuesOnly) || p.Items[0].QueryToken() != "q1" || p.Items[0].FilterType != "MULTI" {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "GetReportFilter", want: expect{method: "GET", path: "/api/acme/reports/r1/filters/f1"}, resp: filterJSON,
			call: func(c *Client) (any, error) { return c.GetReportFilter(ctx, "acme", "r1", "f1") },
		},
		{
			name: "CreateReportFilter", resp: filterJSON, pre: [][2]string{{"/api/acme/reports/r1/queries/q1", queryJSON}},
			want: expect{method: "POST", path: "/api/acme/reports/r1/filters", body: `{"report_filter":{"name":"Region","formula":"[region]",
				"data_type":"string","formula_type":"column","filter_type":"MULTI","control_type":"DROPDOWN","variable_type":"DISCRETE",
				"options":{"query_token":"q1","values":[1]},"next_filter_token":""}}`},
			call: func(c *Client) (any, error) {
				return c.CreateReportFilter(ctx, "acme", "r1", ReportFilterInput{
					Name: "Region", Formula: "[region]", DataType: "string", FormulaType: "column", FilterType: "MULTI",
					ControlType: "DROPDOWN", VariableType: "DISCRETE", Query: "q1",
					Options: map[string]any{"values": []int{1}, "query_token": "ignored"}, NextFilter: ptr(""),
				})
			},
		},
		{
			// New options keep the filter's query (its own options, read first, name it).
			name: "UpdateReportFilter options", resp: filterJSON, pre: [][2]string{{"/api/acme/reports/r1/filters/f1", filterJSON}},
			want: expect{method: "PATCH", path: "/api/acme/reports/r1/filters/f1", body: `{"report_filter":{"options":{"query_token":"q1","values":[2]}}}`},
			call: func(c *Client) (any, error) {
				return c.UpdateReportFilter(ctx, "acme", "r1", "f1", ReportFilterUpdate{Options: ptr(map[string]any{"values": []int{2}})})
			},
		},
		{
			// A new query keeps the filter's options; the new query is read first too.
			name: "UpdateReportFilter query", resp: filterJSON,
			pre:  [][2]string{{"/api/acme/reports/r1/filters/f1", filterJSON}, {"/api/acme/reports/r1/queries/q1", queryJSON}},
			want: expect{method: "PATCH", path: "/api/acme/reports/r1/filters/f1", body: `{"report_filter":{"name":"R","options":{"query_token":"q1","values":[1]}}}`},
			call: func(c *Client) (any, error) {
				return c.UpdateReportFilter(ctx, "acme", "r1", "f1", ReportFilterUpdate{Name: ptr("R"), Query: ptr("q1")})
			},
		},
		{
			name: "DeleteReportFilter", want: expect{method: "DELETE", path: "/api/acme/reports/r1/filters/f1"}, resp: filterJSON,
			pre:  [][2]string{{"/api/acme/reports/r1/filters/f1", filterJSON}},
			call: func(c *Client) (any, error) { return nil, c.DeleteReportFilter(ctx, "acme", "r1", "f1") },
		},
		{
			name: "ListQueryChartsPage", want: expect{method: "GET", path: "/api/acme/reports/r1/queries/q1/charts", query: pageQ()},
			resp: list("charts", chartJSON+","+bigNumberJSON),
			call: func(c *Client) (any, error) { return c.ListQueryChartsPage(ctx, "acme", "r1", "q1", 1, nil) },
			check: func(t *testing.T, got any) {
				p := got.(*Page[Chart])
				if len(p.Items) != 2 {
					t.Fatalf("got %+v", p)
				}
				c, b := p.Items[0], p.Items[1]
				if c.Type() != "bar" || c.Title() != "Revenue" || c.ViewVersion != 2 || c.View.Settings["bar"] == nil || c.View.Settings["pie"] == nil ||
					len(c.View.Settings) != 2 || fmt.Sprint(c.Columns()) != "[region revenue orders]" {
					t.Errorf("chart %+v: type %q, title %q, columns %v", c, c.Type(), c.Title(), c.Columns())
				}
				if b.Type() != "bigValue" || b.Title() != "Total" || fmt.Sprint(b.Columns()) != "[n]" || b.View.Settings != nil {
					t.Errorf("big number %+v: type %q, title %q, columns %v", b, b.Type(), b.Title(), b.Columns())
				}
			},
		},
		{
			name: "GetChart", want: expect{method: "GET", path: "/api/acme/reports/r1/queries/q1/charts/c1"}, resp: chartJSON,
			call: func(c *Client) (any, error) { return c.GetChart(ctx, "acme", "r1", "q1", "c1") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var n counter
			f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				if i := n.inc() - 1; i < len(tt.pre) {
					checkRequest(t, r, expect{method: "GET", path: tt.pre[i][0]})
					writeJSON(w, http.StatusOK, tt.pre[i][1])
					return
				}
				checkRequest(t, r, tt.want)
				status := tt.status
				if status == 0 {
					status = http.StatusOK
				}
				writeJSON(w, status, tt.resp)
			})
			got, err := tt.call(f.client)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if n.get() != 1+len(tt.pre) {
				t.Errorf("%d requests, want %d", n.get(), 1+len(tt.pre))
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestInvalidInputsMakeNoRequest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
	})
	tests := []struct {
		name  string
		field string
		call  func(c *Client) error
	}{
		{"space without name", "name", func(c *Client) error { _, err := c.CreateSpace(ctx, "acme", SpaceCreate{}); return err }},
		{"empty space update", "space", func(c *Client) error { _, err := c.UpdateSpace(ctx, "acme", "s1", SpaceUpdate{}); return err }},
		{"empty report update", "report", func(c *Client) error { _, err := c.UpdateReport(ctx, "acme", "r1", ReportUpdate{}); return err }},
		{"bad space token in update", "space_token", func(c *Client) error {
			_, err := c.UpdateReport(ctx, "acme", "r1", ReportUpdate{SpaceToken: ptr("../x")})
			return err
		}},
		{"bad order", "order", func(c *Client) error {
			_, err := c.ListSpaceReportsPage(ctx, "acme", "s1", 1, &ListReportsOptions{Order: "sideways"})
			return err
		}},
		{"bad order_by", "order_by", func(c *Client) error {
			_, err := c.ListReportRunsPage(ctx, "acme", "r1", 1, &ListRunsOptions{OrderBy: "name"})
			return err
		}},
		{"bad filter", "filter", func(c *Client) error {
			_, err := c.ListSpaceReportsPage(ctx, "acme", "s1", 1, &ListReportsOptions{Filter: "created_at.gt.yesterday"})
			return err
		}},
		{"bad space filter", "filter", func(c *Client) error {
			_, err := c.ListSpacesPage(ctx, "acme", 1, &ListSpacesOptions{Filter: "all&x=1"})
			return err
		}},
		{"per page too big", "per_page", func(c *Client) error {
			_, err := c.ListGroupsPage(ctx, "acme", 1, &ListOptions{PerPage: 5000})
			return err
		}},
		{"query without SQL", "raw_query", func(c *Client) error {
			_, err := c.CreateQuery(ctx, "acme", "r1", QueryCreate{DataSourceID: 1})
			return err
		}},
		{"query without data source", "data_source_id", func(c *Client) error {
			_, err := c.CreateQuery(ctx, "acme", "r1", QueryCreate{RawQuery: "select 1"})
			return err
		}},
		{"empty query update", "query", func(c *Client) error { _, err := c.UpdateQuery(ctx, "acme", "r1", "q1", QueryUpdate{}); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(f.client)
			var ia *InvalidArgumentError
			if !errorsAs(err, &ia) || ia.Field != tt.field {
				t.Fatalf("err = %v, want InvalidArgumentError on %s", err, tt.field)
			}
		})
	}
}

// TestAuditLogOwnerAndEnd: a page with an event of another workspace is not found; the iterator
// stops when Mode answers the token it was asked with again, and yields each event once.
func TestAuditLogOwnerAndEnd(t *testing.T) {
	ctx := context.Background()
	all := AuditLogFilter{Start: time.Unix(0, 0), End: time.Unix(1e9, 0)}
	f := newFixture(t)
	var n counter
	f.mux.HandleFunc("GET /api/acme/audit_logs", func(w http.ResponseWriter, r *http.Request) {
		n.inc()
		// Every page answers the same event and a next_token of "T": after the first page
		// the iterator is asked "T" and answered "T" again.
		writeJSON(w, http.StatusOK, `{"audit_logs":[{"id":"e1","workspace_username":"acme"}],"next_token":"T"}`)
	})
	f.mux.HandleFunc("GET /api/other/audit_logs", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"audit_logs":[{"id":"e1","workspace_username":"acme"}],"next_token":null}`)
	})
	var ids []string
	for ev, err := range f.client.ListAuditLog(ctx, "acme", all) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(ev.ID))
	}
	if len(ids) != 1 || n.get() != 2 {
		t.Errorf("events %v in %d requests, want one event in 2", ids, n.get())
	}
	_, err := f.client.ListAuditLogPage(ctx, "other", all, "")
	var ww *WrongWorkspaceError
	if !errorsAs(err, &ww) {
		t.Errorf("an event of another workspace: %v", err)
	}
}
