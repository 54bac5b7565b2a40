package modetest

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Datasets. Mode models a dataset as a kind of report: GET …/datasets/{dataset} answers Mode's
// Report schema, a dataset lives in a space and holds one query, and reports import datasets
// (Report.imported_datasets). So the emulator keeps a dataset as a report flagged as one
// (report.dataset), with the type "DatasetReport" (our reading: Mode's document does not list
// the values of Report.type; report types are named after their kind, as "QueryReport" is).
// Everything a report has, a dataset has too, through the same machinery and under both paths:
// its runs (…/datasets/{d}/runs/{run} and …/reports/{d}/runs/{run}, whose query runs and results
// are served under …/reports/{d}/runs/{run}/query_runs/…), its queries and its schedules (made
// with POST …/reports/{d}/schedules, listed by …/datasets/{d}/schedules, fired on the clock as
// report schedules are). A dataset is not listed among the reports of a space or a data source
// (Mode lists them apart: …/spaces/{s}/datasets, …/data_sources/{ds}/datasets).
//
// What Mode's document leaves undefined, and how the emulator reads it:
//   - Datasets, DatasetFields, DatasetFieldDescription(s) and DatasetSchedules have no
//     definition: lists are HAL collections embedding their items under "datasets",
//     "dataset_fields", "dataset_field_descriptions" and "dataset_schedules" (named after the
//     definition the document names, as "report_runs" is after ReportRuns), and the run list,
//     which the document types ReportRuns, under "report_runs".
//   - A dataset run answers one shape wherever it is read: the document's DatasetRun for POST
//     (…_dataset_run fields, a dataset link) and its ReportRun for GET (…_report_run fields, a
//     report link) disagree, so the emulator sends the fields and links of both.
//   - A field is {"name", "type", "description", "_links"}: the name and type of a result column
//     of the dataset's query, in SELECT order, the type as the emulator names result column types
//     ("integer", "float", "string", "boolean", "datetime", "date"), inferred from the values
//     every row of the result holds, so that a field's type matches what a run's results show.
//     "Latest fields": those of the dataset's last successful run, else of its query as it is.
//   - A field description is {"token", "name", "desc", "created_at", "updated_at", "_links"}
//     ("name" and "desc" as the create and update bodies spell them). There is at most one per
//     field: creating a second for the same field is 400 ("Name has already been taken"), as is
//     creating one for a name that is not a field of the dataset. Mode documents descriptions of
//     at most 350 characters; a longer or blank one is 400.

// reportTypeQuery and reportTypeDataset are Report.type of a report and of a dataset.
const (
	reportTypeQuery   = "QueryReport"
	reportTypeDataset = "DatasetReport"
)

// maxFieldDescription is the longest field description Mode takes, in characters.
const maxFieldDescription = 350

func reportType(rep *report) string {
	if rep.dataset {
		return reportTypeDataset
	}
	return reportTypeQuery
}

// importedJSON is one entry of a report's imported_datasets. Mode's document types the field as a
// string with no further definition; the emulator sends an array of the imported datasets, each
// by token and name (RefreshImportedDatasetRequestBody names datasets by token the same way).
type importedJSON struct {
	Token string `json:"token"`
	Name  string `json:"name"`
}

// liveImports returns the datasets rep imports that still exist (a deleted dataset, or one
// deleted with its space, drops out). Call with e.mu held.
func liveImports(rep *report) []*report {
	var out []*report
	for _, d := range rep.imports {
		if d.ws.reportByTok[d.token] == d {
			out = append(out, d)
		}
	}
	return out
}

func importedJSONs(rep *report) []importedJSON {
	out := []importedJSON{}
	for _, d := range liveImports(rep) {
		out = append(out, importedJSON{Token: d.token, Name: d.name})
	}
	return out
}

// datasetLinks points the links of a dataset's Report representation at its dataset routes where
// it has them, and adds the links to its fields, field descriptions and the reports importing it.
func datasetLinks(ds *report, ls links) {
	ws := ds.ws.account.username
	dp := api(ws, "datasets", ds.token)
	ls["self"] = href(dp)
	ls["web"] = href(web(ws, "datasets", ds.token))
	ls["web_edit"] = href(web("editor", ws, "datasets", ds.token))
	ls["report_run"] = link{Href: dp + "/runs/{token}", Templated: true}
	ls["report_runs"] = href(dp + "/runs")
	ls["report_schedules"] = href(dp + "/schedules")
	ls["last_run"], ls["last_successful_run"] = href(dp+"/runs"), href(dp+"/runs")
	if n := len(ds.runs); n > 0 {
		ls["last_run"] = href(dp + "/runs/" + ds.runs[n-1].token)
	}
	if ds.lastSuccessRunTok != "" {
		ls["last_successful_run"] = href(dp + "/runs/" + ds.lastSuccessRunTok)
	}
	ls["fields"] = href(dp + "/fields")
	ls["field_descriptions"] = href(dp + "/field_descriptions")
	ls["dataset_reports"] = href(dp + "/reports")
}

