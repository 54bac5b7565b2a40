package modeplatform_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The keys of the caller policy the test server runs with: reader may read, runner may also run
// reports. Both are test keys, for this server only.
const (
	readerKey = "mp_test_reader_3f1d2c"
	runnerKey = "mp_test_runner_9a8b7c"
)

// serverAddr is the address (host:port) of the modeplatform server TestMain started: the real
// binary, serving its built-in Mode emulator, with a caller policy.
var serverAddr string

// TestMain starts one server for the package's tests and examples: the binary in $MODEPLATFORM_BIN
// (scripts/test-clients.sh builds one), else one built here from ./cmd/modeplatform. The examples
// read its address and the runner's key from MODEPLATFORM_ADDR and MODEPLATFORM_KEY, as a
// program of a caller would.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "modeplatform-goclient-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := os.Getenv("MODEPLATFORM_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "modeplatform")
		build := exec.Command("go", "build", "-o", bin, "./cmd/modeplatform")
		build.Dir = filepath.Join("..", "..", "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build the server:", err)
			return 1
		}
	}
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(fmt.Sprintf(`callers:
  - name: reader
    keys: [%s]
    workspaces: [parch_and_posey]
    scopes: [read]
  - name: runner
    keys: [%s]
    workspaces: [parch_and_posey]
    scopes: [read, run]
`, keyHash(readerKey), keyHash(runnerKey))), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--admin-listen", "off", "--policy", policy)
	// Never real Mode: no MODE_* variable reaches the server, so it serves its emulator.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MODE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start the server:", err)
		return 1
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	addr := make(chan string, 1)
	var log strings.Builder
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			log.WriteString(line + "\n")
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "modeplatform listening" && rec.Addr != "" {
				addr <- rec.Addr
				// Keep reading: a full pipe would block the server's logging.
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
		}
	}()
	select {
	case serverAddr = <-addr:
	case <-logDone:
		fmt.Fprintf(os.Stderr, "the server ended before listening:\n%s", log.String())
		return 1
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "the server did not listen within 60s")
		return 1
	}
	os.Setenv("MODEPLATFORM_ADDR", serverAddr)
	os.Setenv("MODEPLATFORM_KEY", runnerKey)
	return m.Run()
}

// keyHash is a key's entry in a policy file.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}
