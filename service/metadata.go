package service

import (
	"context"
	"strings"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Workspace-wide reads through Mode's Metadata API (/batch/{workspace}/…):
// every report, query, chart or space of a workspace, and every report's
// statistics, one Mode request per page of up to 1,000 objects (the
// client's per_page), instead of one list per space or report. These answers
// are the basic view (View): the fields the Metadata API gives. A report
// listed here answers a later GetReport(view=BASIC) from this process's
// cache (modeclient.GetReportBasic).

// workspaceWide reports whether parent is workspaces/{w} followed by suffix
// (a workspace-wide collection such as workspaces/{w}/reports/-), and
// returns w.
func workspaceWide(parent, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(parent, "workspaces/")
	if !ok {
		return "", false
	}
	w, ok := strings.CutSuffix(rest, suffix)
	if !ok || strings.Contains(w, "/") {
		return "", false
	}
	return w, true
}

// asPage is a Metadata API page as listPage reads Mode's pages.
func asPage[T any](p *modeclient.BatchPage[T], err error) (*modeclient.Page[T], error) {
	if err != nil {
		return nil, err
	}
	return &modeclient.Page[T]{Items: p.Items, Page: p.Page, NextPage: p.NextPage, TotalCount: p.TotalCount, TotalPages: p.TotalPages}, nil
}

// listWorkspaceWide runs a workspace-wide List of workspace w (already
// parsed from the request's parent): the request's rules, w's Mode client,
// the Metadata API's pages through fetch, each item translated.
func listWorkspaceWide[T, P any](ctx context.Context, c *core, req listRequest, w string,
	fetch func(ctx context.Context, cl *modeclient.Client, page int) (*modeclient.BatchPage[T], error),
	translate func(cl *modeclient.Client, item *T) P,
) (*pageResult[P], error) {
	if err := validated(req); err != nil {
		return nil, err
	}
	if !validWorkspaceID(w) {
		return nil, badName("parent", patWorkspace)
	}
	cl, err := c.client(ctx, w)
	if err != nil {
		return nil, err
	}
	page, err := listPage(ctx, c, req,
		func(ctx context.Context, modePage int) (*modeclient.Page[T], error) {
			return asPage(fetch(ctx, cl, modePage))
		},
		func(item *T) P { return translate(cl, item) })
	if err != nil {
		return nil, upstreamError(err, req.GetParent())
	}
	return page, nil
}

// listWorkspaceReports lists every report of workspace w, in the basic view.
func (s *ReportServer) listWorkspaceReports(ctx context.Context, m *modeplatformv1.ListReportsRequest, w string) (*connect.Response[modeplatformv1.ListReportsResponse], error) {
	page, err := listWorkspaceWide(ctx, s.core, m, w,
		func(ctx context.Context, cl *modeclient.Client, page int) (*modeclient.BatchPage[modeclient.BatchReport], error) {
			return cl.ListBatchReportsPage(ctx, w, page, nil)
		},
		func(cl *modeclient.Client, r *modeclient.BatchReport) *modeplatformv1.Report {
			return reportFromBasic(cl, w, r)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListReportsResponse{Reports: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// getReportBasic answers GetReport(view=BASIC).
func (s *ReportServer) getReportBasic(ctx context.Context, name string) (*connect.Response[modeplatformv1.GetReportResponse], error) {
	w, r, err := parseReportName("name", name)
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	b, err := cl.GetReportBasic(ctx, w, r)
	if err != nil {
		return nil, upstreamError(err, name)
	}
	return connect.NewResponse(&modeplatformv1.GetReportResponse{Report: reportFromBasic(cl, w, b)}), nil
}

// reportFromBasic translates the basic view of a report of workspace w: the
// fields View's comment lists, the same whether Mode's Metadata API or a
// full read gave them.
func reportFromBasic(cl *modeclient.Client, w string, r *modeclient.BatchReport) *modeplatformv1.Report {
	out := &modeplatformv1.Report{
		Name:                  reportName(w, r.Token),
		DisplayName:           r.Name,
		Description:           r.Description,
		CreateTime:            timestamp(r.CreatedAt),
		UpdateTime:            timestamp(r.UpdatedAt),
		EditTime:              timestamp(r.EditedAt),
		LastRunTime:           timestamp(r.LastRunAt),
		LastSuccessfulRunTime: timestamp(r.LastSuccessfullyRunAt),
		WebUri:                cl.ResolveURL(r.WebURL(w)),
	}
	if sp := string(r.SpaceToken); validToken(sp) {
		out.Space = spaceName(w, sp)
	}
	return out
}

// basicReport cuts a full report down to the basic view (ListReports of a
// space or a data source with view=BASIC).
func basicReport(r *modeplatformv1.Report) *modeplatformv1.Report {
	return &modeplatformv1.Report{
		Name:                  r.GetName(),
		DisplayName:           r.GetDisplayName(),
		Description:           r.GetDescription(),
		Space:                 r.GetSpace(),
		CreateTime:            r.GetCreateTime(),
		UpdateTime:            r.GetUpdateTime(),
		EditTime:              r.GetEditTime(),
		LastRunTime:           r.GetLastRunTime(),
		LastSuccessfulRunTime: r.GetLastSuccessfulRunTime(),
		WebUri:                r.GetWebUri(),
	}
}

// listWorkspaceQueries lists every query of every report of workspace w.
func (s *ReportServer) listWorkspaceQueries(ctx context.Context, m *modeplatformv1.ListQueriesRequest, w string) (*connect.Response[modeplatformv1.ListQueriesResponse], error) {
	page, err := listWorkspaceWide(ctx, s.core, m, w,
		func(ctx context.Context, cl *modeclient.Client, page int) (*modeclient.BatchPage[modeclient.BatchQuery], error) {
			return cl.ListBatchQueriesPage(ctx, w, page, nil)
		},
		func(_ *modeclient.Client, q *modeclient.BatchQuery) *modeplatformv1.Query {
			out := &modeplatformv1.Query{DisplayName: q.Name, Sql: q.RawQuery}
			if r := string(q.ReportToken); validToken(r) && validToken(q.Token) {
				out.Name = queryName(w, r, q.Token)
			}
			if d := string(q.DataSourceToken); validToken(d) {
				out.DataSource = dataSourceName(w, d)
			}
			return out
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListQueriesResponse{Queries: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// listWorkspaceCharts lists every chart of workspace w.
func (s *ReportServer) listWorkspaceCharts(ctx context.Context, m *modeplatformv1.ListChartsRequest, w string) (*connect.Response[modeplatformv1.ListChartsResponse], error) {
	page, err := listWorkspaceWide(ctx, s.core, m, w,
		func(ctx context.Context, cl *modeclient.Client, page int) (*modeclient.BatchPage[modeclient.BatchChart], error) {
			return cl.ListBatchChartsPage(ctx, w, page, nil)
		},
		func(cl *modeclient.Client, ch *modeclient.BatchChart) *modeplatformv1.Chart {
			out := &modeplatformv1.Chart{DisplayName: string(ch.ChartTitle), ChartType: string(ch.ChartType), WebUri: cl.ResolveURL(string(ch.ExplorationURL))}
			if r, q := string(ch.ReportToken), string(ch.QueryToken); validToken(r) && validToken(q) && validToken(ch.Token) {
				out.Name = resourceNameOf(patChart, w, r, q, ch.Token)
			}
			return out
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListChartsResponse{Charts: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// ListReportStats lists the statistics of every report of a workspace.
func (s *ReportServer) ListReportStats(ctx context.Context, req *connect.Request[modeplatformv1.ListReportStatsRequest]) (*connect.Response[modeplatformv1.ListReportStatsResponse], error) {
	w, ok := workspaceWide(req.Msg.GetParent(), "/reports/-")
	if !ok {
		return nil, badName("parent", "workspaces/{workspace}/reports/-")
	}
	page, err := listWorkspaceWide(ctx, s.core, req.Msg, w,
		func(ctx context.Context, cl *modeclient.Client, page int) (*modeclient.BatchPage[modeclient.BatchReportStat], error) {
			return cl.ListBatchReportStatsPage(ctx, w, page, nil)
		},
		func(_ *modeclient.Client, st *modeclient.BatchReportStat) *modeplatformv1.ReportStats {
			out := &modeplatformv1.ReportStats{
				ViewCount:               int64(st.ViewCount),
				ActiveScheduleCount:     clampInt32(st.ActiveSchedulesCount),
				ExplorationCount:        clampInt32(st.ExplorationsCount),
				RecentManualRunCreators: st.RecentManualRunCreatorsEmails,
				ScheduledRunCreators:    st.ScheduledRunCreatorsEmails,
				Editors:                 st.EditorsEmails,
			}
			if validToken(st.ReportToken) {
				out.Report = reportName(w, st.ReportToken)
				out.Name = resourceNameOf(patReportStats, w, st.ReportToken)
			}
			return out
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListReportStatsResponse{ReportStats: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// listSpacesBasic lists a workspace's spaces in the basic view; other
// members' personal spaces only with include_personal, as the full view.
func (s *WorkspaceServer) listSpacesBasic(ctx context.Context, m *modeplatformv1.ListSpacesRequest) (*connect.Response[modeplatformv1.ListSpacesResponse], error) {
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	page, err := listWorkspaceWide(ctx, s.core, m, w,
		func(ctx context.Context, cl *modeclient.Client, page int) (*modeclient.BatchPage[modeclient.BatchSpace], error) {
			return cl.ListBatchSpacesPage(ctx, w, page, nil)
		},
		func(cl *modeclient.Client, sp *modeclient.BatchSpace) *modeplatformv1.Space {
			return &modeplatformv1.Space{
				Name: spaceName(w, sp.Token), DisplayName: sp.Name, Description: sp.Description,
				SpaceType: spaceTypeOf(string(sp.SpaceType)), WebUri: cl.ResolveURL(sp.WebURL(w)),
			}
		})
	if err != nil {
		return nil, err
	}
	spaces := page.items[:0]
	for _, sp := range page.items {
		if m.GetIncludePersonal() || sp.GetSpaceType() != modeplatformv1.Space_SPACE_TYPE_PRIVATE {
			spaces = append(spaces, sp)
		}
	}
	return connect.NewResponse(&modeplatformv1.ListSpacesResponse{Spaces: spaces, NextPageToken: page.next, TotalSize: page.total}), nil
}
