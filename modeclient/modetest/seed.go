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
	Members       []string // member usernames
	Groups        []string // group tokens
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
	Group      string   // the only group's token
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
)

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
		m := &member{ws: st, token: st.token("member", p.username), username: p.username, name: p.name,
			email: p.username + "@parchandposey.com", admin: p.admin, activatedAt: seedBase.Add(time.Duration(i) * time.Hour)}
		st.members = append(st.members, m)
		st.memberByName[m.username] = m
		e.demo.Members = append(e.demo.Members, m.username)
	}
	groups := []struct {
		name, description, groupType string
		members                      []string
		spaces                       int
	}{
		{"Everyone", "Every member of Parch & Posey.", "everyone", e.demo.Members, 3},
		{"Analysts", "People who write the reports.", "custom", []string{"ana_analyst", "ben_builder", "dev_engineer"}, 2},
		{"Executives", "Leadership team.", "custom", []string{"carla_ceo"}, 1},
	}
	for i, g := range groups {
		grp := &group{ws: st, token: st.token("group", g.name), name: g.name, description: g.description, groupType: g.groupType,
			members: g.members, spaces: g.spaces, dataSources: 1, createdAt: seedBase.Add(time.Duration(i) * time.Minute)}
		st.groups = append(st.groups, grp)
		st.groupByTok[grp.token] = grp
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
			rep.queries = append(rep.queries, &query{
				id: st.id("query", 5_000_000), token: st.token("query", sr.name+"/"+sq.name), name: sq.name, rawQuery: sq.sql,
				dataSourceID: ds.id, creator: "ana_analyst", createdAt: created.Add(time.Duration(j) * time.Minute), updatedAt: updated,
			})
		}
		st.reports = append(st.reports, rep)
		st.reportByTok[rep.token] = rep
		e.demo.Reports = append(e.demo.Reports, rep.token)
		switch {
		case i == paramReportIndex:
			e.demo.ParamReport = rep.token
		case i == failingReportIndex:
			e.demo.FailingReport = rep.token
		case sr.name == "Big table" && i == len(seedReports):
			e.demo.BigReport = rep.token
		}
	}
	e.seedGenerated(st, ds)
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

	m := &member{ws: st, token: st.token("member", key("nora_northwind")), username: "nora_northwind", name: "Nora North",
		email: "nora_northwind@northwind.example", admin: true, activatedAt: seedBase}
	st.members = append(st.members, m)
	st.memberByName[m.username] = m
	d.Member = m.username

	g := &group{ws: st, token: st.token("group", key("Everyone")), name: "Everyone", description: "Every member of Northwind Traders.",
		groupType: "everyone", members: []string{m.username}, spaces: 1, dataSources: 1, createdAt: seedBase}
	st.groups = append(st.groups, g)
	st.groupByTok[g.token] = g
	d.Group = g.token

	at := seedBase.Add(24 * time.Hour)
	sp := &space{ws: st, id: st.id("space", 700), token: st.token("space", key("Operations")), name: "Operations",
		description: "Regions and the sales team.", spaceType: "custom", joined: true, creator: m.username, createdAt: at, updatedAt: at}
	st.spaces = append(st.spaces, sp)
	st.spaceByTok[sp.token] = sp
	d.Space = sp.token

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
	rep.queries = append(rep.queries, &query{
		id: st.id("query", 5_000_000), token: st.token("query", key("Sales Reps per Region/Reps per region")), name: "Reps per region",
		rawQuery: secondReportSQL, dataSourceID: ds.id, creator: m.username, createdAt: created, updatedAt: created,
	})
	st.reports = append(st.reports, rep)
	st.reportByTok[rep.token] = rep
	d.Report = rep.token
	d.Reports = append(d.Reports, rep.token)
}
