package modeplatform_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/clients/go/modeplatform"
	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

const (
	workspace  = "workspaces/parch_and_posey"
	largeOrder = workspace + "/reports/dc63649ea16c" // "Large Orders by Region", parameter region
)

// callCtx is a context for one call (or one stream): each gets its own generous deadline, so a
// loaded machine slows the test down without failing it.
func callCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// protocols are the ways New can reach the server.
var protocols = []struct {
	name string
	opts []modeplatform.Option
}{
	{name: "connect", opts: nil},
	{name: "grpc", opts: []modeplatform.Option{modeplatform.WithGRPC()}},
	{name: "connect-json", opts: []modeplatform.Option{modeplatform.WithClientOptions(connect.WithProtoJSON())}},
}

func newClient(t *testing.T, opts ...modeplatform.Option) *modeplatform.Client {
	t.Helper()
	c, err := modeplatform.New("http://"+serverAddr, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		opts    []modeplatform.Option
		want    string // in the error
	}{
		{name: "no scheme", baseURL: "example.com", want: "must start with http:// or https://"},
		{name: "host and port, no scheme", baseURL: "127.0.0.1:8080", want: `the base URL "127.0.0.1:8080"`},
		{name: "other scheme", baseURL: "ftp://example.com", want: "must start with http:// or https://"},
		{name: "no host", baseURL: "http://", want: "must name a host"},
		{name: "query", baseURL: "http://example.com?x=1", want: "must name a host, and no user, query"},
		{name: "user", baseURL: "https://me@example.com", want: "must name a host, and no user"},
		{name: "bad URL", baseURL: "http://exa mple.com", want: "the base URL"},
		{name: "empty key", baseURL: "http://example.com", opts: []modeplatform.Option{modeplatform.WithKey("")}, want: "the key is empty"},
		{name: "key with a newline", baseURL: "http://example.com", opts: []modeplatform.Option{modeplatform.WithKey("mp_secret\nX-Evil: 1")}, want: "control"},
		{name: "nil HTTP client", baseURL: "http://example.com", opts: []modeplatform.Option{modeplatform.WithHTTPClient(nil)}, want: "the client is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := modeplatform.New(tt.baseURL, tt.opts...)
			if err == nil {
				t.Fatalf("New(%q) = %v, want an error", tt.baseURL, c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%q): %v, want it to say %q", tt.baseURL, err, tt.want)
			}
			if strings.Contains(err.Error(), "mp_secret") {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

// TestKey: the key reaches the server's caller policy on unary calls and streams, over every
// protocol; no key and a wrong key are refused, a scope the caller lacks too.
func TestKey(t *testing.T) {
	tests := []struct {
		name      string
		key       string // "" for none
		call      string // "get" (unary, read), "watch" (stream, read) or "run" (unary, run)
		wantCode  connect.Code
		wantError bool
	}{
		{name: "reader reads", key: readerKey, call: "get"},
		{name: "reader streams", key: readerKey, call: "watch", wantError: true, wantCode: connect.CodeNotFound},
		{name: "no key", call: "get", wantError: true, wantCode: connect.CodeUnauthenticated},
		{name: "no key on a stream", call: "watch", wantError: true, wantCode: connect.CodeUnauthenticated},
		{name: "wrong key", key: "mp_not_a_key", call: "get", wantError: true, wantCode: connect.CodeUnauthenticated},
		{name: "reader may not run", key: readerKey, call: "run", wantError: true, wantCode: connect.CodePermissionDenied},
	}
	for _, p := range protocols {
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				opts := slices.Clone(p.opts)
				if tt.key != "" {
					opts = append(opts, modeplatform.WithKey(tt.key))
				}
				c := newClient(t, opts...)
				var err error
				switch tt.call {
				case "get":
					var res *connect.Response[modeplatformv1.GetWorkspaceResponse]
					res, err = c.Workspaces.GetWorkspace(callCtx(t), connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: workspace}))
					if err == nil && res.Msg.GetWorkspace().GetDisplayName() != "Parch & Posey" {
						t.Errorf("GetWorkspace = %v, want Parch & Posey", res.Msg.GetWorkspace())
					}
				case "watch":
					// A run that does not exist: the policy admits the caller, then the service
					// answers NotFound; without a key the policy refuses first.
					_, err = c.WaitRun(callCtx(t), largeOrder+"/runs/000000000000")
				case "run":
					_, err = c.Reports.RunReport(callCtx(t), connect.NewRequest(&modeplatformv1.RunReportRequest{Name: largeOrder}))
				}
				if !tt.wantError {
					if err != nil {
						t.Fatalf("%s: %v", tt.call, err)
					}
					return
				}
				if got := connect.CodeOf(err); got != tt.wantCode {
					t.Fatalf("%s: %v (code %v), want code %v", tt.call, err, got, tt.wantCode)
				}
			})
		}
	}
}

