// The TypeScript client (gen/ts + @connectrpc/connect) against a real modeplatform server serving
// the demo workspace, over three transports: the Connect protocol on HTTP/1.1 (JSON, reads as
// HTTP GET) and on HTTP/2 (binary), and gRPC. Every read RPC, a parameterised run followed to its
// end, its results as typed rows and as CSV, and an error.
//
//   npm run test:node      (scripts/test-clients.sh runs it with the binary it built)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, timestampDate, type Value } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

import { DataSourceService } from "../../gen/ts/modeplatform/v1/data_source_pb.js";
import {
  Column_Type,
  ExportQueryResultsRequest_Format,
  QueryRun_State,
  ReportRun_State,
  ReportService,
  type Column,
  type ReportRun,
} from "../../gen/ts/modeplatform/v1/report_pb.js";
import { Space_SpaceType, WorkspaceService } from "../../gen/ts/modeplatform/v1/workspace_pb.js";
import { startServer, type Server } from "./server.js";

const workspace = "workspaces/parch_and_posey";
const terminal = new Set([
  ReportRun_State.SUCCEEDED,
  ReportRun_State.FAILED,
  ReportRun_State.CANCELLED,
  ReportRun_State.COMPLETED,
]);
const resultColumns = ["order_id", "account", "region", "occurred_at", "total", "total_amt_usd"];

let server: Server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const transports: { name: string; make: (baseUrl: string) => Transport }[] = [
  {
    name: "Connect protocol, HTTP/1.1, JSON, reads as GET",
    make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useHttpGet: true }),
  },
  {
    name: "Connect protocol, HTTP/2, binary",
    make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  },
  {
    name: "gRPC",
    make: (baseUrl) => createGrpcTransport({ baseUrl }),
  },
];

