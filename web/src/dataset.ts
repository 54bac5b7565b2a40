// The dataset page: a dataset's facts, its fields with their descriptions (written, changed and
// deleted in place), its lineage (the reports built on it), its runs, and "Run now", which starts a
// run (RunDataset) and follows it live (WatchDatasetRun) until it ends.
import { Column_Type } from "@gen/modeplatform/v1/report_pb.js";
import { DatasetRun_State, type Dataset, type DatasetField, type DatasetRun } from "@gen/modeplatform/v1/dataset_pb.js";
import { newRequestId, transportLabels } from "./api.js";
import { api, clearError, failureNote, formatTime, lastSegment, listAll, plural, setPageTitle, showError, spaceLabel, spaceNames, Task } from "./app.js";
import { byId, h } from "./dom.js";
import { reportHref } from "./routes.js";

/** How many of a dataset's runs the page lists, newest first. */
const runsShown = 20;

const terminal = new Set([DatasetRun_State.SUCCEEDED, DatasetRun_State.FAILED, DatasetRun_State.CANCELLED, DatasetRun_State.COMPLETED]);

const el = {
  sections: [byId("dataset"), byId("dataset-fields"), byId("dataset-runs")],
  heading: byId("dataset-heading"),
  status: byId("dataset-status"),
  details: byId("dataset-details"),
  lineageStatus: byId("lineage-status"),
  lineage: byId<HTMLUListElement>("lineage"),
  fieldsStatus: byId("fields-status"),
  fields: byId<HTMLTableSectionElement>("fields"),
  runButton: byId<HTMLButtonElement>("dataset-run-button"),
  runStatus: byId("dataset-run-status"),
  runStates: byId<HTMLOListElement>("dataset-run-states"),
  runsStatus: byId("dataset-runs-status"),
  runRows: byId<HTMLTableSectionElement>("dataset-run-rows"),
  runsWrap: byId("dataset-runs-wrap"),
};

const runIdleText = el.runStatus.textContent ?? "";

const tasks = { page: new Task(), run: new Task(), refresh: new Task() };

/** The dataset shown, once read. */
let shown: Dataset | undefined;
/** Its name, from the moment the page opens it. */
let shownName = "";

/** Called with the dataset's space once it is known (the console selects it in the sidebar). */
let onSpace: (space: string) => void = () => {};

export function onDatasetSpace(f: (space: string) => void): void {
  onSpace = f;
}

export function setDatasetPageVisible(visible: boolean): void {
  for (const s of el.sections) s.hidden = !visible;
}

/** Leaves the dataset page: stops its calls and the run it follows (the run goes on in Mode). */
export function resetDataset(): void {
  tasks.page.cancel();
  tasks.run.cancel();
  tasks.refresh.cancel();
  shown = undefined;
  shownName = "";
  el.heading.textContent = "Dataset";
  el.status.textContent = "";
  el.status.hidden = false;
  el.details.replaceChildren();
  el.lineageStatus.textContent = "";
  el.lineage.replaceChildren();
  el.fieldsStatus.textContent = "";
  el.fields.replaceChildren();
  el.runButton.disabled = true;
  el.runStatus.textContent = runIdleText;
  el.runStates.replaceChildren();
  el.runsStatus.textContent = "";
  el.runRows.replaceChildren();
  el.runsWrap.hidden = true;
}

/** Opens a dataset, `workspaces/{w}/datasets/{d}`. */
export async function showDataset(name: string): Promise<void> {
  resetDataset();
  shownName = name;
  const signal = tasks.page.start();
  clearError();
  el.status.textContent = "Loading the dataset…";
  void loadFields(name, signal);
  void loadLineage(name, signal);
  void loadRuns(name, signal);
  try {
    const { dataset } = await api.datasets.getDataset({ name }, { signal });
    if (dataset === undefined) throw new Error("GetDataset answered no dataset");
    if (signal.aborted) return;
    renderDataset(dataset);
    el.runButton.disabled = false;
    onSpace(dataset.space);
  } catch (err) {
    if (signal.aborted) return;
    const note = failureNote("GetDataset", err, signal);
    el.status.replaceChildren(note ?? "Could not load the dataset.");
    showError("GetDataset", err, signal);
  }
}

