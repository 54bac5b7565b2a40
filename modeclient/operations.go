package modeclient

import "slices"

// Operation is one operation of Mode's API that the client calls: an HTTP method, the route
// template of its path as the client names the parameters (the route RouteFromContext gives),
// and the Client methods that call it.
type Operation struct {
	Method  string // "GET"
	Route   string // "/api/{workspace}/reports/{report}"
	Methods string // "GetReport"; several are comma-separated
}

// operations is the hand-maintained list behind Operations. Keep it in step with the client:
// the contract suite fails when the client calls a route missing here, or when a route listed
// here is never called (modeclient's TestMain).
var operations = []Operation{
	{"GET", "/api/{workspace}", "GetWorkspace"},
	{"GET", "/api/account", "GetAccount"},
	{"GET", "/api/verify", "VerifyCredential"},

	{"GET", "/api/{workspace}/memberships", "ListMemberships, ListMembershipsPage (and GetMembershipByUsername, and CreateGroupMembership and CreateSpaceMembership given a username)"},
	{"GET", "/api/{workspace}/memberships/{membership}", "GetMembership (and DeleteMembership, to check the workspace first)"},
	{"DELETE", "/api/{workspace}/memberships/{membership}", "DeleteMembership"},
	{"POST", "/api/{workspace}/invites", "InviteMembers"},
	{"GET", "/api/{workspace}/audit_logs", "ListAuditLog, ListAuditLogPage"},
	{"GET", "/api/{workspace}/groups", "ListGroups, ListGroupsPage"},
	{"POST", "/api/{workspace}/groups", "CreateGroup"},
	{"GET", "/api/{workspace}/groups/{group}", "GetGroup"},
	{"PATCH", "/api/{workspace}/groups/{group}", "UpdateGroup"},
	{"DELETE", "/api/{workspace}/groups/{group}", "DeleteGroup"},
	{"GET", "/api/{workspace}/groups/{group}/memberships", "ListGroupMemberships, ListGroupMembershipsPage"},
	{"POST", "/api/{workspace}/groups/{group}/memberships", "CreateGroupMembership"},
	{"GET", "/api/{workspace}/groups/{group}/memberships/{membership}", "GetGroupMembership"},
	{"DELETE", "/api/{workspace}/groups/{group}/memberships/{membership}", "DeleteGroupMembership"},

	{"GET", "/api/{workspace}/spaces", "ListSpaces, ListSpacesPage"},
	{"POST", "/api/{workspace}/spaces", "CreateSpace"},
	{"GET", "/api/{workspace}/spaces/{space}", "GetSpace"},
	{"POST", "/api/{workspace}/spaces/{space}", "UpdateSpace"},
	{"DELETE", "/api/{workspace}/spaces/{space}", "DeleteSpace"},
	{"GET", "/api/{workspace}/spaces/{space}/reports", "ListSpaceReports, ListSpaceReportsPage"},
	{"GET", "/api/{workspace}/spaces/{space}/memberships", "ListSpaceMemberships, ListSpaceMembershipsPage"},
	{"POST", "/api/{workspace}/spaces/{space}/memberships", "CreateSpaceMembership"},
	{"GET", "/api/{workspace}/spaces/{space}/memberships/{space_membership}", "GetSpaceMembership"},
	{"DELETE", "/api/{workspace}/spaces/{space}/memberships/{space_membership}", "DeleteSpaceMembership"},

	{"GET", "/api/{workspace}/data_sources", "ListDataSources, ListDataSourcesPage"},
	{"GET", "/api/{workspace}/data_sources/{data_source}", "GetDataSource"},
	{"GET", "/api/{workspace}/data_sources/{data_source}/reports", "ListDataSourceReports, ListDataSourceReportsPage"},
	{"PATCH", "/api/{workspace}/data_sources/{data_source}", "UpdateDataSource"},
	{"POST", "/api/{workspace}/data_sources/{data_source}/purge", "PurgeDataSourceResults"},
	{"POST", "/api/{workspace}/data_sources/{data_source}/schema_updates", "UpdateDataSourceSchema"},
	{"POST", "/api/{workspace}/reports/purge", "PurgeReportResults, PurgeReportResultsWithOptions"},

	{"GET", "/api/{workspace}/definitions", "ListDefinitions, ListDefinitionsPage"},
	{"POST", "/api/{workspace}/definitions", "CreateDefinition"},
	{"GET", "/api/{workspace}/definitions/{definition}", "GetDefinition"},
	{"PATCH", "/api/{workspace}/definitions/{definition}", "UpdateDefinition"},
	{"DELETE", "/api/{workspace}/definitions/{definition}", "DeleteDefinition"},
	{"GET", "/api/{workspace}/datasets/{dataset}", "GetDataset"},
	{"PATCH", "/api/{workspace}/datasets/{dataset}", "UpdateDataset"},
	{"DELETE", "/api/{workspace}/datasets/{dataset}", "DeleteDataset"},
	{"GET", "/api/{workspace}/spaces/{space}/datasets", "ListSpaceDatasets, ListSpaceDatasetsPage, ListSpaceDatasetsPageWithOptions"},
	{"GET", "/api/{workspace}/data_sources/{data_source}/datasets", "ListDataSourceDatasets, ListDataSourceDatasetsPage, ListDataSourceDatasetsPageWithOptions"},
	{"GET", "/api/{workspace}/datasets/{dataset}/reports", "ListDatasetReports, ListDatasetReportsPage"},
	{"GET", "/api/{workspace}/datasets/{dataset}/runs", "ListDatasetRuns, ListDatasetRunsPage, ListDatasetRunsPageWithOptions"},
	{"POST", "/api/{workspace}/datasets/{dataset}/runs", "RunDataset"},
	{"GET", "/api/{workspace}/datasets/{dataset}/runs/{run}", "GetDatasetRun"},
	{"GET", "/api/{workspace}/datasets/{dataset}/fields", "ListDatasetFields, ListDatasetFieldsPage"},
	{"GET", "/api/{workspace}/datasets/{dataset}/field_descriptions", "ListDatasetFieldDescriptions, ListDatasetFieldDescriptionsPage"},
	{"POST", "/api/{workspace}/datasets/{dataset}/field_descriptions", "CreateDatasetFieldDescription"},
	{"PATCH", "/api/{workspace}/datasets/{dataset}/field_descriptions/{field_description}", "UpdateDatasetFieldDescription"},
	{"DELETE", "/api/{workspace}/datasets/{dataset}/field_descriptions/{field_description}", "DeleteDatasetFieldDescription"},
	{"GET", "/api/{workspace}/datasets/{dataset}/schedules", "ListDatasetSchedules, ListDatasetSchedulesPage"},

	{"GET", "/api/{workspace}/reports/{report}", "GetReport, GetReportBasic"},
	{"PATCH", "/api/{workspace}/reports/{report}", "UpdateReport"},
	{"DELETE", "/api/{workspace}/reports/{report}", "DeleteReport"},
	{"PATCH", "/api/{workspace}/reports/{report}/archive", "ArchiveReport"},
	{"PATCH", "/api/{workspace}/reports/{report}/unarchive", "UnarchiveReport"},

	{"GET", "/api/{workspace}/reports/{report}/schedules", "ListReportSchedules, ListReportSchedulesPage"},
	{"POST", "/api/{workspace}/reports/{report}/schedules", "CreateReportSchedule"},
	{"GET", "/api/{workspace}/reports/{report}/schedules/{schedule}", "GetReportSchedule"},
	{"PATCH", "/api/{workspace}/reports/{report}/schedules/{schedule}", "UpdateReportSchedule"},
	{"DELETE", "/api/{workspace}/reports/{report}/schedules/{schedule}", "DeleteReportSchedule"},
	{"DELETE", "/api/{workspace}/reports/schedules/v1/bulk_delete", "BulkDeleteReportSchedules"},
	{"GET", "/api/{workspace}/reports/{report}/schedules/{schedule}/subscriptions", "ListScheduleSubscriptions, ListScheduleSubscriptionsPage"},

	{"GET", "/api/{workspace}/reports/{report}/subscriptions", "ListReportSubscriptions, ListReportSubscriptionsPage"},
	{"POST", "/api/{workspace}/reports/{report}/subscriptions", "CreateReportSubscription"},
	{"GET", "/api/{workspace}/reports/{report}/subscriptions/{subscription}", "GetReportSubscription"},
	{"PATCH", "/api/{workspace}/reports/{report}/subscriptions/{subscription}", "UpdateReportSubscription"},
	{"DELETE", "/api/{workspace}/reports/{report}/subscriptions/{subscription}", "DeleteReportSubscription"},

	{"GET", "/api/{workspace}/reports/{report}/filters", "ListReportFilters, ListReportFiltersPage"},
	{"POST", "/api/{workspace}/reports/{report}/filters", "CreateReportFilter"},
	{"GET", "/api/{workspace}/reports/{report}/filters/{filter}", "GetReportFilter"},
	{"PATCH", "/api/{workspace}/reports/{report}/filters/{filter}", "UpdateReportFilter"},
	{"DELETE", "/api/{workspace}/reports/{report}/filters/{filter}", "DeleteReportFilter"},

	{"GET", "/api/{workspace}/reports/{report}/queries", "ListQueries, ListQueriesPage"},
	{"POST", "/api/{workspace}/reports/{report}/queries", "CreateQuery"},
	{"GET", "/api/{workspace}/reports/{report}/queries/{query}", "GetQuery"},
	{"PATCH", "/api/{workspace}/reports/{report}/queries/{query}", "UpdateQuery"},
	{"DELETE", "/api/{workspace}/reports/{report}/queries/{query}", "DeleteQuery"},
	{"GET", "/api/{workspace}/reports/{report}/queries/{query}/charts", "ListQueryCharts, ListQueryChartsPage"},
	{"GET", "/api/{workspace}/reports/{report}/queries/{query}/charts/{chart}", "GetChart"},

	{"GET", "/api/{workspace}/reports/{report}/runs", "ListReportRuns, ListReportRunsPage"},
	{"POST", "/api/{workspace}/reports/{report}/runs", "RunReport"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}", "GetReportRun"},
	{"POST", "/api/{workspace}/reports/{report}/runs/{run}/clone", "CloneReportRun"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/options", "GetReportRunOptions, GetReportParameters"},
	{"POST", "/api/{workspace}/reports/{report}/runs/{run}/duplicates", "DuplicateReportRun"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/duplicates/{duplicate}", "GetReportRunDuplicate"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/results/content.csv", "DownloadReportRunResults"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/results/content.json", "DownloadReportRunResults"},
	{"GET", "/api/{workspace}/reports/{report}/exports/runs/{run}/pdf/download", "DownloadReportRunPDF"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/query_runs", "ListQueryRuns, ListQueryRunsPage"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/query_runs/{query_run}", "GetQueryRun"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/query_runs/{query_run}/results/content.csv", "QueryResultsCSV"},
	{"GET", "/api/{workspace}/reports/{report}/runs/{run}/query_runs/{query_run}/results/content.json", "QueryResultsJSON, QueryResultRows, QueryResultRowsWithLimits"},

	// The Metadata API (batch-swagger.json).
	{"GET", "/batch/{workspace}/reports", "ListBatchReports, ListBatchReportsPage"},
	{"GET", "/batch/{workspace}/queries", "ListBatchQueries, ListBatchQueriesPage"},
	{"GET", "/batch/{workspace}/charts", "ListBatchCharts, ListBatchChartsPage"},
	{"GET", "/batch/{workspace}/spaces", "ListBatchSpaces, ListBatchSpacesPage"},
	{"GET", "/batch/{workspace}/report_stats", "ListBatchReportStats, ListBatchReportStatsPage"},
	{"GET", "/batch/{workspace}/members", "ListBatchMembers, ListBatchMembersPage"},
	{"POST", "/batch/{workspace}/signature_tokens", "CreateSignatureToken (and every Metadata API read, for its own token)"},
	{"DELETE", "/batch/{workspace}/signature_tokens/{signature_token}", "DeleteSignatureToken, ReleaseBatchTokens"},
}

// Operations returns the operations of Mode's API the client calls, one per method and route,
// for tests and reports that measure the client against Mode's OpenAPI documents and the Mode
// emulator (the service's coverage table).
func Operations() []Operation { return slices.Clone(operations) }
