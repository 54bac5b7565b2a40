package service

import (
	"strings"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Resource names (AIP-122). The request validation already checked each name
// against its pattern; parsing checks again, so a handler called without the
// interceptor still never hands modeclient something unexpected.

// Collection identifiers of the resource names.
const (
	collWorkspaces  = "workspaces"
	collSpaces      = "spaces"
	collReports     = "reports"
	collRuns        = "runs"
	collQueryRuns   = "queryRuns"
	collQueries     = "queries"
	collDataSources = "dataSources"
	collMemberships = "memberships"
	collGroups      = "groups"
)

// validWorkspaceID and validToken are modeclient's own checks: a name the
// service accepts is one the client accepts.
func validWorkspaceID(s string) bool { return modeclient.ValidWorkspace(s) }
func validToken(s string) bool       { return modeclient.ValidToken(s) }

// parseName splits name into the ids following the given collections, e.g.
// parseName("name", "workspaces/w/reports/r", "workspaces", "reports")
// returns ["w", "r"]. field names the request field in the error.
func parseName(field, name string, collections ...string) ([]string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 2*len(collections) {
		return nil, badName(field, collections)
	}
	ids := make([]string, len(collections))
	for i, coll := range collections {
		if parts[2*i] != coll {
			return nil, badName(field, collections)
		}
		id := parts[2*i+1]
		ok := validToken(id)
		if coll == collWorkspaces {
			ok = validWorkspaceID(id)
		}
		if !ok {
			return nil, badName(field, collections)
		}
		ids[i] = id
	}
	return ids, nil
}

func badName(field string, collections []string) error {
	var b strings.Builder
	for i, c := range collections {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(c + "/{" + singular(c) + "}")
	}
	return invalidArgument(field, "must be a resource name of the form "+b.String())
}

func singular(coll string) string {
	switch coll {
	case collQueries:
		return "query"
	case collQueryRuns:
		return "query_run"
	case collDataSources:
		return "data_source"
	}
	return strings.TrimSuffix(coll, "s")
}

// workspaceName and friends format resource names.
func workspaceName(w string) string     { return collWorkspaces + "/" + w }
func spaceName(w, s string) string      { return workspaceName(w) + "/" + collSpaces + "/" + s }
func reportName(w, r string) string     { return workspaceName(w) + "/" + collReports + "/" + r }
func runName(w, r, run string) string   { return reportName(w, r) + "/" + collRuns + "/" + run }
func queryName(w, r, q string) string   { return reportName(w, r) + "/" + collQueries + "/" + q }
func dataSourceName(w, d string) string { return workspaceName(w) + "/" + collDataSources + "/" + d }
func membershipName(w, m string) string { return workspaceName(w) + "/" + collMemberships + "/" + m }
func groupName(w, g string) string      { return workspaceName(w) + "/" + collGroups + "/" + g }
func queryRunName(w, r, run, qr string) string {
	return runName(w, r, run) + "/" + collQueryRuns + "/" + qr
}

// invalidArgument is an InvalidArgument error naming the request field, with
// a google.rpc.BadRequest detail.
func invalidArgument(field, reason string) *connect.Error {
	err := connect.NewError(connect.CodeInvalidArgument, errorf("%s: %s", field, reason))
	errdetail.AddBadRequest(err, field, reason)
	return err
}