for (const { name, make } of transports) {
  describe(name, () => {
    // Set up in the first test (the server starts in the top-level before hook); the tests of a
    // describe run in order, each building on the ones before.
    let workspaces: ReturnType<typeof createClient<typeof WorkspaceService>>;
    let reports: ReturnType<typeof createClient<typeof ReportService>>;
    let dataSources: ReturnType<typeof createClient<typeof DataSourceService>>;
    let salesSpace = "";
    let reportName = "";
    let run: ReportRun | undefined;
    let queryRunName = "";
    let streamed: Record<string, unknown>[] = [];

    test("workspace, members, groups, spaces", async () => {
      const transport = make(server.baseUrl);
      workspaces = createClient(WorkspaceService, transport);
      reports = createClient(ReportService, transport);
      dataSources = createClient(DataSourceService, transport);

      const { workspace: ws } = await workspaces.getWorkspace({ name: workspace });
      assert.equal(ws?.name, workspace);
      assert.equal(ws?.displayName, "Parch & Posey");
      assert.equal(ws?.createTime && timestampDate(ws.createTime).toISOString(), "2024-01-15T09:00:00.000Z");
      assert.equal(ws?.dataSourceCount, 1);

      const { memberships } = await workspaces.listMemberships({ parent: workspace });
      const usernames = memberships.map((m) => m.memberUsername).sort();
      assert.deepEqual(usernames, ["ana_analyst", "ben_builder", "carla_ceo", "dev_engineer", "erin_marketing"]);
      assert.equal(memberships.find((m) => m.memberUsername === "ana_analyst")?.admin, true);
      assert.equal(memberships.find((m) => m.memberUsername === "ben_builder")?.admin, false);

      const { groups } = await workspaces.listGroups({ parent: workspace });
      assert.deepEqual(groups.map((g) => g.displayName).sort(), ["Analysts", "Everyone", "Executives"]);
      assert.equal(groups.find((g) => g.displayName === "Everyone")?.memberCount, 5);

      const { spaces } = await workspaces.listSpaces({ parent: workspace });
      const sales = spaces.find((s) => s.displayName === "Sales");
      assert.ok(sales, `no Sales space in ${spaces.map((s) => s.displayName).join(", ")}`);
      assert.match(sales.name, /^workspaces\/parch_and_posey\/spaces\/[0-9a-f]+$/);
      salesSpace = sales.name;

      const { space } = await workspaces.getSpace({ name: salesSpace });
      assert.equal(space?.displayName, "Sales");
      assert.equal(space?.description, "Orders, revenue and the sales team.");
      assert.equal(space?.spaceType, Space_SpaceType.CUSTOM);
    });

    test("data sources", async () => {
      const { dataSources: list } = await dataSources.listDataSources({ parent: workspace });
      assert.equal(list.length, 1);
      assert.equal(list[0].displayName, "Parch & Posey");
      const { dataSource } = await dataSources.getDataSource({ name: list[0].name });
      assert.equal(dataSource?.name, list[0].name);
      assert.equal(dataSource?.vendor, "postgres");
      assert.equal(dataSource?.database, "parch_and_posey");
      assert.equal(dataSource?.port, 5432);
    });

    test("reports and queries", async () => {
      const { reports: list } = await reports.listReports({ parent: salesSpace });
      const report = list.find((r) => r.displayName === "Large Orders by Region");
      assert.ok(report, `no "Large Orders by Region" in ${list.map((r) => r.displayName).join(", ")}`);
      reportName = report.name;

      const { report: got } = await reports.getReport({ name: reportName });
      assert.equal(got?.displayName, "Large Orders by Region");
      assert.equal(got?.space, salesSpace);
      assert.equal(got?.queryCount, 1);

      const { queries } = await reports.listQueries({ parent: reportName });
      assert.equal(queries.length, 1);
      assert.equal(queries[0].displayName, "Large orders");
      const { query } = await reports.getQuery({ name: queries[0].name });
      assert.equal(query?.name, queries[0].name);
      assert.match(query?.sql ?? "", /WHERE r\.name = '\{\{ region \}\}'/);
    });

    test("RunReport with region=West, watched to the end", async () => {
      const started = await reports.runReport({ name: reportName, parameters: { region: "West" } });
      assert.ok(started.run?.name.startsWith(`${reportName}/runs/`), started.run?.name);

      const states: ReportRun_State[] = [];
      for await (const { run: seen } of reports.watchReportRun({ name: started.run!.name }, { timeoutMs: 60_000 })) {
        assert.equal(seen?.name, started.run!.name);
        states.push(seen!.state);
        run = seen;
      }
      assert.ok(states.length > 0);
      assert.ok(terminal.has(states.at(-1)!), `stream ended in state ${ReportRun_State[states.at(-1)!]}`);
      assert.equal(states.at(-1), ReportRun_State.SUCCEEDED, `states: ${states.map((s) => ReportRun_State[s])}`);
      // Each state is sent once, so no two neighbours are equal.
      states.slice(1).forEach((s, i) => assert.notEqual(s, states[i]));

      const { run: got } = await reports.getReportRun({ name: run!.name });
      assert.equal(got?.state, ReportRun_State.SUCCEEDED);
      assert.equal(got?.parameters.region, "West");
      assert.ok(got?.completeTime, "a finished run has a complete_time");

      const { runs } = await reports.listReportRuns({ parent: reportName });
      assert.ok(runs.some((r) => r.name === run!.name), "ListReportRuns holds the new run");

      const { queryRuns } = await reports.listQueryRuns({ parent: run!.name });
      assert.equal(queryRuns.length, 1);
      queryRunName = queryRuns[0].name;
      const { queryRun } = await reports.getQueryRun({ name: queryRunName });
      assert.equal(queryRun?.state, QueryRun_State.SUCCEEDED);
      assert.equal(queryRun?.queryDisplayName, "Large orders");
      assert.match(queryRun?.renderedSql ?? "", /WHERE r\.name = 'West'/);
    });

    test("StreamQueryResults: columns first, then rows of region West", async () => {
      let columns: Column[] = [];
      let batches = 0;
      streamed = [];
      for await (const res of reports.streamQueryResults({ name: queryRunName, maxRowsPerBatch: 7 })) {
        if (batches === 0) {
          columns = res.columns;
        } else {
          assert.equal(res.columns.length, 0, "only the first response carries the columns");
        }
        assert.equal(Number(res.offset), streamed.length, "offsets are continuous");
        assert.ok(res.rows.length <= 7);
        for (const row of res.rows) {
          assert.equal(row.values.length, columns.length);
          streamed.push(Object.fromEntries(columns.map((c, i) => [c.name, json(row.values[i])])));
        }
        batches++;
      }
      assert.deepEqual(
        columns.map((c) => c.name),
        resultColumns,
      );
      assert.equal(columns.find((c) => c.name === "region")?.type, Column_Type.STRING);
      assert.equal(columns.find((c) => c.name === "total_amt_usd")?.type, Column_Type.NUMBER);
      assert.ok(streamed.length > 7, `want several batches, got ${streamed.length} rows`);
      assert.ok(batches > 1);
      for (const row of streamed) {
        assert.equal(row.region, "West");
        assert.equal(typeof row.total_amt_usd, "number");
        assert.ok((row.total_amt_usd as number) >= 1000, `total_amt_usd ${row.total_amt_usd} below min_total`);
      }
      // ORDER BY o.total_amt_usd DESC
      streamed.slice(1).forEach((r, i) => assert.ok((r.total_amt_usd as number) <= (streamed[i].total_amt_usd as number)));
    });

    test("ExportQueryResults as CSV", async () => {
      const chunks: Uint8Array[] = [];
      for await (const { data } of reports.exportQueryResults({
        name: queryRunName,
        format: ExportQueryResultsRequest_Format.CSV,
      })) {
        chunks.push(data);
      }
      const csv = Buffer.concat(chunks).toString("utf8");
      const [header, ...rows] = parseCsv(csv);
      assert.deepEqual(header, resultColumns);
      assert.equal(rows.length, streamed.length);
      const region = header.indexOf("region");
      const orderId = header.indexOf("order_id");
      for (const [i, row] of rows.entries()) {
        assert.equal(row[region], "West");
        assert.equal(Number(row[orderId]), streamed[i].order_id);
      }
    });

    test("GetReport of an unknown report is NotFound", async () => {
      await assert.rejects(reports.getReport({ name: `${workspace}/reports/000000000000` }), (err: unknown) => {
        assert.ok(err instanceof ConnectError);
        assert.equal(err.code, Code.NotFound);
        return true;
      });
    });
  });
}

function json(v: Value): unknown {
  return toJson(ValueSchema, v);
}

// A CSV reader for the export's RFC 4180 text (quoted fields may hold commas, quotes, newlines).
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
