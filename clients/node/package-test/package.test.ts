// The installed npm package @modeplatform/client against a real modeplatform server started with a
// caller policy. scripts/test-clients.sh packs the package (npm pack), installs the tarball into an
// empty project outside the repository, compiles this file there against the package's .d.ts
// declarations and runs it:
//
//   MODEPLATFORM_ADDR=host:port MODEPLATFORM_KEY=<a key of the policy> MODEPLATFORM_VERSION=<clients/VERSION> \
//     node --test out/package.test.js
import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  CONTRACT_PACKAGE,
  Column_Type,
  ExportQueryResultsRequest_Format,
  ReportRun_State,
  ReportService,
  VERSION,
  createModeplatformClient,
  file_modeplatform_v1_report,
  isTerminal,
  type ModeplatformClient,
  type Row,
} from "@modeplatform/client";
import { createNodeClient, type NodeClientOptions } from "@modeplatform/client/node";
import { ReportService as ReportServiceFromSubpath } from "@modeplatform/client/v1/report_pb";

const addr = process.env.MODEPLATFORM_ADDR!;
const key = process.env.MODEPLATFORM_KEY!;
const baseUrl = `http://${addr}`;
const workspace = "workspaces/parch_and_posey";
const largeOrders = `${workspace}/reports/dc63649ea16c`; // "Large Orders by Region", parameter region
const columnNames = ["order_id", "account", "region", "occurred_at", "total", "total_amt_usd"];
const noRun = `${largeOrders}/runs/000000000000`;

/** A signal for one call or stream: each gets its own generous deadline. */
const deadline = () => AbortSignal.timeout(60_000);

const protocols: { name: string; options: Omit<NodeClientOptions, "baseUrl" | "key"> }[] = [
  { name: "Connect, HTTP/1.1, JSON", options: {} },
  { name: "Connect, HTTP/2, binary", options: { httpVersion: "2", useBinaryFormat: true } },
  { name: "gRPC", options: { protocol: "grpc" } },
];

describe("the installed package", () => {
  test("comes from node_modules, not the repository", () => {
    const require = createRequire(import.meta.url);
    const pkgJson = realpathSync(require.resolve("@modeplatform/client/package.json"));
    const here = realpathSync(fileURLToPath(new URL("..", import.meta.url)));
    assert.ok(pkgJson.startsWith(`${here}/node_modules/@modeplatform/client/`), pkgJson);
  });

  test("its version follows the contract", () => {
    const require = createRequire(import.meta.url);
    const pkg = require("@modeplatform/client/package.json") as { version: string; dependencies: Record<string, string> };
    assert.equal(VERSION, process.env.MODEPLATFORM_VERSION);
    assert.equal(pkg.version, VERSION);
    assert.equal(CONTRACT_PACKAGE, "modeplatform.v1");
    assert.equal(file_modeplatform_v1_report.proto.package, CONTRACT_PACKAGE);
    assert.equal(VERSION.split(".")[0], CONTRACT_PACKAGE.replace(/^modeplatform\.v/, ""));
  });

  test("the root and the v1 subpath export the same descriptors", () => {
    assert.equal(ReportService, ReportServiceFromSubpath);
    assert.equal(ReportService.typeName, "modeplatform.v1.ReportService");
  });

  test("refuses bad options", () => {
    const cases: [string, () => unknown, RegExp][] = [
      ["an empty key", () => createNodeClient({ baseUrl, key: "" }), /key must be non-empty/],
      ["a key with a newline", () => createNodeClient({ baseUrl, key: "mp_secret\nx" }), /printable ASCII/],
      ["host:port, no scheme", () => createNodeClient({ baseUrl: "127.0.0.1:8080" }), /is not a URL/],
      ["another scheme", () => createNodeClient({ baseUrl: "ftp://example.com" }), /must start with http/],
      ["not a URL", () => createNodeClient({ baseUrl: "http://" }), /is not a URL/],
    ];
    for (const [name, make, message] of cases) {
      assert.throws(make, (err: Error) => {
        assert.ok(err instanceof TypeError, name);
        assert.match(err.message, message, name);
        assert.doesNotMatch(err.message, /mp_secret/, `${name}: the error shows the key`);
        return true;
      });
    }
  });
});

for (const { name, options } of protocols) {
  describe(name, () => {
    test("the key reaches the caller policy, on calls and streams", async () => {
      const cases: { name: string; key?: string; code?: Code }[] = [
        { name: "the policy's key", key },
        { name: "no key", code: Code.Unauthenticated },
        { name: "a wrong key", key: "mp_not_a_key", code: Code.Unauthenticated },
      ];
      for (const c of cases) {
        const mp = createNodeClient({ baseUrl, key: c.key, ...options });
        const unary = await mp.workspaces.getWorkspace({ name: workspace }, { signal: deadline() }).then(
          (res) => res.workspace?.displayName,
          (err: unknown) => ConnectError.from(err).code,
        );
        assert.equal(unary, c.code ?? "Parch & Posey", `${c.name}: GetWorkspace`);
        // A run that does not exist: past the policy, the service says NotFound.
        const stream = await mp.waitRun(noRun, { signal: deadline() }).then(
          () => "succeeded",
          (err: unknown) => ConnectError.from(err).code,
        );
        assert.equal(stream, c.code ?? Code.NotFound, `${c.name}: WatchReportRun`);
      }
    });
  });
}

