package modetest

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// A dataset's fields are the columns of its query's result, derived from the real SQL: the
// emulator executes the SQL on the demo database and names each column's type from the values
// the result holds, as a reader of the results (JSON or CSV) sees them. The demo data never
// changes, so the fields of one SQL text never change either, and are remembered (fieldsMemo).

// Result column types, as the emulator names them in a dataset's fields (Mode's document defines
// no DatasetField; see datasets.go).
const (
	typeInteger  = "integer"
	typeFloat    = "float"
	typeString   = "string"
	typeBoolean  = "boolean"
	typeDatetime = "datetime"
	typeDate     = "date"
)

// maxTypedRows bounds how many rows of a result are read to type its columns.
const maxTypedRows = 100_000

// maxFieldsMemo bounds how many SQL texts' fields the emulator remembers.
const maxFieldsMemo = 256

// fieldInfo is one field of a dataset: a result column's name and type.
type fieldInfo struct{ name, typ string }

// datasetSQL returns the SQL whose result columns are the dataset's latest fields: the rendered
// SQL of its last successful run's first query, else its first query's SQL rendered with the
// defaults of its parameters; "" when it has no query. Call with e.mu held.
func datasetSQL(ds *report) string {
	if tok := ds.lastSuccessRunTok; tok != "" {
		if run := ds.run(tok); run != nil && len(run.queryRuns) > 0 {
			return run.queryRuns[0].renderedSource
		}
	}
	if len(ds.queries) == 0 {
		return ""
	}
	rendered, _ := renderSQL(ds.queries[0].rawQuery, nil)
	return rendered
}

// datasetFields returns the dataset of the path and its latest fields, answering 404 (or 503 when
// the request or the emulator ended while the SQL ran) and returning false when it cannot. A
// dataset whose SQL fails has no fields.
func (e *Emulator) datasetFields(w http.ResponseWriter, r *http.Request) (*report, []fieldInfo, bool) {
	e.mu.Lock()
	ds := e.findDataset(r)
	if ds == nil {
		e.mu.Unlock()
		notFound(w, "Dataset")
		return nil, nil, false
	}
	q := datasetSQL(ds)
	fields, known := e.fieldsMemo[q]
	e.mu.Unlock()
	if known {
		return ds, fields, true
	}
	ctx, cancel := e.requestContext(r)
	defer cancel()
	fields, err := e.resultFields(ctx, q)
	if ctx.Err() != nil {
		writeError(w, http.StatusServiceUnavailable, "The request ended before the dataset's fields were read")
		return nil, nil, false
	}
	if err != nil {
		fields = []fieldInfo{}
	}
	e.mu.Lock()
	if len(e.fieldsMemo) >= maxFieldsMemo {
		clear(e.fieldsMemo)
	}
	e.fieldsMemo[q] = fields
	e.mu.Unlock()
	return ds, fields, true
}

// resultFields executes q and returns its columns, in SELECT order, typed by the values of the
// result's rows (up to maxTypedRows).
func (e *Emulator) resultFields(ctx context.Context, q string) ([]fieldInfo, error) {
	if strings.TrimSpace(q) == "" {
		return []fieldInfo{}, nil
	}
	rows, err := e.ds.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	declared := make([]string, len(cols))
	if cts, err := rows.ColumnTypes(); err == nil {
		for i, ct := range cts {
			declared[i] = ct.DatabaseTypeName()
		}
	}
	kinds := make([]valueKinds, len(cols))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 0; n < maxTypedRows && rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			kinds[i].add(v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]fieldInfo, len(cols))
	for i, c := range cols {
		out[i] = fieldInfo{name: c, typ: kinds[i].typ(declared[i])}
	}
	return out, nil
}

// valueKinds records which kinds of value a result column held.
type valueKinds uint8

const (
	kindInteger valueKinds = 1 << iota
	kindFloat
	kindBoolean
	kindDatetime
	kindDate
	kindString
)

// add records the kind of v (nil adds nothing: a NULL fits any type).
func (k *valueKinds) add(v any) {
	switch x := v.(type) {
	case nil:
	case int64:
		*k |= kindInteger
	case float64:
		*k |= kindFloat
	case bool:
		*k |= kindBoolean
	case time.Time:
		*k |= kindDatetime
	case []byte:
		*k |= stringKind(string(x))
	case string:
		*k |= stringKind(x)
	default:
		*k |= kindString
	}
}

// stringKind tells a timestamp ("2014-01-01T00:00:00.000Z", "2014-01-01 00:00:00") and a date
// ("2014-01-01") from any other text.
func stringKind(s string) valueKinds {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return kindString
	}
	if len(s) == 10 {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return kindDate
		}
		return kindString
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateTime} {
		if _, err := time.Parse(layout, s); err == nil {
			return kindDatetime
		}
	}
	return kindString
}

// typ names the column's type from the kinds of its values: numbers of both kinds are floats,
// timestamps and dates together are datetimes, and anything mixed with text is text. A column
// of NULLs only is typed by its declared type.
func (k valueKinds) typ(declared string) string {
	switch {
	case k == 0:
		return declaredType(declared)
	case k == kindInteger:
		return typeInteger
	case k&^(kindInteger|kindFloat) == 0:
		return typeFloat
	case k == kindBoolean:
		return typeBoolean
	case k == kindDate:
		return typeDate
	case k&^(kindDatetime|kindDate) == 0:
		return typeDatetime
	}
	return typeString
}

// declaredType maps a declared SQL column type (SQLite's affinity rules) to a field type.
func declaredType(declared string) string {
	d := strings.ToUpper(declared)
	switch {
	case strings.Contains(d, "INT"):
		return typeInteger
	case strings.Contains(d, "BOOL"):
		return typeBoolean
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"),
		strings.Contains(d, "NUM"), strings.Contains(d, "DEC"):
		return typeFloat
	case strings.Contains(d, "DATE"), strings.Contains(d, "TIME"):
		return typeDatetime
	}
	return typeString
}
