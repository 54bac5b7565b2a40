package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modeplatform/modeplatform/internal/syncbuf"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/telemetry"
)

func setup(t *testing.T, cfg telemetry.Config) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.Setup(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

func resourceAttr(tel *telemetry.Telemetry, key string) string {
	for _, kv := range tel.Resource().Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// TestSetupResource: service.name, service.version and service.instance.id
// are set; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over Config.
func TestSetupResource(t *testing.T) {
	clearOTelEnv(t)
	tel := setup(t, telemetry.Config{ServiceVersion: "v1.2.3"})
	if got := resourceAttr(tel, "service.name"); got != telemetry.DefaultServiceName {
		t.Errorf("service.name = %q", got)
	}
	if got := resourceAttr(tel, "service.version"); got != "v1.2.3" {
		t.Errorf("service.version = %q", got)
	}
	id := resourceAttr(tel, "service.instance.id")
	if len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Errorf("service.instance.id = %q, want a UUID", id)
	}
	if other := resourceAttr(setup(t, telemetry.Config{}), "service.instance.id"); other == id {
		t.Errorf("two instances share service.instance.id %q", id)
	}

	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,service.instance.id=pod-7")
	tel = setup(t, telemetry.Config{ServiceName: "from-config", InstanceID: "config-id"})
	for k, want := range map[string]string{"service.name": "from-env", "service.instance.id": "pod-7", "deployment.environment.name": "test"} {
		if got := resourceAttr(tel, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// TestSetupExporters: the exporter environment variables are honoured and
// unknown values are errors.
func TestSetupExporters(t *testing.T) {
	for _, tt := range []struct {
		env     map[string]string
		wantErr string
	}{
		{env: map[string]string{}},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "console,none", "OTEL_METRICS_EXPORTER": "prometheus"}},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "console,otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin-v0"}, wantErr: "OTEL_TRACES_EXPORTER"},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "console,jaeger"}, wantErr: "OTEL_TRACES_EXPORTER"},
		{env: map[string]string{"OTEL_METRICS_EXPORTER": "statsd"}, wantErr: "OTEL_METRICS_EXPORTER"},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console", "OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"}, wantErr: "OTLP protocol"},
	} {
		t.Run(fmtEnv(tt.env), func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			tel, err := telemetry.Setup(t.Context(), telemetry.Config{Stdout: &bytes.Buffer{}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Setup: %v", err)
				}
				// Nothing is listening on the OTLP endpoint: a short flush deadline.
				ctx, cancel := context.WithTimeout(t.Context(), 0)
				defer cancel()
				_ = tel.Shutdown(ctx)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				if tel != nil {
					_ = tel.Shutdown(t.Context())
				}
				t.Fatalf("Setup: %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func fmtEnv(env map[string]string) string {
	if len(env) == 0 {
		return "unset"
	}
	b, _ := json.Marshal(env)
	return string(b)
}

// TestConsoleExporter: OTEL_TRACES_EXPORTER=console writes the spans to
// Config.Stdout; the global propagator is W3C tracecontext + baggage.
func TestConsoleExporter(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	var out syncbuf.Buffer
	tel := setup(t, telemetry.Config{Stdout: &out})
	_, span := tel.TracerProvider().Tracer("t").Start(t.Context(), "hello-console")
	span.End()
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !strings.Contains(out.String(), `"Name":"hello-console"`) {
		t.Errorf("console output %q lacks the span", out.String())
	}

	fields := otel.GetTextMapPropagator().Fields()
	for _, want := range []string{"traceparent", "tracestate", "baggage"} {
		if !strings.Contains(strings.Join(fields, ","), want) {
			t.Errorf("global propagator fields %v lack %s", fields, want)
		}
	}
	m, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(m)
	h := http.Header{}
	otel.GetTextMapPropagator().Inject(baggage.ContextWithBaggage(t.Context(), bag), propagation.HeaderCarrier(h))
	if h.Get("Baggage") != "tenant=acme" {
		t.Errorf("baggage header %q", h.Get("Baggage"))
	}
}

// TestSampler: OTEL_TRACES_SAMPLER is honoured (always_off: no span recorded,
// yet Mode still receives a traceparent, unsampled).
func TestSampler(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	s := newStack(t, stackConfig{})
	if _, err := s.rs.GetReport(t.Context(), connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[0])})); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	if n := len(s.spans.GetSpans()); n != 0 {
		t.Errorf("%d spans recorded with always_off", n)
	}
	tp := s.mode.Requests()[0].Header.Get("Traceparent")
	if !strings.HasSuffix(tp, "-00") {
		t.Errorf("traceparent %q, want an unsampled one", tp)
	}
}

// TestLogHandler: records logged with a span's context carry its trace_id
// and span_id; others do not; attributes and groups still work.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("app", "x")
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("t").Start(t.Context(), "op")
	log.InfoContext(ctx, "inside", "k", 1)
	log.Info("outside")
	log.WithGroup("g").InfoContext(ctx, "grouped")
	span.End()

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var in, out, grouped map[string]any
	for i, p := range []*map[string]any{&in, &out, &grouped} {
		if err := json.Unmarshal([]byte(lines[i]), p); err != nil {
			t.Fatal(err)
		}
	}
	sc := span.SpanContext()
	if in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() || in["app"] != "x" || in["k"] != 1.0 {
		t.Errorf("inside record %v", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("outside record has a trace_id: %v", out)
	}
	if g, _ := grouped["g"].(map[string]any); g["trace_id"] != sc.TraceID().String() {
		t.Errorf("grouped record %v", grouped)
	}
	if !log.Handler().Enabled(t.Context(), slog.LevelInfo) || log.Handler().Enabled(t.Context(), slog.LevelDebug) {
		t.Errorf("Enabled does not follow the wrapped handler")
	}
}

