package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
)

// loadBlock is one timed block of load from a driver: how many calls
// completed, how many were verified successes, what the others were, and
// the latencies.
type loadBlock struct {
	requests int            // completed calls
	ok       int            // verified successes
	failures map[string]int // the other calls, by kind ("HTTP 429", "resource_exhausted", "socket read errors", …)
	elapsed  time.Duration
	// lat is the latency distribution: every call's latency (connect-go,
	// h2load) or wrk's 1,000 quantiles (0.1%, 0.2%, … 100%) of the block.
	lat    []time.Duration
	cpu    float64 // the server process's CPU seconds over the block; < 0: unknown
	detail string  // the driver's command line
}

func (b *loadBlock) fail(kind string, n int) {
	if n <= 0 {
		return
	}
	if b.failures == nil {
		b.failures = map[string]int{}
	}
	b.failures[kind] += n
}

// errs is the number of calls that failed.
func (b loadBlock) errs() int {
	n := 0
	for _, v := range b.failures {
		n += v
	}
	return n
}

// failureText lists the failures, most frequent first.
func (b loadBlock) failureText() string {
	if len(b.failures) == 0 {
		return ""
	}
	kinds := make([]string, 0, len(b.failures))
	for k := range b.failures {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return b.failures[kinds[i]] > b.failures[kinds[j]] })
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", b.failures[k], k)
	}
	return strings.Join(parts, ", ")
}

// mergeLoad adds up the rounds of one driver on one server: counts and
// times summed, latencies pooled.
func mergeLoad(blocks ...loadBlock) loadBlock {
	var out loadBlock
	for _, b := range blocks {
		out.requests += b.requests
		out.ok += b.ok
		for k, v := range b.failures {
			out.fail(k, v)
		}
		out.elapsed += b.elapsed
		out.lat = append(out.lat, b.lat...)
		if b.cpu < 0 || out.cpu < 0 {
			out.cpu = -1
		} else {
			out.cpu += b.cpu
		}
		if out.detail == "" {
			out.detail = b.detail
		}
	}
	return out
}

// asBlock converts to the table's block: rps counts verified successes
// only (errors are no throughput).
func (b loadBlock) asBlock() block {
	out := block{lat: b.lat, errs: b.errs(), elapsed: b.elapsed}
	if b.errs() > 0 {
		out.firstErr = errors.New(b.failureText())
	}
	return out
}

// okRPS is verified successes per second.
func (b loadBlock) okRPS() float64 {
	if b.elapsed <= 0 {
		return 0
	}
	return float64(b.ok) / b.elapsed.Seconds()
}

// driveFor calls fn from c workers, each making its next call as soon as
// the previous one returned, for d; each call gets its own deadline.
func driveFor(ctx context.Context, d time.Duration, c int, fn func(context.Context) error) loadBlock {
	var mu sync.Mutex
	var b loadBlock
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for range c {
		wg.Go(func() {
			var lat []time.Duration
			fails := map[string]int{}
			ok := 0
			for time.Now().Before(end) && ctx.Err() == nil {
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				t0 := time.Now()
				err := fn(cctx)
				lat = append(lat, time.Since(t0))
				cancel()
				if err != nil {
					fails[connect.CodeOf(err).String()]++
				} else {
					ok++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			b.lat = append(b.lat, lat...)
			b.ok += ok
			for k, v := range fails {
				b.fail(k, v)
			}
		})
	}
	wg.Wait()
	b.elapsed = time.Since(start)
	b.requests = len(b.lat)
	return b
}

// ensureTools installs the Debian packages of the external drivers when
// their commands are missing (scripts/ensure-apt.sh, found by walking up
// from the working directory), and says so.
func (h *harness) ensureTools(cmds map[string]string) error {
	var missing []string
	for cmd, pkg := range cmds {
		if _, err := exec.LookPath(cmd); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	script, err := findUp("scripts/ensure-apt.sh")
	if err != nil {
		return fmt.Errorf("%s missing, and no scripts/ensure-apt.sh to install them (run modebench inside the repository, or apt-get install %s)",
			strings.Join(missing, ", "), strings.Join(missing, " "))
	}
	fmt.Fprintf(h.childLog(), "modebench: installing the load generators' Debian packages %s (%s)\n", strings.Join(missing, ", "), script)
	cmd := exec.Command(script, missing...)
	cmd.Stdout, cmd.Stderr = h.childLog(), h.childLog()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", script, strings.Join(missing, " "), err)
	}
	for c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s still missing after installing %s", c, strings.Join(missing, " "))
		}
	}
	return nil
}

