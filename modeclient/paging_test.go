package modeclient

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// pagedReports serves report pages: pages[i] holds the tokens of page i+1.
// nextHref builds the next_page href of page n (or "" for none).
func pagedReports(t *testing.T, f *fixture, pages [][]string, nextHref func(n int) string) *counter {
	var n counter
	f.mux.HandleFunc("/api/acme/spaces/s1/reports", func(w http.ResponseWriter, r *http.Request) {
		n.inc()
		if got := r.URL.Query().Get("per_page"); got != "100" {
			t.Errorf("per_page = %q, want pinned 100", got)
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page < 1 || page > len(pages)+1 {
			t.Errorf("page %d requested", page)
			writeJSON(w, 404, `{"id":"not_found","message":"no"}`)
			return
		}
		links := `"self":{"href":"/api/acme/spaces/s1/reports?page=` + strconv.Itoa(page) + `"}`
		if h := nextHref(page); h != "" && page <= len(pages) {
			links += `,"next_page":{"href":"` + h + `"}`
		}
		if page == len(pages)+1 {
			writeJSON(w, 200, `{"_links":{`+links+`},"_embedded":{}}`)
			return
		}
		items := make([]string, len(pages[page-1]))
		for i, tok := range pages[page-1] {
			items[i] = `{"token":"` + tok + `","name":"` + tok + `","account_username":"acme"}`
		}
		writeJSON(w, 200, `{"_links":{`+links+`},"_embedded":{"reports":[`+strings.Join(items, ",")+`]}}`)
	})
	return &n
}

func tokens(t *testing.T, c *Client, opts *ListReportsOptions, limit int) []string {
	t.Helper()
	var got []string
	for r, err := range c.ListSpaceReports(context.Background(), "acme", "s1", opts) {
		if err != nil {
			t.Fatalf("iterating: %v", err)
		}
		got = append(got, r.Token)
		if limit > 0 && len(got) == limit {
			break
		}
	}
	return got
}

func TestListFollowsPages(t *testing.T) {
	relNext := func(n int) string { return fmt.Sprintf("/api/acme/spaces/s1/reports?page=%d&per_page=100", n+1) }
	tests := []struct {
		name     string
		pages    [][]string
		next     func(n int) string
		limit    int
		want     string
		requests int
	}{
		{"three pages then no next_page", [][]string{{"a", "b"}, {"c", "d"}, {"e"}},
			func(n int) string {
				if n < 3 {
					return relNext(n)
				}
				return ""
			}, 0, "a,b,c,d,e", 3},
		{"empty _embedded ends the list", [][]string{{"a"}, {"b"}}, relNext, 0, "a,b", 3},
		{"duplicates across pages are dropped", [][]string{{"a", "b"}, {"b", "c"}, {"c"}}, relNext, 0, "a,b,c", 3},
		{"breaking early makes no further request", [][]string{{"a", "b"}, {"c"}, {"d"}}, relNext, 2, "a,b", 1},
		{"breaking on the first item of page two", [][]string{{"a", "b"}, {"c"}, {"d"}}, relNext, 3, "a,b,c", 2},
		{"absolute next_page on another host: only its page number is used", [][]string{{"a"}, {"b"}},
			func(n int) string {
				if n == 1 {
					return "https://evil.example/steal?page=2"
				}
				return ""
			}, 0, "a,b", 2},
		{"next_page without a page number: page+1", [][]string{{"a"}, {"b"}},
			func(n int) string {
				if n == 1 {
					return "/api/acme/spaces/s1/reports?cursor=xyz"
				}
				return ""
			}, 0, "a,b", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			n := pagedReports(t, f, tt.pages, tt.next)
			got := strings.Join(tokens(t, f.client, nil, tt.limit), ",")
			if got != tt.want {
				t.Errorf("tokens = %s, want %s", got, tt.want)
			}
			if n.get() != tt.requests {
				t.Errorf("%d requests, want %d", n.get(), tt.requests)
			}
		})
	}
}

func TestListStopsWhenServerIgnoresPage(t *testing.T) {
	f := newFixture(t)
	var n counter
	f.mux.HandleFunc("/api/acme/groups", func(w http.ResponseWriter, r *http.Request) {
		n.inc()
		writeJSON(w, 200, `{"_links":{"next_page":{"href":"/api/acme/groups?page=2"}},"_embedded":{"groups":[{"token":"g1","_links":{"self":{"href":"/api/acme/groups/g1"}}}]}}`)
	})
	count := 0
	for _, err := range f.client.ListGroups(context.Background(), "acme", nil) {
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != 1 || n.get() != 2 {
		t.Errorf("count=%d requests=%d, want 1 and 2", count, n.get())
	}
}

func TestListYieldsErrorLast(t *testing.T) {
	f := newFixture(t, WithMaxAttempts(1))
	f.mux.HandleFunc("/api/acme/groups", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			writeJSON(w, 500, `{"id":"internal_server_error","message":"x"}`)
			return
		}
		writeJSON(w, 200, `{"pagination":{"total_pages":2},"_embedded":{"groups":[{"token":"g1","_links":{"self":{"href":"/api/acme/groups/g1"}}}]}}`)
	})
	var items, errs int
	for _, err := range f.client.ListGroups(context.Background(), "acme", nil) {
		if err != nil {
			errs++
			var ae *APIError
			if !errorsAs(err, &ae) || ae.StatusCode != 500 {
				t.Errorf("err = %v", err)
			}
			continue
		}
		items++
	}
	if items != 1 || errs != 1 {
		t.Errorf("items=%d errs=%d", items, errs)
	}
}

func TestEmbeddedKeyFallback(t *testing.T) {
	f := newFixture(t)
	f.mux.HandleFunc("/api/acme/spaces", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"_embedded":{"collections":[{"token":"s1","_links":{"self":{"href":"/api/acme/collections/s1"}}},{"token":"s2","_links":{"self":{"href":"/api/acme/collections/s2"}}}]}}`)
	})
	p, err := f.client.ListSpacesPage(context.Background(), "acme", 1, nil)
	if err != nil || len(p.Items) != 2 {
		t.Fatalf("page = %+v, err = %v", p, err)
	}
}
