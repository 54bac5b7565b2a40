package modeclient

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// Subscription is a report's subscription (Mode's "ReportSubscription"): what each run of the
// schedule it follows delivers (CSV or PDF attachments, data previews, data tables, a link to
// the report) and to how many subscribers. Mode's document requires the five switches, the
// e-mail subscriber count and the links (the schedule's among them); the token, the schedule's
// and report's tokens, the Slack subscriber count and the subscriber lists are read when Mode
// sends them (the emulator does).
type Subscription struct {
	Token                 string   `json:"token"`
	ScheduleToken         string   `json:"schedule_token"`
	ReportToken           string   `json:"report_token"`
	DataPreviewsEnabled   Bool     `json:"data_previews_enabled"`
	DataTablesEnabled     Bool     `json:"data_tables_enabled"`
	CSVAttachmentsEnabled Bool     `json:"csv_attachments_enabled"`
	PDFAttachmentsEnabled Bool     `json:"pdf_attachments_enabled"`
	ReportLinksEnabled    Bool     `json:"report_links_enabled"`
	EmailSubscriberCount  Int      `json:"email_subscriber_count"`
	SlackSubscriberCount  Int      `json:"slack_subscriber_count"`
	EmailSubscribers      []string `json:"email_subscribers"` // usernames
	SlackChannels         []string `json:"slack_channels"`
	CreatedAt             Time     `json:"created_at"`
	UpdatedAt             Time     `json:"updated_at"`
	Links                 Links    `json:"_links"`
}

// SubscriptionCreate is the body of CreateReportSubscription: Mode's
// CreateorUpdateReportSubscriptionRequestBody (the five switches; nil ones take Mode's
// defaults) and the schedule the subscription follows and its subscribers, which Mode's
// document leaves out (the emulator's reading: "schedule_token", "email_subscribers" as
// usernames of the workspace's members, "slack_channels").
type SubscriptionCreate struct {
	Schedule         string   `json:"schedule_token"` // required: a schedule of the report
	CSVAttachments   *bool    `json:"csv_attachments,omitempty"`
	PDFAttachments   *bool    `json:"pdf_attachments,omitempty"`
	DataPreviews     *bool    `json:"data_previews,omitempty"`
	DataTables       *bool    `json:"data_tables,omitempty"`
	ReportLinks      *bool    `json:"report_links,omitempty"`
	EmailSubscribers []string `json:"email_subscribers,omitempty"`
	SlackChannels    []string `json:"slack_channels,omitempty"`
}

// SubscriptionUpdate is the body of UpdateReportSubscription: nil fields are left unchanged; a
// non-nil empty list removes every subscriber of its kind; Schedule moves the subscription to
// another schedule of the report.
type SubscriptionUpdate struct {
	Schedule         *string   `json:"schedule_token,omitempty"`
	CSVAttachments   *bool     `json:"csv_attachments,omitempty"`
	PDFAttachments   *bool     `json:"pdf_attachments,omitempty"`
	DataPreviews     *bool     `json:"data_previews,omitempty"`
	DataTables       *bool     `json:"data_tables,omitempty"`
	ReportLinks      *bool     `json:"report_links,omitempty"`
	EmailSubscribers *[]string `json:"email_subscribers,omitempty"`
	SlackChannels    *[]string `json:"slack_channels,omitempty"`
}

func (u *SubscriptionUpdate) empty() bool {
	return u.Schedule == nil && u.CSVAttachments == nil && u.PDFAttachments == nil && u.DataPreviews == nil &&
		u.DataTables == nil && u.ReportLinks == nil && u.EmailSubscribers == nil && u.SlackChannels == nil
}

func (s *Subscription) owner() (string, Links) { return "", s.Links }

func subscriptionsPath(ws, report string) *apiPath {
	return reportPath(ws, report).lit("subscriptions")
}

func subscriptionPath(ws, report, subscription string) *apiPath {
	return subscriptionsPath(ws, report).tok("subscription", subscription)
}

func scheduleSubscriptionsPath(ws, report, schedule string) *apiPath {
	return schedulePath(ws, report, schedule).lit("subscriptions")
}

