package modeclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// genFile is a large file made up as it is read: byte i is a function of i, so a test can serve
// and check gigabytes without holding them.
type genFile struct {
	size, pos int64
}

func genByte(i int64) byte { return byte(i*31 + i>>9) }

func (g *genFile) Read(p []byte) (int, error) {
	if g.pos >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-g.pos))
	for i := range n {
		p[i] = genByte(g.pos + int64(i))
	}
	g.pos += int64(n)
	return n, nil
}

func (g *genFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += g.pos
	case io.SeekEnd:
		off += g.size
	}
	if off < 0 {
		return 0, errors.New("negative position")
	}
	g.pos = off
	return off, nil
}

// checkStream reads body through a 32 KiB buffer, checking each byte against genByte from
// offset on, and returns how many bytes it read (stopping after limit bytes, when positive).
func checkStream(t *testing.T, body io.Reader, offset, limit int64) int64 {
	t.Helper()
	buf := make([]byte, 32<<10)
	var n int64
	for limit <= 0 || n < limit {
		k, err := body.Read(buf)
		for i := range k {
			if buf[i] != genByte(offset+n+int64(i)) {
				t.Fatalf("byte %d differs", offset+n+int64(i))
			}
		}
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", n, err)
		}
	}
	return n
}

const pdfRoute = "/api/acme/reports/r1/exports/runs/run1/pdf/download"

// servePDF serves a generated file of size bytes as Mode's PDF export, with Range support when
// ranges is set (http.ServeContent), else always whole.
func servePDF(f *fixture, size int64, ranges bool, requests *atomic.Int32) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.mux.HandleFunc("GET "+pdfRoute, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="../Weekly Revenue.pdf"`)
		if !ranges {
			_, _ = io.Copy(w, &genFile{size: size})
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", mod, &genFile{size: size})
	})
}

// TestDownloadStreamsAndResumes: a 64 MiB download is read through a small buffer without the
// client holding it (the bytes allocated while reading it stay far below its size), and a cut
// download resumes from its offset with If-Range.
func TestDownloadStreamsAndResumes(t *testing.T) {
	const size = 64 << 20
	f := newFixture(t)
	var requests atomic.Int32
	servePDF(f, size, true, &requests)
	ctx := context.Background()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := f.client.DownloadReportRunPDF(ctx, "acme", "r1", "run1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.ContentType != "application/pdf" || d.FileName != "Weekly Revenue.pdf" || d.Offset != 0 ||
		d.Length != size || d.Size != size || d.ETag != `"v1"` || d.LastModified.IsZero() {
		t.Errorf("download = %+v", d)
	}
	if n := checkStream(t, d.Body, 0, 0); n != size {
		t.Errorf("read %d bytes, want %d", n, size)
	}
	d.Body.Close()
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("reading a %d MiB download allocated %d MiB: it is not streamed", size>>20, alloc>>20)
	}

	// Cut after 10 MiB, then resume where it stopped.
	d, err = f.client.DownloadReportRunPDF(ctx, "acme", "r1", "run1", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := checkStream(t, d.Body, 0, 10<<20)
	d.Body.Close()
	r, err := f.client.DownloadReportRunPDF(ctx, "acme", "r1", "run1", &DownloadOptions{Offset: got, IfRange: d.ETag})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.Offset != got || r.Size != size || r.Length != size-got {
		t.Errorf("resumed download = %+v, want from %d", r, got)
	}
	if n := checkStream(t, r.Body, got, 0); got+n != size {
		t.Errorf("resumed: %d + %d bytes, want %d", got, n, size)
	}

	// The file changed (If-Range no longer matches): the whole new file, from 0.
	w, err := f.client.DownloadReportRunPDF(ctx, "acme", "r1", "run1", &DownloadOptions{Offset: 100, IfRange: `"v0"`})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Body.Close()
	if w.Offset != 0 || w.Length != size {
		t.Errorf("download of a changed file = %+v, want the whole file", w)
	}
}

// TestDownloadRangeIgnored: a server that ignores Range sends the whole file; Offset says so.
func TestDownloadRangeIgnored(t *testing.T) {
	f := newFixture(t)
	var requests atomic.Int32
	servePDF(f, 1000, false, &requests)
	d, err := f.client.DownloadReportRunPDF(context.Background(), "acme", "r1", "run1", &DownloadOptions{Offset: 500})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	if d.Offset != 0 || checkStream(t, d.Body, 0, 0) != 1000 {
		t.Errorf("download = %+v", d)
	}
}

// TestDownloadBadContentRange: a 206 for another range than asked is an error, not bytes at
// the wrong place.
func TestDownloadBadContentRange(t *testing.T) {
	f := newFixture(t)
	f.mux.HandleFunc("GET "+pdfRoute, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-9/10")
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write([]byte("0123456789"))
	})
	_, err := f.client.DownloadReportRunPDF(context.Background(), "acme", "r1", "run1", &DownloadOptions{Offset: 5})
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a *DecodeError", err)
	}
}

// TestDownloadInvalidArguments: invalid identifiers and options are refused before any request.
func TestDownloadInvalidArguments(t *testing.T) {
	f := newFixture(t)
	var requests atomic.Int32
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { requests.Add(1) })
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"workspace": func() error { _, err := f.client.DownloadReportRunPDF(ctx, "../x", "r1", "run1", nil); return err },
		"report":    func() error { _, err := f.client.DownloadReportRunPDF(ctx, "acme", "r1?x", "run1", nil); return err },
		"run":       func() error { _, err := f.client.DownloadReportRunPDF(ctx, "acme", "r1", "", nil); return err },
		"results run": func() error {
			_, err := f.client.DownloadReportRunResults(ctx, "acme", "r1", "a/b", ResultsCSV, nil)
			return err
		},
		"format": func() error {
			_, err := f.client.DownloadReportRunResults(ctx, "acme", "r1", "run1", "xlsx", nil)
			return err
		},
		"offset": func() error {
			_, err := f.client.DownloadReportRunPDF(ctx, "acme", "r1", "run1", &DownloadOptions{Offset: -1})
			return err
		},
		"if_range": func() error {
			_, err := f.client.DownloadReportRunPDF(ctx, "acme", "r1", "run1", &DownloadOptions{Offset: 1, IfRange: "\"a\"\r\nX-Evil: 1"})
			return err
		},
	} {
		var ia *InvalidArgumentError
		if err := call(); !errors.As(err, &ia) {
			t.Errorf("%s: err = %v, want *InvalidArgumentError", name, err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestParseContentRange(t *testing.T) {
	for in, want := range map[string][3]int64{
		"bytes 100-199/200": {100, 200, 1},
		"bytes 0-0/*":       {0, -1, 1},
		"bytes 100-199/150": {0, 0, 0},
		"bytes 5-4/10":      {0, 0, 0},
		"items 0-1/2":       {0, 0, 0},
		"bytes -5/10":       {0, 0, 0},
	} {
		start, size, ok := parseContentRange(in)
		if ok != (want[2] == 1) || ok && (start != want[0] || size != want[1]) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v", in, start, size, ok)
		}
	}
	for in, want := range map[string]string{"a.pdf": "a.pdf", "../../etc/passwd": "passwd", `C:\x\y.zip`: "y.zip", "..": "", "": ""} {
		if got := baseName(in); got != want {
			t.Errorf("baseName(%q) = %q, want %q", in, got, want)
		}
	}
}
