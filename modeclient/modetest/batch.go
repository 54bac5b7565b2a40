package modetest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The Metadata API (Mode's "Discovery API", batch-swagger.json): the whole workspace's reports,
// queries, charts, spaces and report stats, a page at a time, under /batch/{workspace}/…, read
// with a signature token (signature.go).
//
// Its answers are not HAL collections: the items sit at the top level under the resource's
// plural ("reports": […]), beside "pagination" {page, per_page, count, total_pages,
// total_count} and "_links" {next_page, prev_page}, both of which Mode's document requires.
// The emulator always sends both, each clamped to the pages that exist (Mode's documentation
// shows page 1's prev_page leading to page 1): the last page's next_page leads to itself, so a
// client knows the list has ended when next_page names no later page, or when page reaches
// total_pages. A page past the last answers an empty list.
//
// Paging: per_page is 1 to 1000 (Mode's document says "greater than 0 and less than 1000", its
// documentation's example and default page hold 1000; the emulator takes 1000), default 1000;
// page, which Mode's next_page links carry, from 1. Anything else is 400.
//
// include_spaces=all (reports, queries, charts, report_stats) adds the objects in members'
// personal spaces (space_type "private"), which are left out by default; any other value is
// 400. The spaces list takes no such parameter and lists every space.
//
// Items come in creation order. The lists read the workspace's state as it is: reports of
// every state (archived too: Mode's document says "all"), every query of every report, and
// counts and e-mail addresses from the real runs, schedules and members.

// Paging bounds of the Metadata API.
const (
	batchPerPage    = 1000 // the default page: Mode's documented default
	maxBatchPerPage = 1000
)

// batchPageRequest is a Metadata API list request's page, page size and include_spaces.
type batchPageRequest struct {
	page, perPage int
	allSpaces     bool
}

// parseBatchPage reads page, per_page and (when takesSpaces) include_spaces; it answers 400 and
// returns false when one is invalid.
func parseBatchPage(w http.ResponseWriter, r *http.Request, takesSpaces bool) (batchPageRequest, bool) {
	pr := batchPageRequest{page: 1, perPage: batchPerPage}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			badRequest(w, "Invalid value for page: must be a positive integer")
			return pr, false
		}
		pr.page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBatchPerPage {
			badRequest(w, "Invalid value for per_page: must be greater than 0 and at most "+strconv.Itoa(maxBatchPerPage))
			return pr, false
		}
		pr.perPage = n
	}
	if takesSpaces {
		switch v := q.Get("include_spaces"); v {
		case "":
		case "all":
			pr.allSpaces = true
		default:
			badRequest(w, "Invalid value for include_spaces: the only value is all")
			return pr, false
		}
	}
	return pr, true
}

// batchPagination is the Metadata API's Pagination: all five fields are required.
type batchPagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalPages int `json:"total_pages"`
	TotalCount int `json:"total_count"`
}

// batchList answers one page of a Metadata API list under key: collect, called with e.mu held,
// returns every object of the list (cheap pointers); render, also under the lock, turns only
// the objects of the page into their JSON, so that a page of a large workspace costs its own
// size, not the workspace's.
func batchList[T, J any](e *Emulator, w http.ResponseWriter, r *http.Request, key string, takesSpaces bool,
	collect func(st *store, pr batchPageRequest) []T, render func(T) J) {
	pr, ok := parseBatchPage(w, r, takesSpaces)
	if !ok {
		return
	}
	e.mu.Lock()
	all := collect(urlWS(r), pr)
	total := len(all)
	lo := min((pr.page-1)*pr.perPage, total)
	hi := min(lo+pr.perPage, total)
	items := make([]J, 0, hi-lo)
	for _, v := range all[lo:hi] {
		items = append(items, render(v))
	}
	e.mu.Unlock()
	totalPages := (total + pr.perPage - 1) / pr.perPage
	last := max(totalPages, 1)
	clamp := func(p int) int { return min(max(p, 1), last) }
	writeJSON(w, http.StatusOK, map[string]any{
		"pagination": batchPagination{Page: pr.page, PerPage: pr.perPage, Count: len(items), TotalPages: totalPages, TotalCount: total},
		key:          items,
		"_links": links{
			"next_page": href(pageURL(r, clamp(pr.page+1), pr.perPage)),
			"prev_page": href(pageURL(r, clamp(pr.page-1), pr.perPage)),
		},
	})
}

// personal reports whether rep sits in a member's personal space. Call with e.mu held.
func personal(rep *report) bool {
	s := rep.ws.spaceByTok[rep.spaceToken]
	return s != nil && s.spaceType == "private"
}

