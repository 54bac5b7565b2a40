package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/contracttest"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	v1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// soakState is what the soak's callers learned: names of runs and query runs to read.
type soakState struct {
	mu        sync.Mutex
	demo      modetest.Demo
	runs      []string
	queryRuns []string
	spaces    []string // created by the soak
	queries   []string // created by the soak
	n         int
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

func (s *soakState) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.n
}

// soakRequests builds a request for every method of the contract from what the soak knows.
func soakRequests(s *soakState) map[string]func() proto.Message {
	w := "workspaces/" + demoWS
	report := func() string { return w + "/reports/" + s.demo.Reports[rand.IntN(3)] }
	space := func() string { return w + "/spaces/" + s.demo.Spaces[rand.IntN(2)] }
	run := func() string {
		if r := s.pick(s.runs); r != "" {
			return r
		}
		return report() + "/runs/000000000000"
	}
	queryRun := func() string {
		if r := s.pick(s.queryRuns); r != "" {
			return r
		}
		return run() + "/queryRuns/000000000000"
	}
	ownSpace := func() string {
		if sp := s.pick(s.spaces); sp != "" {
			return sp
		}
		return w + "/spaces/000000000000"
	}
	ownQuery := func() string {
		if q := s.pick(s.queries); q != "" {
			return q
		}
		return report() + "/queries/000000000000"
	}
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	return map[string]func() proto.Message{
		"GetWorkspace":    func() proto.Message { return &v1.GetWorkspaceRequest{Name: w} },
		"ListMemberships": func() proto.Message { return &v1.ListMembershipsRequest{Parent: w} },
		"ListGroups":      func() proto.Message { return &v1.ListGroupsRequest{Parent: w} },
		"ListSpaces":      func() proto.Message { return &v1.ListSpacesRequest{Parent: w, PageSize: int32(1 + rand.IntN(5))} },
		"GetSpace":        func() proto.Message { return &v1.GetSpaceRequest{Name: space()} },
		"CreateSpace": func() proto.Message {
			return &v1.CreateSpaceRequest{Parent: w, Space: &v1.Space{DisplayName: "soak " + strconv.Itoa(s.next())}, RequestId: "soak-" + strconv.Itoa(rand.IntN(1000))}
		},
		"UpdateSpace": func() proto.Message {
			return &v1.UpdateSpaceRequest{Space: &v1.Space{Name: ownSpace(), Description: "soaked"}, UpdateMask: mask("description")}
		},
		"DeleteSpace": func() proto.Message { return &v1.DeleteSpaceRequest{Name: ownSpace()} },
		"GetReport":   func() proto.Message { return &v1.GetReportRequest{Name: report()} },
		"ListReports": func() proto.Message { return &v1.ListReportsRequest{Parent: space()} },
		"UpdateReport": func() proto.Message {
			return &v1.UpdateReportRequest{Report: &v1.Report{Name: report(), Description: "soaked"}, UpdateMask: mask("description")}
		},
		// Deleting the demo's reports would starve the soak: a report that does not exist.
		"DeleteReport":    func() proto.Message { return &v1.DeleteReportRequest{Name: w + "/reports/000000000000"} },
		"ArchiveReport":   func() proto.Message { return &v1.ArchiveReportRequest{Name: report()} },
		"UnarchiveReport": func() proto.Message { return &v1.UnarchiveReportRequest{Name: report()} },
		"RunReport": func() proto.Message {
			return &v1.RunReportRequest{Name: report(), RequestId: "soak-run-" + strconv.Itoa(rand.IntN(10_000))}
		},
		"CloneReportRun":     func() proto.Message { return &v1.CloneReportRunRequest{Name: run()} },
		"GetReportRun":       func() proto.Message { return &v1.GetReportRunRequest{Name: run()} },
		"ListReportRuns":     func() proto.Message { return &v1.ListReportRunsRequest{Parent: report(), PageSize: 5} },
		"WatchReportRun":     func() proto.Message { return &v1.WatchReportRunRequest{Name: run()} },
		"ListQueryRuns":      func() proto.Message { return &v1.ListQueryRunsRequest{Parent: run()} },
		"GetQueryRun":        func() proto.Message { return &v1.GetQueryRunRequest{Name: queryRun()} },
		"StreamQueryResults": func() proto.Message { return &v1.StreamQueryResultsRequest{Name: queryRun()} },
		"ExportQueryResults": func() proto.Message {
			return &v1.ExportQueryResultsRequest{Name: queryRun(), Format: v1.ExportQueryResultsRequest_FORMAT_CSV}
		},
		"ListQueries": func() proto.Message { return &v1.ListQueriesRequest{Parent: report()} },
		"GetQuery":    func() proto.Message { return &v1.GetQueryRequest{Name: ownQuery()} },
		"CreateQuery": func() proto.Message {
			return &v1.CreateQueryRequest{Parent: report(), Query: &v1.Query{
				DisplayName: "soak", Sql: "SELECT 1", DataSource: w + "/dataSources/" + s.demo.DataSource}}
		},
		"UpdateQuery": func() proto.Message {
			return &v1.UpdateQueryRequest{Query: &v1.Query{Name: ownQuery(), DisplayName: "soaked"}, UpdateMask: mask("display_name")}
		},
		"DeleteQuery":     func() proto.Message { return &v1.DeleteQueryRequest{Name: ownQuery()} },
		"ListDataSources": func() proto.Message { return &v1.ListDataSourcesRequest{Parent: w} },
		"GetDataSource":   func() proto.Message { return &v1.GetDataSourceRequest{Name: w + "/dataSources/" + s.demo.DataSource} },
	}
}

