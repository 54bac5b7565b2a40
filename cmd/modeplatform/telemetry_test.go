package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestTelemetryWiring runs the binary's wiring with OTEL_TRACES_EXPORTER=console: a call that
// carries a traceparent is traced under the caller's trace id (spans on stdout, trace_id in the
// access log), and the admin listener serves /metrics with the RPC and cache metrics. Not
// parallel: it sets environment variables the OpenTelemetry SDK reads.
func TestTelemetryWiring(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "10")
	adminAddr := make(chan net.Addr, 1)
	ts := startServer(t, nil, nil, hooks{adminReady: func(a net.Addr) { adminAddr <- a }})
	admin := "http://" + (<-adminAddr).String()

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	for range 2 { // the second read is a cache hit
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.base+"/modeplatform.v1.WorkspaceService/GetWorkspace",
			strings.NewReader(`{"name":"workspaces/parch_and_posey"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GetWorkspace: %d %s", resp.StatusCode, body)
		}
	}

	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"rpc_server_call_duration_seconds", "http_client_request_duration_seconds", "modeplatform_cache_hits_total"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if resp, err := http.Get(admin + "/debug/pprof/goroutine?debug=1"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("pprof on the admin listener: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	if err := ts.stop(t); err != nil { // flushes the spans
		t.Fatalf("run: %v", err)
	}
	if n := strings.Count(ts.stdout.String(), traceID); n < 4 {
		t.Errorf("the caller's trace id is on %d console span lines, want the server, cache and Mode request spans of both calls", n)
	}
	var traced bool
	for _, rec := range logRecords(t, ts.stderr.String()) {
		if rec["procedure"] == "/modeplatform.v1.WorkspaceService/GetWorkspace" && rec["trace_id"] == traceID {
			traced = true
		}
	}
	if !traced {
		t.Errorf("no access-log record of GetWorkspace with trace_id %s:\n%s", traceID, ts.stderr)
	}
}
