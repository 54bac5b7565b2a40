package modeplatform

import (
	"context"
	"fmt"
	"iter"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// Row is one row of a query result.
type Row struct {
	// Offset is the row's position in the whole result, 0 for the first row.
	Offset int64
	// Columns are the result's columns, in order; every row of one result shares the same slice:
	// do not modify it.
	Columns []*modeplatformv1.Column
	// Values are the row's values, one per column: a string (TYPE_STRING, and TYPE_TIMESTAMP as
	// ISO-8601 text), a float64 (TYPE_NUMBER), a bool (TYPE_BOOLEAN) or nil (null).
	Values []any
}

// Get returns the value of the column named column, and false when the result has no such column.
func (r Row) Get(column string) (any, bool) {
	for i, c := range r.Columns {
		if c.GetName() == column && i < len(r.Values) {
			return r.Values[i], true
		}
	}
	return nil, false
}

// Map returns the row as a map from column name to value.
func (r Row) Map() map[string]any {
	m := make(map[string]any, len(r.Columns))
	for i, c := range r.Columns {
		if i < len(r.Values) {
			m[c.GetName()] = r.Values[i]
		}
	}
	return m
}

// RowsOption configures Rows.
type RowsOption func(*modeplatformv1.StreamQueryResultsRequest)

// FromRow starts the result at row offset (0, the default, is the first row).
func FromRow(offset int64) RowsOption {
	return func(r *modeplatformv1.StreamQueryResultsRequest) { r.Offset = offset }
}

// BatchSize asks the server for at most n rows per message (0, the default, lets it choose).
func BatchSize(n int32) RowsOption {
	return func(r *modeplatformv1.StreamQueryResultsRequest) { r.MaxRowsPerBatch = n }
}

// Rows yields the rows of the succeeded query run named queryRun
// (`workspaces/{w}/reports/{r}/runs/{run}/queryRuns/{q}`), in result order, through
// StreamQueryResults. A stream the server ends with Unavailable (Mode's answer cut short, the
// server shutting down, a stream open for its maximum lifetime) is opened again from the next row
// after the delay the server asks for, so the rows come once each, in order. An error ends the
// sequence; stopping the loop early ends the stream.
//
//	for row, err := range c.Rows(ctx, queryRun) {
//		if err != nil { return err }
//		fmt.Println(row.Get("account"))
//	}
func (c *Client) Rows(ctx context.Context, queryRun string, opts ...RowsOption) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		req := &modeplatformv1.StreamQueryResultsRequest{Name: queryRun}
		for _, opt := range opts {
			opt(req)
		}
		var columns []*modeplatformv1.Column
		for retries := 0; ; {
			stream, err := c.Reports.StreamQueryResults(ctx, connect.NewRequest(req))
			if err != nil {
				yield(Row{}, fmt.Errorf("modeplatform: stream the result of %s: %w", queryRun, err))
				return
			}
			for stream.Receive() {
				msg := stream.Msg()
				if len(msg.GetColumns()) > 0 {
					columns = msg.GetColumns()
				}
				if len(msg.GetRows()) > 0 && msg.GetOffset() != req.Offset {
					_ = stream.Close()
					yield(Row{}, fmt.Errorf("modeplatform: stream the result of %s: the server sent rows from %d, not %d", queryRun, msg.GetOffset(), req.Offset))
					return
				}
				for _, r := range msg.GetRows() {
					values := make([]any, len(r.GetValues()))
					for i, v := range r.GetValues() {
						values[i] = v.AsInterface()
					}
					row := Row{Offset: req.Offset, Columns: columns, Values: values}
					req.Offset++
					retries = 0
					if !yield(row, nil) {
						_ = stream.Close()
						return
					}
				}
			}
			err = stream.Err()
			_ = stream.Close()
			if err == nil {
				return
			}
			delay, retry := retryDelay(err)
			if !retry || retries >= maxRetries {
				yield(Row{}, fmt.Errorf("modeplatform: stream the result of %s from row %d: %w", queryRun, req.Offset, err))
				return
			}
			retries++
			if err := sleep(ctx, delay); err != nil {
				yield(Row{}, fmt.Errorf("modeplatform: stream the result of %s from row %d: %w", queryRun, req.Offset, err))
				return
			}
		}
	}
}
