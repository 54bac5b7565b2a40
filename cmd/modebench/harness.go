package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

// harness runs the scenarios: it owns the emulator processes and the
// clients; each scenario starts (and stops) its own server process.
type harness struct {
	cfg   config
	log   io.Writer
	logMu sync.Mutex // serializes writes to log

	emuA  *child // no latency: big rows, many reports (scenarios 1, 4, 6)
	infoA emulatorInfo
	emuB  *child // -latency (scenarios 2, 3)
	infoB emulatorInfo
	emuC  *child // no latency: the -generated workspace (scenario 7)
	infoC emulatorInfo
	emuD  *child // -latency, -hot generated reports, -run-duration (scenario 9)
	infoD emulatorInfo

	tmp         string // scratch directory (the modeplatform binary, driver scripts)
	platformBin string // cmd/modeplatform, built once

	h2c  *http.Client // to the server: HTTP/2 without TLS (prior knowledge), as gRPC clients do
	rest *http.Client // to the emulator: HTTP/1.1, keep-alive, as a Mode caller would
}

// progress logs a line with -v.
func (h *harness) progress(format string, args ...any) {
	if h.cfg.verbose {
		fmt.Fprintf(h.childLog(), "modebench: "+format+"\n", args...)
	}
}

// childLog is where the children's stderr goes (their errors always, their
// warnings with -v): h.log, one write at a time.
func (h *harness) childLog() io.Writer { return lockedWriter{&h.logMu, h.log} }

// lockedWriter serializes writes: several children copy their stderr at once.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (h *harness) clients() {
	if h.h2c != nil {
		return
	}
	tr := &http.Transport{
		Protocols:   new(http.Protocols),
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	tr.Protocols.SetUnencryptedHTTP2(true)
	h.h2c = &http.Client{Transport: tr}
	rt := http.DefaultTransport.(*http.Transport).Clone()
	rt.MaxIdleConns = 2048
	rt.MaxIdleConnsPerHost = 2048
	h.rest = &http.Client{Transport: rt}
}

func (h *harness) close() {
	for _, c := range []*child{h.emuA, h.emuB, h.emuC, h.emuD} {
		if err := c.stop(); err != nil {
			fmt.Fprintln(h.childLog(), "modebench:", err)
		}
	}
	if h.h2c != nil {
		h.h2c.CloseIdleConnections()
		h.rest.CloseIdleConnections()
	}
	if h.tmp != "" {
		_ = os.RemoveAll(h.tmp)
	}
}

// emulatorA starts (once) the emulator without latency.
func (h *harness) emulatorA() (emulatorInfo, error) {
	if h.emuA != nil {
		return h.infoA, nil
	}
	args := []string{}
	if h.wants(4) {
		args = append(args, "-big-rows", strconv.Itoa(h.cfg.rows))
	}
	if h.wants(6) {
		args = append(args, "-extra-reports", strconv.Itoa(h.cfg.reports))
	}
	h.progress("starting the emulator %v", args)
	c, err := startChild("emulator", args, h.childLog(), &h.infoA)
	if err != nil {
		return h.infoA, err
	}
	h.emuA = c
	return h.infoA, nil
}

// coldPool is how many distinct reports scenario 2 cycles through.
func (h *harness) coldPool() int { return max(4*h.cfg.coldC, 200) }

// emulatorB starts (once) the emulator with -latency.
func (h *harness) emulatorB() (emulatorInfo, error) {
	if h.emuB != nil {
		return h.infoB, nil
	}
	args := []string{"-latency", h.cfg.latency.String(), "-extra-reports", strconv.Itoa(h.coldPool())}
	h.progress("starting the emulator %v", args)
	c, err := startChild("emulator", args, h.childLog(), &h.infoB)
	if err != nil {
		return h.infoB, err
	}
	h.emuB = c
	return h.infoB, nil
}

// emulatorC starts (once) the emulator of scenario 7: no latency, the
// demo workspace plus -generated spaces of generated reports, nothing else
// (scenario 6's extra reports would add to the workspace's count).
func (h *harness) emulatorC() (emulatorInfo, error) {
	if h.emuC != nil {
		return h.infoC, nil
	}
	args := []string{"-generated", h.cfg.generated.String()}
	h.progress("starting the emulator %v", args)
	c, err := startChild("emulator", args, h.childLog(), &h.infoC)
	if err != nil {
		return h.infoC, err
	}
	h.emuC = c
	return h.infoC, nil
}

func (h *harness) wants(s int) bool {
	for _, x := range h.cfg.scenarios {
		if x == s {
			return true
		}
	}
	return false
}

// server is a running server process.
type server struct {
	*child
	url string
}

// startServer starts a server process on emu; ceilingReport, when set,
// names the report whose GetReport answer the ceiling handler returns;
// extra are more flags of the server role.
func (h *harness) startServer(emu emulatorInfo, ceilingReport string, extra ...string) (*server, error) {
	args := []string{"-upstream", emu.URL, "-token", emu.Token, "-secret", emu.Secret,
		"-cache-mb", strconv.Itoa(h.cfg.cacheMB), "-telemetry=" + strconv.FormatBool(h.cfg.telemetry)}
	args = append(args, extra...)
	if ceilingReport != "" {
		args = append(args, "-ceiling-report", ceilingReport)
	}
	if h.cfg.verbose {
		args = append(args, "-v")
	}
	if h.cfg.traces != "" {
		args = append(args, "-traces", absPath(h.cfg.traces))
	}
	var info serverInfo
	c, err := startChild("server", args, h.childLog(), &info)
	if err != nil {
		return nil, err
	}
	return &server{child: c, url: info.URL}, nil
}