// listedReports are the reports of st a Metadata API list shows: not datasets (the REST API
// lists them apart too: datasets.go), and not those of personal spaces unless asked.
func listedReports(st *store, pr batchPageRequest) []*report {
	out := make([]*report, 0, len(st.reports))
	for _, rep := range st.reports {
		if !rep.dataset && (pr.allSpaces || !personal(rep)) {
			out = append(out, rep)
		}
	}
	return out
}

// email returns the e-mail address of the member (or former member) of st named username (nil
// when there is none).
func (st *store) email(username string) *string {
	m := st.memberByName[username]
	if m == nil {
		m = st.formerByName[username]
	}
	if m != nil {
		e := m.email
		return &e
	}
	return nil
}

// emails returns the distinct e-mail addresses of the members of st named, in order; names that
// are not members are skipped. Never nil.
func (st *store) emails(usernames []string) []string {
	out := []string{}
	for _, u := range usernames {
		if e := st.email(u); e != nil && !slices.Contains(out, *e) {
			out = append(out, *e)
		}
	}
	return out
}

// spaceID returns the numeric id of the space with this token (nil when there is none).
func (st *store) spaceID(token string) *int {
	if s := st.spaceByTok[token]; s != nil {
		id := s.id
		return &id
	}
	return nil
}

// batchReportJSON is Mode's BatchApiRepresenters::Report.
type batchReportJSON struct {
	ID                    int     `json:"id"`
	Token                 string  `json:"token"`
	Name                  string  `json:"name"`
	Description           string  `json:"description"`
	CreatedAt             string  `json:"created_at"`
	EditedAt              *string `json:"edited_at"`
	UpdatedAt             string  `json:"updated_at"`
	LastSuccessfullyRunAt *string `json:"last_successfully_run_at"`
	LastViewedAt          *string `json:"last_viewed_at"`
	LastRunAt             *string `json:"last_run_at"`
	LastRunToken          *string `json:"last_run_token"`
	LastRunState          *string `json:"last_run_state"`
	CreatorEmail          *string `json:"creator_email"`
	SpaceID               *int    `json:"space_id"`
	SpaceToken            string  `json:"space_token"`
	ReportURL             string  `json:"report_url"`
}

func batchReport(rep *report) batchReportJSON {
	st := rep.ws
	j := batchReportJSON{
		ID: rep.id, Token: rep.token, Name: rep.name, Description: rep.description,
		CreatedAt: formatTime(rep.createdAt), EditedAt: timePtr(rep.editedAt), UpdatedAt: formatTime(rep.updatedAt),
		LastSuccessfullyRunAt: timePtr(rep.lastSuccessAt), LastViewedAt: timePtr(rep.lastViewedAt),
		LastRunAt: timePtr(rep.lastRunAt), CreatorEmail: st.email(rep.creator),
		SpaceID: st.spaceID(rep.spaceToken), SpaceToken: rep.spaceToken,
		ReportURL: api(st.account.username, "reports", rep.token),
	}
	if n := len(rep.runs); n > 0 {
		last := rep.runs[n-1]
		j.LastRunToken, j.LastRunState = optString(last.token), optString(last.state)
	}
	return j
}

func (e *Emulator) batchReports(w http.ResponseWriter, r *http.Request) {
	batchList(e, w, r, "reports", true, listedReports, batchReport)
}

// batchQueryJSON is Mode's BatchApiRepresenters::Query.
type batchQueryJSON struct {
	ID              int     `json:"id"`
	Token           string  `json:"token"`
	Name            string  `json:"name"`
	RawQuery        string  `json:"raw_query"`
	CreatorEmail    *string `json:"creator_email"`
	DataSourceToken *string `json:"data_source_token"`
	ReportID        int     `json:"report_id"`
	ReportToken     string  `json:"report_token"`
	SpaceID         *int    `json:"space_id"`
	SpaceToken      string  `json:"space_token"`
}

// reportQuery is a query with its report.
type reportQuery struct {
	rep *report
	q   *query
}

func (e *Emulator) batchQueries(w http.ResponseWriter, r *http.Request) {
	batchList(e, w, r, "queries", true, func(st *store, pr batchPageRequest) []reportQuery {
		var out []reportQuery
		for _, rep := range listedReports(st, pr) {
			for _, q := range rep.queries {
				out = append(out, reportQuery{rep, q})
			}
		}
		return out
	}, func(rq reportQuery) batchQueryJSON {
		st := rq.rep.ws
		var ds *string
		if d := st.dataByID[rq.q.dataSourceID]; d != nil {
			ds = optString(d.token)
		}
		return batchQueryJSON{
			ID: rq.q.id, Token: rq.q.token, Name: rq.q.name, RawQuery: rq.q.rawQuery, CreatorEmail: st.email(rq.q.creator),
			DataSourceToken: ds, ReportID: rq.rep.id, ReportToken: rq.rep.token,
			SpaceID: st.spaceID(rq.rep.spaceToken), SpaceToken: rq.rep.spaceToken,
		}
	})
}

