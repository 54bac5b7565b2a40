package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// qtResultFixture is a finished query run and what Mode itself answers
// for its result. Every read of a result executes its SQL again in the
// emulator (slow under the race detector): tests read as few as they can.
type qtResultFixture struct {
	name string   // the query run's resource name
	cols []string // the CSV header
	rows [][]string
	csv  []byte // Mode's CSV, as the Mode client reads it
	json []byte // Mode's JSON, when asked for
}

// qtParamResults runs the param report for region West.
func qtParamResults(t testing.TB, e *env, withJSON bool) qtResultFixture {
	t.Helper()
	run := qtFinishedRun(t, e, e.demo.ParamReport, map[string]any{"region": "West"})
	return qtReadResults(t, e, e.demo.ParamReport, run, withJSON)
}

// qtCheapSQL has the param report's kinds of columns but costs the emulator
// far less to execute.
const qtCheapSQL = `SELECT o.id AS order_id, a.name AS account, o.occurred_at, o.total, o.total_amt_usd
FROM orders o JOIN accounts a ON a.id = o.account_id
WHERE o.id <= 150
ORDER BY o.id`

// qtReportOfSQL makes the first demo report hold one query, named name, of
// sql alone, and returns the report's token.
func qtReportOfSQL(t testing.TB, e *env, name, sql string) string {
	t.Helper()
	ctx := testContext(t)
	ws, report := e.demo.Workspace, e.demo.Reports[0]
	var tokens []string
	for q, err := range e.client.ListQueries(ctx, ws, report, nil) {
		if err != nil {
			t.Fatalf("ListQueries: %v", err)
		}
		tokens = append(tokens, q.Token)
	}
	for _, q := range tokens {
		if err := e.client.DeleteQuery(ctx, ws, report, q); err != nil {
			t.Fatalf("DeleteQuery: %v", err)
		}
	}
	ds, err := e.client.GetDataSource(ctx, ws, e.demo.DataSource)
	if err != nil {
		t.Fatalf("GetDataSource: %v", err)
	}
	if _, err := e.client.CreateQuery(ctx, ws, report, modeclient.QueryCreate{RawQuery: sql, DataSourceID: int64(ds.ID), Name: name}); err != nil {
		t.Fatalf("CreateQuery: %v", err)
	}
	return report
}

// qtCheapResults makes the first demo report hold qtCheapSQL alone and
// runs it, for the tests that read a result many times.
func qtCheapResults(t testing.TB, e *env, withJSON bool) qtResultFixture {
	t.Helper()
	report := qtReportOfSQL(t, e, "Cheap", qtCheapSQL)
	return qtReadResults(t, e, report, qtFinishedRun(t, e, report, nil), withJSON)
}

// qtReadResults reads the result of the first query run of a finished run
// through the Mode client.
func qtReadResults(t testing.TB, e *env, report, run string, withJSON bool) qtResultFixture {
	t.Helper()
	ctx := testContext(t)
	qr := qtQueryRuns(t, e, report, run)[0]
	read := func(open func(context.Context, string, string, string, string) (io.ReadCloser, error)) []byte {
		rc, err := open(ctx, e.demo.Workspace, report, run, qr.Token)
		if err != nil {
			t.Fatalf("open result: %v", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("read result: %v", err)
		}
		return b
	}
	f := qtResultFixture{
		name: qtQueryRunName(e, report, run, qr.Token),
		csv:  read(e.client.QueryResultsCSV),
	}
	if withJSON {
		f.json = read(e.client.QueryResultsJSON)
	}
	recs, err := csv.NewReader(bytes.NewReader(f.csv)).ReadAll()
	if err != nil || len(recs) < 30 {
		t.Fatalf("Mode's CSV: %d records, %v", len(recs), err)
	}
	f.cols, f.rows = recs[0], recs[1:]
	return f
}

// qtCell renders a streamed value as Mode's CSV writes it.
func qtCell(v *structpb.Value) string {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64)
	case *structpb.Value_StringValue:
		return k.StringValue
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue)
	case *structpb.Value_NullValue:
		return ""
	}
	return "<" + v.String() + ">"
}

