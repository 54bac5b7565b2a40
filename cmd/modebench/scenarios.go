package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Scenario 1: cache-hit GetReport vs the ceiling, a no-op handler on the
// same server answering the same message.
func (h *harness) scenarioHit(ctx context.Context) ([]*result, []string, error) {
	emu, err := h.emulatorA()
	if err != nil {
		return nil, nil, err
	}
	name := "workspaces/" + emu.Demo.Workspace + "/reports/" + emu.Demo.Reports[0]
	srv, err := h.startServer(emu, name)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	cfg := h.cfg
	var rows []*result
	var size int
	for _, p := range cfg.protocols {
		rs := h.reportClient(srv, p)
		ceil := connect.NewClient[modeplatformv1.GetReportRequest, modeplatformv1.GetReportResponse](h.h2c, srv.url+ceilingProcedure, protocolOptions(p)...)
		target := func(ctx context.Context, _ int) error {
			_, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
			return err
		}
		ceiling := func(ctx context.Context, _ int) error {
			_, err := ceil.CallUnary(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
			return err
		}
		// Both answer the same message.
		a, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
		if err != nil {
			return rows, nil, err
		}
		b, err := ceil.CallUnary(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
		if err != nil {
			return rows, nil, err
		}
		if !proto.Equal(a.Msg, b.Msg) {
			return rows, nil, errors.New("the ceiling's message differs from GetReport's")
		}
		size = proto.Size(a.Msg)
		// Warm up: connections, the server's pools, the CPU's caches.
		warm := min(cfg.n, 2000)
		drive(ctx, warm, cfg.c, ceiling)
		drive(ctx, warm, cfg.c, target)
		var base, tgt []block
		for r := range cfg.rounds {
			bb, err := h.measure(ctx, srv, "s1-ceiling-"+p, r == 0, func() block { return drive(ctx, cfg.n, cfg.c, ceiling) })
			if err != nil {
				return rows, nil, err
			}
			tb, err := h.measure(ctx, srv, "s1-getreport-"+p, r == 0, func() block { return drive(ctx, cfg.n, cfg.c, target) })
			if err != nil {
				return rows, nil, err
			}
			base, tgt = append(base, bb), append(tgt, tb)
		}
		B, T := merge(base...), merge(tgt...)
		br := newResult(1, "no-op Connect handler (ceiling)", "baseline", p, cfg.c, B)
		tr := newResult(1, "GetReport, cache hit", "target", p, cfg.c, T)
		thr, p99 := tr.RPS/br.RPS, tr.P99ms/br.P99ms
		tr.Ratios["throughput"], tr.Ratios["p99"] = thr, p99
		tr.Extra["response_bytes"] = float64(size)
		tr.VsBaseline = fmt.Sprintf("%.2f× throughput, %.2f× p99", thr, p99)
		if br.CPUusPerRequest != nil && tr.CPUusPerRequest != nil && *tr.CPUusPerRequest > 0 {
			// Less noisy than wall-clock figures on a shared machine.
			cpu := *br.CPUusPerRequest / *tr.CPUusPerRequest
			tr.Ratios["server_cpu"] = cpu
			tr.VsBaseline += fmt.Sprintf(" (server CPU: %.2f×)", cpu)
		}
		tr.judge("≥0.70× throughput, ≤2× p99", thr >= 0.7 && p99 <= 2 && T.errs == 0 && B.errs == 0)
		rows = append(rows, br, tr)
	}
	note := fmt.Sprintf("scenario 1: GetReport and the ceiling (a connect-go handler returning a GetReportResponse built once) answer the same %d-byte message on the same server, with the same handler options except validation; %d rounds of %d calls each, alternated", size, cfg.rounds, cfg.n)
	return rows, []string{note}, nil
}

// Scenario 2: cold GetReport (every call goes to the emulator, which waits
// -latency) vs a direct REST GET of the same reports.
func (h *harness) scenarioCold(ctx context.Context) ([]*result, []string, error) {
	emu, err := h.emulatorB()
	if err != nil {
		return nil, nil, err
	}
	// The ceiling's report gives the proxy baseline its answer.
	srv, err := h.startServer(emu, "workspaces/"+emu.Demo.Workspace+"/reports/"+emu.Demo.Reports[0])
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	cfg := h.cfg
	ws := emu.Demo.Workspace
	pool := emu.Demo.Reports[len(emu.Demo.Reports)-h.coldPool():]
	names, paths := make([]string, len(pool)), make([]string, len(pool))
	for i, tok := range pool {
		names[i] = "workspaces/" + ws + "/reports/" + tok
		paths[i] = "/api/" + ws + "/reports/" + tok
	}
	direct := func(ctx context.Context, i int) error { return h.restGet(ctx, emu, paths[i%len(pool)], nil) }
	var rows []*result
	for _, p := range cfg.protocols {
		rs := h.reportClient(srv, p)
		target := func(ctx context.Context, i int) error {
			req := connect.NewRequest(&modeplatformv1.GetReportRequest{Name: names[i%len(pool)]})
			req.Header().Set("Cache-Control", "no-cache")
			_, err := rs.GetReport(ctx, req)
			return err
		}
		px := connect.NewClient[modeplatformv1.GetReportRequest, modeplatformv1.GetReportResponse](h.h2c, srv.url+proxyProcedure, protocolOptions(p)...)
		proxy := func(ctx context.Context, i int) error {
			_, err := px.CallUnary(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: names[i%len(pool)]}))
			return err
		}
		drive(ctx, 2*cfg.coldC, cfg.coldC, direct)
		drive(ctx, 2*cfg.coldC, cfg.coldC, proxy)
		drive(ctx, 2*cfg.coldC, cfg.coldC, target)
		var base, prox, tgt []block
		upstream := 0
		for r := range cfg.rounds {
			base = append(base, drive(ctx, cfg.coldN, cfg.coldC, direct))
			prox = append(prox, drive(ctx, cfg.coldN, cfg.coldC, proxy))
			before, err := h.upstreamCount(ctx, emu, http.MethodGet, "/api/")
			if err != nil {
				return rows, nil, err
			}
			tb, err := h.measure(ctx, srv, "s2-getreport-"+p, r == 0, func() block { return drive(ctx, cfg.coldN, cfg.coldC, target) })
			if err != nil {
				return rows, nil, err
			}
			after, err := h.upstreamCount(ctx, emu, http.MethodGet, "/api/")
			if err != nil {
				return rows, nil, err
			}
			upstream += after - before
			tgt = append(tgt, tb)
		}
		B, P, T := merge(base...), merge(prox...), merge(tgt...)
		br := newResult(2, fmt.Sprintf("direct REST GET to the emulator (+%v)", cfg.latency), "baseline", "rest", cfg.coldC, B)
		pr := newResult(2, "minimal Connect proxy: a plain GET to the emulator, a fixed answer", "baseline", p, cfg.coldC, P)
		pr.Ratios["added_p50_ms"] = pr.P50ms - br.P50ms
		pr.VsBaseline = fmt.Sprintf("%+.2fms p50 over the direct GET", pr.P50ms-br.P50ms)
		tr := newResult(2, "GetReport, cold (no-cache, a different report each call)", "target", p, cfg.coldC, T)
		tr.Ratios["over_proxy_p50_ms"] = tr.P50ms - pr.P50ms
		added := tr.P50ms - br.P50ms
		tr.Ratios["added_p50_ms"], tr.Ratios["added_p99_ms"], tr.Ratios["p50"] = added, tr.P99ms-br.P99ms, tr.P50ms/br.P50ms
		tr.Extra["upstream_requests"] = float64(upstream)
		tr.VsBaseline = fmt.Sprintf("%+.2fms p50, %+.2fms p99; %d upstream for %d calls", added, tr.P99ms-br.P99ms, upstream, len(T.lat))
		if st := T.stats; st != nil && len(st.OwnMs) > 0 {
			// Where the added time goes: the server's own work around the
			// upstream request, and the client↔server transport beyond it.
			own, inServer := median(st.OwnMs), median(st.ServerMs)
			tr.Extra["server_own_p50_ms"], tr.Extra["server_time_p50_ms"] = own, inServer
			tr.Extra["transport_p50_ms"] = tr.P50ms - inServer
			tr.VsBaseline += fmt.Sprintf(" (server's own work p50 %.2fms, client↔server transport %.2fms)", own, tr.P50ms-inServer)
		}
		tr.VsBaseline += fmt.Sprintf("; %+.2fms p50 over the minimal proxy", tr.P50ms-pr.P50ms)
		ok := T.errs == 0 && B.errs == 0 && P.errs == 0
		overProxy := tr.P50ms - pr.P50ms
		tr.judgeAll("added p50 < 1ms (literal); added p50 over the minimal proxy < 1ms",
			check{Name: "literal: added p50 < 1ms", Target: "added p50 < 1ms over a direct REST GET", Met: ok && added < 1, Value: added,
				Detail: fmt.Sprintf("%+.2fms; the minimal proxy alone %+.2fms", added, pr.P50ms-br.P50ms)},
			check{Name: "over the minimal proxy < 1ms", Target: "added p50 < 1ms over a minimal Connect proxy", Met: ok && overProxy < 1, Value: overProxy,
				Detail: fmt.Sprintf("%+.2fms", overProxy)})
		rows = append(rows, br, pr, tr)
	}
	note := fmt.Sprintf("scenario 2: the emulator waits %v before every answer; GetReport carries Cache-Control: no-cache and cycles through %d reports, so every call is a miss sent upstream; the baseline GETs the same reports over HTTP/1.1 keep-alive with the same concurrency. \"server's own work\" is the median, over the calls, of the server's time on a call (its ServeHTTP) less the upstream request made for it (until its body was read), measured in the server: decoding, caching, translating, telemetry; \"client↔server transport\" is the client's p50 less the median server time: the extra network hop a caller of this service makes. The minimal Connect proxy (a second baseline, alternated with the others) is the least any Connect service in front of Mode costs on this machine: on the same server, with the same handler options as scenario 1's ceiling, it GETs the same report from the emulator with a plain HTTP client, reads it, and answers a fixed message; 'over the minimal proxy' is what modeplatform adds beyond that", cfg.latency, len(pool))
	return rows, []string{note}, nil
}

