// ExportQueryResults as Arrow and Parquet, read by JavaScript readers independent of the server's
// arrow-go: the Arrow IPC stream by the `apache-arrow` package, the Parquet file by `hyparquet`.
// A query with a column of each kind (integers, decimals, floats written with an exponent, text,
// dates, points in time in UTC and with an offset, mixed kinds, nulls) is added to a demo report
// and run; its Arrow and Parquet exports must hold the JSON export's rows, value for value, with
// the column types the contract documents (FORMAT_ARROW's comment in report.proto).
//
//   node --import tsx --test clients/node/columnar.test.ts   (scripts/test-clients.sh runs it)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { DataType, Type, tableFromIPC, type Field } from "apache-arrow";
import { parquetMetadata, parquetReadObjects } from "hyparquet";

import { DataSourceService } from "../../gen/ts/modeplatform/v1/data_source_pb.js";
import { ExportQueryResultsRequest_Format, ReportRun_State, ReportService } from "../../gen/ts/modeplatform/v1/report_pb.js";
import { WorkspaceService } from "../../gen/ts/modeplatform/v1/workspace_pb.js";
import { startServer, type Server } from "./server.js";

const workspace = "workspaces/parch_and_posey";
// The report the query is added to: one no other client test reads.
const reportTitle = "Paper Mix by Year";
const queryTitle = "Columnar types";
const sql = `SELECT o.id AS order_id,
       CASE WHEN o.id % 4 = 0 THEN NULL ELSE o.total END AS total,
       o.total_amt_usd,
       o.total_amt_usd * 1e-9 AS tiny,
       CASE WHEN o.id % 3 = 0 THEN NULL ELSE a.name END AS account,
       date(o.occurred_at) AS occurred_on,
       o.occurred_at,
       CASE WHEN o.id % 5 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', o.occurred_at) || '+05:30' END AS occurred_local,
       CASE WHEN o.id % 2 = 0 THEN o.id ELSE a.name END AS mixed,
       NULL AS no_value
FROM orders o JOIN accounts a ON a.id = o.account_id
WHERE o.id <= 150
ORDER BY o.id`;

// The kind each column takes (report.proto, FORMAT_ARROW): checked against both readers' types.
type Kind = "int64" | "decimal" | "float64" | "utf8" | "date" | "timestamp";
const kinds: Record<string, Kind> = {
  order_id: "int64",
  total: "int64",
  total_amt_usd: "decimal",
  tiny: "float64",
  account: "utf8",
  occurred_on: "date",
  occurred_at: "timestamp",
  occurred_local: "timestamp",
  mixed: "utf8",
  no_value: "utf8",
};

let server: Server;
let json: Record<string, unknown>[] = [];
let columns: string[] = [];
const files = new Map<ExportQueryResultsRequest_Format, { contentType: string; data: Buffer }>();

before(async () => {
  server = await startServer();
  const transport = createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "2", useBinaryFormat: true });
  const reports = createClient(ReportService, transport);
  const workspaces = createClient(WorkspaceService, transport);
  const dataSources = createClient(DataSourceService, transport);

  const { spaces } = await workspaces.listSpaces({ parent: workspace });
  let reportName = "";
  for (const s of spaces) {
    const { reports: list } = await reports.listReports({ parent: s.name });
    reportName ||= list.find((r) => r.displayName === reportTitle)?.name ?? "";
  }
  assert.ok(reportName, `no report "${reportTitle}"`);
  const { dataSources: sources } = await dataSources.listDataSources({ parent: workspace });
  await reports.createQuery({ parent: reportName, query: { displayName: queryTitle, sql, dataSource: sources[0].name } });

  const started = await reports.runReport({ name: reportName });
  let state = started.run!.state;
  for await (const { run } of reports.watchReportRun({ name: started.run!.name }, { timeoutMs: 60_000 })) {
    state = run!.state;
  }
  assert.equal(state, ReportRun_State.SUCCEEDED, `run ended ${ReportRun_State[state]}`);
  const { queryRuns } = await reports.listQueryRuns({ parent: started.run!.name });
  const queryRun = queryRuns.find((q) => q.queryDisplayName === queryTitle);
  assert.ok(queryRun, `no query run of "${queryTitle}"`);

  for (const format of [
    ExportQueryResultsRequest_Format.JSON,
    ExportQueryResultsRequest_Format.ARROW,
    ExportQueryResultsRequest_Format.PARQUET,
  ]) {
    const chunks: Uint8Array[] = [];
    let contentType = "";
    for await (const msg of reports.exportQueryResults({ name: queryRun.name, format }, { timeoutMs: 60_000 })) {
      if (chunks.length === 0) contentType = msg.contentType;
      else assert.equal(msg.contentType, "", "only the first message carries the content type");
      chunks.push(msg.data);
    }
    files.set(format, { contentType, data: Buffer.concat(chunks) });
  }
  json = JSON.parse(files.get(ExportQueryResultsRequest_Format.JSON)!.data.toString("utf8"));
  columns = Object.keys(json[0]);
  assert.deepEqual(columns, Object.keys(kinds));
  assert.equal(json.length, 150);
});

