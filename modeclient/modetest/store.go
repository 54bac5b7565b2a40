package modetest

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// The emulator's state. Everything here is guarded by Emulator.mu; handlers copy what they need
// into JSON values while holding it and write the answer after releasing it.

// registry is what all workspaces share: Mode's tokens are global, so no two objects of any
// workspace get the same token.
type registry struct {
	tokens map[string]bool
	seq    int // counter behind the tokens of objects created through the API
}

// store is one workspace (account) and everything in it.
type store struct {
	reg          *registry
	idBase       int // added to every numeric id base, so that workspaces do not share ids
	account      *account
	members      []*member
	groups       []*group
	spaces       []*space
	dataSources  []*dataSource
	reports      []*report
	nextID       map[string]int // numeric ids per kind
	reportByTok  map[string]*report
	spaceByTok   map[string]*space
	groupByTok   map[string]*group
	dataByTok    map[string]*dataSource
	dataByID     map[int]*dataSource
	memberByName map[string]*member
	formerByName map[string]*member // the members removed (people.go), by username
	membersEver  int                // how many memberships the workspace has had

	// Definitions (definitions.go), oldest first.
	definitions []*definition
	sigTokens   map[string]*signatureToken // the Metadata API's signature tokens (signature.go)
}

func newStore(reg *registry, idBase int) *store {
	return &store{
		reg:          reg,
		idBase:       idBase,
		nextID:       map[string]int{},
		reportByTok:  map[string]*report{},
		spaceByTok:   map[string]*space{},
		groupByTok:   map[string]*group{},
		dataByTok:    map[string]*dataSource{},
		dataByID:     map[int]*dataSource{},
		memberByName: map[string]*member{},
		formerByName: map[string]*member{},
		sigTokens:    map[string]*signatureToken{},
	}
}

// token returns a unique, deterministic 12-hex token derived from kind and key.
func (s *store) token(kind, key string) string {
	for i := 0; ; i++ {
		k := kind + "/" + key
		if i > 0 {
			k += "/" + strconv.Itoa(i)
		}
		t := deriveToken(k)
		if !s.reg.tokens[t] {
			s.reg.tokens[t] = true
			return t
		}
	}
}

// newToken returns the token of the next object created through the API; tokens follow a
// sequence shared by all workspaces, so the same calls in the same order give the same tokens.
func (s *store) newToken(kind string) string {
	s.reg.seq++
	return s.token(kind, "created/"+strconv.Itoa(s.reg.seq))
}

// id returns the next numeric id of kind.
func (s *store) id(kind string, base int) int {
	if s.nextID[kind] == 0 {
		s.nextID[kind] = s.idBase + base
	}
	s.nextID[kind]++
	return s.nextID[kind]
}

type account struct {
	id        int
	token     string
	username  string
	name      string
	initials  string // of the avatar
	domain    string // the authorized e-mail domain
	createdAt time.Time
}

// member is a person's membership of a workspace. The person (a Mode user) is username, name,
// email, id and token (member_token: the user's token, the same in every workspace they belong
// to); the membership has a token of its own (membership), which addresses it under
// /api/{workspace}/memberships/{membership}, and an id.
type member struct {
	ws           *store // the workspace it belongs to
	id           int    // the user's numeric id (a space membership's member_id)
	token        string // the user's token: a membership's member_token, immutable (the username may change)
	membership   string // the membership's token
	membershipID int    // the membership's numeric id
	username     string
	name         string
	email        string
	admin        bool
	activatedAt  time.Time // zero while an invitation is pending
	invite       *invite   // the invitation that made the membership (people.go); nil for seeded members
}

// pending reports whether m is an invitation not yet accepted.
func (m *member) pending() bool { return m.activatedAt.IsZero() }

type group struct {
	ws          *store // the workspace it belongs to
	id          int    // a space membership's member_id
	token       string
	name        string
	description string
	groupType   string             // "everyone" (every member, fixed) or "custom"
	memberships []*groupMembership // groups.go, oldest first
	// spacesBase is added to the spaces the group has a space membership in to make spaces_count:
	// spaces the seed counts that the emulator does not model as memberships.
	spacesBase  int
	dataSources int
	creator     string // username
	createdAt   time.Time
	updatedAt   time.Time
}

