package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/contracttest"

	"github.com/modeplatform/modeplatform/internal/syncbuf"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/modeplatform/modeplatform/auth"
	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// The emulator's two users, and its second workspace, configured with the second user's
// credential so that two workspaces have two credentials.
const (
	userAToken, userASecret = "secA-token-51c0", "secA-secret-7d2e9a41"
	userBToken, userBSecret = "secB-token-8f3b", "secB-secret-0c6b5e12"
	otherWS                 = modetest.SecondWorkspace
	demoWS                  = modetest.DemoWorkspace
)

// The callers of the test policy: name → key.
var testKeys = map[string]string{
	"admin":    "mp_admin_1f0e2d3c4b5a69788796a5b4",
	"reader":   "mp_reader_a9b8c7d6e5f4031221304f5e",
	"writer":   "mp_writer_5e4d3c2b1a0f9e8d7c6b5a49",
	"runner":   "mp_runner_0a1b2c3d4e5f60718293a4b5",
	"outsider": "mp_outsider_c3d4e5f60718293a4b5c6d7e",
	"carol":    "mp_carol_7e6d5c4b3a291807f6e5d4c3",
}

// policyYAML is the test policy: what each caller may do where.
func policyYAML(keys map[string]string) string {
	line := func(name, workspaces, scopes string) string {
		return "  - name: " + name + "\n    keys: [" + auth.HashKey(keys[name]) + "]\n    workspaces: " + workspaces + "\n    scopes: " + scopes + "\n"
	}
	return "callers:\n" +
		line("admin", "[parch_and_posey]", "[read, write, run, admin]") +
		line("reader", "[parch_and_posey]", "[read]") +
		line("writer", "[parch_and_posey]", "[read, write]") +
		line("runner", "[parch_and_posey]", "[read, run]") +
		line("outsider", "["+otherWS+"]", "[read, write, run]") +
		line("carol", "[parch_and_posey]", "[read, run]")
}

// secEnv is a Mode emulator with two users and two workspaces, and a policy file and a
// credentials file for a server in front of it.
type secEnv struct {
	emu    *modetest.Emulator
	mode   *httptest.Server
	policy string // file
	creds  string // file
}

// newSecEnv starts the emulator; t.Cleanup closes it.
func newSecEnv(t *testing.T, opts ...modetest.Option) *secEnv {
	t.Helper()
	emu, mode := startMode(t, opts...)
	t.Cleanup(func() { closeMode(emu, mode) })
	dir := t.TempDir()
	e := &secEnv{emu: emu, mode: mode, policy: filepath.Join(dir, "policy.yaml"), creds: filepath.Join(dir, "mode.yaml")}
	writeFile(t, e.policy, policyYAML(testKeys))
	writeFile(t, e.creds, "workspaces:\n"+
		"  "+demoWS+": {token_env: A_TOKEN, secret_env: A_SECRET}\n"+
		"  "+otherWS+": {token: "+userBToken+", secret: "+userBSecret+"}\n")
	return e
}

