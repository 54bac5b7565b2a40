package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/syncbuf"
	"github.com/modeplatform/modeplatform/telemetry"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// waitLimit bounds every wait in these tests: it turns a hang into a failure, it is not a
// performance assertion.
const waitLimit = 2 * time.Minute

// logRecords parses JSON log lines.
func logRecords(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(s) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// hasRecord reports whether some record has this msg.
func hasRecord(recs []map[string]any, msg string) bool {
	return slices.ContainsFunc(recs, func(r map[string]any) bool { return r["msg"] == msg })
}

// envMap turns a map into a getenv function.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// testServer is run(...) in a goroutine.
type testServer struct {
	base   string // http://127.0.0.1:PORT
	addr   string
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan error
}

// startServer runs the server in-process on a random port and waits until it listens. Cleanup
// stops it.
func startServer(t *testing.T, args []string, env map[string]string, h hooks) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ts := &testServer{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan net.Addr, 1)
	userReady := h.ready
	h.ready = func(a net.Addr) {
		if userReady != nil {
			userReady(a)
		}
		ready <- a
	}
	args = append([]string{"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, args...)
	go func() { ts.done <- runWith(ctx, args, envMap(env), ts.stdout, ts.stderr, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ts.done:
		case <-time.After(waitLimit):
			t.Errorf("server did not stop; log:\n%s", ts.stderr)
		}
	})
	select {
	case a := <-ready:
		ts.addr = a.String()
		ts.base = "http://" + ts.addr
	case err := <-ts.done:
		ts.done <- err
		t.Fatalf("run returned before listening: %v\nlog:\n%s", err, ts.stderr)
	case <-time.After(waitLimit):
		t.Fatalf("server did not start; log:\n%s", ts.stderr)
	}
	return ts
}

// stop cancels the server's context and returns run's result.
func (ts *testServer) stop(t *testing.T) error {
	t.Helper()
	ts.cancel()
	select {
	case err := <-ts.done:
		ts.done <- err // for Cleanup
		return err
	case <-time.After(waitLimit):
		t.Fatalf("server did not stop; log:\n%s", ts.stderr)
		return nil
	}
}

// post sends a request body with Content-Type application/json and returns the status, the
// body and the response headers. It fails the test on a transport error.
func post(t *testing.T, url, body string, header http.Header) (int, string, http.Header) {
	t.Helper()
	code, b, h, err := doPost(t.Context(), url, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return code, b, h
}

// doPost is post for goroutines other than the test's.
func doPost(ctx context.Context, url, body string, header http.Header) (int, string, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header, err
}

// healthStatus asks /grpc.health.v1.Health/Check with a plain Connect JSON POST.
func healthStatus(t *testing.T, base string) string {
	t.Helper()
	s, err := checkHealth(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkHealth is healthStatus for goroutines other than the test's.
func checkHealth(ctx context.Context, base string) (string, error) {
	code, body, _, err := doPost(ctx, base+"/grpc.health.v1.Health/Check", `{}`, nil)
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("health check: HTTP %d: %s", code, body)
	}
	var out struct{ Status string }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return "", fmt.Errorf("health check answer %q: %w", body, err)
	}
	return out.Status, nil
}

// h2cClient speaks HTTP/2 without TLS (prior knowledge), as gRPC clients do.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

const allowedOrigin = "https://app.example.com"

func TestDemoServer(t *testing.T) {
	t.Parallel()
	ts := startServer(t, []string{"--cors-origins", allowedOrigin + ", https://admin.example.com"}, nil, hooks{})

	t.Run("FirstLogLineNamesTheEmulator", func(t *testing.T) {
		recs := logRecords(t, ts.stderr.String())
		if len(recs) == 0 {
			t.Fatal("no log")
		}
		msg, _ := recs[0]["msg"].(string)
		if !strings.Contains(msg, "no MODE_API_TOKEN") || !strings.Contains(msg, "emulator") || !strings.Contains(msg, modetest.DemoWorkspace) {
			t.Errorf("first log line %v does not say the emulator serves %s", recs[0], modetest.DemoWorkspace)
		}
		if u, _ := recs[0]["emulator_url"].(string); !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("first log line has emulator_url %q, want a loopback URL", u)
		}
		if !hasRecord(recs, "modeplatform listening") {
			t.Errorf("no start line in log:\n%s", ts.stderr)
		}
	})

	t.Run("HealthConnectJSON", func(t *testing.T) {
		// grpchealth's JSON names the enum values SERVING_STATUS_*.
		if got := healthStatus(t, ts.base); got != "SERVING_STATUS_SERVING" {
			t.Errorf("health = %q, want SERVING_STATUS_SERVING", got)
		}
	})

	t.Run("HealthGRPCOverH2C", func(t *testing.T) {
		c := grpchealth.NewClient(h2cClient(), ts.base, connect.WithGRPC())
		for _, svc := range append([]string{""}, service.ServiceNames...) {
			resp, err := c.Check(t.Context(), &grpchealth.CheckRequest{Service: svc})
			if err != nil {
				t.Fatalf("gRPC health check of %q: %v", svc, err)
			}
			if resp.Status != grpchealth.StatusServing {
				t.Errorf("health of %q = %v, want SERVING", svc, resp.Status)
			}
		}
	})

	t.Run("HealthGRPCWebOverHTTP1", func(t *testing.T) {
		c := grpchealth.NewClient(http.DefaultClient, ts.base, connect.WithGRPCWeb())
		resp, err := c.Check(t.Context(), &grpchealth.CheckRequest{})
		if err != nil {
			t.Fatalf("gRPC-Web health check: %v", err)
		}
		if resp.Status != grpchealth.StatusServing {
			t.Errorf("health = %v, want SERVING", resp.Status)
		}
	})

	t.Run("Reflection", func(t *testing.T) {
		stream := grpcreflect.NewClient(h2cClient(), ts.base, connect.WithGRPC()).NewStream(t.Context())
		defer stream.Close()
		names, err := stream.ListServices()
		if err != nil {
			t.Fatalf("ListServices: %v", err)
		}
		for _, want := range append([]string{grpchealth.HealthV1ServiceName}, service.ServiceNames...) {
			if !slices.Contains(names, protoreflect.FullName(want)) {
				t.Errorf("reflection lists %v, missing %s", names, want)
			}
		}
		// The descriptors resolve, so grpcurl can describe and call the methods.
		files, err := stream.FileContainingSymbol("modeplatform.v1.ReportService")
		if err != nil || len(files) == 0 {
			t.Errorf("FileContainingSymbol(ReportService) = %d files, %v", len(files), err)
		}
	})

	t.Run("ReflectionV1Alpha", func(t *testing.T) {
		// grpcurl falls back to v1alpha; a Connect JSON call cannot stream, so check the route
		// answers the gRPC protocol with a reflection error rather than 404.
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost,
			ts.base+"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", http.NoBody)
		req.Header.Set("Content-Type", "application/grpc")
		resp, err := h2cClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("v1alpha reflection: HTTP %d, want 200 (gRPC answers errors in trailers)", resp.StatusCode)
		}
	})

	t.Run("CORSPreflightAllowedOrigin", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions,
			ts.base+"/modeplatform.v1.WorkspaceService/GetWorkspace", http.NoBody)
		req.Header.Set("Origin", allowedOrigin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		// Browsers send the names lowercase and sorted (rs/cors relies on it).
		req.Header.Set("Access-Control-Request-Headers",
			"authorization,cache-control,connect-protocol-version,connect-timeout-ms,content-type,grpc-timeout,x-grpc-web,x-user-agent")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Errorf("preflight: HTTP %d", resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != allowedOrigin {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, allowedOrigin)
		}
		if got := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") {
			t.Errorf("Access-Control-Allow-Methods = %q, want POST", got)
		}
		allowed := strings.ToLower(strings.Join(resp.Header.Values("Access-Control-Allow-Headers"), ","))
		for _, h := range []string{"content-type", "connect-protocol-version", "connect-timeout-ms", "x-grpc-web", "x-user-agent", "grpc-timeout", "authorization", "cache-control"} {
			if !strings.Contains(allowed, h) {
				t.Errorf("Access-Control-Allow-Headers = %q, missing %s", allowed, h)
			}
		}
		if resp.Header.Get("Access-Control-Max-Age") == "" {
			t.Error("no Access-Control-Max-Age: browsers would preflight every call")
		}
	})

	t.Run("CORSPreflightOtherOrigin", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions,
			ts.base+"/modeplatform.v1.WorkspaceService/GetWorkspace", http.NoBody)
		req.Header.Set("Origin", "https://evil.example.net")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
			if got := resp.Header.Get(h); got != "" {
				t.Errorf("%s = %q for an origin not allowed", h, got)
			}
		}
	})

	t.Run("CORSExposesGRPCWebHeaders", func(t *testing.T) {
		code, body, hdr := post(t, ts.base+"/grpc.health.v1.Health/Check", `{}`, http.Header{"Origin": {allowedOrigin}})
		if code != http.StatusOK {
			t.Fatalf("HTTP %d: %s", code, body)
		}
		if got := hdr.Get("Access-Control-Allow-Origin"); got != allowedOrigin {
			t.Errorf("Access-Control-Allow-Origin = %q", got)
		}
		exposed := strings.ToLower(strings.Join(hdr.Values("Access-Control-Expose-Headers"), ","))
		for _, h := range []string{"grpc-status", "grpc-message", "grpc-status-details-bin"} {
			if !strings.Contains(exposed, h) {
				t.Errorf("Access-Control-Expose-Headers = %q, missing %s", exposed, h)
			}
		}
	})

	t.Run("GetWorkspaceConnectJSON", func(t *testing.T) {
		code, body, _ := post(t, ts.base+"/modeplatform.v1.WorkspaceService/GetWorkspace",
			`{"name":"workspaces/parch_and_posey"}`, nil)
		if code != http.StatusOK {
			t.Fatalf("GetWorkspace: HTTP %d: %s", code, body)
		}
		var out struct {
			Workspace struct{ Name, DisplayName string }
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("GetWorkspace answer %q: %v", body, err)
		}
		if out.Workspace.Name != "workspaces/parch_and_posey" || out.Workspace.DisplayName != "Parch & Posey" {
			t.Errorf("GetWorkspace = %s", body)
		}
	})

	t.Run("OversizedRequestRefused", func(t *testing.T) {
		big := `{"name":"workspaces/` + strings.Repeat("a", 2<<20) + `"}`
		code, body, _ := post(t, ts.base+"/modeplatform.v1.WorkspaceService/GetWorkspace", big, nil)
		var out struct{ Code string }
		_ = json.Unmarshal([]byte(body), &out)
		if out.Code != connect.CodeResourceExhausted.String() && code != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MiB request: HTTP %d %q, want resource_exhausted (or 413)", code, body)
		}
	})

	t.Run("UnknownPathIs404", func(t *testing.T) {
		code, _, _ := post(t, ts.base+"/modeplatform.v1.NoSuchService/Get", `{}`, nil)
		if code != http.StatusNotFound {
			t.Errorf("unknown service: HTTP %d, want 404", code)
		}
	})

	t.Run("StdoutHint", func(t *testing.T) {
		if out := ts.stdout.String(); !strings.Contains(out, "grpcurl -plaintext "+ts.addr+" list") {
			t.Errorf("stdout does not show how to try the demo:\n%s", out)
		}
	})
}

