package modetest

import (
	"fmt"
	"slices"
	"time"
)

// Demo holds the tokens of the seeded demo objects, for tests.
type Demo struct {
	Workspace     string
	Spaces        []string // space tokens, in seed order: Sales, Marketing, Executive (restricted, not joined), Personal (private)
	DataSource    string   // data source token
	Reports       []string // report tokens, in seed order (the dozen demo reports, then "Big table" and the extra reports when asked for)
	ParamReport   string   // a report whose SQL takes parameters
	FailingReport string   // a report whose SQL errors -> run fails
	BigReport     string   // "" unless WithBigRows
	Members       []string // member usernames: ana_analyst and dev_engineer are admins, ben_builder, carla_ceo and erin_marketing are not
	// Groups are the group tokens: Everyone (every member), Analysts (ana_analyst, ben_builder,
	// dev_engineer) and Executives (carla_ceo).
	Groups []string
	// Memberships are the members' membership tokens, in the order of Members: the {membership}
	// of /api/{workspace}/memberships/{membership} (a member's username or member_token does
	// not address a membership).
	Memberships []string
	// RestrictedGrant is the token of the space membership that gives the Executives group
	// (Groups[2]) access to the restricted Executive space (Spaces[2]): with their own credentials
	// (WithUserCredential) carla_ceo sees that space and its reports and ben_builder does not.
	// The other seeded space memberships: Everyone and Analysts in Sales and Marketing,
	// erin_marketing in Marketing, ana_analyst in her Personal space.
	RestrictedGrant string
	// Definitions are the definition tokens, in seed order: active_accounts, orders_with_region,
	// revenue_by_region (which references orders_with_region). Queries reference them as
	// {{ @active_accounts }}.
	Definitions []string
	// FilterReport is the report with seeded filters ("Sales Rep Leaderboard"), and Filters their
	// tokens in the report's order: "Region" (MULTI, on its "Reps" query's region column) and
	// "Revenue (USD)" (RANGE, on revenue_usd). Every query of the dozen demo reports has one
	// chart (seedCharts); list a query's charts to find its token.
	FilterReport string
	Filters      []string
	// Datasets are the dataset tokens, in seed order: "Accounts with Reps" and "Monthly Revenue
	// by Region" in Sales, "Channel Events" in Marketing. Reports import them (lineage):
	// Datasets[0] by "Sales Rep Leaderboard" and "Account Directory" (Reports[3], Reports[9]),
	// Datasets[1] by "Revenue by Region" and "Monthly Order Volume" (Reports[0], Reports[2]),
	// Datasets[2] by "Web Traffic by Channel" and the archived "Scratchpad" (Reports[5],
	// Reports[11]). Datasets are not among Reports, nor listed with a space's reports.
	Datasets []string
	// DatasetSchedule is the token of Datasets[1]'s schedule: a daily refresh at 05:00 UTC.
	DatasetSchedule string
	// GeneratedSpaces are the tokens of the spaces WithGeneratedReports adds, in order (nil
	// without it).
	GeneratedSpaces []string
	// Second holds the tokens of the second workspace, SecondWorkspace.
	Second SecondDemo
}

// SecondDemo holds the tokens of the objects seeded in SecondWorkspace.
type SecondDemo struct {
	Workspace  string
	Space      string   // the only space
	DataSource string   // the only data source
	Reports    []string // report tokens: Report first
	Report     string   // a report of one query that runs and succeeds
	Member     string   // the only member's username
	Membership string   // the only member's membership token
	Group      string   // the only group's token
	Definition string   // the only definition's token (regions_with_reps)
	Dataset    string   // the only dataset's token (in Space, imported by Report)
}

// seedBase is when the demo workspace was created; seeded timestamps follow from it.
var seedBase = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

type seedQuery struct{ name, sql string }

type seedReport struct {
	space       int
	name        string
	description string
	archived    bool
	queries     []seedQuery
}

const paramReportSQL = `SELECT o.id AS order_id,
       a.name AS account,
       r.name AS region,
       o.occurred_at,
       o.total,
       o.total_amt_usd
FROM orders o
JOIN accounts a ON a.id = o.account_id
JOIN sales_reps s ON s.id = a.sales_rep_id
JOIN region r ON r.id = s.region_id
WHERE r.name = '{{ region }}'
  AND o.total_amt_usd >= {{ min_total }}
ORDER BY o.total_amt_usd DESC, o.id
LIMIT 100

{% form %}
region:
  type: select
  label: Region
  default: Northeast
  options: [Northeast, Midwest, Southeast, West]
min_total:
  type: number
  label: Minimum total (USD)
  default: 1000
{% endform %}`

