// The members page: people and access in a workspace, for its administrators (access.ts asks
// TestPermissions first; a caller without the admin scope is told so and nothing is read).
//   - the Mode identity behind the service's credential (GetCredential: never a secret);
//   - the members (ListMemberships), each removable after a confirm (DeleteMembership);
//   - invitations by e-mail with a message (InviteMembers), each address's outcome shown;
//   - the groups (ListGroups) with their members (ListGroupMemberships): create, rename and delete a
//     group (CreateGroup, UpdateGroup, DeleteGroup), add a member to one and remove one
//     (CreateGroupMembership, DeleteGroupMembership);
//   - who has access to a space (ListSpaceMemberships), granted to a member or a group and revoked
//     (CreateSpaceMembership, DeleteSpaceMembership).
// A method the server does not serve yet says so where its answer would be; nothing is made up.
import {
  InviteMembersResponse_Result_Outcome as Outcome,
  type Credential,
  type Group,
  type GroupMembership,
  type InviteMembersResponse_Result,
  type Membership,
  type Space,
  type SpaceMembership,
} from "@gen/modeplatform/v1/workspace_pb.js";
import { View } from "@gen/modeplatform/v1/view_pb.js";
import { adminGate } from "./access.js";
import { isUnimplemented, newRequestId } from "./api.js";
import { api, clearError, failureNote, formatTime, lastSegment, listAll, plural, setPageTitle, showError, spaceNames, Task } from "./app.js";
import { byId, h } from "./dom.js";

/** The most items the page takes from one list. */
const maxItems = 5000;
/** The most addresses one invitation takes (the contract's bound). */
const maxInvites = 50;

const el = {
  sections: [byId("members"), byId("groups"), byId("space-access")],
  heading: byId("members-heading"),
  gate: byId("members-gate"),
  body: byId("members-body"),
  credential: byId("credential-body"),
  memberStatus: byId("member-list-status"),
  memberWrap: byId("member-table-wrap"),
  memberRows: byId<HTMLTableSectionElement>("member-rows"),
  inviteForm: byId<HTMLFormElement>("invite-form"),
  inviteEmails: byId<HTMLTextAreaElement>("invite-emails"),
  inviteMessage: byId<HTMLTextAreaElement>("invite-message"),
  inviteButton: byId<HTMLButtonElement>("invite-button"),
  inviteStatus: byId("invite-status"),
  inviteResults: byId<HTMLUListElement>("invite-results"),
  groupsStatus: byId("groups-status"),
  groupCreateForm: byId<HTMLFormElement>("group-create-form"),
  groupCreateName: byId<HTMLInputElement>("group-create-name"),
  groupCreateButton: byId<HTMLButtonElement>("group-create-button"),
  groupWrap: byId("group-table-wrap"),
  groupRows: byId<HTMLTableSectionElement>("group-rows"),
  spaceSelect: byId<HTMLSelectElement>("space-access-space"),
  spaceStatus: byId("space-access-status"),
  spaceWrap: byId("space-access-wrap"),
  spaceRows: byId<HTMLTableSectionElement>("space-access-rows"),
  grantForm: byId<HTMLFormElement>("space-grant-form"),
  grantWho: byId<HTMLSelectElement>("space-grant-who"),
  grantButton: byId<HTMLButtonElement>("space-grant-button"),
};

const tasks = { page: new Task(), members: new Task(), groups: new Task(), space: new Task() };

/** The workspace shown, `workspaces/{w}`; "" when the page is not. */
let shownWorkspace = "";
let members: Membership[] = [];
/** The groups, in ListGroups's order, each with its members once read (or why they could not be). */
let groups: { group: Group; members?: GroupMembership[]; error?: unknown }[] = [];
let credential: Credential | undefined;
/** The grants of the space picked (Space access). */
let grants: SpaceMembership[] = [];

export function setMembersPageVisible(visible: boolean): void {
  el.sections[0].hidden = !visible;
  // The groups and space access show once the caller is known to be an admin.
  if (!visible) for (const s of el.sections.slice(1)) s.hidden = true;
}

