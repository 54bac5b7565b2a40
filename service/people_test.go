package service_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// lockedBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestProvisionAPerson walks a person's whole stay over a real server, while an audit stream
// follows the workspace: invite them, add them (once they are a member) to a group, grant the
// group a space and see their access, revoke it, remove them from the workspace. The stream shows
// every step in order; a second stream resumed from the middle neither loses nor repeats an event.
func TestProvisionAPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	ws := e.clients(protocols[0]).ws
	started := time.Now().Add(-time.Second)

	audit, err := ws.StreamAuditEvents(ctx, connect.NewRequest(&modeplatformv1.StreamAuditEventsRequest{Parent: e.ws}))
	if err != nil {
		t.Fatalf("StreamAuditEvents: %v", err)
	}
	defer audit.Close()
	type seen struct {
		event  *modeplatformv1.AuditEvent
		resume string
	}
	var mu sync.Mutex
	var got []seen
	go func() {
		for audit.Receive() {
			mu.Lock()
			got = append(got, seen{audit.Msg().GetAuditEvent(), audit.Msg().GetResumeToken()})
			mu.Unlock()
		}
	}()
	waitFor := func(action, entity string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			i := slices.IndexFunc(got, func(s seen) bool {
				return s.event.GetAction() == action && (entity == "" || strings.Contains(s.event.GetEntityName()+" "+s.event.GetEntityId(), entity))
			})
			mu.Unlock()
			if i >= 0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		var actions []string
		for _, s := range got {
			actions = append(actions, s.event.GetAction())
		}
		t.Fatalf("the audit stream never showed %s %s; it showed %v", action, entity, actions)
	}

	// 1. Invite two addresses: a new person, and a member's.
	members, err := ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws}))
	if err != nil {
		t.Fatal(err)
	}
	invited, err := ws.InviteMembers(ctx, connect.NewRequest(&modeplatformv1.InviteMembersRequest{
		Parent: e.ws, Emails: []string{"nina.new@example.com", "ben_builder@parchandposey.com"}, Message: "Welcome to the analytics team", RequestId: "invite-1",
	}))
	if err != nil {
		t.Fatalf("InviteMembers: %v", err)
	}
	res := invited.Msg.GetResults()
	if len(res) != 2 || res[0].GetEmail() != "nina.new@example.com" || res[0].GetOutcome() != modeplatformv1.InviteMembersResponse_Result_OUTCOME_INVITED ||
		res[0].GetExpireTime() == nil || res[1].GetOutcome() != modeplatformv1.InviteMembersResponse_Result_OUTCOME_ALREADY_MEMBER {
		t.Fatalf("invite results = %v", res)
	}
	waitFor("invite_sent", "")
	after, err := ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws}))
	if err != nil || len(after.Msg.GetMemberships()) != len(members.Msg.GetMemberships())+1 {
		t.Fatalf("memberships after the invite = %v, %v", after, err)
	}
	var nina *modeplatformv1.Membership
	for _, m := range after.Msg.GetMemberships() {
		if !slices.ContainsFunc(members.Msg.GetMemberships(), func(x *modeplatformv1.Membership) bool { return x.GetName() == m.GetName() }) {
			nina = m
		}
	}
	if nina == nil || !nina.GetInvited() {
		t.Fatalf("the invited person's membership = %v", nina)
	}

	// 2. A group, with the new person in it, given the restricted Executive space.
	group, err := ws.CreateGroup(ctx, connect.NewRequest(&modeplatformv1.CreateGroupRequest{Parent: e.ws, Group: &modeplatformv1.Group{DisplayName: "Onboarding"}}))
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	waitFor("user_group_created", "Onboarding")
	gm, err := ws.CreateGroupMembership(ctx, connect.NewRequest(&modeplatformv1.CreateGroupMembershipRequest{
		Parent: group.Msg.GetGroup().GetName(), GroupMembership: &modeplatformv1.GroupMembership{Member: nina.GetName()},
	}))
	if err != nil || gm.Msg.GetGroupMembership().GetMember() != nina.GetName() {
		t.Fatalf("CreateGroupMembership = %v, %v", gm, err)
	}
	grant, err := ws.CreateSpaceMembership(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceMembershipRequest{
		Parent: e.spaceName(e.demo.Spaces[2]), SpaceMembership: &modeplatformv1.SpaceMembership{Group: group.Msg.GetGroup().GetName()},
	}))
	if err != nil {
		t.Fatalf("CreateSpaceMembership: %v", err)
	}
	// 3. Their access: the group's grant is listed on the space; revoke it.
	access, err := ws.ListSpaceMemberships(ctx, connect.NewRequest(&modeplatformv1.ListSpaceMembershipsRequest{Parent: e.spaceName(e.demo.Spaces[2])}))
	if err != nil || !slices.ContainsFunc(access.Msg.GetSpaceMemberships(), func(sm *modeplatformv1.SpaceMembership) bool {
		return sm.GetGroup() == group.Msg.GetGroup().GetName()
	}) {
		t.Fatalf("ListSpaceMemberships = %v, %v", access, err)
	}
	if _, err := ws.DeleteSpaceMembership(ctx, connect.NewRequest(&modeplatformv1.DeleteSpaceMembershipRequest{Name: grant.Msg.GetSpaceMembership().GetName()})); err != nil {
		t.Fatalf("DeleteSpaceMembership: %v", err)
	}
	inEveryone, err := ws.ListGroupMemberships(ctx, connect.NewRequest(&modeplatformv1.ListGroupMembershipsRequest{Parent: e.ws + "/groups/" + e.demo.Groups[0], PageSize: 1000}))
	if err != nil || !slices.ContainsFunc(inEveryone.Msg.GetGroupMemberships(), func(gm *modeplatformv1.GroupMembership) bool { return gm.GetMember() == nina.GetName() }) {
		t.Fatalf("the Everyone group before the removal = %v, %v; want the invitee in it", inEveryone, err)
	}
	// 4. Offboarding: gone from the workspace and from the group.
	removed, err := ws.DeleteMembership(ctx, connect.NewRequest(&modeplatformv1.DeleteMembershipRequest{Name: nina.GetName()}))
	if err != nil || removed.Msg.GetMembership().GetName() != nina.GetName() {
		t.Fatalf("DeleteMembership = %v, %v", removed, err)
	}
	left, err := ws.ListGroupMemberships(ctx, connect.NewRequest(&modeplatformv1.ListGroupMembershipsRequest{Parent: group.Msg.GetGroup().GetName()}))
	if err != nil || len(left.Msg.GetGroupMemberships()) != 0 {
		t.Fatalf("the group after the removal = %v, %v", left, err)
	}
	everyone, err := ws.ListGroupMemberships(ctx, connect.NewRequest(&modeplatformv1.ListGroupMembershipsRequest{Parent: e.ws + "/groups/" + e.demo.Groups[0], PageSize: 1000}))
	if err != nil || slices.ContainsFunc(everyone.Msg.GetGroupMemberships(), func(gm *modeplatformv1.GroupMembership) bool { return gm.GetMember() == nina.GetName() }) {
		t.Fatalf("the Everyone group after the removal = %v, %v", everyone, err)
	}
	waitFor("invite_revoked", "") // she had not joined yet: removing her withdraws the invitation

	// The stream showed every step, in order.
	mu.Lock()
	var actions []string
	for _, s := range got {
		actions = append(actions, s.event.GetAction())
	}
	all := slices.Clone(got)
	mu.Unlock()
	order := []string{"invite_sent", "user_group_created", "user_group_membership_created", "space_membership_created", "space_membership_deleted", "invite_revoked"}
	at := -1
	for _, a := range order {
		i := slices.Index(actions[at+1:], a)
		if i < 0 {
			t.Fatalf("the audit stream shows %v: no %s after position %d (want the steps %v in order)", actions, a, at, order)
		}
		at += i + 1
	}
	for _, s := range all {
		if s.event.GetActorUsername() == "" || s.event.GetEventTime() == nil || !strings.HasPrefix(s.event.GetName(), e.ws+"/auditEvents/") {
			t.Errorf("audit event %v", s.event)
		}
	}

	// Resuming after the third event gives exactly the events after it.
	mid := 2
	resumed, err := ws.StreamAuditEvents(ctx, connect.NewRequest(&modeplatformv1.StreamAuditEventsRequest{Parent: e.ws, ResumeToken: all[mid].resume}))
	if err != nil {
		t.Fatalf("StreamAuditEvents resumed: %v", err)
	}
	defer resumed.Close()
	var again []string
	for len(again) < len(all)-mid-1 && resumed.Receive() {
		again = append(again, resumed.Msg().GetAuditEvent().GetName())
	}
	var want []string
	for _, s := range all[mid+1:] {
		want = append(want, s.event.GetName())
	}
	if !slices.Equal(again, want) {
		t.Fatalf("resumed after %s: %v, want %v", all[mid].event.GetName(), again, want)
	}

	// The same events through ListAuditEvents, filtered by action.
	list, err := ws.ListAuditEvents(ctx, connect.NewRequest(&modeplatformv1.ListAuditEventsRequest{
		Parent: e.ws, Filter: &modeplatformv1.AuditFilter{Action: "invite_revoked"}, PageSize: 1,
	}))
	if err != nil || len(list.Msg.GetAuditEvents()) != 1 || list.Msg.GetAuditEvents()[0].GetEntityId() == "" ||
		list.Msg.GetAuditEvents()[0].GetEventTime().AsTime().Before(started) {
		t.Fatalf("ListAuditEvents(invite_revoked) = %v, %v", list, err)
	}
}