type space struct {
	ws          *store // the workspace it belongs to
	id          int
	token       string
	name        string
	description string
	spaceType   string // custom, private
	restricted  bool
	joined      bool // listed without filter=all
	creator     string
	createdAt   time.Time
	updatedAt   time.Time
	memberships []*spaceMembership // who has access to it (spacememberships.go), oldest first
}

type dataSource struct {
	ws          *store // the workspace it belongs to
	id          int
	token       string
	name        string
	displayName string
	description string
	adapter     string
	vendor      string
	database    string
	host        string
	port        int
	username    string
	creator     string
	createdAt   time.Time
	updatedAt   time.Time

	// What PATCH …/data_sources/{data_source} set that no answer shows (datasource_admin.go):
	// the password as a hash, and whether the secret attributes were given.
	passwordHash        [sha256.Size]byte
	passwordSet         bool
	connectionStringSet bool
	schemaUpdates       []*schemaUpdate // oldest first
}

type report struct {
	ws                *store // the workspace it belongs to
	id                int
	token             string
	name              string
	description       string
	spaceToken        string
	creator           string
	archived          bool
	manualRunDisabled bool // runs and clones answer 400 (manualrun.go)
	createdAt         time.Time
	updatedAt         time.Time
	editedAt          time.Time
	publishedAt       time.Time
	lastRunAt         time.Time
	lastSuccessAt     time.Time
	lastSuccessRunTok string
	viewCount         int
	queries           []*query
	runs              []*reportRun // oldest first
	schedules         []*schedule  // oldest first

	// Subscriptions and what their schedules' runs delivered (subscriptions.go), oldest first.
	subscriptions []*subscription
	deliveries    []Delivery

	// Filters (filters.go), in the order the report shows them.
	filters []*rfilter
	// Datasets (datasets.go). A dataset is a report Mode marks as one (dataset is true): it has
	// routes of its own, fields and their descriptions, and other reports import it.
	dataset           bool
	imports           []*report           // the datasets this report imports, in import order
	fieldDescriptions []*fieldDescription // a dataset's, oldest first
	// When a person last viewed it: the Metadata API's last_viewed_at (batch.go). Nothing the
	// API does is a view; only the seed sets it.
	lastViewedAt time.Time
}

type query struct {
	id           int
	token        string
	name         string
	rawQuery     string
	dataSourceID int
	creator      string
	createdAt    time.Time
	updatedAt    time.Time
	lastRunID    int
	charts       []*chart // charts.go, oldest first
}

// Run states, as Mode spells them. A report run is enqueued until it ends (Mode's document has no
// "running" report run); its query runs are enqueued, then running.
const (
	stateEnqueued  = "enqueued"
	stateRunning   = "running" // query runs only
	stateSucceeded = "succeeded"
	stateFailed    = "failed"
)

type reportRun struct {
	id          int
	token       string
	report      *report
	state       string
	parameters  map[string]any
	createdAt   time.Time
	updatedAt   time.Time
	completedAt time.Time
	executedBy  string
	queryRuns   []*queryRun
	schedule    *schedule // the schedule that fired it (fire.go); nil for a manual run

	// Its duplicates (duplicates.go), oldest first.
	duplicates []*runDuplicate

	// When its results were purged (purge.go); zero while they are kept.
	purgeStartedAt   time.Time
	purgeCompletedAt time.Time
}

type queryRun struct {
	id             int
	token          string
	run            *reportRun
	queryToken     string
	queryName      string
	queryCreatedAt time.Time
	dataSource     *dataSource
	rawSource      string
	renderedSource string
	parameters     map[string]any // effective: defaults overridden by the run's parameters
	state          string
	createdAt      time.Time
	completedAt    time.Time
	errorCode      string
	errorType      string
	errorMessage   string
	renderErr      string // why the SQL could not be rendered (a definition it names is missing): the run fails with it
}

func (r *report) query(token string) *query {
	for _, q := range r.queries {
		if q.token == token {
			return q
		}
	}
	return nil
}

func (r *report) run(token string) *reportRun {
	for _, run := range r.runs {
		if run.token == token {
			return run
		}
	}
	return nil
}

func (run *reportRun) queryRun(token string) *queryRun {
	for _, qr := range run.queryRuns {
		if qr.token == token {
			return qr
		}
	}
	return nil
}

func finished(state string) bool { return state == stateSucceeded || state == stateFailed }

// deriveToken hashes key into a 12-hex token.
func deriveToken(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}
