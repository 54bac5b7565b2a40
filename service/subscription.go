package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Subscriptions of ReportService: ListSubscriptions, GetSubscription,
// CreateSubscription, UpdateSubscription and DeleteSubscription. A
// subscription follows a schedule of its report; the contract's rules (the
// schedule is the report's, a delivery holds something, subscriber lists)
// are checked before Mode is called.

// Update mask paths UpdateSubscription accepts.
const (
	subscriptionPathSchedule         = "schedule"
	subscriptionPathCSVAttachments   = "csv_attachments"
	subscriptionPathPDFAttachments   = "pdf_attachments"
	subscriptionPathDataPreviews     = "data_previews"
	subscriptionPathDataTables       = "data_tables"
	subscriptionPathReportLinks      = "report_links"
	subscriptionPathEmailSubscribers = "email_subscribers"
	subscriptionPathSlackChannels    = "slack_channels"
)

// ListSubscriptions lists the subscriptions of a report, or only those that
// follow one of its schedules.
func (s *ReportServer) ListSubscriptions(ctx context.Context, req *connect.Request[modeplatformv1.ListSubscriptionsRequest]) (*connect.Response[modeplatformv1.ListSubscriptionsResponse], error) {
	schedule := req.Msg.GetSchedule()
	page, err := listOf(ctx, s.core, req.Msg, patReport,
		func(ctx context.Context, cl *modeclient.Client, ids []string, modePage int) (*modeclient.Page[modeclient.Subscription], error) {
			if schedule == "" {
				return cl.ListReportSubscriptionsPage(ctx, ids[0], ids[1], modePage, nil)
			}
			sids, err := parseName("schedule", schedule, patSchedule)
			if err != nil {
				return nil, err
			}
			return cl.ListScheduleSubscriptionsPage(ctx, ids[0], ids[1], sids[2], modePage, nil)
		},
		func(_ *modeclient.Client, ids []string, sub *modeclient.Subscription) *modeplatformv1.Subscription {
			return subscriptionFromMode(ids[0], ids[1], sub)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.ListSubscriptionsResponse{Subscriptions: page.items, NextPageToken: page.next, TotalSize: page.total}), nil
}

// GetSubscription returns one subscription of a report.
func (s *ReportServer) GetSubscription(ctx context.Context, req *connect.Request[modeplatformv1.GetSubscriptionRequest]) (*connect.Response[modeplatformv1.GetSubscriptionResponse], error) {
	sub, err := getOf(ctx, s.core, req.Msg, patSubscription,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.Subscription, error) {
			return cl.GetReportSubscription(ctx, ids[0], ids[1], ids[2])
		},
		func(_ *modeclient.Client, ids []string, sub *modeclient.Subscription) *modeplatformv1.Subscription {
			return subscriptionFromMode(ids[0], ids[1], sub)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetSubscriptionResponse{Subscription: sub}), nil
}

// CreateSubscription subscribes members and Slack channels to a schedule of
// a report. A request_id makes it safe to retry.
func (s *ReportServer) CreateSubscription(ctx context.Context, req *connect.Request[modeplatformv1.CreateSubscriptionRequest]) (*connect.Response[modeplatformv1.CreateSubscriptionResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patReport)
	if err != nil {
		return nil, err
	}
	in := m.GetSubscription()
	sids, err := parseName("subscription.schedule", in.GetSchedule(), patSchedule)
	if err != nil {
		return nil, err
	}
	w, r := ids[0], ids[1]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	create := modeclient.SubscriptionCreate{
		Schedule:         sids[2],
		CSVAttachments:   boolPtr(in.GetCsvAttachments()),
		PDFAttachments:   boolPtr(in.GetPdfAttachments()),
		DataPreviews:     boolPtr(in.GetDataPreviews()),
		DataTables:       boolPtr(in.GetDataTables()),
		ReportLinks:      boolPtr(in.GetReportLinks()),
		EmailSubscribers: in.GetEmailSubscribers(),
		SlackChannels:    in.GetSlackChannels(),
	}
	body, err := json.Marshal(create) // what Mode is asked to create, in a stable order
	if err != nil {
		return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("CreateSubscription: encoding the subscription: %w", err))
	}
	res, err := do(ctx, s.core.creates, "CreateSubscription\x00"+w, m.GetRequestId(), requestFingerprint("CreateSubscription", m.GetParent(), string(body)),
		func(ctx context.Context) (*modeplatformv1.CreateSubscriptionResponse, error) {
			sub, err := cl.CreateReportSubscription(ctx, w, r, create)
			if err != nil {
				return nil, upstreamError(err, m.GetParent())
			}
			return &modeplatformv1.CreateSubscriptionResponse{Subscription: subscriptionFromMode(w, r, sub)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// UpdateSubscription changes the fields of a subscription named in
// update_mask; a list named there is replaced whole.
func (s *ReportServer) UpdateSubscription(ctx context.Context, req *connect.Request[modeplatformv1.UpdateSubscriptionRequest]) (*connect.Response[modeplatformv1.UpdateSubscriptionResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	in := m.GetSubscription()
	ids, err := parseName("subscription.name", in.GetName(), patSubscription)
	if err != nil {
		return nil, err
	}
	var upd modeclient.SubscriptionUpdate
	for _, p := range updatePaths(m.GetUpdateMask(), subscriptionPathSchedule, subscriptionPathCSVAttachments, subscriptionPathPDFAttachments,
		subscriptionPathDataPreviews, subscriptionPathDataTables, subscriptionPathReportLinks, subscriptionPathEmailSubscribers, subscriptionPathSlackChannels) {
		switch p {
		case subscriptionPathSchedule:
			sids, err := parseName("subscription.schedule", in.GetSchedule(), patSchedule)
			if err != nil {
				return nil, err
			}
			upd.Schedule = &sids[2]
		case subscriptionPathCSVAttachments:
			upd.CSVAttachments = boolPtr(in.GetCsvAttachments())
		case subscriptionPathPDFAttachments:
			upd.PDFAttachments = boolPtr(in.GetPdfAttachments())
		case subscriptionPathDataPreviews:
			upd.DataPreviews = boolPtr(in.GetDataPreviews())
		case subscriptionPathDataTables:
			upd.DataTables = boolPtr(in.GetDataTables())
		case subscriptionPathReportLinks:
			upd.ReportLinks = boolPtr(in.GetReportLinks())
		case subscriptionPathEmailSubscribers:
			list := append([]string{}, in.GetEmailSubscribers()...)
			upd.EmailSubscribers = &list
		case subscriptionPathSlackChannels:
			list := append([]string{}, in.GetSlackChannels()...)
			upd.SlackChannels = &list
		}
	}
	w, r, token := ids[0], ids[1], ids[2]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	sub, err := cl.UpdateReportSubscription(ctx, w, r, token, upd)
	if err != nil {
		return nil, upstreamError(err, in.GetName())
	}
	return connect.NewResponse(&modeplatformv1.UpdateSubscriptionResponse{Subscription: subscriptionFromMode(w, r, sub)}), nil
}

// DeleteSubscription deletes a subscription.
func (s *ReportServer) DeleteSubscription(ctx context.Context, req *connect.Request[modeplatformv1.DeleteSubscriptionRequest]) (*connect.Response[modeplatformv1.DeleteSubscriptionResponse], error) {
	err := deleteOf(ctx, s.core, req.Msg, patSubscription,
		func(ctx context.Context, cl *modeclient.Client, ids []string) error {
			return cl.DeleteReportSubscription(ctx, ids[0], ids[1], ids[2])
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.DeleteSubscriptionResponse{}), nil
}

// subscriptionFromMode translates a Mode subscription of report r in
// workspace w.
func subscriptionFromMode(w, r string, sub *modeclient.Subscription) *modeplatformv1.Subscription {
	out := &modeplatformv1.Subscription{
		Name:                 subscriptionName(w, r, sub.Token),
		CsvAttachments:       bool(sub.CSVAttachmentsEnabled),
		PdfAttachments:       bool(sub.PDFAttachmentsEnabled),
		DataPreviews:         bool(sub.DataPreviewsEnabled),
		DataTables:           bool(sub.DataTablesEnabled),
		ReportLinks:          bool(sub.ReportLinksEnabled),
		EmailSubscribers:     slices.Clone(sub.EmailSubscribers), // sub is the cache's: never share it
		SlackChannels:        slices.Clone(sub.SlackChannels),
		EmailSubscriberCount: clampInt32(sub.EmailSubscriberCount),
		SlackSubscriberCount: clampInt32(sub.SlackSubscriberCount),
		CreateTime:           timestamp(sub.CreatedAt),
		UpdateTime:           timestamp(sub.UpdatedAt),
	}
	if sub.ScheduleToken != "" {
		out.Schedule = scheduleName(w, r, sub.ScheduleToken)
	}
	return out
}

// boolPtr returns a pointer to a copy of b.
func boolPtr(b bool) *bool { return &b }
