package telemetry_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	collmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	colltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// otlpReceiver is an OTLP/HTTP (protobuf) collector that keeps what it receives.
type otlpReceiver struct {
	mu      sync.Mutex
	traces  []*colltracepb.ExportTraceServiceRequest
	metrics []*collmetricpb.ExportMetricsServiceRequest
	headers []http.Header
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.headers = append(o.headers, r.Header.Clone())
	var resp proto.Message
	switch r.URL.Path {
	case "/v1/traces":
		m := &colltracepb.ExportTraceServiceRequest{}
		err = proto.Unmarshal(b, m)
		o.traces = append(o.traces, m)
		resp = &colltracepb.ExportTraceServiceResponse{}
	case "/v1/metrics":
		m := &collmetricpb.ExportMetricsServiceRequest{}
		err = proto.Unmarshal(b, m)
		o.metrics = append(o.metrics, m)
		resp = &collmetricpb.ExportMetricsServiceResponse{}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// spans returns every span received, with its resource's service.name.
func (o *otlpReceiver) spans() (spans []*tracepb.Span, services []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, req := range o.traces {
		for _, rs := range req.GetResourceSpans() {
			svc := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					svc = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					spans = append(spans, sp)
					services = append(services, svc)
				}
			}
		}
	}
	return spans, services
}

// metricNames returns the names of every metric received.
func (o *otlpReceiver) metricNames() map[string]bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	names := map[string]bool{}
	for _, req := range o.metrics {
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					names[m.GetName()] = true
				}
			}
		}
	}
	return names
}

// TestOTLPExport: with OTEL_TRACES_EXPORTER=otlp and an OTLP/HTTP endpoint,
// the spans of a call reach the collector (decoded as OTLP protobuf) on
// Shutdown, with the service's resource; metrics too.
func TestOTLPExport(t *testing.T) {
	clearOTelEnv(t)
	rcv := &otlpReceiver{}
	collector := httptest.NewServer(rcv)
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_SERVICE_NAME", "modeplatform-otlp")

	s := newStack(t, stackConfig{})
	ctx, caller := s.callerSpan(t.Context())
	if _, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[0])})); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	caller.End()
	if err := s.tel.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	spans, services := rcv.spans()
	tid := caller.SpanContext().TraceID()
	got := map[string]bool{}
	for i, sp := range spans {
		if !bytes.Equal(sp.GetTraceId(), tid[:]) {
			continue
		}
		got[sp.GetName()] = true
		if services[i] != "modeplatform-otlp" {
			t.Errorf("span %q has service.name %q, want OTEL_SERVICE_NAME's", sp.GetName(), services[i])
		}
	}
	for _, want := range []string{"caller", getReportProcedure, "modeclient.cache", reportRoute} {
		if !got[want] {
			t.Errorf("collector got no span %q of the trace (got %v)", want, got)
		}
	}
	reqs := s.mode.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests to Mode", len(reqs))
	}
	if rt, _ := traceparent(t, reqs[0].Header); hex.EncodeToString(rt[:]) != tid.String() {
		t.Errorf("Mode got trace %s, want %s", rt, tid)
	}
	names := rcv.metricNames()
	for _, want := range []string{"rpc.server.call.duration", "http.client.request.duration", "modeplatform.cache.misses"} {
		if !names[want] {
			t.Errorf("collector got no metric %q (got %v)", want, names)
		}
	}
}

