package modeclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestRowReaderLimits(t *testing.T) {
	const maxRow, maxValue = 4096, 1024
	lim := RowLimits{MaxRowBytes: maxRow, MaxValueBytes: maxValue}
	huge := strings.Repeat("x", 10<<20) // far past both limits: must never be read whole
	members := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"c` + strings.Repeat("0", 4) + string(rune('a'+i%26)) + `":null`)
		}
		return b.String()
	}
	tests := []struct {
		name      string
		body      string
		wantRows  int   // rows read before the error
		wantRow   int64 // 0: no error
		wantValue bool
		wantCol   string
		wantLimit int
	}{
		{"within the limits", `[{"a":"` + strings.Repeat("y", maxValue) + `","b":1},{"a":"z","b":2}]`, 2, 0, false, "", 0},
		{"huge string in the first row", `[{"a":1,"big":"` + huge + `"}]`, 0, 1, true, "big", maxValue},
		{"huge string in the third row", `[{"a":1,"big":"s"},{"a":2,"big":"t"},{"a":3,"big":"` + huge + `"}]`, 2, 3, true, "big", maxValue},
		{"huge escaped string", `[{"a":"ok"},{"a":"` + strings.Repeat(`\u00e9`, 1<<20) + `"}]`, 1, 2, true, "a", maxValue},
		{"huge number", `[{"n":1},{"n":` + strings.Repeat("9", 1<<20) + `}]`, 1, 2, true, "n", maxValue},
		{"huge nested value", `[{"o":{"k":"` + huge + `"}}]`, 0, 1, true, "o", maxValue},
		{"huge key", `[{"` + huge + `":1}]`, 0, 1, true, "", maxValue},
		{"row of many small values", `[{"a":1},{` + members(2000) + `}]`, 1, 2, false, "", maxRow},
		{"row of values each under the value limit", `[{"a":"` + strings.Repeat("v", 1000) + `","b":"` + strings.Repeat("v", 1000) + `","c":"` + strings.Repeat("v", 1000) + `","d":"` + strings.Repeat("v", 1000) + `","e":"` + strings.Repeat("v", 1000) + `"}]`, 0, 1, false, "", maxRow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{0, 7} {
				var src io.Reader = strings.NewReader(tt.body)
				if chunk > 0 {
					src = &chunkReader{s: tt.body, n: chunk}
				}
				cr := &countingReader{r: src}
				rows := 0
				rr, err := NewRowReaderWithLimits(io.NopCloser(cr), "test", lim)
				if err == nil {
					for _, rerr := range rr.All() {
						if rerr != nil {
							err = rerr
							break
						}
						rows++
					}
				}
				if tt.wantRow == 0 {
					if err != nil || rows != tt.wantRows {
						t.Fatalf("chunk %d: %d rows, %v; want %d rows, no error", chunk, rows, err, tt.wantRows)
					}
					continue
				}
				var te *RowTooLargeError
				if !errors.As(err, &te) {
					t.Fatalf("chunk %d: err %T %v after %d rows, want *RowTooLargeError", chunk, err, err, rows)
				}
				if rows != tt.wantRows || te.Row != tt.wantRow || te.Value != tt.wantValue || te.Column != tt.wantCol || te.Limit != tt.wantLimit {
					t.Errorf("chunk %d: %d rows, error %+v; want %d rows, row %d value %v column %q limit %d",
						chunk, rows, te, tt.wantRows, tt.wantRow, tt.wantValue, tt.wantCol, tt.wantLimit)
				}
				if strings.Contains(te.Error(), "xxxx") || strings.Contains(te.Error(), "9999") {
					t.Errorf("error quotes the value: %.200s", te.Error())
				}
				// Stopped near the limit: the huge value was not read whole.
				if cr.n > 2*maxRow+2*rowReadSize {
					t.Errorf("chunk %d: read %d bytes of %d before failing", chunk, cr.n, len(tt.body))
				}
			}
		})
	}
}

func TestRowLimitsDefaults(t *testing.T) {
	body := `[{"a":"` + strings.Repeat("x", DefaultMaxValueBytes+1) + `"}]`
	_, err := NewRowReader(io.NopCloser(strings.NewReader(body)), "test")
	var te *RowTooLargeError
	if !errors.As(err, &te) || te.Limit != DefaultMaxValueBytes || !te.Value {
		t.Fatalf("default limits: %v", err)
	}
	// Negative: no bound.
	rr, err := NewRowReaderWithLimits(io.NopCloser(strings.NewReader(body)), "test", RowLimits{MaxRowBytes: -1, MaxValueBytes: -1})
	if err != nil {
		t.Fatalf("unbounded: %v", err)
	}
	if row, err := rr.Next(); err != nil || len(row[0].(string)) != DefaultMaxValueBytes+1 {
		t.Fatalf("unbounded row: %v", err)
	}
}

// lengthTransport sends requests with next and rewrites the Content-Length
// of their answers; it records whether each request was marked Streamed.
type lengthTransport struct {
	next     http.RoundTripper
	length   int64 // the Content-Length to claim; -1: leave it
	mu       sync.Mutex
	streamed map[string]bool // by path
}

func (l *lengthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.streamed[req.URL.Path] = Streamed(req.Context())
	l.mu.Unlock()
	resp, err := l.next.RoundTrip(req)
	if err == nil && l.length >= 0 {
		resp.ContentLength = l.length
	}
	return resp, err
}

func TestStreamedBodyShorterThanContentLength(t *testing.T) {
	f := newFixture(t)
	const body = "id,name\r\n1,a\r\n"
	f.mux.HandleFunc(resultBase+"content.csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, body)
	})
	f.mux.HandleFunc("/api/acme/reports/r1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		io.WriteString(w, `{"token":"r1","account_username":"acme","_links":{}}`)
	})
	for _, tt := range []struct {
		name    string
		length  int64
		wantErr bool
	}{
		{"length as sent", int64(len(body)), false},
		{"no length", -1, false},
		{"body shorter than its length", int64(len(body)) + 100, true},
		{"body longer than its length", int64(len(body)) - 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lt := &lengthTransport{next: f.srv.Client().Transport, length: tt.length, streamed: map[string]bool{}}
			if tt.length < 0 {
				lt.length = -1
			}
			c, err := New(f.srv.URL, testCred, WithHTTPClient(&http.Client{Transport: lt}))
			if err != nil {
				t.Fatal(err)
			}
			rc, err := c.QueryResultsCSV(context.Background(), "acme", "r1", "run1", "qr1")
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			var te *TransportError
			switch {
			case tt.wantErr && (!errors.As(err, &te) || !errors.Is(err, io.ErrUnexpectedEOF)):
				t.Fatalf("read %d bytes, err %v; want a *TransportError wrapping io.ErrUnexpectedEOF", len(b), err)
			case !tt.wantErr && (err != nil || string(b) != body):
				t.Fatalf("read %q, %v", b, err)
			}
			if _, err := c.GetReport(context.Background(), "acme", "r1"); err != nil {
				t.Fatalf("GetReport: %v", err)
			}
			lt.mu.Lock()
			defer lt.mu.Unlock()
			if !lt.streamed[resultBase+"content.csv"] || lt.streamed["/api/acme/reports/r1"] {
				t.Errorf("Streamed marks %v; want only the result", lt.streamed)
			}
		})
	}
}
