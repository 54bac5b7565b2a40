package modeclient

import (
	"context"
	"iter"
	"net/http"
)

// Member types of a space membership, as Mode spells them.
const (
	SpaceMemberUser  = "User"      // a member of the workspace
	SpaceMemberGroup = "UserGroup" // a group of the workspace
)

// SpaceMembership gives a member or a group access to a space (a collection): a restricted space
// is visible to the members it names and to the members of the groups it names. Mode's document
// gives it no access level. MemberToken is the member's user token (a Membership's MemberToken)
// when MemberType is SpaceMemberUser, the group's token when it is SpaceMemberGroup; Email is the
// member's ("" for a group).
type SpaceMembership struct {
	Token       string `json:"token"`
	MemberToken string `json:"member_token"`
	MemberType  string `json:"member_type"`
	MemberID    Int    `json:"member_id"`
	Email       String `json:"email"`
	Links       Links  `json:"_links"`
}

// IsGroup reports whether the membership names a group (else a member).
func (m *SpaceMembership) IsGroup() bool { return m.MemberType == SpaceMemberGroup }

// SpaceMembershipCreate is the body of CreateSpaceMembership: Mode's {"membership":
// {"member_type", "member_token"}}. MemberType is SpaceMemberUser or SpaceMemberGroup;
// MemberToken the member's user token (a Membership's MemberToken, not the membership's own token)
// or the group's token. A member may be named by MemberUsername instead of MemberToken: the
// client turns it into the member's token first (GetMembershipByUsername: the workspace's
// memberships, free when cached). Give exactly one of the two.
type SpaceMembershipCreate struct {
	MemberType     string
	MemberToken    string
	MemberUsername string
}

func (m *SpaceMembership) owner() (string, Links) { return "", m.Links }

func spaceMembershipsPath(ws, space string) *apiPath { return spacePath(ws, space).lit("memberships") }

func spaceMembershipPath(ws, space, membership string) *apiPath {
	return spaceMembershipsPath(ws, space).tok("space_membership", membership)
}

// spaceMembershipListTag tags a space's membership list.
func spaceMembershipListTag(ws, space string) string {
	return "list:" + ws + "/spaces/" + space + ":memberships"
}

// spaceMembershipPolicy caches a space's memberships (a page of them, or one) for the metadata
// TTL, tagged with their space (dropped when it is deleted) and with the workspace's space
// memberships (dropped when a group, and its memberships, is deleted).
func (c *Client) spaceMembershipPolicy(ws, space string, extra ...string) cachePolicy {
	return c.metadata(append([]string{spaceScopeTag(ws, space), spaceMembershipsTag(ws)}, extra...)...)
}

// spaceMembershipWriteTags are what a grant or a revocation changes: the membership (the
// write's own path), the space's membership list, the space, everything in it (its reports and
// datasets: spaceScopeTag), the workspace's space, report and dataset lists (what the members it
// names see), and for a group, the group and the group list (spaces_count).
func spaceMembershipWriteTags(ws, space, group string) func(path string) []string {
	t := []string{spaceMembershipListTag(ws, space), apiPathOf(spacePath(ws, space)), spaceScopeTag(ws, space),
		listTag(ws, "spaces"), listTag(ws, "reports"), listTag(ws, "datasets")}
	if group != "" {
		if p := groupPath(ws, group); p.err == nil {
			t = append(t, apiPathOf(p), listTag(ws, "groups"))
		}
	}
	return tags(t...)
}

// ListSpaceMembershipsPage returns one page of a space's memberships:
// GET /api/{workspace}/spaces/{space}/memberships.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListSpaceMembershipsPage(ctx context.Context, workspace, space string, page int, opts *ListOptions) (*Page[SpaceMembership], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.spaceMembershipPolicy(workspace, space, spaceMembershipListTag(workspace, space))
	return listPage[SpaceMembership](ctx, c, spaceMembershipsPath(workspace, space), q, page, "space_memberships", policy)
}