// startMode starts an emulator with the two users and no rate limit, and serves it. closeMode
// stops both.
func startMode(t testing.TB, opts ...modetest.Option) (*modetest.Emulator, *httptest.Server) {
	t.Helper()
	emu, err := modetest.New(append([]modetest.Option{
		modetest.WithCredentials(userAToken, userASecret), modetest.WithCredentials(userBToken, userBSecret),
		modetest.WithRateLimit(0, 0), modetest.WithRunDuration(20 * time.Millisecond),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return emu, httptest.NewServer(emu)
}

func closeMode(emu *modetest.Emulator, mode *httptest.Server) {
	_ = emu.Close() // ends hanging requests first
	mode.Close()
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// env is the server's environment for e.
func (e *secEnv) env() map[string]string {
	return map[string]string{
		"MODE_BASE_URL": e.mode.URL, "MODE_CREDENTIALS_FILE": e.creds, "POLICY_FILE": e.policy,
		"A_TOKEN": userAToken, "A_SECRET": userASecret,
		"MODE_RATE_LIMIT": "-1", "CALLER_RATE_LIMIT": "0",
	}
}

// upstreamRequests counts what reached the emulator.
func (e *secEnv) upstreamRequests() int { return len(e.emu.Requests()) }

// apiClients are the generated clients of the services, by service name.
func apiClients(hc *http.Client, base string, opts ...connect.ClientOption) map[protoreflect.FullName]any {
	return map[protoreflect.FullName]any{
		modeplatformv1connect.WorkspaceServiceName:  modeplatformv1connect.NewWorkspaceServiceClient(hc, base, opts...),
		modeplatformv1connect.ReportServiceName:     modeplatformv1connect.NewReportServiceClient(hc, base, opts...),
		modeplatformv1connect.DataSourceServiceName: modeplatformv1connect.NewDataSourceServiceClient(hc, base, opts...),
		modeplatformv1connect.DatasetServiceName:    modeplatformv1connect.NewDatasetServiceClient(hc, base, opts...),
	}
}

// resourceFor is a well-formed resource name of the kind m's request names, in workspace.
func resourceFor(m protoreflect.MethodDescriptor, workspace string) string {
	n := string(m.Name())
	w := "workspaces/" + workspace
	run := w + "/reports/849c9a32d24b/runs/0123456789ab"
	switch {
	case strings.Contains(n, "QueryRun"), n == "StreamQueryResults", n == "ExportQueryResults":
		if strings.HasPrefix(n, "List") {
			return run
		}
		return run + "/queryRuns/0123456789ab"
	case n == "ListReportRuns", n == "ListQueries", n == "CreateQuery":
		return w + "/reports/849c9a32d24b"
	case strings.Contains(n, "Run") && n != "RunReport":
		return run
	case strings.Contains(n, "Quer"):
		return w + "/reports/849c9a32d24b/queries/0123456789ab"
	case strings.Contains(n, "Report") && n != "ListReports":
		return w + "/reports/849c9a32d24b"
	case n == "ListReports":
		return w + "/spaces/bf3cea2d1fe4"
	case n == "GetSpace" || n == "UpdateSpace" || n == "DeleteSpace":
		return w + "/spaces/bf3cea2d1fe4"
	case n == "GetDataSource":
		return w + "/dataSources/0123456789ab"
	}
	return w
}

// callMethod calls m through its generated client with msg and header, reading a server
// stream to its end, and returns the call's error.
func callMethod(ctx context.Context, t testing.TB, clients map[protoreflect.FullName]any, m protoreflect.MethodDescriptor, msg proto.Message, header http.Header) error {
	t.Helper()
	return callMethodResp(ctx, t, clients, m, msg, header, nil)
}

// callMethodResp is callMethod that also stores a unary call's response message in resp.
func callMethodResp(ctx context.Context, t testing.TB, clients map[protoreflect.FullName]any, m protoreflect.MethodDescriptor, msg proto.Message, header http.Header, resp *any) error {
	t.Helper()
	client := clients[m.Parent().FullName()]
	fn := reflect.ValueOf(client).MethodByName(string(m.Name()))
	if !fn.IsValid() {
		t.Fatalf("the generated %s client has no method %s", m.Parent().FullName(), m.Name())
	}
	req := reflect.New(fn.Type().In(1).Elem()) // *connect.Request[T]
	req.Elem().FieldByName("Msg").Set(reflect.ValueOf(msg))
	h := req.Interface().(interface{ Header() http.Header }).Header()
	for k, v := range header {
		h[k] = v
	}
	out := fn.Call([]reflect.Value{reflect.ValueOf(ctx), req})
	if err, _ := out[1].Interface().(error); err != nil || !m.IsStreamingServer() {
		if err == nil && resp != nil {
			*resp = out[0].Elem().FieldByName("Msg").Interface()
		}
		return err
	}
	stream := out[0]
	defer stream.MethodByName("Close").Call(nil)
	for stream.MethodByName("Receive").Call(nil)[0].Bool() {
	}
	err, _ := stream.MethodByName("Err").Call(nil)[0].Interface().(error)
	return err
}

func bearer(key string) http.Header { return http.Header{"Authorization": {"Bearer " + key}} }

// TestAuthEveryMethod calls every method of the contract, over Connect, gRPC and gRPC-Web,
// with no key, a wrong key, a key for another workspace, and keys whose scopes do not cover
// the method: each is refused with the right code before anything reaches Mode. The right key
// gets past authorization.
func TestAuthEveryMethod(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t)
	ts := startServer(t, nil, e.env(), hooks{})
	ctx := t.Context()
	methods := contracttest.Methods(t)
	protos := []struct {
		name string
		hc   *http.Client
		opts []connect.ClientOption
	}{
		{"connect", http.DefaultClient, nil},
		{"grpc", h2cClient(), []connect.ClientOption{connect.WithGRPC()}},
		{"grpcweb", http.DefaultClient, []connect.ClientOption{connect.WithGRPCWeb()}},
	}
	type attempt struct {
		name   string
		header http.Header
		want   connect.Code
		// applies reports whether the attempt is refused for this method's scope.
		applies func(scope auth.Scope) bool
	}
	always := func(auth.Scope) bool { return true }
	attempts := []attempt{
		{"NoKey", nil, connect.CodeUnauthenticated, always},
		{"WrongKey", bearer("mp_not_a_key_of_the_policy_000000"), connect.CodeUnauthenticated, always},
		{"HashAsKey", bearer(strings.TrimPrefix(auth.HashKey(testKeys["admin"]), "sha256:")), connect.CodeUnauthenticated, always},
		{"NotBearer", http.Header{"Authorization": {"Basic " + testKeys["admin"]}}, connect.CodeUnauthenticated, always},
		{"OtherWorkspaceKey", bearer(testKeys["outsider"]), connect.CodePermissionDenied, always},
		{"ReadOnlyKey", bearer(testKeys["reader"]), connect.CodePermissionDenied, func(s auth.Scope) bool { return s != auth.ScopeRead }},
		{"WriteKeyOnRun", bearer(testKeys["writer"]), connect.CodePermissionDenied, func(s auth.Scope) bool { return s == auth.ScopeRun }},
		{"RunKeyOnWrite", bearer(testKeys["runner"]), connect.CodePermissionDenied, func(s auth.Scope) bool { return s == auth.ScopeWrite }},
		{"WriteKeyOnAdmin", bearer(testKeys["writer"]), connect.CodePermissionDenied, func(s auth.Scope) bool { return s == auth.ScopeAdmin }},
	}
	before := e.upstreamRequests()
	refused := 0
	for _, p := range protos {
		clients := apiClients(p.hc, ts.base, p.opts...)
		for _, m := range methods {
			scope, ok := auth.ScopeOf("/" + string(m.Parent().FullName()) + "/" + string(m.Name()))
			if !ok {
				t.Fatalf("%s has no scope", m.FullName())
			}
			for _, a := range attempts {
				if !a.applies(scope) {
					continue
				}
				t.Run(p.name+"/"+string(m.Name())+"/"+a.name, func(t *testing.T) {
					err := callMethod(ctx, t, clients, m, contracttest.Request(t, m, resourceFor(m, demoWS)), a.header)
					if got := connect.CodeOf(err); got != a.want {
						t.Fatalf("code %v (%v), want %v", got, err, a.want)
					}
					if strings.Contains(err.Error(), testKeys["admin"]) {
						t.Errorf("the error quotes a key: %v", err)
					}
				})
				refused++
			}
		}
	}
	if n := e.upstreamRequests() - before; n != 0 {
		t.Fatalf("%d requests reached Mode for %d refused calls; want none", n, refused)
	}
	// The right key passes authorization on every method (the call may still fail later:
	// the names are made up).
	clients := apiClients(http.DefaultClient, ts.base)
	for _, m := range methods {
		callCtx := ctx
		if m.IsStreamingServer() {
			// A follow stream (StreamAuditEvents) ends only when its caller leaves: leave
			// after a while; having got that far, the call passed authorization.
			var cancel context.CancelFunc
			callCtx, cancel = context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
		}
		err := callMethod(callCtx, t, clients, m, contracttest.Request(t, m, resourceFor(m, demoWS)), bearer(testKeys["admin"]))
		if c := connect.CodeOf(err); err != nil && (c == connect.CodeUnauthenticated || c == connect.CodePermissionDenied) {
			t.Errorf("%s with the admin key: %v", m.Name(), err)
		}
	}
}

// TestBOLA: two workspaces with two Mode credentials; callers confined to one cannot reach the
// other, each workspace's requests carry its own credential, the cache never answers one
// credential's request with another's entry, and de-duplication ids are per caller.
func TestBOLA(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t)
	ts := startServer(t, nil, e.env(), hooks{})
	ctx := t.Context()
	ws := modeplatformv1connect.NewWorkspaceServiceClient(http.DefaultClient, ts.base)
	rs := modeplatformv1connect.NewReportServiceClient(http.DefaultClient, ts.base)
	getWorkspace := func(key, workspace string) error {
		req := connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/" + workspace})
		req.Header().Set("Authorization", "Bearer "+key)
		_, err := ws.GetWorkspace(ctx, req)
		return err
	}
	userOf := func(r modetest.Request) string {
		u, _, _ := (&http.Request{Header: r.Header}).BasicAuth()
		return u
	}
	tests := []struct {
		name      string
		key       string
		workspace string
		want      connect.Code
		upstream  int    // new requests to Mode
		user      string // the Mode user they were sent as
	}{
		{"admin reads its workspace", testKeys["admin"], demoWS, 0, 1, userAToken},
		{"outsider cannot read it, even cached", testKeys["outsider"], demoWS, connect.CodePermissionDenied, 0, ""},
		{"admin cannot read the other workspace", testKeys["admin"], otherWS, connect.CodePermissionDenied, 0, ""},
		{"outsider reads its own with its own credential, not from the cache", testKeys["outsider"], otherWS, 0, 1, userBToken},
		{"outsider again: its own cache entry", testKeys["outsider"], otherWS, 0, 0, ""},
		{"admin again: its own cache entry", testKeys["admin"], demoWS, 0, 0, ""},
		{"outsider asking for a workspace nobody configured", testKeys["outsider"], "nobody_ws", connect.CodePermissionDenied, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.upstreamRequests()
			err := getWorkspace(tt.key, tt.workspace)
			if connect.CodeOf(err) != tt.want && !(tt.want == 0 && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			reqs := e.emu.Requests()[before:]
			if len(reqs) != tt.upstream {
				t.Fatalf("%d requests to Mode, want %d", len(reqs), tt.upstream)
			}
			for _, r := range reqs {
				if userOf(r) != tt.user {
					t.Errorf("sent to Mode as %q, want %q", userOf(r), tt.user)
				}
			}
		})
	}

	// The denial does not say whether the resource exists.
	deny := func(name string) string {
		req := connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name})
		req.Header().Set("Authorization", "Bearer "+testKeys["outsider"])
		_, err := rs.GetReport(ctx, req)
		return connect.CodeOf(err).String() + " " + err.Error()
	}
	if a, b := deny("workspaces/"+demoWS+"/reports/849c9a32d24b"), deny("workspaces/"+demoWS+"/reports/000000000000"); a != b {
		t.Errorf("denials differ for an existing and a missing report:\n%s\n%s", a, b)
	}

	// request_id and Idempotency-Key are per caller: carol sending admin's id starts her own run.
	report := "workspaces/" + demoWS + "/reports/" + e.emu.Demo().Reports[0]
	run := func(key, requestID, idemKey string) (string, error) {
		req := connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report, RequestId: requestID})
		req.Header().Set("Authorization", "Bearer "+key)
		if idemKey != "" {
			req.Header().Set("Idempotency-Key", idemKey)
		}
		resp, err := rs.RunReport(ctx, req)
		if err != nil {
			return "", err
		}
		return resp.Msg.GetRun().GetName(), nil
	}
	posts := func() int { return e.emu.CountRequests(http.MethodPost, "/api/"+demoWS+"/reports/") }
	p0 := posts()
	adminRun, err := run(testKeys["admin"], "bola-1", "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := run(testKeys["admin"], "", "bola-1") // the header instead of the field
	if err != nil || again != adminRun {
		t.Fatalf("admin's retry by Idempotency-Key = %q, %v; want %q", again, err, adminRun)
	}
	carolRun, err := run(testKeys["carol"], "bola-1", "")
	if err != nil || carolRun == adminRun {
		t.Fatalf("carol with admin's request_id got %q, %v; want a run of her own", carolRun, err)
	}
	if n := posts() - p0; n != 2 {
		t.Errorf("%d runs started, want 2 (admin's once, carol's)", n)
	}
	if _, err := run(testKeys["admin"], "bola-2", "bola-3"); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("request_id and Idempotency-Key differing: %v, want InvalidArgument", err)
	}
}