// qtStream collects a whole (small) result stream.
func qtStream(ctx context.Context, rs modeplatformv1connect.ReportServiceClient, req *modeplatformv1.StreamQueryResultsRequest) ([]*modeplatformv1.StreamQueryResultsResponse, error) {
	st, err := rs.StreamQueryResults(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []*modeplatformv1.StreamQueryResultsResponse
	for st.Receive() {
		out = append(out, st.Msg())
	}
	return out, st.Err()
}

// qtExport collects an export's chunks.
func qtExport(ctx context.Context, rs modeplatformv1connect.ReportServiceClient, req *modeplatformv1.ExportQueryResultsRequest) ([][]byte, error) {
	st, err := rs.ExportQueryResults(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out [][]byte
	for st.Receive() {
		out = append(out, st.Msg().GetData())
	}
	return out, st.Err()
}

// qtCheckStream checks a whole stream of f's result read from offset with
// at most maxRows rows and about maxBytes bytes per message.
func qtCheckStream(t *testing.T, f qtResultFixture, msgs []*modeplatformv1.StreamQueryResultsResponse, offset int64, maxRows, maxBytes int) {
	t.Helper()
	qtCheckStreamTo(t, f, msgs, offset, max(int64(len(f.rows)), offset), maxRows, maxBytes)
}

// qtCheckStreamTo is qtCheckStream for a stream that ends at row end.
func qtCheckStreamTo(t *testing.T, f qtResultFixture, msgs []*modeplatformv1.StreamQueryResultsResponse, offset, end int64, maxRows, maxBytes int) {
	t.Helper()
	if len(msgs) == 0 {
		t.Fatal("empty stream")
	}
	head := msgs[0]
	wantTypes := map[string]modeplatformv1.Column_Type{
		"order_id": modeplatformv1.Column_TYPE_NUMBER, "account": modeplatformv1.Column_TYPE_STRING, "region": modeplatformv1.Column_TYPE_STRING,
		"occurred_at": modeplatformv1.Column_TYPE_TIMESTAMP, "total": modeplatformv1.Column_TYPE_NUMBER, "total_amt_usd": modeplatformv1.Column_TYPE_NUMBER,
	}
	if len(head.GetColumns()) != len(f.cols) || len(head.GetRows()) != 0 || head.GetOffset() != offset {
		t.Fatalf("first message = %v, want columns %v only at offset %d", head, f.cols, offset)
	}
	for i, c := range head.GetColumns() {
		if c.GetName() != f.cols[i] || c.GetType() != wantTypes[c.GetName()] {
			t.Errorf("column %d = %v, want %s of type %v", i, c, f.cols[i], wantTypes[f.cols[i]])
		}
	}
	pos := offset
	maxRowSize := 0
	for _, m := range msgs[1:] {
		for _, r := range m.GetRows() {
			maxRowSize = max(maxRowSize, proto.Size(r)+3)
		}
	}
	for i, m := range msgs[1:] {
		if len(m.GetColumns()) != 0 {
			t.Errorf("message %d repeats the columns", i+1)
		}
		if m.GetOffset() != pos {
			t.Fatalf("message %d at offset %d, want %d", i+1, m.GetOffset(), pos)
		}
		n := len(m.GetRows())
		if n == 0 || n > maxRows {
			t.Fatalf("message %d has %d rows, want 1..%d", i+1, n, maxRows)
		}
		if size := proto.Size(m); size > maxBytes+maxRowSize+16 {
			t.Errorf("message %d is %d bytes, want about %d", i+1, size, maxBytes)
		}
		for j, r := range m.GetRows() {
			want := f.rows[pos+int64(j)]
			if len(r.GetValues()) != len(want) {
				t.Fatalf("row %d has %d values, want %d", pos+int64(j), len(r.GetValues()), len(want))
			}
			for k, v := range r.GetValues() {
				if got := qtCell(v); got != want[k] {
					t.Fatalf("row %d column %s = %q, Mode's CSV has %q", pos+int64(j), f.cols[k], got, want[k])
				}
				if _, isNum := v.GetKind().(*structpb.Value_NumberValue); isNum != (head.GetColumns()[k].GetType() == modeplatformv1.Column_TYPE_NUMBER) {
					t.Fatalf("row %d column %s value %v does not match its column type", pos+int64(j), f.cols[k], v)
				}
			}
		}
		pos += int64(n)
	}
	if pos != end {
		t.Fatalf("stream ended at row %d, want %d", pos, end)
	}
}

func TestStreamQueryResults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	f := qtParamResults(t, e, false)
	total := int64(len(f.rows))
	cases := []struct {
		name     string
		offset   int64
		batch    int32
		everyway bool // run over every protocol, not only Connect's
	}{
		{"all", 0, 0, false},
		{"batch7", 0, 7, true},
		{"batch1", 0, 1, false},
		{"resume13", 13, 5, true},
		{"resumeLast", total - 1, 0, false},
		{"resumeAtEnd", total, 3, false},
		{"resumePastEnd", total + 50, 0, false},
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			c := e.clients(p)
			for _, tc := range cases {
				if !tc.everyway && p.name != protocols[0].name {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					msgs, err := qtStream(testContext(t), c.rs, &modeplatformv1.StreamQueryResultsRequest{Name: f.name, Offset: tc.offset, MaxRowsPerBatch: tc.batch})
					if err != nil {
						t.Fatalf("StreamQueryResults: %v", err)
					}
					maxRows := 500 // Options.StreamBatchRows' default
					if tc.batch > 0 {
						maxRows = int(tc.batch)
					}
					qtCheckStream(t, f, msgs, tc.offset, maxRows, 1<<20)
				})
			}
		})
	}
}

