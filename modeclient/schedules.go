package modeclient

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
)

// Schedule is a report's schedule (Mode's "ReportSchedule"): when the report runs on its own
// (Cron), with which parameters, and what its runs have been.
type Schedule struct {
	Token            string     `json:"token"`
	Name             string     `json:"name"`
	Cron             Cron       `json:"cron"`
	Parameters       Parameters `json:"parameters"`
	CreatedAt        Time       `json:"created_at"`
	UpdatedAt        Time       `json:"updated_at"`
	RetryState       String     `json:"retry_state"`
	RetryCount       Int        `json:"retry_count"`
	RetryDelay       Int        `json:"retry_delay"`
	Timeout          Int        `json:"timeout"` // seconds
	LastRunAt        Time       `json:"last_run_at"`
	LastSucceededAt  Time       `json:"last_succeeded_at"`
	LastScheduledRun Time       `json:"last_scheduled_run"`
	NextScheduledRun Time       `json:"next_scheduled_run"`
	ReportName       String     `json:"report_name"`
	// Delivery is kept as Mode sends it (its document types it as a string, with no further
	// definition).
	Delivery        json.RawMessage `json:"delivery"`
	ReportToken     string          `json:"report_token"`
	ReportType      String          `json:"report_type"`
	Subscribed      Bool            `json:"subscribed"`
	SubscriberCount Int             `json:"subscriber_count"`
	Links           Links           `json:"_links"`
}

// Cron is a schedule's structured cron, as Mode spells it. Freq is one of every_15_minutes,
// every_30_minutes, hourly, daily, weekly, monthly; DayOfWeek counts from Sunday (0); TimeZone
// is one of Mode's (Rails') zone names, such as "Pacific Time (US & Canada)" or "UTC".
type Cron struct {
	Freq       string `json:"freq"`
	DayOfMonth Int    `json:"day_of_month"`
	DayOfWeek  Int    `json:"day_of_week"`
	Hour       Int    `json:"hour"`
	Minute     Int    `json:"minute"`
	TimeZone   string `json:"time_zone"`
}

// CronInput is the cron of a schedule write. Nil and empty fields are not sent: Mode keeps the
// schedule's own (on an update) or its defaults (on a create). Mode validates the values; the
// client only passes them on.
type CronInput struct {
	Freq       string `json:"freq,omitempty"`
	DayOfMonth *int   `json:"day_of_month,omitempty"`
	DayOfWeek  *int   `json:"day_of_week,omitempty"`
	Hour       *int   `json:"hour,omitempty"`
	Minute     *int   `json:"minute,omitempty"`
	TimeZone   string `json:"time_zone,omitempty"`
}

// ScheduleCreate is the body of CreateReportSchedule (Mode's CreateReportScheduleRequestBody).
type ScheduleCreate struct {
	Cron    CronInput      `json:"cron"`
	Name    string         `json:"name,omitempty"`
	Timeout int            `json:"timeout,omitempty"` // seconds
	Params  map[string]any `json:"params,omitempty"`
}

// ScheduleUpdate is the body of UpdateReportSchedule: nil fields are left unchanged, and the
// cron is changed field by field.
type ScheduleUpdate struct {
	Cron    *CronInput `json:"cron,omitempty"`
	Name    *string    `json:"name,omitempty"`
	Timeout *int       `json:"timeout,omitempty"`
	// Params, when not nil, replaces the schedule's parameters: a pointer to an empty map
	// clears them.
	Params *map[string]any `json:"params,omitempty"`
}

// ScheduleRef names one schedule of a report, for BulkDeleteReportSchedules.
type ScheduleRef struct {
	Report   string // the report's token
	Schedule string // the schedule's token
}

func (s *Schedule) owner() (string, Links) { return "", s.Links }

func schedulesPath(ws, report string) *apiPath { return reportPath(ws, report).lit("schedules") }

func schedulePath(ws, report, schedule string) *apiPath {
	return schedulesPath(ws, report).tok("schedule", schedule)
}

func bulkDeleteSchedulesPath(ws string) *apiPath {
	return newPath(ws).lit("reports").lit("schedules").lit("v1").lit("bulk_delete")
}

// scheduleWriteTags are what a write of a report's schedule changes: the schedule (the
// write's own path, which also tags its subscriptions and its subscription list), the report's
// schedule list, the report (its schedules_count) and the report's subscription list (a deleted
// schedule's subscriptions go with it).
func scheduleWriteTags(ws, report string, extra ...string) func(path string) []string {
	return tags(append(extra, reportListTag(ws, report, "schedules"), apiPathOf(reportPath(ws, report)),
		reportListTag(ws, report, "subscriptions"))...)
}

// ListReportSchedulesPage returns one page of a report's schedules:
// GET /api/{workspace}/reports/{report}/schedules.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListReportSchedulesPage(ctx context.Context, workspace, report string, page int, opts *ListOptions) (*Page[Schedule], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(reportListTag(workspace, report, "schedules"), reportScopeTag(workspace, report), subscribersTag(workspace))
	return listPage[Schedule](ctx, c, schedulesPath(workspace, report), q, page, "report_schedules", policy)
}