export function resetMembers(): void {
  tasks.page.cancel();
  tasks.members.cancel();
  tasks.groups.cancel();
  tasks.space.cancel();
  shownWorkspace = "";
  members = [];
  groups = [];
  credential = undefined;
  grants = [];
  el.heading.textContent = "Members";
  el.gate.replaceChildren();
  el.body.hidden = true;
  for (const s of el.sections.slice(1)) s.hidden = true;
  el.credential.replaceChildren();
  el.memberStatus.textContent = "";
  el.memberRows.replaceChildren();
  el.memberWrap.hidden = true;
  el.inviteStatus.textContent = "";
  el.inviteResults.replaceChildren();
  el.groupsStatus.textContent = "";
  el.groupRows.replaceChildren();
  el.groupWrap.hidden = true;
  el.spaceSelect.replaceChildren();
  el.spaceStatus.textContent = "";
  el.spaceRows.replaceChildren();
  el.spaceWrap.hidden = true;
  el.grantForm.hidden = true;
}

/** Opens the members page of a workspace, `workspaces/{w}`. */
export async function showMembers(workspace: string): Promise<void> {
  resetMembers();
  const signal = tasks.page.start();
  clearError();
  el.heading.textContent = `Members of ${lastSegment(workspace)}`;
  setPageTitle(el.heading.textContent);
  el.gate.replaceChildren(h("p", { class: "hint" }, "Checking that you may administer the workspace (TestPermissions)…"));
  if (!(await adminGate(workspace, "The members page", el.gate, signal))) return;
  if (signal.aborted) return;
  shownWorkspace = workspace;
  el.gate.replaceChildren();
  el.body.hidden = false;
  for (const s of el.sections.slice(1)) s.hidden = false;
  void loadCredential(workspace, signal);
  await loadMembers(workspace, tasks.members.start());
  await Promise.all([loadGroups(workspace), loadSpaceList(workspace, signal)]);
}

/** Whether a call's answer still belongs to the page shown. */
function current(workspace: string, signal?: AbortSignal): boolean {
  return shownWorkspace === workspace && signal?.aborted !== true;
}

/**
 * A failed action told where it was asked: a method not served yet says so in the page only; any
 * other failure also raises the page's alert.
 */
function sayFailure(where: HTMLElement, method: string, err: unknown): void {
  where.replaceChildren(failureNote(method, err) ?? `${method} failed.`);
  if (!isUnimplemented(err)) showError(method, err);
}

function memberLabel(name: string): string {
  const m = members.find((x) => x.name === name);
  return m?.memberUsername || lastSegment(name);
}

function groupLabel(name: string): string {
  const g = groups.find((x) => x.group.name === name);
  return g?.group.displayName || lastSegment(name);
}

// ---- the credential's identity

async function loadCredential(workspace: string, signal: AbortSignal): Promise<void> {
  el.credential.textContent = "Asking Mode who the credential is…";
  try {
    const res = await api.workspaces.getCredential({ name: `${workspace}/credential` }, { signal });
    if (!current(workspace, signal)) return;
    credential = res.credential;
    if (credential === undefined) throw new Error("GetCredential answered no credential");
    const c = credential;
    const facts: [string, Node | string][] = [
      ["Username", c.username ? h("strong", {}, c.username) : "— (Mode refused the credential)"],
      ["Name", c.displayName || "—"],
      ["E-mail", c.email || "—"],
      ["Mode accepts it", c.valid ? "yes" : "no: Mode refused it"],
      ["Administers the workspace", c.admin ? "yes" : "no: the access methods' writes will be refused"],
      ["Membership", c.membership ? h("code", {}, lastSegment(c.membership)) : "not a member"],
      ["Checked", formatTime(c.checkTime)],
    ];
    el.credential.replaceChildren(
      h("dl", { class: "facts", "data-valid": String(c.valid) }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v)])),
    );
    // The service's own membership is not removed from here: the page would cut its own access.
    renderMembers();
  } catch (err) {
    if (!current(workspace, signal)) return;
    el.credential.replaceChildren(failureNote("GetCredential", err, signal) ?? "Could not read the credential's identity.");
  }
}

// ---- members

