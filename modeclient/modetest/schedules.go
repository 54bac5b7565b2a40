package modetest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Report schedules: list, create, get, update, delete, bulk delete. A schedule is stored with
// its report (deleting the report deletes them). Schedules fire on the emulator's clock (fire.go,
// clock.go), which also gives their created_at and updated_at.

// Frequencies of a schedule's cron, as Mode's document spells them.
var scheduleFreqs = []string{"every_15_minutes", "every_30_minutes", "hourly", "daily", "weekly", "monthly"}

// cronLine is a schedule's structured cron.
type cronLine struct {
	freq       string
	dayOfMonth int // 1–31, monthly
	dayOfWeek  int // 0 (Sunday) – 6, weekly
	hour       int // 0–23, daily, weekly, monthly
	minute     int // 0–59, hourly and longer
	timeZone   string
	loc        *time.Location
}

type schedule struct {
	token     string
	name      string
	cron      cronLine
	params    map[string]any
	timeout   int // seconds
	creator   string
	createdAt time.Time
	updatedAt time.Time

	next             time.Time // next_scheduled_run: the first slot of the cron not fired yet
	lastScheduledRun time.Time // the slot the last fired run stood for
	lastRunAt        time.Time // when it fired, on the clock
	lastSucceededAt  time.Time // when the last fired run succeeded, on the clock
}

// defaultScheduleTimeout is the timeout of a schedule created without one (seconds).
const defaultScheduleTimeout = 3600

func (r *report) schedule(token string) *schedule {
	for _, s := range r.schedules {
		if s.token == token {
			return s
		}
	}
	return nil
}

type cronJSON struct {
	Freq       string `json:"freq"`
	DayOfMonth int    `json:"day_of_month"`
	DayOfWeek  int    `json:"day_of_week"`
	Hour       int    `json:"hour"`
	Minute     int    `json:"minute"`
	TimeZone   string `json:"time_zone"`
}

type scheduleJSON struct {
	Token            string         `json:"token"`
	Name             string         `json:"name"`
	Cron             cronJSON       `json:"cron"`
	Parameters       map[string]any `json:"parameters"`
	CreatedAt        string         `json:"created_at"`
	UpdatedAt        string         `json:"updated_at"`
	RetryState       string         `json:"retry_state"`
	RetryCount       int            `json:"retry_count"`
	RetryDelay       int            `json:"retry_delay"`
	Timeout          int            `json:"timeout"`
	LastRunAt        *string        `json:"last_run_at"`
	LastSucceededAt  *string        `json:"last_succeeded_at"`
	LastScheduledRun *string        `json:"last_scheduled_run"`
	NextScheduledRun *string        `json:"next_scheduled_run"`
	ReportName       string         `json:"report_name"`
	Delivery         string         `json:"delivery"`
	ReportToken      string         `json:"report_token"`
	ReportType       string         `json:"report_type"`
	Subscribed       bool           `json:"subscribed"`
	SubscriberCount  int            `json:"subscriber_count"`
	Links            links          `json:"_links"`
}

func (e *Emulator) scheduleJSON(rep *report, s *schedule) scheduleJSON {
	ws := rep.ws.account.username
	rp := api(ws, "reports", rep.token)
	params := s.params
	if params == nil {
		params = map[string]any{}
	}
	subscribers, subscribed := rep.scheduleSubscribers(s)
	return scheduleJSON{
		Token: s.token, Name: s.name, Parameters: params,
		Cron: cronJSON{Freq: s.cron.freq, DayOfMonth: s.cron.dayOfMonth, DayOfWeek: s.cron.dayOfWeek,
			Hour: s.cron.hour, Minute: s.cron.minute, TimeZone: s.cron.timeZone},
		CreatedAt: formatTime(s.createdAt), UpdatedAt: formatTime(s.updatedAt),
		RetryState: "none", Timeout: s.timeout,
		LastRunAt: timePtr(s.lastRunAt), LastSucceededAt: timePtr(s.lastSucceededAt),
		LastScheduledRun: timePtr(s.lastScheduledRun), NextScheduledRun: timePtr(s.next),
		ReportName: rep.name, Delivery: "none", ReportToken: rep.token, ReportType: reportType(rep),
		Subscribed: subscribed, SubscriberCount: subscribers,
		Links: links{
			"self":                 href(rp + "/schedules/" + s.token),
			"account":              href(api(ws)),
			"creator":              href(api(s.creator)),
			"report":               href(rp),
			"report_web":           href(web(ws, "reports", rep.token)),
			"report_runs":          href(rp + "/runs"),
			"report_subscriptions": href(rp + "/schedules/" + s.token + "/subscriptions"),
		},
	}
}

