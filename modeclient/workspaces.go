package modeclient

import "context"

// Workspace is a Mode account (Mode's "Account" definition): a workspace
// (organization) or a user, addressed by its username.
type Workspace struct {
	ID                     Int    `json:"id"`
	Token                  string `json:"token"`
	Username               string `json:"username"`
	Name                   string `json:"name"`
	User                   Bool   `json:"user"` // true for a personal account
	MembershipType         string `json:"membership_type"`
	PlanCode               string `json:"plan_code"`
	TrialState             string `json:"trial_state"`
	SpaceCount             Int    `json:"space_count"`
	DataSourceCount        Int    `json:"data_source_count"`
	DefaultDataSourceToken string `json:"default_data_source_token"`
	QueryRunSizeLimitMB    Int    `json:"query_run_size_limit_mb"`
	DatasetSizeLimitMB     Int    `json:"dataset_size_limit_mb"`
	CreatedAt              Time   `json:"created_at"`
	Links                  Links  `json:"_links"`
}

// WebURL returns the workspace's page for a person (its "web" link).
func (w *Workspace) WebURL() string { return w.Links.Href("web") }

// GetWorkspace returns the workspace (account) with the given username:
// GET /api/{workspace}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetWorkspace(ctx context.Context, workspace string) (*Workspace, error) {
	return getJSON[Workspace](ctx, c, workspacePath(workspace), nil, c.metadata())
}
