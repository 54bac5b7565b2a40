package modeclient

import (
	"context"
	"iter"
	"net/http"
	"strings"
)

// Group is a user group of a workspace (Mode's "UserGroup").
type Group struct {
	Token            string `json:"token"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	GroupType        string `json:"group_type"`
	State            string `json:"state"`
	MemberCount      Int    `json:"member_count"`
	SpacesCount      Int    `json:"spaces_count"`
	DataSourcesCount Int    `json:"data_sources_count"`
	Managed          Bool   `json:"managed"`
	Links            Links  `json:"_links"`
}

// WebURL returns the group's page for a person.
func (g *Group) WebURL() string { return g.Links.Href("web") }

func groupsPath(ws string) *apiPath { return newPath(ws).lit("groups") }

// ListGroupsPage returns one page of a workspace's groups: GET /api/{workspace}/groups.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListGroupsPage(ctx context.Context, workspace string, page int, opts *ListOptions) (*Page[Group], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	return listPage[Group](ctx, c, groupsPath(workspace), q, page, "groups", c.metadata(listTag(workspace, "groups")))
}

// ListGroups iterates over all of a workspace's groups, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListGroups(ctx context.Context, workspace string, opts *ListOptions) iter.Seq2[Group, error] {
	return listAll(func(page int) (*Page[Group], error) {
		return c.ListGroupsPage(ctx, workspace, page, opts)
	}, func(g Group) string { return g.Token })
}

// GetGroup returns one group: GET /api/{workspace}/groups/{group}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetGroup(ctx context.Context, workspace, group string) (*Group, error) {
	return getJSON[Group](ctx, c, groupPath(workspace, group), nil, c.metadata(peopleTag(workspace)))
}

// GroupCreate is the body of CreateGroup: Mode's {"user_group": {"name"}}. Mode's document lists
// only the name; the description is sent beside it when given (the emulator takes it, and a
// UserGroup has one).
type GroupCreate struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// GroupUpdate is the body of UpdateGroup: nil fields are left unchanged (the description as
// CreateGroup's).
type GroupUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// GroupMembership is one member's membership of a group (Mode's "UserGroupMembership"). Its token
// is its own, kept while the member stays in the group; MemberToken is the member's user token,
// as a workspace Membership's MemberToken (the username may change, the token does not).
type GroupMembership struct {
	Token          string `json:"token"`
	MemberToken    string `json:"member_token"`
	MemberUsername string `json:"member_username"`
	State          string `json:"state"`
	CreatedAt      Time   `json:"created_at"`
	Links          Links  `json:"_links"`
}

// GroupMembershipCreate names the member CreateGroupMembership adds: by MemberToken (a
// Membership's MemberToken, the user's token, not the membership's), which is what Mode's body
// {"membership": {"member_token"}} carries, or by MemberUsername, which the client turns into the
// member's token first (GetMembershipByUsername: the workspace's memberships, free when cached).
// Give exactly one.
type GroupMembershipCreate struct {
	MemberToken    string
	MemberUsername string
}

func (g *GroupMembership) owner() (string, Links) { return "", g.Links }

func groupPath(ws, group string) *apiPath { return groupsPath(ws).tok("group", group) }

func groupMembershipsPath(ws, group string) *apiPath { return groupPath(ws, group).lit("memberships") }

func groupMembershipPath(ws, group, membership string) *apiPath {
	return groupMembershipsPath(ws, group).tok("membership", membership)
}

// groupScopeTag tags everything under a group (its membership list and memberships): dropped
// when the group is deleted.
func groupScopeTag(ws, group string) string { return "group:" + ws + "/" + group }

// groupMembershipsTag tags a group's membership list.
func groupMembershipsTag(ws, group string) string {
	return "list:" + ws + "/groups/" + group + ":memberships"
}

// accessTags are what a change of who belongs to a group, or of a group's existence, may change
// for the members it concerns: which spaces, reports and datasets they see (a group's space
// memberships give its members access). Which spaces a group has access to is not known from the
// group, so every space, report and dataset entry of the workspace (accessTag) and every list of
// them go.
func accessTags(ws string) []string {
	return []string{accessTag(ws), listTag(ws, "spaces"), listTag(ws, "reports"), listTag(ws, "datasets")}
}

// groupWriteTags are what a write of a group changes: the group (the write's own path) and the
// group list.
func groupWriteTags(ws string) func(path string) []string { return tags(listTag(ws, "groups")) }

// groupMembershipWriteTags are what adding or removing a member changes: the membership (the
// write's own path), the group's membership list, the group and the group list (member_count),
// and what the member sees (accessTags).
func groupMembershipWriteTags(ws, group string) func(path string) []string {
	return tags(append([]string{groupMembershipsTag(ws, group), apiPathOf(groupPath(ws, group)), listTag(ws, "groups")},
		accessTags(ws)...)...)
}

// verifyGroup checks, before a write, that group belongs to workspace.
func (c *Client) verifyGroup(ctx context.Context, workspace, group string) error {
	_, err := c.GetGroup(ownerCheckContext(ctx), workspace, group)
	return err
}

// CreateGroup adds a group to a workspace: POST /api/{workspace}/groups with
// {"user_group": {"name", "description"}}. Mode answers the group (200), a custom one without
// members. A name Mode refuses (taken) is its *APIError (400); a credential that may not
// administer the workspace gets its *APIError (403).
func (c *Client) CreateGroup(ctx context.Context, workspace string, in GroupCreate) (*Group, error) {
	switch {
	case groupsPath(workspace).err != nil:
		return nil, groupsPath(workspace).err
	case strings.TrimSpace(in.Name) == "":
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	body := struct {
		UserGroup GroupCreate `json:"user_group"`
	}{in}
	var g Group
	if err := c.write(ctx, http.MethodPost, groupsPath(workspace), body, &g, groupWriteTags(workspace)); err != nil {
		return nil, err
	}
	return &g, nil
}

// UpdateGroup renames a group or changes its description: PATCH
// /api/{workspace}/groups/{group} with {"user_group": {…}}. The group is read first (GetGroup;
// free when cached): one of another workspace is not found and is left as it is (see
// checkOwner). Mode refuses to change the "everyone" group (403).
func (c *Client) UpdateGroup(ctx context.Context, workspace, group string, in GroupUpdate) (*Group, error) {
	switch {
	case groupPath(workspace, group).err != nil:
		return nil, groupPath(workspace, group).err
	case in.Name == nil && in.Description == nil:
		return nil, &InvalidArgumentError{Field: "user_group", Reason: "nothing to update"}
	case in.Name != nil && strings.TrimSpace(*in.Name) == "":
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	if err := c.verifyGroup(ctx, workspace, group); err != nil {
		return nil, err
	}
	body := struct {
		UserGroup GroupUpdate `json:"user_group"`
	}{in}
	var g Group
	if err := c.write(ctx, http.MethodPatch, groupPath(workspace, group), body, &g, groupWriteTags(workspace)); err != nil {
		return nil, err
	}
	return &g, nil
}

// DeleteGroup deletes a group with its memberships: DELETE /api/{workspace}/groups/{group} (Mode
// answers the deleted group). Its space memberships go with it, so its members lose the access
// that only the group gave them. The group is read first (GetGroup; free when cached): one of
// another workspace is not found and the DELETE is not sent. Mode refuses to delete the
// "everyone" group (403).
func (c *Client) DeleteGroup(ctx context.Context, workspace, group string) error {
	if err := groupPath(workspace, group).err; err != nil {
		return err
	}
	if err := c.verifyGroup(ctx, workspace, group); err != nil {
		return err
	}
	extra := append([]string{listTag(workspace, "groups"), groupScopeTag(workspace, group), spaceMembershipsTag(workspace)},
		accessTags(workspace)...)
	return c.write(ctx, http.MethodDelete, groupPath(workspace, group), nil, new(Group), tags(extra...))
}

// ListGroupMembershipsPage returns one page of a group's memberships:
// GET /api/{workspace}/groups/{group}/memberships.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListGroupMembershipsPage(ctx context.Context, workspace, group string, page int, opts *ListOptions) (*Page[GroupMembership], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(groupMembershipsTag(workspace, group), groupScopeTag(workspace, group), peopleTag(workspace))
	return listPage[GroupMembership](ctx, c, groupMembershipsPath(workspace, group), q, page, "group_memberships", policy)
}

// ListGroupMemberships iterates over all of a group's memberships, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListGroupMemberships(ctx context.Context, workspace, group string, opts *ListOptions) iter.Seq2[GroupMembership, error] {
	return listAll(func(page int) (*Page[GroupMembership], error) {
		return c.ListGroupMembershipsPage(ctx, workspace, group, page, opts)
	}, func(m GroupMembership) string { return m.Token })
}

// GetGroupMembership returns one membership of a group:
// GET /api/{workspace}/groups/{group}/memberships/{membership}, by the membership's token.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetGroupMembership(ctx context.Context, workspace, group, membership string) (*GroupMembership, error) {
	return getJSON[GroupMembership](ctx, c, groupMembershipPath(workspace, group, membership), nil, c.metadata(groupScopeTag(workspace, group), peopleTag(workspace)))
}

// checkMember checks a member named by token or by username: exactly one, a token's alphabet or
// a username's (an account name, as GetMembershipByUsername takes it), without a request.
func checkMember(token, username string) error {
	switch {
	case token != "" && username != "":
		return &InvalidArgumentError{Field: "member_token", Reason: "give a member's token or username, not both"}
	case token != "":
		if reason, ok := validToken(token); !ok {
			return &InvalidArgumentError{Field: "member_token", Reason: reason}
		}
	case username != "":
		if reason, ok := validWorkspace(username); !ok {
			return &InvalidArgumentError{Field: "member_username", Reason: reason}
		}
	default:
		return &InvalidArgumentError{Field: "member_token", Reason: "must name a member (by token or username)"}
	}
	return nil
}

// memberToken returns the user token of a member named (see checkMember) by token, or by
// username: then it finds the member's membership among the workspace's
// (GetMembershipByUsername, through the cache: Mode addresses a membership by its own token, not
// the username) and answers its MemberToken, the user's token Mode's group and space membership
// bodies take (not the membership's token). A username no membership has is a 404 *APIError.
func (c *Client) memberToken(ctx context.Context, workspace, token, username string) (string, error) {
	if token != "" {
		return token, nil
	}
	m, err := c.GetMembershipByUsername(ownerCheckContext(ctx), workspace, username)
	if err != nil {
		return "", err
	}
	if m.MemberToken == "" {
		return "", &DecodeError{Method: http.MethodGet, Route: "/api/{workspace}/memberships", Reason: "the membership of " + username + " has no member_token"}
	}
	return m.MemberToken, nil
}

// CreateGroupMembership adds a member to a group: POST
// /api/{workspace}/groups/{group}/memberships with {"membership": {"member_token"}}. Mode answers
// the membership (200). A member the workspace does not have is Mode's *APIError (404), one
// already in the group its *APIError (400). The group is read first (GetGroup; free when
// cached): one of another workspace is not found and gains no member. The member may see more
// once in the group (the group's space memberships): the workspace's spaces, reports and
// datasets cached are dropped.
func (c *Client) CreateGroupMembership(ctx context.Context, workspace, group string, in GroupMembershipCreate) (*GroupMembership, error) {
	if err := groupMembershipsPath(workspace, group).err; err != nil {
		return nil, err
	}
	if err := checkMember(in.MemberToken, in.MemberUsername); err != nil {
		return nil, err
	}
	if err := c.verifyGroup(ctx, workspace, group); err != nil {
		return nil, err
	}
	member, err := c.memberToken(ctx, workspace, in.MemberToken, in.MemberUsername)
	if err != nil {
		return nil, err
	}
	body := map[string]map[string]string{"membership": {"member_token": member}}
	var m GroupMembership
	if err := c.write(ctx, http.MethodPost, groupMembershipsPath(workspace, group), body, &m,
		groupMembershipWriteTags(workspace, group)); err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteGroupMembership removes a member from a group: DELETE
// /api/{workspace}/groups/{group}/memberships/{membership} (Mode answers the removed membership).
// The membership is read first (GetGroupMembership; free when cached): one of another workspace
// is not found and the DELETE is not sent. Mode refuses to remove anyone from the "everyone"
// group (403). The member may see less once out of the group: the workspace's spaces, reports
// and datasets cached are dropped.
func (c *Client) DeleteGroupMembership(ctx context.Context, workspace, group, membership string) error {
	if err := groupMembershipPath(workspace, group, membership).err; err != nil {
		return err
	}
	if _, err := c.GetGroupMembership(ownerCheckContext(ctx), workspace, group, membership); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, groupMembershipPath(workspace, group, membership), nil, new(GroupMembership),
		groupMembershipWriteTags(workspace, group))
}
