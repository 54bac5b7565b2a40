// The modeplatform console: pick a space, open a report, set its parameters, run it, watch the run
// live (WatchReportRun) and see its result (StreamQueryResults) as a table and a chart, over the
// Connect protocol or gRPC-Web. A space also lists its datasets, each with its own page
// (dataset.ts), and the header leads to the workspace's inventory (inventory.ts) and, for the
// workspace's administrators (access.ts: TestPermissions), to its members, groups and space access
// (members.ts) and its audit log, followed live (audit.ts). Each page has its URL (routes.ts):
// #/workspaces/{w}/reports/{r}, …/datasets/{d}, …/inventory, …/members, …/audit.
import { Cron_DayOfWeek, Cron_Frequency, type Cron, type Schedule } from "@gen/modeplatform/v1/schedule_pb.js";
import type { Subscription } from "@gen/modeplatform/v1/subscription_pb.js";
import {
  ExportReportRunRequest_Format,
  QueryRun_State,
  ReportRun_State,
  type Column,
  type QueryRun,
  type Report,
  type ReportRun,
  type Row,
} from "@gen/modeplatform/v1/report_pb.js";
import type { Dataset } from "@gen/modeplatform/v1/dataset_pb.js";
import type { Space } from "@gen/modeplatform/v1/workspace_pb.js";
import { createApi, isUnimplemented, newRequestId, parseTransport, transportLabels, type TransportKind } from "./api.js";
import { holdsAdmin } from "./access.js";
import { setApiPageVisible, showApiReference } from "./apiref.js";
import { api, clearError, failureNote, formatTime, lastSegment, listAll, plural, setApi, setPageTitle, showError, spaceNames, Task } from "./app.js";
import { onDatasetSpace, resetDataset, setDatasetPageVisible, showDataset } from "./dataset.js";
import { byId, h } from "./dom.js";
import { resetInventory, setInventoryVisible, showInventory } from "./inventory.js";
import { resetAudit, setAuditPageVisible, showAudit } from "./audit.js";
import { resetMembers, setMembersPageVisible, showMembers } from "./members.js";
import { chartBars, chartColumns, chartTop, renderBarChart, renderTable } from "./results.js";
import { auditHref, datasetHref, inventoryHref, membersHref, parseRoute, routeHash, routeWorkspace, type Route } from "./routes.js";
import "./style.css";

/** The most rows the page takes from a result; the stream is cut there. */
const maxRows = 1000;

/** Parameters of the demo workspace's parameterised reports (Mode's parameters are not in the API's contract). */
const demoParameters: Record<string, Record<string, string>> = {
  "Large Orders by Region": { region: "Northeast", min_total: "1000" },
  "Channel Deep Dive": { channel: "facebook", min_events: "5" },
};

const terminal = new Set([ReportRun_State.SUCCEEDED, ReportRun_State.FAILED, ReportRun_State.CANCELLED, ReportRun_State.COMPLETED]);

// ---- elements

const el = {
  skipLink: byId<HTMLAnchorElement>("skip-link"),
  main: byId("main"),
  inventoryLink: byId<HTMLAnchorElement>("inventory-link"),
  membersLink: byId<HTMLAnchorElement>("members-link"),
  auditLink: byId<HTMLAnchorElement>("audit-link"),
  apiLink: byId<HTMLAnchorElement>("api-link"),
  connection: byId<HTMLFormElement>("connection"),
  workspace: byId<HTMLInputElement>("workspace"),
  transport: byId<HTMLSelectElement>("transport"),
  bearer: byId<HTMLInputElement>("bearer"),
  activeTransport: byId("active-transport"),
  spaces: byId<HTMLUListElement>("spaces"),
  spacesStatus: byId("spaces-status"),
  reports: byId<HTMLUListElement>("reports"),
  reportsStatus: byId("reports-status"),
  datasets: byId<HTMLUListElement>("datasets"),
  datasetsStatus: byId("datasets-status"),
  report: byId("report"),
  reportSections: [byId("report"), byId("run"), byId("results")],
  reportHeading: byId("report-heading"),
  reportStatus: byId("report-status"),
  reportDetails: byId("report-details"),
  schedulesPanel: byId("schedules-panel"),
  schedulesStatus: byId("schedules-status"),
  schedules: byId<HTMLUListElement>("schedules"),
  runForm: byId<HTMLFormElement>("run-form"),
  params: byId<HTMLTableSectionElement>("params"),
  paramsSource: byId("params-source"),
  addParam: byId<HTMLButtonElement>("add-param"),
  runButton: byId<HTMLButtonElement>("run-button"),
  runStatus: byId("run-status"),
  runStates: byId<HTMLOListElement>("run-states"),
  runDownloads: byId("run-downloads"),
  downloadPdf: byId<HTMLButtonElement>("download-pdf"),
  resultsStatus: byId("results-status"),
  queryRuns: byId("query-runs"),
  chart: byId("chart"),
  chartCaption: byId("chart-caption"),
  chartLabel: byId<HTMLSelectElement>("chart-label"),
  chartValue: byId<HTMLSelectElement>("chart-value"),
  chartBody: byId("chart-body"),
  table: byId("table"),
};

