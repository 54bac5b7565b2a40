package service

import (
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Arrow and Parquet exports (ExportQueryResults FORMAT_ARROW and
// FORMAT_PARQUET). Mode's JSON result is read row by row (as
// StreamQueryResults reads it), its columns typed from the values of a
// sample of its first rows (the values Column.type is judged from, told
// apart more finely: see columnarKind), and the rows appended to Arrow
// builders that become a record batch when full (see the bounds below).
// Each batch is written as it fills: as an IPC message of an Arrow stream,
// or into a Parquet row group, whose encoded pages are written out when it
// is full. The encoders write into a chunkSender, which sends
// ExportChunkBytes at a time. So the server holds the sample (until the
// first batch is full), one batch, the encoder's copy of it (a row group's
// compressed pages for Parquet) and one chunk, whatever the size of the
// result.
//
// The output is a function of Mode's JSON alone (the types, the batch
// boundaries and both encoders are deterministic), so a broken export
// resumes by byte offset like a CSV one: the file is made again and the
// bytes before the offset dropped.

// Bounds of an Arrow or Parquet export; the proto's comment on FORMAT_ARROW
// states them.
const (
	columnarSampleRows  = 10_000
	columnarSampleBytes = 2 << 20
	columnarMaxRowBytes = 16 << 20
	// The record batches of an Arrow stream.
	columnarBatchRows  = 65_536
	columnarBatchBytes = 4 << 20
	// A Parquet file's row groups (rows, and compressed bytes held until
	// the group is written), and the smaller record batches that fill
	// them: the Parquet writer converts each batch into buffers of its
	// own, so smaller batches keep its memory low.
	parquetRowGroupRows  = 65_536
	parquetRowGroupBytes = 4 << 20
	parquetBatchRows     = 8_192
	parquetBatchBytes    = 512 << 10
)

// Media types of the exported files.
const (
	mediaTypeCSV     = "text/csv"
	mediaTypeJSON    = "application/json"
	mediaTypeArrow   = "application/vnd.apache.arrow.stream"
	mediaTypeParquet = "application/vnd.apache.parquet"
)

// ReasonResultColumnTypeMismatch: a value of a query result does not fit
// the Arrow type its column was given from the result's first rows
// (ExportQueryResults FORMAT_ARROW, FORMAT_PARQUET; FailedPrecondition,
// metadata column, row_offset and arrow_type). Export it as CSV or JSON.
// Part of the contract like the reasons of errors.go.
const ReasonResultColumnTypeMismatch = "RESULT_COLUMN_TYPE_MISMATCH"

// decimalPrecision is the precision of every decimal column: the most
// decimal128 holds, so that later values with more integer digits than
// the sample's still fit.
const decimalPrecision = 38

// columnarKind is the Arrow type of an exported column.
type columnarKind uint8

const (
	kindUTF8      columnarKind = iota // text, mixed kinds, or no value in the sample
	kindInt64                         // integers within 64 bits
	kindDecimal                       // numbers without an exponent, at most 38 digits
	kindFloat64                       // other numbers
	kindBool                          // true and false
	kindDate32                        // dates, 2006-01-02
	kindTimestamp                     // points in time, to the microsecond
)

// columnarColumn is the type of one exported column.
type columnarColumn struct {
	kind  columnarKind
	scale int32 // kindDecimal's
}

// arrowType is the column's Arrow type.
func (c columnarColumn) arrowType() arrow.DataType {
	switch c.kind {
	case kindInt64:
		return arrow.PrimitiveTypes.Int64
	case kindDecimal:
		return &arrow.Decimal128Type{Precision: decimalPrecision, Scale: c.scale}
	case kindFloat64:
		return arrow.PrimitiveTypes.Float64
	case kindBool:
		return arrow.FixedWidthTypes.Boolean
	case kindDate32:
		return arrow.FixedWidthTypes.Date32
	case kindTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// numberStats is what the sample's numbers of one column were.
type numberStats struct {
	notInt64  bool // a value that is not an integer of 64 bits
	notPlain  bool // a value with an exponent
	intDigits int  // the most digits before the point (leading zeros aside)
	scale     int  // the most digits after the point
}

// timeStats is what the sample's dates and times of one column were.
type timeStats struct {
	notDate  bool // a point in time, not a date
	subMicro bool // a value finer than the microsecond
}

// columnarTyper judges the columns' Arrow types from the rows it observes:
// columnTyper's kinds (Column.type's), with numbers and times told apart.
type columnarTyper struct {
	base  *columnTyper
	nums  []numberStats
	times []timeStats
}

func newColumnarTyper(width int) *columnarTyper {
	return &columnarTyper{base: newColumnTyper(width), nums: make([]numberStats, width), times: make([]timeStats, width)}
}

// observe merges a row's values into the columns' statistics.
func (t *columnarTyper) observe(row modeclient.Row) {
	t.base.observe(row)
	for i, v := range row {
		if i >= len(t.nums) {
			break
		}
		switch x := v.(type) {
		case json.Number:
			n := &t.nums[i]
			lit := parseNumberLiteral(string(x))
			n.notInt64 = n.notInt64 || !lit.int64
			n.notPlain = n.notPlain || !lit.plain
			n.intDigits = max(n.intDigits, lit.intDigits)
			n.scale = max(n.scale, lit.scale)
		case string:
			if !looksLikeResultTimestamp(x) {
				continue
			}
			tm, _ := modeclient.ParseTime(x)
			s := &t.times[i]
			s.notDate = s.notDate || !isDateOnly(x)
			s.subMicro = s.subMicro || tm.Nanosecond()%1000 != 0
		}
	}
}

// column is column i's type.
func (t *columnarTyper) column(i int) columnarColumn {
	switch t.base.kinds[i] {
	case resultKindNumber:
		n := t.nums[i]
		switch {
		case !n.notInt64:
			return columnarColumn{kind: kindInt64}
		case !n.notPlain && n.intDigits+n.scale <= decimalPrecision:
			return columnarColumn{kind: kindDecimal, scale: int32(n.scale)}
		}
		return columnarColumn{kind: kindFloat64}
	case resultKindBool:
		return columnarColumn{kind: kindBool}
	case resultKindTimestamp:
		s := t.times[i]
		switch {
		case s.subMicro:
			return columnarColumn{kind: kindUTF8} // no loss: such values stay text
		case !s.notDate:
			return columnarColumn{kind: kindDate32}
		}
		return columnarColumn{kind: kindTimestamp}
	}
	return columnarColumn{kind: kindUTF8}
}

// numberLiteral describes a JSON number's text.
type numberLiteral struct {
	int64     bool // an integer that fits in 64 bits
	plain     bool // no exponent
	intDigits int  // digits before the point, leading zeros aside
	scale     int  // digits after the point
}

// parseNumberLiteral reads a JSON number's text (modeclient hands numbers
// over as their text, json.Number).
func parseNumberLiteral(s string) numberLiteral {
	var lit numberLiteral
	if strings.ContainsAny(s, "eE") {
		return lit
	}
	lit.plain = true
	ip, fp, hasPoint := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	lit.intDigits = len(strings.TrimLeft(ip, "0"))
	lit.scale = len(fp)
	if !hasPoint {
		_, err := strconv.ParseInt(s, 10, 64)
		lit.int64 = err == nil
	}
	return lit
}

// isDateOnly reports whether s, a value looksLikeResultTimestamp accepts,
// is a date without a time.
func isDateOnly(s string) bool { return len(s) == len(time.DateOnly) }

// decimalOf is the decimal of a plain JSON number's text at scale, or false
// when the number has an exponent, more fraction digits than scale (other
// than zeros), or more than 38 digits at that scale.
func decimalOf(s string, scale int32) (decimal128.Num, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if strings.ContainsAny(s, "eE") {
		return decimal128.Num{}, false
	}
	ip, fp, _ := strings.Cut(s, ".")
	if len(strings.TrimRight(fp, "0")) > int(scale) {
		return decimal128.Num{}, false
	}
	var buf [2 * decimalPrecision]byte
	digits := append(buf[:0], strings.TrimLeft(ip, "0")...)
	for i := range int(scale) {
		if i < len(fp) {
			digits = append(digits, fp[i])
		} else {
			digits = append(digits, '0')
		}
	}
	if len(digits) > decimalPrecision {
		return decimal128.Num{}, false
	}
	var n decimal128.Num
	if len(digits) <= 18 {
		var u uint64
		for _, c := range digits {
			if c < '0' || c > '9' {
				return decimal128.Num{}, false
			}
			u = u*10 + uint64(c-'0')
		}
		n = decimal128.FromU64(u)
	} else {
		b, ok := new(big.Int).SetString(string(digits), 10)
		if !ok {
			return decimal128.Num{}, false
		}
		n = decimal128.FromBigInt(b)
	}
	if neg {
		n = n.Negate()
	}
	return n, true
}

// jsonText is a value's JSON text, for a utf8 column holding a value of
// another kind.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "" // the decoder made v from JSON: it always encodes
	}
	return string(b)
}

// appendValue appends v to column c's builder; false when v does not fit
// the column's type. It returns the bytes v adds to the batch.
func appendValue(b array.Builder, c columnarColumn, v any) (int, bool) {
	if v == nil {
		b.AppendNull()
		return 1, true
	}
	switch c.kind {
	case kindUTF8:
		s := jsonText(v)
		b.(*array.StringBuilder).Append(s)
		return len(s) + 4, true
	case kindInt64:
		n, ok := v.(json.Number)
		if !ok {
			return 0, false
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return 0, false
		}
		b.(*array.Int64Builder).Append(i)
		return 8, true
	case kindDecimal:
		n, ok := v.(json.Number)
		if !ok {
			return 0, false
		}
		d, ok := decimalOf(string(n), c.scale)
		if !ok {
			return 0, false
		}
		b.(*array.Decimal128Builder).Append(d)
		return 16, true
	case kindFloat64:
		n, ok := v.(json.Number)
		if !ok {
			return 0, false
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, false
		}
		b.(*array.Float64Builder).Append(f)
		return 8, true
	case kindBool:
		x, ok := v.(bool)
		if !ok {
			return 0, false
		}
		b.(*array.BooleanBuilder).Append(x)
		return 1, true
	case kindDate32, kindTimestamp:
		s, ok := v.(string)
		if !ok || !looksLikeResultTimestamp(s) {
			return 0, false
		}
		t, _ := modeclient.ParseTime(s)
		if c.kind == kindDate32 {
			if !isDateOnly(s) {
				return 0, false
			}
			b.(*array.Date32Builder).Append(arrow.Date32FromTime(t))
			return 4, true
		}
		if t.Nanosecond()%1000 != 0 {
			return 0, false
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		return 8, true
	}
	return 0, false
}

// columnarEncoder writes record batches into a file format.
type columnarEncoder interface {
	write(rec arrow.RecordBatch) error
	close() error // writes the file's end
}

type arrowEncoder struct{ w *ipc.Writer }

func (e arrowEncoder) write(rec arrow.RecordBatch) error { return e.w.Write(rec) }
func (e arrowEncoder) close() error                      { return e.w.Close() }

// parquetEncoder appends record batches to a buffered row group, which
// the writer writes out when it reaches its most rows; a group holding
// maxBytes compressed bytes is ended before the next batch.
type parquetEncoder struct {
	w        *pqarrow.FileWriter
	maxBytes int64
}

func (e *parquetEncoder) write(rec arrow.RecordBatch) error {
	if e.w.RowGroupTotalCompressedBytes() >= e.maxBytes {
		if err := e.w.NewBufferedRowGroupChecked(); err != nil {
			return err
		}
	}
	return e.w.WriteBuffered(rec)
}

func (e *parquetEncoder) close() error { return e.w.Close() }

// newColumnarEncoder starts a file of x's format with schema on x.out;
// dict tells the columns a Parquet file encodes with a dictionary.
func (x *columnarExport) newEncoder(schema *arrow.Schema, dict []bool) (columnarEncoder, error) {
	format, w, mem := x.format, x.out, x.mem
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW {
		return arrowEncoder{ipc.NewWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(mem))}, nil
	}
	// Dictionary encoding only for the columns dict names: text whose
	// values repeat (names, categories). For mostly distinct values its
	// hash tables cost more time and memory than they save.
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(int64(x.rowGroupRows)),
		parquet.WithDictionaryDefault(false),
	}
	for i, f := range schema.Fields() {
		if dict[i] {
			opts = append(opts, parquet.WithDictionaryFor(f.Name, true))
		}
	}
	props := parquet.NewWriterProperties(opts...)
	fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, errorf("starting the Parquet file: %w", err)
	}
	return &parquetEncoder{w: fw, maxBytes: int64(x.rowGroupBytes)}, nil
}

