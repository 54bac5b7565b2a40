package modetest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Report subscriptions: list, create, get, update, delete, and a schedule's subscriptions. A
// subscription follows one schedule of its report and says what each of that schedule's runs
// delivers (CSV or PDF attachments, data previews, data tables, a link to the report) and to
// whom (e-mail subscribers, members of the workspace; Slack channels). It is stored with its
// report: deleting the report deletes it, and deleting its schedule deletes it
// (dropSubscriptions).
//
// Mode's document gives the create and update body only the five delivery switches, and no
// subscription token or schedule in the answer. The emulator's reading: the body also names
// the schedule ("schedule_token", required on a create), the e-mail subscribers by username
// ("email_subscribers") and the Slack channels ("slack_channels"); the answer adds "token",
// "schedule_token", "report_token", the subscriber lists, "slack_subscriber_count" and the
// timestamps to the fields Mode's document requires.
//
// Deliveries: deliver records, for each subscription of a schedule, what one run of that
// schedule delivered; Deliveries reads them back.

type subscription struct {
	token         string
	schedule      *schedule
	csv, pdf      bool
	previews      bool
	tables        bool
	reportLinks   bool
	emails        []string // usernames of members of the workspace
	slackChannels []string
	createdAt     time.Time
	updatedAt     time.Time
}

// Delivery is what one run of a schedule delivered to the subscribers of one of its
// subscriptions, as the emulator records it (Emulator.Deliveries).
type Delivery struct {
	Subscription string // the subscription's token
	Schedule     string // the schedule's token
	Run          string // the report run's token
	At           time.Time

	CSVAttachments bool
	PDFAttachments bool
	DataPreviews   bool
	DataTables     bool
	ReportLinks    bool

	EmailSubscribers []string // usernames
	Emails           []string // their e-mail addresses
	SlackChannels    []string
}

// Deliveries returns the deliveries recorded for a report of a workspace, oldest first: one per
// subscription of a schedule each time a run of that schedule succeeded (deliver). Nil when the
// workspace or the report does not exist (a deleted report's deliveries go with it).
func (e *Emulator) Deliveries(workspace, report string) []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.byName[workspace]
	if st == nil {
		return nil
	}
	rep := st.reportByTok[report]
	if rep == nil {
		return nil
	}
	out := make([]Delivery, len(rep.deliveries))
	for i, d := range rep.deliveries {
		d.EmailSubscribers = slices.Clone(d.EmailSubscribers)
		d.Emails = slices.Clone(d.Emails)
		d.SlackChannels = slices.Clone(d.SlackChannels)
		out[i] = d
	}
	return out
}

// deliver records one Delivery per subscription of schedule s (of report rep, in workspace st)
// for run, at the run's completion time (now when it has none). Call it with e.mu held, after a
// run the schedule fired has succeeded:
//
//	e.deliver(st *store, rep *report, s *schedule, run *reportRun)
//
// A schedule without subscriptions delivers nothing.
func (e *Emulator) deliver(st *store, rep *report, s *schedule, run *reportRun) {
	at := run.completedAt
	if at.IsZero() {
		at = time.Now()
	}
	for _, sub := range rep.subscriptions {
		if sub.schedule != s {
			continue
		}
		d := Delivery{
			Subscription: sub.token, Schedule: s.token, Run: run.token, At: at,
			CSVAttachments: sub.csv, PDFAttachments: sub.pdf, DataPreviews: sub.previews,
			DataTables: sub.tables, ReportLinks: sub.reportLinks,
			EmailSubscribers: slices.Clone(sub.emails), SlackChannels: slices.Clone(sub.slackChannels),
		}
		for _, u := range sub.emails {
			if m := st.memberByName[u]; m != nil {
				d.Emails = append(d.Emails, m.email)
			}
		}
		rep.deliveries = append(rep.deliveries, d)
	}
}

// dropSubscriptions deletes the subscriptions that follow s (a schedule being deleted).
func (rep *report) dropSubscriptions(s *schedule) {
	rep.subscriptions = slices.DeleteFunc(rep.subscriptions, func(x *subscription) bool { return x.schedule == s })
}