// Scenario 3: -coalesce identical cold calls at once: one upstream request.
func (h *harness) scenarioCoalesce(ctx context.Context) ([]*result, []string, error) {
	emu, err := h.emulatorB()
	if err != nil {
		return nil, nil, err
	}
	srv, err := h.startServer(emu, "")
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	cfg := h.cfg
	ws := emu.Demo.Workspace
	var rows []*result
	for k, p := range cfg.protocols {
		rs := h.reportClient(srv, p)
		// A report no one asked for yet (scenario 2 uses the generated ones).
		name := "workspaces/" + ws + "/reports/" + emu.Demo.Reports[k]
		// Open the connection first, with another report.
		if _, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: "workspaces/" + ws + "/reports/" + emu.Demo.Reports[len(cfg.protocols)+k]})); err != nil {
			return rows, nil, err
		}
		fn := func(ctx context.Context, _ int) error {
			_, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
			return err
		}
		before, err := h.upstreamCount(ctx, emu, "", "/api/")
		if err != nil {
			return rows, nil, err
		}
		b, err := h.measure(ctx, srv, "s3-coalesce-"+p, false, func() block { return burst(ctx, cfg.coalesce, fn) })
		if err != nil {
			return rows, nil, err
		}
		after, err := h.upstreamCount(ctx, emu, "", "/api/")
		if err != nil {
			return rows, nil, err
		}
		up := after - before
		r := newResult(3, fmt.Sprintf("GetReport, %d identical cold calls at once", cfg.coalesce), "target", p, cfg.coalesce, b)
		r.Extra["upstream_requests"] = float64(up)
		r.Extra["answered"] = float64(len(b.lat) - b.errs)
		r.VsBaseline = fmt.Sprintf("%d upstream request(s), %d/%d answered", up, len(b.lat)-b.errs, len(b.lat))
		r.judge("exactly 1 upstream, all answered", up == 1 && b.errs == 0)
		rows = append(rows, r)
	}
	note := fmt.Sprintf("scenario 3: %d goroutines released together call GetReport on one report the server never fetched; the upstream count is every request the emulator received meanwhile (it waits %v per request)", cfg.coalesce, cfg.latency)
	return rows, []string{note}, nil
}

