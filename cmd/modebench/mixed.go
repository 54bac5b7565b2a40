package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/service"
)

// mixedCallTimeout is each unary call's deadline in the mixed load (the
// server's own default is 60 s); a watch gets the run's duration on top.
const mixedCallTimeout = 30 * time.Second

// mixedPageSize is the page_size of the mixed load's list calls.
const mixedPageSize = 25

// The mixed load's methods, in the table's order.
var mixedMethods = []string{"GetReport", "ListReports", "RunReport", "GetReportRun", "WatchReportRun"}

// mixedCaller is one of the load's callers: its own key and connection.
type mixedCaller struct {
	name, key string
	reports   modeplatformv1connect.ReportServiceClient
	transport *http.Transport

	mu     sync.Mutex
	tokens map[string]string // the next page token of each space it listed
}

// mixedStats gathers every call's outcome, by method.
type mixedStats struct {
	mu        sync.Mutex
	lat       map[string][]time.Duration // every call, failed ones included
	first     map[string][]time.Duration // WatchReportRun: until its first message
	codes     map[string]map[string]int  // method → code (or "ok") → calls
	rateLimit map[string]int             // Unavailable for the rate limit toward Mode, by method
}

func (s *mixedStats) record(method string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat[method] = append(s.lat[method], d)
	code := "ok"
	if err != nil {
		code = connect.CodeOf(err).String()
		if errdetail.HasReason(err, service.ReasonUpstreamRateLimited) {
			s.rateLimit[method]++
		}
	}
	if s.codes[method] == nil {
		s.codes[method] = map[string]int{}
	}
	s.codes[method][code]++
}

