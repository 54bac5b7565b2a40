package service

import (
	"context"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// DatasetService: Mode's datasets, their runs, fields, field descriptions
// and lineage. Mode keeps a dataset as a report of its own kind: a dataset
// run is a report run of the dataset's token, whose query runs and results
// ReportService reads (DatasetRun.report_run).

// Update mask paths UpdateDataset accepts.
const (
	datasetPathDisplayName = "display_name"
	datasetPathDescription = "description"
)

// GetDataset returns one dataset.
func (s *DatasetServer) GetDataset(ctx context.Context, req *connect.Request[modeplatformv1.GetDatasetRequest]) (*connect.Response[modeplatformv1.GetDatasetResponse], error) {
	d, err := getOf(ctx, s.core, req.Msg, patDataset,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Dataset, error) {
			return cl.GetDataset(ctx, ids[0], ids[1])
		}, datasetFromModeIDs)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetDatasetResponse{Dataset: d}), nil
}

// ListDatasets lists the datasets of a space, or the datasets that use a
// data source, optionally ordered.
func (s *DatasetServer) ListDatasets(ctx context.Context, req *connect.Request[modeplatformv1.ListDatasetsRequest]) (*connect.Response[modeplatformv1.ListDatasetsResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	parent := m.GetParent()
	pattern := patSpace
	if strings.Contains(parent, "/dataSources/") {
		pattern = patDataSource
	}
	ids, err := parseName("parent", parent, pattern)
	if err != nil {
		return nil, err
	}
	order, orderBy, err := reportOrderFromRequest(m)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	opts := &modeclient.ListReportsOptions{Order: order, OrderBy: orderBy}
	binding := proto.CloneOf(m) // `create_time` and `create_time asc` share tokens
	if orderBy != "" {
		binding.OrderBy = orderBy + " " + order
	}
	page, err := listPage(ctx, s.core, binding,
		func(ctx context.Context, modePage int) (*modeclient.Page[modeclient.Dataset], error) {
			if pattern == patDataSource {
				return cl.ListDataSourceDatasetsPageWithOptions(ctx, w, ids[1], modePage, opts)
			}
			return cl.ListSpaceDatasetsPageWithOptions(ctx, w, ids[1], modePage, opts)
		},
		func(d *modeclient.Dataset) *modeplatformv1.Dataset { return datasetFromMode(cl, w, d) })
	if err != nil {
		return nil, upstreamError(err, parent)
	}
	return connect.NewResponse(&modeplatformv1.ListDatasetsResponse{Datasets: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// UpdateDataset changes a dataset's title or description.
func (s *DatasetServer) UpdateDataset(ctx context.Context, req *connect.Request[modeplatformv1.UpdateDatasetRequest]) (*connect.Response[modeplatformv1.UpdateDatasetResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // the mask's paths; the title not set to empty
		return nil, err
	}
	in := m.GetDataset()
	ids, err := parseName("dataset.name", in.GetName(), patDataset)
	if err != nil {
		return nil, err
	}
	var upd modeclient.DatasetUpdate
	for _, p := range updatePaths(m.GetUpdateMask(), datasetPathDisplayName, datasetPathDescription) {
		switch p {
		case datasetPathDisplayName:
			v := in.GetDisplayName()
			upd.Name = &v
		case datasetPathDescription:
			v := in.GetDescription()
			upd.Description = &v
		}
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	d, err := cl.UpdateDataset(ctx, w, ids[1], upd)
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	return connect.NewResponse(&modeplatformv1.UpdateDatasetResponse{Dataset: datasetFromMode(cl, w, d)}), nil
}

// DeleteDataset deletes a dataset.
func (s *DatasetServer) DeleteDataset(ctx context.Context, req *connect.Request[modeplatformv1.DeleteDatasetRequest]) (*connect.Response[modeplatformv1.DeleteDatasetResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patDataset,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteDataset(ctx, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteDatasetResponse{}), nil
}

// datasetReportsRequest reads ListDatasetReportsRequest as a list of the
// dataset's reports: its name is the list's parent.
type datasetReportsRequest struct {
	*modeplatformv1.ListDatasetReportsRequest
}

func (r datasetReportsRequest) GetParent() string { return r.GetName() }

// ListDatasetReports lists the reports built on a dataset (its lineage).
func (s *DatasetServer) ListDatasetReports(ctx context.Context, req *connect.Request[modeplatformv1.ListDatasetReportsRequest]) (*connect.Response[modeplatformv1.ListDatasetReportsResponse], error) {
	page, err := listOf(ctx, s.core, datasetReportsRequest{req.Msg}, patDataset,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.Report], error) {
			return cl.ListDatasetReportsPage(ctx, ids[0], ids[1], modePage, nil)
		},
		func(cl *modeclient.Client, ids []string, r *modeclient.Report) *modeplatformv1.Report {
			return reportFromMode(cl, ids[0], "", r)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListDatasetReportsResponse{Reports: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// RunDataset starts a run of a dataset. A request_id makes it safe to
// retry: within the de-duplication window the same id answers the first
// call's run.
func (s *DatasetServer) RunDataset(ctx context.Context, req *connect.Request[modeplatformv1.RunDatasetRequest]) (*connect.Response[modeplatformv1.RunDatasetResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	name := m.GetName()
	ids, err := parseName("name", name, patDataset)
	if err != nil {
		return nil, err
	}
	w, d := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx, s.core.creates, "RunDataset\x00"+w+"/"+d, m.GetRequestId(), requestFingerprint("RunDataset", name),
		func(ctx context.Context) (*modeplatformv1.RunDatasetResponse, error) {
			run, err := cl.RunDataset(ctx, w, d)
			if err != nil {
				return nil, upstreamError(err, name)
			}
			return &modeplatformv1.RunDatasetResponse{Run: datasetRunFromMode(w, d, run)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// GetDatasetRun returns one run of a dataset.
func (s *DatasetServer) GetDatasetRun(ctx context.Context, req *connect.Request[modeplatformv1.GetDatasetRunRequest]) (*connect.Response[modeplatformv1.GetDatasetRunResponse], error) {
	run, err := getOf(ctx, s.core, req.Msg, patDatasetRun,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.DatasetRun, error) {
			return cl.GetDatasetRun(ctx, ids[0], ids[1], ids[2])
		},
		func(_ *modeclient.Client, ids []string, run *modeclient.DatasetRun) *modeplatformv1.DatasetRun {
			return datasetRunFromMode(ids[0], ids[1], run)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetDatasetRunResponse{Run: run}), nil
}

// ListDatasetRuns lists a dataset's runs, newest first.
func (s *DatasetServer) ListDatasetRuns(ctx context.Context, req *connect.Request[modeplatformv1.ListDatasetRunsRequest]) (*connect.Response[modeplatformv1.ListDatasetRunsResponse], error) {
	page, err := listOf(ctx, s.core, req.Msg, patDataset,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.DatasetRun], error) {
			return cl.ListDatasetRunsPage(ctx, ids[0], ids[1], modePage, nil)
		},
		func(_ *modeclient.Client, ids []string, run *modeclient.DatasetRun) *modeplatformv1.DatasetRun {
			return datasetRunFromMode(ids[0], ids[1], run)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListDatasetRunsResponse{Runs: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// WatchDatasetRun streams a dataset run as WatchReportRun streams a report
// run: as it is, then on each state change, ending after a terminal state.
func (s *DatasetServer) WatchDatasetRun(ctx context.Context, req *connect.Request[modeplatformv1.WatchDatasetRunRequest], stream *connect.ServerStream[modeplatformv1.WatchDatasetRunResponse]) error {
	name := req.Msg.GetName()
	ids, err := parseName("name", name, patDatasetRun)
	if err != nil {
		return err
	}
	w, d, run := ids[0], ids[1], ids[2]
	sc, ctx := s.core.startStream(ctx)
	defer sc.end()
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return err
	}
	return watchRun(ctx, s.core, sc, cl, name,
		func(ctx context.Context) (*modeclient.DatasetRun, error) { return cl.GetDatasetRun(ctx, w, d, run) },
		func(cur *modeclient.DatasetRun) error {
			return sc.send(func() error {
				return stream.Send(&modeplatformv1.WatchDatasetRunResponse{Run: datasetRunFromMode(w, d, cur)})
			})
		})
}

// ListDatasetFields lists a dataset's fields with their descriptions: the
// fields' page, and the dataset's descriptions (one cached list) to name
// each description's resource.
func (s *DatasetServer) ListDatasetFields(ctx context.Context, req *connect.Request[modeplatformv1.ListDatasetFieldsRequest]) (*connect.Response[modeplatformv1.ListDatasetFieldsResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patDataset)
	if err != nil {
		return nil, err
	}
	w, d := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	described := map[string]*modeclient.FieldDescription{}
	page, err := listPage(ctx, s.core, m,
		func(ctx context.Context, modePage int) (*modeclient.Page[modeclient.DatasetField], error) {
			p, err := cl.ListDatasetFieldsPage(ctx, w, d, modePage, nil)
			if err != nil || len(described) > 0 {
				return p, err
			}
			for fd, err := range cl.ListDatasetFieldDescriptions(ctx, w, d, nil) {
				if err != nil {
					return nil, err
				}
				described[fd.Name] = &fd
			}
			return p, nil
		},
		func(f *modeclient.DatasetField) *modeplatformv1.DatasetField {
			out := &modeplatformv1.DatasetField{
				Column:      f.Name,
				Type:        columnTypeOfMode(f.Type),
				ModeType:    f.Type,
				Description: f.Description,
			}
			if fd := described[f.Name]; fd != nil && validToken(fd.Token) {
				out.Description = fd.Description
				out.FieldDescription = resourceNameOf(patFieldDesc, w, d, fd.Token)
			}
			return out
		})
	if err != nil {
		return nil, upstreamError(err, m.GetParent())
	}
	return connect.NewResponse(&modeplatformv1.ListDatasetFieldsResponse{Fields: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// ListFieldDescriptions lists the descriptions of a dataset's fields.
func (s *DatasetServer) ListFieldDescriptions(ctx context.Context, req *connect.Request[modeplatformv1.ListFieldDescriptionsRequest]) (*connect.Response[modeplatformv1.ListFieldDescriptionsResponse], error) {
	page, err := listOf(ctx, s.core, req.Msg, patDataset,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.FieldDescription], error) {
			return cl.ListDatasetFieldDescriptionsPage(ctx, ids[0], ids[1], modePage, nil)
		},
		func(_ *modeclient.Client, ids []string, fd *modeclient.FieldDescription) *modeplatformv1.FieldDescription {
			return fieldDescriptionFromMode(ids[0], ids[1], fd)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListFieldDescriptionsResponse{FieldDescriptions: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// CreateFieldDescription describes a field of a dataset. A request_id makes
// it safe to retry.
func (s *DatasetServer) CreateFieldDescription(ctx context.Context, req *connect.Request[modeplatformv1.CreateFieldDescriptionRequest]) (*connect.Response[modeplatformv1.CreateFieldDescriptionResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // column and description required; request_id
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patDataset)
	if err != nil {
		return nil, err
	}
	w, d := ids[0], ids[1]
	in := m.GetFieldDescription()
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	fingerprint := requestFingerprint("CreateFieldDescription", m.GetParent(), in.GetColumn(), in.GetDescription())
	res, err := do(ctx, s.core.creates, "CreateFieldDescription\x00"+w, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.CreateFieldDescriptionResponse, error) {
			fd, err := cl.CreateDatasetFieldDescription(ctx, w, d, in.GetColumn(), in.GetDescription())
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.CreateFieldDescriptionResponse{FieldDescription: fieldDescriptionFromMode(w, d, fd)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// UpdateFieldDescription changes a field's description.
func (s *DatasetServer) UpdateFieldDescription(ctx context.Context, req *connect.Request[modeplatformv1.UpdateFieldDescriptionRequest]) (*connect.Response[modeplatformv1.UpdateFieldDescriptionResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // description or *; not empty
		return nil, err
	}
	in := m.GetFieldDescription()
	ids, err := parseName("field_description.name", in.GetName(), patFieldDesc)
	if err != nil {
		return nil, err
	}
	w, d := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	fd, err := cl.UpdateDatasetFieldDescription(ctx, w, d, ids[2], in.GetDescription())
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	return connect.NewResponse(&modeplatformv1.UpdateFieldDescriptionResponse{FieldDescription: fieldDescriptionFromMode(w, d, fd)}), nil
}

// DeleteFieldDescription deletes a field's description.
func (s *DatasetServer) DeleteFieldDescription(ctx context.Context, req *connect.Request[modeplatformv1.DeleteFieldDescriptionRequest]) (*connect.Response[modeplatformv1.DeleteFieldDescriptionResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patFieldDesc,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteDatasetFieldDescription(ctx, ids[0], ids[1], ids[2])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteFieldDescriptionResponse{}), nil
}

// datasetFromModeIDs is datasetFromMode for getOf.
func datasetFromModeIDs(cl *modeclient.Client, ids []string, d *modeclient.Dataset) *modeplatformv1.Dataset {
	return datasetFromMode(cl, ids[0], d)
}

// datasetFromMode translates a Mode dataset of workspace w.
func datasetFromMode(cl *modeclient.Client, w string, d *modeclient.Dataset) *modeplatformv1.Dataset {
	out := &modeplatformv1.Dataset{
		Name:                  resourceNameOf(patDataset, w, d.Token),
		DisplayName:           d.Name,
		Description:           d.Description,
		CreateTime:            timestamp(d.CreatedAt),
		UpdateTime:            timestamp(d.UpdatedAt),
		LastRunTime:           timestamp(d.LastRunAt),
		LastSuccessfulRunTime: timestamp(d.LastSuccessfullyRunAt),
		WebUri:                cl.ResolveURL(d.WebURL()),
	}
	if validToken(d.SpaceToken) {
		out.Space = spaceName(w, d.SpaceToken)
	}
	if validToken(d.LastSuccessfulRunToken) {
		out.LastSuccessfulRun = resourceNameOf(patDatasetRun, w, d.Token, d.LastSuccessfulRunToken)
	}
	return out
}

// datasetRunStates maps Mode's run states to a dataset run's.
var datasetRunStates = map[modeclient.RunState]modeplatformv1.DatasetRun_State{
	modeclient.RunStatePending:   modeplatformv1.DatasetRun_STATE_PENDING,
	modeclient.RunStateEnqueued:  modeplatformv1.DatasetRun_STATE_ENQUEUED,
	modeclient.RunStateRunning:   modeplatformv1.DatasetRun_STATE_ENQUEUED, // not in Mode's document for dataset runs
	modeclient.RunStateSucceeded: modeplatformv1.DatasetRun_STATE_SUCCEEDED,
	modeclient.RunStateFailed:    modeplatformv1.DatasetRun_STATE_FAILED,
	modeclient.RunStateCancelled: modeplatformv1.DatasetRun_STATE_CANCELLED,
	modeclient.RunStateCompleted: modeplatformv1.DatasetRun_STATE_COMPLETED,
}

// datasetRunFromMode translates a Mode run of dataset d in workspace w.
func datasetRunFromMode(w, d string, run *modeclient.DatasetRun) *modeplatformv1.DatasetRun {
	out := &modeplatformv1.DatasetRun{
		Name:                     resourceNameOf(patDatasetRun, w, d, run.Token),
		State:                    datasetRunStates[run.State],
		CreateTime:               timestamp(run.CreatedAt),
		UpdateTime:               timestamp(run.UpdatedAt),
		CompleteTime:             timestamp(run.CompletedAt),
		Latest:                   bool(run.IsLatestDatasetRun),
		LatestSuccessful:         bool(run.IsLatestSuccessfulDatasetRun),
		FailuresSinceLastSuccess: bool(run.DatasetHasFailuresSinceLastSuccess),
		PurgeStartTime:           timestamp(run.PurgeStartedAt),
		PurgeCompleteTime:        timestamp(run.PurgeCompletedAt),
	}
	if !run.Finished() {
		out.CompleteTime = nil
	}
	if run.Links.Href("query_runs") != "" {
		out.ReportRun = runName(w, d, run.Token)
	}
	return out
}

// fieldDescriptionFromMode translates a Mode field description of dataset d
// in workspace w.
func fieldDescriptionFromMode(w, d string, fd *modeclient.FieldDescription) *modeplatformv1.FieldDescription {
	return &modeplatformv1.FieldDescription{
		Name:        resourceNameOf(patFieldDesc, w, d, fd.Token),
		Column:      fd.Name,
		Description: fd.Description,
		CreateTime:  timestamp(fd.CreatedAt),
		UpdateTime:  timestamp(fd.UpdatedAt),
	}
}
