package service

import (
	"context"
	"fmt"
	"maps"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Report filters of ReportService: ListReportFilters, GetReportFilter,
// CreateReportFilter, UpdateReportFilter and DeleteReportFilter. A filter's
// query travels in Mode's options (options.query_token); the contract gives
// it its own field and keeps it out of `options`.

// Update mask paths UpdateReportFilter accepts.
const (
	filterPathDisplayName  = "display_name"
	filterPathFormula      = "formula"
	filterPathDataType     = "data_type"
	filterPathFormulaType  = "formula_type"
	filterPathFilterType   = "filter_type"
	filterPathControlType  = "control_type"
	filterPathVariableType = "variable_type"
	filterPathQuery        = "query"
	filterPathOptions      = "options"
)

// filterQueryOption is the key of Mode's options that names the filter's
// query.
const filterQueryOption = "query_token"

// Mode's words for the filter enums.
var (
	filterTypes = map[modeplatformv1.ReportFilter_FilterType]string{
		modeplatformv1.ReportFilter_FILTER_TYPE_SINGLE: "SINGLE",
		modeplatformv1.ReportFilter_FILTER_TYPE_MULTI:  "MULTI",
		modeplatformv1.ReportFilter_FILTER_TYPE_RANGE:  "RANGE",
	}
	controlTypes = map[modeplatformv1.ReportFilter_ControlType]string{
		modeplatformv1.ReportFilter_CONTROL_TYPE_LIST:     "LIST",
		modeplatformv1.ReportFilter_CONTROL_TYPE_DROPDOWN: "DROPDOWN",
		modeplatformv1.ReportFilter_CONTROL_TYPE_RANGE:    "RANGE",
	}
	variableTypes = map[modeplatformv1.ReportFilter_VariableType]string{
		modeplatformv1.ReportFilter_VARIABLE_TYPE_CONTINUOUS: "CONTINUOUS",
		modeplatformv1.ReportFilter_VARIABLE_TYPE_DISCRETE:   "DISCRETE",
	}
)

// fromModeWord returns the enum value whose Mode word is word, or the zero
// value.
func fromModeWord[E comparable](words map[E]string, word string) E {
	for e, w := range words {
		if w == word {
			return e
		}
	}
	var zero E
	return zero
}

// ListReportFilters lists a report's filters, in the report's order.
func (s *ReportServer) ListReportFilters(ctx context.Context, req *connect.Request[modeplatformv1.ListReportFiltersRequest]) (*connect.Response[modeplatformv1.ListReportFiltersResponse], error) {
	page, err := listOf(ctx, s.core, req.Msg, patReport,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.ReportFilter], error) {
			return cl.ListReportFiltersPage(ctx, ids[0], ids[1], modePage, nil)
		},
		func(_ *modeclient.Client, ids []string, f *modeclient.ReportFilter) *modeplatformv1.ReportFilter {
			return reportFilterFromMode(ids[0], ids[1], f)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListReportFiltersResponse{ReportFilters: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetReportFilter returns one filter of a report.
func (s *ReportServer) GetReportFilter(ctx context.Context, req *connect.Request[modeplatformv1.GetReportFilterRequest]) (*connect.Response[modeplatformv1.GetReportFilterResponse], error) {
	f, err := getOf(ctx, s.core, req.Msg, patReportFilter,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.ReportFilter, error) {
			return cl.GetReportFilter(ctx, ids[0], ids[1], ids[2])
		},
		func(_ *modeclient.Client, ids []string, f *modeclient.ReportFilter) *modeplatformv1.ReportFilter {
			return reportFilterFromMode(ids[0], ids[1], f)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetReportFilterResponse{ReportFilter: f}), nil
}

// CreateReportFilter adds a filter to a report. A request_id makes it safe
// to retry: within the de-duplication window the same id answers the filter
// the first call created.
func (s *ReportServer) CreateReportFilter(ctx context.Context, req *connect.Request[modeplatformv1.CreateReportFilterRequest]) (*connect.Response[modeplatformv1.CreateReportFilterResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // every required field; enums defined
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patReport)
	if err != nil {
		return nil, err
	}
	w, r := ids[0], ids[1]
	in := m.GetReportFilter()
	queryToken, err := parseFilterQuery(w, r, in.GetQuery())
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	create := modeclient.ReportFilterInput{
		Name:         in.GetDisplayName(),
		Formula:      in.GetFormula(),
		DataType:     in.GetDataType(),
		FormulaType:  in.GetFormulaType(),
		FilterType:   filterTypes[in.GetFilterType()],
		ControlType:  controlTypes[in.GetControlType()],
		VariableType: variableTypes[in.GetVariableType()],
		Query:        queryToken,
		Options:      filterOptionsToMode(in.GetOptions()),
	}
	options, err := in.GetOptions().MarshalJSON() // nil options encode as {}
	if err != nil {
		return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("CreateReportFilter: encoding the options: %w", err))
	}
	fingerprint := requestFingerprint("CreateReportFilter", m.GetParent(), create.Name, create.Formula, create.DataType,
		create.FormulaType, create.FilterType, create.ControlType, create.VariableType, create.Query, string(options))
	res, err := do(ctx, s.core.creates, "CreateReportFilter\x00"+w, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.CreateReportFilterResponse, error) {
			f, err := cl.CreateReportFilter(ctx, w, r, create)
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.CreateReportFilterResponse{ReportFilter: reportFilterFromMode(w, r, f)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// UpdateReportFilter changes the fields of a filter named in update_mask.
func (s *ReportServer) UpdateReportFilter(ctx context.Context, req *connect.Request[modeplatformv1.UpdateReportFilterRequest]) (*connect.Response[modeplatformv1.UpdateReportFilterResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the mask's paths; required fields not set to empty
		return nil, err
	}
	in := m.GetReportFilter()
	ids, err := parseName("report_filter.name", in.GetName(), patReportFilter)
	if err != nil {
		return nil, err
	}
	w, r, token := ids[0], ids[1], ids[2]
	var upd modeclient.ReportFilterUpdate
	str := func(v string) *string { return &v }
	for _, p := range updatePaths(m.GetUpdateMask(), filterPathDisplayName, filterPathFormula, filterPathDataType, filterPathFormulaType,
		filterPathFilterType, filterPathControlType, filterPathVariableType, filterPathQuery, filterPathOptions) {
		switch p {
		case filterPathDisplayName:
			upd.Name = str(in.GetDisplayName())
		case filterPathFormula:
			upd.Formula = str(in.GetFormula())
		case filterPathDataType:
			upd.DataType = str(in.GetDataType())
		case filterPathFormulaType:
			upd.FormulaType = str(in.GetFormulaType())
		case filterPathFilterType:
			upd.FilterType = str(filterTypes[in.GetFilterType()])
		case filterPathControlType:
			upd.ControlType = str(controlTypes[in.GetControlType()])
		case filterPathVariableType:
			upd.VariableType = str(variableTypes[in.GetVariableType()])
		case filterPathQuery:
			q, err := parseFilterQuery(w, r, in.GetQuery())
			if err != nil {
				return nil, err
			}
			upd.Query = &q
		case filterPathOptions:
			opts := filterOptionsToMode(in.GetOptions())
			if opts == nil {
				opts = map[string]any{} // clears them
			}
			upd.Options = &opts
		}
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	f, err := cl.UpdateReportFilter(ctx, w, r, token, upd)
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	return connect.NewResponse(&modeplatformv1.UpdateReportFilterResponse{ReportFilter: reportFilterFromMode(w, r, f)}), nil
}

// DeleteReportFilter deletes a filter of a report.
func (s *ReportServer) DeleteReportFilter(ctx context.Context, req *connect.Request[modeplatformv1.DeleteReportFilterRequest]) (*connect.Response[modeplatformv1.DeleteReportFilterResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patReportFilter,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteReportFilter(ctx, ids[0], ids[1], ids[2])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteReportFilterResponse{}), nil
}

// parseFilterQuery parses a filter's query and checks that it is a query of
// the filter's report r in workspace w; it returns the query's token.
func parseFilterQuery(w, r, name string) (string, error) {
	ids, err := parseName("report_filter.query", name, patQuery)
	if err != nil {
		return "", err
	}
	if ids[0] != w || ids[1] != r {
		return "", invalidArgument("report_filter.query", "must be a query of the filter's report "+reportName(w, r))
	}
	return ids[2], nil
}

// filterOptionsToMode returns the options to send Mode, without the query
// (which has its own field); nil when there are none.
func filterOptionsToMode(opts *structpb.Struct) map[string]any {
	if len(opts.GetFields()) == 0 {
		return nil
	}
	out := opts.AsMap()
	delete(out, filterQueryOption)
	if len(out) == 0 {
		return nil
	}
	return out
}

// reportFilterFromMode translates a Mode filter of report r in workspace w.
func reportFilterFromMode(w, r string, f *modeclient.ReportFilter) *modeplatformv1.ReportFilter {
	out := &modeplatformv1.ReportFilter{
		Name:                   reportFilterName(w, r, f.Token),
		DisplayName:            f.Name,
		Formula:                f.Formula,
		DataType:               string(f.DataType),
		FormulaType:            string(f.FormulaType),
		FilterType:             fromModeWord(filterTypes, string(f.FilterType)),
		ControlType:            fromModeWord(controlTypes, string(f.ControlType)),
		VariableType:           fromModeWord(variableTypes, string(f.VariableType)),
		Position:               clampInt32(max(int64(f.RowOrder)-1, 0)), // Mode counts from 1
		HideSelectAll:          bool(f.HideSelectAll),
		ShowRelevantValuesOnly: bool(f.ShowRelevantValuesOnly),
		CreateTime:             timestamp(f.CreatedAt),
		UpdateTime:             timestamp(f.UpdatedAt),
	}
	if q := f.QueryToken(); validToken(q) {
		out.Query = queryName(w, r, q)
	}
	opts := maps.Clone(map[string]any(f.Options)) // the cache's map stays as it is
	delete(opts, filterQueryOption)
	if len(opts) > 0 {
		if st, err := structpb.NewStruct(opts); err == nil {
			out.Options = st
		}
	}
	return out
}

// reportFilterName formats a filter's resource name.
func reportFilterName(w, r, f string) string { return resourceNameOf(patReportFilter, w, r, f) }