// ListSpaceMemberships iterates over all of a space's memberships, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListSpaceMemberships(ctx context.Context, workspace, space string, opts *ListOptions) iter.Seq2[SpaceMembership, error] {
	return listAll(func(page int) (*Page[SpaceMembership], error) {
		return c.ListSpaceMembershipsPage(ctx, workspace, space, page, opts)
	}, func(m SpaceMembership) string { return m.Token })
}

// GetSpaceMembership returns one membership of a space:
// GET /api/{workspace}/spaces/{space}/memberships/{space_membership}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetSpaceMembership(ctx context.Context, workspace, space, spaceMembership string) (*SpaceMembership, error) {
	return getJSON[SpaceMembership](ctx, c, spaceMembershipPath(workspace, space, spaceMembership), nil,
		c.spaceMembershipPolicy(workspace, space))
}

// CreateSpaceMembership gives a member or a group access to a space: POST
// /api/{workspace}/spaces/{space}/memberships with {"membership": {"member_type",
// "member_token"}}. Mode answers the membership (200). A member or group the workspace does not
// have is Mode's *APIError (404), one the space already names its *APIError (400); a member's
// personal space is shared with no one (403). The space is read first (GetSpace; free when
// cached), and for a group the group (GetGroup): one of another workspace is not found and
// nothing is sent.
func (c *Client) CreateSpaceMembership(ctx context.Context, workspace, space string, in SpaceMembershipCreate) (*SpaceMembership, error) {
	if err := spaceMembershipsPath(workspace, space).err; err != nil {
		return nil, err
	}
	group := ""
	switch in.MemberType {
	case SpaceMemberUser:
		if err := checkMember(in.MemberToken, in.MemberUsername); err != nil {
			return nil, err
		}
	case SpaceMemberGroup:
		if in.MemberUsername != "" {
			return nil, &InvalidArgumentError{Field: "member_username", Reason: "names a member, not a group: give the group's token"}
		}
		if reason, ok := validToken(in.MemberToken); !ok {
			return nil, &InvalidArgumentError{Field: "member_token", Reason: reason}
		}
		group = in.MemberToken
	default:
		return nil, &InvalidArgumentError{Field: "member_type", Reason: `must be "User" or "UserGroup"`}
	}
	if err := c.verifySpace(ctx, workspace, space); err != nil {
		return nil, err
	}
	member := group
	if group != "" {
		if err := c.verifyGroup(ctx, workspace, group); err != nil {
			return nil, err
		}
	} else {
		var err error
		if member, err = c.memberToken(ctx, workspace, in.MemberToken, in.MemberUsername); err != nil {
			return nil, err
		}
	}
	body := map[string]map[string]string{"membership": {"member_type": in.MemberType, "member_token": member}}
	var m SpaceMembership
	if err := c.write(ctx, http.MethodPost, spaceMembershipsPath(workspace, space), body, &m,
		spaceMembershipWriteTags(workspace, space, group)); err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteSpaceMembership takes a member's or a group's access to a space away: DELETE
// /api/{workspace}/spaces/{space}/memberships/{space_membership} (Mode answers the removed
// membership). The membership is read first (GetSpaceMembership; free when cached): one of
// another workspace is not found and the DELETE is not sent.
func (c *Client) DeleteSpaceMembership(ctx context.Context, workspace, space, spaceMembership string) error {
	if err := spaceMembershipPath(workspace, space, spaceMembership).err; err != nil {
		return err
	}
	old, err := c.GetSpaceMembership(ownerCheckContext(ctx), workspace, space, spaceMembership)
	if err != nil {
		return err
	}
	group := ""
	if old.IsGroup() {
		group = old.MemberToken
	}
	return c.write(ctx, http.MethodDelete, spaceMembershipPath(workspace, space, spaceMembership), nil, new(SpaceMembership),
		spaceMembershipWriteTags(workspace, space, group))
}
