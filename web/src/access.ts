// Who may see the people-and-access pages (members.ts, audit.ts): the server says which scopes the
// caller's key holds on a workspace (TestPermissions); only a caller holding the admin scope gets
// the header's links, and a page opened by URL without it says so instead of calling its methods.
// Without a caller policy every caller holds every scope.
import { Scope } from "@gen/modeplatform/v1/options_pb.js";
import { api, failureNote, lastSegment } from "./app.js";
import { h } from "./dom.js";

/** Whether the caller holds the admin scope on workspace, `workspaces/{w}`. Throws when the server cannot say. */
export async function holdsAdmin(workspace: string, signal?: AbortSignal): Promise<boolean> {
  const res = await api.workspaces.testPermissions({ resource: workspace, scopes: [Scope.ADMIN] }, { signal });
  return res.scopes.includes(Scope.ADMIN);
}

/**
 * Asks whether the caller may use an admin page of workspace. Answers true when it may; otherwise
 * fills box with why not (no admin scope, or TestPermissions failed) and answers false. Aborted: false,
 * box untouched.
 */
export async function adminGate(workspace: string, what: string, box: HTMLElement, signal: AbortSignal): Promise<boolean> {
  try {
    if (await holdsAdmin(workspace, signal)) return true;
    if (signal.aborted) return false;
    box.replaceChildren(
      h(
        "p",
        { class: "note refusal", "data-reason": "no-admin" },
        h("strong", {}, `${what} is for the administrators of ${lastSegment(workspace)}.`),
        " The key this page sends does not hold the admin scope on this workspace (TestPermissions), so nothing is read. ",
        "A caller policy grants it with ",
        h("code", {}, "scopes: [admin]"),
        "; the Credentials field of the header sets the key sent.",
      ),
    );
    return false;
  } catch (err) {
    if (signal.aborted) return false;
    box.replaceChildren(failureNote("TestPermissions", err, signal) ?? "Could not tell whether you may see this page.");
    return false;
  }
}
