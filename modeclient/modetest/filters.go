package modetest

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Report filters: list, create, get, update, delete. A filter belongs to a report and narrows
// what its charts and tables show by the values of columns of one of its queries. Filters are
// kept in the order the report shows them (row_order counts from 1); a write may move one with
// next_filter_token, as Mode's document describes. Deleting the query a filter reads deletes the
// filter, and deleting the report deletes them all.
//
// Mode's document requires every attribute of CreateOrUpdateReportFilterAttributes on a create
// and leaves "options" undefined. The emulator's reading:
//   - options.query_token names the query of the report whose columns the filter reads
//     (required); the rest of options (the values offered or picked, say) is kept as sent;
//   - formula references that query's columns in Mode's formula syntax, "[column]" (a
//     calculated filter may reference several: "[revenue_usd] / [orders]"); every column it
//     references must be one the query answers, which the emulator learns by running the query's
//     SQL (with its parameters' defaults);
//   - data_type and formula_type are kept as sent (Mode's document gives them no values);
//     filter_type, control_type and variable_type must be among the document's values, and a
//     RANGE filter is shown by a RANGE control and the other way round;
//   - an update changes what its body gives and keeps the rest.

var (
	filterTypes   = []string{"SINGLE", "MULTI", "RANGE"}
	controlTypes  = []string{"LIST", "DROPDOWN", "RANGE"}
	variableTypes = []string{"CONTINUOUS", "DISCRETE"}
	formulaColumn = regexp.MustCompile(`\[([^\[\]]+)\]`)
)

// rfilter is a report filter (reportFilter is the report lists' filter parameter).
type rfilter struct {
	id           int
	token        string
	name         string
	formula      string
	dataType     string
	formulaType  string
	filterType   string
	controlType  string
	variableType string
	queryToken   string         // options.query_token
	options      map[string]any // as sent, query_token included
	createdAt    time.Time
	updatedAt    time.Time
}

func (rep *report) filter(token string) *rfilter {
	for _, f := range rep.filters {
		if f.token == token {
			return f
		}
	}
	return nil
}

// dropFilters deletes the filters that read query q (a query being deleted).
func (rep *report) dropFilters(q *query) {
	rep.filters = slices.DeleteFunc(rep.filters, func(f *rfilter) bool { return f.queryToken == q.token })
}

type reportFilterJSON struct {
	ID          int    `json:"id"`
	ReportID    int    `json:"report_id"`
	Token       string `json:"token"`
	Name        string `json:"name"`
	RowOrder    int    `json:"row_order"`
	Formula     string `json:"formula"`
	DataType    string `json:"data_type"`
	FormulaType string `json:"formula_type"`
	// Mode's document types hide_select_all as a string; its name and its neighbour
	// show_relevant_values_only say boolean, which is what the emulator sends.
	HideSelectAll          bool           `json:"hide_select_all"`
	ShowRelevantValuesOnly bool           `json:"show_relevant_values_only"`
	FilterType             string         `json:"filter_type"`
	ControlType            string         `json:"control_type"`
	VariableType           string         `json:"variable_type"`
	Options                map[string]any `json:"options"`
	CreatedAt              string         `json:"created_at"`
	UpdatedAt              string         `json:"updated_at"`
	Links                  links          `json:"_links"`
}

func (e *Emulator) reportFilterJSON(rep *report, f *rfilter) reportFilterJSON {
	rp := api(rep.ws.account.username, "reports", rep.token)
	return reportFilterJSON{
		ID: f.id, ReportID: rep.id, Token: f.token, Name: f.name,
		RowOrder: slices.Index(rep.filters, f) + 1, Formula: f.formula, DataType: f.dataType,
		FormulaType: f.formulaType, FilterType: f.filterType, ControlType: f.controlType,
		VariableType: f.variableType, Options: maps.Clone(f.options),
		CreatedAt: formatTime(f.createdAt), UpdatedAt: formatTime(f.updatedAt),
		Links: links{
			"self":   href(rp + "/filters/" + f.token),
			"report": href(rp),
		},
	}
}

