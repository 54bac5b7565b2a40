package modeclient

import (
	"context"
	"iter"
)

// DataSource is a database connection of a workspace.
type DataSource struct {
	ID                 Int    `json:"id"`
	Token              string `json:"token"`
	Name               string `json:"name"`
	DisplayName        string `json:"display_name"`
	Description        string `json:"description"`
	Adapter            string `json:"adapter"`
	AdapterVersion     String `json:"adapter_version"`
	Vendor             string `json:"vendor"`
	Provider           string `json:"provider"`
	Warehouse          string `json:"warehouse"`
	Database           string `json:"database"`
	Host               string `json:"host"`
	Port               Int    `json:"port"`
	Username           string `json:"username"`
	SSL                Bool   `json:"ssl"`
	Public             Bool   `json:"public"`
	Queryable          Bool   `json:"queryable"`
	Asleep             Bool   `json:"asleep"`
	SoftDeleted        Bool   `json:"soft_deleted"`
	Bridged            Bool   `json:"bridged"`
	AccountID          Int    `json:"account_id"`
	AccountUsername    string `json:"account_username"`
	OrganizationToken  string `json:"organization_token"`
	DefaultAccessLevel string `json:"default_access_level"`
	CreatedAt          Time   `json:"created_at"`
	UpdatedAt          Time   `json:"updated_at"`
	Links              Links  `json:"_links"`
}

// WebURL returns the data source's page for a person.
func (d *DataSource) WebURL() string { return d.Links.Href("web") }

func dataSourcesPath(ws string) *apiPath { return newPath(ws).lit("data_sources") }

// ListDataSourcesPage returns one page of a workspace's data sources:
// GET /api/{workspace}/data_sources.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDataSourcesPage(ctx context.Context, workspace string, page int, opts *ListOptions) (*Page[DataSource], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	return listPage[DataSource](ctx, c, dataSourcesPath(workspace), q, page, "data_sources", c.metadata(listTag(workspace, "data_sources")))
}

// ListDataSources iterates over all of a workspace's data sources, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDataSources(ctx context.Context, workspace string, opts *ListOptions) iter.Seq2[DataSource, error] {
	return listAll(func(page int) (*Page[DataSource], error) {
		return c.ListDataSourcesPage(ctx, workspace, page, opts)
	}, func(d DataSource) string { return d.Token })
}

// GetDataSource returns one data source: GET /api/{workspace}/data_sources/{data_source}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetDataSource(ctx context.Context, workspace, dataSource string) (*DataSource, error) {
	return getJSON[DataSource](ctx, c, dataSourcesPath(workspace).tok("data_source", dataSource), nil, c.metadata())
}