// chunkSender is the io.Writer an encoder writes the file into: it drops
// the bytes before the request's offset and sends the others in chunks of
// its buffer's capacity.
type chunkSender struct {
	buf  []byte
	skip int64 // bytes still to drop
	made int64 // bytes written, dropped ones included
	sent int64 // offset after the last byte sent: where to resume
	send func([]byte) error
}

// Write implements io.Writer.
func (c *chunkSender) Write(p []byte) (int, error) {
	n := len(p)
	c.made += int64(n)
	if c.skip > 0 {
		d := min(c.skip, int64(len(p)))
		p, c.skip = p[d:], c.skip-d
	}
	for len(p) > 0 {
		k := copy(c.buf[len(c.buf):cap(c.buf)], p)
		c.buf, p = c.buf[:len(c.buf)+k], p[k:]
		if len(c.buf) == cap(c.buf) {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush sends the buffered bytes.
func (c *chunkSender) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := c.send(c.buf)
	if err == nil {
		c.sent += int64(len(c.buf))
	}
	c.buf = c.buf[:0]
	return err
}

// columnarExport is one Arrow or Parquet export in progress.
type columnarExport struct {
	rr     *modeclient.RowReader
	name   string // the query run, for errors
	format modeplatformv1.ExportQueryResultsRequest_Format
	out    *chunkSender
	mem    memory.Allocator

	// Bounds, the constants above outside tests: the type sample, the
	// record batches, and (Parquet) the row groups.
	sampleRows, sampleBytes, batchRows, batchBytes, rowGroupRows, rowGroupBytes int
}

// newColumnarExport is the export of rr's rows in format into out, with the
// bounds of the format.
func newColumnarExport(rr *modeclient.RowReader, name string, format modeplatformv1.ExportQueryResultsRequest_Format, out *chunkSender) *columnarExport {
	x := &columnarExport{
		rr: rr, name: name, format: format, out: out, mem: memory.DefaultAllocator,
		sampleRows: columnarSampleRows, sampleBytes: columnarSampleBytes,
		batchRows: columnarBatchRows, batchBytes: columnarBatchBytes,
	}
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET {
		x.batchRows, x.batchBytes = parquetBatchRows, parquetBatchBytes
		x.rowGroupRows, x.rowGroupBytes = parquetRowGroupRows, parquetRowGroupBytes
	}
	return x
}

// run writes the whole file into out; its last bytes stay in out's buffer
// for the caller to flush. A result read cut short sends the bytes made so
// far (a prefix of the whole file) and ends with Unavailable and the offset
// to resume from.
func (x *columnarExport) run() error {
	names := x.rr.Columns()
	typer := newColumnarTyper(len(names))
	var sample []modeclient.Row
	var readErr error
	for size := 0; len(sample) < x.sampleRows && size < x.sampleBytes; {
		row, err := x.rr.Next()
		if err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
		typer.observe(row)
		sample = append(sample, row)
		size += approxResultRowBytes(row)
	}
	cols := make([]columnarColumn, len(names))
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		cols[i] = typer.column(i)
		fields[i] = arrow.Field{Name: n, Type: cols[i].arrowType(), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	enc, err := x.newEncoder(schema, repeatedText(cols, sample))
	if err != nil {
		return connect.NewError(connect.CodeInternal, err)
	}
	b := &columnarBatch{x: x, cols: cols, rb: array.NewRecordBuilder(x.mem, schema), enc: enc}
	defer b.rb.Release()

	for _, row := range sample {
		if err := b.add(row); err != nil {
			return err
		}
	}
	sample = nil
	for readErr == nil {
		row, err := x.rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		if err := b.add(row); err != nil {
			return err
		}
	}
	if readErr != nil {
		// The rows of the unfinished batch are not sent: cut elsewhere, the
		// batch would differ from the whole file's. The bytes made so far are.
		if err := x.out.flush(); err != nil {
			return err
		}
		return columnarReadError(readErr, x.name, x.out.sent)
	}
	if err := b.flush(); err != nil {
		return err
	}
	if err := enc.close(); err != nil {
		return x.encodeError(err)
	}
	return nil
}

// encodeError is the error of an encoder that failed: its writer's error
// (a failed Send) as it is, else Internal.
func (x *columnarExport) encodeError(err error) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	return connect.NewError(connect.CodeInternal, errorf("writing the %s file of %s: %w", formatLabel(x.format), x.name, err))
}

// repeatedText tells the utf8 columns whose values in the sample repeat: at
// most half of them distinct.
func repeatedText(cols []columnarColumn, sample []modeclient.Row) []bool {
	out := make([]bool, len(cols))
	seen := map[string]struct{}{}
	for i, c := range cols {
		if c.kind != kindUTF8 {
			continue
		}
		clear(seen)
		n := 0
		for _, row := range sample {
			if i < len(row) && row[i] != nil {
				seen[jsonText(row[i])] = struct{}{}
				n++
			}
		}
		out[i] = n > 0 && 2*len(seen) <= n
	}
	return out
}

// columnarReadError maps an error reading the result: a row too large is
// FailedPrecondition naming it, anything else as resultReadError does.
func columnarReadError(err error, name string, resume int64) error {
	var big *modeclient.RowTooLargeError
	if errors.As(err, &big) {
		e := connect.NewError(connect.CodeFailedPrecondition, errorf(
			"row at offset %d of %s is larger than the %d bytes an Arrow or Parquet export holds in one row: export the result as FORMAT_CSV or FORMAT_JSON",
			big.Row-1, name, big.Limit))
		errdetail.AddInfo(e, ReasonResultRowTooLarge, map[string]string{
			"query_run": name, "row_offset": strconv.FormatInt(big.Row-1, 10), "limit_bytes": strconv.Itoa(big.Limit),
		})
		return e
	}
	return resultReadError(err, name, resume)
}

// formatLabel names an export format in messages.
func formatLabel(f modeplatformv1.ExportQueryResultsRequest_Format) string {
	switch f {
	case modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW:
		return "Arrow"
	case modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET:
		return "Parquet"
	case modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON:
		return "JSON"
	}
	return "CSV"
}

// columnarBatch is the record batch being filled.
type columnarBatch struct {
	x     *columnarExport
	cols  []columnarColumn
	rb    *array.RecordBuilder
	enc   columnarEncoder
	pos   int64 // position of the next row in the result
	rows  int   // rows in the batch
	bytes int   // their approximate size in Arrow buffers
}

// add appends the row at b.pos, writing the batch when it is full.
func (b *columnarBatch) add(row modeclient.Row) error {
	for i, c := range b.cols {
		var v any
		if i < len(row) {
			v = row[i]
		}
		n, ok := appendValue(b.rb.Field(i), c, v)
		if !ok {
			return b.mismatch(i, v)
		}
		b.bytes += n
	}
	b.pos++
	b.rows++
	if b.rows >= b.x.batchRows || b.bytes >= b.x.batchBytes {
		return b.flush()
	}
	return nil
}

// flush writes the batch, if it holds rows.
func (b *columnarBatch) flush() error {
	if b.rows == 0 {
		return nil
	}
	rec := b.rb.NewRecordBatch()
	defer rec.Release()
	// The next batch is likely as long: room for its fixed-width values at
	// once rather than by doubling.
	b.rb.Reserve(b.rows)
	b.rows, b.bytes = 0, 0
	if err := b.enc.write(rec); err != nil {
		return b.x.encodeError(err)
	}
	return nil
}

// mismatch is the error of value v of column i, at b.pos, that does not
// fit the column's type.
func (b *columnarBatch) mismatch(i int, v any) error {
	col := b.x.rr.Columns()[i]
	typ := b.cols[i].arrowType().String()
	e := connect.NewError(connect.CodeFailedPrecondition, errorf(
		"row at offset %d of %s: column %q holds a %s, not a %s as its first rows (up to %d) said: export the result as FORMAT_CSV or FORMAT_JSON",
		b.pos, b.x.name, col, valueKindName(v), typ, b.x.sampleRows))
	errdetail.AddInfo(e, ReasonResultColumnTypeMismatch, map[string]string{
		"query_run": b.x.name, "column": col, "row_offset": strconv.FormatInt(b.pos, 10), "arrow_type": typ,
	})
	return e
}

// valueKindName names the kind of a result value in messages (never the
// value itself).
func valueKindName(v any) string {
	switch x := v.(type) {
	case json.Number:
		switch lit := parseNumberLiteral(string(x)); {
		case lit.int64:
			return "integer"
		case lit.plain:
			return "number of " + strconv.Itoa(lit.intDigits) + "+" + strconv.Itoa(lit.scale) + " digits"
		}
		return "number with an exponent"
	case bool:
		return "boolean"
	case string:
		if looksLikeResultTimestamp(x) {
			if isDateOnly(x) {
				return "date"
			}
			return "point in time"
		}
		return "text"
	case map[string]any:
		return "JSON object"
	case []any:
		return "JSON array"
	}
	return "value"
}
