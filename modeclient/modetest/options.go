package modetest

import "time"

// DemoWorkspace is the username of the seeded demo workspace.
const DemoWorkspace = "parch_and_posey"

// SecondWorkspace is the username of the second seeded workspace: smaller than the demo one (a
// space, a data source, a report whose SQL runs, a member, a group), visible to the same
// credentials, for tests of what must not cross from one workspace to another.
const SecondWorkspace = "northwind_traders"

// Defaults, chosen to match Mode.
const (
	defaultRateLimit    = 40
	defaultRatePer      = 10 * time.Second
	defaultPerPage      = 30
	defaultRunDuration  = 50 * time.Millisecond
	maxPerPage          = 1000
	defaultMaxLoggedReq = 100_000
	defaultTick         = time.Second
)

// Option configures an Emulator.
type Option func(*config)

// credential is an API token and secret. username is "" for a credential that stands for no
// member in particular (WithCredentials: it sees everything, as a workspace admin does), or the
// member a user credential belongs to (WithUserCredential).
type credential struct{ token, secret, username string }

type config struct {
	credentials  []credential
	latency      time.Duration
	rateLimit    int
	ratePer      time.Duration
	runDuration  time.Duration
	bigRows      int
	extraReports int
	perPage      int
	// genSpaces and genReports are WithGeneratedReports': spaces, and reports in each.
	genSpaces, genReports int
	// crossWorkspaceTokens resolves tokens in every workspace, whatever the URL names.
	crossWorkspaceTokens bool
	// specPagination leaves page, per_page and count out of list answers.
	specPagination bool
	clock          Clock         // the time of schedules (clock.go); real time when nil
	tick           time.Duration // how often the ticker looks for due schedules (fire.go)
}

func defaultConfig() config {
	return config{
		rateLimit:   defaultRateLimit,
		ratePer:     defaultRatePer,
		runDuration: defaultRunDuration,
		perPage:     defaultPerPage,
		tick:        defaultTick,
	}
}

// WithCredentials adds a Mode user with this API token and secret; repeatable. Such a credential
// stands for no member in particular: it sees every workspace and everything in them, as a
// workspace admin does, and what it creates is made by the workspace's first member. Without it
// the emulator makes one random pair (see Emulator.Credentials).
func WithCredentials(token, secret string) Option {
	return func(c *config) { c.credentials = append(c.credentials, credential{token: token, secret: secret}) }
}

// WithUserCredential adds the API token and secret of the member named username; repeatable. A
// request made with it is that member's (access.go): it reaches only the workspaces username is a
// member of (others answer 404), it sees a restricted space, and the reports and datasets in it,
// only when the member is an admin or has access through a space membership (their own, or one of
// a group they belong to), and another member's personal space never; what it creates is made by
// that member; and administration (groups, group and space memberships, signature tokens) answers
// 403 unless the member is an admin. The member is looked up by username at each request, so a
// credential of a username no workspace has reaches no workspace.
func WithUserCredential(username, token, secret string) Option {
	return func(c *config) {
		c.credentials = append(c.credentials, credential{token: token, secret: secret, username: username})
	}
}

// WithLatency adds d to every request before it is answered.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithRateLimit allows n requests per period per credential, like Mode (default 40 per 10s);
// n <= 0 disables the limit.
func WithRateLimit(n int, per time.Duration) Option {
	return func(c *config) { c.rateLimit, c.ratePer = n, per }
}

// WithRunDuration sets how long a report run stays enqueued before it finishes (default 50ms;
// its query runs are enqueued for the first half of it and running for the second).
func WithRunDuration(d time.Duration) Option {
	return func(c *config) { c.runDuration = d }
}

// WithBigRows adds a table big_rows with n rows, generated while they are read, and a report
// "Big table" that selects all of it (Demo.BigReport).
func WithBigRows(n int) Option {
	return func(c *config) { c.bigRows = n }
}

// WithExtraReports adds n generated reports to the first space, to exercise paging at scale.
func WithExtraReports(n int) Option {
	return func(c *config) { c.extraReports = n }
}

// WithGeneratedReports adds a large workspace's worth of objects to the demo workspace, for
// benchmarks and tests of scale: spaces new spaces ("Generated space 001", …), each holding
// reportsPerSpace reports of one query (reports are named "Generated report 00001", …, in
// creation order, across the spaces in turn). Seeding executes no SQL and makes no runs, so
// 10,000 reports across 50 spaces take well under a second. The new spaces' tokens are
// Demo.GeneratedSpaces; the reports' are not in Demo (list them, e.g. with the Metadata API).
// Values below 1 add nothing.
func WithGeneratedReports(spaces, reportsPerSpace int) Option {
	return func(c *config) { c.genSpaces, c.genReports = spaces, reportsPerSpace }
}

// WithPerPage sets the default page size of lists (Mode: 30).
func WithPerPage(n int) Option {
	return func(c *config) { c.perPage = n }
}

// WithCrossWorkspaceTokens makes the emulator resolve an object's token in every workspace,
// whatever workspace the URL names, and answer the object with its true workspace in
// account_username and _links: GET /api/parch_and_posey/reports/<a report of SecondWorkspace>
// answers that report, labelled as SecondWorkspace's. Mode's tokens are global and one
// credential may see several workspaces, so a Mode could do this; clients must not take such an
// answer for an object of the workspace they asked about. Without the option a token of another
// workspace is 404, as on Mode.
func WithCrossWorkspaceTokens() Option {
	return func(c *config) { c.crossWorkspaceTokens = true }
}

// WithSpecPagination makes list answers carry only the pagination fields Mode's OpenAPI document
// lists (first_page, last_page, total_pages, total_count), without the page, per_page and count
// Mode sends besides: for tests that a client depends on none of them.
func WithSpecPagination() Option {
	return func(c *config) { c.specPagination = true }
}
