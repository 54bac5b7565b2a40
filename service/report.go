package service

import (
	"context"
	"strconv"

	"connectrpc.com/connect"
	"go.einride.tech/aip/ordering"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Reports of ReportService: GetReport, ListReports, UpdateReport,
// DeleteReport, ArchiveReport and UnarchiveReport. Each handler parses its
// names and fields again (the protovalidate interceptor checked them
// already), so nothing unchecked reaches modeclient when a handler is called
// without the interceptor; then it calls modeclient, translates and maps
// Mode's errors. Runs live in run.go.

// Update mask paths UpdateReport accepts.
const (
	reportPathDisplayName = "display_name"
	reportPathDescription = "description"
	reportPathSpace       = "space"
)

// GetReport returns one report.
func (s *ReportServer) GetReport(ctx context.Context, req *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error) {
	if req.Msg.GetView() == modeplatformv1.View_VIEW_BASIC {
		return s.getReportBasic(ctx, req.Msg.GetName())
	}
	v, err := getOf(ctx, s.core, req.Msg, patReport,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Report, error) {
			return cl.GetReport(ctx, ids[0], ids[1])
		},
		func(cl *modeclient.Client, ids []string, v *modeclient.Report) *modeplatformv1.Report {
			return reportFromMode(cl, ids[0], ids[1], v)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetReportResponse{Report: v}), nil
}

// ListReports lists the reports of a space, or the reports whose queries use
// a data source, filtered by their archived flag and optionally ordered.
func (s *ReportServer) ListReports(ctx context.Context, req *connect.Request[modeplatformv1.ListReportsRequest]) (*connect.Response[modeplatformv1.ListReportsResponse], error) {
	m := req.Msg
	parent := m.GetParent()
	if w, ok := workspaceWide(parent, ""); ok {
		return s.listWorkspaceReports(ctx, m, w)
	}
	w, parentPattern, id, err := parseReportsParent(parent)
	if err != nil {
		return nil, err
	}
	if err := validated(m); err != nil { // page_size, page_token and the list's own fields
		return nil, err
	}
	filter, keep, err := reportArchivedFilter(m.GetArchivedFilter())
	if err != nil {
		return nil, err
	}
	order, orderBy, err := reportOrderFromRequest(m)
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	opts := &modeclient.ListReportsOptions{Filter: filter, Order: order, OrderBy: orderBy}
	// The page token is bound to the request as Mode reads it: the default
	// filter and ACTIVE, or `create_time` and `create_time asc`, share tokens.
	binding := proto.CloneOf(m)
	if binding.ArchivedFilter == modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_UNSPECIFIED {
		binding.ArchivedFilter = modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE
	}
	if orderBy != "" {
		binding.OrderBy = orderBy + " " + order
	}
	page, err := listPage(ctx, s.core, binding,
		func(ctx context.Context, modePage int) (*modeclient.Page[modeclient.Report], error) {
			if parentPattern == patDataSource {
				return cl.ListDataSourceReportsPage(ctx, w, id, modePage, opts)
			}
			return cl.ListSpaceReportsPage(ctx, w, id, modePage, opts)
		},
		func(r *modeclient.Report) *modeplatformv1.Report { return reportFromMode(cl, w, "", r) })
	if err != nil {
		return nil, upstreamError(err, parent)
	}
	// Mode's filter words select exactly what each ArchivedFilter asks for;
	// checking again costs nothing and keeps the answer right should Mode
	// ignore the filter on some list. Dropping items after paging keeps the
	// tokens right: they count Mode's items, not ours, and a page may hold
	// fewer than page_size items (AIP-158).
	reports := page.items[:0]
	for _, r := range page.items {
		if keep(r.GetArchived()) {
			if m.GetView() == modeplatformv1.View_VIEW_BASIC {
				r = basicReport(r)
			}
			reports = append(reports, r)
		}
	}
	return connect.NewResponse(&modeplatformv1.ListReportsResponse{
		Reports: reports, NextPageToken: page.next, TotalSize: page.total,
	}), nil
}

// UpdateReport changes the fields of a report named in update_mask: its
// title, its description, or its space (which moves it).
func (s *ReportServer) UpdateReport(ctx context.Context, req *connect.Request[modeplatformv1.UpdateReportRequest]) (*connect.Response[modeplatformv1.UpdateReportResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the mask's paths and the fields' limits
		return nil, err
	}
	in := m.GetReport()
	name := in.GetName()
	w, r, err := parseReportName("report.name", name)
	if err != nil {
		return nil, err
	}
	upd, err := reportUpdateFromMask(w, in, updatePaths(m.GetUpdateMask(), reportPathDisplayName, reportPathDescription, reportPathSpace))
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	rep, err := cl.UpdateReport(ctx, w, r, upd)
	if err != nil {
		if upd.SpaceToken != nil && connect.CodeOf(upstreamError(err, name)) == connect.CodeNotFound {
			// Mode answers 404 for a missing report and for a missing
			// target space alike: name the one that is missing (asking
			// Mode, not the cache, whether the report is there).
			if _, gerr := cl.GetReport(modeclient.WithCacheBypass(ctx), w, r); gerr == nil {
				return nil, upstreamError(err, in.GetSpace())
			}
		}
		return nil, upstreamError(err, name)
	}
	return connect.NewResponse(&modeplatformv1.UpdateReportResponse{Report: reportFromMode(cl, w, r, rep)}), nil
}

// DeleteReport deletes a report with its runs and queries.
func (s *ReportServer) DeleteReport(ctx context.Context, req *connect.Request[modeplatformv1.DeleteReportRequest]) (*connect.Response[modeplatformv1.DeleteReportResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patReport,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteReport(ctx, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteReportResponse{}), nil
}

// ArchiveReport archives a report; archiving an archived report changes
// nothing.
func (s *ReportServer) ArchiveReport(ctx context.Context, req *connect.Request[modeplatformv1.ArchiveReportRequest]) (*connect.Response[modeplatformv1.ArchiveReportResponse], error) {
	rep, err := s.setArchived(ctx, req.Msg.GetName(), true)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ArchiveReportResponse{Report: rep}), nil
}

// UnarchiveReport brings an archived report back; unarchiving an active
// report changes nothing.
func (s *ReportServer) UnarchiveReport(ctx context.Context, req *connect.Request[modeplatformv1.UnarchiveReportRequest]) (*connect.Response[modeplatformv1.UnarchiveReportResponse], error) {
	rep, err := s.setArchived(ctx, req.Msg.GetName(), false)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.UnarchiveReportResponse{Report: rep}), nil
}