// measure runs fn as one measured block of the server: the server samples
// itself from begin to end (and profiles the block when asked; label names
// the profile files).
func (h *harness) measure(ctx context.Context, srv *server, label string, profile bool, fn func() block) (block, error) {
	q := url.Values{}
	if profile && h.cfg.cpuProf != "" {
		q.Set("cpuprofile", absPath(h.cfg.cpuProf+"-"+label+".pprof"))
	}
	if profile && h.cfg.memProf != "" {
		q.Set("memprofile", absPath(h.cfg.memProf+"-"+label+".pprof"))
	}
	if err := h.control(ctx, srv.url+beginPath+"?"+q.Encode(), nil); err != nil {
		return block{}, fmt.Errorf("begin %s: %w", label, err)
	}
	b := fn()
	var st blockStats
	if err := h.control(ctx, srv.url+endPath, &st); err != nil {
		return b, fmt.Errorf("end %s: %w", label, err)
	}
	b.stats = &st
	return b, nil
}

func absPath(p string) string {
	if wd, err := os.Getwd(); err == nil && !strings.HasPrefix(p, "/") {
		return wd + "/" + p
	}
	return p
}

// control POSTs to a server control endpoint and decodes its answer into out.
func (h *harness) control(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := h.h2c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// protocolOptions are the connect-go client options of a protocol.
func protocolOptions(p string) []connect.ClientOption {
	if p == "grpc" {
		return []connect.ClientOption{connect.WithGRPC()}
	}
	return nil
}

func (h *harness) reportClient(srv *server, protocol string) modeplatformv1connect.ReportServiceClient {
	return modeplatformv1connect.NewReportServiceClient(h.h2c, srv.url, protocolOptions(protocol)...)
}

// restGet GETs an emulator path with the emulator's credentials and hands
// the body to body (nil: read and discarded, as a caller would read it).
func (h *harness) restGet(ctx context.Context, emu emulatorInfo, path string, body func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, emu.URL+path, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(emu.Token, emu.Secret)
	accept := "application/hal+json"
	if strings.HasSuffix(path, ".csv") {
		accept = "text/csv"
	}
	req.Header.Set("Accept", accept)
	resp, err := h.rest.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if body == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return body(resp.Body)
}

// upstreamCount asks the emulator how many requests it received with
// method under pathPrefix.
func (h *harness) upstreamCount(ctx context.Context, emu emulatorInfo, method, pathPrefix string) (int, error) {
	q := url.Values{"method": {method}, "prefix": {pathPrefix}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, emu.URL+countPath+"?"+q.Encode(), nil)
	if err != nil {
		return 0, err
	}
	resp, err := h.rest.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// runAll runs the chosen scenarios in order and returns the report, with
// what was measured so far when one fails.
func (h *harness) runAll(ctx context.Context) (*report, error) {
	h.clients()
	rep := &report{Command: "modebench " + strings.Join(os.Args[1:], " "), Started: time.Now(), Machine: thisMachine()}
	if h.cfg.telemetry && slices.ContainsFunc(h.cfg.scenarios, func(s int) bool { return s <= 7 }) {
		rep.Notes = append(rep.Notes, "scenarios 1 to 7: the server is instrumented as cmd/modeplatform is (OpenTelemetry tracing without an exporter, metrics, a JSON access log formatted and discarded); -telemetry=false measures without")
	}
	rep.Notes = append(rep.Notes,
		"allocs/req, srv CPU/req, srv peak RSS and srv peak heap are the server process's (scenario 8: srv CPU/req only, from /proc; its own MemStats.Mallocs delta, rusage, VmHWM or sampled VmRSS, and HeapInuse sampled every 5 ms over the measured blocks); the emulator runs in its own process, the client in this one",
		"every ratio compares figures measured in this run, on this machine, alternating baseline and target blocks: on a shared machine the absolute figures drift, the ratios hold")
	var errs []error
	for _, s := range h.cfg.scenarios {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		h.progress("scenario %d", s)
		var rows []*result
		var notes []string
		var err error
		switch s {
		case 1:
			rows, notes, err = h.scenarioHit(ctx)
		case 2:
			rows, notes, err = h.scenarioCold(ctx)
		case 3:
			rows, notes, err = h.scenarioCoalesce(ctx)
		case 4:
			rows, notes, err = h.scenarioStream(ctx)
		case 5:
			rows, notes, err = h.scenarioCache(ctx)
		case 6:
			rows, notes, err = h.scenarioList(ctx)
		case 7:
			rows, notes, err = h.scenarioInventory(ctx)
		case 8:
			rows, notes, err = h.scenarioOutside(ctx)
		case 9:
			rows, notes, err = h.scenarioMixed(ctx)
		}
		rep.Results = append(rep.Results, rows...)
		rep.Notes = append(rep.Notes, notes...)
		if err != nil {
			errs = append(errs, fmt.Errorf("scenario %d: %w", s, err))
		}
	}
	rep.Seconds = time.Since(rep.Started).Seconds()
	return rep, errors.Join(errs...)
}
