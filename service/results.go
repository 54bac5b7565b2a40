package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/structpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Query results: StreamQueryResults (typed rows) and ExportQueryResults
// (Mode's file, byte for byte). Both read Mode's response as it arrives and
// hold at most one batch or one chunk, whatever the size of the result; a
// result is never cached (modeclient streams it), but the query run checked
// first is, once finished.

// maxRowsPerBatch is the largest max_rows_per_batch the contract allows.
const maxRowsPerBatch = 10_000

// StreamQueryResults streams a succeeded query run's result: a first
// response with the columns and their types, then the rows in batches of at
// most min(max_rows_per_batch, Options.StreamBatchRows) rows and about
// Options.StreamBatchBytes bytes, each response's offset being the position
// of its first row. The request's offset skips that many rows (to resume a
// broken stream).
//
// Column types are judged from the first Options.StreamBatchRows rows of the
// result (or fewer, about Options.StreamBatchBytes of them), whatever the
// offset, so that a resumed stream announces the same types.
func (s *ReportServer) StreamQueryResults(ctx context.Context, req *connect.Request[modeplatformv1.StreamQueryResultsRequest], stream *connect.ServerStream[modeplatformv1.StreamQueryResultsResponse]) error {
	m := req.Msg
	name := m.GetName()
	ids, err := parseQueryRunName("name", name)
	if err != nil {
		return err
	}
	if m.GetOffset() < 0 {
		return invalidArgument("offset", "must be 0 or more")
	}
	if n := m.GetMaxRowsPerBatch(); n < 0 || n > maxRowsPerBatch {
		return invalidArgument("max_rows_per_batch", "must be between 0 and "+strconv.Itoa(maxRowsPerBatch))
	}
	sc, ctx := s.core.startStream(ctx)
	defer sc.end()
	cl, err := s.core.client(ctx, ids[0])
	if err != nil {
		return err
	}
	if err := requireQueryResults(ctx, cl, ids, name); err != nil {
		return sc.fail(err, m.GetOffset())
	}
	opts := s.core.opts
	rr, err := cl.QueryResultRowsWithLimits(ctx, ids[0], ids[1], ids[2], ids[3], modeclient.RowLimits{
		MaxRowBytes: opts.MaxResultRowBytes, MaxValueBytes: opts.MaxResultValueBytes,
	})
	if err != nil {
		return sc.fail(resultReadError(err, name, m.GetOffset()), m.GetOffset())
	}
	defer rr.Close()

	limit := opts.StreamBatchRows
	if n := int(m.GetMaxRowsPerBatch()); n > 0 && n < limit {
		limit = n
	}
	rs := &resultStream{
		rr: rr, name: name, offset: m.GetOffset(), sent: m.GetOffset(), maxRow: opts.MaxResultRowBytes,
		b: newRowBatcher(limit, opts.StreamBatchBytes, len(rr.Columns())),
	}
	rs.send = func(msg *modeplatformv1.StreamQueryResultsResponse) error {
		return sc.send(func() error { return stream.Send(msg) })
	}
	if err := rs.run(opts.StreamBatchRows, opts.StreamBatchBytes); err != nil {
		return sc.fail(err, rs.sent)
	}
	return nil
}

// resultStream is one StreamQueryResults call in progress.
type resultStream struct {
	rr     *modeclient.RowReader
	name   string // the query run, for errors
	send   func(*modeplatformv1.StreamQueryResultsResponse) error
	offset int64 // rows to skip
	next   int64 // position of the next row read
	sent   int64 // position after the last row sent: where to resume
	maxRow int   // the largest encoded row
	b      *rowBatcher
}

// resultReadError maps an error reading a result's rows: a row too large
// is FailedPrecondition naming it; a result cut short is Unavailable with
// the offset to resume from; anything else as upstreamError does.
func resultReadError(err error, name string, resume int64) error {
	var big *modeclient.RowTooLargeError
	if errors.As(err, &big) {
		what := "is larger than"
		if big.Value {
			what = "has a value larger than"
		}
		return rowTooLarge(name, big.Row-1, what, big.Limit)
	}
	return truncatedError(err, name, resume)
}

// rowTooLarge is the error for the row at offset pos of name.
func rowTooLarge(name string, pos int64, what string, limit int) error {
	e := connect.NewError(connect.CodeFailedPrecondition, errorf(
		"row at offset %d of %s %s the stream's limit of %d bytes: read the result with ExportQueryResults instead",
		pos, name, what, limit))
	errdetail.AddInfo(e, ReasonResultRowTooLarge, map[string]string{
		"query_run": name, "row_offset": strconv.FormatInt(pos, 10), "limit_bytes": strconv.Itoa(limit),
	})
	return e
}

