package service_test

import (
	"errors"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// badRequestField returns the field the BadRequest detail of err names, or "".
func badRequestField(err error) string {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return ""
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if br, ok := v.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
				return br.GetFieldViolations()[0].GetField()
			}
		}
	}
	return ""
}

// TestDefinitions walks a workspace's definitions over each protocol: the seeded ones are
// listed with their data source, a create runs once per request_id, a query that includes the
// new definition runs it, an update shows on the next read, a delete removes it; bad input never
// reaches Mode.
func TestDefinitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := testContext(t)
			ds := e.clients(p).ds
			list, err := ds.ListDefinitions(ctx, connect.NewRequest(&modeplatformv1.ListDefinitionsRequest{Parent: e.ws}))
			if err != nil {
				t.Fatalf("ListDefinitions: %v", err)
			}
			seeded := map[string]*modeplatformv1.Definition{}
			for _, d := range list.Msg.GetDefinitions() {
				seeded[d.GetDisplayName()] = d
			}
			active := seeded["active_accounts"]
			if active == nil || active.GetName() != e.ws+"/definitions/"+e.demo.Definitions[0] ||
				active.GetDataSource() != e.dataSourceName() || active.GetSql() == "" || active.GetCreateTime() == nil {
				t.Fatalf("seeded definitions = %v", list.Msg.GetDefinitions())
			}
			got, err := ds.GetDefinition(ctx, connect.NewRequest(&modeplatformv1.GetDefinitionRequest{Name: active.GetName()}))
			if err != nil || got.Msg.GetDefinition().GetSql() != active.GetSql() {
				t.Fatalf("GetDefinition = %v, %v", got, err)
			}

			handle := "big_orders_" + p.name
			req := &modeplatformv1.CreateDefinitionRequest{Parent: e.ws, RequestId: "def-" + p.name, Definition: &modeplatformv1.Definition{
				DisplayName: handle, Description: "Orders over 5,000", DataSource: e.dataSourceName(),
				Sql: "SELECT id, total_amt_usd FROM orders WHERE total_amt_usd > 5000",
			}}
			posts := e.mode.CountRequests("POST", "/api/"+e.demo.Workspace+"/definitions")
			created, err := ds.CreateDefinition(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("CreateDefinition: %v", err)
			}
			def := created.Msg.GetDefinition()
			if !strings.HasPrefix(def.GetName(), e.ws+"/definitions/") || def.GetDisplayName() != handle || def.GetDataSource() != e.dataSourceName() {
				t.Fatalf("created definition = %v", def)
			}
			if again, err := ds.CreateDefinition(ctx, connect.NewRequest(req)); err != nil || again.Msg.GetDefinition().GetName() != def.GetName() {
				t.Fatalf("CreateDefinition retried = %v, %v", again, err)
			}
			if n := e.mode.CountRequests("POST", "/api/"+e.demo.Workspace+"/definitions") - posts; n != 1 {
				t.Errorf("%d POSTs for one request_id, want 1", n)
			}

			upd, err := ds.UpdateDefinition(ctx, connect.NewRequest(&modeplatformv1.UpdateDefinitionRequest{
				Definition: &modeplatformv1.Definition{Name: def.GetName(), Description: "Orders over 5,000 USD", DisplayName: "ignored"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}},
			}))
			if err != nil || upd.Msg.GetDefinition().GetDescription() != "Orders over 5,000 USD" || upd.Msg.GetDefinition().GetDisplayName() != handle {
				t.Fatalf("UpdateDefinition = %v, %v", upd, err)
			}
			if g, err := ds.GetDefinition(ctx, connect.NewRequest(&modeplatformv1.GetDefinitionRequest{Name: def.GetName()})); err != nil ||
				g.Msg.GetDefinition().GetDescription() != "Orders over 5,000 USD" {
				t.Fatalf("GetDefinition after the update = %v, %v", g, err)
			}
			if _, err := ds.DeleteDefinition(ctx, connect.NewRequest(&modeplatformv1.DeleteDefinitionRequest{Name: def.GetName()})); err != nil {
				t.Fatalf("DeleteDefinition: %v", err)
			}
			if _, err := ds.GetDefinition(ctx, connect.NewRequest(&modeplatformv1.GetDefinitionRequest{Name: def.GetName()})); connect.CodeOf(err) != connect.CodeNotFound {
				t.Fatalf("GetDefinition after the delete: %v, want NotFound", err)
			}
		})
	}
}

