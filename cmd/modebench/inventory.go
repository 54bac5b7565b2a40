package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// inventoryPageSize is the page_size of every list of scenario 7: the most
// a list takes (and a Metadata API page's size).
const inventoryPageSize = 1000

// inventoryRun is what one pass of scenario 7 did.
type inventoryRun struct {
	b      block    // every call: list pages, then the gets
	listed []string // report names, in the order listed
	spaces int      // spaces listed (per-space pass)
	sample []string // the reports read with GetReport, in order

	listCalls         int
	listTime, getTime time.Duration
	// Mode requests (the emulator's count, every method and path) while
	// listing and while getting, and those of the Metadata API (/batch/).
	modeList, modeGets, modeBatch int
}

func (r *inventoryRun) mode() int { return r.modeList + r.modeGets }

// modeCounts is the emulator's count of every request it received, and of
// those under /batch/ (the Metadata API).
func (h *harness) modeCounts(ctx context.Context, emu emulatorInfo) (all, batch int, err error) {
	if all, err = h.upstreamCount(ctx, emu, "", ""); err != nil {
		return 0, 0, err
	}
	batch, err = h.upstreamCount(ctx, emu, "", "/batch/")
	return all, batch, err
}

// Scenario 7: the inventory of a large workspace (-generated: 50 spaces of
// 200 reports by default, besides the demo's) — every report listed, then
// GetReport on -gets of them — the per-space way (ListSpaces, ListReports of
// each space, GetReport in the full view: one Mode GET per report) vs
// through Mode's Metadata API (ListReports of the workspace, then GetReport
// in the basic view, answered from the listing's pages). The figure judged
// is the number of Mode requests, exact; wall times are reported as ratios.
func (h *harness) scenarioInventory(ctx context.Context) ([]*result, []string, error) {
	emu, err := h.emulatorC()
	if err != nil {
		return nil, nil, err
	}
	cfg := h.cfg
	if len(emu.Demo.GeneratedSpaces) != cfg.generated.spaces {
		return nil, nil, fmt.Errorf("the emulator has %d generated spaces, want %d", len(emu.Demo.GeneratedSpaces), cfg.generated.spaces)
	}
	// Every report a Metadata API page lists is stored as a cache entry of
	// its own (its basic view), besides the page. The bound here leaves
	// room for all of them and everything else, whatever the default.
	entries := cache.DefaultMaxEntries + cfg.generated.total()
	var rows []*result
	var tgt, base *inventoryRun
	for _, p := range cfg.protocols {
		// Each pass on a server of its own, started for it: a cold cache.
		// The passes use different cache keys — per-space lists
		// (/api/{w}/spaces/{s}/reports) and full reports
		// (/api/{w}/reports/{r}) vs Metadata API pages (/batch/{w}/reports)
		// and basic views (/api/{w}/reports/{r}?view=basic) — but a basic
		// GetReport that misses falls back to the full report's entry, so
		// sharing a server could flatter the target.
		if tgt, err = h.inventoryPass(ctx, emu, p, false, nil, entries); err != nil {
			return rows, nil, err
		}
		// The same reports, found by the per-space listing.
		if base, err = h.inventoryPass(ctx, emu, p, true, tgt.sample, entries); err != nil {
			return rows, nil, err
		}
		br := newResult(7, fmt.Sprintf("per-space: ListSpaces, ListReports of each of %d spaces, %d cold GetReport (full view)", base.spaces, len(base.sample)),
			"baseline", p, 1, base.b)
		tr := newResult(7, fmt.Sprintf("workspace-wide: ListReports of the workspace (Metadata API), %d GetReport (basic view)", len(tgt.sample)),
			"target", p, 1, tgt.b)
		for _, x := range []struct {
			r   *result
			run *inventoryRun
		}{{br, base}, {tr, tgt}} {
			x.r.Extra["mode_requests"] = float64(x.run.mode())
			x.r.Extra["mode_requests_listing"] = float64(x.run.modeList)
			x.r.Extra["mode_requests_gets"] = float64(x.run.modeGets)
			x.r.Extra["mode_requests_batch"] = float64(x.run.modeBatch)
			x.r.Extra["reports_listed"] = float64(len(x.run.listed))
			x.r.Extra["list_calls"] = float64(x.run.listCalls)
			x.r.Extra["gets"] = float64(len(x.run.sample))
			x.r.Extra["list_seconds"] = x.run.listTime.Seconds()
			x.r.Extra["get_seconds"] = x.run.getTime.Seconds()
		}
		// Every report the workspace-wide list holds is reached the
		// per-space way too (which also reaches members' personal spaces).
		if missing := missingFrom(base.listed, tgt.listed); missing != "" && br.Errors == 0 {
			br.FirstError = fmt.Sprintf("the per-space listing lacks %s, which the workspace's list holds", missing)
			br.Errors++
		}
		if n := len(tgt.listed); n < cfg.generated.total() && tr.Errors == 0 {
			tr.FirstError = fmt.Sprintf("listed %d reports, the workspace holds at least %d", n, cfg.generated.total())
			tr.Errors++
		}
		ratio := float64(tgt.mode()) / float64(max(base.mode(), 1))
		wall := tgt.b.elapsed.Seconds() / base.b.elapsed.Seconds()
		listT, getT := tgt.listTime.Seconds()/base.listTime.Seconds(), tgt.getTime.Seconds()/base.getTime.Seconds()
		tr.Ratios["mode_requests"], tr.Ratios["wall_time"] = ratio, wall
		tr.Ratios["list_time"], tr.Ratios["get_time"] = listT, getT
		br.VsBaseline = fmt.Sprintf("%d Mode requests (listing %d, gets %d); %d reports listed in %s, %d gets in %s",
			base.mode(), base.modeList, base.modeGets, len(base.listed), durationText(float64(base.listTime)), len(base.sample), durationText(float64(base.getTime)))
		tr.VsBaseline = fmt.Sprintf("%.3f× the Mode requests (%d: listing %d, gets %d; per-space %d); %.2f× the wall time (listing %.2f×, gets %.2f×)",
			ratio, tgt.mode(), tgt.modeList, tgt.modeGets, base.mode(), wall, listT, getT)
		if bs, ts := base.b.stats, tgt.b.stats; bs != nil && ts != nil && bs.CPUSeconds > 0 {
			// The server's CPU time over the whole pass: less noisy than
			// wall time on a shared machine.
			cpu := ts.CPUSeconds / bs.CPUSeconds
			tr.Ratios["server_cpu"] = cpu
			tr.VsBaseline += fmt.Sprintf(", %.2f× the server's CPU", cpu)
		}
		tr.VsBaseline += fmt.Sprintf("; %d reports listed in %s, %d gets in %s",
			len(tgt.listed), durationText(float64(tgt.listTime)), len(tgt.sample), durationText(float64(tgt.getTime)))
		tr.judge("≤ 0.1× the Mode requests of per-space listing and cold gets", ratio <= 0.1 && tr.Errors == 0 && br.Errors == 0)
		rows = append(rows, br, tr)
	}
	note := fmt.Sprintf("scenario 7: a workspace of %d generated reports in %d spaces (%s) besides the demo's; "+
		"the per-space pass lists every space (ListSpaces with include_personal, as far as the per-space way reaches) and every report of each (ListReports, page_size %d, archived ALL), "+
		"then calls GetReport (full view: one Mode GET each, the cache being cold) on %s report of the workspace-wide list, %d in all; "+
		"the workspace-wide pass lists the workspace (ListReports of workspaces/{w}, page_size %d: Mode's Metadata API, whose first read also makes a signature token) "+
		"and calls GetReport with view BASIC on the same reports. Each pass runs, one call after the other, on a server started for it (cold cache, %d cache entries: "+
		"every listed report's basic view is an entry); Mode requests are the emulator's count of every request it received during the pass (exact); "+
		"wall times (n counts list pages and gets) are one pass each, on a shared machine: read their ratios",
		cfg.generated.total(), cfg.generated.spaces, cfg.generated.String(), inventoryPageSize, every(stride(len(tgt.listed), cfg.gets)),
		len(tgt.sample), inventoryPageSize, entries)
	return rows, []string{note}, nil
}