// truncatedError maps an error met while reading a result body: a body cut
// short (or a connection lost mid-way) is Unavailable with reason
// UPSTREAM_TRUNCATED, RetryInfo and the offset to resume from; other
// errors as upstreamError does, with the resume offset added.
func truncatedError(err error, name string, resume int64) error {
	var tr *modeclient.TransportError
	var dec *modeclient.DecodeError
	cut := errors.Is(err, io.ErrUnexpectedEOF) && (errors.As(err, &tr) || errors.As(err, &dec) || err == io.ErrUnexpectedEOF)
	if !cut && errors.As(err, &tr) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		cut = true // the connection failed mid-way
	}
	if !cut {
		return withResumeOffset(upstreamError(err, name), resume)
	}
	e := connect.NewError(connect.CodeUnavailable, errorf("Mode's answer for %s was cut off: resume%s", name, resumeHint(resume)))
	errdetail.AddInfo(e, ReasonUpstreamTruncated, resumeMeta(resume))
	errdetail.AddRetry(e, defaultRetryDelay)
	return e
}

// run reads the type sample, sends the columns, then every row from the
// offset on.
func (rs *resultStream) run(sampleRows, sampleBytes int) error {
	cols := rs.rr.Columns()
	// The sample: rows before the offset only inform the types; rows after
	// it are kept to be sent (at most one batch's worth).
	typer := newColumnTyper(len(cols))
	var kept []modeclient.Row
	eof := false
	var sampleErr error // ends the stream after the rows read before it
	for size := 0; rs.next < int64(sampleRows) && size < sampleBytes; {
		row, err := rs.rr.Next()
		if err == io.EOF {
			eof = true
			break
		}
		if err != nil {
			sampleErr, eof = err, true
			break
		}
		typer.observe(row)
		if rs.next >= rs.offset {
			kept = append(kept, row)
		}
		rs.next++
		size += approxResultRowBytes(row)
	}

	head := &modeplatformv1.StreamQueryResultsResponse{Columns: make([]*modeplatformv1.Column, len(cols)), Offset: rs.offset}
	for i, c := range cols {
		head.Columns[i] = &modeplatformv1.Column{Name: c, Type: typer.columnType(i)}
	}
	if err := rs.send(head); err != nil {
		return err
	}

	pos := rs.next - int64(len(kept)) // position of kept[0]
	for i, row := range kept {
		kept[i] = nil
		if err := rs.add(pos, row); err != nil {
			return err
		}
		pos++
	}
	if sampleErr != nil {
		if err := rs.flush(); err != nil {
			return err
		}
		return resultReadError(sampleErr, rs.name, rs.sent)
	}
	if !eof {
		for {
			row, err := rs.rr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				// Send the rows already read, so that a caller resuming
				// from its row count loses nothing.
				if ferr := rs.flush(); ferr != nil {
					return ferr
				}
				return resultReadError(err, rs.name, rs.sent)
			}
			p := rs.next
			rs.next++
			if p < rs.offset {
				continue
			}
			if err := rs.add(p, row); err != nil {
				return err
			}
		}
	}
	return rs.flush()
}

// add appends the row at position pos to the batch, sending the batch
// first when the row would take it past its byte bound, and after when it
// is full. A row whose encoding is larger than maxRow ends the stream
// (after the rows before it).
func (rs *resultStream) add(pos int64, row modeclient.Row) error {
	size := rs.b.stage(row)
	if size > rs.maxRow {
		if err := rs.flush(); err != nil {
			return err
		}
		return rowTooLarge(rs.name, pos, "is larger than", rs.maxRow)
	}
	if rs.b.n > 0 && rs.b.bytes+size > rs.b.maxBytes {
		if err := rs.flush(); err != nil {
			return err
		}
	}
	if rs.b.commit(pos, size) {
		return rs.flush()
	}
	return nil
}

// flush sends the batch if it holds rows.
func (rs *resultStream) flush() error {
	msg := rs.b.message()
	if msg == nil {
		return nil
	}
	err := rs.send(msg)
	if err == nil {
		rs.sent = msg.Offset + int64(len(msg.Rows))
	}
	rs.b.reset()
	return err
}

