// The web console in a real browser: Playwright (playwright-core) drives Debian's Chromium,
// headless, against the real modeplatform binary serving the console under /ui/ and the demo
// workspace from its built-in emulator. Over the Connect protocol, then over gRPC-Web (the page's
// transport switch): pick Sales, open "Large Orders by Region", set region=West, run it, watch it
// reach SUCCEEDED live, and check the result table (every region cell is West) and chart. Then a
// dataset's page, opened from its space (fields, a description written, changed and deleted,
// lineage, a run followed live), and the workspace's inventory (every report with its statistics).
// Then people and access (issue 16): the members page (members, groups made and filled, space
// access, invitations, the credential's identity) and the audit log followed live (the events of
// what the members test did, a deletion in another tab arriving at the top; a scripted stream that
// drops and is resumed after its last event without repeats), shown to admins only (a second
// server with a caller policy: a read-only key gets no links and a polite refusal). Screenshots go
// to test-artifacts/ (console-connect.png, console-grpcweb.png, console-dataset.png,
// console-inventory.png, console-members.png, console-audit.png, console-api.png: the API page,
// Swagger UI rendering the REST routes' OpenAPI document), with the servers' logs
// (modeplatform-web.log, modeplatform-web-policy.log).
//
//   cd web && npm run test:browser          (scripts/test-web.sh runs it after its set-up)
//
// Environment: MODEPLATFORM_ADDR (host:port of a running server; without it the test builds
// ./cmd/modeplatform and starts it), CHROMIUM (default /usr/bin/chromium), ARTIFACTS_DIR (default
// ../test-artifacts from web/).
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoDir = resolve(webDir, "..");
const artifacts = resolve(process.env.ARTIFACTS_DIR ?? join(repoDir, "test-artifacts"));
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

// What each transport puts on the wire, by Content-Type of the API's requests.
const wire = {
  connect: { label: "Connect (JSON)", contentTypes: /^application\/(json|connect\+json)\b/ },
  grpcweb: { label: "gRPC-Web (binary)", contentTypes: /^application\/grpc-web\+proto\b/ },
};

let builtBinary; // { dir, bin }: the binary, built once for every server the test starts

/**
 * Starts the server: the binary, built into a temp dir, on a free loopback port. args are more
 * flags (a caller policy, say); logName names its log in the artifacts.
 */
async function startServer({ args = [], logName = "modeplatform-web.log" } = {}) {
  if (process.env.MODEPLATFORM_ADDR && args.length === 0) {
    return { addr: process.env.MODEPLATFORM_ADDR, stop: async () => {}, log: () => "" };
  }
  if (builtBinary === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "modeplatform-web-"));
    const bin = join(dir, "modeplatform");
    execFileSync("go", ["build", "-o", bin, "./cmd/modeplatform"], { cwd: repoDir, stdio: "inherit" });
    builtBinary = { dir, bin };
  }
  const { bin } = builtBinary;
  // No MODE_* variable reaches it: always the emulator, never real Mode.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MODE_") && k !== "POLICY_FILE"));
  const child = spawn(bin, ["--listen", "127.0.0.1:0", "--admin-listen", "off", ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const addr = await new Promise((resolveAddr, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 30s:\n${stderr}`)), 30_000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      for (const line of stderr.split("\n")) {
        if (!line.includes('"modeplatform listening"')) continue;
        try {
          const { addr } = JSON.parse(line);
          clearTimeout(timer);
          resolveAddr(addr);
        } catch {
          // a partial line: wait for the rest
        }
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${stderr}`));
    });
  });
  return {
    addr,
    log: () => stderr,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      writeFileSync(join(artifacts, logName), stderr);
    },
  };
}

// launchChromium starts Debian's headless Chromium. A launch is tried up to three times: on
// this kind of machine Chromium now and then dies of SIGSEGV while starting (seen once in many
// runs, before any page exists), which says nothing about the console under test.
async function launchChromium() {
  const options = {
    executablePath,
    headless: true,
    // Playwright gives each launch a new empty profile (--user-data-dir) and --no-sandbox.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await chromium.launch(options);
    } catch (err) {
      if (attempt >= 3) throw err;
      console.error(`chromium launch ${attempt} failed, retrying: ${String(err.message).split("\n")[0]}`);
    }
  }
}

let server;
let browser;
let context;
let page;
const apiRequests = []; // { url, contentType } of every API call the page makes
const pageErrors = []; // uncaught exceptions and console errors (CSP violations among them)

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("request", (req) => {
    if (new URL(req.url()).pathname.startsWith("/modeplatform.v1.")) {
      apiRequests.push({ url: req.url(), contentType: req.headers()["content-type"] ?? "" });
    }
  });
  page.on("pageerror", (err) => pageErrors.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(`console error: ${msg.text()}`);
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (builtBinary !== undefined) rmSync(builtBinary.dir, { recursive: true, force: true });
});

