package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
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
	cl, err := s.core.client(ctx, ids[0])
	if err != nil {
		return err
	}
	if err := requireQueryResults(ctx, cl, ids, name); err != nil {
		return err
	}
	rr, err := cl.QueryResultRows(ctx, ids[0], ids[1], ids[2], ids[3])
	if err != nil {
		return upstreamError(err, name)
	}
	defer rr.Close()

	opts := s.core.opts
	limit := opts.StreamBatchRows
	if n := int(m.GetMaxRowsPerBatch()); n > 0 && n < limit {
		limit = n
	}
	rs := &resultStream{
		rr: rr, name: name, send: stream.Send, offset: m.GetOffset(),
		b: newRowBatcher(limit, opts.StreamBatchBytes, len(rr.Columns())),
	}
	return rs.run(opts.StreamBatchRows, opts.StreamBatchBytes)
}

// resultStream is one StreamQueryResults call in progress.
type resultStream struct {
	rr     *modeclient.RowReader
	name   string // the query run, for errors
	send   func(*modeplatformv1.StreamQueryResultsResponse) error
	offset int64 // rows to skip
	next   int64 // position of the next row read
	b      *rowBatcher
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
	for size := 0; rs.next < int64(sampleRows) && size < sampleBytes; {
		row, err := rs.rr.Next()
		if err == io.EOF {
			eof = true
			break
		}
		if err != nil {
			return upstreamError(err, rs.name)
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
				return upstreamError(err, rs.name)
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

// add appends the row at position pos to the batch, sending the batch when
// it is full.
func (rs *resultStream) add(pos int64, row modeclient.Row) error {
	if rs.b.add(pos, row) {
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

// add puts row (at position pos of the result) into the batch and reports
// whether the batch is full.
func (b *rowBatcher) add(pos int64, row modeclient.Row) bool {
	if b.n == 0 {
		b.msg.Offset = pos
	}
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
	size := 3
	for i, sl := range b.slots[b.n] {
		var v any
		if i < len(row) {
			v = row[i]
		}
		size += sl.set(v)
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

// reset empties the batch, dropping its references to row data.
func (b *rowBatcher) reset() {
	for _, sl := range b.slots[:b.n] {
		for _, v := range sl {
			v.str.StringValue = ""
		}
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
// approximate encoded size.
func (sl *valueSlot) set(v any) int {
	switch x := v.(type) {
	case nil:
		sl.v.Kind = &sl.null
		return 4
	case bool:
		sl.bol.BoolValue = x
		sl.v.Kind = &sl.bol
		return 4
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			sl.num.NumberValue = f
			sl.v.Kind = &sl.num
			return 11
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
	return len(s) + 6
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
// JSON file, unchanged, in chunks of Options.ExportChunkBytes.
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
	cl, err := s.core.client(ctx, ids[0])
	if err != nil {
		return err
	}
	open := cl.QueryResultsCSV
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON {
		open = cl.QueryResultsJSON
	}
	if err := requireQueryResults(ctx, cl, ids, name); err != nil {
		return err
	}
	body, err := open(ctx, ids[0], ids[1], ids[2], ids[3])
	if err != nil {
		return upstreamError(err, name)
	}
	defer body.Close()

	buf := make([]byte, s.core.opts.ExportChunkBytes)
	var msg modeplatformv1.ExportQueryResultsResponse
	for {
		n, err := io.ReadFull(body, buf)
		if n > 0 {
			msg.Data = buf[:n]
			if serr := stream.Send(&msg); serr != nil {
				return serr
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		default:
			return upstreamError(err, name)
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
		addErrorInfo(e, ReasonRunNotFinished, map[string]string{"query_run": name, "state": q.State})
		return e
	default:
		msg := "query run " + name + " ended without a result (state " + strconv.Quote(q.State) + ")"
		if q.ErrorMessage != "" {
			msg += ": " + string(q.ErrorMessage)
		}
		e := connect.NewError(connect.CodeFailedPrecondition, errors.New(msg))
		addErrorInfo(e, ReasonRunFailed, map[string]string{"query_run": name, "state": q.State})
		return e
	}
}