// stride is the step of the sample: every stride-th of n listed reports,
// gets of them.
func stride(n, gets int) int { return max(1, n/gets) }

// every spells "every 10th", "every 2nd", "every".
func every(k int) string {
	if k == 1 {
		return "every"
	}
	suffix := "th"
	if k%100 < 11 || k%100 > 13 {
		switch k % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return "every " + strconv.Itoa(k) + suffix
}

// missingFrom names one of want's items that have is missing, or "".
func missingFrom(have, want []string) string {
	set := make(map[string]bool, len(have))
	for _, s := range have {
		set[s] = true
	}
	for _, s := range want {
		if !set[s] {
			return s
		}
	}
	return ""
}

// inventoryPass runs one pass of scenario 7 on a server of its own: the
// workspace-wide way (perSpace false: the sample is every stride-th report
// listed) or the per-space way, reading sample.
func (h *harness) inventoryPass(ctx context.Context, emu emulatorInfo, p string, perSpace bool, sample []string, entries int) (*inventoryRun, error) {
	srv, err := h.startServer(emu, "", "-cache-entries", strconv.Itoa(entries))
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	rs := h.reportClient(srv, p)
	wsc := modeplatformv1connect.NewWorkspaceServiceClient(h.h2c, srv.url, protocolOptions(p)...)
	ws := emu.Demo.Workspace
	label := "s7-workspace-" + p
	if perSpace {
		label = "s7-per-space-" + p
	}
	run := &inventoryRun{sample: sample}
	var countErr error
	b, err := h.measure(ctx, srv, label, false, func() block {
		var b block
		record := func(t0 time.Time, err error) {
			b.lat = append(b.lat, time.Since(t0))
			if err != nil {
				b.errs++
				if b.firstErr == nil {
					b.firstErr = err
				}
			}
		}
		// The counts are read between the timed parts.
		all0, batch0, err := h.modeCounts(ctx, emu)
		if err != nil {
			countErr = err
			return b
		}
		t0 := time.Now()
		if perSpace {
			run.listed, run.spaces = h.listPerSpace(ctx, wsc, rs, ws, record)
		} else {
			run.listed = listPages(ctx, rs, "workspaces/"+ws, modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_UNSPECIFIED, record)
		}
		run.listTime = time.Since(t0)
		run.listCalls = len(b.lat)
		all1, _, err := h.modeCounts(ctx, emu)
		if err != nil {
			countErr = err
			return b
		}
		if !perSpace {
			k := stride(len(run.listed), h.cfg.gets)
			for i := 0; i < len(run.listed) && len(run.sample) < h.cfg.gets; i += k {
				run.sample = append(run.sample, run.listed[i])
			}
		}
		view := modeplatformv1.View_VIEW_BASIC
		if perSpace {
			view = modeplatformv1.View_VIEW_UNSPECIFIED // the full view
		}
		t1 := time.Now()
		for _, name := range run.sample {
			t := time.Now()
			resp, err := rs.GetReport(ctx, connect.NewRequest(&modeplatformv1.GetReportRequest{Name: name, View: view}))
			if err == nil && resp.Msg.GetReport().GetName() != name {
				err = fmt.Errorf("GetReport %s answered %s", name, resp.Msg.GetReport().GetName())
			}
			record(t, err)
		}
		run.getTime = time.Since(t1)
		all2, batch2, err := h.modeCounts(ctx, emu)
		if err != nil {
			countErr = err
			return b
		}
		run.modeList, run.modeGets, run.modeBatch = all1-all0, all2-all1, batch2-batch0
		b.elapsed = run.listTime + run.getTime
		return b
	})
	if err == nil {
		err = countErr
	}
	if err != nil {
		return nil, err
	}
	run.b = b
	return run, nil
}

// listPerSpace lists every space of workspace ws, members' personal spaces
// too, then every report of each, and returns the reports' names and the
// number of spaces. A failed call is recorded and ends the listing.
func (h *harness) listPerSpace(ctx context.Context, wsc modeplatformv1connect.WorkspaceServiceClient, rs modeplatformv1connect.ReportServiceClient,
	ws string, record func(time.Time, error)) (reports []string, spaces int) {
	var names []string
	token := ""
	for {
		t0 := time.Now()
		resp, err := wsc.ListSpaces(ctx, connect.NewRequest(&modeplatformv1.ListSpacesRequest{
			Parent: "workspaces/" + ws, PageSize: inventoryPageSize, PageToken: token, IncludePersonal: true,
		}))
		record(t0, err)
		if err != nil {
			return nil, 0
		}
		for _, sp := range resp.Msg.GetSpaces() {
			names = append(names, sp.GetName())
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	for _, sp := range names {
		if ctx.Err() != nil {
			break
		}
		reports = append(reports, listPages(ctx, rs, sp, modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL, record)...)
	}
	return reports, len(names)
}

// listPages pages through ListReports of parent and returns the reports'
// names; a failed call is recorded and ends the list.
func listPages(ctx context.Context, rs modeplatformv1connect.ReportServiceClient, parent string, archived modeplatformv1.ListReportsRequest_ArchivedFilter, record func(time.Time, error)) []string {
	var names []string
	token := ""
	for {
		t0 := time.Now()
		resp, err := rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{
			Parent: parent, PageSize: inventoryPageSize, PageToken: token, ArchivedFilter: archived,
		}))
		record(t0, err)
		if err != nil {
			return names
		}
		for _, r := range resp.Msg.GetReports() {
			names = append(names, r.GetName())
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			return names
		}
	}
}