describe("a run, followed and read", () => {
  // Set up in the first test; the tests of a describe run in order.
  let mp: ModeplatformClient;
  let runName = "";
  let queryRun = "";
  let rows: Row[] = [];

  test("followRun ends in SUCCEEDED", async () => {
    // createModeplatformClient over a transport made here, as a browser would with connect-web.
    mp = createModeplatformClient(createConnectTransport({ baseUrl, httpVersion: "1.1" }), { key });
    const { run } = await mp.reports.runReport({ name: largeOrders, parameters: { region: "West" } }, { signal: deadline() });
    runName = run!.name;
    const states: ReportRun_State[] = [];
    for await (const r of mp.followRun(runName, { signal: deadline() })) {
      assert.equal(r.name, runName);
      states.push(r.state);
    }
    assert.equal(states.at(-1), ReportRun_State.SUCCEEDED, `states ${states}`);
    states.slice(1).forEach((s, i) => {
      assert.notEqual(s, states[i], `states ${states}`);
      assert.ok(!isTerminal(states[i]), `states ${states}`);
    });
  });

  test("waitRun answers the finished run", async () => {
    const seen: ReportRun_State[] = [];
    const done = await mp.waitRun(runName, { signal: deadline(), onState: (r) => seen.push(r.state) });
    assert.equal(done.state, ReportRun_State.SUCCEEDED);
    assert.equal(done.parameters.region, "West");
    assert.deepEqual(seen, [ReportRun_State.SUCCEEDED]);
  });

  test("queryRuns, columns", async () => {
    const queryRuns = await mp.queryRuns(runName, { signal: deadline() });
    assert.equal(queryRuns.length, 1);
    queryRun = queryRuns[0].name;
    const columns = await mp.columns(queryRun, { signal: deadline() });
    assert.deepEqual(columns.map((c) => c.name), columnNames);
    assert.equal(columns[5].type, Column_Type.NUMBER);
    assert.equal(columns[3].type, Column_Type.TIMESTAMP);
  });

  test("rows equal the JSON export", async () => {
    for await (const row of mp.rows(queryRun, { batchSize: 4, signal: deadline() })) rows.push(row);
    let data = new Uint8Array();
    for await (const chunk of mp.reports.exportQueryResults(
      { name: queryRun, format: ExportQueryResultsRequest_Format.JSON },
      { signal: deadline() },
    )) {
      data = new Uint8Array([...data, ...chunk.data]);
    }
    const exported = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>[];
    assert.ok(rows.length >= 5, `${rows.length} rows`);
    assert.equal(rows.length, exported.length);
    rows.forEach((row, i) => {
      assert.deepEqual(Object.keys(row), columnNames);
      assert.equal(row.region, "West");
      for (const [column, value] of Object.entries(exported[i])) assert.equal(row[column], value, `row ${i} ${column}`);
      if (i > 0) assert.ok((row.total_amt_usd as number) <= (rows[i - 1].total_amt_usd as number), "ordered by total_amt_usd desc");
    });
  });

  test("rows from an offset, stopping early", async () => {
    const got: Row[] = [];
    for await (const row of mp.rows(queryRun, { offset: 3, batchSize: 2, signal: deadline() })) {
      got.push(row);
      if (got.length === 3) break;
    }
    assert.deepEqual(got, rows.slice(3, 6));
  });

  test("errors", async () => {
    const cases: { name: string; queryRun: string; offset?: number; check: (err: unknown) => void }[] = [
      { name: "a bad name", queryRun: "runs/x", check: (err) => assert.equal(ConnectError.from(err).code, Code.InvalidArgument) },
      { name: "an unknown query run", queryRun: `${noRun}/queryRuns/000000000000`, check: (err) => assert.equal(ConnectError.from(err).code, Code.NotFound) },
      { name: "a negative offset", queryRun, offset: -1, check: (err) => assert.ok(err instanceof RangeError, String(err)) },
    ];
    for (const c of cases) {
      await assert.rejects(async () => {
        for await (const _ of mp.rows(c.queryRun, { offset: c.offset, signal: deadline() })) {
          // nothing: the first read fails
        }
      }, (err) => {
        c.check(err);
        return true;
      }, c.name);
    }
    const aborted = AbortSignal.abort();
    await assert.rejects(mp.waitRun(noRun, { signal: aborted }), (err) => ConnectError.from(err).code === Code.Canceled);
  });
});