const channelReportSQL = `SELECT a.name AS account,
       COUNT(*) AS events,
       MIN(w.occurred_at) AS first_event,
       MAX(w.occurred_at) AS last_event
FROM web_events w
JOIN accounts a ON a.id = w.account_id
WHERE w.channel = '{{ channel }}'
GROUP BY a.name
HAVING COUNT(*) >= {{ min_events }}
ORDER BY events DESC, account
LIMIT 50

{% form %}
channel:
  type: select
  label: Marketing channel
  default: facebook
  options: [direct, facebook, organic, adwords, banner, twitter]
min_events:
  type: number
  label: Minimum events
  default: 5
{% endform %}`

// Indexes into seedReports of the reports Demo names.
const (
	paramReportIndex   = 1
	failingReportIndex = 10
	filterReportIndex  = 3
)

// seedChart is the one chart of a seeded query (see chart).
type seedChart struct {
	chartType, title string
	x                string
	y                []string
	color, aggregate string
}

// seedCharts are the charts of the seeded queries, by "report name/query name": one per query
// of the dozen demo reports (a report's chart_count equals its query_count until a query is
// created through the API, which comes without charts), and of SecondDemo.Report.
var seedCharts = map[string]seedChart{
	"Revenue by Region/Revenue by region":                      {chartType: chartBar, title: "Revenue by region", x: "region", y: []string{"revenue_usd"}},
	"Large Orders by Region/Large orders":                      {chartType: chartScatter, title: "Order size over time", x: "occurred_at", y: []string{"total_amt_usd"}},
	"Monthly Order Volume/Orders per month":                    {chartType: chartLine, title: "Orders per month", x: "month", y: []string{"orders"}},
	"Sales Rep Leaderboard/Reps":                               {chartType: chartBar, title: "Revenue by sales rep", x: "sales_rep", y: []string{"revenue_usd"}, color: "region"},
	"Sales Rep Leaderboard/Reps per region":                    {chartType: chartPie, title: "Sales reps per region", y: []string{"sales_reps"}, color: "region"},
	"Paper Mix by Year/Paper mix":                              {chartType: chartArea, title: "Paper sold per year", x: "year", y: []string{"standard", "gloss", "poster"}},
	"Web Traffic by Channel/Traffic by channel":                {chartType: chartBar, title: "Web events by channel", x: "channel", y: []string{"events"}},
	"Channel Deep Dive/Accounts by channel":                    {chartType: chartBar, title: "Most engaged accounts", x: "account", y: []string{"events"}},
	"Events vs Orders/Events per month":                        {chartType: chartLine, title: "Web events per month", x: "month", y: []string{"events"}},
	"Events vs Orders/Orders per month":                        {chartType: chartLinePlusBar, title: "Orders per month", x: "month", y: []string{"orders"}},
	"Executive Summary/Totals":                                 {chartType: chartBigNumber, title: "Revenue", y: []string{"revenue_usd"}},
	"Executive Summary/Top 10 accounts":                        {chartType: chartBar, title: "Top 10 accounts by revenue", x: "account", y: []string{"revenue_usd"}},
	"Executive Summary/Revenue by year":                        {chartType: chartLine, title: "Revenue by year", x: "year", y: []string{"revenue_usd"}},
	"Account Directory/Accounts":                               {chartType: chartPivotTable, title: "Accounts per region and rep", x: "region", y: []string{"id"}, color: "sales_rep", aggregate: "count"},
	"Churn Model (broken)/Churn scores":                        {chartType: chartBar, title: "Churn score by account", x: "account_id", y: []string{"churn_score"}},
	"Scratchpad/Regions":                                       {chartType: chartBar, title: "Regions", x: "name", y: []string{"id"}, aggregate: "count"},
	SecondWorkspace + "/Sales Reps per Region/Reps per region": {chartType: chartBar, title: "Sales reps per region", x: "region", y: []string{"sales_reps"}},
}

// seedChartsOf gives q, seeded as key ("report name/query name") in st, its chart from
// seedCharts, if it has one: made by creator five minutes after the query, last updated at
// updated.
func seedChartsOf(st *store, key string, q *query, creator string, updated time.Time) {
	sc, ok := seedCharts[key]
	if !ok {
		return
	}
	q.charts = append(q.charts, &chart{
		id: st.id("chart", 80_000), token: st.token("chart", key+"/"+sc.title), chartType: sc.chartType, title: sc.title, x: sc.x, y: sc.y,
		color: sc.color, aggregate: sc.aggregate, creator: creator, createdAt: q.createdAt.Add(5 * time.Minute), updatedAt: updated,
	})
}

// seedDefinition is a seeded definition.
type seedDefinition struct{ name, description, source, creator string }

