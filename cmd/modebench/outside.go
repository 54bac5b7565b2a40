package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

// getReportPath is GetReport's HTTP path, the same on the server and the
// baseline.
const getReportPath = "/" + modeplatformv1connect.ReportServiceName + "/GetReport"

// outsideDriver is one way of sending scenario 8's calls.
type outsideDriver struct {
	label    string // short, for profile file names
	protocol string // the table's protocol column
	what     string // how the calls are sent, for the row's name
	// run is one block of d against the server at url (pid: its process).
	run func(ctx context.Context, url string, d time.Duration) (loadBlock, error)
}

// Scenario 8: cache-hit GetReport on cmd/modeplatform as it ships (built
// from this tree, default settings, telemetry exporting to an OTLP sink)
// against a no-op connect-go handler answering the same message in a
// process of its own, driven from outside by three clients: the connect-go
// client, wrk (Connect JSON over HTTP/1.1) and h2load (gRPC over h2c).
func (h *harness) scenarioOutside(ctx context.Context) ([]*result, []string, error) {
	if err := h.ensureTools(map[string]string{"wrk": "wrk", "h2load": "nghttp2-client"}); err != nil {
		return nil, nil, err
	}
	emu, err := h.emulatorA()
	if err != nil {
		return nil, nil, err
	}
	sink, err := startOTLPSink()
	if err != nil {
		return nil, nil, err
	}
	defer sink.close()
	plat, err := h.startPlatform(platformOptions{emu: emu, env: sink.env(), shared: true})
	if err != nil {
		return nil, nil, err
	}
	defer plat.stop()
	cfg := h.cfg
	name := "workspaces/" + emu.Demo.Workspace + "/reports/" + emu.Demo.Reports[0]
	targetCalls := 0 // every call sent to the server, for the span count

	// The answer, through the server (a miss: the report is fetched once).
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	first, err := modeplatformv1connect.NewReportServiceClient(h.h2c, plat.url).GetReport(cctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
	cancel()
	targetCalls++
	if err != nil {
		return nil, nil, fmt.Errorf("GetReport %s on the server: %w", name, err)
	}
	msg := first.Msg
	dir, err := h.tempDir()
	if err != nil {
		return nil, nil, err
	}
	msgFile := filepath.Join(dir, "getreport-response.binpb")
	raw, err := proto.Marshal(msg)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(msgFile, raw, 0o644); err != nil {
		return nil, nil, err
	}
	var info serverInfo
	base, err := startChild("baseline", []string{"-message", msgFile}, h.childLog(), &info)
	if err != nil {
		return nil, nil, err
	}
	defer base.stop()
	baseURL := info.URL

	// The requests every driver sends, checked once on both servers with
	// the same bytes: a full, equal answer.
	reqMsg := &modeplatformv1.GetReportRequest{Name: name}
	jsonBody, err := protojson.Marshal(reqMsg)
	if err != nil {
		return nil, nil, err
	}
	pb, err := proto.Marshal(reqMsg)
	if err != nil {
		return nil, nil, err
	}
	grpcBody := grpcFrame(pb)
	frameLen := 0
	for _, u := range []string{plat.url, baseURL} {
		if err := h.checkConnectJSON(ctx, u, jsonBody, msg); err != nil {
			return nil, nil, err
		}
		n, err := h.checkGRPC(ctx, u, grpcBody, msg)
		if err != nil {
			return nil, nil, err
		}
		if frameLen != 0 && n != frameLen {
			return nil, nil, fmt.Errorf("gRPC answers of %d and %d bytes: the baseline's message is not the server's", frameLen, n)
		}
		frameLen = n
	}
	targetCalls += 2
	want := `"name":"` + name + `"`

	var drivers []outsideDriver
	for _, p := range cfg.protocols {
		drivers = append(drivers, outsideDriver{
			label: "connect-go-" + p, protocol: "connect-go: " + p,
			what: fmt.Sprintf("connect-go client, %s protocol (protobuf), HTTP/2 h2c, %d callers", map[string]string{"connect": "Connect", "grpc": "gRPC"}[p], cfg.c),
			run: func(ctx context.Context, url string, d time.Duration) (loadBlock, error) {
				rs := modeplatformv1connect.NewReportServiceClient(h.h2c, url, protocolOptions(p)...)
				b := driveFor(ctx, d, cfg.c, func(ctx context.Context) error {
					resp, err := rs.GetReport(ctx, connect.NewRequest(reqMsg))
					if err == nil && resp.Msg.GetReport().GetName() != name {
						err = connect.NewError(connect.CodeDataLoss, errors.New("an answer without the report"))
					}
					return err
				})
				b.detail = fmt.Sprintf("connect-go %s, %d workers", p, cfg.c)
				return b, nil
			},
		})
	}
	drivers = append(drivers,
		outsideDriver{
			label: "wrk", protocol: "wrk: connect+json, h1",
			what: fmt.Sprintf("wrk, Connect JSON over HTTP/1.1, %d threads, %d connections", cfg.driverThreads, cfg.c),
			run: func(ctx context.Context, url string, d time.Duration) (loadBlock, error) {
				return h.runWrk(ctx, url+getReportPath, string(jsonBody), want, d, cfg.driverThreads, cfg.c)
			},
		},
		outsideDriver{
			label: "h2load", protocol: "h2load: grpc, h2c",
			what: fmt.Sprintf("h2load, gRPC (protobuf) over h2c, %d threads, %d connections", cfg.driverThreads, cfg.c),
			run: func(ctx context.Context, url string, d time.Duration) (loadBlock, error) {
				return h.runH2load(ctx, url+getReportPath, grpcBody, frameLen, d, cfg.driverThreads, cfg.c)
			},
		},
	)

	// One block on one server, with that process's CPU time around it.
	measure := func(dr outsideDriver, url string, pid int, d time.Duration, profile string) (loadBlock, error) {
		c0, ok0 := procCPU(pid)
		var prof chan error
		if profile != "" {
			prof = make(chan error, 1)
			go func() { prof <- h.fetchProfile(ctx, plat.adminURL, profile, d) }()
		}
		b, err := dr.run(ctx, url, d)
		c1, ok1 := procCPU(pid)
		b.cpu = c1 - c0
		if !ok0 || !ok1 {
			b.cpu = -1
		}
		if prof != nil {
			if perr := <-prof; perr != nil && err == nil {
				err = perr
			}
		}
		return b, err
	}
	var rows []*result
	for _, dr := range drivers {
		h.progress("scenario 8: %s", dr.what)
		// Warm up: connections, pools, caches, the JIT of nothing.
		for _, s := range []struct {
			url string
			pid int
		}{{baseURL, base.cmd.Process.Pid}, {plat.url, plat.pid()}} {
			b, err := measure(dr, s.url, s.pid, time.Second, "")
			if err != nil {
				return rows, nil, err
			}
			if s.url == plat.url {
				targetCalls += b.requests
			}
		}
		var bs, ts []loadBlock
		for r := range cfg.rounds {
			bb, err := measure(dr, baseURL, base.cmd.Process.Pid, cfg.block, "")
			if err != nil {
				return rows, nil, err
			}
			profile := ""
			if r == 0 && cfg.cpuProf != "" {
				profile = absPath(cfg.cpuProf + "-s8-" + dr.label + ".pprof")
			}
			tb, err := measure(dr, plat.url, plat.pid(), cfg.block, profile)
			if err != nil {
				return rows, nil, err
			}
			targetCalls += tb.requests
			bs, ts = append(bs, bb), append(ts, tb)
		}
		B, T := mergeLoad(bs...), mergeLoad(ts...)
		br := outsideResult("no-op connect-go handler ("+dr.what+")", "baseline", dr.protocol, cfg.c, B)
		if B.errs() > 0 {
			br.VsBaseline = "failed: " + B.failureText()
		}
		tr := outsideResult("GetReport, cache hit, cmd/modeplatform "+h.serverFlagsText(), "target", dr.protocol, cfg.c, T)
		thr := T.okRPS() / max(B.okRPS(), 1e-9)
		p99 := tr.P99ms / max(br.P99ms, 1e-9)
		tr.Ratios["throughput"], tr.Ratios["p99"] = thr, p99
		tr.VsBaseline = fmt.Sprintf("%.2f× throughput, %.2f× p99", thr, p99)
		if br.CPUusPerRequest != nil && tr.CPUusPerRequest != nil && *br.CPUusPerRequest > 0 {
			cpu := *tr.CPUusPerRequest / *br.CPUusPerRequest
			tr.Ratios["server_cpu_per_call"] = cpu
			tr.VsBaseline += fmt.Sprintf(" (server CPU per call %.2f× the baseline's)", cpu)
		}
		if T.errs() > 0 {
			tr.VsBaseline += "; the server refused or failed " + T.failureText()
		}
		clean := T.errs() == 0 && B.errs() == 0 && T.ok > 0 && B.ok > 0
		tr.judgeAll("≥0.8× throughput, ≤1.5× p99, no failed call",
			check{Name: "≥0.8× throughput", Target: "throughput ≥ 0.8× the no-op handler's", Met: clean && thr >= 0.8, Value: thr, Detail: fmt.Sprintf("%.2f×", thr)},
			check{Name: "≤1.5× p99", Target: "p99 ≤ 1.5× the no-op handler's", Met: clean && p99 <= 1.5, Value: p99, Detail: fmt.Sprintf("%.2f×", p99)},
			check{Name: "no failed call", Target: "every call a verified success", Met: clean, Value: float64(T.errs() + B.errs()),
				Detail: fmt.Sprintf("%d of %d failed, baseline %d", T.errs(), T.requests, B.errs())})
		rows = append(rows, br, tr)
	}

	// Stop the server: its telemetry flushes the last spans to the sink.
	if err := plat.stop(); err != nil {
		return rows, nil, err
	}
	spans, exports := sink.spans.Load(), sink.spanExports.Load()
	for _, r := range rows {
		if r.Role == "target" {
			r.Extra["otlp_spans_received"] = float64(spans)
			r.Extra["calls_to_server"] = float64(targetCalls)
		}
	}
	notes := []string{
		fmt.Sprintf("scenario 8: the server is cmd/modeplatform built from this tree and run as it ships — %s, no policy file (so it listens on loopback; every call is one caller, by peer address), "+
			"its access log (JSON on stderr, read by the harness and discarded), telemetry at its defaults with OTEL_EXPORTER_OTLP_ENDPOINT set to an OTLP/HTTP sink in the harness; "+
			"the sink received %d spans in %d exports (and %d metric exports) for %d calls to the server: %.2f spans per call%s",
			h.serverFlagsText(), spans, exports, sink.metricExports.Load(), targetCalls, float64(spans)/float64(max(targetCalls, 1)), sinkFailures(sink)),
		fmt.Sprintf("scenario 8: the baseline is a no-op connect-go ReportService (GetReport answers the server's %d-byte message, built once; no interceptor, no validation, no telemetry) "+
			"behind the same HTTP server (internal/httpserver) with the services' wire settings, in a process of its own like the server's; both see the same requests "+
			"(the same path and bytes: each driver's request was checked once on both, a full and equal answer); per driver, %d rounds of %s on the baseline then %s on the server, "+
			"after a 1 s warm-up of each; req/s counts verified successes only (wrk: HTTP 200 whose body holds the report's name; h2load: a full gRPC answer per 2xx, from the DATA bytes, "+
			"since gRPC errors are HTTP 200 too; connect-go: no error); srv CPU/req is each process's user+system time from /proc over its blocks; wrk's percentiles are pooled from its "+
			"1,000 quantiles per block, the others' from every call",
			proto.Size(msg), cfg.rounds, cfg.block, cfg.block),
	}
	if len(cfg.serverFlags) == 0 {
		notes = append(notes, "scenario 8: a ResourceExhausted (HTTP 429) under this load would be the per-caller ceiling on calls (--caller-rps, default 20,000/s): the row says how many were refused; -server-flag=--caller-rps=0 measures without the limit (then the figures are not the defaults')")
	}
	return rows, notes, nil
}

// serverFlagsText says which settings the server ran with.
func (h *harness) serverFlagsText() string {
	if len(h.cfg.serverFlags) == 0 {
		return "at its default settings"
	}
	return "with " + strings.Join(h.cfg.serverFlags, " ") + " (NOT its defaults)"
}

func sinkFailures(s *otlpSink) string {
	if n := s.failures.Load(); n > 0 {
		return fmt.Sprintf(" (%d exports it could not decode)", n)
	}
	return ""
}

// outsideResult is a row of scenario 8: rps counts verified successes.
func outsideResult(name, role, protocol string, c int, b loadBlock) *result {
	r := newResult(8, name, role, protocol, c, b.asBlock())
	r.Requests = b.requests
	r.RPS = b.okRPS()
	if b.cpu >= 0 && b.requests > 0 {
		cpu := b.cpu * 1e6 / float64(b.requests)
		r.CPUusPerRequest = &cpu
	}
	r.Extra["verified_successes"] = float64(b.ok)
	return r
}

// grpcFrame is msg as one uncompressed gRPC length-prefixed message.
func grpcFrame(msg []byte) []byte {
	out := make([]byte, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:5], uint32(len(msg)))
	copy(out[5:], msg)
	return out
}

