package service

import (
	"testing"

	"connectrpc.com/connect"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name  string
		colls []string
		want  []string
	}{
		{"workspaces/parch_and_posey", []string{collWorkspaces}, []string{"parch_and_posey"}},
		{"workspaces/w/reports/abc123", []string{collWorkspaces, collReports}, []string{"w", "abc123"}},
		{"workspaces/w/reports/r/runs/x/queryRuns/y", []string{collWorkspaces, collReports, collRuns, collQueryRuns}, []string{"w", "r", "x", "y"}},
		{"workspaces/w", []string{collWorkspaces, collReports}, nil},
		{"workspaces/-w", []string{collWorkspaces}, nil},
		{"workspaces/w/spaces/r", []string{collWorkspaces, collReports}, nil},
		{"workspaces/w/reports/..", []string{collWorkspaces, collReports}, nil},
		{"workspaces/w/reports/a%2Fb", []string{collWorkspaces, collReports}, nil},
		{"workspaces/w/reports/a?b", []string{collWorkspaces, collReports}, nil},
		{"workspaces/w/reports/", []string{collWorkspaces, collReports}, nil},
		{"workspaces//reports/r", []string{collWorkspaces, collReports}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseName("name", tt.name, tt.colls...)
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
	b := requestBinding("ListReports", "workspaces/w/spaces/s", "ACTIVE")
	other := requestBinding("ListReports", "workspaces/w/spaces/t", "ACTIVE")
	tok := encodePageToken(b, pageCursor{page: 7, offset: 13})
	got, err := decodePageToken(tok, b)
	if err != nil || got != (pageCursor{page: 7, offset: 13}) {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	if _, err := decodePageToken(tok, other); err == nil {
		t.Fatal("token accepted for another request")
	}
	for _, bad := range []string{"x", "!!!", tok[:len(tok)-2], tok + "AA", encodePageToken(b, pageCursor{page: 0})} {
		if _, err := decodePageToken(bad, b); err == nil {
			t.Errorf("decodePageToken(%q) accepted", bad)
		}
	}
}

func FuzzDecodePageToken(f *testing.F) {
	b := requestBinding("m")
	f.Add(encodePageToken(b, pageCursor{page: 1, offset: 2}))
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, tok string) {
		cur, err := decodePageToken(tok, b)
		if err == nil && (cur.page < 1 || cur.offset < 0) {
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
	shapes := [][]string{
		{collWorkspaces},
		{collWorkspaces, collReports},
		{collWorkspaces, collSpaces},
		{collWorkspaces, collReports, collRuns},
		{collWorkspaces, collReports, collRuns, collQueryRuns},
		{collWorkspaces, collReports, collQueries},
		{collWorkspaces, collDataSources},
	}
	f.Fuzz(func(t *testing.T, name string, shape uint8) {
		colls := shapes[int(shape)%len(shapes)]
		ids, err := parseName("name", name, colls...)
		if err != nil {
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Fatalf("parseName(%q) error code %v, want InvalidArgument", name, connect.CodeOf(err))
			}
			return
		}
		if len(ids) != len(colls) {
			t.Fatalf("parseName(%q) = %d ids for %d collections", name, len(ids), len(colls))
		}
		rebuilt := ""
		for i, id := range ids {
			if i > 0 {
				rebuilt += "/"
			}
			rebuilt += colls[i] + "/" + id
			if !validToken(id) {
				t.Fatalf("parseName(%q) accepted id %q", name, id)
			}
		}
		if rebuilt != name {
			t.Fatalf("parseName(%q) accepted a name that is not its parts: %q", name, rebuilt)
		}
		if !validWorkspaceID(ids[0]) {
			t.Fatalf("parseName(%q) accepted workspace %q", name, ids[0])
		}
	})
}