// bigResult runs the emulator's big report and returns its query run's
// resource name and the emulator path of its CSV.
func (h *harness) bigResult(ctx context.Context, emu emulatorInfo) (name, csvPath string, err error) {
	c, err := modeclient.New(emu.URL, modeclient.Credential{Token: emu.Token, Secret: emu.Secret}, modeclient.WithHTTPClient(h.rest))
	if err != nil {
		return "", "", err
	}
	ws, rep := emu.Demo.Workspace, emu.Demo.BigReport
	if rep == "" {
		return "", "", errors.New("the emulator has no big report")
	}
	run, err := c.RunReport(ctx, ws, rep, nil)
	if err != nil {
		return "", "", err
	}
	for deadline := time.Now().Add(time.Minute); !run.Finished(); {
		if time.Now().After(deadline) {
			return "", "", fmt.Errorf("run %s still %s", run.Token, run.State)
		}
		time.Sleep(10 * time.Millisecond)
		if run, err = c.GetReportRun(ctx, ws, rep, run.Token); err != nil {
			return "", "", err
		}
	}
	for qr, err := range c.ListQueryRuns(ctx, ws, rep, run.Token, nil) {
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("workspaces/%s/reports/%s/runs/%s/queryRuns/%s", ws, rep, run.Token, qr.Token),
			fmt.Sprintf("/api/%s/reports/%s/runs/%s/query_runs/%s/results/content.csv", ws, rep, run.Token, qr.Token), nil
	}
	return "", "", errors.New("the big report's run has no query run")
}