// setArchived archives or unarchives the report name.
func (s *ReportServer) setArchived(ctx context.Context, name string, archived bool) (*modeplatformv1.Report, error) {
	w, r, err := parseReportName("name", name)
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	var rep *modeclient.Report
	if archived {
		rep, err = cl.ArchiveReport(ctx, w, r)
	} else {
		rep, err = cl.UnarchiveReport(ctx, w, r)
	}
	if err != nil {
		return nil, upstreamError(err, name)
	}
	return reportFromMode(cl, w, r, rep), nil
}

// parseReportName parses workspaces/{w}/reports/{r}.
func parseReportName(field, name string) (w, r string, err error) {
	ids, err := parseName(field, name, patReport)
	if err != nil {
		return "", "", err
	}
	return ids[0], ids[1], nil
}

// parseReportsParent parses ListReports' parent, a space or a data source:
// it returns the workspace, the parent's pattern (patSpace or
// patDataSource) and the token.
func parseReportsParent(parent string) (w, pattern, id string, err error) {
	for _, p := range []string{patSpace, patDataSource} {
		if ids, perr := parseName("parent", parent, p); perr == nil {
			return ids[0], p, ids[1], nil
		}
	}
	return "", "", "", badName("parent", patSpace, patDataSource)
}

// reportArchivedFilter maps an ArchivedFilter onto Mode's report list
// filter word ("" lists the reports not archived, "archived" the archived
// ones, "all" every report) and the check each listed report must pass.
func reportArchivedFilter(f modeplatformv1.ListReportsRequest_ArchivedFilter) (filter string, keep func(archived bool) bool, err error) {
	switch f {
	case modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_UNSPECIFIED, modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ACTIVE:
		return "", func(archived bool) bool { return !archived }, nil
	case modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ARCHIVED:
		return "archived", func(archived bool) bool { return archived }, nil
	case modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL:
		return "all", func(bool) bool { return true }, nil
	}
	return "", nil, invalidArgument("archived_filter", "must be one of ARCHIVED_FILTER_ACTIVE, ARCHIVED_FILTER_ARCHIVED or ARCHIVED_FILTER_ALL")
}

