package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// wsSeedBase is when the emulator's demo workspace was created.
var wsSeedBase = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// wsSpaceIndex names the demo spaces' positions in Demo.Spaces.
const (
	wsSales = iota
	wsMarketing
	wsExecutive
	wsPersonal
)

// TestGetWorkspace checks every Workspace field against the seeded demo workspace.
func TestGetWorkspace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			res, err := e.clients(p).ws.GetWorkspace(testContext(t), connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: e.ws}))
			if err != nil {
				t.Fatalf("GetWorkspace: %v", err)
			}
			w := res.Msg.GetWorkspace()
			if w.GetName() != "workspaces/parch_and_posey" {
				t.Errorf("name = %q", w.GetName())
			}
			if w.GetDisplayName() != "Parch & Posey" {
				t.Errorf("display_name = %q", w.GetDisplayName())
			}
			if w.GetCreateTime() == nil || !w.GetCreateTime().AsTime().Equal(wsSeedBase) {
				t.Errorf("create_time = %v, want %v", w.GetCreateTime(), wsSeedBase)
			}
			if w.GetSpaceCount() != int32(len(e.demo.Spaces)) {
				t.Errorf("space_count = %d, want %d", w.GetSpaceCount(), len(e.demo.Spaces))
			}
			if w.GetDataSourceCount() != 1 {
				t.Errorf("data_source_count = %d, want 1", w.GetDataSourceCount())
			}
			if w.GetDefaultDataSource() != e.dataSourceName() {
				t.Errorf("default_data_source = %q, want %q", w.GetDefaultDataSource(), e.dataSourceName())
			}
			if w.GetQueryRunSizeLimitBytes() != 10240<<20 {
				t.Errorf("query_run_size_limit_bytes = %d, want %d", w.GetQueryRunSizeLimitBytes(), int64(10240)<<20)
			}
			if want := e.mode.URL + "/parch_and_posey"; w.GetWebUri() != want {
				t.Errorf("web_uri = %q, want %q", w.GetWebUri(), want)
			}
		})
	}
}

// TestGetWorkspaceCache checks that identical GetWorkspace calls share one upstream GET and that Cache-Control: no-cache bypasses the cache.
func TestGetWorkspaceCache(t *testing.T) {
	t.Parallel()
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{})
			ctx := testContext(t)
			c := e.clients(p)
			gets := func() int {
				n := 0
				for _, r := range e.mode.Requests() {
					if r.Method == http.MethodGet && r.Path == "/api/"+e.demo.Workspace {
						n++
					}
				}
				return n
			}
			call := func(header http.Header) *modeplatformv1.Workspace {
				t.Helper()
				req := connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: e.ws})
				for k, vs := range header {
					for _, v := range vs {
						req.Header().Add(k, v)
					}
				}
				res, err := c.ws.GetWorkspace(ctx, req)
				if err != nil {
					t.Fatalf("GetWorkspace: %v", err)
				}
				return res.Msg.GetWorkspace()
			}
			first, second := call(nil), call(nil)
			if got := gets(); got != 1 {
				t.Fatalf("two identical GetWorkspace calls made %d upstream GETs, want 1", got)
			}
			if first.GetDisplayName() != second.GetDisplayName() || first.GetName() != second.GetName() {
				t.Errorf("cached answer differs: %v vs %v", first, second)
			}
			call(http.Header{"Cache-Control": {"no-cache"}})
			if got := gets(); got != 2 {
				t.Fatalf("GetWorkspace with Cache-Control: no-cache made %d upstream GETs in all, want 2", got)
			}
		})
	}
}

// TestListMemberships checks the demo's memberships, named by member username.
func TestListMemberships(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	admins := map[string]bool{"ana_analyst": true, "dev_engineer": true}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			res, err := e.clients(p).ws.ListMemberships(testContext(t), connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws}))
			if err != nil {
				t.Fatalf("ListMemberships: %v", err)
			}
			ms := res.Msg.GetMemberships()
			if len(ms) != len(e.demo.Members) || res.Msg.GetNextPageToken() != "" {
				t.Fatalf("got %d memberships (next %q), want %d on one page", len(ms), res.Msg.GetNextPageToken(), len(e.demo.Members))
			}
			if res.Msg.GetTotalSize() != int32(len(e.demo.Members)) {
				t.Errorf("total_size = %d, want %d", res.Msg.GetTotalSize(), len(e.demo.Members))
			}
			for i, m := range ms {
				user := e.demo.Members[i]
				// Named by the member's token, which does not change with the username.
				token, _ := strings.CutPrefix(m.GetName(), e.ws+"/memberships/")
				if m.GetMemberUsername() != user || !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(token) {
					t.Errorf("membership %d = %q (%q), want %q named by its member token", i, m.GetName(), m.GetMemberUsername(), user)
				}
				if m.GetAdmin() != admins[user] {
					t.Errorf("%s admin = %v", user, m.GetAdmin())
				}
				if m.GetState() != "active" || m.GetInvited() || m.GetManagedByScim() {
					t.Errorf("%s state=%q invited=%v scim=%v", user, m.GetState(), m.GetInvited(), m.GetManagedByScim())
				}
				if want := wsSeedBase.Add(time.Duration(i) * time.Hour); m.GetActivateTime() == nil || !m.GetActivateTime().AsTime().Equal(want) {
					t.Errorf("%s activate_time = %v, want %v", user, m.GetActivateTime(), want)
				}
			}
		})
	}
}