// sameCron reports whether a and b name the same times.
func sameCron(a, b cronLine) bool {
	a.loc, b.loc = nil, nil
	return a == b
}

// next returns the first time after t the cron names: a wall-clock time in its time zone for
// hourly and longer frequencies (see fire.go about daylight saving time).
func (c cronLine) next(t time.Time) time.Time {
	loc := c.loc
	if loc == nil {
		loc = time.UTC
	}
	switch c.freq {
	case "every_15_minutes":
		return t.Truncate(15 * time.Minute).Add(15 * time.Minute)
	case "every_30_minutes":
		return t.Truncate(30 * time.Minute).Add(30 * time.Minute)
	case "hourly":
		// The first minute after t whose local minute is c.minute: in a zone half an hour
		// off UTC (Asia/Kolkata), that is not UTC's minute.
		at := t.Truncate(time.Minute)
		for range 24 * 60 {
			if at = at.Add(time.Minute); at.In(loc).Minute() == c.minute {
				return at
			}
		}
		return time.Time{}
	}
	l := t.In(loc)
	for i := 0; i < 400; i++ {
		day := wallTime(l.Year(), l.Month(), l.Day()+i, c.hour, c.minute, loc)
		switch c.freq {
		case "weekly":
			if int(day.Weekday()) != c.dayOfWeek {
				continue
			}
		case "monthly":
			// A month shorter than the day runs on its last day.
			last := time.Date(day.Year(), day.Month()+1, 0, 0, 0, 0, 0, loc).Day()
			if day.Day() != min(c.dayOfMonth, last) {
				continue
			}
		}
		if day.After(t) {
			return day
		}
	}
	return time.Time{}
}

// scheduleBody is the create and update body of Mode's document
// (CreateReportScheduleRequestBody): {"cron": {…}, "name", "timeout", "params"}.
type scheduleBody struct {
	Cron *struct {
		Freq       *string `json:"freq"`
		DayOfMonth *int    `json:"day_of_month"`
		DayOfWeek  *int    `json:"day_of_week"`
		Hour       *int    `json:"hour"`
		Minute     *int    `json:"minute"`
		TimeZone   *string `json:"time_zone"`
	} `json:"cron"`
	Name    *string        `json:"name"`
	Timeout *int           `json:"timeout"`
	Params  map[string]any `json:"params"`
}

