package service_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// stSQLResult makes the first demo report hold sql alone, runs it and
// returns its query run's name.
func stSQLResult(t testing.TB, e *env, sql string) string {
	t.Helper()
	report := qtReportOfSQL(t, e, "Streams", sql)
	run := qtFinishedRun(t, e, report, nil)
	return qtQueryRunName(e, report, run, qtQueryRuns(t, e, report, run)[0].Token)
}

// stRowsSQL is n rows of an id and a text of width hex digits (random, so
// that gzip cannot shrink a stream below the flow-control windows).
func stRowsSQL(n, width int) string {
	return `WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < ` + strconv.Itoa(n) + `)
SELECT id, hex(randomblob(` + strconv.Itoa(width/2) + `)) AS cell FROM seq`
}

// stDetails returns the ErrorInfo and whether a RetryInfo is attached.
func stDetails(t testing.TB, err error) (*errdetails.ErrorInfo, bool) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a Connect error: %v", err)
	}
	var info *errdetails.ErrorInfo
	retry := false
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		switch x := v.(type) {
		case *errdetails.ErrorInfo:
			info = x
		case *errdetails.RetryInfo:
			retry = x.GetRetryDelay().AsDuration() > 0
		}
	}
	if info == nil {
		t.Fatalf("no ErrorInfo in %v", err)
	}
	return info, retry
}

// stResumeOffset is the resume_offset of a stream's error.
func stResumeOffset(t testing.TB, err error) int64 {
	t.Helper()
	info, retry := stDetails(t, err)
	if !retry {
		t.Errorf("no RetryInfo in %v", err)
	}
	n, perr := strconv.ParseInt(info.GetMetadata()["resume_offset"], 10, 64)
	if perr != nil {
		t.Fatalf("resume_offset of %v: %v", err, perr)
	}
	return n
}

// stExportAll reads an export from offset, returning the bytes and the
// stream's error.
func stExportAll(ctx context.Context, rs modeplatformv1connect.ReportServiceClient, name string, format modeplatformv1.ExportQueryResultsRequest_Format, offset int64) ([]byte, error) {
	chunks, err := qtExport(ctx, rs, &modeplatformv1.ExportQueryResultsRequest{Name: name, Format: format, Offset: offset})
	return bytes.Join(chunks, nil), err
}

func TestExportQueryResultsTruncatedThenResumed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) { o.ExportChunkBytes = 512 }})
	f := qtParamResults(t, e, true)
	for _, tc := range []struct {
		format modeplatformv1.ExportQueryResultsRequest_Format
		path   string
		whole  []byte
	}{
		{modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV, "/api/*/reports/*/runs/*/query_runs/*/results/content.csv", f.csv},
		{modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON, "/api/*/reports/*/runs/*/query_runs/*/results/content.json", f.json},
	} {
		t.Run(tc.format.String(), func(t *testing.T) {
			for _, p := range protocols[:2] {
				ctx := testContext(t)
				rs := e.clients(p).rs
				e.mode.AddFault(modetest.Fault{Path: tc.path, Truncate: true, Times: 1})
				got, err := stExportAll(ctx, rs, f.name, tc.format, 0)
				ce := wantCode(t, err, connect.CodeUnavailable)
				if r := qtReason(err); r != service.ReasonUpstreamTruncated {
					t.Fatalf("%s: reason %q (%v)", p.name, r, ce)
				}
				resume := stResumeOffset(t, err)
				if resume != int64(len(got)) || len(got) == 0 || len(got) >= len(tc.whole) {
					t.Fatalf("%s: got %d of %d bytes, resume_offset %d", p.name, len(got), len(tc.whole), resume)
				}
				rest, err := stExportAll(ctx, rs, f.name, tc.format, resume)
				if err != nil {
					t.Fatalf("%s: resumed export: %v", p.name, err)
				}
				if all := append(got, rest...); !bytes.Equal(all, tc.whole) {
					t.Fatalf("%s: %d + %d bytes do not make Mode's %d-byte file", p.name, len(got), len(rest), len(tc.whole))
				}
			}
		})
	}
}