// TestRunToRows runs "Large Orders by Region" for region West once per protocol, follows it to
// its end and reads its result through Rows, checked against the JSON export of the same result.
func TestRunToRows(t *testing.T) {
	for _, p := range protocols[:2] { // each run spends the emulator's Mode rate limit
		t.Run(p.name, func(t *testing.T) {
			c := newClient(t, append(slices.Clone(p.opts), modeplatform.WithKey(runnerKey))...)
			started, err := c.Reports.RunReport(callCtx(t), connect.NewRequest(&modeplatformv1.RunReportRequest{
				Name: largeOrder, Parameters: map[string]string{"region": "West"},
			}))
			if err != nil {
				t.Fatalf("RunReport: %v", err)
			}
			name := started.Msg.GetRun().GetName()

			var states []modeplatformv1.ReportRun_State
			for run, err := range c.FollowRun(callCtx(t), name) {
				if err != nil {
					t.Fatalf("FollowRun: %v", err)
				}
				if run.GetName() != name {
					t.Errorf("FollowRun yielded %s, want %s", run.GetName(), name)
				}
				states = append(states, run.GetState())
			}
			if len(states) == 0 || states[len(states)-1] != modeplatformv1.ReportRun_STATE_SUCCEEDED {
				t.Fatalf("FollowRun states %v, want them to end in STATE_SUCCEEDED", states)
			}
			for i := 1; i < len(states); i++ {
				if states[i] == states[i-1] || modeplatform.Terminal(states[i-1]) {
					t.Errorf("FollowRun states %v: a state repeated, or one after a terminal state", states)
				}
			}
			// WaitRun on a finished run answers at once, with the terminal state.
			done, err := c.WaitRun(callCtx(t), name)
			if err != nil || done.GetState() != modeplatformv1.ReportRun_STATE_SUCCEEDED || done.GetParameters()["region"] != "West" {
				t.Fatalf("WaitRun = %v, %v; want the succeeded run with region West", done, err)
			}

			queryRuns, err := c.QueryRuns(callCtx(t), name)
			if err != nil || len(queryRuns) != 1 {
				t.Fatalf("QueryRuns = %v, %v; want one query run", queryRuns, err)
			}
			qr := queryRuns[0].GetName()

			var rows []modeplatform.Row
			for row, err := range c.Rows(callCtx(t), qr, modeplatform.BatchSize(4)) {
				if err != nil {
					t.Fatalf("Rows: %v", err)
				}
				rows = append(rows, row)
			}
			want := exportJSON(t, c, qr)
			if len(rows) != len(want) || len(rows) < 5 {
				t.Fatalf("Rows gave %d rows, the JSON export %d; want the same, at least 5", len(rows), len(want))
			}
			var columns []string
			for _, col := range rows[0].Columns {
				columns = append(columns, col.GetName())
			}
			if wantCols := []string{"order_id", "account", "region", "occurred_at", "total", "total_amt_usd"}; !slices.Equal(columns, wantCols) {
				t.Errorf("columns %v, want %v", columns, wantCols)
			}
			if typ := rows[0].Columns[5].GetType(); typ != modeplatformv1.Column_TYPE_NUMBER {
				t.Errorf("total_amt_usd is %v, want TYPE_NUMBER", typ)
			}
			for i, row := range rows {
				if row.Offset != int64(i) {
					t.Errorf("row %d has offset %d", i, row.Offset)
				}
				m := row.Map()
				for col, v := range want[i] {
					if m[col] != v {
						t.Errorf("row %d: %s = %#v, the JSON export has %#v", i, col, m[col], v)
					}
				}
				if region, ok := row.Get("region"); !ok || region != "West" {
					t.Errorf("row %d: region %v, %v; want West", i, region, ok)
				}
				if _, ok := row.Get("no_such_column"); ok {
					t.Errorf("row %d: Get of a missing column succeeded", i)
				}
				if i > 0 && row.Values[5].(float64) > rows[i-1].Values[5].(float64) {
					t.Errorf("row %d: total_amt_usd rises: the report orders by it descending", i)
				}
			}

			// From a row on, and stopping early: the same rows, and the stream ends.
			var got []int64
			for row, err := range c.Rows(callCtx(t), qr, modeplatform.FromRow(3), modeplatform.BatchSize(2)) {
				if err != nil {
					t.Fatalf("Rows from 3: %v", err)
				}
				if !slices.Equal(row.Values, rows[row.Offset].Values) {
					t.Errorf("Rows from 3: row %d = %v, want %v", row.Offset, row.Values, rows[row.Offset].Values)
				}
				if got = append(got, row.Offset); len(got) == 3 {
					break
				}
			}
			if !slices.Equal(got, []int64{3, 4, 5}) {
				t.Errorf("Rows from 3, three of them: offsets %v", got)
			}
		})
	}
}