async function loadMembers(workspace: string, signal: AbortSignal): Promise<void> {
  el.memberStatus.textContent = "Loading the members…";
  try {
    const { items, truncated } = await listAll<Membership>(async (pageToken) => {
      const res = await api.workspaces.listMemberships({ parent: workspace, pageSize: 1000, pageToken }, { signal });
      return { items: res.memberships, next: res.nextPageToken };
    }, maxItems);
    if (!current(workspace, signal)) return;
    members = [...items].sort((a, b) => a.memberUsername.localeCompare(b.memberUsername));
    renderMembers();
    const admins = members.filter((m) => m.admin).length;
    const invited = members.filter((m) => m.invited).length;
    el.memberStatus.textContent = `${plural(members.length, "member")}: ${plural(admins, "admin")}${invited > 0 ? `, ${invited} invited, not joined yet` : ""}${truncated ? ` (the first ${maxItems} shown)` : ""}.`;
  } catch (err) {
    if (!current(workspace, signal)) return;
    el.memberStatus.replaceChildren(failureNote("ListMemberships", err, signal) ?? "Could not list the members.");
    if (!isUnimplemented(err)) showError("ListMemberships", err, signal);
  }
}

function renderMembers(): void {
  el.memberRows.replaceChildren(...members.map(memberRow));
  el.memberWrap.hidden = members.length === 0;
  renderGroups();
  renderGrantPicker();
}

function memberRow(m: Membership): HTMLTableRowElement {
  const who = m.memberUsername || lastSegment(m.name);
  const self = credential !== undefined && credential.membership === m.name;
  const remove = h(
    "button",
    {
      type: "button",
      class: "small danger",
      "aria-label": `Remove ${who} from the workspace`,
      disabled: self || m.managedByScim,
      title: self ? "The service's own identity: removing it would cut the service off" : m.managedByScim ? "Provisioned by SCIM: remove it in the identity provider" : undefined,
    },
    "Remove",
  );
  remove.addEventListener("click", () => void removeMember(m, remove));
  return h(
    "tr",
    { "data-name": m.name, "data-username": who },
    h("th", { scope: "row" }, h("strong", {}, who), self ? h("span", { class: "tag" }, "the service's identity") : null),
    h("td", {}, m.admin ? "admin" : "member"),
    h("td", {}, m.state || "—", m.managedByScim ? h("span", { class: "tag" }, "SCIM") : null),
    h("td", {}, m.invited ? "invited, not joined yet" : "—"),
    h("td", {}, formatTime(m.activateTime)),
    h("td", {}, remove),
  );
}

async function removeMember(m: Membership, button: HTMLButtonElement): Promise<void> {
  const workspace = shownWorkspace;
  const who = m.memberUsername || lastSegment(m.name);
  if (!window.confirm(`Remove ${who} from ${lastSegment(workspace)}? They also leave its groups and spaces.`)) return;
  clearError();
  button.disabled = true;
  try {
    await api.workspaces.deleteMembership({ name: m.name });
    if (!current(workspace)) return;
    el.memberStatus.textContent = `Removed ${who} from the workspace.`;
    await loadMembers(workspace, tasks.members.start());
    el.memberStatus.textContent = `Removed ${who} from the workspace. ${el.memberStatus.textContent ?? ""}`;
    void loadGroups(workspace);
  } catch (err) {
    button.disabled = false;
    if (current(workspace)) sayFailure(el.memberStatus, "DeleteMembership", err);
  }
}

// ---- invitations

/** The addresses of the field: comma or newline separated, trimmed, each once (case aside). */
function parseEmails(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(/[,;\n\r]+/)) {
    const e = part.trim();
    if (e === "" || seen.has(e.toLowerCase())) continue;
    seen.add(e.toLowerCase());
    out.push(e);
  }
  return out;
}

const emailShape = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

