package modetest

import (
	"net/http"
	"net/url"
	"testing"
)

// walk follows _links.next_page from path with per_page=2 and returns every token seen, checking
// the pagination block and links of each page.
func walk(t *testing.T, s *Server, path, key string) []string {
	t.Helper()
	var tokens []string
	next := path
	for page := 1; next != ""; page++ {
		o := mustJSON(t, s, "GET", next, nil, http.StatusOK)
		p := o["pagination"].(object)
		if int(p["page"].(float64)) != page || int(p["per_page"].(float64)) != 2 {
			t.Fatalf("page %d: pagination %v", page, p)
		}
		items := embedded(t, o, key)
		for _, it := range items {
			tok, _ := it["token"].(string)
			if tok == "" {
				tok, _ = it["member_username"].(string)
			}
			tokens = append(tokens, tok)
		}
		total, pages := int(p["total_count"].(float64)), int(p["total_pages"].(float64))
		if want := (total + 1) / 2; pages != want {
			t.Errorf("total_pages %d for %d items, want %d", pages, total, want)
		}
		if page > 1 && linkHref(o, "prev_page") == "" {
			t.Errorf("page %d without prev_page", page)
		}
		if page == 1 && linkHref(o, "prev_page") != "" {
			t.Errorf("page 1 with prev_page")
		}
		next = linkHref(o, "next_page")
		if page == pages && next != "" {
			t.Errorf("last page %d has next_page %q", page, next)
		}
		if page > 50 {
			t.Fatal("paging does not end")
		}
	}
	return tokens
}

func TestPaging(t *testing.T) {
	s := newTestServer(t, WithExtraReports(5))
	d := s.Demo()
	tests := []struct {
		name string
		path string
		key  string
		want int
	}{
		{"spaces all", wsPath("spaces") + "?filter=all&per_page=2", "spaces", 4},
		{"spaces joined", wsPath("spaces") + "?per_page=2", "spaces", 3},
		{"memberships", wsPath("memberships") + "?per_page=2", "memberships", len(d.Members)},
		{"groups", wsPath("groups") + "?per_page=2", "groups", len(d.Groups)},
		{"sales reports", wsPath("spaces", d.Spaces[0], "reports") + "?per_page=2&order=asc&order_by=created_at", "reports", 5 + 5},
		{"data source reports, all", wsPath("data_sources", d.DataSource, "reports") + "?per_page=2&filter=all", "reports", 12 + 5},
		{"data source reports, unarchived", wsPath("data_sources", d.DataSource, "reports") + "?per_page=2", "reports", 11 + 5},
		{"archived reports", wsPath("spaces", d.Spaces[3], "reports") + "?per_page=2&filter=archived", "reports", 1},
		{"queries", wsPath("reports", d.Reports[8], "queries") + "?per_page=2", "queries", 3},
		{"definitions", wsPath("definitions") + "?per_page=2", "definitions", len(d.Definitions)},
		{"report filters", wsPath("reports", d.FilterReport, "filters") + "?per_page=2", "report_filters", len(d.Filters)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens := walk(t, s, tt.path, tt.key)
			if len(tokens) != tt.want {
				t.Errorf("got %d items, want %d", len(tokens), tt.want)
			}
			seen := map[string]bool{}
			for _, tok := range tokens {
				if seen[tok] {
					t.Errorf("duplicate %s across pages", tok)
				}
				seen[tok] = true
			}
		})
	}

	t.Run("past the last page", func(t *testing.T) {
		o := mustJSON(t, s, "GET", wsPath("spaces")+"?filter=all&per_page=2&page=9", nil, http.StatusOK)
		if emb := o["_embedded"].(object); len(emb) != 0 {
			t.Errorf(`_embedded = %v, want {}`, emb)
		}
		if linkHref(o, "next_page") != "" {
			t.Errorf("next_page past the end")
		}
	})
	t.Run("default page size", func(t *testing.T) {
		s := newTestServer(t, WithExtraReports(40))
		o := mustJSON(t, s, "GET", wsPath("spaces", d.Spaces[0], "reports"), nil, http.StatusOK)
		if n := len(embedded(t, o, "reports")); n != defaultPerPage {
			t.Errorf("first page has %d reports, want %d", n, defaultPerPage)
		}
		next, err := url.Parse(linkHref(o, "next_page"))
		if err != nil || next.Query().Get("page") != "2" {
			t.Errorf("next_page = %q", linkHref(o, "next_page"))
		}
	})
	t.Run("WithPerPage", func(t *testing.T) {
		s := newTestServer(t, WithPerPage(3))
		o := mustJSON(t, s, "GET", wsPath("spaces")+"?filter=all", nil, http.StatusOK)
		if n := len(embedded(t, o, "spaces")); n != 3 {
			t.Errorf("got %d spaces, want 3", n)
		}
	})
}

func TestReportOrderAndFilter(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	names := func(query string) []string {
		o := mustJSON(t, s, "GET", wsPath("data_sources", d.DataSource, "reports")+"?per_page=100&"+query, nil, http.StatusOK)
		var out []string
		for _, r := range embedded(t, o, "reports") {
			out = append(out, r["created_at"].(string))
		}
		return out
	}
	asc := names("order=asc&order_by=created_at&filter=all")
	desc := names("order=desc&order_by=created_at&filter=all")
	if len(asc) != 12 || len(desc) != 12 {
		t.Fatalf("got %d / %d reports", len(asc), len(desc))
	}
	for i := range asc {
		if i > 0 && asc[i-1] > asc[i] {
			t.Errorf("asc not ascending at %d: %v", i, asc)
		}
		if asc[i] != desc[len(desc)-1-i] {
			t.Errorf("desc is not asc reversed")
		}
	}
	// created_at.gt.<time>: only later reports.
	cut := asc[5]
	later := names("filter=" + url.QueryEscape("created_at.gt."+cut) + "&order=asc&order_by=created_at")
	for _, c := range later {
		if c <= cut {
			t.Errorf("filter created_at.gt.%s returned %s", cut, c)
		}
	}
	if len(later) == 0 || len(later) >= 12 {
		t.Errorf("time filter returned %d reports", len(later))
	}
}

// TestSpecPagination: by default a list's pagination carries Mode's page, per_page and count
// besides the four fields of Mode's document; WithSpecPagination leaves those three out.
func TestSpecPagination(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opts  []Option
		extra bool
	}{
		{"default", nil, true},
		{"spec only", []Option{WithSpecPagination()}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, tt.opts...)
			o := mustJSON(t, s, "GET", wsPath("memberships")+"?per_page=2", nil, http.StatusOK)
			pg, _ := o["pagination"].(object)
			for _, f := range []string{"first_page", "last_page", "total_pages", "total_count"} {
				if _, ok := pg[f]; !ok {
					t.Errorf("pagination has no %s: %v", f, pg)
				}
			}
			for _, f := range []string{"page", "per_page", "count"} {
				if _, ok := pg[f]; ok != tt.extra {
					t.Errorf("pagination has %s = %v, want %v: %v", f, ok, tt.extra, pg)
				}
			}
			if linkHref(o, "next_page") == "" {
				t.Error("no next_page link")
			}
		})
	}
}