// TestListGroups checks the demo's user groups and their counts.
func TestListGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	want := []struct {
		display, groupType     string
		members, spaces, datas int32
	}{
		{"Everyone", "everyone", 5, 3, 1},
		{"Analysts", "custom", 3, 2, 1},
		{"Executives", "custom", 1, 1, 1},
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			res, err := e.clients(p).ws.ListGroups(testContext(t), connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: e.ws, PageSize: 10}))
			if err != nil {
				t.Fatalf("ListGroups: %v", err)
			}
			gs := res.Msg.GetGroups()
			if len(gs) != len(want) || res.Msg.GetNextPageToken() != "" || res.Msg.GetTotalSize() != int32(len(want)) {
				t.Fatalf("got %d groups (next %q, total %d), want %d", len(gs), res.Msg.GetNextPageToken(), res.Msg.GetTotalSize(), len(want))
			}
			for i, g := range gs {
				w := want[i]
				tok := e.demo.Groups[i]
				if g.GetName() != e.ws+"/groups/"+tok {
					t.Errorf("group %d name = %q, want token %q", i, g.GetName(), tok)
				}
				if g.GetDisplayName() != w.display || g.GetGroupType() != w.groupType || g.GetState() != "active" || g.GetDescription() == "" {
					t.Errorf("group %d = %v", i, g)
				}
				if g.GetMemberCount() != w.members || g.GetSpaceCount() != w.spaces || g.GetDataSourceCount() != w.datas {
					t.Errorf("group %s counts = %d/%d/%d, want %d/%d/%d", w.display, g.GetMemberCount(), g.GetSpaceCount(), g.GetDataSourceCount(), w.members, w.spaces, w.datas)
				}
				if web := e.mode.URL + "/organizations/parch_and_posey/groups/" + tok; g.GetWebUri() != web {
					t.Errorf("group %s web_uri = %q, want %q", w.display, g.GetWebUri(), web)
				}
			}
		})
	}
}

// TestGetGroup: a group read by name is the group the list shows; the second read is served from
// the cache; an unknown group, or another workspace's group named under this one, is NotFound.
func TestGetGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{modeOpts: []modetest.Option{modetest.WithCrossWorkspaceTokens()}})
	ctx := testContext(t)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			c := e.clients(p)
			list, err := c.ws.ListGroups(ctx, connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: e.ws}))
			if err != nil {
				t.Fatalf("ListGroups: %v", err)
			}
			want := list.Msg.GetGroups()[1]
			got, err := c.ws.GetGroup(ctx, connect.NewRequest(&modeplatformv1.GetGroupRequest{Name: want.GetName()}))
			if err != nil {
				t.Fatalf("GetGroup: %v", err)
			}
			if !proto.Equal(got.Msg.GetGroup(), want) {
				t.Errorf("GetGroup = %v, want the listed %v", got.Msg.GetGroup(), want)
			}
			before := e.upstream()
			if _, err := c.ws.GetGroup(ctx, connect.NewRequest(&modeplatformv1.GetGroupRequest{Name: want.GetName()})); err != nil {
				t.Fatalf("GetGroup again: %v", err)
			}
			if n := e.upstream() - before; n != 0 {
				t.Errorf("a second GetGroup sent %d requests to Mode, want 0 (cached)", n)
			}
			for _, name := range []string{e.ws + "/groups/nosuchgroup", e.ws + "/groups/" + e.demo.Second.Group} {
				_, err := c.ws.GetGroup(ctx, connect.NewRequest(&modeplatformv1.GetGroupRequest{Name: name}))
				if connect.CodeOf(err) != connect.CodeNotFound || !strings.Contains(err.Error(), name) {
					t.Errorf("GetGroup(%s) = %v, want NotFound naming it", name, err)
				}
			}
		})
	}
}

// wsSpaceNames returns the display names of spaces.
func wsSpaceNames(spaces []*modeplatformv1.Space) []string {
	var out []string
	for _, s := range spaces {
		out = append(out, s.GetDisplayName())
	}
	return out
}

