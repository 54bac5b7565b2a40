package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Schedules of ReportService: ListSchedules, GetSchedule, CreateSchedule,
// UpdateSchedule, DeleteSchedule and BatchDeleteSchedules. The contract's
// rules (cron ranges, frequency, time zone, parameters, masks) are checked
// by the validating interceptor and again by each write (validated), so a
// bad schedule never reaches Mode.

// Update mask paths UpdateSchedule accepts.
const (
	schedulePathDisplayName = "display_name"
	schedulePathCron        = "cron"
	schedulePathParameters  = "parameters"
	schedulePathTimeout     = "timeout"
)

// ListSchedules lists the schedules of a report, or the refresh schedules of
// a dataset.
func (s *ReportServer) ListSchedules(ctx context.Context, req *connect.Request[modeplatformv1.ListSchedulesRequest]) (*connect.Response[modeplatformv1.ListSchedulesResponse], error) {
	pattern, fetch := patReport, (*modeclient.Client).ListReportSchedulesPage
	if strings.Contains(req.Msg.GetParent(), "/datasets/") {
		pattern, fetch = patDataset, (*modeclient.Client).ListDatasetSchedulesPage
	}
	page, err := listOf(ctx, s.core, req.Msg, pattern,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.Schedule], error) {
			return fetch(cl, ctx, ids[0], ids[1], modePage, nil)
		},
		func(_ *modeclient.Client, ids []string, sc *modeclient.Schedule) *modeplatformv1.Schedule {
			out := scheduleFromMode(ids[0], ids[1], sc)
			if pattern == patDataset {
				out.Name = resourceNameOf(patDatasetSched, ids[0], ids[1], sc.Token)
			}
			return out
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListSchedulesResponse{Schedules: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetSchedule returns one schedule of a report, or of a dataset (read from
// the dataset's schedule list: Mode has no request for one dataset schedule;
// the list is cached metadata).
func (s *ReportServer) GetSchedule(ctx context.Context, req *connect.Request[modeplatformv1.GetScheduleRequest]) (*connect.Response[modeplatformv1.GetScheduleResponse], error) {
	if strings.Contains(req.Msg.GetName(), "/datasets/") {
		sc, err := getOf(ctx, s.core, req.Msg, patDatasetSched,
			func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Schedule, error) {
				for sc, err := range cl.ListDatasetSchedules(ctx, ids[0], ids[1], nil) {
					if err != nil {
						return nil, err
					}
					if sc.Token == ids[2] {
						return &sc, nil
					}
				}
				return nil, connect.NewError(connect.CodeNotFound, errorf("%s not found", req.Msg.GetName()))
			},
			func(_ *modeclient.Client, ids []string, sc *modeclient.Schedule) *modeplatformv1.Schedule {
				out := scheduleFromMode(ids[0], ids[1], sc)
				out.Name = resourceNameOf(patDatasetSched, ids[0], ids[1], sc.Token)
				return out
			})
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(&modeplatformv1.GetScheduleResponse{Schedule: sc}), nil
	}
	sc, err := getOf(ctx, s.core, req.Msg, patSchedule,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Schedule, error) {
			return cl.GetReportSchedule(ctx, ids[0], ids[1], ids[2])
		},
		func(_ *modeclient.Client, ids []string, sc *modeclient.Schedule) *modeplatformv1.Schedule {
			return scheduleFromMode(ids[0], ids[1], sc)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetScheduleResponse{Schedule: sc}), nil
}

// CreateSchedule adds a schedule to a report. A request_id makes it safe to
// retry: the same id (with the same request) within the window answers the
// first call's schedule.
func (s *ReportServer) CreateSchedule(ctx context.Context, req *connect.Request[modeplatformv1.CreateScheduleRequest]) (*connect.Response[modeplatformv1.CreateScheduleResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patReport)
	if err != nil {
		return nil, err
	}
	w, r := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	in := m.GetSchedule()
	create := modeclient.ScheduleCreate{
		Cron:    cronToMode(in.GetCron()),
		Name:    in.GetDisplayName(),
		Timeout: int(in.GetTimeout().GetSeconds()),
		Params:  parametersToMode(in.GetParameters()),
	}
	body, err := json.Marshal(create) // what Mode is asked to create, in a stable order
	if err != nil {
		return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("CreateSchedule: encoding the schedule: %w", err))
	}
	fingerprint := requestFingerprint("CreateSchedule", m.GetParent(), string(body))
	res, err := do(ctx, s.core.creates, "CreateSchedule\x00"+w, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.CreateScheduleResponse, error) {
			sc, err := cl.CreateReportSchedule(ctx, w, r, create)
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.CreateScheduleResponse{Schedule: scheduleFromMode(w, r, sc)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// UpdateSchedule changes the fields of a schedule named in update_mask: its
// name, its whole cron, its whole parameter set or its timeout.
func (s *ReportServer) UpdateSchedule(ctx context.Context, req *connect.Request[modeplatformv1.UpdateScheduleRequest]) (*connect.Response[modeplatformv1.UpdateScheduleResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	in := m.GetSchedule()
	ids, err := parseName("schedule.name", in.GetName(), patSchedule)
	if err != nil {
		return nil, err
	}
	var upd modeclient.ScheduleUpdate
	for _, p := range updatePaths(m.GetUpdateMask(), schedulePathDisplayName, schedulePathCron, schedulePathParameters, schedulePathTimeout) {
		switch p {
		case schedulePathDisplayName:
			v := in.GetDisplayName()
			upd.Name = &v
		case schedulePathCron:
			c := cronToMode(in.GetCron())
			upd.Cron = &c
		case schedulePathParameters:
			params := parametersToMode(in.GetParameters())
			if params == nil {
				params = map[string]any{} // clears them
			}
			upd.Params = &params
		case schedulePathTimeout:
			v := int(in.GetTimeout().GetSeconds())
			upd.Timeout = &v
		}
	}
	w, r, token := ids[0], ids[1], ids[2]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	sc, err := cl.UpdateReportSchedule(ctx, w, r, token, upd)
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	return connect.NewResponse(&modeplatformv1.UpdateScheduleResponse{Schedule: scheduleFromMode(w, r, sc)}), nil
}

// DeleteSchedule deletes a schedule.
func (s *ReportServer) DeleteSchedule(ctx context.Context, req *connect.Request[modeplatformv1.DeleteScheduleRequest]) (*connect.Response[modeplatformv1.DeleteScheduleResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patSchedule,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteReportSchedule(ctx, ids[0], ids[1], ids[2])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteScheduleResponse{}), nil
}

// BatchDeleteSchedules deletes several schedules of one report, or of any
// report of a workspace (parent `workspaces/{w}/reports/-`), in one Mode
// request: all of them, or none when one is not found (AIP-235).
func (s *ReportServer) BatchDeleteSchedules(ctx context.Context, req *connect.Request[modeplatformv1.BatchDeleteSchedulesRequest]) (*connect.Response[modeplatformv1.BatchDeleteSchedulesResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // names under parent, 1 to 100 of them, distinct
		return nil, err
	}
	parent := m.GetParent()
	anyReport := strings.HasSuffix(parent, "/reports/-")
	if anyReport {
		if _, err := parseName("parent", strings.TrimSuffix(parent, "/reports/-"), patWorkspace); err != nil {
			return nil, err
		}
	} else if _, err := parseName("parent", parent, patReport); err != nil {
		return nil, err
	}
	refs := make([]modeclient.ScheduleRef, 0, len(m.GetNames()))
	var w string
	for i, name := range m.GetNames() {
		ids, err := parseName(fmt.Sprintf("names[%d]", i), name, patSchedule)
		if err != nil {
			return nil, err
		}
		w = ids[0]
		refs = append(refs, modeclient.ScheduleRef{Report: ids[1], Schedule: ids[2]})
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	if err := cl.BulkDeleteReportSchedules(ctx, w, refs); err != nil {
		return nil, upstreamError(err, parent)
	}
	return connect.NewResponse(&modeplatformv1.BatchDeleteSchedulesResponse{}), nil
}

// cronFrequencies maps the contract's frequencies to Mode's words.
var cronFrequencies = map[modeplatformv1.Cron_Frequency]string{
	modeplatformv1.Cron_FREQUENCY_EVERY_15_MINUTES: "every_15_minutes",
	modeplatformv1.Cron_FREQUENCY_EVERY_30_MINUTES: "every_30_minutes",
	modeplatformv1.Cron_FREQUENCY_HOURLY:           "hourly",
	modeplatformv1.Cron_FREQUENCY_DAILY:            "daily",
	modeplatformv1.Cron_FREQUENCY_WEEKLY:           "weekly",
	modeplatformv1.Cron_FREQUENCY_MONTHLY:          "monthly",
}

// cronToMode translates a validated cron into Mode's structured cron: the
// day of the week counts from Sunday (0), an empty time zone is UTC, and
// only the fields the frequency uses are sent.
func cronToMode(c *modeplatformv1.Cron) modeclient.CronInput {
	out := modeclient.CronInput{Freq: cronFrequencies[c.GetFrequency()], TimeZone: c.GetTimeZone()}
	if out.TimeZone == "" {
		out.TimeZone = "UTC"
	}
	hour, minute := int(c.GetHour()), int(c.GetMinute())
	switch c.GetFrequency() {
	case modeplatformv1.Cron_FREQUENCY_HOURLY:
		out.Minute = &minute
	case modeplatformv1.Cron_FREQUENCY_DAILY:
		out.Hour, out.Minute = &hour, &minute
	case modeplatformv1.Cron_FREQUENCY_WEEKLY:
		dow := int(c.GetDayOfWeek()) - int(modeplatformv1.Cron_DAY_OF_WEEK_SUNDAY)
		out.DayOfWeek, out.Hour, out.Minute = &dow, &hour, &minute
	case modeplatformv1.Cron_FREQUENCY_MONTHLY:
		dom := int(c.GetDayOfMonth())
		out.DayOfMonth, out.Hour, out.Minute = &dom, &hour, &minute
	}
	return out
}

// parametersToMode is a run's or a schedule's parameters as Mode's params
// object; nil for none.
func parametersToMode(params map[string]string) map[string]any {
	if len(params) == 0 {
		return nil
	}
	out := make(map[string]any, len(params))
	for k, v := range params {
		out[k] = v
	}
	return out
}

// scheduleFromMode translates a Mode schedule of report r in workspace w.
func scheduleFromMode(w, r string, sc *modeclient.Schedule) *modeplatformv1.Schedule {
	out := &modeplatformv1.Schedule{
		Name:                 scheduleName(w, r, sc.Token),
		DisplayName:          sc.Name,
		Cron:                 cronFromMode(&sc.Cron),
		RetryState:           string(sc.RetryState),
		RetryCount:           clampInt32(sc.RetryCount),
		LastRunTime:          timestamp(sc.LastRunAt),
		LastSuccessTime:      timestamp(sc.LastSucceededAt),
		LastScheduledRunTime: timestamp(sc.LastScheduledRun),
		NextScheduledRunTime: timestamp(sc.NextScheduledRun),
		CreateTime:           timestamp(sc.CreatedAt),
		UpdateTime:           timestamp(sc.UpdatedAt),
		SubscriberCount:      clampInt32(sc.SubscriberCount),
	}
	if sc.Timeout > 0 {
		out.Timeout = durationpb.New(time.Duration(sc.Timeout) * time.Second)
	}
	if len(sc.Parameters) > 0 {
		out.Parameters = make(map[string]string, len(sc.Parameters))
		for k, v := range sc.Parameters {
			out.Parameters[k] = runParameterString(v)
		}
	}
	return out
}

// cronFromMode translates Mode's structured cron, keeping the fields its
// frequency uses (Mode keeps the others from earlier crons); a frequency
// this API does not know is left unspecified, with every field.
func cronFromMode(c *modeclient.Cron) *modeplatformv1.Cron {
	out := &modeplatformv1.Cron{TimeZone: c.TimeZone}
	for f, word := range cronFrequencies {
		if word == c.Freq {
			out.Frequency = f
		}
	}
	f := out.GetFrequency()
	if f == modeplatformv1.Cron_FREQUENCY_UNSPECIFIED || f >= modeplatformv1.Cron_FREQUENCY_HOURLY {
		out.Minute = clampInt32(c.Minute)
	}
	if f == modeplatformv1.Cron_FREQUENCY_UNSPECIFIED || f >= modeplatformv1.Cron_FREQUENCY_DAILY {
		out.Hour = clampInt32(c.Hour)
	}
	if (f == modeplatformv1.Cron_FREQUENCY_UNSPECIFIED || f == modeplatformv1.Cron_FREQUENCY_WEEKLY) && c.DayOfWeek >= 0 && c.DayOfWeek <= 6 {
		out.DayOfWeek = modeplatformv1.Cron_DayOfWeek(int32(c.DayOfWeek) + int32(modeplatformv1.Cron_DAY_OF_WEEK_SUNDAY))
	}
	if f == modeplatformv1.Cron_FREQUENCY_UNSPECIFIED || f == modeplatformv1.Cron_FREQUENCY_MONTHLY {
		out.DayOfMonth = clampInt32(c.DayOfMonth)
	}
	return out
}