// ---- state

const tasks = { spaces: new Task(), reports: new Task(), report: new Task(), run: new Task(), results: new Task(), admin: new Task() };

setApi(createApi(initialTransport(), window.location.origin, () => el.bearer.value));
let openReport: Report | undefined;
/** The space whose reports and datasets the sidebar lists. */
let selectedSpace = "";
/** The spaces the sidebar lists, once ListSpaces answered (for selecting an open page's space). */
let spacesLoaded: Promise<Space[]> = Promise.resolve([]);
let result: { columns: Column[]; rows: Row[]; queryRun: QueryRun } | undefined;

function initialTransport(): TransportKind {
  return parseTransport(new URLSearchParams(window.location.search).get("transport")) ?? "connect";
}

// ---- formatting

function runStateName(state: ReportRun_State): string {
  return ReportRun_State[state] ?? `STATE_${state}`;
}

// ---- transport

function setTransport(kind: TransportKind, reload: boolean): void {
  setApi(createApi(kind, window.location.origin, () => el.bearer.value));
  el.transport.value = kind;
  el.activeTransport.textContent = transportLabels[kind];
  document.body.dataset.transport = kind;
  const url = new URL(window.location.href);
  url.searchParams.set("transport", kind);
  window.history.replaceState(null, "", url);
  if (reload) {
    // The sidebar and the page shown, read again over the new transport.
    void loadSpaces();
    showRoute(currentRoute(), true);
  }
}

// ---- spaces, reports and datasets

function workspaceName(): string {
  return `workspaces/${el.workspace.value.trim()}`;
}

function resetBelowSpaces(): void {
  tasks.reports.cancel();
  selectedSpace = "";
  el.reports.replaceChildren();
  el.reportsStatus.textContent = "Pick a space.";
  el.datasets.replaceChildren();
  el.datasetsStatus.textContent = "Pick a space.";
}

function loadSpaces(): Promise<void> {
  const signal = tasks.spaces.start();
  clearError();
  resetBelowSpaces();
  el.inventoryLink.href = inventoryHref(workspaceName());
  void refreshAdminLinks();
  el.spaces.replaceChildren();
  el.spacesStatus.textContent = "Loading spaces…";
  const loaded = (async (): Promise<Space[]> => {
    try {
      const spaces: Space[] = [];
      let pageToken = "";
      do {
        const res = await api.workspaces.listSpaces({ parent: workspaceName(), pageSize: 100, pageToken }, { signal });
        spaces.push(...res.spaces);
        pageToken = res.nextPageToken;
      } while (pageToken !== "" && spaces.length < 1000);
      for (const sp of spaces) spaceNames.set(sp.name, sp.displayName || lastSegment(sp.name));
      el.spacesStatus.textContent = spaces.length === 0 ? "This workspace has no spaces you can see." : `${plural(spaces.length, "space")} in ${el.workspace.value.trim()}`;
      el.spaces.replaceChildren(
        ...spaces.map((sp) =>
          h(
            "li",
            {},
            h(
              "button",
              { type: "button", class: "pick", "data-name": sp.name, "aria-pressed": "false", onclick: () => void selectSpace(sp) },
              h("span", { class: "pick-title" }, sp.displayName || lastSegment(sp.name)),
              sp.description ? h("span", { class: "pick-desc" }, sp.description) : null,
            ),
          ),
        ),
      );
      return spaces;
    } catch (err) {
      if (!signal.aborted) el.spacesStatus.textContent = "Could not load the spaces.";
      showError("ListSpaces", err, signal);
      return [];
    }
  })();
  spacesLoaded = loaded;
  return loaded.then(() => {});
}

/**
 * Shows the header's links to the members and audit pages only to a caller holding the admin scope
 * on the workspace (TestPermissions); hidden while the server cannot say.
 */
