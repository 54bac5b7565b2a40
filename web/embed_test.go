package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, method, target string, header http.Header) *http.Response {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(Prefix, Handler())
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetRefs are the files index.html loads: /ui/assets/….
var assetRefs = regexp.MustCompile(`(?:src|href)="(/ui/assets/[^"]+)"`)

func TestIndex(t *testing.T) {
	for _, target := range []string{"/ui/", "/ui/index.html", "/ui/reports/some-page"} {
		resp := get(t, http.MethodGet, target, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", target, resp.Status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", target, cc)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", target, csp)
		}
		if b := body(t, resp); !strings.Contains(b, "<title>modeplatform console</title>") {
			t.Errorf("GET %s: not the console's page:\n%s", target, b)
		}
	}
}

func TestAssets(t *testing.T) {
	index := body(t, get(t, http.MethodGet, "/ui/", nil))
	refs := assetRefs.FindAllStringSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html loads %d assets, want a script and a stylesheet:\n%s", len(refs), index)
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	for _, ref := range refs {
		target := ref[1]
		resp := get(t, http.MethodGet, target, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s (from index.html): %s", target, resp.Status)
		}
		ext := target[strings.LastIndex(target, "."):]
		if want, ok := types[ext]; ok && resp.Header.Get("Content-Type") != want {
			t.Errorf("GET %s: Content-Type %q, want %q", target, resp.Header.Get("Content-Type"), want)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", target, cc)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", target)
		}
		plain := body(t, resp)

		// Revalidation: the ETag answers 304.
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("GET %s: no ETag", target)
		}
		if resp := get(t, http.MethodGet, target, http.Header{"If-None-Match": {etag}}); resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match: %s, want 304", target, resp.Status)
		}

		// Compression: the same bytes, gzipped, under another ETag.
		resp = get(t, http.MethodGet, target, http.Header{"Accept-Encoding": {"br, gzip;q=0.8"}})
		if resp.Header.Get("Content-Encoding") != "gzip" {
			if ext == ".js" {
				t.Errorf("GET %s accepting gzip: Content-Encoding %q", target, resp.Header.Get("Content-Encoding"))
			}
			continue
		}
		if resp.Header.Get("ETag") == etag || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s gzipped: ETag %q (plain %q), Vary %q", target, resp.Header.Get("ETag"), etag, resp.Header.Get("Vary"))
		}
		zr, err := gzip.NewReader(bytes.NewReader([]byte(body(t, resp))))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil || string(unzipped) != plain {
			t.Errorf("GET %s gzipped: does not unzip to the plain body (err %v)", target, err)
		}
	}
}

func TestMissingAndMethods(t *testing.T) {
	if resp := get(t, http.MethodGet, "/ui/assets/nope-12345678.js", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET a missing file: %s, want 404", resp.Status)
	}
	resp := get(t, http.MethodPost, "/ui/", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /ui/: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
	resp = get(t, http.MethodHead, "/ui/", nil)
	if resp.StatusCode != http.StatusOK || body(t, resp) != "" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HEAD /ui/: %s", resp.Status)
	}
	// The mux sends /ui to /ui/.
	if resp := get(t, http.MethodGet, "/ui", nil); resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
}

func TestAcceptsGzip(t *testing.T) {
	for v, want := range map[string]bool{
		"":                    false,
		"gzip":                true,
		"deflate, gzip":       true,
		"GZIP;q=0.5":          true,
		"gzip;q=0":            false,
		"gzip; q=0.0, br":     false,
		"br":                  false,
		"x-gzip":              false,
		"identity, gzip;q=1 ": true,
	} {
		r := httptest.NewRequest(http.MethodGet, "/ui/", nil)
		if v != "" {
			r.Header.Set("Accept-Encoding", v)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", v, got, want)
		}
	}
}
