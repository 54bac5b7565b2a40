package modeclient_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
)

// TestContractWorkspace covers GetWorkspace, ListMemberships/GetMembership and
// ListGroups/GetGroup.
func TestContractWorkspace(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)

		t.Run("GetWorkspace", func(t *testing.T) {
			w := must(c.GetWorkspace(ctx, tg.ws))(t)
			if w.Username != tg.ws || w.Token == "" || w.Name == "" || w.CreatedAt.IsZero() {
				t.Errorf("workspace = %+v: want username %s, a token, a name and created_at", w, tg.ws)
			}
			if tg.emu != nil {
				if w.Name != "Parch & Posey" || w.SpaceCount != 4 || w.DataSourceCount != 1 ||
					w.DefaultDataSourceToken != tg.emu.Demo().DataSource || w.WebURL() == "" {
					t.Errorf("demo workspace = %+v", w)
				}
			}
		})

		t.Run("Memberships", func(t *testing.T) {
			need(t, "membership", fx.Member)
			ms := collect(t, c.ListMemberships(ctx, tg.ws, nil))
			names := tokensOf(ms, memberName)
			assertUnique(t, "memberships", names)
			if !slices.Contains(names, fx.Member) {
				t.Fatalf("memberships %v lack %s", names, fx.Member)
			}
			listed := ms[slices.Index(names, fx.Member)]
			tok := listed.MembershipToken()
			need(t, "membership token (Mode's answer names none)", tok)
			m := must(c.GetMembership(ctx, tg.ws, tok))(t)
			if m.MemberUsername != fx.Member || m.MemberToken != listed.MemberToken || m.Admin != listed.Admin || m.State == "" ||
				m.MembershipToken() != tok {
				t.Errorf("GetMembership = %+v, listed as %+v", m, listed)
			}
			if tg.emu != nil {
				d := tg.emu.Demo()
				assertSameSet(t, "members", names, d.Members)
				if tok != d.Memberships[0] || m.State != modeclient.MembershipStateActive || m.Invited {
					t.Errorf("first membership %+v, want token %s, active", m, d.Memberships[0])
				}
				// A membership is addressed by its own token, not by the member's username or user token.
				for _, other := range []string{m.MemberUsername, m.MemberToken} {
					_, err := c.GetMembership(ctx, tg.ws, other)
					wantAPIError(t, err, http.StatusNotFound)
				}
			}
		})

		t.Run("Groups", func(t *testing.T) {
			need(t, "group (or the credential may not list groups)", fx.Group)
			gs := collect(t, c.ListGroups(ctx, tg.ws, nil))
			toks := tokensOf(gs, groupToken)
			assertUnique(t, "groups", toks)
			g := must(c.GetGroup(ctx, tg.ws, fx.Group))(t)
			if g.Token != fx.Group || g.Name == "" || !slices.Contains(toks, g.Token) {
				t.Errorf("GetGroup = %+v, listed %v", g, toks)
			}
			if tg.emu != nil {
				assertSameSet(t, "groups", toks, tg.emu.Demo().Groups)
				if g.Name != "Everyone" || g.MemberCount != 5 || g.GroupType != "everyone" {
					t.Errorf("the Everyone group = %+v", g)
				}
			}
		})
	})
}

// TestContractSpaces covers ListSpaces with and without filter=all and GetSpace.
func TestContractSpaces(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)
		need(t, "space with a report", fx.Space)

		def := tokensOf(collect(t, c.ListSpaces(ctx, tg.ws, nil)), spaceToken)
		allSpaces := collect(t, c.ListSpaces(ctx, tg.ws, &modeclient.ListSpacesOptions{Filter: "all"}))
		all := tokensOf(allSpaces, spaceToken)
		assertUnique(t, "spaces", def)
		assertUnique(t, "spaces (filter all)", all)
		for _, s := range def {
			if !slices.Contains(all, s) {
				t.Errorf("space %s is listed by default but not with filter=all", s)
			}
		}
		s := must(c.GetSpace(ctx, tg.ws, fx.Space))(t)
		if s.Token != fx.Space || s.Name == "" || s.SpaceType == "" || !slices.Contains(def, s.Token) {
			t.Errorf("GetSpace = %+v", s)
		}
		if tg.emu != nil {
			d := tg.emu.Demo()
			restricted := d.Spaces[2] // "Executive": restricted and not joined
			assertSameSet(t, "spaces", def, []string{d.Spaces[0], d.Spaces[1], d.Spaces[3]})
			assertSameSet(t, "spaces (filter all)", all, d.Spaces)
			exec := must(c.GetSpace(ctx, tg.ws, restricted))(t)
			if !bool(exec.Restricted) || exec.Name != "Executive" || exec.DefaultAccessLevel != "restricted" {
				t.Errorf("restricted space = %+v", exec)
			}
			if p := must(c.GetSpace(ctx, tg.ws, d.Spaces[3]))(t); p.SpaceType != "private" {
				t.Errorf("personal space = %+v", p)
			}
			if s.Name != "Sales" || s.WebURL() == "" {
				t.Errorf("Sales space = %+v", s)
			}
		}
	})
}

