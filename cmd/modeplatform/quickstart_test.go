package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/syncbuf"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestQuickstart runs the README's quickstart against the built binary: `go run
// ./cmd/modeplatform` on a machine with no Mode credentials, then the curl call to GetWorkspace,
// then SIGTERM.
func TestQuickstart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)

	t.Run("DemoWithoutCredentials", func(t *testing.T) {
		p := startBinary(t, bin, nil)
		first := p.records(t)[0]
		if msg, _ := first["msg"].(string); !strings.Contains(msg, "no MODE_API_TOKEN") || !strings.Contains(msg, modetest.DemoWorkspace) {
			t.Errorf("first log line = %v, want the emulator notice", first)
		}

		// curl -s http://127.0.0.1:8080/modeplatform.v1.WorkspaceService/GetWorkspace \
		//   -H 'Content-Type: application/json' -d '{"name":"workspaces/parch_and_posey"}'
		code, body, _ := post(t, p.base+"/modeplatform.v1.WorkspaceService/GetWorkspace", `{"name":"workspaces/parch_and_posey"}`, nil)
		if code != http.StatusOK || !strings.Contains(body, `"workspaces/parch_and_posey"`) {
			t.Errorf("GetWorkspace: HTTP %d %s", code, body)
		}
		if got := healthStatus(t, p.base); got != "SERVING_STATUS_SERVING" {
			t.Errorf("health = %q", got)
		}

		p.terminate(t)
		if !hasRecord(p.records(t), "modeplatform stopped") {
			t.Errorf("no stop line in the log:\n%s", p.stderr())
		}
	})

	t.Run("SecretsNeverPrinted", func(t *testing.T) {
		const token, secret = "QSFAKETOKEN7c4e19", "QSFAKESECRETb2d85f0a61"
		mode := modetest.NewServer(t, modetest.WithCredentials(token, secret), modetest.WithRateLimit(0, 0))
		p := startBinary(t, bin, []string{
			"MODE_BASE_URL=" + mode.URL,
			"MODE_API_TOKEN=" + token,
			"MODE_API_SECRET=" + secret,
			"MODE_WORKSPACE=" + modetest.DemoWorkspace,
			"LOG_LEVEL=debug",
		})
		if p.records(t)[0]["msg"] == nil || strings.Contains(p.records(t)[0]["msg"].(string), "emulator") {
			t.Errorf("credentials given but the first log line is %v", p.records(t)[0])
		}

		// A call that uses the credentials, one that Mode refuses (404), and one whose upstream
		// fails (a 500 injected), so the error paths log too.
		code, body, _ := post(t, p.base+"/modeplatform.v1.WorkspaceService/GetWorkspace", `{"name":"workspaces/parch_and_posey"}`, nil)
		if code != http.StatusOK || !strings.Contains(body, `"workspaces/parch_and_posey"`) {
			t.Errorf("GetWorkspace with real credentials: HTTP %d %s", code, body)
		}
		if n := mode.CountRequests(http.MethodGet, "/api/"+modetest.DemoWorkspace); n == 0 {
			t.Error("the server never called Mode")
		}
		post(t, p.base+"/modeplatform.v1.WorkspaceService/GetWorkspace", `{"name":"workspaces/no_such_workspace"}`, nil)
		remove := mode.AddFault(modetest.Fault{Path: "/api/*/spaces", Status: http.StatusInternalServerError})
		post(t, p.base+"/modeplatform.v1.WorkspaceService/ListSpaces", `{"parent":"workspaces/parch_and_posey"}`, nil)
		remove()

		p.terminate(t)
		basic := base64.StdEncoding.EncodeToString([]byte(token + ":" + secret))
		out := p.stderr() + p.stdout.String()
		for _, s := range []string{token, secret, basic} {
			if strings.Contains(out, s) {
				t.Errorf("output contains %q:\n%s", s, out)
			}
		}
	})
}

// TestREADMECurlExamples replays the README quickstart's curl calls (those with a literal JSON
// body) against the demo server, so the demo names the README shows stay right.
func TestREADMECurlExamples(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## Quickstart")
	if start < 0 {
		t.Fatal("README has no Quickstart section")
	}
	section = section[start:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	calls := regexp.MustCompile(`curl -s http://127\.0\.0\.1:8080(/\S+) -H 'Content-Type: application/json' -d '([^']*)'`).
		FindAllStringSubmatch(section, -1)
	if len(calls) < 5 {
		t.Fatalf("found %d curl calls in the README quickstart, want at least 5", len(calls))
	}
	// The REST calls: plain GETs of a /v1/ route (the URL quoted when it has a query).
	gets := regexp.MustCompile(`(?m)^curl -s '?http://127\.0\.0\.1:8080(/v1/[^\s']+)'?$`).FindAllStringSubmatch(section, -1)
	if len(gets) == 0 {
		t.Fatal("found no REST call (curl -s http://127.0.0.1:8080/v1/…) in the README quickstart")
	}
	ts := startServer(t, nil, nil, hooks{})
	for _, c := range calls {
		path, body := c[1], c[2]
		code, answer, _ := post(t, ts.base+path, body, nil)
		if code != http.StatusOK {
			t.Errorf("README: POST %s %s: HTTP %d %s", path, body, code, answer)
		}
	}
	for _, g := range gets {
		ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.base+g[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("README: GET %s: %v", g[1], err)
		}
		var answer map[string]any
		decodeErr := json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusOK || decodeErr != nil || len(answer) == 0 {
			t.Errorf("README: GET %s: HTTP %d, a JSON object: %v (%v)", g[1], resp.StatusCode, answer, decodeErr)
		}
	}
}

// buildBinary builds ./cmd/modeplatform (this package) into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "modeplatform")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is the binary running with --listen 127.0.0.1:0.
type process struct {
	cmd     *exec.Cmd
	base    string
	stdout  *syncbuf.Buffer
	mu      sync.Mutex
	lines   []string
	scanned chan struct{} // closed when stderr reaches EOF
	waited  bool
}

// startBinary starts bin with an environment of only PATH, HOME and extraEnv, and waits for its
// listening line.
func startBinary(t *testing.T, bin string, extraEnv []string) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel) // kills the process if the test did not stop it
	cmd := exec.CommandContext(ctx, bin, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, extraEnv...)
	p := &process{cmd: cmd, stdout: &syncbuf.Buffer{}, scanned: make(chan struct{})}
	cmd.Stdout = p.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.waited {
			_ = cmd.Process.Kill()
			<-p.scanned
			_ = cmd.Wait()
		}
	})

	listening := make(chan string, 1)
	go func() {
		defer close(p.scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "modeplatform listening" {
				listening <- rec.Addr
			}
		}
	}()
	select {
	case addr := <-listening:
		p.base = "http://" + addr
	case <-p.scanned:
		t.Fatalf("the binary exited before listening:\n%s", p.stderr())
	case <-ctx.Done():
		t.Fatalf("the binary did not start:\n%s", p.stderr())
	}
	return p
}

// stderr is what the process logged so far.
func (p *process) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n") + "\n"
}

// records parses the log so far.
func (p *process) records(t *testing.T) []map[string]any {
	t.Helper()
	return logRecords(t, p.stderr())
}

// terminate sends SIGTERM and requires exit status 0.
func (p *process) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.scanned // read all of stderr before Wait closes it
	err := p.cmd.Wait()
	p.waited = true
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("exit status %d after SIGTERM; log:\n%s", exit.ExitCode(), p.stderr())
	case err != nil:
		t.Fatal(err)
	}
}