// Scenario 9: a realistic mixed load on cmd/modeplatform as it ships, with
// a policy of -callers callers: -rate calls per second for -duration,
// arrivals paced (open loop: a slow answer does not slow the load), each
// arrival from the next caller in turn; 80% GetReport of -hot reports, 15%
// ListReports pages, 5% RunReport followed by GetReportRun of the run, and
// every -watch-every-th run watched to its end by -watchers other callers
// (WatchReportRun). The figures: Mode requests per 1,000 caller calls (the
// emulator's exact count), ResourceExhausted answers passed to callers
// (the goal: none), and p50/p99 per method.
func (h *harness) scenarioMixed(ctx context.Context) ([]*result, []string, error) {
	cfg := h.cfg
	emu, err := h.emulatorD()
	if err != nil {
		return nil, nil, err
	}
	ws := emu.Demo.Workspace
	// The hot reports: every generated one, listed straight from the
	// emulator before the count starts.
	var hot []string
	spaceOf := map[string]string{}
	for _, sp := range emu.Demo.GeneratedSpaces {
		toks, err := h.restReportTokens(ctx, emu, sp)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range toks {
			hot = append(hot, "workspaces/"+ws+"/reports/"+t)
			spaceOf[t] = sp
		}
	}
	if len(hot) != cfg.hot {
		return nil, nil, fmt.Errorf("the emulator holds %d generated reports, want -hot %d", len(hot), cfg.hot)
	}
	spaces := make([]string, len(emu.Demo.GeneratedSpaces))
	for i, sp := range emu.Demo.GeneratedSpaces {
		spaces[i] = "workspaces/" + ws + "/spaces/" + sp
	}

	// The policy: one caller per key, reading and running in the workspace.
	dir, err := h.tempDir()
	if err != nil {
		return nil, nil, err
	}
	callers := make([]*mixedCaller, cfg.callers)
	var policy strings.Builder
	policy.WriteString("callers:\n")
	for i := range callers {
		key := make([]byte, 24)
		if _, err := rand.Read(key); err != nil {
			return nil, nil, err
		}
		c := &mixedCaller{name: fmt.Sprintf("bench-caller-%02d", i+1), key: hex.EncodeToString(key), tokens: map[string]string{}}
		sum := sha256.Sum256([]byte(c.key))
		fmt.Fprintf(&policy, "  - name: %s\n    keys: [\"sha256:%s\"]\n    workspaces: [%s]\n    scopes: [read, run]\n", c.name, hex.EncodeToString(sum[:]), ws)
		callers[i] = c
	}
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(policy.String()), 0o600); err != nil {
		return nil, nil, err
	}
	sink, err := startOTLPSink()
	if err != nil {
		return nil, nil, err
	}
	defer sink.close()
	plat, err := h.startPlatform(platformOptions{emu: emu, env: sink.env(), flags: []string{"--policy", policyFile}, shared: true})
	if err != nil {
		return nil, nil, err
	}
	defer plat.stop()
	for _, c := range callers {
		// Each caller its own HTTP/2 connection, as separate clients have.
		c.transport = &http.Transport{Protocols: new(http.Protocols), DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
		c.transport.Protocols.SetUnencryptedHTTP2(true)
		c.reports = modeplatformv1connect.NewReportServiceClient(&http.Client{Transport: c.transport}, plat.url,
			connect.WithInterceptors(bearer(c.key)))
		defer c.transport.CloseIdleConnections()
	}

	st := &mixedStats{lat: map[string][]time.Duration{}, first: map[string][]time.Duration{},
		codes: map[string]map[string]int{}, rateLimit: map[string]int{}}
	upBefore, err := h.upstreamCount(ctx, emu, "", "")
	if err != nil {
		return nil, nil, err
	}
	postBefore, err := h.upstreamCount(ctx, emu, http.MethodPost, "")
	if err != nil {
		return nil, nil, err
	}
	cpu0, cpuOK0 := procCPU(plat.pid())
	rng := mrand.New(mrand.NewPCG(18, 2026)) // the same sequence every run
	interval := time.Duration(float64(time.Second) / cfg.rate)
	arrivals := int(cfg.duration / interval)
	var wg sync.WaitGroup
	var lagMu sync.Mutex
	var maxLag time.Duration
	runs := 0
	start := time.Now()
	for i := range arrivals {
		if ctx.Err() != nil {
			break
		}
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		} else if -d > maxLag {
			lagMu.Lock()
			maxLag = -d
			lagMu.Unlock()
		}
		c := callers[i%len(callers)]
		x := rng.Float64()
		switch {
		case x < 0.80:
			name := hot[rng.IntN(len(hot))]
			wg.Go(func() { h.mixedGet(ctx, st, c, name, at) })
		case x < 0.95:
			space := spaces[rng.IntN(len(spaces))]
			wg.Go(func() { h.mixedList(ctx, st, c, space, at) })
		default:
			name := hot[rng.IntN(len(hot))]
			var watchers []*mixedCaller
			if runs%cfg.watchEvery == 0 {
				for k := 1; k <= cfg.watchers; k++ {
					watchers = append(watchers, callers[(i+k)%len(callers)])
				}
			}
			runs++
			wg.Go(func() { h.mixedRun(ctx, &wg, st, c, watchers, name, at) })
		}
	}
	window := time.Since(start)
	wg.Wait()
	all := time.Since(start)
	cpu1, cpuOK1 := procCPU(plat.pid())
	upAfter, err := h.upstreamCount(ctx, emu, "", "")
	if err != nil {
		return nil, nil, err
	}
	postAfter, err := h.upstreamCount(ctx, emu, http.MethodPost, "")
	if err != nil {
		return nil, nil, err
	}
	upstream, posts := upAfter-upBefore, postAfter-postBefore

	var rows []*result
	totalCalls, exhausted, failed, rateLimited := 0, 0, 0, 0
	var allLat []time.Duration
	for _, m := range mixedMethods {
		lat := st.lat[m]
		if len(lat) == 0 {
			continue
		}
		codes := st.codes[m]
		calls := len(lat)
		fails := calls - codes["ok"]
		totalCalls += calls
		exhausted += codes[connect.CodeResourceExhausted.String()]
		failed += fails
		rateLimited += st.rateLimit[m]
		allLat = append(allLat, lat...)
		b := block{lat: lat, errs: fails, elapsed: window}
		r := newResult(9, "mixed load: "+m, "target", "connect", cfg.callers, b)
		r.Extra["resource_exhausted"] = float64(codes[connect.CodeResourceExhausted.String()])
		r.Extra["upstream_rate_limited"] = float64(st.rateLimit[m])
		r.VsBaseline = fmt.Sprintf("%d calls: %s", calls, codeText(codes))
		if m == "WatchReportRun" {
			f := block{lat: st.first[m]}
			r.Extra["first_message_p50_ms"] = ms(f.percentile(0.5))
			r.Extra["first_message_p99_ms"] = ms(f.percentile(0.99))
			if len(f.lat) == 0 {
				r.VsBaseline += "; latency = until the run's last state; no watch got a message"
			} else {
				r.VsBaseline += fmt.Sprintf("; latency = until the run's last state; first message p50 %s, p99 %s",
					durationText(float64(f.percentile(0.5))), durationText(float64(f.percentile(0.99))))
			}
		}
		if st.rateLimit[m] > 0 {
			r.VsBaseline += fmt.Sprintf(" (%d of them Unavailable: the rate limit toward Mode)", st.rateLimit[m])
		}
		rows = append(rows, r)
	}
	sum := newResult(9, fmt.Sprintf("mixed load: all calls, %d callers, %.0f arrivals/s for %s", cfg.callers, cfg.rate, cfg.duration), "target", "connect", cfg.callers,
		block{lat: allLat, errs: failed, elapsed: window})
	if cpuOK0 && cpuOK1 && totalCalls > 0 {
		cpu := (cpu1 - cpu0) * 1e6 / float64(totalCalls)
		sum.CPUusPerRequest = &cpu
	}
	per1000 := float64(upstream) * 1000 / float64(max(totalCalls, 1))
	sum.Extra["upstream_requests"] = float64(upstream)
	sum.Extra["upstream_posts"] = float64(posts)
	sum.Extra["upstream_per_1000_calls"] = per1000
	sum.Extra["resource_exhausted"] = float64(exhausted)
	sum.Extra["upstream_rate_limited"] = float64(rateLimited)
	sum.Extra["failed_calls"] = float64(failed)
	sum.Extra["max_arrival_lag_ms"] = ms(maxLag)
	sum.Extra["drain_seconds"] = (all - window).Seconds()
	sum.Ratios["upstream_per_1000_calls"] = per1000
	sum.VsBaseline = fmt.Sprintf("%.1f Mode requests per 1,000 caller calls (%d for %d calls; %d of them POSTs: runs started); %d ResourceExhausted and %d Unavailable for the rate limit toward Mode passed to callers; %d calls failed in all",
		per1000, upstream, totalCalls, posts, exhausted, rateLimited, failed)
	sum.judgeAll("no ResourceExhausted and no rate-limit refusal passed to callers",
		check{Name: "no ResourceExhausted", Target: "no ResourceExhausted (HTTP 429) answer to a caller", Met: exhausted == 0, Value: float64(exhausted),
			Detail: fmt.Sprintf("%d", exhausted)},
		check{Name: "no refusal for Mode's rate limit", Target: "no Unavailable for the rate limit toward Mode (UPSTREAM_RATE_LIMITED)", Met: rateLimited == 0, Value: float64(rateLimited),
			Detail: fmt.Sprintf("%d", rateLimited)})
	rows = append([]*result{sum}, rows...)

	if err := plat.stop(); err != nil {
		return rows, nil, err
	}
	note := fmt.Sprintf("scenario 9: cmd/modeplatform %s but --policy (%d callers, one key each, scopes read and run) and telemetry exporting to the OTLP sink (%d spans received), "+
		"on an emulator answering after %v, whose runs take %v, holding %d hot reports in %d spaces; %d arrivals paced every %v from the callers in turn (open loop; the harness fell behind the schedule by at most %s): "+
		"80%% GetReport of a random hot report, 15%% ListReports of a random one of those spaces (page_size %d; a caller's next list of a space continues from its last page token), "+
		"5%% RunReport of a random hot report then GetReportRun of the run (%d runs), every %d-th run watched to its end by %d other callers (WatchReportRun); each call from its caller's own "+
		"HTTP/2 connection with its own deadline (%v, a watch %v more); every call counts, each of a run's and each watch; latency from the arrival's scheduled time (a run's GetReportRun: from its start); "+
		"Mode requests are the emulator's count of every request it received from the first arrival until the last call ended (%s after the window); the cache is cold at the start (the first read of each report goes to Mode)",
		h.serverFlagsText(), cfg.callers, sink.spans.Load(), cfg.latency, cfg.runDuration, len(hot), len(spaces), arrivals, interval, durationText(float64(maxLag)), mixedPageSize, runs,
		cfg.watchEvery, cfg.watchers, mixedCallTimeout, cfg.runDuration, durationText(float64(all-window)))
	return rows, []string{note}, nil
}