// countingWriter counts bytes and newlines.
type countingWriter struct{ bytes, lines int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes += int64(len(p))
	w.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// heapTarget is scenario 4's bound on the server's heap.
const heapTarget = 64 << 20

// Scenario 4: a -rows result through StreamQueryResults and
// ExportQueryResults vs a raw download of its CSV from the emulator.
func (h *harness) scenarioStream(ctx context.Context) ([]*result, []string, error) {
	emu, err := h.emulatorA()
	if err != nil {
		return nil, nil, err
	}
	srv, err := h.startServer(emu, "")
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	cfg := h.cfg
	name, csvPath, err := h.bigResult(ctx, emu)
	if err != nil {
		return nil, nil, err
	}
	var csvBytes int64
	raw := func(ctx context.Context, _ int) error {
		var cw countingWriter
		err := h.restGet(ctx, emu, csvPath, func(r io.Reader) error { _, err := io.Copy(&cw, r); return err })
		if err == nil && cw.lines != int64(cfg.rows)+1 {
			err = fmt.Errorf("raw CSV: %d lines, want %d", cw.lines, cfg.rows+1)
		}
		csvBytes = cw.bytes
		return err
	}
	base := []block{drive(ctx, cfg.streams, 1, raw)}
	if base[0].firstErr != nil {
		return nil, nil, base[0].firstErr
	}
	type target struct {
		label, name string
		fn          func(rs reportClient) call
	}
	targets := []target{
		{"stream", "StreamQueryResults", func(rs reportClient) call {
			return func(ctx context.Context, _ int) error {
				st, err := rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: name}))
				if err != nil {
					return err
				}
				defer st.Close()
				var n int64
				for st.Receive() {
					n += int64(len(st.Msg().GetRows()))
				}
				if err := st.Err(); err != nil {
					return err
				}
				if n != int64(cfg.rows) {
					return fmt.Errorf("StreamQueryResults: %d rows, want %d", n, cfg.rows)
				}
				return nil
			}
		}},
		{"export", "ExportQueryResults (CSV)", func(rs reportClient) call {
			return func(ctx context.Context, _ int) error {
				st, err := rs.ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: name, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV}))
				if err != nil {
					return err
				}
				defer st.Close()
				var n int64
				for st.Receive() {
					n += int64(len(st.Msg().GetData()))
				}
				if err := st.Err(); err != nil {
					return err
				}
				if n != csvBytes {
					return fmt.Errorf("ExportQueryResults: %d bytes, want %d", n, csvBytes)
				}
				return nil
			}
		}},
	}
	// The Arrow and Parquet files: made from the result's JSON by the
	// server. Each is read back once with arrow-go before the measured
	// calls (every row there), which then check its size.
	fileBytes := map[modeplatformv1.ExportQueryResultsRequest_Format]int64{}
	for _, f := range []struct {
		format modeplatformv1.ExportQueryResultsRequest_Format
		label  string
	}{{modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW, "arrow"}, {modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET, "parquet"}} {
		size, err := checkColumnarExport(ctx, h.reportClient(srv, cfg.protocols[0]), name, f.format, int64(cfg.rows))
		if err != nil {
			return nil, nil, err
		}
		fileBytes[f.format] = size
		targets = append(targets, target{f.label, "ExportQueryResults (" + formatName(f.format) + ")", func(rs reportClient) call {
			return func(ctx context.Context, _ int) error {
				n, err := exportBytes(ctx, rs, name, f.format)
				if err == nil && n != size {
					err = fmt.Errorf("ExportQueryResults %v: %d bytes, want %d", f.format, n, size)
				}
				return err
			}
		}})
	}
	var measured []*result
	for _, p := range cfg.protocols {
		rs := h.reportClient(srv, p)
		var csvExport *result // this protocol's CSV export, to compare the columnar ones with
		for _, t := range targets {
			b, err := h.measure(ctx, srv, "s4-"+t.label+"-"+p, true, func() block { return drive(ctx, cfg.streams, 1, t.fn(rs)) })
			if err != nil {
				return nil, nil, err
			}
			r := newResult(4, fmt.Sprintf("%s, %d rows", t.name, cfg.rows), "target", p, 1, b)
			switch t.label {
			case "export":
				csvExport = r
			case "arrow", "parquet":
				f := modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW
				if t.label == "parquet" {
					f = modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET
				}
				r.Extra["file_bytes"] = float64(fileBytes[f])
				if csvExport != nil && csvExport.RPS > 0 {
					r.Ratios["throughput_vs_csv_export"] = r.RPS / csvExport.RPS
				}
			}
			measured = append(measured, r)
		}
		base = append(base, drive(ctx, cfg.streams, 1, raw))
	}
	B := merge(base...)
	br := newResult(4, fmt.Sprintf("raw CSV download from the emulator, %d rows", cfg.rows), "baseline", "rest", 1, B)
	perSec := func(r *result) {
		r.Extra["rows_per_second"] = r.RPS * float64(cfg.rows)
		r.Extra["csv_mb_per_second"] = r.RPS * float64(csvBytes) / (1 << 20)
	}
	perSec(br)
	for _, r := range measured {
		perSec(r)
		thr := r.RPS / br.RPS
		r.Ratios["throughput"] = thr
		r.VsBaseline = fmt.Sprintf("%.2f× raw (%.0fk rows/s); heap ≤ %.0f MB", thr, r.Extra["rows_per_second"]/1e3, float64(r.PeakHeapInuse)/(1<<20))
		if size, ok := r.Extra["file_bytes"]; ok {
			// Arrow and Parquet: no throughput target; compared with the
			// CSV export of the same protocol, measured just before.
			r.VsBaseline += fmt.Sprintf("; %.2f× the CSV export; file %.1f MB (%.2f× the CSV)", r.Ratios["throughput_vs_csv_export"], size/(1<<20), size/float64(csvBytes))
			r.judge("heap < 64 MB", r.PeakHeapInuse < heapTarget && r.Errors == 0)
			continue
		}
		r.judge("≥0.5× raw throughput, heap < 64 MB", thr >= 0.5 && r.PeakHeapInuse < heapTarget && r.Errors == 0)
	}
	br.VsBaseline = fmt.Sprintf("%.0fk rows/s, %.1f MB/s of CSV", br.Extra["rows_per_second"]/1e3, br.Extra["csv_mb_per_second"])
	rows := append([]*result{br}, measured...)
	note := fmt.Sprintf("scenario 4: one download = the whole %d-row result (%.1f MB of CSV), read by the client to the end; the raw baseline is Go's HTTP client on the emulator's CSV (gzip on the wire, as Mode sends it), measured before and after the targets; srv peak heap is the server's HeapInuse sampled every 5 ms during the download (the emulator, the client and their SQLite run in other processes)", cfg.rows, float64(csvBytes)/(1<<20))
	return rows, []string{note}, nil
}

