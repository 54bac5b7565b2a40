package modeclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
)

// Query results are streamed, never read whole into memory and never cached:
// a result can be far larger than any cache entry, and the runs that
// produce them are already cached once finished, so a repeated read costs
// one upstream request. Mode sends CSV gzip-encoded; Go's transport
// decompresses it transparently because the client never sets
// Accept-Encoding itself.

func resultPath(ws, report, run, queryRun, file string) *apiPath {
	return queryRunPath(ws, report, run, queryRun).lit("results").lit(file)
}

// QueryResultsCSV streams a query run's result as CSV (a header row, then
// CRLF-terminated rows): GET …/query_runs/{query_run}/results/content.csv.
// The caller must Close the reader.
func (c *Client) QueryResultsCSV(ctx context.Context, workspace, report, run, queryRun string) (io.ReadCloser, error) {
	return c.stream(ctx, resultPath(workspace, report, run, queryRun, "content.csv"), mediaCSV)
}

// QueryResultsJSON streams a query run's result as Mode's raw JSON (an array
// of row objects keyed by column name):
// GET …/query_runs/{query_run}/results/content.json. The caller must Close
// the reader.
func (c *Client) QueryResultsJSON(ctx context.Context, workspace, report, run, queryRun string) (io.ReadCloser, error) {
	return c.stream(ctx, resultPath(workspace, report, run, queryRun, "content.json"), mediaJSON)
}

// QueryResultRows opens a query run's JSON result as a row reader with the
// default RowLimits: the columns are known when it returns, rows are
// decoded one at a time. The caller must Close it.
func (c *Client) QueryResultRows(ctx context.Context, workspace, report, run, queryRun string) (*RowReader, error) {
	return c.QueryResultRowsWithLimits(ctx, workspace, report, run, queryRun, RowLimits{})
}

// QueryResultRowsWithLimits is QueryResultRows with the given limits on one
// row and one value (zero fields take the defaults).
func (c *Client) QueryResultRowsWithLimits(ctx context.Context, workspace, report, run, queryRun string, lim RowLimits) (*RowReader, error) {
	p := resultPath(workspace, report, run, queryRun, "content.json")
	_, route, _ := p.build()
	body, err := c.stream(ctx, p, mediaJSON)
	if err != nil {
		return nil, err
	}
	rr, err := NewRowReaderWithLimits(body, route, lim)
	if err != nil {
		body.Close()
		return nil, err
	}
	return rr, nil
}

// Row is one result row: values in the order of RowReader.Columns, with
// their JSON types (string, json.Number, bool, nil; objects and arrays as
// map[string]any and []any).
type Row []any

// RowReader decodes a JSON array of row objects as it arrives, holding one
// row in memory at a time. The column order is the key order of the first
// object; a later object may omit columns (their value is nil) but not add
// new ones. It is not safe for concurrent use.
type RowReader struct {
	body    io.ReadCloser
	dec     *rowDecoder
	route   string
	cols    []string
	index   map[string]int
	slots   []int // the column of each member of the row being read
	pending Row   // the first row, decoded to learn the columns
	n       int   // rows returned
	err     error
}

// Default RowLimits.
const (
	DefaultMaxRowBytes   = 3 << 20
	DefaultMaxValueBytes = 1 << 20
)

// RowLimits bound what a RowReader holds in memory for one row: a row or a
// value above them is never buffered whole; reading stops with a
// *RowTooLargeError instead.
type RowLimits struct {
	// MaxRowBytes bounds the JSON text of one row object (keys, values,
	// punctuation and whitespace); default DefaultMaxRowBytes (3 MiB);
	// negative: no bound.
	MaxRowBytes int
	// MaxValueBytes bounds one value: a string's decoded bytes, a number's
	// digits, a nested object's or array's JSON text (and a key's bytes);
	// default DefaultMaxValueBytes (1 MiB); negative: no bound.
	MaxValueBytes int
}

// RowTooLargeError is a result row, or a value in it, larger than the
// RowReader's limits. The reader stops at it: the rows after it cannot be
// read from this reader.
type RowTooLargeError struct {
	Route string
	// Row is the row's number, from 1 for the first row of the result.
	Row int64
	// Value is true when one value passed RowLimits.MaxValueBytes, false
	// when the row passed RowLimits.MaxRowBytes.
	Value bool
	// Column is the value's column (its key), when Value and it is known.
	Column string
	// Limit is the limit passed, in bytes.
	Limit int
}

// Error implements error. It never quotes the value.
func (e *RowTooLargeError) Error() string {
	if e.Value {
		col := ""
		if e.Column != "" {
			col = fmt.Sprintf(" in column %q", e.Column)
		}
		return fmt.Sprintf("modeclient: GET %s: row %d has a value%s larger than %d bytes", e.Route, e.Row, col, e.Limit)
	}
	return fmt.Sprintf("modeclient: GET %s: row %d is larger than %d bytes", e.Route, e.Row, e.Limit)
}

