package service

import (
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"go.einride.tech/aip/resourcename"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Resource names (AIP-122). Each pattern is the one the contract declares on
// its resource message (google.api.resource), read from the descriptors, so
// the service cannot disagree with the contract about a name's shape. The
// request validation already checked each name against its rule; parsing
// checks again, so a handler called without the interceptor still never
// hands modeclient something unexpected.
var (
	patWorkspace    = resourcePattern(&modeplatformv1.Workspace{})
	patSpace        = resourcePattern(&modeplatformv1.Space{})
	patMembership   = resourcePattern(&modeplatformv1.Membership{})
	patGroup        = resourcePattern(&modeplatformv1.Group{})
	patReport       = resourcePattern(&modeplatformv1.Report{})
	patRun          = resourcePattern(&modeplatformv1.ReportRun{})
	patQueryRun     = resourcePattern(&modeplatformv1.QueryRun{})
	patQuery        = resourcePattern(&modeplatformv1.Query{})
	patSchedule     = resourcePatterns(&modeplatformv1.Schedule{}, 2)[0]
	patDatasetSched = resourcePatterns(&modeplatformv1.Schedule{}, 2)[1]
	patSubscription = resourcePattern(&modeplatformv1.Subscription{})
	patDuplicate    = resourcePattern(&modeplatformv1.ReportRunDuplicate{})
	patDataSource   = resourcePattern(&modeplatformv1.DataSource{})
	patDefinition   = resourcePattern(&modeplatformv1.Definition{})
	patDataset      = resourcePattern(&modeplatformv1.Dataset{})
	patDatasetRun   = resourcePattern(&modeplatformv1.DatasetRun{})
	patFieldDesc    = resourcePattern(&modeplatformv1.FieldDescription{})
	patChart        = resourcePattern(&modeplatformv1.Chart{})
	patReportFilter = resourcePattern(&modeplatformv1.ReportFilter{})
	patReportStats  = resourcePattern(&modeplatformv1.ReportStats{})
	patSignature    = resourcePattern(&modeplatformv1.SignatureToken{})
	patCredential   = resourcePattern(&modeplatformv1.Credential{})
	patGroupMember  = resourcePattern(&modeplatformv1.GroupMembership{})
	patSpaceMember  = resourcePattern(&modeplatformv1.SpaceMembership{})
	patAuditEvent   = resourcePattern(&modeplatformv1.AuditEvent{})
)

// resourcePattern returns the one name pattern the contract declares for m's
// resource.
func resourcePattern(m proto.Message) string { return resourcePatterns(m, 1)[0] }

// resourcePatterns returns the n name patterns the contract declares for m's
// resource, in the contract's order. A resource with another number of
// patterns is a contract error the package's tests catch at start-up.
func resourcePatterns(m proto.Message, n int) []string {
	d := m.ProtoReflect().Descriptor()
	res, _ := proto.GetExtension(d.Options(), annotations.E_Resource).(*annotations.ResourceDescriptor)
	if len(res.GetPattern()) != n {
		panic(fmt.Sprintf("service: %s declares %d resource name patterns, want %d", d.FullName(), len(res.GetPattern()), n))
	}
	return res.GetPattern()
}

// validWorkspaceID and validToken are modeclient's own checks: a name the
// service accepts is one the client accepts.
func validWorkspaceID(s string) bool { return modeclient.ValidWorkspace(s) }
func validToken(s string) bool       { return modeclient.ValidToken(s) }

// parseName returns the ids of name, a resource name of pattern, in the
// pattern's order: parseName("name", "workspaces/w/reports/r", patReport)
// returns ["w", "r"]. The first id is a workspace id, the others Mode
// tokens, each checked as modeclient checks it; the name must be exactly its
// canonical form (no leading slash, no service name). field names the
// request field in the error.
func parseName(field, name, pattern string) ([]string, error) {
	ids := make([]string, strings.Count(pattern, "{"))
	vars := make([]*string, len(ids))
	for i := range ids {
		vars[i] = &ids[i]
	}
	if resourcename.Sscan(name, pattern, vars...) != nil || resourcename.Sprint(pattern, ids...) != name {
		return nil, badName(field, pattern)
	}
	for i, id := range ids {
		valid := validToken(id)
		if i == 0 {
			valid = validWorkspaceID(id)
		}
		if !valid {
			return nil, badName(field, pattern)
		}
	}
	return ids, nil
}

func badName(field string, patterns ...string) error {
	return invalidArgument(field, "must be a resource name of the form "+strings.Join(patterns, " or "))
}

// workspaceName and friends format resource names.
func workspaceName(w string) string     { return resourcename.Sprint(patWorkspace, w) }
func spaceName(w, s string) string      { return resourcename.Sprint(patSpace, w, s) }
func reportName(w, r string) string     { return resourcename.Sprint(patReport, w, r) }
func runName(w, r, run string) string   { return resourcename.Sprint(patRun, w, r, run) }
func queryName(w, r, q string) string   { return resourcename.Sprint(patQuery, w, r, q) }
func dataSourceName(w, d string) string { return resourcename.Sprint(patDataSource, w, d) }
func membershipName(w, m string) string { return resourcename.Sprint(patMembership, w, m) }
func groupName(w, g string) string      { return resourcename.Sprint(patGroup, w, g) }
func scheduleName(w, r, sc string) string {
	return resourcename.Sprint(patSchedule, w, r, sc)
}
func subscriptionName(w, r, sub string) string {
	return resourcename.Sprint(patSubscription, w, r, sub)
}
func duplicateName(w, r, run, d string) string {
	return resourcename.Sprint(patDuplicate, w, r, run, d)
}
func queryRunName(w, r, run, qr string) string {
	return resourcename.Sprint(patQueryRun, w, r, run, qr)
}

// invalidArgument is an InvalidArgument error naming the request field, with
// a google.rpc.BadRequest detail.
func invalidArgument(field, reason string) *connect.Error {
	err := connect.NewError(connect.CodeInvalidArgument, errorf("%s: %s", field, reason))
	errdetail.AddBadRequest(err, field, reason)
	return err
}

// resourceNameOf formats the resource name of pattern from its ids.
func resourceNameOf(pattern string, ids ...string) string {
	return resourcename.Sprint(pattern, ids...)
}
