// Package proto_test checks the contract's validation rules (buf.validate) with the same runtime
// the service uses, so a rule that does not compile or does not mean what its comment says fails
// here rather than in a handler.
package proto_test

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

const (
	report   = "workspaces/parch_and_posey/reports/2e84ac7d1a2c"
	run      = report + "/runs/9f1c2b3a4d5e"
	queryRun = run + "/queryRuns/0a1b2c3d4e5f"
	query    = report + "/queries/5a4177a2902c"
	space    = "workspaces/parch_and_posey/spaces/5a4177a2902c"
	source   = "workspaces/parch_and_posey/dataSources/1b2c3d4e5f60"
	dataset  = "workspaces/parch_and_posey/datasets/7c8d9e0f1a2b"
)

// validFilter is a report filter CreateReportFilter accepts.
func validFilter() *modeplatformv1.ReportFilter {
	return &modeplatformv1.ReportFilter{
		DisplayName:  "Region",
		Formula:      "[Query 1].[region]",
		DataType:     "string",
		FormulaType:  "field",
		FilterType:   modeplatformv1.ReportFilter_FILTER_TYPE_MULTI,
		ControlType:  modeplatformv1.ReportFilter_CONTROL_TYPE_DROPDOWN,
		VariableType: modeplatformv1.ReportFilter_VARIABLE_TYPE_DISCRETE,
		Query:        query,
	}
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// TestRequestRules runs representative valid and invalid requests through protovalidate.
func TestRequestRules(t *testing.T) {
	tests := []struct {
		name    string
		msg     proto.Message
		wantErr string // "" = valid; else a substring of the violation
	}{
		{"get workspace", &modeplatformv1.GetWorkspaceRequest{Name: "workspaces/parch_and_posey"}, ""},
		{"workspace starting with dash", &modeplatformv1.GetWorkspaceRequest{Name: "workspaces/-x"}, "name"},
		{"workspace too long", &modeplatformv1.GetWorkspaceRequest{Name: "workspaces/" + strings.Repeat("a", 65)}, "name"},
		{"get report", &modeplatformv1.GetReportRequest{Name: report}, ""},
		{"report name missing", &modeplatformv1.GetReportRequest{}, "value is required"},
		{"report path traversal", &modeplatformv1.GetReportRequest{Name: "workspaces/w/reports/../x"}, "name"},
		{"report with query string", &modeplatformv1.GetReportRequest{Name: report + "?x=1"}, "name"},
		{"list reports in space", &modeplatformv1.ListReportsRequest{Parent: space, PageSize: 1000, OrderBy: "update_time desc"}, ""},
		{"list reports of data source", &modeplatformv1.ListReportsRequest{Parent: source, ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL}, ""},
		{"list reports of workspace", &modeplatformv1.ListReportsRequest{Parent: "workspaces/w"}, ""},
		{"list reports of workspace full view", &modeplatformv1.ListReportsRequest{Parent: "workspaces/w", View: modeplatformv1.View_VIEW_FULL}, "view must be VIEW_BASIC"},
		{"list reports of workspace archived", &modeplatformv1.ListReportsRequest{Parent: "workspaces/w", ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL}, "archived_filter must be unset"},
		{"list reports of workspace ordered", &modeplatformv1.ListReportsRequest{Parent: "workspaces/w", OrderBy: "create_time"}, "order_by must be empty"},
		{"list reports in space basic", &modeplatformv1.ListReportsRequest{Parent: space, View: modeplatformv1.View_VIEW_BASIC}, ""},
		{"get report undefined view", &modeplatformv1.GetReportRequest{Name: report, View: 7}, "view"},
		{"list queries of workspace", &modeplatformv1.ListQueriesRequest{Parent: "workspaces/w/reports/-"}, ""},
		{"list charts of query", &modeplatformv1.ListChartsRequest{Parent: query}, ""},
		{"list charts of workspace", &modeplatformv1.ListChartsRequest{Parent: "workspaces/w/reports/-/queries/-"}, ""},
		{"list charts of report", &modeplatformv1.ListChartsRequest{Parent: report}, "parent"},
		{"list charts half wildcard", &modeplatformv1.ListChartsRequest{Parent: report + "/queries/-"}, "parent must name one query"},
		{"list charts other half wildcard", &modeplatformv1.ListChartsRequest{Parent: "workspaces/w/reports/-/queries/q1"}, "parent must name one query"},
		{"get chart", &modeplatformv1.GetChartRequest{Name: query + "/charts/ab12"}, ""},
		{"list report stats", &modeplatformv1.ListReportStatsRequest{Parent: "workspaces/w/reports/-"}, ""},
		{"list report stats of one report", &modeplatformv1.ListReportStatsRequest{Parent: report}, "parent"},
		{"purge report results", &modeplatformv1.PurgeReportResultsRequest{Parent: "workspaces/w", RequestId: "p-1"}, ""},
		{"purge report results of a space", &modeplatformv1.PurgeReportResultsRequest{Parent: space}, "parent"},
		{"create report filter", &modeplatformv1.CreateReportFilterRequest{Parent: report, ReportFilter: validFilter()}, ""},
		{"create report filter without formula", &modeplatformv1.CreateReportFilterRequest{Parent: report, ReportFilter: func() *modeplatformv1.ReportFilter { f := validFilter(); f.Formula = " "; return f }()}, "report_filter.formula is required"},
		{"create report filter without control", &modeplatformv1.CreateReportFilterRequest{Parent: report, ReportFilter: func() *modeplatformv1.ReportFilter { f := validFilter(); f.ControlType = 0; return f }()}, "report_filter.control_type is required"},
		{"create report filter undefined type", &modeplatformv1.CreateReportFilterRequest{Parent: report, ReportFilter: func() *modeplatformv1.ReportFilter { f := validFilter(); f.FilterType = 9; return f }()}, "filter_type"},
		{"update report filter", &modeplatformv1.UpdateReportFilterRequest{ReportFilter: &modeplatformv1.ReportFilter{Name: report + "/filters/f1", DisplayName: "Region"}, UpdateMask: mask("display_name")}, ""},
		{"update report filter emptying formula", &modeplatformv1.UpdateReportFilterRequest{ReportFilter: &modeplatformv1.ReportFilter{Name: report + "/filters/f1"}, UpdateMask: mask("formula")}, "report_filter.formula cannot be set to empty"},
		{"create report filter without query", &modeplatformv1.CreateReportFilterRequest{Parent: report, ReportFilter: func() *modeplatformv1.ReportFilter { f := validFilter(); f.Query = ""; return f }()}, "report_filter.query is required"},
		{"update report filter output-only path", &modeplatformv1.UpdateReportFilterRequest{ReportFilter: &modeplatformv1.ReportFilter{Name: report + "/filters/f1"}, UpdateMask: mask("position")}, "update_mask"},
		{"list dataset schedules", &modeplatformv1.ListSchedulesRequest{Parent: dataset}, ""},
		{"get dataset schedule", &modeplatformv1.GetScheduleRequest{Name: dataset + "/schedules/s1"}, ""},
		{"list schedules of a space", &modeplatformv1.ListSchedulesRequest{Parent: space}, "parent"},
		{"get dataset", &modeplatformv1.GetDatasetRequest{Name: dataset}, ""},
		{"get dataset bad token", &modeplatformv1.GetDatasetRequest{Name: "workspaces/w/datasets/a.b"}, "name"},
		{"list datasets in space", &modeplatformv1.ListDatasetsRequest{Parent: space, OrderBy: "update_time desc"}, ""},
		{"list datasets of data source", &modeplatformv1.ListDatasetsRequest{Parent: source}, ""},
		{"list datasets of workspace", &modeplatformv1.ListDatasetsRequest{Parent: "workspaces/w"}, "parent"},
		{"update dataset", &modeplatformv1.UpdateDatasetRequest{Dataset: &modeplatformv1.Dataset{Name: dataset, Description: "Orders"}, UpdateMask: mask("description")}, ""},
		{"update dataset blank title", &modeplatformv1.UpdateDatasetRequest{Dataset: &modeplatformv1.Dataset{Name: dataset, DisplayName: "  "}, UpdateMask: mask("display_name")}, "display_name cannot be set to empty"},
		{"update dataset output-only path", &modeplatformv1.UpdateDatasetRequest{Dataset: &modeplatformv1.Dataset{Name: dataset}, UpdateMask: mask("space")}, "update_mask"},
		{"run dataset", &modeplatformv1.RunDatasetRequest{Name: dataset, RequestId: "r-1"}, ""},
		{"get dataset run", &modeplatformv1.GetDatasetRunRequest{Name: dataset + "/runs/r1"}, ""},
		{"watch dataset run by dataset name", &modeplatformv1.WatchDatasetRunRequest{Name: dataset}, "name"},
		{"create field description", &modeplatformv1.CreateFieldDescriptionRequest{Parent: dataset, FieldDescription: &modeplatformv1.FieldDescription{Column: "region", Description: "Sales region"}}, ""},
		{"create field description without column", &modeplatformv1.CreateFieldDescriptionRequest{Parent: dataset, FieldDescription: &modeplatformv1.FieldDescription{Description: "x"}}, "field_description.column is required"},
		{"create field description blank", &modeplatformv1.CreateFieldDescriptionRequest{Parent: dataset, FieldDescription: &modeplatformv1.FieldDescription{Column: "region", Description: " "}}, "field_description.description is required"},
		{"update field description", &modeplatformv1.UpdateFieldDescriptionRequest{FieldDescription: &modeplatformv1.FieldDescription{Name: dataset + "/fieldDescriptions/fd1", Description: "x"}, UpdateMask: mask("description")}, ""},
		{"update field description column", &modeplatformv1.UpdateFieldDescriptionRequest{FieldDescription: &modeplatformv1.FieldDescription{Name: dataset + "/fieldDescriptions/fd1", Description: "x"}, UpdateMask: mask("column")}, "update_mask"},
		{"update data source", &modeplatformv1.UpdateDataSourceRequest{DataSource: &modeplatformv1.DataSource{Name: source, Credentials: &modeplatformv1.DataSourceCredentials{Password: "pw"}}, UpdateMask: mask("credentials.password")}, ""},
		{"update data source empty password", &modeplatformv1.UpdateDataSourceRequest{DataSource: &modeplatformv1.DataSource{Name: source}, UpdateMask: mask("credentials.password")}, "password cannot be set to empty"},
		{"update data source star", &modeplatformv1.UpdateDataSourceRequest{DataSource: &modeplatformv1.DataSource{Name: source}, UpdateMask: mask("*")}, "update_mask"},
		{"update data source bad name", &modeplatformv1.UpdateDataSourceRequest{DataSource: &modeplatformv1.DataSource{Name: "dataSources/x", DisplayName: "x"}, UpdateMask: mask("display_name")}, "data_source.name is required"},
		{"purge data source", &modeplatformv1.PurgeDataSourceResultsRequest{Name: source}, ""},
		{"refresh schema bad name", &modeplatformv1.RefreshDataSourceSchemaRequest{Name: space}, "name"},
		{"create definition", &modeplatformv1.CreateDefinitionRequest{Parent: "workspaces/w", Definition: &modeplatformv1.Definition{DisplayName: "active_accounts", Sql: "select 1", DataSource: source}}, ""},
		{"create definition bad handle", &modeplatformv1.CreateDefinitionRequest{Parent: "workspaces/w", Definition: &modeplatformv1.Definition{DisplayName: "active accounts", Sql: "select 1", DataSource: source}}, "display_name"},
		{"create definition without sql", &modeplatformv1.CreateDefinitionRequest{Parent: "workspaces/w", Definition: &modeplatformv1.Definition{DisplayName: "a", DataSource: source}}, "definition.sql is required"},
		{"update definition emptying data source", &modeplatformv1.UpdateDefinitionRequest{Definition: &modeplatformv1.Definition{Name: "workspaces/w/definitions/d1"}, UpdateMask: mask("data_source")}, "definition.data_source cannot be set to empty"},
		{"create signature token", &modeplatformv1.CreateSignatureTokenRequest{Parent: "workspaces/w", SignatureToken: &modeplatformv1.SignatureToken{DisplayName: "embeds"}}, ""},
		{"create signature token unnamed", &modeplatformv1.CreateSignatureTokenRequest{Parent: "workspaces/w", SignatureToken: &modeplatformv1.SignatureToken{}}, "signature_token.display_name is required"},
		{"delete signature token", &modeplatformv1.DeleteSignatureTokenRequest{Name: "workspaces/w/signatureTokens/t1"}, ""},
		{"get credential", &modeplatformv1.GetCredentialRequest{Name: "workspaces/w/credential"}, ""},
		{"get credential of a report", &modeplatformv1.GetCredentialRequest{Name: report}, "name"},
		{"delete membership", &modeplatformv1.DeleteMembershipRequest{Name: "workspaces/w/memberships/a1b2c3d4e5f6"}, ""},
		{"invite members", &modeplatformv1.InviteMembersRequest{Parent: "workspaces/w", Emails: []string{"ana@example.com", "ben@example.com"}, Message: "Welcome"}, ""},
		{"invite nobody", &modeplatformv1.InviteMembersRequest{Parent: "workspaces/w", Message: "Welcome"}, "emails"},
		{"invite a bad address", &modeplatformv1.InviteMembersRequest{Parent: "workspaces/w", Emails: []string{"not-an-address"}, Message: "Welcome"}, "emails"},
		{"invite twice", &modeplatformv1.InviteMembersRequest{Parent: "workspaces/w", Emails: []string{"a@example.com", "a@example.com"}, Message: "Welcome"}, "emails"},
		{"invite without a message", &modeplatformv1.InviteMembersRequest{Parent: "workspaces/w", Emails: []string{"a@example.com"}}, "message"},
		{"create group", &modeplatformv1.CreateGroupRequest{Parent: "workspaces/w", Group: &modeplatformv1.Group{DisplayName: "Analysts"}, RequestId: "g-1"}, ""},
		{"create unnamed group", &modeplatformv1.CreateGroupRequest{Parent: "workspaces/w", Group: &modeplatformv1.Group{DisplayName: " "}}, "group.display_name is required"},
		{"rename group", &modeplatformv1.UpdateGroupRequest{Group: &modeplatformv1.Group{Name: "workspaces/w/groups/g1", DisplayName: "Analysts"}, UpdateMask: mask("display_name")}, ""},
		{"rename group to empty", &modeplatformv1.UpdateGroupRequest{Group: &modeplatformv1.Group{Name: "workspaces/w/groups/g1"}, UpdateMask: mask("display_name")}, "display_name cannot be set to empty"},
		{"update group description", &modeplatformv1.UpdateGroupRequest{Group: &modeplatformv1.Group{Name: "workspaces/w/groups/g1", DisplayName: "x"}, UpdateMask: mask("description")}, "update_mask"},
		{"add group member", &modeplatformv1.CreateGroupMembershipRequest{Parent: "workspaces/w/groups/g1", GroupMembership: &modeplatformv1.GroupMembership{Member: "workspaces/w/memberships/a1b2c3d4e5f6"}}, ""},
		{"add group member by username path", &modeplatformv1.CreateGroupMembershipRequest{Parent: "workspaces/w/groups/g1", GroupMembership: &modeplatformv1.GroupMembership{Member: "users/ana"}}, "group_membership.member"},
		{"grant space to member", &modeplatformv1.CreateSpaceMembershipRequest{Parent: space, SpaceMembership: &modeplatformv1.SpaceMembership{Member: "workspaces/w/memberships/a1b2c3d4e5f6"}}, ""},
		{"grant space to group", &modeplatformv1.CreateSpaceMembershipRequest{Parent: space, SpaceMembership: &modeplatformv1.SpaceMembership{Group: "workspaces/w/groups/g1"}}, ""},
		{"grant space to both", &modeplatformv1.CreateSpaceMembershipRequest{Parent: space, SpaceMembership: &modeplatformv1.SpaceMembership{Member: "workspaces/w/memberships/a1", Group: "workspaces/w/groups/g1"}}, "exactly one of member and group"},
		{"grant space to nobody", &modeplatformv1.CreateSpaceMembershipRequest{Parent: space, SpaceMembership: &modeplatformv1.SpaceMembership{}}, "exactly one of member and group"},
		{"list audit events", &modeplatformv1.ListAuditEventsRequest{Parent: "workspaces/w", Filter: &modeplatformv1.AuditFilter{ActorIp: "10.0.0.7", Action: "report_run_created", StartTime: timestamppb.New(time.Unix(1e9, 0))}}, ""},
		{"audit events from a bad ip", &modeplatformv1.ListAuditEventsRequest{Parent: "workspaces/w", Filter: &modeplatformv1.AuditFilter{ActorIp: "10.0.0.999"}}, "filter.actor_ip"},
		{"audit events backwards", &modeplatformv1.ListAuditEventsRequest{Parent: "workspaces/w", Filter: &modeplatformv1.AuditFilter{StartTime: timestamppb.New(time.Unix(2e9, 0)), EndTime: timestamppb.New(time.Unix(1e9, 0))}}, "end_time must be after"},
		{"stream audit events with an end", &modeplatformv1.StreamAuditEventsRequest{Parent: "workspaces/w", Filter: &modeplatformv1.AuditFilter{EndTime: timestamppb.Now()}}, "end_time must be unset"},
		{"test permissions", &modeplatformv1.TestPermissionsRequest{Resource: "workspaces/w", Scopes: []modeplatformv1.Scope{modeplatformv1.Scope_SCOPE_READ, modeplatformv1.Scope_SCOPE_ADMIN}}, ""},
		{"test no permission", &modeplatformv1.TestPermissionsRequest{Resource: "workspaces/w"}, "scopes"},
		{"test unspecified permission", &modeplatformv1.TestPermissionsRequest{Resource: "workspaces/w", Scopes: []modeplatformv1.Scope{0}}, "scopes"},
		{"list spaces basic", &modeplatformv1.ListSpacesRequest{Parent: "workspaces/w", View: modeplatformv1.View_VIEW_BASIC}, ""},
		{"page size too big", &modeplatformv1.ListReportsRequest{Parent: space, PageSize: 1001}, "page_size"},
		{"negative page size", &modeplatformv1.ListSpacesRequest{Parent: "workspaces/w", PageSize: -1}, "page_size"},
		{"page token too long", &modeplatformv1.ListGroupsRequest{Parent: "workspaces/w", PageToken: strings.Repeat("t", 1025)}, "page_token"},
		{"order by unknown field", &modeplatformv1.ListReportsRequest{Parent: space, OrderBy: "name"}, "order_by"},
		{"undefined archived filter", &modeplatformv1.ListReportsRequest{Parent: space, ArchivedFilter: 42}, "archived_filter"},
		{"update report", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: "Orders"}, UpdateMask: mask("display_name", "description")}, ""},
		{"move report", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, Space: space}, UpdateMask: mask("space")}, ""},
		{"update report without name", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{DisplayName: "x"}, UpdateMask: mask("display_name")}, "report.name is required"},
		{"update report empty mask", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report}, UpdateMask: mask()}, "update_mask"},
		{"update report output-only path", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report}, UpdateMask: mask("archived")}, "update_mask"},
		{"update report blank title", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report}, UpdateMask: mask("display_name")}, "display_name cannot be set to empty"},
		{"update report title of spaces", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: " \t\n "}, UpdateMask: mask("display_name")}, "display_name cannot be set to empty"},
		{"update report title with spaces", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: " Q3 "}, UpdateMask: mask("display_name")}, ""},
		{"update report title not ascii", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: "売上"}, UpdateMask: mask("display_name")}, ""},
		{"move report to bad space", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, Space: "spaces/x"}, UpdateMask: mask("space")}, "report.space"},
		{"run report", &modeplatformv1.RunReportRequest{Name: report, Parameters: map[string]string{"region": "East"}, RequestId: "0b6f2c1e-7a1d-4c55-9a8e-1f2d3c4b5a69"}, ""},
		{"parameter name with space", &modeplatformv1.RunReportRequest{Name: report, Parameters: map[string]string{"a b": "x"}}, "parameters"},
		{"parameter value too long", &modeplatformv1.RunReportRequest{Name: report, Parameters: map[string]string{"a": strings.Repeat("x", 16385)}}, "parameters"},
		{"too many parameters", &modeplatformv1.RunReportRequest{Name: report, Parameters: manyParams(101)}, "parameters"},
		{"bad request id", &modeplatformv1.RunReportRequest{Name: report, RequestId: "not/an/id"}, "request_id"},
		{"clone run", &modeplatformv1.CloneReportRunRequest{Name: run, RequestId: "r-1"}, ""},
		{"clone run by report name", &modeplatformv1.CloneReportRunRequest{Name: report}, "name"},
		{"stream results resume", &modeplatformv1.StreamQueryResultsRequest{Name: queryRun, Offset: 5000, MaxRowsPerBatch: 500}, ""},
		{"stream results negative offset", &modeplatformv1.StreamQueryResultsRequest{Name: queryRun, Offset: -1}, "offset"},
		{"stream results batch too big", &modeplatformv1.StreamQueryResultsRequest{Name: queryRun, MaxRowsPerBatch: 10001}, "max_rows_per_batch"},
		{"export csv", &modeplatformv1.ExportQueryResultsRequest{Name: queryRun, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV}, ""},
		{"export without format", &modeplatformv1.ExportQueryResultsRequest{Name: queryRun}, "format"},
		{"create query", &modeplatformv1.CreateQueryRequest{Parent: report, Query: &modeplatformv1.Query{Sql: "select 1", DataSource: source}}, ""},
		{"create query without data source", &modeplatformv1.CreateQueryRequest{Parent: report, Query: &modeplatformv1.Query{Sql: "select 1"}}, "query.data_source is required"},
		{"create query without sql", &modeplatformv1.CreateQueryRequest{Parent: report, Query: &modeplatformv1.Query{DataSource: source}}, "query.sql is required"},
		{"sql too big", &modeplatformv1.CreateQueryRequest{Parent: report, Query: &modeplatformv1.Query{Sql: strings.Repeat("x", 1<<20+1), DataSource: source}}, "query.sql"},
		{"update query sql", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: query, Sql: "select 2"}, UpdateMask: mask("sql")}, ""},
		{"update query clears data source", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: query}, UpdateMask: mask("data_source")}, "data_source cannot be set to empty"},
		{"create space", &modeplatformv1.CreateSpaceRequest{Parent: "workspaces/w", Space: &modeplatformv1.Space{DisplayName: "Finance"}}, ""},
		{"create space without title", &modeplatformv1.CreateSpaceRequest{Parent: "workspaces/w", Space: &modeplatformv1.Space{}}, "space.display_name is required"},
		{"update space", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space, Description: "d"}, UpdateMask: mask("description")}, ""},
		{"update space blank title", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space}, UpdateMask: mask("display_name")}, "display_name cannot be set to empty"},
		{"get group", &modeplatformv1.GetGroupRequest{Name: "workspaces/w/groups/g1"}, ""},
		{"get group under a space", &modeplatformv1.GetGroupRequest{Name: space + "/groups/g1"}, "name"},
		{"get data source", &modeplatformv1.GetDataSourceRequest{Name: source}, ""},
		{"get data source snake case", &modeplatformv1.GetDataSourceRequest{Name: "workspaces/w/data_sources/x"}, "name"},
		{"create schedule", &modeplatformv1.CreateScheduleRequest{Parent: report, RequestId: "s-1", Schedule: &modeplatformv1.Schedule{DisplayName: "Mornings",
			Cron:       &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_WEEKLY, DayOfWeek: modeplatformv1.Cron_DAY_OF_WEEK_FRIDAY, Hour: 23, Minute: 59, TimeZone: "Nuku'alofa"},
			Parameters: map[string]string{"region": "East"}, Timeout: durationpb.New(time.Hour)}}, ""},
		{"schedule without cron", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{}}, "schedule.cron is required"},
		{"schedule hour 24", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_DAILY, Hour: 24}}}, "hour"},
		{"schedule minute -1", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY, Minute: -1}}}, "minute"},
		{"schedule unknown zone", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY, TimeZone: "America/New_York"}}}, "time_zone"},
		{"schedule no frequency", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{}}}, "frequency"},
		{"schedule weekly without day", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_WEEKLY}}}, "day_of_week is required"},
		{"schedule monthly without day", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_MONTHLY}}}, "day_of_month is required"},
		{"schedule timeout of nanoseconds", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY}, Timeout: durationpb.New(time.Second + 1)}}, "whole number of seconds"},
		{"schedule timeout over a week", &modeplatformv1.CreateScheduleRequest{Parent: report, Schedule: &modeplatformv1.Schedule{Cron: &modeplatformv1.Cron{Frequency: modeplatformv1.Cron_FREQUENCY_HOURLY}, Timeout: durationpb.New(8 * 24 * time.Hour)}}, "timeout"},
		{"update schedule", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: report + "/schedules/s1", DisplayName: "x"}, UpdateMask: mask("display_name", "timeout")}, ""},
		{"update schedule blank name", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: report + "/schedules/s1"}, UpdateMask: mask("display_name")}, "display_name cannot be set to empty"},
		{"update schedule clears cron", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: report + "/schedules/s1"}, UpdateMask: mask("cron")}, "cron cannot be set to empty"},
		{"update schedule output-only path", &modeplatformv1.UpdateScheduleRequest{Schedule: &modeplatformv1.Schedule{Name: report + "/schedules/s1"}, UpdateMask: mask("next_scheduled_run_time")}, "update_mask"},
		{"batch delete schedules of any report", &modeplatformv1.BatchDeleteSchedulesRequest{Parent: "workspaces/parch_and_posey/reports/-", Names: []string{report + "/schedules/s1"}}, ""},
		{"batch delete schedules elsewhere", &modeplatformv1.BatchDeleteSchedulesRequest{Parent: "workspaces/other/reports/-", Names: []string{report + "/schedules/s1"}}, "every name must be a schedule of parent"},
		{"batch delete no schedules", &modeplatformv1.BatchDeleteSchedulesRequest{Parent: report}, "names"},
		{"list schedules of a space", &modeplatformv1.ListSchedulesRequest{Parent: space}, "parent"},
		{"get schedule", &modeplatformv1.GetScheduleRequest{Name: report + "/schedules/s1"}, ""},
		{"delete schedule by report name", &modeplatformv1.DeleteScheduleRequest{Name: report}, "name"},
		{"create subscription", &modeplatformv1.CreateSubscriptionRequest{Parent: report, RequestId: "sub-1", Subscription: &modeplatformv1.Subscription{
			Schedule: report + "/schedules/s1", PdfAttachments: true, EmailSubscribers: []string{"ada_l"}, SlackChannels: []string{"#sales-west"}}}, ""},
		{"subscription of another report's schedule", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{
			Schedule: "workspaces/parch_and_posey/reports/other/schedules/s1", PdfAttachments: true}}, "schedule must be a schedule of parent"},
		{"subscription delivering nothing", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{
			Schedule: report + "/schedules/s1"}}, "must deliver something"},
		{"subscription to a slack channel without #", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{
			Schedule: report + "/schedules/s1", ReportLinks: true, SlackChannels: []string{"sales"}}}, "slack_channels"},
		{"subscription twice to one member", &modeplatformv1.CreateSubscriptionRequest{Parent: report, Subscription: &modeplatformv1.Subscription{
			Schedule: report + "/schedules/s1", ReportLinks: true, EmailSubscribers: []string{"ada_l", "ada_l"}}}, "email_subscribers"},
		{"move subscription", &modeplatformv1.UpdateSubscriptionRequest{Subscription: &modeplatformv1.Subscription{Name: report + "/subscriptions/u1",
			Schedule: report + "/schedules/s2"}, UpdateMask: mask("schedule")}, ""},
		{"move subscription to another report", &modeplatformv1.UpdateSubscriptionRequest{Subscription: &modeplatformv1.Subscription{Name: report + "/subscriptions/u1",
			Schedule: "workspaces/parch_and_posey/reports/other/schedules/s2"}, UpdateMask: mask("schedule")}, "schedule of the subscription's report"},
		{"subscription loses its schedule", &modeplatformv1.UpdateSubscriptionRequest{Subscription: &modeplatformv1.Subscription{Name: report + "/subscriptions/u1"},
			UpdateMask: mask("schedule")}, "schedule cannot be set to empty"},
		{"get report parameters", &modeplatformv1.GetReportParametersRequest{Name: report}, ""},
		{"get parameters of a run", &modeplatformv1.GetReportParametersRequest{Name: run}, "name"},
		{"duplicate run into a space", &modeplatformv1.DuplicateReportRunRequest{Name: run, Space: space, RequestId: "d-1"}, ""},
		{"duplicate run into a report", &modeplatformv1.DuplicateReportRunRequest{Name: run, Space: report}, "space"},
		{"get duplicate", &modeplatformv1.GetReportRunDuplicateRequest{Name: run + "/duplicates/d1"}, ""},
		{"export run as pdf from an offset", &modeplatformv1.ExportReportRunRequest{Name: run, Format: modeplatformv1.ExportReportRunRequest_FORMAT_PDF, Offset: 4096}, ""},
		{"export run without a format", &modeplatformv1.ExportReportRunRequest{Name: run}, "format"},
		{"export run from a negative offset", &modeplatformv1.ExportReportRunRequest{Name: run, Format: modeplatformv1.ExportReportRunRequest_FORMAT_CSV, Offset: -1}, "offset"},
		{"list a schedule's subscriptions", &modeplatformv1.ListSubscriptionsRequest{Parent: report, Schedule: report + "/schedules/s1"}, ""},
		{"list another report's schedule's subscriptions", &modeplatformv1.ListSubscriptionsRequest{Parent: report, Schedule: "workspaces/parch_and_posey/reports/other/schedules/s1"}, "schedule must be a schedule of parent"},
	}
	validator, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validator.Validate(tt.msg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want no error", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Validate() = nil, want a violation mentioning %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("Validate() = %v, want a violation mentioning %q", err, tt.wantErr)
			}
			var verr *protovalidate.ValidationError
			if err != nil && !errors.As(err, &verr) {
				t.Errorf("Validate() = %T %v, want a *protovalidate.ValidationError", err, err)
			}
		})
	}
}

