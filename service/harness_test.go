package service_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/httpserver"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// env is the whole stack of a service test: the Mode emulator, a cached
// modeclient on it, the services on a real HTTP server (HTTP/1.1 and h2c),
// and generated clients over the Connect protocol and over gRPC.
type env struct {
	mode   *modetest.Server
	demo   modetest.Demo
	ws     string // the demo workspace's resource name, "workspaces/parch_and_posey"
	cache  *cache.Cache
	client *modeclient.Client
	svc    *service.Server
	url    string
	http   *http.Client // speaks HTTP/1.1 and h2c
}

// envConfig adjusts newEnv.
type envConfig struct {
	modeOpts    []modetest.Option
	clientOpts  []modeclient.Option
	serviceOpts func(*service.Options)
}

// newEnv starts a stack for t. The emulator's rate limit is off and runs
// finish fast unless cfg says otherwise.
func newEnv(t testing.TB, cfg envConfig) *env {
	t.Helper()
	modeOpts := append([]modetest.Option{modetest.WithRateLimit(0, 0), modetest.WithRunDuration(20 * time.Millisecond)}, cfg.modeOpts...)
	mode := modetest.NewServer(t, modeOpts...)
	ch, err := cache.New(cache.Options{MaxEntries: 10_000, MaxBytes: 64 << 20})
	if err != nil {
		t.Fatalf("cache.New: %v", err)
	}
	t.Cleanup(ch.Close)
	clientOpts := append([]modeclient.Option{
		// The routes the client calls are recorded for the coverage table (coverage_test.go).
		modeclient.WithHTTPClient(&http.Client{Transport: routeRecorder{next: mode.Client().Transport}}),
		modeclient.WithCache(ch),
		modeclient.WithBackoff(time.Millisecond, 5*time.Millisecond),
		// A handler that modifies a value the client shares with its cache
		// fails the test that reads it next.
		modeclient.WithSharedValueCheck(func(err error) { t.Error(err) }),
	}, cfg.clientOpts...)
	mc, err := modeclient.New(mode.URL, modeclient.Credential{Token: mode.Token, Secret: mode.Secret}, clientOpts...)
	if err != nil {
		t.Fatalf("modeclient.New: %v", err)
	}
	opts := service.Options{
		Upstream:         service.SingleClient(mc),
		WatchMinInterval: 5 * time.Millisecond,
		WatchMaxInterval: 50 * time.Millisecond,
	}
	if cfg.serviceOpts != nil {
		cfg.serviceOpts(&opts)
	}
	svc, err := service.New(opts)
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	url, hc := serve(t, svc)
	demo := mode.Demo()
	return &env{
		mode: mode, demo: demo, ws: "workspaces/" + demo.Workspace,
		cache: ch, client: mc, svc: svc, url: url, http: hc,
	}
}

// serve serves svc's routes on an HTTP/1.1 and h2c test server, as
// cmd/modeplatform serves them, until t ends, and returns its URL and an
// HTTP client for it.
func serve(t testing.TB, svc *service.Server) (string, *http.Client) {
	t.Helper()
	mux := http.NewServeMux()
	for _, r := range svc.Routes() {
		mux.Handle(r.Path, r.Handler)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = httpserver.Protocols(false)
	srv.Start()
	t.Cleanup(srv.Close)
	tr := &http.Transport{
		Protocols:   new(http.Protocols),
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	tr.Protocols.SetHTTP1(true)
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return srv.URL, &http.Client{Transport: tr}
}

// protocol is one way a caller talks to the service.
type protocol struct {
	name string
	opts []connect.ClientOption
}

// protocols are the wire protocols every end-to-end test runs over.
var protocols = []protocol{
	{"connect", nil},
	{"grpc", []connect.ClientOption{connect.WithGRPC()}},
	{"grpcweb", []connect.ClientOption{connect.WithGRPCWeb()}},
}

// clients are the generated clients of the services.
type clients struct {
	ws  modeplatformv1connect.WorkspaceServiceClient
	rs  modeplatformv1connect.ReportServiceClient
	ds  modeplatformv1connect.DataSourceServiceClient
	dts modeplatformv1connect.DatasetServiceClient
}

// clients returns generated clients speaking p.
func (e *env) clients(p protocol) clients {
	return clients{
		ws:  modeplatformv1connect.NewWorkspaceServiceClient(e.http, e.url, p.opts...),
		rs:  modeplatformv1connect.NewReportServiceClient(e.http, e.url, p.opts...),
		ds:  modeplatformv1connect.NewDataSourceServiceClient(e.http, e.url, p.opts...),
		dts: modeplatformv1connect.NewDatasetServiceClient(e.http, e.url, p.opts...),
	}
}

// upstream counts the emulator's recorded requests.
func (e *env) upstream() int { return len(e.mode.Requests()) }

// ctx returns a context that ends with the test, with a generous deadline
// so a hang fails instead of blocking the run.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// reportName and friends format the demo's resource names.
func (e *env) reportName(token string) string { return e.ws + "/reports/" + token }
func (e *env) spaceName(token string) string  { return e.ws + "/spaces/" + token }
func (e *env) dataSourceName() string         { return e.ws + "/dataSources/" + e.demo.DataSource }

// wantCode fails t unless err is a Connect error with code.
func wantCode(t testing.TB, err error, code connect.Code) *connect.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	if got := connect.CodeOf(err); got != code {
		t.Fatalf("got code %v (%v), want %v", got, err, code)
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a connect error: %v", err)
	}
	return ce
}

// workspaceHandlerClient calls WorkspaceService's handlers directly as a client of their unary
// methods (the invalid-input tests' "handler" runs); its server stream is not called through it.
type workspaceHandlerClient struct{ *service.WorkspaceServer }

func (workspaceHandlerClient) StreamAuditEvents(context.Context, *connect.Request[modeplatformv1.StreamAuditEventsRequest]) (*connect.ServerStreamForClient[modeplatformv1.StreamAuditEventsResponse], error) {
	return nil, connect.NewError(connect.CodeUnimplemented, errors.New("StreamAuditEvents is not called through the handler adapter"))
}
