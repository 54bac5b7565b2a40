package modeclient

import (
	"context"
	"net/http"
)

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
// GET /api/{workspace}. Mode's account resource is a workspace or a person;
// a person's account (user: true) is not a workspace, and is not found.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetWorkspace(ctx context.Context, workspace string) (*Workspace, error) {
	ws, err := getJSON[Workspace](ctx, c, workspacePath(workspace), nil, c.metadata())
	if err != nil {
		return nil, err
	}
	if ws.User {
		return nil, &APIError{StatusCode: http.StatusNotFound, ID: "not_found", Message: "Account not found",
			Method: http.MethodGet, Route: "/api/{workspace}"}
	}
	return ws, nil
}
