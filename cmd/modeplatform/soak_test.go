package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/contracttest"
	"github.com/modeplatform/modeplatform/internal/errdetail"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/sharedcache/redistest"
)

// The soak's creates carry request ids from a small pool, so that the same id comes back, to
// either replica, many times. The id names what it creates and for whom, and it is written
// into what Mode stores (a space's or query's name, a run's parameters), so that what Mode
// created can be traced back to the id that asked for it.
const (
	soakIDPool   = 25 // request ids per kind of create and caller
	soakRIDParam = "soak_rid"
)

// reasonCredentialRejected is the ErrorInfo reason of a call refused because Mode refused the
// server's credential for the workspace.
const reasonCredentialRejected = "UPSTREAM_CREDENTIAL_REJECTED"

// soakRIDPattern finds a soak request id in a body sent to Mode.
var soakRIDPattern = regexp.MustCompile(`soakrid-[a-z]+-[a-z]+-[0-9]+`)

// soakRID is a request id from the pool: soakrid-<kind>-<caller>-<n>.
func soakRID(kind, caller string, n int) string {
	return "soakrid-" + kind + "-" + caller + "-" + strconv.Itoa(n)
}

// soakState is what the soak's callers learned: names of runs and query runs to read.
type soakState struct {
	mu        sync.Mutex
	demo      modetest.Demo
	runs      []string
	queryRuns []string
	spaces    []string // created by the soak
	queries   []string // created by the soak
}

func (s *soakState) pick(list []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(list) == 0 {
		return ""
	}
	return list[rand.IntN(len(list))]
}

func (s *soakState) remember(list *[]string, name string) {
	if name == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	*list = append(*list, name)
	if len(*list) > 50 {
		*list = (*list)[len(*list)-50:]
	}
}

