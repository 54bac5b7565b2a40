package telemetry_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/telemetry"
)

const (
	getReportProcedure = "modeplatform.v1.ReportService/GetReport"
	reportRoute        = "GET /api/{workspace}/reports/{report}"
)

// checkChain asserts the trace of caller: caller span → (client RPC span) →
// server span named procedure → … → every HTTP span, and that each HTTP span
// has a request in the emulator's log whose traceparent names it. It returns
// the trace's spans and the server span.
func checkChain(t *testing.T, s *stack, caller trace.Span, procedure string, reqs []modetest.Request) (tracetest.SpanStubs, tracetest.SpanStub) {
	t.Helper()
	tid := caller.SpanContext().TraceID()
	spans := s.spansOf(tid)
	server := serverSpan(t, spans, procedure)
	if !isDescendant(spans, server, caller.SpanContext().SpanID()) {
		t.Errorf("server span is not a descendant of the caller's span (otelconnect must trust the remote parent)")
	}
	// Every upstream request of the trace has an HTTP span that is a
	// descendant of the server span, and the span id Mode received is that span's.
	bySpan := map[trace.SpanID]tracetest.SpanStub{}
	for _, sp := range spans {
		if sp.SpanKind == trace.SpanKindClient && (strings.HasPrefix(sp.Name, "GET /api/") || strings.HasPrefix(sp.Name, "POST /api/")) {
			bySpan[sp.SpanContext.SpanID()] = sp
			if !isDescendant(spans, sp, server.SpanContext.SpanID()) {
				t.Errorf("HTTP span %q is not under the server span", sp.Name)
			}
		}
	}
	matched := 0
	for _, r := range reqs {
		rt, rs := traceparent(t, r.Header)
		if rt != tid {
			continue
		}
		sp, ok := bySpan[rs]
		if !ok {
			t.Errorf("Mode got traceparent span %s for %s %s: no HTTP span of the trace has it", rs, r.Method, r.Path)
			continue
		}
		if want := r.Method + " "; !strings.HasPrefix(sp.Name, want) {
			t.Errorf("HTTP span %q for %s %s", sp.Name, r.Method, r.Path)
		}
		matched++
	}
	if matched != len(bySpan) {
		t.Errorf("%d HTTP spans in the trace, %d requests to Mode carry them", len(bySpan), matched)
	}
	if matched == 0 {
		t.Errorf("no request to Mode carried the trace")
	}
	return spans, server
}

// TestTraceGetReport: one GetReport call is one trace, from the caller's
// span through the server span and the cache span to the HTTP span, and
// Mode receives that trace's traceparent; a repeated read is a cache hit
// without an HTTP span.
func TestTraceGetReport(t *testing.T) {
	clearOTelEnv(t)
	s := newStack(t, stackConfig{})
	ctx, caller := s.callerSpan(t.Context())
	report := s.demo.Reports[0]
	if _, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(report)})); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	caller.End()
	reqs := s.mode.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests to Mode, want 1", len(reqs))
	}
	spans, server := checkChain(t, s, caller, getReportProcedure, reqs)

	cacheSpan := one(t, spans, modeclient.CacheSpanName)
	if cacheSpan.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Errorf("cache span's parent is %s, want the server span %s", cacheSpan.Parent.SpanID(), server.SpanContext.SpanID())
	}
	if got := attr(cacheSpan, "cache.outcome"); got != "miss" {
		t.Errorf("cache.outcome = %q, want miss", got)
	}
	httpSpan := one(t, spans, reportRoute)
	if httpSpan.Parent.SpanID() != cacheSpan.SpanContext.SpanID() {
		t.Errorf("HTTP span's parent is not the cache span")
	}
	if httpSpan.SpanKind != trace.SpanKindClient {
		t.Errorf("HTTP span kind %v", httpSpan.SpanKind)
	}
	if got := attr(httpSpan, "url.template"); got != "/api/{workspace}/reports/{report}" {
		t.Errorf("url.template = %q", got)
	}
	if got := attr(httpSpan, "http.response.status_code"); got != "200" {
		t.Errorf("http.response.status_code = %q", got)
	}
	if got := attr(server, "modeplatform.upstream.requests"); got != "1" {
		t.Errorf("server span upstream requests = %q, want 1", got)
	}
	_, sid := traceparent(t, reqs[0].Header)
	if sid != httpSpan.SpanContext.SpanID() {
		t.Errorf("Mode's traceparent names span %s, the HTTP span is %s", sid, httpSpan.SpanContext.SpanID())
	}

	// Access log: one line, in the trace, one upstream request, a miss.
	lines := s.accessLog("/GetReport")
	if len(lines) != 1 {
		t.Fatalf("%d access log lines, want 1: %s", len(lines), s.logs)
	}
	l := lines[0]
	if l["trace_id"] != caller.SpanContext().TraceID().String() || l["span_id"] != server.SpanContext.SpanID().String() {
		t.Errorf("access log trace_id/span_id = %v/%v, want %s/%s", l["trace_id"], l["span_id"], caller.SpanContext().TraceID(), server.SpanContext.SpanID())
	}
	if l["code"] != "ok" || l["upstream_calls"] != 1.0 || l["upstream_requests"] != 1.0 || l["from_cache"] != false {
		t.Errorf("access log line %v", l)
	}
	if c, _ := l["cache"].(map[string]any); c["miss"] != 1.0 {
		t.Errorf("access log cache = %v, want miss=1", l["cache"])
	}
	for _, k := range []string{"duration_ms", "peer", "protocol"} {
		if _, ok := l[k]; !ok {
			t.Errorf("access log has no %s: %v", k, l)
		}
	}

	// A second read: a hit, no HTTP span, no request to Mode.
	ctx2, caller2 := s.callerSpan(t.Context())
	if _, err := s.rs.GetReport(ctx2, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(report)})); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	caller2.End()
	if n := len(s.mode.Requests()); n != 1 {
		t.Errorf("%d requests to Mode after a repeated read, want 1", n)
	}
	spans2 := s.spansOf(caller2.SpanContext().TraceID())
	// A hit has no cache span: the server span says it was served from the cache.
	if n := len(named(spans2, modeclient.CacheSpanName)); n != 0 {
		t.Errorf("%d cache spans on a hit, want none", n)
	}
	if got := attr(serverSpan(t, spans2, getReportProcedure), string(telemetry.AttrFromCache)); got != "true" {
		t.Errorf("server span of a hit: %s = %q, want true", telemetry.AttrFromCache, got)
	}
	if n := len(named(spans2, reportRoute)); n != 0 {
		t.Errorf("%d HTTP spans on a cache hit", n)
	}
	lines = s.accessLog("/GetReport")
	if len(lines) != 2 || lines[1]["from_cache"] != true || lines[1]["upstream_requests"] != 0.0 {
		t.Errorf("access log after a hit: %v", lines)
	}

	// Cache-Control: no-cache is a bypass.
	ctx3, caller3 := s.callerSpan(t.Context())
	req := connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(report)})
	req.Header().Set("Cache-Control", "no-cache")
	if _, err := s.rs.GetReport(ctx3, req); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	caller3.End()
	if got := attr(one(t, s.spansOf(caller3.SpanContext().TraceID()), modeclient.CacheSpanName), "cache.outcome"); got != "bypass" {
		t.Errorf("no-cache read cache.outcome = %q, want bypass", got)
	}
}