// seedDefinitions are the demo workspace's definitions (Demo.Definitions).
var seedDefinitions = []seedDefinition{
	{"active_accounts", "Accounts that have placed at least one order, with their order count and last order.", `SELECT a.id,
       a.name,
       a.sales_rep_id,
       COUNT(o.id) AS orders,
       MAX(o.occurred_at) AS last_order_at
FROM accounts a
JOIN orders o ON o.account_id = a.id
GROUP BY a.id, a.name, a.sales_rep_id`, "ana_analyst"},
	{"orders_with_region", "Every order with its account, sales rep and region.", `SELECT o.id,
       o.occurred_at,
       o.total,
       o.total_amt_usd,
       a.name AS account,
       s.name AS sales_rep,
       r.name AS region
FROM orders o
JOIN accounts a ON a.id = o.account_id
JOIN sales_reps s ON s.id = a.sales_rep_id
JOIN region r ON r.id = s.region_id`, "dev_engineer"},
	{"revenue_by_region", "Revenue per region, built on orders_with_region.", `SELECT region, ROUND(SUM(total_amt_usd), 2) AS revenue_usd
FROM {{ @orders_with_region }}
GROUP BY region`, "dev_engineer"},
}

// addDefinition seeds a definition of st on data source ds at time at.
func addDefinition(st *store, key string, sd seedDefinition, ds *dataSource, at time.Time) *definition {
	d := &definition{
		ws: st, id: st.id("definition", 60_000), token: st.token("definition", key), name: sd.name, description: sd.description,
		source: sd.source, dataSourceID: ds.id, creator: sd.creator, createdAt: at, updatedAt: at,
	}
	st.definitions = append(st.definitions, d)
	return d
}

var seedReports = []seedReport{
	{space: 0, name: "Revenue by Region", description: "Order count and revenue per sales region.", queries: []seedQuery{{"Revenue by region", `SELECT r.name AS region,
       COUNT(o.id) AS orders,
       ROUND(SUM(o.total_amt_usd), 2) AS revenue_usd
FROM orders o
JOIN accounts a ON a.id = o.account_id
JOIN sales_reps s ON s.id = a.sales_rep_id
JOIN region r ON r.id = s.region_id
GROUP BY r.name
ORDER BY revenue_usd DESC`}}},
	{space: 0, name: "Large Orders by Region", description: "The largest orders of one region above a minimum total (parameters: region, min_total).",
		queries: []seedQuery{{"Large orders", paramReportSQL}}},
	{space: 0, name: "Monthly Order Volume", description: "Orders, units and revenue per month.", queries: []seedQuery{{"Orders per month", `SELECT strftime('%Y-%m', occurred_at) AS month,
       COUNT(*) AS orders,
       SUM(total) AS units,
       ROUND(SUM(total_amt_usd), 2) AS revenue_usd
FROM orders
GROUP BY month
ORDER BY month`}}},
	{space: 0, name: "Sales Rep Leaderboard", description: "Revenue per sales rep, and reps per region.", queries: []seedQuery{
		{"Reps", `SELECT s.name AS sales_rep,
       r.name AS region,
       COUNT(DISTINCT a.id) AS accounts,
       COUNT(o.id) AS orders,
       ROUND(COALESCE(SUM(o.total_amt_usd), 0), 2) AS revenue_usd
FROM sales_reps s
JOIN region r ON r.id = s.region_id
LEFT JOIN accounts a ON a.sales_rep_id = s.id
LEFT JOIN orders o ON o.account_id = a.id
GROUP BY s.id, s.name, r.name
ORDER BY revenue_usd DESC, sales_rep`},
		{"Reps per region", `SELECT r.name AS region, COUNT(*) AS sales_reps
FROM sales_reps s
JOIN region r ON r.id = s.region_id
GROUP BY r.name
ORDER BY r.name`}}},
	{space: 0, name: "Paper Mix by Year", description: "Standard, gloss and poster paper sold per year.", queries: []seedQuery{{"Paper mix", `SELECT strftime('%Y', occurred_at) AS year,
       SUM(standard_qty) AS standard,
       SUM(gloss_qty) AS gloss,
       SUM(poster_qty) AS poster,
       ROUND(100.0 * SUM(poster_qty) / SUM(total), 2) AS poster_pct
FROM orders
GROUP BY year
ORDER BY year`}}},
	{space: 1, name: "Web Traffic by Channel", description: "Web events and distinct accounts per marketing channel.", queries: []seedQuery{{"Traffic by channel", `SELECT channel,
       COUNT(*) AS events,
       COUNT(DISTINCT account_id) AS accounts
FROM web_events
GROUP BY channel
ORDER BY events DESC`}}},
	{space: 1, name: "Channel Deep Dive", description: "Accounts most engaged through one channel (parameters: channel, min_events).",
		queries: []seedQuery{{"Accounts by channel", channelReportSQL}}},
	{space: 1, name: "Events vs Orders", description: "Monthly web events next to monthly orders.", queries: []seedQuery{
		{"Events per month", `SELECT strftime('%Y-%m', occurred_at) AS month, COUNT(*) AS events
FROM web_events
GROUP BY month
ORDER BY month`},
		{"Orders per month", `SELECT strftime('%Y-%m', occurred_at) AS month, COUNT(*) AS orders
FROM orders
GROUP BY month
ORDER BY month`}}},
	{space: 2, name: "Executive Summary", description: "Headline numbers, top accounts and yearly revenue.", queries: []seedQuery{
		{"Totals", `SELECT COUNT(*) AS orders,
       COUNT(DISTINCT account_id) AS ordering_accounts,
       ROUND(SUM(total_amt_usd), 2) AS revenue_usd,
       ROUND(AVG(total_amt_usd), 2) AS avg_order_usd
FROM orders`},
		{"Top 10 accounts", `SELECT a.name AS account, ROUND(SUM(o.total_amt_usd), 2) AS revenue_usd
FROM orders o
JOIN accounts a ON a.id = o.account_id
GROUP BY a.id, a.name
ORDER BY revenue_usd DESC, account
LIMIT 10`},
		{"Revenue by year", `SELECT strftime('%Y', occurred_at) AS year, ROUND(SUM(total_amt_usd), 2) AS revenue_usd
FROM orders
GROUP BY year
ORDER BY year`}}},
	{space: 2, name: "Account Directory", description: "Every account with its point of contact, sales rep and region.", queries: []seedQuery{{"Accounts", `SELECT a.id,
       a.name,
       a.website,
       a.primary_poc,
       s.name AS sales_rep,
       r.name AS region,
       a.lat,
       a.long
FROM accounts a
JOIN sales_reps s ON s.id = a.sales_rep_id
JOIN region r ON r.id = s.region_id
ORDER BY a.name`}}},
	{space: 3, name: "Churn Model (broken)", description: "Reads a predictions table that was never loaded: every run fails.", queries: []seedQuery{{"Churn scores", `SELECT account_id, churn_score
FROM account_churn_predictions
WHERE churn_score > 0.8
ORDER BY churn_score DESC`}}},
	{space: 3, name: "Scratchpad", description: "Old experiments.", archived: true, queries: []seedQuery{{"Regions", `SELECT id, name FROM region ORDER BY id`}}},
}

