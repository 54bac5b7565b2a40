package modetest

import (
	"slices"
	"sync"
	"time"
)

// Clock is where the emulator reads the time for report schedules: when they were created and
// updated, when they are due, and when they last ran and succeeded. Report runs themselves keep
// real time (their created_at, their run duration). The default is the real time.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// WithClock makes the emulator read the time of its schedules from c. With a *TestClock, the
// schedules that are due fire when the test moves the clock (Set, Advance), before that call
// returns; with any other Clock, a single background ticker started with the first schedule
// looks for due schedules every second, until Close.
func WithClock(c Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// TestClock is a Clock that moves only when told to, for tests of schedules that need no
// waiting. Its methods are safe for concurrent use. Give it to an emulator with WithClock.
type TestClock struct {
	mu    sync.Mutex
	now   time.Time
	emus  []*Emulator // the emulators whose schedules fire when it moves
	fires sync.Mutex  // serializes firing, so that emulators see the moves in order
}

// NewTestClock returns a TestClock that reads t.
func NewTestClock(t time.Time) *TestClock { return &TestClock{now: t} }

// Now returns the clock's time.
func (c *TestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (forwards or backwards) and fires, before it returns, the schedules
// of its emulators that are due at t: their runs are created and started (a run still takes
// its run duration, in real time, to finish; see WithRunDuration).
func (c *TestClock) Set(t time.Time) {
	c.move(func(time.Time) time.Time { return t })
}

// Advance moves the clock forward by d and fires the schedules that are due, as Set does. A
// schedule that became due more than once during d fires once (see Emulator.fireDue): advance
// in steps to see each of its runs.
func (c *TestClock) Advance(d time.Duration) {
	c.move(func(now time.Time) time.Time { return now.Add(d) })
}

// move sets the clock to to(now) and fires the due schedules of its emulators.
func (c *TestClock) move(to func(now time.Time) time.Time) {
	c.fires.Lock()
	defer c.fires.Unlock()
	c.mu.Lock()
	c.now = to(c.now)
	t := c.now
	emus := slices.Clone(c.emus)
	c.mu.Unlock()
	for _, e := range emus {
		e.fireDue(t)
	}
}

func (c *TestClock) attach(e *Emulator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emus = append(c.emus, e)
}

func (c *TestClock) detach(e *Emulator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emus = slices.DeleteFunc(c.emus, func(x *Emulator) bool { return x == e })
}