// formatName names an export format in the table.
func formatName(f modeplatformv1.ExportQueryResultsRequest_Format) string {
	switch f {
	case modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW:
		return "Arrow"
	case modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET:
		return "Parquet"
	}
	return f.String()
}

// exportBytes exports a query run's result in format and counts its bytes.
func exportBytes(ctx context.Context, rs reportClient, name string, format modeplatformv1.ExportQueryResultsRequest_Format) (int64, error) {
	n, err := exportTo(ctx, rs, name, format, io.Discard)
	return n, err
}

// exportTo writes an export's bytes to w and returns their count.
func exportTo(ctx context.Context, rs reportClient, name string, format modeplatformv1.ExportQueryResultsRequest_Format, w io.Writer) (int64, error) {
	st, err := rs.ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: name, Format: format}))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int64
	for st.Receive() {
		k, err := w.Write(st.Msg().GetData())
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, st.Err()
}

// reportClient is the part of the generated client scenario 4 uses.
type reportClient interface {
	StreamQueryResults(context.Context, *connect.Request[modeplatformv1.StreamQueryResultsRequest]) (*connect.ServerStreamForClient[modeplatformv1.StreamQueryResultsResponse], error)
	ExportQueryResults(context.Context, *connect.Request[modeplatformv1.ExportQueryResultsRequest]) (*connect.ServerStreamForClient[modeplatformv1.ExportQueryResultsResponse], error)
}