// TestBOLAThroughMode: behind a Mode that resolves tokens whatever workspace the URL names, a
// caller allowed one workspace who names another workspace's token under its own is answered
// NotFound, not the other workspace's object relabelled as its own, and nothing is cached for
// the next caller.
func TestBOLAThroughMode(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t, modetest.WithCrossWorkspaceTokens())
	ts := startServer(t, nil, e.env(), hooks{})
	rs := modeplatformv1connect.NewReportServiceClient(http.DefaultClient, ts.base)
	d := e.emu.Demo()
	getReport := func(key, name string) (*modeplatformv1.Report, error) {
		req := connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name})
		req.Header().Set("Authorization", "Bearer "+key)
		resp, err := rs.GetReport(t.Context(), req)
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetReport(), nil
	}
	tests := []struct {
		name, key, report string
	}{
		{"admin names the other workspace's report under its own", testKeys["admin"], "workspaces/" + demoWS + "/reports/" + d.Second.Report},
		{"outsider names the demo report under its own", testKeys["outsider"], "workspaces/" + otherWS + "/reports/" + d.Reports[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.upstreamRequests()
			for range 2 {
				r, err := getReport(tt.key, tt.report)
				if connect.CodeOf(err) != connect.CodeNotFound {
					t.Fatalf("GetReport(%s) = %v, %v; want NotFound", tt.report, r, err)
				}
				if !strings.Contains(err.Error(), tt.report) {
					t.Errorf("error %q does not name the report asked for", err)
				}
			}
			if n := e.upstreamRequests() - before; n != 2 {
				t.Errorf("%d requests to Mode for two calls, want 2: the other workspace's answer was cached", n)
			}
		})
	}
	// Each caller still reads its own workspace's report.
	if r, err := getReport(testKeys["outsider"], "workspaces/"+otherWS+"/reports/"+d.Second.Report); err != nil || r.GetDisplayName() == "" {
		t.Errorf("outsider's own report: %v, %v", r, err)
	}
	if r, err := getReport(testKeys["admin"], "workspaces/"+demoWS+"/reports/"+d.Reports[0]); err != nil || r.GetDisplayName() == "" {
		t.Errorf("admin's own report: %v, %v", r, err)
	}
}

