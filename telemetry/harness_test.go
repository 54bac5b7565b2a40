package telemetry_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/httpserver"

	"github.com/modeplatform/modeplatform/internal/syncbuf"

	"connectrpc.com/connect"
	"connectrpc.com/otelconnect"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
	"github.com/modeplatform/modeplatform/telemetry"
)

// stack is the whole server, instrumented as the binary will be: the Mode
// emulator, a cached modeclient with ModeClientOptions, the services with
// HandlerOptions on a real HTTP server (HTTP/1.1 and h2c), and generated
// clients whose calls carry a client span (otelconnect) of the same tracer
// provider.
type stack struct {
	t      testing.TB
	mode   *modetest.Server
	demo   modetest.Demo
	tel    *telemetry.Telemetry
	spans  *tracetest.InMemoryExporter // every span, exported synchronously on End
	stdout *syncbuf.Buffer             // the console exporters' output
	logs   *syncbuf.Buffer             // JSON log lines (access log and handlers' records)
	cache  *cache.Cache
	client *modeclient.Client
	url    string
	rs     modeplatformv1connect.ReportServiceClient
	ws     modeplatformv1connect.WorkspaceServiceClient
	hc     *http.Client           // speaks HTTP/1.1 and h2c to the server
	copts  []connect.ClientOption // the callers' interceptors
	// badCredentials makes the upstream answer with a client whose secret is wrong.
	badCredentials atomic.Bool
	badSecret      string
}

// stackConfig adjusts newStack.
type stackConfig struct {
	modeOpts []modetest.Option
	// tracingOff builds the same stack without any telemetry (for the benchmark).
	tracingOff bool
	// spanExporter, when set, replaces the in-memory exporter (and its
	// simple span processor): it is fed as Setup feeds the environment's
	// exporters (Config.SpanExporters).
	spanExporter sdktrace.SpanExporter
	// plainCaller leaves the callers' clients uninstrumented.
	plainCaller bool
	// guard, when set, wraps the instrumented Mode transport, as the
	// upstream limiter does in the binary.
	guard func(http.RoundTripper) http.RoundTripper
	// discardLogs formats log records but keeps none (benchmarks).
	discardLogs bool
}

const badSecret = "wrong_s3cret_SHOULD_NOT_LEAK"

// upstream answers with the good client, or the one with a wrong secret.
type upstream struct {
	s         *stack
	good, bad *modeclient.Client
}

func (u upstream) Client(context.Context, string) (*modeclient.Client, error) {
	if u.s.badCredentials.Load() {
		return u.bad, nil
	}
	return u.good, nil
}