// addWorkspace creates an empty workspace; call with nothing else seeded after it yet.
func (e *Emulator) addWorkspace(st *store, id int, username, name, initials, domain string) {
	st.account = &account{id: id, token: st.token("account", username), username: username, name: name,
		initials: initials, domain: domain, createdAt: seedBase}
	e.workspaces = append(e.workspaces, st)
	e.byName[username] = st
}

// seed fills the store with the demo workspace, then the second one. Tokens derive from names,
// so they are the same in every emulator; the demo workspace is seeded first, so its tokens do
// not depend on the second one.
func (e *Emulator) seed() {
	e.seedDemo()
	e.seedSecond()
}

// seedDemo seeds DemoWorkspace.
func (e *Emulator) seedDemo() {
	st := newStore(&e.reg, 0)
	e.addWorkspace(st, 1, DemoWorkspace, "Parch & Posey", "PP", "parchandposey.com")
	e.demo.Workspace = DemoWorkspace

	people := []struct {
		username, name string
		admin          bool
	}{
		{"ana_analyst", "Ana Analyst", true},
		{"ben_builder", "Ben Builder", false},
		{"carla_ceo", "Carla Chen", false},
		{"dev_engineer", "Dev Patel", true},
		{"erin_marketing", "Erin Marsh", false},
	}
	for i, p := range people {
		m := &member{ws: st, token: st.token("member", p.username), membership: st.token("membership", p.username),
			username: p.username, name: p.name, email: p.username + "@parchandposey.com", admin: p.admin,
			activatedAt: seedBase.Add(time.Duration(i) * time.Hour)}
		e.addMember(st, m)
		e.apiUsers = append(e.apiUsers, m)
		e.demo.Members = append(e.demo.Members, m.username)
		e.demo.Memberships = append(e.demo.Memberships, m.membership)
	}
	groups := []struct {
		name, description, groupType string
		members                      []string
		spacesBase                   int // spaces_count beyond the space memberships seeded below
	}{
		{"Everyone", "Every member of Parch & Posey.", "everyone", e.demo.Members, 1},
		{"Analysts", "People who write the reports.", "custom", []string{"ana_analyst", "ben_builder", "dev_engineer"}, 0},
		{"Executives", "Leadership team.", "custom", []string{"carla_ceo"}, 0},
	}
	for i, g := range groups {
		grp := seedGroup(st, g.name, g.name, g.description, g.groupType, g.members, "ana_analyst", seedBase.Add(time.Duration(i)*time.Minute))
		grp.spacesBase, grp.dataSources = g.spacesBase, 1
		e.demo.Groups = append(e.demo.Groups, grp.token)
	}
	spaces := []struct {
		name, description, spaceType string
		restricted, joined           bool
	}{
		{"Sales", "Orders, revenue and the sales team.", "custom", false, true},
		{"Marketing", "Web traffic and channels.", "custom", false, true},
		{"Executive", "Numbers for the leadership team.", "custom", true, false},
		{"Personal", "Ana's personal collection.", "private", false, true},
	}
	for i, s := range spaces {
		at := seedBase.Add(time.Duration(i+1) * 24 * time.Hour)
		sp := &space{ws: st, id: st.id("space", 700), token: st.token("space", s.name), name: s.name, description: s.description,
			spaceType: s.spaceType, restricted: s.restricted, joined: s.joined, creator: "ana_analyst", createdAt: at, updatedAt: at}
		st.spaces = append(st.spaces, sp)
		st.spaceByTok[sp.token] = sp
		e.demo.Spaces = append(e.demo.Spaces, sp.token)
	}
	// Who has access to the spaces: both groups of analysts to Sales and Marketing, and Erin to
	// Marketing; only the Executives group to the restricted Executive space (Demo.RestrictedGrant);
	// Ana to her personal space.
	everyone, analysts, executives := st.groups[0], st.groups[1], st.groups[2]
	grant := seedSpaceMemberships(st, "ana_analyst", seedBase.Add(5*24*time.Hour), map[int][]any{
		0: {everyone, analysts},
		1: {everyone, analysts, st.memberByName["erin_marketing"]},
		2: {executives},
		3: {st.memberByName["ana_analyst"]},
	})
	e.demo.RestrictedGrant = grant[2][0]
	ds := &dataSource{
		ws: st, id: 4001, token: st.token("data_source", "Parch & Posey"), name: "Parch & Posey", displayName: "Parch & Posey",
		description: "Demo paper company: accounts, orders, region, sales_reps, web_events.",
		adapter:     "jdbc:postgresql", vendor: "postgres", database: "parch_and_posey",
		host: "parch-and-posey.db.modetest.internal", port: 5432, username: "mode_reader", creator: "ana_analyst",
		createdAt: seedBase, updatedAt: seedBase,
	}
	st.dataSources = append(st.dataSources, ds)
	st.dataByTok[ds.token] = ds
	st.dataByID[ds.id] = ds
	e.demo.DataSource = ds.token

	all := append([]seedReport(nil), seedReports...)
	if e.cfg.bigRows > 0 {
		all = append(all, seedReport{space: 0, name: "Big table", description: fmt.Sprintf("All %d rows of big_rows.", e.cfg.bigRows),
			queries: []seedQuery{{"Big rows", "SELECT * FROM big_rows"}}})
	}
	for i := range e.cfg.extraReports {
		all = append(all, seedReport{space: 0, name: fmt.Sprintf("Generated report %04d", i+1), description: "Generated to exercise paging.",
			queries: []seedQuery{{"Accounts", fmt.Sprintf("SELECT id, name FROM accounts ORDER BY id LIMIT %d", i%50+1)}}})
	}
	for i, sd := range seedDefinitions {
		d := addDefinition(st, sd.name, sd, ds, seedBase.Add(48*time.Hour+time.Duration(i)*time.Hour))
		e.demo.Definitions = append(e.demo.Definitions, d.token)
	}
	for i, sr := range all {
		created := seedBase.Add(72*time.Hour + time.Duration(i)*7*time.Hour)
		updated := created.Add(time.Duration(i%5+1) * 90 * time.Minute)
		rep := &report{
			ws: st, id: st.id("report", 90_000), token: st.token("report", sr.name), name: sr.name, description: sr.description,
			spaceToken: e.demo.Spaces[sr.space], creator: "ana_analyst", archived: sr.archived,
			createdAt: created, updatedAt: updated, editedAt: updated, publishedAt: updated, viewCount: (i*37)%200 + 3,
			lastViewedAt: updated.Add(time.Duration(i%5+1) * 24 * time.Hour),
		}
		for j, sq := range sr.queries {
			q := &query{
				id: st.id("query", 5_000_000), token: st.token("query", sr.name+"/"+sq.name), name: sq.name, rawQuery: sq.sql,
				dataSourceID: ds.id, creator: "ana_analyst", createdAt: created.Add(time.Duration(j) * time.Minute), updatedAt: updated,
			}
			if i < len(seedReports) {
				seedChartsOf(st, sr.name+"/"+sq.name, q, "ana_analyst", updated)
			}
			rep.queries = append(rep.queries, q)
		}
		st.reports = append(st.reports, rep)
		st.reportByTok[rep.token] = rep
		e.demo.Reports = append(e.demo.Reports, rep.token)
		switch {
		case i == paramReportIndex:
			e.demo.ParamReport = rep.token
		case i == failingReportIndex:
			e.demo.FailingReport = rep.token
		case i == filterReportIndex:
			e.demo.FilterReport = rep.token
			e.demo.Filters = seedFilters(st, rep, updated)
		case sr.name == "Big table" && i == len(seedReports):
			e.demo.BigReport = rep.token
		}
	}
	e.seedDemoDatasets(st, ds)
	e.seedGenerated(st, ds)
}

