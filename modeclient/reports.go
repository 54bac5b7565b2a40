package modeclient

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// Report is a Mode report: SQL queries, charts and a layout, run on demand
// or on a schedule.
type Report struct {
	ID                     Int    `json:"id"`
	Token                  string `json:"token"`
	Name                   string `json:"name"`
	Description            string `json:"description"`
	Type                   string `json:"type"`
	SpaceToken             string `json:"space_token"`
	AccountID              Int    `json:"account_id"`
	AccountUsername        string `json:"account_username"`
	Archived               Bool   `json:"archived"`
	Public                 Bool   `json:"public"`
	Shared                 Bool   `json:"shared"`
	RunPrivately           Bool   `json:"run_privately"`
	ManualRunDisabled      Bool   `json:"manual_run_disabled"`
	FullWidth              Bool   `json:"full_width"`
	DrilldownsEnabled      Bool   `json:"drilldowns_enabled"`
	IsEmbedded             Bool   `json:"is_embedded"`
	IsSigned               Bool   `json:"is_signed"`
	Layout                 String `json:"layout"`
	ThemeID                Int    `json:"theme_id"`
	ExpectedRuntime        Float  `json:"expected_runtime"`
	CreatedAt              Time   `json:"created_at"`
	UpdatedAt              Time   `json:"updated_at"`
	EditedAt               Time   `json:"edited_at"`
	PublishedAt            Time   `json:"published_at"`
	LastSavedAt            Time   `json:"last_saved_at"`
	LastRunAt              Time   `json:"last_run_at"`
	LastSuccessfullyRunAt  Time   `json:"last_successfully_run_at"`
	LastSuccessfulRunToken string `json:"last_successful_run_token"`
	QueryCount             Int    `json:"query_count"`
	MaxQueryCount          Int    `json:"max_query_count"`
	ChartCount             Int    `json:"chart_count"`
	RunsCount              Int    `json:"runs_count"`
	SchedulesCount         Int    `json:"schedules_count"`
	ViewCount              Int    `json:"view_count"`
	QueryPreview           String `json:"query_preview"`
	WebPreviewImage        String `json:"web_preview_image"`
	// ImportedDatasets are the datasets the report is built on (see DatasetRefs).
	ImportedDatasets DatasetRefs `json:"imported_datasets"`
	Links            Links       `json:"_links"`
}

// WebURL returns the report's page for a person (its "web" link).
func (r *Report) WebURL() string { return r.Links.Href("web") }

// ListReportsOptions are the options of report (and report run) lists.
type ListReportsOptions struct {
	ListOptions
	// Filter is "" , a word Mode knows ("all", "archived") or
	// "<created_at|updated_at>.<gt|lt>.<RFC 3339 time>".
	Filter string
	// Order is "", "asc" or "desc".
	Order string
	// OrderBy is "", "created_at" or "updated_at".
	OrderBy string
}

// query adds the filter and ordering to q after validating them.
func (o *ListReportsOptions) query(q url.Values) error {
	if o == nil {
		return nil
	}
	if o.Filter != "" {
		if err := validateFilter(o.Filter); err != nil {
			return err
		}
		q.Set("filter", o.Filter)
	}
	switch o.Order {
	case "":
	case "asc", "desc":
		q.Set("order", o.Order)
	default:
		return &InvalidArgumentError{Field: "order", Reason: `must be "asc" or "desc"`}
	}
	switch o.OrderBy {
	case "":
	case "created_at", "updated_at":
		q.Set("order_by", o.OrderBy)
	default:
		return &InvalidArgumentError{Field: "order_by", Reason: `must be "created_at" or "updated_at"`}
	}
	return nil
}

func (o *ListReportsOptions) listOptions() *ListOptions {
	if o == nil {
		return nil
	}
	return &o.ListOptions
}

// validateFilter accepts a word or "<field>.<gt|lt>.<time>".
func validateFilter(f string) error {
	if validWord(f) {
		return nil
	}
	bad := &InvalidArgumentError{Field: "filter", Reason: `must be a word like "all" or "<created_at|updated_at>.<gt|lt>.<RFC 3339 time>"`}
	field, rest, ok := strings.Cut(f, ".")
	if !ok || (field != "created_at" && field != "updated_at") {
		return bad
	}
	op, ts, ok := strings.Cut(rest, ".")
	if !ok || (op != "gt" && op != "lt") {
		return bad
	}
	if _, err := ParseTime(ts); err != nil || ts == "" {
		return bad
	}
	return nil
}

// ReportUpdate is the body of UpdateReport (Mode's UpdateReportRequestBody):
// nil fields are left unchanged, so a field mask maps onto it directly.
type ReportUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	SpaceToken  *string `json:"space_token,omitempty"` // moves the report to another space
}

// GetReport returns one report: GET /api/{workspace}/reports/{report}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetReport(ctx context.Context, workspace, report string) (*Report, error) {
	return getJSON[Report](ctx, c, reportPath(workspace, report), nil, c.reportPolicy(workspace))
}

func (c *Client) listReportsPage(ctx context.Context, workspace string, p *apiPath, page int, opts *ListReportsOptions) (*Page[Report], error) {
	q, page, err := c.pageQuery(page, opts.listOptions())
	if err != nil {
		return nil, err
	}
	if err := opts.query(q); err != nil {
		return nil, err
	}
	return listPage[Report](ctx, c, p, q, page, "reports", c.metadata(listTag(workspace, "reports")))
}