// findDataset looks the dataset of the path up; one the caller may not see (access.go) is not
// found.
func (e *Emulator) findDataset(r *http.Request) *report {
	tok := r.PathValue("dataset")
	ds := find(e, r, func(st *store) *report {
		if rep := st.reportByTok[tok]; rep != nil && rep.dataset {
			return rep
		}
		return nil
	})
	if ds == nil || !canSeeReport(r, ds) {
		return nil
	}
	return ds
}

// withDataset runs fn on the dataset named in the path while holding the lock, answering 404
// when there is none; fn returns the status and body to answer.
func (e *Emulator) withDataset(w http.ResponseWriter, r *http.Request, fn func(ds *report) (int, any, string)) {
	e.mu.Lock()
	ds := e.findDataset(r)
	if ds == nil {
		e.mu.Unlock()
		notFound(w, "Dataset")
		return
	}
	status, body, msg := fn(ds)
	e.mu.Unlock()
	if status >= 400 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, body)
}

// listOfDataset answers one page of a list that belongs to the dataset of the path (its field
// descriptions, its schedules) under key: items, called with e.mu held, returns the whole list.
// A missing dataset is 404.
func listOfDataset[J any](e *Emulator, w http.ResponseWriter, r *http.Request, key string, items func(ds *report) []J) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	ds := e.findDataset(r)
	if ds == nil {
		e.mu.Unlock()
		notFound(w, "Dataset")
		return
	}
	all := items(ds)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, key, all))
}

func (e *Emulator) getDataset(w http.ResponseWriter, r *http.Request) {
	e.withDataset(w, r, func(ds *report) (int, any, string) {
		return http.StatusOK, e.reportJSON(ds), ""
	})
}

// updateDataset takes Mode's UpdateReportRequestBody ({"report": {"name", "description",
// "space_token"}}) and answers the dataset.
func (e *Emulator) updateDataset(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeReportBody(w, r)
	if !ok {
		return
	}
	e.withDataset(w, r, func(ds *report) (int, any, string) {
		if status, msg := b.apply(ds); status != 0 {
			return status, nil, msg
		}
		e.recordAudit(r, ds.ws, "dataset_updated", "dataset", ds.token, ds.name)
		return http.StatusOK, e.reportJSON(ds), ""
	})
}

// deleteDataset answers 200 with an empty body, as Mode's document does. The dataset's runs,
// schedules and field descriptions go with it, and the reports that imported it no longer show it.
func (e *Emulator) deleteDataset(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	ds := e.findDataset(r)
	if ds != nil {
		ds.ws.remove(ds)
		e.recordAudit(r, ds.ws, "dataset_deleted", "dataset", ds.token, ds.name)
	}
	e.mu.Unlock()
	if ds == nil {
		notFound(w, "Dataset")
		return
	}
	writeEmpty(w, http.StatusOK)
}

// listSpaceDatasets answers the datasets of a space, with the filter, order and order_by of
// report lists.
func (e *Emulator) listSpaceDatasets(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	s := e.findSpace(r)
	e.mu.Unlock()
	if s == nil {
		notFound(w, "Space")
		return
	}
	e.listIn(w, r, s.ws, "datasets", "", func(rep *report) bool { return rep.dataset && rep.spaceToken == s.token })
}

// listDataSourceDatasets answers the datasets whose query uses a data source.
func (e *Emulator) listDataSourceDatasets(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	d := e.findDataSource(r)
	e.mu.Unlock()
	if d == nil {
		notFound(w, "Data source")
		return
	}
	e.listIn(w, r, d.ws, "datasets", "", func(rep *report) bool {
		return rep.dataset && slices.ContainsFunc(rep.queries, func(q *query) bool { return q.dataSourceID == d.id })
	})
}