// seedDataset is a demo dataset: its space (an index of Demo.Spaces), its one query, and the
// seed reports (indexes of seedReports) that import it.
type seedDataset struct {
	space       int
	name        string
	description string
	query       seedQuery
	importedBy  []int
}

var seedDatasets = []seedDataset{
	{space: 0, name: "Accounts with Reps", description: "Every account with its sales rep and region: the account dimension.",
		query: seedQuery{"Accounts", `SELECT a.id AS account_id,
       a.name AS account,
       a.website,
       a.primary_poc,
       s.name AS sales_rep,
       r.name AS region,
       a.lat,
       a.long
FROM accounts a
JOIN sales_reps s ON s.id = a.sales_rep_id
JOIN region r ON r.id = s.region_id
ORDER BY a.id`}, importedBy: []int{3, 9}},
	{space: 0, name: "Monthly Revenue by Region", description: "Orders, units and revenue per month and region, refreshed daily.",
		query: seedQuery{"Monthly revenue", `SELECT strftime('%Y-%m-01T00:00:00.000Z', o.occurred_at) AS month,
       r.name AS region,
       COUNT(*) AS orders,
       SUM(o.total) AS units,
       ROUND(SUM(o.total_amt_usd), 2) AS revenue_usd
FROM orders o
JOIN accounts a ON a.id = o.account_id
JOIN sales_reps s ON s.id = a.sales_rep_id
JOIN region r ON r.id = s.region_id
GROUP BY month, r.name
ORDER BY month, region`}, importedBy: []int{0, 2}},
	{space: 1, name: "Channel Events", description: "Web events per marketing channel, with the first and last event.",
		query: seedQuery{"Events by channel", `SELECT channel,
       COUNT(*) AS events,
       COUNT(DISTINCT account_id) AS accounts,
       MIN(occurred_at) AS first_event,
       MAX(occurred_at) AS last_event
FROM web_events
GROUP BY channel
ORDER BY events DESC, channel`}, importedBy: []int{5, 11}},
}