// codeText spells the calls' outcomes: "12000 ok, 3 unavailable".
func codeText(codes map[string]int) string {
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "ok") != (keys[j] == "ok") {
			return keys[i] == "ok"
		}
		return codes[keys[i]] > codes[keys[j]]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", codes[k], k)
	}
	return strings.Join(parts, ", ")
}

func (h *harness) mixedGet(ctx context.Context, st *mixedStats, c *mixedCaller, name string, at time.Time) {
	cctx, cancel := context.WithDeadline(ctx, at.Add(mixedCallTimeout))
	defer cancel()
	resp, err := c.reports.GetReport(cctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name}))
	if err == nil && resp.Msg.GetReport().GetName() != name {
		err = connect.NewError(connect.CodeDataLoss, errors.New("GetReport answered another report"))
	}
	st.record("GetReport", time.Since(at), err)
}

func (h *harness) mixedList(ctx context.Context, st *mixedStats, c *mixedCaller, space string, at time.Time) {
	c.mu.Lock()
	token := c.tokens[space]
	delete(c.tokens, space)
	c.mu.Unlock()
	cctx, cancel := context.WithDeadline(ctx, at.Add(mixedCallTimeout))
	defer cancel()
	resp, err := c.reports.ListReports(cctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: space, PageSize: mixedPageSize, PageToken: token}))
	if err == nil && len(resp.Msg.GetReports()) == 0 {
		err = connect.NewError(connect.CodeDataLoss, errors.New("an empty page"))
	}
	st.record("ListReports", time.Since(at), err)
	if err == nil && resp.Msg.GetNextPageToken() != "" {
		c.mu.Lock()
		c.tokens[space] = resp.Msg.GetNextPageToken()
		c.mu.Unlock()
	}
}

