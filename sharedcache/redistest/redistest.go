// Package redistest starts a real redis-server for tests: on a free loopback port, without
// persistence, stopped by the test's cleanup. When redis-server is not installed it installs the
// Debian package with scripts/ensure-apt.sh, unless MODEPLATFORM_NO_INSTALL=1 says not to, in
// which case the test is skipped with a message saying so.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/syncbuf"
)

// Server is a running redis-server.
type Server struct {
	Addr string // 127.0.0.1:port
	URL  string // redis://127.0.0.1:port/0

	t    testing.TB
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  syncbuf.Buffer // the server's output, shown when the test fails
}

var installOnce sync.Once

// binary returns redis-server's path, installing it when missing and allowed.
func binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	if os.Getenv("MODEPLATFORM_NO_INSTALL") == "1" {
		t.Skip("redis-server is not installed and MODEPLATFORM_NO_INSTALL=1 forbids installing it: run scripts/ensure-apt.sh redis-server (scripts/test.sh does)")
	}
	var err error
	var out []byte
	installOnce.Do(func() {
		script := filepath.Join(repoRoot(t), "scripts", "ensure-apt.sh")
		out, err = exec.Command(script, "redis-server").CombinedOutput()
	})
	if err != nil {
		t.Fatalf("installing redis-server with scripts/ensure-apt.sh: %v\n%s", err, out)
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server still not found after installing it: %v", err)
	}
	return p
}

// repoRoot is the module root, found from this file's location.
func repoRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("redistest: cannot locate the repository")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start runs a redis-server for the rest of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary(t)
	s := &Server{t: t, port: freePort(t)}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	s.URL = "redis://" + s.Addr + "/0"
	s.start(bin)
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("redis-server output:\n%s", s.log.String())
		}
	})
	return s
}

// start launches the server on s.port and waits until it answers PING.
func (s *Server) start(bin string) {
	s.t.Helper()
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes",
		"--maxmemory-policy", "volatile-lru", "--loglevel", "warning",
		"--dir", s.t.TempDir())
	cmd.Stdout, cmd.Stderr = &s.log, &s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := s.ping(); err == nil {
			return
		} else if time.Now().After(deadline) {
			s.Kill()
			s.t.Fatalf("redis-server on %s did not answer PING: %v", s.Addr, err)
		}
		select {
		case <-done:
			s.t.Fatalf("redis-server on %s exited at start", s.Addr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ping sends PING over a plain connection.
func (s *Server) ping() error {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// Kill stops the server at once (SIGKILL), as a crash would; later calls do nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Restart starts a fresh, empty server on the same port after Kill.
func (s *Server) Restart() {
	s.t.Helper()
	s.start(binary(s.t))
}

// Do sends one command over a plain connection and returns the first line of the reply: for
// tests that poke at Redis directly without a client.
func (s *Server) Do(ctx context.Context, args ...string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// freePort asks the kernel for a free loopback port. Another process could take it before
// redis-server binds it; on loopback in a test that is rare enough.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