// soakRequests builds a request for every method of the contract, in workspace ws, from what
// the soak knows; caller names who sends it (creates put it in their request id, since ids are
// scoped by caller).
func soakRequests(s *soakState, ws string) map[string]func(caller string) proto.Message {
	w := "workspaces/" + ws
	// Names learnt in the demo workspace, moved to ws (other_ws is the demo workspace in Mode).
	inWS := func(name string) string { return w + strings.TrimPrefix(name, "workspaces/"+demoWS) }
	report := func() string { return w + "/reports/" + s.demo.Reports[rand.IntN(3)] }
	space := func() string { return w + "/spaces/" + s.demo.Spaces[rand.IntN(2)] }
	run := func() string {
		if r := s.pick(s.runs); r != "" {
			return inWS(r)
		}
		return report() + "/runs/000000000000"
	}
	queryRun := func() string {
		if r := s.pick(s.queryRuns); r != "" {
			return inWS(r)
		}
		return run() + "/queryRuns/000000000000"
	}
	ownSpace := func() string {
		if sp := s.pick(s.spaces); sp != "" {
			return inWS(sp)
		}
		return w + "/spaces/000000000000"
	}
	ownQuery := func() string {
		if q := s.pick(s.queries); q != "" {
			return inWS(q)
		}
		return report() + "/queries/000000000000"
	}
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	type builder = func(caller string) proto.Message
	plain := func(f func() proto.Message) builder { return func(string) proto.Message { return f() } }
	return map[string]builder{
		"GetWorkspace":    plain(func() proto.Message { return &modeplatformv1.GetWorkspaceRequest{Name: w} }),
		"ListMemberships": plain(func() proto.Message { return &modeplatformv1.ListMembershipsRequest{Parent: w} }),
		"ListGroups":      plain(func() proto.Message { return &modeplatformv1.ListGroupsRequest{Parent: w} }),
		"ListSpaces": plain(func() proto.Message {
			return &modeplatformv1.ListSpacesRequest{Parent: w, PageSize: int32(1 + rand.IntN(5))}
		}),
		"GetSpace": plain(func() proto.Message { return &modeplatformv1.GetSpaceRequest{Name: space()} }),
		// The same id always asks for the same space: a retry, not a different request.
		"CreateSpace": func(caller string) proto.Message {
			id := soakRID("space", caller, rand.IntN(soakIDPool))
			return &modeplatformv1.CreateSpaceRequest{Parent: w, Space: &modeplatformv1.Space{DisplayName: "soak " + id}, RequestId: id}
		},
		"UpdateSpace": plain(func() proto.Message {
			return &modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: ownSpace(), Description: "soaked"}, UpdateMask: mask("description")}
		}),
		"DeleteSpace": plain(func() proto.Message { return &modeplatformv1.DeleteSpaceRequest{Name: ownSpace()} }),
		"GetReport":   plain(func() proto.Message { return &modeplatformv1.GetReportRequest{Name: report()} }),
		"ListReports": plain(func() proto.Message { return &modeplatformv1.ListReportsRequest{Parent: space()} }),
		"UpdateReport": plain(func() proto.Message {
			return &modeplatformv1.UpdateReportRequest{Report: &modeplatformv1.Report{Name: report(), Description: "soaked"}, UpdateMask: mask("description")}
		}),
		// Deleting the demo's reports would starve the soak: a report that does not exist.
		"DeleteReport":    plain(func() proto.Message { return &modeplatformv1.DeleteReportRequest{Name: w + "/reports/000000000000"} }),
		"ArchiveReport":   plain(func() proto.Message { return &modeplatformv1.ArchiveReportRequest{Name: report()} }),
		"UnarchiveReport": plain(func() proto.Message { return &modeplatformv1.UnarchiveReportRequest{Name: report()} }),
		// The id decides the report and the parameters: the same id is the same request.
		"RunReport": func(caller string) proto.Message {
			n := rand.IntN(soakIDPool)
			id := soakRID("run", caller, n)
			return &modeplatformv1.RunReportRequest{Name: w + "/reports/" + s.demo.Reports[n%3], RequestId: id,
				Parameters: map[string]string{soakRIDParam: id}}
		},
		"CloneReportRun":     plain(func() proto.Message { return &modeplatformv1.CloneReportRunRequest{Name: run()} }),
		"GetReportRun":       plain(func() proto.Message { return &modeplatformv1.GetReportRunRequest{Name: run()} }),
		"ListReportRuns":     plain(func() proto.Message { return &modeplatformv1.ListReportRunsRequest{Parent: report(), PageSize: 5} }),
		"WatchReportRun":     plain(func() proto.Message { return &modeplatformv1.WatchReportRunRequest{Name: run()} }),
		"ListQueryRuns":      plain(func() proto.Message { return &modeplatformv1.ListQueryRunsRequest{Parent: run()} }),
		"GetQueryRun":        plain(func() proto.Message { return &modeplatformv1.GetQueryRunRequest{Name: queryRun()} }),
		"StreamQueryResults": plain(func() proto.Message { return &modeplatformv1.StreamQueryResultsRequest{Name: queryRun()} }),
		"ExportQueryResults": plain(func() proto.Message {
			f := modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV
			if rand.IntN(2) == 0 {
				f = modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON
			}
			return &modeplatformv1.ExportQueryResultsRequest{Name: queryRun(), Format: f}
		}),
		"ListQueries": plain(func() proto.Message { return &modeplatformv1.ListQueriesRequest{Parent: report()} }),
		"GetQuery":    plain(func() proto.Message { return &modeplatformv1.GetQueryRequest{Name: ownQuery()} }),
		"CreateQuery": func(caller string) proto.Message {
			n := rand.IntN(soakIDPool)
			id := soakRID("query", caller, n)
			return &modeplatformv1.CreateQueryRequest{Parent: w + "/reports/" + s.demo.Reports[n%3], RequestId: id, Query: &modeplatformv1.Query{
				DisplayName: "soak " + id, Sql: "SELECT 1", DataSource: w + "/dataSources/" + s.demo.DataSource}}
		},
		"UpdateQuery": plain(func() proto.Message {
			return &modeplatformv1.UpdateQueryRequest{Query: &modeplatformv1.Query{Name: ownQuery(), DisplayName: "soaked"}, UpdateMask: mask("display_name")}
		}),
		"DeleteQuery":     plain(func() proto.Message { return &modeplatformv1.DeleteQueryRequest{Name: ownQuery()} }),
		"ListDataSources": plain(func() proto.Message { return &modeplatformv1.ListDataSourcesRequest{Parent: w} }),
		"GetDataSource": plain(func() proto.Message {
			return &modeplatformv1.GetDataSourceRequest{Name: w + "/dataSources/" + s.demo.DataSource}
		}),
	}
}

// learn keeps the names a response carries for later calls.
func (s *soakState) learn(resp any) {
	switch r := resp.(type) {
	case *modeplatformv1.RunReportResponse:
		s.remember(&s.runs, r.GetRun().GetName())
	case *modeplatformv1.CloneReportRunResponse:
		s.remember(&s.runs, r.GetRun().GetName())
	case *modeplatformv1.ListQueryRunsResponse:
		for _, q := range r.GetQueryRuns() {
			s.remember(&s.queryRuns, q.GetName())
		}
	case *modeplatformv1.CreateSpaceResponse:
		s.remember(&s.spaces, r.GetSpace().GetName())
	case *modeplatformv1.CreateQueryResponse:
		s.remember(&s.queries, r.GetQuery().GetName())
	}
}

// createdName is the name of what a create's response says it made ("" for other responses).
func createdName(resp any) string {
	switch r := resp.(type) {
	case *modeplatformv1.CreateSpaceResponse:
		return r.GetSpace().GetName()
	case *modeplatformv1.RunReportResponse:
		return r.GetRun().GetName()
	case *modeplatformv1.CreateQueryResponse:
		return r.GetQuery().GetName()
	}
	return ""
}

// soakMode serves the emulator to the replicas as Mode, through a layer that
//   - serves /api/other_ws/… as the demo workspace (a second workspace, with its own credential);
//   - tallies the faults Mode's answers show (the emulator's faults are drawn at random);
//   - records every create Mode performed, by the request id written into it, and every delete;
//   - on a fraction of creates, lets Mode perform the create and then loses the answer (a 502
//     from a proxy, or the connection cut): the outcome a retry must not turn into a second write.
type soakMode struct {
	emu      *modetest.Emulator
	lostRate float64

	faults  lockedCounter
	mu      sync.Mutex
	created map[string][]string // request id → tokens of what Mode created for it
	deleted map[string]bool     // tokens Mode deleted
}

