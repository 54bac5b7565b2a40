package modeclient

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// Mode's Metadata API (its "Discovery API", batch-swagger.json): every report, query, chart,
// space, member and report stat of a workspace, up to a thousand a page, under /batch/{workspace}/…. A
// whole workspace's inventory costs a request per thousand objects, where the REST API costs
// one per report list page, per report's queries… which suits Mode's 4 requests a second.
//
// Its reads are signed with a signature token the client makes and renews itself
// (batchauth.go): the first read of a workspace costs one more request, to make it. Pages are
// cached as metadata (WithMetadataTTL), tagged so that every write of the workspace, and the end
// of a run the client sees, drops them (see caching.go).
//
// Its answers are not HAL collections: the items sit at the top level ("reports": […]) beside
// "pagination" {page, per_page, count, total_pages, total_count} and "_links" {next_page,
// prev_page}. The iterators stop at total_pages, so listing N objects costs ceil(N/per_page)
// requests, not one more.

// Paging of the Metadata API.
const (
	// DefaultBatchPerPage is the page size the Metadata API methods pin by default: Mode's
	// own default, and its largest.
	DefaultBatchPerPage = 1000
	// MaxBatchPerPage is the largest page size Mode takes. (Its document says "less than
	// 1000"; its documentation's example, its default and its own next_page links use 1000.)
	MaxBatchPerPage = 1000
)

// IncludeSpacesAll is the value of BatchOptions.IncludeSpaces that adds the objects in
// members' personal spaces, which Mode leaves out by default.
const IncludeSpacesAll = "all"

// BatchOptions are the options of the Metadata API's lists.
type BatchOptions struct {
	// PerPage is the page size, 1 to MaxBatchPerPage; 0 pins DefaultBatchPerPage.
	PerPage int
	// IncludeSpaces is Mode's include_spaces: "" (the default) leaves out the objects in
	// members' personal spaces, IncludeSpacesAll includes them. The spaces list does not take
	// it (it lists every space) and ignores it.
	IncludeSpaces string
}

// BatchPage is one page of a Metadata API list. ListBatchXxxPage methods number pages from 1
// (a page < 1 means 1) and always pin per_page.
type BatchPage[T any] struct {
	Items      []T
	Page       int // the page number asked for, from 1
	PerPage    int // the page size pinned
	TotalPages int // total pages, as Mode says
	TotalCount int // total items, as Mode says
	NextPage   int // the next page number; 0 on the last page
}

// BatchReport is a report as the Metadata API lists it (BatchApiRepresenters::Report): what
// its answer has, and no more (no archived state, no counts, no links; GetReport has them).
type BatchReport struct {
	ID                    Int    `json:"id"`
	Token                 string `json:"token"`
	Name                  string `json:"name"`
	Description           string `json:"description"`
	CreatedAt             Time   `json:"created_at"`
	EditedAt              Time   `json:"edited_at"`
	UpdatedAt             Time   `json:"updated_at"`
	LastSuccessfullyRunAt Time   `json:"last_successfully_run_at"`
	LastViewedAt          Time   `json:"last_viewed_at"`
	LastRunAt             Time   `json:"last_run_at"`
	LastRunToken          String `json:"last_run_token"`
	LastRunState          String `json:"last_run_state"`
	CreatorEmail          String `json:"creator_email"`
	SpaceID               Int    `json:"space_id"`
	SpaceToken            String `json:"space_token"`
	// ReportURL is the report's API path ("/api/{workspace}/reports/{token}").
	ReportURL String `json:"report_url"`
}

// BatchQuery is a query as the Metadata API lists it (BatchApiRepresenters::Query).
type BatchQuery struct {
	ID              Int    `json:"id"`
	Token           string `json:"token"`
	Name            string `json:"name"`
	RawQuery        string `json:"raw_query"`
	CreatorEmail    String `json:"creator_email"`
	DataSourceToken String `json:"data_source_token"`
	ReportID        Int    `json:"report_id"`
	ReportToken     String `json:"report_token"`
	SpaceID         Int    `json:"space_id"`
	SpaceToken      String `json:"space_token"`
}

// BatchChart is a chart as the Metadata API lists it (BatchApiRepresenters::Chart).
type BatchChart struct {
	ID                 Int    `json:"id"`
	Token              string `json:"token"`
	ChartType          String `json:"chart_type"`
	ChartTitle         String `json:"chart_title"`
	QueryID            Int    `json:"query_id"`
	ReportID           Int    `json:"report_id"`
	SpaceID            Int    `json:"space_id"`
	QueryToken         String `json:"query_token"`
	ReportToken        String `json:"report_token"`
	SpaceToken         String `json:"space_token"`
	ReportCreatorEmail String `json:"report_creator_email"`
	ExplorationURL     String `json:"exploration_url"`
}

