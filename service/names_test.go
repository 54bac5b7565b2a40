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