// TestStreamQueryResultsTypes reads a result made for the purpose: column
// types judged from the values, nulls, and a column of mixed kinds.
func TestStreamQueryResultsTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	report := e.demo.Reports[0]
	c := e.clients(protocols[0])
	created, err := c.rs.CreateQuery(ctx, connect.NewRequest(&modeplatformv1.CreateQueryRequest{
		Parent: e.reportName(report),
		Query: &modeplatformv1.Query{DataSource: e.dataSourceName(), DisplayName: "Kinds", Sql: `SELECT 1 AS num, 'a' AS str, NULL AS empty, 1 AS mixed, '2024-01-02' AS day, 2.5 AS half
UNION ALL SELECT 2, 'b', NULL, 'x', '2024-01-03T04:05:06.000Z', NULL`},
	}))
	if err != nil {
		t.Fatalf("CreateQuery: %v", err)
	}
	run := qtFinishedRun(t, e, report, nil)
	var name string
	for _, qr := range qtQueryRuns(t, e, report, run) {
		if qtQueryName(e, report, qr.QueryToken) == created.Msg.GetQuery().GetName() {
			name = qtQueryRunName(e, report, run, qr.Token)
		}
	}
	if name == "" {
		t.Fatal("the new query did not run")
	}
	num := func(f float64) *structpb.Value { return structpb.NewNumberValue(f) }
	str := structpb.NewStringValue
	null := structpb.NewNullValue()
	wantCols := []*modeplatformv1.Column{
		{Name: "num", Type: modeplatformv1.Column_TYPE_NUMBER},
		{Name: "str", Type: modeplatformv1.Column_TYPE_STRING},
		{Name: "empty", Type: modeplatformv1.Column_TYPE_UNSPECIFIED},
		{Name: "mixed", Type: modeplatformv1.Column_TYPE_UNSPECIFIED},
		{Name: "day", Type: modeplatformv1.Column_TYPE_TIMESTAMP},
		{Name: "half", Type: modeplatformv1.Column_TYPE_NUMBER},
	}
	wantRows := []*modeplatformv1.Row{
		{Values: []*structpb.Value{num(1), str("a"), null, num(1), str("2024-01-02"), num(2.5)}},
		{Values: []*structpb.Value{num(2), str("b"), null, str("x"), str("2024-01-03T04:05:06.000Z"), null}},
	}
	for _, p := range protocols {
		msgs, err := qtStream(ctx, e.clients(p).rs, &modeplatformv1.StreamQueryResultsRequest{Name: name})
		if err != nil {
			t.Fatalf("%s: StreamQueryResults: %v", p.name, err)
		}
		want := []*modeplatformv1.StreamQueryResultsResponse{{Columns: wantCols}, {Rows: wantRows}}
		if len(msgs) != len(want) {
			t.Fatalf("%s: %d messages, want %d: %v", p.name, len(msgs), len(want), msgs)
		}
		for i := range want {
			if !proto.Equal(msgs[i], want[i]) {
				t.Errorf("%s: message %d = %v, want %v", p.name, i, msgs[i], want[i])
			}
		}
	}
}

