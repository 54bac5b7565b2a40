// Package web serves modeplatform's web console under /ui/. The console is the TypeScript app in
// this directory, built by Vite (npm run build) into dist/, which is committed and embedded in the
// binary: the server needs no npm, and scripts/test-web.sh checks that dist/ matches a fresh build.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Prefix is where the console is served; Vite builds it with the same base (vite.config.ts).
const Prefix = "/ui/"

//go:embed all:dist
var dist embed.FS

// asset is one file of dist/, ready to serve.
type asset struct {
	body        []byte
	gzipped     []byte // nil when compressing does not pay
	contentType string
	etag        string // of body; gzipped has its own, etag with a -gz suffix
	immutable   bool   // a content-hashed name under assets/: cacheable for good
}

// contentTypes are the types of the files Vite emits, fixed here rather than taken from the
// machine's MIME tables, which differ from one system to the next.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".txt":   "text/plain; charset=utf-8",
	".woff2": "font/woff2",
	".wasm":  "application/wasm",
}

// contentSecurityPolicy allows the console what it uses: its own scripts and styles, calls to its
// own origin (the API is served next to it), and nothing else.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

var loadAssets = sync.OnceValues(func() (map[string]*asset, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	assets := map[string]*asset{}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a := &asset{
			body:        body,
			contentType: contentType(name),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
			immutable:   strings.HasPrefix(name, "assets/"),
		}
		if compressible(a.contentType) && len(body) > 1024 {
			if gz := gzipBytes(body); len(gz) < len(body)*9/10 {
				a.gzipped = gz
			}
		}
		assets[name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	if assets["index.html"] == nil {
		return nil, fmt.Errorf("web: dist/index.html is missing (build the console: cd web && npm ci && npm run build)")
	}
	return assets, nil
})

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.HasPrefix(contentType, "application/json") ||
		strings.HasPrefix(contentType, "image/svg+xml") || strings.HasPrefix(contentType, "application/wasm")
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid: no error
	_, _ = zw.Write(b)                                       // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return buf.Bytes()
}

// Handler serves the console under Prefix (mount it there: mux.Handle(web.Prefix, web.Handler())).
// The page is index.html, also for any other path without a file extension; the files under
// assets/ have content-hashed names and are cached for good, everything else is revalidated
// (ETag). Text is sent gzip-compressed to clients that take it. Only GET and HEAD are allowed.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	assets, err := loadAssets()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	a := assets[name]
	if a == nil {
		if name != "" && path.Ext(name) != "" {
			http.NotFound(w, r) // a missing file, not a page of the console
			return
		}
		name, a = "index.html", assets["index.html"]
	}

	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if a.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if strings.HasPrefix(a.contentType, "text/html") {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
	}
	body, etag := a.body, a.etag
	if a.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body, etag = a.gzipped, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match (304), Range and HEAD; the zero time sends no Last-Modified.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip (not with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