// ListReportSchedules iterates over all of a report's schedules, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListReportSchedules(ctx context.Context, workspace, report string, opts *ListOptions) iter.Seq2[Schedule, error] {
	return listAll(func(page int) (*Page[Schedule], error) {
		return c.ListReportSchedulesPage(ctx, workspace, report, page, opts)
	}, func(s Schedule) string { return s.Token })
}

// GetReportSchedule returns one schedule of a report:
// GET /api/{workspace}/reports/{report}/schedules/{schedule}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetReportSchedule(ctx context.Context, workspace, report, schedule string) (*Schedule, error) {
	return getJSON[Schedule](ctx, c, schedulePath(workspace, report, schedule), nil, c.metadata(reportScopeTag(workspace, report), subscribersTag(workspace)))
}

// verifySchedule checks, before a write, that schedule (of report) belongs to workspace.
func (c *Client) verifySchedule(ctx context.Context, workspace, report, schedule string) error {
	_, err := c.GetReportSchedule(ownerCheckContext(ctx), workspace, report, schedule)
	return err
}

// CreateReportSchedule adds a schedule to a report: POST
// /api/{workspace}/reports/{report}/schedules with {"cron": {…}, "name", "timeout",
// "params"}. Mode answers the schedule (200). A cron Mode refuses (an unknown frequency or
// time zone, an hour outside 0–23, …) is its *APIError. The report is read first (GetReport;
// free when cached): one of another workspace is not found and gains no schedule (see
// checkOwner).
func (c *Client) CreateReportSchedule(ctx context.Context, workspace, report string, in ScheduleCreate) (*Schedule, error) {
	if err := schedulesPath(workspace, report).err; err != nil {
		return nil, err
	}
	if in.Cron.Freq == "" {
		return nil, &InvalidArgumentError{Field: "cron.freq", Reason: "must not be empty"}
	}
	if err := c.verifyReport(ctx, workspace, report); err != nil {
		return nil, err
	}
	var s Schedule
	if err := c.write(ctx, http.MethodPost, schedulesPath(workspace, report), in, &s,
		scheduleWriteTags(workspace, report)); err != nil {
		return nil, err
	}
	return &s, nil
}

// UpdateReportSchedule changes a schedule: PATCH
// /api/{workspace}/reports/{report}/schedules/{schedule}. The schedule is read first
// (GetReportSchedule; free when cached): one of another workspace is not found and is left as
// it is (see checkOwner).
func (c *Client) UpdateReportSchedule(ctx context.Context, workspace, report, schedule string, in ScheduleUpdate) (*Schedule, error) {
	if err := schedulePath(workspace, report, schedule).err; err != nil {
		return nil, err
	}
	if in.Cron == nil && in.Name == nil && in.Timeout == nil && in.Params == nil {
		return nil, &InvalidArgumentError{Field: "schedule", Reason: "nothing to update"}
	}
	if err := c.verifySchedule(ctx, workspace, report, schedule); err != nil {
		return nil, err
	}
	var s Schedule
	if err := c.write(ctx, http.MethodPatch, schedulePath(workspace, report, schedule), in, &s,
		scheduleWriteTags(workspace, report)); err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteReportSchedule removes a schedule: DELETE
// /api/{workspace}/reports/{report}/schedules/{schedule} (Mode answers an empty body). The
// schedule is read first (GetReportSchedule; free when cached): one of another workspace is not
// found and the DELETE is not sent.
func (c *Client) DeleteReportSchedule(ctx context.Context, workspace, report, schedule string) error {
	if err := schedulePath(workspace, report, schedule).err; err != nil {
		return err
	}
	if err := c.verifySchedule(ctx, workspace, report, schedule); err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, schedulePath(workspace, report, schedule), nil, nil,
		scheduleWriteTags(workspace, report))
}

// BulkDeleteReportSchedules removes several schedules, of one report or several, in one call:
// DELETE /api/{workspace}/reports/schedules/v1/bulk_delete with {"schedule_tokens": […]}
// (Mode's document gives the operation no body; this is the emulator's reading, and Mode
// answers an empty body). Every schedule is read first (GetReportSchedule; free when cached):
// one of another workspace, or one that does not exist, is not found and nothing is deleted.
func (c *Client) BulkDeleteReportSchedules(ctx context.Context, workspace string, schedules []ScheduleRef) error {
	if len(schedules) == 0 {
		return &InvalidArgumentError{Field: "schedules", Reason: "must not be empty"}
	}
	if err := bulkDeleteSchedulesPath(workspace).err; err != nil {
		return err
	}
	for _, s := range schedules {
		if err := schedulePath(workspace, s.Report, s.Schedule).err; err != nil {
			return err
		}
	}
	var invalidate []string
	body := struct {
		ScheduleTokens []string `json:"schedule_tokens"`
	}{}
	for _, s := range schedules {
		if err := c.verifySchedule(ctx, workspace, s.Report, s.Schedule); err != nil {
			return err
		}
		body.ScheduleTokens = append(body.ScheduleTokens, s.Schedule)
		invalidate = append(invalidate, apiPathOf(schedulePath(workspace, s.Report, s.Schedule)),
			reportListTag(workspace, s.Report, "schedules"), apiPathOf(reportPath(workspace, s.Report)),
			reportListTag(workspace, s.Report, "subscriptions"))
	}
	return c.write(ctx, http.MethodDelete, bulkDeleteSchedulesPath(workspace), body, nil, tags(invalidate...))
}
