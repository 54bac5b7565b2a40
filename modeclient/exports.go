package modeclient

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Exports of a whole report run: its PDF and its results (one query's CSV or JSON, or for a run
// of several queries a ZIP of one CSV per query). Like query results they are streamed, never
// read whole and never cached: a file can be far larger than any cache entry, a finished run's
// exports do not change, and the caller usually passes the bytes on as they come.

// ResultFormat is the format of a run's results: ResultsCSV or ResultsJSON.
type ResultFormat string

// The formats of DownloadReportRunResults.
const (
	// ResultsCSV is content.csv: a run of one query answers its CSV, a run of several a ZIP
	// holding one CSV per query (Content-Type application/zip).
	ResultsCSV ResultFormat = "csv"
	// ResultsJSON is content.json: the rows of a run of one query; Mode refuses it for a run
	// of several queries (download each query run's instead).
	ResultsJSON ResultFormat = "json"
)

// DownloadOptions are the options of a download. The zero value (or nil) downloads the whole
// file.
type DownloadOptions struct {
	// Offset resumes a cut download: ask for the file from this byte on (an HTTP Range
	// request). The server may ignore it and send the whole file: Download.Offset says where
	// the body starts.
	Offset int64
	// IfRange, with Offset, is the ETag (or Last-Modified date) of the download being resumed:
	// the server sends the rest only if the file is still that one, else the whole new file
	// (Download.Offset 0).
	IfRange string
}

// Download is an open download: read Body as it arrives and Close it.
type Download struct {
	// Body is the file's bytes from Offset on. A body cut short fails with
	// io.ErrUnexpectedEOF (in a *TransportError), never with a clean io.EOF.
	Body io.ReadCloser
	// ContentType is the media type Mode sent ("application/pdf", "text/csv",
	// "application/zip", "application/json"), without parameters.
	ContentType string
	// FileName is the file name of Mode's Content-Disposition, reduced to a base name; empty
	// when Mode sends none.
	FileName string
	// Offset is the byte of the file Body starts at: DownloadOptions.Offset when the server
	// honoured the Range request (206), 0 when it sent the whole file.
	Offset int64
	// Length is how many bytes Body holds, -1 when unknown (chunked or compressed).
	Length int64
	// Size is the whole file's size, -1 when unknown.
	Size int64
	// ETag and LastModified identify this version of the file, for DownloadOptions.IfRange;
	// empty and zero when Mode sends none.
	ETag         string
	LastModified time.Time
}

func exportPDFPath(ws, report, run string) *apiPath {
	return reportPath(ws, report).lit("exports").lit("runs").tok("run", run).lit("pdf").lit("download")
}

// DownloadReportRunPDF streams the PDF of a finished report run:
// GET /api/{workspace}/reports/{report}/exports/runs/{run}/pdf/download. An unknown run, or one
// that has not succeeded, is a 404 *APIError. opts may be nil. The caller must Close the
// Download's Body.
func (c *Client) DownloadReportRunPDF(ctx context.Context, workspace, report, run string, opts *DownloadOptions) (*Download, error) {
	return c.download(ctx, exportPDFPath(workspace, report, run), "application/pdf", opts)
}

// DownloadReportRunResults streams the results of a finished report run in format:
// GET /api/{workspace}/reports/{report}/runs/{run}/results/content.csv (or .json). A run of
// several queries answers CSV as a ZIP of one CSV per query (ContentType "application/zip")
// and JSON with a 400 *APIError. opts may be nil. The caller must Close the Download's Body.
func (c *Client) DownloadReportRunResults(ctx context.Context, workspace, report, run string, format ResultFormat, opts *DownloadOptions) (*Download, error) {
	var file, accept string
	switch format {
	case ResultsCSV:
		file, accept = "content.csv", mediaCSV+", application/zip"
	case ResultsJSON:
		file, accept = "content.json", mediaJSON
	default:
		return nil, &InvalidArgumentError{Field: "format", Reason: `must be "csv" or "json"`}
	}
	return c.download(ctx, runPath(workspace, report, run).lit("results").lit(file), accept, opts)
}

// download sends a GET for a file and returns it open, its body streamed.
func (c *Client) download(ctx context.Context, p *apiPath, accept string, opts *DownloadOptions) (*Download, error) {
	cl, err := c.newCall(http.MethodGet, p, nil)
	if err != nil {
		return nil, err
	}
	cl.accept = accept
	if opts != nil {
		if opts.Offset < 0 {
			return nil, &InvalidArgumentError{Field: "offset", Reason: "must not be negative"}
		}
		if strings.ContainsFunc(opts.IfRange, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, &InvalidArgumentError{Field: "if_range", Reason: "must not contain control characters"}
		}
		cl.rangeFrom, cl.ifRange = opts.Offset, opts.IfRange
	}
	resp, err := c.send(context.WithValue(ctx, streamedKey, true), cl, nil)
	observe(ctx, cl, false, cache.OutcomeMiss)
	if err != nil {
		return nil, err
	}
	d := &Download{Length: resp.ContentLength, Size: -1, ETag: resp.Header.Get("ETag")}
	if resp.Uncompressed {
		d.Length = -1 // the length was of the compressed body (gzip checks its own length)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		d.ContentType = mt
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		d.FileName = baseName(params["filename"])
	}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		d.LastModified = t
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != cl.rangeFrom {
			resp.Body.Close()
			return nil, &DecodeError{Method: cl.method, Route: cl.route,
				Reason: fmt.Sprintf("206 answer with Content-Range %q for a request from byte %d", resp.Header.Get("Content-Range"), cl.rangeFrom)}
		}
		d.Offset, d.Size = start, size
	default:
		if d.Length >= 0 {
			d.Size = d.Length
		}
	}
	d.Body = &streamBody{rc: resp.Body, cl: cl, want: d.Length}
	return d, nil
}

// parseContentRange reads "bytes first-last/size" (size may be "*": -1).
func parseContentRange(s string) (start, size int64, ok bool) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, total, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	first, last, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	end, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	size = -1
	if total != "*" {
		n, err := strconv.ParseInt(total, 10, 64)
		if err != nil || n <= end {
			return 0, 0, false
		}
		size = n
	}
	return start, size, true
}

// baseName reduces a file name Mode sends to a base name: never a path.
func baseName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == ".." || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	return name
}