// createKind is what a request to Mode creates: "space", "run", "query", or "".
func createKind(r *http.Request) string {
	if r.Method != http.MethodPost {
		return ""
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // api ws …
	switch {
	case len(parts) == 3 && parts[2] == "spaces":
		return "space"
	case len(parts) == 5 && parts[2] == "reports" && parts[4] == "runs":
		return "run"
	case len(parts) == 5 && parts[2] == "reports" && parts[4] == "queries":
		return "query"
	}
	return ""
}

func (m *soakMode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/api/"+otherWS); ok && (rest == "" || rest[0] == '/') {
		r.URL.Path, r.URL.RawPath = "/api/"+demoWS+rest, ""
	}
	kind := createKind(r)
	var rid string
	if kind != "" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rid = soakRIDPattern.FindString(string(body))
	}
	if kind != "" && rand.Float64() < m.lostRate {
		m.serveLosingAnswer(w, r, rid)
		return
	}
	tw := &tallyWriter{ResponseWriter: w, keep: kind != ""}
	start := time.Now()
	// The deferred tally runs also when the emulator aborts; answered says it returned.
	answered := false
	defer func() {
		m.tally(r, tw, time.Since(start))
		if answered && !tw.hijacked && (tw.status/100 == 2 || tw.status == 0) {
			if kind != "" {
				m.noteCreate(rid, tw.body.Bytes())
			} else if r.Method == http.MethodDelete {
				m.mu.Lock()
				m.deleted[path.Base(r.URL.Path)] = true
				m.mu.Unlock()
			}
		}
	}()
	m.emu.ServeHTTP(tw, r)
	answered = true
}

// serveLosingAnswer lets Mode perform a create, then answers 502 or cuts the connection, as a
// failing proxy between the server and Mode would. When Mode did not create (a fault of its
// own), its answer goes through.
func (m *soakMode) serveLosingAnswer(w http.ResponseWriter, r *http.Request, rid string) {
	rec := httptest.NewRecorder()
	m.emu.ServeHTTP(rec, r)
	if rec.Code/100 != 2 {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	m.noteCreate(rid, rec.Body.Bytes())
	if rand.IntN(2) == 0 {
		m.faults.add("create done, answer lost: 502 from a proxy")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	}
	m.faults.add("create done, answer lost: connection cut")
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// noteCreate records that Mode created the object in body (its JSON answer) for rid.
func (m *soakMode) noteCreate(rid string, body []byte) {
	tok := soakTokenPattern.FindSubmatch(body)
	if rid == "" || tok == nil {
		return
	}
	m.mu.Lock()
	m.created[rid] = append(m.created[rid], string(tok[1]))
	m.mu.Unlock()
}

// soakTokenPattern finds the token of the object in a Mode answer (HAL: the object's own
// "token" comes before those of embedded objects, if any).
var soakTokenPattern = regexp.MustCompile(`"token":\s*"([A-Za-z0-9_-]+)"`)

// malformedPrefix starts the emulator's malformed body: encoding/json writes no such spaces.
const malformedPrefix = `{"_links": {"self": {"href": "/api"}}`

// tally counts the fault Mode's answer to r shows, if any.
func (m *soakMode) tally(r *http.Request, tw *tallyWriter, took time.Duration) {
	m.faults.add("requests to Mode")
	where := ""
	if strings.Contains(r.URL.Path, "/results/content.") {
		where = " (result download)"
	}
	switch {
	case tw.hijacked && tw.status != 0:
		m.faults.add("truncated body" + where)
	case tw.hijacked:
		m.faults.add("dropped connection" + where)
	case tw.status == http.StatusUnauthorized:
		m.faults.add("401: credential refused")
	case tw.status == http.StatusServiceUnavailable:
		m.faults.add("503")
	case tw.status == http.StatusTooManyRequests:
		m.faults.add("429 with Retry-After")
	case bytes.HasPrefix(tw.head, []byte(malformedPrefix)):
		m.faults.add("malformed body" + where)
	case took >= 300*time.Millisecond:
		m.faults.add("answered after 300ms or more (latency fault, or a busy machine)")
	}
}

// tallyWriter passes an answer on, noting its status, its first bytes, whether the connection
// was taken over (a drop or a truncated body), and, when keep is set, the whole body.
type tallyWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
	head     []byte
	keep     bool
	body     bytes.Buffer
}

func (t *tallyWriter) WriteHeader(status int) {
	if t.status == 0 {
		t.status = status
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *tallyWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	if n := 64 - len(t.head); n > 0 {
		t.head = append(t.head, p[:min(n, len(p))]...)
	}
	if t.keep {
		t.body.Write(p)
	}
	return t.ResponseWriter.Write(p)
}

func (t *tallyWriter) Flush() { _ = http.NewResponseController(t.ResponseWriter).Flush() }

func (t *tallyWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	t.hijacked = true
	return http.NewResponseController(t.ResponseWriter).Hijack()
}

// exists reports whether Mode (the emulator, asked directly) has the object of this resource
// name: workspaces/w/… is /api/w/… in Mode.
func (m *soakMode) exists(name string) bool {
	req := httptest.NewRequest(http.MethodGet, "/api/"+strings.TrimPrefix(name, "workspaces/"), nil)
	req.SetBasicAuth(userAToken, userASecret)
	rec := httptest.NewRecorder()
	m.emu.ServeHTTP(rec, req)
	return rec.Code == http.StatusOK
}

// writeLog is what the callers were told about their creates.
type writeLog struct {
	mu      sync.Mutex
	sent    map[string]int            // request id → calls (first tries and retries)
	answers map[string]map[string]int // request id → name answered OK → times
	errs    map[string]map[string]int // request id → error code answered → times
}

func (l *writeLog) note(rid, name string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent[rid]++
	if err != nil {
		if l.errs[rid] == nil {
			l.errs[rid] = map[string]int{}
		}
		l.errs[rid][connect.CodeOf(err).String()]++
		return
	}
	if l.answers[rid] == nil {
		l.answers[rid] = map[string]int{}
	}
	l.answers[rid][name]++
}

// errorReason is the ErrorInfo reason of a Connect error, or "".
func errorReason(err error) string { return errdetail.Info(err).GetReason() }

// unknownOutcome reports whether a create that failed with code may have happened in Mode: a
// caller retries those with the same request id.
func unknownOutcome(code connect.Code) bool {
	switch code {
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeInternal, connect.CodeUnknown,
		connect.CodeAborted, connect.CodeCanceled:
		return true
	}
	return false
}

// memSnapshot is the heap and goroutines at one moment, after a GC.
func memSnapshot() (heapMiB float64, goroutines int) {
	runtime.GC()
	runtime.GC() // the second empties the sync.Pools the first moved to their victim caches
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20), runtime.NumGoroutine()
}

// writeHeapProfile writes the heap's profile to path (go tool pprof -sample_index=inuse_space).
func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Errorf("heap profile: %v", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Errorf("heap profile: %v", err)
	}
}

