"""Runs the demo report "Large Orders by Region" for region West with the installed package
modeplatform-client (pip install ./clients/python), follows the run to its end and prints the first
rows of its result. Start the server first (go run ./cmd/modeplatform), then: python example_package.py
MODEPLATFORM_ADDR (host:port) overrides the server's address, 127.0.0.1:8080; MODEPLATFORM_KEY, when
set, is the caller's key."""

import itertools
import os

from modeplatform.v1 import report_pb2, workspace_pb2
from modeplatform_client import Client

with Client(os.environ.get("MODEPLATFORM_ADDR", "127.0.0.1:8080"), key=os.environ.get("MODEPLATFORM_KEY") or None) as mp:
    ws = mp.workspaces.GetWorkspace(workspace_pb2.GetWorkspaceRequest(name="workspaces/parch_and_posey")).workspace
    print("workspace:", ws.display_name)

    run = mp.run_report("workspaces/parch_and_posey/reports/dc63649ea16c", {"region": "West"})  # Large Orders by Region
    run = mp.wait_run(run.name, on_state=lambda r: print("run:", report_pb2.ReportRun.State.Name(r.state)))

    query_run = mp.query_runs(run.name)[0]
    for row in itertools.islice(mp.rows(query_run.name), 3):
        print(row["account"], row["region"], row["total_amt_usd"])
