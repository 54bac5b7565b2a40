// The console's pages by URL: the part after # names the page, with the resource it shows.
//   #/workspaces/{w}/reports/{r}    a report (the page that runs it)
//   #/workspaces/{w}/datasets/{d}   a dataset: fields, lineage, runs
//   #/workspaces/{w}/inventory      every report of a workspace with its statistics
//   #/workspaces/{w}/members        people and access: members, invitations, groups, space access
//   #/workspaces/{w}/audit          the audit log, followed live
//   #/api                           the API reference: the REST routes' OpenAPI document
// Anything else (no hash, #/, or an unknown one) is the start page.

export type Route =
  | { page: "home" }
  | { page: "report"; name: string }
  | { page: "dataset"; name: string }
  | { page: "inventory"; workspace: string }
  | { page: "members"; workspace: string }
  | { page: "audit"; workspace: string }
  | { page: "api" };

const workspace = "[A-Za-z0-9_][A-Za-z0-9_-]{0,63}";
const token = "[A-Za-z0-9_-]{1,64}";
const reportRe = new RegExp(`^workspaces/${workspace}/reports/${token}$`);
const datasetRe = new RegExp(`^workspaces/${workspace}/datasets/${token}$`);
const inventoryRe = new RegExp(`^(workspaces/${workspace})/inventory$`);
const membersRe = new RegExp(`^(workspaces/${workspace})/members$`);
const auditRe = new RegExp(`^(workspaces/${workspace})/audit$`);

/** The page a URL's hash names. */
export function parseRoute(hash: string): Route {
  let path = hash.replace(/^#\/?/, "");
  try {
    path = decodeURIComponent(path);
  } catch {
    return { page: "home" };
  }
  if (path === "api") return { page: "api" };
  if (reportRe.test(path)) return { page: "report", name: path };
  if (datasetRe.test(path)) return { page: "dataset", name: path };
  const inv = inventoryRe.exec(path);
  if (inv !== null) return { page: "inventory", workspace: inv[1] };
  const members = membersRe.exec(path);
  if (members !== null) return { page: "members", workspace: members[1] };
  const audit = auditRe.exec(path);
  if (audit !== null) return { page: "audit", workspace: audit[1] };
  return { page: "home" };
}

/** The hash of a page's URL. */
export function routeHash(route: Route): string {
  switch (route.page) {
    case "report":
    case "dataset":
      return `#/${route.name}`;
    case "inventory":
    case "members":
    case "audit":
      return `#/${route.workspace}/${route.page}`;
    case "api":
      return "#/api";
    default:
      return "#/";
  }
}

export function reportHref(name: string): string {
  return routeHash({ page: "report", name });
}

export function datasetHref(name: string): string {
  return routeHash({ page: "dataset", name });
}

export function inventoryHref(workspaceName: string): string {
  return routeHash({ page: "inventory", workspace: workspaceName });
}

export function membersHref(workspaceName: string): string {
  return routeHash({ page: "members", workspace: workspaceName });
}

export function auditHref(workspaceName: string): string {
  return routeHash({ page: "audit", workspace: workspaceName });
}

/** The workspace a page belongs to, `workspaces/{w}`; undefined for the start page. */
export function routeWorkspace(route: Route): string | undefined {
  switch (route.page) {
    case "report":
    case "dataset":
      return route.name.split("/").slice(0, 2).join("/");
    case "inventory":
    case "members":
    case "audit":
      return route.workspace;
    default:
      return undefined;
  }
}
