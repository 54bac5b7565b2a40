package service

import (
	"context"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// DataSourceService: the database connections of a Mode workspace. Nothing
// about a connection's credentials is part of the contract: the translation
// below copies only the fields DataSource has.

// ListDataSources lists the data sources of a workspace that the caller's
// Mode credential can see.
func (s *DataSourceServer) ListDataSources(ctx context.Context, req *connect.Request[modeplatformv1.ListDataSourcesRequest]) (*connect.Response[modeplatformv1.ListDataSourcesResponse], error) {
	m := req.Msg
	ids, err := parseName("parent", m.GetParent(), collWorkspaces)
	if err != nil {
		return nil, err
	}
	if err := checkPaging(m.GetPageSize(), m.GetPageToken()); err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	page, err := listPage(ctx, s.core,
		pageRequest{size: m.GetPageSize(), token: m.GetPageToken(), binding: requestBinding("ListDataSources", workspaceName(w))},
		func(ctx context.Context, modePage int) (*modeclient.Page[modeclient.DataSource], error) {
			return cl.ListDataSourcesPage(ctx, w, modePage, nil)
		},
		func(d *modeclient.DataSource) *modeplatformv1.DataSource { return dataSourceFromMode(cl, w, d) })
	if err != nil {
		return nil, upstreamError(err, workspaceName(w))
	}
	return connect.NewResponse(&modeplatformv1.ListDataSourcesResponse{DataSources: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetDataSource returns one data source.
func (s *DataSourceServer) GetDataSource(ctx context.Context, req *connect.Request[modeplatformv1.GetDataSourceRequest]) (*connect.Response[modeplatformv1.GetDataSourceResponse], error) {
	ids, err := parseName("name", req.Msg.GetName(), collWorkspaces, collDataSources)
	if err != nil {
		return nil, err
	}
	w, token := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	d, err := cl.GetDataSource(ctx, w, token)
	if err != nil {
		return nil, upstreamError(err, dataSourceName(w, token))
	}
	return connect.NewResponse(&modeplatformv1.GetDataSourceResponse{DataSource: dataSourceFromMode(cl, w, d)}), nil
}

// dataSourceFromMode translates a data source of workspace w. The display
// name is Mode's display_name, else its name.
func dataSourceFromMode(cl *modeclient.Client, w string, d *modeclient.DataSource) *modeplatformv1.DataSource {
	display := d.DisplayName
	if display == "" {
		display = d.Name
	}
	var port int32
	if p := int64(d.Port); p > 0 && p <= 65535 {
		port = int32(p)
	}
	return &modeplatformv1.DataSource{
		Name:        dataSourceName(w, d.Token),
		DisplayName: display,
		Description: d.Description,
		Adapter:     d.Adapter,
		Vendor:      d.Vendor,
		Database:    d.Database,
		Host:        d.Host,
		Port:        port,
		Warehouse:   d.Warehouse,
		Queryable:   bool(d.Queryable),
		Public:      bool(d.Public),
		Asleep:      bool(d.Asleep),
		SoftDeleted: bool(d.SoftDeleted),
		CreateTime:  timestamp(d.CreatedAt),
		UpdateTime:  timestamp(d.UpdatedAt),
		WebUri:      cl.ResolveURL(d.WebURL()),
	}
}
