package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// TestWriteRequestRulesHoldWithoutTheInterceptor sends each invalid write request through the
// server (the validating interceptor answers) and straight to the handler (the handler checks
// the contract's rules itself): both answer InvalidArgument with the same message, naming the
// field, and neither sends anything to Mode. The rules live only in the .proto files.
func TestWriteRequestRulesHoldWithoutTheInterceptor(t *testing.T) {
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	space := e.ws + "/spaces/" + e.demo.Spaces[0]
	report := e.ws + "/reports/" + e.demo.Reports[0]
	run := report + "/runs/abc"
	query := report + "/queries/q1"
	source := e.ws + "/dataSources/" + e.demo.DataSource
	paths := func(p ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: p} }
	many := map[string]string{}
	for i := range 101 {
		many["p"+strings.Repeat("x", i%50)+string(rune('a'+i%26))+strings.Repeat("y", i/26)] = "v"
	}
	c := e.clients(protocols[0])
	type call func(ctx context.Context) error
	tests := []struct {
		name    string
		field   string // the violation's field path
		server  call
		handler call
	}{}
	add := func(name, field string, msg proto.Message) {
		var server, handler call
		switch m := msg.(type) {
		case *modeplatformv1.CreateSpaceRequest:
			server = func(ctx context.Context) error { _, err := c.ws.CreateSpace(ctx, connect.NewRequest(m)); return err }
			handler = func(ctx context.Context) error {
				_, err := e.svc.Workspace.CreateSpace(ctx, connect.NewRequest(m))
				return err
			}
		case *modeplatformv1.UpdateSpaceRequest:
			server = func(ctx context.Context) error { _, err := c.ws.UpdateSpace(ctx, connect.NewRequest(m)); return err }
			handler = func(ctx context.Context) error {
				_, err := e.svc.Workspace.UpdateSpace(ctx, connect.NewRequest(m))
				return err
			}
		case *modeplatformv1.UpdateReportRequest:
			server = func(ctx context.Context) error { _, err := c.rs.UpdateReport(ctx, connect.NewRequest(m)); return err }
			handler = func(ctx context.Context) error {
				_, err := e.svc.Report.UpdateReport(ctx, connect.NewRequest(m))
				return err
			}
		case *modeplatformv1.RunReportRequest:
			server = func(ctx context.Context) error { _, err := c.rs.RunReport(ctx, connect.NewRequest(m)); return err }
			handler = func(ctx context.Context) error {
				_, err := e.svc.Report.RunReport(ctx, connect.NewRequest(m))
				return err
			}
		case *modeplatformv1.CloneReportRunRequest:
			server = func(ctx context.Context) error { _, err := c.rs.CloneReportRun(ctx, connect.NewRequest(m)); return err }
			handler = func(ctx context.Context) error {
				_, err := e.svc.Report.CloneReportRun(ctx, connect.NewRequest(m))
				return err
			}
		case *modeplatformv1.CreateQueryRequest:
			server = func(ctx context.Context) error { _, err := c.rs.CreateQuery(ctx, connect.NewRequest(m)); return err }
			handler = func(ctx context.Context) error {
				_, err := e.svc.Report.CreateQuery(ctx, connect.NewRequest(m))
				return err
			}
		case *modeplatformv1.UpdateQueryRequest:
			server = func(ctx context.Context) error { _, err := c.rs.UpdateQuery(ctx, connect.NewRequest(m)); return err }
			handler = func(ctx context.Context) error {
				_, err := e.svc.Report.UpdateQuery(ctx, connect.NewRequest(m))
				return err
			}
		default:
			t.Fatalf("no call for %T", msg)
		}
		tests = append(tests, struct {
			name    string
			field   string
			server  call
			handler call
		}{name, field, server, handler})
	}

	add("space without title", "space", &modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{}})
	add("space without space", "space", &modeplatformv1.CreateSpaceRequest{Parent: e.ws})
	add("space title too long", "space.display_name", &modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: strings.Repeat("é", 256)}})
	add("space description too long", "space.description", &modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: "x", Description: strings.Repeat("d", 10001)}})
	add("space bad request id", "request_id", &modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: "x"}, RequestId: "a/b"})
	add("space update empty mask", "update_mask", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space}, UpdateMask: paths()})
	add("space update unknown path", "update_mask", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space}, UpdateMask: paths("space_type")})
	add("space update blank title", "", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space}, UpdateMask: paths("display_name")})
	add("space update long description", "space.description", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space, Description: strings.Repeat("d", 10001)}, UpdateMask: paths("description")})
	add("report update without report", "report", &modeplatformv1.UpdateReportRequest{UpdateMask: paths("description")})
	add("report update empty mask", "update_mask", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report}, UpdateMask: paths()})
	add("report update unknown path", "update_mask", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report}, UpdateMask: paths("archived")})
	add("report title of spaces", "", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: "   "}, UpdateMask: paths("display_name")})
	add("report title too long", "report.display_name", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: strings.Repeat("t", 256)}, UpdateMask: paths("display_name")})
	add("report moved to no space", "", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report}, UpdateMask: paths("space")})
	add("run with a bad parameter name", "parameters", &modeplatformv1.RunReportRequest{Name: report, Parameters: map[string]string{"a b": "x"}})
	add("run with a long parameter value", "parameters", &modeplatformv1.RunReportRequest{Name: report, Parameters: map[string]string{"a": strings.Repeat("v", 16385)}})
	add("run with too many parameters", "parameters", &modeplatformv1.RunReportRequest{Name: report, Parameters: many})
	add("run with a bad request id", "request_id", &modeplatformv1.RunReportRequest{Name: report, RequestId: strings.Repeat("r", 65)})
	add("clone with a bad request id", "request_id", &modeplatformv1.CloneReportRunRequest{Name: run, RequestId: "r r"})
	add("query without sql", "query", &modeplatformv1.CreateQueryRequest{Parent: report, Query: &modeplatformv1.Query{DataSource: source}})
	add("query without data source", "query", &modeplatformv1.CreateQueryRequest{Parent: report, Query: &modeplatformv1.Query{Sql: "select 1"}})
	add("query without query", "query", &modeplatformv1.CreateQueryRequest{Parent: report})
	add("query update clears sql", "", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: query}, UpdateMask: paths("sql")})
	add("query update clears data source", "", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: query}, UpdateMask: paths("data_source")})
	add("query update unknown path", "update_mask", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: query}, UpdateMask: paths("raw_sql")})
	add("space replaced without a title", "", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space, Description: "d"}, UpdateMask: paths("*")})
	add("space update * and a path", "update_mask", &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: space, DisplayName: "x"}, UpdateMask: paths("*", "display_name")})
	add("report replaced without a space", "", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: "x"}, UpdateMask: paths("*")})
	add("report replaced with a title of spaces", "", &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report, DisplayName: " ", Space: space}, UpdateMask: paths("*")})
	add("query replaced without sql", "", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: query, DataSource: source}, UpdateMask: paths("*")})
	add("query replaced without a data source", "", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: query, Sql: "select 1"}, UpdateMask: paths("*")})
	add("query update without name", "query", &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Sql: "select 1"}, UpdateMask: paths("sql")})

	before := e.upstream()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viaServer, direct := tt.server(ctx), tt.handler(ctx)
			for _, got := range []struct {
				how string
				err error
			}{{"through the server", viaServer}, {"straight to the handler", direct}} {
				if connect.CodeOf(got.err) != connect.CodeInvalidArgument {
					t.Fatalf("%s: %v, want InvalidArgument", got.how, got.err)
				}
				if fields := violationFields(got.err); tt.field != "" && !containsPrefix(fields, tt.field) {
					t.Errorf("%s: violations on %v, want one on %s", got.how, fields, tt.field)
				}
			}
			var a, b *connect.Error
			if errors.As(viaServer, &a) && errors.As(direct, &b) && a.Message() != b.Message() {
				t.Errorf("the server answered %q, the handler %q", a.Message(), b.Message())
			}
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("invalid writes sent %d requests to Mode, want 0", n)
	}
}

// violationFields lists the field paths of the buf.validate.Violations an error carries.
func violationFields(err error) []string {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return nil
	}
	var out []string
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if vs, ok := v.(*validate.Violations); ok {
			for _, vi := range vs.GetViolations() {
				var parts []string
				for _, el := range vi.GetField().GetElements() {
					parts = append(parts, el.GetFieldName())
				}
				out = append(out, strings.Join(parts, "."))
			}
		}
	}
	return out
}

// containsPrefix reports whether a path in fields is want or starts with want.
func containsPrefix(fields []string, want string) bool {
	for _, f := range fields {
		if f == want || strings.HasPrefix(f, want+".") {
			return true
		}
	}
	return false
}
