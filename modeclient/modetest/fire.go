package modetest

import (
	"maps"
	"time"
)

// Schedules fire: when the emulator's clock (clock.go) reaches a schedule's next_scheduled_run,
// the emulator starts a run of its report as POST …/runs does (startRun), with the schedule's
// parameters, whether or not the report's manual runs are disabled (manual_run_disabled
// refuses manual runs only). The run links its schedule (_links.report_schedule, a link of
// Mode's ReportRun) and is executed by the schedule's creator.
//
// Catching up: a schedule that became due several times since the emulator last looked (the
// test clock advanced by days, the process was suspended) fires once, not once per missed
// slot, as a scheduler catching up does; its last_scheduled_run is the latest of the missed
// slots and its next_scheduled_run the first slot after now. Mode's document says nothing
// about missed runs.
//
// Time zones and daylight saving time: slots are wall-clock times in the schedule's time zone
// (cronLine.next). On the day clocks go forward, a daily, weekly or monthly slot that falls in
// the skipped hour (02:30 in Los Angeles) runs when the clock jumps past it, at the same
// distance past the jump (03:30 local, as Go's time.Date normalizes it); on the day clocks go
// back, a slot in the repeated hour (01:30) runs once, at its first occurrence. Hourly
// schedules run every real hour at their minute (on those days, 23 and 25 runs); every 15 and
// 30 minutes are real-time intervals.

// fireDue starts a run of every schedule due at now, and rolls each one's next run forward.
// A TestClock calls it when it moves; with any other clock, the ticker does.
func (e *Emulator) fireDue(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	for _, st := range e.workspaces {
		for _, rep := range st.reports { // a deleted report is no longer here
			for _, s := range rep.schedules { // nor a deleted schedule
				if s.next.IsZero() || now.Before(s.next) {
					continue
				}
				slot := s.next
				for n := s.cron.next(slot); !n.IsZero() && !n.After(now); n = s.cron.next(n) {
					slot = n
				}
				run := e.startRun(rep, maps.Clone(s.params))
				run.schedule = s
				run.executedBy = s.creator
				s.lastScheduledRun = slot
				s.lastRunAt = now
				s.next = s.cron.next(now)
			}
		}
	}
}

// scheduledRunSucceeded records that run, fired by its schedule, succeeded. Call with e.mu held;
// it reports whether the schedule still exists (a schedule deleted while its run ran gets no
// more news of it).
func (e *Emulator) scheduledRunSucceeded(run *reportRun) bool {
	s := run.schedule
	if s == nil || run.report.schedule(s.token) != s || run.report.ws.reportByTok[run.report.token] != run.report {
		return false
	}
	s.lastSucceededAt = e.clock.Now()
	return true
}

// afterScheduledRun is called once a run that schedule s fired on report rep of workspace st has
// succeeded (and the schedule still exists), on the run's goroutine, with e.mu not held: it
// sends the run to the schedule's subscribers (deliver). A schedule deleted since has no
// subscriptions left, and delivers nothing.
func (e *Emulator) afterScheduledRun(st *store, rep *report, s *schedule, run *reportRun) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deliver(st, rep, s, run)
}

// startTicker starts, once, the goroutine that fires due schedules on the real (or any
// non-test) clock: one ticker for all schedules, stopped by Close. A TestClock needs none. Call
// with e.mu held.
func (e *Emulator) startTicker() {
	if e.ticking || e.closed {
		return
	}
	if _, ok := e.clock.(*TestClock); ok {
		return
	}
	e.ticking = true
	e.tickerDone = make(chan struct{})
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(e.tickerDone)
		t := time.NewTicker(e.cfg.tick)
		defer t.Stop()
		for {
			select {
			case <-e.done:
				return
			case <-t.C:
				e.fireDue(e.clock.Now())
			}
		}
	}()
}

// withTick sets how often the ticker looks for due schedules (default a second), for tests.
func withTick(d time.Duration) Option {
	return func(c *config) { c.tick = d }
}
