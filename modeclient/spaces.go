package modeclient

import (
	"context"
	"iter"
	"net/http"
)

// Space is a collection of reports (Mode's UI calls them collections).
type Space struct {
	ID                 Int    `json:"id"`
	Token              string `json:"token"`
	SpaceType          string `json:"space_type"` // "custom", "private", …
	Name               string `json:"name"`
	Description        string `json:"description"`
	State              string `json:"state"`
	Restricted         Bool   `json:"restricted"`
	FreeDefault        Bool   `json:"free_default"`
	Viewable           Bool   `json:"viewable?"`
	Viewed             Bool   `json:"viewed?"`
	DefaultAccessLevel string `json:"default_access_level"`
	Links              Links  `json:"_links"`
}

// WebURL returns the space's page for a person.
func (s *Space) WebURL() string { return s.Links.Href("web") }

// ListSpacesOptions are the options of ListSpaces.
type ListSpacesOptions struct {
	ListOptions
	// Filter is "" (Mode's default: no other users' personal spaces) or
	// "all" (every space, personal ones included).
	Filter string
}

// SpaceCreate is the body of CreateSpace.
type SpaceCreate struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// SpaceUpdate is the body of UpdateSpace: nil fields are left unchanged.
type SpaceUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

func spacesPath(ws string) *apiPath       { return newPath(ws).lit("spaces") }
func spacePath(ws, space string) *apiPath { return spacesPath(ws).tok("space", space) }

// ListSpacesPage returns one page of a workspace's spaces: GET /api/{workspace}/spaces.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListSpacesPage(ctx context.Context, workspace string, page int, opts *ListSpacesOptions) (*Page[Space], error) {
	var lo *ListOptions
	filter := ""
	if opts != nil {
		lo, filter = &opts.ListOptions, opts.Filter
	}
	q, page, err := c.pageQuery(page, lo)
	if err != nil {
		return nil, err
	}
	if filter != "" {
		if !validWord(filter) {
			return nil, &InvalidArgumentError{Field: "filter", Reason: `must be "" or a filter name such as "all"`}
		}
		q.Set("filter", filter)
	}
	return listPage[Space](ctx, c, spacesPath(workspace), q, page, "spaces", c.metadata(listTag(workspace, "spaces")))
}

// ListSpaces iterates over all of a workspace's spaces, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListSpaces(ctx context.Context, workspace string, opts *ListSpacesOptions) iter.Seq2[Space, error] {
	return listAll(func(page int) (*Page[Space], error) {
		return c.ListSpacesPage(ctx, workspace, page, opts)
	}, func(s Space) string { return s.Token })
}

// GetSpace returns one space: GET /api/{workspace}/spaces/{space}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetSpace(ctx context.Context, workspace, space string) (*Space, error) {
	return getJSON[Space](ctx, c, spacePath(workspace, space), nil, c.metadata(accessTag(workspace)))
}

// CreateSpace creates a space: POST /api/{workspace}/spaces with
// {"space": {…}} (Mode answers 200).
func (c *Client) CreateSpace(ctx context.Context, workspace string, in SpaceCreate) (*Space, error) {
	if in.Name == "" {
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	var s Space
	body := struct {
		Space SpaceCreate `json:"space"`
	}{in}
	err := c.write(ctx, http.MethodPost, spacesPath(workspace), body, &s,
		func(string) []string {
			return []string{listTag(workspace, "spaces"), apiPathOf(workspacePath(workspace))}
		})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// UpdateSpace changes a space's name or description: Mode takes a POST to
// /api/{workspace}/spaces/{space} with {"space": {…}}. The space is read
// first (GetSpace; free when cached): one of another workspace is not found
// and is left as it is (see checkOwner).
func (c *Client) UpdateSpace(ctx context.Context, workspace, space string, in SpaceUpdate) (*Space, error) {
	if in.Name == nil && in.Description == nil {
		return nil, &InvalidArgumentError{Field: "space", Reason: "nothing to update"}
	}
	if in.Name != nil && *in.Name == "" {
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	if err := c.verifySpace(ctx, workspace, space); err != nil {
		return nil, err
	}
	var s Space
	body := struct {
		Space SpaceUpdate `json:"space"`
	}{in}
	err := c.write(ctx, http.MethodPost, spacePath(workspace, space), body, &s,
		tags(listTag(workspace, "spaces")))
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteSpace deletes a space: DELETE /api/{workspace}/spaces/{space}. Mode
// deletes eventually: the space may answer 403 for a while afterwards. The
// space is read first (GetSpace; free when cached): one of another
// workspace is not found and the DELETE is not sent; the deleted space
// Mode answers must belong to the workspace too (checkOwner).
func (c *Client) DeleteSpace(ctx context.Context, workspace, space string) error {
	if err := c.verifySpace(ctx, workspace, space); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, spacePath(workspace, space), nil, new(Space),
		tags(listTag(workspace, "spaces"), listTag(workspace, "reports"), listTag(workspace, "datasets"),
			spaceScopeTag(workspace, space), apiPathOf(workspacePath(workspace))))
}

// validWord reports whether s is a short lower-case word ([a-z_]{1,32}).
func validWord(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && s[i] != '_' {
			return false
		}
	}
	return true
}