// TestStreamQueryResultsResume cuts Mode's result mid-way: the stream sends
// every row it read, then fails; a second stream from the caller's row
// count delivers the rest.
func TestStreamQueryResultsResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) { o.StreamBatchRows = 10 }})
	f := qtCheapResults(t, e, true)
	for _, p := range protocols {
		rs := e.clients(p).rs
		e.mode.AddFault(modetest.Fault{Path: "/api/*/reports/*/runs/*/query_runs/*/results/content.json", Truncate: true, Times: 1})
		first, err := qtStream(testContext(t), rs, &modeplatformv1.StreamQueryResultsRequest{Name: f.name})
		if code := connect.CodeOf(err); code != connect.CodeUnavailable && code != connect.CodeInternal {
			t.Fatalf("%s: cut stream ended with %v, want Unavailable or Internal", p.name, err)
		}
		var got int64
		for _, m := range first[1:] {
			got += int64(len(m.GetRows()))
		}
		// The emulator cuts the JSON after half its bytes: every row
		// complete by then is delivered, the last batch partly full.
		if want := int64(bytes.Count(f.json[:len(f.json)/2], []byte("}"))); got != want {
			t.Fatalf("%s: cut stream delivered %d rows, want the %d complete before the cut", p.name, got, want)
		}
		qtCheckStreamTo(t, f, first, 0, got, 10, 1<<20)
		rest, err := qtStream(testContext(t), rs, &modeplatformv1.StreamQueryResultsRequest{Name: f.name, Offset: got})
		if err != nil {
			t.Fatalf("%s: resumed stream: %v", p.name, err)
		}
		qtCheckStream(t, f, rest, got, 10, 1<<20)
	}
}

// TestStreamQueryResultsUpstreamCost checks that a repeated stream of a
// finished query run asks Mode only for the result: the query run's state
// comes from the cache.
func TestStreamQueryResultsUpstreamCost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	f := qtCheapResults(t, e, false)
	rs := e.clients(protocols[0]).rs
	for i, want := range []int{2, 1} {
		before := e.upstream()
		if _, err := qtStream(testContext(t), rs, &modeplatformv1.StreamQueryResultsRequest{Name: f.name, MaxRowsPerBatch: 10}); err != nil {
			t.Fatalf("StreamQueryResults: %v", err)
		}
		if n := e.upstream() - before; n != want {
			t.Errorf("stream %d made %d upstream requests, want %d", i+1, n, want)
		}
	}
}

func TestStreamQueryResultsBatchLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name              string
		rows, bytes       int   // server options
		batch             int32 // request
		wantRows, wantMax int   // rows per message: the most allowed, and the size of a full batch (0: not checked)
	}{
		{"server row cap below request", 10, 0, 50, 10, 10},
		{"request below server cap", 10, 0, 4, 4, 4},
		{"byte cap", 0, 400, 0, 500, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) {
				o.StreamBatchRows, o.StreamBatchBytes = tc.rows, tc.bytes
			}})
			f := qtCheapResults(t, e, false)
			maxBytes := tc.bytes
			if maxBytes == 0 {
				maxBytes = 1 << 20
			}
			for _, p := range protocols[:1] { // batching does not depend on the protocol
				msgs, err := qtStream(testContext(t), e.clients(p).rs, &modeplatformv1.StreamQueryResultsRequest{Name: f.name, MaxRowsPerBatch: tc.batch})
				if err != nil {
					t.Fatalf("%s: StreamQueryResults: %v", p.name, err)
				}
				qtCheckStream(t, f, msgs, 0, tc.wantRows, maxBytes)
				if tc.wantMax > 0 && len(msgs[1].GetRows()) != tc.wantMax {
					t.Errorf("%s: first batch has %d rows, want %d", p.name, len(msgs[1].GetRows()), tc.wantMax)
				}
				if tc.bytes > 0 && len(msgs) < 4 {
					t.Errorf("%s: %d messages under a %d-byte cap, want the rows split", p.name, len(msgs), tc.bytes)
				}
			}
		})
	}
}

