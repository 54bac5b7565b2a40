package service

import (
	"context"
	"strings"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// Workspace-wide reads through Mode's Metadata API (/batch/{workspace}/…):
// every report, query, chart or space of a workspace, one Mode request per
// page.

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

// listWorkspaceCharts lists every chart of workspace w.
func (s *ReportServer) listWorkspaceCharts(ctx context.Context, m *modeplatformv1.ListChartsRequest, w string) (*connect.Response[modeplatformv1.ListChartsResponse], error) {
	return nil, connect.NewError(connect.CodeUnimplemented, errorf("listing every chart of %s is not served yet", workspaceName(w)))
}