// TestListSpaces checks the default space list and the one with include_personal.
func TestListSpaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)
			res, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws}))
			if err != nil {
				t.Fatalf("ListSpaces: %v", err)
			}
			if got, want := wsSpaceNames(res.Msg.GetSpaces()), []string{"Sales", "Marketing", "Personal"}; !slices.Equal(got, want) {
				t.Errorf("default ListSpaces = %v, want %v", got, want)
			}
			if res.Msg.GetTotalSize() != 3 || res.Msg.GetNextPageToken() != "" {
				t.Errorf("total_size = %d, next = %q", res.Msg.GetTotalSize(), res.Msg.GetNextPageToken())
			}
			all, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, IncludePersonal: true}))
			if err != nil {
				t.Fatalf("ListSpaces(include_personal): %v", err)
			}
			if got, want := wsSpaceNames(all.Msg.GetSpaces()), []string{"Sales", "Marketing", "Executive", "Personal"}; !slices.Equal(got, want) {
				t.Errorf("ListSpaces(include_personal) = %v, want %v", got, want)
			}
			want := []struct {
				typ        modeplatformv1.Space_SpaceType
				restricted bool
				access     string
			}{
				{modeplatformv1.Space_SPACE_TYPE_CUSTOM, false, "edit"},
				{modeplatformv1.Space_SPACE_TYPE_CUSTOM, false, "edit"},
				{modeplatformv1.Space_SPACE_TYPE_CUSTOM, true, "restricted"},
				{modeplatformv1.Space_SPACE_TYPE_PRIVATE, false, "private"},
			}
			for i, s := range all.Msg.GetSpaces() {
				tok := e.demo.Spaces[i]
				if s.GetName() != e.spaceName(tok) {
					t.Errorf("space %d name = %q, want %q", i, s.GetName(), e.spaceName(tok))
				}
				if s.GetSpaceType() != want[i].typ || s.GetRestricted() != want[i].restricted || s.GetDefaultAccessLevel() != want[i].access {
					t.Errorf("space %s = %v", s.GetDisplayName(), s)
				}
				if s.GetState() != "active" || s.GetDescription() == "" {
					t.Errorf("space %s state=%q description=%q", s.GetDisplayName(), s.GetState(), s.GetDescription())
				}
				if web := e.mode.URL + "/parch_and_posey/spaces/" + tok; s.GetWebUri() != web {
					t.Errorf("space %s web_uri = %q, want %q", s.GetDisplayName(), s.GetWebUri(), web)
				}
			}
		})
	}
}

// TestGetSpace checks one seeded space.
func TestGetSpace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			name := e.spaceName(e.demo.Spaces[wsSales])
			res, err := e.clients(p).ws.GetSpace(testContext(t), connect.NewRequest(&modeplatformv1.GetSpaceRequest{Name: name}))
			if err != nil {
				t.Fatalf("GetSpace: %v", err)
			}
			s := res.Msg.GetSpace()
			if s.GetName() != name || s.GetDisplayName() != "Sales" || s.GetDescription() != "Orders, revenue and the sales team." {
				t.Errorf("space = %v", s)
			}
			if s.GetSpaceType() != modeplatformv1.Space_SPACE_TYPE_CUSTOM || s.GetState() != "active" || s.GetRestricted() || s.GetDefaultAccessLevel() != "edit" {
				t.Errorf("space = %v", s)
			}
			if !strings.HasPrefix(s.GetWebUri(), e.mode.URL+"/") {
				t.Errorf("web_uri = %q, want an absolute URL on %s", s.GetWebUri(), e.mode.URL)
			}
		})
	}
}

// wsWalk pages through a list with pageSize, returning the item names of
// every page in order.
func wsWalk(t *testing.T, list func(token string) (names []string, next string, err error)) []string {
	t.Helper()
	var all []string
	token := ""
	for range 100 {
		names, next, err := list(token)
		if err != nil {
			t.Fatalf("list (token %q): %v", token, err)
		}
		all = append(all, names...)
		if next == "" {
			return all
		}
		token = next
	}
	t.Fatal("list did not end after 100 pages")
	return nil
}

