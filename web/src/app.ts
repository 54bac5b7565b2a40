// What the console's pages share: the clients of the active transport, lines of work a newer one
// replaces, the page's error alert, paging through a list, and formatting.
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

import { describeError, isUnimplemented, type Api } from "./api.js";
import { byId, h } from "./dom.js";

/** The clients of the active transport. setApi replaces them; importers see the new ones. */
export let api: Api;

export function setApi(next: Api): void {
  api = next;
}

/** One line of work (loading a page, following a run, …): starting it again aborts the previous one. */
export class Task {
  private controller = new AbortController();
  start(): AbortSignal {
    this.controller.abort();
    this.controller = new AbortController();
    return this.controller.signal;
  }
  cancel(): void {
    this.controller.abort();
  }
}

// ---- errors

const errorBox = byId("error");

/** Shows a failed call in the page's alert: its Connect code and message. Calls aborted through signal show nothing. */
export function showError(what: string, err: unknown, signal?: AbortSignal): void {
  const e = describeError(err, signal);
  if (e === undefined) {
    return;
  }
  errorBox.replaceChildren(
    h("p", {}, h("strong", {}, `${what} failed: `), h("code", { class: "code" }, e.code), " ", h("span", { class: "message" }, e.message)),
    h("button", { type: "button", class: "dismiss", onclick: clearError }, "Dismiss"),
  );
  errorBox.dataset.code = e.code;
  errorBox.hidden = false;
}

export function clearError(): void {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  delete errorBox.dataset.code;
}

/**
 * A failed call told in a page's own words: a method the server does not serve (yet) says so plainly;
 * any other failure gives its code and message. Aborted calls answer undefined.
 */
export function failureNote(method: string, err: unknown, signal?: AbortSignal): HTMLElement | undefined {
  const e = describeError(err, signal);
  if (e === undefined) {
    return undefined;
  }
  if (isUnimplemented(err)) {
    return h(
      "p",
      { class: "note unimplemented", "data-method": method, "data-code": e.code },
      h("strong", {}, `${method}: not served by this server yet`),
      ` (${e.code}: ${e.message}).`,
    );
  }
  return h("p", { class: "note failed", "data-method": method, "data-code": e.code }, h("strong", {}, `${method} failed: `), h("code", { class: "code" }, e.code), " ", e.message);
}

// ---- the document's title

const baseTitle = document.title;

/** Names the page shown in the document's title (the browser's tab and history); none for the start page. */
export function setPageTitle(title?: string): void {
  document.title = title === undefined || title === "" ? baseTitle : `${title} — ${baseTitle}`;
}

// ---- lists

/**
 * Every item of a paged list: page(token) answers one page and the next page's token. Stops at the
 * last page, or once max items are in (truncated then says so).
 */
export async function listAll<T>(page: (pageToken: string) => Promise<{ items: T[]; next: string }>, max = 100_000): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let token = "";
  do {
    const res = await page(token);
    items.push(...res.items);
    token = res.next;
  } while (token !== "" && items.length < max);
  return { items, truncated: token !== "" };
}

/** The display names of the spaces seen so far, by resource name (for labels on other pages). */
export const spaceNames = new Map<string, string>();

// ---- formatting

export function formatTime(ts: Timestamp | undefined): string {
  return ts === undefined ? "—" : timestampDate(ts).toLocaleString();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

/** A space's label: its display name when known, else its token. */
export function spaceLabel(space: string): string {
  return spaceNames.get(space) ?? (space === "" ? "—" : lastSegment(space));
}