// gate is a Mode emulator whose GET of the workspace waits until released, to hold a call in
// flight.
type gate struct {
	next     http.Handler
	arrived  chan struct{}
	release  chan struct{}
	once     sync.Once
	released sync.Once
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/api/"+modetest.DemoWorkspace {
		g.once.Do(func() { close(g.arrived) })
		select {
		case <-g.release:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

func (g *gate) open() { g.released.Do(func() { close(g.release) }) }

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	const token, secret = "drain-token", "drain-secret"
	emu, err := modetest.New(modetest.WithCredentials(token, secret), modetest.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{next: emu, arrived: make(chan struct{}), release: make(chan struct{})}
	mode := httptest.NewServer(g)
	t.Cleanup(func() {
		g.open()
		mode.Close()
		_ = emu.Close()
	})

	var drainStatus string
	var drainErr error
	var ts *testServer
	ts = startServer(t, []string{"--shutdown-grace", "1m"}, map[string]string{
		"MODE_BASE_URL": mode.URL, "MODE_API_TOKEN": token, "MODE_API_SECRET": secret,
	}, hooks{draining: func() {
		drainStatus, drainErr = checkHealth(context.Background(), ts.base)
		// Release the held call only once the server stopped accepting connections: the call is
		// then in flight during Shutdown, which must wait for it.
		go func() {
			for {
				c, err := net.Dial("tcp", ts.addr)
				if err != nil {
					break
				}
				c.Close()
				time.Sleep(5 * time.Millisecond)
			}
			g.open()
		}()
	}})
	if got := healthStatus(t, ts.base); got != "SERVING_STATUS_SERVING" {
		t.Fatalf("health before shutdown = %q", got)
	}

	type result struct {
		code int
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		code, body, _, err := doPost(t.Context(), ts.base+"/modeplatform.v1.WorkspaceService/GetWorkspace", `{"name":"workspaces/parch_and_posey"}`, nil)
		inflight <- result{code, body, err}
	}()
	select {
	case <-g.arrived:
	case <-time.After(waitLimit):
		t.Fatal("the call never reached Mode")
	}

	if err := ts.stop(t); err != nil {
		t.Fatalf("run after cancel = %v, want nil; log:\n%s", err, ts.stderr)
	}
	if drainErr != nil || drainStatus != "SERVING_STATUS_NOT_SERVING" {
		t.Errorf("health while draining = %q, %v; want SERVING_STATUS_NOT_SERVING", drainStatus, drainErr)
	}
	select {
	case r := <-inflight:
		if r.err != nil || r.code != http.StatusOK || !strings.Contains(r.body, "workspaces/parch_and_posey") {
			t.Errorf("in-flight call during shutdown: HTTP %d %s %v, want it to finish", r.code, r.body, r.err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the in-flight call never finished")
	}
	recs := logRecords(t, ts.stderr.String())
	for _, msg := range []string{"modeplatform draining", "modeplatform stopped"} {
		if !hasRecord(recs, msg) {
			t.Errorf("no %q line in log:\n%s", msg, ts.stderr)
		}
	}
	if strings.Contains(ts.stderr.String(), secret) || strings.Contains(ts.stderr.String(), token) {
		t.Errorf("credentials in the log:\n%s", ts.stderr)
	}
}

func TestStopsOnContextWithEmulator(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, nil, hooks{})
	if err := ts.stop(t); err != nil {
		t.Fatalf("run = %v, want nil", err)
	}
	recs := logRecords(t, ts.stderr.String())
	if last := recs[len(recs)-1]; last["msg"] != "modeplatform stopped" {
		t.Errorf("last log line = %v, want the stop line", last)
	}
}

func TestCredentialPairRequired(t *testing.T) {
	t.Parallel()
	const token, secret = "lonely-token-6a1f", "lonely-secret-93bd"
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		missing string
	}{
		{"TokenEnvWithoutSecret", nil, map[string]string{"MODE_API_TOKEN": token}, "MODE_API_SECRET"},
		{"SecretEnvWithoutToken", nil, map[string]string{"MODE_API_SECRET": secret}, "MODE_API_TOKEN"},
		{"TokenFlagWithoutSecret", []string{"--mode-api-token", token}, nil, "MODE_API_SECRET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncbuf.Buffer
			args := append([]string{"--listen", "127.0.0.1:0", "--admin-listen", "off"}, tc.args...)
			err := run(t.Context(), args, envMap(tc.env), &stdout, &stderr)
			if err == nil {
				t.Fatal("run accepted half a credential")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.missing+" (--mode-api-") || !strings.Contains(msg, "is not") {
				t.Errorf("error %q does not say %s is missing", msg, tc.missing)
			}
			for _, s := range []string{msg, stdout.String(), stderr.String()} {
				if strings.Contains(s, token) || strings.Contains(s, secret) {
					t.Errorf("a credential leaked: %q", s)
				}
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c config)
	}{
		{"Defaults", nil, nil, func(t *testing.T, c config) {
			want := config{
				baseURL: "https://app.mode.com", listen: "127.0.0.1:8080", adminListen: "127.0.0.1:9090", cacheEntries: 100_000, cacheBytes: 256 << 20,
				shutdownGrace: 25 * time.Second, unaryTimeout: 60 * time.Second, logLevel: slog.LevelInfo, logFormat: "json",
				createTimeout: 60 * time.Second, upstreamHeaderTimeout: 30 * time.Second,
				upstreamRPS: 4, upstreamConcurrency: 8, breakerFailures: 5, breakerOpen: 30 * time.Second,
				callerRPS: defaultCallerRPS, callerStreams: 32, streams: defaultStreamConfig(),
			}
			if !equalConfig(c, want) {
				t.Errorf("got %+v, want %+v", c, want)
			}
			if !c.useEmulator() {
				t.Error("no credentials but no emulator")
			}
		}},
		{"EnvOverridesDefaults", nil, map[string]string{
			"MODE_BASE_URL": "https://mode.example.com", "MODE_API_TOKEN": "t", "MODE_API_SECRET": "s",
			"MODE_WORKSPACE": "acme", "LISTEN_ADDR": ":9090", "ADMIN_ADDR": ":9999", "CORS_ORIGINS": "https://a.example.com, https://B.example.com",
			"CACHE_ENTRIES": "5", "CACHE_BYTES": "1GiB", "SHUTDOWN_GRACE": "3s", "UNARY_TIMEOUT": "0",
			"LOG_LEVEL": "debug", "LOG_FORMAT": "text",
			// Listening on every interface needs a policy.
			"POLICY_FILE": "/etc/modeplatform/policy.yaml", "MODE_CREDENTIALS_FILE": "/etc/modeplatform/mode.yaml",
			"TLS_CERT": "/tls/cert.pem", "TLS_KEY": "/tls/key.pem", "TLS_CLIENT_CA": "/tls/ca.pem",
			"MODE_RATE_LIMIT": "2.5", "MODE_RATE_BURST": "3", "MODE_CONCURRENCY": "4",
			"MODE_BREAKER_FAILURES": "7", "MODE_BREAKER_OPEN": "1m",
			"CALLER_RATE_LIMIT": "10", "CALLER_RATE_BURST": "20", "CALLER_STREAMS": "0",
			"CREATE_TIMEOUT": "2m", "MODE_RESPONSE_HEADER_TIMEOUT": "45s",
		}, func(t *testing.T, c config) {
			want := config{
				baseURL: "https://mode.example.com", token: "t", secret: "s", workspace: "acme", listen: ":9090", adminListen: ":9999",
				corsOrigins:  []string{"https://a.example.com", "https://b.example.com"},
				cacheEntries: 5, cacheBytes: 1 << 30, shutdownGrace: 3 * time.Second, unaryTimeout: 0,
				logLevel: slog.LevelDebug, logFormat: "text",
				policy: "/etc/modeplatform/policy.yaml", credentials: "/etc/modeplatform/mode.yaml",
				tlsCert: "/tls/cert.pem", tlsKey: "/tls/key.pem", clientCA: "/tls/ca.pem",
				upstreamRPS: 2.5, upstreamBurst: 3, upstreamConcurrency: 4, breakerFailures: 7, breakerOpen: time.Minute,
				callerRPS: 10, callerBurst: 20, callerStreams: 0, streams: defaultStreamConfig(),
				createTimeout: 2 * time.Minute, upstreamHeaderTimeout: 45 * time.Second,
			}
			if !equalConfig(c, want) {
				t.Errorf("got %+v, want %+v", c, want)
			}
			if c.useEmulator() {
				t.Error("credentials given but emulator chosen")
			}
		}},
		{"FlagsOverrideEnv", []string{
			"--mode-base-url", "http://127.0.0.1:1", "--mode-api-token", "ft", "--mode-api-secret", "fs",
			"--mode-workspace", "flagws", "--listen", "127.0.0.1:0", "--admin-listen", "off", "--cors-origins", "*", "--cache-entries", "7",
			"--cache-bytes", "500MB", "--shutdown-grace", "1s", "--unary-timeout", "5s", "--log-level", "warn", "--log-format", "json",
			"--create-timeout", "90s", "--upstream-header-timeout", "10s",
		}, map[string]string{
			"MODE_BASE_URL": "https://mode.example.com", "MODE_API_TOKEN": "t", "MODE_API_SECRET": "s",
			"MODE_WORKSPACE": "acme", "LISTEN_ADDR": ":9090", "ADMIN_ADDR": ":9999", "CORS_ORIGINS": "https://a.example.com",
			"CACHE_ENTRIES": "5", "CACHE_BYTES": "1GiB", "SHUTDOWN_GRACE": "3s", "UNARY_TIMEOUT": "0",
			"LOG_LEVEL": "debug", "LOG_FORMAT": "text", "CREATE_TIMEOUT": "2m", "MODE_RESPONSE_HEADER_TIMEOUT": "45s",
		}, func(t *testing.T, c config) {
			want := config{
				createTimeout: 90 * time.Second, upstreamHeaderTimeout: 10 * time.Second,
				baseURL: "http://127.0.0.1:1", token: "ft", secret: "fs", workspace: "flagws", listen: "127.0.0.1:0", adminListen: "off",
				corsOrigins: []string{"*"}, cacheEntries: 7, cacheBytes: 500e6, shutdownGrace: time.Second,
				unaryTimeout: 5 * time.Second, logLevel: slog.LevelWarn, logFormat: "json",
				upstreamRPS: 4, upstreamConcurrency: 8, breakerFailures: 5, breakerOpen: 30 * time.Second,
				callerRPS: defaultCallerRPS, callerStreams: 32, streams: defaultStreamConfig(),
			}
			if !equalConfig(c, want) {
				t.Errorf("got %+v, want %+v", c, want)
			}
		}},
		{"FlagPartlyOverridesEnv", []string{"--listen", "127.0.0.1:7000"}, map[string]string{
			"LISTEN_ADDR": ":9090", "LOG_LEVEL": "error",
		}, func(t *testing.T, c config) {
			if c.listen != "127.0.0.1:7000" || c.logLevel != slog.LevelError {
				t.Errorf("listen %q level %v, want the flag's listen and the env's level", c.listen, c.logLevel)
			}
		}},
		{"CacheBytesPlainNumber", []string{"--cache-bytes", "12345"}, nil, func(t *testing.T, c config) {
			if c.cacheBytes != 12345 {
				t.Errorf("cacheBytes = %d", c.cacheBytes)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, envMap(tc.env), io.Discard)
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			tc.check(t, c)
		})
	}
}

// equalConfig compares configs; a nil and an empty origin list are the same.
func equalConfig(a, b config) bool {
	if len(a.corsOrigins) == 0 && len(b.corsOrigins) == 0 {
		a.corsOrigins, b.corsOrigins = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error
	}{
		{"BadEnvNumber", nil, map[string]string{"CACHE_ENTRIES": "many"}, "CACHE_ENTRIES"},
		{"BadEnvDuration", nil, map[string]string{"SHUTDOWN_GRACE": "soon"}, "SHUTDOWN_GRACE"},
		{"BadCacheBytes", []string{"--cache-bytes", "lots"}, nil, "cache-bytes"},
		{"ZeroCacheEntries", []string{"--cache-entries", "0"}, nil, "CACHE_ENTRIES"},
		{"BadLogFormat", []string{"--log-format", "xml"}, nil, "LOG_FORMAT"},
		{"BadLogLevel", nil, map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"BaseURLWithCredentials", []string{"--mode-base-url", "https://user:hunter2@app.mode.com"}, nil, "must not carry credentials"},
		{"BaseURLNotHTTP", []string{"--mode-base-url", "ftp://app.mode.com"}, nil, "http or https"},
		{"OriginWithPath", []string{"--cors-origins", "https://app.example.com/"}, nil, "CORS_ORIGINS"},
		{"OriginWithoutScheme", []string{"--cors-origins", "app.example.com"}, nil, "CORS_ORIGINS"},
		{"ExtraArgument", []string{"serve"}, nil, "unexpected arguments"},
		{"ZeroCreateTimeout", []string{"--create-timeout", "0"}, nil, "CREATE_TIMEOUT"},
		{"NegativeHeaderTimeout", nil, map[string]string{"MODE_RESPONSE_HEADER_TIMEOUT": "-1s"}, "MODE_RESPONSE_HEADER_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.args, envMap(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseConfig = %v, want an error mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error quotes a password: %v", err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var stderr syncbuf.Buffer
	const secret = "help-must-not-print-this"
	err := run(t.Context(), []string{"--help"}, envMap(map[string]string{"MODE_API_SECRET": secret}), io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v, want flag.ErrHelp", err)
	}
	out := stderr.String()
	for _, s := range settings {
		if !strings.Contains(out, "--"+s.flag) || !strings.Contains(out, "(env "+s.env+")") {
			t.Errorf("help does not show --%s with %s:\n%s", s.flag, s.env, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("help prints a secret from the environment:\n%s", out)
	}
}

// TestAccessLogLevels: the access log of the server's chain reports the
// server's own failures at error or warning level, callers' mistakes at info.
func TestAccessLogLevels(t *testing.T) {
	var buf syncbuf.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	for _, tc := range []struct {
		code   connect.Code
		logged string // level
	}{
		{connect.CodeInternal, "ERROR"},
		{connect.CodeUnknown, "ERROR"},
		{connect.CodeDataLoss, "ERROR"},
		{connect.CodeUnavailable, "WARN"},
		{connect.CodeUnimplemented, "WARN"},
		{connect.CodeNotFound, "INFO"},
		{connect.CodeInvalidArgument, "INFO"},
		{connect.CodePermissionDenied, "INFO"},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			buf.Reset()
			next := connect.UnaryFunc(func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) {
				return nil, connect.NewError(tc.code, errors.New("boom"))
			})
			_, _ = telemetry.NewAccessLog(logger, nil).WrapUnary(next)(t.Context(), connect.NewRequest(&struct{}{}))
			recs := logRecords(t, buf.String())
			if len(recs) != 1 || recs[0]["level"] != tc.logged || recs[0]["code"] != tc.code.String() {
				t.Errorf("log = %v, want one %s record with code %s", recs, tc.logged, tc.code)
			}
		})
	}
}