async function invite(): Promise<void> {
  const workspace = shownWorkspace;
  if (workspace === "") return;
  const emails = parseEmails(el.inviteEmails.value);
  const message = el.inviteMessage.value.trim();
  el.inviteResults.replaceChildren();
  if (emails.length === 0) {
    el.inviteStatus.textContent = "Give at least one e-mail address.";
    el.inviteEmails.focus();
    return;
  }
  if (emails.length > maxInvites) {
    el.inviteStatus.textContent = `One invitation takes up to ${maxInvites} addresses; this one has ${emails.length}.`;
    el.inviteEmails.focus();
    return;
  }
  const malformed = emails.filter((e) => !emailShape.test(e));
  if (malformed.length > 0) {
    el.inviteStatus.textContent = `Not e-mail addresses: ${malformed.join(", ")}. Nothing was sent.`;
    el.inviteEmails.focus();
    return;
  }
  if (message === "") {
    el.inviteStatus.textContent = "The invitation needs a message.";
    el.inviteMessage.focus();
    return;
  }
  clearError();
  el.inviteButton.disabled = true;
  el.inviteStatus.textContent = `Inviting ${plural(emails.length, "address", "addresses")}…`;
  try {
    const res = await api.workspaces.inviteMembers({ parent: workspace, emails, message, requestId: newRequestId() });
    if (!current(workspace)) return;
    el.inviteResults.replaceChildren(...res.results.map(outcomeItem));
    const count = (o: Outcome) => res.results.filter((r) => r.outcome === o).length;
    const already = count(Outcome.ALREADY_MEMBER);
    el.inviteStatus.textContent = `${count(Outcome.INVITED)} invited, ${already} already ${already === 1 ? "a member" : "members"}, ${count(Outcome.REFUSED)} refused.`;
    // The refused addresses stay in the field, to correct; the rest are done.
    el.inviteEmails.value = res.results
      .filter((r) => r.outcome === Outcome.REFUSED)
      .map((r) => r.email)
      .join("\n");
    // The invited appear among the members, as invited (and Mode may put them in groups).
    if (count(Outcome.INVITED) > 0) {
      void loadGroups(workspace);
      await loadMembers(workspace, tasks.members.start());
    }
  } catch (err) {
    if (current(workspace)) sayFailure(el.inviteStatus, "InviteMembers", err);
  } finally {
    el.inviteButton.disabled = false;
  }
}

const outcomeWords: Record<Outcome, { key: string; text: string }> = {
  [Outcome.UNSPECIFIED]: { key: "unknown", text: "outcome not known" },
  [Outcome.INVITED]: { key: "invited", text: "invited" },
  [Outcome.ALREADY_MEMBER]: { key: "already-member", text: "already a member: nothing sent" },
  [Outcome.REFUSED]: { key: "refused", text: "refused" },
};

function outcomeItem(r: InviteMembersResponse_Result): HTMLLIElement {
  const o = outcomeWords[r.outcome] ?? outcomeWords[Outcome.UNSPECIFIED];
  let detail = "";
  if (r.outcome === Outcome.INVITED && r.expireTime !== undefined) detail = ` (the invitation expires ${formatTime(r.expireTime)})`;
  if (r.outcome === Outcome.REFUSED) detail = `: ${r.reason || "Mode gave no reason"}`;
  return h("li", { class: `outcome outcome-${o.key}`, "data-email": r.email, "data-outcome": o.key }, h("strong", {}, r.email), " — ", h("span", { class: "outcome-text" }, o.text), detail);
}

// ---- groups

/** Lists the groups and then each one's members (read once the groups are in). */
async function loadGroups(workspace: string): Promise<void> {
  const signal = tasks.groups.start();
  el.groupsStatus.textContent = "Loading the groups…";
  try {
    const { items, truncated } = await listAll<Group>(async (pageToken) => {
      const res = await api.workspaces.listGroups({ parent: workspace, pageSize: 1000, pageToken }, { signal });
      return { items: res.groups, next: res.nextPageToken };
    }, maxItems);
    if (!current(workspace, signal)) return;
    groups = items.map((group) => ({ group }));
    el.groupsStatus.textContent = `${plural(groups.length, "group")}${truncated ? ` (the first ${maxItems} shown)` : ""}; reading their members…`;
    renderGroups();
    const read = await Promise.allSettled(groups.map((g) => listGroupMembers(g.group.name, signal)));
    if (!current(workspace, signal)) return;
    read.forEach((r, i) => {
      if (r.status === "fulfilled") groups[i].members = r.value;
      else groups[i].error = r.reason;
    });
    renderGroups();
    const failed = read.find((r): r is PromiseRejectedResult => r.status === "rejected");
    const summary = `${plural(groups.length, "group")}${truncated ? ` (the first ${maxItems} shown)` : ""}.`;
    if (failed === undefined) {
      el.groupsStatus.textContent = summary;
    } else {
      // One note for them all: the same method failed for each.
      el.groupsStatus.replaceChildren(summary, " ", failureNote("ListGroupMemberships", failed.reason, signal) ?? "");
      if (!isUnimplemented(failed.reason)) showError("ListGroupMemberships", failed.reason, signal);
    }
  } catch (err) {
    if (!current(workspace, signal)) return;
    el.groupsStatus.replaceChildren(failureNote("ListGroups", err, signal) ?? "Could not list the groups.");
    if (!isUnimplemented(err)) showError("ListGroups", err, signal);
  }
}