// rowBatcher fills one StreamQueryResultsResponse after another in the same
// memory: Send marshals a message before it returns, so its rows and values
// are reused for the next batch instead of allocating them per row.
type rowBatcher struct {
	maxRows, maxBytes int
	width             int // values per row
	msg               modeplatformv1.StreamQueryResultsResponse
	rows              []*modeplatformv1.Row // allocated rows, reused
	slots             [][]*valueSlot        // the values of rows[i]
	n                 int                   // rows in the current batch
	bytes             int                   // their approximate encoded size
}

func newRowBatcher(maxRows, maxBytes, width int) *rowBatcher {
	return &rowBatcher{maxRows: max(maxRows, 1), maxBytes: max(maxBytes, 1), width: width}
}

// stage translates row into the batch's next row, not yet part of the
// batch (commit adds it), and returns its exact encoded size in a message.
func (b *rowBatcher) stage(row modeclient.Row) int {
	if b.n == len(b.rows) {
		r := &modeplatformv1.Row{Values: make([]*structpb.Value, b.width)}
		sl := make([]*valueSlot, b.width)
		for i := range sl {
			sl[i] = new(valueSlot)
			r.Values[i] = &sl[i].v
		}
		b.rows = append(b.rows, r)
		b.slots = append(b.slots, sl)
	}
	size := 0
	for i, sl := range b.slots[b.n] {
		var v any
		if i < len(row) {
			v = row[i]
		}
		size += sl.set(v)
	}
	return 1 + protowire.SizeBytes(size) // Row in the rows field
}

// commit adds the staged row (at position pos of the result) of the given
// size to the batch and reports whether the batch is full.
func (b *rowBatcher) commit(pos int64, size int) bool {
	if b.n == 0 {
		b.msg.Offset = pos
	}
	b.n++
	b.bytes += size
	return b.n >= b.maxRows || b.bytes >= b.maxBytes
}

// message returns the batch as a response, or nil when it is empty. It is
// valid until reset.
func (b *rowBatcher) message() *modeplatformv1.StreamQueryResultsResponse {
	if b.n == 0 {
		return nil
	}
	b.msg.Rows = b.rows[:b.n]
	return &b.msg
}

// reset empties the batch, dropping its references to row data. A row
// staged and not committed stays staged (it moves to the front).
func (b *rowBatcher) reset() {
	for _, sl := range b.slots[:b.n] {
		for _, v := range sl {
			v.str.StringValue = ""
		}
	}
	if b.n > 0 && b.n < len(b.rows) {
		b.rows[0], b.rows[b.n] = b.rows[b.n], b.rows[0]
		b.slots[0], b.slots[b.n] = b.slots[b.n], b.slots[0]
	}
	b.n, b.bytes = 0, 0
	b.msg.Rows = nil
}

// valueSlot is a reusable google.protobuf.Value with one holder per kind, so
// setting a value allocates nothing.
type valueSlot struct {
	v    structpb.Value
	num  structpb.Value_NumberValue
	str  structpb.Value_StringValue
	bol  structpb.Value_BoolValue
	null structpb.Value_NullValue
}

// set stores a value of a Mode JSON result row (nil, json.Number, bool,
// string, or an object or array) by its own kind: numbers as number_value,
// booleans as bool_value, null as null_value, anything else as
// string_value (objects and arrays as their JSON text). A number a double
// cannot hold keeps its exact text as a string. It returns the value's
// exact encoded size as an element of Row.values (tag, length, Value).
func (sl *valueSlot) set(v any) int {
	switch x := v.(type) {
	case nil:
		sl.v.Kind = &sl.null
		return 4 // 1+1+(1+1)
	case bool:
		sl.bol.BoolValue = x
		sl.v.Kind = &sl.bol
		return 4
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			sl.num.NumberValue = f
			sl.v.Kind = &sl.num
			return 11 // 1+1+(1+8)
		}
		return sl.setString(string(x))
	case string:
		return sl.setString(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return sl.setString("")
		}
		return sl.setString(string(b))
	}
}

func (sl *valueSlot) setString(s string) int {
	sl.str.StringValue = s
	sl.v.Kind = &sl.str
	return 1 + protowire.SizeBytes(1+protowire.SizeBytes(len(s)))
}

// approxResultRowBytes estimates the encoded size of a row, as rowBatcher counts
// it, without translating it.
func approxResultRowBytes(row modeclient.Row) int {
	n := 3
	for _, v := range row {
		switch x := v.(type) {
		case string:
			n += len(x) + 6
		case json.Number:
			n += 11
		case nil, bool:
			n += 4
		default:
			n += 64
		}
	}
	return n
}