// TestMetricsEndpoint: /metrics after a workload shows the RPC duration
// histogram by method and code, the upstream duration by route template and
// status, cache hits after repeated reads, 429s received; pprof is served,
// /debug/pprof/cmdline is not.
func TestMetricsEndpoint(t *testing.T) {
	clearOTelEnv(t)
	s := newStack(t, stackConfig{})
	ctx := t.Context()
	for range 3 {
		if _, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[0])})); err != nil {
			t.Fatalf("GetReport: %v", err)
		}
	}
	_, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName("ffffffffffff")}))
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("GetReport of a missing report: %v", err)
	}
	s.mode.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/*/reports/*", Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 1})
	if _, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[1])})); err != nil {
		t.Fatalf("GetReport after one 429: %v", err)
	}
	m := s.scrape()

	checks := []struct{ name, pattern string }{
		{"rpc duration by method and code", `rpc_server_call_duration_seconds_bucket\{[^\n]*rpc_method="modeplatform.v1.ReportService/GetReport"[^\n]*rpc_response_status_code="OK"`},
		{"rpc duration of the NotFound", `rpc_server_call_duration_seconds_count\{[^\n]*rpc_method="modeplatform.v1.ReportService/GetReport"[^\n]*rpc_response_status_code="NOT_FOUND"[^\n]*\} 1$`},
		{"upstream duration by route and status", `http_client_request_duration_seconds_bucket\{[^\n]*http_response_status_code="200"[^\n]*url_template="/api/\{workspace\}/reports/\{report\}"`},
		{"upstream 404", `http_client_request_duration_seconds_count\{[^\n]*http_response_status_code="404"[^\n]*url_template="/api/\{workspace\}/reports/\{report\}"[^\n]*\} 1$`},
		{"429s received", `modeplatform_upstream_rate_limited_total\{[^\n]*url_template="/api/\{workspace\}/reports/\{report\}"[^\n]*\} 1$`},
		{"retries", `modeplatform_upstream_retries_total\{[^\n]*http_response_status_code="429"[^\n]*\} 1$`},
		{"cache bytes", `modeplatform_cache_size_bytes\{[^\n]*\} [1-9]`},
		{"cache entries", `modeplatform_cache_entries\{[^\n]*\} 2$`},
		{"cache misses", `modeplatform_cache_misses_total\{[^\n]*\} 3$`},
		{"go runtime", `go_goroutines \d`},
	}
	for _, c := range checks {
		if !regexp.MustCompile("(?m)" + c.pattern).MatchString(m) {
			t.Errorf("%s: no line matches %s", c.name, c.pattern)
		}
	}
	hits := regexp.MustCompile(`modeplatform_cache_hits_total\{[^\n]*\} (\d+)`).FindStringSubmatch(m)
	if hits == nil {
		t.Fatalf("no cache hit counter:\n%s", grepLines(m, "modeplatform_cache"))
	}
	if n, _ := strconv.Atoi(hits[1]); n < 2 {
		t.Errorf("cache hits = %d after 3 reads of one report, want >= 2", n)
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(m, "modeplatform_")+"\n"+grepLines(m, "duration_seconds_count"))
	}

	admin := s.tel.AdminHandler()
	for path, want := range map[string]int{
		"/debug/pprof/":          http.StatusOK,
		"/debug/pprof/goroutine": http.StatusOK,
		"/debug/pprof/heap":      http.StatusOK,
		"/debug/pprof/cmdline":   http.StatusNotFound,
		"/nothing":               http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
}

// TestNoSecretsInTelemetry runs calls that succeed and calls that fail
// (401 with a wrong secret, 404, 429 and 503 after retries) with the
// console span exporter and the log handler writing to buffers, scrapes
// /metrics, and finds neither credential, nor an Authorization header value,
// in any of them.
func TestNoSecretsInTelemetry(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	s := newStack(t, stackConfig{modeOpts: []modetest.Option{modetest.WithCredentials("tok3n_SHOULD_NOT_LEAK", "s3cret_SHOULD_NOT_LEAK")}})
	ctx := context.WithoutCancel(t.Context())
	name := s.reportName(s.demo.Reports[0])
	get := func(want connect.Code, name string) {
		t.Helper()
		ctx, caller := s.callerSpan(ctx)
		defer caller.End()
		_, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
		if connect.CodeOf(err) != want && !(want == 0 && err == nil) {
			t.Errorf("GetReport: %v, want code %v", err, want)
		}
	}
	get(0, name)
	get(0, name)
	get(connect.CodeNotFound, s.reportName("ffffffffffff"))
	s.badCredentials.Store(true)
	get(connect.CodeUnavailable, s.reportName(s.demo.Reports[3])) // Mode refused our credential: not the caller's fault
	s.badCredentials.Store(false)
	s.mode.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/*/reports/*", Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 3})
	get(connect.CodeUnavailable, s.reportName(s.demo.Reports[4]))
	s.mode.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/*/reports/*", Status: http.StatusServiceUnavailable, Times: 3})
	get(connect.CodeUnavailable, s.reportName(s.demo.Reports[5]))
	// A stream and a write, too.
	if _, err := s.client.RunReport(ctx, s.demo.Workspace, s.demo.Reports[0], nil); err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	metrics := s.scrape()
	if err := s.tel.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	spans, logs := s.stdout.String(), s.logs.String()

	// The outputs are not empty: the 401 and the 429s are in them.
	if !strings.Contains(spans, `"Name":"`+reportRoute+`"`) || !strings.Contains(spans, "401") {
		t.Fatalf("console exporter output lacks the calls:\n%.2000s", spans)
	}
	// Mode's 401 refuses this service's credential: Unavailable, never Unauthenticated.
	if !strings.Contains(logs, `Mode refused this service's credential`) || !strings.Contains(logs, `"code":"unavailable"`) || strings.Contains(logs, `"code":"unauthenticated"`) {
		t.Fatalf("logs lack the failed calls:\n%s", logs)
	}
	if !strings.Contains(metrics, `http_response_status_code="401"`) {
		t.Fatalf("metrics lack the 401")
	}

	basic := func(tok, sec string) string { return base64.StdEncoding.EncodeToString([]byte(tok + ":" + sec)) }
	secrets := map[string]string{
		"token":                      s.mode.Token,
		"secret":                     s.mode.Secret,
		"wrong secret":               s.badSecret,
		"Authorization value":        basic(s.mode.Token, s.mode.Secret),
		"wrong Authorization value":  basic(s.mode.Token, s.badSecret),
		"Authorization header (key)": "authorization",
	}
	// What Mode received really carried them (so the search is meaningful).
	if got := s.mode.Requests()[0].Header.Get("Authorization"); got != "Basic "+basic(s.mode.Token, s.mode.Secret) {
		t.Fatalf("Mode's Authorization header %q", got)
	}
	for what, out := range map[string]string{"spans": spans, "logs": logs, "metrics": metrics} {
		for name, secret := range secrets {
			if strings.Contains(strings.ToLower(out), strings.ToLower(secret)) {
				i := strings.Index(strings.ToLower(out), strings.ToLower(secret))
				t.Errorf("%s contain the %s: …%s…", what, name, out[max(0, i-200):min(len(out), i+200)])
			}
		}
	}
}