async function listGroupMembers(group: string, signal?: AbortSignal): Promise<GroupMembership[]> {
  const { items } = await listAll<GroupMembership>(async (pageToken) => {
    const res = await api.workspaces.listGroupMemberships({ parent: group, pageSize: 1000, pageToken }, { signal });
    return { items: res.groupMemberships, next: res.nextPageToken };
  }, maxItems);
  return items.sort((a, b) => a.memberUsername.localeCompare(b.memberUsername));
}

function renderGroups(): void {
  el.groupRows.replaceChildren(...groups.map((g) => groupRow(g.group, g.members, g.error)));
  el.groupWrap.hidden = groups.length === 0;
  renderGrantPicker();
}

function groupRow(group: Group, gms: GroupMembership[] | undefined, error: unknown): HTMLTableRowElement {
  const title = group.displayName || lastSegment(group.name);
  const facts = [group.groupType, plural(group.memberCount, "member"), plural(group.spaceCount, "space")].filter(Boolean).join(" · ");
  let membersCell: Node;
  if (gms !== undefined) {
    membersCell =
      gms.length === 0
        ? h("span", { class: "hint" }, "No members.")
        : h(
            "ul",
            { class: "chips", "aria-label": `Members of ${title}` },
            ...gms.map((gm) => {
              const who = gm.memberUsername || memberLabel(gm.member);
              const remove = h("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${who} from ${title}` }, "×");
              remove.addEventListener("click", () => void removeGroupMember(group, gm, remove));
              return h("li", { class: "chip", "data-member": gm.member, "data-username": who }, h("span", {}, who), remove);
            }),
          );
  } else {
    membersCell = h("span", { class: "hint" }, error === undefined ? "Reading…" : "—");
  }
  const inGroup = new Set((gms ?? []).map((gm) => gm.member));
  const candidates = members.filter((m) => !inGroup.has(m.name));
  let addCell: Node;
  if (members.length > 0 && candidates.length === 0) {
    addCell = h("span", { class: "hint" }, "Every member is in it.");
  } else {
    const pick = h(
      "select",
      { class: "member-pick", "aria-label": `Member to add to ${title}` },
      ...candidates.map((m) => h("option", { value: m.name }, m.memberUsername || lastSegment(m.name))),
    );
    const add = h("button", { type: "submit", class: "small", "aria-label": `Add the member to ${title}` }, "Add");
    addCell = h("form", { class: "inline-form add-member" }, pick, add);
    addCell.addEventListener("submit", (e) => {
      e.preventDefault();
      void addGroupMember(group, pick.value, [pick, add]);
    });
  }
  const actions = h("span", { class: "actions" });
  const row = h(
    "tr",
    { "data-name": group.name, "data-title": title },
    h(
      "th",
      { scope: "row" },
      h("span", { class: "group-title" }, h("strong", {}, title)),
      group.description ? h("span", { class: "row-desc" }, group.description) : null,
      h("span", { class: "row-desc" }, facts),
    ),
    h("td", {}, membersCell),
    h("td", {}, addCell),
    h("td", {}, actions),
  );
  showGroupActions(group, row, actions);
  return row;
}

function showGroupActions(group: Group, row: HTMLTableRowElement, actions: HTMLElement, focus = false): void {
  const title = group.displayName || lastSegment(group.name);
  const rename = h("button", { type: "button", class: "small", "aria-label": `Rename ${title}` }, "Rename");
  const del = h("button", { type: "button", class: "small danger", "aria-label": `Delete ${title}` }, "Delete");
  rename.addEventListener("click", () => editGroupName(group, row, actions));
  del.addEventListener("click", () => void deleteGroup(group, del));
  actions.replaceChildren(rename, del);
  if (focus) rename.focus();
}

function editGroupName(group: Group, row: HTMLTableRowElement, actions: HTMLElement): void {
  const title = group.displayName || lastSegment(group.name);
  const input = h("input", { type: "text", value: group.displayName, maxlength: 255, required: true, autocomplete: "off", "aria-label": `New name of ${title}` });
  const save = h("button", { type: "submit", class: "small primary", "aria-label": `Save the name of ${title}` }, "Save");
  const cancel = h("button", { type: "button", class: "small" }, "Cancel");
  const form = h("form", { class: "inline-form" }, input, save, cancel);
  cancel.addEventListener("click", () => showGroupActions(group, row, actions, true));
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") showGroupActions(group, row, actions, true);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void renameGroup(group, input.value.trim(), row, actions, [input, save, cancel]);
  });
  actions.replaceChildren(form);
  input.select();
}

