package modeclient_test

import (
	"net/http"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// TestContractReportBasicWarmedByBatch: after a workspace-wide listing, every report's basic
// view costs no request; a write of one report drops its view (the next read goes to Mode and
// shows the change); without a listing, the basic view is the full report's, read once.
func TestContractReportBasicWarmedByBatch(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		if tg.emu == nil {
			t.Skip("counts the emulator's requests")
		}
		ctx, c := tg.ctx(t), tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		listed := collect(t, c.ListBatchReports(ctx, tg.ws, &modeclient.BatchOptions{IncludeSpaces: modeclient.IncludeSpacesAll}))
		before := len(tg.emu.Requests())
		for _, r := range listed {
			b, err := c.GetReportBasic(ctx, tg.ws, r.Token)
			if err != nil || b.Token != r.Token || b.Name != r.Name || !b.UpdatedAt.Equal(r.UpdatedAt.Time) || b.SpaceToken != r.SpaceToken {
				t.Fatalf("GetReportBasic(%s) = %+v, %v; want %+v", r.Token, b, err, r)
			}
		}
		if n := len(tg.emu.Requests()) - before; n != 0 {
			t.Fatalf("%d requests for %d basic views after a listing, want 0", n, len(listed))
		}

		changed := listed[0].Token
		name := "Renamed for the basic view"
		if _, err := c.UpdateReport(ctx, tg.ws, changed, modeclient.ReportUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		gets := tg.emu.CountRequests(http.MethodGet, "/api/"+tg.ws+"/reports/"+changed)
		b, err := c.GetReportBasic(ctx, tg.ws, changed)
		if err != nil || b.Name != name {
			t.Fatalf("GetReportBasic after the update = %+v, %v; want %q", b, err, name)
		}
		if n := tg.emu.CountRequests(http.MethodGet, "/api/"+tg.ws+"/reports/"+changed) - gets; n != 1 {
			t.Errorf("%d GETs of the changed report, want 1", n)
		}

		// A fresh client, no listing: one GET of the report, then none.
		fresh := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		d := tg.emu.Demo()
		before = len(tg.emu.Requests())
		for range 3 {
			if _, err := fresh.GetReportBasic(ctx, tg.ws, d.Reports[1]); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(tg.emu.Requests()) - before; n != 1 {
			t.Errorf("%d requests for three basic views without a listing, want 1", n)
		}
		if _, err := fresh.GetReportBasic(ctx, tg.ws, "../x"); err == nil {
			t.Error("GetReportBasic accepted a bad token")
		}
	})
}