// reportFilterBody is Mode's CreateOrUpdateReportFilterRequestBody: {"report_filter": {…}}.
type reportFilterBody struct {
	ReportFilter *struct {
		Name            *string        `json:"name"`
		Formula         *string        `json:"formula"`
		DataType        *string        `json:"data_type"`
		FormulaType     *string        `json:"formula_type"`
		FilterType      *string        `json:"filter_type"`
		ControlType     *string        `json:"control_type"`
		VariableType    *string        `json:"variable_type"`
		Options         map[string]any `json:"options"`
		NextFilterToken *string        `json:"next_filter_token"`
	} `json:"report_filter"`
}

// missing returns the first attribute a create needs that b lacks, or "".
func (b *reportFilterBody) missing() string {
	in := b.ReportFilter
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"name", in.Name}, {"formula", in.Formula}, {"data_type", in.DataType}, {"formula_type", in.FormulaType},
		{"variable_type", in.VariableType}, {"filter_type", in.FilterType}, {"control_type", in.ControlType},
	} {
		if f.v == nil || strings.TrimSpace(*f.v) == "" {
			return f.name
		}
	}
	if in.Options == nil {
		return "options"
	}
	return ""
}

// merged returns f with what b gives, validated but for its columns and its place (see
// checkColumns and place); the message of a 400, or "".
func (b *reportFilterBody) merged(f rfilter) (rfilter, string) {
	in := b.ReportFilter
	for _, s := range []struct {
		name string
		dst  *string
		v    *string
	}{
		{"name", &f.name, in.Name}, {"formula", &f.formula, in.Formula}, {"data_type", &f.dataType, in.DataType},
		{"formula_type", &f.formulaType, in.FormulaType}, {"filter_type", &f.filterType, in.FilterType},
		{"control_type", &f.controlType, in.ControlType}, {"variable_type", &f.variableType, in.VariableType},
	} {
		if s.v == nil {
			continue
		}
		v := strings.TrimSpace(*s.v)
		if v == "" {
			return f, "param is missing or the value is empty: report_filter." + s.name
		}
		*s.dst = v
	}
	for _, s := range []struct {
		name  string
		v     string
		allow []string
	}{{"filter_type", f.filterType, filterTypes}, {"control_type", f.controlType, controlTypes}, {"variable_type", f.variableType, variableTypes}} {
		if !slices.Contains(s.allow, s.v) {
			return f, fmt.Sprintf("Invalid %s %q: must be one of %s", s.name, s.v, strings.Join(s.allow, ", "))
		}
	}
	if (f.filterType == "RANGE") != (f.controlType == "RANGE") {
		return f, fmt.Sprintf("Invalid control_type %s for a %s filter: a RANGE filter takes a RANGE control, and a RANGE control a RANGE filter", f.controlType, f.filterType)
	}
	if in.Options != nil {
		tok, ok := in.Options["query_token"].(string)
		if !ok || strings.TrimSpace(tok) == "" {
			return f, "param is missing or the value is empty: report_filter.options.query_token"
		}
		f.options, f.queryToken = maps.Clone(in.Options), tok
	}
	if len(formulaColumn.FindAllStringSubmatch(f.formula, -1)) == 0 {
		return f, fmt.Sprintf("Invalid formula %q: it must reference a column of the query as [column]", f.formula)
	}
	return f, ""
}

// checkColumns checks that every column f's formula references is among cols, the columns of
// query q; it returns the message of a 400, or "".
func checkColumns(f *rfilter, q *query, cols []string) string {
	for _, m := range formulaColumn.FindAllStringSubmatch(f.formula, -1) {
		if col := strings.TrimSpace(m[1]); !slices.Contains(cols, col) {
			return fmt.Sprintf("Invalid formula %q: query %q has no column %q (its columns: %s)", f.formula, q.name, col, strings.Join(cols, ", "))
		}
	}
	return ""
}

