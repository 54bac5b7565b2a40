// The web console in a real browser: Playwright (playwright-core) drives Debian's Chromium,
// headless, against the real modeplatform binary serving the console under /ui/ and the demo
// workspace from its built-in emulator. Over the Connect protocol, then over gRPC-Web (the page's
// transport switch): pick Sales, open "Large Orders by Region", set region=West, run it, watch it
// reach SUCCEEDED live, and check the result table (every region cell is West) and chart.
// Screenshots go to test-artifacts/ (console-connect.png, console-grpcweb.png), with the server's
// log (modeplatform-web.log).
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

  // Pick a space, open the report.
  await page.getByRole("button", { name: /^Sales\b/ }).click();
  await page.getByRole("button", { name: /^Large Orders by Region\b/ }).click();
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
