package service

import (
	"context"
	"encoding/json"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Charts of ReportService: ListCharts (a query's, or a workspace's through
// the Metadata API: see metadata.go) and GetChart.

// ListCharts lists the charts of a query, or every chart of a workspace
// (parent workspaces/{w}/reports/-/queries/-).
func (s *ReportServer) ListCharts(ctx context.Context, req *connect.Request[modeplatformv1.ListChartsRequest]) (*connect.Response[modeplatformv1.ListChartsResponse], error) {
	if w, ok := workspaceWide(req.Msg.GetParent(), "/reports/-/queries/-"); ok {
		return s.listWorkspaceCharts(ctx, req.Msg, w)
	}
	page, err := listOf(ctx, s.core, req.Msg, patQuery,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.Chart], error) {
			return cl.ListQueryChartsPage(ctx, ids[0], ids[1], ids[2], modePage, nil)
		},
		func(cl *modeclient.Client, ids []string, ch *modeclient.Chart) *modeplatformv1.Chart {
			return chartFromMode(cl, ids[0], ids[1], ids[2], ch)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListChartsResponse{Charts: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetChart returns one chart of a query.
func (s *ReportServer) GetChart(ctx context.Context, req *connect.Request[modeplatformv1.GetChartRequest]) (*connect.Response[modeplatformv1.GetChartResponse], error) {
	ch, err := getOf(ctx, s.core, req.Msg, patChart,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Chart, error) {
			return cl.GetChart(ctx, ids[0], ids[1], ids[2], ids[3])
		},
		func(cl *modeclient.Client, ids []string, ch *modeclient.Chart) *modeplatformv1.Chart {
			return chartFromMode(cl, ids[0], ids[1], ids[2], ch)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetChartResponse{Chart: ch}), nil
}

// chartFromMode translates a Mode chart of query q of report r in workspace
// w. Its settings are Mode's view: the selected type, icon and title and
// each type's settings.
func chartFromMode(cl *modeclient.Client, w, r, q string, ch *modeclient.Chart) *modeplatformv1.Chart {
	out := &modeplatformv1.Chart{
		Name:        resourceNameOf(patChart, w, r, q, ch.Token),
		DisplayName: ch.Title(),
		ChartType:   ch.Type(),
		CreateTime:  timestamp(ch.CreatedAt),
		UpdateTime:  timestamp(ch.UpdatedAt),
		WebUri:      cl.ResolveURL(ch.Links.Href("preview")),
	}
	view := map[string]any{}
	for key, v := range map[string]modeclient.String{"selectedChart": ch.View.SelectedChart, "chartIcon": ch.View.ChartIcon, "chartTitle": ch.View.ChartTitle} {
		if v != "" {
			view[key] = string(v)
		}
	}
	for key, raw := range ch.View.Settings {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			view[key] = v
		}
	}
	if len(view) > 0 {
		if st, err := structpb.NewStruct(view); err == nil {
			out.Settings = st
		}
	}
	return out
}
