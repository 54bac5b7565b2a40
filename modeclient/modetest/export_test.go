package modetest

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// installPoppler installs poppler-utils once per test binary (scripts/ensure-apt.sh).
var installPoppler = sync.OnceValues(func() ([]byte, error) {
	return exec.Command(filepath.Join("..", "..", "scripts", "ensure-apt.sh"), "poppler-utils").CombinedOutput()
})

// pdfTool returns the path of a poppler-utils tool (pdfinfo, pdftotext), installing
// poppler-utils when it is missing, as the Redis tests install redis-server; with
// MODEPLATFORM_NO_INSTALL=1 a missing tool skips the test instead (./scripts/test.sh installs
// it first).
func pdfTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("MODEPLATFORM_NO_INSTALL") == "1" {
		t.Skipf("%s is missing and MODEPLATFORM_NO_INSTALL=1 forbids installing it: run scripts/ensure-apt.sh poppler-utils (scripts/test.sh does)", name)
	}
	if out, err := installPoppler(); err != nil {
		t.Fatalf("installing poppler-utils with scripts/ensure-apt.sh: %v\n%s", err, out)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s still not found after installing poppler-utils: %v", name, err)
	}
	return p
}

// checkPDFStructure checks the frame of a PDF file with no tool: the header, the trailer, and a
// startxref offset that points at the cross-reference table.
func checkPDFStructure(t *testing.T, doc []byte) {
	t.Helper()
	if !bytes.HasPrefix(doc, []byte("%PDF-1.")) {
		t.Fatalf("not a PDF: starts %q", doc[:min(len(doc), 16)])
	}
	tail := doc[max(0, len(doc)-64):]
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(tail)
	if m == nil {
		t.Fatalf("no startxref … %%%%EOF trailer: ends %q", tail)
	}
	off, _ := strconv.Atoi(string(m[1]))
	if off <= 0 || off >= len(doc) || !bytes.HasPrefix(doc[off:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at the xref table", off)
	}
}

// pdfText runs pdfinfo (which fails on a broken file) and pdftotext on doc, and returns
// pdfinfo's report and the text.
func pdfText(t *testing.T, doc []byte) (info, text string) {
	t.Helper()
	pdfinfo, pdftotext := pdfTool(t, "pdfinfo"), pdfTool(t, "pdftotext")
	file := filepath.Join(t.TempDir(), "run.pdf")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdfinfo, file).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	txt, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out), string(txt)
}

func pdfPath(report, run string) string {
	return wsPath("reports", report, "exports", "runs", run, "pdf", "download")
}

// TestRunPDF: a succeeded run's PDF is a valid PDF (pdfinfo reads it) that shows the report's
// name, the run, its parameters and the rows of its query; it is the same bytes each time, and
// answers Range requests.
func TestRunPDF(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	rep := d.ParamReport
	run := startRun(t, s, rep, object{"region": "West", "min_total": 5000})
	tok := run["token"].(string)
	done := waitRun(t, s, rep, tok)
	if done["state"] != stateSucceeded {
		t.Fatalf("run ended %v", done["state"])
	}
	if got, want := linkHref(done, "pdf_export"), pdfPath(rep, tok); got != want {
		t.Errorf("pdf_export link = %q, want %q", got, want)
	}
	resp, doc := call(t, s, http.MethodGet, pdfPath(rep, tok), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, doc)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="Large_Orders_by_Region.pdf"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if resp.Header.Get("Accept-Ranges") != "bytes" || resp.Header.Get("ETag") == "" || resp.ContentLength != int64(len(doc)) {
		t.Errorf("headers %v, length %d of %d", resp.Header, resp.ContentLength, len(doc))
	}
	checkPDFStructure(t, doc)

	// The same run renders the same bytes: a resumed download continues the same file.
	_, again := call(t, s, http.MethodGet, pdfPath(rep, tok), nil)
	if !bytes.Equal(doc, again) {
		t.Error("two downloads of one run's PDF differ")
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+pdfPath(rep, tok), nil)
	req.SetBasicAuth(s.Token, s.Secret)
	req.Header.Set("Range", "bytes=100-")
	req.Header.Set("If-Range", resp.Header.Get("ETag"))
	pr, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(pr.Body)
	pr.Body.Close()
	if pr.StatusCode != http.StatusPartialContent || !bytes.Equal(part, doc[100:]) ||
		pr.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-%d/%d", len(doc)-1, len(doc)) {
		t.Errorf("range: status %d, Content-Range %q, %d bytes", pr.StatusCode, pr.Header.Get("Content-Range"), len(part))
	}

	info, text := pdfText(t, doc)
	if !strings.Contains(info, "Title:") || !strings.Contains(info, "Large Orders by Region") || !strings.Contains(info, "Pages:") {
		t.Errorf("pdfinfo:\n%s", info)
	}
	for _, want := range []string{"Large Orders by Region", tok, "region = West", "min_total = 5000", "Query 1: Large orders", "order_id", "West"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}