// sequential makes passes one after the other; a pass calls record after
// each request it makes, with the request's latency, and returns how many
// items it read.
func sequential(ctx context.Context, passes int, pass func(ctx context.Context, record func(time.Duration)) (int, error)) (block, int) {
	var b block
	items := 0
	start := time.Now()
	for range passes {
		n, err := pass(ctx, func(d time.Duration) { b.lat = append(b.lat, d) })
		items += n
		if err != nil {
			b.errs++
			if b.firstErr == nil {
				b.firstErr = err
			}
		}
	}
	b.elapsed = time.Since(start)
	return b, items
}

// Scenario 6: ListReports paging through the whole space of -reports
// reports, cold and warm, vs paging the same list over REST.
func (h *harness) scenarioList(ctx context.Context) ([]*result, []string, error) {
	emu, err := h.emulatorA()
	if err != nil {
		return nil, nil, err
	}
	srv, err := h.startServer(emu, "")
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	cfg := h.cfg
	ws, space := emu.Demo.Workspace, emu.Demo.Spaces[0]
	parent := "workspaces/" + ws + "/spaces/" + space
	restPass := func(ctx context.Context, record func(time.Duration)) (int, error) {
		items := 0
		for page := 1; ; page++ {
			var body struct {
				Links    map[string]json.RawMessage `json:"_links"`
				Embedded struct {
					Reports []json.RawMessage `json:"reports"`
				} `json:"_embedded"`
			}
			t0 := time.Now()
			err := h.restGet(ctx, emu, fmt.Sprintf("/api/%s/spaces/%s/reports?page=%d&per_page=%d", ws, space, page, cfg.pageSize),
				func(r io.Reader) error { return json.NewDecoder(r).Decode(&body) })
			record(time.Since(t0))
			if err != nil {
				return items, err
			}
			items += len(body.Embedded.Reports)
			if _, more := body.Links["next_page"]; !more || len(body.Embedded.Reports) == 0 {
				return items, nil
			}
		}
	}
	listPass := func(rs interface {
		ListReports(context.Context, *connect.Request[modeplatformv1.ListReportsRequest]) (*connect.Response[modeplatformv1.ListReportsResponse], error)
	}, cold bool) func(context.Context, func(time.Duration)) (int, error) {
		return func(ctx context.Context, record func(time.Duration)) (int, error) {
			items, token := 0, ""
			for {
				req := connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: parent, PageSize: int32(cfg.pageSize), PageToken: token})
				if cold {
					req.Header().Set("Cache-Control", "no-cache")
				}
				t0 := time.Now()
				resp, err := rs.ListReports(ctx, req)
				record(time.Since(t0))
				if err != nil {
					return items, err
				}
				items += len(resp.Msg.GetReports())
				if token = resp.Msg.GetNextPageToken(); token == "" {
					return items, nil
				}
			}
		}
	}
	var base []block
	b, restItems := sequential(ctx, cfg.passes, restPass)
	if b.firstErr != nil {
		return nil, nil, b.firstErr
	}
	base = append(base, b)
	var measured []*result
	for _, p := range cfg.protocols {
		rs := h.reportClient(srv, p)
		for _, cold := range []bool{true, false} {
			label, what := "s6-list-cold-"+p, "cold (no-cache)"
			if !cold {
				label, what = "s6-list-warm-"+p, "warm (cached)"
				sequential(ctx, 1, listPass(rs, false)) // fill the cache
			}
			var items int
			b, err := h.measure(ctx, srv, label, false, func() block {
				b, n := sequential(ctx, cfg.passes, listPass(rs, cold))
				items = n
				return b
			})
			if err != nil {
				return nil, nil, err
			}
			r := newResult(6, fmt.Sprintf("ListReports paging %d reports, page_size %d, %s", items/cfg.passes, cfg.pageSize, what), "target", p, 1, b)
			r.Extra["reports_per_second"] = float64(items) / b.elapsed.Seconds()
			if items != restItems && b.errs == 0 {
				r.FirstError = fmt.Sprintf("listed %d reports, REST %d", items, restItems)
				r.Errors++
			}
			measured = append(measured, r)
		}
	}
	// The baseline again, after the targets (the emulator's pages are slow:
	// it filters and sorts every report for each page).
	b, _ = sequential(ctx, cfg.passes, restPass)
	base = append(base, b)
	B := merge(base...)
	br := newResult(6, fmt.Sprintf("REST paging from the emulator, per_page %d", cfg.pageSize), "baseline", "rest", 1, B)
	br.Extra["reports_per_second"] = float64(restItems*len(base)) / B.elapsed.Seconds()
	br.VsBaseline = fmt.Sprintf("%.0f reports/s", br.Extra["reports_per_second"])
	for _, r := range measured {
		thr := r.Extra["reports_per_second"] / br.Extra["reports_per_second"]
		r.Ratios["throughput"] = thr
		r.VsBaseline = fmt.Sprintf("%.2f× REST (%.0f reports/s)", thr, r.Extra["reports_per_second"])
	}
	note := fmt.Sprintf("scenario 6: one pass pages through all %d reports of a space, a request after the other (n counts pages); cold passes send Cache-Control: no-cache, so every page is read from the emulator; the issue sets no target here", restItems/cfg.passes)
	return append([]*result{br}, measured...), []string{note}, nil
}
