// The inventory page: every report of a workspace (ListReports over the workspace, the basic view)
// with its statistics (ListReportStats, joined by ReportStats.report), how many queries and charts
// it has (the workspace-wide ListQueries and ListCharts, counted per report) and its space's name
// (ListSpaces, the basic view, which also names the spaces the sidebar's list leaves out). All five
// go through Mode's Metadata API, a page of up to 1000 a request; a filter box narrows the table.
import type { Chart } from "@gen/modeplatform/v1/chart_pb.js";
import type { Query, Report, ReportStats } from "@gen/modeplatform/v1/report_pb.js";
import { View } from "@gen/modeplatform/v1/view_pb.js";
import type { Space } from "@gen/modeplatform/v1/workspace_pb.js";
import { isUnimplemented } from "./api.js";
import { api, clearError, failureNote, formatTime, lastSegment, listAll, plural, setPageTitle, showError, spaceLabel, spaceNames, Task } from "./app.js";
import { byId, h } from "./dom.js";
import { reportHref } from "./routes.js";

/** The page size asked of each list: the Metadata API's largest, one Mode request a page. */
const pageSize = 1000;
/** The most items the page takes from one list. */
const maxItems = 100_000;

const el = {
  section: byId("inventory"),
  heading: byId("inventory-heading"),
  status: byId("inventory-status"),
  notes: byId("inventory-notes"),
  filter: byId<HTMLInputElement>("inventory-filter"),
  filterRow: byId("inventory-filter-row"),
  tableWrap: byId("inventory-table-wrap"),
  count: byId("inventory-count"),
  rows: byId<HTMLTableSectionElement>("inventory-rows"),
};

const task = new Task();

/** The table's rows with the text the filter looks in. */
let rows: { tr: HTMLTableRowElement; text: string }[] = [];

export function setInventoryVisible(visible: boolean): void {
  el.section.hidden = !visible;
}

export function resetInventory(): void {
  task.cancel();
  rows = [];
  el.heading.textContent = "Inventory";
  el.status.textContent = "";
  el.notes.replaceChildren();
  el.count.textContent = "";
  el.rows.replaceChildren();
  el.filterRow.hidden = true;
  el.tableWrap.hidden = true;
}

/** The report a query or chart belongs to: `workspaces/{w}/reports/{r}`. */
function reportOf(name: string): string {
  return name.split("/").slice(0, 4).join("/");
}