async function createGroup(): Promise<void> {
  const workspace = shownWorkspace;
  const name = el.groupCreateName.value.trim();
  if (workspace === "" || name === "") return;
  clearError();
  el.groupCreateButton.disabled = true;
  el.groupsStatus.textContent = `Creating ${name}…`;
  try {
    const res = await api.workspaces.createGroup({ parent: workspace, group: { displayName: name }, requestId: newRequestId() });
    if (!current(workspace)) return;
    el.groupCreateName.value = "";
    await loadGroups(workspace);
    el.groupsStatus.textContent = `Created the group ${res.group?.displayName || name}. ${el.groupsStatus.textContent ?? ""}`;
  } catch (err) {
    if (current(workspace)) sayFailure(el.groupsStatus, "CreateGroup", err);
  } finally {
    el.groupCreateButton.disabled = false;
  }
}

async function renameGroup(group: Group, name: string, row: HTMLTableRowElement, actions: HTMLElement, controls: (HTMLInputElement | HTMLButtonElement)[]): Promise<void> {
  const workspace = shownWorkspace;
  if (name === "" || name === group.displayName) {
    showGroupActions(group, row, actions, true);
    return;
  }
  clearError();
  for (const c of controls) c.disabled = true;
  try {
    const res = await api.workspaces.updateGroup({ group: { name: group.name, displayName: name }, updateMask: { paths: ["display_name"] } });
    if (!current(workspace)) return;
    const entry = groups.find((g) => g.group.name === group.name);
    if (entry !== undefined && res.group !== undefined) entry.group = res.group;
    renderGroups();
    el.groupsStatus.textContent = `Renamed ${group.displayName} to ${res.group?.displayName || name}.`;
    el.groupRows.querySelector<HTMLButtonElement>(`tr[data-name="${CSS.escape(group.name)}"] button[aria-label^="Rename"]`)?.focus();
  } catch (err) {
    for (const c of controls) c.disabled = false;
    if (current(workspace)) sayFailure(el.groupsStatus, "UpdateGroup", err);
  }
}

async function deleteGroup(group: Group, button: HTMLButtonElement): Promise<void> {
  const workspace = shownWorkspace;
  const title = group.displayName || lastSegment(group.name);
  if (!window.confirm(`Delete the group ${title}? The access it gives to spaces and data sources goes with it.`)) return;
  clearError();
  button.disabled = true;
  try {
    await api.workspaces.deleteGroup({ name: group.name });
    if (!current(workspace)) return;
    groups = groups.filter((g) => g.group.name !== group.name);
    renderGroups();
    el.groupsStatus.textContent = `Deleted the group ${title}; ${plural(groups.length, "group")} left.`;
    el.groupCreateName.focus();
  } catch (err) {
    button.disabled = false;
    if (current(workspace)) sayFailure(el.groupsStatus, "DeleteGroup", err);
  }
}

/** Reads a group and its members again after a change, and shows its row anew (focus kept on its picker). */
async function refreshGroup(workspace: string, groupName: string): Promise<void> {
  const [g, gms] = await Promise.allSettled([api.workspaces.getGroup({ name: groupName }), listGroupMembers(groupName)]);
  if (!current(workspace)) return;
  const entry = groups.find((x) => x.group.name === groupName);
  if (entry === undefined) return;
  if (g.status === "fulfilled" && g.value.group !== undefined) entry.group = g.value.group;
  if (gms.status === "fulfilled") {
    entry.members = gms.value;
    entry.error = undefined;
  } else {
    entry.error = gms.reason;
  }
  renderGroups();
  el.groupRows.querySelector<HTMLSelectElement>(`tr[data-name="${CSS.escape(groupName)}"] select.member-pick`)?.focus();
}