func TestExportQueryResults(t *testing.T) {
	t.Parallel()
	const chunk = 1000
	e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) { o.ExportChunkBytes = chunk }})
	f := qtParamResults(t, e, true)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			c := e.clients(p)
			for _, tc := range []struct {
				format modeplatformv1.ExportQueryResultsRequest_Format
				want   []byte
			}{
				{modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV, f.csv},
				{modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON, f.json},
			} {
				chunks, err := qtExport(testContext(t), c.rs, &modeplatformv1.ExportQueryResultsRequest{Name: f.name, Format: tc.format})
				if err != nil {
					t.Fatalf("ExportQueryResults %v: %v", tc.format, err)
				}
				for i, ch := range chunks {
					if len(ch) == 0 || len(ch) > chunk || (i < len(chunks)-1 && len(ch) != chunk) {
						t.Errorf("%v chunk %d of %d has %d bytes, chunk size %d", tc.format, i, len(chunks), len(ch), chunk)
					}
				}
				got := bytes.Join(chunks, nil)
				if !bytes.Equal(got, tc.want) {
					t.Fatalf("%v export (%d bytes) differs from Mode's (%d bytes)", tc.format, len(got), len(tc.want))
				}
				if tc.format == modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON {
					var rows []map[string]any
					if err := json.Unmarshal(got, &rows); err != nil || len(rows) != len(f.rows) {
						t.Fatalf("JSON export: %d rows, %v; want %d", len(rows), err, len(f.rows))
					}
					if rows[0]["account"] != f.rows[0][1] {
						t.Errorf("JSON first row %v, CSV %v", rows[0], f.rows[0])
					}
				} else if !bytes.HasPrefix(got, []byte(strings.Join(f.cols, ",")+"\r\n")) {
					t.Errorf("CSV export does not start with its CRLF header: %q", got[:min(len(got), 80)])
				}
			}
		})
	}
}

func TestQueryResultsNotReady(t *testing.T) {
	t.Parallel()
	// One env whose runs take an hour (never finished), one whose runs finish
	// at once (for the failing report).
	slow := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithRunDuration(time.Hour)}})
	fast := newEnv(t, envConfig{})
	ctx := testContext(t)
	run, err := slow.client.RunReport(ctx, slow.demo.Workspace, slow.demo.ParamReport, map[string]any{"region": "West"})
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	pending := qtQueryRunName(slow, slow.demo.ParamReport, run.Token, qtQueryRuns(t, slow, slow.demo.ParamReport, run.Token)[0].Token)
	failRun := qtFinishedRun(t, fast, fast.demo.FailingReport, nil)
	failed := qtQueryRunName(fast, fast.demo.FailingReport, failRun, qtQueryRuns(t, fast, fast.demo.FailingReport, failRun)[0].Token)

	cases := []struct {
		name   string
		e      *env
		qr     string
		reason string
	}{
		{"not finished", slow, pending, service.ReasonRunNotFinished},
		{"failed", fast, failed, service.ReasonRunFailed},
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				rs := tc.e.clients(p).rs
				ctx := testContext(t)
				_, serr := qtStream(ctx, rs, &modeplatformv1.StreamQueryResultsRequest{Name: tc.qr})
				_, eerr := qtExport(ctx, rs, &modeplatformv1.ExportQueryResultsRequest{Name: tc.qr, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV})
				for method, err := range map[string]error{"StreamQueryResults": serr, "ExportQueryResults": eerr} {
					ce := wantCode(t, err, connect.CodeFailedPrecondition)
					if got := qtReason(err); got != tc.reason {
						t.Errorf("%s %s: reason %q, want %q (%v)", tc.name, method, got, tc.reason, err)
					}
					if !strings.Contains(ce.Message(), tc.qr) {
						t.Errorf("%s %s: message %q does not name the query run", tc.name, method, ce.Message())
					}
				}
			}
			// The query run of the unfinished run says where it is.
			res, err := slow.clients(p).rs.GetQueryRun(testContext(t), connect.NewRequest(&modeplatformv1.GetQueryRunRequest{Name: pending}))
			if err != nil {
				t.Fatalf("GetQueryRun: %v", err)
			}
			if qr := res.Msg.GetQueryRun(); qr.GetState() != modeplatformv1.QueryRun_STATE_ENQUEUED && qr.GetState() != modeplatformv1.QueryRun_STATE_PENDING ||
				qr.GetCompleteTime() != nil || qr.GetError() != nil {
				t.Errorf("unfinished query run = %v", qr)
			}
		})
	}
}

func TestQueryResultsInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	good := qtQueryRunName(e, e.demo.ParamReport, "0123456789ab", "0123456789ab")
	badNames := []string{"", e.reportName(e.demo.ParamReport), good + "/x", strings.Replace(good, "queryRuns", "queries", 1), strings.Replace(good, "runs/", "runs/a.b", 1)}
	type call func(ctx context.Context, rs modeplatformv1connect.ReportServiceClient) error
	stream := func(r *modeplatformv1.StreamQueryResultsRequest) call {
		return func(ctx context.Context, rs modeplatformv1connect.ReportServiceClient) error {
			_, err := qtStream(ctx, rs, r)
			return err
		}
	}
	export := func(r *modeplatformv1.ExportQueryResultsRequest) call {
		return func(ctx context.Context, rs modeplatformv1connect.ReportServiceClient) error {
			_, err := qtExport(ctx, rs, r)
			return err
		}
	}
	type invalid struct {
		name, field string
		call        call
		direct      func(ctx context.Context) error // the handler without the validating interceptor
	}
	var cases []invalid
	addStream := func(name, field string, r *modeplatformv1.StreamQueryResultsRequest) {
		cases = append(cases, invalid{"Stream/" + name, field, stream(r), func(ctx context.Context) error {
			return e.svc.Report.StreamQueryResults(ctx, connect.NewRequest(r), nil)
		}})
	}
	addExport := func(name, field string, r *modeplatformv1.ExportQueryResultsRequest) {
		cases = append(cases, invalid{"Export/" + name, field, export(r), func(ctx context.Context) error {
			return e.svc.Report.ExportQueryResults(ctx, connect.NewRequest(r), nil)
		}})
	}
	for _, bad := range badNames {
		addStream("name="+bad, "name", &modeplatformv1.StreamQueryResultsRequest{Name: bad})
		addExport("name="+bad, "name", &modeplatformv1.ExportQueryResultsRequest{Name: bad, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV})
	}
	addStream("offset=-1", "offset", &modeplatformv1.StreamQueryResultsRequest{Name: good, Offset: -1})
	addStream("max_rows_per_batch=-1", "max_rows_per_batch", &modeplatformv1.StreamQueryResultsRequest{Name: good, MaxRowsPerBatch: -1})
	addStream("max_rows_per_batch=10001", "max_rows_per_batch", &modeplatformv1.StreamQueryResultsRequest{Name: good, MaxRowsPerBatch: 10_001})
	addExport("format unspecified", "format", &modeplatformv1.ExportQueryResultsRequest{Name: good})
	addExport("format undefined", "format", &modeplatformv1.ExportQueryResultsRequest{Name: good, Format: 7})

	before := e.upstream()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(how string, err error) {
				t.Helper()
				if ce := wantCode(t, err, connect.CodeInvalidArgument); !strings.Contains(ce.Message(), tc.field) {
					t.Errorf("%s: error %q does not name %s", how, ce.Message(), tc.field)
				}
			}
			for _, p := range protocols {
				check(p.name, tc.call(testContext(t), e.clients(p).rs))
			}
			check("handler", tc.direct(testContext(t)))
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("invalid requests made %d upstream requests, want 0", n)
	}
}