function renderDataset(dataset: Dataset): void {
  shown = dataset;
  el.heading.textContent = dataset.displayName || lastSegment(dataset.name);
  setPageTitle(`${el.heading.textContent} (dataset)`);
  el.status.hidden = true;
  const facts: [string, Node | string][] = [
    ["Space", spaceLabel(dataset.space)],
    ["Last run", formatTime(dataset.lastRunTime)],
    ["Last successful run", formatTime(dataset.lastSuccessfulRunTime)],
    ["Updated", formatTime(dataset.updateTime)],
    ["Created", formatTime(dataset.createTime)],
    ["Name", h("code", {}, dataset.name)],
  ];
  el.details.replaceChildren(
    h("p", { class: "description" }, dataset.description || "No description."),
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v)])),
    ...(dataset.webUri ? [h("p", {}, h("a", { href: dataset.webUri, target: "_blank", rel: "noopener noreferrer" }, "Open in Mode"))] : []),
  );
}

/** Reads the dataset again (a run changed its times); keeps the facts shown if that fails. */
async function refreshDataset(name: string, signal: AbortSignal): Promise<void> {
  try {
    const { dataset } = await api.datasets.getDataset({ name }, { signal });
    if (dataset !== undefined && !signal.aborted && shownName === name) renderDataset(dataset);
  } catch {
    // the facts shown are only older
  }
}

// ---- fields

async function loadFields(name: string, signal: AbortSignal): Promise<void> {
  el.fieldsStatus.textContent = "Loading the fields…";
  try {
    const { items: fields, truncated } = await listAll(async (pageToken) => {
      const res = await api.datasets.listDatasetFields({ parent: name, pageSize: 1000, pageToken }, { signal });
      return { items: res.fields, next: res.nextPageToken };
    }, 5000);
    if (signal.aborted) return;
    el.fields.replaceChildren(...fields.map((f) => fieldRow(name, f)));
    const described = fields.filter((f) => f.description !== "").length;
    el.fieldsStatus.textContent =
      fields.length === 0
        ? "No fields: Mode gives a dataset's fields once it has a result."
        : `${plural(fields.length, "field")}, ${described} described${truncated ? " (the first 5000 shown)" : ""}.`;
  } catch (err) {
    if (signal.aborted) return;
    el.fieldsStatus.replaceChildren(failureNote("ListDatasetFields", err, signal) ?? "Could not load the fields.");
  }
}

function typeName(f: DatasetField): string {
  return f.modeType || (Column_Type[f.type] ?? "unspecified").toLowerCase();
}

/** A field's row: column, type, and its description with the buttons that change it. */
function fieldRow(dataset: string, field: DatasetField): HTMLTableRowElement {
  const row = h("tr", { "data-column": field.column });
  const cell = h("div", { class: "field-description" });
  row.append(h("th", { scope: "row" }, h("code", {}, field.column)), h("td", { title: Column_Type[field.type] ?? "" }, typeName(field)), h("td", {}, cell));
  showDescription(dataset, field, cell);
  return row;
}

/** The description as text, with Describe (none yet) or Edit and Delete. */
function showDescription(dataset: string, field: DatasetField, cell: HTMLElement, focus?: "edit"): void {
  const col = field.column;
  const edit = h(
    "button",
    { type: "button", class: "small", "aria-label": field.description ? `Edit the description of ${col}` : `Describe ${col}`, onclick: () => editDescription(dataset, field, cell) },
    field.description ? "Edit" : "Describe",
  );
  const del = field.description
    ? h("button", { type: "button", class: "small", "aria-label": `Delete the description of ${col}`, onclick: (e: Event) => void deleteDescription(dataset, field, cell, e.currentTarget as HTMLButtonElement) }, "Delete")
    : null;
  cell.replaceChildren(
    field.description ? h("span", { class: "text" }, field.description) : h("span", { class: "text none" }, "No description"),
    h("span", { class: "actions" }, edit, del),
  );
  if (focus === "edit") edit.focus();
}

