package auth

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/contracttest"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

func procedure(m protoreflect.MethodDescriptor) string {
	return "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
}

func TestEveryMethodHasAScopeAndAWorkspace(t *testing.T) {
	counts := map[Scope]int{}
	for _, m := range contracttest.Methods(t) {
		t.Run(string(m.Name()), func(t *testing.T) {
			scope, ok := ScopeOf(procedure(m))
			if !ok {
				t.Fatalf("no scope for %s", procedure(m))
			}
			counts[scope]++
			// Reads are exactly the methods marked NO_SIDE_EFFECTS, or streams; the few reads
			// that need admin (the audit log, the credential's identity) are among them.
			idem := m.Options().ProtoReflect().Get(descriptorIdempotency(t)).Enum()
			read := idem == 1 || m.IsStreamingServer()
			if read != (scope == ScopeRead) && !(read && scope == ScopeAdmin && adminReads[string(m.Name())]) {
				t.Errorf("%s: scope %s but NO_SIDE_EFFECTS=%v stream=%v", m.Name(), scope, idem == 1, m.IsStreamingServer())
			}
			w, err := WorkspaceOf(contracttest.Request(t, m, "workspaces/acme_1/reports/r"))
			if err != nil || w != "acme_1" {
				t.Errorf("WorkspaceOf = %q, %v", w, err)
			}
		})
	}
	for _, s := range []Scope{ScopeRead, ScopeWrite, ScopeRun} {
		if counts[s] == 0 {
			t.Errorf("no method needs %s", s)
		}
	}
	if counts[ScopeRun] != 3 {
		t.Errorf("%d methods need run, want 3 (RunReport, CloneReportRun, RunDataset)", counts[ScopeRun])
	}
}

// adminReads are the reads that need the admin scope: who did what, and who the service is in
// Mode.
var adminReads = map[string]bool{"ListAuditEvents": true, "StreamAuditEvents": true, "GetCredential": true}

// descriptorIdempotency is MethodOptions.idempotency_level.
func descriptorIdempotency(t *testing.T) protoreflect.FieldDescriptor {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName("google.protobuf.MethodOptions.idempotency_level")
	if err != nil {
		t.Fatal(err)
	}
	return d.(protoreflect.FieldDescriptor)
}

func TestScopeOfUnknownProcedures(t *testing.T) {
	for _, p := range []string{"", "/", "/grpc.health.v1.Health/Check", "/modeplatform.v1.ReportService/PurgeEverything", "RunReport", "/other.v1.S/GetX"} {
		if s, ok := ScopeOf(p); ok {
			t.Errorf("ScopeOf(%q) = %s, want none", p, s)
		}
	}
}

func TestWorkspaceOfRejects(t *testing.T) {
	for _, name := range []string{"", "workspaces/", "workspaces//reports/r", "workspaces/../x", "workspaces/%2e%2e/x",
		"workspaces/a?b", "workspaces/a#b", "workspaces/a\x00b", "workspaces/\xff", "/workspaces/w", "spaces/x", "workspaces/-w",
		"workspaces/" + strings.Repeat("a", 65)} {
		_, err := WorkspaceOf(&modeplatformv1.GetReportRequest{Name: name})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("WorkspaceOf(%q) = %v, want InvalidArgument", name, err)
		}
	}
	if _, err := WorkspaceOf(nil); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("WorkspaceOf(nil) = %v", err)
	}
}

// fakeRequest is a unary request for the interceptor.
func fakeRequest(procedure string, req connect.AnyRequest, header http.Header) connect.AnyRequest {
	for k, v := range header {
		req.Header()[k] = v
	}
	return &procRequest{AnyRequest: req, spec: connect.Spec{Procedure: procedure}}
}

// req is connect.NewRequest as an AnyRequest.
func req[T any](m *T) connect.AnyRequest { return connect.NewRequest(m) }

type procRequest struct {
	connect.AnyRequest
	spec connect.Spec
}

func (p *procRequest) Spec() connect.Spec { return p.spec }

