package modeclient

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// benchResultJSON is n rows of Mode's JSON result shaped like the emulator's
// big_rows table: two integers, a timestamp, a decimal and a label.
func benchResultJSON(n int) []byte {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"id":%d,"account_id":%d,"occurred_at":"2014-01-01T00:%02d:%02d.000Z","amount_usd":%d.%02d,"label":"row-%d"}`,
			i, 1001+(i*7919%350)*10, i/60%60, i%60, i*7877%1000, i%100, i)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// BenchmarkRowReader decodes 10,000 rows from memory: the decoder alone,
// without HTTP.
//
//	go test -run '^$' -bench RowReader -benchmem ./modeclient/
func BenchmarkRowReader(b *testing.B) {
	const n = 10_000
	body := benchResultJSON(n)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rr, err := NewRowReader(io.NopCloser(bytes.NewReader(body)), "bench")
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for _, err := range rr.All() {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d rows", count)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