/** Turns the cell into a small form: the text, Save and Cancel. */
function editDescription(dataset: string, field: DatasetField, cell: HTMLElement): void {
  const col = field.column;
  const input = h("input", {
    type: "text",
    class: "description-input",
    value: field.description,
    maxlength: 10000,
    "aria-label": `Description of ${col}`,
    autocomplete: "off",
  });
  const save = h("button", { type: "submit", class: "small primary", "aria-label": `Save the description of ${col}` }, "Save");
  const cancel = h("button", { type: "button", class: "small", onclick: () => showDescription(dataset, field, cell, "edit") }, "Cancel");
  const form = h("form", { class: "description-form" }, input, save, cancel);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void saveDescription(dataset, field, cell, input.value.trim(), [input, save, cancel]);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") showDescription(dataset, field, cell, "edit");
  });
  cell.replaceChildren(form);
  input.focus();
}

/**
 * Writes the text: CreateFieldDescription for a field without one, UpdateFieldDescription for one
 * that has it; an emptied text deletes it (Mode keeps no empty descriptions).
 */
async function saveDescription(dataset: string, field: DatasetField, cell: HTMLElement, text: string, controls: (HTMLInputElement | HTMLButtonElement)[]): Promise<void> {
  if (text === field.description) {
    showDescription(dataset, field, cell, "edit");
    return;
  }
  if (text === "") {
    if (field.fieldDescription === "") showDescription(dataset, field, cell, "edit");
    else await deleteDescription(dataset, field, cell);
    return;
  }
  clearError();
  for (const c of controls) c.disabled = true;
  const method = field.fieldDescription === "" ? "CreateFieldDescription" : "UpdateFieldDescription";
  try {
    const written =
      field.fieldDescription === ""
        ? (await api.datasets.createFieldDescription({ parent: dataset, fieldDescription: { column: field.column, description: text }, requestId: newRequestId() })).fieldDescription
        : (await api.datasets.updateFieldDescription({ fieldDescription: { name: field.fieldDescription, description: text }, updateMask: { paths: ["description"] } })).fieldDescription;
    if (written === undefined) throw new Error(`${method} answered no description`);
    field.description = written.description;
    field.fieldDescription = written.name;
    if (shownName !== dataset) return;
    showDescription(dataset, field, cell, "edit");
    el.fieldsStatus.textContent = `Saved the description of ${field.column}.`;
  } catch (err) {
    for (const c of controls) c.disabled = false;
    showError(method, err);
  }
}

async function deleteDescription(dataset: string, field: DatasetField, cell: HTMLElement, button?: HTMLButtonElement): Promise<void> {
  clearError();
  if (button !== undefined) button.disabled = true;
  try {
    await api.datasets.deleteFieldDescription({ name: field.fieldDescription });
    field.description = "";
    field.fieldDescription = "";
    if (shownName !== dataset) return;
    showDescription(dataset, field, cell, "edit");
    el.fieldsStatus.textContent = `Deleted the description of ${field.column}.`;
  } catch (err) {
    if (button !== undefined) button.disabled = false;
    showError("DeleteFieldDescription", err);
  }
}

// ---- lineage

async function loadLineage(name: string, signal: AbortSignal): Promise<void> {
  el.lineageStatus.textContent = "Loading the reports built on it…";
  try {
    const { items: reports, truncated } = await listAll(async (pageToken) => {
      const res = await api.datasets.listDatasetReports({ name, pageSize: 100, pageToken }, { signal });
      return { items: res.reports, next: res.nextPageToken };
    }, 1000);
    if (signal.aborted) return;
    el.lineage.replaceChildren(
      ...reports.map((r) =>
        h(
          "li",
          { "data-name": r.name },
          h("a", { href: reportHref(r.name) }, r.displayName || lastSegment(r.name)),
          // The space by name when the console knows it (a restricted space the sidebar does not list has only a token).
          h("span", { class: "hint" }, `${spaceNames.has(r.space) ? ` in ${spaceLabel(r.space)}` : ""}${r.description ? ` — ${r.description}` : ""}`),
        ),
      ),
    );
    el.lineageStatus.textContent =
      reports.length === 0
        ? "No report is built on it: changing it affects no report."
        : `${plural(reports.length, "report")} ${reports.length === 1 ? "is" : "are"} built on it: a change to the dataset affects ${reports.length === 1 ? "it" : "them"}${truncated ? " (the first 1000 shown)" : ""}.`;
  } catch (err) {
    if (signal.aborted) return;
    el.lineageStatus.replaceChildren(failureNote("ListDatasetReports", err, signal) ?? "Could not load the reports built on it.");
  }
}

// ---- runs

