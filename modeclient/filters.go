package modeclient

import (
	"context"
	"iter"
	"maps"
	"net/http"
	"time"
)

// ReportFilter is one of a report's filters (Mode's "ReportFilter"): a control that narrows what
// the report's charts and tables show by the values of columns of one of its queries. Formula
// references the columns in Mode's formula syntax ("[region]"); FilterType is SINGLE, MULTI or
// RANGE; ControlType LIST, DROPDOWN or RANGE; VariableType CONTINUOUS or DISCRETE. RowOrder is
// its place among the report's filters.
type ReportFilter struct {
	ID                     Int                 `json:"id"`
	ReportID               Int                 `json:"report_id"`
	Token                  string              `json:"token"`
	Name                   string              `json:"name"`
	RowOrder               Int                 `json:"row_order"`
	Formula                string              `json:"formula"`
	DataType               String              `json:"data_type"`
	FormulaType            String              `json:"formula_type"`
	HideSelectAll          Bool                `json:"hide_select_all"`
	ShowRelevantValuesOnly Bool                `json:"show_relevant_values_only"`
	FilterType             String              `json:"filter_type"`
	ControlType            String              `json:"control_type"`
	VariableType           String              `json:"variable_type"`
	Options                ReportFilterOptions `json:"options"`
	CreatedAt              Time                `json:"created_at"`
	UpdatedAt              Time                `json:"updated_at"`
	Links                  Links               `json:"_links"`
}

// QueryToken returns the token of the query whose columns the filter reads (its
// options.query_token), or "".
func (f *ReportFilter) QueryToken() string { return f.Options.QueryToken() }

// ReportFilterOptions are a filter's options, as Mode sends them. Mode's document leaves them
// undefined; "query_token" names the query the filter reads (the emulator's reading), and the
// rest (values offered or picked, say) is kept as Mode sends it. An object encoded in a string,
// and null, are accepted too; numbers decode as json.Number.
type ReportFilterOptions map[string]any

// UnmarshalJSON implements json.Unmarshaler.
func (o *ReportFilterOptions) UnmarshalJSON(b []byte) error {
	var p Parameters
	err := p.UnmarshalJSON(b)
	*o = ReportFilterOptions(p)
	return err
}

// QueryToken returns options.query_token, or "".
func (o ReportFilterOptions) QueryToken() string {
	s, _ := o["query_token"].(string)
	return s
}

// ReportFilterInput is the body of CreateReportFilter (Mode's
// CreateOrUpdateReportFilterRequestBody, {"report_filter": {…}}): every field but Options and
// NextFilter is required. Query is sent as options.query_token, beside Options.
type ReportFilterInput struct {
	Name         string
	Formula      string // e.g. "[region]": columns of Query in Mode's formula syntax
	DataType     string // e.g. "string", "number"
	FormulaType  string // e.g. "column"
	FilterType   string // SINGLE, MULTI or RANGE
	ControlType  string // LIST, DROPDOWN or RANGE (a RANGE filter takes a RANGE control)
	VariableType string // CONTINUOUS or DISCRETE
	Query        string // the token of the report's query whose columns the filter reads
	// Options are sent as options beside query_token (which Query sets).
	Options map[string]any
	// NextFilter, when not nil, places the filter before the report's filter of that token, or
	// last when it is "" (next_filter_token). Nil leaves the place to Mode (last, for a create).
	NextFilter *string
}

// ReportFilterUpdate is the body of UpdateReportFilter: nil fields are left unchanged. Options
// and Query go together on the wire (options.query_token): when either is given, the options
// sent are Options (or the filter's own when nil) with Query (or the filter's own query).
type ReportFilterUpdate struct {
	Name         *string
	Formula      *string
	DataType     *string
	FormulaType  *string
	FilterType   *string
	ControlType  *string
	VariableType *string
	Query        *string
	Options      *map[string]any
	NextFilter   *string
}

func (u *ReportFilterUpdate) empty() bool {
	return u.Name == nil && u.Formula == nil && u.DataType == nil && u.FormulaType == nil && u.FilterType == nil &&
		u.ControlType == nil && u.VariableType == nil && u.Query == nil && u.Options == nil && u.NextFilter == nil
}