// checkConnectJSON POSTs body to GetReport at base over HTTP/1.1 as wrk
// does and checks the answer is 200 and want.
func (h *harness) checkConnectJSON(ctx context.Context, base string, body []byte, want *modeplatformv1.GetReportResponse) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+getReportPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.rest.Do(req)
	if err != nil {
		return fmt.Errorf("Connect JSON check on %s: %w", base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 1 {
		return fmt.Errorf("Connect JSON check on %s: %s over %s: %s", base, resp.Status, resp.Proto, b)
	}
	got := &modeplatformv1.GetReportResponse{}
	if err := protojson.Unmarshal(b, got); err != nil {
		return fmt.Errorf("Connect JSON check on %s: %w", base, err)
	}
	if !proto.Equal(got, want) {
		return fmt.Errorf("Connect JSON check on %s: a different answer", base)
	}
	return nil
}

// checkGRPC POSTs body (a gRPC frame) to GetReport at base over h2c with
// h2load's headers, checks grpc-status 0 and an answer equal to want, and
// returns the answer's length (frame header included).
func (h *harness) checkGRPC(ctx context.Context, base string, body []byte, want *modeplatformv1.GetReportResponse) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+getReportPath, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := h.h2c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("gRPC check on %s: %w", base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	status := resp.Trailer.Get("Grpc-Status")
	if status == "" {
		status = resp.Header.Get("Grpc-Status") // trailers-only
	}
	if resp.StatusCode != http.StatusOK || status != "0" {
		return 0, fmt.Errorf("gRPC check on %s: HTTP %s, grpc-status %q: %s", base, resp.Status, status,
			resp.Trailer.Get("Grpc-Message")+resp.Header.Get("Grpc-Message"))
	}
	if len(b) < 5 || b[0] != 0 || int(binary.BigEndian.Uint32(b[1:5])) != len(b)-5 {
		return 0, fmt.Errorf("gRPC check on %s: not one uncompressed message (%d bytes)", base, len(b))
	}
	got := &modeplatformv1.GetReportResponse{}
	if err := proto.Unmarshal(b[5:], got); err != nil {
		return 0, err
	}
	if !proto.Equal(got, want) {
		return 0, fmt.Errorf("gRPC check on %s: a different answer", base)
	}
	return len(b), nil
}

// fetchProfile saves the server's CPU profile over d (less a second, for
// the start of the load) from its admin listener.
func (h *harness) fetchProfile(ctx context.Context, adminURL, path string, d time.Duration) error {
	secs := max(1, int(d/time.Second)-1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", adminURL, secs), nil)
	if err != nil {
		return err
	}
	resp, err := h.rest.Do(req)
	if err != nil {
		return fmt.Errorf("CPU profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("CPU profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
