package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// ReadColumnarFile and CheckColumnarFile are readColumnarFile and
// checkColumnarFile, for the tests of package service_test.
var (
	ReadColumnarFile  = readColumnarFile
	CheckColumnarFile = checkColumnarFile
)

// ColumnarBatchRows is the most rows of one Arrow record batch, and
// ParquetRowGroupRows of one Parquet row group.
const (
	ColumnarBatchRows   = columnarBatchRows
	ParquetRowGroupRows = parquetRowGroupRows
)

// columnarFile is an Arrow or Parquet file read back with arrow-go.
type columnarFile struct {
	Schema    *arrow.Schema
	Records   []arrow.RecordBatch // released when the test ends
	RowGroups []int64             // Parquet: the rows of each row group
}

// rows is the number of rows of the file.
func (f *columnarFile) rows() int64 {
	var n int64
	for _, r := range f.Records {
		n += r.NumRows()
	}
	return n
}

// readColumnarFile reads a whole Arrow IPC stream or Parquet file.
func readColumnarFile(t testing.TB, format modeplatformv1.ExportQueryResultsRequest_Format, data []byte) *columnarFile {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	out := &columnarFile{}
	t.Cleanup(func() {
		for _, r := range out.Records {
			r.Release()
		}
		mem.AssertSize(t, 0)
	})
	switch format {
	case modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW:
		r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem))
		if err != nil {
			t.Fatalf("ipc.NewReader: %v", err)
		}
		defer r.Release()
		out.Schema = r.Schema()
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain()
			out.Records = append(out.Records, rec)
		}
		if err := r.Err(); err != nil {
			t.Fatalf("reading the Arrow stream: %v", err)
		}
	case modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET:
		pf, err := file.NewParquetReader(bytes.NewReader(data), file.WithReadProps(nil))
		if err != nil {
			t.Fatalf("file.NewParquetReader: %v", err)
		}
		defer pf.Close()
		for i := range pf.NumRowGroups() {
			out.RowGroups = append(out.RowGroups, pf.MetaData().RowGroup(i).NumRows())
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 10_000}, mem)
		if err != nil {
			t.Fatalf("pqarrow.NewFileReader: %v", err)
		}
		sc, err := fr.Schema()
		if err != nil {
			t.Fatalf("Parquet schema: %v", err)
		}
		if out.Schema = sc; sc.NumFields() == 0 {
			return out // no column to read rows from (an empty result)
		}
		rr, err := fr.GetRecordReader(context.Background(), nil, nil)
		if err != nil {
			t.Fatalf("GetRecordReader: %v", err)
		}
		defer rr.Release()
		out.Schema = rr.Schema()
		for rr.Next() {
			rec := rr.RecordBatch()
			rec.Retain()
			out.Records = append(out.Records, rec)
		}
		if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("reading the Parquet file: %v", err)
		}
	default:
		t.Fatalf("not a columnar format: %v", format)
	}
	return out
}

// checkColumnarFile reads an exported Arrow or Parquet file with arrow-go
// and checks that it holds exactly the rows of Mode's JSON result body: the
// same columns in the same order, and in every row each value equal to the
// JSON one under its column's type (a null for a null). It returns the
// file's schema, for the caller to check the types.
func checkColumnarFile(t testing.TB, format modeplatformv1.ExportQueryResultsRequest_Format, data, jsonBody []byte) *arrow.Schema {
	t.Helper()
	f := readColumnarFile(t, format, data)
	rr, err := modeclient.NewRowReader(io.NopCloser(bytes.NewReader(jsonBody)), "json")
	if err != nil {
		t.Fatalf("reading the JSON result: %v", err)
	}
	cols := rr.Columns()
	if got := f.Schema.NumFields(); got != len(cols) {
		t.Fatalf("%v file has %d columns (%v), the JSON result %d (%v)", format, got, f.Schema, len(cols), cols)
	}
	for i, c := range cols {
		if name := f.Schema.Field(i).Name; name != c {
			t.Fatalf("%v column %d is %q, the JSON's %q", format, i, name, c)
		}
	}
	var pos int64
	for _, rec := range f.Records {
		for i := range int(rec.NumRows()) {
			row, err := rr.Next()
			if err != nil {
				t.Fatalf("%v file has more rows than the JSON result (%d): %v", format, pos, err)
			}
			for c := range cols {
				if msg := columnarValueMismatch(rec.Column(c), i, row[c]); msg != "" {
					t.Fatalf("%v row %d column %q: %s", format, pos, cols[c], msg)
				}
			}
			pos++
		}
	}
	if _, err := rr.Next(); err != io.EOF {
		t.Fatalf("%v file has %d rows, the JSON result more (%v)", format, pos, err)
	}
	return f.Schema
}

