package modetest

import (
	"net/http"
	"slices"
)

// Lists a link leads to. Mode's document requires these links (ReportLinks, MembershipLinks,
// QueryLinks, SpaceLinks), so the emulator sends them, and a link it sends must lead somewhere.
// They are not operations of the document, and are listed in conformance_test.go's
// emulatorOnlyRoutes with why.

// listMemberGroups answers a membership's groups link: the groups the member belongs to.
func (e *Emulator) listMemberGroups(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	m := e.findMember(r)
	var all []groupJSON
	if m != nil {
		for _, g := range m.ws.groups {
			if g.membership(m) != nil {
				all = append(all, e.groupJSON(g))
			}
		}
	}
	e.mu.Unlock()
	if m == nil {
		notFound(w, "Membership")
		return
	}
	writeJSON(w, http.StatusOK, pageOf(r, pr, "groups", all))
}

// listQueryQueryRuns answers a query's query_runs link: the query's runs in every run of its
// report, newest report run first.
func (e *Emulator) listQueryQueryRuns(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	tok := r.PathValue("query")
	e.mu.Lock()
	rep := e.findReport(r)
	var q *query
	all := []queryRunJSON{}
	if rep != nil {
		if i := slices.IndexFunc(rep.queries, func(q *query) bool { return q.token == tok }); i >= 0 {
			q = rep.queries[i]
		}
	}
	if q != nil {
		for _, run := range slices.Backward(rep.runs) {
			for _, qr := range run.queryRuns {
				if qr.queryToken == q.token {
					all = append(all, e.queryRunJSON(qr))
				}
			}
		}
	}
	e.mu.Unlock()
	switch {
	case rep == nil:
		notFound(w, "Report")
	case q == nil:
		notFound(w, "Query")
	default:
		writeJSON(w, http.StatusOK, pageOf(r, pr, "query_runs", all))
	}
}

// emptyReportList answers a report's list of things the emulator has none of (pins,
// e-mail subscription memberships): an empty page embedding key, or 404 for an unknown report.
func (e *Emulator) emptyReportList(key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr, ok := e.parsePage(w, r)
		if !ok {
			return
		}
		e.mu.Lock()
		rep := e.findReport(r)
		e.mu.Unlock()
		if rep == nil {
			notFound(w, "Report")
			return
		}
		writeJSON(w, http.StatusOK, pageOf(r, pr, key, []struct{}{}))
	}
}

// emptySpaceList answers a space's list of things the emulator has none of (permissions found
// by search): an empty page embedding key, or 404 for an unknown space.
func (e *Emulator) emptySpaceList(key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr, ok := e.parsePage(w, r)
		if !ok {
			return
		}
		e.mu.Lock()
		s := e.findSpace(r)
		e.mu.Unlock()
		if s == nil {
			notFound(w, "Space")
			return
		}
		writeJSON(w, http.StatusOK, pageOf(r, pr, key, []struct{}{}))
	}
}
