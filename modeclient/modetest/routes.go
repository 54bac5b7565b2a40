package modetest

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// routes registers every path the emulator serves. Adding a resource is a handler and a line here.
func (e *Emulator) routes() {
	h := func(pattern string, fn http.HandlerFunc) {
		e.mux.HandleFunc(pattern, e.inWorkspace(fn))
		e.patterns = append(e.patterns, pattern)
	}

	// Not in a workspace: Mode's account resource (a workspace or a user) and Verify User.
	outside := func(pattern string, fn http.HandlerFunc) {
		e.mux.HandleFunc(pattern, fn)
		e.patterns = append(e.patterns, pattern)
	}
	outside("GET /api/{ws}", e.getAccount)
	outside("GET /api/account", e.getCurrentUser)
	outside("GET /api/verify", e.verify)

	h("GET /api/{ws}/memberships", e.listMemberships)
	h("GET /api/{ws}/memberships/{membership}", e.getMembership)
	h("DELETE /api/{ws}/memberships/{membership}", e.deleteMembership)
	h("POST /api/{ws}/invites", e.createInvite)
	h("GET /api/{ws}/audit_logs", e.listAuditLogs)
	h("GET /api/{ws}/memberships/{membership}/groups", e.listMemberGroups)
	h("GET /api/{ws}/groups", e.listGroups)
	h("POST /api/{ws}/groups", e.createGroup)
	h("GET /api/{ws}/groups/{group}", e.getGroup)
	h("PATCH /api/{ws}/groups/{group}", e.updateGroup)
	h("DELETE /api/{ws}/groups/{group}", e.deleteGroup)
	h("GET /api/{ws}/groups/{group}/memberships", e.listGroupMemberships)
	h("POST /api/{ws}/groups/{group}/memberships", e.createGroupMembership)
	h("GET /api/{ws}/groups/{group}/memberships/{membership}", e.getGroupMembership)
	h("DELETE /api/{ws}/groups/{group}/memberships/{membership}", e.deleteGroupMembership)

	for _, spaces := range []string{"spaces", "collections"} {
		p := "/api/{ws}/" + spaces
		h("GET "+p, e.listSpaces)
		h("POST "+p, e.createSpace)
		h("GET "+p+"/{space}", e.getSpace)
		h("POST "+p+"/{space}", e.updateSpace)
		h("DELETE "+p+"/{space}", e.deleteSpace)
		h("GET "+p+"/{space}/reports", e.listSpaceReports)
	}
	h("GET /api/{ws}/spaces/{space}/search_space_permissions", e.emptySpaceList("space_permissions"))
	h("GET /api/{ws}/spaces/{space}/memberships", e.listSpaceMemberships)
	h("POST /api/{ws}/spaces/{space}/memberships", e.createSpaceMembership)
	h("GET /api/{ws}/spaces/{space}/memberships/{space_membership}", e.getSpaceMembership)
	h("DELETE /api/{ws}/spaces/{space}/memberships/{space_membership}", e.deleteSpaceMembership)

	h("GET /api/{ws}/data_sources", e.listDataSources)
	h("GET /api/{ws}/data_sources/{data_source}", e.getDataSource)
	h("GET /api/{ws}/data_sources/{data_source}/reports", e.listDataSourceReports)
	h("PATCH /api/{ws}/data_sources/{data_source}", e.updateDataSource)
	h("POST /api/{ws}/data_sources/{data_source}/purge", e.purgeDataSource)
	h("POST /api/{ws}/data_sources/{data_source}/schema_updates", e.createSchemaUpdate)
	h("GET /api/{ws}/data_sources/{data_source}/schema_updates/{schema_update}", e.getSchemaUpdate)

	h("POST /api/{ws}/reports/purge", e.purgeReports)

	h("GET /api/{ws}/definitions", e.listDefinitions)
	h("POST /api/{ws}/definitions", e.createDefinition)
	h("GET /api/{ws}/definitions/{definition}", e.getDefinition)
	h("PATCH /api/{ws}/definitions/{definition}", e.updateDefinition)
	h("DELETE /api/{ws}/definitions/{definition}", e.deleteDefinition)
	h("GET /api/{ws}/definitions/{definition}/runs", e.listDefinitionRuns)
	const ds = "/api/{ws}/datasets/{dataset}"
	h("GET "+ds, e.getDataset)
	h("PATCH "+ds, e.updateDataset)
	h("DELETE "+ds, e.deleteDataset)
	h("GET /api/{ws}/spaces/{space}/datasets", e.listSpaceDatasets)
	h("GET /api/{ws}/data_sources/{data_source}/datasets", e.listDataSourceDatasets)
	h("GET "+ds+"/reports", e.listDatasetReports)
	h("GET "+ds+"/runs", e.listDatasetRuns)
	h("POST "+ds+"/runs", e.createDatasetRun)
	h("GET "+ds+"/runs/{run}", e.getDatasetRun)
	h("GET "+ds+"/fields", e.listDatasetFields)
	h("GET "+ds+"/field_descriptions", e.listFieldDescriptions)
	h("POST "+ds+"/field_descriptions", e.createFieldDescription)
	h("PATCH "+ds+"/field_descriptions/{field_description}", e.updateFieldDescription)
	h("DELETE "+ds+"/field_descriptions/{field_description}", e.deleteFieldDescription)
	h("GET "+ds+"/schedules", e.listDatasetSchedules)

	const rep = "/api/{ws}/reports/{report}"
	h("GET "+rep, e.getReport)
	h("PATCH "+rep, e.updateReport)
	h("DELETE "+rep, e.deleteReport)
	h("PATCH "+rep+"/archive", e.archiveReport(true))
	h("PATCH "+rep+"/unarchive", e.archiveReport(false))
	h("GET "+rep+"/schedules", e.listSchedules)
	h("POST "+rep+"/schedules", e.createSchedule)
	h("GET "+rep+"/schedules/{schedule}", e.getSchedule)
	h("PATCH "+rep+"/schedules/{schedule}", e.updateSchedule)
	h("DELETE "+rep+"/schedules/{schedule}", e.deleteSchedule)
	h("GET "+rep+"/schedules/{schedule}/subscriptions", e.listScheduleSubscriptions)
	h("GET "+rep+"/subscriptions", e.listSubscriptions)
	h("POST "+rep+"/subscriptions", e.createSubscription)
	h("GET "+rep+"/subscriptions/{subscription}", e.getSubscription)
	h("PATCH "+rep+"/subscriptions/{subscription}", e.updateSubscription)
	h("DELETE "+rep+"/subscriptions/{subscription}", e.deleteSubscription)
	h("GET "+rep+"/subscriptions/{subscription}/email_subscription_memberships", e.listEmailSubscribers)
	h("GET "+rep+"/subscriptions/{subscription}/slack_subscription_memberships", e.listSlackSubscribers)
	h("DELETE /api/{ws}/reports/schedules/v1/bulk_delete", e.bulkDeleteSchedules)
	h("GET "+rep+"/filters", e.listReportFilters)
	h("POST "+rep+"/filters", e.createReportFilter)
	h("GET "+rep+"/filters/{filter}", e.getReportFilter)
	h("PATCH "+rep+"/filters/{filter}", e.updateReportFilter)
	h("DELETE "+rep+"/filters/{filter}", e.deleteReportFilter)
	h("GET "+rep+"/pins", e.emptyReportList("report_pins"))
	h("GET "+rep+"/perspective_email_report_subscription_memberships", e.emptyReportList("perspective_email_report_subscription_memberships"))

	h("GET "+rep+"/runs", e.listRuns)
	h("POST "+rep+"/runs", e.createRun)
	h("GET "+rep+"/runs/{run}", e.getRun)
	h("POST "+rep+"/runs/{run}/clone", e.cloneRun)
	h("GET "+rep+"/runs/{run}/options", e.listRunOptions)
	h("POST "+rep+"/runs/{run}/duplicates", e.duplicateRun)
	h("GET "+rep+"/runs/{run}/duplicates/{duplicate}", e.getRunDuplicate)
	h("GET "+rep+"/runs/{run}/results/content.json", e.runResults(formatJSON))
	h("GET "+rep+"/runs/{run}/results/content.csv", e.runResults(formatCSV))
	h("GET "+rep+"/exports/runs/{run}/pdf/download", e.exportRunPDF)
	h("GET "+rep+"/runs/{run}/query_runs", e.listQueryRuns)
	h("GET "+rep+"/runs/{run}/query_runs/{query_run}", e.getQueryRun)
	h("GET "+rep+"/runs/{run}/query_runs/{query_run}/results/content.json", e.queryRunResults(formatJSON))
	h("GET "+rep+"/runs/{run}/query_runs/{query_run}/results/content.csv", e.queryRunResults(formatCSV))

	h("GET "+rep+"/queries", e.listQueries)
	h("POST "+rep+"/queries", e.createQuery)
	h("GET "+rep+"/queries/{query}", e.getQuery)
	h("PATCH "+rep+"/queries/{query}", e.updateQuery)
	h("DELETE "+rep+"/queries/{query}", e.deleteQuery)
	h("GET "+rep+"/queries/{query}/runs", e.listQueryQueryRuns)
	h("GET "+rep+"/queries/{query}/charts", e.listCharts)
	h("GET "+rep+"/queries/{query}/charts/{chart}", e.getChart)

	// The Metadata API (batch.go): reads signed with a signature token of the workspace of the
	// path (signature.go); signature tokens made and deleted with Basic auth.
	batch := func(pattern string, fn http.HandlerFunc) { h(pattern, e.signedFor(fn)) }
	batch("GET /batch/{ws}/reports", e.batchReports)
	batch("GET /batch/{ws}/queries", e.batchQueries)
	batch("GET /batch/{ws}/charts", e.batchCharts)
	batch("GET /batch/{ws}/spaces", e.batchSpaces)
	batch("GET /batch/{ws}/report_stats", e.batchReportStats)
	batch("GET /batch/{ws}/members", e.batchMembers)
	h("POST /batch/{ws}/signature_tokens", e.createSignatureToken)
	h("DELETE /batch/{ws}/signature_tokens/{signature_token}", e.deleteSignatureToken)

	e.mux.HandleFunc("/", e.unrouted)
}