/** The whole walk through the console over the page's active transport. */
async function runLargeOrders(kind) {
  const { label, contentTypes } = wire[kind];
  const firstRequest = apiRequests.length;
  await assertText("#active-transport", label);

  // Pick a space, open the report. (The sidebar may list Sales's reports already: the page shown
  // stays when the transport changes, and its space is selected.)
  await page.locator("#spaces").getByRole("button", { name: /^Sales\b/ }).click();
  await page.locator("#reports").getByRole("button", { name: /^Large Orders by Region\b/ }).click();
  await page.getByRole("heading", { level: 2, name: "Large Orders by Region" }).waitFor();
  assert.match(await page.locator("#report-details .description").innerText(), /largest orders of one region/);

  // Set its parameters and run it.
  const region = page.getByLabel("Value of region", { exact: true });
  await region.waitFor();
  await region.fill("West");
  if (kind === "grpcweb") {
    assert.match(await page.locator("#params-source").innerText(), /The report's parameters: region \(select\), min_total \(number\)/);
  }
  const minTotal = page.getByLabel("Value of min_total", { exact: true });
  assert.notEqual(await minTotal.inputValue(), "", "min_total is prefilled");
  await page.getByRole("button", { name: "Run report" }).click();

  // The run's states arrive live, ending in SUCCEEDED.
  await page.locator('#run-states li[data-state="SUCCEEDED"]').waitFor({ timeout: 30_000 });
  const states = await page.locator("#run-states li").evaluateAll((lis) => lis.map((li) => li.dataset.state));
  assert.ok(states.length >= 1, "at least one state shown");
  assert.equal(states.at(-1), "SUCCEEDED", `states: ${states.join(" → ")}`);
  assert.match(await page.locator("#run-status").innerText(), new RegExp(`over ${label.replace(/[()]/g, "\\$&")}`));

  // The result: a table whose region column is all West, and a chart.
  await page.locator("#results-table tbody tr").first().waitFor();
  const headers = await page.locator("#results-table thead th").allInnerTexts();
  const regionIdx = headers.indexOf("region");
  assert.ok(regionIdx >= 0, `a region column among ${headers.join(", ")}`);
  const regions = await page.locator(`#results-table tbody tr td:nth-child(${regionIdx + 1})`).allInnerTexts();
  assert.ok(regions.length > 0, "rows in the table");
  assert.deepEqual([...new Set(regions)], ["West"], "every row is in region West");
  const bars = await page.locator("#results-chart rect").count();
  assert.ok(bars > 0 && bars <= 20, `the chart has ${bars} bars (1 to 20)`);
  assert.match(await page.locator("#results-status").innerText(), new RegExp(`${regions.length} rows`));
  if (await page.locator("#error").isVisible()) {
    assert.fail(`an error is shown: ${await page.locator("#error").innerText()}`);
  }

  // The run as a PDF, streamed by ExportReportRun and handed to the browser as a download.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download PDF" }).click()]);
  assert.match(download.suggestedFilename(), /\.pdf$/);
  const pdf = readFileSync(await download.path());
  assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-", "the download is a PDF");
  assert.ok(pdf.length > 1000, `a PDF of ${pdf.length} bytes`);

  // Every API call of this walk went over the transport named.
  const calls = apiRequests.slice(firstRequest);
  const paths = calls.map((c) => new URL(c.url).pathname.replace(/^\/modeplatform\.v1\./, ""));
  const wants = ["ReportService/ListReports", "ReportService/GetReport", "ReportService/RunReport", "ReportService/WatchReportRun", "ReportService/ListQueryRuns", "ReportService/StreamQueryResults", "ReportService/ExportReportRun"];
  // The report's form is read once it has run (the Connect walk runs it first).
  if (kind === "grpcweb") wants.push("ReportService/GetReportParameters");
  for (const want of wants) {
    assert.ok(paths.includes(want), `${want} called (calls: ${paths.join(", ")})`);
  }
  for (const c of calls) {
    assert.match(c.contentType, contentTypes, `${c.url} sent as ${c.contentType}`);
  }

  const file = join(artifacts, `console-${kind}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`${label}: ${regions.length} rows, ${bars} bars, states ${states.join(" → ")}; screenshot ${file}`);
}

/** The group the members test made: its first name (in the audit log's created event) and its name now. */
let madeGroup;

/** A Connect protocol envelope: flags (0 a message, 2 the end of a stream), then the JSON. */
function envelope(flags, message) {
  const json = Buffer.from(JSON.stringify(message));
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

/** Polls f until it answers something truthy (answered), or fails after timeout ms saying what(). */
async function waitFor(f, timeout, what) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeout} ms: ${await what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function assertText(selector, want) {
  await page.locator(selector).filter({ hasText: want }).waitFor();
  assert.equal((await page.locator(selector).innerText()).trim(), want);
}

describe("web console", () => {
  test("loads under /ui/ (and / redirects there)", async () => {
    const res = await page.goto(`http://${server.addr}/`);
    assert.equal(res?.status(), 200);
    assert.equal(new URL(page.url()).pathname, "/ui/");
    await assertText("#active-transport", wire.connect.label);
    await page.getByRole("button", { name: /^Sales\b/ }).waitFor();
    assert.equal(await page.locator("#transport").inputValue(), "connect");
  });

  test("Connect: run Large Orders by Region for West and see its rows", async () => {
    await runLargeOrders("connect");
  });

  test("gRPC-Web, switched in the page: the same again", async () => {
    await page.locator("#transport").selectOption("grpcweb");
    await assertText("#active-transport", wire.grpcweb.label);
    assert.equal(new URL(page.url()).searchParams.get("transport"), "grpcweb");
    await runLargeOrders("grpcweb");
  });

  test("?transport=grpcweb picks gRPC-Web on load", async () => {
    const first = apiRequests.length;
    await page.goto(`http://${server.addr}/ui/?transport=grpcweb`);
    await assertText("#active-transport", wire.grpcweb.label);
    await page.getByRole("button", { name: /^Sales\b/ }).waitFor();
    assert.equal(await page.locator("#transport").inputValue(), "grpcweb");
    const calls = apiRequests.slice(first);
    assert.ok(calls.length > 0);
    for (const c of calls) assert.match(c.contentType, wire.grpcweb.contentTypes);
  });

  test("a report shows its schedules (gRPC-Web)", async () => {
    await page.locator("#spaces").getByRole("button", { name: /^Sales\b/ }).click();
    const open = async () => {
      await page.locator("#reports").getByRole("button", { name: /^Large Orders by Region\b/ }).click();
      await page.getByRole("heading", { level: 2, name: "Large Orders by Region" }).waitFor();
      await page.locator("#schedules-status").filter({ hasText: /schedule/ }).waitFor();
    };
    await open();
    const report = (await page.locator("#report-details dd code").first().innerText()).trim();
    // Schedule it from outside the page, over the Connect protocol, as any caller would.
    const res = await fetch(`http://${server.addr}/modeplatform.v1.ReportService/CreateSchedule`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        parent: report,
        schedule: { displayName: "Morning numbers", cron: { frequency: "FREQUENCY_DAILY", hour: 9, minute: 30, timeZone: "Pacific Time (US & Canada)" } },
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const schedule = (await res.json()).schedule.name;
    const sub = await fetch(`http://${server.addr}/modeplatform.v1.ReportService/CreateSubscription`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ parent: report, subscription: { schedule, csvAttachments: true, reportLinks: true, emailSubscribers: ["ana_analyst"], slackChannels: ["#sales"] } }),
    });
    assert.equal(sub.status, 200, await sub.clone().text());
    await page.locator("#spaces").getByRole("button", { name: /^Sales\b/ }).click();
    await open();
    const item = page.locator("#schedules li").filter({ hasText: "Morning numbers" });
    await item.waitFor();
    assert.match(await item.innerText(), /daily at 09:30 \(Pacific Time \(US & Canada\)\); next run .*; 1 subscriber/);
    assert.equal((await item.locator("li.subscription").innerText()).trim(), "CSV attachments, report link → ana_analyst, #sales");
  });

  test("a failing run ends FAILED and shows its query's error (gRPC-Web)", async () => {
    await page.getByRole("button", { name: /^Personal\b/ }).click();
    await page.getByRole("button", { name: /^Churn Model \(broken\)/ }).click();
    await page.getByRole("heading", { level: 2, name: "Churn Model (broken)" }).waitFor();
    await page.getByRole("button", { name: "Run report" }).click();
    await page.locator('#run-states li[data-state="FAILED"]').waitFor({ timeout: 30_000 });
    await page.locator(".query-errors li").first().waitFor();
    assert.match(await page.locator(".query-errors").innerText(), /Churn scores/);
    assert.equal(await page.locator("#results-table").count(), 0, "no result table");
  });

  test("a dataset's page, from its space: fields, descriptions, lineage, a run followed live (Connect)", async () => {
    await page.goto(`http://${server.addr}/ui/?transport=connect`);
    await assertText("#active-transport", wire.connect.label);
    const first = apiRequests.length;
    const heading = page.getByRole("heading", { level: 2, name: "Monthly Revenue by Region" });

    // The space lists its datasets beside its reports, as links to their pages.
    await page.locator("#spaces").getByRole("button", { name: /^Sales\b/ }).click();
    await page.locator("#datasets-status").filter({ hasText: "2 datasets in Sales" }).waitFor();
    await page.locator("#datasets").getByRole("link", { name: /^Monthly Revenue by Region\b/ }).click();
    await heading.waitFor();
    assert.match(new URL(page.url()).hash, /^#\/workspaces\/parch_and_posey\/datasets\/[A-Za-z0-9_-]+$/, "the page has its URL");
    assert.equal(await page.locator("#datasets a[aria-current=page]").innerText().then((t) => t.split("\n")[0].trim()), "Monthly Revenue by Region");
    assert.match(await page.locator("#dataset-details .description").innerText(), /per month and region/);
    assert.equal((await page.locator('#dataset-details dd[data-fact="Space"]').innerText()).trim(), "Sales");

    // Its fields: column, type, description.
    const fieldRows = page.locator("#fields tr");
    await fieldRows.first().waitFor();
    assert.deepEqual(await page.locator("#fields tr th code").allInnerTexts(), ["month", "region", "orders", "units", "revenue_usd"]);
    assert.equal((await page.locator('#fields tr[data-column="region"] td').first().innerText()).trim(), "string");
    assert.equal((await page.locator('#fields tr[data-column="revenue_usd"] td').first().innerText()).trim(), "float");
    const description = (column) => page.locator(`#fields tr[data-column="${column}"] .text`);

    // Write a description (CreateFieldDescription), and see it after a reload.
    await page.getByRole("button", { name: "Describe region", exact: true }).click();
    await page.getByRole("textbox", { name: "Description of region" }).fill("Sales region of the account's rep.");
    await page.getByRole("button", { name: "Save the description of region" }).click();
    await description("region").filter({ hasText: "Sales region of the account's rep." }).waitFor();
    await page.reload();
    await heading.waitFor();
    await description("region").filter({ hasText: "Sales region of the account's rep." }).waitFor();

    // Change it (UpdateFieldDescription, Enter saves); write another and delete it (DeleteFieldDescription).
    await page.getByRole("button", { name: "Edit the description of region" }).click();
    const box = page.getByRole("textbox", { name: "Description of region" });
    assert.equal(await box.inputValue(), "Sales region of the account's rep.");
    await box.fill("The sales region.");
    await box.press("Enter");
    await description("region").filter({ hasText: /^The sales region\.$/ }).waitFor();
    await page.getByRole("button", { name: "Describe units", exact: true }).click();
    await page.getByRole("textbox", { name: "Description of units" }).fill("Items ordered.");
    await page.getByRole("button", { name: "Save the description of units" }).click();
    await description("units").filter({ hasText: "Items ordered." }).waitFor();
    await page.getByRole("button", { name: "Delete the description of units" }).click();
    await page.locator('#fields tr[data-column="units"] .text.none').waitFor();
    await page.reload();
    await heading.waitFor();
    await description("region").filter({ hasText: /^The sales region\.$/ }).waitFor();
    assert.equal((await description("units").innerText()).trim(), "No description");
    assert.match(await page.locator("#fields-status").innerText(), /5 fields, 1 described/);

    // Its lineage: the reports built on it, as links to their pages.
    const lineage = page.locator("#lineage").getByRole("link", { name: "Revenue by Region", exact: true });
    await lineage.waitFor();
    assert.match(await lineage.getAttribute("href"), /^#\/workspaces\/parch_and_posey\/reports\/[A-Za-z0-9_-]+$/);
    assert.ok((await page.locator("#lineage li").count()) >= 1);

    // Run it now: RunDataset, then its states live (WatchDatasetRun) until SUCCEEDED; the runs are read again.
    await page.getByRole("button", { name: "Run now" }).click();
    await page.locator('#dataset-run-states li[data-state="SUCCEEDED"]').waitFor({ timeout: 30_000 });
    const states = await page.locator("#dataset-run-states li").evaluateAll((lis) => lis.map((li) => li.dataset.state));
    assert.equal(states.at(-1), "SUCCEEDED", `states: ${states.join(" → ")}`);
    await page.locator("#dataset-run-status").filter({ hasText: "ended SUCCEEDED" }).waitFor();
    const run = (await page.locator("#dataset-run-name").innerText()).trim();
    const runRow = page.locator('#dataset-run-rows tr[data-state="SUCCEEDED"]').filter({ hasText: run });
    await runRow.waitFor();
    assert.match(await runRow.innerText(), /latest/);
    await page.locator('#dataset-details dd[data-fact="Last run"]').filter({ hasNotText: "—" }).waitFor();
    if (await page.locator("#error").isVisible()) {
      assert.fail(`an error is shown: ${await page.locator("#error").innerText()}`);
    }
    await page.screenshot({ path: join(artifacts, "console-dataset.png"), fullPage: true });

    // Every dataset call of this walk went over Connect.
    const calls = apiRequests.slice(first);
    const paths = calls.map((c) => new URL(c.url).pathname.replace(/^\/modeplatform\.v1\./, ""));
    for (const want of ["ListDatasets", "GetDataset", "ListDatasetFields", "ListDatasetReports", "ListDatasetRuns", "CreateFieldDescription", "UpdateFieldDescription", "DeleteFieldDescription", "RunDataset", "WatchDatasetRun"]) {
      assert.ok(paths.includes(`DatasetService/${want}`), `DatasetService/${want} called (calls: ${paths.join(", ")})`);
    }
    for (const c of calls) assert.match(c.contentType, wire.connect.contentTypes, `${c.url} sent as ${c.contentType}`);

    // A lineage link opens the report's page; back returns to the dataset's.
    await lineage.click();
    await page.getByRole("heading", { level: 2, name: "Revenue by Region" }).waitFor();
    assert.match(new URL(page.url()).hash, /\/reports\//);
    assert.equal(await page.evaluate(() => document.activeElement?.id), "report", "the focus moved to the report's page");
    assert.equal(await page.title(), "Revenue by Region — modeplatform console");
    await page.getByRole("button", { name: "Run report" }).waitFor();
    await page.goBack();
    await heading.waitFor();
    await page.locator("#fields tr").first().waitFor();
  });

  // Needs the workspace-wide reads (ListReports of a workspace, ListReportStats, ListQueries and
  // ListCharts over reports/-, ListSpaces VIEW_BASIC): the Metadata API through the service.
  test("the inventory: every report of the workspace with its statistics, filtered (gRPC-Web)", async () => {
    await page.goto(`http://${server.addr}/ui/?transport=grpcweb`);
    await assertText("#active-transport", wire.grpcweb.label);
    const first = apiRequests.length;
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Inventory", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Inventory of parch_and_posey" }).waitFor();
    assert.equal(new URL(page.url()).hash, "#/workspaces/parch_and_posey/inventory");
    // Loaded, or not: a list that failed (or is not served) says so in the page.
    await page.locator("#inventory-status").filter({ hasText: /reports? in \d+ spaces?|could not be listed/ }).waitFor({ timeout: 30_000 });
    const notes = await page.locator("#inventory-notes").innerText();
    assert.equal(notes.trim(), "", `no list failed: ${notes}`);
    assert.match(await page.locator("#inventory-status").innerText(), /^\d+ reports in \d+ spaces, \d+ queries, \d+ charts\.$/);

    const headers = (await page.locator("#inventory-table thead th").allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(headers, ["Report", "Space", "Queries", "Charts", "Views", "Active schedules", "Editors", "Last run"]);
    const row = (title) => page.locator("#inventory-rows tr").filter({ has: page.getByRole("link", { name: title, exact: true }) });
    const cellsOf = async (title) => {
      const r = row(title);
      assert.equal(await r.count(), 1, `one row of ${title}`);
      const texts = await r.locator("th, td").allInnerTexts();
      return Object.fromEntries(headers.map((hd, i) => [hd, texts[i].trim()]));
    };
    const rows = await page.locator("#inventory-rows tr").count();
    assert.ok(rows >= 10, `${rows} reports listed (the demo's shared spaces hold 10)`);

    const revenue = await cellsOf("Revenue by Region");
    assert.match(revenue.Report, /^Revenue by Region\b/);
    assert.equal(revenue.Space, "Sales");
    assert.equal(revenue.Queries, "1");
    assert.equal(revenue.Charts, "1");
    assert.equal(revenue.Views, "3");
    assert.equal(revenue["Active schedules"], "0");
    assert.match(revenue.Editors, /ana_analyst@parchandposey\.com/);
    const leaderboard = await cellsOf("Sales Rep Leaderboard");
    assert.equal(leaderboard.Queries, "2");
    assert.equal(leaderboard.Charts, "2");
    assert.equal(leaderboard.Views, "114");
    // The schedule test scheduled Large Orders by Region: one active schedule.
    assert.equal((await cellsOf("Large Orders by Region"))["Active schedules"], "1");
    // A report of a space the sidebar does not list (Executive: restricted, not joined), named by ListSpaces VIEW_BASIC.
    const exec = await cellsOf("Executive Summary");
    assert.equal(exec.Space, "Executive");
    assert.equal(exec.Queries, "3");
    // Every report has its statistics.
    for (const views of await page.locator("#inventory-rows tr td:nth-child(5)").allInnerTexts()) {
      assert.match(views.trim(), /^\d+$/, "a view count in every row");
    }
    assert.match(await page.locator("#inventory-count").innerText(), new RegExp(`^All ${rows} reports shown\\.$`));

    // The filter box narrows the table (every word must match: title, description, space, editor).
    const filter = page.getByLabel("Filter", { exact: true });
    await filter.fill("leader");
    assert.deepEqual(await page.locator("#inventory-rows tr:not([hidden]) th a").allInnerTexts(), ["Sales Rep Leaderboard"]);
    assert.equal((await page.locator("#inventory-count").innerText()).trim(), `1 of ${rows} reports shown.`);
    await filter.fill("executive");
    assert.ok((await page.locator("#inventory-rows tr:not([hidden])").count()) >= 2, "the Executive space's reports");
    await filter.fill("no such report anywhere");
    assert.equal(await page.locator("#inventory-rows tr:not([hidden])").count(), 0);
    assert.equal((await page.locator("#inventory-count").innerText()).trim(), "No report matches.");
    await filter.fill("");
    assert.equal(await page.locator("#inventory-rows tr:not([hidden])").count(), rows);
    await page.screenshot({ path: join(artifacts, "console-inventory.png"), fullPage: true });

    const calls = apiRequests.slice(first);
    const paths = calls.map((c) => new URL(c.url).pathname.replace(/^\/modeplatform\.v1\./, ""));
    for (const want of ["ReportService/ListReports", "ReportService/ListReportStats", "ReportService/ListQueries", "ReportService/ListCharts", "WorkspaceService/ListSpaces"]) {
      assert.ok(paths.includes(want), `${want} called (calls: ${paths.join(", ")})`);
    }
    for (const c of calls) assert.match(c.contentType, wire.grpcweb.contentTypes, `${c.url} sent as ${c.contentType}`);

    // A report's title opens its page.
    await row("Revenue by Region").getByRole("link", { name: "Revenue by Region", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Revenue by Region" }).waitFor();
    assert.match(new URL(page.url()).hash, /^#\/workspaces\/parch_and_posey\/reports\//);
  });

  // ---- people and access (issue 16): the members page and the audit log, for admins only.
  //
  // Without a caller policy (this server) every caller holds every scope, so the header shows the
  // links. A method the server does not serve makes the page say "not served by this server yet"
  // instead of its answer: these tests then fail, as they should.

  test("the members page (no caller policy: an admin): members, groups, a group made and filled, space access, invitations, the credential (Connect)", async () => {
    await page.goto(`http://${server.addr}/ui/?transport=connect`);
    await assertText("#active-transport", wire.connect.label);
    const first = apiRequests.length;
    const nav = page.getByRole("navigation", { name: "Pages" });
    // TestPermissions says the caller holds SCOPE_ADMIN: both links show.
    await nav.getByRole("link", { name: "Audit log", exact: true }).waitFor();
    await nav.getByRole("link", { name: "Members", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Members of parch_and_posey" }).waitFor();
    assert.equal(new URL(page.url()).hash, "#/workspaces/parch_and_posey/members");
    assert.equal(await page.title(), "Members of parch_and_posey — modeplatform console");
    assert.equal(await nav.getByRole("link", { name: "Members", exact: true }).getAttribute("aria-current"), "page");

    // The members (ListMemberships): the demo's five, with their roles.
    await page.locator("#member-list-status").filter({ hasText: /\d+ members?:/ }).waitFor();
    const usernames = await page.locator("#member-rows tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.username));
    for (const u of ["ana_analyst", "ben_builder", "carla_ceo", "dev_engineer", "erin_marketing"]) {
      assert.ok(usernames.includes(u), `${u} among the members: ${usernames.join(", ")}`);
    }
    const cells = async (u) => (await page.locator(`#member-rows tr[data-username="${u}"] td`).allInnerTexts()).map((c) => c.trim());
    assert.equal((await cells("ana_analyst"))[0], "admin");
    assert.equal((await cells("ben_builder"))[0], "member");
    assert.equal((await cells("ben_builder"))[1], "active");

    // Remove asks first: dismissed, no one is removed.
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.getByRole("button", { name: "Remove ben_builder from the workspace", exact: true }).click();
    assert.match(asked, /^Remove ben_builder from parch_and_posey\?/);
    assert.ok(!apiRequests.slice(first).some((c) => c.url.endsWith("/DeleteMembership")), "no DeleteMembership after a dismissed confirm");
    await page.locator('#member-rows tr[data-username="ben_builder"]').waitFor();

    // The groups (ListGroups) with their members (ListGroupMemberships).
    const groupRow = (title) => page.locator("#group-rows tr").filter({ has: page.locator(`th .group-title`, { hasText: new RegExp(`^${title}$`) }) });
    await groupRow("Analysts").waitFor();
    const titles = await page.locator("#group-rows tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.title));
    for (const g of ["Everyone", "Analysts", "Executives"]) assert.ok(titles.includes(g), `${g} among the groups: ${titles.join(", ")}`);
    const chips = (title) => groupRow(title).locator("li.chip").evaluateAll((lis) => lis.map((li) => li.dataset.username));
    await groupRow("Analysts").locator("li.chip").first().waitFor();
    assert.deepEqual(await chips("Analysts"), ["ana_analyst", "ben_builder", "dev_engineer"]);
    assert.deepEqual(await chips("Executives"), ["carla_ceo"]);

    // A group made (CreateGroup), two members added (CreateGroupMembership, picked from the
    // members), one removed (DeleteGroupMembership), and renamed (UpdateGroup).
    const made = `Web crew ${Date.now().toString(36)}`;
    await page.getByLabel("New group", { exact: true }).fill(made);
    await page.getByRole("button", { name: "Create group", exact: true }).click();
    await groupRow(made).waitFor();
    await page.locator("#groups-status").filter({ hasText: `Created the group ${made}.` }).waitFor();
    assert.match(await groupRow(made).locator("td").first().innerText(), /No members\./);
    for (const who of ["erin_marketing", "ben_builder"]) {
      await page.getByLabel(`Member to add to ${made}`, { exact: true }).selectOption({ label: who });
      await page.getByRole("button", { name: `Add the member to ${made}`, exact: true }).click();
      await groupRow(made).locator(`li.chip[data-username="${who}"]`).waitFor();
    }
    assert.deepEqual(await chips(made), ["ben_builder", "erin_marketing"]);
    // The picker offers only who is not in the group yet.
    const offered = await page.getByLabel(`Member to add to ${made}`, { exact: true }).locator("option").allInnerTexts();
    assert.ok(!offered.includes("erin_marketing") && offered.includes("carla_ceo"), `offered: ${offered.join(", ")}`);
    await page.getByRole("button", { name: `Remove ben_builder from ${made}`, exact: true }).click();
    await groupRow(made).locator('li.chip[data-username="ben_builder"]').waitFor({ state: "detached" });
    assert.deepEqual(await chips(made), ["erin_marketing"]);
    await page.locator("#groups-status").filter({ hasText: `Removed ben_builder from ${made}.` }).waitFor();
    madeGroup = { created: made, title: `${made} renamed` };
    await page.getByRole("button", { name: `Rename ${made}`, exact: true }).click();
    const newName = page.getByRole("textbox", { name: `New name of ${made}` });
    assert.equal(await newName.inputValue(), made);
    await newName.fill(madeGroup.title);
    await newName.press("Enter");
    await groupRow(madeGroup.title).waitFor();
    await page.locator("#groups-status").filter({ hasText: `Renamed ${made} to ${madeGroup.title}.` }).waitFor();
    assert.deepEqual(await chips(madeGroup.title), ["erin_marketing"], "the members stay with the new name");

    // Space access: the restricted Executive space is seen through the Executives group; give
    // erin_marketing access (CreateSpaceMembership), see it with her e-mail, revoke it
    // (DeleteSpaceMembership).
    const spacePick = page.getByLabel("Space", { exact: true });
    const executive = await spacePick.locator("option").filter({ hasText: /^Executive\b/ }).getAttribute("value");
    await spacePick.selectOption(executive);
    const grantRow = (who) => page.locator(`#space-access-rows tr[data-who="${who}"]`);
    await grantRow("Executives").waitFor();
    assert.equal((await grantRow("Executives").locator("td").first().innerText()).trim(), "group");
    await page.getByLabel("Give access to", { exact: true }).selectOption({ label: "erin_marketing" });
    await page.getByRole("button", { name: "Grant", exact: true }).click();
    await grantRow("erin_marketing").waitFor();
    const memberEmail = (await grantRow("erin_marketing").locator("td").nth(1).innerText()).trim();
    assert.match(memberEmail, /^[^@\s]+@[^@\s]+$/, "a member's grant shows their e-mail");
    await page.getByRole("button", { name: /^Revoke the access of erin_marketing to Executive/ }).click();
    await grantRow("erin_marketing").waitFor({ state: "detached" });
    await grantRow("Executives").waitFor();

    // Invitations (InviteMembers): a new address and an existing member's (erin's, just read),
    // comma or newline separated; each address's outcome.
    const newAddress = `web16-${Date.now().toString(36)}@example.com`;
    await page.getByLabel(/^E-mail addresses/).fill(`${newAddress},\n${memberEmail}`);
    await page.getByLabel("Message", { exact: true }).fill("Welcome to the Parch & Posey workspace.");
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    const items = page.locator("#invite-results li");
    await items.nth(1).waitFor();
    const outcomes = await items.evaluateAll((lis) => lis.map((li) => [li.dataset.email, li.dataset.outcome]));
    assert.deepEqual(outcomes, [
      [newAddress, "invited"],
      [memberEmail, "already-member"],
    ]);
    assert.match(await items.nth(0).innerText(), new RegExp(`^${newAddress.replace(/[.]/g, "\\.")} — invited`));
    assert.match(await items.nth(1).innerText(), /already a member/);
    assert.equal((await page.locator("#invite-status").innerText()).trim(), "1 invited, 1 already a member, 0 refused.");
    assert.equal(await page.getByLabel(/^E-mail addresses/).inputValue(), "", "nothing left to correct");
    // The contract: an invited person appears as an invited member (the members are read again).
    const invitee = page.locator("#member-rows tr").filter({ hasText: "invited, not joined yet" }).first();
    await invitee.waitFor();

    // Removing a member (DeleteMembership), confirmed: the invitee goes.
    const inviteeName = await invitee.getAttribute("data-username");
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: `Remove ${inviteeName} from the workspace`, exact: true }).click();
    await page.locator(`#member-rows tr[data-username="${inviteeName}"]`).waitFor({ state: "detached" });
    assert.match(await page.locator("#member-list-status").innerText(), new RegExp(`^Removed ${inviteeName} from the workspace\\.`));

    // The identity behind the service's credential (GetCredential): a username, no secret.
    const card = page.locator("#credential-body dl");
    await card.waitFor();
    const username = (await card.locator('dd[data-fact="Username"]').innerText()).trim();
    assert.match(username, /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, `a username: ${username}`);
    const text = await card.innerText();
    assert.doesNotMatch(text, /[A-Za-z0-9+/=_-]{24,}/, `nothing that looks like a key or a secret:\n${text}`);
    assert.doesNotMatch(text, /secret|password|bearer/i);
    assert.match(await card.locator('dd[data-fact="Mode accepts it"]').innerText(), /^yes$/);

    if (await page.locator("#error").isVisible()) {
      assert.fail(`an error is shown: ${await page.locator("#error").innerText()}`);
    }
    await page.screenshot({ path: join(artifacts, "console-members.png"), fullPage: true });
    const calls = apiRequests.slice(first);
    const paths = calls.map((c) => new URL(c.url).pathname.replace(/^\/modeplatform\.v1\./, ""));
    for (const want of ["TestPermissions", "ListMemberships", "ListGroups", "ListGroupMemberships", "CreateGroup", "CreateGroupMembership", "DeleteGroupMembership", "UpdateGroup", "ListSpaceMemberships", "CreateSpaceMembership", "DeleteSpaceMembership", "InviteMembers", "DeleteMembership", "GetCredential"]) {
      assert.ok(paths.includes(`WorkspaceService/${want}`), `WorkspaceService/${want} called (calls: ${paths.join(", ")})`);
    }
    for (const c of calls) assert.match(c.contentType, wire.connect.contentTypes, `${c.url} sent as ${c.contentType}`);
  });

  test("the audit log: what the members test did, newest at the top, then a deletion in another tab, live (gRPC-Web)", async () => {
    assert.ok(madeGroup !== undefined, "the members test made a group");
    await page.goto(`http://${server.addr}/ui/?transport=grpcweb`);
    await assertText("#active-transport", wire.grpcweb.label);
    const first = apiRequests.length;
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Audit log", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Audit log of parch_and_posey" }).waitFor();
    assert.equal(new URL(page.url()).hash, "#/workspaces/parch_and_posey/audit");

    // The events since an hour ago (the page's default start), in order, newest at the top.
    const events = () =>
      page.locator("#audit-rows tr").evaluateAll((trs) => trs.map((tr) => ({ key: tr.dataset.name, action: tr.dataset.action, type: tr.dataset.entityType, name: tr.dataset.entityName, time: Number(tr.dataset.time) })));
    const isGroupCreated = (e) => /group/i.test(e.action) && !/member/i.test(e.action) && /creat|add/i.test(e.action) && e.name === madeGroup.created;
    // (a group membership: not the space membership given to the same member later)
    const isMemberAdded = (e) => /group/i.test(e.action) && /member/i.test(e.action) && /creat|add/i.test(e.action) && e.name === "erin_marketing";
    const isInvite = (e) => /invit/i.test(e.action);
    const found = await waitFor(async () => {
      const evs = await events();
      const at = [isInvite, isMemberAdded, isGroupCreated].map((p) => evs.findIndex(p));
      return at.every((i) => i >= 0) ? { evs, at } : undefined;
    }, 30_000, async () => `events: ${JSON.stringify(await events())}`);
    const [invite, added, created] = found.at;
    assert.ok(invite < added && added < created, `newest at the top: invite ${invite}, membership added ${added}, group created ${created}`);
    const times = found.evs.map((e) => e.time);
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "rows newest first");
    assert.equal(new Set(found.evs.map((e) => e.key)).size, found.evs.length, "no event shown twice");
    const createdRow = page.locator("#audit-rows tr").nth(created);
    const cells = (await createdRow.locator("td").allInnerTexts()).map((c) => c.trim());
    assert.ok(cells[0] !== "" && cells[1] !== "", `time and actor: ${cells.join(" | ")}`);
    assert.match(cells[3], new RegExp(`${madeGroup.created}$`), "the entity: its type and name");

    // Live: the group is deleted in another tab (confirmed); its event arrives at the top.
    const other = await context.newPage();
    other.on("pageerror", (err) => pageErrors.push(`page error (second tab): ${err.message}`));
    await other.goto(`http://${server.addr}/ui/?transport=connect#/workspaces/parch_and_posey/members`);
    const row = other.locator("#group-rows tr").filter({ has: other.locator("th .group-title", { hasText: madeGroup.title }) });
    await row.waitFor();
    other.once("dialog", (d) => void d.accept());
    await other.getByRole("button", { name: `Delete ${madeGroup.title}`, exact: true }).click();
    await row.waitFor({ state: "detached" });
    await other.close();
    const before = found.evs.length;
    const top = await waitFor(async () => {
      const evs = await events();
      return /group/i.test(evs[0]?.action ?? "") && /delet|remov/i.test(evs[0].action) && evs[0].name === madeGroup.title ? evs : undefined;
    }, 20_000, async () => `events: ${JSON.stringify((await events()).slice(0, 5))}`);
    assert.ok(top.length > before, "the deletion added a row");
    assert.equal(new Set(top.map((e) => e.key)).size, top.length, "no event shown twice");
    assert.match(await page.locator("#audit-status").innerText(), /following live/);

    // Pause and resume: aria-pressed says which; nothing is lost or repeated.
    const pause = page.getByRole("button", { name: "Pause", exact: true });
    await pause.click();
    const resume = page.getByRole("button", { name: "Resume", exact: true });
    assert.equal(await resume.getAttribute("aria-pressed"), "true");
    assert.match(await page.locator("#audit-status").innerText(), /^Paused/);
    await resume.click();
    assert.equal(await pause.getAttribute("aria-pressed"), "false");
    await page.locator("#audit-status").filter({ hasText: "following live" }).waitFor();
    await page.waitForTimeout(500);
    const again = await events();
    assert.equal(new Set(again.map((e) => e.key)).size, again.length, "no event shown twice after Resume");

    // The filter starts the stream anew: only that action.
    await page.getByLabel("Action", { exact: true }).fill(found.evs[created].action);
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    const filtered = await waitFor(async () => {
      const evs = await events();
      return evs.some(isGroupCreated) ? evs : undefined;
    }, 20_000, async () => `events: ${JSON.stringify(await events())}`);
    assert.deepEqual([...new Set(filtered.map((e) => e.action))], [found.evs[created].action]);

    // Load earlier: one ListAuditEvents over the day before the start.
    await page.getByRole("button", { name: "Load earlier", exact: true }).click();
    await page.locator("#audit-earlier-status").filter({ hasText: /earlier events? from|not served|failed/ }).waitFor();
    assert.match(await page.locator("#audit-earlier-status").innerText(), /^\d+ earlier events? from /);

    if (await page.locator("#error").isVisible()) {
      assert.fail(`an error is shown: ${await page.locator("#error").innerText()}`);
    }
    await page.screenshot({ path: join(artifacts, "console-audit.png"), fullPage: true });
    // Every call of this page went over gRPC-Web (the second tab's are not counted).
    const calls = apiRequests.slice(first);
    const paths = calls.map((c) => new URL(c.url).pathname.replace(/^\/modeplatform\.v1\./, ""));
    for (const want of ["TestPermissions", "StreamAuditEvents", "ListAuditEvents"]) {
      assert.ok(paths.includes(`WorkspaceService/${want}`), `WorkspaceService/${want} called (calls: ${paths.join(", ")})`);
    }
    for (const c of calls) assert.match(c.contentType, wire.grpcweb.contentTypes, `${c.url} sent as ${c.contentType}`);
  });

  test("the audit log resumes a dropped stream after its last event, shows none twice; Pause, Resume and the filter (Connect, a scripted stream)", async () => {
    // The stream's answers are scripted here (Playwright's routing, the Connect protocol's
    // envelopes), so the drops happen on cue: this part needs no audit log from the server.
    const requests = [];
    const held = [];
    const now = Date.now();
    const event = (n, minutesAgo) => ({
      auditEvent: {
        name: `workspaces/parch_and_posey/auditEvents/scripted-${n}`,
        eventTime: new Date(now - minutesAgo * 60_000).toISOString(),
        action: "scripted.event",
        description: `Scripted event ${n}.`,
        actorUsername: "ana_analyst",
        actorIp: "127.0.0.1",
        entityType: "Scripted",
        entityName: `event ${n}`,
      },
      resumeToken: `token-${n}`,
    });
    const dropped = { error: { code: "unavailable", message: "dropped by the test" } };
    const answers = [
      [event(1, 3), event(2, 2), dropped], // first: two events, then the stream drops
      [event(2, 2), event(3, 1), dropped], // resumed after token-2: a repeat (shown once) and a new one, dropped again
      null, // resumed after token-3: held open (following, nothing new)
      [event(4, 0), {}], // after Resume, from token-3: one more, then the server ends the stream
      null, // resumed after token-4: held open
      null, // the filter applied: a fresh stream, held open
    ];
    await page.route("**/modeplatform.v1.WorkspaceService/StreamAuditEvents", async (route) => {
      const body = route.request().postDataBuffer();
      requests.push(JSON.parse(body.subarray(5).toString("utf8")));
      const answer = answers[requests.length - 1];
      if (answer === null || answer === undefined) {
        held.push(route);
        return;
      }
      const frames = answer.map((m, i) => envelope(i === answer.length - 1 && !("auditEvent" in m) ? 2 : 0, m));
      await route.fulfill({ status: 200, headers: { "content-type": "application/connect+json" }, body: Buffer.concat(frames) });
    });
    try {
      await page.goto(`http://${server.addr}/ui/?transport=connect#/workspaces/parch_and_posey/audit`);
      await page.getByRole("heading", { level: 2, name: "Audit log of parch_and_posey" }).waitFor();
      const keys = () => page.locator("#audit-rows tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.name.replace(/^.*\//, "")));
      await waitFor(async () => requests.length >= 3, 15_000, () => `${requests.length} stream requests`);
      await waitFor(async () => (await keys()).length === 3, 5_000, async () => `rows: ${await keys()}`);
      assert.deepEqual(await keys(), ["scripted-3", "scripted-2", "scripted-1"], "newest at the top, event 2 once");
      assert.equal(requests[0].resumeToken, undefined, "the first stream starts at the filter's time");
      assert.ok(requests[0].filter?.startTime, "with a start time");
      assert.equal(requests[1].resumeToken, "token-2", "resumed after the last event received");
      assert.equal(requests[2].resumeToken, "token-3");
      const row = (await page.locator('#audit-rows tr[data-name$="/scripted-3"] td').allInnerTexts()).map((c) => c.trim());
      assert.equal(row[1], "ana_analyst");
      assert.match(row[2], /^scripted\.event/);
      assert.equal(row[3], "Scripted: event 3");
      assert.equal(row[4], "127.0.0.1");

      // Pause stops following; Resume goes on after the last event (token-3), without a repeat.
      const pause = page.getByRole("button", { name: "Pause", exact: true });
      await pause.click();
      await page.getByRole("button", { name: "Resume", exact: true }).click();
      await waitFor(async () => requests.length >= 5, 15_000, () => `${requests.length} stream requests`);
      assert.equal(requests[3].resumeToken, "token-3", "Resume goes on after the last event");
      assert.equal(requests[4].resumeToken, "token-4", "a stream the server ended is resumed too");
      await waitFor(async () => (await keys()).length === 4, 5_000, async () => `rows: ${await keys()}`);
      assert.deepEqual(await keys(), ["scripted-4", "scripted-3", "scripted-2", "scripted-1"]);

      // The filter starts a fresh stream: its fields, no token, no rows from before.
      await page.getByLabel("Actor", { exact: true }).fill("ben_builder");
      await page.getByLabel("Entity type", { exact: true }).fill("Report");
      await page.getByRole("button", { name: "Apply", exact: true }).click();
      await waitFor(async () => requests.length >= 6, 10_000, () => `${requests.length} stream requests`);
      assert.equal(requests[5].resumeToken, undefined);
      assert.equal(requests[5].filter.actorUsername, "ben_builder");
      assert.equal(requests[5].filter.entityType, "Report");
      assert.deepEqual(await keys(), []);
      assert.match(await page.locator("#audit-status").innerText(), /by ben_builder, on Report/);
    } finally {
      await page.unrouteAll({ behavior: "ignoreErrors" });
      // The console's start page again, as the tests after this one expect (over gRPC-Web).
      await page.goto(`http://${server.addr}/ui/?transport=grpcweb`);
      await page.getByRole("button", { name: /^Sales\b/ }).waitFor();
    }
  });

  test("with a caller policy: the admin pages show only to a key holding admin; others are refused politely (gRPC-Web)", async () => {
    // A second server, with a policy: an admin key and a read-only one.
    const keys = { admin: "web-test-admin-key-0123456789", reader: "web-test-reader-key-0123456789" };
    const sha = (k) => `sha256:${createHash("sha256").update(k).digest("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), "modeplatform-web-policy-"));
    const policy = join(dir, "policy.yaml");
    writeFileSync(
      policy,
      [
        "callers:",
        "  - name: web-admin",
        `    keys: ["${sha(keys.admin)}"]`,
        '    workspaces: ["*"]',
        "    scopes: [read, write, run, admin]",
        "  - name: web-reader",
        `    keys: ["${sha(keys.reader)}"]`,
        "    workspaces: [parch_and_posey]",
        "    scopes: [read]",
        "",
      ].join("\n"),
    );
    const guarded = await startServer({ args: ["--policy", policy], logName: "modeplatform-web-policy.log" });
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "en-US", timezoneId: "UTC" });
    try {
      const p = await ctx.newPage();
      p.setDefaultTimeout(20_000);
      p.on("pageerror", (err) => pageErrors.push(`page error (policy): ${err.message}`));
      const calls = [];
      p.on("request", (req) => {
        const path = new URL(req.url()).pathname;
        if (path.startsWith("/modeplatform.v1.")) calls.push(path.replace(/^\/modeplatform\.v1\./, ""));
      });
      const setKey = async (key) => {
        const details = p.locator("details.credentials");
        if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
        const before = calls.length;
        await p.getByLabel("Bearer token (optional)").fill(key);
        await p.getByLabel("Bearer token (optional)").press("Tab"); // change: the links are checked again
        await waitFor(async () => calls.slice(before).includes("WorkspaceService/TestPermissions"), 10_000, () => calls.join(", "));
      };
      const nav = p.getByRole("navigation", { name: "Pages" });
      const adminKnown = async (want) => waitFor(async () => (await p.locator("body").getAttribute("data-admin")) === String(want), 10_000, () => "data-admin");

      await p.goto(`http://${guarded.addr}/ui/?transport=grpcweb`);
      await nav.getByRole("link", { name: "Inventory", exact: true }).waitFor();
      // No key: the server cannot say (Unauthenticated): no admin links.
      await adminKnown(false);
      assert.equal(await nav.getByRole("link", { name: "Members" }).count(), 0);

      // A read-only key: still no links; the pages opened by URL refuse, reading nothing.
      await setKey(keys.reader);
      await adminKnown(false);
      assert.equal(await nav.getByRole("link", { name: "Members" }).count(), 0);
      assert.equal(await nav.getByRole("link", { name: "Audit log" }).count(), 0);
      const before = calls.length;
      await p.evaluate(() => (window.location.hash = "#/workspaces/parch_and_posey/members"));
      await p.getByRole("heading", { level: 2, name: "Members of parch_and_posey" }).waitFor();
      const refusal = p.locator('#members-gate .refusal[data-reason="no-admin"]');
      await refusal.waitFor();
      assert.match(await refusal.innerText(), /^The members page is for the administrators of parch_and_posey\./);
      assert.ok(await p.locator("#members-body").isHidden());
      assert.ok(await p.locator("#groups").isHidden());
      await p.evaluate(() => (window.location.hash = "#/workspaces/parch_and_posey/audit"));
      const auditRefusal = p.locator('#audit-gate .refusal[data-reason="no-admin"]');
      await auditRefusal.waitFor();
      assert.match(await auditRefusal.innerText(), /^The audit log is for the administrators of parch_and_posey\./);
      const read = calls.slice(before).filter((c) => c !== "WorkspaceService/TestPermissions");
      assert.deepEqual(read, [], "a refused page reads nothing");

      // The admin key: the links show, and the page shown opens.
      await setKey(keys.admin);
      await adminKnown(true);
      await nav.getByRole("link", { name: "Members", exact: true }).waitFor();
      await auditRefusal.waitFor({ state: "detached" });
      await nav.getByRole("link", { name: "Members", exact: true }).click();
      await p.locator('#member-rows tr[data-username="ana_analyst"]').waitFor();
      assert.equal(await p.locator("#members-gate").innerText(), "");
    } finally {
      await ctx.close();
      await guarded.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the API page renders the REST routes' OpenAPI document (Swagger UI, its own chunk, loaded by that page only)", async () => {
    const scripts = [];
    const onRequest = (req) => {
      if (req.resourceType() === "script") scripts.push(new URL(req.url()).pathname);
    };
    page.on("request", onRequest);
    try {
      await page.goto(`http://${server.addr}/ui/`);
      await page.getByRole("button", { name: /^Sales\b/ }).waitFor();
      assert.ok(!scripts.some((s) => /swagger/i.test(s)), `the start page loads no Swagger UI (scripts: ${scripts.join(", ")})`);

      await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "API", exact: true }).click();
      assert.equal(new URL(page.url()).hash, "#/api");
      await page.getByRole("heading", { level: 2, name: "API reference" }).waitFor();
      // The document's title and an operation of it: GET a report, tagged with its service.
      await page.locator("#api-root .swagger-ui .info .title").filter({ hasText: "modeplatform" }).waitFor({ timeout: 60_000 });
      const getReport = page.locator('#api-root .opblock-get .opblock-summary-path[data-path="/v1/workspaces/{workspace}/reports/{report}"]');
      await getReport.waitFor();
      assert.ok(await page.locator('#api-root .opblock-post .opblock-summary-path[data-path="/v1/workspaces/{workspace}/reports/{report}:run"]').count() > 0, "the custom method :run is listed");
      assert.ok(scripts.some((s) => /swagger-ui/.test(s)), `the API page loaded Swagger UI's chunk (scripts: ${scripts.join(", ")})`);
      // Opened, the operation shows its description from the contract's comments.
      await getReport.click();
      await page.locator("#api-root .opblock-get.is-open").filter({ hasText: "GetReport returns one report." }).waitFor();
      assert.equal(await page.title(), "API reference — modeplatform console");
      await page.screenshot({ path: join(artifacts, "console-api.png"), fullPage: false });
    } finally {
      page.off("request", onRequest);
    }
  });

  test("errors show their Connect code and message (gRPC-Web)", async () => {
    // A page of its own: the API page's Swagger UI (the test before) labels its controls with
    // "workspace" too.
    await page.goto(`http://${server.addr}/ui/?transport=grpcweb`);
    await page.getByRole("button", { name: /^Sales\b/ }).waitFor();
    await page.getByLabel("Workspace", { exact: true }).fill("no_such_workspace");
    await page.getByRole("button", { name: "Load spaces" }).click();
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "not_found" }).waitFor();
    assert.match(await alert.innerText(), /ListSpaces failed: not_found .*no_such_workspace/);
  });

  test("no page errors, no console errors (the Content-Security-Policy allows what the page does)", () => {
    // The error test's failed call logs nothing of its own: Chromium logs failed fetches only for
    // network errors, and the 404 of a Connect unary call is one such "failed to load resource".
    const unexpected = pageErrors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