// batchChartJSON is Mode's BatchApiRepresenters::Chart.
type batchChartJSON struct {
	ID                 int     `json:"id"`
	Token              string  `json:"token"`
	ChartType          string  `json:"chart_type"`
	ChartTitle         string  `json:"chart_title"`
	QueryID            int     `json:"query_id"`
	ReportID           int     `json:"report_id"`
	SpaceID            *int    `json:"space_id"`
	QueryToken         string  `json:"query_token"`
	ReportToken        string  `json:"report_token"`
	SpaceToken         string  `json:"space_token"`
	ReportCreatorEmail *string `json:"report_creator_email"`
	ExplorationURL     string  `json:"exploration_url"`
}

// reportChart is a chart with its query and report, for the Metadata API's chart list.
type reportChart struct {
	rep *report
	q   *query
	c   *chart
}

// batchCharts lists the charts of the workspace's listed reports' queries.
func (e *Emulator) batchCharts(w http.ResponseWriter, r *http.Request) {
	batchList(e, w, r, "charts", true, func(st *store, pr batchPageRequest) []reportChart {
		var out []reportChart
		for _, rep := range listedReports(st, pr) {
			for _, q := range rep.queries {
				for _, c := range q.charts {
					out = append(out, reportChart{rep, q, c})
				}
			}
		}
		return out
	}, func(rc reportChart) batchChartJSON {
		st := rc.rep.ws
		return batchChartJSON{
			ID: rc.c.id, Token: rc.c.token, ChartType: rc.c.chartType, ChartTitle: rc.c.title,
			QueryID: rc.q.id, ReportID: rc.rep.id, SpaceID: st.spaceID(rc.rep.spaceToken),
			QueryToken: rc.q.token, ReportToken: rc.rep.token, SpaceToken: rc.rep.spaceToken,
			ReportCreatorEmail: st.email(rc.rep.creator),
			ExplorationURL:     web(st.account.username, "reports", rc.rep.token, "viz", rc.c.token),
		}
	})
}

