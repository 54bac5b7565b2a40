package modeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// Datasets. Mode models a dataset as a kind of report: GET /api/{workspace}/datasets/{dataset}
// answers its Report schema, a dataset lives in a space and holds a SQL query, runs like a
// report, and reports import it (Report.ImportedDatasets). Its token is also a report token: the
// report methods (GetReport, RunReport, ListQueries, CreateReportSchedule, …) work on it too, and
// the cache entries of both views of a dataset share their tags, so that a write through either
// drops both.

// Dataset is a Mode dataset: the fields of Mode's Report that matter for a dataset, and its
// links (self, web, report_runs, fields, field_descriptions, dataset_reports, …).
type Dataset struct {
	ID                     Int    `json:"id"`
	Token                  string `json:"token"`
	Name                   string `json:"name"`
	Description            string `json:"description"`
	Type                   string `json:"type"` // Mode's report type ("DatasetReport" on the emulator)
	SpaceToken             string `json:"space_token"`
	AccountID              Int    `json:"account_id"`
	AccountUsername        string `json:"account_username"`
	Archived               Bool   `json:"archived"`
	ManualRunDisabled      Bool   `json:"manual_run_disabled"`
	CreatedAt              Time   `json:"created_at"`
	UpdatedAt              Time   `json:"updated_at"`
	EditedAt               Time   `json:"edited_at"`
	PublishedAt            Time   `json:"published_at"`
	LastSavedAt            Time   `json:"last_saved_at"`
	LastRunAt              Time   `json:"last_run_at"`
	LastSuccessfullyRunAt  Time   `json:"last_successfully_run_at"`
	LastSuccessfulRunToken string `json:"last_successful_run_token"`
	ExpectedRuntime        Float  `json:"expected_runtime"`
	QueryCount             Int    `json:"query_count"`
	RunsCount              Int    `json:"runs_count"`
	SchedulesCount         Int    `json:"schedules_count"`
	ViewCount              Int    `json:"view_count"`
	QueryPreview           String `json:"query_preview"`
	Links                  Links  `json:"_links"`
}

// WebURL returns the dataset's page for a person (its "web" link).
func (d *Dataset) WebURL() string { return d.Links.Href("web") }

// DatasetUpdate is the body of UpdateDataset (Mode's UpdateReportRequestBody, sent as
// {"report": {…}}): nil fields are left unchanged.
type DatasetUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// DatasetRef names a dataset a report imports (an entry of Report.ImportedDatasets).
type DatasetRef struct {
	Token string
	Name  string
}

// DatasetRefs are the datasets a report imports. Mode's document types Report.imported_datasets
// as a string without saying more: an array of objects with a token (and a name), an array of
// tokens, and either of them JSON-encoded in a string are accepted; anything else (null, "", a
// shape not seen) decodes as none rather than failing the report.
type DatasetRefs []DatasetRef

// UnmarshalJSON implements json.Unmarshaler.
func (r *DatasetRefs) UnmarshalJSON(b []byte) error {
	*r = nil
	t := bytes.TrimSpace(b)
	if s, ok := unquote(t); ok {
		t = bytes.TrimSpace([]byte(s))
	}
	if len(t) == 0 || t[0] != '[' {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(t, &items) != nil {
		return nil
	}
	out := make(DatasetRefs, 0, len(items))
	for _, it := range items {
		if tok, ok := unquote(it); ok {
			if tok != "" {
				out = append(out, DatasetRef{Token: tok})
			}
			continue
		}
		var o struct {
			Token String `json:"token"`
			Name  String `json:"name"`
		}
		if json.Unmarshal(it, &o) == nil && o.Token != "" {
			out = append(out, DatasetRef{Token: string(o.Token), Name: string(o.Name)})
		}
	}
	*r = out
	return nil
}

func datasetsPath(ws string) *apiPath { return newPath(ws).lit("datasets") }

func datasetPath(ws, dataset string) *apiPath { return datasetsPath(ws).tok("dataset", dataset) }

// importTag tags the cached reports that import dataset: its rename or deletion changes their
// imported_datasets.
func importTag(ws, dataset string) string { return "imports:" + ws + "/" + dataset }

// datasetTags are the tags of everything that shows a dataset itself: its own entry (both
// paths: a write through the report path drops the dataset entry too), the dataset lists, the
// report lists and the reports that import it (their imported_datasets name it).
func datasetTags(ws, dataset string) []string {
	return []string{apiPathOf(datasetPath(ws, dataset)), apiPathOf(reportPath(ws, dataset)),
		listTag(ws, "datasets"), listTag(ws, "reports"), importTag(ws, dataset)}
}

// datasetPolicy caches a dataset for the metadata TTL, tagged with its report path (writes
// through the report API invalidate it), its scope (dropped when it is deleted), its space and
// the workspace's access tag (who sees it may change).
func (c *Client) datasetPolicy(ws, dataset string) cachePolicy {
	return func(v any) (time.Duration, []string) {
		t := []string{apiPathOf(reportPath(ws, dataset)), reportScopeTag(ws, dataset), accessTag(ws)}
		if d, _ := v.(*Dataset); d != nil && d.SpaceToken != "" {
			t = append(t, spaceScopeTag(ws, d.SpaceToken))
		}
		return c.metadataTTL, t
	}
}

// GetDataset returns one dataset: GET /api/{workspace}/datasets/{dataset}. A report's token is
// not a dataset's: Mode answers 404.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetDataset(ctx context.Context, workspace, dataset string) (*Dataset, error) {
	return getJSON[Dataset](ctx, c, datasetPath(workspace, dataset), nil, c.datasetPolicy(workspace, dataset))
}

