package modeclient

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

func TestCheckOwner(t *testing.T) {
	self := func(href string) Links { return Links{"self": {Href: href}} }
	tests := []struct {
		name     string
		basePath string
		obj      owned
		want     string // "": belongs; "wrong": *WrongWorkspaceError; "decode": *DecodeError
	}{
		{"account_username", "", &Report{AccountUsername: "acme"}, ""},
		{"account_username of another", "", &Report{AccountUsername: "globex"}, "wrong"},
		{"account_username differs in case only", "", &Report{AccountUsername: "Acme"}, "wrong"},
		{"self link", "", &Space{Links: self("/api/acme/collections/s1")}, ""},
		{"self link of another", "", &Space{Links: self("/api/globex/collections/s1")}, "wrong"},
		{"absolute self link", "", &Query{Links: self("https://app.mode.com/api/acme/reports/r1/queries/q1")}, ""},
		{"absolute self link of another", "", &Query{Links: self("https://app.mode.com/api/globex/reports/r1/queries/q1")}, "wrong"},
		{"self link under the base path", "/mode", &Group{Links: self("/mode/api/acme/groups/g1")}, ""},
		{"self link under the base path, of another", "/mode", &Group{Links: self("/mode/api/globex/groups/g1")}, "wrong"},
		{"workspace's username and self", "", &Workspace{Username: "acme", Links: self("/api/acme")}, ""},
		{"workspace of another", "", &Workspace{Username: "globex", Links: self("/api/globex")}, "wrong"},
		{"account_username matches, self link does not", "", &Report{AccountUsername: "acme", Links: self("/api/globex/reports/r1")}, "wrong"},
		{"self link matches, account link does not", "", &ReportRun{Links: Links{"self": {Href: "/api/acme/reports/r1/runs/x"}, "account": {Href: "/api/globex"}}}, "wrong"},
		{"account_username of another, no links", "", &DataSource{AccountUsername: "globex"}, "wrong"},
		{"membership: the member's own account link is not the workspace", "",
			&Membership{Links: Links{"self": {Href: "/api/acme/memberships/ann"}, "user": {Href: "/api/ann"}}}, ""},
		{"nothing names a workspace", "", &QueryRun{Token: "qr1"}, "decode"},
		{"only a web link", "", &Space{Links: Links{"web": {Href: "https://app.mode.com/acme/spaces/s1"}}}, "decode"},
		{"self link outside the API", "", &Space{Links: self("/acme/spaces/s1")}, "decode"},
		{"self link with an invalid workspace", "", &Space{Links: self("/api/%2e%2e/spaces/s1")}, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{basePath: tt.basePath}
			cl := &call{method: "GET", route: "/api/{workspace}/x", workspace: "acme"}
			err := c.checkOwner(cl, tt.obj)
			var ww *WrongWorkspaceError
			var api *APIError
			var de *DecodeError
			switch tt.want {
			case "":
				if err != nil {
					t.Errorf("err = %v, want none", err)
				}
			case "wrong":
				if !errorsAs(err, &ww) || !errorsAs(err, &api) || api.StatusCode != http.StatusNotFound {
					t.Errorf("err = %v, want a *WrongWorkspaceError that is a 404 *APIError", err)
				}
				if err != nil && strings.Contains(err.Error(), "globex") {
					t.Errorf("error %q names the other workspace", err)
				}
			case "decode":
				if !errorsAs(err, &de) {
					t.Errorf("err = %v, want a *DecodeError", err)
				}
			}
		})
	}
}

func TestStoredBodyOfAnotherWorkspaceIsNotServed(t *testing.T) {
	// A body that reaches the cache without its decoded form (a second
	// level) is checked like one fetched from Mode: another workspace's
	// report is not found, and no decoded value is attached to it.
	ctx := context.Background()
	ch := newCache(t)
	f, h := cachedFixture(t, ch, "succeeded")
	k := cache.Key{Credential: f.client.fingerprint, Method: "GET", Path: "/api/acme/reports/r9"}
	ch.Store(k, []byte(`{"token":"r9","name":"Theirs","account_username":"globex"}`), time.Minute, nil)
	var ww *WrongWorkspaceError
	if r, err := f.client.GetReport(ctx, "acme", "r9"); !errorsAs(err, &ww) {
		t.Fatalf("GetReport = %+v, %v; want a *WrongWorkspaceError", r, err)
	}
	if e := cacheEntry(t, f.client, k.Path, ""); e.Value != nil {
		t.Errorf("a decoded value was attached to another workspace's body: %#v", e.Value)
	}
	if n := h.get("GET /api/acme/reports/r9"); n != 0 {
		t.Errorf("upstream GETs = %d, want 0", n)
	}
}

func TestListPageWithAnItemOfAnotherWorkspaceFails(t *testing.T) {
	// One foreign item fails the whole page, which is not cached.
	ctx := context.Background()
	ch := newCache(t)
	f := newFixture(t, WithCache(ch))
	var n counter
	f.mux.HandleFunc("/api/acme/spaces/s1/reports", func(w http.ResponseWriter, _ *http.Request) {
		n.inc()
		writeJSON(w, 200, `{"pagination":{"total_count":2},"_embedded":{"reports":[
			{"token":"r1","account_username":"acme"},{"token":"r2","account_username":"globex"}]}}`)
	})
	for range 2 {
		var ww *WrongWorkspaceError
		if p, err := f.client.ListSpaceReportsPage(ctx, "acme", "s1", 1, nil); !errorsAs(err, &ww) {
			t.Fatalf("ListSpaceReportsPage = %+v, %v; want a *WrongWorkspaceError", p, err)
		}
	}
	if got := n.get(); got != 2 {
		t.Errorf("upstream GETs = %d, want 2 (nothing cached)", got)
	}
}