// listDatasetReports answers the dataset's lineage: the reports that import it, archived or not
// (a filter the request gives still applies), newest first like other report lists.
func (e *Emulator) listDatasetReports(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	ds := e.findDataset(r)
	e.mu.Unlock()
	if ds == nil {
		notFound(w, "Dataset")
		return
	}
	e.listIn(w, r, ds.ws, "reports", "all", func(rep *report) bool {
		return !rep.dataset && ds.ws.reportByTok[ds.token] == ds && slices.Contains(rep.imports, ds)
	})
}

// datasetRunJSON is a run of a dataset. Mode's document gives POST …/datasets/{d}/runs a
// DatasetRun and GET …/runs and …/runs/{run} a ReportRun: the emulator answers the same object
// for all three, carrying the fields and links both require.
type datasetRunJSON struct {
	ID                                 int            `json:"id"`
	Token                              string         `json:"token"`
	State                              string         `json:"state"`
	Parameters                         map[string]any `json:"parameters"`
	CreatedAt                          string         `json:"created_at"`
	UpdatedAt                          string         `json:"updated_at"`
	CompletedAt                        *string        `json:"completed_at"`
	PurgeStartedAt                     *string        `json:"purge_started_at"`
	PurgeCompletedAt                   *string        `json:"purge_completed_at"`
	IsLatestDatasetRun                 bool           `json:"is_latest_dataset_run"`
	IsLatestSuccessfulDatasetRun       bool           `json:"is_latest_successful_dataset_run"`
	DatasetHasFailuresSinceLastSuccess bool           `json:"dataset_has_failures_since_last_success"`
	IsLatestReportRun                  bool           `json:"is_latest_report_run"`
	IsLatestSuccessfulReportRun        bool           `json:"is_latest_successful_report_run"`
	ReportHasFailuresSinceLastSuccess  bool           `json:"report_has_failures_since_last_success"`
	PythonState                        string         `json:"python_state"`
	PusherChannelName                  string         `json:"pusher_channel_name"`
	Links                              links          `json:"_links"`
}

func (e *Emulator) datasetRunJSON(run *reportRun) datasetRunJSON {
	rj := e.runJSON(run)
	ds := run.report
	ws := ds.ws.account.username
	dp := api(ws, "datasets", ds.token)
	rp := api(ws, "reports", ds.token, "runs", run.token)
	j := datasetRunJSON{
		ID: rj.ID, Token: rj.Token, State: rj.State, Parameters: rj.Parameters,
		CreatedAt: rj.CreatedAt, UpdatedAt: rj.UpdatedAt, CompletedAt: rj.CompletedAt,
		PurgeStartedAt: rj.PurgeStartedAt, PurgeCompletedAt: rj.PurgeCompletedAt,
		IsLatestDatasetRun: rj.IsLatestReportRun, IsLatestSuccessfulDatasetRun: rj.IsLatestSuccessfulReportRun,
		DatasetHasFailuresSinceLastSuccess: rj.ReportHasFailuresSinceLastSuccess,
		IsLatestReportRun:                  rj.IsLatestReportRun, IsLatestSuccessfulReportRun: rj.IsLatestSuccessfulReportRun,
		ReportHasFailuresSinceLastSuccess: rj.ReportHasFailuresSinceLastSuccess,
		PythonState:                       rj.PythonState, PusherChannelName: "dataset-run-" + run.token,
		Links: links{
			"self":        href(dp + "/runs/" + run.token),
			"account":     href(api(ws)),
			"dataset":     href(dp),
			"report":      href(api(ws, "reports", ds.token)),
			"query_runs":  href(rp + "/query_runs"),
			"executed_by": href(api(run.executedBy)),
			"share":       href(web(ws, "datasets", ds.token, "runs", run.token)),
		},
	}
	if ds.lastSuccessRunTok != "" {
		j.Links["latest_successful_dataset_run_api_url"] = href(dp + "/runs/" + ds.lastSuccessRunTok)
	}
	if s := run.schedule; s != nil {
		j.Links["report_schedule"] = href(api(ws, "reports", ds.token, "schedules", s.token))
	}
	return j
}

// createDatasetRun runs the dataset as POST …/reports/{d}/runs runs a report (an optional
// {"parameters": {…}} body is taken the same way) and answers 202 with the run.
func (e *Emulator) createDatasetRun(w http.ResponseWriter, r *http.Request) {
	var b runBody
	if !decodeBody(w, r, &b) {
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Mode emulator is shutting down")
		return
	}
	ds := e.findDataset(r)
	if ds == nil {
		e.mu.Unlock()
		notFound(w, "Dataset")
		return
	}
	if refuseManualRun(w, ds) {
		e.mu.Unlock()
		return
	}
	run := e.startRun(ds, b.Parameters)
	e.recordAudit(r, ds.ws, "dataset_run", "dataset_run", run.token, ds.name)
	body := e.datasetRunJSON(run)
	e.mu.Unlock()
	writeJSON(w, http.StatusAccepted, body)
}

