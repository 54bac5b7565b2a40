package modeclient_test

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// pagedList adapts one of the client's lists to tokens, so that one table pages through all.
type pagedList struct {
	name   string
	needs  string   // the fixture token the list depends on ("-" for none); "" skips it
	path   string   // the list's API path, to find its requests in the emulator's log
	filter string   // its filter query parameter, if any
	per    int      // the page size it is listed with
	want   []string // emulator: the tokens it must yield (nil: only wantN is checked)
	wantN  int      // emulator: how many items it must yield
	page   func(ctx context.Context, page int) (tokenPage, error)
	all    func(ctx context.Context) iter.Seq2[string, error]
}

// tokenPage is a modeclient.Page reduced to tokens.
type tokenPage struct {
	tokens                       []string
	page, next, count, pageCount int
}

// asTokenPage returns a function reducing a ListXPage result to tokens:
// asTokenPage(key)(c.ListXPage(…)).
func asTokenPage[T any](key func(T) string) func(*modeclient.Page[T], error) (tokenPage, error) {
	return func(p *modeclient.Page[T], err error) (tokenPage, error) {
		if err != nil {
			return tokenPage{}, err
		}
		return tokenPage{tokens: tokensOf(p.Items, key), page: p.Page, next: p.NextPage, count: p.TotalCount, pageCount: p.TotalPages}, nil
	}
}

// asTokenSeq reduces an iterator to its tokens.
func asTokenSeq[T any](seq iter.Seq2[T, error], key func(T) string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for it, err := range seq {
			if err != nil {
				yield("", err)
				return
			}
			if !yield(key(it), nil) {
				return
			}
		}
	}
}

// pagedLists returns every list of the client with page sizes that make the emulator's lists
// span several pages (pageSize maps them, e.g. to 1 against real Mode). A page size equal to
// clientPer is left to the client's WithPerPage default.
func pagedLists(c *modeclient.Client, ws string, fx fixtures, clientPer int, pageSize func(int) int, execReport, execRun string) []pagedList {
	lo := func(per int) modeclient.ListOptions {
		if per == clientPer {
			return modeclient.ListOptions{}
		}
		return modeclient.ListOptions{PerPage: per}
	}
	var lists []pagedList
	add := func(l pagedList) {
		l.per = pageSize(l.per)
		lists = append(lists, l)
	}
	add(pagedList{name: "memberships", needs: "-", path: apiPath("memberships"), per: 2})
	add(pagedList{name: "groups", needs: fx.Group, path: apiPath("groups"), per: 1})
	add(pagedList{name: "spaces", needs: "-", path: apiPath("spaces"), per: 1})
	add(pagedList{name: "spaces filter=all", needs: "-", path: apiPath("spaces"), filter: "all", per: 1})
	add(pagedList{name: "data sources", needs: "-", path: apiPath("data_sources"), per: 1})
	add(pagedList{name: "space reports", needs: fx.Space, path: apiPath("spaces", fx.Space, "reports"), per: 7})
	add(pagedList{name: "data source reports", needs: fx.DataSource, path: apiPath("data_sources", fx.DataSource, "reports"), per: 10})
	add(pagedList{name: "report runs", needs: execReport, path: apiPath("reports", execReport, "runs"), per: 2})
	add(pagedList{name: "query runs", needs: execRun, path: apiPath("reports", execReport, "runs", execRun, "query_runs"), per: 1})
	add(pagedList{name: "queries", needs: execReport, path: apiPath("reports", execReport, "queries"), per: 1})
	for i := range lists {
		l := &lists[i]
		o := lo(l.per)
		switch l.name {
		case "memberships":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(memberName)(c.ListMembershipsPage(ctx, ws, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListMemberships(ctx, ws, nil), memberName) // the client's per_page
			}
		case "groups":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(groupToken)(c.ListGroupsPage(ctx, ws, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListGroups(ctx, ws, &o), groupToken)
			}
		case "spaces", "spaces filter=all":
			so := &modeclient.ListSpacesOptions{ListOptions: o, Filter: l.filter}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(spaceToken)(c.ListSpacesPage(ctx, ws, p, so))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListSpaces(ctx, ws, so), spaceToken)
			}
		case "data sources":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(dataSourceToken)(c.ListDataSourcesPage(ctx, ws, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListDataSources(ctx, ws, &o), dataSourceToken)
			}
		case "space reports":
			ro := &modeclient.ListReportsOptions{ListOptions: o}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(reportToken)(c.ListSpaceReportsPage(ctx, ws, fx.Space, p, ro))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListSpaceReports(ctx, ws, fx.Space, ro), reportToken)
			}
		case "data source reports":
			ro := &modeclient.ListReportsOptions{ListOptions: o}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(reportToken)(c.ListDataSourceReportsPage(ctx, ws, fx.DataSource, p, ro))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListDataSourceReports(ctx, ws, fx.DataSource, ro), reportToken)
			}
		case "report runs":
			ro := &modeclient.ListRunsOptions{ListOptions: o}
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(runToken)(c.ListReportRunsPage(ctx, ws, execReport, p, ro))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListReportRuns(ctx, ws, execReport, ro), runToken)
			}
		case "query runs":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(queryRunToken)(c.ListQueryRunsPage(ctx, ws, execReport, execRun, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListQueryRuns(ctx, ws, execReport, execRun, &o), queryRunToken)
			}
		case "queries":
			l.page = func(ctx context.Context, p int) (tokenPage, error) {
				return asTokenPage(queryToken)(c.ListQueriesPage(ctx, ws, execReport, p, &o))
			}
			l.all = func(ctx context.Context) iter.Seq2[string, error] {
				return asTokenSeq(c.ListQueries(ctx, ws, execReport, &o), queryToken)
			}
		}
	}
	return lists
}