// TestPolicyReload rotates a key by rewriting the policy and sending SIGHUP (through the hook);
// a broken file keeps the policy in force.
func TestPolicyReload(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t)
	hup := make(chan os.Signal, 1)
	ts := startServer(t, nil, e.env(), hooks{hup: hup})
	ws := modeplatformv1connect.NewWorkspaceServiceClient(http.DefaultClient, ts.base)
	code := func(key string) connect.Code {
		req := connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/" + demoWS})
		req.Header().Set("Authorization", "Bearer "+key)
		_, err := ws.GetWorkspace(t.Context(), req)
		if err == nil {
			return 0
		}
		return connect.CodeOf(err)
	}
	const ok = connect.Code(0)
	if c := code(testKeys["reader"]); c != ok {
		t.Fatalf("reader before the rotation: %v", c)
	}
	rotated := map[string]string{}
	for k, v := range testKeys {
		rotated[k] = v
	}
	rotated["reader"] = "mp_reader_rotated_4b5c6d7e8f90a1b2"
	// waitFor sends SIGHUP until the server answers want for key (the reload is asynchronous).
	waitFor := func(key string, want connect.Code) {
		t.Helper()
		deadline := time.Now().Add(waitLimit)
		for code(key) != want {
			if time.Now().After(deadline) {
				t.Fatalf("key never answered %v; log:\n%s", want, ts.stderr)
			}
			select {
			case hup <- syscall.SIGHUP:
			default:
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	writeFile(t, e.policy, policyYAML(rotated))
	waitFor(rotated["reader"], ok)
	if c := code(testKeys["reader"]); c != connect.CodeUnauthenticated {
		t.Errorf("the old key after the rotation: %v, want Unauthenticated", c)
	}
	writeFile(t, e.policy, "callers: [") // broken
	hup <- syscall.SIGHUP
	for deadline := time.Now().Add(waitLimit); !strings.Contains(ts.stderr.String(), "caller policy not reloaded"); {
		if time.Now().After(deadline) {
			t.Fatalf("no log line about the broken policy:\n%s", ts.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c := code(rotated["reader"]); c != ok {
		t.Errorf("after a broken reload: %v, want the policy kept", c)
	}
}

// TestSafeDefaults: without a policy the server listens only on loopback and says so; asked
// to listen elsewhere it refuses to start.
func TestSafeDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		listen string
		ok     bool
	}{
		{"127.0.0.1:0", true},
		{"[::1]:0", true},
		{"localhost:0", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"192.0.2.10:8080", false},
		{"modeplatform.internal:8080", false},
	} {
		t.Run(tc.listen, func(t *testing.T) {
			_, err := parseConfig([]string{"--listen", tc.listen}, envMap(nil), &syncbuf.Buffer{})
			if tc.ok != (err == nil) {
				t.Fatalf("parseConfig(--listen %s) = %v, want ok=%v", tc.listen, err, tc.ok)
			}
			if err != nil && (!strings.Contains(err.Error(), "without a caller policy") || !strings.Contains(err.Error(), "POLICY_FILE")) {
				t.Errorf("unclear refusal: %v", err)
			}
			if _, err := parseConfig([]string{"--listen", tc.listen, "--policy", "/p.yaml"}, envMap(nil), &syncbuf.Buffer{}); err != nil {
				t.Errorf("with a policy: %v", err)
			}
		})
	}
	t.Run("RunRefuses", func(t *testing.T) {
		var stderr syncbuf.Buffer
		err := run(t.Context(), []string{"--listen", "0.0.0.0:0", "--admin-listen", "off"}, envMap(nil), &syncbuf.Buffer{}, &stderr)
		if err == nil || !strings.Contains(err.Error(), "refusing to listen on 0.0.0.0:0") {
			t.Fatalf("run = %v, want a refusal", err)
		}
	})
	t.Run("DemoSaysLoopbackOnly", func(t *testing.T) {
		ts := startServer(t, nil, nil, hooks{})
		recs := logRecords(t, ts.stderr.String())
		found := false
		for _, r := range recs {
			if msg, _ := r["msg"].(string); strings.Contains(msg, "no caller policy") && strings.Contains(msg, "loopback only") {
				found = true
			}
		}
		if !found {
			t.Errorf("no log line says the server is open to every caller on loopback:\n%s", ts.stderr)
		}
	})
	t.Run("MissingPolicyFile", func(t *testing.T) {
		err := run(t.Context(), []string{"--listen", "127.0.0.1:0", "--admin-listen", "off", "--policy", filepath.Join(t.TempDir(), "none.yaml")}, envMap(nil), &syncbuf.Buffer{}, &syncbuf.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "policy file") {
			t.Fatalf("run = %v, want a policy file error", err)
		}
	})
	t.Run("TLSFlagsGoTogether", func(t *testing.T) {
		for _, args := range [][]string{{"--tls-cert", "c.pem"}, {"--tls-key", "k.pem"}, {"--client-ca", "ca.pem"}} {
			if _, err := parseConfig(args, envMap(nil), &syncbuf.Buffer{}); err == nil || !strings.Contains(err.Error(), "TLS") {
				t.Errorf("parseConfig(%v) = %v, want a TLS error", args, err)
			}
		}
	})
}

// errorDetails returns the error details of err by type.
func errorDetails(t *testing.T, err error) (quota *errdetails.QuotaFailure, retry *errdetails.RetryInfo, info *errdetails.ErrorInfo) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a Connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			t.Fatal(err)
		}
		switch v := v.(type) {
		case *errdetails.QuotaFailure:
			quota = v
		case *errdetails.RetryInfo:
			retry = v
		case *errdetails.ErrorInfo:
			info = v
		}
	}
	return quota, retry, info
}