// TestListPaging walks ListSpaces, ListMemberships and ListGroups with small page sizes: every item exactly once, in order.
func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		for _, size := range []int32{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/size=%d", p.name, size), func(t *testing.T) {
				t.Parallel()
				ctx := testContext(t)
				c := e.clients(p)
				for _, includePersonal := range []bool{false, true} {
					var want []string
					for i, tok := range e.demo.Spaces {
						if includePersonal || i != wsExecutive {
							want = append(want, e.spaceName(tok))
						}
					}
					got := wsWalk(t, func(token string) ([]string, string, error) {
						res, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: size, PageToken: token, IncludePersonal: includePersonal}))
						if err != nil {
							return nil, "", err
						}
						if n := len(res.Msg.GetSpaces()); n > int(size) || n == 0 {
							t.Errorf("page of %d spaces, page_size %d", n, size)
						}
						var names []string
						for _, s := range res.Msg.GetSpaces() {
							names = append(names, s.GetName())
						}
						return names, res.Msg.GetNextPageToken(), nil
					})
					if !slices.Equal(got, want) {
						t.Errorf("ListSpaces(include_personal=%v) pages = %v, want %v", includePersonal, got, want)
					}
				}
				var want []string
				all, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws, PageSize: 1000}))
				if err != nil || len(all.Msg.GetMemberships()) != len(e.demo.Members) {
					t.Fatalf("ListMemberships = %v, %v", all, err)
				}
				for _, m := range all.Msg.GetMemberships() {
					want = append(want, m.GetName())
				}
				got := wsWalk(t, func(token string) ([]string, string, error) {
					res, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws, PageSize: size, PageToken: token}))
					if err != nil {
						return nil, "", err
					}
					if n := len(res.Msg.GetMemberships()); n > int(size) || n == 0 {
						t.Errorf("page of %d memberships, page_size %d", n, size)
					}
					var names []string
					for _, m := range res.Msg.GetMemberships() {
						names = append(names, m.GetName())
					}
					return names, res.Msg.GetNextPageToken(), nil
				})
				if !slices.Equal(got, want) {
					t.Errorf("ListMemberships pages = %v, want %v", got, want)
				}
				var wantGroups []string
				for _, g := range e.demo.Groups {
					wantGroups = append(wantGroups, e.ws+"/groups/"+g)
				}
				gotGroups := wsWalk(t, func(token string) ([]string, string, error) {
					res, err := c.ws.ListGroups(ctx, connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: e.ws, PageSize: size, PageToken: token}))
					if err != nil {
						return nil, "", err
					}
					var names []string
					for _, g := range res.Msg.GetGroups() {
						names = append(names, g.GetName())
					}
					return names, res.Msg.GetNextPageToken(), nil
				})
				if !slices.Equal(gotGroups, wantGroups) {
					t.Errorf("ListGroups pages = %v, want %v", gotGroups, wantGroups)
				}
			})
		}
	}
}

// TestListPageTokenBinding checks that a page token is refused (before any upstream call) with another parent, filter or list, and accepted with another page_size.
func TestListPageTokenBinding(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			// Not parallel: the subtests count the emulator's requests.
			ctx := testContext(t)
			c := e.clients(p)
			first, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: 1}))
			if err != nil {
				t.Fatalf("ListSpaces: %v", err)
			}
			token := first.Msg.GetNextPageToken()
			if token == "" {
				t.Fatal("no next_page_token with page_size 1")
			}
			members, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws, PageSize: 1}))
			if err != nil {
				t.Fatalf("ListMemberships: %v", err)
			}
			memberToken := members.Msg.GetNextPageToken()

			// A different page_size is fine (AIP-158).
			next, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: 5, PageToken: token}))
			if err != nil {
				t.Fatalf("ListSpaces with the token and another page_size: %v", err)
			}
			if got := wsSpaceNames(next.Msg.GetSpaces()); !slices.Equal(got, []string{"Marketing", "Personal"}) {
				t.Errorf("second page = %v, want [Marketing Personal]", got)
			}

			bad := []struct {
				name string
				call func() error
			}{
				{"other parent", func() error {
					_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: "workspaces/other_ws", PageSize: 1, PageToken: token}))
					return err
				}},
				{"include_personal changed", func() error {
					_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: 1, PageToken: token, IncludePersonal: true}))
					return err
				}},
				{"token of another method", func() error {
					_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: 1, PageToken: memberToken}))
					return err
				}},
				{"spaces token for groups", func() error {
					_, err := c.ws.ListGroups(ctx, connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: e.ws, PageToken: token}))
					return err
				}},
				{"garbage", func() error {
					_, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws, PageToken: "not-a-token"}))
					return err
				}},
				{"truncated", func() error {
					_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageToken: token[:len(token)-3]}))
					return err
				}},
			}
			for _, tt := range bad {
				t.Run(tt.name, func(t *testing.T) {
					e.mode.ResetRequests()
					ce := wantCode(t, tt.call(), connect.CodeInvalidArgument)
					if !wsNamesField(ce.Message(), "page_token") {
						t.Errorf("message %q does not name page_token", ce.Message())
					}
					if n := len(e.mode.Requests()); n != 0 {
						t.Errorf("%d upstream requests, want 0", n)
					}
				})
			}
		})
	}
}