// TestEveryRequestCompiles validates an empty request of every method of every service: each
// answer must be a plain pass or violation, never a compilation or runtime error of a rule.
func TestEveryRequestCompiles(t *testing.T) {
	validator, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	files := []protoreflect.FileDescriptor{
		modeplatformv1.File_modeplatform_v1_workspace_proto,
		modeplatformv1.File_modeplatform_v1_report_proto,
		modeplatformv1.File_modeplatform_v1_data_source_proto,
		modeplatformv1.File_modeplatform_v1_dataset_proto,
	}
	methods := 0
	for _, file := range files {
		for i := range file.Services().Len() {
			service := file.Services().Get(i)
			for j := range service.Methods().Len() {
				method := service.Methods().Get(j)
				methods++
				err := validator.Validate(dynamicpb.NewMessage(method.Input()))
				var verr *protovalidate.ValidationError
				if err != nil && !errors.As(err, &verr) {
					t.Errorf("%s: %v", method.FullName(), err)
				}
			}
		}
	}
	if methods != 96 {
		t.Errorf("found %d methods, want 96 (28 workspace + 44 report + 10 data source + 14 dataset)", methods)
	}
}

// TestEveryMethodHasARESTRoute checks the google.api.http rules (AIP-127) that vanguard serves and
// the OpenAPI document describes: every method has one; each path variable is a string field of the
// request (nested for updates: report.name) whose template is the name pattern of a resource of the
// contract, and of the very resource the field refers to when it names one by type; the body is
// "*" or a message field of the request outside the path, and GET and DELETE have none; GET is only
// for methods without side effects, PATCH and DELETE only for idempotent ones; and no two routes of
// one HTTP method can match the same URL.
func TestEveryMethodHasARESTRoute(t *testing.T) {
	files := []protoreflect.FileDescriptor{
		modeplatformv1.File_modeplatform_v1_workspace_proto,
		modeplatformv1.File_modeplatform_v1_report_proto,
		modeplatformv1.File_modeplatform_v1_data_source_proto,
		modeplatformv1.File_modeplatform_v1_dataset_proto,
	}
	// Every resource's name patterns, with their variables as "*" (the path templates' form).
	patterns := map[string][]string{} // resource type -> patterns
	allPatterns := map[string]bool{}
	var collect func(protoreflect.MessageDescriptors)
	collect = func(msgs protoreflect.MessageDescriptors) {
		for i := range msgs.Len() {
			m := msgs.Get(i)
			if r := proto.GetExtension(m.Options(), annotations.E_Resource).(*annotations.ResourceDescriptor); r != nil {
				for _, p := range r.GetPattern() {
					p = resourceVariable.ReplaceAllString(p, "*")
					patterns[r.GetType()] = append(patterns[r.GetType()], p)
					allPatterns[p] = true
				}
			}
			collect(m.Messages())
		}
	}
	protoregistry.GlobalFiles.RangeFilesByPackage("modeplatform.v1", func(f protoreflect.FileDescriptor) bool {
		collect(f.Messages())
		return true
	})
	if len(patterns) == 0 {
		t.Fatal("no google.api.resource in the contract")
	}

	type route struct {
		method   string // the RPC
		verb     string // HTTP
		segments []string
		custom   string // the custom verb after ":", if any
	}
	var routes []route
	methods := 0
	for _, file := range files {
		for i := range file.Services().Len() {
			service := file.Services().Get(i)
			for j := range service.Methods().Len() {
				method := service.Methods().Get(j)
				methods++
				name := string(method.FullName())
				rule := proto.GetExtension(method.Options(), annotations.E_Http).(*annotations.HttpRule)
				if rule == nil || rule.GetPattern() == nil {
					t.Errorf("%s: no google.api.http rule", name)
					continue
				}
				idempotency := method.Options().(*descriptorpb.MethodOptions).GetIdempotencyLevel()
				for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
					verb, path := httpPattern(r)
					if verb == "" {
						t.Errorf("%s: a rule without a GET/POST/PATCH/DELETE pattern: %v", name, r)
						continue
					}
					switch {
					case verb == "GET" && idempotency != descriptorpb.MethodOptions_NO_SIDE_EFFECTS:
						t.Errorf("%s: GET %s, but the method has side effects", name, path)
					case (verb == "PATCH" || verb == "DELETE") && idempotency != descriptorpb.MethodOptions_IDEMPOTENT:
						t.Errorf("%s: %s %s, but the method is not idempotent", name, verb, path)
					}
					if len(r.GetAdditionalBindings()) > 0 && r != rule {
						t.Errorf("%s: additional bindings nest only one level", name)
					}
					segments, custom, vars, err := parseHTTPPath(path)
					if err != nil {
						t.Errorf("%s: %s %s: %v", name, verb, path, err)
						continue
					}
					if len(vars) == 0 {
						t.Errorf("%s: %s %s names no resource", name, verb, path)
					}
					inPath := map[string]bool{}
					for fieldPath, template := range vars {
						inPath[fieldPath] = true
						field, err := requestField(method.Input(), fieldPath)
						if err != nil {
							t.Errorf("%s: %s %s: %v", name, verb, path, err)
							continue
						}
						if field.Kind() != protoreflect.StringKind || field.IsList() {
							t.Errorf("%s: %s %s: path variable %s is not a string field", name, verb, path, fieldPath)
						}
						ref := proto.GetExtension(field.Options(), annotations.E_ResourceReference).(*annotations.ResourceReference)
						want := allPatterns
						if typ := ref.GetType(); typ != "" {
							want = map[string]bool{}
							for _, p := range patterns[typ] {
								want[p] = true
							}
						}
						if !want[template] {
							t.Errorf("%s: %s %s: %s=%s is not a name pattern of %s", name, verb, path, fieldPath, template, cmp.Or(ref.GetType(), "any resource of the contract"))
						}
					}
					switch body := r.GetBody(); {
					case body == "":
						if verb == "POST" || verb == "PATCH" {
							t.Errorf("%s: %s %s without a body", name, verb, path)
						}
					case verb == "GET" || verb == "DELETE":
						t.Errorf("%s: %s %s with a body", name, verb, path)
					case body == "*":
					default:
						f := method.Input().Fields().ByName(protoreflect.Name(body))
						if f == nil || f.Message() == nil || inPath[body] {
							t.Errorf("%s: body %q is not a message field of %s outside the path", name, body, method.Input().FullName())
						}
					}
					routes = append(routes, route{method: name, verb: verb, segments: segments, custom: custom})
				}
			}
		}
	}
	if methods != 96 {
		t.Errorf("found %d methods, want 96", methods)
	}
	// Two routes clash when one URL could match both: same HTTP method, same custom verb, same
	// number of segments, and each pair of segments equal or one of them a wildcard.
	for i, a := range routes {
		for _, b := range routes[i+1:] {
			if a.verb != b.verb || a.custom != b.custom || len(a.segments) != len(b.segments) {
				continue
			}
			clash := true
			for k := range a.segments {
				if a.segments[k] != b.segments[k] && a.segments[k] != "*" && b.segments[k] != "*" {
					clash = false
					break
				}
			}
			if clash {
				t.Errorf("%s and %s: both match %s /%s:%s", a.method, b.method, a.verb, strings.Join(a.segments, "/"), a.custom)
			}
		}
	}
}