// datasetScheduleIndex is the index in seedDatasets of the dataset seeded with a schedule.
const datasetScheduleIndex = 1

// seedDemoDatasets seeds the demo's datasets (after its reports, whose tokens and ids do not
// depend on them), the reports that import them and the schedule of one.
func (e *Emulator) seedDemoDatasets(st *store, ds *dataSource) {
	for i, sd := range seedDatasets {
		created := seedBase.Add(48*time.Hour + time.Duration(i)*5*time.Hour)
		d := e.addDataset(st, ds, e.demo.Spaces[sd.space], sd.name, sd.description, sd.query, "ana_analyst", created, sd.name)
		e.demo.Datasets = append(e.demo.Datasets, d.token)
		for _, ri := range sd.importedBy {
			rep := st.reportByTok[e.demo.Reports[ri]]
			rep.imports = append(rep.imports, d)
		}
		if i == datasetScheduleIndex {
			loc, _ := scheduleZone("UTC")
			s := &schedule{
				token: st.token("schedule", "dataset/"+sd.name+"/daily"), name: "Daily refresh",
				cron:    cronLine{freq: "daily", hour: 5, dayOfMonth: 1, timeZone: "UTC", loc: loc},
				timeout: defaultScheduleTimeout, creator: "ana_analyst", createdAt: created, updatedAt: created,
			}
			s.next = s.cron.next(e.clock.Now())
			d.schedules = append(d.schedules, s)
			e.demo.DatasetSchedule = s.token
		}
	}
}

// addDataset adds a dataset of one query on ds to space of st; key makes its tokens (the
// dataset's name, prefixed with the workspace outside the demo one).
func (e *Emulator) addDataset(st *store, ds *dataSource, space, name, description string, q seedQuery, creator string, created time.Time, key string) *report {
	updated := created.Add(2 * time.Hour)
	d := &report{
		ws: st, id: st.id("report", 90_000), token: st.token("dataset", key), name: name, description: description,
		spaceToken: space, creator: creator, dataset: true,
		createdAt: created, updatedAt: updated, editedAt: updated, publishedAt: updated, viewCount: 11,
	}
	d.queries = append(d.queries, &query{
		id: st.id("query", 5_000_000), token: st.token("query", "dataset/"+key+"/"+q.name), name: q.name, rawQuery: q.sql,
		dataSourceID: ds.id, creator: creator, createdAt: created, updatedAt: updated,
	})
	st.reports = append(st.reports, d)
	st.reportByTok[d.token] = d
	return d
}

