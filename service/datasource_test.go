package service_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// dsCheckDemo checks d against the emulator's seeded "Parch & Posey" data
// source.
func dsCheckDemo(t *testing.T, e *env, d *modeplatformv1.DataSource) {
	t.Helper()
	if d.GetName() != e.dataSourceName() {
		t.Errorf("name = %q, want %q", d.GetName(), e.dataSourceName())
	}
	want := &modeplatformv1.DataSource{
		DisplayName: "Parch & Posey",
		Description: "Demo paper company: accounts, orders, region, sales_reps, web_events.",
		Adapter:     "jdbc:postgresql",
		Vendor:      "postgres",
		Database:    "parch_and_posey",
		Host:        "parch-and-posey.db.modetest.internal",
		Port:        5432,
	}
	if d.GetDisplayName() != want.DisplayName || d.GetDescription() != want.Description || d.GetAdapter() != want.Adapter ||
		d.GetVendor() != want.Vendor || d.GetDatabase() != want.Database || d.GetHost() != want.Host || d.GetPort() != want.Port {
		t.Errorf("data source = %v, want fields of %v", d, want)
	}
	if d.GetWarehouse() != "" {
		t.Errorf("warehouse = %q, want empty", d.GetWarehouse())
	}
	if !d.GetQueryable() || !d.GetPublic() || d.GetAsleep() || d.GetSoftDeleted() {
		t.Errorf("queryable=%v public=%v asleep=%v soft_deleted=%v", d.GetQueryable(), d.GetPublic(), d.GetAsleep(), d.GetSoftDeleted())
	}
	if d.GetCreateTime() == nil || !d.GetCreateTime().AsTime().Equal(wsSeedBase) {
		t.Errorf("create_time = %v, want %v", d.GetCreateTime(), wsSeedBase)
	}
	if d.GetUpdateTime() == nil || !d.GetUpdateTime().AsTime().Equal(wsSeedBase) {
		t.Errorf("update_time = %v, want %v", d.GetUpdateTime(), wsSeedBase)
	}
	if web := e.mode.URL + "/parch_and_posey/data_sources/" + e.demo.DataSource; d.GetWebUri() != web {
		t.Errorf("web_uri = %q, want %q", d.GetWebUri(), web)
	}
}

// TestListDataSources checks the demo's data source list at several page sizes.
func TestListDataSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)
			for _, size := range []int32{0, 1, 1000} {
				res, err := c.ds.ListDataSources(ctx, connect.NewRequest(&modeplatformv1.ListDataSourcesRequest{Parent: e.ws, PageSize: size}))
				if err != nil {
					t.Fatalf("ListDataSources(page_size=%d): %v", size, err)
				}
				if n := len(res.Msg.GetDataSources()); n != 1 || res.Msg.GetNextPageToken() != "" || res.Msg.GetTotalSize() != 1 {
					t.Fatalf("page_size=%d: %d data sources, next %q, total %d; want the one demo source", size, n, res.Msg.GetNextPageToken(), res.Msg.GetTotalSize())
				}
				dsCheckDemo(t, e, res.Msg.GetDataSources()[0])
			}
		})
	}
}

// TestGetDataSource checks the demo data source and NotFound for an unknown one.
func TestGetDataSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)
			res, err := c.ds.GetDataSource(ctx, connect.NewRequest(&modeplatformv1.GetDataSourceRequest{Name: e.dataSourceName()}))
			if err != nil {
				t.Fatalf("GetDataSource: %v", err)
			}
			dsCheckDemo(t, e, res.Msg.GetDataSource())

			missing := e.ws + "/dataSources/0000deadbeef"
			_, err = c.ds.GetDataSource(ctx, connect.NewRequest(&modeplatformv1.GetDataSourceRequest{Name: missing}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), missing) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), missing)
			}
		})
	}
}

// TestDataSourceUpstreamUnavailable checks that a Mode 500 maps to Unavailable.
func TestDataSourceUpstreamUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.mode.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/*/data_sources", Status: http.StatusInternalServerError})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.clients(p).ds.ListDataSources(testContext(t), connect.NewRequest(&modeplatformv1.ListDataSourcesRequest{Parent: e.ws}))
			wantCode(t, err, connect.CodeUnavailable)
		})
	}
}

// TestDataSourceInvalidInput checks that every malformed DataSourceService request is InvalidArgument naming its field, with no upstream request.
func TestDataSourceInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	var cases []wsInvalidCase
	for _, bad := range wsBadWorkspaceNames() {
		cases = append(cases, wsInvalidCase{"ListDataSources/" + bad, "parent", func(ctx context.Context, c clients) error {
			_, err := c.ds.ListDataSources(ctx, connect.NewRequest(&modeplatformv1.ListDataSourcesRequest{Parent: bad}))
			return err
		}})
	}
	badNames := []string{
		"", "workspaces/", "workspaces/w/dataSources/../x", "reports/x", e.ws + "/dataSources/" + strings.Repeat("a", 65),
		e.ws + "/dataSources/dätä", e.ws, e.ws + "/data_sources/" + e.demo.DataSource, e.ws + "/dataSources/", e.spaceName(e.demo.Spaces[0]),
	}
	for _, bad := range badNames {
		cases = append(cases, wsInvalidCase{"GetDataSource/" + bad, "name", func(ctx context.Context, c clients) error {
			_, err := c.ds.GetDataSource(ctx, connect.NewRequest(&modeplatformv1.GetDataSourceRequest{Name: bad}))
			return err
		}})
	}
	for _, size := range []int32{-1, 1001} {
		cases = append(cases, wsInvalidCase{fmt.Sprintf("ListDataSources/page_size=%d", size), "page_size", func(ctx context.Context, c clients) error {
			_, err := c.ds.ListDataSources(ctx, connect.NewRequest(&modeplatformv1.ListDataSourcesRequest{Parent: e.ws, PageSize: size}))
			return err
		}})
	}
	cases = append(cases,
		wsInvalidCase{"ListDataSources/garbage page_token", "page_token", func(ctx context.Context, c clients) error {
			_, err := c.ds.ListDataSources(ctx, connect.NewRequest(&modeplatformv1.ListDataSourcesRequest{Parent: e.ws, PageToken: "garbage"}))
			return err
		}},
		wsInvalidCase{"ListDataSources/other parent's token", "page_token", func(ctx context.Context, c clients) error {
			// A token minted for another list of this workspace.
			res, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws, PageSize: 1}))
			if err != nil {
				return fmt.Errorf("ListMemberships: %w", err)
			}
			e.mode.ResetRequests()
			_, err = c.ds.ListDataSources(ctx, connect.NewRequest(&modeplatformv1.ListDataSourcesRequest{Parent: e.ws, PageToken: res.Msg.GetNextPageToken()}))
			return err
		}},
	)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) { wsRunInvalid(t, e, e.clients(p), cases) })
	}
	t.Run("handler", func(t *testing.T) {
		wsRunInvalid(t, e, clients{ws: workspaceHandlerClient{e.svc.Workspace}, ds: e.svc.DataSource}, cases)
	})
}
