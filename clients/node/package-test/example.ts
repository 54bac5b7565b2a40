// Runs the demo report "Large Orders by Region" for region West with the npm package
// @modeplatform/client, follows the run to its end and prints the first rows of its result.
// In a project of yours: npm install <the packed @modeplatform/client> @connectrpc/connect-node@2.1.2
// Start the server first (go run ./cmd/modeplatform). MODEPLATFORM_ADDR (host:port) overrides the
// server's address, 127.0.0.1:8080; MODEPLATFORM_KEY, when set, is the caller's key.
import { ReportRun_StateSchema } from "@modeplatform/client";
import { createNodeClient } from "@modeplatform/client/node";

const mp = createNodeClient({
  baseUrl: `http://${process.env.MODEPLATFORM_ADDR ?? "127.0.0.1:8080"}`,
  key: process.env.MODEPLATFORM_KEY || undefined,
});

const { workspace } = await mp.workspaces.getWorkspace({ name: "workspaces/parch_and_posey" });
console.log("workspace:", workspace?.displayName);

const { run } = await mp.reports.runReport({
  name: "workspaces/parch_and_posey/reports/dc63649ea16c", // Large Orders by Region
  parameters: { region: "West" },
});
const done = await mp.waitRun(run!.name, {
  onState: (r) => console.log("run:", ReportRun_StateSchema.value[r.state].name),
});

const [queryRun] = await mp.queryRuns(done.name);
let shown = 0;
for await (const row of mp.rows(queryRun.name)) {
  console.log(row.account, row.region, row.total_amt_usd);
  if (++shown === 3) break; // leaving the loop ends the stream
}