// TestAuditEventsPaging: ListAuditEvents pages through the log without losing or repeating an
// event, and refuses a token of another request.
func TestAuditEventsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithPerPage(3)}})
	ctx := testContext(t)
	c := e.clients(protocols[0])
	for i := range 7 {
		if _, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: fmt.Sprintf("Audit %d", i)}})); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	req := &modeplatformv1.ListAuditEventsRequest{Parent: e.ws, PageSize: 2, Filter: &modeplatformv1.AuditFilter{Action: "space_created"}}
	for {
		res, err := c.ws.ListAuditEvents(ctx, connect.NewRequest(req))
		if err != nil {
			t.Fatalf("ListAuditEvents: %v", err)
		}
		for _, ev := range res.Msg.GetAuditEvents() {
			names = append(names, ev.GetName())
		}
		if res.Msg.GetNextPageToken() == "" {
			break
		}
		if len(res.Msg.GetAuditEvents()) != 2 {
			t.Fatalf("a page of %d before the end, want 2", len(res.Msg.GetAuditEvents()))
		}
		req.PageToken = res.Msg.GetNextPageToken()
	}
	if len(names) != 7 || len(slices.Compact(slices.Sorted(slices.Values(names)))) != 7 {
		t.Fatalf("paged %v, want 7 distinct events", names)
	}
	req.Filter.Action = "report_updated"
	if _, err := c.ws.ListAuditEvents(ctx, connect.NewRequest(req)); connect.CodeOf(err) != connect.CodeInvalidArgument || badRequestField(err) != "page_token" {
		t.Fatalf("a token of another filter: %v, want InvalidArgument naming page_token", err)
	}
}

