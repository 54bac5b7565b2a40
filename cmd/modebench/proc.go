package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// child is a re-executed modebench process (the emulator or a server). It
// lives until its standard input closes.
type child struct {
	role  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
}

// startChild re-executes this binary as role with args, and decodes the
// JSON line the child prints once it listens into ready.
func startChild(role string, args []string, stderr io.Writer, ready any) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), roleEnv+"="+role)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the %s: %w", role, err)
	}
	c := &child{role: role, cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	line := make(chan []byte, 1)
	go func() {
		br := bufio.NewReader(stdout)
		b, _ := br.ReadBytes('\n')
		line <- b
		_, _ = io.Copy(io.Discard, br)
		c.done <- cmd.Wait()
	}()
	select {
	case b := <-line:
		if err := json.Unmarshal(b, ready); err != nil {
			c.stop()
			return nil, fmt.Errorf("the %s did not start (see its log above)", role)
		}
	case <-time.After(2 * time.Minute):
		c.stop()
		return nil, fmt.Errorf("the %s did not start within 2 minutes", role)
	}
	return c, nil
}

// stop closes the child's standard input and waits for it to exit, killing
// it when it takes too long.
func (c *child) stop() error {
	if c == nil {
		return nil
	}
	_ = c.stdin.Close()
	select {
	case err := <-c.done:
		return err
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("the " + c.role + " did not exit: killed")
	}
}

// serveChild serves srv on a free loopback port, tells the parent its URL
// (a serverInfo, one JSON line on stdout), serves until the parent closes
// our standard input, then shuts srv down (cut after 5 s). The server and
// baseline roles run this way.
func serveChild(srv *http.Server, stdout io.Writer, stdin io.Reader) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(ln) }()
	if err := json.NewEncoder(stdout).Encode(serverInfo{URL: "http://" + ln.Addr().String()}); err != nil {
		_ = srv.Close()
		return err
	}
	waitForParent(stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	return nil
}

// waitForParent blocks until the parent closes our standard input.
func waitForParent(stdin io.Reader) {
	_, _ = io.Copy(io.Discard, stdin)
}