// scheduleSubscribers returns how many e-mail subscribers the subscriptions of s have, and
// whether it has any subscription (a schedule's subscriber_count and subscribed).
func (rep *report) scheduleSubscribers(s *schedule) (count int, subscribed bool) {
	for _, sub := range rep.subscriptions {
		if sub.schedule == s {
			count += len(sub.emails)
			subscribed = true
		}
	}
	return count, subscribed
}

func (rep *report) subscription(token string) *subscription {
	for _, s := range rep.subscriptions {
		if s.token == token {
			return s
		}
	}
	return nil
}

type subscriptionJSON struct {
	Token                string   `json:"token"`
	ScheduleToken        string   `json:"schedule_token"`
	ReportToken          string   `json:"report_token"`
	DataPreviewsEnabled  bool     `json:"data_previews_enabled"`
	DataTablesEnabled    bool     `json:"data_tables_enabled"`
	CSVAttachments       bool     `json:"csv_attachments_enabled"`
	PDFAttachments       bool     `json:"pdf_attachments_enabled"`
	ReportLinksEnabled   bool     `json:"report_links_enabled"`
	EmailSubscriberCount int      `json:"email_subscriber_count"`
	SlackSubscriberCount int      `json:"slack_subscriber_count"`
	EmailSubscribers     []string `json:"email_subscribers"`
	SlackChannels        []string `json:"slack_channels"`
	CreatedAt            string   `json:"created_at"`
	UpdatedAt            string   `json:"updated_at"`
	Links                links    `json:"_links"`
}

func subscriptionPath(rep *report, token string) string {
	return api(rep.ws.account.username, "reports", rep.token, "subscriptions", token)
}

func (e *Emulator) subscriptionJSON(rep *report, s *subscription) subscriptionJSON {
	self := subscriptionPath(rep, s.token)
	emails, slack := s.emails, s.slackChannels
	if emails == nil {
		emails = []string{}
	}
	if slack == nil {
		slack = []string{}
	}
	return subscriptionJSON{
		Token: s.token, ScheduleToken: s.schedule.token, ReportToken: rep.token,
		DataPreviewsEnabled: s.previews, DataTablesEnabled: s.tables, CSVAttachments: s.csv,
		PDFAttachments: s.pdf, ReportLinksEnabled: s.reportLinks,
		EmailSubscriberCount: len(s.emails), SlackSubscriberCount: len(s.slackChannels),
		EmailSubscribers: slices.Clone(emails), SlackChannels: slices.Clone(slack),
		CreatedAt: formatTime(s.createdAt), UpdatedAt: formatTime(s.updatedAt),
		Links: links{
			"self":                           href(self),
			"report":                         href(api(rep.ws.account.username, "reports", rep.token)),
			"report_schedule":                href(api(rep.ws.account.username, "reports", rep.token, "schedules", s.schedule.token)),
			"email_subscription_memberships": href(self + "/email_subscription_memberships"),
			"slack_subscription_memberships": href(self + "/slack_subscription_memberships"),
		},
	}
}

// subscriptionBody is the create and update body: Mode's
// CreateorUpdateReportSubscriptionRequestBody (the five switches) and the emulator's reading of
// what it leaves out (the schedule and the subscribers).
type subscriptionBody struct {
	CSVAttachments   *bool     `json:"csv_attachments"`
	PDFAttachments   *bool     `json:"pdf_attachments"`
	DataPreviews     *bool     `json:"data_previews"`
	DataTables       *bool     `json:"data_tables"`
	ReportLinks      *bool     `json:"report_links"`
	ScheduleToken    *string   `json:"schedule_token"`
	EmailSubscribers *[]string `json:"email_subscribers"`
	SlackChannels    *[]string `json:"slack_channels"`
}

