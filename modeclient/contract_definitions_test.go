package modeclient_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

func definitionToken(d modeclient.Definition) string { return d.Token }

func strp(s string) *string { return &s }

// TestContractDefinitionsRead lists a workspace's definitions and reads the first: on the
// emulator, the seeded ones.
func TestContractDefinitionsRead(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		defs := collect(t, c.ListDefinitions(ctx, tg.ws, &modeclient.ListOptions{PerPage: 2}))
		assertUnique(t, "definitions", tokensOf(defs, definitionToken))
		if tg.emu != nil {
			d := tg.emu.Demo()
			if !slices.Equal(tokensOf(defs, definitionToken), d.Definitions) {
				t.Fatalf("ListDefinitions = %v, want the seeded %v", tokensOf(defs, definitionToken), d.Definitions)
			}
			if defs[0].Name != "active_accounts" || defs[0].DataSourceID != 4001 || defs[0].Reference() != "{{ @active_accounts }}" ||
				!strings.HasPrefix(defs[0].Source, "SELECT") || defs[0].CreatedAt.IsZero() || !defs[0].LastSuccessfulSyncAt.IsZero() {
				t.Errorf("first definition = %+v", defs[0])
			}
		}
		if len(defs) == 0 {
			t.Skip("the workspace has no definition to read")
		}
		got := must(c.GetDefinition(ctx, tg.ws, defs[0].Token))(t)
		if got.Token != defs[0].Token || got.Name != defs[0].Name || got.Source != defs[0].Source || got.Links.Href("self") == "" {
			t.Errorf("GetDefinition = %+v, listed %+v", got, defs[0])
		}
	})
}

// TestContractDefinitionWrites covers a definition's whole life through a cached client:
// CreateDefinition, GetDefinition, ListDefinitions(Page), UpdateDefinition (a cached read shows
// the change), DeleteDefinition, bodies Mode refuses, and a query that references the definition.
func TestContractDefinitionWrites(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		seeded := len(collect(t, c.ListDefinitions(ctx, tg.ws, nil)))

		def := must(c.CreateDefinition(ctx, tg.ws, modeclient.DefinitionCreate{
			Name: "west_orders", Description: "Orders of the West region.", DataSourceID: 4001,
			Source: "SELECT * FROM {{ @orders_with_region }} WHERE region = 'West'",
		}))(t)
		if def.Token == "" || def.Name != "west_orders" || def.Description != "Orders of the West region." || def.DataSourceID != 4001 ||
			def.Links.Href("self") != apiPath("definitions", def.Token) {
			t.Fatalf("CreateDefinition = %+v", def)
		}
		got := must(c.GetDefinition(ctx, tg.ws, def.Token))(t) // cached from here on
		if got.Source != def.Source {
			t.Errorf("GetDefinition = %+v", got)
		}
		page := must(c.ListDefinitionsPage(ctx, tg.ws, 1, nil))(t)
		if len(page.Items) != seeded+1 || page.Items[seeded].Token != def.Token || page.TotalCount != seeded+1 {
			t.Errorf("ListDefinitionsPage = %v (total %d)", tokensOf(page.Items, definitionToken), page.TotalCount)
		}

		// A query that references it runs its SQL (and that of the definition it references).
		rep := d.Reports[scratchpadIndex] // its one query is cheap
		q := collect(t, c.ListQueries(ctx, tg.ws, rep, nil))[0]
		sql := "SELECT region, COUNT(*) AS orders FROM " + def.Reference() + " GROUP BY region"
		must(c.UpdateQuery(ctx, tg.ws, rep, q.Token, modeclient.QueryUpdate{RawQuery: &sql}))(t)
		run := waitRun(t, ctx, c, tg.ws, rep, must(c.RunReport(ctx, tg.ws, rep, nil))(t).Token)
		qr := collect(t, c.ListQueryRuns(ctx, tg.ws, rep, run.Token, nil))[0]
		if run.State != "succeeded" || qr.RawSource != sql || !strings.Contains(qr.RenderedSource, ") AS orders_with_region") ||
			!strings.Contains(qr.RenderedSource, ") AS west_orders") {
			t.Errorf("run %s, query run raw %q, rendered %q", run.State, qr.RawSource, qr.RenderedSource)
		}

		name, source := "west_large_orders", "SELECT * FROM {{ @orders_with_region }} WHERE region = 'West' AND total_amt_usd > 5000"
		u := must(c.UpdateDefinition(ctx, tg.ws, def.Token, modeclient.DefinitionUpdate{Name: &name, Source: &source}))(t)
		if u.Name != name || u.Source != source || u.Description != def.Description {
			t.Errorf("UpdateDefinition = %+v", u)
		}
		if got := must(c.GetDefinition(ctx, tg.ws, def.Token))(t); got.Name != name || got.Source != source {
			t.Errorf("GetDefinition after the update (it was cached) = %+v", got)
		}
		if defs := collect(t, c.ListDefinitions(ctx, tg.ws, nil)); defs[seeded].Name != name {
			t.Errorf("ListDefinitions after the update = %+v", defs[seeded])
		}

		for _, tc := range []struct {
			in     modeclient.DefinitionCreate
			status int
		}{
			{modeclient.DefinitionCreate{Name: "active_accounts", Source: "SELECT 1", DataSourceID: 4001}, http.StatusBadRequest}, // taken
			{modeclient.DefinitionCreate{Name: "two words", Source: "SELECT 1", DataSourceID: 4001}, http.StatusBadRequest},
			{modeclient.DefinitionCreate{Name: "fresh", Source: "SELECT 1", DataSourceID: 999}, http.StatusNotFound},
		} {
			_, err := c.CreateDefinition(ctx, tg.ws, tc.in)
			wantAPIError(t, err, tc.status)
		}
		_, err := c.UpdateDefinition(ctx, tg.ws, def.Token, modeclient.DefinitionUpdate{Name: strp("orders_with_region")})
		wantAPIError(t, err, http.StatusBadRequest)
		_, err = c.UpdateDefinition(ctx, tg.ws, "nosuchdefinition", modeclient.DefinitionUpdate{Name: &name})
		wantAPIError(t, err, http.StatusNotFound)

		if err := c.DeleteDefinition(ctx, tg.ws, def.Token); err != nil {
			t.Fatalf("DeleteDefinition: %v", err)
		}
		_, err = c.GetDefinition(ctx, tg.ws, def.Token)
		wantAPIError(t, err, http.StatusNotFound)
		if n := len(collect(t, c.ListDefinitions(ctx, tg.ws, nil))); n != seeded {
			t.Errorf("%d definitions after the delete, want %d", n, seeded)
		}
		wantAPIError(t, c.DeleteDefinition(ctx, tg.ws, def.Token), http.StatusNotFound)
		// The query that referenced it fails from its next run on.
		run = waitRun(t, ctx, c, tg.ws, rep, must(c.RunReport(ctx, tg.ws, rep, nil))(t).Token)
		if qr := collect(t, c.ListQueryRuns(ctx, tg.ws, rep, run.Token, nil))[0]; run.State != "failed" || !strings.Contains(string(qr.ErrorMessage), "west_orders") {
			t.Errorf("a run after the definition was deleted: %s, %q", run.State, qr.ErrorMessage)
		}
	})
}

