package service

import (
	"context"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Definitions of DataSourceService: ListDefinitions, GetDefinition,
// CreateDefinition, UpdateDefinition and DeleteDefinition. Mode names a
// definition's data source by its numeric id; the contract by its resource
// name: queryDataSources maps one to the other, as for queries.

// Update mask paths UpdateDefinition accepts.
const (
	definitionPathDisplayName = "display_name"
	definitionPathDescription = "description"
	definitionPathSQL         = "sql"
	definitionPathDataSource  = "data_source"
)

// ListDefinitions lists a workspace's definitions.
func (s *DataSourceServer) ListDefinitions(ctx context.Context, req *connect.Request[modeplatformv1.ListDefinitionsRequest]) (*connect.Response[modeplatformv1.ListDefinitionsResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	dsx := newQueryDataSources(cl, w)
	page, err := listPage(ctx, s.core, m,
		func(ctx context.Context, modePage int) (*modeclient.Page[modeclient.Definition], error) {
			p, err := cl.ListDefinitionsPage(ctx, w, modePage, nil)
			if err != nil {
				return nil, err
			}
			for i := range p.Items { // translate cannot call Mode: learn the data sources first
				if err := dsx.learn(ctx, int64(p.Items[i].DataSourceID)); err != nil {
					return nil, err
				}
			}
			return p, nil
		},
		func(d *modeclient.Definition) *modeplatformv1.Definition { return definitionFromMode(w, d, dsx) })
	if err != nil {
		return nil, upstreamError(err, m.GetParent())
	}
	return connect.NewResponse(&modeplatformv1.ListDefinitionsResponse{Definitions: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetDefinition returns one definition.
func (s *DataSourceServer) GetDefinition(ctx context.Context, req *connect.Request[modeplatformv1.GetDefinitionRequest]) (*connect.Response[modeplatformv1.GetDefinitionResponse], error) {
	name := req.Msg.GetName()
	ids, err := parseName("name", name, patDefinition)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	d, err := cl.GetDefinition(ctx, w, ids[1])
	if err != nil {
		return nil, upstreamError(err, name)
	}
	dsx := newQueryDataSources(cl, w)
	if err := dsx.learn(ctx, int64(d.DataSourceID)); err != nil {
		return nil, upstreamError(err, workspaceName(w)+"/dataSources")
	}
	return connect.NewResponse(&modeplatformv1.GetDefinitionResponse{Definition: definitionFromMode(w, d, dsx)}), nil
}

// CreateDefinition adds a definition to a workspace. A request_id makes it
// safe to retry: within the de-duplication window the same id answers the
// definition the first call created.
func (s *DataSourceServer) CreateDefinition(ctx context.Context, req *connect.Request[modeplatformv1.CreateDefinitionRequest]) (*connect.Response[modeplatformv1.CreateDefinitionResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // display_name, sql and data_source required; request_id
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	in := m.GetDefinition()
	dsToken, err := parseDataSourceIn("definition.data_source", w, in.GetDataSource())
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	fingerprint := requestFingerprint("CreateDefinition", m.GetParent(), in.GetDisplayName(), in.GetDescription(), in.GetSql(), in.GetDataSource())
	created, err := do(ctx, s.core.creates, "CreateDefinition\x00"+w, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.Definition, error) {
			dsID, err := dataSourceID(ctx, cl, "definition.data_source", w, dsToken, in.GetDataSource())
			if err != nil {
				return nil, err
			}
			d, err := cl.CreateDefinition(ctx, w, modeclient.DefinitionCreate{
				Name: in.GetDisplayName(), Description: in.GetDescription(), Source: in.GetSql(), DataSourceID: dsID,
			})
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			dsx := newQueryDataSources(cl, w)
			dsx.add(dsID, dsToken)
			return definitionFromMode(w, d, dsx), nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.CreateDefinitionResponse{Definition: created}), nil
}

// UpdateDefinition changes the fields of a definition named in update_mask.
func (s *DataSourceServer) UpdateDefinition(ctx context.Context, req *connect.Request[modeplatformv1.UpdateDefinitionRequest]) (*connect.Response[modeplatformv1.UpdateDefinitionResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the mask's paths; required fields not set to empty
		return nil, err
	}
	in := m.GetDefinition()
	ids, err := parseName("definition.name", in.GetName(), patDefinition)
	if err != nil {
		return nil, err
	}
	w, token := ids[0], ids[1]
	var upd modeclient.DefinitionUpdate
	dsToken := ""
	for _, p := range updatePaths(m.GetUpdateMask(), definitionPathDisplayName, definitionPathDescription, definitionPathSQL, definitionPathDataSource) {
		switch p {
		case definitionPathDisplayName:
			v := in.GetDisplayName()
			upd.Name = &v
		case definitionPathDescription:
			v := in.GetDescription()
			upd.Description = &v
		case definitionPathSQL:
			v := in.GetSql()
			upd.Source = &v
		case definitionPathDataSource:
			if dsToken, err = parseDataSourceIn("definition.data_source", w, in.GetDataSource()); err != nil {
				return nil, err
			}
		}
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	dsx := newQueryDataSources(cl, w)
	if dsToken != "" {
		id, err := dataSourceID(ctx, cl, "definition.data_source", w, dsToken, in.GetDataSource())
		if err != nil {
			return nil, err
		}
		upd.DataSourceID = &id
		dsx.add(id, dsToken)
	}
	d, err := cl.UpdateDefinition(ctx, w, token, upd)
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	if err := dsx.learn(ctx, int64(d.DataSourceID)); err != nil {
		// The change is made: answer it without the data source rather
		// than report a write that happened as failed.
		s.core.log.WarnContext(ctx, "UpdateDefinition: cannot name the definition's data source", "definition", in.GetName(), "error", err)
	}
	return connect.NewResponse(&modeplatformv1.UpdateDefinitionResponse{Definition: definitionFromMode(w, d, dsx)}), nil
}

// DeleteDefinition deletes a definition.
func (s *DataSourceServer) DeleteDefinition(ctx context.Context, req *connect.Request[modeplatformv1.DeleteDefinitionRequest]) (*connect.Response[modeplatformv1.DeleteDefinitionResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patDefinition,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteDefinition(ctx, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteDefinitionResponse{}), nil
}

// definitionFromMode translates a Mode definition of workspace w.
func definitionFromMode(w string, d *modeclient.Definition, dsx *queryDataSources) *modeplatformv1.Definition {
	out := &modeplatformv1.Definition{
		DisplayName:  d.Name,
		Description:  d.Description,
		Sql:          d.Source,
		DataSource:   dsx.name(int64(d.DataSourceID)),
		CreateTime:   timestamp(d.CreatedAt),
		UpdateTime:   timestamp(d.UpdatedAt),
		LastSyncTime: timestamp(d.LastSuccessfulSyncAt),
		GithubUri:    string(d.GithubLink),
	}
	if validToken(d.Token) {
		out.Name = resourceNameOf(patDefinition, w, d.Token)
	}
	return out
}
