package service

import (
	"context"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// WorkspaceService: a Mode workspace (Mode's account), its memberships, its
// groups and its spaces. Every handler parses its names again (the
// protovalidate interceptor already checked them), so nothing unchecked
// reaches modeclient even when a handler is called without the interceptor.

// Update mask paths UpdateSpace accepts.
const (
	spacePathDisplayName = "display_name"
	spacePathDescription = "description"
)

// GetWorkspace returns one workspace (Mode's account).
func (s *WorkspaceServer) GetWorkspace(ctx context.Context, req *connect.Request[modeplatformv1.GetWorkspaceRequest]) (*connect.Response[modeplatformv1.GetWorkspaceResponse], error) {
	v, err := getOf(ctx, s.core, req.Msg, patWorkspace,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Workspace, error) {
			return cl.GetWorkspace(ctx, ids[0])
		},
		func(cl *modeclient.Client, ids []string, v *modeclient.Workspace) *modeplatformv1.Workspace {
			return workspaceFromMode(cl, ids[0], v)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetWorkspaceResponse{Workspace: v}), nil
}

// ListMemberships lists the members of a workspace.
func (s *WorkspaceServer) ListMemberships(ctx context.Context, req *connect.Request[modeplatformv1.ListMembershipsRequest]) (*connect.Response[modeplatformv1.ListMembershipsResponse], error) {
	page, err := listOf(ctx, s.core, req.Msg, patWorkspace,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.Membership], error) {
			return cl.ListMembershipsPage(ctx, ids[0], modePage, nil)
		},
		func(_ *modeclient.Client, ids []string, ms *modeclient.Membership) *modeplatformv1.Membership {
			return membershipFromMode(ids[0], ms)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListMembershipsResponse{Memberships: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// ListGroups lists the user groups of a workspace.
func (s *WorkspaceServer) ListGroups(ctx context.Context, req *connect.Request[modeplatformv1.ListGroupsRequest]) (*connect.Response[modeplatformv1.ListGroupsResponse], error) {
	page, err := listOf(ctx, s.core, req.Msg, patWorkspace,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.Group], error) {
			return cl.ListGroupsPage(ctx, ids[0], modePage, nil)
		},
		func(cl *modeclient.Client, ids []string, g *modeclient.Group) *modeplatformv1.Group {
			return groupFromMode(cl, ids[0], g)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListGroupsResponse{Groups: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetGroup returns one user group of a workspace.
func (s *WorkspaceServer) GetGroup(ctx context.Context, req *connect.Request[modeplatformv1.GetGroupRequest]) (*connect.Response[modeplatformv1.GetGroupResponse], error) {
	g, err := getOf(ctx, s.core, req.Msg, patGroup,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Group, error) {
			return cl.GetGroup(ctx, ids[0], ids[1])
		},
		func(cl *modeclient.Client, ids []string, g *modeclient.Group) *modeplatformv1.Group {
			return groupFromMode(cl, ids[0], g)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetGroupResponse{Group: g}), nil
}

// ListSpaces lists the spaces of a workspace that the caller's Mode
// credential can see; include_personal adds other members' personal spaces
// (Mode's filter=all).
func (s *WorkspaceServer) ListSpaces(ctx context.Context, req *connect.Request[modeplatformv1.ListSpacesRequest]) (*connect.Response[modeplatformv1.ListSpacesResponse], error) {
	if req.Msg.GetView() == modeplatformv1.View_VIEW_BASIC {
		return s.listSpacesBasic(ctx, req.Msg)
	}
	opts := &modeclient.ListSpacesOptions{}
	if req.Msg.GetIncludePersonal() {
		opts.Filter = "all"
	}
	page, err := listOf(ctx, s.core, req.Msg, patWorkspace,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.Space], error) {
			return cl.ListSpacesPage(ctx, ids[0], modePage, opts)
		},
		func(cl *modeclient.Client, ids []string, sp *modeclient.Space) *modeplatformv1.Space {
			return spaceFromMode(cl, ids[0], sp)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListSpacesResponse{Spaces: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetSpace returns one space.
func (s *WorkspaceServer) GetSpace(ctx context.Context, req *connect.Request[modeplatformv1.GetSpaceRequest]) (*connect.Response[modeplatformv1.GetSpaceResponse], error) {
	v, err := getOf(ctx, s.core, req.Msg, patSpace,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Space, error) {
			return cl.GetSpace(ctx, ids[0], ids[1])
		},
		func(cl *modeclient.Client, ids []string, v *modeclient.Space) *modeplatformv1.Space {
			return spaceFromMode(cl, ids[0], v)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetSpaceResponse{Space: v}), nil
}

// CreateSpace creates a space in a workspace. A request_id makes it safe to
// retry: the same id (with the same request) within the window answers the
// first call's space.
func (s *WorkspaceServer) CreateSpace(ctx context.Context, req *connect.Request[modeplatformv1.CreateSpaceRequest]) (*connect.Response[modeplatformv1.CreateSpaceResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	displayName, description := m.GetSpace().GetDisplayName(), m.GetSpace().GetDescription()
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	fingerprint := requestFingerprint("CreateSpace", workspaceName(w), displayName, description)
	res, err := do(ctx, s.core.creates, "CreateSpace\x00"+w, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.CreateSpaceResponse, error) {
			sp, err := cl.CreateSpace(ctx, w, modeclient.SpaceCreate{Name: displayName, Description: description})
			if err != nil {
				return nil, upstreamError(err, workspaceName(w))
			}
			return &modeplatformv1.CreateSpaceResponse{Space: spaceFromMode(cl, w, sp)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// UpdateSpace changes the fields of a space named in update_mask:
// display_name (Mode's name) and description.
func (s *WorkspaceServer) UpdateSpace(ctx context.Context, req *connect.Request[modeplatformv1.UpdateSpaceRequest]) (*connect.Response[modeplatformv1.UpdateSpaceResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the mask's paths and the fields' limits
		return nil, err
	}
	ids, err := parseName("space.name", m.GetSpace().GetName(), patSpace)
	if err != nil {
		return nil, err
	}
	var upd modeclient.SpaceUpdate
	for _, p := range updatePaths(m.GetUpdateMask(), spacePathDisplayName, spacePathDescription) {
		switch p {
		case spacePathDisplayName:
			v := m.GetSpace().GetDisplayName()
			upd.Name = &v
		case spacePathDescription:
			v := m.GetSpace().GetDescription()
			upd.Description = &v
		}
	}
	w, token := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	sp, err := cl.UpdateSpace(ctx, w, token, upd)
	if err != nil {
		return nil, upstreamError(err, spaceName(w, token))
	}
	return connect.NewResponse(&modeplatformv1.UpdateSpaceResponse{Space: spaceFromMode(cl, w, sp)}), nil
}

// DeleteSpace deletes a space and everything in it.
func (s *WorkspaceServer) DeleteSpace(ctx context.Context, req *connect.Request[modeplatformv1.DeleteSpaceRequest]) (*connect.Response[modeplatformv1.DeleteSpaceResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patSpace,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteSpace(ctx, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteSpaceResponse{}), nil
}

// workspaceFromMode translates Mode's account w.
func workspaceFromMode(cl *modeclient.Client, w string, ws *modeclient.Workspace) *modeplatformv1.Workspace {
	out := &modeplatformv1.Workspace{
		Name:            workspaceName(w),
		DisplayName:     ws.Name,
		CreateTime:      timestamp(ws.CreatedAt),
		SpaceCount:      clampInt32(ws.SpaceCount),
		DataSourceCount: clampInt32(ws.DataSourceCount),
		WebUri:          cl.ResolveURL(ws.WebURL()),
	}
	if ds := ws.DefaultDataSourceToken; validToken(ds) {
		out.DefaultDataSource = dataSourceName(w, ds)
	}
	if mb := int64(ws.QueryRunSizeLimitMB); mb > 0 && mb <= 1<<40 {
		out.QueryRunSizeLimitBytes = mb << 20
	}
	return out
}

// membershipFromMode translates a membership of workspace w; it is named by
// the member's username.
func membershipFromMode(w string, m *modeclient.Membership) *modeplatformv1.Membership {
	return &modeplatformv1.Membership{
		Name:           membershipNameOf(w, m),
		MemberUsername: m.MemberUsername,
		Admin:          bool(m.Admin),
		Invited:        bool(m.Invited),
		State:          m.State,
		ActivateTime:   timestamp(m.ActivatedAt),
		ManagedByScim:  bool(m.ManagedBySCIM),
	}
}

// membershipNameOf is the resource name of a membership of workspace w, by
// Mode's membership token; "" when Mode gives none.
func membershipNameOf(w string, m *modeclient.Membership) string {
	if t := m.MembershipToken(); validToken(t) {
		return membershipName(w, t)
	}
	return ""
}

// groupFromMode translates a user group of workspace w.
func groupFromMode(cl *modeclient.Client, w string, g *modeclient.Group) *modeplatformv1.Group {
	return &modeplatformv1.Group{
		Name:            groupName(w, g.Token),
		DisplayName:     g.Name,
		Description:     g.Description,
		GroupType:       g.GroupType,
		State:           g.State,
		MemberCount:     clampInt32(g.MemberCount),
		SpaceCount:      clampInt32(g.SpacesCount),
		DataSourceCount: clampInt32(g.DataSourcesCount),
		WebUri:          cl.ResolveURL(g.WebURL()),
	}
}

// spaceFromMode translates a space of workspace w.
func spaceFromMode(cl *modeclient.Client, w string, s *modeclient.Space) *modeplatformv1.Space {
	return &modeplatformv1.Space{
		Name:               spaceName(w, s.Token),
		DisplayName:        s.Name,
		Description:        s.Description,
		SpaceType:          spaceTypeOf(s.SpaceType),
		State:              s.State,
		Restricted:         bool(s.Restricted),
		DefaultAccessLevel: s.DefaultAccessLevel,
		WebUri:             cl.ResolveURL(s.WebURL()),
	}
}

// spaceType maps Mode's space_type; a type this API does not know is
// SPACE_TYPE_UNSPECIFIED.
func spaceTypeOf(t string) modeplatformv1.Space_SpaceType {
	switch t {
	case "custom":
		return modeplatformv1.Space_SPACE_TYPE_CUSTOM
	case "private":
		return modeplatformv1.Space_SPACE_TYPE_PRIVATE
	}
	return modeplatformv1.Space_SPACE_TYPE_UNSPECIFIED
}