// TestSpaceLifecycle runs CreateSpace, GetSpace, UpdateSpace (masked), ListSpaces (cache invalidated by the writes), DeleteSpace and GetSpace (NotFound).
func TestSpaceLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)
			display := "Finance " + p.name
			created, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{
				Parent: e.ws,
				Space:  &modeplatformv1.Space{DisplayName: display, Description: "Budgets and forecasts.", Name: "workspaces/ignored/spaces/ignored"},
			}))
			if err != nil {
				t.Fatalf("CreateSpace: %v", err)
			}
			s := created.Msg.GetSpace()
			token, ok := strings.CutPrefix(s.GetName(), e.ws+"/spaces/")
			if !ok || token == "" || strings.Contains(token, "/") {
				t.Fatalf("created space name = %q", s.GetName())
			}
			if s.GetDisplayName() != display || s.GetDescription() != "Budgets and forecasts." || s.GetSpaceType() != modeplatformv1.Space_SPACE_TYPE_CUSTOM || s.GetState() != "active" {
				t.Errorf("created space = %v", s)
			}
			if s.GetWebUri() != e.mode.URL+"/parch_and_posey/spaces/"+token {
				t.Errorf("web_uri = %q", s.GetWebUri())
			}

			got, err := c.ws.GetSpace(ctx, connect.NewRequest(&modeplatformv1.GetSpaceRequest{Name: s.GetName()}))
			if err != nil {
				t.Fatalf("GetSpace: %v", err)
			}
			if got.Msg.GetSpace().GetDisplayName() != display {
				t.Errorf("GetSpace = %v", got.Msg.GetSpace())
			}
			list := func() map[string]*modeplatformv1.Space {
				t.Helper()
				res, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: 1000}))
				if err != nil {
					t.Fatalf("ListSpaces: %v", err)
				}
				m := map[string]*modeplatformv1.Space{}
				for _, sp := range res.Msg.GetSpaces() {
					m[sp.GetName()] = sp
				}
				return m
			}
			if l := list(); l[s.GetName()].GetDisplayName() != display {
				t.Fatalf("ListSpaces after create lacks the space: %v", l)
			}

			// Only the fields in the mask change: the description sent
			// along is not in the mask.
			renamed := display + " (renamed)"
			upd, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{
				Space:      &modeplatformv1.Space{Name: s.GetName(), DisplayName: renamed, Description: "ignored"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
			}))
			if err != nil {
				t.Fatalf("UpdateSpace(display_name): %v", err)
			}
			if us := upd.Msg.GetSpace(); us.GetName() != s.GetName() || us.GetDisplayName() != renamed || us.GetDescription() != "Budgets and forecasts." {
				t.Errorf("UpdateSpace(display_name) = %v", us)
			}
			if l := list(); l[s.GetName()].GetDisplayName() != renamed || l[s.GetName()].GetDescription() != "Budgets and forecasts." {
				t.Errorf("ListSpaces after rename shows %v, want %q (the write invalidates the cached list)", l[s.GetName()], renamed)
			}
			upd, err = c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{
				Space:      &modeplatformv1.Space{Name: s.GetName(), Description: ""},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}},
			}))
			if err != nil {
				t.Fatalf("UpdateSpace(description): %v", err)
			}
			if us := upd.Msg.GetSpace(); us.GetDisplayName() != renamed || us.GetDescription() != "" {
				t.Errorf("UpdateSpace(description) = %v", us)
			}
			// `*` replaces every field the method changes (AIP-134).
			renamed += " again"
			upd, err = c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{
				Space:      &modeplatformv1.Space{Name: s.GetName(), DisplayName: renamed, Description: "Replaced."},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
			}))
			if err != nil {
				t.Fatalf("UpdateSpace(*): %v", err)
			}
			if us := upd.Msg.GetSpace(); us.GetDisplayName() != renamed || us.GetDescription() != "Replaced." {
				t.Errorf("UpdateSpace(*) = %v", us)
			}
			upd, err = c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{
				Space:      &modeplatformv1.Space{Name: s.GetName(), DisplayName: renamed},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
			}))
			if err != nil || upd.Msg.GetSpace().GetDescription() != "" {
				t.Fatalf("UpdateSpace(*) without a description = %v, %v; want the description cleared", upd.Msg.GetSpace(), err)
			}
			got, err = c.ws.GetSpace(ctx, connect.NewRequest(&modeplatformv1.GetSpaceRequest{Name: s.GetName()}))
			if err != nil {
				t.Fatalf("GetSpace after update: %v", err)
			}
			if gs := got.Msg.GetSpace(); gs.GetDisplayName() != renamed || gs.GetDescription() != "" {
				t.Errorf("GetSpace after update = %v (stale cache?)", gs)
			}

			if _, err := c.ws.DeleteSpace(ctx, connect.NewRequest(&modeplatformv1.DeleteSpaceRequest{Name: s.GetName()})); err != nil {
				t.Fatalf("DeleteSpace: %v", err)
			}
			_, err = c.ws.GetSpace(ctx, connect.NewRequest(&modeplatformv1.GetSpaceRequest{Name: s.GetName()}))
			if ce := wantCode(t, err, connect.CodeNotFound); !strings.Contains(ce.Message(), s.GetName()) {
				t.Errorf("NotFound message %q does not name %s", ce.Message(), s.GetName())
			}
			if l := list(); l[s.GetName()] != nil {
				t.Errorf("ListSpaces after delete still has %s", s.GetName())
			}
			_, err = c.ws.DeleteSpace(ctx, connect.NewRequest(&modeplatformv1.DeleteSpaceRequest{Name: s.GetName()}))
			wantCode(t, err, connect.CodeNotFound)
		})
	}
}

