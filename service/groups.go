package service

import (
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Groups and access of WorkspaceService: CreateGroup, UpdateGroup,
// DeleteGroup, the members of a group, and who can see a space (members or
// groups). A person is named by their workspace membership,
// workspaces/{w}/memberships/{member token}: Mode's member token, which does
// not change when the username does.

// CreateGroup adds a user group. A request_id makes it safe to retry.
func (s *WorkspaceServer) CreateGroup(ctx context.Context, req *connect.Request[modeplatformv1.CreateGroupRequest]) (*connect.Response[modeplatformv1.CreateGroupResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	in := modeclient.GroupCreate{Name: m.GetGroup().GetDisplayName(), Description: m.GetGroup().GetDescription()}
	res, err := do(ctx, s.core.creates, "CreateGroup\x00"+w, m.GetRequestId(), requestFingerprint("CreateGroup", m.GetParent(), in.Name, in.Description),
		func(ctx context.Context) (*modeplatformv1.CreateGroupResponse, error) {
			g, err := cl.CreateGroup(ctx, w, in)
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.CreateGroupResponse{Group: groupFromMode(cl, w, g)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// UpdateGroup renames a user group.
func (s *WorkspaceServer) UpdateGroup(ctx context.Context, req *connect.Request[modeplatformv1.UpdateGroupRequest]) (*connect.Response[modeplatformv1.UpdateGroupResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // display_name (or *), not empty
		return nil, err
	}
	in := m.GetGroup()
	ids, err := parseName("group.name", in.GetName(), patGroup)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	name := in.GetDisplayName()
	g, err := cl.UpdateGroup(ctx, w, ids[1], modeclient.GroupUpdate{Name: &name})
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	return connect.NewResponse(&modeplatformv1.UpdateGroupResponse{Group: groupFromMode(cl, w, g)}), nil
}

// DeleteGroup deletes a user group.
func (s *WorkspaceServer) DeleteGroup(ctx context.Context, req *connect.Request[modeplatformv1.DeleteGroupRequest]) (*connect.Response[modeplatformv1.DeleteGroupResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patGroup,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteGroup(ctx, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteGroupResponse{}), nil
}

// ListGroupMemberships lists the members of a user group.
func (s *WorkspaceServer) ListGroupMemberships(ctx context.Context, req *connect.Request[modeplatformv1.ListGroupMembershipsRequest]) (*connect.Response[modeplatformv1.ListGroupMembershipsResponse], error) {
	var names *memberNames
	page, err := listOf(ctx, s.core, req.Msg, patGroup,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.GroupMembership], error) {
			p, err := cl.ListGroupMembershipsPage(ctx, ids[0], ids[1], modePage, nil)
			if err != nil {
				return nil, err
			}
			names = newMemberNames(cl, ids[0])
			return p, names.learn(ctx) // translate cannot call Mode
		},
		func(_ *modeclient.Client, ids []string, gm *modeclient.GroupMembership) *modeplatformv1.GroupMembership {
			return groupMembershipFromMode(ids[0], ids[1], gm, names)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListGroupMembershipsResponse{GroupMemberships: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetGroupMembership returns one member of a user group.
func (s *WorkspaceServer) GetGroupMembership(ctx context.Context, req *connect.Request[modeplatformv1.GetGroupMembershipRequest]) (*connect.Response[modeplatformv1.GetGroupMembershipResponse], error) {
	var names *memberNames
	gm, err := getOf(ctx, s.core, req.Msg, patGroupMember,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.GroupMembership, error) {
			gm, err := cl.GetGroupMembership(ctx, ids[0], ids[1], ids[2])
			if err != nil {
				return nil, err
			}
			names = newMemberNames(cl, ids[0])
			return gm, names.learn(ctx)
		},
		func(_ *modeclient.Client, ids []string, gm *modeclient.GroupMembership) *modeplatformv1.GroupMembership {
			return groupMembershipFromMode(ids[0], ids[1], gm, names)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetGroupMembershipResponse{GroupMembership: gm}), nil
}

// CreateGroupMembership adds a member to a user group. A request_id makes it
// safe to retry.
func (s *WorkspaceServer) CreateGroupMembership(ctx context.Context, req *connect.Request[modeplatformv1.CreateGroupMembershipRequest]) (*connect.Response[modeplatformv1.CreateGroupMembershipResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // member required
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patGroup)
	if err != nil {
		return nil, err
	}
	w, g := ids[0], ids[1]
	member, err := parseMemberIn("group_membership.member", w, m.GetGroupMembership().GetMember())
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx, s.core.creates, "CreateGroupMembership\x00"+w, m.GetRequestId(), requestFingerprint("CreateGroupMembership", m.GetParent(), member),
		func(ctx context.Context) (*modeplatformv1.CreateGroupMembershipResponse, error) {
			names := newMemberNames(cl, w)
			user, err := names.userToken(ctx, "group_membership.member", member)
			if err != nil {
				return nil, err
			}
			gm, err := cl.CreateGroupMembership(ctx, w, g, modeclient.GroupMembershipCreate{MemberToken: user})
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.CreateGroupMembershipResponse{GroupMembership: groupMembershipFromMode(w, g, gm, names)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// DeleteGroupMembership removes a member from a user group.
func (s *WorkspaceServer) DeleteGroupMembership(ctx context.Context, req *connect.Request[modeplatformv1.DeleteGroupMembershipRequest]) (*connect.Response[modeplatformv1.DeleteGroupMembershipResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patGroupMember,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteGroupMembership(ctx, ids[0], ids[1], ids[2])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteGroupMembershipResponse{}), nil
}

// ListSpaceMemberships lists who has access to a space.
func (s *WorkspaceServer) ListSpaceMemberships(ctx context.Context, req *connect.Request[modeplatformv1.ListSpaceMembershipsRequest]) (*connect.Response[modeplatformv1.ListSpaceMembershipsResponse], error) {
	var names *memberNames
	page, err := listOf(ctx, s.core, req.Msg, patSpace,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.SpaceMembership], error) {
			p, err := cl.ListSpaceMembershipsPage(ctx, ids[0], ids[1], modePage, nil)
			if err != nil {
				return nil, err
			}
			names = newMemberNames(cl, ids[0])
			return p, names.learn(ctx) // translate cannot call Mode
		},
		func(_ *modeclient.Client, ids []string, sm *modeclient.SpaceMembership) *modeplatformv1.SpaceMembership {
			return spaceMembershipFromMode(ids[0], ids[1], sm, names)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListSpaceMembershipsResponse{SpaceMemberships: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetSpaceMembership returns one access grant of a space.
func (s *WorkspaceServer) GetSpaceMembership(ctx context.Context, req *connect.Request[modeplatformv1.GetSpaceMembershipRequest]) (*connect.Response[modeplatformv1.GetSpaceMembershipResponse], error) {
	var names *memberNames
	sm, err := getOf(ctx, s.core, req.Msg, patSpaceMember,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.SpaceMembership, error) {
			sm, err := cl.GetSpaceMembership(ctx, ids[0], ids[1], ids[2])
			if err != nil {
				return nil, err
			}
			names = newMemberNames(cl, ids[0])
			return sm, names.learn(ctx)
		},
		func(_ *modeclient.Client, ids []string, sm *modeclient.SpaceMembership) *modeplatformv1.SpaceMembership {
			return spaceMembershipFromMode(ids[0], ids[1], sm, names)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetSpaceMembershipResponse{SpaceMembership: sm}), nil
}

// CreateSpaceMembership gives a member or a group access to a space. A
// request_id makes it safe to retry.
func (s *WorkspaceServer) CreateSpaceMembership(ctx context.Context, req *connect.Request[modeplatformv1.CreateSpaceMembershipRequest]) (*connect.Response[modeplatformv1.CreateSpaceMembershipResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // exactly one of member and group
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patSpace)
	if err != nil {
		return nil, err
	}
	w, sp := ids[0], ids[1]
	in := m.GetSpaceMembership()
	create := modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberUser}
	if in.GetGroup() != "" {
		gids, err := parseName("space_membership.group", in.GetGroup(), patGroup)
		if err != nil {
			return nil, err
		}
		if gids[0] != w {
			return nil, invalidArgument("space_membership.group", "must be a group of workspace "+workspaceName(w))
		}
		create = modeclient.SpaceMembershipCreate{MemberType: modeclient.SpaceMemberGroup, MemberToken: gids[1]}
	}
	member := ""
	if in.GetMember() != "" {
		if member, err = parseMemberIn("space_membership.member", w, in.GetMember()); err != nil {
			return nil, err
		}
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx, s.core.creates, "CreateSpaceMembership\x00"+w, m.GetRequestId(),
		requestFingerprint("CreateSpaceMembership", m.GetParent(), in.GetGroup(), in.GetMember()),
		func(ctx context.Context) (*modeplatformv1.CreateSpaceMembershipResponse, error) {
			names := newMemberNames(cl, w)
			if member != "" {
				user, err := names.userToken(ctx, "space_membership.member", member)
				if err != nil {
					return nil, err
				}
				create.MemberToken = user
			}
			sm, err := cl.CreateSpaceMembership(ctx, w, sp, create)
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.CreateSpaceMembershipResponse{SpaceMembership: spaceMembershipFromMode(w, sp, sm, names)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// DeleteSpaceMembership revokes an access grant of a space.
func (s *WorkspaceServer) DeleteSpaceMembership(ctx context.Context, req *connect.Request[modeplatformv1.DeleteSpaceMembershipRequest]) (*connect.Response[modeplatformv1.DeleteSpaceMembershipResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patSpaceMember,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteSpaceMembership(ctx, ids[0], ids[1], ids[2])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteSpaceMembershipResponse{}), nil
}

// parseMemberIn parses a membership name of request field, which must be of
// workspace w, and returns the member's token.
func parseMemberIn(field, w, name string) (string, error) {
	ids, err := parseName(field, name, patMembership)
	if err != nil {
		return "", err
	}
	if ids[0] != w {
		return "", invalidArgument(field, "must be a membership of workspace "+workspaceName(w))
	}
	return ids[1], nil
}

// memberNames maps Mode's user tokens (a group or space membership's
// member_token) to workspace membership names and back. It reads the
// workspace's membership list (cached metadata) at most once per call.
type memberNames struct {
	cl     *modeclient.Client
	ws     string
	byUser map[string]string // user token -> membership token
	loaded bool
}

func newMemberNames(cl *modeclient.Client, ws string) *memberNames {
	return &memberNames{cl: cl, ws: ws, byUser: map[string]string{}}
}

// learn reads the membership list once.
func (x *memberNames) learn(ctx context.Context) error {
	if x.loaded {
		return nil
	}
	for m, err := range x.cl.ListMemberships(ctx, x.ws, nil) {
		if err != nil {
			return err
		}
		if t := m.MembershipToken(); validToken(t) && m.MemberToken != "" {
			x.byUser[m.MemberToken] = t
		}
	}
	x.loaded = true
	return nil
}

// name returns the membership name of a user token, or "" when it is not a
// member's (a former member, say).
func (x *memberNames) name(user string) string {
	if t, ok := x.byUser[user]; ok {
		return membershipName(x.ws, t)
	}
	return ""
}

// userToken returns the user token of the membership token of request
// field: what Mode's group and space membership bodies name a person by. A
// membership Mode does not know is the caller's mistake in that field.
func (x *memberNames) userToken(ctx context.Context, field, membership string) (string, error) {
	m, err := x.cl.GetMembership(ctx, x.ws, membership)
	if err != nil {
		var api *modeclient.APIError
		if errors.As(err, &api) && api.StatusCode == http.StatusNotFound {
			return "", invalidArgument(field, "names a membership that does not exist: "+membershipName(x.ws, membership))
		}
		return "", upstreamError(err, membershipName(x.ws, membership))
	}
	x.byUser[m.MemberToken] = membership
	return m.MemberToken, nil
}

// groupMembershipFromMode translates a member of group g of workspace w.
func groupMembershipFromMode(w, g string, gm *modeclient.GroupMembership, names *memberNames) *modeplatformv1.GroupMembership {
	return &modeplatformv1.GroupMembership{
		Name:           resourceNameOf(patGroupMember, w, g, gm.Token),
		Member:         names.name(gm.MemberToken),
		MemberUsername: gm.MemberUsername,
	}
}

// spaceMembershipFromMode translates an access grant of space sp of
// workspace w: a member's, or a group's.
func spaceMembershipFromMode(w, sp string, sm *modeclient.SpaceMembership, names *memberNames) *modeplatformv1.SpaceMembership {
	out := &modeplatformv1.SpaceMembership{
		Name:  resourceNameOf(patSpaceMember, w, sp, sm.Token),
		Email: string(sm.Email),
	}
	switch {
	case sm.IsGroup() && validToken(sm.MemberToken):
		out.Group = groupName(w, sm.MemberToken)
	case !sm.IsGroup():
		out.Member = names.name(sm.MemberToken)
	}
	return out
}