// mixedRun starts a run of name, reads its state once, and has watchers
// watch it to its end.
func (h *harness) mixedRun(ctx context.Context, wg *sync.WaitGroup, st *mixedStats, c *mixedCaller, watchers []*mixedCaller, name string, at time.Time) {
	cctx, cancel := context.WithDeadline(ctx, at.Add(mixedCallTimeout))
	resp, err := c.reports.RunReport(cctx, connect.NewRequest(&modeplatformv1.RunReportRequest{Name: name}))
	cancel()
	st.record("RunReport", time.Since(at), err)
	if err != nil {
		return
	}
	run := resp.Msg.GetRun().GetName()
	for _, w := range watchers {
		wg.Go(func() { h.mixedWatch(ctx, st, w, run) })
	}
	t0 := time.Now()
	cctx, cancel = context.WithTimeout(ctx, mixedCallTimeout)
	got, err := c.reports.GetReportRun(cctx, connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: run}))
	cancel()
	if err == nil && got.Msg.GetRun().GetName() != run {
		err = connect.NewError(connect.CodeDataLoss, errors.New("GetReportRun answered another run"))
	}
	st.record("GetReportRun", time.Since(t0), err)
}

// mixedWatch watches run until the server ends the stream (the run's
// terminal state).
func (h *harness) mixedWatch(ctx context.Context, st *mixedStats, c *mixedCaller, run string) {
	t0 := time.Now()
	cctx, cancel := context.WithTimeout(ctx, mixedCallTimeout+h.cfg.runDuration)
	defer cancel()
	stream, err := c.reports.WatchReportRun(cctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: run}))
	if err != nil {
		st.record("WatchReportRun", time.Since(t0), err)
		return
	}
	defer stream.Close()
	msgs := 0
	for stream.Receive() {
		if msgs == 0 {
			st.mu.Lock()
			st.first["WatchReportRun"] = append(st.first["WatchReportRun"], time.Since(t0))
			st.mu.Unlock()
		}
		msgs++
	}
	err = stream.Err()
	if err == nil && msgs == 0 {
		err = connect.NewError(connect.CodeDataLoss, errors.New("a watch without a message"))
	}
	st.record("WatchReportRun", time.Since(t0), err)
}

// bearer sends the caller's key with every call.
type bearer string

func (k bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(k))
		return next(ctx, req)
	}
}

func (k bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", "Bearer "+string(k))
		return conn
	}
}

func (bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// emulatorD starts (once) the emulator of scenario 9: -latency, -hot
// generated reports (in 4 spaces when they divide evenly, else 1), runs of
// -run-duration.
func (h *harness) emulatorD() (emulatorInfo, error) {
	if h.emuD != nil {
		return h.infoD, nil
	}
	spaces := 1
	if h.cfg.hot%4 == 0 {
		spaces = 4
	}
	args := []string{"-latency", h.cfg.latency.String(), "-run-duration", h.cfg.runDuration.String(),
		"-generated", strconv.Itoa(spaces) + "x" + strconv.Itoa(h.cfg.hot/spaces)}
	h.progress("starting the emulator %v", args)
	c, err := startChild("emulator", args, h.childLog(), &h.infoD)
	if err != nil {
		return h.infoD, err
	}
	h.emuD = c
	return h.infoD, nil
}

// restReportTokens lists a space's reports straight from the emulator.
func (h *harness) restReportTokens(ctx context.Context, emu emulatorInfo, space string) ([]string, error) {
	var out []string
	for page := 1; ; page++ {
		var body struct {
			Embedded struct {
				Reports []struct {
					Token string `json:"token"`
				} `json:"reports"`
			} `json:"_embedded"`
		}
		err := h.restGet(ctx, emu, fmt.Sprintf("/api/%s/spaces/%s/reports?page=%d&per_page=1000", emu.Demo.Workspace, space, page),
			func(r io.Reader) error { return json.NewDecoder(r).Decode(&body) })
		if err != nil {
			return nil, err
		}
		if len(body.Embedded.Reports) == 0 {
			return out, nil
		}
		for _, r := range body.Embedded.Reports {
			if !slices.Contains(out, r.Token) {
				out = append(out, r.Token)
			}
		}
		if len(body.Embedded.Reports) < 1000 {
			return out, nil
		}
	}
}