// resultKind is what a column's values have been so far.
type resultKind uint8

const (
	resultKindNone resultKind = iota // only nulls
	resultKindNumber
	resultKindBool
	resultKindString
	resultKindTimestamp
	resultKindMixed
)

// columnTyper judges column types from the rows it observes.
type columnTyper struct{ kinds []resultKind }

func newColumnTyper(width int) *columnTyper { return &columnTyper{kinds: make([]resultKind, width)} }

// observe merges a row's value kinds into the columns'.
func (t *columnTyper) observe(row modeclient.Row) {
	for i, v := range row {
		if i >= len(t.kinds) {
			break
		}
		k := resultKindOf(v)
		if k == resultKindNone {
			continue
		}
		t.kinds[i] = mergeResultKinds(t.kinds[i], k)
	}
}

// columnType is the contract's type of column i.
func (t *columnTyper) columnType(i int) modeplatformv1.Column_Type {
	switch t.kinds[i] {
	case resultKindNumber:
		return modeplatformv1.Column_TYPE_NUMBER
	case resultKindBool:
		return modeplatformv1.Column_TYPE_BOOLEAN
	case resultKindString:
		return modeplatformv1.Column_TYPE_STRING
	case resultKindTimestamp:
		return modeplatformv1.Column_TYPE_TIMESTAMP
	}
	return modeplatformv1.Column_TYPE_UNSPECIFIED
}

func resultKindOf(v any) resultKind {
	switch x := v.(type) {
	case nil:
		return resultKindNone
	case json.Number:
		return resultKindNumber
	case bool:
		return resultKindBool
	case string:
		if looksLikeResultTimestamp(x) {
			return resultKindTimestamp
		}
		return resultKindString
	}
	return resultKindMixed // objects and arrays: no column type fits
}

// mergeResultKinds combines two kinds of one column: text with timestamps is
// text; any other pair of different kinds is mixed.
func mergeResultKinds(a, b resultKind) resultKind {
	switch {
	case a == resultKindNone || a == b:
		return b
	case (a == resultKindString || a == resultKindTimestamp) && (b == resultKindString || b == resultKindTimestamp):
		return resultKindString
	}
	return resultKindMixed
}

// looksLikeResultTimestamp reports whether s is an ISO-8601 date or point in time
// as Mode writes them (any form modeclient.ParseTime accepts).
func looksLikeResultTimestamp(s string) bool {
	if len(s) < len("2006-01-02") || len(s) > 64 || s[0] < '0' || s[0] > '9' || s[4] != '-' || strings.TrimSpace(s) != s {
		return false
	}
	_, err := modeclient.ParseTime(s)
	return err == nil
}

// ExportQueryResults streams a succeeded query run's result as Mode's CSV or
// JSON file, unchanged, in chunks of Options.ExportChunkBytes, from the
// request's byte offset on (the bytes before it are read from Mode and
// dropped: Mode serves the whole file). An offset equal to the file's size
// answers no chunk; beyond it, OutOfRange (known only once the file was
// read to its end).
//
// A file cut short — a Mode connection lost mid-way, a body shorter than
// its Content-Length, a chunked or gzip body ended before its framing says,
// a JSON file not ending with its closing bracket — ends the stream, after
// the bytes read before the cut, with Unavailable (reason
// UPSTREAM_TRUNCATED), RetryInfo and resume_offset, the offset of the first
// byte not sent. A body Mode sends with no length, no chunking and no
// compression, cut at a CSV line end, cannot be told from a whole one.
func (s *ReportServer) ExportQueryResults(ctx context.Context, req *connect.Request[modeplatformv1.ExportQueryResultsRequest], stream *connect.ServerStream[modeplatformv1.ExportQueryResultsResponse]) error {
	m := req.Msg
	name := m.GetName()
	ids, err := parseQueryRunName("name", name)
	if err != nil {
		return err
	}
	format := m.GetFormat()
	if format != modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV && format != modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON {
		return invalidArgument("format", "must be FORMAT_CSV or FORMAT_JSON")
	}
	offset := m.GetOffset()
	if offset < 0 {
		return invalidArgument("offset", "must be 0 or more")
	}
	sc, ctx := s.core.startStream(ctx)
	defer sc.end()
	cl, err := s.core.client(ctx, ids[0])
	if err != nil {
		return err
	}
	open := cl.QueryResultsCSV
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON {
		open = cl.QueryResultsJSON
	}
	if err := requireQueryResults(ctx, cl, ids, name); err != nil {
		return sc.fail(err, offset)
	}
	body, err := open(ctx, ids[0], ids[1], ids[2], ids[3])
	if err != nil {
		return sc.fail(withResumeOffset(upstreamError(err, name), offset), offset)
	}
	defer body.Close()

	ex := &exportStream{
		body: body, name: name, json: format == modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON,
		sent: offset,
		send: func(msg *modeplatformv1.ExportQueryResultsResponse) error {
			return sc.send(func() error { return stream.Send(msg) })
		},
	}
	if err := ex.run(offset, s.core.opts.ExportChunkBytes); err != nil {
		return sc.fail(err, ex.sent)
	}
	return nil
}

