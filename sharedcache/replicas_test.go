package sharedcache_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/syncbuf"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

// server is one modeplatform process of the built binary.
type server struct {
	cmd   *exec.Cmd
	api   string // http://127.0.0.1:port
	admin string
	logs  *syncbuf.Buffer
	done  chan struct{}
}

// buildServer builds the binary with scripts/build.sh, the Dockerfile's build.
func buildServer(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..")
	bin := filepath.Join(t.TempDir(), "modeplatform")
	cmd := exec.Command(filepath.Join(root, "scripts", "build.sh"), bin)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-replicas")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build.sh: %v\n%s", err, out)
	}
	return bin
}

// startServer runs the binary with env and waits for its listeners' addresses in its log.
func startServer(t *testing.T, bin string, env []string) *server {
	t.Helper()
	s := &server{logs: &syncbuf.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin)
	s.cmd.Env = append([]string{"HOME=" + t.TempDir(), "LISTEN_ADDR=127.0.0.1:0", "ADMIN_ADDR=127.0.0.1:0", "LOG_FORMAT=json"}, env...)
	s.cmd.Stdout = io.Discard
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan [2]string, 1)
	go func() {
		var api, admin string
		sent := false
		sc := bufio.NewScanner(io.TeeReader(stderr, s.logs))
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			switch rec.Msg {
			case "modeplatform listening":
				api = rec.Addr
			case "admin listening":
				admin = rec.Addr
			}
			if api != "" && admin != "" && !sent {
				addrs <- [2]string{api, admin}
				sent = true
			}
		}
		_, _ = io.Copy(s.logs, stderr)
	}()
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(time.Minute):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("server %s log:\n%s", s.api, tail(s.logs.String(), 40))
		}
	})
	select {
	case a := <-addrs:
		s.api, s.admin = "http://"+a[0], "http://"+a[1]
	case <-s.done:
		t.Fatalf("modeplatform exited at start:\n%s", s.logs.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("modeplatform did not report its listeners:\n%s", s.logs.String())
	}
	return s
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// call makes one Connect unary call with a JSON body and decodes the answer.
func call(ctx context.Context, hc *http.Client, base, procedure string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+procedure, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", procedure, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

type report struct {
	Report struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"report"`
}

func getReport(ctx context.Context, hc *http.Client, base, name string) (report, error) {
	var r report
	err := call(ctx, hc, base, "modeplatform.v1.ReportService/GetReport", map[string]string{"name": name}, &r)
	return r, err
}

// TestThreeReplicas runs three modeplatform processes of the release binary on one Redis and one
// emulator (with latency, so cold misses overlap): they make one upstream request between them
// for 300 concurrent identical cold requests, a write through one is seen fresh through the
// others, one request_id makes one run whichever replicas its retries reach, a Redis restart
// under writes leaves no read staler than the documented bound, and requests keep succeeding
// when Redis is killed mid-run (creates with a request_id excepted: they fail closed).
func TestThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs three processes")
	}
	rs := redistest.Start(t)
	emu := modetest.NewServer(t, modetest.WithLatency(100*time.Millisecond), modetest.WithRateLimit(0, time.Second))
	bin := buildServer(t)
	env := []string{
		"MODE_BASE_URL=" + emu.URL, "MODE_API_TOKEN=" + emu.Token, "MODE_API_SECRET=" + emu.Secret,
		"REDIS_URL=" + rs.URL,
		// The emulator has no rate limit here; let the replicas' own limit toward Mode not slow
		// the Redis-down phase (where each replica fetches on its own).
		"MODE_RATE_LIMIT=1000", "MODE_RATE_BURST=1000", "MODE_CONCURRENCY=64",
		// All the test's calls come from one peer address: no per-caller limit.
		"CALLER_RATE_LIMIT=0",
	}
	var replicas []*server
	for range 3 {
		replicas = append(replicas, startServer(t, bin, env))
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: time.Minute}
	ctx := context.Background()
	demo := emu.Demo()
	name := func(token string) string { return "workspaces/" + demo.Workspace + "/reports/" + token }
	path := func(token string) string { return "/api/" + demo.Workspace + "/reports/" + token }

	t.Run("300 concurrent cold requests make one upstream request", func(t *testing.T) {
		emu.ResetRequests()
		const n = 300
		target := demo.Reports[0]
		var wg sync.WaitGroup
		var failed atomic.Int64
		descriptions := make([]string, n)
		for i := range n {
			wg.Go(func() {
				r, err := getReport(ctx, hc, replicas[i%len(replicas)].api, name(target))
				if err != nil {
					failed.Add(1)
					t.Errorf("request %d: %v", i, err)
					return
				}
				descriptions[i] = r.Report.Description
			})
		}
		wg.Wait()
		if got := emu.CountRequests("GET", path(target)); got != 1 || failed.Load() > 0 {
			t.Errorf("%d upstream GETs of the report for %d requests (%d failed), want 1", got, n, failed.Load())
			for _, r := range emu.Requests() {
				t.Logf("upstream: %s %s", r.Method, r.Path)
			}
		}
		for i, d := range descriptions {
			if d != descriptions[0] {
				t.Fatalf("request %d answered %q, request 0 %q", i, d, descriptions[0])
			}
		}
		// One replica fetched for all; the two others were answered through Redis (by waiting
		// on its lock, or from the entry it stored).
		var misses, shared int
		for _, r := range replicas {
			m := metrics(t, hc, r.admin)
			misses += metricInt(m, "modeplatform_sharedcache_misses_total")
			shared += metricInt(m, "modeplatform_sharedcache_hits_total") + metricInt(m, "modeplatform_sharedcache_waits_total")
		}
		if misses != 1 || shared < len(replicas)-1 {
			t.Errorf("shared cache: %d replicas fetched (want 1), %d answered through Redis (want >= %d)", misses, shared, len(replicas)-1)
		}
	})

	t.Run("a write through one replica is seen fresh through the others", func(t *testing.T) {
		target := demo.Reports[0]
		for i := range 3 { // three writes, each through another replica
			writer := replicas[i]
			desc := fmt.Sprintf("changed through replica %d", i)
			var updated report
			if err := call(ctx, hc, writer.api, "modeplatform.v1.ReportService/UpdateReport", map[string]any{
				"report":     map[string]string{"name": name(target), "description": desc},
				"updateMask": "description",
			}, &updated); err != nil {
				t.Fatalf("UpdateReport through replica %d: %v", i, err)
			}
			for j, r := range replicas {
				got, err := getReport(ctx, hc, r.api, name(target))
				if err != nil {
					t.Fatalf("GetReport through replica %d: %v", j, err)
				}
				if got.Report.Description != desc {
					t.Errorf("after the write through replica %d, replica %d answered %q, want %q", i, j, got.Report.Description, desc)
				}
			}
		}
	})

	t.Run("one request_id through three replicas makes one run", func(t *testing.T) {
		target := demo.Reports[1]
		runs := path(target) + "/runs"
		run := func(r *server, id string) (string, error) {
			var out struct {
				Run struct {
					Name string `json:"name"`
				} `json:"run"`
			}
			err := call(ctx, hc, r.api, "modeplatform.v1.ReportService/RunReport", map[string]string{"name": name(target), "requestId": id}, &out)
			return out.Run.Name, err
		}
		emu.ResetRequests()
		var first string
		for i, r := range replicas { // a retry reaching each replica in turn
			got, err := run(r, "sequential-retry")
			if err != nil {
				t.Fatalf("RunReport through replica %d: %v", i, err)
			}
			if i == 0 {
				first = got
			} else if got != first {
				t.Errorf("replica %d answered run %q, replica 0 %q", i, got, first)
			}
		}
		if got := emu.CountRequests("POST", runs); got != 1 {
			t.Errorf("%d runs started upstream for one request_id sent to each replica in turn, want 1", got)
		}

		emu.ResetRequests()
		const n = 30
		names := make([]string, n)
		var wg sync.WaitGroup
		for i := range n { // duplicates arriving at once, on every replica
			wg.Go(func() {
				got, err := run(replicas[i%len(replicas)], "concurrent-retry")
				if err != nil {
					t.Errorf("RunReport %d: %v", i, err)
				}
				names[i] = got
			})
		}
		wg.Wait()
		if got := emu.CountRequests("POST", runs); got != 1 {
			t.Errorf("%d runs started upstream for %d concurrent requests with one request_id, want 1", got, n)
		}
		for i, nm := range names {
			if nm != names[0] || nm == "" {
				t.Errorf("request %d answered run %q, request 0 %q", i, nm, names[0])
			}
		}
	})

	t.Run("Redis restarted under writes: no read staler than the documented bound", func(t *testing.T) {
		checkRestartUnderWrites(t, hc, rs, replicas, name(demo.Reports[2]), name(demo.Reports[3]))
	})

	t.Run("Redis killed mid-run: requests still succeed", func(t *testing.T) {
		const workers, each = 12, 25
		var done, failed atomic.Int64
		killed := make(chan struct{})
		var killOnce sync.Once
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					token := demo.Reports[(w+i)%len(demo.Reports)]
					r := replicas[(w+i)%len(replicas)]
					if _, err := getReport(ctx, hc, r.api, name(token)); err != nil {
						failed.Add(1)
						t.Errorf("worker %d request %d through %s: %v", w, i, r.api, err)
					}
					if done.Add(1) == workers*each/3 {
						killOnce.Do(func() { rs.Kill(); close(killed) })
					}
				}
			})
		}
		wg.Wait()
		select {
		case <-killed:
		default:
			t.Fatal("Redis was never killed")
		}
		if failed.Load() > 0 {
			t.Errorf("%d of %d requests failed with Redis killed mid-run", failed.Load(), workers*each)
		}
		// After the outage the replicas still answer a cold key, and say Redis is down.
		for i, r := range replicas {
			if _, err := getReport(ctx, hc, r.api, name(demo.Reports[len(demo.Reports)-1])); err != nil {
				t.Errorf("replica %d after the kill: %v", i, err)
			}
		}
		down := 0
		for _, r := range replicas {
			if m := metrics(t, hc, r.admin); strings.Contains(m, "modeplatform_sharedcache_up") && metricValue(m, "modeplatform_sharedcache_up") == "0" {
				down++
			}
			if !strings.Contains(r.logs.String(), "Redis is unreachable") {
				t.Errorf("replica %s did not log the outage", r.api)
			}
		}
		if down == 0 {
			t.Error("no replica reports modeplatform_sharedcache_up 0 in /metrics after the kill")
		}

		// Creates with a request_id fail closed (no replica can tell whether another made it);
		// without one they are served.
		target := demo.Reports[4]
		emu.ResetRequests()
		for i, r := range replicas {
			var out map[string]any
			err := call(ctx, hc, r.api, "modeplatform.v1.ReportService/RunReport", map[string]string{"name": name(target), "requestId": "during-the-outage"}, &out)
			if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "retry with the same request_id") {
				t.Errorf("RunReport with a request_id through replica %d, Redis down: %v; want 503 Unavailable asking to retry", i, err)
			}
		}
		if got := emu.CountRequests("POST", path(target)+"/runs"); got != 0 {
			t.Errorf("%d runs started upstream for creates refused with Redis down, want 0", got)
		}
		var out map[string]any
		if err := call(ctx, hc, replicas[0].api, "modeplatform.v1.ReportService/RunReport", map[string]string{"name": name(target)}, &out); err != nil {
			t.Errorf("RunReport without a request_id, Redis down: %v", err)
		}
	})
}

// metrics fetches a replica's /metrics.
func metrics(t *testing.T, hc *http.Client, admin string) string {
	t.Helper()
	resp, err := hc.Get(admin + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metricInt is metricValue as an integer (0 when absent).
func metricInt(text, name string) int {
	n, _ := strconv.Atoi(metricValue(text, name))
	return n
}

// metricValue returns the value of the first sample of a metric family in Prometheus text.
func metricValue(text, name string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+"{") {
			f := strings.Fields(line)
			return f[len(f)-1]
		}
	}
	return ""
}

// Bounds of a stale read, as deploy/README.md (Scale out) documents them: while Redis is down a
// replica may answer a value a write through another replica replaced, for at most the metadata
// TTL after that write (plus a fetch in flight); once Redis is back every replica drops its local
// cache and replays its missed invalidations, within RetryAfter (1 s) and the subscription's
// retry (at most 2 s) of the reconnection.
const (
	staleBoundDown      = 30*time.Second + 5*time.Second // metadata TTL, and a fetch in flight under -race
	staleBoundRecovered = 2 * time.Second                // a replay's acknowledgement wait (0.5 s), and slack
)

// write is one UpdateReport of a sequential writer: its value and when it returned.
type write struct {
	value    string
	returned time.Time
}

// observed is one GetReport: when it began, and what it answered.
type observed struct {
	report string
	start  time.Time
	value  string
}

// checkRestartUnderWrites runs one sequential writer per report (UpdateReport, each through
// its own replica; the first report's writer stops when Redis restarts) and readers on every
// replica, kills Redis, restarts it, and checks every
// read against the writes that had returned when it began: a stale read (an older value than
// the last returned write) must not be older than staleBoundDown, and, once every replica
// reports Redis back and has purged its cache, not older than staleBoundRecovered.
func checkRestartUnderWrites(t *testing.T, hc *http.Client, rs *redistest.Server, replicas []*server, reports ...string) {
	ctx := context.Background()
	basePurges := make([]int, len(replicas))
	for i, r := range replicas {
		basePurges[i] = metricInt(metrics(t, hc, r.admin), "modeplatform_sharedcache_purges_total")
	}
	var mu sync.Mutex
	writes := map[string][]write{}
	var reads []observed
	stop := make(chan struct{})
	// The first report is written no more once Redis restarts: only the reconnection (purge,
	// replay) can tell the other replicas of its writes during the outage, no later write can.
	calm := make(chan struct{})
	var wg sync.WaitGroup
	for wi, rep := range reports {
		wg.Go(func() {
			for i := 0; ; i++ {
				var last <-chan struct{}
				if wi == 0 {
					last = calm
				}
				select {
				case <-stop:
					return
				case <-last:
					return
				default:
				}
				v := fmt.Sprintf("w%d-%d", wi, i)
				var out report
				// Each report is written through one replica: the others learn of its writes only
				// through Redis.
				if err := call(ctx, hc, replicas[wi%len(replicas)].api, "modeplatform.v1.ReportService/UpdateReport", map[string]any{
					"report": map[string]string{"name": rep, "description": v}, "updateMask": "description",
				}, &out); err != nil {
					t.Errorf("UpdateReport %s: %v", v, err)
					return
				}
				mu.Lock()
				writes[rep] = append(writes[rep], write{v, time.Now()})
				mu.Unlock()
			}
		})
	}
	for ri := range 2 * len(replicas) {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rep := reports[(ri+i)%len(reports)]
				start := time.Now()
				got, err := getReport(ctx, hc, replicas[ri%len(replicas)].api, rep)
				if err != nil {
					t.Errorf("GetReport %s: %v", rep, err)
					return
				}
				mu.Lock()
				reads = append(reads, observed{rep, start, got.Report.Description})
				mu.Unlock()
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(writes[reports[len(reports)-1]]) }
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute) // a hang guard, not a timing assertion
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitUntil("writes before the outage", func() bool { return count() >= 10 })
	rs.Kill()
	killedAt := count()
	waitUntil("writes during the outage", func() bool { return count() >= killedAt+10 })
	close(calm)
	rs.Restart()
	restartedAt := count()
	waitUntil("every replica back on Redis, its cache purged", func() bool {
		for i, r := range replicas {
			m := metrics(t, hc, r.admin)
			if metricValue(m, "modeplatform_sharedcache_up") != "1" || metricInt(m, "modeplatform_sharedcache_purges_total") <= basePurges[i] {
				return false
			}
		}
		return true
	})
	recovered := time.Now()
	waitUntil("writes after the recovery", func() bool { return count() >= restartedAt+50 })
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	var stale, staleAfter int
	var worst time.Duration
	for _, rd := range reads {
		ws := writes[rd.report]
		// The last write that had returned when the read began, and the one that replaced the
		// value the read answered.
		last := -1
		for k, w := range ws {
			if w.returned.Before(rd.start) {
				last = k
			}
		}
		seen := -1 // the seeded description: older than every write
		for k, w := range ws {
			if w.value == rd.value {
				seen = k
			}
		}
		if seen >= last {
			continue // fresh, or a write still in progress
		}
		age := rd.start.Sub(ws[seen+1].returned)
		stale++
		worst = max(worst, age)
		if age > staleBoundDown {
			t.Errorf("read of %s at %s answered %q, replaced %s before: beyond the documented bound %s",
				rd.report, rd.start.Format(time.StampMilli), rd.value, age, staleBoundDown)
		}
		if rd.start.After(recovered) {
			staleAfter++
			if age > staleBoundRecovered {
				t.Errorf("read of %s at %s, after every replica was back on Redis, answered %q, replaced %s before: beyond %s",
					rd.report, rd.start.Format(time.StampMilli), rd.value, age, staleBoundRecovered)
			}
		}
	}
	t.Logf("%d and %d writes, %d reads: %d stale (worst %s), %d of them after the recovery",
		len(writes[reports[0]]), len(writes[reports[len(reports)-1]]), len(reads), stale, worst, staleAfter)
	replayed := 0
	for _, r := range replicas {
		replayed += metricInt(metrics(t, hc, r.admin), "modeplatform_sharedcache_invalidations_replayed_total")
	}
	if replayed == 0 {
		t.Error("no replica replayed the invalidations of the writes made while Redis was down")
	}
}