// TestContractPaging pages through every list. On the emulator (with 20 extra reports and 5 runs
// of a three-query report) each list spans up to 4 pages: the iterator must yield every item
// exactly once, the request log must show exactly pages 1..n with per_page pinned, and ListXPage
// must report NextPage, TotalCount and TotalPages correctly, also past the end. Against real
// Mode, with one item per page, the first two pages must chain and not overlap.
func TestContractPaging(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, pagingOptions(), contractPaging)
}

// TestContractPagingSpecFields runs TestContractPaging's emulator checks on an emulator whose
// lists carry only the pagination fields of Mode's document (no page, per_page or count): the
// client must depend on none of those.
func TestContractPagingSpecFields(t *testing.T) {
	t.Parallel()
	contractPaging(t, newEmulatorTarget(t, append(pagingOptions(), modetest.WithSpecPagination())...))
}

// pagingExtraReports is how many reports pagingOptions adds to the Sales space.
const pagingExtraReports = 20

// pagingOptions are the emulator options of the paging tests. Hour-long runs: listing them
// needs no SQL executed (which is slow under -race).
func pagingOptions() []modetest.Option {
	return []modetest.Option{modetest.WithExtraReports(pagingExtraReports), modetest.WithPerPage(3), modetest.WithRunDuration(time.Hour)}
}

// contractPaging pages through every list of tg (see TestContractPaging).
func contractPaging(t *testing.T, tg *target) {
	const extra = pagingExtraReports
	ctx, fx := tg.ctx(t), tg.fixtures(t)
	const clientPer = 2
	c := tg.client(t, modeclient.WithPerPage(clientPer))
	execReport, execRun := fx.Report, fx.Run
	var runs []string
	pageSize := func(n int) int { return 1 }
	if tg.emu != nil {
		pageSize = func(n int) int { return n }
		execReport = tg.emu.Demo().Reports[execSummaryIndex]
		for range 5 {
			runs = append(runs, must(c.RunReport(ctx, tg.ws, execReport, nil))(t).Token)
		}
		execRun = runs[0]
	}
	lists := pagedLists(c, tg.ws, fx, clientPer, pageSize, execReport, execRun)
	if tg.emu != nil {
		d := tg.emu.Demo()
		sales := append(slices.Clone(d.Reports[:salesReports]), d.Reports[seededReports:]...)
		unarchived := slices.Delete(slices.Clone(d.Reports), scratchpadIndex, scratchpadIndex+1)
		want := map[string][]string{
			"memberships": d.Members, "groups": d.Groups,
			"spaces": {d.Spaces[0], d.Spaces[1], d.Spaces[3]}, "spaces filter=all": d.Spaces,
			"data sources": {d.DataSource}, "space reports": sales, "data source reports": unarchived,
			"report runs": runs,
		}
		for i := range lists {
			lists[i].want = want[lists[i].name]
			lists[i].wantN = len(lists[i].want)
			if lists[i].want == nil {
				lists[i].wantN = 3 // the three queries of Executive Summary, and their query runs
			}
		}
		if len(sales) != salesReports+extra {
			t.Fatalf("the Sales space should hold %d reports, Demo has %d", salesReports+extra, len(sales))
		}
	}
	start := 0
	if tg.emu != nil {
		start = len(tg.emu.Requests())
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			// Its own deadline: a parallel subtest may start long after its parent's
			// context was made, on a loaded machine.
			ctx := tg.ctx(t)
			if tg.emu == nil {
				checkRealPaging(t, ctx, l)
				return
			}
			checkEmulatorPaging(t, ctx, tg.emu, start, l)
		})
	}
}

