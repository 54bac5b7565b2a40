package service

import (
	"context"
	"errors"
	"io"
	"strconv"

	"connectrpc.com/connect"

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