async function refreshAdminLinks(): Promise<void> {
  const signal = tasks.admin.start();
  const ws = workspaceName();
  el.membersLink.href = membersHref(ws);
  el.auditLink.href = auditHref(ws);
  let admin = false;
  try {
    admin = await holdsAdmin(ws, signal);
  } catch {
    // not known: the links stay hidden (a page opened by URL says why)
  }
  if (signal.aborted) return;
  el.membersLink.hidden = !admin;
  el.auditLink.hidden = !admin;
  document.body.dataset.admin = String(admin);
}

function markPressed(list: HTMLElement, name: string): void {
  for (const b of list.querySelectorAll<HTMLButtonElement>("button.pick")) {
    b.setAttribute("aria-pressed", String(b.dataset.name === name));
  }
}

/** Marks the sidebar's entry of the page shown (a report's button, a dataset's link). */
function markCurrent(): void {
  const route = currentRoute();
  markPressed(el.reports, route.page === "report" ? route.name : "");
  for (const a of el.datasets.querySelectorAll<HTMLAnchorElement>("a.pick")) {
    if (route.page === "dataset" && a.dataset.name === route.name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** Lists a space's reports and datasets in the sidebar; the page shown stays. */
async function selectSpace(space: Space): Promise<void> {
  const signal = tasks.reports.start();
  clearError();
  selectedSpace = space.name;
  markPressed(el.spaces, space.name);
  el.reports.replaceChildren();
  el.datasets.replaceChildren();
  el.reportsStatus.textContent = `Loading the reports of ${space.displayName}…`;
  el.datasetsStatus.textContent = `Loading the datasets of ${space.displayName}…`;
  await Promise.all([listSpaceReports(space, signal), listSpaceDatasets(space, signal)]);
}

async function listSpaceReports(space: Space, signal: AbortSignal): Promise<void> {
  try {
    const { items: reports } = await listAll(async (pageToken) => {
      const res = await api.reports.listReports({ parent: space.name, pageSize: 100, pageToken }, { signal });
      return { items: res.reports, next: res.nextPageToken };
    }, 1000);
    el.reportsStatus.textContent = reports.length === 0 ? `${space.displayName} has no reports.` : `${plural(reports.length, "report")} in ${space.displayName}`;
    el.reports.replaceChildren(
      ...reports.map((r) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "pick", "data-name": r.name, "aria-pressed": "false", onclick: () => navigate({ page: "report", name: r.name }) },
            h("span", { class: "pick-title" }, r.displayName || lastSegment(r.name)),
            r.description ? h("span", { class: "pick-desc" }, r.description) : null,
          ),
        ),
      ),
    );
    markCurrent();
  } catch (err) {
    if (!signal.aborted) el.reportsStatus.textContent = "Could not load the reports.";
    showError("ListReports", err, signal);
  }
}

/** The space's datasets, as links to their pages (ListDatasets with the space as parent). */
async function listSpaceDatasets(space: Space, signal: AbortSignal): Promise<void> {
  try {
    const { items: datasets } = await listAll<Dataset>(async (pageToken) => {
      const res = await api.datasets.listDatasets({ parent: space.name, pageSize: 100, pageToken }, { signal });
      return { items: res.datasets, next: res.nextPageToken };
    }, 1000);
    el.datasetsStatus.textContent = datasets.length === 0 ? `${space.displayName} has no datasets.` : `${plural(datasets.length, "dataset")} in ${space.displayName}`;
    el.datasets.replaceChildren(
      ...datasets.map((d) =>
        h(
          "li",
          {},
          h(
            "a",
            { class: "pick", href: datasetHref(d.name), "data-name": d.name },
            h("span", { class: "pick-title" }, d.displayName || lastSegment(d.name)),
            d.description ? h("span", { class: "pick-desc" }, d.description) : null,
          ),
        ),
      ),
    );
    markCurrent();
  } catch (err) {
    if (signal.aborted) return;
    // A server without datasets says so here, not in the page's alert.
    el.datasetsStatus.replaceChildren(failureNote("ListDatasets", err, signal) ?? "Could not load the datasets.");
    if (!isUnimplemented(err)) showError("ListDatasets", err, signal);
  }
}

/** Selects, in the sidebar, the space of the page shown when another (or none) is: a page opened by URL or by a link. */
async function revealSpace(space: string): Promise<void> {
  if (space === "" || space === selectedSpace) return;
  const spaces = await spacesLoaded;
  const sp = spaces.find((s) => s.name === space);
  if (sp !== undefined && space !== selectedSpace) await selectSpace(sp);
}

// ---- pages

let shownKey = "";

function currentRoute(): Route {
  return parseRoute(window.location.hash);
}

/** Goes to a page: a new history entry, and the page shown (read again if it already is). */
function navigate(route: Route): void {
  const hash = routeHash(route);
  if (window.location.hash !== hash) window.history.pushState(null, "", hash);
  showRoute(route, true);
}