// reportFilterAttrs is the wire form of a filter write's attributes.
type reportFilterAttrs struct {
	Name            *string        `json:"name,omitempty"`
	Formula         *string        `json:"formula,omitempty"`
	DataType        *string        `json:"data_type,omitempty"`
	FormulaType     *string        `json:"formula_type,omitempty"`
	FilterType      *string        `json:"filter_type,omitempty"`
	ControlType     *string        `json:"control_type,omitempty"`
	VariableType    *string        `json:"variable_type,omitempty"`
	Options         map[string]any `json:"options,omitempty"`
	NextFilterToken *string        `json:"next_filter_token,omitempty"`
}

type reportFilterBody struct {
	ReportFilter reportFilterAttrs `json:"report_filter"`
}

// filterOptions returns options with query_token set to query (a new map).
func filterOptions(options map[string]any, query string) map[string]any {
	out := maps.Clone(options)
	if out == nil {
		out = map[string]any{}
	}
	out["query_token"] = query
	return out
}

func (f *ReportFilter) owner() (string, Links) { return "", f.Links }

func reportFiltersPath(ws, report string) *apiPath { return reportPath(ws, report).lit("filters") }

func reportFilterPath(ws, report, filter string) *apiPath {
	return reportFiltersPath(ws, report).tok("filter", filter)
}

// reportFilterPolicy caches a filter for the metadata TTL, tagged with its report, with the
// report's filter list (a write of any filter of the report may change its row_order) and with
// the query it reads (deleting the query deletes it).
func (c *Client) reportFilterPolicy(ws, report string) cachePolicy {
	return func(v any) (time.Duration, []string) {
		t := []string{reportScopeTag(ws, report), reportListTag(ws, report, "filters")}
		if f, _ := v.(*ReportFilter); f != nil && f.QueryToken() != "" {
			if p := queryPath(ws, report, f.QueryToken()); p.err == nil {
				t = append(t, apiPathOf(p))
			}
		}
		return c.metadataTTL, t
	}
}

// reportFilterWriteTags are what a write of a report's filter changes: the filter (the write's
// own path), the report's filter list and, through that list's tag, every filter of the report
// (placing, moving or deleting one renumbers the others' row_order). The report itself shows
// nothing of its filters but a constant link.
func reportFilterWriteTags(ws, report string) func(path string) []string {
	return tags(reportListTag(ws, report, "filters"))
}

// ListReportFiltersPage returns one page of a report's filters, in the report's order:
// GET /api/{workspace}/reports/{report}/filters.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListReportFiltersPage(ctx context.Context, workspace, report string, page int, opts *ListOptions) (*Page[ReportFilter], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(reportListTag(workspace, report, "filters"), reportScopeTag(workspace, report))
	return listPage[ReportFilter](ctx, c, reportFiltersPath(workspace, report), q, page, "report_filters", policy)
}

// ListReportFilters iterates over all of a report's filters, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListReportFilters(ctx context.Context, workspace, report string, opts *ListOptions) iter.Seq2[ReportFilter, error] {
	return listAll(func(page int) (*Page[ReportFilter], error) {
		return c.ListReportFiltersPage(ctx, workspace, report, page, opts)
	}, func(f ReportFilter) string { return f.Token })
}

// GetReportFilter returns one filter of a report:
// GET /api/{workspace}/reports/{report}/filters/{filter}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetReportFilter(ctx context.Context, workspace, report, filter string) (*ReportFilter, error) {
	return getJSON[ReportFilter](ctx, c, reportFilterPath(workspace, report, filter), nil, c.reportFilterPolicy(workspace, report))
}

// verifyReportFilter checks, before a write, that filter (of report) belongs to workspace, and
// returns it.
func (c *Client) verifyReportFilter(ctx context.Context, workspace, report, filter string) (*ReportFilter, error) {
	return c.GetReportFilter(ownerCheckContext(ctx), workspace, report, filter)
}

