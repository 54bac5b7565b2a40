package modeclient

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// Membership is a user's membership in a workspace. A membership is addressed
// by its own token (MembershipToken), not by the member's username nor by
// MemberToken (the user's token, the same in every workspace they belong to).
type Membership struct {
	// Token is the membership's token, when Mode's answer carries one (Mode's
	// Metadata API does; its REST document lists only member_token): use
	// MembershipToken, which falls back on the self link.
	Token          string `json:"token"`
	MemberUsername string `json:"member_username"`
	MemberToken    string `json:"member_token"`
	Admin          Bool   `json:"admin"`
	Invited        Bool   `json:"invited"`
	State          string `json:"state"`
	ActivatedAt    Time   `json:"activated_at"`
	ManagedBySCIM  Bool   `json:"managed_by_scim"`
	Links          Links  `json:"_links"`
}

// Membership states as Mode spells them: a member, a person invited who has
// not joined yet, and (in the answer of DeleteMembership) a removed one.
const (
	MembershipStateActive  = "active"
	MembershipStatePending = "pending"
	MembershipStateDeleted = "deleted"
)

// MembershipToken returns the token that addresses the membership
// (GetMembership, DeleteMembership): its token field, else the last segment
// of its self link when that is /api/{workspace}/memberships/{membership}.
// "" when neither says.
func (m *Membership) MembershipToken() string {
	if m.Token != "" {
		return m.Token
	}
	return membershipTokenOf(m.Links.Href("self"))
}

// membershipTokenOf returns the {membership} of an href
// ".../api/{workspace}/memberships/{membership}" when it is a valid token, else "".
func membershipTokenOf(href string) string {
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	segs := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	if n := len(segs); n >= 4 && segs[n-2] == "memberships" && segs[n-4] == "api" && ValidToken(segs[n-1]) {
		return segs[n-1]
	}
	return ""
}

// key identifies a membership for de-duplication across pages.
func (m Membership) key() string {
	if t := m.MembershipToken(); t != "" {
		return t
	}
	if m.MemberToken != "" {
		return m.MemberToken
	}
	return m.MemberUsername
}

func membershipsPath(ws string) *apiPath { return newPath(ws).lit("memberships") }

func membershipPath(ws, membership string) *apiPath {
	return membershipsPath(ws).tok("membership", membership)
}

// peopleWriteTags are what inviting a member invalidates: the membership
// lists, the memberships, the groups (member counts: an invitee joins the
// "everyone" group), their lists and their memberships (peopleTag), the
// spaces lists (what a member could see changes with their access), and
// everything tagged with the workspace's access.
func peopleWriteTags(ws string) func(path string) []string {
	return tags(peopleWriteTagList(ws)...)
}

func peopleWriteTagList(ws string) []string {
	return []string{listTag(ws, "memberships"), listTag(ws, "groups"), listTag(ws, "spaces"), accessTag(ws), peopleTag(ws)}
}

// memberRemovalTags are what removing a member invalidates: what an
// invitation does (peopleWriteTags), and the space memberships (theirs go)
// and the schedules and subscriptions of the workspace (Mode takes them off
// every subscription).
func memberRemovalTags(ws string) func(path string) []string {
	return tags(append(peopleWriteTagList(ws), spaceMembershipsTag(ws), subscribersTag(ws))...)
}

// ListMembershipsPage returns one page of a workspace's memberships:
// GET /api/{workspace}/memberships.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListMembershipsPage(ctx context.Context, workspace string, page int, opts *ListOptions) (*Page[Membership], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	return listPage[Membership](ctx, c, membershipsPath(workspace), q, page, "memberships", c.metadata(listTag(workspace, "memberships"), peopleTag(workspace)))
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

// GetMembership returns one membership, addressed by its membership token
// (Membership.MembershipToken): GET /api/{workspace}/memberships/{membership}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetMembership(ctx context.Context, workspace, membership string) (*Membership, error) {
	return getJSON[Membership](ctx, c, membershipPath(workspace, membership), nil, c.metadata(peopleTag(workspace)))
}

// DeleteMembership removes a member from a workspace, or withdraws a pending
// invitation: DELETE /api/{workspace}/memberships/{membership}, by membership
// token. Mode removes the person from every group and space of the workspace
// too. It answers the membership as it was (State MembershipStateDeleted
// when Mode says so; when Mode's answer has no body, the membership as read
// before the removal).
//
// The membership is read first (GetMembership, through the cache) so that a
// token of another workspace is not found without removing anyone. The
// removal drops the workspace's cached memberships, groups and their
// memberships, space memberships, spaces lists, schedules and subscriptions
// (the member is no longer a subscriber) and Metadata API pages: who belongs
// to what, and who can see what, has changed.
func (c *Client) DeleteMembership(ctx context.Context, workspace, membership string) (*Membership, error) {
	p := membershipPath(workspace, membership)
	if p.err != nil {
		return nil, p.err
	}
	before, err := c.GetMembership(ownerCheckContext(ctx), workspace, membership)
	if err != nil {
		return nil, err
	}
	fallback := *before // the cache's value is shared: copy it
	fallback.Links = maps.Clone(before.Links)
	cl, body, err := c.writeBody(ctx, http.MethodDelete, p, nil, nil, memberRemovalTags(workspace))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &fallback, nil
	}
	var m Membership
	if decode(cl, body, &m) != nil {
		return &fallback, nil // removed all the same: an answer we cannot read changes nothing
	}
	if err := c.checkOwner(cl, &m); err != nil {
		var ww *WrongWorkspaceError
		if errors.As(err, &ww) {
			return nil, err
		}
		return &fallback, nil
	}
	return &m, nil
}

// GetMembershipByUsername returns the membership of the person with this username (a member,
// or a pending invitee): Mode addresses a membership by its own token, which callers that name
// members by username (resource names, for instance) do not have. It reads the workspace's
// memberships (ListMemberships, through the cache: usually no request) and answers a 404
// *APIError when no membership has that username.
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) GetMembershipByUsername(ctx context.Context, workspace, username string) (*Membership, error) {
	if p := membershipsPath(workspace); p.err != nil {
		return nil, p.err
	}
	if reason, ok := validWorkspace(username); !ok {
		return nil, &InvalidArgumentError{Field: "username", Reason: reason}
	}
	for m, err := range c.ListMemberships(ctx, workspace, nil) {
		if err != nil {
			return nil, err
		}
		if m.MemberUsername == username {
			return &m, nil
		}
	}
	return nil, &APIError{StatusCode: http.StatusNotFound, ID: "not_found", Message: "Membership not found",
		Method: http.MethodGet, Route: "/api/{workspace}/memberships"}
}
