"""Runs the demo report "Large Orders by Region" for region West through modeplatform over gRPC,
follows the run to its end and prints the first rows of its result. Start the server first
(go run ./cmd/modeplatform), then: PYTHONPATH=gen/python /usr/bin/python3 clients/python/example.py
MODEPLATFORM_ADDR (host:port) overrides the server's address, 127.0.0.1:8080."""

import os

import grpc

from modeplatform.v1 import report_pb2, report_pb2_grpc, workspace_pb2, workspace_pb2_grpc

with grpc.insecure_channel(os.environ.get("MODEPLATFORM_ADDR", "127.0.0.1:8080")) as channel:
    workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
    reports = report_pb2_grpc.ReportServiceStub(channel)

    ws = workspaces.GetWorkspace(workspace_pb2.GetWorkspaceRequest(name="workspaces/parch_and_posey")).workspace
    print("workspace:", ws.display_name)

    run = reports.RunReport(report_pb2.RunReportRequest(
        name="workspaces/parch_and_posey/reports/dc63649ea16c",  # Large Orders by Region
        parameters={"region": "West"},
    )).run
    for res in reports.WatchReportRun(report_pb2.WatchReportRunRequest(name=run.name)):
        run = res.run  # until the run ends
        print("run:", report_pb2.ReportRun.State.Name(run.state))

    query_run = reports.ListQueryRuns(report_pb2.ListQueryRunsRequest(parent=run.name)).query_runs[0]
    results = reports.StreamQueryResults(report_pb2.StreamQueryResultsRequest(name=query_run.name, max_rows_per_batch=3))
    rows = (row for res in results for row in res.rows)  # the columns come first, then the rows
    for _, row in zip(range(3), rows):
        # order_id, account, region, occurred_at, total, total_amt_usd
        v = row.values
        print(v[1].string_value, v[2].string_value, v[5].number_value)
    results.cancel()
