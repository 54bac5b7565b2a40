package modetest

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Query results. A finished query run keeps its rendered SQL; reading its results executes that
// SQL again and streams the rows from the SQL cursor straight to the client, row by row, as JSON
// (an array of objects keyed by column name, columns in SELECT order) or CSV (header row, CRLF,
// gzip-encoded when the client accepts gzip). The demo data never changes, so re-executing is
// deterministic, and memory stays bounded whatever the result size.

const (
	formatJSON = "json"
	formatCSV  = "csv"
)

// queryRunResults answers the results of one query run.
func (e *Emulator) queryRunResults(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		_, run, ok := e.lookupRun(w, r)
		if !ok {
			e.mu.Unlock()
			return
		}
		qr := run.queryRun(r.PathValue("query_run"))
		if qr == nil {
			e.mu.Unlock()
			notFound(w, "Query run")
			return
		}
		state, sql := qr.state, qr.renderedSource
		purged := ""
		if run.purged() {
			purged = purgedMessage("Results of this query run", run)
		}
		e.mu.Unlock()
		if purged != "" {
			writeError(w, http.StatusNotFound, purged)
			return
		}
		if state != stateSucceeded {
			notFound(w, "Results for this query run ("+state+")")
			return
		}
		e.streamResults(w, r, format, sql)
	}
}

// runResults answers the results of a whole run: its one query's results, or for several
// queries a ZIP of one CSV per query (CSV only; JSON needs a single query).
func (e *Emulator) runResults(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		_, run, ok := e.lookupRun(w, r)
		if !ok {
			e.mu.Unlock()
			return
		}
		state := run.state
		var names, sqls []string
		for _, qr := range run.queryRuns {
			names = append(names, qr.queryName)
			sqls = append(sqls, qr.renderedSource)
		}
		purged := ""
		if run.purged() {
			purged = purgedMessage("Results of this report run", run)
		}
		e.mu.Unlock()
		switch {
		case purged != "":
			writeError(w, http.StatusNotFound, purged)
		case state != stateSucceeded:
			notFound(w, "Results for this report run ("+state+")")
		case len(sqls) == 0:
			notFound(w, "Results for this report run (no queries)")
		case len(sqls) == 1:
			e.streamResults(w, r, format, sqls[0])
		case format == formatCSV:
			e.streamZip(w, r, names, sqls)
		default:
			badRequest(w, "This report has several queries: download the results of each query run")
		}
	}
}

// requestContext ends when the request ends or the emulator closes, so that Close does not wait
// for a long stream to finish.
func (e *Emulator) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(e.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// resultLimit reads the optional limit query parameter (0 = no limit).
func resultLimit(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") || strings.TrimSpace(name) == "*" {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

// streamResults executes sql and streams its rows. An error before the first byte is answered
// with Mode's error body; an error mid-stream cuts the connection so the client cannot mistake a
// partial result for a whole one.
func (e *Emulator) streamResults(w http.ResponseWriter, r *http.Request, format, sql string) {
	ctx, cancel := e.requestContext(r)
	defer cancel()
	rows, err := e.ds.db.QueryContext(ctx, sql)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Could not read results: "+sqlErrorMessage(err))
		return
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Could not read results")
		return
	}
	h := w.Header()
	var out io.Writer = w
	if format == formatCSV {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="content.csv"`)
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			out = gz
		}
	} else {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(out, 32<<10)
	rs := &rowSource{next: rows.Next, scan: rows.Scan, err: rows.Err, cols: cols, limit: resultLimit(r)}
	if format == formatCSV {
		err = writeCSV(bw, rs)
	} else {
		err = writeJSONRows(bw, rs)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		abort()
	}
}

// streamZip streams a ZIP holding one CSV per query.
func (e *Emulator) streamZip(w http.ResponseWriter, r *http.Request, names, sqls []string) {
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="content.zip"`)
	w.WriteHeader(http.StatusOK)
	ctx, cancel := e.requestContext(r)
	defer cancel()
	zw := zip.NewWriter(w)
	for i, sql := range sqls {
		f, err := zw.Create(fmt.Sprintf("%02d_%s.csv", i+1, fileName(names[i])))
		if err != nil {
			abort()
		}
		rows, err := e.ds.db.QueryContext(ctx, sql)
		if err != nil {
			abort()
		}
		cols, err := rows.Columns()
		if err == nil {
			bw := bufio.NewWriterSize(f, 32<<10)
			err = writeCSV(bw, &rowSource{next: rows.Next, scan: rows.Scan, err: rows.Err, cols: cols})
			if err == nil {
				err = bw.Flush()
			}
		}
		rows.Close()
		if err != nil {
			abort()
		}
	}
	if err := zw.Close(); err != nil {
		abort()
	}
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func fileName(s string) string {
	s = strings.Trim(unsafeFileChars.ReplaceAllString(s, "_"), "_")
	if s == "" {
		return "query"
	}
	return s
}

// rowSource is a SQL cursor, reduced to what the writers need.
type rowSource struct {
	next  func() bool
	scan  func(...any) error
	err   func() error
	cols  []string
	limit int // 0 = all rows
	vals  []any
	ptrs  []any
	n     int
}

// row advances to the next row and scans it into vals; false at the end or on error.
func (s *rowSource) row() (bool, error) {
	if s.limit > 0 && s.n >= s.limit {
		return false, nil
	}
	if !s.next() {
		return false, s.err()
	}
	if s.vals == nil {
		s.vals = make([]any, len(s.cols))
		s.ptrs = make([]any, len(s.cols))
		for i := range s.vals {
			s.ptrs[i] = &s.vals[i]
		}
	}
	if err := s.scan(s.ptrs...); err != nil {
		return false, err
	}
	s.n++
	return true, nil
}

func writeCSV(w io.Writer, s *rowSource) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(s.cols); err != nil {
		return err
	}
	rec := make([]string, len(s.cols))
	for {
		ok, err := s.row()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		for i, v := range s.vals {
			rec[i] = cellString(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func cellString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return formatTime(x)
	default:
		return fmt.Sprint(x)
	}
}

func writeJSONRows(w *bufio.Writer, s *rowSource) error {
	keys := make([][]byte, len(s.cols))
	for i, c := range s.cols {
		keys[i] = append(appendJSONString(nil, c), ':')
	}
	buf := make([]byte, 0, 512)
	buf = append(buf, '[')
	for first := true; ; first = false {
		ok, err := s.row()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if !first {
			buf = append(buf, ',')
		}
		buf = append(buf, '{')
		for i, v := range s.vals {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, keys[i]...)
			buf = appendJSONValue(buf, v)
		}
		buf = append(buf, '}')
		if _, err := w.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
	}
	buf = append(buf, ']')
	_, err := w.Write(buf)
	return err
}

func appendJSONValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
			return strconv.AppendFloat(b, x, 'e', -1, 64)
		}
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendJSONString(b, x)
	case []byte:
		return appendJSONString(b, string(x))
	case time.Time:
		return appendJSONString(b, formatTime(x))
	default:
		return appendJSONString(b, fmt.Sprint(x))
	}
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes U+FFFD, as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