after(async () => {
  await server?.stop();
});

// same reports whether a value read from a file equals the JSON value of the same cell, for a
// column of kind k; it returns a description of the difference, or "".
function same(k: Kind, got: unknown, want: unknown): string {
  const bad = `file ${typeof got} ${String(got)}, JSON ${typeof want} ${String(want)}`;
  if (want === null || got === null || got === undefined) {
    return want === null && (got === null || got === undefined) ? "" : bad;
  }
  switch (k) {
    case "int64":
      return typeof got === "bigint" && got === BigInt(want as number) ? "" : bad;
    case "decimal":
    case "float64":
      return Number(got) === want ? "" : bad;
    case "utf8":
      return got === (typeof want === "string" ? want : JSON.stringify(want)) ? "" : bad;
    case "date":
    case "timestamp": {
      const t = got instanceof Date ? got.getTime() : Number(got);
      return t === Date.parse(k === "date" ? `${want}T00:00:00Z` : (want as string)) ? "" : bad;
    }
  }
}

test("content types", () => {
  assert.equal(files.get(ExportQueryResultsRequest_Format.JSON)!.contentType, "application/json");
  assert.equal(files.get(ExportQueryResultsRequest_Format.ARROW)!.contentType, "application/vnd.apache.arrow.stream");
  assert.equal(files.get(ExportQueryResultsRequest_Format.PARQUET)!.contentType, "application/vnd.apache.parquet");
});

test("Arrow IPC stream, read by apache-arrow, equals the JSON export", () => {
  const table = tableFromIPC(files.get(ExportQueryResultsRequest_Format.ARROW)!.data);
  assert.deepEqual(
    table.schema.fields.map((f: Field) => f.name),
    columns,
  );
  const kindOf = (t: DataType): Kind | string => {
    if (DataType.isInt(t) && t.bitWidth === 64 && t.isSigned) return "int64";
    if (DataType.isDecimal(t) && t.precision === 38) return "decimal";
    if (DataType.isFloat(t) && t.precision === 2) return "float64";
    if (DataType.isUtf8(t)) return "utf8";
    if (DataType.isDate(t) && t.typeId === Type.Date && t.unit === 0) return "date";
    if (DataType.isTimestamp(t) && t.unit === 2 && t.timezone === "UTC") return "timestamp";
    return String(t);
  };
  for (const f of table.schema.fields) {
    assert.equal(kindOf(f.type), kinds[f.name], `column ${f.name} is ${f.type}`);
    assert.ok(f.nullable, `column ${f.name} is nullable`);
  }
  assert.equal(table.numRows, json.length);
  for (const name of columns) {
    const col = table.getChild(name)!;
    const scale = DataType.isDecimal(col.type) ? col.type.scale : 0;
    for (let i = 0; i < json.length; i++) {
      let got: unknown = col.get(i);
      if (kinds[name] === "decimal" && got !== null) {
        // A decimal comes as its unscaled integer.
        got = Number(BigInt(String(got))) / 10 ** scale;
      }
      if (kinds[name] === "timestamp" && got !== null) {
        got = Number(got); // milliseconds
      }
      const diff = same(kinds[name], got, json[i][name]);
      assert.equal(diff, "", `row ${i} column ${name}: ${diff}`);
    }
  }
});

test("Parquet file, read by hyparquet, equals the JSON export", async () => {
  const buf = files.get(ExportQueryResultsRequest_Format.PARQUET)!.data;
  const file = new Uint8Array(buf).buffer; // a copy: an ArrayBuffer of its own
  const meta = parquetMetadata(file);
  assert.equal(Number(meta.num_rows), json.length);
  const leaves = meta.schema.slice(1);
  assert.deepEqual(
    leaves.map((s) => s.name),
    columns,
  );
  const kindOf = (s: (typeof leaves)[number]): Kind | string => {
    const lt = s.logical_type;
    if (lt?.type === "DECIMAL" && lt.precision === 38) return "decimal";
    if (lt?.type === "DATE") return "date";
    if (lt?.type === "TIMESTAMP" && lt.unit === "MICROS" && lt.isAdjustedToUTC) return "timestamp";
    if (lt?.type === "STRING") return "utf8";
    if (s.type === "INT64" && (!lt || (lt.type === "INTEGER" && lt.bitWidth === 64 && lt.isSigned))) return "int64";
    if (s.type === "DOUBLE") return "float64";
    return `${s.type} ${JSON.stringify(lt)}`;
  };
  for (const s of leaves) {
    assert.equal(kindOf(s), kinds[s.name], `column ${s.name}`);
    assert.equal(s.repetition_type, "OPTIONAL", `column ${s.name} is nullable`);
  }
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  assert.equal(rows.length, json.length);
  for (const [i, row] of rows.entries()) {
    for (const name of columns) {
      const diff = same(kinds[name], row[name], json[i][name]);
      assert.equal(diff, "", `row ${i} column ${name}: ${diff}`);
    }
  }
});