// apply sets what b gives onto s (its cron merged field by field) and validates the result as
// Mode's document bounds it; it returns the message of a 400.
func (b *scheduleBody) apply(s *schedule) string {
	c := s.cron
	if b.Cron != nil {
		set := func(dst *int, v *int) {
			if v != nil {
				*dst = *v
			}
		}
		if b.Cron.Freq != nil {
			c.freq = *b.Cron.Freq
		}
		set(&c.dayOfMonth, b.Cron.DayOfMonth)
		set(&c.dayOfWeek, b.Cron.DayOfWeek)
		set(&c.hour, b.Cron.Hour)
		set(&c.minute, b.Cron.Minute)
		if b.Cron.TimeZone != nil {
			c.timeZone = *b.Cron.TimeZone
		}
	}
	switch {
	case c.freq == "":
		return "param is missing or the value is empty: cron.freq"
	case !slices.Contains(scheduleFreqs, c.freq):
		return fmt.Sprintf("Invalid cron.freq %q: must be one of %s", c.freq, strings.Join(scheduleFreqs, ", "))
	case c.hour < 0 || c.hour > 23:
		return fmt.Sprintf("Invalid cron.hour %d: must be between 0 and 23", c.hour)
	case c.minute < 0 || c.minute > 59:
		return fmt.Sprintf("Invalid cron.minute %d: must be between 0 and 59", c.minute)
	case c.dayOfWeek < 0 || c.dayOfWeek > 6:
		return fmt.Sprintf("Invalid cron.day_of_week %d: must be between 0 and 6", c.dayOfWeek)
	case c.dayOfMonth < 1 || c.dayOfMonth > 31:
		return fmt.Sprintf("Invalid cron.day_of_month %d: must be between 1 and 31", c.dayOfMonth)
	}
	loc, ok := scheduleZone(c.timeZone)
	if !ok {
		return fmt.Sprintf("Invalid cron.time_zone %q", c.timeZone)
	}
	c.loc = loc
	if b.Timeout != nil && *b.Timeout < 1 {
		return fmt.Sprintf("Invalid timeout %d: must be a positive number of seconds", *b.Timeout)
	}
	if b.Name != nil && strings.TrimSpace(*b.Name) == "" {
		return "Name can't be blank"
	}
	s.cron = c
	if b.Name != nil {
		s.name = *b.Name
	}
	if b.Timeout != nil {
		s.timeout = *b.Timeout
	}
	if b.Params != nil {
		s.params = b.Params
	}
	return ""
}

// withSchedule runs fn on the report and schedule of the path with e.mu held, answering 404
// when either is missing.
func (e *Emulator) withSchedule(w http.ResponseWriter, r *http.Request, fn func(rep *report, s *schedule) (int, any, string)) {
	e.withReport(w, r, func(rep *report) (int, any, string) {
		s := rep.schedule(r.PathValue("schedule"))
		if s == nil {
			return http.StatusNotFound, nil, "ReportSchedule not found"
		}
		return fn(rep, s)
	})
}

func (e *Emulator) listSchedules(w http.ResponseWriter, r *http.Request) {
	listOfReport(e, w, r, "report_schedules", func(rep *report) ([]scheduleJSON, int, string) {
		all := make([]scheduleJSON, 0, len(rep.schedules))
		for _, s := range rep.schedules {
			all = append(all, e.scheduleJSON(rep, s))
		}
		return all, 0, ""
	})
}

func (e *Emulator) getSchedule(w http.ResponseWriter, r *http.Request) {
	e.withSchedule(w, r, func(rep *report, s *schedule) (int, any, string) {
		return http.StatusOK, e.scheduleJSON(rep, s), ""
	})
}

// createSchedule answers 200 with the schedule, as Mode's document does (not 201).
func (e *Emulator) createSchedule(w http.ResponseWriter, r *http.Request) {
	var b scheduleBody
	if !decodeBody(w, r, &b) {
		return
	}
	if b.Cron == nil {
		badRequest(w, "param is missing or the value is empty: cron")
		return
	}
	e.withReport(w, r, func(rep *report) (int, any, string) {
		now := e.clock.Now()
		s := &schedule{
			name: rep.name, timeout: defaultScheduleTimeout, creator: rep.ws.members[0].username,
			cron:      cronLine{dayOfMonth: 1, timeZone: "UTC"},
			createdAt: now, updatedAt: now,
		}
		if msg := b.apply(s); msg != "" {
			return http.StatusBadRequest, nil, msg
		}
		s.token = rep.ws.newToken("schedule")
		s.next = s.cron.next(now)
		rep.schedules = append(rep.schedules, s)
		rep.updatedAt = now
		e.startTicker()
		e.recordAudit(r, rep.ws, "schedule_created", "schedule", s.token, s.name)
		return http.StatusOK, e.scheduleJSON(rep, s), ""
	})
}