// resourceVariable is a variable of a google.api.resource pattern: {workspace}.
var resourceVariable = regexp.MustCompile(`\{[a-z_]+\}`)

// httpPattern returns a rule's HTTP method and path template.
func httpPattern(r *annotations.HttpRule) (verb, path string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "GET", p.Get
	case *annotations.HttpRule_Post:
		return "POST", p.Post
	case *annotations.HttpRule_Patch:
		return "PATCH", p.Patch
	case *annotations.HttpRule_Delete:
		return "DELETE", p.Delete
	default:
		return "", ""
	}
}

// parseHTTPPath splits a path template ("/v1/{name=workspaces/*/reports/*}:run") into its
// segments with the variables' templates inlined, its custom verb, and its variables (field path
// -> template; a bare {field} is "*").
func parseHTTPPath(path string) (segments []string, custom string, vars map[string]string, err error) {
	if !strings.HasPrefix(path, "/v1/") {
		return nil, "", nil, errors.New("not under /v1/")
	}
	if i := strings.LastIndex(path, ":"); i > strings.LastIndex(path, "}") && i > strings.LastIndex(path, "/") {
		path, custom = path[:i], path[i+1:]
	}
	vars = map[string]string{}
	var b strings.Builder
	for rest := path[1:]; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:open])
		end := strings.IndexByte(rest, '}')
		if end < open {
			return nil, "", nil, errors.New("unbalanced braces")
		}
		field, template, found := strings.Cut(rest[open+1:end], "=")
		if !found {
			template = "*"
		}
		if _, dup := vars[field]; dup {
			return nil, "", nil, fmt.Errorf("variable %s twice", field)
		}
		vars[field] = template
		b.WriteString(template)
		rest = rest[end+1:]
	}
	segments = strings.Split(b.String(), "/")
	for _, s := range segments {
		if s == "" || s == "**" {
			return nil, "", nil, fmt.Errorf("segment %q", s)
		}
	}
	return segments, custom, vars, nil
}

// requestField resolves a dotted field path ("report.name") in a request message.
func requestField(msg protoreflect.MessageDescriptor, fieldPath string) (protoreflect.FieldDescriptor, error) {
	var field protoreflect.FieldDescriptor
	for part := range strings.SplitSeq(fieldPath, ".") {
		if msg == nil {
			return nil, fmt.Errorf("%s: %s is not a message", fieldPath, field.Name())
		}
		field = msg.Fields().ByName(protoreflect.Name(part))
		if field == nil {
			return nil, fmt.Errorf("%s: %s has no field %s", fieldPath, msg.FullName(), part)
		}
		msg = field.Message()
	}
	return field, nil
}

func manyParams(n int) map[string]string {
	params := make(map[string]string, n)
	for i := range n {
		params["p"+strings.Repeat("x", i%10)+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	return params
}
