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