// checkEmulatorPaging runs the full paging checks of one list against the emulator; requests
// logged before index start are not this list's.
func checkEmulatorPaging(t *testing.T, ctx context.Context, emu *modetest.Server, start int, l pagedList) {
	got := collect(t, l.all(ctx))
	assertUnique(t, l.name, got)
	if l.want != nil {
		assertSameSet(t, l.name, got, l.want)
	}
	if len(got) != l.wantN {
		t.Fatalf("%s yielded %d items, want %d", l.name, len(got), l.wantN)
	}
	pages := (l.wantN + l.per - 1) / l.per

	// The request log: exactly pages 1..n, each with per_page pinned.
	var asked []string
	for _, r := range emu.Requests()[start:] {
		q, _ := url.ParseQuery(r.RawQuery)
		if r.Method != http.MethodGet || r.Path != l.path || q.Get("filter") != l.filter {
			continue
		}
		if q.Get("per_page") != strconv.Itoa(l.per) {
			t.Errorf("request %s?%s does not pin per_page=%d", r.Path, r.RawQuery, l.per)
		}
		asked = append(asked, q.Get("page"))
	}
	var want []string
	for p := 1; p <= pages; p++ {
		want = append(want, strconv.Itoa(p))
	}
	if !slices.Equal(asked, want) {
		t.Errorf("iterating asked for pages %v, want %v", asked, want)
	}
	if l.name != "data sources" && pages < 3 {
		t.Errorf("%s spans only %d pages", l.name, pages)
	}

	// ListXPage: page numbers, NextPage and totals, including past the end.
	var paged []string
	for p := 1; p <= pages; p++ {
		tp, err := l.page(ctx, p)
		if err != nil {
			t.Fatalf("page %d: %v", p, err)
		}
		wantNext := p + 1
		if p == pages {
			wantNext = 0
		}
		if tp.page != p || tp.next != wantNext || tp.count != l.wantN || tp.pageCount != pages {
			t.Errorf("page %d: page %d, next %d, total %d in %d pages; want next %d, total %d in %d pages",
				p, tp.page, tp.next, tp.count, tp.pageCount, wantNext, l.wantN, pages)
		}
		if len(tp.tokens) != min(l.per, l.wantN-(p-1)*l.per) {
			t.Errorf("page %d has %d items", p, len(tp.tokens))
		}
		paged = append(paged, tp.tokens...)
	}
	if !slices.Equal(paged, got) {
		t.Errorf("pages %v differ from the iterator's %v", paged, got)
	}
	past, err := l.page(ctx, pages+1)
	if err != nil || len(past.tokens) != 0 || past.next != 0 {
		t.Errorf("past the last page: %+v, %v; want no items and no next page", past, err)
	}
	first, err := l.page(ctx, 0) // a page < 1 means 1
	if err != nil || first.page != 1 || len(got) > 0 && (len(first.tokens) == 0 || first.tokens[0] != got[0]) {
		t.Errorf("page 0: %+v, %v; want page 1", first, err)
	}
}

// checkRealPaging checks, against real Mode, that the first two one-item pages of a list chain.
func checkRealPaging(t *testing.T, ctx context.Context, l pagedList) {
	need(t, "object to list "+l.name+" of", l.needs)
	p1, err := l.page(ctx, 1)
	if isStatus(err, http.StatusForbidden) {
		t.Skipf("the credential may not list %s", l.name)
	}
	if err != nil {
		t.Fatalf("page 1: %v", err)
	}
	if len(p1.tokens) > 1 {
		t.Fatalf("page 1 has %d items with per_page=1", len(p1.tokens))
	}
	if p1.next == 0 {
		if p1.count > 1 {
			t.Errorf("page 1 has no next page, but Mode counts %d items", p1.count)
		}
		return
	}
	if p1.next != 2 {
		t.Fatalf("page 1's next page = %d, want 2", p1.next)
	}
	p2, err := l.page(ctx, 2)
	if err != nil {
		t.Fatalf("page 2: %v", err)
	}
	if len(p2.tokens) != 1 || slices.Contains(p1.tokens, p2.tokens[0]) {
		t.Errorf("page 2 = %v after page 1 = %v", p2.tokens, p1.tokens)
	}
}