// exportJSON is a query run's result through ExportQueryResults as JSON: Mode's array of objects.
func exportJSON(t *testing.T, c *modeplatform.Client, queryRun string) []map[string]any {
	t.Helper()
	stream, err := c.Reports.ExportQueryResults(callCtx(t), connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{
		Name: queryRun, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON,
	}))
	if err != nil {
		t.Fatalf("ExportQueryResults: %v", err)
	}
	var data []byte
	for stream.Receive() {
		data = append(data, stream.Msg().GetData()...)
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("ExportQueryResults: %v", err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatalf("the JSON export: %v", err)
	}
	return rows
}

// TestErrors: the helpers pass the server's errors on, wrapped with what they were doing.
func TestErrors(t *testing.T) {
	c := newClient(t, modeplatform.WithKey(readerKey))
	tests := []struct {
		name string
		call func(ctx context.Context) error
		code connect.Code
		say  string
	}{
		{
			name: "WaitRun of a bad name",
			call: func(ctx context.Context) error { _, err := c.WaitRun(ctx, "runs/x"); return err },
			code: connect.CodeInvalidArgument, say: "watch runs/x",
		},
		{
			name: "WaitRun of an unknown run",
			call: func(ctx context.Context) error { _, err := c.WaitRun(ctx, largeOrder+"/runs/000000000000"); return err },
			code: connect.CodeNotFound, say: "watch " + largeOrder,
		},
		{
			name: "QueryRuns of an unknown run",
			call: func(ctx context.Context) error {
				_, err := c.QueryRuns(ctx, largeOrder+"/runs/000000000000")
				return err
			},
			code: connect.CodeNotFound, say: "list the query runs",
		},
		{
			name: "Rows of an unknown query run",
			call: func(ctx context.Context) error {
				for _, err := range c.Rows(ctx, largeOrder+"/runs/000000000000/queryRuns/000000000000") {
					if err != nil {
						return err
					}
				}
				return nil
			},
			code: connect.CodeNotFound, say: "stream the result of",
		},
		{
			name: "Rows from a negative row",
			call: func(ctx context.Context) error {
				for _, err := range c.Rows(ctx, largeOrder+"/runs/000000000000/queryRuns/000000000000", modeplatform.FromRow(-1)) {
					if err != nil {
						return err
					}
				}
				return nil
			},
			code: connect.CodeInvalidArgument, say: "stream the result of",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(callCtx(t))
			if connect.CodeOf(err) != tt.code {
				t.Fatalf("%v (code %v), want code %v", err, connect.CodeOf(err), tt.code)
			}
			if !strings.Contains(err.Error(), tt.say) {
				t.Errorf("%v, want it to say %q", err, tt.say)
			}
		})
	}

	// A context that ends stops a watch with the context's error.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.WaitRun(ctx, largeOrder+"/runs/000000000000"); !errors.Is(err, context.Canceled) && connect.CodeOf(err) != connect.CodeCanceled {
		t.Errorf("WaitRun with a cancelled context: %v, want Canceled", err)
	}
}