// apply sets what b gives onto s and validates the result; it returns the status and message of
// an error (404 for a schedule the report does not have, 400 for a bad value), or 0.
func (b *subscriptionBody) apply(rep *report, s *subscription) (int, string) {
	n := *s
	if b.ScheduleToken != nil {
		if *b.ScheduleToken == "" {
			return http.StatusBadRequest, "param is missing or the value is empty: schedule_token"
		}
		sch := rep.schedule(*b.ScheduleToken)
		if sch == nil {
			return http.StatusNotFound, "ReportSchedule not found"
		}
		n.schedule = sch
	}
	if n.schedule == nil {
		return http.StatusBadRequest, "param is missing or the value is empty: schedule_token"
	}
	for _, f := range []struct {
		dst *bool
		v   *bool
	}{{&n.csv, b.CSVAttachments}, {&n.pdf, b.PDFAttachments}, {&n.previews, b.DataPreviews}, {&n.tables, b.DataTables}, {&n.reportLinks, b.ReportLinks}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if !n.csv && !n.pdf && !n.previews && !n.tables && !n.reportLinks {
		return http.StatusBadRequest, "A subscription must deliver something: enable csv_attachments, pdf_attachments, data_previews, data_tables or report_links"
	}
	if b.EmailSubscribers != nil {
		var emails []string
		for _, u := range *b.EmailSubscribers {
			if rep.ws.memberByName[u] == nil {
				return http.StatusBadRequest, fmt.Sprintf("Invalid email_subscribers: %q is not a member of %s", u, rep.ws.account.username)
			}
			if !slices.Contains(emails, u) {
				emails = append(emails, u)
			}
		}
		n.emails = emails
	}
	if b.SlackChannels != nil {
		var chans []string
		for _, c := range *b.SlackChannels {
			name := strings.TrimPrefix(c, "#")
			if name == "" || strings.ContainsAny(name, " \t\n,#") || len(name) > 80 {
				return http.StatusBadRequest, fmt.Sprintf("Invalid slack_channels: %q is not a Slack channel name", c)
			}
			if !slices.Contains(chans, "#"+name) {
				chans = append(chans, "#"+name)
			}
		}
		n.slackChannels = chans
	}
	*s = n
	return 0, ""
}

// withSubscription runs fn on the report and subscription of the path with e.mu held, answering
// 404 when either is missing.
func (e *Emulator) withSubscription(w http.ResponseWriter, r *http.Request, fn func(rep *report, s *subscription) (int, any, string)) {
	e.withReport(w, r, func(rep *report) (int, any, string) {
		s := rep.subscription(r.PathValue("subscription"))
		if s == nil {
			return http.StatusNotFound, nil, "ReportSubscription not found"
		}
		return fn(rep, s)
	})
}

// listSubscriptions answers a report's subscriptions, or with schedule in the path, those that
// follow that schedule (Mode's listSubscriptionsForReportSchedule; 404 for an unknown schedule).
func (e *Emulator) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	listOfReport(e, w, r, "report_subscriptions", func(rep *report) ([]subscriptionJSON, int, string) {
		var sch *schedule
		if tok := r.PathValue("schedule"); tok != "" {
			if sch = rep.schedule(tok); sch == nil {
				return nil, http.StatusNotFound, "ReportSchedule not found"
			}
		}
		all := make([]subscriptionJSON, 0, len(rep.subscriptions))
		for _, s := range rep.subscriptions {
			if sch == nil || s.schedule == sch {
				all = append(all, e.subscriptionJSON(rep, s))
			}
		}
		return all, 0, ""
	})
}

// listScheduleSubscriptions answers a schedule's report_subscriptions link.
func (e *Emulator) listScheduleSubscriptions(w http.ResponseWriter, r *http.Request) {
	e.listSubscriptions(w, r)
}

func (e *Emulator) getSubscription(w http.ResponseWriter, r *http.Request) {
	e.withSubscription(w, r, func(rep *report, s *subscription) (int, any, string) {
		return http.StatusOK, e.subscriptionJSON(rep, s), ""
	})
}

