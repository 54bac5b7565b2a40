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
	page, err := listOf(ctx, s.core, req.Msg, patWorkspace,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.DataSource], error) {
			return cl.ListDataSourcesPage(ctx, ids[0], modePage, nil)
		},
		func(cl *modeclient.Client, ids []string, d *modeclient.DataSource) *modeplatformv1.DataSource {
			return dataSourceFromMode(cl, ids[0], d)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListDataSourcesResponse{DataSources: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetDataSource returns one data source.
func (s *DataSourceServer) GetDataSource(ctx context.Context, req *connect.Request[modeplatformv1.GetDataSourceRequest]) (*connect.Response[modeplatformv1.GetDataSourceResponse], error) {
	v, err := getOf(ctx, s.core, req.Msg, patDataSource,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.DataSource, error) {
			return cl.GetDataSource(ctx, ids[0], ids[1])
		},
		func(cl *modeclient.Client, ids []string, v *modeclient.DataSource) *modeplatformv1.DataSource {
			return dataSourceFromMode(cl, ids[0], v)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetDataSourceResponse{DataSource: v}), nil
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
