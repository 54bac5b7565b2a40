package service_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestGroupsAndSpaceAccess walks group administration and space access over a real server: a
// group is created (once per request_id) and renamed, a member joins it, the group is given the
// restricted Executive space and the member (with their own Mode credential) sees its reports;
// revoking the grant and leaving the group take the access away; the group is deleted.
func TestGroupsAndSpaceAccess(t *testing.T) {
	t.Parallel()
	const benToken, benSecret = "bentoken0001", "bensecret0001"
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithUserCredential("ben_builder", benToken, benSecret)}})
	ctx := testContext(t)
	ws := e.clients(protocols[0]).ws
	ben, err := modeclient.New(e.mode.URL, modeclient.Credential{Token: benToken, Secret: benSecret}, modeclient.WithHTTPClient(e.mode.Client()))
	if err != nil {
		t.Fatal(err)
	}
	executive := e.demo.Spaces[2]
	benSees := func() bool {
		t.Helper()
		for sp, err := range ben.ListSpaces(modeclient.WithCacheBypass(ctx), e.demo.Workspace, &modeclient.ListSpacesOptions{Filter: "all"}) {
			if err != nil {
				t.Fatalf("ben lists spaces: %v", err)
			}
			if sp.Token == executive {
				return true
			}
		}
		return false
	}
	if benSees() {
		t.Fatal("ben sees the Executive space before any grant")
	}

	req := &modeplatformv1.CreateGroupRequest{Parent: e.ws, RequestId: "grp-1", Group: &modeplatformv1.Group{DisplayName: "Board prep"}}
	created, err := ws.CreateGroup(ctx, connect.NewRequest(req))
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	group := created.Msg.GetGroup()
	if again, err := ws.CreateGroup(ctx, connect.NewRequest(req)); err != nil || again.Msg.GetGroup().GetName() != group.GetName() {
		t.Fatalf("CreateGroup retried = %v, %v; want %s", again, err, group.GetName())
	}
	if n := e.mode.CountRequests(http.MethodPost, "/api/"+e.demo.Workspace+"/groups"); n != 1 {
		t.Errorf("%d groups created for one request_id, want 1", n)
	}
	renamed, err := ws.UpdateGroup(ctx, connect.NewRequest(&modeplatformv1.UpdateGroupRequest{
		Group: &modeplatformv1.Group{Name: group.GetName(), DisplayName: "Board"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}))
	if err != nil || renamed.Msg.GetGroup().GetDisplayName() != "Board" {
		t.Fatalf("UpdateGroup = %v, %v", renamed, err)
	}

	members, err := ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws}))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(members.Msg.GetMemberships(), func(m *modeplatformv1.Membership) bool { return m.GetMemberUsername() == "ben_builder" })
	if i < 0 {
		t.Fatalf("no ben_builder among %v", members.Msg.GetMemberships())
	}
	benMembership := members.Msg.GetMemberships()[i].GetName()
	joined, err := ws.CreateGroupMembership(ctx, connect.NewRequest(&modeplatformv1.CreateGroupMembershipRequest{
		Parent: group.GetName(), GroupMembership: &modeplatformv1.GroupMembership{Member: benMembership},
	}))
	if err != nil || joined.Msg.GetGroupMembership().GetMember() != benMembership || joined.Msg.GetGroupMembership().GetMemberUsername() != "ben_builder" ||
		!strings.HasPrefix(joined.Msg.GetGroupMembership().GetName(), group.GetName()+"/memberships/") {
		t.Fatalf("CreateGroupMembership = %v, %v", joined, err)
	}
	if one, err := ws.GetGroupMembership(ctx, connect.NewRequest(&modeplatformv1.GetGroupMembershipRequest{Name: joined.Msg.GetGroupMembership().GetName()})); err != nil ||
		one.Msg.GetGroupMembership().GetMember() != benMembership {
		t.Fatalf("GetGroupMembership = %v, %v", one, err)
	}
	list, err := ws.ListGroupMemberships(ctx, connect.NewRequest(&modeplatformv1.ListGroupMembershipsRequest{Parent: group.GetName()}))
	if err != nil || len(list.Msg.GetGroupMemberships()) != 1 || list.Msg.GetGroupMemberships()[0].GetName() != joined.Msg.GetGroupMembership().GetName() {
		t.Fatalf("ListGroupMemberships = %v, %v", list, err)
	}

	space := e.spaceName(executive)
	grant, err := ws.CreateSpaceMembership(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceMembershipRequest{
		Parent: space, SpaceMembership: &modeplatformv1.SpaceMembership{Group: group.GetName()}, RequestId: "grant-1",
	}))
	if err != nil || grant.Msg.GetSpaceMembership().GetGroup() != group.GetName() {
		t.Fatalf("CreateSpaceMembership = %v, %v", grant, err)
	}
	grants, err := ws.ListSpaceMemberships(ctx, connect.NewRequest(&modeplatformv1.ListSpaceMembershipsRequest{Parent: space}))
	if err != nil || !slices.ContainsFunc(grants.Msg.GetSpaceMemberships(), func(sm *modeplatformv1.SpaceMembership) bool {
		return sm.GetName() == grant.Msg.GetSpaceMembership().GetName()
	}) {
		t.Fatalf("ListSpaceMemberships = %v, %v", grants, err)
	}
	if one, err := ws.GetSpaceMembership(ctx, connect.NewRequest(&modeplatformv1.GetSpaceMembershipRequest{Name: grant.Msg.GetSpaceMembership().GetName()})); err != nil ||
		one.Msg.GetSpaceMembership().GetGroup() != group.GetName() {
		t.Fatalf("GetSpaceMembership = %v, %v", one, err)
	}
	if !benSees() {
		t.Fatal("ben does not see the Executive space through his new group")
	}
	if _, err := ws.DeleteSpaceMembership(ctx, connect.NewRequest(&modeplatformv1.DeleteSpaceMembershipRequest{Name: grant.Msg.GetSpaceMembership().GetName()})); err != nil {
		t.Fatalf("DeleteSpaceMembership: %v", err)
	}
	if benSees() {
		t.Fatal("ben still sees the Executive space after the grant was revoked")
	}
	// A direct grant to ben, then ben leaves the group, then the group goes.
	direct, err := ws.CreateSpaceMembership(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceMembershipRequest{
		Parent: space, SpaceMembership: &modeplatformv1.SpaceMembership{Member: benMembership},
	}))
	if err != nil || direct.Msg.GetSpaceMembership().GetMember() != benMembership || !benSees() {
		t.Fatalf("a direct grant = %v, %v (ben sees it: %v)", direct, err, benSees())
	}
	if _, err := ws.DeleteGroupMembership(ctx, connect.NewRequest(&modeplatformv1.DeleteGroupMembershipRequest{Name: joined.Msg.GetGroupMembership().GetName()})); err != nil {
		t.Fatalf("DeleteGroupMembership: %v", err)
	}
	if _, err := ws.DeleteGroup(ctx, connect.NewRequest(&modeplatformv1.DeleteGroupRequest{Name: group.GetName()})); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	if _, err := ws.GetGroup(ctx, connect.NewRequest(&modeplatformv1.GetGroupRequest{Name: group.GetName()})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("GetGroup after the delete: %v, want NotFound", err)
	}

	// Names of another workspace never reach Mode.
	before := e.upstream()
	other := "workspaces/" + e.demo.Second.Workspace + "/memberships/abcdef012345"
	if _, err := ws.CreateSpaceMembership(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceMembershipRequest{
		Parent: space, SpaceMembership: &modeplatformv1.SpaceMembership{Member: other},
	})); connect.CodeOf(err) != connect.CodeInvalidArgument || badRequestField(err) != "space_membership.member" {
		t.Fatalf("a grant to another workspace's member: %v, want InvalidArgument naming space_membership.member", err)
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("%d requests reached Mode for a refused grant", n)
	}
}
