package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// modeplatformPkg is the server command scenarios 8 and 9 build and run as
// it ships: its own flags, defaults, telemetry, guards and HTTP server.
const modeplatformPkg = "github.com/modeplatform/modeplatform/cmd/modeplatform"

// serverSettingsEnv are the environment variables cmd/modeplatform reads
// (its settings table, and OpenTelemetry's): the harness's own environment
// never passes them to the server, so its settings are the defaults plus
// what the harness sets, and nothing else.
var serverSettingsEnv = []string{
	"MODE_BASE_URL", "MODE_API_TOKEN", "MODE_API_SECRET", "MODE_WORKSPACE", "LISTEN_ADDR", "ADMIN_ADDR",
	"CORS_ORIGINS", "CACHE_ENTRIES", "CACHE_BYTES", "SHUTDOWN_GRACE", "UNARY_TIMEOUT", "CREATE_TIMEOUT",
	"MODE_RESPONSE_HEADER_TIMEOUT", "LOG_LEVEL", "LOG_FORMAT", "POLICY_FILE", "MODE_CREDENTIALS_FILE",
	"TLS_CERT", "TLS_KEY", "TLS_CLIENT_CA", "MODE_RATE_LIMIT", "MODE_RATE_BURST", "MODE_CONCURRENCY",
	"MODE_BREAKER_FAILURES", "MODE_BREAKER_OPEN", "CALLER_RATE_LIMIT", "CALLER_RATE_BURST", "CALLER_STREAMS",
	"REDIS_URL", "MODE_STREAMS", "STREAM_IDLE_TIMEOUT", "STREAM_MAX_LIFETIME", "RESULT_MAX_ROW_BYTES",
	"RESULT_MAX_VALUE_BYTES",
}

// platformBinary returns the cmd/modeplatform binary: -modeplatform, or one
// built now (once per run) with the go command into the harness's
// temporary directory.
func (h *harness) platformBinary() (string, error) {
	if h.cfg.modeplatform != "" {
		return h.cfg.modeplatform, nil
	}
	if h.platformBin != "" {
		return h.platformBin, nil
	}
	dir, err := h.tempDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "modeplatform")
	fmt.Fprintf(h.childLog(), "modebench: building %s (go build; -modeplatform FILE uses a binary instead)\n", modeplatformPkg)
	cmd := exec.Command("go", "build", "-o", bin, modeplatformPkg)
	cmd.Stdout, cmd.Stderr = h.childLog(), h.childLog()
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s (run modebench inside the module, or give -modeplatform): %w", modeplatformPkg, err)
	}
	h.platformBin = bin
	return bin, nil
}

// tempDir is the harness's scratch directory, removed by close.
func (h *harness) tempDir() (string, error) {
	if h.tmp != "" {
		return h.tmp, nil
	}
	dir, err := os.MkdirTemp("", "modebench-")
	if err != nil {
		return "", err
	}
	h.tmp = dir
	return dir, nil
}

// platform is a running cmd/modeplatform process.
type platform struct {
	cmd       *exec.Cmd
	url       string // the API, http://host:port
	adminURL  string // /metrics and /debug/pprof/
	flags     []string
	done      chan error
	stopOnce  sync.Once
	stopErr   error
	mu        sync.Mutex
	problems  []string // its first warnings and errors, for the report
	problemsN int
}

// platformOptions are what a scenario sets on the server beyond its
// defaults.
type platformOptions struct {
	emu    emulatorInfo
	env    map[string]string // more environment (OTLP endpoint, …)
	flags  []string          // more flags (--policy, …); -server-flag's come after
	shared bool              // true: the harness's -server-flag flags apply
}

// startPlatform starts cmd/modeplatform on a loopback port against emu,
// with its default settings except the listen addresses, the Mode
// credentials and what opts add. Its log (JSON on stderr, the access log
// included, as it ships) is read and discarded, but for the listen lines,
// and warnings and errors, which -v shows.
func (h *harness) startPlatform(opts platformOptions) (*platform, error) {
	bin, err := h.platformBinary()
	if err != nil {
		return nil, err
	}
	flags := []string{"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}
	flags = append(flags, opts.flags...)
	if opts.shared {
		flags = append(flags, h.cfg.serverFlags...)
	}
	cmd := exec.Command(bin, flags...)
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "OTEL_") || slices.Contains(serverSettingsEnv, k) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "MODE_BASE_URL="+opts.emu.URL, "MODE_API_TOKEN="+opts.emu.Token, "MODE_API_SECRET="+opts.emu.Secret,
		"MODE_WORKSPACE="+opts.emu.Demo.Workspace)
	for k, v := range opts.env {
		env = append(env, k+"="+v)
	}
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &platform{cmd: cmd, flags: flags, done: make(chan error, 1)}
	type listening struct{ api, admin string }
	ready := make(chan listening, 1)
	go func() {
		var l listening
		sent := false
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !sent {
				var rec struct {
					Msg  string `json:"msg"`
					Addr string `json:"addr"`
				}
				if json.Unmarshal(line, &rec) == nil {
					switch rec.Msg {
					case "modeplatform listening":
						l.api = rec.Addr
					case "admin listening":
						l.admin = rec.Addr
					}
				}
				if l.api != "" && l.admin != "" {
					ready <- l
					sent = true
				}
			}
			p.note(line, h)
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.done <- cmd.Wait()
		if !sent {
			close(ready)
		}
	}()
	select {
	case l, ok := <-ready:
		if !ok {
			return nil, fmt.Errorf("%s exited before listening: %s", bin, strings.Join(p.firstProblems(), "; "))
		}
		p.url, p.adminURL = "http://"+l.api, "http://"+l.admin
	case <-time.After(2 * time.Minute):
		_ = p.stop()
		return nil, fmt.Errorf("%s did not listen within 2 minutes", bin)
	}
	return p, nil
}

// note keeps the server's first warnings and errors, and shows them with
// -v (the first maxShown; the rest are counted). Under load the access log
// writes a line per call: those at info level are skipped unparsed.
func (p *platform) note(line []byte, h *harness) {
	if len(line) > 0 && line[0] == '{' && !bytes.Contains(line, []byte(`"level":"WARN"`)) && !bytes.Contains(line, []byte(`"level":"ERROR"`)) {
		return
	}
	p.mu.Lock()
	p.problemsN++
	n := p.problemsN
	if len(p.problems) < 5 {
		p.problems = append(p.problems, string(line))
	}
	p.mu.Unlock()
	if h.cfg.verbose && n <= maxShown {
		fmt.Fprintf(h.childLog(), "modeplatform: %s\n", line)
		if n == maxShown {
			fmt.Fprintf(h.childLog(), "modeplatform: (further warnings and errors not shown)\n")
		}
	}
}

// maxShown is how many of the server's warnings and errors -v shows.
const maxShown = 20

func (p *platform) firstProblems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// pid is the server's process id.
func (p *platform) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM (a graceful shutdown: telemetry is flushed) and waits,
// killing the server when it takes more than 30 s. Only the first call
// stops; the others return its result.
func (p *platform) stop() error {
	if p == nil {
		return nil
	}
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			p.stopErr = err
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = errors.New("modeplatform did not stop within 30 s of SIGTERM: killed")
		}
	})
	return p.stopErr
}

// procCPU is a process's user+system CPU time so far, from /proc (Linux);
// ok is false elsewhere.
func procCPU(pid int) (seconds float64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(ut+st) / clockTicks, true
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100
