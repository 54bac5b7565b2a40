package modetest

import "net/http"

// recordAudit records a write of st in the workspace's audit log: action ("group.created"), the
// type, token and name of the object written. Write handlers call it with e.mu held, once the
// write is done. replaced by audit.go at merge: this stub records nothing.
func (e *Emulator) recordAudit(r *http.Request, st *store, action, entityType, entityToken, entityName string) {
	_, _, _, _, _, _ = r, st, action, entityType, entityToken, entityName
}
