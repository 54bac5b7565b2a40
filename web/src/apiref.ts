// The API reference page (#/api): the OpenAPI document of the REST routes, served by the server at
// /openapi.yaml (generated from the contract: gen/openapi), rendered by Swagger UI (npm
// swagger-ui-dist, pinned in package.json). Swagger UI is large, so it is its own chunk, fetched
// the first time the page is shown: the other pages never load it. "Try it out" calls the REST
// routes of this same server with the console's bearer token, when one is set.
import { byId } from "./dom.js";

const el = {
  section: byId<HTMLElement>("api"),
  status: byId("api-status"),
  root: byId("api-root"),
  bearer: byId<HTMLInputElement>("bearer"),
};

/** Where the server serves the document (absolute: the console lives under /ui/). */
export const openAPIURL = "/openapi.yaml";

let rendered: Promise<void> | undefined;

export function setApiPageVisible(visible: boolean): void {
  el.section.hidden = !visible;
}

/** Shows the reference, loading Swagger UI and the document the first time. */
export function showApiReference(): Promise<void> {
  rendered ??= render();
  return rendered;
}

async function render(): Promise<void> {
  el.status.textContent = "Loading the API reference…";
  try {
    const [{ default: SwaggerUI }] = await Promise.all([
      import("swagger-ui-dist/swagger-ui-es-bundle.js"),
      import("swagger-ui-dist/swagger-ui.css"),
    ]);
    SwaggerUI({
      domNode: el.root,
      url: openAPIURL,
      deepLinking: false, // the URL's hash is the console's page
      validatorUrl: null, // no badge from swagger.io: the page calls its own origin only (CSP)
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      tryItOutEnabled: false,
      // The console's key for "Try it out", unless the request already carries one (Swagger UI's
      // own Authorize button).
      requestInterceptor: (req) => {
        const key = el.bearer.value.trim();
        if (key !== "" && req.headers["Authorization"] === undefined) req.headers["Authorization"] = `Bearer ${key}`;
        return req;
      },
      onComplete: () => {
        el.status.textContent = "";
        el.status.hidden = true;
      },
    });
  } catch (err) {
    rendered = undefined; // the next visit tries again
    el.status.textContent = `The API reference could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
}