// verifyDataset checks, before a write, that dataset belongs to workspace.
func (c *Client) verifyDataset(ctx context.Context, workspace, dataset string) error {
	_, err := c.GetDataset(ownerCheckContext(ctx), workspace, dataset)
	return err
}

// UpdateDataset changes a dataset's name or description: PATCH
// /api/{workspace}/datasets/{dataset} with {"report": {…}} (Mode's UpdateReportRequestBody).
// The dataset is read first (GetDataset; free when cached): one of another workspace is not
// found and is left as it is (see checkOwner).
func (c *Client) UpdateDataset(ctx context.Context, workspace, dataset string, in DatasetUpdate) (*Dataset, error) {
	if err := datasetPath(workspace, dataset).err; err != nil {
		return nil, err
	}
	if in.Name == nil && in.Description == nil {
		return nil, &InvalidArgumentError{Field: "dataset", Reason: "nothing to update"}
	}
	if in.Name != nil && *in.Name == "" {
		return nil, &InvalidArgumentError{Field: "name", Reason: "must not be empty"}
	}
	if err := c.verifyDataset(ctx, workspace, dataset); err != nil {
		return nil, err
	}
	body := struct {
		Report DatasetUpdate `json:"report"`
	}{in}
	var d Dataset
	if err := c.write(ctx, http.MethodPatch, datasetPath(workspace, dataset), body, &d,
		tags(datasetTags(workspace, dataset)...)); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeleteDataset deletes a dataset: DELETE /api/{workspace}/datasets/{dataset} (Mode answers an
// empty body). Its runs, fields, field descriptions and schedules go with it, and the reports
// that imported it no longer name it. The dataset is read first (GetDataset; free when cached):
// one of another workspace is not found and the DELETE is not sent.
func (c *Client) DeleteDataset(ctx context.Context, workspace, dataset string) error {
	if err := datasetPath(workspace, dataset).err; err != nil {
		return err
	}
	if err := c.verifyDataset(ctx, workspace, dataset); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, datasetPath(workspace, dataset), nil, new(Dataset),
		tags(append(datasetTags(workspace, dataset), reportScopeTag(workspace, dataset))...))
}

// listDatasetsPage returns one page of a list of datasets under p.
func (c *Client) listDatasetsPage(ctx context.Context, workspace string, p *apiPath, page int, opts *ListReportsOptions) (*Page[Dataset], error) {
	q, page, err := c.pageQuery(page, opts.listOptions())
	if err != nil {
		return nil, err
	}
	if err := opts.query(q); err != nil {
		return nil, err
	}
	return listPage[Dataset](ctx, c, p, q, page, "datasets", c.metadata(listTag(workspace, "datasets")))
}

// listOptionsOnly wraps paging options as the options of a filtered list.
func listOptionsOnly(opts *ListOptions) *ListReportsOptions {
	if opts == nil {
		return nil
	}
	return &ListReportsOptions{ListOptions: *opts}
}

// ListSpaceDatasetsPage returns one page of a space's datasets:
// GET /api/{workspace}/spaces/{space}/datasets (newest updated first, as Mode orders them by
// default; ListSpaceDatasetsPageWithOptions filters and orders).
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListSpaceDatasetsPage(ctx context.Context, workspace, space string, page int, opts *ListOptions) (*Page[Dataset], error) {
	return c.ListSpaceDatasetsPageWithOptions(ctx, workspace, space, page, listOptionsOnly(opts))
}

// ListSpaceDatasetsPageWithOptions is ListSpaceDatasetsPage with Mode's filter
// ("<created_at|updated_at>.<gt|lt>.<time>"), order and order_by.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListSpaceDatasetsPageWithOptions(ctx context.Context, workspace, space string, page int, opts *ListReportsOptions) (*Page[Dataset], error) {
	return c.listDatasetsPage(ctx, workspace, spacePath(workspace, space).lit("datasets"), page, opts)
}