// soakReceiver is the part of a server stream the slow readers use.
type soakReceiver interface {
	Receive() bool
	Err() error
	Close() error
}

// bigQueryRun runs the emulator's big report and returns its query run's name, once finished.
func bigQueryRun(ctx context.Context, rc modeplatformv1connect.ReportServiceClient, key, report string) (string, error) {
	req := connect.NewRequest(&modeplatformv1.RunReportRequest{Name: report})
	req.Header().Set("Authorization", "Bearer "+key)
	resp, err := rc.RunReport(ctx, req)
	if err != nil {
		return "", err
	}
	run := resp.Msg.GetRun().GetName()
	for i := 0; ; i++ {
		get := connect.NewRequest(&modeplatformv1.GetReportRunRequest{Name: run})
		get.Header().Set("Authorization", "Bearer "+key)
		g, err := rc.GetReportRun(ctx, get)
		if err == nil && g.Msg.GetRun().GetState() == modeplatformv1.ReportRun_STATE_SUCCEEDED {
			break
		}
		if i == 50 || (err == nil && g.Msg.GetRun().GetState() == modeplatformv1.ReportRun_STATE_FAILED) {
			return "", fmt.Errorf("run %s did not succeed: %v", run, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	list := connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: run})
	list.Header().Set("Authorization", "Bearer "+key)
	l, err := rc.ListQueryRuns(ctx, list)
	if err != nil {
		return "", err
	}
	if len(l.Msg.GetQueryRuns()) == 0 {
		return "", fmt.Errorf("run %s has no query run", run)
	}
	return l.Msg.GetQueryRuns()[0].GetName(), nil
}

// slowRead opens an export or a row stream of queryRun and reads it slowly, or stops reading
// and cancels; it returns what happened, for the tally.
func slowRead(rc modeplatformv1connect.ReportServiceClient, key, queryRun string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stream soakReceiver
	var err error
	kind := "export"
	if rand.IntN(2) == 0 {
		f := modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV
		if rand.IntN(2) == 0 {
			f = modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON
		}
		req := connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: queryRun, Format: f})
		req.Header().Set("Authorization", "Bearer "+key)
		stream, err = rc.ExportQueryResults(ctx, req)
	} else {
		kind = "stream"
		req := connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: queryRun, MaxRowsPerBatch: 100})
		req.Header().Set("Authorization", "Bearer "+key)
		stream, err = rc.StreamQueryResults(ctx, req)
	}
	if err != nil {
		return kind + ": open failed: " + connect.CodeOf(err).String()
	}
	defer stream.Close()
	stopAfter := -1 // read to the end
	if rand.IntN(3) == 0 {
		stopAfter = 1 + rand.IntN(3)
	}
	n := 0
	for stream.Receive() {
		n++
		if n == stopAfter {
			time.Sleep(time.Second) // stop reading a while, then go away
			cancel()
			return kind + ": stopped reading and cancelled"
		}
		time.Sleep(time.Duration(20+rand.IntN(80)) * time.Millisecond)
	}
	if err := stream.Err(); err != nil {
		what := kind + ": read slowly, then " + connect.CodeOf(err).String()
		if r := errorReason(err); r != "" {
			what += " " + r
		}
		return what
	}
	return kind + ": read slowly to the end"
}