// TestTraceStreaming: server streams (WatchReportRun, StreamQueryResults)
// continue the caller's trace too, each poll or read of Mode is an HTTP span
// under the server span with the trace's traceparent, and the rows and bytes
// streamed are on the server span.
func TestTraceStreaming(t *testing.T) {
	clearOTelEnv(t)
	s := newStack(t, stackConfig{})
	w, report := s.demo.Workspace, s.demo.ParamReport
	run, err := s.client.RunReport(t.Context(), w, report, map[string]any{"region": "West"})
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	runName := fmt.Sprintf("workspaces/%s/reports/%s/runs/%s", w, report, run.Token)

	t.Run("WatchReportRun", func(t *testing.T) {
		ctx, caller := s.callerSpan(t.Context())
		stream, err := s.rs.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: runName}))
		if err != nil {
			t.Fatalf("WatchReportRun: %v", err)
		}
		n := 0
		for stream.Receive() {
			n++
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("WatchReportRun stream: %v", err)
		}
		stream.Close()
		caller.End()
		if n == 0 {
			t.Fatalf("no message received")
		}
		_, server := checkChain(t, s, caller, "modeplatform.v1.ReportService/WatchReportRun", s.mode.Requests())
		if got := attr(server, "modeplatform.stream.messages"); got != fmt.Sprint(n) {
			t.Errorf("server span stream messages = %q, want %d", got, n)
		}
		if lines := s.accessLog("/WatchReportRun"); len(lines) != 1 || lines[0]["messages"] != float64(n) {
			t.Errorf("access log: %v", lines)
		}
	})

	t.Run("StreamQueryResults", func(t *testing.T) {
		var qr modeclient.QueryRun
		for q, err := range s.client.ListQueryRuns(t.Context(), w, report, run.Token, nil) {
			if err != nil {
				t.Fatalf("ListQueryRuns: %v", err)
			}
			qr = q
			break
		}
		ctx, caller := s.callerSpan(t.Context())
		stream, err := s.rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{
			Name: runName + "/queryRuns/" + qr.Token, MaxRowsPerBatch: 7,
		}))
		if err != nil {
			t.Fatalf("StreamQueryResults: %v", err)
		}
		rows, msgs := 0, 0
		for stream.Receive() {
			rows += len(stream.Msg().GetRows())
			msgs++
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("StreamQueryResults stream: %v", err)
		}
		stream.Close()
		caller.End()
		if rows == 0 {
			t.Fatalf("no rows received")
		}
		spans, server := checkChain(t, s, caller, "modeplatform.v1.ReportService/StreamQueryResults", s.mode.Requests())
		if got := attr(server, "modeplatform.stream.rows"); got != fmt.Sprint(rows) {
			t.Errorf("server span stream rows = %q, want %d", got, rows)
		}
		if got := attr(server, "modeplatform.stream.messages"); got != fmt.Sprint(msgs) {
			t.Errorf("server span stream messages = %q, want %d", got, msgs)
		}
		if got := attr(server, "modeplatform.stream.bytes"); got == "" || got == "0" {
			t.Errorf("server span stream bytes = %q", got)
		}
		if len(named(spans, "GET /api/{workspace}/reports/{report}/runs/{run}/query_runs/{query_run}/results/content.json")) == 0 {
			t.Errorf("no HTTP span for the result read; spans: %v", spanNames(spans))
		}
		if lines := s.accessLog("/StreamQueryResults"); len(lines) != 1 || lines[0]["rows"] != float64(rows) {
			t.Errorf("access log: %v", lines)
		}
	})
}

