package modeclient

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
)

// A dataset's fields are the columns of its latest result, and its field descriptions describe
// them, one per field, keyed by the field's name: a data dictionary. Mode's document defines
// neither DatasetField nor DatasetFieldDescription; the shapes here are the emulator's reading of
// Mode's conventions (HAL collections embedding "dataset_fields" and
// "dataset_field_descriptions"; a description spelt "desc" as the create and update bodies spell
// it), decoded leniently.

// DatasetField is one field of a dataset: a column of its latest result. Type is the column's
// type as Mode names it ("integer", "float", "string", "boolean", "datetime", "date" on the
// emulator); Description is the field's description, "" when it has none.
type DatasetField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Links       Links  `json:"_links"`
}

// FieldDescription is the description of one field of a dataset (Mode's
// DatasetFieldDescription): Name is the field's name, Description its text (up to 350
// characters, Mode documents).
type FieldDescription struct {
	Token       string `json:"token"`
	Name        string `json:"name"`
	Description string `json:"desc"`
	CreatedAt   Time   `json:"created_at"`
	UpdatedAt   Time   `json:"updated_at"`
	Links       Links  `json:"_links"`
}

// UnmarshalJSON implements json.Unmarshaler: the text is read from "desc" (as Mode's bodies
// spell it), else from "description".
func (f *FieldDescription) UnmarshalJSON(b []byte) error {
	type plain FieldDescription
	var v struct {
		plain
		Desc        *String `json:"desc"`
		Description *String `json:"description"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = FieldDescription(v.plain)
	switch {
	case v.Desc != nil:
		f.Description = string(*v.Desc)
	case v.Description != nil:
		f.Description = string(*v.Description)
	}
	return nil
}

func (f *DatasetField) owner() (string, Links)     { return "", f.Links }
func (f *FieldDescription) owner() (string, Links) { return "", f.Links }

func datasetFieldsPath(ws, dataset string) *apiPath { return datasetPath(ws, dataset).lit("fields") }

func fieldDescriptionsPath(ws, dataset string) *apiPath {
	return datasetPath(ws, dataset).lit("field_descriptions")
}

func fieldDescriptionPath(ws, dataset, fieldDescription string) *apiPath {
	return fieldDescriptionsPath(ws, dataset).tok("field_description", fieldDescription)
}

// fieldDescriptionWriteTags are what a field description write changes: the dataset's
// descriptions and its fields (each shows its description).
func fieldDescriptionWriteTags(ws, dataset string) func(path string) []string {
	return tags(reportListTag(ws, dataset, "field_descriptions"), reportListTag(ws, dataset, "fields"))
}

// pageOwner is the envelope of a list page, checked when its items do not name their workspace.
type pageOwner struct {
	Links Links `json:"_links"`
}

func (p *pageOwner) owner() (string, Links) { return "", p.Links }

// namesWorkspace reports whether o names a workspace (see checkOwner).
func (c *Client) namesWorkspace(o owned) bool {
	name, links := o.owner()
	if name != "" {
		return true
	}
	for _, rel := range ownerLinks {
		if _, ok := c.hrefWorkspace(links.Href(rel)); ok {
			return true
		}
	}
	return false
}

// ListDatasetFieldsPage returns one page of a dataset's latest fields, in the order of its
// result's columns: GET /api/{workspace}/datasets/{dataset}/fields. Fields are not resources of
// their own: each that names its workspace (the emulator's carry an account link) must name
// this one, and when one names none, the page itself must (its self link; see checkOwner).
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDatasetFieldsPage(ctx context.Context, workspace, dataset string, page int, opts *ListOptions) (*Page[DatasetField], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(reportListTag(workspace, dataset, "fields"), reportScopeTag(workspace, dataset))
	return getDecoded(ctx, c, datasetFieldsPath(workspace, dataset), q, policy, func(cl *call, body []byte) (*Page[DatasetField], error) {
		pg, err := decodePage[DatasetField](c, cl, body, page, "dataset_fields")
		if err != nil {
			return nil, err
		}
		anonymous := false
		for i := range pg.Items {
			f := &pg.Items[i]
			if !c.namesWorkspace(f) {
				anonymous = true
				continue
			}
			if err := c.checkOwner(cl, f); err != nil {
				return nil, err
			}
		}
		if anonymous {
			var env pageOwner
			if err := decode(cl, body, &env); err != nil {
				return nil, err
			}
			if err := c.checkOwner(cl, &env); err != nil {
				return nil, err
			}
		}
		return pg, nil
	})
}

// ListDatasetFields iterates over all of a dataset's fields, fetching pages lazily. Two columns
// of one result may share a name: fields are never de-duplicated.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDatasetFields(ctx context.Context, workspace, dataset string, opts *ListOptions) iter.Seq2[DatasetField, error] {
	return listAll(func(page int) (*Page[DatasetField], error) {
		return c.ListDatasetFieldsPage(ctx, workspace, dataset, page, opts)
	}, func(DatasetField) string { return "" })
}

// ListDatasetFieldDescriptionsPage returns one page of a dataset's field descriptions:
// GET /api/{workspace}/datasets/{dataset}/field_descriptions.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDatasetFieldDescriptionsPage(ctx context.Context, workspace, dataset string, page int, opts *ListOptions) (*Page[FieldDescription], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(reportListTag(workspace, dataset, "field_descriptions"), reportScopeTag(workspace, dataset))
	return listPage[FieldDescription](ctx, c, fieldDescriptionsPath(workspace, dataset), q, page, "dataset_field_descriptions", policy)
}

// ListDatasetFieldDescriptions iterates over all of a dataset's field descriptions, fetching
// pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDatasetFieldDescriptions(ctx context.Context, workspace, dataset string, opts *ListOptions) iter.Seq2[FieldDescription, error] {
	return listAll(func(page int) (*Page[FieldDescription], error) {
		return c.ListDatasetFieldDescriptionsPage(ctx, workspace, dataset, page, opts)
	}, func(f FieldDescription) string { return f.Token })
}

// CreateDatasetFieldDescription describes a field of a dataset: POST
// /api/{workspace}/datasets/{dataset}/field_descriptions with {"field_description": {"name":
// field, "desc": description}}. Mode answers the description (200). A name that is not a field
// of the dataset, a field already described (update its description instead) and a description
// Mode refuses (blank, longer than 350 characters) are Mode's 400 *APIError. The dataset is read
// first (GetDataset; free when cached): one of another workspace is not found and gains no
// description (see checkOwner).
func (c *Client) CreateDatasetFieldDescription(ctx context.Context, workspace, dataset, field, description string) (*FieldDescription, error) {
	if err := fieldDescriptionsPath(workspace, dataset).err; err != nil {
		return nil, err
	}
	if field == "" {
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	if strings.TrimSpace(description) == "" {
		return nil, &InvalidArgumentError{Field: "desc", Reason: "must not be blank"}
	}
	if err := c.verifyDataset(ctx, workspace, dataset); err != nil {
		return nil, err
	}
	body := map[string]any{"field_description": map[string]string{"name": field, "desc": description}}
	var f FieldDescription
	if err := c.write(ctx, http.MethodPost, fieldDescriptionsPath(workspace, dataset), body, &f,
		fieldDescriptionWriteTags(workspace, dataset)); err != nil {
		return nil, err
	}
	return &f, nil
}

// UpdateDatasetFieldDescription replaces the text of a field description: PATCH
// /api/{workspace}/datasets/{dataset}/field_descriptions/{field_description} with
// {"field_description": {"desc": description}}. The dataset is read first (GetDataset; free
// when cached): one of another workspace is not found and nothing is sent (see checkOwner); the
// description Mode answers must belong to the workspace too.
func (c *Client) UpdateDatasetFieldDescription(ctx context.Context, workspace, dataset, fieldDescription, description string) (*FieldDescription, error) {
	if err := fieldDescriptionPath(workspace, dataset, fieldDescription).err; err != nil {
		return nil, err
	}
	if strings.TrimSpace(description) == "" {
		return nil, &InvalidArgumentError{Field: "desc", Reason: "must not be blank"}
	}
	if err := c.verifyDataset(ctx, workspace, dataset); err != nil {
		return nil, err
	}
	body := map[string]any{"field_description": map[string]string{"desc": description}}
	var f FieldDescription
	if err := c.write(ctx, http.MethodPatch, fieldDescriptionPath(workspace, dataset, fieldDescription), body, &f,
		fieldDescriptionWriteTags(workspace, dataset)); err != nil {
		return nil, err
	}
	return &f, nil
}

// DeleteDatasetFieldDescription removes a field description: DELETE
// /api/{workspace}/datasets/{dataset}/field_descriptions/{field_description} (Mode answers the
// deleted description). The dataset is read first (GetDataset; free when cached): one of another
// workspace is not found and the DELETE is not sent.
func (c *Client) DeleteDatasetFieldDescription(ctx context.Context, workspace, dataset, fieldDescription string) error {
	if err := fieldDescriptionPath(workspace, dataset, fieldDescription).err; err != nil {
		return err
	}
	if err := c.verifyDataset(ctx, workspace, dataset); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, fieldDescriptionPath(workspace, dataset, fieldDescription), nil, new(FieldDescription),
		fieldDescriptionWriteTags(workspace, dataset))
}