// createSubscription answers 200 with the subscription, as Mode's document does (not 201). A
// new subscription delivers a data preview and a link to the report unless the body says
// otherwise.
func (e *Emulator) createSubscription(w http.ResponseWriter, r *http.Request) {
	var b subscriptionBody
	if !decodeBody(w, r, &b) {
		return
	}
	e.withReport(w, r, func(rep *report) (int, any, string) {
		if b.ScheduleToken == nil {
			return http.StatusBadRequest, nil, "param is missing or the value is empty: schedule_token"
		}
		now := time.Now()
		s := &subscription{previews: true, reportLinks: true, createdAt: now, updatedAt: now}
		if status, msg := b.apply(rep, s); status != 0 {
			return status, nil, msg
		}
		s.token = rep.ws.newToken("subscription")
		rep.subscriptions = append(rep.subscriptions, s)
		e.recordAudit(r, rep.ws, "subscription_created", "subscription", s.token, rep.name)
		return http.StatusOK, e.subscriptionJSON(rep, s), ""
	})
}

func (e *Emulator) updateSubscription(w http.ResponseWriter, r *http.Request) {
	var b subscriptionBody
	if !decodeBody(w, r, &b) {
		return
	}
	e.withSubscription(w, r, func(rep *report, s *subscription) (int, any, string) {
		if status, msg := b.apply(rep, s); status != 0 {
			return status, nil, msg
		}
		s.updatedAt = time.Now()
		e.recordAudit(r, rep.ws, "subscription_updated", "subscription", s.token, rep.name)
		return http.StatusOK, e.subscriptionJSON(rep, s), ""
	})
}

// deleteSubscription answers 200 with an empty body, as Mode's document does.
func (e *Emulator) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	rep := e.findReport(r)
	var s *subscription
	if rep != nil {
		s = rep.subscription(r.PathValue("subscription"))
	}
	if s != nil {
		rep.subscriptions = slices.DeleteFunc(rep.subscriptions, func(x *subscription) bool { return x == s })
		e.recordAudit(r, rep.ws, "subscription_deleted", "subscription", s.token, rep.name)
	}
	e.mu.Unlock()
	switch {
	case rep == nil:
		notFound(w, "Report")
	case s == nil:
		notFound(w, "ReportSubscription")
	default:
		writeEmpty(w, http.StatusOK)
	}
}

type emailMembershipJSON struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Links    links  `json:"_links"`
}

type slackMembershipJSON struct {
	Channel string `json:"channel"`
}

// listEmailSubscribers answers a subscription's email_subscription_memberships link (Mode's
// document requires the link and documents no operation for it): its e-mail subscribers.
func (e *Emulator) listEmailSubscribers(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	var all []emailMembershipJSON
	status, msg := e.inSubscription(r, func(rep *report, s *subscription) {
		all = []emailMembershipJSON{}
		for _, u := range s.emails {
			if m := rep.ws.memberByName[u]; m != nil {
				all = append(all, emailMembershipJSON{Username: u, Email: m.email, Links: links{"user": href(api(u))}})
			}
		}
	})
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(r, pr, "email_subscription_memberships", all))
}

// listSlackSubscribers answers a subscription's slack_subscription_memberships link: its Slack
// channels.
func (e *Emulator) listSlackSubscribers(w http.ResponseWriter, r *http.Request) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	var all []slackMembershipJSON
	status, msg := e.inSubscription(r, func(_ *report, s *subscription) {
		all = []slackMembershipJSON{}
		for _, c := range s.slackChannels {
			all = append(all, slackMembershipJSON{Channel: c})
		}
	})
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(r, pr, "slack_subscription_memberships", all))
}

// inSubscription runs fn on the report and subscription of the path with e.mu held; it returns
// 404 and its message when either is missing, else 0.
func (e *Emulator) inSubscription(r *http.Request, fn func(rep *report, s *subscription)) (int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rep := e.findReport(r)
	if rep == nil {
		return http.StatusNotFound, "Report not found"
	}
	s := rep.subscription(r.PathValue("subscription"))
	if s == nil {
		return http.StatusNotFound, "ReportSubscription not found"
	}
	fn(rep, s)
	return 0, ""
}
