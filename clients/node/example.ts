// Runs the demo report "Large Orders by Region" for region West through modeplatform with the
// generated TypeScript client, follows the run to its end and prints the first rows of its result.
// Start the server first (go run ./cmd/modeplatform), then: npx tsx clients/node/example.ts
// MODEPLATFORM_ADDR (host:port) overrides the server's address, 127.0.0.1:8080.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ReportRun_StateSchema, ReportService } from "../../gen/ts/modeplatform/v1/report_pb.js";
import { WorkspaceService } from "../../gen/ts/modeplatform/v1/workspace_pb.js";

// The Connect protocol over HTTP/1.1; createGrpcTransport({ baseUrl }) speaks gRPC instead.
const transport = createConnectTransport({
  baseUrl: `http://${process.env.MODEPLATFORM_ADDR ?? "127.0.0.1:8080"}`,
  httpVersion: "1.1",
});
const workspaces = createClient(WorkspaceService, transport);
const reports = createClient(ReportService, transport);

const { workspace } = await workspaces.getWorkspace({ name: "workspaces/parch_and_posey" });
console.log("workspace:", workspace?.displayName);

let { run } = await reports.runReport({
  name: "workspaces/parch_and_posey/reports/dc63649ea16c", // Large Orders by Region
  parameters: { region: "West" },
});
for await (const res of reports.watchReportRun({ name: run!.name })) {
  run = res.run; // until the run ends
  console.log("run:", ReportRun_StateSchema.value[run!.state].name);
}

const { queryRuns } = await reports.listQueryRuns({ parent: run!.name });
const stop = new AbortController(); // leaving the loop early does not end the call: aborting does
let shown = 0;
const results = reports.streamQueryResults({ name: queryRuns[0].name, maxRowsPerBatch: 3 }, { signal: stop.signal });
for await (const { rows } of results) {
  for (const row of rows) {
    // order_id, account, region, occurred_at, total, total_amt_usd
    const [, account, region, , , usd] = row.values.map((v) => v.kind.value);
    console.log(account, region, usd);
    shown++;
  }
  if (shown >= 3) break; // the columns come first, then the rows
}
stop.abort();