// ListSpaceReportsPage returns one page of a space's reports:
// GET /api/{workspace}/spaces/{space}/reports.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListSpaceReportsPage(ctx context.Context, workspace, space string, page int, opts *ListReportsOptions) (*Page[Report], error) {
	return c.listReportsPage(ctx, workspace, spacePath(workspace, space).lit("reports"), page, opts)
}

// ListSpaceReports iterates over all of a space's reports, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListSpaceReports(ctx context.Context, workspace, space string, opts *ListReportsOptions) iter.Seq2[Report, error] {
	return listAll(func(page int) (*Page[Report], error) {
		return c.ListSpaceReportsPage(ctx, workspace, space, page, opts)
	}, func(r Report) string { return r.Token })
}

// ListDataSourceReportsPage returns one page of the reports that query a
// data source: GET /api/{workspace}/data_sources/{data_source}/reports.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDataSourceReportsPage(ctx context.Context, workspace, dataSource string, page int, opts *ListReportsOptions) (*Page[Report], error) {
	p := dataSourcesPath(workspace).tok("data_source", dataSource).lit("reports")
	return c.listReportsPage(ctx, workspace, p, page, opts)
}

// ListDataSourceReports iterates over all reports of a data source, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDataSourceReports(ctx context.Context, workspace, dataSource string, opts *ListReportsOptions) iter.Seq2[Report, error] {
	return listAll(func(page int) (*Page[Report], error) {
		return c.ListDataSourceReportsPage(ctx, workspace, dataSource, page, opts)
	}, func(r Report) string { return r.Token })
}

// UpdateReport changes a report's name, description or space:
// PATCH /api/{workspace}/reports/{report} with {"report": {…}}. The report,
// and the space it moves to, must belong to the workspace: each is read
// first (GetReport, GetSpace; free when cached), and one of another
// workspace is not found without the PATCH being sent (see checkOwner).
func (c *Client) UpdateReport(ctx context.Context, workspace, report string, in ReportUpdate) (*Report, error) {
	if in.Name == nil && in.Description == nil && in.SpaceToken == nil {
		return nil, &InvalidArgumentError{Field: "report", Reason: "nothing to update"}
	}
	if in.SpaceToken != nil {
		if reason, ok := validToken(*in.SpaceToken); !ok {
			return nil, &InvalidArgumentError{Field: "space_token", Reason: reason}
		}
	}
	if err := c.verifyReport(ctx, workspace, report); err != nil {
		return nil, err
	}
	if in.SpaceToken != nil {
		if err := c.verifySpace(ctx, workspace, *in.SpaceToken); err != nil {
			return nil, err
		}
	}
	body := struct {
		Report ReportUpdate `json:"report"`
	}{in}
	var r Report
	// The token may be a dataset's: its dataset views and the reports importing it change too.
	if err := c.write(ctx, http.MethodPatch, reportPath(workspace, report), body, &r,
		tags(listTag(workspace, "reports"), listTag(workspace, "datasets"), apiPathOf(datasetPath(workspace, report)),
			importTag(workspace, report))); err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteReport deletes a report: DELETE /api/{workspace}/reports/{report}.
// The report is read first (GetReport; free when cached): one of another
// workspace is not found and the DELETE is not sent, which matters most
// here, as Mode answers an empty body that could not be checked afterwards
// (a report in the answer must belong to the workspace too; see checkOwner).
func (c *Client) DeleteReport(ctx context.Context, workspace, report string) error {
	if err := c.verifyReport(ctx, workspace, report); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, reportPath(workspace, report), nil, new(Report),
		tags(listTag(workspace, "reports"), reportScopeTag(workspace, report), listTag(workspace, "datasets"),
			apiPathOf(datasetPath(workspace, report)), importTag(workspace, report)))
}

// ArchiveReport archives a report: PATCH /api/{workspace}/reports/{report}/archive.
// The report is read first (GetReport; free when cached): one of another
// workspace is not found and is left as it is (see checkOwner).
func (c *Client) ArchiveReport(ctx context.Context, workspace, report string) (*Report, error) {
	return c.archive(ctx, workspace, report, "archive")
}

// UnarchiveReport restores an archived report: PATCH /api/{workspace}/reports/{report}/unarchive.
// The report is read first, as for ArchiveReport.
func (c *Client) UnarchiveReport(ctx context.Context, workspace, report string) (*Report, error) {
	return c.archive(ctx, workspace, report, "unarchive")
}

func (c *Client) archive(ctx context.Context, workspace, report, verb string) (*Report, error) {
	if err := c.verifyReport(ctx, workspace, report); err != nil {
		return nil, err
	}
	var r Report
	reportTag := apiPathOf(reportPath(workspace, report))
	if err := c.write(ctx, http.MethodPatch, reportPath(workspace, report).lit(verb), nil, &r,
		tags(reportTag, listTag(workspace, "reports"), listTag(workspace, "datasets"), apiPathOf(datasetPath(workspace, report)))); err != nil {
		return nil, err
	}
	return &r, nil
}
