package modetest

import (
	"context"
	"net/http"
)

// Workspaces. Every request names one in its path ({ws}); inWorkspace answers 404 for a name no
// workspace has and hands the handler the one named. Objects are then looked up by token in that
// workspace only, as Mode does, unless WithCrossWorkspaceTokens is set: Mode's tokens are global,
// and under that option the emulator behaves like a Mode that resolves a token whatever workspace
// the URL names, answering the object as it is, with its true workspace in account_username and
// _links. Clients must notice (see modeclient's owner checks).

type wsKey struct{}

// inWorkspace answers 404 for a workspace that does not exist, and otherwise serves fn with the
// workspace in the request's context.
func (e *Emulator) inWorkspace(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("ws")
		if reservedAccountName(name) {
			writeError(w, http.StatusNotFound, "Not found: "+r.URL.Path) // /api/account/…: no workspace
			return
		}
		st := e.byName[name] // fixed once seeded: read without the lock
		if st == nil {
			notFound(w, "Account")
			return
		}
		if user := callerName(r); user != "" { // a member's credential reaches their workspaces only (access.go)
			e.mu.Lock()
			m := st.memberByName[user]
			e.mu.Unlock()
			if m == nil {
				notFound(w, "Account")
				return
			}
		}
		fn(w, r.WithContext(context.WithValue(r.Context(), wsKey{}, st)))
	}
}

// urlWS returns the workspace the request's path names.
func urlWS(r *http.Request) *store {
	return r.Context().Value(wsKey{}).(*store)
}

// find looks an object up in the workspace of the path and, with cross-workspace tokens, then
// in every other workspace. Call with e.mu held.
func find[T any](e *Emulator, r *http.Request, get func(*store) *T) *T {
	home := urlWS(r)
	if v := get(home); v != nil {
		return v
	}
	if !e.cfg.crossWorkspaceTokens {
		return nil
	}
	for _, st := range e.workspaces {
		if st == home {
			continue
		}
		if v := get(st); v != nil {
			return v
		}
	}
	return nil
}

// findReport looks the report of the path up; one the caller may not see (access.go) is not found.
func (e *Emulator) findReport(r *http.Request) *report {
	tok := r.PathValue("report")
	rep := find(e, r, func(st *store) *report { return st.reportByTok[tok] })
	if rep == nil || !canSeeReport(r, rep) {
		return nil
	}
	return rep
}

// findSpace looks the space of the path up; one the caller may not see (access.go) is not found.
func (e *Emulator) findSpace(r *http.Request) *space {
	tok := r.PathValue("space")
	s := find(e, r, func(st *store) *space { return st.spaceByTok[tok] })
	if s == nil || !canSeeSpace(r, s) {
		return nil
	}
	return s
}

func (e *Emulator) findDataSource(r *http.Request) *dataSource {
	tok := r.PathValue("data_source")
	return find(e, r, func(st *store) *dataSource { return st.dataByTok[tok] })
}

func (e *Emulator) findGroup(r *http.Request) *group {
	tok := r.PathValue("group")
	return find(e, r, func(st *store) *group { return st.groupByTok[tok] })
}