func newStack(t testing.TB, cfg stackConfig) *stack {
	t.Helper()
	modeOpts := append([]modetest.Option{modetest.WithRateLimit(0, 0), modetest.WithRunDuration(20 * time.Millisecond)}, cfg.modeOpts...)
	mode := modetest.NewServer(t, modeOpts...)
	s := &stack{t: t, mode: mode, demo: mode.Demo(), stdout: &syncbuf.Buffer{}, logs: &syncbuf.Buffer{}, spans: tracetest.NewInMemoryExporter(), badSecret: badSecret}

	var logSink io.Writer = s.logs
	if cfg.discardLogs {
		logSink = io.Discard
	}
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logSink, &slog.HandlerOptions{Level: slog.LevelDebug})))
	var (
		handlerOpts []connect.HandlerOption
		clientOpts  []modeclient.Option
		callerOpts  []connect.ClientOption
	)
	tr := &http.Transport{DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	base := &http.Client{Transport: tr}
	if !cfg.tracingOff {
		tcfg := telemetry.Config{
			ServiceName:    "modeplatform-test",
			ServiceVersion: "v0.0.0-test",
			Stdout:         s.stdout,
			Logger:         logger,
		}
		if cfg.spanExporter != nil {
			tcfg.SpanExporters = []sdktrace.SpanExporter{cfg.spanExporter}
		} else {
			tcfg.SpanProcessors = []sdktrace.SpanProcessor{sdktrace.NewSimpleSpanProcessor(s.spans)}
		}
		tel, err := telemetry.Setup(t.Context(), tcfg)
		if err != nil {
			t.Fatalf("telemetry.Setup: %v", err)
		}
		t.Cleanup(func() {
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
		s.tel = tel
		handlerOpts = tel.HandlerOptions(telemetry.HandlerConfig{AccessLog: logger})
		clientOpts = tel.ModeClientOptions(base)
		if cfg.guard != nil {
			clientOpts = append(clientOpts, modeclient.WithHTTPClient(&http.Client{Transport: cfg.guard(tel.WrapTransport(tr))}))
		}
		oc, err := otelconnect.NewInterceptor(otelconnect.WithTracerProvider(tel.TracerProvider()),
			otelconnect.WithPropagator(tel.Propagator()), otelconnect.WithoutMetrics())
		if err != nil {
			t.Fatalf("otelconnect: %v", err)
		}
		if !cfg.plainCaller {
			callerOpts = append(callerOpts, connect.WithInterceptors(oc))
		}
	} else {
		clientOpts = []modeclient.Option{modeclient.WithHTTPClient(base)}
	}

	ch, err := cache.New(cache.Options{MaxEntries: 10_000, MaxBytes: 64 << 20})
	if err != nil {
		t.Fatalf("cache.New: %v", err)
	}
	t.Cleanup(ch.Close)
	s.cache = ch
	if s.tel != nil {
		if err := s.tel.ObserveCache(ch); err != nil {
			t.Fatalf("ObserveCache: %v", err)
		}
	}
	newClient := func(secret string) *modeclient.Client {
		opts := append([]modeclient.Option{modeclient.WithCache(ch), modeclient.WithBackoff(time.Millisecond, 5*time.Millisecond)}, clientOpts...)
		c, err := modeclient.New(mode.URL, modeclient.Credential{Token: mode.Token, Secret: secret}, opts...)
		if err != nil {
			t.Fatalf("modeclient.New: %v", err)
		}
		return c
	}
	s.client = newClient(mode.Secret)
	svc, err := service.New(service.Options{
		Upstream:         upstream{s: s, good: s.client, bad: newClient(badSecret)},
		Logger:           logger,
		WatchMinInterval: 5 * time.Millisecond,
		WatchMaxInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	mux := http.NewServeMux()
	for _, r := range svc.Routes(handlerOpts...) {
		mux.Handle(r.Path, r.Handler)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = httpserver.Protocols(false) // as cmd/modeplatform serves: HTTP/1.1 and h2c
	srv.Start()
	t.Cleanup(srv.Close)
	s.url = srv.URL

	ctr := &http.Transport{Protocols: new(http.Protocols)}
	ctr.Protocols.SetHTTP1(true)
	ctr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(ctr.CloseIdleConnections)
	hc := &http.Client{Transport: ctr}
	s.hc, s.copts = hc, callerOpts
	s.rs = newReportClient(s)
	s.ws = modeplatformv1connect.NewWorkspaceServiceClient(hc, srv.URL, callerOpts...)
	return s
}

// newReportClient returns a ReportService client of s with extra options
// (e.g. connect.WithGRPC()).
func newReportClient(s *stack, opts ...connect.ClientOption) modeplatformv1connect.ReportServiceClient {
	return modeplatformv1connect.NewReportServiceClient(s.hc, s.url, append(append([]connect.ClientOption{}, s.copts...), opts...)...)
}

// clearOTelEnv unsets every OTEL_* variable a test relies on (t.Setenv
// restores them afterwards), so an exporter configured on the machine
// running the tests does not change what they see.
func clearOTelEnv(t testing.TB) {
	t.Helper()
	for _, k := range []string{
		"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
		"OTEL_SDK_DISABLED",
	} {
		t.Setenv(k, "")
	}
}

// reportName is the resource name of a demo report.
func (s *stack) reportName(token string) string {
	return "workspaces/" + s.demo.Workspace + "/reports/" + token
}

// callerSpan starts the caller's own span, as an internal service would.
func (s *stack) callerSpan(ctx context.Context) (context.Context, trace.Span) {
	return s.tel.TracerProvider().Tracer("caller").Start(ctx, "caller", trace.WithSpanKind(trace.SpanKindInternal))
}

// spansOf returns the ended spans of trace id.
func (s *stack) spansOf(id trace.TraceID) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, sp := range s.spans.GetSpans() {
		if sp.SpanContext.TraceID() == id {
			out = append(out, sp)
		}
	}
	return out
}

// named returns the spans called name.
func named(spans tracetest.SpanStubs, name string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, sp := range spans {
		if sp.Name == name {
			out = append(out, sp)
		}
	}
	return out
}

// one returns the only span called name, failing t otherwise.
func one(t testing.TB, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	got := named(spans, name)
	if len(got) != 1 {
		t.Fatalf("%d spans named %q, want 1; spans: %v", len(got), name, spanNames(spans))
	}
	return got[0]
}

func spanNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, sp.Name)
	}
	return out
}

// isDescendant reports whether span's parent chain within spans reaches ancestor.
func isDescendant(spans tracetest.SpanStubs, span tracetest.SpanStub, ancestor trace.SpanID) bool {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, sp := range spans {
		byID[sp.SpanContext.SpanID()] = sp
	}
	for p := span.Parent.SpanID(); p.IsValid(); {
		if p == ancestor {
			return true
		}
		sp, ok := byID[p]
		if !ok {
			return false
		}
		p = sp.Parent.SpanID()
	}
	return false
}

// attr returns the value of attribute key of span ("" when absent).
func attr(sp tracetest.SpanStub, key string) string {
	for _, kv := range sp.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// traceparent parses a W3C traceparent header into trace id and parent span id.
func traceparent(t testing.TB, h http.Header) (trace.TraceID, trace.SpanID) {
	t.Helper()
	v := h.Get("Traceparent")
	parts := strings.Split(v, "-")
	if len(parts) != 4 {
		t.Fatalf("traceparent %q is not a W3C traceparent", v)
	}
	tid, err1 := trace.TraceIDFromHex(parts[1])
	sid, err2 := trace.SpanIDFromHex(parts[2])
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("traceparent %q: %v", v, err)
	}
	return tid, sid
}

// logLines decodes the JSON log lines.
func (s *stack) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			s.t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// accessLog returns the access log records of procedure (a suffix, e.g. "/GetReport").
func (s *stack) accessLog(procedure string) []map[string]any {
	var out []map[string]any
	for _, m := range s.logLines() {
		if p, _ := m["procedure"].(string); m["msg"] == "rpc" && strings.HasSuffix(p, procedure) {
			out = append(out, m)
		}
	}
	return out
}

// scrape returns the admin handler's /metrics page.
func (s *stack) scrape() string {
	s.t.Helper()
	rec := httptest.NewRecorder()
	s.tel.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		s.t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}
