package modeclient

import (
	"context"
	"iter"
	"net/http"
)

// Definition is a workspace's definition: a named SELECT statement written against one data
// source, which queries reference as {{ @name }} (Mode runs the definition's SQL in their place).
type Definition struct {
	ID                   Int    `json:"id"`
	Token                string `json:"token"`
	Name                 string `json:"name"`
	Description          string `json:"description"`
	Source               string `json:"source"` // the SQL
	DataSourceID         Int    `json:"data_source_id"`
	CreatedAt            Time   `json:"created_at"`
	UpdatedAt            Time   `json:"updated_at"`
	LastSavedAt          Time   `json:"last_saved_at"`
	LastSuccessfulSyncAt Time   `json:"last_successful_sync_at"` // with GitHub; zero when never synced
	GithubLink           String `json:"github_link"`
	Links                Links  `json:"_links"`
}

// Reference returns how a query's SQL references the definition: "{{ @name }}".
func (d *Definition) Reference() string { return "{{ @" + d.Name + " }}" }

// DefinitionCreate is the body of CreateDefinition. Mode's document gives the operation no body;
// it is sent as Mode's other resources are, {"definition": {…}}.
type DefinitionCreate struct {
	Name         string `json:"name"` // how queries reference it: {{ @name }}
	Description  string `json:"description,omitempty"`
	Source       string `json:"source"`         // the SELECT statement
	DataSourceID int64  `json:"data_source_id"` // the data source it runs on (DataSource.ID)
}

// DefinitionUpdate is the body of UpdateDefinition: nil fields are left unchanged.
type DefinitionUpdate struct {
	Name         *string `json:"name,omitempty"`
	Description  *string `json:"description,omitempty"`
	Source       *string `json:"source,omitempty"`
	DataSourceID *int64  `json:"data_source_id,omitempty"`
}

func (d *Definition) owner() (string, Links) { return "", d.Links }

func definitionsPath(ws string) *apiPath { return newPath(ws).lit("definitions") }

func definitionPath(ws, definition string) *apiPath {
	return definitionsPath(ws).tok("definition", definition)
}

// definitionWriteTags are what a write of a definition changes: the definition (the write's own
// path) and the workspace's definition list. (Runs keep the SQL they ran: a definition's change
// shows in the next run only, which nothing cached holds yet.)
func definitionWriteTags(ws string) func(path string) []string {
	return tags(listTag(ws, "definitions"))
}

// ListDefinitionsPage returns one page of a workspace's definitions:
// GET /api/{workspace}/definitions.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDefinitionsPage(ctx context.Context, workspace string, page int, opts *ListOptions) (*Page[Definition], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	return listPage[Definition](ctx, c, definitionsPath(workspace), q, page, "definitions", c.metadata(listTag(workspace, "definitions")))
}

// ListDefinitions iterates over all of a workspace's definitions, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDefinitions(ctx context.Context, workspace string, opts *ListOptions) iter.Seq2[Definition, error] {
	return listAll(func(page int) (*Page[Definition], error) {
		return c.ListDefinitionsPage(ctx, workspace, page, opts)
	}, func(d Definition) string { return d.Token })
}

// GetDefinition returns one definition: GET /api/{workspace}/definitions/{definition}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetDefinition(ctx context.Context, workspace, definition string) (*Definition, error) {
	return getJSON[Definition](ctx, c, definitionPath(workspace, definition), nil, c.metadata())
}

// verifyDefinition checks, before a write, that definition belongs to workspace.
func (c *Client) verifyDefinition(ctx context.Context, workspace, definition string) error {
	_, err := c.GetDefinition(ownerCheckContext(ctx), workspace, definition)
	return err
}

// CreateDefinition adds a definition to a workspace: POST /api/{workspace}/definitions with
// {"definition": {"name", "description", "source", "data_source_id"}}. Mode answers the
// definition (200). A name Mode refuses (taken, or not one a query can reference) is its
// *APIError (400), a data source the workspace does not have its *APIError (404).
func (c *Client) CreateDefinition(ctx context.Context, workspace string, in DefinitionCreate) (*Definition, error) {
	switch {
	case definitionsPath(workspace).err != nil:
		return nil, definitionsPath(workspace).err
	case in.Name == "":
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	case in.Source == "":
		return nil, &InvalidArgumentError{Field: "source", Reason: "must not be empty"}
	case in.DataSourceID < 1:
		return nil, &InvalidArgumentError{Field: "data_source_id", Reason: "must be positive"}
	}
	body := struct {
		Definition DefinitionCreate `json:"definition"`
	}{in}
	var d Definition
	if err := c.write(ctx, http.MethodPost, definitionsPath(workspace), body, &d, definitionWriteTags(workspace)); err != nil {
		return nil, err
	}
	return &d, nil
}

// UpdateDefinition changes a definition: PATCH /api/{workspace}/definitions/{definition} with
// {"definition": {…}}. The definition is read first (GetDefinition; free when cached): one of
// another workspace is not found and is left as it is (see checkOwner).
func (c *Client) UpdateDefinition(ctx context.Context, workspace, definition string, in DefinitionUpdate) (*Definition, error) {
	switch {
	case definitionPath(workspace, definition).err != nil:
		return nil, definitionPath(workspace, definition).err
	case in.Name == nil && in.Description == nil && in.Source == nil && in.DataSourceID == nil:
		return nil, &InvalidArgumentError{Field: "definition", Reason: "nothing to update"}
	case in.Name != nil && *in.Name == "":
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	case in.Source != nil && *in.Source == "":
		return nil, &InvalidArgumentError{Field: "source", Reason: "must not be empty"}
	case in.DataSourceID != nil && *in.DataSourceID < 1:
		return nil, &InvalidArgumentError{Field: "data_source_id", Reason: "must be positive"}
	}
	if err := c.verifyDefinition(ctx, workspace, definition); err != nil {
		return nil, err
	}
	body := struct {
		Definition DefinitionUpdate `json:"definition"`
	}{in}
	var d Definition
	if err := c.write(ctx, http.MethodPatch, definitionPath(workspace, definition), body, &d, definitionWriteTags(workspace)); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeleteDefinition removes a definition: DELETE /api/{workspace}/definitions/{definition} (Mode
// answers the deleted definition). Queries that reference it fail from their next run on. The
// definition is read first (GetDefinition; free when cached): one of another workspace is not
// found and the DELETE is not sent.
func (c *Client) DeleteDefinition(ctx context.Context, workspace, definition string) error {
	if err := definitionPath(workspace, definition).err; err != nil {
		return err
	}
	if err := c.verifyDefinition(ctx, workspace, definition); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, definitionPath(workspace, definition), nil, new(Definition), definitionWriteTags(workspace))
}