// listDatasetRuns answers a dataset's runs with the filter, order and order_by of report run
// lists: newest first unless asked otherwise.
func (e *Emulator) listDatasetRuns(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	pick, ok := runsQuery(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	ds := e.findDataset(r)
	if ds == nil {
		e.mu.Unlock()
		notFound(w, "Dataset")
		return
	}
	runs := pick(ds.runs)
	all := make([]datasetRunJSON, 0, len(runs))
	for _, run := range runs {
		all = append(all, e.datasetRunJSON(run))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "report_runs", all))
}

func (e *Emulator) getDatasetRun(w http.ResponseWriter, r *http.Request) {
	e.withDataset(w, r, func(ds *report) (int, any, string) {
		run := ds.run(r.PathValue("run"))
		if run == nil {
			return http.StatusNotFound, nil, "DatasetRun not found"
		}
		return http.StatusOK, e.datasetRunJSON(run), ""
	})
}

// listDatasetSchedules answers the dataset's schedules (ReportSchedule objects of the dataset),
// oldest first, as …/reports/{d}/schedules lists them.
func (e *Emulator) listDatasetSchedules(w http.ResponseWriter, r *http.Request) {
	listOfDataset(e, w, r, "dataset_schedules", func(ds *report) []scheduleJSON {
		all := make([]scheduleJSON, 0, len(ds.schedules))
		for _, s := range ds.schedules {
			all = append(all, e.scheduleJSON(ds, s))
		}
		return all
	})
}

// fieldDescription is the description of one field of a dataset, keyed by the field's name.
type fieldDescription struct {
	token     string
	name      string // the field's
	desc      string
	creator   string
	createdAt time.Time
	updatedAt time.Time
}