// TestContractDataSources covers ListDataSources, GetDataSource and ListDataSourceReports with
// its filter and ordering options.
func TestContractDataSources(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t), tg.fixtures(t)
		need(t, "data source", fx.DataSource)

		dss := collect(t, c.ListDataSources(ctx, tg.ws, nil))
		assertUnique(t, "data sources", tokensOf(dss, dataSourceToken))
		ds := must(c.GetDataSource(ctx, tg.ws, fx.DataSource))(t)
		if ds.Token != fx.DataSource || ds.ID == 0 || ds.Adapter == "" || ds.Name == "" {
			t.Errorf("GetDataSource = %+v", ds)
		}
		if tg.emu != nil {
			if len(dss) != 1 || ds.ID != 4001 || ds.Adapter != "jdbc:postgresql" || ds.Database != "parch_and_posey" || ds.Port != 5432 {
				t.Errorf("demo data sources = %+v", dss)
			}
		}

		list := func(o *modeclient.ListReportsOptions) []modeclient.Report {
			t.Helper()
			return collect(t, c.ListDataSourceReports(ctx, tg.ws, fx.DataSource, o))
		}
		def, all := list(nil), list(&modeclient.ListReportsOptions{Filter: "all"})
		archived := list(&modeclient.ListReportsOptions{Filter: "archived"})
		for _, r := range archived {
			if !r.Archived {
				t.Errorf("filter=archived listed unarchived report %s", r.Token)
			}
		}
		for _, r := range def {
			if r.Archived {
				t.Errorf("the default filter listed archived report %s", r.Token)
			}
		}
		if len(all) < len(def) || len(all) < len(archived) {
			t.Errorf("filter=all lists %d reports, default %d, archived %d", len(all), len(def), len(archived))
		}
		asc := list(&modeclient.ListReportsOptions{Order: "asc", OrderBy: "created_at"})
		assertOrdered(t, "created_at asc", asc, func(r modeclient.Report) time.Time { return r.CreatedAt.Time }, false)
		if tg.emu != nil {
			d := tg.emu.Demo()
			// Every demo report queries the one data source; only Scratchpad is archived.
			want := slices.Delete(slices.Clone(d.Reports), scratchpadIndex, scratchpadIndex+1)
			assertSameSet(t, "data source reports", tokensOf(def, reportToken), want)
			assertSameSet(t, "data source reports (all)", tokensOf(all, reportToken), d.Reports)
			assertSameSet(t, "data source reports (archived)", tokensOf(archived, reportToken), d.Reports[scratchpadIndex:scratchpadIndex+1])
		}
	})
}

// TestContractSpaceWrites covers CreateSpace, UpdateSpace and DeleteSpace and their errors.
func TestContractSpaceWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		d := tg.emu.Demo()
		listed := func() []string {
			return tokensOf(collect(t, c.ListSpaces(ctx, tg.ws, &modeclient.ListSpacesOptions{Filter: "all"})), spaceToken)
		}

		s := must(c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "Contract Suite", Description: "Made by the contract tests."}))(t)
		if s.Token == "" || s.Name != "Contract Suite" || s.Description != "Made by the contract tests." || s.SpaceType != "custom" || bool(s.Restricted) {
			t.Errorf("CreateSpace = %+v", s)
		}
		if got := must(c.GetSpace(ctx, tg.ws, s.Token))(t); got.Name != s.Name {
			t.Errorf("GetSpace after create = %+v", got)
		}
		if !slices.Contains(listed(), s.Token) {
			t.Errorf("the new space is not listed")
		}
		_, err := c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "contract suite"})
		if ae := wantAPIError(t, err, http.StatusBadRequest); ae.Message != "Name has already been taken" {
			t.Errorf("duplicate name: %+v", ae)
		}

		name, desc := "Contract Suite (renamed)", "Renamed by the contract tests."
		u := must(c.UpdateSpace(ctx, tg.ws, s.Token, modeclient.SpaceUpdate{Name: &name, Description: &desc}))(t)
		if u.Token != s.Token || u.Name != name || u.Description != desc {
			t.Errorf("UpdateSpace = %+v", u)
		}
		if got := must(c.GetSpace(ctx, tg.ws, s.Token))(t); got.Name != name || got.Description != desc {
			t.Errorf("GetSpace after update = %+v", got)
		}
		_, err = c.UpdateSpace(ctx, tg.ws, d.Spaces[3], modeclient.SpaceUpdate{Name: &name})
		wantAPIError(t, err, http.StatusForbidden) // personal spaces cannot be renamed

		if err := c.DeleteSpace(ctx, tg.ws, s.Token); err != nil {
			t.Fatalf("DeleteSpace: %v", err)
		}
		_, err = c.GetSpace(ctx, tg.ws, s.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if slices.Contains(listed(), s.Token) {
			t.Errorf("the deleted space is still listed")
		}
		wantAPIError(t, c.DeleteSpace(ctx, tg.ws, s.Token), http.StatusNotFound)
		wantAPIError(t, c.DeleteSpace(ctx, tg.ws, d.Spaces[3]), http.StatusForbidden)
	})
}