// Routes returns the routes the emulator serves, as patterns of net/http's ServeMux
// ("GET /api/{ws}/reports/{report}"), in the order they were registered.
func (e *Emulator) Routes() []string { return slices.Clone(e.patterns) }

// Serves reports whether the emulator serves method on path, a concrete path or a path
// template of Mode's document ("/api/{account}/reports/{report}"): whether a route registered
// for that very operation answers it, not a wider one that happens to match (GET /api/{ws},
// Mode's account resource, matches GET /api/definitions too).
func (e *Emulator) Serves(method, path string) bool {
	concrete := param.ReplaceAllString(path, "x1")
	req, err := http.NewRequest(method, concrete, nil)
	if err != nil {
		return false
	}
	_, pattern := e.mux.Handler(req)
	_, route, _ := strings.Cut(pattern, " ")
	return pattern != "" && pattern != "/" && segments(route) == segments(path)
}

// param is a {name} of a path template.
var param = regexp.MustCompile(`\{[^}]*\}`)

// segments is a path template with its parameters unnamed ("/api/{}/reports/{}").
func segments(path string) string { return param.ReplaceAllString(path, "{}") }

// unrouted answers what no route took: 405 when the path exists with other verbs, else 404.
func (e *Emulator) unrouted(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := e.mux.Handler(probe); pattern != "" && pattern != "/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	writeError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
}