// place moves f (already in rep.filters or not) before the filter next names, or to the end when
// next is ""; it returns the message of a 400, or "".
func (rep *report) place(f *rfilter, next string) string {
	var before *rfilter
	if next != "" {
		if before = rep.filter(next); before == nil || before == f {
			return fmt.Sprintf("Invalid next_filter_token %q: not another filter of this report", next)
		}
	}
	rest := slices.DeleteFunc(slices.Clone(rep.filters), func(x *rfilter) bool { return x == f })
	at := len(rest)
	if before != nil {
		at = slices.Index(rest, before)
	}
	rep.filters = slices.Insert(rest, at, f)
	return ""
}

// queryColumns returns the columns query qtok of the report of the path answers, learned by
// running its SQL (definitions expanded, parameters at their defaults) without the lock. A
// missing report is 404; a query the report does not have, or SQL that does not run, is 400.
func (e *Emulator) queryColumns(r *http.Request, qtok string) ([]string, int, string) {
	e.mu.Lock()
	rep := e.findReport(r)
	if rep == nil {
		e.mu.Unlock()
		return nil, http.StatusNotFound, "Report not found"
	}
	q := rep.query(qtok)
	if q == nil {
		e.mu.Unlock()
		return nil, http.StatusBadRequest, fmt.Sprintf("Invalid options.query_token %q: the report has no such query", qtok)
	}
	name := q.name
	expanded, err := rep.ws.expandDefinitions(q.rawQuery, q.dataSourceID)
	e.mu.Unlock()
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Sprintf("Query %q does not run (%v): a filter cannot read its columns", name, err)
	}
	sql, _ := renderSQL(expanded, nil)
	ctx, cancel := e.requestContext(r)
	defer cancel()
	cols, err := e.columnsOf(ctx, sql)
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Sprintf("Query %q does not run (%s): a filter cannot read its columns", name, sqlErrorMessage(err))
	}
	return cols, 0, ""
}