// reportOrderFromRequest maps the request's AIP-132 order_by, `create_time`
// or `update_time` optionally followed by `asc` (the default) or `desc`,
// onto Mode's order and order_by. An empty order_by keeps Mode's own order.
func reportOrderFromRequest(m ordering.Request) (order, orderBy string, err error) {
	modeField := map[string]string{"create_time": "created_at", "update_time": "updated_at"}
	ob, err := ordering.ParseOrderBy(m)
	if err == nil {
		err = ob.ValidateForPaths("create_time", "update_time")
	}
	if err != nil || len(ob.Fields) > 1 {
		return "", "", invalidArgument("order_by", `must be "create_time" or "update_time", optionally followed by " asc" or " desc"`)
	}
	if len(ob.Fields) == 0 {
		return "", "", nil
	}
	// Mode's own default order is descending: always say which.
	order = "asc"
	if ob.Fields[0].Desc {
		order = "desc"
	}
	return order, modeField[ob.Fields[0].Path], nil
}

// reportUpdateFromMask builds Mode's update body from the report fields
// named in paths (the request was validated: the paths are known, the values
// within the contract's limits). A new space must be in the report's
// workspace w.
func reportUpdateFromMask(w string, in *modeplatformv1.Report, paths []string) (modeclient.ReportUpdate, error) {
	var upd modeclient.ReportUpdate
	for _, p := range paths {
		switch p {
		case reportPathDisplayName:
			v := in.GetDisplayName()
			upd.Name = &v
		case reportPathDescription:
			v := in.GetDescription()
			upd.Description = &v
		case reportPathSpace:
			ids, err := parseName("report.space", in.GetSpace(), patSpace)
			if err != nil {
				return upd, err
			}
			if ids[0] != w {
				return upd, invalidArgument("report.space", "must be a space of the report's workspace "+strconv.Quote(w))
			}
			upd.SpaceToken = &ids[1]
		}
	}
	return upd, nil
}

// reportFromMode translates a Mode report of workspace w, read with cl.
// token is the report's token when the caller named it ("" for list items):
// Mode's own token wins, the caller's fills in should Mode leave it out.
func reportFromMode(cl *modeclient.Client, w, token string, r *modeclient.Report) *modeplatformv1.Report {
	if r.Token != "" {
		token = r.Token
	}
	out := &modeplatformv1.Report{
		Name:                  reportName(w, token),
		DisplayName:           r.Name,
		Description:           r.Description,
		Archived:              bool(r.Archived),
		Public:                bool(r.Public),
		RunPrivately:          bool(r.RunPrivately),
		ManualRunDisabled:     bool(r.ManualRunDisabled),
		CreateTime:            timestamp(r.CreatedAt),
		UpdateTime:            timestamp(r.UpdatedAt),
		EditTime:              timestamp(r.EditedAt),
		PublishTime:           timestamp(r.PublishedAt),
		LastRunTime:           timestamp(r.LastRunAt),
		LastSuccessfulRunTime: timestamp(r.LastSuccessfullyRunAt),
		QueryCount:            clampInt32(r.QueryCount),
		ChartCount:            clampInt32(r.ChartCount),
		RunCount:              clampInt32(r.RunsCount),
		ScheduleCount:         clampInt32(r.SchedulesCount),
		ViewCount:             clampInt32(r.ViewCount),
		WebUri:                cl.ResolveURL(r.WebURL()),
	}
	// A name is only made of tokens that could have come from a valid name.
	if validToken(r.SpaceToken) {
		out.Space = spaceName(w, r.SpaceToken)
	}
	if validToken(r.LastSuccessfulRunToken) {
		out.LastSuccessfulRun = runName(w, token, r.LastSuccessfulRunToken)
	}
	return out
}