// learn keeps the names a response carries for later calls.
func (s *soakState) learn(method string, resp any) {
	switch r := resp.(type) {
	case *v1.RunReportResponse:
		s.remember(&s.runs, r.GetRun().GetName())
	case *v1.CloneReportRunResponse:
		s.remember(&s.runs, r.GetRun().GetName())
	case *v1.ListQueryRunsResponse:
		for _, q := range r.GetQueryRuns() {
			s.remember(&s.queryRuns, q.GetName())
		}
	case *v1.CreateSpaceResponse:
		s.remember(&s.spaces, r.GetSpace().GetName())
	case *v1.CreateQueryResponse:
		s.remember(&s.queries, r.GetQuery().GetName())
	}
}

// memSnapshot is the heap and goroutines at one moment, after a GC.
func memSnapshot() (heapMiB float64, goroutines int) {
	runtime.GC()
	runtime.GC() // the second empties the sync.Pools the first moved to their victim caches
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20), runtime.NumGoroutine()
}

// TestSoak runs every method of the contract for MODEPLATFORM_SOAK (a duration, e.g. 2m) from
// several callers at once against the server and the emulator on loopback, with faults
// injected (503s, 429s, latency, dropped connections, cut and malformed bodies), and reports
// the calls by method and code, and the heap and goroutines at the start and the end. It is
// not part of the normal test run:
//
//	MODEPLATFORM_SOAK=2m go test ./cmd/modeplatform -run TestSoak -v -timeout 10m
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

	emu, mode := startMode(t, modetest.WithRunDuration(100*time.Millisecond))
	var closeOnce sync.Once
	defer closeOnce.Do(func() { closeMode(emu, mode) })
	for _, f := range []modetest.Fault{
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
	ts := startServer(t, nil, map[string]string{
		"MODE_BASE_URL": mode.URL, "MODE_API_TOKEN": userAToken, "MODE_API_SECRET": userASecret,
		"POLICY_FILE": dir + "/policy.yaml", "LOG_LEVEL": "error",
		"MODE_RATE_LIMIT": "200", "MODE_RATE_BURST": "50", "MODE_CONCURRENCY": "16",
		"MODE_BREAKER_FAILURES": "8", "MODE_BREAKER_OPEN": "500ms",
		"CALLER_RATE_LIMIT": "300", "CALLER_STREAMS": "8",
	}, hooks{})

	state := &soakState{demo: emu.Demo()}
	builders := soakRequests(state)
	methods := contracttest.Methods(t)
	for _, m := range methods {
		if builders[string(m.Name())] == nil {
			t.Fatalf("the soak has no request for %s: add one", m.Name())
		}
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	clients := []map[protoreflect.FullName]any{
		apiClients(hc, ts.base),
		apiClients(hc, ts.base, connect.WithGRPC()),
	}
	keys := []string{testKeys["admin"], testKeys["carol"], testKeys["reader"], "mp_wrong_key_for_the_soak_0000"}

	var counts lockedCounter
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	const workers = 12
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				m := methods[rand.IntN(len(methods))]
				key := keys[0]
				if r := rand.IntN(100); r < 3 {
					key = keys[3]
				} else if r < 20 {
					key = keys[1+rand.IntN(2)]
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				resp, err := soakCall(ctx, t, clients[i%2], m, builders[string(m.Name())](), bearer(key))
				cancel()
				code := "ok"
				if err != nil {
					code = connect.CodeOf(err).String()
				} else {
					state.learn(string(m.Name()), resp)
				}
				counts.add(string(m.Name()) + " " + code)
			}
		}()
	}
	wg.Wait()
	emu.ClearFaults()
	if s, err := checkHealth(t.Context(), ts.base); err != nil || s != "SERVING_STATUS_SERVING" {
		t.Errorf("health after the soak: %q %v", s, err)
	}
	tr.CloseIdleConnections()
	if err := ts.stop(t); err != nil {
		t.Errorf("server stopped with %v", err)
	}
	closeOnce.Do(func() { closeMode(emu, mode) })
	// What the emulator holds (its request log, the runs and results it made) is the test's,
	// not the server's: drop it before measuring.
	emu.ResetRequests()
	emu, mode, state, builders, clients = nil, nil, nil, nil, nil
	heap1, gr1 := memSnapshot()

	byCode := map[string]int{}
	total := 0
	var lines []string
	for k, n := range counts.n {
		total += n
		_, code, _ := strings.Cut(k, " ")
		byCode[code] += n
		lines = append(lines, fmt.Sprintf("  %-40s %7d", k, n))
	}
	sort.Strings(lines)
	var codes []string
	for c, n := range byCode {
		codes = append(codes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(codes)
	t.Logf("soak: %s, %d calls (%.0f/s) by %d callers over Connect and gRPC", dur, total, float64(total)/dur.Seconds(), workers)
	t.Logf("calls by code: %s", strings.Join(codes, " "))
	// The end's heap includes what the process keeps once built: protovalidate's compiled rules,
	// the protobuf registries, regexps.
	t.Logf("heap: %.1f MiB at start, %.1f MiB at end (server and emulator stopped); goroutines: %d at start, %d at end", heap0, heap1, gr0, gr1)
	t.Logf("calls by method and code:\n%s", strings.Join(lines, "\n"))
	if byCode["internal"]+byCode["unknown"] > total/20 {
		t.Errorf("more than 5%% of calls failed on the server's side")
	}
	if byCode["ok"] == 0 {
		t.Error("no call succeeded")
	}
	if gr1 > gr0+10 {
		t.Errorf("goroutines: %d at start, %d after the server stopped", gr0, gr1)
	}
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