function countBy<T extends { name: string }>(items: T[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const it of items) {
    const r = reportOf(it.name);
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

/** Lists the inventory of a workspace, `workspaces/{w}`. */
export async function showInventory(workspace: string): Promise<void> {
  resetInventory();
  const signal = task.start();
  clearError();
  el.heading.textContent = `Inventory of ${lastSegment(workspace)}`;
  setPageTitle(el.heading.textContent);
  el.status.textContent = "Loading every report of the workspace, its statistics, queries, charts and spaces…";
  const all = "reports/-";
  const [reports, stats, queries, charts, spaces] = await Promise.allSettled([
    listAll<Report>(async (pageToken) => {
      const res = await api.reports.listReports({ parent: workspace, view: View.BASIC, pageSize, pageToken }, { signal });
      return { items: res.reports, next: res.nextPageToken };
    }, maxItems),
    listAll<ReportStats>(async (pageToken) => {
      const res = await api.reports.listReportStats({ parent: `${workspace}/${all}`, pageSize, pageToken }, { signal });
      return { items: res.reportStats, next: res.nextPageToken };
    }, maxItems),
    listAll<Query>(async (pageToken) => {
      const res = await api.reports.listQueries({ parent: `${workspace}/${all}`, pageSize, pageToken }, { signal });
      return { items: res.queries, next: res.nextPageToken };
    }, maxItems),
    listAll<Chart>(async (pageToken) => {
      const res = await api.reports.listCharts({ parent: `${workspace}/${all}/queries/-`, pageSize, pageToken }, { signal });
      return { items: res.charts, next: res.nextPageToken };
    }, maxItems),
    listAll<Space>(async (pageToken) => {
      const res = await api.workspaces.listSpaces({ parent: workspace, view: View.BASIC, pageSize, pageToken }, { signal });
      return { items: res.spaces, next: res.nextPageToken };
    }, maxItems),
  ]);
  if (signal.aborted) return;

  // What could not be read is said in the page, list by list; the rest is shown.
  const notes: HTMLElement[] = [];
  const lists: [string, PromiseSettledResult<{ items: unknown[]; truncated: boolean }>, string][] = [
    ["ListReports", reports, "reports"],
    ["ListReportStats", stats, "statistics"],
    ["ListQueries", queries, "queries"],
    ["ListCharts", charts, "charts"],
    ["ListSpaces", spaces, "spaces"],
  ];
  let alerted = false;
  for (const [method, res, what] of lists) {
    if (res.status === "rejected") {
      const note = failureNote(method, res.reason, signal);
      if (note !== undefined) notes.push(note);
      // A method not served yet is said in the page only; any other failure also raises the alert.
      if (!alerted && !isUnimplemented(res.reason)) {
        showError(method, res.reason, signal);
        alerted = true;
      }
    } else if (res.value.truncated) {
      notes.push(h("p", { class: "note" }, `Only the first ${maxItems} ${what} are counted.`));
    }
  }
  el.notes.replaceChildren(...notes);

  if (spaces.status === "fulfilled") {
    for (const sp of spaces.value.items) spaceNames.set(sp.name, sp.displayName || lastSegment(sp.name));
  }
  if (reports.status === "rejected") {
    el.status.textContent = "The workspace's reports could not be listed (why, below).";
    return;
  }

  const statsBy = stats.status === "fulfilled" ? new Map(stats.value.items.map((s) => [s.report, s])) : undefined;
  const queryCounts = queries.status === "fulfilled" ? countBy(queries.value.items) : undefined;
  const chartCounts = charts.status === "fulfilled" ? countBy(charts.value.items) : undefined;
  const list = reports.value.items;
  rows = list.map((r) => inventoryRow(r, statsBy, queryCounts, chartCounts));
  el.rows.replaceChildren(...rows.map((r) => r.tr));
  el.filterRow.hidden = false;
  el.tableWrap.hidden = false;

  const inSpaces = new Set(list.map((r) => r.space)).size;
  const parts = [`${plural(list.length, "report")} in ${plural(inSpaces, "space")}`];
  if (queries.status === "fulfilled") parts.push(plural(queries.value.items.length, "query", "queries"));
  if (charts.status === "fulfilled") parts.push(plural(charts.value.items.length, "chart"));
  el.status.textContent = `${parts.join(", ")}.`;
  applyFilter();
}

/** A count, or — when its list could not be read. */
function countCell(counts: Map<string, number> | undefined, report: string): HTMLTableCellElement {
  return h("td", { class: "num" }, counts === undefined ? "—" : String(counts.get(report) ?? 0));
}

function inventoryRow(r: Report, statsBy: Map<string, ReportStats> | undefined, queryCounts: Map<string, number> | undefined, chartCounts: Map<string, number> | undefined): { tr: HTMLTableRowElement; text: string } {
  const title = r.displayName || lastSegment(r.name);
  const st = statsBy?.get(r.name);
  const space = spaceLabel(r.space);
  const stat = (v: bigint | number | undefined) => h("td", { class: "num" }, v === undefined ? "—" : String(v));
  const editors = st?.editors ?? [];
  const tr = h(
    "tr",
    { "data-name": r.name },
    h("th", { scope: "row" }, h("a", { href: reportHref(r.name) }, title), r.description ? h("span", { class: "row-desc" }, r.description) : null),
    h("td", { "data-space": r.space }, space),
    countCell(queryCounts, r.name),
    countCell(chartCounts, r.name),
    stat(st?.viewCount),
    stat(st?.activeScheduleCount),
    h("td", { class: "editors" }, st === undefined ? "—" : editors.join(", ") || "none"),
    h("td", {}, formatTime(r.lastRunTime)),
  );
  return { tr, text: [title, r.description, space, lastSegment(r.name), ...editors].join(" ").toLowerCase() };
}

/** Shows the rows holding every word of the filter (case aside). */
function applyFilter(): void {
  const words = el.filter.value.toLowerCase().split(/\s+/).filter((w) => w !== "");
  let shown = 0;
  for (const r of rows) {
    const match = words.every((w) => r.text.includes(w));
    r.tr.hidden = !match;
    if (match) shown++;
  }
  if (rows.length === 0) {
    el.count.textContent = "";
  } else if (words.length === 0) {
    el.count.textContent = `All ${plural(rows.length, "report")} shown.`;
  } else {
    el.count.textContent = shown === 0 ? "No report matches." : `${shown} of ${plural(rows.length, "report")} shown.`;
  }
}

el.filter.addEventListener("input", applyFilter);