// TestCreateSpaceRequestID checks AIP-155 request_id de-duplication of CreateSpace against the upstream POST count.
func TestCreateSpaceRequestID(t *testing.T) {
	t.Parallel()
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{})
			ctx := testContext(t)
			c := e.clients(p)
			create := func(display, requestID string) (*modeplatformv1.Space, error) {
				res, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{
					Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: display}, RequestId: requestID,
				}))
				if err != nil {
					return nil, err
				}
				return res.Msg.GetSpace(), nil
			}
			e.mode.ResetRequests()
			first, err := create("Ops", "req-1")
			if err != nil {
				t.Fatalf("CreateSpace: %v", err)
			}
			second, err := create("Ops", "req-1")
			if err != nil {
				t.Fatalf("CreateSpace retry: %v", err)
			}
			if first.GetName() == "" || second.GetName() != first.GetName() || second.GetDisplayName() != "Ops" {
				t.Errorf("retry answered %v, first call %v", second, first)
			}
			if n := e.mode.CountRequests(http.MethodPost, "/api/"); n != 1 {
				t.Errorf("%d upstream POSTs for two calls with one request_id, want 1", n)
			}

			_, err = create("Ops 2", "req-1")
			if ce := wantCode(t, err, connect.CodeInvalidArgument); !wsNamesField(ce.Message(), "request_id") {
				t.Errorf("message %q does not name request_id", ce.Message())
			}
			if n := e.mode.CountRequests(http.MethodPost, "/api/"); n != 1 {
				t.Errorf("%d upstream POSTs after a mismatched reuse, want 1", n)
			}

			// Another id, or none, creates again.
			other, err := create("Ops 3", "req-2")
			if err != nil {
				t.Fatalf("CreateSpace with another id: %v", err)
			}
			if other.GetName() == first.GetName() {
				t.Errorf("another request_id answered the first space")
			}
			if _, err := create("Ops 4", ""); err != nil {
				t.Fatalf("CreateSpace without an id: %v", err)
			}
			if n := e.mode.CountRequests(http.MethodPost, "/api/"); n != 3 {
				t.Errorf("%d upstream POSTs, want 3", n)
			}
		})
	}
}

// TestWorkspaceUpstreamErrors checks Mode's 404, 403 and 400 answers map to NotFound (naming the resource), PermissionDenied and InvalidArgument.
func TestWorkspaceUpstreamErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	missing := e.spaceName("0000deadbeef")
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			c := e.clients(p)
			calls := []struct {
				name string
				call func() error
			}{
				{"GetSpace", func() error {
					_, err := c.ws.GetSpace(ctx, connect.NewRequest(&modeplatformv1.GetSpaceRequest{Name: missing}))
					return err
				}},
				{"UpdateSpace", func() error {
					_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{
						Space: &modeplatformv1.Space{Name: missing, DisplayName: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
					}))
					return err
				}},
				{"DeleteSpace", func() error {
					_, err := c.ws.DeleteSpace(ctx, connect.NewRequest(&modeplatformv1.DeleteSpaceRequest{Name: missing}))
					return err
				}},
			}
			for _, tt := range calls {
				ce := wantCode(t, tt.call(), connect.CodeNotFound)
				if !strings.Contains(ce.Message(), missing) {
					t.Errorf("%s: NotFound message %q does not name %s", tt.name, ce.Message(), missing)
				}
			}
			// Mode refuses to rename a personal space (403).
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{
				Space:      &modeplatformv1.Space{Name: e.spaceName(e.demo.Spaces[wsPersonal]), DisplayName: "Mine"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
			}))
			wantCode(t, err, connect.CodePermissionDenied)
			// Mode refuses a duplicate space name (400).
			_, err = c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: "Sales"}}))
			wantCode(t, err, connect.CodeInvalidArgument)
		})
	}
}