// BatchSpace is a space (collection) as the Metadata API lists it
// (BatchApiRepresenters::Space).
type BatchSpace struct {
	ID          Int    `json:"id"`
	Token       string `json:"token"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SpaceType   String `json:"space_type"` // "custom", "private" (a member's personal space), …
	// SpaceURL is the space's path ("/api/{workspace}/spaces/{token}" in the emulator).
	SpaceURL String `json:"space_url"`
}

// BatchReportStat is a report's usage as the Metadata API lists it
// (BatchApiRepresenters::ReportStat).
type BatchReportStat struct {
	ReportID                      Int      `json:"report_id"`
	ReportToken                   string   `json:"report_token"`
	ActiveSchedulesCount          Int      `json:"active_schedules_count"`
	ExplorationsCount             Int      `json:"explorations_count"`
	ViewCount                     Int      `json:"view_count"`
	RecentManualRunCreatorsEmails []string `json:"recent_manual_run_creators_emails"`
	ScheduledRunCreatorsEmails    []string `json:"scheduled_run_creators_emails"`
	EditorsEmails                 []string `json:"editors_emails"`
	Links                         Links    `json:"_links"`
}

// BatchMember is a membership of the workspace as the Metadata API lists it
// (BatchApiRepresenters::Membership): the membership (its token addresses it, as
// GetMembership and DeleteMembership take it), the person (username, e-mail, user token) and
// their activity. Pending invitations are listed too (State "pending", no ActivatedAt).
type BatchMember struct {
	ID                       Int    `json:"id"`
	Token                    string `json:"token"` // the membership's token
	State                    String `json:"state"`
	MemberEmail              String `json:"member_email"`
	MemberToken              String `json:"member_token"` // the user's token
	MemberUsername           string `json:"member_username"`
	BannedAt                 Time   `json:"banned_at"`
	ActivatedAt              Time   `json:"activated_at"`
	LastReportCreatedAt      Time   `json:"last_report_created_at"`
	LastReportViewedAt       Time   `json:"last_report_viewed_at"`
	LastReportRunAt          Time   `json:"last_report_run_at"`
	LastDayEngaged           Time   `json:"last_day_engaged"`
	LastDayAPIEngaged        Time   `json:"last_day_api_engaged"`
	LastDayInAppEngaged      Time   `json:"last_day_in_app_engaged"`
	TotalDaysEngaged         Int    `json:"total_days_engaged"`
	LastExplorationCreatedAt Time   `json:"last_exploration_created_at"`
	LastExplorationUpdatedAt Time   `json:"last_exploration_updated_at"`
}

// batchEnvelope is a Metadata API answer: its items under the one key of its list. Decoding it
// reads the items straight into T whichever list it is, in one pass.
type batchEnvelope[T any] struct {
	Pagination *struct {
		TotalPages Int `json:"total_pages"`
		TotalCount Int `json:"total_count"`
	} `json:"pagination"`
	Links       Links `json:"_links"`
	Reports     []T   `json:"reports"`
	Queries     []T   `json:"queries"`
	Charts      []T   `json:"charts"`
	Spaces      []T   `json:"spaces"`
	ReportStats []T   `json:"report_stats"`
	Memberships []T   `json:"memberships"`
}

// items returns the items under key.
func (e *batchEnvelope[T]) items(key string) []T {
	switch key {
	case "reports":
		return e.Reports
	case "queries":
		return e.Queries
	case "charts":
		return e.Charts
	case "spaces":
		return e.Spaces
	case "report_stats":
		return e.ReportStats
	case "members": // the list is /members, its items "memberships"
		return e.Memberships
	}
	return nil
}

// batchHref returns the href of an item that names its workspace in an API path (a report's
// report_url, a space's space_url), "" for the others.
func batchHref(v any) string {
	switch it := v.(type) {
	case *BatchReport:
		return string(it.ReportURL)
	case *BatchSpace:
		return string(it.SpaceURL)
	}
	return ""
}

// batchQuery returns the query of a Metadata API page, with page and per_page pinned.
func batchQuery(page int, o *BatchOptions) (url.Values, int, int, error) {
	per, spaces := DefaultBatchPerPage, ""
	if o != nil {
		if o.PerPage < 0 || o.PerPage > MaxBatchPerPage {
			return nil, 0, 0, &InvalidArgumentError{Field: "per_page", Reason: "must be between 1 and " + strconv.Itoa(MaxBatchPerPage)}
		}
		if o.PerPage > 0 {
			per = o.PerPage
		}
		if o.IncludeSpaces != "" && o.IncludeSpaces != IncludeSpacesAll {
			return nil, 0, 0, &InvalidArgumentError{Field: "include_spaces", Reason: `must be "" or "all"`}
		}
		spaces = o.IncludeSpaces
	}
	page = max(page, 1)
	q := url.Values{}
	q.Set("page", strconv.Itoa(page))
	q.Set("per_page", strconv.Itoa(per))
	if spaces != "" {
		q.Set("include_spaces", spaces)
	}
	return q, page, per, nil
}

// listBatchPage GETs page of the Metadata API list named list of workspace (through the cache)
// and decodes its items, found under the list's name. Items that name their workspace in an
// API path (reports, spaces) must name this one (see checkOwner; the lists are the workspace's
// own, so this only catches a Mode that answers for another workspace).
//
// warm, when not nil, is given the items of every page decoded from a body fetched (from Mode or
// a second cache level), not of cache hits (see reportbasic.go).
func listBatchPage[T any](ctx context.Context, c *Client, workspace, list string, takesSpaces bool, page int, opts *BatchOptions, warm func([]T)) (*BatchPage[T], error) {
	if opts != nil && !takesSpaces {
		o := *opts
		o.IncludeSpaces = ""
		opts = &o
	}
	q, page, per, err := batchQuery(page, opts)
	if err != nil {
		return nil, err
	}
	p := newBatchPath(workspace).lit(list)
	return getDecodedWith(ctx, c, p, q, c.metadata(batchTag(workspace)), c.fetchBatch, func(cl *call, body []byte) (*BatchPage[T], error) {
		var env batchEnvelope[T]
		if err := decode(cl, body, &env); err != nil {
			return nil, err
		}
		out := &BatchPage[T]{Items: env.items(list), Page: page, PerPage: per}
		for i := range out.Items {
			if ws, ok := c.hrefWorkspace(batchHref(&out.Items[i])); ok && ws != cl.workspace {
				return nil, &WrongWorkspaceError{Method: cl.method, Route: cl.route, Workspace: cl.workspace}
			}
		}
		if pg := env.Pagination; pg != nil {
			out.TotalPages, out.TotalCount = int(pg.TotalPages), int(pg.TotalCount)
		}
		out.NextPage = batchNextPage(env.Pagination != nil, out.TotalPages, env.Links, page, len(out.Items))
		if warm != nil {
			warm(out.Items)
		}
		return out, nil
	})
}

// batchNextPage works out the page after page: none after an empty page; with pagination, the
// next one up to total_pages (Mode's document requires pagination, and its links are there on
// the last page too); without it, the page next_page names when it is a later one.
func batchNextPage(paginated bool, totalPages int, ls Links, page, items int) int {
	switch {
	case items == 0:
		return 0
	case paginated:
		if page < totalPages {
			return page + 1
		}
		return 0
	}
	if u, err := url.Parse(ls.Href("next_page")); err == nil {
		if n, err := strconv.Atoi(u.Query().Get("page")); err == nil && n > page {
			return n
		}
	}
	return 0
}

// listBatch iterates over a Metadata API list from page 1, fetching pages lazily (see listAll:
// items are de-duplicated by key).
func listBatch[T any](fetch func(page int) (*BatchPage[T], error), key func(T) string) iter.Seq2[T, error] {
	return listAll(func(page int) (*Page[T], error) {
		p, err := fetch(page)
		if err != nil {
			return nil, err
		}
		return &Page[T]{Items: p.Items, Page: p.Page, NextPage: p.NextPage, TotalCount: p.TotalCount, TotalPages: p.TotalPages}, nil
	}, key)
}

// ListBatchReportsPage returns one page of a workspace's reports from the Metadata API:
// GET /batch/{workspace}/reports. Every report of the workspace, archived ones too (Mode: "all
// Reports"), but those in members' personal spaces unless opts.IncludeSpaces says "all".
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) ListBatchReportsPage(ctx context.Context, workspace string, page int, opts *BatchOptions) (*BatchPage[BatchReport], error) {
	var since uint64
	if c.cache != nil {
		since = c.cache.Tick()
	}
	return listBatchPage(ctx, c, workspace, "reports", true, page, opts, func(rs []BatchReport) { c.warmBasicReports(workspace, rs, since) })
}

// ListBatchReports iterates over all of a workspace's reports from the Metadata API, fetching
// pages lazily: ceil(reports/per_page) requests. The items yielded share their slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListBatchReports(ctx context.Context, workspace string, opts *BatchOptions) iter.Seq2[BatchReport, error] {
	return listBatch(func(page int) (*BatchPage[BatchReport], error) {
		return c.ListBatchReportsPage(ctx, workspace, page, opts)
	}, func(r BatchReport) string { return r.Token })
}

// ListBatchQueriesPage returns one page of a workspace's queries (every query of every report)
// from the Metadata API: GET /batch/{workspace}/queries (see ListBatchReportsPage about
// personal spaces).
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) ListBatchQueriesPage(ctx context.Context, workspace string, page int, opts *BatchOptions) (*BatchPage[BatchQuery], error) {
	return listBatchPage[BatchQuery](ctx, c, workspace, "queries", true, page, opts, nil)
}

// ListBatchQueries iterates over all of a workspace's queries from the Metadata API, fetching
// pages lazily.
func (c *Client) ListBatchQueries(ctx context.Context, workspace string, opts *BatchOptions) iter.Seq2[BatchQuery, error] {
	return listBatch(func(page int) (*BatchPage[BatchQuery], error) {
		return c.ListBatchQueriesPage(ctx, workspace, page, opts)
	}, func(q BatchQuery) string { return q.Token })
}

// ListBatchChartsPage returns one page of a workspace's charts from the Metadata API:
// GET /batch/{workspace}/charts (see ListBatchReportsPage about personal spaces).
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) ListBatchChartsPage(ctx context.Context, workspace string, page int, opts *BatchOptions) (*BatchPage[BatchChart], error) {
	return listBatchPage[BatchChart](ctx, c, workspace, "charts", true, page, opts, nil)
}

// ListBatchCharts iterates over all of a workspace's charts from the Metadata API, fetching
// pages lazily.
func (c *Client) ListBatchCharts(ctx context.Context, workspace string, opts *BatchOptions) iter.Seq2[BatchChart, error] {
	return listBatch(func(page int) (*BatchPage[BatchChart], error) {
		return c.ListBatchChartsPage(ctx, workspace, page, opts)
	}, func(ch BatchChart) string { return ch.Token })
}

// ListBatchSpacesPage returns one page of a workspace's spaces (collections), personal ones
// too, from the Metadata API: GET /batch/{workspace}/spaces (opts.IncludeSpaces is not sent:
// Mode's spaces list does not take it).
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) ListBatchSpacesPage(ctx context.Context, workspace string, page int, opts *BatchOptions) (*BatchPage[BatchSpace], error) {
	return listBatchPage[BatchSpace](ctx, c, workspace, "spaces", false, page, opts, nil)
}

// ListBatchSpaces iterates over all of a workspace's spaces from the Metadata API, fetching
// pages lazily.
func (c *Client) ListBatchSpaces(ctx context.Context, workspace string, opts *BatchOptions) iter.Seq2[BatchSpace, error] {
	return listBatch(func(page int) (*BatchPage[BatchSpace], error) {
		return c.ListBatchSpacesPage(ctx, workspace, page, opts)
	}, func(s BatchSpace) string { return s.Token })
}

// ListBatchReportStatsPage returns one page of a workspace's report stats (views, active
// schedules, who runs and edits each report) from the Metadata API:
// GET /batch/{workspace}/report_stats (see ListBatchReportsPage about personal spaces).
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) ListBatchReportStatsPage(ctx context.Context, workspace string, page int, opts *BatchOptions) (*BatchPage[BatchReportStat], error) {
	return listBatchPage[BatchReportStat](ctx, c, workspace, "report_stats", true, page, opts, nil)
}

// ListBatchReportStats iterates over all of a workspace's report stats from the Metadata API,
// fetching pages lazily. The items yielded share their slices with the cache: read-only (see
// Shared values in the package doc).
func (c *Client) ListBatchReportStats(ctx context.Context, workspace string, opts *BatchOptions) iter.Seq2[BatchReportStat, error] {
	return listBatch(func(page int) (*BatchPage[BatchReportStat], error) {
		return c.ListBatchReportStatsPage(ctx, workspace, page, opts)
	}, func(s BatchReportStat) string { return s.ReportToken })
}

// ListBatchMembersPage returns one page of a workspace's memberships (members and pending
// invitations, with their activity) from the Metadata API: GET /batch/{workspace}/members
// (opts.IncludeSpaces is not sent: the list does not take it).
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) ListBatchMembersPage(ctx context.Context, workspace string, page int, opts *BatchOptions) (*BatchPage[BatchMember], error) {
	return listBatchPage[BatchMember](ctx, c, workspace, "members", false, page, opts, nil)
}

// ListBatchMembers iterates over all of a workspace's memberships from the Metadata API,
// fetching pages lazily.
func (c *Client) ListBatchMembers(ctx context.Context, workspace string, opts *BatchOptions) iter.Seq2[BatchMember, error] {
	return listBatch(func(page int) (*BatchPage[BatchMember], error) {
		return c.ListBatchMembersPage(ctx, workspace, page, opts)
	}, func(m BatchMember) string { return m.Token })
}