// TestCallerLimits: a caller over its rate is ResourceExhausted with QuotaFailure and
// RetryInfo, without touching another caller's budget; a caller holding its streams cannot
// open another.
func TestCallerLimits(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t, modetest.WithRunDuration(time.Hour))
	env := e.env()
	env["CALLER_RATE_LIMIT"], env["CALLER_RATE_BURST"], env["CALLER_STREAMS"] = "0.001", "2", "1"
	ts := startServer(t, nil, env, hooks{})
	ws := modeplatformv1connect.NewWorkspaceServiceClient(http.DefaultClient, ts.base)
	get := func(key string) error {
		req := connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/" + demoWS})
		req.Header().Set("Authorization", "Bearer "+key)
		_, err := ws.GetWorkspace(t.Context(), req)
		return err
	}
	for i := range 2 {
		if err := get(testKeys["reader"]); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	err := get(testKeys["reader"])
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("third call: %v, want ResourceExhausted", err)
	}
	quota, retry, _ := errorDetails(t, err)
	if quota == nil || quota.GetViolations()[0].GetSubject() != "caller:reader" || retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("details: QuotaFailure %v RetryInfo %v", quota, retry)
	}
	if err := get(testKeys["admin"]); err != nil {
		t.Errorf("another caller: %v", err)
	}

	// Streams: the runner holds one WatchReportRun (the run takes an hour); a second is refused.
	rs := modeplatformv1connect.NewReportServiceClient(http.DefaultClient, ts.base)
	runReq := connect.NewRequest(&modeplatformv1.RunReportRequest{Name: "workspaces/" + demoWS + "/reports/" + e.emu.Demo().Reports[0]})
	runReq.Header().Set("Authorization", "Bearer "+testKeys["runner"])
	started, err := rs.RunReport(t.Context(), runReq)
	if err != nil {
		t.Fatal(err)
	}
	watch := func(ctx context.Context) (*connect.ServerStreamForClient[modeplatformv1.WatchReportRunResponse], error) {
		req := connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: started.Msg.GetRun().GetName()})
		req.Header().Set("Authorization", "Bearer "+testKeys["runner"])
		return rs.WatchReportRun(ctx, req)
	}
	ctx1, cancel1 := context.WithCancel(t.Context())
	first, err := watch(ctx1)
	if err != nil || !first.Receive() {
		t.Fatalf("first stream: %v %v", err, first.Err())
	}
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	second, err := watch(ctx2)
	if err == nil {
		for second.Receive() {
		}
		err = second.Err()
	}
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Errorf("second stream: %v, want ResourceExhausted", err)
	}
	cancel1()
	_ = first.Close()
}