// TestTraceRetry: a GET Mode answers 503 once is retried: two HTTP spans,
// both traceparents in the same trace, and a retry event on the cache span.
func TestTraceRetry(t *testing.T) {
	clearOTelEnv(t)
	s := newStack(t, stackConfig{})
	s.mode.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/*/reports/*", Status: http.StatusServiceUnavailable, Times: 1})
	ctx, caller := s.callerSpan(t.Context())
	if _, err := s.rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[1])})); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	caller.End()
	reqs := s.mode.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests to Mode, want 2", len(reqs))
	}
	spans, _ := checkChain(t, s, caller, getReportProcedure, reqs)
	httpSpans := named(spans, reportRoute)
	if len(httpSpans) != 2 {
		t.Fatalf("%d HTTP spans, want 2: %v", len(httpSpans), spanNames(spans))
	}
	statuses := attr(httpSpans[0], "http.response.status_code") + "," + attr(httpSpans[1], "http.response.status_code")
	if statuses != "503,200" {
		t.Errorf("HTTP span statuses %s, want 503,200", statuses)
	}
	_, sid0 := traceparent(t, reqs[0].Header)
	_, sid1 := traceparent(t, reqs[1].Header)
	if sid0 == sid1 {
		t.Errorf("both attempts carried the same parent span id")
	}
	cacheSpan := one(t, spans, modeclient.CacheSpanName)
	var events int
	for _, ev := range cacheSpan.Events {
		if ev.Name != telemetry.RetryEventName {
			continue
		}
		events++
		got := map[string]string{}
		for _, kv := range ev.Attributes {
			got[string(kv.Key)] = kv.Value.Emit()
		}
		if got["modeclient.retry.attempt"] != "1" || got["http.response.status_code"] != "503" || got["modeclient.retry.wait_ms"] == "" {
			t.Errorf("retry event attributes %v", got)
		}
	}
	if events != 1 {
		t.Errorf("%d retry events on the cache span, want 1", events)
	}
	for _, sp := range httpSpans {
		if sp.Parent.SpanID() != cacheSpan.SpanContext.SpanID() {
			t.Errorf("HTTP span not under the cache span")
		}
	}
	if l := s.accessLog("/GetReport"); len(l) != 1 || l[0]["upstream_requests"] != 2.0 {
		t.Errorf("access log %v, want upstream_requests 2", l)
	}
	if m := s.scrape(); !strings.Contains(m, `modeplatform_upstream_retries_total{http_request_method="GET",http_response_status_code="503"`) {
		t.Errorf("retry counter missing:\n%s", grepLines(m, "retries"))
	}
}

// TestTraceAcrossProtocols: the caller's trace continues over gRPC and
// gRPC-Web as over the Connect protocol (otelconnect with WithTrustRemote;
// without it the server span would start a new trace).
func TestTraceAcrossProtocols(t *testing.T) {
	clearOTelEnv(t)
	s := newStack(t, stackConfig{})
	for _, opts := range [][]connect.ClientOption{{connect.WithGRPC()}, {connect.WithGRPCWeb()}} {
		ctx, caller := s.callerSpan(t.Context())
		rs := newReportClient(s, opts...)
		if _, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: s.reportName(s.demo.Reports[2])})); err != nil {
			t.Fatalf("GetReport: %v", err)
		}
		caller.End()
		serverSpan(t, s.spansOf(caller.SpanContext().TraceID()), getReportProcedure)
	}
}

// serverSpan returns the only server span called procedure (the caller's
// client span has the same name).
func serverSpan(t *testing.T, spans tracetest.SpanStubs, procedure string) tracetest.SpanStub {
	t.Helper()
	var out tracetest.SpanStubs
	for _, sp := range named(spans, procedure) {
		if sp.SpanKind == trace.SpanKindServer {
			out = append(out, sp)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d server spans named %q, want 1; spans: %v", len(out), procedure, spanNames(spans))
	}
	return out[0]
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