// TestAccessLogCaller: the caller identity from HandlerConfig.Caller or
// SetCaller is in the access log and on the server span; header values are not.
func TestAccessLogCaller(t *testing.T) {
	var buf syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	al := telemetry.NewAccessLog(log, func(_ context.Context, h http.Header) string { return "svc-" + h.Get("X-Caller") })
	setCaller := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if req.Header().Get("X-Key") != "" {
				telemetry.SetCaller(ctx, "key-1234")
			}
			return next(ctx, req)
		}
	})
	handler := connect.NewUnaryHandler("/test.v1.Test/Echo",
		func(ctx context.Context, req *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error) {
			return connect.NewResponse(&modeplatformv1.GetReportResponse{}), nil
		}, connect.WithInterceptors(al, setCaller))
	for _, h := range []http.Header{{"X-Caller": {"a"}}, {"X-Caller": {"b"}, "X-Key": {"secret-key-value"}}} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "/test.v1.Test/Echo", strings.NewReader("{}"))
		req.Header = h
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		ctx, span := tp.Tracer("t").Start(req.Context(), "server", trace.WithSpanKind(trace.SpanKindServer))
		handler.ServeHTTP(rec, req.WithContext(ctx))
		span.End()
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"caller":"svc-a"`) || !strings.Contains(lines[1], `"caller":"key-1234"`) {
		t.Errorf("access log:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "secret-key-value") {
		t.Errorf("access log contains a header value")
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || attr(spans[1], "modeplatform.caller") != "key-1234" || attr(spans[0], "modeplatform.upstream.calls") != "0" {
		t.Errorf("server spans %v", spans)
	}
}

// TestAccessLogTraceIDs: the access log carries the RPC's trace_id and
// span_id once, first, whether or not its logger's handler is
// NewLogHandler's; records without a span carry none.
func TestAccessLogTraceIDs(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	for name, wrap := range map[string]func(slog.Handler) slog.Handler{
		"NewLogHandler": telemetry.NewLogHandler,
		"plain":         func(h slog.Handler) slog.Handler { return h },
	} {
		t.Run(name, func(t *testing.T) {
			var buf syncbuf.Buffer
			al := telemetry.NewAccessLog(slog.New(wrap(slog.NewJSONHandler(&buf, nil))), nil)
			handler := connect.NewUnaryHandler("/test.v1.Test/Echo",
				func(ctx context.Context, req *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error) {
					return connect.NewResponse(&modeplatformv1.GetReportResponse{}), nil
				}, connect.WithInterceptors(al))
			call := func(ctx context.Context) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/test.v1.Test/Echo", strings.NewReader("{}"))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d", rec.Code)
				}
			}
			ctx, span := tp.Tracer("t").Start(t.Context(), "server", trace.WithSpanKind(trace.SpanKindServer))
			call(ctx)
			span.End()
			call(t.Context())
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("access log:\n%s", buf.String())
			}
			sc := span.SpanContext()
			want := `"msg":"rpc","trace_id":"` + sc.TraceID().String() + `","span_id":"` + sc.SpanID().String() + `","procedure":`
			if !strings.Contains(lines[0], want) || strings.Count(lines[0], `"trace_id"`) != 1 || strings.Count(lines[0], `"span_id"`) != 1 {
				t.Errorf("traced access log line %s, want one trace_id and span_id first: %s", lines[0], want)
			}
			if strings.Contains(lines[1], "trace_id") {
				t.Errorf("untraced access log line has a trace_id: %s", lines[1])
			}
		})
	}
}

// TestSpansRecordedOnlyWhenExported: with no exporter (OTEL_TRACES_EXPORTER
// none, or unset without an OTLP endpoint) spans are not recorded, yet a
// caller's span context carries on; with one, they are recorded.
func TestSpansRecordedOnlyWhenExported(t *testing.T) {
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	for _, tt := range []struct {
		name          string
		env           map[string]string
		cfg           telemetry.Config
		wantRecording bool
	}{
		{name: "unset", env: map[string]string{}},
		{name: "none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{name: "console", env: map[string]string{"OTEL_TRACES_EXPORTER": "console"}, wantRecording: true},
		{name: "processor", env: map[string]string{}, cfg: telemetry.Config{SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewSimpleSpanProcessor(tracetest.NewInMemoryExporter())}}, wantRecording: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			tt.cfg.Stdout = &bytes.Buffer{}
			tel := setup(t, tt.cfg)
			ctx := trace.ContextWithRemoteSpanContext(t.Context(), parent)
			_, span := tel.TracerProvider().Tracer("test").Start(ctx, "call")
			defer span.End()
			if got := span.IsRecording(); got != tt.wantRecording {
				t.Errorf("IsRecording = %v, want %v", got, tt.wantRecording)
			}
			if got := span.SpanContext().TraceID(); got != parent.TraceID() {
				t.Errorf("trace ID %v, want the caller's %v", got, parent.TraceID())
			}
		})
	}
}