// TestDefinitionInvalidInput: bad definitions are refused with InvalidArgument naming the
// field, before anything reaches Mode.
func TestDefinitionInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	ds := e.clients(protocols[0]).ds
	otherSource := "workspaces/" + e.demo.Second.Workspace + "/dataSources/" + e.demo.Second.DataSource
	def := func(handle, sql, source string) *modeplatformv1.Definition {
		return &modeplatformv1.Definition{DisplayName: handle, Sql: sql, DataSource: source}
	}
	tests := []struct {
		name  string
		req   *modeplatformv1.CreateDefinitionRequest
		field string
	}{
		{"handle with a space", &modeplatformv1.CreateDefinitionRequest{Parent: e.ws, Definition: def("big orders", "select 1", e.dataSourceName())}, "definition.display_name"},
		{"no sql", &modeplatformv1.CreateDefinitionRequest{Parent: e.ws, Definition: def("x", " ", e.dataSourceName())}, "definition"},
		{"data source of another workspace", &modeplatformv1.CreateDefinitionRequest{Parent: e.ws, Definition: def("x", "select 1", otherSource)}, "definition.data_source"},
		{"not a data source", &modeplatformv1.CreateDefinitionRequest{Parent: e.ws, Definition: def("x", "select 1", e.ws+"/spaces/abc")}, "definition.data_source"},
	}
	before := e.upstream()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ds.CreateDefinition(ctx, connect.NewRequest(tt.req))
			if connect.CodeOf(err) != connect.CodeInvalidArgument || badRequestField(err) != tt.field {
				t.Fatalf("CreateDefinition: %v (field %q), want InvalidArgument naming %s", err, badRequestField(err), tt.field)
			}
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("%d requests reached Mode for refused definitions", n)
	}
	// A data source of the right shape that does not exist is the caller's mistake too.
	_, err := ds.CreateDefinition(ctx, connect.NewRequest(&modeplatformv1.CreateDefinitionRequest{Parent: e.ws, Definition: def("x", "select 1", e.ws+"/dataSources/000000000000")}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument || badRequestField(err) != "definition.data_source" {
		t.Fatalf("CreateDefinition with an unknown data source: %v, want InvalidArgument naming definition.data_source", err)
	}
}

// TestReportFilters walks a report's filters: the seeded ones in order with their query, a
// create once per request_id, an update of the label and options, a delete; a filter on a query
// of another report is refused before Mode.
func TestReportFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := testContext(t)
			rs := e.clients(p).rs
			report := e.reportName(e.demo.FilterReport)
			list, err := rs.ListReportFilters(ctx, connect.NewRequest(&modeplatformv1.ListReportFiltersRequest{Parent: report}))
			if err != nil {
				t.Fatalf("ListReportFilters: %v", err)
			}
			seeded := list.Msg.GetReportFilters()
			if len(seeded) < 2 || seeded[0].GetName() != report+"/filters/"+e.demo.Filters[0] || seeded[0].GetDisplayName() != "Region" ||
				seeded[0].GetFilterType() != modeplatformv1.ReportFilter_FILTER_TYPE_MULTI || seeded[0].GetControlType() != modeplatformv1.ReportFilter_CONTROL_TYPE_DROPDOWN ||
				!strings.HasPrefix(seeded[0].GetQuery(), report+"/queries/") || seeded[0].GetPosition() != 0 || seeded[1].GetPosition() != 1 {
				t.Fatalf("seeded filters = %v", seeded)
			}
			if _, ok := seeded[0].GetOptions().GetFields()["query_token"]; ok {
				t.Errorf("options carry Mode's query_token: %v", seeded[0].GetOptions())
			}
			opts, _ := structpb.NewStruct(map[string]any{"selected_values": []any{"West"}})
			req := &modeplatformv1.CreateReportFilterRequest{Parent: report, RequestId: "flt-" + p.name, ReportFilter: &modeplatformv1.ReportFilter{
				DisplayName: "Region " + p.name, Formula: "[region]", DataType: "string", FormulaType: "field",
				FilterType: modeplatformv1.ReportFilter_FILTER_TYPE_SINGLE, ControlType: modeplatformv1.ReportFilter_CONTROL_TYPE_LIST,
				VariableType: modeplatformv1.ReportFilter_VARIABLE_TYPE_DISCRETE, Query: seeded[0].GetQuery(), Options: opts,
			}}
			created, err := rs.CreateReportFilter(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("CreateReportFilter: %v", err)
			}
			f := created.Msg.GetReportFilter()
			if !strings.HasPrefix(f.GetName(), report+"/filters/") || f.GetQuery() != seeded[0].GetQuery() ||
				f.GetOptions().GetFields()["selected_values"].GetListValue().GetValues()[0].GetStringValue() != "West" {
				t.Fatalf("created filter = %v", f)
			}
			if again, err := rs.CreateReportFilter(ctx, connect.NewRequest(req)); err != nil || again.Msg.GetReportFilter().GetName() != f.GetName() {
				t.Fatalf("CreateReportFilter retried = %v, %v", again, err)
			}
			upd, err := rs.UpdateReportFilter(ctx, connect.NewRequest(&modeplatformv1.UpdateReportFilterRequest{
				ReportFilter: &modeplatformv1.ReportFilter{Name: f.GetName(), DisplayName: "Sales region"},
				UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"display_name", "options"}},
			}))
			if err != nil || upd.Msg.GetReportFilter().GetDisplayName() != "Sales region" || len(upd.Msg.GetReportFilter().GetOptions().GetFields()) != 0 ||
				upd.Msg.GetReportFilter().GetQuery() != f.GetQuery() {
				t.Fatalf("UpdateReportFilter = %v, %v", upd, err)
			}
			if g, err := rs.GetReportFilter(ctx, connect.NewRequest(&modeplatformv1.GetReportFilterRequest{Name: f.GetName()})); err != nil ||
				g.Msg.GetReportFilter().GetDisplayName() != "Sales region" {
				t.Fatalf("GetReportFilter after the update = %v, %v", g, err)
			}
			if _, err := rs.DeleteReportFilter(ctx, connect.NewRequest(&modeplatformv1.DeleteReportFilterRequest{Name: f.GetName()})); err != nil {
				t.Fatalf("DeleteReportFilter: %v", err)
			}
			if _, err := rs.GetReportFilter(ctx, connect.NewRequest(&modeplatformv1.GetReportFilterRequest{Name: f.GetName()})); connect.CodeOf(err) != connect.CodeNotFound {
				t.Fatalf("GetReportFilter after the delete: %v, want NotFound", err)
			}

			// A query of another report, and a missing query, never reach Mode.
			before := e.upstream()
			bad := req.ReportFilter
			bad.Query = e.reportName(e.demo.Reports[0]) + "/queries/abcdef012345"
			if _, err := rs.CreateReportFilter(ctx, connect.NewRequest(&modeplatformv1.CreateReportFilterRequest{Parent: report, ReportFilter: bad})); connect.CodeOf(err) != connect.CodeInvalidArgument || badRequestField(err) != "report_filter.query" {
				t.Fatalf("CreateReportFilter on another report's query: %v, want InvalidArgument naming report_filter.query", err)
			}
			bad.Query = ""
			if _, err := rs.CreateReportFilter(ctx, connect.NewRequest(&modeplatformv1.CreateReportFilterRequest{Parent: report, ReportFilter: bad})); connect.CodeOf(err) != connect.CodeInvalidArgument || badRequestField(err) != "report_filter" {
				t.Fatalf("CreateReportFilter without a query: %v (field %q), want InvalidArgument naming report_filter", err, badRequestField(err))
			}
			if n := e.upstream() - before; n != 0 {
				t.Errorf("%d requests reached Mode for refused filters", n)
			}
		})
	}
}

