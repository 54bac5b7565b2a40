// The audit page: a workspace's audit log, for its administrators (access.ts asks TestPermissions
// first). It follows the log live (StreamAuditEvents) from the "Since" time on, newest at the top,
// a row per event; the filter (action, actor, entity type, since) starts the stream anew. A stream
// that drops is resumed after the last event received (its resume_token), after a pause that grows
// while it keeps dropping; rows are keyed by the event's name, so an event is never shown twice.
// "Pause" stops following (the server keeps the events: "Resume" goes on after the last one), and
// "Load earlier" reads the events before the oldest time shown once (ListAuditEvents, a time range).
import { Code, ConnectError } from "@connectrpc/connect";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AuditEvent, AuditFilterSchema } from "@gen/modeplatform/v1/workspace_pb.js";
import { adminGate } from "./access.js";
import { codeName, isUnimplemented } from "./api.js";
import { api, clearError, failureNote, lastSegment, listAll, plural, setPageTitle, showError, Task } from "./app.js";
import { byId, h } from "./dom.js";

/** The most rows the table keeps; the oldest go first. */
const maxRows = 2000;
/** The most events one "Load earlier" reads. */
const maxEarlier = 1000;
/** The first pause before resuming a dropped stream, and the longest. */
const firstRetryMs = 1000;
const maxRetryMs = 30_000;
/** How far back the page starts by default. */
const defaultLookbackMs = 60 * 60 * 1000;

const el = {
  section: byId("audit"),
  heading: byId("audit-heading"),
  gate: byId("audit-gate"),
  body: byId("audit-body"),
  filter: byId<HTMLFormElement>("audit-filter"),
  action: byId<HTMLInputElement>("audit-action"),
  actor: byId<HTMLInputElement>("audit-actor"),
  entityType: byId<HTMLInputElement>("audit-entity-type"),
  since: byId<HTMLInputElement>("audit-since"),
  pause: byId<HTMLButtonElement>("audit-pause"),
  status: byId("audit-status"),
  notes: byId("audit-notes"),
  wrap: byId("audit-table-wrap"),
  rows: byId<HTMLTableSectionElement>("audit-rows"),
  earlier: byId<HTMLFormElement>("audit-earlier"),
  earlierSpan: byId<HTMLSelectElement>("audit-earlier-span"),
  earlierButton: byId<HTMLButtonElement>("audit-earlier-button"),
  earlierStatus: byId("audit-earlier-status"),
};

const tasks = { page: new Task(), stream: new Task(), earlier: new Task() };

/** The workspace shown, `workspaces/{w}`; "" when the page is not (or the caller may not see it). */
let shownWorkspace = "";
/** The filter in force (the stream's and "Load earlier"'s), with the time the stream starts at. */
let filter: { action: string; actorUsername: string; entityType: string; since: Date } | undefined;
/** The resume_token of the last message received: where a resumed stream goes on. */
let resumeToken = "";
/** The names of the events shown (and of those dropped off the bottom): each is shown once. */
const seen = new Set<string>();
/** The oldest time the rows cover: "Load earlier" reads before it. */
let oldest: Date | undefined;
/** The time of the newest event received live (where a stream goes on when its token is refused). */
let newestLive: Date | undefined;
let paused = false;

export function setAuditPageVisible(visible: boolean): void {
  el.section.hidden = !visible;
}

export function resetAudit(): void {
  tasks.page.cancel();
  tasks.stream.cancel();
  tasks.earlier.cancel();
  shownWorkspace = "";
  filter = undefined;
  resumeToken = "";
  seen.clear();
  oldest = undefined;
  newestLive = undefined;
  paused = false;
  el.heading.textContent = "Audit log";
  el.gate.replaceChildren();
  el.body.hidden = true;
  el.status.textContent = "";
  el.notes.replaceChildren();
  el.rows.replaceChildren();
  el.wrap.hidden = true;
  el.earlierStatus.textContent = "";
  setPaused(false);
}

