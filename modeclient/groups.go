package modeclient

import (
	"context"
	"iter"
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
	return getJSON[Group](ctx, c, groupsPath(workspace).tok("group", group), nil, c.metadata(accessTag(workspace)))
}