// TestCharts reads a query's charts and one chart, with its type, title and Mode's settings.
func TestCharts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	rs := e.clients(protocols[0]).rs
	queries, err := rs.ListQueries(ctx, connect.NewRequest(&modeplatformv1.ListQueriesRequest{Parent: e.reportName(e.demo.Reports[0])}))
	if err != nil || len(queries.Msg.GetQueries()) == 0 {
		t.Fatalf("ListQueries = %v, %v", queries, err)
	}
	query := queries.Msg.GetQueries()[0].GetName()
	list, err := rs.ListCharts(ctx, connect.NewRequest(&modeplatformv1.ListChartsRequest{Parent: query}))
	if err != nil || len(list.Msg.GetCharts()) != 1 {
		t.Fatalf("ListCharts = %v, %v", list, err)
	}
	ch := list.Msg.GetCharts()[0]
	if !strings.HasPrefix(ch.GetName(), query+"/charts/") || ch.GetChartType() == "" || ch.GetSettings().GetFields()["selectedChart"].GetStringValue() != ch.GetChartType() {
		t.Fatalf("chart = %v", ch)
	}
	before := e.upstream()
	got, err := rs.GetChart(ctx, connect.NewRequest(&modeplatformv1.GetChartRequest{Name: ch.GetName()}))
	if err != nil || got.Msg.GetChart().GetName() != ch.GetName() || got.Msg.GetChart().GetDisplayName() != ch.GetDisplayName() {
		t.Fatalf("GetChart = %v, %v", got, err)
	}
	if _, err := rs.GetChart(ctx, connect.NewRequest(&modeplatformv1.GetChartRequest{Name: query + "/charts/000000000000"})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("GetChart of a missing chart: %v, want NotFound", err)
	}
	if e.upstream() == before {
		t.Errorf("GetChart reached Mode %d times; want at least one request", e.upstream()-before)
	}
}
