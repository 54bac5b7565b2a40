package modeclient

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const resultBase = "/api/acme/reports/r1/runs/run1/query_runs/qr1/results/"

func TestQueryResultsCSVGzip(t *testing.T) {
	f := newFixture(t)
	const rows = 50_000
	f.mux.HandleFunc(resultBase+"content.csv", func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, expect{method: "GET", path: resultBase + "content.csv"})
		if r.Header.Get("Accept") != "text/csv" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		io.WriteString(gz, "id,name\r\n")
		for i := range rows {
			fmt.Fprintf(gz, "%d,row %d\r\n", i, i)
		}
		gz.Close()
	})
	rc, err := f.client.QueryResultsCSV(context.Background(), "acme", "r1", "run1", "qr1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	if len(lines) != rows+1 || lines[0] != "id,name" || lines[rows] != fmt.Sprintf("%d,row %d", rows-1, rows-1) {
		t.Errorf("got %d lines, first %q", len(lines), lines[0])
	}
}

func TestQueryResultsJSONRaw(t *testing.T) {
	f := newFixture(t)
	f.mux.HandleFunc(resultBase+"content.json", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"a":1}]`)
	})
	rc, err := f.client.QueryResultsJSON(context.Background(), "acme", "r1", "run1", "qr1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != `[{"a":1}]` {
		t.Errorf("body %s", b)
	}
}

func TestQueryResultRows(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		cols    []string
		rows    []Row
		wantErr bool
	}{
		{"typed values in first-object key order", `[{"z":"x","a":1.5,"m":true,"n":null},{"a":2,"z":"y","m":false,"n":"s"}]`,
			[]string{"z", "a", "m", "n"},
			[]Row{{"x", json.Number("1.5"), true, nil}, {"y", json.Number("2"), false, "s"}}, false},
		{"missing column is nil", `[{"a":1,"b":2},{"b":3}]`, []string{"a", "b"},
			[]Row{{json.Number("1"), json.Number("2")}, {nil, json.Number("3")}}, false},
		{"big ints keep precision", `[{"id":12345678901234567890}]`, []string{"id"}, []Row{{json.Number("12345678901234567890")}}, false},
		{"nested values", `[{"j":{"k":[1]}}]`, []string{"j"}, []Row{{map[string]any{"k": []any{json.Number("1")}}}}, false},
		{"empty array", `[]`, nil, nil, false},
		{"empty body", ``, nil, nil, false},
		{"extra column later", `[{"a":1},{"a":2,"b":3}]`, []string{"a"}, []Row{{json.Number("1")}}, true},
		{"truncated", `[{"a":1},{"a":`, []string{"a"}, []Row{{json.Number("1")}}, true},
		{"not an array", `{"a":1}`, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.mux.HandleFunc(resultBase+"content.json", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tt.body) })
			rr, err := f.client.QueryResultRows(context.Background(), "acme", "r1", "run1", "qr1")
			if err != nil {
				if !tt.wantErr || tt.cols != nil {
					t.Fatalf("open: %v", err)
				}
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Errorf("err = %v, want DecodeError", err)
				}
				return
			}
			defer rr.Close()
			if !reflect.DeepEqual(rr.Columns(), tt.cols) {
				t.Errorf("columns = %v, want %v", rr.Columns(), tt.cols)
			}
			var rows []Row
			var gotErr error
			for row, err := range rr.All() {
				if err != nil {
					gotErr = err
					break
				}
				rows = append(rows, row)
			}
			if !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows = %v, want %v", rows, tt.rows)
			}
			if (gotErr != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", gotErr, tt.wantErr)
			}
		})
	}
}

// rowsHandler generates n JSON rows on the fly, never holding them.
func rowsHandler(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		bw := w.(io.Writer)
		io.WriteString(bw, "[")
		for i := range n {
			if i > 0 {
				io.WriteString(bw, ",")
			}
			fmt.Fprintf(bw, `{"id":%d,"name":"account %d","amount":%d.25,"active":%t,"note":null}`, i, i, i, i%2 == 0)
		}
		io.WriteString(bw, "]")
	}
}

func TestQueryResultRowsLarge(t *testing.T) {
	f := newFixture(t)
	const n = 100_000
	f.mux.HandleFunc(resultBase+"content.json", rowsHandler(n))
	rr, err := f.client.QueryResultRows(context.Background(), "acme", "r1", "run1", "qr1")
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	count := 0
	for row, err := range rr.All() {
		if err != nil {
			t.Fatal(err)
		}
		if row[0] != json.Number(fmt.Sprint(count)) {
			t.Fatalf("row %d id %v", count, row[0])
		}
		count++
	}
	if count != n {
		t.Errorf("%d rows, want %d", count, n)
	}
}

func TestResultErrorStatus(t *testing.T) {
	f := newFixture(t)
	f.mux.HandleFunc(resultBase+"content.csv", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, `{"id":"not_found","message":"no result"}`)
	})
	_, err := f.client.QueryResultsCSV(context.Background(), "acme", "r1", "run1", "qr1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Route != "/api/{workspace}/reports/{report}/runs/{run}/query_runs/{query_run}/results/content.csv" {
		t.Fatalf("err = %v", err)
	}
}

// legacyRows decodes a result as RowReader did with encoding/json's token
// stream: the oracle the hand decoder must agree with. It returns the
// columns, the rows read before any error, and whether reading failed.
func legacyRows(body string) (cols []string, rows []Row, failed bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, nil, false
	}
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '[' {
		return nil, nil, true
	}
	readObject := func() ([]string, []any, bool) {
		tok, err := dec.Token()
		if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
			return nil, nil, false
		}
		var keys []string
		var vals []any
		for dec.More() {
			tok, err := dec.Token()
			k, ok := tok.(string)
			if err != nil || !ok {
				return nil, nil, false
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, nil, false
			}
			keys, vals = append(keys, k), append(vals, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, nil, false
		}
		return keys, vals, true
	}
	var index map[string]int
	for first := true; dec.More(); first = false {
		keys, vals, ok := readObject()
		if !ok {
			return cols, rows, true
		}
		if first {
			index = map[string]int{}
			for _, k := range keys {
				if _, dup := index[k]; !dup {
					index[k] = len(cols)
					cols = append(cols, k)
				}
			}
		}
		row := make(Row, len(cols))
		for i, k := range keys {
			j, ok := index[k]
			if !ok {
				return cols, rows, true
			}
			row[j] = vals[i]
		}
		rows = append(rows, row)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return cols, rows, true
	}
	return cols, rows, false
}

// decodeAll reads body with RowReader, from a reader that returns at most
// chunk bytes per Read (so that values straddle buffer refills).
func decodeAll(body string, chunk int) (cols []string, rows []Row, err error) {
	var r io.Reader = strings.NewReader(body)
	if chunk > 0 {
		r = &chunkReader{s: body, n: chunk}
	}
	rr, err := NewRowReader(io.NopCloser(r), "test")
	if err != nil {
		return nil, nil, err
	}
	cols = rr.Columns()
	for row, err := range rr.All() {
		if err != nil {
			return cols, rows, err
		}
		rows = append(rows, row)
	}
	return cols, rows, nil
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	s string
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

// checkAgainstLegacy fails t when RowReader and the encoding/json oracle
// disagree on body: same columns and rows, an error exactly when the oracle
// has one, and every error a *DecodeError.
func checkAgainstLegacy(t *testing.T, body string) {
	t.Helper()
	wantCols, wantRows, wantFail := legacyRows(body)
	for _, chunk := range []int{0, 1, 7} {
		cols, rows, err := decodeAll(body, chunk)
		if (err != nil) != wantFail {
			t.Fatalf("chunk %d: err = %v, oracle failed = %v (body %q)", chunk, err, wantFail, body)
		}
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("chunk %d: err %T %v, want *DecodeError", chunk, err, err)
			}
			if strings.Contains(de.Error(), body) && len(body) > 8 {
				t.Fatalf("error quotes the body: %v", de)
			}
		}
		if cols == nil && err != nil && len(wantRows) == 0 {
			continue // failed while opening: the oracle may know the first row's keys
		}
		if !reflect.DeepEqual(cols, wantCols) || !reflect.DeepEqual(rows, wantRows) {
			t.Fatalf("chunk %d: body %q\ngot  %v %#v\nwant %v %#v", chunk, body, cols, rows, wantCols, wantRows)
		}
	}
}

func TestRowReaderMatchesEncodingJSON(t *testing.T) {
	bodies := []string{
		``, ` `, `[]`, ` [ ] `, `[{}]`, `[{},{}]`, "\n[\r\n\t{ \"a\" : 1 , \"b\" : \"x\" } ,\n{\"b\":null}]\n",
		`[{"s":"plain","e":"esc \" \\ \/ \b \f \n \r \t","u":"\u00e9\u4e2d\ud83d\ude00"}]`,
		`[{"lone":"\ud800","lowonly":"\udc00x","pairbad":"\ud800\u0041","upper":"\u00E9"}]`,
		"[{\"utf8\":\"h\u00e9llo \u4e16\u754c \U0001F600\",\"bad\":\"a\xffb\xc3\"}]",
		`[{"n":0,"m":-0,"f":-12.5e+10,"g":1E-7,"i":12345678901234567890,"d":0.000001}]`,
		`[{"t":true,"f":false,"z":null}]`,
		`[{"o":{"k":[1,"x",{"y":null}],"s":"}]\"["},"a":[],"b":{}}]`,
		`[{"dup":1,"dup":2,"x":3},{"x":4,"dup":5,"dup":6}]`,
		`[{"a":1,"b":2},{"b":3},{}]`,
		`[{"\u0061":1},{"a":2}]`,
		// Malformed: each must fail, like the oracle.
		`{"a":1}`, `"x"`, `[1]`, `[{"a":1},2]`, `[{"a":1} {"a":2}]`, `[{"a":1},]`, `[{"a":1}`, `[{"a":1},`,
		`[{"a":01}]`, `[{"a":1.}]`, `[{"a":.5}]`, `[{"a":-}]`, `[{"a":+1}]`, `[{"a":1e}]`, `[{"a":tru}]`, `[{"a":nul}]`,
		`[{"a":nullx}]`, `[{"a" 1}]`, `[{a:1}]`, `[{"a":1,}]`, `[{"a":"x`, `[{"a":"\x"}]`, `[{"a":"\u12"}]`,
		"[{\"a\":\"tab\there\"}]", `[{"a":{"b":1]}]`, `[{"a":[1,2}]`, `[{"a":{"b":}}]`, `[{"a":1},{"b":2}]`, `[`, `[{`,
	}
	for _, b := range bodies {
		checkAgainstLegacy(t, b)
	}
}

func TestRowReaderLargeValues(t *testing.T) {
	big := strings.Repeat("ab\\\"\u00e9", 30_000)
	nested := `{"k":"` + strings.Repeat("x", 80_000) + `"}`
	checkAgainstLegacy(t, `[{"s":"`+big+`","n":`+nested+`},{"s":"y","n":[`+nested+`]}]`)
}

func FuzzRowReader(f *testing.F) {
	for _, s := range []string{
		`[{"a":1,"b":"x"},{"b":"\u00e9\ud83d\ude00","a":-1.5e3}]`, `[{"o":{"k":[1,{"x":"]"}]}}]`, `[]`, ``,
		`[{"a":true,"b":false,"c":null},{"c":"\\\""}]`, `[{"a":1},{"a":2,"b":3}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkAgainstLegacy(t, body)
	})
}