func TestInterceptorUnary(t *testing.T) {
	p, err := ParsePolicy([]byte(testPolicyYAML()))
	if err != nil {
		t.Fatal(err)
	}
	ic := NewInterceptor(StaticStore(p))
	const get = "/modeplatform.v1.ReportService/GetReport"
	const run = "/modeplatform.v1.ReportService/RunReport"
	ws := "workspaces/parch_and_posey/reports/r"
	bearer := func(k string) http.Header { return http.Header{"Authorization": {"Bearer " + k}} }
	tests := []struct {
		name      string
		procedure string
		msg       connect.AnyRequest
		header    http.Header
		want      connect.Code // 0: passed to the handler
		caller    string
	}{
		{"no key", get, req(&modeplatformv1.GetReportRequest{Name: ws}), nil, connect.CodeUnauthenticated, ""},
		{"wrong key", get, req(&modeplatformv1.GetReportRequest{Name: ws}), bearer("nope"), connect.CodeUnauthenticated, ""},
		{"basic auth", get, req(&modeplatformv1.GetReportRequest{Name: ws}), http.Header{"Authorization": {"Basic cmVhZGVyOng="}}, connect.CodeUnauthenticated, ""},
		{"two headers", get, req(&modeplatformv1.GetReportRequest{Name: ws}), http.Header{"Authorization": {"Bearer " + readerKey, "Bearer " + writerKey}}, connect.CodeUnauthenticated, ""},
		{"reader reads", get, req(&modeplatformv1.GetReportRequest{Name: ws}), bearer(readerKey), 0, "reader"},
		{"lowercase scheme", get, req(&modeplatformv1.GetReportRequest{Name: ws}), http.Header{"Authorization": {"bearer " + readerKey}}, 0, "reader"},
		{"reader runs", run, req(&modeplatformv1.RunReportRequest{Name: ws}), bearer(readerKey), connect.CodePermissionDenied, ""},
		{"reader elsewhere", get, req(&modeplatformv1.GetReportRequest{Name: "workspaces/other/reports/r"}), bearer(readerKey), connect.CodePermissionDenied, ""},
		{"reader, bad name", get, req(&modeplatformv1.GetReportRequest{Name: "reports/r"}), bearer(readerKey), connect.CodeInvalidArgument, ""},
		{"no key, bad name", get, req(&modeplatformv1.GetReportRequest{Name: "reports/r"}), nil, connect.CodeUnauthenticated, ""},
		{"writer runs", run, req(&modeplatformv1.RunReportRequest{Name: ws}), bearer(writerKey), 0, "writer"},
		{"writer updates by report.name", "/modeplatform.v1.ReportService/UpdateReport", req(&modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: "workspaces/x/reports/r"}}), bearer(writerKey), 0, "writer"},
		{"unknown procedure", "/modeplatform.v1.ReportService/Purge", req(&modeplatformv1.GetReportRequest{Name: ws}), bearer(writerKey), connect.CodePermissionDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reached bool
			var caller string
			next := func(ctx context.Context, _ connect.AnyRequest) (connect.AnyResponse, error) {
				reached = true
				caller = CallerID(ctx)
				return nil, nil
			}
			_, err := ic.WrapUnary(next)(context.Background(), fakeRequest(tt.procedure, tt.msg, tt.header))
			if connect.CodeOf(err) != tt.want && !(tt.want == 0 && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if reached != (tt.want == 0) || caller != tt.caller {
				t.Errorf("handler reached %v as %q", reached, caller)
			}
			if tt.want == connect.CodeUnauthenticated {
				var ce *connect.Error
				errors.As(err, &ce)
				if ce.Meta().Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate")
				}
			}
			if err != nil && (strings.Contains(err.Error(), readerKey) || strings.Contains(err.Error(), writerKey)) {
				t.Errorf("error quotes a key: %v", err)
			}
		})
	}
}

func TestPermissionDeniedIsTheSameWhetherTheResourceExists(t *testing.T) {
	p, _ := ParsePolicy([]byte(testPolicyYAML()))
	ic := NewInterceptor(StaticStore(p))
	next := func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) { return nil, nil }
	msg := func(name string) string {
		_, err := ic.WrapUnary(next)(context.Background(), fakeRequest("/modeplatform.v1.ReportService/GetReport",
			req(&modeplatformv1.GetReportRequest{Name: name}), http.Header{"Authorization": {"Bearer " + readerKey}}))
		return err.Error()
	}
	if a, b := msg("workspaces/other/reports/existing1"), msg("workspaces/other/reports/missing2"); a != b {
		t.Errorf("denials differ: %q vs %q", a, b)
	}
}

func TestStoreReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	write := func(doc string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Unix(1_700_000_000, 0)
	write(testPolicyYAML(), base)
	s, err := NewStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	const newKey = "mp_rotated_9c2e5f7a1b3d"
	rotated := strings.Replace(testPolicyYAML(), HashKey(readerKey), HashKey(newKey), 1)

	tests := []struct {
		name   string
		doc    string // "" leaves the file alone
		mtime  time.Time
		force  bool
		reader string // the key that names reader afterwards
	}{
		{"unchanged file", "", base, false, readerKey},
		{"rotated key, new mtime", rotated, base.Add(time.Second), false, newKey},
		{"broken file keeps the policy", "callers: [", base.Add(2 * time.Second), false, newKey},
		{"SIGHUP after fixing", testPolicyYAML(), base.Add(2 * time.Second), true, readerKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.doc != "" {
				write(tt.doc, tt.mtime)
			}
			_, _ = s.reload(tt.force)
			if c := s.Policy().ByKey(tt.reader); c == nil || c.Name != "reader" {
				t.Errorf("key %q names %v", tt.reader, c)
			}
		})
	}

	// Watch: a SIGHUP-like signal reloads; the goroutine ends with ctx.
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	done := make(chan struct{})
	go func() { s.Watch(ctx, 0, hup); close(done) }()
	write(rotated, base.Add(2*time.Second)) // same mtime: only the signal finds it
	hup <- os.Interrupt
	for s.Policy().ByKey(newKey) == nil {
		select {
		case <-time.After(10 * time.Second):
			t.Fatal("Watch did not reload on the signal")
		default:
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	<-done
}

// TestScopeComesFromTheContract: the scope is the method's (modeplatform.v1.method).scope
// option, whatever its name says; a method without the option, or with SCOPE_UNSPECIFIED, has
// none.
func TestScopeComesFromTheContract(t *testing.T) {
	withScope := func(s modeplatformv1.Scope) *descriptorpb.MethodOptions {
		o := &descriptorpb.MethodOptions{}
		proto.SetExtension(o, modeplatformv1.E_Method, &modeplatformv1.MethodRules{Scope: s})
		return o
	}
	method := func(name string, o *descriptorpb.MethodOptions) *descriptorpb.MethodDescriptorProto {
		return &descriptorpb.MethodDescriptorProto{Name: proto.String(name), InputType: proto.String(".t.M"), OutputType: proto.String(".t.M"), Options: o}
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name: proto.String("t.proto"), Package: proto.String("t"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String("S"), Method: []*descriptorpb.MethodDescriptorProto{
			method("GetThing", nil),
			method("ListThings", withScope(modeplatformv1.Scope_SCOPE_UNSPECIFIED)),
			method("GetAuditLog", withScope(modeplatformv1.Scope_SCOPE_ADMIN)),
			method("PurgeThings", withScope(modeplatformv1.Scope_SCOPE_WRITE)),
			method("DeleteThing", withScope(modeplatformv1.Scope_SCOPE_RUN)),
		}}},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Scope{"GetThing": "", "ListThings": "", "GetAuditLog": ScopeAdmin, "PurgeThings": ScopeWrite, "DeleteThing": ScopeRun}
	ms := fd.Services().Get(0).Methods()
	for i := range ms.Len() {
		m := ms.Get(i)
		got, ok := scopeOfMethod(m)
		if w := want[string(m.Name())]; got != w || ok != (w != "") {
			t.Errorf("scopeOfMethod(%s) = %q, %v; want %q", m.Name(), got, ok, w)
		}
	}
}

// TestPolicyAcceptsTheAdminScope: admin may be granted ahead of the methods that need it.
func TestPolicyAcceptsTheAdminScope(t *testing.T) {
	p, err := ParsePolicy([]byte("callers:\n  - name: idp\n    keys: [\"sha256:" + strings.Repeat("ab", 32) + "\"]\n    workspaces: [acme]\n    scopes: [admin, read]\n"))
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	c := p.callers[0]
	if !c.Allows("acme", ScopeAdmin) || c.Allows("acme", ScopeWrite) {
		t.Errorf("caller scopes = %v, want admin and read only", c.Scopes)
	}
}
