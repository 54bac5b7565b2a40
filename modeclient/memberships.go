package modeclient

import (
	"context"
	"iter"
)

// Membership is a user's membership in a workspace.
type Membership struct {
	MemberUsername string `json:"member_username"`
	MemberToken    string `json:"member_token"`
	Admin          Bool   `json:"admin"`
	Invited        Bool   `json:"invited"`
	State          string `json:"state"`
	ActivatedAt    Time   `json:"activated_at"`
	ManagedBySCIM  Bool   `json:"managed_by_scim"`
	Links          Links  `json:"_links"`
}

// key identifies a membership for de-duplication across pages.
func (m Membership) key() string {
	if m.MemberToken != "" {
		return m.MemberToken
	}
	return m.MemberUsername
}

func membershipsPath(ws string) *apiPath { return newPath(ws).lit("memberships") }

// ListMembershipsPage returns one page of a workspace's memberships:
// GET /api/{workspace}/memberships.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListMembershipsPage(ctx context.Context, workspace string, page int, opts *ListOptions) (*Page[Membership], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	return listPage[Membership](ctx, c, membershipsPath(workspace), q, page, "memberships", c.metadata(listTag(workspace, "memberships")))
}

// ListMemberships iterates over all of a workspace's memberships, fetching
// pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListMemberships(ctx context.Context, workspace string, opts *ListOptions) iter.Seq2[Membership, error] {
	return listAll(func(page int) (*Page[Membership], error) {
		return c.ListMembershipsPage(ctx, workspace, page, opts)
	}, Membership.key)
}

// GetMembership returns one membership, addressed by the member's username
// or token: GET /api/{workspace}/memberships/{membership}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetMembership(ctx context.Context, workspace, membership string) (*Membership, error) {
	p := membershipsPath(workspace).tok("membership", membership)
	return getJSON[Membership](ctx, c, p, nil, c.metadata())
}