type fieldDescriptionJSON struct {
	Token     string `json:"token"`
	Name      string `json:"name"`
	Desc      string `json:"desc"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Links     links  `json:"_links"`
}

func fieldDescriptionOf(ds *report, fd *fieldDescription) fieldDescriptionJSON {
	ws := ds.ws.account.username
	dp := api(ws, "datasets", ds.token)
	return fieldDescriptionJSON{
		Token: fd.token, Name: fd.name, Desc: fd.desc,
		CreatedAt: formatTime(fd.createdAt), UpdatedAt: formatTime(fd.updatedAt),
		Links: links{
			// Mode's document serves PATCH and DELETE here, no GET: GET answers 405.
			"self":    href(dp + "/field_descriptions/" + fd.token),
			"dataset": href(dp),
			"fields":  href(dp + "/fields"),
			"account": href(api(ws)),
			"creator": href(api(fd.creator)),
		},
	}
}

func (ds *report) fieldDescription(token string) *fieldDescription {
	for _, fd := range ds.fieldDescriptions {
		if fd.token == token {
			return fd
		}
	}
	return nil
}

func (ds *report) describedField(name string) *fieldDescription {
	for _, fd := range ds.fieldDescriptions {
		if fd.name == name {
			return fd
		}
	}
	return nil
}

func (e *Emulator) listFieldDescriptions(w http.ResponseWriter, r *http.Request) {
	listOfDataset(e, w, r, "dataset_field_descriptions", func(ds *report) []fieldDescriptionJSON {
		all := make([]fieldDescriptionJSON, 0, len(ds.fieldDescriptions))
		for _, fd := range ds.fieldDescriptions {
			all = append(all, fieldDescriptionOf(ds, fd))
		}
		return all
	})
}

// fieldDescriptionBody is the create body (CreateDatasetFieldDescriptionBody,
// {"field_description": {"name", "desc"}}) and the update body
// (UpdateDatasetFieldDescriptionBody, {"field_description": {"desc"}}).
type fieldDescriptionBody struct {
	FieldDescription *struct {
		Name *string `json:"name"`
		Desc *string `json:"desc"`
	} `json:"field_description"`
}

// decodeFieldDescription reads a create or update body and validates its description, answering
// 400 and returning false when it is refused.
func decodeFieldDescription(w http.ResponseWriter, r *http.Request) (fieldDescriptionBody, bool) {
	var b fieldDescriptionBody
	if !decodeBody(w, r, &b) {
		return b, false
	}
	switch {
	case b.FieldDescription == nil:
		badRequest(w, "param is missing or the value is empty: field_description")
		return b, false
	case b.FieldDescription.Desc == nil:
		badRequest(w, "param is missing or the value is empty: desc")
		return b, false
	case strings.TrimSpace(*b.FieldDescription.Desc) == "":
		badRequest(w, "Desc can't be blank")
		return b, false
	case utf8.RuneCountInString(*b.FieldDescription.Desc) > maxFieldDescription:
		badRequest(w, "Desc is too long (maximum is 350 characters)")
		return b, false
	}
	return b, true
}

// createFieldDescription describes one field of the dataset and answers the description (200).
func (e *Emulator) createFieldDescription(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeFieldDescription(w, r)
	if !ok {
		return
	}
	if b.FieldDescription.Name == nil || *b.FieldDescription.Name == "" {
		badRequest(w, "param is missing or the value is empty: name")
		return
	}
	name := *b.FieldDescription.Name
	ds, fields, ok := e.datasetFields(w, r)
	if !ok {
		return
	}
	if !slices.ContainsFunc(fields, func(f fieldInfo) bool { return f.name == name }) {
		badRequest(w, "Name is not a field of this dataset: "+name)
		return
	}
	e.mu.Lock()
	if ds.ws.reportByTok[ds.token] != ds { // deleted meanwhile
		e.mu.Unlock()
		notFound(w, "Dataset")
		return
	}
	if ds.describedField(name) != nil {
		e.mu.Unlock()
		badRequest(w, "Name has already been taken: "+name+" has a description (update it instead)")
		return
	}
	now := time.Now()
	fd := &fieldDescription{token: ds.ws.newToken("field_description"), name: name, desc: *b.FieldDescription.Desc,
		creator: ds.ws.members[0].username, createdAt: now, updatedAt: now}
	ds.fieldDescriptions = append(ds.fieldDescriptions, fd)
	e.recordAudit(r, ds.ws, "field_description_created", "field_description", fd.token, fd.name)
	body := fieldDescriptionOf(ds, fd)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// updateFieldDescription changes a description's text (its field stays) and answers it.
func (e *Emulator) updateFieldDescription(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeFieldDescription(w, r)
	if !ok {
		return
	}
	e.withDataset(w, r, func(ds *report) (int, any, string) {
		fd := ds.fieldDescription(r.PathValue("field_description"))
		if fd == nil {
			return http.StatusNotFound, nil, "DatasetFieldDescription not found"
		}
		fd.desc, fd.updatedAt = *b.FieldDescription.Desc, time.Now()
		e.recordAudit(r, ds.ws, "field_description_updated", "field_description", fd.token, fd.name)
		return http.StatusOK, fieldDescriptionOf(ds, fd), ""
	})
}

// deleteFieldDescription removes a description and answers it, as Mode's document does.
func (e *Emulator) deleteFieldDescription(w http.ResponseWriter, r *http.Request) {
	e.withDataset(w, r, func(ds *report) (int, any, string) {
		fd := ds.fieldDescription(r.PathValue("field_description"))
		if fd == nil {
			return http.StatusNotFound, nil, "DatasetFieldDescription not found"
		}
		ds.fieldDescriptions = slices.DeleteFunc(ds.fieldDescriptions, func(x *fieldDescription) bool { return x == fd })
		e.recordAudit(r, ds.ws, "field_description_deleted", "field_description", fd.token, fd.name)
		return http.StatusOK, fieldDescriptionOf(ds, fd), ""
	})
}

type fieldJSON struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Description *string `json:"description"`
	Links       links   `json:"_links"`
}

// listDatasetFields answers the dataset's latest fields (see datasetSQL), in SELECT order, with
// their descriptions.
func (e *Emulator) listDatasetFields(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	ds, fields, ok := e.datasetFields(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	ws := ds.ws.account.username
	dp := api(ws, "datasets", ds.token)
	all := make([]fieldJSON, 0, len(fields))
	for _, f := range fields {
		j := fieldJSON{Name: f.name, Type: f.typ, Links: links{
			"dataset":            href(dp),
			"account":            href(api(ws)),
			"field_descriptions": href(dp + "/field_descriptions"),
		}}
		if fd := ds.describedField(f.name); fd != nil {
			d := fd.desc
			j.Description = &d
			j.Links["field_description"] = href(dp + "/field_descriptions/" + fd.token)
		}
		all = append(all, j)
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, pageOf(r, pr, "dataset_fields", all))
}