func (e *Emulator) updateSchedule(w http.ResponseWriter, r *http.Request) {
	var b scheduleBody
	if !decodeBody(w, r, &b) {
		return
	}
	e.withSchedule(w, r, func(rep *report, s *schedule) (int, any, string) {
		was := s.cron
		if msg := b.apply(s); msg != "" {
			return http.StatusBadRequest, nil, msg
		}
		now := e.clock.Now()
		if !sameCron(was, s.cron) {
			s.next = s.cron.next(now)
		}
		s.updatedAt = now
		e.recordAudit(r, rep.ws, "schedule_updated", "schedule", s.token, s.name)
		return http.StatusOK, e.scheduleJSON(rep, s), ""
	})
}

// wallTime is time.Date at hour:minute, except for a time the clocks skip (02:30 on the day
// daylight saving time starts, in most of the US), which it places as far past the jump as it
// is past the hour the clocks left (03:30 daylight time), never before the jump: time.Date
// leaves the choice open. A time that happens twice (the day daylight saving time ends) is its
// first occurrence, as time.Date gives it.
func wallTime(year int, month time.Month, day, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, hour, minute, 0, 0, loc)
	if t.Hour() == hour && t.Minute() == minute {
		return t
	}
	_, off := t.Zone()
	alt := time.Date(year, month, day, hour, minute, 0, 0, time.UTC).Add(-time.Duration(off) * time.Second)
	if alt.After(t) {
		return alt
	}
	return t
}

// writeEmpty answers status with no body (Mode's document: "Empty body").
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// deleteSchedule answers 200 with an empty body, as Mode's document does.
func (e *Emulator) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	rep := e.findReport(r)
	var s *schedule
	if rep != nil {
		s = rep.schedule(r.PathValue("schedule"))
	}
	if s != nil {
		rep.schedules = slices.DeleteFunc(rep.schedules, func(x *schedule) bool { return x == s })
		rep.dropSubscriptions(s)
		rep.updatedAt = time.Now()
		e.recordAudit(r, rep.ws, "schedule_deleted", "schedule", s.token, s.name)
	}
	e.mu.Unlock()
	switch {
	case rep == nil:
		notFound(w, "Report")
	case s == nil:
		notFound(w, "ReportSchedule")
	default:
		writeEmpty(w, http.StatusOK)
	}
}

// bulkDeleteBody is the bulk delete's body. Mode's document gives the operation no body (it
// lists report and schedule parameters its path does not have); the emulator takes the
// schedules' tokens: {"schedule_tokens": ["…", …]}.
type bulkDeleteBody struct {
	ScheduleTokens []string `json:"schedule_tokens"`
}

// bulkDeleteSchedules deletes schedules of any report of the workspace, all or none: an unknown
// token answers 404 and deletes nothing. 200 with an empty body, as Mode's document has it.
func (e *Emulator) bulkDeleteSchedules(w http.ResponseWriter, r *http.Request) {
	var b bulkDeleteBody
	if !decodeBody(w, r, &b) {
		return
	}
	if len(b.ScheduleTokens) == 0 {
		badRequest(w, "param is missing or the value is empty: schedule_tokens")
		return
	}
	type hit struct {
		rep *report
		s   *schedule
	}
	e.mu.Lock()
	var hits []hit
	for _, tok := range b.ScheduleTokens {
		var found *hit
		find(e, r, func(st *store) *report {
			for _, rep := range st.reports {
				if s := rep.schedule(tok); s != nil {
					found = &hit{rep, s}
					return rep
				}
			}
			return nil
		})
		if found == nil {
			e.mu.Unlock()
			notFound(w, "ReportSchedule "+tok)
			return
		}
		hits = append(hits, *found)
	}
	now := time.Now()
	for i, h := range hits {
		if !slices.ContainsFunc(hits[:i], func(x hit) bool { return x.s == h.s }) { // a token given twice is deleted once
			e.recordAudit(r, h.rep.ws, "schedule_deleted", "schedule", h.s.token, h.s.name)
		}
		h.rep.schedules = slices.DeleteFunc(h.rep.schedules, func(x *schedule) bool { return x == h.s })
		h.rep.dropSubscriptions(h.s)
		h.rep.updatedAt = now
	}
	e.mu.Unlock()
	writeEmpty(w, http.StatusOK)
}