// scheduleSubscriptionsTag tags a schedule's subscription list.
func scheduleSubscriptionsTag(ws, report, schedule string) string {
	return reportListTag(ws, report, "schedules/"+schedule+"/subscriptions")
}

// subscriptionPolicy caches a subscription for the metadata TTL, tagged with its report, the
// schedule it follows (deleting the schedule deletes it) and the workspace's subscribers
// (removing a member takes them off it).
func (c *Client) subscriptionPolicy(ws, report string) cachePolicy {
	return func(v any) (time.Duration, []string) {
		t := []string{reportScopeTag(ws, report), subscribersTag(ws)}
		if s, _ := v.(*Subscription); s != nil && s.ScheduleToken != "" {
			if p := schedulePath(ws, report, s.ScheduleToken); p.err == nil {
				t = append(t, apiPathOf(p))
			}
		}
		return c.metadataTTL, t
	}
}

// subscriptionWriteTags are what a write of a report's subscription changes: the subscription
// (the write's own path), the report's subscription list, the subscription lists of the
// schedules it follows (before and after the write), those schedules (their subscriber_count)
// and the report.
func subscriptionWriteTags(ws, report string, schedules ...string) func(path string) []string {
	t := []string{reportListTag(ws, report, "subscriptions"), apiPathOf(reportPath(ws, report))}
	for _, s := range schedules {
		if s == "" {
			continue
		}
		t = append(t, scheduleSubscriptionsTag(ws, report, s), apiPathOf(schedulePath(ws, report, s)))
	}
	return tags(t...)
}

// ListReportSubscriptionsPage returns one page of a report's subscriptions:
// GET /api/{workspace}/reports/{report}/subscriptions.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListReportSubscriptionsPage(ctx context.Context, workspace, report string, page int, opts *ListOptions) (*Page[Subscription], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	policy := c.metadata(reportListTag(workspace, report, "subscriptions"), reportScopeTag(workspace, report), subscribersTag(workspace))
	return listPage[Subscription](ctx, c, subscriptionsPath(workspace, report), q, page, "report_subscriptions", policy)
}

// ListReportSubscriptions iterates over all of a report's subscriptions, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListReportSubscriptions(ctx context.Context, workspace, report string, opts *ListOptions) iter.Seq2[Subscription, error] {
	return listAll(func(page int) (*Page[Subscription], error) {
		return c.ListReportSubscriptionsPage(ctx, workspace, report, page, opts)
	}, func(s Subscription) string { return s.Token })
}

// ListScheduleSubscriptionsPage returns one page of the subscriptions that follow a schedule:
// GET /api/{workspace}/reports/{report}/schedules/{schedule}/subscriptions.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListScheduleSubscriptionsPage(ctx context.Context, workspace, report, schedule string, page int, opts *ListOptions) (*Page[Subscription], error) {
	q, page, err := c.pageQuery(page, opts)
	if err != nil {
		return nil, err
	}
	p := scheduleSubscriptionsPath(workspace, report, schedule)
	if p.err != nil {
		return nil, p.err
	}
	policy := c.metadata(scheduleSubscriptionsTag(workspace, report, schedule), reportScopeTag(workspace, report),
		apiPathOf(schedulePath(workspace, report, schedule)), subscribersTag(workspace))
	return listPage[Subscription](ctx, c, p, q, page, "report_subscriptions", policy)
}

// ListScheduleSubscriptions iterates over all the subscriptions that follow a schedule,
// fetching pages lazily. The items yielded share their links and other maps and slices with
// the cache: read-only (see Shared values in the package doc).
func (c *Client) ListScheduleSubscriptions(ctx context.Context, workspace, report, schedule string, opts *ListOptions) iter.Seq2[Subscription, error] {
	return listAll(func(page int) (*Page[Subscription], error) {
		return c.ListScheduleSubscriptionsPage(ctx, workspace, report, schedule, page, opts)
	}, func(s Subscription) string { return s.Token })
}

