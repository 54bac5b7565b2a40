package modeclient_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
)

// readChunks reads d's body through a 4 KiB buffer into a SHA-256 (never holding it), also
// hashing the bytes from byte `from` on, and returns the byte count, the whole hash and the
// hash from `from`.
func readChunks(t *testing.T, d *modeclient.Download, from int64) (n int64, whole, tail [32]byte, head []byte) {
	t.Helper()
	defer d.Body.Close()
	hw, ht := sha256.New(), sha256.New()
	buf := make([]byte, 4<<10)
	for {
		k, err := d.Body.Read(buf)
		hw.Write(buf[:k])
		if len(head) < 16 {
			head = append(head, buf[:min(k, 16-len(head))]...)
		}
		if skip := from - n; skip < int64(k) {
			ht.Write(buf[max(skip, 0):k])
		}
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", n, err)
		}
	}
	copy(whole[:], hw.Sum(nil))
	copy(tail[:], ht.Sum(nil))
	return n, whole, tail, head
}

// TestContractRunExports downloads a finished run's PDF (whole, then resumed from its middle)
// and its results as CSV and JSON; on the emulator also the ZIP of a run of several queries, and
// the 404 of an unknown run.
func TestContractRunExports(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixturesWithRun(t)

		d := must(c.DownloadReportRunPDF(ctx, tg.ws, fx.Report, fx.Run, nil))(t)
		if d.ContentType != "application/pdf" {
			t.Errorf("PDF content type %q", d.ContentType)
		}
		length, etag := d.Length, d.ETag
		half := max(length/2, 1)
		n, _, tail, head := readChunks(t, d, half)
		if !bytes.HasPrefix(head, []byte("%PDF-")) || length >= 0 && n != length {
			t.Errorf("PDF: %d bytes (length %d), starts %q", n, length, head)
		}
		if tg.emu != nil {
			if !strings.HasSuffix(d.FileName, ".pdf") || etag == "" || d.Size != n {
				t.Errorf("PDF download = %+v", d)
			}
			// Resume from the middle: the rest of the same file.
			r := must(c.DownloadReportRunPDF(ctx, tg.ws, fx.Report, fx.Run, &modeclient.DownloadOptions{Offset: half, IfRange: etag}))(t)
			if r.Offset != half || r.Size != n {
				t.Errorf("resumed PDF = %+v, want from %d of %d", r, half, n)
			}
			rn, rhash, _, _ := readChunks(t, r, 0)
			if rn != n-half || rhash != tail {
				t.Errorf("resumed PDF: %d bytes, want %d, same bytes %v", rn, n-half, rhash == tail)
			}
		}

		// The whole run's results, the run having one query: its CSV and its JSON.
		res := must(c.DownloadReportRunResults(ctx, tg.ws, fx.Report, fx.Run, modeclient.ResultsCSV, nil))(t)
		if res.ContentType == "text/csv" {
			recs, err := csv.NewReader(res.Body).ReadAll()
			if err != nil || len(recs) < 1 {
				t.Errorf("CSV: %v, %d records", err, len(recs))
			}
			if tg.emu != nil {
				want := readResults(t, ctx, c, tg.ws, fx.Report, fx.Run, fx.QueryRun, 2000)
				if !slices.Equal(recs[0], want.header) || !slices.EqualFunc(recs[1:], want.csv, slices.Equal) {
					t.Errorf("CSV: header %q, %d rows; the query run's %q, %d rows", recs[0], len(recs)-1, want.header, len(want.csv))
				}
			}
		} else if res.ContentType != "application/zip" {
			t.Errorf("results content type %q", res.ContentType)
		}
		res.Body.Close()
		js := must(c.DownloadReportRunResults(ctx, tg.ws, fx.Report, fx.Run, modeclient.ResultsJSON, nil))(t)
		rows, err := modeclient.NewRowReader(js.Body, "content.json")
		if err != nil {
			t.Fatalf("JSON results: %v", err)
		}
		if len(rows.Columns()) == 0 {
			t.Errorf("JSON results: no columns")
		}
		rows.Close()

		var ae *modeclient.APIError
		_, err = c.DownloadReportRunPDF(ctx, tg.ws, fx.Report, "000000000000", nil)
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
			t.Errorf("PDF of an unknown run: %v, want a 404 *APIError", err)
		}
		if tg.emu == nil {
			return
		}
		_, err = c.DownloadReportRunResults(ctx, tg.ws, fx.Report, "000000000000", modeclient.ResultsCSV, nil)
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
			t.Errorf("results of an unknown run: %v, want a 404 *APIError", err)
		}

		// A run of several queries: a ZIP of one CSV per query, spooled to a file in chunks
		// (a ZIP is read from its end), each CSV the query run's rows.
		multi := tg.emu.Demo().Reports[3] // Sales Rep Leaderboard: "Reps", "Reps per region"
		run := waitRun(t, ctx, c, tg.ws, multi, must(c.RunReport(ctx, tg.ws, multi, nil))(t).Token)
		z := must(c.DownloadReportRunResults(ctx, tg.ws, multi, run.Token, modeclient.ResultsCSV, nil))(t)
		if z.ContentType != "application/zip" || z.FileName != "content.zip" {
			t.Errorf("ZIP download = %+v", z)
		}
		file := filepath.Join(t.TempDir(), "content.zip")
		out, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyBuffer(out, struct{ io.Reader }{z.Body}, make([]byte, 4<<10)); err != nil {
			t.Fatal(err)
		}
		z.Body.Close()
		out.Close()
		zr, err := zip.OpenReader(file)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		qrs := collect(t, c.ListQueryRuns(ctx, tg.ws, multi, run.Token, nil))
		if len(zr.File) != 2 || len(qrs) != 2 {
			t.Fatalf("ZIP of %d files, run of %d query runs", len(zr.File), len(qrs))
		}
		for i, name := range []string{"Reps", "Reps per region"} {
			f := zr.File[i]
			if want := []string{"01_Reps.csv", "02_Reps_per_region.csv"}[i]; f.Name != want {
				t.Errorf("file %d is %q, want %q", i, f.Name, want)
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(rc).ReadAll()
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			for _, qr := range qrs {
				if qr.QueryName != name {
					continue
				}
				want := readResults(t, ctx, c, tg.ws, multi, run.Token, qr.Token, 2000)
				if len(recs) == 0 || !slices.Equal(recs[0], want.header) || !slices.EqualFunc(recs[1:], want.csv, slices.Equal) {
					t.Errorf("%s: %d records; the query run's header %q and %d rows", f.Name, len(recs), want.header, len(want.csv))
				}
			}
		}
		_, err = c.DownloadReportRunResults(ctx, tg.ws, multi, run.Token, modeclient.ResultsJSON, nil)
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
			t.Errorf("JSON of a run of several queries: %v, want a 400 *APIError", err)
		}
	})
}
