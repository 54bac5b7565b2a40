package service

import "time"

// SetPollTimer makes the services built with o start their pollers' timers
// with newTimer (a test's clock) instead of time.NewTimer.
func SetPollTimer(o *Options, newTimer func(d time.Duration) (<-chan time.Time, func() bool)) {
	o.pollTimer = newTimer
}

// PollerStats returns how many shared pollers s holds, their subscribers,
// and how many poller goroutines run.
func PollerStats(s *Server) (pollers, subscribers, running int) { return s.core.pollers.stats() }