function runStateName(state: DatasetRun_State): string {
  return DatasetRun_State[state] ?? `STATE_${state}`;
}

async function loadRuns(name: string, signal: AbortSignal): Promise<void> {
  el.runsStatus.textContent = "Loading the runs…";
  try {
    const res = await api.datasets.listDatasetRuns({ parent: name, pageSize: runsShown }, { signal });
    if (signal.aborted) return;
    el.runRows.replaceChildren(...res.runs.map(runRow));
    el.runsWrap.hidden = res.runs.length === 0;
    const more = res.nextPageToken !== "";
    el.runsStatus.textContent =
      res.runs.length === 0
        ? "It has not run yet."
        : more
          ? `The ${res.runs.length} newest runs${res.totalSize > 0 ? ` of ${res.totalSize}` : ""}.`
          : `${plural(res.runs.length, "run")}, newest first.`;
  } catch (err) {
    if (signal.aborted) return;
    el.runsStatus.replaceChildren(failureNote("ListDatasetRuns", err, signal) ?? "Could not load the runs.");
  }
}

function runRow(run: DatasetRun): HTMLTableRowElement {
  const state = runStateName(run.state);
  const notes = [
    run.latest && "latest",
    run.latestSuccessful && "the result reports use",
    run.failuresSinceLastSuccess && "failed since its last success",
    run.purgeCompleteTime !== undefined ? "results purged" : run.purgeStartTime !== undefined && "results being purged",
  ].filter(Boolean);
  return h(
    "tr",
    { "data-name": run.name, "data-state": state },
    h("td", {}, h("code", {}, lastSegment(run.name))),
    h("td", {}, h("span", { class: `state state-${state.toLowerCase()}` }, h("span", { class: "state-name" }, state))),
    h("td", {}, formatTime(run.createTime)),
    h("td", {}, formatTime(run.completeTime)),
    h("td", {}, notes.join("; ") || "—"),
  );
}

/** Starts a run of the dataset shown and follows it live until it ends; then reads the runs and fields again. */
async function runNow(): Promise<void> {
  if (shown === undefined) return;
  const name = shown.name;
  const title = shown.displayName || lastSegment(name);
  const signal = tasks.run.start();
  clearError();
  el.runButton.disabled = true;
  el.runStates.replaceChildren();
  const transport = transportLabels[api.kind];
  el.runStatus.textContent = `Starting a run of ${title} over ${transport}…`;
  try {
    const { run } = await api.datasets.runDataset({ name, requestId: newRequestId() }, { signal });
    if (run === undefined) throw new Error("RunDataset answered no run");
    el.runStatus.replaceChildren("Run ", h("code", { id: "dataset-run-name" }, lastSegment(run.name)), ` over ${transport}: watching its state live (WatchDatasetRun).`);
    let last: DatasetRun | undefined;
    let lastState: DatasetRun_State | undefined;
    for await (const res of api.datasets.watchDatasetRun({ name: run.name }, { signal })) {
      if (res.run === undefined) continue;
      last = res.run;
      if (last.state !== lastState) {
        lastState = last.state;
        const s = runStateName(last.state);
        el.runStates.append(
          h("li", { class: `state state-${s.toLowerCase()}`, "data-state": s }, h("span", { class: "state-name" }, s), " ", h("time", {}, new Date().toLocaleTimeString())),
        );
      }
      if (terminal.has(last.state)) break;
    }
    if (signal.aborted) return;
    el.runStatus.replaceChildren(
      "Run ",
      h("code", { id: "dataset-run-name" }, lastSegment(run.name)),
      last !== undefined && terminal.has(last.state) ? ` ended ${runStateName(last.state)}.` : ": the watch ended before the run did; see the runs below.",
    );
  } catch (err) {
    if (signal.aborted) return;
    el.runStatus.replaceChildren(failureNote("RunDataset / WatchDatasetRun", err, signal) ?? "The run could not be started or followed.");
    showError("RunDataset / WatchDatasetRun", err, signal);
  } finally {
    if (!signal.aborted && shownName === name) {
      el.runButton.disabled = false;
      const refresh = tasks.refresh.start();
      void refreshDataset(name, refresh);
      void loadRuns(name, refresh);
      void loadFields(name, refresh);
    }
  }
}

el.runButton.addEventListener("click", () => void runNow());