// batchSpaceJSON is Mode's BatchApiRepresenters::Space. space_url is the space's API path, as a
// report's report_url is (Mode's documentation shows "/api/{workspace}/reports/{token}").
type batchSpaceJSON struct {
	ID          int    `json:"id"`
	Token       string `json:"token"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SpaceType   string `json:"space_type"`
	SpaceURL    string `json:"space_url"`
}

func (e *Emulator) batchSpaces(w http.ResponseWriter, r *http.Request) {
	batchList(e, w, r, "spaces", false, func(st *store, _ batchPageRequest) []*space { return st.spaces },
		func(s *space) batchSpaceJSON {
			return batchSpaceJSON{ID: s.id, Token: s.token, Name: s.name, Description: s.description, SpaceType: s.spaceType,
				SpaceURL: api(s.ws.account.username, "spaces", s.token)}
		})
}

// batchReportStatJSON is Mode's BatchApiRepresenters::ReportStat. Its _links is empty, as
// Mode's document (ReportStatLinks) has it.
type batchReportStatJSON struct {
	ReportID                      int      `json:"report_id"`
	ReportToken                   string   `json:"report_token"`
	ActiveSchedulesCount          int      `json:"active_schedules_count"`
	ExplorationsCount             int      `json:"explorations_count"`
	ViewCount                     int      `json:"view_count"`
	RecentManualRunCreatorsEmails []string `json:"recent_manual_run_creators_emails"`
	ScheduledRunCreatorsEmails    []string `json:"scheduled_run_creators_emails"`
	EditorsEmails                 []string `json:"editors_emails"`
	Links                         links    `json:"_links"`
}

// recentRuns is how far back a manual run counts as recent in report stats.
const recentRuns = 30 * 24 * time.Hour

// batchReportStat computes a report's stats from its state at now: active_schedules_count its
// schedules (every schedule of the emulator is active); recent_manual_run_creators_emails who
// ran it by hand in the last 30 days, most recent first; scheduled_run_creators_emails the
// creators of the schedules whose runs it had, most recent first; editors_emails its creator
// and its queries' creators. explorations_count is 0: the emulator has no explorations.
func batchReportStat(rep *report, now time.Time) batchReportStatJSON {
	st := rep.ws
	var manual, scheduled, editors []string
	for i := len(rep.runs) - 1; i >= 0; i-- {
		run := rep.runs[i]
		switch {
		case run.schedule != nil:
			scheduled = append(scheduled, run.executedBy)
		case now.Sub(run.createdAt) <= recentRuns:
			manual = append(manual, run.executedBy)
		}
	}
	editors = append(editors, rep.creator)
	for _, q := range rep.queries {
		editors = append(editors, q.creator)
	}
	return batchReportStatJSON{
		ReportID: rep.id, ReportToken: rep.token, ActiveSchedulesCount: len(rep.schedules), ViewCount: rep.viewCount,
		RecentManualRunCreatorsEmails: st.emails(manual), ScheduledRunCreatorsEmails: st.emails(scheduled),
		EditorsEmails: st.emails(editors), Links: links{},
	}
}

func (e *Emulator) batchReportStats(w http.ResponseWriter, r *http.Request) {
	now := time.Now() // runs keep real time
	batchList(e, w, r, "report_stats", true, listedReports, func(rep *report) batchReportStatJSON { return batchReportStat(rep, now) })
}

// batchMemberJSON is Mode's BatchApiRepresenters::Membership: one membership of the workspace
// (active, or a pending invitation) with its person and their activity, read from the
// workspace's state: last_report_created_at from the reports they created,
// last_report_run_at from the runs they started, last_day_api_engaged and total_days_engaged
// from what they did through the API (the audit log's days), last_day_engaged the later of the
// API and the app (the emulator has no app: last_day_in_app_engaged is null, as are views,
// explorations and bans, which nothing the emulator does makes).
type batchMemberJSON struct {
	ID                       int     `json:"id"`
	Token                    string  `json:"token"`
	State                    string  `json:"state"`
	MemberEmail              string  `json:"member_email"`
	MemberToken              string  `json:"member_token"`
	MemberUsername           string  `json:"member_username"`
	BannedAt                 *string `json:"banned_at"`
	ActivatedAt              *string `json:"activated_at"`
	LastReportCreatedAt      *string `json:"last_report_created_at"`
	LastReportViewedAt       *string `json:"last_report_viewed_at"`
	LastReportRunAt          *string `json:"last_report_run_at"`
	LastDayEngaged           *string `json:"last_day_engaged"`
	LastDayAPIEngaged        *string `json:"last_day_api_engaged"`
	LastDayInAppEngaged      *string `json:"last_day_in_app_engaged"`
	TotalDaysEngaged         int     `json:"total_days_engaged"`
	LastExplorationCreatedAt *string `json:"last_exploration_created_at"`
	LastExplorationUpdatedAt *string `json:"last_exploration_updated_at"`
}

// memberActivity is what batchMembers reads of one person's activity in a workspace.
type memberActivity struct {
	reportCreated, reportRun time.Time
	days                     map[string]bool // the days (YYYY-MM-DD, UTC) they did something through the API
	lastDay                  string
}

// batchMembers lists the workspace's memberships (Metadata API), in the order they were made.
func (e *Emulator) batchMembers(w http.ResponseWriter, r *http.Request) {
	activity := map[string]*memberActivity{}
	batchList(e, w, r, "memberships", false, func(st *store, _ batchPageRequest) []*member {
		activity = e.memberActivity(st)
		return st.members
	}, func(m *member) batchMemberJSON {
		state := membershipActive
		if m.pending() {
			state = membershipPending
		}
		j := batchMemberJSON{
			ID: m.membershipID, Token: m.membership, State: state, MemberEmail: m.email, MemberToken: m.token,
			MemberUsername: m.username, ActivatedAt: timePtr(m.activatedAt),
		}
		if a := activity[m.username]; a != nil {
			j.LastReportCreatedAt, j.LastReportRunAt = timePtr(a.reportCreated), timePtr(a.reportRun)
			if a.lastDay != "" {
				j.LastDayAPIEngaged, j.LastDayEngaged = optString(a.lastDay), optString(a.lastDay)
			}
			j.TotalDaysEngaged = len(a.days)
		}
		return j
	})
}

// memberActivity gathers, per username, the activity of st's people (see batchMemberJSON).
// Call with e.mu held.
func (e *Emulator) memberActivity(st *store) map[string]*memberActivity {
	out := map[string]*memberActivity{}
	of := func(u string) *memberActivity {
		a := out[u]
		if a == nil {
			a = &memberActivity{days: map[string]bool{}}
			out[u] = a
		}
		return a
	}
	for _, rep := range st.reports {
		if a := of(rep.creator); rep.createdAt.After(a.reportCreated) {
			a.reportCreated = rep.createdAt
		}
		for _, run := range rep.runs {
			if a := of(run.executedBy); run.createdAt.After(a.reportRun) {
				a.reportRun = run.createdAt
			}
		}
	}
	e.audit.mu.Lock()
	for _, ev := range e.audit.events[st.account.username] {
		a := of(ev.username)
		day := ev.at.UTC().Format(time.DateOnly)
		a.days[day] = true
		if day > a.lastDay {
			a.lastDay = day
		}
	}
	e.audit.mu.Unlock()
	return out
}