func TestExportQueryResultsOffset(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) { o.ExportChunkBytes = 700 }})
	f := qtParamResults(t, e, false)
	size := int64(len(f.csv))
	rs := e.clients(protocols[0]).rs
	for _, tt := range []struct {
		name   string
		offset int64
		code   connect.Code // 0: success
	}{
		{"whole file", 0, 0},
		{"from the middle", 1000, 0},
		{"last byte", size - 1, 0},
		{"at the end: empty", size, 0},
		{"past the end", size + 1, connect.CodeOutOfRange},
		{"negative", -1, connect.CodeInvalidArgument},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stExportAll(testContext(t), rs, f.name, modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV, tt.offset)
			if tt.code != 0 {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.csv[tt.offset:]) {
				t.Fatalf("from %d: %d bytes, want %d", tt.offset, len(got), size-tt.offset)
			}
		})
	}
}

func TestStreamQueryResultsHugeCell(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	// Row 3 (offset 2) holds a 2.2 MB cell: past the 1 MiB value limit.
	name := stSQLResult(t, e, `WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < 5)
SELECT id, CASE WHEN id = 3 THEN hex(zeroblob(1100000)) ELSE 'small' END AS cell FROM seq`)
	for _, tt := range []struct {
		offset   int64
		wantRows int // rows before the error
	}{{0, 2}, {1, 1}, {3, 0}} { // rows before an offset are read too: the row fails them all
		msgs, err := qtStream(testContext(t), e.clients(protocols[1]).rs, &modeplatformv1.StreamQueryResultsRequest{Name: name, Offset: tt.offset})
		rows := 0
		for _, m := range msgs {
			rows += len(m.GetRows())
		}
		wantCode(t, err, connect.CodeFailedPrecondition)
		info, _ := stDetails(t, err)
		if info.GetReason() != service.ReasonResultRowTooLarge || info.GetMetadata()["row_offset"] != "2" ||
			info.GetMetadata()["limit_bytes"] != strconv.Itoa(modeclient.DefaultMaxValueBytes) {
			t.Fatalf("error details %v", info)
		}
		if rows != tt.wantRows {
			t.Fatalf("from offset %d: %d rows before the error, want %d", tt.offset, rows, tt.wantRows)
		}
	}
	// The export has no such limit.
	got, err := stExportAll(testContext(t), e.clients(protocols[0]).rs, name, modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV, 0)
	if err != nil || len(got) < 2_200_000 {
		t.Fatalf("export: %d bytes, %v", len(got), err)
	}
}