// TestRunPDFTruncates: a result longer than pdfMaxRows shows its first rows and says so; a
// report of several queries shows each.
func TestRunPDFTruncates(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().Reports[2]   // Monthly Order Volume: fewer rows than pdfMaxRows
	multi := s.Demo().Reports[3] // Sales Rep Leaderboard: two queries
	for _, r := range []string{rep, multi} {
		tok := startRun(t, s, r, nil)["token"].(string)
		waitRun(t, s, r, tok)
		_, doc := call(t, s, http.MethodGet, pdfPath(r, tok), nil)
		checkPDFStructure(t, doc)
		_, text := pdfText(t, doc)
		if r == multi {
			for _, want := range []string{"Sales Rep Leaderboard", "Query 1: Reps", "Query 2: Reps per region", "sales_reps"} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF's text lacks %q", want)
				}
			}
		}
	}
	// The emulator's own rendering, with a query of more rows than it shows.
	e := s.Emulator
	doc, err := e.renderRunPDF(t.Context(), pdfRun{reportName: "Many rows", runToken: "r1",
		queries: []pdfQuery{{"All orders", "SELECT id, total FROM orders ORDER BY id"}}})
	if err != nil {
		t.Fatal(err)
	}
	checkPDFStructure(t, doc)
	info, text := pdfText(t, doc)
	if !strings.Contains(text, fmt.Sprintf("Only the first %d rows are shown", pdfMaxRows)) {
		t.Errorf("no truncation note:\n%s", text)
	}
	if m := regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(info); m == nil || m[1] == "1" {
		t.Errorf("%d rows fit one page? pdfinfo:\n%s", pdfMaxRows, info)
	}
}

// TestRunPDFNotThere: an unknown run, and a run that did not succeed, have no PDF (404).
func TestRunPDFNotThere(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	resp, body := call(t, s, http.MethodGet, pdfPath(d.Reports[0], "000000000000"), nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "not_found") {
		t.Errorf("unknown run: %d %s", resp.StatusCode, body)
	}
	tok := startRun(t, s, d.FailingReport, nil)["token"].(string)
	done := waitRun(t, s, d.FailingReport, tok)
	if linkHref(done, "pdf_export") != "" {
		t.Errorf("a failed run links a PDF: %v", done["_links"])
	}
	resp, body = call(t, s, http.MethodGet, pdfPath(d.FailingReport, tok), nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "failed") {
		t.Errorf("failed run: %d %s", resp.StatusCode, body)
	}
}

// TestRunResultsZip: a run of several queries downloads as a ZIP of one CSV per query, named
// after the queries in their order, each the same rows as that query run's own CSV.
func TestRunResultsZip(t *testing.T) {
	s := newTestServer(t)
	rep := s.Demo().Reports[3] // Sales Rep Leaderboard: "Reps", "Reps per region"
	tok := startRun(t, s, rep, nil)["token"].(string)
	waitRun(t, s, rep, tok)
	resp, raw := call(t, s, http.MethodGet, wsPath("reports", rep, "runs", tok, "results", "content.csv"), nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="content.zip"` {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if want := []string{"01_Reps.csv", "02_Reps_per_region.csv"}; !slices.Equal(names, want) {
		t.Fatalf("zip holds %q, want %q", names, want)
	}
	qrs := queryRuns(t, s, rep, tok)
	for i, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := csv.NewReader(rc).ReadAll()
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		var qr object
		for _, q := range qrs {
			if q["query_name"] == [...]string{"Reps", "Reps per region"}[i] {
				qr = q
			}
		}
		_, one := call(t, s, http.MethodGet, wsPath("reports", rep, "runs", tok, "query_runs", qr["token"].(string), "results", "content.csv"), nil)
		want, err := csv.NewReader(bytes.NewReader(one)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 2 || !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: %d records, the query run's CSV %d", f.Name, len(got), len(want))
		}
	}
}