// GetReportSubscription returns one subscription of a report:
// GET /api/{workspace}/reports/{report}/subscriptions/{subscription}.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetReportSubscription(ctx context.Context, workspace, report, subscription string) (*Subscription, error) {
	return getJSON[Subscription](ctx, c, subscriptionPath(workspace, report, subscription), nil, c.subscriptionPolicy(workspace, report))
}

// verifySubscription checks, before a write, that subscription (of report) belongs to
// workspace, and returns it.
func (c *Client) verifySubscription(ctx context.Context, workspace, report, subscription string) (*Subscription, error) {
	return c.GetReportSubscription(ownerCheckContext(ctx), workspace, report, subscription)
}

// CreateReportSubscription adds a subscription to a report, following one of its schedules:
// POST /api/{workspace}/reports/{report}/subscriptions. Mode answers the subscription (200).
// A schedule the report does not have is Mode's *APIError (404), a value Mode refuses its
// *APIError (400). The schedule is read first (GetReportSchedule; free when cached): one of
// another workspace is not found and gains no subscription (see checkOwner).
func (c *Client) CreateReportSubscription(ctx context.Context, workspace, report string, in SubscriptionCreate) (*Subscription, error) {
	if err := subscriptionsPath(workspace, report).err; err != nil {
		return nil, err
	}
	if err := schedulePath(workspace, report, in.Schedule).err; err != nil {
		return nil, err
	}
	if err := c.verifySchedule(ctx, workspace, report, in.Schedule); err != nil {
		return nil, err
	}
	var s Subscription
	if err := c.write(ctx, http.MethodPost, subscriptionsPath(workspace, report), in, &s,
		subscriptionWriteTags(workspace, report, in.Schedule)); err != nil {
		return nil, err
	}
	return &s, nil
}

// UpdateReportSubscription changes a subscription: PATCH
// /api/{workspace}/reports/{report}/subscriptions/{subscription}. The subscription is read
// first (GetReportSubscription; free when cached): one of another workspace is not found and
// is left as it is (see checkOwner).
func (c *Client) UpdateReportSubscription(ctx context.Context, workspace, report, subscription string, in SubscriptionUpdate) (*Subscription, error) {
	if err := subscriptionPath(workspace, report, subscription).err; err != nil {
		return nil, err
	}
	if in.empty() {
		return nil, &InvalidArgumentError{Field: "subscription", Reason: "nothing to update"}
	}
	schedules := []string{""}
	if in.Schedule != nil {
		if err := schedulePath(workspace, report, *in.Schedule).err; err != nil {
			return nil, err
		}
		schedules = append(schedules, *in.Schedule)
	}
	old, err := c.verifySubscription(ctx, workspace, report, subscription)
	if err != nil {
		return nil, err
	}
	schedules[0] = old.ScheduleToken
	var s Subscription
	if err := c.write(ctx, http.MethodPatch, subscriptionPath(workspace, report, subscription), in, &s,
		subscriptionWriteTags(workspace, report, validTokens(schedules)...)); err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteReportSubscription removes a subscription: DELETE
// /api/{workspace}/reports/{report}/subscriptions/{subscription} (Mode answers an empty body).
// The subscription is read first (GetReportSubscription; free when cached): one of another
// workspace is not found and the DELETE is not sent.
func (c *Client) DeleteReportSubscription(ctx context.Context, workspace, report, subscription string) error {
	if err := subscriptionPath(workspace, report, subscription).err; err != nil {
		return err
	}
	old, err := c.verifySubscription(ctx, workspace, report, subscription)
	if err != nil {
		return err
	}
	return c.write(ctx, http.MethodDelete, subscriptionPath(workspace, report, subscription), nil, nil,
		subscriptionWriteTags(workspace, report, validTokens([]string{old.ScheduleToken})...))
}

// validTokens keeps the tokens a path may hold (a schedule token Mode sent is checked before
// it names a cache tag).
func validTokens(toks []string) []string {
	var out []string
	for _, t := range toks {
		if _, ok := validToken(t); ok {
			out = append(out, t)
		}
	}
	return out
}