// seedFilters seeds the filters of Demo.FilterReport ("Sales Rep Leaderboard") at time at, on
// the region and revenue_usd columns of its "Reps" query, and returns their tokens.
func seedFilters(st *store, rep *report, at time.Time) []string {
	reps := rep.queries[0]
	var toks []string
	for _, f := range []rfilter{
		{name: "Region", formula: "[region]", dataType: "string", formulaType: "column", filterType: "MULTI", controlType: "DROPDOWN",
			variableType: "DISCRETE", options: map[string]any{"query_token": reps.token, "selected_values": []any{}}},
		{name: "Revenue (USD)", formula: "[revenue_usd]", dataType: "number", formulaType: "column", filterType: "RANGE", controlType: "RANGE",
			variableType: "CONTINUOUS", options: map[string]any{"query_token": reps.token}},
	} {
		f.id, f.token, f.queryToken, f.createdAt, f.updatedAt = st.id("report_filter", 70_000), st.token("report_filter", rep.name+"/"+f.name), reps.token, at, at
		rep.filters = append(rep.filters, &f)
		toks = append(toks, f.token)
	}
	return toks
}

// generatedQuery is the SQL of every generated report's query: valid on the demo database,
// never executed at seed time.
const generatedQuery = "SELECT id, name FROM accounts ORDER BY id LIMIT 10"

// seedGenerated adds WithGeneratedReports' spaces and reports to st: cheap objects (no SQL is
// run, no run is made), with deterministic tokens, creators taken from st's members in turn,
// times spread after the demo reports', and view counts and last views that vary.
func (e *Emulator) seedGenerated(st *store, ds *dataSource) {
	if e.cfg.genSpaces < 1 || e.cfg.genReports < 1 {
		return
	}
	base := seedBase.Add(60 * 24 * time.Hour)
	spaces := make([]*space, e.cfg.genSpaces)
	for i := range spaces {
		name := fmt.Sprintf("Generated space %03d", i+1)
		at := base.Add(time.Duration(i) * time.Minute)
		sp := &space{ws: st, id: st.id("space", 700), token: st.token("space", "generated/"+name), name: name,
			description: "Generated for scale.", spaceType: "custom", joined: true, creator: st.members[i%len(st.members)].username,
			createdAt: at, updatedAt: at}
		spaces[i] = sp
		st.spaces = append(st.spaces, sp)
		st.spaceByTok[sp.token] = sp
		e.demo.GeneratedSpaces = append(e.demo.GeneratedSpaces, sp.token)
	}
	n := e.cfg.genSpaces * e.cfg.genReports
	st.reports = slices.Grow(st.reports, n)
	for i := range n {
		name := fmt.Sprintf("Generated report %05d", i+1)
		created := base.Add(time.Hour + time.Duration(i)*time.Minute)
		updated := created.Add(time.Duration(i%7+1) * time.Hour)
		creator := st.members[i%len(st.members)].username
		rep := &report{
			ws: st, id: st.id("report", 90_000), token: st.token("report", "generated/"+name), name: name,
			description: "Generated for scale.", spaceToken: spaces[i%len(spaces)].token, creator: creator,
			createdAt: created, updatedAt: updated, editedAt: updated, publishedAt: updated, viewCount: (i * 53) % 500,
		}
		if rep.viewCount > 0 {
			rep.lastViewedAt = updated.Add(time.Duration(i%48) * time.Hour)
		}
		rep.queries = []*query{{
			id: st.id("query", 5_000_000), token: st.token("query", "generated/"+name+"/Accounts"), name: "Accounts",
			rawQuery: generatedQuery, dataSourceID: ds.id, creator: creator, createdAt: created, updatedAt: updated,
		}}
		st.reports = append(st.reports, rep)
		st.reportByTok[rep.token] = rep
	}
}

// secondReportSQL is the query of SecondDemo.Report: it runs on the emulator's one database.
const secondReportSQL = `SELECT r.name AS region, COUNT(s.id) AS sales_reps
FROM region r
LEFT JOIN sales_reps s ON s.region_id = r.id
GROUP BY r.name
ORDER BY r.name`