// TestContractDefinitionInvalidArguments: identifiers that are not Mode's and bodies without
// what Mode needs are refused before any request is sent.
func TestContractDefinitionInvalidArguments(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t)
		ok := modeclient.DefinitionCreate{Name: "x", Source: "SELECT 1", DataSourceID: 4001}
		zero := int64(0)
		tg.emu.ResetRequests()
		for _, tc := range []struct {
			name, field string
			call        func(ctx context.Context) error
		}{
			{"list bad workspace", "workspace", func(ctx context.Context) error {
				_, err := c.ListDefinitionsPage(ctx, "../x", 1, nil)
				return err
			}},
			{"list bad per_page", "per_page", func(ctx context.Context) error {
				_, err := c.ListDefinitionsPage(ctx, tg.ws, 1, &modeclient.ListOptions{PerPage: -1})
				return err
			}},
			{"get bad definition", "definition", func(ctx context.Context) error {
				_, err := c.GetDefinition(ctx, tg.ws, "..")
				return err
			}},
			{"create bad workspace", "workspace", func(ctx context.Context) error {
				_, err := c.CreateDefinition(ctx, "verify", ok)
				return err
			}},
			{"create without name", "name", func(ctx context.Context) error {
				_, err := c.CreateDefinition(ctx, tg.ws, modeclient.DefinitionCreate{Source: "SELECT 1", DataSourceID: 4001})
				return err
			}},
			{"create without source", "source", func(ctx context.Context) error {
				_, err := c.CreateDefinition(ctx, tg.ws, modeclient.DefinitionCreate{Name: "x", DataSourceID: 4001})
				return err
			}},
			{"create without data source", "data_source_id", func(ctx context.Context) error {
				_, err := c.CreateDefinition(ctx, tg.ws, modeclient.DefinitionCreate{Name: "x", Source: "SELECT 1"})
				return err
			}},
			{"update bad definition", "definition", func(ctx context.Context) error {
				_, err := c.UpdateDefinition(ctx, tg.ws, "a/b", modeclient.DefinitionUpdate{Name: strp("y")})
				return err
			}},
			{"update nothing", "definition", func(ctx context.Context) error {
				_, err := c.UpdateDefinition(ctx, tg.ws, "abc", modeclient.DefinitionUpdate{})
				return err
			}},
			{"update to no name", "name", func(ctx context.Context) error {
				_, err := c.UpdateDefinition(ctx, tg.ws, "abc", modeclient.DefinitionUpdate{Name: strp("")})
				return err
			}},
			{"update to no source", "source", func(ctx context.Context) error {
				_, err := c.UpdateDefinition(ctx, tg.ws, "abc", modeclient.DefinitionUpdate{Source: strp("")})
				return err
			}},
			{"update to no data source", "data_source_id", func(ctx context.Context) error {
				_, err := c.UpdateDefinition(ctx, tg.ws, "abc", modeclient.DefinitionUpdate{DataSourceID: &zero})
				return err
			}},
			{"delete bad definition", "definition", func(ctx context.Context) error {
				return c.DeleteDefinition(ctx, tg.ws, "a b")
			}},
			{"delete bad workspace", "workspace", func(ctx context.Context) error {
				return c.DeleteDefinition(ctx, "", "abc")
			}},
		} {
			err := tc.call(ctx)
			var ia *modeclient.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("%s: err = %v, want InvalidArgumentError{%s}", tc.name, err, tc.field)
			}
		}
		if reqs := tg.emu.Requests(); len(reqs) != 0 {
			t.Errorf("%d requests were sent for invalid arguments: %+v", len(reqs), reqs)
		}
	})
}
