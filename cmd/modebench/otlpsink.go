package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpSink is an OTLP/HTTP (protobuf) receiver in the harness's process:
// the server's exporters send their spans and metrics to it, as they would
// to a collector; it decodes each export, counts what it holds and
// discards it. It shows that the server really exported (a span per call,
// or what its batch processor dropped).
type otlpSink struct {
	srv *http.Server
	url string

	spans, spanExports     atomic.Int64
	metricExports, metrics atomic.Int64
	failures               atomic.Int64
}

// startOTLPSink listens on a loopback port.
func startOTLPSink() (*otlpSink, error) {
	s := &otlpSink{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		var req collectortrace.ExportTraceServiceRequest
		if !s.decode(w, r, &req) {
			return
		}
		n := 0
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				n += len(ss.GetSpans())
			}
		}
		s.spans.Add(int64(n))
		s.spanExports.Add(1)
		s.answer(w, &collectortrace.ExportTraceServiceResponse{})
	})
	mux.HandleFunc("POST /v1/metrics", func(w http.ResponseWriter, r *http.Request) {
		var req collectormetrics.ExportMetricsServiceRequest
		if !s.decode(w, r, &req) {
			return
		}
		n := 0
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				n += len(sm.GetMetrics())
			}
		}
		s.metrics.Add(int64(n))
		s.metricExports.Add(1)
		s.answer(w, &collectormetrics.ExportMetricsServiceResponse{})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// decode reads an export request (gzip or not) into m; on failure it
// answers 400 and counts it.
func (s *otlpSink) decode(w http.ResponseWriter, r *http.Request, m proto.Message) bool {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.fail(w, err)
			return false
		}
		defer zr.Close()
		body = zr
	}
	b, err := io.ReadAll(io.LimitReader(body, 64<<20))
	if err == nil {
		err = proto.Unmarshal(b, m)
	}
	if err != nil {
		s.fail(w, err)
		return false
	}
	return true
}

func (s *otlpSink) fail(w http.ResponseWriter, err error) {
	s.failures.Add(1)
	http.Error(w, fmt.Sprintf("OTLP sink: %v", err), http.StatusBadRequest)
}

func (s *otlpSink) answer(w http.ResponseWriter, m proto.Message) {
	b, _ := proto.Marshal(m)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

// env is the server's environment for exporting to the sink: OTLP over
// HTTP/protobuf (OpenTelemetry's default protocol) to its address; the
// exporters, batch sizes and intervals stay the server's defaults.
func (s *otlpSink) env() map[string]string {
	return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": s.url}
}

func (s *otlpSink) close() {
	if s != nil {
		_ = s.srv.Close()
	}
}