// seedSecond seeds SecondWorkspace: one of each kind of object. Its tokens derive from names
// prefixed with the workspace, and its numeric ids from bases of their own.
func (e *Emulator) seedSecond() {
	const ws = SecondWorkspace
	st := newStore(&e.reg, 100_000_000)
	e.addWorkspace(st, 2, ws, "Northwind Traders", "NT", "northwind.example")
	key := func(name string) string { return ws + "/" + name }
	d := &e.demo.Second
	d.Workspace = ws

	m := &member{ws: st, token: st.token("member", key("nora_northwind")), membership: st.token("membership", key("nora_northwind")),
		username: "nora_northwind", name: "Nora North", email: "nora_northwind@northwind.example", admin: true, activatedAt: seedBase}
	e.addMember(st, m)
	d.Member, d.Membership = m.username, m.membership

	g := seedGroup(st, key("Everyone"), "Everyone", "Every member of Northwind Traders.", "everyone", []string{m.username}, m.username, seedBase)
	g.dataSources = 1
	d.Group = g.token

	at := seedBase.Add(24 * time.Hour)
	sp := &space{ws: st, id: st.id("space", 700), token: st.token("space", key("Operations")), name: "Operations",
		description: "Regions and the sales team.", spaceType: "custom", joined: true, creator: m.username, createdAt: at, updatedAt: at}
	st.spaces = append(st.spaces, sp)
	st.spaceByTok[sp.token] = sp
	d.Space = sp.token
	seedSpaceMemberships(st, m.username, at, map[int][]any{0: {g}})

	ds := &dataSource{
		ws: st, id: st.idBase + 4001, token: st.token("data_source", key("Northwind")), name: "Northwind", displayName: "Northwind",
		description: "Northwind's warehouse (the emulator's demo database).",
		adapter:     "jdbc:postgresql", vendor: "postgres", database: "northwind",
		host: "northwind.db.modetest.internal", port: 5432, username: "mode_reader", creator: m.username,
		createdAt: seedBase, updatedAt: seedBase,
	}
	st.dataSources = append(st.dataSources, ds)
	st.dataByTok[ds.token] = ds
	st.dataByID[ds.id] = ds
	d.DataSource = ds.token

	created := seedBase.Add(72 * time.Hour)
	rep := &report{
		ws: st, id: st.id("report", 90_000), token: st.token("report", key("Sales Reps per Region")), name: "Sales Reps per Region",
		description: "How many sales reps each region has.", spaceToken: sp.token, creator: m.username,
		createdAt: created, updatedAt: created, editedAt: created, publishedAt: created, viewCount: 7,
		lastViewedAt: created.Add(48 * time.Hour),
	}
	q := &query{
		id: st.id("query", 5_000_000), token: st.token("query", key("Sales Reps per Region/Reps per region")), name: "Reps per region",
		rawQuery: secondReportSQL, dataSourceID: ds.id, creator: m.username, createdAt: created, updatedAt: created,
	}
	seedChartsOf(st, key("Sales Reps per Region/Reps per region"), q, m.username, created)
	rep.queries = append(rep.queries, q)
	st.reports = append(st.reports, rep)
	st.reportByTok[rep.token] = rep
	d.Report = rep.token
	d.Reports = append(d.Reports, rep.token)

	def := addDefinition(st, key("regions_with_reps"), seedDefinition{"regions_with_reps", "Each region with how many sales reps it has.",
		secondReportSQL, m.username}, ds, seedBase.Add(48*time.Hour))
	d.Definition = def.token
	set := e.addDataset(st, ds, sp.token, "Regions", "The sales regions.",
		seedQuery{"Regions", "SELECT id, name FROM region ORDER BY id"}, m.username, seedBase.Add(48*time.Hour), key("Regions"))
	rep.imports = append(rep.imports, set)
	d.Dataset = set.token
}

// seedGroup adds a group of st (its tokens derive from key) holding the members named, in order,
// made by creator at time at.
func seedGroup(st *store, key, name, description, groupType string, members []string, creator string, at time.Time) *group {
	g := &group{ws: st, id: st.id("group", 3_000), token: st.token("group", key), name: name, description: description,
		groupType: groupType, creator: creator, createdAt: at, updatedAt: at}
	for _, username := range members {
		g.memberships = append(g.memberships, &groupMembership{
			token: st.token("group_membership", key+"/"+username), member: st.memberByName[username], creator: creator, createdAt: at,
		})
	}
	st.groups = append(st.groups, g)
	st.groupByTok[g.token] = g
	return g
}

// seedSpaceMemberships gives the spaces of st (by index) memberships of the groups and members
// listed, in order, made by creator at time at, and returns their tokens by space index.
func seedSpaceMemberships(st *store, creator string, at time.Time, grants map[int][]any) map[int][]string {
	toks := map[int][]string{}
	for i := range len(st.spaces) {
		s := st.spaces[i]
		for _, who := range grants[i] {
			sm := &spaceMembership{creator: creator, createdAt: at}
			switch who := who.(type) {
			case *group:
				sm.group, sm.token = who, st.token("space_membership", s.token+"/group/"+who.token)
			case *member:
				sm.member, sm.token = who, st.token("space_membership", s.token+"/user/"+who.token)
			}
			s.memberships = append(s.memberships, sm)
			toks[i] = append(toks[i], sm.token)
		}
	}
	return toks
}