// TestUpstreamRateLimit: a call that would wait for the rate limit toward Mode past its
// deadline fails at once with Unavailable and RetryInfo, sending nothing.
func TestUpstreamRateLimit(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t)
	env := e.env()
	env["MODE_RATE_LIMIT"], env["MODE_RATE_BURST"] = "0.01", "1" // one token, the next in 100s
	ts := startServer(t, nil, env, hooks{})
	ws := modeplatformv1connect.NewWorkspaceServiceClient(http.DefaultClient, ts.base)
	get := func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		req := connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/" + demoWS})
		req.Header().Set("Authorization", "Bearer "+testKeys["reader"])
		req.Header().Set("Cache-Control", "no-cache")
		_, err := ws.GetWorkspace(ctx, req)
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	before := e.upstreamRequests()
	err := get()
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	_, retry, info := errorDetails(t, err)
	if info.GetReason() != service.ReasonUpstreamRateLimited || info.GetMetadata()["limiter"] != "local" || retry.GetRetryDelay().AsDuration() <= 5*time.Second {
		t.Errorf("ErrorInfo %v RetryInfo %v", info, retry)
	}
	if n := e.upstreamRequests() - before; n != 0 {
		t.Errorf("%d requests sent while over the limit", n)
	}
}

// lockedCounter counts across goroutines.
type lockedCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *lockedCounter) add(k string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
	c.mu.Unlock()
}
