// The web console in a real browser: Playwright (playwright-core) drives Debian's Chromium,
// headless, against the real modeplatform binary serving the console under /ui/ and the demo
// workspace from its built-in emulator. Over the Connect protocol, then over gRPC-Web (the page's
// transport switch): pick Sales, open "Large Orders by Region", set region=West, run it, watch it
// reach SUCCEEDED live, and check the result table (every region cell is West) and chart. Then a
// dataset's page, opened from its space (fields, a description written, changed and deleted,
// lineage, a run followed live), and the workspace's inventory (every report with its statistics).
// Screenshots go to test-artifacts/ (console-connect.png, console-grpcweb.png, console-dataset.png,
// console-inventory.png), with the server's log (modeplatform-web.log).
//
//   cd web && npm run test:browser          (scripts/test-web.sh runs it after its set-up)
//
// Environment: MODEPLATFORM_ADDR (host:port of a running server; without it the test builds
// ./cmd/modeplatform and starts it), CHROMIUM (default /usr/bin/chromium), ARTIFACTS_DIR (default
// ../test-artifacts from web/).
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
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

/** Starts the server: the binary, built into a temp dir, on a free loopback port. */
async function startServer() {
  if (process.env.MODEPLATFORM_ADDR) {
    return { addr: process.env.MODEPLATFORM_ADDR, stop: async () => {}, log: () => "" };
  }
  const dir = mkdtempSync(join(tmpdir(), "modeplatform-web-"));
  const bin = join(dir, "modeplatform");
  execFileSync("go", ["build", "-o", bin, "./cmd/modeplatform"], { cwd: repoDir, stdio: "inherit" });
  // No MODE_* variable reaches it: always the emulator, never real Mode.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MODE_")));
  const child = spawn(bin, ["--listen", "127.0.0.1:0", "--admin-listen", "off"], { env, stdio: ["ignore", "ignore", "pipe"] });
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
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(join(artifacts, "modeplatform-web.log"), stderr);
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
let page;
const apiRequests = []; // { url, contentType } of every API call the page makes
const pageErrors = []; // uncaught exceptions and console errors (CSP violations among them)

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer();
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "en-US", timezoneId: "UTC" });
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

  test("errors show their Connect code and message (gRPC-Web)", async () => {
    await page.getByLabel("Workspace").fill("no_such_workspace");
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
