package service

import (
	"context"
	"slices"
	"strings"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// People and access of WorkspaceService: TestPermissions here; the admin
// methods (members, invitations, groups, space access, the audit log, the
// credential's identity) beside it.

// scopeWords are the contract's scopes as the caller policy names them.
var scopeWords = map[modeplatformv1.Scope]string{
	modeplatformv1.Scope_SCOPE_READ:  "read",
	modeplatformv1.Scope_SCOPE_WRITE: "write",
	modeplatformv1.Scope_SCOPE_RUN:   "run",
	modeplatformv1.Scope_SCOPE_ADMIN: "admin",
}

// TestPermissions answers which of the request's scopes the caller holds on
// the workspace, from the caller policy, without calling Mode.
func (s *WorkspaceServer) TestPermissions(ctx context.Context, req *connect.Request[modeplatformv1.TestPermissionsRequest]) (*connect.Response[modeplatformv1.TestPermissionsResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // 1 to 4 distinct, defined scopes
		return nil, err
	}
	ids, err := parseName("resource", m.GetResource(), patWorkspace)
	if err != nil {
		return nil, err
	}
	var held []string
	known := false
	if f := s.core.opts.CallerScopes; f != nil {
		held, known = f(ctx, ids[0])
	}
	out := &modeplatformv1.TestPermissionsResponse{}
	for _, sc := range m.GetScopes() {
		if !known || slices.Contains(held, strings.ToLower(scopeWords[sc])) {
			out.Scopes = append(out.Scopes, sc)
		}
	}
	return connect.NewResponse(out), nil
}