// ListSpaceDatasets iterates over all of a space's datasets, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListSpaceDatasets(ctx context.Context, workspace, space string, opts *ListOptions) iter.Seq2[Dataset, error] {
	return listAll(func(page int) (*Page[Dataset], error) {
		return c.ListSpaceDatasetsPage(ctx, workspace, space, page, opts)
	}, func(d Dataset) string { return d.Token })
}

// ListDataSourceDatasetsPage returns one page of the datasets that query a data source:
// GET /api/{workspace}/data_sources/{data_source}/datasets.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDataSourceDatasetsPage(ctx context.Context, workspace, dataSource string, page int, opts *ListOptions) (*Page[Dataset], error) {
	return c.ListDataSourceDatasetsPageWithOptions(ctx, workspace, dataSource, page, listOptionsOnly(opts))
}

// ListDataSourceDatasetsPageWithOptions is ListDataSourceDatasetsPage with Mode's filter, order
// and order_by.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDataSourceDatasetsPageWithOptions(ctx context.Context, workspace, dataSource string, page int, opts *ListReportsOptions) (*Page[Dataset], error) {
	p := dataSourcesPath(workspace).tok("data_source", dataSource).lit("datasets")
	return c.listDatasetsPage(ctx, workspace, p, page, opts)
}

// ListDataSourceDatasets iterates over all datasets of a data source, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDataSourceDatasets(ctx context.Context, workspace, dataSource string, opts *ListOptions) iter.Seq2[Dataset, error] {
	return listAll(func(page int) (*Page[Dataset], error) {
		return c.ListDataSourceDatasetsPage(ctx, workspace, dataSource, page, opts)
	}, func(d Dataset) string { return d.Token })
}

// ListDatasetReportsPage returns one page of a dataset's lineage, the reports that import it:
// GET /api/{workspace}/datasets/{dataset}/reports.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDatasetReportsPage(ctx context.Context, workspace, dataset string, page int, opts *ListOptions) (*Page[Report], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(listTag(workspace, "reports"), reportScopeTag(workspace, dataset))
	return listPage[Report](ctx, c, datasetPath(workspace, dataset).lit("reports"), q, page, "reports", policy)
}

// ListDatasetReports iterates over all reports that import a dataset, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDatasetReports(ctx context.Context, workspace, dataset string, opts *ListOptions) iter.Seq2[Report, error] {
	return listAll(func(page int) (*Page[Report], error) {
		return c.ListDatasetReportsPage(ctx, workspace, dataset, page, opts)
	}, func(r Report) string { return r.Token })
}

// ListDatasetSchedulesPage returns one page of a dataset's refresh schedules:
// GET /api/{workspace}/datasets/{dataset}/schedules. They are the dataset's report schedules:
// CreateReportSchedule with the dataset's token makes one, and the report schedule methods
// read, change and delete them.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDatasetSchedulesPage(ctx context.Context, workspace, dataset string, page int, opts *ListOptions) (*Page[Schedule], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	// Tagged as the dataset's report schedule list is: report schedule writes drop it.
	policy := c.metadata(reportListTag(workspace, dataset, "schedules"), reportScopeTag(workspace, dataset), subscribersTag(workspace))
	return listPage[Schedule](ctx, c, datasetPath(workspace, dataset).lit("schedules"), q, page, "dataset_schedules", policy)
}

// ListDatasetSchedules iterates over all of a dataset's schedules, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDatasetSchedules(ctx context.Context, workspace, dataset string, opts *ListOptions) iter.Seq2[Schedule, error] {
	return listAll(func(page int) (*Page[Schedule], error) {
		return c.ListDatasetSchedulesPage(ctx, workspace, dataset, page, opts)
	}, func(s Schedule) string { return s.Token })
}
