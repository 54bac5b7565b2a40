package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// waitForParent blocks until the parent closes our standard input.
func waitForParent(stdin io.Reader) {
	_, _ = io.Copy(io.Discard, stdin)
}
