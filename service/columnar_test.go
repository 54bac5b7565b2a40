package service_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet/file"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
	"github.com/modeplatform/modeplatform/service"
)

// qtTypedSQL selects a column of each kind of value the emulator's SQLite
// returns, nulls in most, over 150 orders: integers (one beyond 2^53),
// decimals, floats written with an exponent, text, dates, points in time in
// UTC and with an offset, a column of mixed kinds and one of nulls only.
const qtTypedSQL = `SELECT o.id AS order_id,
       o.id + 9007199254740000 AS big_id,
       CASE WHEN o.id % 4 = 0 THEN NULL ELSE o.total END AS total,
       o.total_amt_usd,
       o.total_amt_usd * 1e-9 AS tiny,
       CASE WHEN o.id % 3 = 0 THEN NULL ELSE a.name END AS account,
       date(o.occurred_at) AS occurred_on,
       o.occurred_at,
       CASE WHEN o.id % 5 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', o.occurred_at) || '+05:30' END AS occurred_local,
       CASE WHEN o.id % 2 = 0 THEN o.id ELSE a.name END AS mixed,
       NULL AS no_value
FROM orders o JOIN accounts a ON a.id = o.account_id
WHERE o.id <= 150
ORDER BY o.id`

// qtTypedTypes are the Arrow types of qtTypedSQL's columns.
var qtTypedTypes = []string{
	"int64", "int64", "int64", "decimal(38, 2)", "float64", "utf8", "date32",
	"timestamp[us, tz=UTC]", "timestamp[us, tz=UTC]", "utf8", "utf8",
}

// qtExportMsgs collects an export's messages.
func qtExportMsgs(ctx context.Context, rs modeplatformv1connect.ReportServiceClient, req *modeplatformv1.ExportQueryResultsRequest) ([]*modeplatformv1.ExportQueryResultsResponse, error) {
	st, err := rs.ExportQueryResults(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []*modeplatformv1.ExportQueryResultsResponse
	for st.Receive() {
		out = append(out, st.Msg())
	}
	return out, st.Err()
}

// qtJoin concatenates the data of msgs.
func qtJoin(msgs []*modeplatformv1.ExportQueryResultsResponse) []byte {
	var b []byte
	for _, m := range msgs {
		b = append(b, m.GetData()...)
	}
	return b
}

// TestExportQueryResultsColumnar exports one result as Arrow and Parquet
// over every protocol, reads the files back with arrow-go and compares them
// with the JSON export of the same query run, value by value, and their
// column types with the documented mapping; then resumes from offsets.
func TestExportQueryResultsColumnar(t *testing.T) {
	t.Parallel()
	const chunk = 4096
	e := newEnv(t, envConfig{serviceOpts: func(o *service.Options) { o.ExportChunkBytes = chunk }})
	report := qtReportOfSQL(t, e, "Typed", qtTypedSQL)
	f := qtReadResults(t, e, report, qtFinishedRun(t, e, report, nil), true)
	formats := []struct {
		format      modeplatformv1.ExportQueryResultsRequest_Format
		contentType string
	}{
		{modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW, "application/vnd.apache.arrow.stream"},
		{modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET, "application/vnd.apache.parquet"},
		{modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV, "text/csv"},
		{modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON, "application/json"},
	}
	files := map[modeplatformv1.ExportQueryResultsRequest_Format][]byte{}
	for _, p := range protocols {
		rs := e.clients(p).rs
		for _, tc := range formats {
			msgs, err := qtExportMsgs(testContext(t), rs, &modeplatformv1.ExportQueryResultsRequest{Name: f.name, Format: tc.format})
			if err != nil {
				t.Fatalf("%s: ExportQueryResults %v: %v", p.name, tc.format, err)
			}
			for i, m := range msgs {
				want := ""
				if i == 0 {
					want = tc.contentType
				}
				if m.GetContentType() != want {
					t.Errorf("%s %v: message %d has content type %q, want %q", p.name, tc.format, i, m.GetContentType(), want)
				}
				if n := len(m.GetData()); n == 0 || n > chunk || (i < len(msgs)-1 && n != chunk) {
					t.Errorf("%s %v: chunk %d of %d has %d bytes, chunk size %d", p.name, tc.format, i, len(msgs), n, chunk)
				}
			}
			got := qtJoin(msgs)
			if prev, ok := files[tc.format]; ok && !bytes.Equal(prev, got) {
				t.Errorf("%s %v: the file differs from the one read over %s", p.name, tc.format, protocols[0].name)
			}
			files[tc.format] = got
		}
	}
	if !bytes.Equal(files[modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON], f.json) {
		t.Fatalf("JSON export differs from Mode's")
	}
	for _, tc := range formats[:2] {
		data := files[tc.format]
		schema := service.CheckColumnarFile(t, tc.format, data, f.json)
		for i, fd := range schema.Fields() {
			if got := fd.Type.String(); got != qtTypedTypes[i] {
				t.Errorf("%v column %q is %s, want %s", tc.format, fd.Name, got, qtTypedTypes[i])
			}
		}
		// Resuming: from the middle, at the end (no message), beyond it.
		rs := e.clients(protocols[0]).rs
		half := int64(len(data) / 2)
		msgs, err := qtExportMsgs(testContext(t), rs, &modeplatformv1.ExportQueryResultsRequest{Name: f.name, Format: tc.format, Offset: half})
		if err != nil || !bytes.Equal(qtJoin(msgs), data[half:]) || msgs[0].GetContentType() != tc.contentType {
			t.Errorf("%v from offset %d: %d bytes (%v), want the file's last %d", tc.format, half, len(qtJoin(msgs)), err, len(data)-int(half))
		}
		msgs, err = qtExportMsgs(testContext(t), rs, &modeplatformv1.ExportQueryResultsRequest{Name: f.name, Format: tc.format, Offset: int64(len(data))})
		if err != nil || len(msgs) != 0 {
			t.Errorf("%v from its end: %d messages, %v; want none", tc.format, len(msgs), err)
		}
		_, err = qtExportMsgs(testContext(t), rs, &modeplatformv1.ExportQueryResultsRequest{Name: f.name, Format: tc.format, Offset: int64(len(data)) + 1})
		wantCode(t, err, connect.CodeOutOfRange)
	}
}

// TestExportQueryResultsColumnarBoundedMemory exports a 200,000-row result
// (30,000 under the race detector) as Arrow and as Parquet into files and
// checks that the process's heap (emulator, Mode client, service and caller
// together) stays bounded: the rows pass through one record batch at a
// time, never collected. The garbage collector runs often meanwhile, so
// that HeapInuse follows what is live. Not parallel: the heap is the whole
// process's.
func TestExportQueryResultsColumnarBoundedMemory(t *testing.T) {
	rows := 200_000
	if qtRaceEnabled() {
		rows = 30_000
	}
	const bound = 48 << 20
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithBigRows(rows)}})
	name := qtBigResult(t, e)
	rs := e.clients(protocols[0]).rs
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	for _, format := range []modeplatformv1.ExportQueryResultsRequest_Format{
		modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW,
		modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET,
	} {
		path := filepath.Join(t.TempDir(), "result")
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		s := qtStartHeapSampler()
		start := time.Now()
		size, err := qtExportTo(ctx, rs, &modeplatformv1.ExportQueryResultsRequest{Name: name, Format: format}, out)
		elapsed := time.Since(start)
		peak, growth := s.Stop()
		cancel()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("%v export: %v", format, err)
		}
		n := qtCountFileRows(t, format, path)
		if n != int64(rows) {
			t.Fatalf("%v file has %d rows, want %d", format, n, rows)
		}
		t.Logf("%v: %d rows, %.1f MB file in %v; peak HeapInuse %.1f MB, growth %.1f MB", format, rows, float64(size)/(1<<20),
			elapsed.Round(time.Millisecond), float64(peak)/(1<<20), float64(growth)/(1<<20))
		if growth > bound {
			t.Errorf("%v: heap grew by %.1f MB while exporting %d rows, want under %d MB", format, float64(growth)/(1<<20), rows, bound>>20)
		}
	}
}

