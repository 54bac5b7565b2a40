package modeclient

import (
	"context"
	"encoding/json"
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

// QueryResultRows opens a query run's JSON result as a row reader: the
// columns are known when it returns, rows are decoded one at a time.
// The caller must Close it.
func (c *Client) QueryResultRows(ctx context.Context, workspace, report, run, queryRun string) (*RowReader, error) {
	p := resultPath(workspace, report, run, queryRun, "content.json")
	_, route, _ := p.build()
	body, err := c.stream(ctx, p, mediaJSON)
	if err != nil {
		return nil, err
	}
	rr, err := NewRowReader(body, route)
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

// RowReader decodes a JSON array of row objects token by token, holding one
// row in memory at a time. The column order is the key order of the first
// object; a later object may omit columns (their value is nil) but not add
// new ones. It is not safe for concurrent use.
type RowReader struct {
	body    io.ReadCloser
	dec     *json.Decoder
	route   string
	cols    []string
	index   map[string]int
	pending Row // the first row, decoded to learn the columns
	n       int // rows returned
	err     error
}

// NewRowReader starts reading a JSON array of row objects from body (e.g.
// QueryResultsJSON's reader); route names the source in errors. It reads up
// to the end of the first row. Close closes body.
func NewRowReader(body io.ReadCloser, route string) (*RowReader, error) {
	r := &RowReader{body: body, dec: json.NewDecoder(body), route: route}
	r.dec.UseNumber()
	tok, err := r.dec.Token()
	if err == io.EOF {
		r.err = io.EOF // an empty body: no rows
		return r, nil
	}
	if err != nil {
		return nil, r.wrap(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &DecodeError{Method: http.MethodGet, Route: route, Reason: "result is not a JSON array"}
	}
	if !r.dec.More() {
		r.finish()
		return r, nil
	}
	keys, vals, err := r.readObject()
	if err != nil {
		return nil, err
	}
	r.index = make(map[string]int, len(keys))
	for _, k := range keys {
		if _, dup := r.index[k]; dup {
			continue
		}
		r.index[k] = len(r.cols)
		r.cols = append(r.cols, k)
	}
	r.pending = vals[:len(r.cols)]
	if len(r.cols) != len(keys) { // drop duplicates, keeping the last value of each key
		row := make(Row, len(r.cols))
		for i, k := range keys {
			row[r.index[k]] = vals[i]
		}
		r.pending = row
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
	if !r.dec.More() {
		r.finish()
		return nil, r.err
	}
	keys, vals, err := r.readObject()
	if err != nil {
		r.err = err
		return nil, err
	}
	row := make(Row, len(r.cols))
	for i, k := range keys {
		j, ok := r.index[k]
		if !ok {
			r.err = &DecodeError{Method: http.MethodGet, Route: r.route,
				Reason: fmt.Sprintf("row %d has a column the first row lacks", r.n+1)}
			return nil, r.err
		}
		row[j] = vals[i]
	}
	r.n++
	return row, nil
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

// finish consumes the closing bracket and sets r.err to io.EOF or the error.
func (r *RowReader) finish() {
	tok, err := r.dec.Token()
	if err != nil {
		r.err = r.wrap(err)
		return
	}
	if d, ok := tok.(json.Delim); !ok || d != ']' {
		r.err = &DecodeError{Method: http.MethodGet, Route: r.route, Reason: "result array is malformed"}
		return
	}
	r.err = io.EOF
}

// readObject reads one row object, keys in order.
func (r *RowReader) readObject() ([]string, []any, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return nil, nil, r.wrap(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, &DecodeError{Method: http.MethodGet, Route: r.route,
			Reason: fmt.Sprintf("row %d is not a JSON object", r.n+1)}
	}
	keys := make([]string, 0, len(r.cols))
	vals := make([]any, 0, len(r.cols))
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return nil, nil, r.wrap(err)
		}
		k, ok := tok.(string)
		if !ok {
			return nil, nil, &DecodeError{Method: http.MethodGet, Route: r.route, Reason: "row key is not a string"}
		}
		var v any
		if err := r.dec.Decode(&v); err != nil {
			return nil, nil, r.wrap(err)
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	if _, err := r.dec.Token(); err != nil { // '}'
		return nil, nil, r.wrap(err)
	}
	return keys, vals, nil
}

// wrap turns a decoder error into a *TransportError (connection) or a
// *DecodeError (content), never quoting the body.
func (r *RowReader) wrap(err error) error {
	var te *TransportError
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return &DecodeError{Method: http.MethodGet, Route: r.route, Reason: "result ends mid-way", Err: err}
	}
	return newDecodeError(http.MethodGet, r.route, err)
}