// columnarValueMismatch compares value i of arr with the JSON value want:
// "" when they are equal, else what differs.
func columnarValueMismatch(arr arrow.Array, i int, want any) string {
	if arr.IsNull(i) || want == nil {
		if arr.IsNull(i) && want == nil {
			return ""
		}
		return "null on one side only: file " + arr.ValueStr(i) + ", JSON " + jsonText(want)
	}
	bad := func(got any) string {
		return "file " + strconv.Quote(jsonText(got)) + ", JSON " + strconv.Quote(jsonText(want))
	}
	num, _ := want.(json.Number)
	str, _ := want.(string)
	switch a := arr.(type) {
	case *array.Int64:
		if w, err := strconv.ParseInt(string(num), 10, 64); err != nil || w != a.Value(i) {
			return bad(json.Number(strconv.FormatInt(a.Value(i), 10)))
		}
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		got := new(big.Rat).SetFrac(a.Value(i).BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
		w, ok := new(big.Rat).SetString(string(num))
		if !ok || w.Cmp(got) != 0 {
			return bad(got.FloatString(int(scale)))
		}
	case *array.Float64:
		if w, err := strconv.ParseFloat(string(num), 64); err != nil || w != a.Value(i) {
			return bad(json.Number(strconv.FormatFloat(a.Value(i), 'g', -1, 64)))
		}
	case *array.Boolean:
		if w, ok := want.(bool); !ok || w != a.Value(i) {
			return bad(a.Value(i))
		}
	case *array.Date32:
		w, err := modeclient.ParseTime(str)
		if got := a.Value(i).ToTime(); err != nil || !got.Equal(w) {
			return bad(got.Format(time.DateOnly))
		}
	case *array.Timestamp:
		w, err := modeclient.ParseTime(str)
		if got := time.UnixMicro(int64(a.Value(i))); err != nil || !got.Equal(w) {
			return bad(got.UTC().Format(time.RFC3339Nano))
		}
	case *array.String:
		if got := a.Value(i); got != jsonText(want) {
			return bad(got)
		}
	default:
		return "unexpected Arrow type " + arr.DataType().String()
	}
	return ""
}

// columnarFormats are the columnar formats, every test runs over both.
var columnarFormats = []modeplatformv1.ExportQueryResultsRequest_Format{
	modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW,
	modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET,
}

// exportJSON runs a columnarExport of a JSON result body with small
// bounds and returns the file (or the error).
func exportJSON(t *testing.T, format modeplatformv1.ExportQueryResultsRequest_Format, body string, sampleRows, batchRows int) ([]byte, error) {
	t.Helper()
	rr, err := modeclient.NewRowReaderWithLimits(io.NopCloser(strings.NewReader(body)), "json", modeclient.RowLimits{MaxRowBytes: columnarMaxRowBytes})
	if err != nil {
		t.Fatalf("NewRowReader: %v", err)
	}
	var got []byte
	out := &chunkSender{buf: make([]byte, 0, 100), send: func(p []byte) error { got = append(got, p...); return nil }}
	x := &columnarExport{
		rr: rr, name: "workspaces/w/reports/r/runs/1/queryRuns/q", format: format, out: out, mem: memory.DefaultAllocator,
		sampleRows: sampleRows, sampleBytes: columnarSampleBytes, batchRows: batchRows, batchBytes: columnarBatchBytes,
		rowGroupRows: batchRows, rowGroupBytes: parquetRowGroupBytes,
	}
	if err := x.run(); err != nil {
		return got, err
	}
	return got, out.flush()
}

// typedResult is a result with a column of each kind, nulls in every one
// of them, and values at their edges.
const typedResult = `[
{"id":1,"big":9223372036854775807,"amount":12.5,"wide":123456789012345678901234567890.12,"ratio":1.5e-7,"ok":true,"day":"2014-01-01","at":"2014-01-01T00:00:00.000Z","zoned":"2015-06-30T23:59:59.123456+02:00","local":"2016-02-29 12:00:00","name":"Ünïcödé \"quoted\"","mixed":1,"nothing":null,"obj":{"a":[1,2]}},
{"id":-2,"big":-9223372036854775808,"amount":-0.01,"wide":-1,"ratio":3,"ok":false,"day":"1969-12-31","at":"1900-01-01T12:34:56.789Z","zoned":"2015-07-01T00:00:00-07:00","local":"2016-03-01 00:00:00","name":"","mixed":"two","nothing":null,"obj":[true,null]},
{"id":null,"big":null,"amount":null,"wide":null,"ratio":null,"ok":null,"day":null,"at":null,"zoned":null,"local":null,"name":null,"mixed":true,"nothing":null,"obj":null},
{"id":0,"big":0,"amount":100,"wide":0.00,"ratio":-2.5E+10,"ok":true,"day":"2099-12-31","at":"2262-04-11T23:47:16.854775Z","zoned":"2000-01-01T00:00:00Z","local":"1970-01-01 00:00:00","name":"\n\t","mixed":1.5,"nothing":null,"obj":"text"}
]`

// typedResultTypes are the Arrow types typedResult's columns take.
var typedResultTypes = map[string]string{
	"id":      "int64",
	"big":     "int64",
	"amount":  "decimal(38, 2)",
	"wide":    "decimal(38, 2)",
	"ratio":   "float64",
	"ok":      "bool",
	"day":     "date32",
	"at":      "timestamp[us, tz=UTC]",
	"zoned":   "timestamp[us, tz=UTC]",
	"local":   "timestamp[us, tz=UTC]",
	"name":    "utf8",
	"mixed":   "utf8",
	"nothing": "utf8",
	"obj":     "utf8",
}

// TestColumnarExportTypes exports a result holding every kind of value
// Mode's JSON has (booleans included, which the emulator's SQLite never
// returns), reads it back with arrow-go and compares it with the JSON, value
// by value, and the column types with the documented mapping.
func TestColumnarExportTypes(t *testing.T) {
	for _, format := range columnarFormats {
		for _, batch := range []int{1, 3, 1000} {
			t.Run(format.String()+"/batch"+strconv.Itoa(batch), func(t *testing.T) {
				data, err := exportJSON(t, format, typedResult, 1000, batch)
				if err != nil {
					t.Fatalf("export: %v", err)
				}
				schema := checkColumnarFile(t, format, data, []byte(typedResult))
				for _, f := range schema.Fields() {
					if want := typedResultTypes[f.Name]; f.Type.String() != want || !f.Nullable {
						t.Errorf("column %q is %s (nullable %v), want nullable %s", f.Name, f.Type, f.Nullable, want)
					}
				}
				if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET {
					f := readColumnarFile(t, format, data)
					if want := (4 + batch - 1) / batch; len(f.RowGroups) != want {
						t.Errorf("%d row groups %v, want %d of at most %d rows", len(f.RowGroups), f.RowGroups, want, batch)
					}
				}
			})
		}
	}
}

// TestColumnarExportEdges: empty results, a sample smaller than the result
// (later values typed by the first rows), and later values that do not fit
// their column's type.
func TestColumnarExportEdges(t *testing.T) {
	fits := `[{"n":1,"s":"a","t":"2014-01-01"},{"n":2,"s":null,"t":null},{"n":3,"s":4,"t":"2014-01-02"},{"n":null,"s":true,"t":"2014-01-03"}]`
	cases := []struct {
		name     string
		body     string
		sample   int
		column   string // the column of the mismatch, "" for none
		rowOff   string
		wantType map[string]string
	}{
		{"empty array", `[]`, 10, "", "", map[string]string{}},
		{"empty body", ``, 10, "", "", map[string]string{}},
		{"later values fit", fits, 1, "", "", map[string]string{"n": "int64", "s": "utf8", "t": "date32"}},
		{"fraction in an integer column", `[{"n":1},{"n":2},{"n":2.5}]`, 2, "n", "2", nil},
		{"text in a number column", `[{"n":1.25},{"n":"x"}]`, 1, "n", "1", nil},
		{"more fraction digits than the sample's", `[{"n":1.25},{"n":1.5},{"n":1.2500},{"n":1.255}]`, 2, "n", "3", nil},
		{"exponent in a decimal column", `[{"n":1.25},{"n":1e-7}]`, 1, "n", "1", nil},
		{"a time in a date column", `[{"d":"2014-01-01"},{"d":"2014-01-01T10:00:00Z"}]`, 1, "d", "1", nil},
		{"a number in a boolean column", `[{"b":true},{"b":0}]`, 1, "b", "1", nil},
		{"a number too wide for int64", `[{"n":1},{"n":9223372036854775808}]`, 1, "n", "1", nil},
	}
	for _, format := range columnarFormats {
		for _, tc := range cases {
			t.Run(format.String()+"/"+tc.name, func(t *testing.T) {
				data, err := exportJSON(t, format, tc.body, tc.sample, 2)
				if tc.column == "" {
					if err != nil {
						t.Fatalf("export: %v", err)
					}
					body := tc.body
					if body == "" {
						body = "[]"
					}
					schema := checkColumnarFile(t, format, data, []byte(body))
					for _, f := range schema.Fields() {
						if f.Type.String() != tc.wantType[f.Name] {
							t.Errorf("column %q is %s, want %s", f.Name, f.Type, tc.wantType[f.Name])
						}
					}
					return
				}
				var ce *connect.Error
				if !errors.As(err, &ce) || ce.Code() != connect.CodeFailedPrecondition {
					t.Fatalf("err %v, want FailedPrecondition", err)
				}
				if !strings.Contains(ce.Message(), strconv.Quote(tc.column)) || !strings.Contains(ce.Message(), "FORMAT_CSV") {
					t.Errorf("message %q names neither the column nor the way out", ce.Message())
				}
				info := errorInfoOf(ce)
				if info.GetReason() != ReasonResultColumnTypeMismatch || info.GetMetadata()["column"] != tc.column ||
					info.GetMetadata()["row_offset"] != tc.rowOff || info.GetMetadata()["arrow_type"] == "" {
					t.Errorf("ErrorInfo %v, want %s for column %s at row %s", info, ReasonResultColumnTypeMismatch, tc.column, tc.rowOff)
				}
			})
		}
	}
}

// TestColumnarExportDeterministic: the same result makes the same bytes
// (what resuming by byte offset relies on), and a read cut short sends only
// whole batches' bytes, a prefix of the whole file, then Unavailable with
// the offset to resume from.
func TestColumnarExportDeterministic(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"i":` + strconv.Itoa(i) + `,"x":` + strconv.Itoa(i) + `.5,"s":"row ` + strconv.Itoa(i) + `"}`)
	}
	whole := b.String() + "]"
	for _, format := range columnarFormats {
		t.Run(format.String(), func(t *testing.T) {
			first, err := exportJSON(t, format, whole, 10, 7)
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			second, err := exportJSON(t, format, whole, 10, 7)
			if err != nil || !bytes.Equal(first, second) {
				t.Fatalf("two exports of one result differ (%d and %d bytes, %v)", len(first), len(second), err)
			}
			cut := whole[:len(whole)/2]
			part, err := exportJSON(t, format, cut, 10, 7)
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != connect.CodeUnavailable {
				t.Fatalf("cut result: err %v, want Unavailable", err)
			}
			if len(part) == 0 || !bytes.HasPrefix(first, part) {
				t.Fatalf("cut result sent %d bytes, not a prefix of the %d-byte file", len(part), len(first))
			}
			if got := errorInfoOf(ce).GetMetadata()["resume_offset"]; got != strconv.Itoa(len(part)) {
				t.Errorf("resume_offset %q, want %d", got, len(part))
			}
		})
	}
}

// errorInfoOf is ce's ErrorInfo, or nil.
func errorInfoOf(ce *connect.Error) *errdetails.ErrorInfo {
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if info, ok := v.(*errdetails.ErrorInfo); ok {
				return info
			}
		}
	}
	return nil
}

// TestParseNumberLiteral pins how a JSON number's text is judged.
func TestParseNumberLiteral(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want numberLiteral
	}{
		{"0", numberLiteral{int64: true, plain: true}},
		{"-12", numberLiteral{int64: true, plain: true, intDigits: 2}},
		{"9223372036854775808", numberLiteral{plain: true, intDigits: 19}},
		{"0.050", numberLiteral{plain: true, scale: 3}},
		{"-123.4", numberLiteral{plain: true, intDigits: 3, scale: 1}},
		{"1e5", numberLiteral{}},
		{"1.5E-7", numberLiteral{}},
	} {
		if got := parseNumberLiteral(tc.in); got != tc.want {
			t.Errorf("parseNumberLiteral(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in    string
		scale int32
		want  string // "" when it does not fit
	}{
		{"12.5", 2, "1250"},
		{"-0.01", 2, "-1"},
		{"100", 2, "10000"},
		{"1.2500", 2, "125"},
		{"1.255", 2, ""},
		{"1e2", 2, ""},
		{"123456789012345678901234567890.12", 2, "12345678901234567890123456789012"},
		{"123456789012345678901234567890123456789", 0, ""},
	} {
		n, ok := decimalOf(tc.in, tc.scale)
		if got := n.BigInt().String(); ok != (tc.want != "") || ok && got != tc.want {
			t.Errorf("decimalOf(%q, %d) = %s, %v; want %q", tc.in, tc.scale, got, ok, tc.want)
		}
	}
}

// peakAllocator counts the bytes allocated through it and remembers the
// most held at once.
type peakAllocator struct {
	mem       memory.Allocator
	mu        sync.Mutex
	cur, peak int
}

func (a *peakAllocator) add(n int) {
	a.mu.Lock()
	a.cur += n
	a.peak = max(a.peak, a.cur)
	a.mu.Unlock()
}

// Allocate implements memory.Allocator.
func (a *peakAllocator) Allocate(size int) []byte {
	a.add(size)
	return a.mem.Allocate(size)
}

// Reallocate implements memory.Allocator.
func (a *peakAllocator) Reallocate(size int, b []byte) []byte {
	a.add(size - len(b))
	return a.mem.Reallocate(size, b)
}

// Free implements memory.Allocator.
func (a *peakAllocator) Free(b []byte) {
	a.add(-len(b))
	a.mem.Free(b)
}

// generatedResult is Mode's JSON of n rows, made while it is read.
type generatedResult struct {
	n, next int
	buf     []byte
	done    bool
}

func (g *generatedResult) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.done:
			return 0, io.EOF
		case g.next == 0 && g.buf == nil:
			g.buf = append(g.buf, '[')
		case g.next == g.n:
			g.buf, g.done = append(g.buf, ']'), true
		default:
			i := g.next
			if i > 0 {
				g.buf = append(g.buf, ',')
			}
			g.buf = fmt.Appendf(g.buf, `{"id":%d,"amount":%d.%02d,"at":"2014-01-01T00:%02d:%02d.000Z","label":"row-%d"}`, i, i%10000, i%100, i/60%60, i%60, i)
			g.next++
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	if len(g.buf) == 0 {
		g.buf = g.buf[:0]
	}
	return n, nil
}

// TestColumnarExportHoldsOneBatch exports a generated result of 64 record
// batches and checks, through the allocator the builders and encoders
// allocate from, that the Arrow memory held at once stays below an eighth
// of the whole result's Arrow data (the size of its Arrow file) — a few
// batches' worth — and that the file holds every row.
func TestColumnarExportHoldsOneBatch(t *testing.T) {
	rows := 200_000
	if raceEnabled() {
		rows = 40_000
	}
	var arrowSize int64 // the Arrow file's, exported first
	for _, format := range columnarFormats {
		t.Run(format.String(), func(t *testing.T) {
			rr, err := modeclient.NewRowReader(io.NopCloser(&generatedResult{n: rows}), "json")
			if err != nil {
				t.Fatal(err)
			}
			mem := &peakAllocator{mem: memory.DefaultAllocator}
			var file bytes.Buffer
			out := &chunkSender{buf: make([]byte, 0, 64<<10), send: func(p []byte) error {
				file.Write(p)
				return nil
			}}
			x := newColumnarExport(rr, "q", format, out)
			x.mem, x.sampleRows, x.batchRows, x.rowGroupRows = mem, 1000, rows/64, rows/64
			if err := x.run(); err != nil {
				t.Fatal(err)
			}
			if err := out.flush(); err != nil {
				t.Fatal(err)
			}
			f := readColumnarFile(t, format, file.Bytes())
			if n := f.rows(); n != int64(rows) {
				t.Fatalf("file has %d rows, want %d", n, rows)
			}
			if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW {
				arrowSize = int64(file.Len())
			}
			bound := int(arrowSize / 8)
			t.Logf("%d rows, %.1f MB file; Arrow memory peak %.2f MB (bound %.2f MB), now %d bytes", rows, float64(file.Len())/(1<<20), float64(mem.peak)/(1<<20), float64(bound)/(1<<20), mem.cur)
			if mem.peak > bound {
				t.Errorf("the export held %d bytes of Arrow memory at once, want at most %d (an eighth of the result's Arrow data)", mem.peak, bound)
			}
			if mem.cur != 0 {
				t.Errorf("%d bytes of Arrow memory still held after the export", mem.cur)
			}
		})
	}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}