// TestWorkspaceUpstreamUnavailable checks that a Mode 503 maps to Unavailable.
func TestWorkspaceUpstreamUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.mode.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/api/*/groups", Status: http.StatusServiceUnavailable})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.clients(p).ws.ListGroups(testContext(t), connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: e.ws}))
			wantCode(t, err, connect.CodeUnavailable)
		})
	}
}

// wsInvalidCase is one request the service must refuse before calling Mode.
type wsInvalidCase struct {
	name  string
	field string // named in the error message
	call  func(ctx context.Context, c clients) error
}

// wsBadWorkspaceNames and wsBadSpaceNames are malformed resource names.
func wsBadWorkspaceNames() []string {
	return []string{
		"", "workspaces/", "workspaces/w/spaces/../x", "reports/x", "workspaces/" + strings.Repeat("a", 65),
		"workspaces/pärch", "workspaces/parch_and_posey/", "workspaces/-x", "/workspaces/parch_and_posey", "workspaces/a%2Fb",
	}
}

func wsBadSpaceNames(ws string) []string {
	return []string{
		"", "workspaces/", "workspaces/w/spaces/../x", "reports/x", ws + "/spaces/" + strings.Repeat("a", 65),
		ws + "/spaces/späce", ws, ws + "/reports/abc", ws + "/spaces/", ws + "/spaces/a/b", "workspaces//spaces/abc",
	}
}

func wsInvalidCases(e *env) []wsInvalidCase {
	var cases []wsInvalidCase
	sales := e.spaceName(e.demo.Spaces[wsSales])
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	for _, bad := range wsBadWorkspaceNames() {
		cases = append(cases,
			wsInvalidCase{"GetWorkspace/" + bad, "name", func(ctx context.Context, c clients) error {
				_, err := c.ws.GetWorkspace(ctx, connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: bad}))
				return err
			}},
			wsInvalidCase{"ListMemberships/" + bad, "parent", func(ctx context.Context, c clients) error {
				_, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: bad}))
				return err
			}},
			wsInvalidCase{"ListGroups/" + bad, "parent", func(ctx context.Context, c clients) error {
				_, err := c.ws.ListGroups(ctx, connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: bad}))
				return err
			}},
			wsInvalidCase{"ListSpaces/" + bad, "parent", func(ctx context.Context, c clients) error {
				_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: bad}))
				return err
			}},
			wsInvalidCase{"CreateSpace/" + bad, "parent", func(ctx context.Context, c clients) error {
				_, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: bad, Space: &modeplatformv1.Space{DisplayName: "X"}}))
				return err
			}},
		)
	}
	for _, bad := range wsBadSpaceNames(e.ws) {
		cases = append(cases,
			wsInvalidCase{"GetSpace/" + bad, "name", func(ctx context.Context, c clients) error {
				_, err := c.ws.GetSpace(ctx, connect.NewRequest(&modeplatformv1.GetSpaceRequest{Name: bad}))
				return err
			}},
			wsInvalidCase{"DeleteSpace/" + bad, "name", func(ctx context.Context, c clients) error {
				_, err := c.ws.DeleteSpace(ctx, connect.NewRequest(&modeplatformv1.DeleteSpaceRequest{Name: bad}))
				return err
			}},
			wsInvalidCase{"UpdateSpace/" + bad, "space.name", func(ctx context.Context, c clients) error {
				_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: bad, DisplayName: "X"}, UpdateMask: mask("display_name")}))
				return err
			}},
		)
	}
	for _, size := range []int32{-1, 1001} {
		cases = append(cases,
			wsInvalidCase{fmt.Sprintf("ListMemberships/page_size=%d", size), "page_size", func(ctx context.Context, c clients) error {
				_, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: e.ws, PageSize: size}))
				return err
			}},
			wsInvalidCase{fmt.Sprintf("ListGroups/page_size=%d", size), "page_size", func(ctx context.Context, c clients) error {
				_, err := c.ws.ListGroups(ctx, connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: e.ws, PageSize: size}))
				return err
			}},
			wsInvalidCase{fmt.Sprintf("ListSpaces/page_size=%d", size), "page_size", func(ctx context.Context, c clients) error {
				_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageSize: size}))
				return err
			}},
		)
	}
	cases = append(cases,
		wsInvalidCase{"ListSpaces/long page_token", "page_token", func(ctx context.Context, c clients) error {
			_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: e.ws, PageToken: strings.Repeat("A", 1025)}))
			return err
		}},
		wsInvalidCase{"ListGroups/garbage page_token", "page_token", func(ctx context.Context, c clients) error {
			_, err := c.ws.ListGroups(ctx, connect.NewRequest(&modeplatformv1.ListGroupsRequest{Parent: e.ws, PageToken: "%%%"}))
			return err
		}},
		wsInvalidCase{"CreateSpace/no space", "space", func(ctx context.Context, c clients) error {
			_, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws}))
			return err
		}},
		wsInvalidCase{"CreateSpace/empty display_name", "space.display_name", func(ctx context.Context, c clients) error {
			_, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{Description: "d"}}))
			return err
		}},
		wsInvalidCase{"CreateSpace/long display_name", "space.display_name", func(ctx context.Context, c clients) error {
			_, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: strings.Repeat("x", 256)}}))
			return err
		}},
		wsInvalidCase{"CreateSpace/long description", "space.description", func(ctx context.Context, c clients) error {
			_, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: "X", Description: strings.Repeat("x", 10001)}}))
			return err
		}},
		wsInvalidCase{"CreateSpace/bad request_id", "request_id", func(ctx context.Context, c clients) error {
			_, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: "X"}, RequestId: "not valid!"}))
			return err
		}},
		wsInvalidCase{"CreateSpace/long request_id", "request_id", func(ctx context.Context, c clients) error {
			_, err := c.ws.CreateSpace(ctx, connect.NewRequest(&modeplatformv1.CreateSpaceRequest{Parent: e.ws, Space: &modeplatformv1.Space{DisplayName: "X"}, RequestId: strings.Repeat("r", 65)}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/no space", "space", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{UpdateMask: mask("display_name")}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/no mask", "update_mask", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, DisplayName: "X"}}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/empty mask", "update_mask", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, DisplayName: "X"}, UpdateMask: mask()}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/mask name", "update_mask", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, DisplayName: "X"}, UpdateMask: mask("name")}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/mask output-only", "update_mask", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, DisplayName: "X"}, UpdateMask: mask("display_name", "space_type")}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/mask wildcard and a path", "update_mask", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, DisplayName: "X"}, UpdateMask: mask("*", "description")}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/mask wildcard without a display_name", "space.display_name", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, Description: "x"}, UpdateMask: mask("*")}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/mask unknown", "update_mask", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, DisplayName: "X"}, UpdateMask: mask("display_name.x")}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/empty display_name", "space.display_name", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales}, UpdateMask: mask("display_name")}))
			return err
		}},
		wsInvalidCase{"UpdateSpace/long description", "space.description", func(ctx context.Context, c clients) error {
			_, err := c.ws.UpdateSpace(ctx, connect.NewRequest(&modeplatformv1.UpdateSpaceRequest{Space: &modeplatformv1.Space{Name: sales, Description: strings.Repeat("x", 10001)}, UpdateMask: mask("description")}))
			return err
		}},
	)
	return cases
}

// wsRunInvalid runs cases through c (sequentially: each counts the
// emulator's requests) and checks every one is InvalidArgument naming its
// field, with no request to Mode.
func wsRunInvalid(t *testing.T, e *env, c clients, cases []wsInvalidCase) {
	t.Helper()
	ctx := testContext(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			e.mode.ResetRequests()
			ce := wantCode(t, tt.call(ctx, c), connect.CodeInvalidArgument)
			if !wsNamesField(ce.Message(), tt.field) {
				t.Errorf("message %q does not name %s", ce.Message(), tt.field)
			}
			if n := len(e.mode.Requests()); n != 0 {
				t.Errorf("%d upstream requests, want 0", n)
			}
		})
	}
}

// wsNamesField reports whether msg names field as a whole word
// ("space.name: …" names space.name, not name).
func wsNamesField(msg, field string) bool {
	return regexp.MustCompile(`(^|[\s:])` + regexp.QuoteMeta(field) + `([\s:]|$)`).MatchString(msg)
}

// TestWorkspaceInvalidInput checks that every malformed WorkspaceService request is InvalidArgument naming its field, with no upstream request, through the interceptor and without it.
func TestWorkspaceInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	cases := wsInvalidCases(e)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) { wsRunInvalid(t, e, e.clients(p), cases) })
	}
	// The handlers check their input themselves too, so a handler mounted
	// without the validation interceptor still sends Mode nothing
	// unchecked. (WorkspaceServer's unary methods match the client
	// interface.)
	t.Run("handler", func(t *testing.T) {
		wsRunInvalid(t, e, clients{ws: workspaceHandlerClient{e.svc.Workspace}, ds: e.svc.DataSource}, cases)
	})
}

// TestReservedWorkspaceIDs: "account" and "verify" name operations of Mode's API (/api/account,
// /api/verify), not workspaces, so a caller's workspace id can never address them: the request
// is refused as an invalid argument naming the field, and nothing reaches Mode.
func TestReservedWorkspaceIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	c := e.clients(protocols[0])
	before := len(e.mode.Requests())
	for _, tt := range []struct {
		name, field string
		call        func(ctx context.Context) error
	}{
		{"GetWorkspace account", "name", func(ctx context.Context) error {
			_, err := c.ws.GetWorkspace(ctx, connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/account"}))
			return err
		}},
		{"ListSpaces verify", "parent", func(ctx context.Context) error {
			_, err := c.ws.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{Parent: "workspaces/verify"}))
			return err
		}},
		{"ListMemberships Account", "parent", func(ctx context.Context) error {
			_, err := c.ws.ListMemberships(ctx, connect.NewRequest(&modeplatformv1.ListMembershipsRequest{Parent: "workspaces/Account"}))
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(testContext(t))
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
			var ce *connect.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %T", err)
			}
			var fields []string
			for _, d := range ce.Details() {
				if v, derr := d.Value(); derr == nil {
					if bad, ok := v.(*errdetails.BadRequest); ok {
						for _, fv := range bad.GetFieldViolations() {
							fields = append(fields, fv.GetField())
						}
					}
				}
			}
			if !slices.Equal(fields, []string{tt.field}) {
				t.Errorf("field violations %v, want [%s]", fields, tt.field)
			}
		})
	}
	if n := len(e.mode.Requests()) - before; n != 0 {
		t.Errorf("%d requests reached Mode", n)
	}
}