// TestGetCredential: the identity behind the credential, with no part of the credential in the
// answer, the service's logs or the client's spans.
func TestGetCredential(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	var logs lockedBuffer
	e := newEnv(t, envConfig{
		clientOpts: []modeclient.Option{modeclient.WithTracerProvider(tp)},
		serviceOpts: func(o *service.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		},
	})
	ctx := testContext(t)
	res, err := e.clients(protocols[0]).ws.GetCredential(ctx, connect.NewRequest(&modeplatformv1.GetCredentialRequest{Name: e.ws + "/credential"}))
	if err != nil {
		t.Fatalf("GetCredential: %v", err)
	}
	c := res.Msg.GetCredential()
	if !c.GetValid() || c.GetUsername() != "ana_analyst" || c.GetEmail() == "" || !c.GetAdmin() || !strings.HasPrefix(c.GetMembership(), e.ws+"/memberships/") || c.GetCheckTime() == nil {
		t.Fatalf("credential = %v", c)
	}
	var recorded strings.Builder
	for _, s := range spans.GetSpans() {
		fmt.Fprintf(&recorded, "%s %v %v %v\n", s.Name, s.Attributes, s.Events, s.Status)
	}
	for _, secret := range []string{e.mode.Token, e.mode.Secret} {
		for where, text := range map[string]string{"answer": res.Msg.String(), "logs": logs.String(), "spans": recorded.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s hold part of the credential", where)
			}
		}
	}
	if len(spans.GetSpans()) == 0 {
		t.Error("no spans recorded: the check above checked nothing")
	}
}