// columnsOf returns the columns sql answers, on the demo database.
func (e *Emulator) columnsOf(ctx context.Context, sql string) ([]string, error) {
	rows, err := e.ds.db.QueryContext(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

// withReportFilter runs fn on the report and filter of the path with e.mu held, answering 404
// when either is missing.
func (e *Emulator) withReportFilter(w http.ResponseWriter, r *http.Request, fn func(rep *report, f *rfilter) (int, any, string)) {
	e.withReport(w, r, func(rep *report) (int, any, string) {
		f := rep.filter(r.PathValue("filter"))
		if f == nil {
			return http.StatusNotFound, nil, "ReportFilter not found"
		}
		return fn(rep, f)
	})
}

func (e *Emulator) listReportFilters(w http.ResponseWriter, r *http.Request) {
	listOfReport(e, w, r, "report_filters", func(rep *report) ([]reportFilterJSON, int, string) {
		all := make([]reportFilterJSON, 0, len(rep.filters))
		for _, f := range rep.filters {
			all = append(all, e.reportFilterJSON(rep, f))
		}
		return all, 0, ""
	})
}

func (e *Emulator) getReportFilter(w http.ResponseWriter, r *http.Request) {
	e.withReportFilter(w, r, func(rep *report, f *rfilter) (int, any, string) {
		return http.StatusOK, e.reportFilterJSON(rep, f), ""
	})
}

// decodeFilterBody reads a filter write's body; it answers 400 and returns false when it is not
// one.
func decodeFilterBody(w http.ResponseWriter, r *http.Request) (*reportFilterBody, bool) {
	var b reportFilterBody
	if !decodeBody(w, r, &b) {
		return nil, false
	}
	if b.ReportFilter == nil {
		badRequest(w, "param is missing or the value is empty: report_filter")
		return nil, false
	}
	return &b, true
}

// createReportFilter answers 200 with the filter, as Mode's document does (not 201), placed
// last unless next_filter_token says before which filter.
func (e *Emulator) createReportFilter(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeFilterBody(w, r)
	if !ok {
		return
	}
	if m := b.missing(); m != "" {
		badRequest(w, "param is missing or the value is empty: report_filter."+m)
		return
	}
	f, msg := b.merged(rfilter{})
	if msg != "" {
		badRequest(w, msg)
		return
	}
	cols, status, msg := e.queryColumns(r, f.queryToken)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	e.withReport(w, r, func(rep *report) (int, any, string) {
		q := rep.query(f.queryToken)
		if q == nil { // deleted since its columns were read
			return http.StatusBadRequest, nil, fmt.Sprintf("Invalid options.query_token %q: the report has no such query", f.queryToken)
		}
		if msg := checkColumns(&f, q, cols); msg != "" {
			return http.StatusBadRequest, nil, msg
		}
		nf := &f
		next := ""
		if b.ReportFilter.NextFilterToken != nil {
			next = *b.ReportFilter.NextFilterToken
		}
		if msg := rep.place(nf, next); msg != "" {
			return http.StatusBadRequest, nil, msg
		}
		now := time.Now()
		nf.id, nf.token, nf.createdAt, nf.updatedAt = rep.ws.id("report_filter", 70_000), rep.ws.newToken("report_filter"), now, now
		e.recordAudit(r, rep.ws, "report_filter_created", "report_filter", nf.token, nf.name)
		return http.StatusOK, e.reportFilterJSON(rep, nf), ""
	})
}

// updateReportFilter changes what the body gives; a new formula or query is checked against the
// query's columns again.
func (e *Emulator) updateReportFilter(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeFilterBody(w, r)
	if !ok {
		return
	}
	// The filter as it would be, to learn which query's columns to read, without the lock.
	e.mu.Lock()
	var cur *rfilter
	if rep := e.findReport(r); rep != nil {
		cur = rep.filter(r.PathValue("filter"))
	}
	var want rfilter
	if cur != nil {
		want = *cur
	}
	e.mu.Unlock()
	var cols []string // the columns of query colsOf
	colsOf := ""
	if cur != nil && (b.ReportFilter.Formula != nil || b.ReportFilter.Options != nil) {
		nf, msg := b.merged(want)
		if msg != "" {
			badRequest(w, msg)
			return
		}
		var status int
		if cols, status, msg = e.queryColumns(r, nf.queryToken); status != 0 {
			writeError(w, status, msg)
			return
		}
		colsOf = nf.queryToken
	}
	e.withReportFilter(w, r, func(rep *report, f *rfilter) (int, any, string) {
		nf, msg := b.merged(*f)
		if msg != "" {
			return http.StatusBadRequest, nil, msg
		}
		if nf.formula != f.formula || nf.queryToken != f.queryToken {
			q := rep.query(nf.queryToken)
			if q == nil {
				return http.StatusBadRequest, nil, fmt.Sprintf("Invalid options.query_token %q: the report has no such query", nf.queryToken)
			}
			if colsOf != nf.queryToken { // another write changed the filter's query meanwhile
				return http.StatusConflict, nil, "The filter changed while it was being updated: try again"
			}
			if msg := checkColumns(&nf, q, cols); msg != "" {
				return http.StatusBadRequest, nil, msg
			}
		}
		if next := b.ReportFilter.NextFilterToken; next != nil {
			if msg := rep.place(f, *next); msg != "" {
				return http.StatusBadRequest, nil, msg
			}
		}
		nf.updatedAt = time.Now()
		*f = nf
		e.recordAudit(r, rep.ws, "report_filter_updated", "report_filter", f.token, f.name)
		return http.StatusOK, e.reportFilterJSON(rep, f), ""
	})
}

// deleteReportFilter answers 200 with the deleted filter, as Mode's document does.
func (e *Emulator) deleteReportFilter(w http.ResponseWriter, r *http.Request) {
	e.withReportFilter(w, r, func(rep *report, f *rfilter) (int, any, string) {
		body := e.reportFilterJSON(rep, f)
		rep.filters = slices.DeleteFunc(rep.filters, func(x *rfilter) bool { return x == f })
		e.recordAudit(r, rep.ws, "report_filter_deleted", "report_filter", f.token, f.name)
		return http.StatusOK, body, ""
	})
}