// exportStream is one ExportQueryResults call in progress.
type exportStream struct {
	body io.Reader
	name string
	json bool // the file must end with ']'
	send func(*modeplatformv1.ExportQueryResultsResponse) error
	read int64 // bytes read from body
	sent int64 // offset after the last byte sent: where to resume
	last byte  // the last byte read that is not JSON whitespace
	err  error // the error that ended the body, returned once its bytes are
}

// readSome reads into p until it is full or the body ends. It returns
// io.EOF (with no bytes) after a whole body's end, any other error (a cut
// body) after the bytes read before it.
func (ex *exportStream) readSome(p []byte) (int, error) {
	if ex.err != nil {
		return 0, ex.err
	}
	n := 0
	for n < len(p) {
		k, err := ex.body.Read(p[n:])
		if ex.json {
			for _, c := range p[n : n+k] {
				switch c {
				case ' ', '\t', '\r', '\n':
				default:
					ex.last = c
				}
			}
		}
		n += k
		ex.read += int64(k)
		if err == io.EOF && ex.json && ex.read > 0 && ex.last != ']' {
			err = io.ErrUnexpectedEOF // a JSON array cut short, on a body whose framing said nothing
		}
		if err != nil {
			ex.err = err
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
	}
	return n, nil
}

// run skips offset bytes, then sends the rest in chunks of chunkSize.
func (ex *exportStream) run(offset int64, chunkSize int) error {
	buf := make([]byte, chunkSize)
	for ex.read < offset {
		_, err := ex.readSome(buf[:min(int64(len(buf)), offset-ex.read)])
		switch {
		case err == io.EOF:
			e := connect.NewError(connect.CodeOutOfRange, errorf("offset %d is beyond the end of the %d bytes of %s's file", offset, ex.read, ex.name))
			errdetail.AddBadRequest(e, "offset", "must be at most the file's size, "+strconv.FormatInt(ex.read, 10))
			return e
		case err != nil:
			return truncatedError(err, ex.name, ex.sent)
		}
	}
	var msg modeplatformv1.ExportQueryResultsResponse
	for {
		n, err := ex.readSome(buf)
		if n > 0 {
			msg.Data = buf[:n]
			if serr := ex.send(&msg); serr != nil {
				return serr
			}
			ex.sent += int64(n)
		}
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return truncatedError(err, ex.name, ex.sent)
		}
	}
}

// requireQueryResults checks that the query run ids (workspace, report, run,
// query run) has a result to read: FailedPrecondition with reason
// RUN_NOT_FINISHED while it runs, RUN_FAILED when it ended without one.
// Mode's answer for a finished run is cached, so asking first costs an
// upstream request only while the run is in progress.
func requireQueryResults(ctx context.Context, cl *modeclient.Client, ids []string, name string) error {
	q, err := cl.GetQueryRun(ctx, ids[0], ids[1], ids[2], ids[3])
	if err != nil {
		return upstreamError(err, name)
	}
	state := queryRunStateFromMode(q.State)
	switch {
	case state == modeplatformv1.QueryRun_STATE_SUCCEEDED || state == modeplatformv1.QueryRun_STATE_COMPLETED:
		return nil
	case !q.Finished():
		e := connect.NewError(connect.CodeFailedPrecondition, errorf("query run %s has not finished (state %q): wait for its report run to end", name, q.State))
		errdetail.AddInfo(e, ReasonRunNotFinished, map[string]string{"query_run": name, "state": q.State})
		return e
	default:
		msg := "query run " + name + " ended without a result (state " + strconv.Quote(q.State) + ")"
		if q.ErrorMessage != "" {
			msg += ": " + string(q.ErrorMessage)
		}
		e := connect.NewError(connect.CodeFailedPrecondition, errors.New(msg))
		errdetail.AddInfo(e, ReasonRunFailed, map[string]string{"query_run": name, "state": q.State})
		return e
	}
}
