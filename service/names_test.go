package service

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
	"go.einride.tech/aip/resourcename"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"workspaces/parch_and_posey", patWorkspace, []string{"parch_and_posey"}},
		{"workspaces/w/reports/abc123", patReport, []string{"w", "abc123"}},
		{"workspaces/w/reports/r/runs/x/queryRuns/y", patQueryRun, []string{"w", "r", "x", "y"}},
		{"workspaces/w", patReport, nil},
		{"workspaces/-w", patWorkspace, nil},
		{"workspaces/w/spaces/r", patReport, nil},
		{"workspaces/w/reports/..", patReport, nil},
		{"workspaces/w/reports/a%2Fb", patReport, nil},
		{"workspaces/w/reports/a?b", patReport, nil},
		{"workspaces/w/reports/", patReport, nil},
		{"workspaces//reports/r", patReport, nil},
		{"/workspaces/w/reports/r", patReport, nil},
		{"//modeplatform.example.com/workspaces/w/reports/r", patReport, nil},
		{"workspaces/w/reports/r/", patReport, nil},
		{"workspaces/w/reports/r/runs/x", patReport, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseName("name", tt.name, tt.pattern)
			if tt.want == nil {
				if connect.CodeOf(err) != connect.CodeInvalidArgument {
					t.Fatalf("parseName(%q) = %v, %v; want InvalidArgument", tt.name, got, err)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("parseName(%q) = %v, %v; want %v", tt.name, got, err, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("parseName(%q) = %v, want %v", tt.name, got, tt.want)
				}
			}
		})
	}
}

func TestPageTokenRoundTripAndBinding(t *testing.T) {
	req := &modeplatformv1.ListReportsRequest{Parent: "workspaces/w/spaces/s", OrderBy: "create_time"}
	first, err := parsePageToken(req)
	if err != nil || first.page != 1 || first.offset != 0 {
		t.Fatalf("parsePageToken(no token) = %+v, %v; want page 1", first, err)
	}
	next := first
	next.page, next.offset = 7, 13
	req.PageToken = next.String()
	req.PageSize = 5 // page_size may change between pages (AIP-158)
	got, err := parsePageToken(req)
	if err != nil || got != next {
		t.Fatalf("parsePageToken(its own token) = %+v, %v; want %+v", got, err, next)
	}
	for _, other := range []*modeplatformv1.ListReportsRequest{
		{Parent: "workspaces/w/spaces/t", OrderBy: "create_time"},
		{Parent: "workspaces/w/spaces/s", OrderBy: "update_time"},
		{Parent: "workspaces/w/spaces/s", OrderBy: "create_time", ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL},
	} {
		other.PageToken = req.PageToken
		if _, err := parsePageToken(other); err == nil {
			t.Errorf("token accepted for another request %v", other)
		}
	}
	// Another method's request with the same parent.
	if _, err := parsePageToken(&modeplatformv1.ListSpacesRequest{Parent: "workspaces/w", PageToken: req.PageToken}); err == nil {
		t.Error("token accepted by another list")
	}
	bad := next
	bad.page = 0
	tok := req.PageToken
	for _, s := range []string{"x", "!!!", tok[:len(tok)-2], tok + "AA", bad.String(), strings.Repeat("A", 1028)} {
		req.PageToken = s
		if _, err := parsePageToken(req); err == nil {
			t.Errorf("parsePageToken(%q) accepted", s)
		}
	}
}

// FuzzParsePageToken: any token a caller sends is refused or a cursor in
// range; never a panic.
func FuzzParsePageToken(f *testing.F) {
	req := &modeplatformv1.ListSpacesRequest{Parent: "workspaces/w"}
	first, err := parsePageToken(req)
	if err != nil {
		f.Fatal(err)
	}
	first.page, first.offset = 3, 2
	f.Add(first.String())
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, tok string) {
		req := &modeplatformv1.ListSpacesRequest{Parent: "workspaces/w", PageToken: tok}
		cur, err := parsePageToken(req)
		if err == nil && (cur.page < 1 || cur.offset < 0 || cur.offset > modeclient.MaxPerPage) {
			t.Fatalf("accepted cursor %+v", cur)
		}
	})
}

// FuzzParseName checks resource-name parsing on any input: it never
// panics, and a name it accepts is exactly the collections and valid ids it
// returns, so nothing else (no "..", "%2e", "/", "?", "#", NUL or non-ASCII)
// can reach a Mode URL. `go test ./service -run '^$' -fuzz FuzzParseName`
// fuzzes longer.
func FuzzParseName(f *testing.F) {
	for _, seed := range []string{
		"workspaces/parch_and_posey",
		"workspaces/w/reports/abc123",
		"workspaces/w/reports/r/runs/x/queryRuns/y",
		"workspaces/w/reports/..",
		"workspaces/w/reports/%2e%2e",
		"workspaces/w/reports/a?b",
		"workspaces/w/reports/a#b",
		"workspaces/w/reports/a\x00b",
		"workspaces/w/reports/\xff\xfe",
		"workspaces//reports/r",
		"/workspaces/w",
		"workspaces/w/",
	} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(1))
		f.Add(seed, uint8(3))
	}
	patterns := []string{patWorkspace, patReport, patSpace, patRun, patQueryRun, patQuery, patDataSource}
	f.Fuzz(func(t *testing.T, name string, shape uint8) {
		pattern := patterns[int(shape)%len(patterns)]
		ids, err := parseName("name", name, pattern)
		if err != nil {
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Fatalf("parseName(%q) error code %v, want InvalidArgument", name, connect.CodeOf(err))
			}
			return
		}
		if len(ids) != strings.Count(pattern, "{") {
			t.Fatalf("parseName(%q) = %d ids for pattern %s", name, len(ids), pattern)
		}
		for _, id := range ids[1:] {
			if !validToken(id) {
				t.Fatalf("parseName(%q) accepted id %q", name, id)
			}
		}
		if rebuilt := resourcename.Sprint(pattern, ids...); rebuilt != name {
			t.Fatalf("parseName(%q) accepted a name that is not its parts: %q", name, rebuilt)
		}
		if !validWorkspaceID(ids[0]) {
			t.Fatalf("parseName(%q) accepted workspace %q", name, ids[0])
		}
	})
}

// BenchmarkParsePageToken is the token check every List call with a
// page_token makes (see the note in paging.go).
func BenchmarkParsePageToken(b *testing.B) {
	req := &modeplatformv1.ListSpacesRequest{Parent: "workspaces/w"}
	tok, err := parsePageToken(req)
	if err != nil {
		b.Fatal(err)
	}
	tok.page = 3
	req.PageToken = tok.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePageToken(req); err != nil {
			b.Fatal(err)
		}
	}
}
