package service

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
)

// WorkspaceServer implements WorkspaceService.
type WorkspaceServer struct {
	modeplatformv1connect.UnimplementedWorkspaceServiceHandler
	core *core
}

// ReportServer implements ReportService.
type ReportServer struct {
	modeplatformv1connect.UnimplementedReportServiceHandler
	core *core
}

// DataSourceServer implements DataSourceService.
type DataSourceServer struct {
	modeplatformv1connect.UnimplementedDataSourceServiceHandler
	core *core
}

// DatasetServer implements DatasetService.
type DatasetServer struct {
	modeplatformv1connect.UnimplementedDatasetServiceHandler
	core *core
}

// timestamp translates a Mode time; a missing time is nil.
func timestamp(t modeclient.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t.Time)
}

// clampInt32 converts a Mode count to an int32 field.
func clampInt32[N ~int64 | ~int](n N) int32 {
	switch {
	case n > 1<<31-1:
		return 1<<31 - 1
	case n < -1<<31:
		return -1 << 31
	}
	return int32(n)
}
