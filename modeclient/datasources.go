package modeclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
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
	return getJSON[DataSource](ctx, c, dataSourcePath(workspace, dataSource), nil, c.metadata())
}

// DataSourceUpdate is the body of UpdateDataSource (Mode's UpdateDataSourceRequestBody): nil
// fields are left unchanged. Password and ConnectionString are secrets: the client sends them
// to Mode and nowhere else. Every way of printing a DataSourceUpdate (String, GoString, any fmt
// verb, JSON, slog) shows only whether they are set, never their values.
//
// Mode's body also takes a certificate, a key and a wallet, as file uploads
// (multipart/form-data); UpdateDataSource sends JSON and does not take them.
type DataSourceUpdate struct {
	Name        *string
	Description *string
	// Password is the database password Mode connects with.
	Password *string
	// ConnectionString is custom_attributes.connection_string: the connection string of an
	// Oracle Autonomous Database connected through a bridge. It may hold credentials.
	ConnectionString *string
}

// empty reports whether u changes nothing.
func (u DataSourceUpdate) empty() bool {
	return u.Name == nil && u.Description == nil && u.Password == nil && u.ConnectionString == nil
}

// dataSourceUpdateBody is the wire form of a DataSourceUpdate: the only value that holds its
// secrets in clear, built for the request and dropped with it.
type dataSourceUpdateBody struct {
	DataSource struct {
		Name             *string `json:"name,omitempty"`
		Description      *string `json:"description,omitempty"`
		Password         *string `json:"password,omitempty"`
		CustomAttributes *struct {
			ConnectionString *string `json:"connection_string"`
		} `json:"custom_attributes,omitempty"`
	} `json:"data_source"`
}

func (u DataSourceUpdate) wire() dataSourceUpdateBody {
	var b dataSourceUpdateBody
	b.DataSource.Name, b.DataSource.Description, b.DataSource.Password = u.Name, u.Description, u.Password
	if u.ConnectionString != nil {
		b.DataSource.CustomAttributes = &struct {
			ConnectionString *string `json:"connection_string"`
		}{u.ConnectionString}
	}
	return b
}

// redactedSecret stands for a secret that is set, in every printed form of a value holding one.
const redactedSecret = "REDACTED"

// String implements fmt.Stringer: the name and description as they are, the secrets as
// REDACTED when set.
func (u DataSourceUpdate) String() string {
	var parts []string
	if u.Name != nil {
		parts = append(parts, "Name: "+strconv.Quote(*u.Name))
	}
	if u.Description != nil {
		parts = append(parts, "Description: "+strconv.Quote(*u.Description))
	}
	if u.Password != nil {
		parts = append(parts, "Password: "+redactedSecret)
	}
	if u.ConnectionString != nil {
		parts = append(parts, "ConnectionString: "+redactedSecret)
	}
	return "modeclient.DataSourceUpdate{" + strings.Join(parts, ", ") + "}"
}

// GoString implements fmt.GoStringer without the secrets.
func (u DataSourceUpdate) GoString() string { return u.String() }

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s, %x …) prints a secret.
func (u DataSourceUpdate) Format(f fmt.State, _ rune) { io.WriteString(f, u.String()) }