// NewRowReader starts reading a JSON array of row objects from body (e.g.
// QueryResultsJSON's reader) with the default RowLimits; route names the
// source in errors. It reads up to the end of the first row. Close closes
// body.
func NewRowReader(body io.ReadCloser, route string) (*RowReader, error) {
	return NewRowReaderWithLimits(body, route, RowLimits{})
}

// NewRowReaderWithLimits is NewRowReader with the given limits (zero fields
// take the defaults).
func NewRowReaderWithLimits(body io.ReadCloser, route string, lim RowLimits) (*RowReader, error) {
	r := &RowReader{body: body, dec: newRowDecoder(body), route: route}
	d := r.dec
	d.maxRow = limitOrDefault(lim.MaxRowBytes, DefaultMaxRowBytes)
	d.maxValue = limitOrDefault(lim.MaxValueBytes, DefaultMaxValueBytes)
	c, err := d.peek()
	if err == io.EOF {
		r.err = io.EOF // an empty body: no rows
		return r, nil
	}
	if err != nil {
		return nil, r.wrap(err)
	}
	if c != '[' {
		return nil, &DecodeError{Method: http.MethodGet, Route: route, Reason: "result is not a JSON array"}
	}
	d.pos++
	if c, err = d.next(); err != nil {
		return nil, r.wrap(err)
	}
	if c == ']' {
		d.pos++
		r.err = io.EOF
		return r, nil
	}
	if c != '{' {
		return nil, r.notObject()
	}
	if err := d.readRow(); err != nil {
		return nil, r.wrap(err)
	}
	r.index = make(map[string]int, len(d.keys))
	for i := range d.keys {
		k := d.key(i)
		if _, dup := r.index[string(k)]; dup {
			continue
		}
		r.index[string(k)] = len(r.cols)
		r.cols = append(r.cols, string(k))
	}
	// Duplicate keys keep the last value of each.
	r.pending = make(Row, len(r.cols))
	s := d.rowString()
	for i := range d.keys {
		r.pending[r.index[string(d.key(i))]] = d.valueOf(i, s)
	}
	return r, nil
}

// Columns returns the column names (nil for an empty result).
func (r *RowReader) Columns() []string { return r.cols }

// Next returns the next row, or io.EOF after the last one. Any other error
// ends the reading; later calls return it again.
func (r *RowReader) Next() (Row, error) {
	if r.pending != nil {
		row := r.pending
		r.pending = nil
		r.n++
		return row, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	row, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	r.n++
	return row, nil
}

// next reads the row after the last one returned, or io.EOF at the end of
// the array.
func (r *RowReader) next() (Row, error) {
	d := r.dec
	c, err := d.next()
	if err != nil {
		return nil, r.wrap(err)
	}
	d.pos++
	switch c {
	case ']':
		return nil, io.EOF
	case ',':
	default:
		d.pos--
		return nil, r.wrap(d.syntax("missing comma or closing bracket after a row"))
	}
	if c, err = d.next(); err != nil {
		return nil, r.wrap(err)
	}
	if c != '{' {
		return nil, r.notObject()
	}
	if err := d.readRow(); err != nil {
		return nil, r.wrap(err)
	}
	r.slots = r.slots[:0]
	for i := range d.keys {
		j, ok := r.index[string(d.key(i))]
		if !ok {
			return nil, &DecodeError{Method: http.MethodGet, Route: r.route,
				Reason: fmt.Sprintf("row %d has a column the first row lacks", r.n+1)}
		}
		r.slots = append(r.slots, j)
	}
	row := make(Row, len(r.cols))
	s := d.rowString()
	for i, j := range r.slots {
		row[j] = d.valueOf(i, s)
	}
	return row, nil
}

// notObject is the error for an array element that is not an object.
func (r *RowReader) notObject() error {
	return &DecodeError{Method: http.MethodGet, Route: r.route,
		Reason: fmt.Sprintf("row %d is not a JSON object", r.n+1)}
}

// All iterates over the remaining rows; an error is yielded once, last.
func (r *RowReader) All() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for {
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(row, err) || err != nil {
				return
			}
		}
	}
}

// Close releases the response body.
func (r *RowReader) Close() error { return r.body.Close() }

// wrap turns a decoder error into a *TransportError (connection), a
// *RowTooLargeError or a *DecodeError (content), never quoting the body.
func (r *RowReader) wrap(err error) error {
	var le *rowLimitError
	if errors.As(err, &le) {
		return &RowTooLargeError{Route: r.route, Row: int64(r.n) + 1, Value: le.value, Column: le.key, Limit: le.limit}
	}
	return decodeRowError(r.route, err)
}

// limitOrDefault is a RowLimits field as the decoder takes it: 0 for no
// bound.
func limitOrDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
