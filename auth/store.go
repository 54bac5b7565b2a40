package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Store holds the policy in force and reloads it from its file. A reload
// that fails (the file is missing, unreadable or invalid) keeps the policy
// in force and logs why: a half-written file never locks everyone out nor
// lets anyone in. It is safe for concurrent use.
type Store struct {
	path string
	log  *slog.Logger

	cur atomic.Pointer[Policy]

	mu      sync.Mutex // serializes reloads; guards the fields below
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
}

// NewStore loads the policy file at path; logger (nil: slog.Default())
// receives reload records.
func NewStore(path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Store{path: path, log: logger}
	if _, err := s.reload(true); err != nil {
		return nil, err
	}
	return s, nil
}

// StaticStore serves a fixed policy (tests, or a policy built in code).
func StaticStore(p *Policy) *Store {
	s := &Store{log: slog.Default()}
	s.cur.Store(p)
	return s
}

// Policy returns the policy in force.
func (s *Store) Policy() *Policy { return s.cur.Load() }

// Reload reads the file again and, if it parses, puts it in force. It
// returns the error that kept the old policy.
func (s *Store) Reload() error {
	_, err := s.reload(true)
	return err
}

// reload reads the file; unless force, only when its size, modification
// time or content changed. changed reports a new policy in force.
func (s *Store) reload(force bool) (changed bool, err error) {
	if s.path == "" {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.path)
	if err != nil {
		return false, fmt.Errorf("policy file: %w", err)
	}
	if !force && fi.ModTime().Equal(s.modTime) && fi.Size() == s.size {
		return false, nil
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return false, fmt.Errorf("policy file: %w", err)
	}
	sum := sha256.Sum256(data)
	s.modTime, s.size = fi.ModTime(), fi.Size()
	if s.cur.Load() != nil && bytes.Equal(sum[:], s.sum[:]) {
		return false, nil // touched, not changed
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return false, fmt.Errorf("policy file %s: %w", s.path, err)
	}
	s.sum = sum
	s.cur.Store(p)
	return true, nil
}

// Watch reloads the policy whenever hup delivers (SIGHUP, say) and whenever
// the file's size or modification time changes, checked every interval
// (<= 0: no polling). It returns when ctx ends.
func (s *Store) Watch(ctx context.Context, interval time.Duration, hup <-chan os.Signal) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		var force bool
		select {
		case <-ctx.Done():
			return
		case <-hup:
			force = true
		case <-tick:
		}
		changed, err := s.reload(force)
		switch {
		case err != nil:
			s.log.Error("caller policy not reloaded: the previous one stays in force", "policy", s.path, "error", err)
		case changed:
			s.log.Info("caller policy reloaded", "policy", s.path, "callers", len(s.Policy().callers))
		case force:
			s.log.Info("caller policy unchanged", "policy", s.path)
		}
	}
}