async function addGroupMember(group: Group, member: string, controls: (HTMLSelectElement | HTMLButtonElement)[]): Promise<void> {
  const workspace = shownWorkspace;
  if (member === "") return;
  const title = group.displayName || lastSegment(group.name);
  const who = memberLabel(member);
  clearError();
  for (const c of controls) c.disabled = true;
  try {
    await api.workspaces.createGroupMembership({ parent: group.name, groupMembership: { member }, requestId: newRequestId() });
    if (!current(workspace)) return;
    el.groupsStatus.textContent = `Added ${who} to ${title}.`;
    await refreshGroup(workspace, group.name);
  } catch (err) {
    for (const c of controls) c.disabled = false;
    if (current(workspace)) sayFailure(el.groupsStatus, "CreateGroupMembership", err);
  }
}

async function removeGroupMember(group: Group, gm: GroupMembership, button: HTMLButtonElement): Promise<void> {
  const workspace = shownWorkspace;
  const title = group.displayName || lastSegment(group.name);
  const who = gm.memberUsername || memberLabel(gm.member);
  clearError();
  button.disabled = true;
  try {
    await api.workspaces.deleteGroupMembership({ name: gm.name });
    if (!current(workspace)) return;
    el.groupsStatus.textContent = `Removed ${who} from ${title}.`;
    await refreshGroup(workspace, group.name);
  } catch (err) {
    button.disabled = false;
    if (current(workspace)) sayFailure(el.groupsStatus, "DeleteGroupMembership", err);
  }
}

// ---- space access

/** Every space of the workspace (the basic view names the restricted ones the caller has not joined too). */
async function loadSpaceList(workspace: string, signal: AbortSignal): Promise<void> {
  el.spaceStatus.textContent = "Loading the spaces…";
  try {
    const { items } = await listAll<Space>(async (pageToken) => {
      const res = await api.workspaces.listSpaces({ parent: workspace, view: View.BASIC, pageSize: 1000, pageToken }, { signal });
      return { items: res.spaces, next: res.nextPageToken };
    }, maxItems);
    if (!current(workspace, signal)) return;
    for (const sp of items) spaceNames.set(sp.name, sp.displayName || lastSegment(sp.name));
    // Restricted spaces first: they are the ones whose access matters.
    const spaces = [...items].sort((a, b) => Number(b.restricted) - Number(a.restricted) || (a.displayName || a.name).localeCompare(b.displayName || b.name));
    el.spaceSelect.replaceChildren(
      ...spaces.map((sp) => h("option", { value: sp.name, "data-restricted": String(sp.restricted) }, `${sp.displayName || lastSegment(sp.name)}${sp.restricted ? " (restricted)" : ""}`)),
    );
    if (spaces.length === 0) {
      el.spaceStatus.textContent = "The workspace has no spaces.";
      return;
    }
    await loadGrants(workspace);
  } catch (err) {
    if (!current(workspace, signal)) return;
    el.spaceStatus.replaceChildren(failureNote("ListSpaces", err, signal) ?? "Could not list the spaces.");
    if (!isUnimplemented(err)) showError("ListSpaces", err, signal);
  }
}

function spaceTitle(): string {
  return el.spaceSelect.selectedOptions[0]?.textContent ?? lastSegment(el.spaceSelect.value);
}

/** Lists who has access to the space picked. */
async function loadGrants(workspace: string): Promise<void> {
  const space = el.spaceSelect.value;
  if (space === "") return;
  const signal = tasks.space.start();
  grants = [];
  el.spaceRows.replaceChildren();
  el.spaceWrap.hidden = true;
  el.grantForm.hidden = true;
  el.spaceStatus.textContent = `Loading who has access to ${spaceTitle()}…`;
  try {
    const { items } = await listAll<SpaceMembership>(async (pageToken) => {
      const res = await api.workspaces.listSpaceMemberships({ parent: space, pageSize: 1000, pageToken }, { signal });
      return { items: res.spaceMemberships, next: res.nextPageToken };
    }, maxItems);
    if (!current(workspace, signal) || el.spaceSelect.value !== space) return;
    grants = items;
    renderGrants();
    el.grantForm.hidden = false;
    const restricted = el.spaceSelect.selectedOptions[0]?.dataset.restricted === "true";
    el.spaceStatus.textContent =
      grants.length === 0
        ? `No one is given access to ${spaceTitle()}${restricted ? ": only its creator sees it" : ""}.`
        : `${plural(grants.length, "grant")} to ${spaceTitle()}${restricted ? ": only they see it" : ""}.`;
  } catch (err) {
    if (!current(workspace, signal)) return;
    el.spaceStatus.replaceChildren(failureNote("ListSpaceMemberships", err, signal) ?? "Could not list who has access.");
    if (!isUnimplemented(err)) showError("ListSpaceMemberships", err, signal);
  }
}