// qtHeapSampler records the peak HeapInuse while it runs.
type qtHeapSampler struct {
	base uint64
	peak atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

// qtStartHeapSampler collects garbage, takes the baseline and samples every
// few milliseconds until Stop.
func qtStartHeapSampler() *qtHeapSampler {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := &qtHeapSampler{base: ms.HeapInuse, stop: make(chan struct{})}
	s.peak.Store(ms.HeapInuse)
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > s.peak.Load() {
				s.peak.Store(ms.HeapInuse)
			}
		}
	}()
	return s
}

// Stop ends the sampling; it returns the peak and its growth over the
// baseline, in bytes.
func (s *qtHeapSampler) Stop() (peak, growth uint64) {
	close(s.stop)
	s.done.Wait()
	peak = s.peak.Load()
	if peak > s.base {
		growth = peak - s.base
	}
	return peak, growth
}

// qtBigResult runs the big report of an env made with WithBigRows and
// returns its query run's name.
func qtBigResult(t testing.TB, e *env) string {
	t.Helper()
	run := qtFinishedRun(t, e, e.demo.BigReport, nil)
	return qtQueryRunName(e, e.demo.BigReport, run, qtQueryRuns(t, e, e.demo.BigReport, run)[0].Token)
}

// qtCountRows streams a whole result over the Connect protocol, keeping
// nothing, and checks continuity; it returns the row count.
func qtCountRows(ctx context.Context, t testing.TB, rs modeplatformv1connect.ReportServiceClient, name string) int64 {
	t.Helper()
	st, err := rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: name}))
	if err != nil {
		t.Fatalf("StreamQueryResults: %v", err)
	}
	defer st.Close()
	var n int64
	first := true
	for st.Receive() {
		m := st.Msg()
		if first {
			if len(m.GetColumns()) == 0 {
				t.Fatalf("first message has no columns")
			}
			first = false
			continue
		}
		if m.GetOffset() != n {
			t.Fatalf("batch at offset %d after %d rows", m.GetOffset(), n)
		}
		n += int64(len(m.GetRows()))
	}
	if err := st.Err(); err != nil {
		t.Fatalf("stream after %d rows: %v", n, err)
	}
	return n
}

// qtRaceEnabled reports whether the test binary was built with -race.
func qtRaceEnabled() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// TestStreamQueryResultsBoundedMemory streams a 200,000-row result and
// checks that the process's heap (emulator, Mode client, service and caller
// together) grows by a bounded amount: rows are passed through, never
// collected (collected, they would take well over the bound). Under the race
// detector the emulator's SQLite is about ten times slower, so the result
// has 30,000 rows there. Not parallel: the heap is the whole process's.
func TestStreamQueryResultsBoundedMemory(t *testing.T) {
	rows := 200_000
	if qtRaceEnabled() {
		rows = 30_000
	}
	const bound = 64 << 20
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithBigRows(rows)}})
	name := qtBigResult(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := qtStartHeapSampler()
	start := time.Now()
	n := qtCountRows(ctx, t, e.clients(protocols[0]).rs, name)
	elapsed := time.Since(start)
	peak, growth := s.Stop()
	if n != int64(rows) {
		t.Fatalf("streamed %d rows, want %d", n, rows)
	}
	t.Logf("%d rows in %v; peak HeapInuse %.1f MB, growth %.1f MB", rows, elapsed.Round(time.Millisecond), float64(peak)/(1<<20), float64(growth)/(1<<20))
	if growth > bound {
		t.Fatalf("heap grew by %.1f MB while streaming %d rows, want under %d MB", float64(growth)/(1<<20), rows, bound>>20)
	}
}

// BenchmarkStreamQueryResultsMillionRows streams a million-row result over
// the Connect protocol and reports rows per second and the process's peak
// HeapInuse during the stream.
func BenchmarkStreamQueryResultsMillionRows(b *testing.B) {
	const rows = 1_000_000
	e := newEnv(b, envConfig{modeOpts: []modetest.Option{modetest.WithBigRows(rows)}})
	name := qtBigResult(b, e)
	rs := e.clients(protocols[0]).rs
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var total int64
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		s := qtStartHeapSampler()
		if n := qtCountRows(ctx, b, rs, name); n != rows {
			b.Fatalf("streamed %d rows, want %d", n, rows)
		}
		p, _ := s.Stop()
		peak = max(peak, p)
		total += rows
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