// TestHTTPClient: WithHTTPClient's client makes the calls.
func TestHTTPClient(t *testing.T) {
	var calls int
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newClient(t, modeplatform.WithHTTPClient(hc), modeplatform.WithKey(readerKey))
	if _, err := c.Workspaces.GetWorkspace(callCtx(t), connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: workspace})); err != nil {
		t.Fatalf("GetWorkspace: %v", err)
	}
	if calls != 1 {
		t.Errorf("the given HTTP client made %d requests, want 1", calls)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestVersion: the client packages' version is one, clients/VERSION, and its major number is the
// contract's (proto package modeplatform.vN); Version, the npm package and the Python package say
// the same.
func TestVersion(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	version := strings.TrimSpace(read("clients/VERSION"))
	if !regexp.MustCompile(`^[1-9][0-9]*\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`).MatchString(version) {
		t.Fatalf("clients/VERSION is %q, want MAJOR.MINOR.PATCH", version)
	}
	major := strings.SplitN(version, ".", 2)[0]

	protos, err := filepath.Glob(filepath.Join(root, "proto", "modeplatform", "*", "*.proto"))
	if err != nil || len(protos) == 0 {
		t.Fatalf("no proto files: %v", err)
	}
	pkgRE := regexp.MustCompile(`(?m)^package (modeplatform\.v([0-9]+));`)
	for _, f := range protos {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := pkgRE.FindStringSubmatch(string(b))
		if m == nil {
			t.Errorf("%s: no package modeplatform.vN", f)
			continue
		}
		if m[1] != modeplatform.ContractPackage || m[2] != major {
			t.Errorf("%s is package %s; clients/VERSION %s and ContractPackage %s want modeplatform.v%s", f, m[1], version, modeplatform.ContractPackage, major)
		}
	}

	if modeplatform.Version != version {
		t.Errorf("modeplatform.Version = %q, clients/VERSION %q", modeplatform.Version, version)
	}
	var pkg struct {
		Name             string            `json:"name"`
		Version          string            `json:"version"`
		Dependencies     map[string]string `json:"dependencies"`
		PeerDependencies map[string]string `json:"peerDependencies"`
	}
	if err := json.Unmarshal([]byte(read("clients/node/package.json")), &pkg); err != nil {
		t.Fatal(err)
	}
	if pkg.Name != "@modeplatform/client" || pkg.Version != version {
		t.Errorf("clients/node/package.json is %s@%s, want @modeplatform/client@%s", pkg.Name, pkg.Version, version)
	}
	// The npm package depends on the versions the repository generates and tests with, as the
	// lowest it accepts within their major version: a library pinning exact versions makes npm
	// install a second @bufbuild/protobuf beside the one @connectrpc/connect-node brings, whose
	// descriptor types do not match.
	var repo struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal([]byte(read("package.json")), &repo); err != nil {
		t.Fatal(err)
	}
	for _, deps := range []map[string]string{pkg.Dependencies, pkg.PeerDependencies} {
		for dep, v := range deps {
			want := "^" + repo.DevDependencies[dep]
			if dep == "@connectrpc/connect-web" { // not a dependency of the repository: connect's version
				want = "^" + repo.DevDependencies["@connectrpc/connect"]
			}
			if v != want {
				t.Errorf("clients/node/package.json: %s %s, want %s (the repository's package.json pins %s)", dep, v, want, strings.TrimPrefix(want, "^"))
			}
		}
	}
	if len(pkg.Dependencies) != 2 || len(pkg.PeerDependencies) != 2 {
		t.Errorf("clients/node/package.json: dependencies %v, peer dependencies %v; want @bufbuild/protobuf and @connectrpc/connect, connect-node and connect-web", pkg.Dependencies, pkg.PeerDependencies)
	}
	// The Python package reads clients/VERSION when it is built (setup.py); its pyproject.toml
	// says so instead of holding a second copy.
	if py := read("clients/python/pyproject.toml"); !strings.Contains(py, `dynamic = ["version"]`) || regexp.MustCompile(`(?m)^version\s*=`).MatchString(py) {
		t.Errorf("clients/python/pyproject.toml must take its version from clients/VERSION (dynamic), not hold one")
	}
}
