package modetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// halContentType is the media type of every JSON answer of Mode's API.
const halContentType = "application/hal+json"

// timeLayout is Mode's timestamp format: ISO-8601, UTC, milliseconds, Z.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// timePtr renders an optional timestamp: null when unset.
func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

// link is a HAL link.
type link struct {
	Href      string `json:"href"`
	Templated bool   `json:"templated,omitempty"`
}

// links is a HAL _links object.
type links map[string]link

func href(h string) link { return link{Href: h} }

// form is one entry of the undocumented _forms object Mode adds to some resources; clients must
// ignore it.
type form struct {
	Method string         `json:"method"`
	Action string         `json:"action"`
	Input  map[string]any `json:"input"`
}

// writeJSON answers v as HAL+JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "Parch & Posey", not "Parch \u0026 Posey"
	if err := enc.Encode(v); err != nil {
		writeError(w, http.StatusInternalServerError, "")
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", halContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// pageRequest is a list request's page and page size, and whether its answer's pagination
// leaves out what Mode's document does not list (WithSpecPagination).
type pageRequest struct {
	page, perPage int
	specOnly      bool
}

// parsePage reads page and per_page; it answers 400 and returns false when they are not numbers.
func (e *Emulator) parsePage(w http.ResponseWriter, r *http.Request) (pageRequest, bool) {
	pr := pageRequest{page: 1, perPage: e.cfg.perPage, specOnly: e.cfg.specPagination}
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &pr.page}, {"per_page", &pr.perPage}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			badRequest(w, "Invalid value for "+p.name+": must be a positive integer")
			return pr, false
		}
		*p.dst = n
	}
	if pr.perPage > maxPerPage {
		pr.perPage = maxPerPage
	}
	return pr, true
}

// pagination is the paging block of Mode's list answers. Mode's document lists total_pages,
// total_count, first_page and last_page; Mode also sends page, per_page and count, which
// WithSpecPagination leaves out.
type pagination struct {
	Page       *int `json:"page,omitempty"`
	PerPage    *int `json:"per_page,omitempty"`
	Count      *int `json:"count,omitempty"`
	TotalPages int  `json:"total_pages"`
	TotalCount int  `json:"total_count"`
	FirstPage  int  `json:"first_page"`
	LastPage   int  `json:"last_page"`
}

// listBody is a Mode list answer.
type listBody struct {
	Pagination pagination     `json:"pagination"`
	Links      links          `json:"_links"`
	Embedded   map[string]any `json:"_embedded"`
}

// listOfReport answers one page of a list that belongs to the report of the path (its queries,
// schedules, subscriptions) under key: items, called with e.mu held, returns the whole list, or
// a status and message to answer instead (a missing schedule of the path, say). A missing
// report is 404.
func listOfReport[J any](e *Emulator, w http.ResponseWriter, r *http.Request, key string, items func(rep *report) ([]J, int, string)) {
	pr, ok := e.parsePage(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	rep := e.findReport(r)
	if rep == nil {
		e.mu.Unlock()
		notFound(w, "Report")
		return
	}
	all, status, msg := items(rep)
	e.mu.Unlock()
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(r, pr, key, all))
}

// pageOf cuts one page out of all items and wraps it as Mode does: pagination, self / next_page
// / prev_page links that keep the request's other query parameters, and "_embedded": {} past the
// last page.
func pageOf[T any](r *http.Request, pr pageRequest, key string, all []T) listBody {
	total := len(all)
	totalPages := int(math.Ceil(float64(total) / float64(pr.perPage)))
	lo := min((pr.page-1)*pr.perPage, total)
	hi := min(lo+pr.perPage, total)
	items := all[lo:hi]
	if items == nil {
		items = []T{}
	}
	b := listBody{
		Pagination: pagination{
			TotalPages: totalPages, TotalCount: total, FirstPage: 1, LastPage: max(totalPages, 1),
		},
		Links:    links{"self": href(pageURL(r, pr.page, pr.perPage))},
		Embedded: map[string]any{},
	}
	if !pr.specOnly {
		count := len(items)
		b.Pagination.Page, b.Pagination.PerPage, b.Pagination.Count = &pr.page, &pr.perPage, &count
	}
	if pr.page <= max(totalPages, 1) {
		b.Embedded[key] = items
	}
	if pr.page < totalPages {
		b.Links["next_page"] = href(pageURL(r, pr.page+1, pr.perPage))
	}
	if pr.page > 1 {
		b.Links["prev_page"] = href(pageURL(r, min(pr.page-1, max(totalPages, 1)), pr.perPage))
	}
	return b
}

func pageURL(r *http.Request, page, perPage int) string {
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(page))
	q.Set("per_page", strconv.Itoa(perPage))
	return (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String()
}

// decodeBody reads a JSON request body into v (an empty body leaves v as it is); it answers 400 and returns false on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		if _, ok := err.(*http.MaxBytesError); ok {
			writeError(w, http.StatusRequestEntityTooLarge, "Request body too large")
			return false
		}
		badRequest(w, "Invalid JSON in request body")
		return false
	}
	return true
}