// findUp looks for rel in the working directory and its parents.
func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// wrkScript is the Lua script of the wrk driver: Connect's unary JSON over
// HTTP/1.1 (POST, Content-Type application/json, the request as JSON). It
// counts the responses by HTTP status (a Connect error is a non-200 status:
// resource_exhausted is 429), counts 200s whose body lacks want (the
// report's name, which every real answer holds), and prints, at the end,
// one line "MODEBENCH {json}": the counts, wrk's summary and 1,000
// quantiles of the latency, in microseconds.
const wrkScript = `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = %q
local want = %q
statuses = {}
bad = 0
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 and not string.find(body, want, 1, true) then bad = bad + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local st, b = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do st[k] = (st[k] or 0) + v end
    b = b + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format('MODEBENCH {"requests":%%d,"duration_us":%%d,"bytes":%%d,"bad_body":%%d,"errors":{"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d},"statuses":{',
    summary.requests, summary.duration, summary.bytes, b, e.connect, e.read, e.write, e.status, e.timeout))
  local first = true
  for k, v in pairs(st) do
    if not first then io.write(",") end
    first = false
    io.write(string.format('"%%d":%%d', k, v))
  end
  io.write('},"latency_us":[')
  for i = 1, 1000 do
    if i > 1 then io.write(",") end
    io.write(string.format("%%d", latency:percentile(i / 10)))
  end
  io.write("]}\n")
end
`

// wrkOut is the script's last line.
type wrkOut struct {
	Requests   int `json:"requests"`
	DurationUS int `json:"duration_us"`
	Bytes      int `json:"bytes"`
	BadBody    int `json:"bad_body"`
	Errors     struct {
		Connect, Read, Write, Status, Timeout int
	} `json:"errors"`
	Statuses  map[string]int `json:"statuses"`
	LatencyUS []int64        `json:"latency_us"`
}

// runWrk drives url with wrk for d: threads threads, conns connections,
// POSTing body (want: a substring of every real answer).
func (h *harness) runWrk(ctx context.Context, url, body, want string, d time.Duration, threads, conns int) (loadBlock, error) {
	dir, err := h.tempDir()
	if err != nil {
		return loadBlock{}, err
	}
	script := filepath.Join(dir, "getreport.lua")
	if err := os.WriteFile(script, fmt.Appendf(nil, wrkScript, body, want), 0o644); err != nil {
		return loadBlock{}, err
	}
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", durationArg(d), "--timeout", "30s", "-s", script, url}
	cmd := exec.CommandContext(ctx, "wrk", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return loadBlock{}, fmt.Errorf("wrk %s: %w: %s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	var out wrkOut
	found := false
	for _, line := range strings.Split(stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "MODEBENCH "); ok {
			if err := json.Unmarshal([]byte(rest), &out); err != nil {
				return loadBlock{}, fmt.Errorf("wrk: the script's summary: %w", err)
			}
			found = true
		}
	}
	if !found {
		return loadBlock{}, fmt.Errorf("wrk printed no summary: %s%s", stdout.String(), stderr.String())
	}
	b := loadBlock{requests: out.Requests, elapsed: time.Duration(out.DurationUS) * time.Microsecond,
		detail: "wrk " + strings.Join(args[:len(args)-3], " ")}
	for code, n := range out.Statuses {
		if code == "200" {
			b.ok += n
			continue
		}
		b.fail("HTTP "+code, n)
	}
	b.ok -= out.BadBody
	b.fail("200s without the report", out.BadBody)
	b.fail("socket connect errors", out.Errors.Connect)
	b.fail("socket read errors", out.Errors.Read)
	b.fail("socket write errors", out.Errors.Write)
	b.fail("timeouts", out.Errors.Timeout)
	if out.Requests > 0 {
		for _, us := range out.LatencyUS {
			b.lat = append(b.lat, time.Duration(us)*time.Microsecond)
		}
	}
	return b, nil
}

// durationArg spells d for wrk and h2load: whole seconds, at least 1.
func durationArg(d time.Duration) string {
	return strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second))) + "s"
}