// qtExportTo writes an export's bytes to w and returns their count.
func qtExportTo(ctx context.Context, rs modeplatformv1connect.ReportServiceClient, req *modeplatformv1.ExportQueryResultsRequest, w io.Writer) (int64, error) {
	st, err := rs.ExportQueryResults(ctx, connect.NewRequest(req))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int64
	for st.Receive() {
		k, err := w.Write(st.Msg().GetData())
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, st.Err()
}

// qtCountFileRows counts the rows of an Arrow stream or Parquet file on
// disk, reading one batch at a time (Parquet: from its footer).
func qtCountFileRows(t *testing.T, format modeplatformv1.ExportQueryResultsRequest_Format, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET {
		pf, err := file.NewParquetReader(f)
		if err != nil {
			t.Fatalf("Parquet file: %v", err)
		}
		defer pf.Close()
		for i := range pf.NumRowGroups() {
			if n := pf.MetaData().RowGroup(i).NumRows(); n > service.ParquetRowGroupRows {
				t.Errorf("row group %d has %d rows, more than a row group's %d", i, n, service.ParquetRowGroupRows)
			}
		}
		return pf.NumRows()
	}
	r, err := ipc.NewReader(f)
	if err != nil {
		t.Fatalf("Arrow stream: %v", err)
	}
	defer r.Release()
	var n int64
	batches := 0
	for r.Next() {
		n += r.RecordBatch().NumRows()
		batches++
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Arrow stream: %v", err)
	}
	if least := n / service.ColumnarBatchRows; int64(batches) < least {
		t.Errorf("%d rows in %d batches, want batches of at most %d rows", n, batches, service.ColumnarBatchRows)
	}
	return n
}