/** Shows the page a route names; force reads it again when it is already shown. */
function showRoute(route: Route, force: boolean): void {
  const key = routeHash(route);
  if (!force && key === shownKey) return;
  shownKey = key;
  const ws = routeWorkspace(route);
  if (ws !== undefined && ws !== workspaceName()) {
    el.workspace.value = lastSegment(ws);
    void loadSpaces();
  }
  if (route.page !== "report") resetReport();
  if (route.page !== "dataset") resetDataset();
  if (route.page !== "inventory") resetInventory();
  if (route.page !== "members") resetMembers();
  if (route.page !== "audit") resetAudit();
  for (const s of el.reportSections) s.hidden = route.page !== "report" && route.page !== "home";
  setDatasetPageVisible(route.page === "dataset");
  setInventoryVisible(route.page === "inventory");
  setMembersPageVisible(route.page === "members");
  setAuditPageVisible(route.page === "audit");
  setApiPageVisible(route.page === "api");
  for (const [link, page] of [
    [el.inventoryLink, "inventory"],
    [el.membersLink, "members"],
    [el.auditLink, "audit"],
    [el.apiLink, "api"],
  ] as const) {
    if (route.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  markCurrent();
  setPageTitle();
  switch (route.page) {
    case "report":
      void showReport(route.name);
      break;
    case "dataset":
      void showDataset(route.name);
      break;
    case "inventory":
      void showInventory(route.workspace);
      break;
    case "members":
      void showMembers(route.workspace);
      break;
    case "audit":
      void showAudit(route.workspace);
      break;
    case "api":
      setPageTitle("API reference");
      void showApiReference();
      break;
    default:
      break;
  }
}

onDatasetSpace((space) => void revealSpace(space));

// ---- one report

function resetReport(): void {
  tasks.report.cancel();
  openReport = undefined;
  el.reportHeading.textContent = "Report";
  el.reportStatus.textContent = "Open a report to see it, set its parameters and run it.";
  el.reportStatus.hidden = false;
  el.reportDetails.replaceChildren();
  el.schedulesPanel.hidden = true;
  el.schedules.replaceChildren();
  el.runForm.hidden = true;
  el.params.replaceChildren();
  resetRun();
}

async function showReport(name: string): Promise<void> {
  resetReport();
  const signal = tasks.report.start();
  clearError();
  el.reportStatus.textContent = "Loading the report…";
  try {
    const { report } = await api.reports.getReport({ name }, { signal });
    if (report === undefined) throw new Error("GetReport answered no report");
    openReport = report;
    void revealSpace(report.space);
    el.reportHeading.textContent = report.displayName || lastSegment(report.name);
    setPageTitle(el.reportHeading.textContent);
    el.reportStatus.hidden = true;
    renderReportDetails(report);
    void loadSchedules(report, signal);
    el.runButton.disabled = report.manualRunDisabled;
    el.runButton.title = report.manualRunDisabled ? "Mode refuses manual runs of this report" : "";
    el.runForm.hidden = false;
    await prefillParameters(report, signal);
  } catch (err) {
    if (!signal.aborted) el.reportStatus.textContent = "Could not load the report.";
    showError("GetReport", err, signal);
  }
}

/** The report's description and facts (counts, times, flags). */
function renderReportDetails(report: Report): void {
  const facts: [string, Node | string][] = [
    ["Name", h("code", {}, report.name)],
    ["Queries", String(report.queryCount)],
    ["Charts", String(report.chartCount)],
    ["Runs", String(report.runCount)],
    ["Schedules", String(report.scheduleCount)],
    ["Last run", formatTime(report.lastRunTime)],
    ["Last successful run", formatTime(report.lastSuccessfulRunTime)],
    ["Created", formatTime(report.createTime)],
    ["Updated", formatTime(report.updateTime)],
    ["Flags", [report.archived && "archived", report.public && "public", report.runPrivately && "runs private", report.manualRunDisabled && "manual runs disabled"].filter(Boolean).join(", ") || "—"],
  ];
  el.reportDetails.replaceChildren(
    h("p", { class: "description" }, report.description || "No description."),
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    ...(report.webUri ? [h("p", {}, h("a", { href: report.webUri, target: "_blank", rel: "noopener noreferrer" }, "Open in Mode"))] : []),
  );
}

/** Lists the report's schedules: when Mode runs it on its own, and when next. */
async function loadSchedules(report: Report, signal: AbortSignal): Promise<void> {
  el.schedulesPanel.hidden = false;
  el.schedulesStatus.textContent = "Loading the schedules…";
  try {
    const { schedules } = await api.reports.listSchedules({ parent: report.name }, { signal });
    const { subscriptions } = schedules.length > 0 ? await api.reports.listSubscriptions({ parent: report.name }, { signal }) : { subscriptions: [] };
    if (signal.aborted) return;
    el.schedules.replaceChildren(...schedules.map((s) => scheduleItem(s, subscriptions.filter((sub) => sub.schedule === s.name))));
    el.schedulesStatus.textContent = schedules.length === 0 ? "Not scheduled: it runs when someone runs it." : plural(schedules.length, "schedule");
  } catch (err) {
    if (!signal.aborted) el.schedulesStatus.textContent = "Could not load the schedules.";
    showError("ListSchedules", err, signal);
  }
}

function scheduleItem(s: Schedule, subscriptions: Subscription[]): HTMLElement {
  return h(
    "li",
    { "data-name": s.name },
    h("strong", {}, s.displayName || lastSegment(s.name)),
    ` — ${describeCron(s.cron)}; next run ${formatTime(s.nextScheduledRunTime)}; ${plural(s.subscriberCount, "subscriber")}`,
    ...(subscriptions.length > 0 ? [h("ul", { class: "subscriptions" }, ...subscriptions.map(subscriptionItem))] : []),
  );
}

/** What a subscription delivers, and to whom: "CSV attachments, report link → ana_analyst, #sales". */
function subscriptionItem(sub: Subscription): HTMLElement {
  const what = [
    sub.csvAttachments && "CSV attachments",
    sub.pdfAttachments && "PDF attachment",
    sub.dataPreviews && "data preview",
    sub.dataTables && "data tables",
    sub.reportLinks && "report link",
  ].filter(Boolean);
  const to = [...sub.emailSubscribers, ...sub.slackChannels];
  return h("li", { class: "subscription", "data-name": sub.name }, `${what.join(", ") || "nothing"} → ${to.join(", ") || "no one yet"}`);
}

const weekdays: Record<Cron_DayOfWeek, string> = {
  [Cron_DayOfWeek.UNSPECIFIED]: "?",
  [Cron_DayOfWeek.SUNDAY]: "Sunday",
  [Cron_DayOfWeek.MONDAY]: "Monday",
  [Cron_DayOfWeek.TUESDAY]: "Tuesday",
  [Cron_DayOfWeek.WEDNESDAY]: "Wednesday",
  [Cron_DayOfWeek.THURSDAY]: "Thursday",
  [Cron_DayOfWeek.FRIDAY]: "Friday",
  [Cron_DayOfWeek.SATURDAY]: "Saturday",
};

/** A cron in words: "daily at 09:30 (Pacific Time (US & Canada))". */
function describeCron(c: Cron | undefined): string {
  if (c === undefined) return "no cron";
  const two = (n: number) => String(n).padStart(2, "0");
  const at = `at ${two(c.hour)}:${two(c.minute)} (${c.timeZone || "UTC"})`;
  switch (c.frequency) {
    case Cron_Frequency.EVERY_15_MINUTES:
      return "every 15 minutes";
    case Cron_Frequency.EVERY_30_MINUTES:
      return "every 30 minutes";
    case Cron_Frequency.HOURLY:
      return `hourly at :${two(c.minute)}`;
    case Cron_Frequency.DAILY:
      return `daily ${at}`;
    case Cron_Frequency.WEEKLY:
      return `weekly on ${weekdays[c.dayOfWeek] ?? "?"} ${at}`;
    case Cron_Frequency.MONTHLY:
      return `monthly on day ${c.dayOfMonth} ${at}`;
    default:
      return "on a cron this console does not know";
  }
}

/**
 * Fills the parameter rows with the report's form (GetReportParameters: its defaults), the values of
 * its last run over them; a report that never ran has no form yet: the demo's known parameters then.
 */
async function prefillParameters(report: Report, signal: AbortSignal): Promise<void> {
  const params: Record<string, string> = {};
  let source = "";
  // Mode gives a report's form for a run: a report that never ran has none to read yet.
  let formRead = false;
  if (report.lastRunTime !== undefined) {
    try {
      const { parameters } = await api.reports.getReportParameters({ name: report.name }, { signal });
      for (const p of parameters) params[p.name] = p.defaultValue;
      source = parameters.length > 0 ? `The report's parameters: ${parameters.map((p) => `${p.name} (${p.type || "text"})`).join(", ")}.` : "The report takes no parameters.";
      formRead = true;
    } catch (err) {
      showError("GetReportParameters", err, signal);
    }
  }
  if (!formRead) {
    Object.assign(params, demoParameters[report.displayName] ?? {});
    if (Object.keys(params).length > 0) source = "Prefilled with the demo report's parameters (the report has not run yet).";
  }
  try {
    const { runs } = await api.reports.listReportRuns({ parent: report.name, pageSize: 1 }, { signal });
    const last = runs[0];
    if (last !== undefined && Object.keys(last.parameters).length > 0) {
      Object.assign(params, last.parameters);
      source += ` Prefilled from the last run (${formatTime(last.createTime)}).`;
    }
  } catch (err) {
    showError("ListReportRuns", err, signal);
  }
  if (signal.aborted) return;
  el.params.replaceChildren();
  for (const [k, v] of Object.entries(params).sort(([a], [b]) => a.localeCompare(b))) {
    addParamRow(k, v);
  }
  el.paramsSource.textContent = source.trim() || "This report's parameters are not known here: add the ones it takes, or run it with its defaults.";
}

/** Downloads a succeeded run as a PDF (ExportReportRun, a stream of bytes) and hands it to the browser. */
async function downloadPdf(runName: string): Promise<void> {
  clearError();
  el.downloadPdf.disabled = true;
  try {
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let type = "application/pdf";
    let fileName = `${lastSegment(runName)}.pdf`;
    for await (const res of api.reports.exportReportRun({ name: runName, format: ExportReportRunRequest_Format.PDF })) {
      if (res.contentType !== "") type = res.contentType;
      if (res.fileName !== "") fileName = res.fileName;
      if (res.data.length > 0) chunks.push(new Uint8Array(res.data));
    }
    const url = URL.createObjectURL(new Blob(chunks, { type }));
    const a = h("a", { href: url, download: fileName, hidden: "" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    showError("ExportReportRun", err);
  } finally {
    el.downloadPdf.disabled = false;
  }
}

let paramRowSeq = 0;

function addParamRow(name = "", value = ""): HTMLInputElement {
  const n = ++paramRowSeq;
  const valueLabel = (key: string) => (key.trim() === "" ? `Value of parameter ${n}` : `Value of ${key.trim()}`);
  const valueInput = h("input", { type: "text", class: "param-value", value, "aria-label": valueLabel(name), autocomplete: "off", spellcheck: "false" });
  const nameInput = h("input", {
    type: "text",
    class: "param-name",
    value: name,
    "aria-label": `Name of parameter ${n}`,
    autocomplete: "off",
    spellcheck: "false",
    pattern: "[A-Za-z_][A-Za-z0-9_]{0,63}",
    title: "An identifier: letters, digits and _",
  });
  nameInput.addEventListener("input", () => valueInput.setAttribute("aria-label", valueLabel(nameInput.value)));
  const row = h(
    "tr",
    {},
    h("td", {}, nameInput),
    h("td", {}, valueInput),
    h("td", {}, h("button", { type: "button", class: "remove", "aria-label": `Remove parameter ${name || n}`, onclick: () => row.remove() }, "Remove")),
  );
  el.params.append(row);
  return nameInput;
}

function readParameters(): Record<string, string> {
  const params: Record<string, string> = {};
  for (const row of el.params.rows) {
    const name = row.querySelector<HTMLInputElement>("input.param-name")?.value.trim() ?? "";
    const value = row.querySelector<HTMLInputElement>("input.param-value")?.value ?? "";
    if (name !== "") params[name] = value;
  }
  return params;
}

// ---- running

function resetRun(): void {
  tasks.run.cancel();
  el.runStatus.textContent = "No run yet.";
  el.runStates.replaceChildren();
  el.runDownloads.hidden = true;
  resetResults();
}

async function runReport(): Promise<void> {
  if (openReport === undefined) return;
  const report = openReport;
  resetRun();
  const signal = tasks.run.start();
  clearError();
  const transport = transportLabels[api.kind];
  el.runButton.disabled = true;
  el.runStatus.textContent = `Starting ${report.displayName} over ${transport}…`;
  try {
    const { run } = await api.reports.runReport({ name: report.name, parameters: readParameters(), requestId: newRequestId() }, { signal });
    if (run === undefined) throw new Error("RunReport answered no run");
    el.runStatus.replaceChildren("Run ", h("code", { id: "run-name" }, lastSegment(run.name)), ` over ${transport}: watching its state live (WatchReportRun).`);
    const last = await watchRun(run, signal);
    void refreshReportDetails(report.name, signal);
    if (last?.state === ReportRun_State.SUCCEEDED) {
      el.downloadPdf.onclick = () => void downloadPdf(last.name);
      el.runDownloads.hidden = false;
    }
    // A failed run's query runs say why; a cancelled one has nothing to show.
    if (last !== undefined && last.state !== ReportRun_State.CANCELLED) {
      await showResults(last);
    }
  } catch (err) {
    if (!signal.aborted) el.runStatus.textContent = "The run could not be started or followed.";
    showError("RunReport / WatchReportRun", err, signal);
  } finally {
    if (!signal.aborted) el.runButton.disabled = report.manualRunDisabled;
  }
}

/** Reads the report again after a run (its run count and times changed); quietly keeps the old facts on failure. */
async function refreshReportDetails(name: string, signal: AbortSignal): Promise<void> {
  try {
    const { report } = await api.reports.getReport({ name }, { signal });
    if (report !== undefined && !signal.aborted && openReport?.name === name) {
      openReport = report;
      renderReportDetails(report);
      void loadSchedules(report, signal);
    }
  } catch {
    // the facts shown are only older
  }
}

/** Follows a run until it ends, showing each state as it arrives; answers the last observation. */
async function watchRun(run: ReportRun, signal: AbortSignal): Promise<ReportRun | undefined> {
  let last: ReportRun | undefined;
  let lastState: ReportRun_State | undefined;
  for await (const res of api.reports.watchReportRun({ name: run.name }, { signal })) {
    if (res.run === undefined) continue;
    last = res.run;
    if (last.state !== lastState) {
      lastState = last.state;
      const name = runStateName(last.state);
      el.runStates.append(
        h("li", { class: `state state-${name.toLowerCase()}`, "data-state": name }, h("span", { class: "state-name" }, name), " ", h("time", {}, new Date().toLocaleTimeString())),
      );
    }
    if (terminal.has(last.state)) break;
  }
  return last;
}

// ---- results

function resetResults(): void {
  tasks.results.cancel();
  result = undefined;
  el.resultsStatus.textContent = "Results appear here when a run succeeds.";
  el.queryRuns.replaceChildren();
  el.chart.hidden = true;
  el.chartBody.replaceChildren();
  el.table.replaceChildren();
}

async function showResults(run: ReportRun): Promise<void> {
  const signal = tasks.results.start();
  el.resultsStatus.textContent = "Loading the run's queries…";
  try {
    const queryRuns: QueryRun[] = [];
    let pageToken = "";
    do {
      const res = await api.reports.listQueryRuns({ parent: run.name, pageSize: 100, pageToken }, { signal });
      queryRuns.push(...res.queryRuns);
      pageToken = res.nextPageToken;
    } while (pageToken !== "" && queryRuns.length < 1000);
    if (queryRuns.length === 0) {
      el.resultsStatus.textContent = "The run has no query runs.";
      return;
    }
    const failed = queryRuns.filter((q) => q.state === QueryRun_State.FAILED);
    if (failed.length > 0) {
      el.queryRuns.append(
        h(
          "ul",
          { class: "query-errors" },
          ...failed.map((q) => h("li", {}, h("strong", {}, q.queryDisplayName || lastSegment(q.query)), ": ", h("code", {}, q.error?.code || "failed"), " ", q.error?.message ?? "")),
        ),
      );
    }
    const ok = queryRuns.filter((q) => q.state === QueryRun_State.SUCCEEDED || q.state === QueryRun_State.COMPLETED);
    if (ok.length === 0) {
      el.resultsStatus.textContent = "No query of the run succeeded.";
      return;
    }
    if (ok.length > 1) {
      const select = h(
        "select",
        { id: "query-run" },
        ...ok.map((q) => h("option", { value: q.name }, q.queryDisplayName || lastSegment(q.query))),
      );
      select.addEventListener("change", () => {
        const q = ok.find((x) => x.name === select.value);
        if (q !== undefined) void loadResult(q);
      });
      el.queryRuns.append(h("p", { class: "query-run-picker" }, h("label", { for: "query-run" }, "Query"), " ", select));
    }
    await loadResult(ok[0], signal);
  } catch (err) {
    if (!signal.aborted) el.resultsStatus.textContent = "Could not load the results.";
    showError("ListQueryRuns", err, signal);
  }
}

/** Streams a query run's rows (StreamQueryResults), up to maxRows, and shows them. */
async function loadResult(queryRun: QueryRun, parentSignal?: AbortSignal): Promise<void> {
  const signal = parentSignal ?? tasks.results.start();
  const title = queryRun.queryDisplayName || lastSegment(queryRun.query);
  el.resultsStatus.textContent = `Streaming the rows of ${title}…`;
  el.chart.hidden = true;
  el.table.replaceChildren();
  const columns: Column[] = [];
  const rows: Row[] = [];
  let truncated = false;
  try {
    for await (const res of api.reports.streamQueryResults({ name: queryRun.name }, { signal })) {
      if (res.columns.length > 0) columns.push(...res.columns);
      rows.push(...res.rows);
      el.resultsStatus.textContent = `Streaming the rows of ${title}… ${rows.length}`;
      if (rows.length > maxRows) {
        truncated = true;
        rows.length = maxRows;
        break; // ends the stream
      }
    }
  } catch (err) {
    if (!signal.aborted) el.resultsStatus.textContent = `Could not stream the rows of ${title}.`;
    showError("StreamQueryResults", err, signal);
    return;
  }
  if (signal.aborted) return;
  result = { columns, rows, queryRun };
  const count = truncated ? `${rows.length}+ rows` : plural(rows.length, "row");
  el.resultsStatus.textContent = `${title}: ${count}, ${plural(columns.length, "column")}${truncated ? ` (the first ${maxRows} shown)` : ""}.`;
  el.table.replaceChildren(renderTable(columns, rows, `${title} (${count})`));
  setupChart();
}

function setupChart(): void {
  if (result === undefined) return;
  const { labels, values } = chartColumns(result.columns);
  if (labels.length === 0 || values.length === 0 || result.rows.length === 0) {
    el.chart.hidden = true;
    return;
  }
  const option = (i: number) => h("option", { value: String(i) }, result?.columns[i].name ?? "");
  el.chartLabel.replaceChildren(...labels.map(option));
  el.chartValue.replaceChildren(...values.map(option));
  el.chart.hidden = false;
  drawChart();
}

function drawChart(): void {
  if (result === undefined) return;
  const li = Number(el.chartLabel.value);
  const vi = Number(el.chartValue.value);
  const { bars, summed } = chartBars(result.rows, li, vi);
  const label = result.columns[li].name;
  const value = result.columns[vi].name;
  const caption = `${summed ? "sum of " : ""}${value} by ${label}${bars.length === chartTop ? `, top ${chartTop}` : ""}`;
  el.chartCaption.textContent = caption;
  el.chartBody.replaceChildren(renderBarChart(bars, `Bar chart: ${caption}`));
}

// ---- wiring

el.connection.addEventListener("submit", (e) => {
  e.preventDefault();
  void loadSpaces();
  // A page of another workspace gives way to the start page.
  const ws = routeWorkspace(currentRoute());
  if (ws !== undefined && ws !== workspaceName()) navigate({ page: "home" });
});
// Another key may hold other scopes: the admin links and an admin page shown are checked again.
el.bearer.addEventListener("change", () => {
  void refreshAdminLinks();
  const page = currentRoute().page;
  if (page === "members" || page === "audit") showRoute(currentRoute(), true);
});
el.transport.addEventListener("change", () => {
  setTransport(parseTransport(el.transport.value) ?? "connect", true);
});
el.runForm.addEventListener("submit", (e) => {
  e.preventDefault();
  void runReport();
});
el.addParam.addEventListener("click", () => addParamRow().focus());
el.chartLabel.addEventListener("change", drawChart);
el.chartValue.addEventListener("change", drawChart);

// Pages by URL: the back and forward buttons, a typed or edited hash.
window.addEventListener("popstate", () => showRoute(currentRoute(), false));
window.addEventListener("hashchange", () => showRoute(currentRoute(), false));
// In-page links (#/…) open their page at once, and read it again when it is the one shown; a
// click with a modifier (new tab, new window) is left to the browser.
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof Element ? e.target.closest<HTMLAnchorElement>('a[href^="#/"]') : null;
  if (a === null || a.target !== "") return;
  e.preventDefault();
  // A link in the page shown goes away with it: the focus moves to the new page.
  const inPage = el.main.contains(a);
  navigate(parseRoute(a.getAttribute("href") ?? ""));
  if (inPage) focusPage();
});

/** Moves the focus to the page shown: its first section. */
function focusPage(): void {
  const target = el.main.querySelector<HTMLElement>('section[tabindex="-1"]:not([hidden])') ?? el.main;
  target.focus();
}

// The skip link moves the focus to the page shown without touching the URL's hash (the page's route).
el.skipLink.addEventListener("click", (e) => {
  e.preventDefault();
  focusPage();
});

setTransport(initialTransport(), false);
const firstRoute = currentRoute();
const firstWorkspace = routeWorkspace(firstRoute);
if (firstWorkspace !== undefined) el.workspace.value = lastSegment(firstWorkspace);
void loadSpaces();
showRoute(firstRoute, true);