func TestStreamedMessagesStayUnder4MiB(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) {
		o.StreamBatchBytes = service.MaxStreamMessageBytes
		o.ExportChunkBytes = service.MaxStreamMessageBytes
	}})
	// Rows of about 1.5 MB (two 750 KB cells): three would pass 4 MiB.
	const rows = 8
	name := stSQLResult(t, e, `WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < `+strconv.Itoa(rows)+`)
SELECT id, hex(zeroblob(375000)) AS a, hex(zeroblob(375000)) AS b FROM seq`)
	ctx := testContext(t)
	rs := e.clients(protocols[1]).rs // gRPC
	msgs, err := qtStream(ctx, rs, &modeplatformv1.StreamQueryResultsRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, m := range msgs {
		if size := proto.Size(m); size >= 4<<20 || size > service.MaxStreamMessageBytes+64 {
			t.Errorf("message %d: %d bytes", i, size)
		}
		if m.GetOffset() != int64(n) && i > 0 {
			t.Errorf("message %d at offset %d after %d rows", i, m.GetOffset(), n)
		}
		n += len(m.GetRows())
	}
	if n != rows {
		t.Fatalf("%d rows, want %d", n, rows)
	}
	st, err := rs.ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: name, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for st.Receive() {
		if size := proto.Size(st.Msg()); size >= 4<<20 {
			t.Errorf("export message of %d bytes", size)
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestStreamLimitsAboveMessageBoundRefused(t *testing.T) {
	for _, set := range []func(*service.Options){
		func(o *service.Options) { o.StreamBatchBytes = 4 << 20 },
		func(o *service.Options) { o.ExportChunkBytes = 4 << 20 },
		func(o *service.Options) { o.MaxResultRowBytes = 4 << 20 },
	} {
		o := service.Options{Upstream: service.SingleClient(nil)}
		set(&o)
		if _, err := service.New(o); err == nil {
			t.Errorf("New(%+v) accepted a message bound above MaxStreamMessageBytes", o)
		}
	}
}

// stSlowReader is a ReportService client over h2c whose per-stream
// flow-control window is the smallest HTTP/2 allows (64 KiB): a server
// stream it does not read soon waits in Send. (The connection's window is
// large, so that one unread stream does not stop the others.)
func stSlowReader(t testing.TB, e *env) modeplatformv1connect.ReportServiceClient {
	t.Helper()
	tr := &http.Transport{
		Protocols:   new(http.Protocols),
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		HTTP2:       &http.HTTP2Config{MaxReceiveBufferPerConnection: 16 << 20, MaxReceiveBufferPerStream: 64 << 10},
	}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return modeplatformv1connect.NewReportServiceClient(&http.Client{Transport: tr}, e.url, connect.WithGRPC())
}

func TestStreamIdleCallerIsEnded(t *testing.T) {
	t.Parallel()
	ends := make(chan error, 10)
	e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) {
		o.ExportChunkBytes = 16 << 10
		o.StreamIdleTimeout = 50 * time.Millisecond
		o.OnStreamEnd = func(cause error) { ends <- cause }
	}})
	name := stSQLResult(t, e, stRowsSQL(2000, 1000)) // about 2 MB
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	// The caller never reads: the server's Send waits, then gives up; the
	// stream ends and everything it held (the Mode response) is freed.
	st, err := stSlowReader(t, e).ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: name, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	select {
	case cause := <-ends:
		if !errors.Is(cause, service.ErrStreamIdle) {
			t.Fatalf("stream ended with %v, want ErrStreamIdle", cause)
		}
	case <-ctx.Done():
		t.Fatal("the stream of a caller that stopped reading never ended")
	}
	if n := e.svc.OpenStreams(); n != 0 {
		t.Fatalf("%d streams still open", n)
	}
	for st.Receive() {
	}
	if st.Err() == nil {
		t.Fatal("the idle stream ended without an error for its caller")
	}
}

func TestStreamsEndedByTheServerTellWhereToResume(t *testing.T) {
	t.Parallel()
	const lifetime = 300 * time.Millisecond
	for _, tt := range []struct {
		name   string
		reason string
		opts   func(*service.Options)
		end    func(*service.Server) // after the first messages
	}{
		{"draining", service.ReasonServerDraining, nil, (*service.Server).DrainStreams},
		{"lifetime", service.ReasonStreamLifetime, func(o *service.Options) { o.StreamMaxLifetime = lifetime },
			// Not read meanwhile, so far from its end when its lifetime is over.
			func(*service.Server) { time.Sleep(2 * lifetime) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) {
				o.ExportChunkBytes = 16 << 10
				if tt.opts != nil {
					tt.opts(o)
				}
			}})
			const total = 2000
			name := stSQLResult(t, e, stRowsSQL(total, 1000)) // about 2 MB
			rs := stSlowReader(t, e)
			ctx := testContext(t)

			rows, err := rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: name, MaxRowsPerBatch: 10}))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			ex, err := rs.ExportQueryResults(ctx, connect.NewRequest(&modeplatformv1.ExportQueryResultsRequest{Name: name, Format: modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV}))
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close()
			// The first message of each (the stream may also have ended
			// already: then it says so the same way).
			var n, bytes int64
			countRows := func() {
				if m := rows.Msg(); m.GetOffset() == n || len(m.GetColumns()) > 0 {
					n += int64(len(m.GetRows()))
				} else {
					t.Fatalf("batch at %d after %d rows", m.GetOffset(), n)
				}
			}
			if rows.Receive() {
				countRows()
			}
			if ex.Receive() {
				bytes += int64(len(ex.Msg().GetData()))
			}
			tt.end(e.svc)

			// Rows: the caller has every row before resume_offset.
			for rows.Receive() {
				countRows()
			}
			wantCode(t, rows.Err(), connect.CodeUnavailable)
			if r := qtReason(rows.Err()); r != tt.reason {
				t.Fatalf("reason %q (%v)", r, rows.Err())
			}
			if got := stResumeOffset(t, rows.Err()); got != n || n >= total {
				t.Fatalf("resume_offset %d after %d rows", got, n)
			}
			// Bytes: the same, in bytes.
			for ex.Receive() {
				bytes += int64(len(ex.Msg().GetData()))
			}
			wantCode(t, ex.Err(), connect.CodeUnavailable)
			if off := stResumeOffset(t, ex.Err()); off != bytes || qtReason(ex.Err()) != tt.reason {
				t.Fatalf("resume_offset %d after %d bytes (%v)", off, bytes, ex.Err())
			}
		})
	}
}