// soakSeries samples the heap (after a GC) and the goroutines during the soak.
type soakSeries struct {
	heap []float64
	gr   []int
}

// TestSoak runs every method of the contract for MODEPLATFORM_SOAK (a duration, e.g. 2m) from
// several callers at once against two replicas of the server sharing a real Redis, in front of
// the emulator, with faults injected: Mode's 503s, 429s, latency, dropped connections,
// malformed bodies, truncated bodies (result downloads included), creates done but their
// answer lost, a workspace whose credential Mode refuses, Redis killed and restarted, and
// slow readers of result streams that also stop reading and cancel. Creates carry request ids
// from a small pool, sent to either replica, and retried when their outcome is unknown. It
// checks that no request id created more than one object in Mode, that every create answered
// OK names an object Mode created for that id, that no valid caller is told Unauthenticated,
// and that heap and goroutines come back once everything stopped; it reports the calls by
// method and code, the writes per request id and the faults. It is not part of the normal
// test run:
//
//	MODEPLATFORM_SOAK=2m go test ./cmd/modeplatform -run TestSoak -v -timeout 10m
//
// MODEPLATFORM_SOAK_HEAPPROFILE=file also writes the heap's profile at each sample (the last
// one stays), to see what the heap holds late in the soak.
func TestSoak(t *testing.T) {
	raw := os.Getenv("MODEPLATFORM_SOAK")
	if raw == "" {
		t.Skip("set MODEPLATFORM_SOAK=2m to run the soak")
	}
	dur, err := time.ParseDuration(raw)
	if err != nil || dur <= 0 || dur > 10*time.Minute {
		t.Fatalf("MODEPLATFORM_SOAK=%q: want a duration up to 10m", raw)
	}
	heap0, gr0 := memSnapshot()

	rs := redistest.Start(t)
	emu, err := modetest.New(modetest.WithCredentials(userAToken, userASecret), modetest.WithRateLimit(0, 0),
		modetest.WithRunDuration(100*time.Millisecond), modetest.WithBigRows(5000))
	if err != nil {
		t.Fatal(err)
	}
	sm := &soakMode{emu: emu, lostRate: 0.1, created: map[string][]string{}, deleted: map[string]bool{}}
	mode := httptest.NewServer(sm)
	var closeOnce sync.Once
	defer closeOnce.Do(func() { closeMode(emu, mode) })
	const results = "/api/*/reports/*/runs/*/query_runs/*/results/*"
	for _, f := range []modetest.Fault{
		{Truncate: true, Method: http.MethodGet, Path: results, Rate: 0.05},
		{Status: http.StatusServiceUnavailable, Rate: 0.02},
		{Status: http.StatusTooManyRequests, RetryAfter: "1", Rate: 0.02},
		{Latency: 300 * time.Millisecond, Rate: 0.03},
		{Drop: true, Rate: 0.005},
		{Truncate: true, Method: http.MethodGet, Rate: 0.005},
		{Malformed: true, Method: http.MethodGet, Rate: 0.005},
	} {
		emu.AddFault(f)
	}
	dir := t.TempDir()
	writeFile(t, dir+"/policy.yaml", policyYAML(testKeys))
	// other_ws's credential is one Mode does not know: Mode answers its requests 401.
	writeFile(t, dir+"/mode.yaml", "workspaces:\n"+
		"  "+demoWS+": {token: "+userAToken+", secret: "+userASecret+"}\n"+
		"  "+otherWS+": {token: "+userBToken+", secret: "+userBSecret+"}\n")
	env := map[string]string{
		"MODE_BASE_URL": mode.URL, "MODE_CREDENTIALS_FILE": dir + "/mode.yaml",
		"POLICY_FILE": dir + "/policy.yaml", "LOG_LEVEL": "error", "REDIS_URL": rs.URL,
		"MODE_RATE_LIMIT": "200", "MODE_RATE_BURST": "50", "MODE_CONCURRENCY": "16",
		"MODE_BREAKER_FAILURES": "8", "MODE_BREAKER_OPEN": "500ms",
		"CALLER_RATE_LIMIT": "300", "CALLER_STREAMS": "8", "CACHE_BYTES": "32MiB",
	}
	replicas := []*testServer{startServer(t, nil, env, hooks{}), startServer(t, nil, env, hooks{})}

	state := &soakState{demo: emu.Demo()}
	builders := map[string]map[string]func(string) proto.Message{
		demoWS: soakRequests(state, demoWS), otherWS: soakRequests(state, otherWS),
	}
	methods := contracttest.Methods(t)
	for _, m := range methods {
		if builders[demoWS][string(m.Name())] == nil {
			t.Fatalf("the soak has no request for %s: add one", m.Name())
		}
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var clients []map[protoreflect.FullName]any
	for _, ts := range replicas {
		clients = append(clients, apiClients(hc, ts.base), apiClients(hc, ts.base, connect.WithGRPC()))
	}
	anyClient := func() map[protoreflect.FullName]any { return clients[rand.IntN(len(clients))] }
	const wrongKey = "mp_wrong_key_for_the_soak_0000"

	var counts, outsider, slow, redisEvents lockedCounter
	writes := &writeLog{sent: map[string]int{}, answers: map[string]map[string]int{}, errs: map[string]map[string]int{}}
	var unauthenticated lockedCounter // valid callers told Unauthenticated, by method
	var samplesMu sync.Mutex
	samples := map[string]string{} // method and code → the first such error, for the codes worth a look
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	const workers, slowReaders = 12, 3
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				m := methods[rand.IntN(len(methods))]
				caller, ws := "admin", demoWS
				switch r := rand.IntN(100); {
				case r < 3:
					caller = "wrong"
				case r < 8:
					caller, ws = "outsider", otherWS
				case r < 25:
					caller = []string{"carol", "reader"}[rand.IntN(2)]
				}
				key := testKeys[caller]
				if caller == "wrong" {
					key = wrongKey
				}
				msg := builders[ws][string(m.Name())](caller)
				rid := ""
				if r, ok := msg.(interface{ GetRequestId() string }); ok {
					rid = r.GetRequestId()
				}
				call := func(label string) (connect.Code, error) {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					resp, err := soakCall(ctx, t, anyClient(), m, msg, bearer(key))
					cancel()
					code := "ok"
					if err != nil {
						code = connect.CodeOf(err).String()
						switch connect.CodeOf(err) {
						case connect.CodeInternal, connect.CodeUnknown, connect.CodeDataLoss, connect.CodeInvalidArgument, connect.CodeFailedPrecondition:
							samplesMu.Lock()
							if k := string(m.Name()) + " " + code; samples[k] == "" {
								samples[k] = err.Error() + " [" + errorReason(err) + "]"
							}
							samplesMu.Unlock()
						}
						if connect.CodeOf(err) == connect.CodeUnauthenticated && caller != "wrong" {
							unauthenticated.add(string(m.Name()) + " " + caller + " " + errorReason(err))
						}
					} else {
						state.learn(resp)
					}
					counts.add(string(m.Name()) + label + " " + code)
					if caller == "outsider" {
						outsider.add(code + " " + errorReason(err))
					}
					if rid != "" && caller != "outsider" {
						writes.note(rid, createdName(resp), err)
					}
					if err != nil {
						return connect.CodeOf(err), err
					}
					return 0, nil
				}
				code, err := call("")
				// A create whose outcome is unknown is retried once with the same request id,
				// at either replica: it must not create a second time.
				if rid != "" && err != nil && unknownOutcome(code) {
					_, _ = call(" (retry)")
				}
			}
		}()
	}

	// Slow readers: the big report's results, read slowly through either replica.
	for i := range slowReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := modeplatformv1connect.NewReportServiceClient(hc, replicas[i%2].base)
			report := "workspaces/" + demoWS + "/reports/" + state.demo.BigReport
			qr := ""
			for qr == "" && time.Now().Before(stop) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				name, err := bigQueryRun(ctx, rc, testKeys["admin"], report)
				cancel()
				if err != nil {
					slow.add("setup failed: " + connect.CodeOf(err).String())
					continue
				}
				qr = name
			}
			for time.Now().Before(stop) {
				slow.add(slowRead(modeplatformv1connect.NewReportServiceClient(hc, replicas[rand.IntN(2)].base), testKeys["reader"], qr))
			}
		}()
	}

	// The heap and goroutines while the soak runs.
	var series soakSeries
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for time.Now().Before(stop) {
			// The emulator logs every request it serves for other tests' assertions (up to
			// 100,000 of them, each with its headers): not the servers' memory, and unused here.
			emu.ResetRequests()
			h, g := memSnapshot()
			series.heap, series.gr = append(series.heap, h), append(series.gr, g)
			if path := os.Getenv("MODEPLATFORM_SOAK_HEAPPROFILE"); path != "" {
				writeHeapProfile(t, path) // the last sample's stays: what the heap holds late in the soak
			}
			time.Sleep(min(dur/12, 10*time.Second))
		}
	}()

	// Redis is killed and restarted a few times in the middle, here in the test's goroutine
	// (redistest fails the test from it).
	const redisRestarts = 3
	start := time.Now()
	for i := range redisRestarts {
		time.Sleep(time.Until(start.Add(dur * time.Duration(i+1) / (redisRestarts + 1))))
		rs.Kill()
		redisEvents.add("killed")
		time.Sleep(1500 * time.Millisecond)
		rs.Restart()
		redisEvents.add("restarted")
	}
	wg.Wait()
	<-sampled
	emu.ClearFaults()
	// Once Redis is back the replicas serve again: give them a moment to reconnect.
	for _, ts := range replicas {
		var s string
		var err error
		for range 50 {
			if s, err = checkHealth(t.Context(), ts.base); err == nil && s == "SERVING_STATUS_SERVING" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil || s != "SERVING_STATUS_SERVING" {
			t.Errorf("health of %s after the soak: %q %v", ts.base, s, err)
		}
	}

	// Stopping the replicas waits for their calls in flight, creates that outlived their
	// caller's deadline included: what Mode was asked is complete after it.
	for _, ts := range replicas {
		if err := ts.stop(t); err != nil {
			t.Errorf("server %s stopped with %v", ts.base, err)
		}
	}

	// No lost or doubled writes, against what Mode holds and what it was asked.
	sm.mu.Lock()
	created := maps.Clone(sm.created)
	deleted := maps.Clone(sm.deleted)
	sm.mu.Unlock()
	perID := map[int]int{} // objects Mode created for a request id → how many ids
	var doubled, lost, split []string
	for rid := range writes.sent {
		perID[len(created[rid])]++
		if n := len(created[rid]); n > 1 {
			doubled = append(doubled, fmt.Sprintf("%s: %d objects in Mode (%s)", rid, n, strings.Join(created[rid], ", ")))
		}
	}
	okAnswers, unseen := 0, 0
	for rid, names := range writes.answers {
		if len(names) > 1 {
			split = append(split, fmt.Sprintf("%s answered %v", rid, names))
		}
		for name, n := range names {
			okAnswers += n
			tok := path.Base(name)
			switch {
			case !slices.Contains(created[rid], tok):
				lost = append(lost, fmt.Sprintf("%s answered OK with %s, which Mode never created for it", rid, name))
			case !deleted[tok] && !sm.exists(name):
				lost = append(lost, fmt.Sprintf("%s answered OK with %s, which Mode does not have (and never deleted)", rid, name))
			}
		}
	}
	// Ids answered OK on one call and an error on another (a retry should get the first's
	// answer; Mode refusing a second space of the same name shows up here as invalid_argument).
	mixed := map[string]int{}
	for rid := range writes.answers {
		for code := range writes.errs[rid] {
			mixed[code]++
		}
	}
	for rid, toks := range created {
		if len(toks) > 0 && len(writes.answers[rid]) == 0 {
			unseen++ // done in Mode, but every answer its caller got was an error (kept for the window)
		}
	}
	sort.Strings(doubled)
	sort.Strings(lost)
	sort.Strings(split)

	tr.CloseIdleConnections()
	rs.Kill()
	faults := sm.faults.n
	closeOnce.Do(func() { closeMode(emu, mode) })
	// What the emulator holds (its request log, the runs and results it made) is the test's,
	// not the server's: drop it before measuring.
	emu.ResetRequests()
	emu, mode, sm, state, builders, clients, replicas = nil, nil, nil, nil, nil, nil, nil
	heap1, gr1 := memSnapshot()

	byCode := map[string]int{}
	total := 0
	var lines []string
	for k, n := range counts.n {
		total += n
		byCode[k[strings.LastIndexByte(k, ' ')+1:]] += n
		lines = append(lines, fmt.Sprintf("  %-48s %7d", k, n))
	}
	sort.Strings(lines)
	t.Logf("soak: %s, %d calls (%.0f/s) by %d callers and %d slow readers over Connect and gRPC, to 2 replicas sharing Redis",
		dur, total, float64(total)/dur.Seconds(), workers, slowReaders)
	t.Logf("calls by code: %s", tallyLine(byCode))
	t.Logf("calls by method and code:\n%s", strings.Join(lines, "\n"))
	var sampleLines []string
	for k, v := range samples {
		sampleLines = append(sampleLines, fmt.Sprintf("\n  %s: %s", k, v))
	}
	sort.Strings(sampleLines)
	t.Logf("first error of each method and code worth a look:%s", strings.Join(sampleLines, ""))
	t.Logf("faults Mode's answers showed: %s", tallyLines(faults))
	t.Logf("Redis: %s", tallyLine(redisEvents.n))
	t.Logf("slow readers: %s", tallyLines(slow.n))
	t.Logf("caller whose workspace's credential Mode refuses, by code and reason: %s", tallyLine(outsider.n))
	var ids []string
	for n, c := range perID {
		ids = append(ids, fmt.Sprintf("%d object(s): %d ids", n, c))
	}
	sort.Strings(ids)
	t.Logf("creates: %d request ids sent %d times; %d answers OK; objects Mode created per request id: %s; %d ids created in Mode whose callers only got errors; ids answered OK and also an error, by code: %s",
		len(writes.sent), sumCounts(writes.sent), okAnswers, strings.Join(ids, ", "), unseen, tallyLine(mixed))
	var hs []string
	for i := range series.heap {
		hs = append(hs, fmt.Sprintf("%.1f/%d", series.heap[i], series.gr[i]))
	}
	t.Logf("during the soak, heap MiB/goroutines: %s", strings.Join(hs, " "))
	// The end's heap includes what the process keeps once built: protovalidate's compiled rules,
	// the protobuf registries, regexps.
	t.Logf("heap: %.1f MiB at start, %.1f MiB at end (servers, Redis and emulator stopped); goroutines: %d at start, %d at end", heap0, heap1, gr0, gr1)

	if len(doubled) > 0 {
		t.Errorf("doubled writes: %d request ids created more than one object in Mode:\n  %s", len(doubled), firstLines(doubled))
	}
	if len(lost) > 0 {
		t.Errorf("lost writes: %d:\n  %s", len(lost), firstLines(lost))
	}
	if len(split) > 0 {
		t.Errorf("%d request ids answered OK with different objects:\n  %s", len(split), firstLines(split))
	}
	if len(unauthenticated.n) > 0 {
		t.Errorf("valid callers were told Unauthenticated (that tells them to re-authenticate): %s", tallyLine(unauthenticated.n))
	}
	if outsider.n["ok "] > 0 {
		t.Errorf("%d calls in the workspace whose credential Mode refuses succeeded", outsider.n["ok "])
	}
	// Mode refusing the server's credential is the server's problem: Unavailable, with a reason
	// that says so (Mode's 503s and cut bodies also reach this caller, with their own).
	if outsider.n["unavailable "+reasonCredentialRejected] == 0 {
		t.Errorf("no call in the workspace whose credential Mode refuses was answered Unavailable with reason %s: %s", reasonCredentialRejected, tallyLine(outsider.n))
	}
	// The faults happened: the soak tested what it says.
	for _, f := range []string{"truncated body (result download)", "401: credential refused", "create done, answer lost: 502 from a proxy", "create done, answer lost: connection cut"} {
		if faults[f] == 0 {
			t.Errorf("the fault %q never happened", f)
		}
	}
	for _, k := range []string{"read slowly to the end", "stopped reading and cancelled"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(slow.n)), func(s string) bool { return strings.HasSuffix(s, k) }) {
			t.Errorf("no slow reader %s", k)
		}
	}
	if okAnswers == 0 {
		t.Error("no create succeeded")
	}
	for k, n := range slow.n {
		// Mode's malformed result (the fault "malformed body (result download)") is Internal,
		// UPSTREAM_BAD_RESPONSE, as for any call; any other Internal or Unknown is the
		// server's own failure.
		if (strings.Contains(k, " internal") && !strings.HasSuffix(k, " internal UPSTREAM_BAD_RESPONSE")) || strings.Contains(k, " unknown") {
			t.Errorf("slow readers: %d × %q", n, k)
		}
	}
	if byCode["internal"]+byCode["unknown"] > total/20 {
		t.Errorf("more than 5%% of calls failed on the server's side")
	}
	if byCode["ok"] == 0 {
		t.Error("no call succeeded")
	}
	if redisEvents.n["restarted"] != redisRestarts {
		t.Errorf("Redis restarted %d times, want %d", redisEvents.n["restarted"], redisRestarts)
	}
	// Flat: what the servers held is gone once they stopped (the cache alone may hold 2 × 32 MiB
	// while they run), and the goroutines are back.
	if heap1 > heap0+16 {
		t.Errorf("heap: %.1f MiB at start, %.1f MiB after everything stopped", heap0, heap1)
	}
	if gr1 > gr0+10 {
		t.Errorf("goroutines: %d at start, %d after everything stopped", gr0, gr1)
	}
	// And flat while running: the last third of the samples against the first third's peak.
	if n := len(series.heap); n >= 6 {
		peakHeap, peakGr := slices.Max(series.heap[:n/3]), slices.Max(series.gr[:n/3])
		if h := slices.Max(series.heap[n-n/3:]); h > 2*peakHeap+32 {
			t.Errorf("heap grew during the soak: %.1f MiB at the end against %.1f MiB early", h, peakHeap)
		}
		if g := slices.Max(series.gr[n-n/3:]); g > 2*peakGr+100 {
			t.Errorf("goroutines grew during the soak: %d at the end against %d early", g, peakGr)
		}
	}
}

// tallyLine is "k=n k=n" sorted by key.
func tallyLine(m map[string]int) string {
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("%s=%d", strings.TrimSpace(k), n))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// tallyLines is one "  k: n" line per key, sorted.
func tallyLines(m map[string]int) string {
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("\n  %-60s %7d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, "")
}

// firstLines joins the first ten lines, saying how many more there are.
func firstLines(lines []string) string {
	if len(lines) <= 10 {
		return strings.Join(lines, "\n  ")
	}
	return strings.Join(lines[:10], "\n  ") + fmt.Sprintf("\n  … and %d more", len(lines)-10)
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// soakCall is callMethod returning the unary response's message too.
func soakCall(ctx context.Context, t testing.TB, clients map[protoreflect.FullName]any, m protoreflect.MethodDescriptor, msg proto.Message, header http.Header) (any, error) {
	if m.IsStreamingServer() {
		return nil, callMethod(ctx, t, clients, m, msg, header)
	}
	var resp any
	err := callMethodResp(ctx, t, clients, m, msg, header, &resp)
	return resp, err
}