// CreateReportFilter adds a filter to a report: POST /api/{workspace}/reports/{report}/filters
// with {"report_filter": {…}}. Mode answers the filter (200). A query the report does not have,
// a column the query does not answer or a value Mode refuses is its *APIError (400). The query
// is read first (GetQuery; free when cached): a report or query of another workspace is not
// found and gains no filter (see checkOwner).
func (c *Client) CreateReportFilter(ctx context.Context, workspace, report string, in ReportFilterInput) (*ReportFilter, error) {
	if err := reportFiltersPath(workspace, report).err; err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{
		{"name", in.Name}, {"formula", in.Formula}, {"data_type", in.DataType}, {"formula_type", in.FormulaType},
		{"filter_type", in.FilterType}, {"control_type", in.ControlType}, {"variable_type", in.VariableType},
	} {
		if f.v == "" {
			return nil, &InvalidArgumentError{Field: f.name, Reason: "must not be empty"}
		}
	}
	if err := queryPath(workspace, report, in.Query).err; err != nil {
		return nil, err
	}
	if err := c.verifyQuery(ctx, workspace, report, in.Query); err != nil {
		return nil, err
	}
	body := reportFilterBody{reportFilterAttrs{
		Name: &in.Name, Formula: &in.Formula, DataType: &in.DataType, FormulaType: &in.FormulaType,
		FilterType: &in.FilterType, ControlType: &in.ControlType, VariableType: &in.VariableType,
		Options: filterOptions(in.Options, in.Query), NextFilterToken: in.NextFilter,
	}}
	var f ReportFilter
	if err := c.write(ctx, http.MethodPost, reportFiltersPath(workspace, report), body, &f,
		reportFilterWriteTags(workspace, report)); err != nil {
		return nil, err
	}
	return &f, nil
}

// UpdateReportFilter changes a filter: PATCH
// /api/{workspace}/reports/{report}/filters/{filter} with the attributes the update gives. The
// filter is read first (GetReportFilter; free when cached): one of another workspace is not
// found and is left as it is (see checkOwner); so is a new query, when the update names one.
func (c *Client) UpdateReportFilter(ctx context.Context, workspace, report, filter string, in ReportFilterUpdate) (*ReportFilter, error) {
	if err := reportFilterPath(workspace, report, filter).err; err != nil {
		return nil, err
	}
	if in.empty() {
		return nil, &InvalidArgumentError{Field: "report_filter", Reason: "nothing to update"}
	}
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"name", in.Name}, {"formula", in.Formula}, {"data_type", in.DataType}, {"formula_type", in.FormulaType},
		{"filter_type", in.FilterType}, {"control_type", in.ControlType}, {"variable_type", in.VariableType},
	} {
		if f.v != nil && *f.v == "" {
			return nil, &InvalidArgumentError{Field: f.name, Reason: "must not be empty"}
		}
	}
	if in.Query != nil {
		if err := queryPath(workspace, report, *in.Query).err; err != nil {
			return nil, err
		}
	}
	old, err := c.verifyReportFilter(ctx, workspace, report, filter)
	if err != nil {
		return nil, err
	}
	attrs := reportFilterAttrs{
		Name: in.Name, Formula: in.Formula, DataType: in.DataType, FormulaType: in.FormulaType,
		FilterType: in.FilterType, ControlType: in.ControlType, VariableType: in.VariableType, NextFilterToken: in.NextFilter,
	}
	if in.Query != nil || in.Options != nil {
		query, options := old.QueryToken(), map[string]any(old.Options)
		if in.Query != nil {
			if err := c.verifyQuery(ctx, workspace, report, *in.Query); err != nil {
				return nil, err
			}
			query = *in.Query
		}
		if in.Options != nil {
			options = *in.Options
		}
		attrs.Options = filterOptions(options, query)
	}
	var f ReportFilter
	if err := c.write(ctx, http.MethodPatch, reportFilterPath(workspace, report, filter), reportFilterBody{attrs}, &f,
		reportFilterWriteTags(workspace, report)); err != nil {
		return nil, err
	}
	return &f, nil
}

// DeleteReportFilter removes a filter: DELETE
// /api/{workspace}/reports/{report}/filters/{filter} (Mode answers the deleted filter). The
// filter is read first (GetReportFilter; free when cached): one of another workspace is not
// found and the DELETE is not sent.
func (c *Client) DeleteReportFilter(ctx context.Context, workspace, report, filter string) error {
	if err := reportFilterPath(workspace, report, filter).err; err != nil {
		return err
	}
	if _, err := c.verifyReportFilter(ctx, workspace, report, filter); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, reportFilterPath(workspace, report, filter), nil, new(ReportFilter),
		reportFilterWriteTags(workspace, report))
}
