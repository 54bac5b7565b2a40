package modetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// The PDF export of a report run: GET /api/{ws}/reports/{report}/exports/runs/{run}/pdf/download
// (Mode's getReportRunExport, "the data stream containing the exported pdf file"). The emulator
// renders a real PDF (codeberg.org/go-pdf/fpdf): the report's name, the run's times and
// parameters, and each query's result as a table of at most pdfMaxRows rows, with a note when
// the result has more. Mode documents only 404 for an unknown run; a run that has not succeeded
// (pending, running, failed, cancelled) has no PDF here either and answers 404 with its state,
// as its results do.
//
// fpdf composes a document in memory (its cross-reference table needs every object's offset),
// so the emulator holds one PDF while it serves it: bounded by pdfMaxRows rows per query, a few
// hundred KiB at most for the demo's reports. It is served by http.ServeContent, so it has a
// Content-Length, a strong ETag (a hash of the bytes: the same run renders the same bytes, the
// document's dates being the run's completion) and Last-Modified, and it answers HEAD, Range and
// If-Range requests (206 Partial Content): a client resumes a cut download from its offset.

// pdfMaxRows is how many rows of each query's result the PDF shows.
const pdfMaxRows = 100

// pdfRun is what the PDF shows of a run, copied under the emulator's lock.
type pdfRun struct {
	reportName, reportToken, runToken string
	createdAt, completedAt            time.Time
	params                            map[string]any
	queries                           []pdfQuery
}

type pdfQuery struct{ name, sql string }

// exportRunPDF answers the PDF of a report run.
func (e *Emulator) exportRunPDF(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	rep, run, ok := e.lookupRun(w, r)
	if !ok {
		e.mu.Unlock()
		return
	}
	state := run.state
	pr := pdfRun{
		reportName: rep.name, reportToken: rep.token, runToken: run.token,
		createdAt: run.createdAt, completedAt: run.completedAt, params: run.parameters,
	}
	for _, qr := range run.queryRuns {
		pr.queries = append(pr.queries, pdfQuery{qr.queryName, qr.renderedSource})
	}
	purged := ""
	if run.purged() {
		purged = purgedMessage("The PDF export and results of this report run", run)
	}
	e.mu.Unlock()
	if purged != "" {
		writeError(w, http.StatusNotFound, purged)
		return
	}
	if state != stateSucceeded {
		notFound(w, "PDF export of this report run ("+state+")")
		return
	}
	ctx, cancel := e.requestContext(r)
	defer cancel()
	doc, err := e.renderRunPDF(ctx, pr)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Could not export the report run: "+sqlErrorMessage(err))
		return
	}
	sum := sha256.Sum256(doc)
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="`+fileName(pr.reportName)+`.pdf"`)
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, "", pr.completedAt, bytes.NewReader(doc))
}

// renderRunPDF renders the PDF of a run, executing each query's SQL again for its first rows.
func (e *Emulator) renderRunPDF(ctx context.Context, pr pdfRun) ([]byte, error) {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true) // with fixed dates below: the same run renders the same bytes
	pdf.SetCreationDate(pr.completedAt)
	pdf.SetModificationDate(pr.completedAt)
	pdf.SetTitle(pr.reportName, true)
	pdf.SetSubject("Report run "+pr.runToken, true)
	pdf.SetCreator("Mode emulator (modetest)", true)
	pdf.AliasNbPages("")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "I", 8)
		pdf.CellFormat(0, 6, tr(fmt.Sprintf("%s, run %s: page %d of {nb}", pr.reportName, pr.runToken, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pageW, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	width := pageW - left - right

	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 10, tr(pr.reportName), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	line := func(s string) { pdf.CellFormat(0, 6, tr(s), "", 1, "L", false, 0, "") }
	line("Report " + pr.reportToken + ", run " + pr.runToken)
	line("Ran at " + pdfTime(pr.createdAt) + ", completed at " + pdfTime(pr.completedAt))
	if len(pr.params) == 0 {
		line("Parameters: none")
	} else {
		keys := make([]string, 0, len(pr.params))
		for k := range pr.params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " = " + fmt.Sprint(pr.params[k])
		}
		line("Parameters: " + strings.Join(parts, ", "))
	}

	for i, q := range pr.queries {
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "B", 13)
		pdf.CellFormat(0, 8, tr(fmt.Sprintf("Query %d: %s", i+1, q.name)), "", 1, "L", false, 0, "")
		if err := pdfTable(ctx, e, pdf, tr, width, q.sql); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pdfTable renders the first pdfMaxRows rows of sql's result as a table of equal columns, the
// header repeated on each new page, and a note when rows were left out.
func pdfTable(ctx context.Context, e *Emulator, pdf *fpdf.Fpdf, tr func(string) string, width float64, sql string) error {
	rows, err := e.ds.db.QueryContext(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	colW := width / float64(max(len(cols), 1))
	const rowH = 6.0
	_, pageH := pdf.GetPageSize()
	header := func() {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.SetFillColor(225, 230, 240)
		for _, c := range cols {
			pdf.CellFormat(colW, rowH, fit(pdf, tr(c), colW), "1", 0, "L", true, 0, "")
		}
		pdf.Ln(rowH)
		pdf.SetFont("Helvetica", "", 9)
	}
	header()
	rs := &rowSource{next: rows.Next, scan: rows.Scan, err: rows.Err, cols: cols, limit: pdfMaxRows + 1}
	for {
		ok, err := rs.row()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if rs.n > pdfMaxRows {
			pdf.SetFont("Helvetica", "I", 9)
			pdf.CellFormat(0, rowH, tr(fmt.Sprintf("Only the first %d rows are shown: the run's CSV export has them all.", pdfMaxRows)), "", 1, "L", false, 0, "")
			break
		}
		if pdf.GetY()+rowH > pageH-20 {
			pdf.AddPage()
			header()
		}
		for _, v := range rs.vals {
			align := "L"
			switch v.(type) {
			case int64, float64:
				align = "R"
			}
			pdf.CellFormat(colW, rowH, fit(pdf, tr(cellString(v)), colW), "1", 0, align, false, 0, "")
		}
		pdf.Ln(rowH)
	}
	if rs.n == 0 {
		pdf.SetFont("Helvetica", "I", 9)
		pdf.CellFormat(0, rowH, "No rows.", "", 1, "L", false, 0, "")
	}
	if pdf.Err() {
		return pdf.Error()
	}
	return nil
}

// fit shortens s (already in the font's encoding) to fit a cell of width w, ending it with "...".
func fit(pdf *fpdf.Fpdf, s string, w float64) string {
	avail := w - 2*pdf.GetCellMargin() - 0.5
	if pdf.GetStringWidth(s) <= avail {
		return s
	}
	for len(s) > 0 && pdf.GetStringWidth(s+"...") > avail {
		s = s[:len(s)-1] // one byte is one character in cp1252
	}
	return s + "..."
}

func pdfTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