func TestWatchReportRunEndsWhenTheServerDrains(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithRunDuration(time.Hour)}})
	ctx := testContext(t)
	run, err := e.client.RunReport(ctx, e.demo.Workspace, e.demo.ParamReport, map[string]any{"region": "West"})
	if err != nil {
		t.Fatal(err)
	}
	rs := e.clients(protocols[1]).rs
	st, err := rs.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: qtRunName(e, e.demo.ParamReport, run.Token)}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.Receive() {
		t.Fatalf("no first state: %v", st.Err())
	}
	e.svc.DrainStreams()
	for st.Receive() {
	}
	wantCode(t, st.Err(), connect.CodeUnavailable)
	info, retry := stDetails(t, st.Err())
	if info.GetReason() != service.ReasonServerDraining || !retry {
		t.Fatalf("details %v, RetryInfo %v", info, retry)
	}
	// A stream opened while draining ends at once, the same way.
	_, err = qtStream(ctx, rs, &modeplatformv1.StreamQueryResultsRequest{Name: qtQueryRunName(e, e.demo.ParamReport, run.Token, "x")})
	wantCode(t, err, connect.CodeUnavailable)
	if r := qtReason(err); r != service.ReasonServerDraining {
		t.Fatalf("new stream while draining: %v", err)
	}
}

// TestColumnarExportHugeRow: a row past the 16 MiB an Arrow or Parquet
// export holds in one row fails the export with FailedPrecondition naming
// the row and the limit (CSV and JSON have no such limit).
func TestColumnarExportHugeRow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	// Row 2 (offset 1) holds a 17.2 MB cell.
	name := stSQLResult(t, e, `WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < 3)
SELECT id, CASE WHEN id = 2 THEN hex(zeroblob(8600000)) ELSE 'small' END AS cell FROM seq`)
	for _, format := range []modeplatformv1.ExportQueryResultsRequest_Format{
		modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW, modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET,
	} {
		_, err := stExportAll(testContext(t), e.clients(protocols[1]).rs, name, format, 0)
		wantCode(t, err, connect.CodeFailedPrecondition)
		info, _ := stDetails(t, err)
		if info.GetReason() != service.ReasonResultRowTooLarge || info.GetMetadata()["row_offset"] != "1" ||
			info.GetMetadata()["limit_bytes"] != strconv.Itoa(16<<20) {
			t.Errorf("%v: error details %v", format, info)
		}
	}
	got, err := stExportAll(testContext(t), e.clients(protocols[1]).rs, name, modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV, 0)
	if err != nil || len(got) < 17_200_000 {
		t.Fatalf("CSV export: %d bytes, %v", len(got), err)
	}
}
