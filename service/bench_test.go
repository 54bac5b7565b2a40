package service

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// Hot-path benchmarks without a network: translation of a Mode report into
// its message, and the result rows' path from Mode's JSON to the encoded
// StreamQueryResultsResponse batches.
//
//	go test -run '^$' -bench 'ReportFromMode|RowBatch|ResultPipeline' -benchmem ./service/

// benchReport is a report as Mode describes it, every field set.
func benchReport() *modeclient.Report {
	at := modeclient.Time{Time: time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)}
	return &modeclient.Report{
		ID: 1234567, Token: "a1b2c3d4e5f6", Name: "Orders by region and month",
		Description: "Monthly order volume per sales region, with the year-over-year change.",
		Type:        "Report", SpaceToken: "0f1e2d3c4b5a", AccountID: 42, AccountUsername: "parch_and_posey",
		Shared: true, Layout: "default", ThemeID: 1, ExpectedRuntime: 1.25,
		CreatedAt: at, UpdatedAt: at, EditedAt: at, PublishedAt: at, LastSavedAt: at, LastRunAt: at, LastSuccessfullyRunAt: at,
		LastSuccessfulRunToken: "9e8d7c6b5a4f", QueryCount: 3, MaxQueryCount: 160, ChartCount: 2, RunsCount: 57, ViewCount: 1203,
		Links: modeclient.Links{
			"self": {Href: "/api/parch_and_posey/reports/a1b2c3d4e5f6"},
			"web":  {Href: "/parch_and_posey/reports/a1b2c3d4e5f6"},
		},
	}
}

// BenchmarkReportFromMode translates a report into its message.
func BenchmarkReportFromMode(b *testing.B) {
	cl, err := modeclient.New("https://app.mode.com", modeclient.Credential{Token: "t", Secret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	r := benchReport()
	b.ReportAllocs()
	for b.Loop() {
		if m := reportFromMode(cl, "parch_and_posey", "a1b2c3d4e5f6", r); m.Name == "" {
			b.Fatal("no name")
		}
	}
}

// BenchmarkReportFromModeMarshal translates and encodes a GetReportResponse,
// which is all a cache hit does after the decode.
func BenchmarkReportFromModeMarshal(b *testing.B) {
	cl, err := modeclient.New("https://app.mode.com", modeclient.Credential{Token: "t", Secret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	r := benchReport()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		msg := &modeplatformv1.GetReportResponse{Report: reportFromMode(cl, "parch_and_posey", "a1b2c3d4e5f6", r)}
		if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], msg); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// benchJSONRows is n rows shaped like the emulator's big_rows table (two
// integers, a timestamp, a decimal, a label), as Mode's JSON result.
func benchJSONRows(n int) []byte {
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

// benchRows decodes n such rows.
func benchRows(b *testing.B, n int) []modeclient.Row {
	b.Helper()
	rr, err := modeclient.NewRowReader(io.NopCloser(bytes.NewReader(benchJSONRows(n))), "bench")
	if err != nil {
		b.Fatal(err)
	}
	var rows []modeclient.Row
	for row, err := range rr.All() {
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, row)
	}
	return rows
}

// BenchmarkRowBatchEncode is the row encoding alone: decoded rows into
// 500-row batches, each marshalled as Connect does before sending it.
func BenchmarkRowBatchEncode(b *testing.B) {
	const n = 10_000
	rows := benchRows(b, n)
	batcher := newRowBatcher(500, 1<<20, len(rows[0]))
	var buf []byte
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		size = 0
		flush := func() {
			var err error
			if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], batcher.message()); err != nil {
				b.Fatal(err)
			}
			size += int64(len(buf))
			batcher.reset()
		}
		for i, row := range rows {
			if batcher.commit(int64(i), batcher.stage(row)) {
				flush()
			}
		}
		if batcher.message() != nil {
			flush()
		}
	}
	b.SetBytes(size)
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkResultPipeline is StreamQueryResults without the network: Mode's
// JSON decoded row by row, typed, batched and marshalled.
func BenchmarkResultPipeline(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("rows="+strconv.Itoa(n), func(b *testing.B) {
			body := benchJSONRows(n)
			var buf []byte
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				rr, err := modeclient.NewRowReader(io.NopCloser(bytes.NewReader(body)), "bench")
				if err != nil {
					b.Fatal(err)
				}
				count := 0
				rs := &resultStream{
					rr: rr, name: "bench", maxRow: modeclient.DefaultMaxRowBytes,
					send: func(m *modeplatformv1.StreamQueryResultsResponse) error {
						count += len(m.GetRows())
						var err error
						buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], m)
						return err
					},
					b: newRowBatcher(500, 1<<20, len(rr.Columns())),
				}
				if err := rs.run(500, 1<<20); err != nil {
					b.Fatal(err)
				}
				if count != n {
					b.Fatalf("%d rows", count)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