// h2load's summary lines.
var (
	h2loadRequests = regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
	h2loadStatuses = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)
	h2loadTraffic  = regexp.MustCompile(`traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers.*?, .*?\((\d+)\) data`)
	h2loadFinished = regexp.MustCompile(`finished in ([0-9.]+)(s|ms|us), `)
)

// runH2load drives url with h2load for d: gRPC over h2c (prior knowledge),
// threads threads, conns connections of one stream each, POSTing the
// gRPC-framed body. h2load sees HTTP statuses only, and gRPC answers an
// error with status 200 and no message (grpc-status in the trailers), so a
// call counts as a success only when it carried a full answer: the DATA
// bytes received must be frameLen (the answer's 5-byte frame header and
// message) per 2xx; fewer are failures.
func (h *harness) runH2load(ctx context.Context, url string, body []byte, frameLen int, d time.Duration, threads, conns int) (loadBlock, error) {
	dir, err := h.tempDir()
	if err != nil {
		return loadBlock{}, err
	}
	data := filepath.Join(dir, "getreport.grpc")
	if err := os.WriteFile(data, body, 0o644); err != nil {
		return loadBlock{}, err
	}
	logFile := filepath.Join(dir, "h2load.log")
	_ = os.Remove(logFile)
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-m", "1", "-D", durationArg(d),
		"-d", data, "-H", "content-type: application/grpc", "-H", "te: trailers", "--log-file", logFile, url}
	cmd := exec.CommandContext(ctx, "h2load", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return loadBlock{}, fmt.Errorf("h2load %s: %w: %s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	text := stdout.String()
	rq, st, tr, fin := h2loadRequests.FindStringSubmatch(text), h2loadStatuses.FindStringSubmatch(text),
		h2loadTraffic.FindStringSubmatch(text), h2loadFinished.FindStringSubmatch(text)
	if rq == nil || st == nil || tr == nil || fin == nil {
		return loadBlock{}, fmt.Errorf("h2load: unexpected output:\n%s%s", text, stderr.String())
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	done, errored, timeouts := atoi(rq[3]), atoi(rq[6]), atoi(rq[7])
	s3xx, s4xx, s5xx := atoi(st[2]), atoi(st[3]), atoi(st[4])
	dataBytes := atoi(tr[3])
	secs, _ := strconv.ParseFloat(fin[1], 64)
	switch fin[2] {
	case "ms":
		secs /= 1e3
	case "us":
		secs /= 1e6
	}
	b := loadBlock{requests: done, elapsed: time.Duration(secs * float64(time.Second)),
		detail: "h2load " + strings.Join(args[:6], " ") + " -D " + durationArg(d)}
	// The status counts include answers whose headers came but which did
	// not end before -D stopped h2load, and the DATA bytes may include
	// theirs: only "done" calls count, and of those, no more than the full
	// answers received.
	b.fail("HTTP 3xx", s3xx)
	b.fail("HTTP 4xx", s4xx)
	b.fail("HTTP 5xx", s5xx)
	// h2load's "errored" holds "timeout": the network's failures (resets,
	// closed connections).
	b.fail("stream errors", errored-timeouts)
	b.fail("timeouts", timeouts)
	answered := max(0, done-s3xx-s4xx-s5xx-errored)
	b.ok = min(answered, dataBytes/frameLen)
	b.fail("2xx without a full answer (a gRPC error)", answered-b.ok)
	lat, err := readH2loadLog(logFile)
	if err != nil {
		return loadBlock{}, err
	}
	b.lat = lat
	return b, nil
}

// readH2loadLog reads --log-file's third column: microseconds until the end
// of each response.
func readH2loadLog(path string) ([]time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("h2load log: %w", err)
	}
	defer f.Close()
	var out []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 {
			continue
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("h2load log line %q: %w", sc.Text(), err)
		}
		out = append(out, time.Duration(us)*time.Microsecond)
	}
	return out, sc.Err()
}