// LogValue implements slog.LogValuer: the name and description, and whether each secret is set.
func (u DataSourceUpdate) LogValue() slog.Value {
	var attrs []slog.Attr
	if u.Name != nil {
		attrs = append(attrs, slog.String("name", *u.Name))
	}
	if u.Description != nil {
		attrs = append(attrs, slog.String("description", *u.Description))
	}
	if u.Password != nil {
		attrs = append(attrs, slog.String("password", redactedSecret))
	}
	if u.ConnectionString != nil {
		attrs = append(attrs, slog.String("connection_string", redactedSecret))
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON implements json.Marshaler without the secrets (UpdateDataSource sends its own
// encoding): {"name": …, "description": …, "password": "REDACTED", …}, set fields only.
func (u DataSourceUpdate) MarshalJSON() ([]byte, error) {
	m := map[string]string{}
	if u.Name != nil {
		m["name"] = *u.Name
	}
	if u.Description != nil {
		m["description"] = *u.Description
	}
	if u.Password != nil {
		m["password"] = redactedSecret
	}
	if u.ConnectionString != nil {
		m["connection_string"] = redactedSecret
	}
	return json.Marshal(m)
}

// dataSourcePath is a data source of a workspace.
func dataSourcePath(ws, dataSource string) *apiPath {
	return dataSourcesPath(ws).tok("data_source", dataSource)
}

// verifyDataSource checks, before a write, that dataSource belongs to workspace (see
// checkOwner).
func (c *Client) verifyDataSource(ctx context.Context, workspace, dataSource string) error {
	_, err := c.GetDataSource(ownerCheckContext(ctx), workspace, dataSource)
	return err
}

// UpdateDataSource changes a data source's name, description, password or connection string:
// PATCH /api/{workspace}/data_sources/{data_source} with {"data_source": {…}}. Mode answers the
// data source (which never shows a password). The data source is read first (GetDataSource;
// free when cached): one of another workspace is not found and is left as it is. The write drops
// the cached data source and data source lists. No error the call returns quotes the secrets.
func (c *Client) UpdateDataSource(ctx context.Context, workspace, dataSource string, in DataSourceUpdate) (*DataSource, error) {
	p := dataSourcePath(workspace, dataSource)
	if p.err != nil {
		return nil, p.err
	}
	if in.empty() {
		return nil, &InvalidArgumentError{Field: "data_source", Reason: "nothing to update"}
	}
	if in.Password != nil && *in.Password == "" {
		return nil, &InvalidArgumentError{Field: "password", Reason: "must not be empty"}
	}
	if err := c.verifyDataSource(ctx, workspace, dataSource); err != nil {
		return nil, err
	}
	var d DataSource
	if err := c.write(ctx, http.MethodPatch, p, in.wire(), &d, tags(listTag(workspace, "data_sources"))); err != nil {
		return nil, err
	}
	return &d, nil
}

// SchemaUpdate is a refresh of a data source's schema (Mode's DataSourceSchemaUpdate): Mode
// queues it, and State moves on as it reads the schema (the emulator: "enqueued", then
// "succeeded"). The counts are Mode's once it has read the schema. Mode spells the last refresh
// "last_succesful_refresh_at".
type SchemaUpdate struct {
	ID                      Int    `json:"id"`
	Token                   string `json:"token"`
	State                   string `json:"state"`
	ContentLength           Int    `json:"content_length"`
	NumberOfSchemas         Int    `json:"number_of_schemas"`
	NumberOfTables          Int    `json:"number_of_tables"`
	LastSuccessfulRefreshAt Time   `json:"last_succesful_refresh_at"`
	WebappURI               String `json:"webapp_uri"`
	Links                   Links  `json:"_links"`
}

func (u *SchemaUpdate) owner() (string, Links) { return "", u.Links }

// UpdateDataSourceSchema queues a refresh of a data source's schema (what Mode's schema browser
// shows): POST /api/{workspace}/data_sources/{data_source}/schema_updates. Mode answers the
// schema update (200). The data source is read first (GetDataSource; free when cached): one of
// another workspace is not found and is not refreshed. Nothing cached changes.
func (c *Client) UpdateDataSourceSchema(ctx context.Context, workspace, dataSource string) (*SchemaUpdate, error) {
	p := dataSourcePath(workspace, dataSource).lit("schema_updates")
	if p.err != nil {
		return nil, p.err
	}
	if err := c.verifyDataSource(ctx, workspace, dataSource); err != nil {
		return nil, err
	}
	var u SchemaUpdate
	if err := c.write(ctx, http.MethodPost, p, nil, &u, tags()); err != nil {
		return nil, err
	}
	return &u, nil
}