/** A datetime-local input's value for a time (the browser's time zone, to the minute). */
function localInputValue(d: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Opens the audit page of a workspace, `workspaces/{w}`. */
export async function showAudit(workspace: string): Promise<void> {
  resetAudit();
  const signal = tasks.page.start();
  clearError();
  el.heading.textContent = `Audit log of ${lastSegment(workspace)}`;
  setPageTitle(el.heading.textContent);
  el.gate.replaceChildren(h("p", { class: "hint" }, "Checking that you may read the audit log (TestPermissions)…"));
  if (!(await adminGate(workspace, "The audit log", el.gate, signal))) return;
  if (signal.aborted) return;
  shownWorkspace = workspace;
  el.gate.replaceChildren();
  el.body.hidden = false;
  el.since.value = localInputValue(new Date(Date.now() - defaultLookbackMs));
  applyFilter();
}

/** Reads the filter's inputs and follows the log anew: the rows, the seen events and the token are dropped. */
function applyFilter(): void {
  if (shownWorkspace === "") return;
  const since = new Date(el.since.value);
  if (Number.isNaN(since.getTime())) {
    el.status.textContent = "Give the time to follow the log from.";
    el.since.focus();
    return;
  }
  tasks.earlier.cancel();
  filter = { action: el.action.value.trim(), actorUsername: el.actor.value.trim(), entityType: el.entityType.value.trim(), since };
  resumeToken = "";
  seen.clear();
  oldest = since;
  newestLive = undefined;
  el.rows.replaceChildren();
  el.wrap.hidden = true;
  el.notes.replaceChildren();
  el.earlierStatus.textContent = "";
  clearError();
  setPaused(false);
  void follow(shownWorkspace);
}

function filterMessage(range: { start?: Date; end?: Date }): MessageInitShape<typeof AuditFilterSchema> {
  const f = filter;
  return {
    action: f?.action ?? "",
    actorUsername: f?.actorUsername ?? "",
    entityType: f?.entityType ?? "",
    startTime: range.start !== undefined ? timestampFromDate(range.start) : undefined,
    endTime: range.end !== undefined ? timestampFromDate(range.end) : undefined,
  };
}

/** What the filter selects, in words. */
function filterWords(): string {
  const f = filter;
  if (f === undefined) return "";
  const parts = [f.action && `action ${f.action}`, f.actorUsername && `by ${f.actorUsername}`, f.entityType && `on ${f.entityType}`].filter(Boolean);
  return parts.length === 0 ? "every event" : parts.join(", ");
}

function setPaused(p: boolean): void {
  paused = p;
  el.pause.disabled = false;
  el.pause.setAttribute("aria-pressed", String(p));
  el.pause.textContent = p ? "Resume" : "Pause";
  el.pause.title = p ? "Go on following the log after the last event shown" : "Stop following the log for now";
}

/** Codes after which a dropped stream is tried again; any other stops following (and says why). */
const retryable = new Set([Code.Unavailable, Code.Unknown, Code.Internal, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Canceled, Code.DataLoss]);

/** Codes with which a server may refuse a resume token it no longer knows. */
const tokenRefusals = new Set([Code.InvalidArgument, Code.OutOfRange, Code.FailedPrecondition]);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function followingText(): string {
  const since = filter?.since.toLocaleString() ?? "";
  const n = el.rows.rows.length;
  return `${plural(n, "event")} shown (${filterWords()}); following live since ${since}.`;
}

/** Follows the log until the page leaves, the filter changes or Pause; resumes a dropped stream. */
async function follow(workspace: string): Promise<void> {
  const signal = tasks.stream.start();
  let delay = firstRetryMs;
  let restartAt: Date | undefined;
  while (!signal.aborted) {
    // A stream resumed goes on after the last event received: nothing is lost, nothing repeated.
    el.status.textContent = resumeToken !== "" ? `Resumed after the last event received. ${followingText()}` : followingText();
    let reason: string;
    try {
      const start = restartAt ?? filter?.since;
      const req = { parent: workspace, filter: filterMessage({ start }), resumeToken };
      for await (const res of api.workspaces.streamAuditEvents(req, { signal })) {
        delay = firstRetryMs;
        if (res.resumeToken !== "") resumeToken = res.resumeToken;
        if (res.auditEvent !== undefined) {
          addEvent(res.auditEvent);
          if (res.auditEvent.eventTime !== undefined) newestLive = timestampDate(res.auditEvent.eventTime);
        }
        el.status.textContent = followingText();
      }
      if (signal.aborted) return;
      reason = "the server ended it";
    } catch (err) {
      if (signal.aborted) return;
      const ce = ConnectError.from(err);
      if (isUnimplemented(err)) {
        el.notes.replaceChildren(failureNote("StreamAuditEvents", err) ?? "");
        el.status.textContent = "Not following: the server does not serve the audit log yet.";
        el.pause.disabled = true;
        return;
      }
      if (resumeToken !== "" && tokenRefusals.has(ce.code) && restartAt === undefined) {
        // The token is refused (too old, say): go on from the newest event's time instead; the
        // events shown already are not shown again.
        resumeToken = "";
        restartAt = newestLive ?? filter?.since;
        continue;
      }
      if (!retryable.has(ce.code)) {
        el.notes.replaceChildren(failureNote("StreamAuditEvents", err) ?? "");
        el.status.textContent = "Not following: the stream was refused (why, above). Apply the filter again to retry.";
        el.pause.disabled = true;
        showError("StreamAuditEvents", err);
        return;
      }
      reason = `${codeName(ce.code)}: ${ce.rawMessage}`;
    }
    el.status.textContent = `The stream dropped (${reason}); resuming after the last event received in ${Math.round(delay / 1000)} s…`;
    el.status.dataset.state = "reconnecting";
    await sleep(delay, signal);
    delete el.status.dataset.state;
    delay = Math.min(delay * 2, maxRetryMs);
  }
}

/** The key an event is shown once by: its name (an event without one, by what it says). */
function eventKey(ev: AuditEvent): string {
  if (ev.name !== "") return ev.name;
  const t = ev.eventTime === undefined ? "" : timestampDate(ev.eventTime).toISOString();
  return [t, ev.action, ev.actorUsername, ev.entityType, ev.entityId, ev.correlationId].join("|");
}

function eventMillis(ev: AuditEvent): number {
  return ev.eventTime === undefined ? 0 : timestampDate(ev.eventTime).getTime();
}

/**
 * Shows an event once, in time order, newest at the top: above every row of its time or older (an
 * event arriving live goes above one of the same second that arrived before it).
 */
function addEvent(ev: AuditEvent): boolean {
  const key = eventKey(ev);
  if (seen.has(key)) return false;
  seen.add(key);
  const at = eventMillis(ev);
  const row = eventRow(ev, key, at);
  let before: HTMLTableRowElement | null = null;
  for (const r of el.rows.rows) {
    if (Number(r.dataset.time) <= at) {
      before = r;
      break;
    }
  }
  el.rows.insertBefore(row, before);
  while (el.rows.rows.length > maxRows) el.rows.rows[el.rows.rows.length - 1].remove();
  el.wrap.hidden = false;
  return true;
}

function eventRow(ev: AuditEvent, key: string, at: number): HTMLTableRowElement {
  const time = ev.eventTime === undefined ? undefined : timestampDate(ev.eventTime);
  const entity = ev.entityName || ev.entityId;
  return h(
    "tr",
    { "data-name": key, "data-time": String(at), "data-action": ev.action, "data-entity-type": ev.entityType, "data-entity-name": ev.entityName },
    h("td", { class: "when" }, time === undefined ? "—" : h("time", { datetime: time.toISOString() }, time.toLocaleString())),
    h("td", { class: "actor" }, ev.actorUsername || h("span", { class: "hint" }, "Mode")),
    h("td", { class: "action" }, h("code", {}, ev.action || "—"), ev.description ? h("span", { class: "row-desc" }, ev.description) : null),
    h("td", { class: "entity" }, ev.entityType ? h("span", { class: "entity-type" }, ev.entityType) : null, ev.entityType && entity ? ": " : null, entity || (ev.entityType ? null : "—")),
    h("td", { class: "ip" }, ev.actorIp ? h("code", {}, ev.actorIp) : "—"),
  );
}

function togglePause(): void {
  if (shownWorkspace === "" || filter === undefined) return;
  if (!paused) {
    tasks.stream.cancel();
    setPaused(true);
    el.status.textContent = `Paused: ${plural(el.rows.rows.length, "event")} shown. Resume goes on after the last event received; none is lost.`;
  } else {
    setPaused(false);
    void follow(shownWorkspace);
  }
}

/** Reads, once, the events of the span before the oldest time shown (ListAuditEvents). */
async function loadEarlier(): Promise<void> {
  const workspace = shownWorkspace;
  if (workspace === "" || oldest === undefined) return;
  const end = oldest;
  const start = new Date(end.getTime() - Number(el.earlierSpan.value) * 1000);
  const signal = tasks.earlier.start();
  el.earlierButton.disabled = true;
  el.earlierStatus.textContent = `Reading the events from ${start.toLocaleString()} to ${end.toLocaleString()}…`;
  try {
    const { items, truncated } = await listAll<AuditEvent>(async (pageToken) => {
      const res = await api.workspaces.listAuditEvents({ parent: workspace, pageSize: 1000, pageToken, filter: filterMessage({ start, end }) }, { signal });
      return { items: res.auditEvents, next: res.nextPageToken };
    }, maxEarlier);
    if (signal.aborted || shownWorkspace !== workspace) return;
    // Oldest first, so that events of one second keep their order (a later one above).
    const sorted = [...items].sort((a, b) => eventMillis(a) - eventMillis(b));
    let added = 0;
    for (const ev of sorted) if (addEvent(ev)) added++;
    if (truncated) {
      // Only the newest of the span are in: the next "Load earlier" reads before the oldest read.
      oldest = sorted.length > 0 ? new Date(eventMillis(sorted[0])) : start;
    } else {
      oldest = start;
    }
    el.earlierStatus.textContent = `${plural(added, "earlier event")} from ${start.toLocaleString()} to ${end.toLocaleString()}${truncated ? ` (the newest ${maxEarlier}; load earlier again for the rest)` : ""}.`;
    if (!paused && el.status.dataset.state !== "reconnecting" && el.notes.childElementCount === 0) el.status.textContent = followingText();
  } catch (err) {
    if (signal.aborted || shownWorkspace !== workspace) return;
    el.earlierStatus.replaceChildren(failureNote("ListAuditEvents", err, signal) ?? "Could not read the earlier events.");
    if (!isUnimplemented(err)) showError("ListAuditEvents", err, signal);
  } finally {
    el.earlierButton.disabled = false;
  }
}

// ---- wiring

el.filter.addEventListener("submit", (e) => {
  e.preventDefault();
  applyFilter();
});
el.pause.addEventListener("click", togglePause);
el.earlier.addEventListener("submit", (e) => {
  e.preventDefault();
  void loadEarlier();
});