function renderGrants(): void {
  const space = spaceTitle();
  el.spaceRows.replaceChildren(
    ...grants.map((g) => {
      const isGroup = g.group !== "";
      const who = isGroup ? groupLabel(g.group) : memberLabel(g.member);
      const revoke = h("button", { type: "button", class: "small danger", "aria-label": `Revoke the access of ${who} to ${space}` }, "Revoke");
      revoke.addEventListener("click", () => void revokeGrant(g, who, revoke));
      return h(
        "tr",
        { "data-name": g.name, "data-kind": isGroup ? "group" : "member", "data-who": who },
        h("th", { scope: "row" }, h("strong", {}, who)),
        h("td", {}, isGroup ? "group" : "member"),
        h("td", {}, g.email || "—"),
        h("td", {}, revoke),
      );
    }),
  );
  el.spaceWrap.hidden = grants.length === 0;
  renderGrantPicker();
}

/** The grant form's choices: the members and groups without access yet. */
function renderGrantPicker(): void {
  const have = new Set(grants.flatMap((g) => [g.member, g.group]).filter((x) => x !== ""));
  const ms = members.filter((m) => !have.has(m.name));
  const gs = groups.filter((g) => !have.has(g.group.name));
  el.grantWho.replaceChildren(
    h("optgroup", { label: "Groups" }, ...gs.map((g) => h("option", { value: g.group.name, "data-kind": "group" }, g.group.displayName || lastSegment(g.group.name)))),
    h("optgroup", { label: "Members" }, ...ms.map((m) => h("option", { value: m.name, "data-kind": "member" }, m.memberUsername || lastSegment(m.name)))),
  );
  el.grantButton.disabled = ms.length + gs.length === 0;
}

async function grant(): Promise<void> {
  const workspace = shownWorkspace;
  const space = el.spaceSelect.value;
  const option = el.grantWho.selectedOptions[0];
  if (workspace === "" || space === "" || option === undefined) return;
  const isGroup = option.dataset.kind === "group";
  const who = option.textContent ?? option.value;
  clearError();
  el.grantButton.disabled = true;
  try {
    await api.workspaces.createSpaceMembership({
      parent: space,
      spaceMembership: isGroup ? { group: option.value } : { member: option.value },
      requestId: newRequestId(),
    });
    if (!current(workspace)) return;
    await loadGrants(workspace);
    el.spaceStatus.textContent = `Gave ${who} access to ${spaceTitle()}. ${el.spaceStatus.textContent ?? ""}`;
    el.grantWho.focus();
  } catch (err) {
    if (current(workspace)) sayFailure(el.spaceStatus, "CreateSpaceMembership", err);
  } finally {
    el.grantButton.disabled = false;
  }
}

async function revokeGrant(g: SpaceMembership, who: string, button: HTMLButtonElement): Promise<void> {
  const workspace = shownWorkspace;
  const space = spaceTitle();
  clearError();
  button.disabled = true;
  try {
    await api.workspaces.deleteSpaceMembership({ name: g.name });
    if (!current(workspace)) return;
    await loadGrants(workspace);
    el.spaceStatus.textContent = `Revoked the access of ${who} to ${space}. ${el.spaceStatus.textContent ?? ""}`;
    el.spaceSelect.focus();
  } catch (err) {
    button.disabled = false;
    if (current(workspace)) sayFailure(el.spaceStatus, "DeleteSpaceMembership", err);
  }
}

// ---- wiring

el.inviteForm.addEventListener("submit", (e) => {
  e.preventDefault();
  void invite();
});
el.groupCreateForm.addEventListener("submit", (e) => {
  e.preventDefault();
  void createGroup();
});
el.spaceSelect.addEventListener("change", () => void loadGrants(shownWorkspace));
el.grantForm.addEventListener("submit", (e) => {
  e.preventDefault();
  void grant();
});
