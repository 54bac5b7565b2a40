"""The Python client (gen/python: protobuf messages + gRPC stubs) against a real modeplatform server.

The server serves the demo workspace from its built-in Mode emulator; the tests call every read
RPC, run the parameterised report "Large Orders by Region" for region West, follow the run with
WatchReportRun, read the result as typed rows and as CSV, and check an error's status code.

Run with Debian's Python, which has python3-grpcio and python3-protobuf:

    PYTHONPATH=gen/python /usr/bin/python3 -m unittest discover -s clients/python -v

The server is the one at $MODEPLATFORM_ADDR (host:port; scripts/test-clients.sh starts one for
all the tests), else one started here from the binary in $MODEPLATFORM_BIN, else from one built
here with `go build`.
"""

import csv
import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

import grpc
from google.protobuf import json_format

from modeplatform.v1 import data_source_pb2, data_source_pb2_grpc
from modeplatform.v1 import report_pb2, report_pb2_grpc
from modeplatform.v1 import workspace_pb2, workspace_pb2_grpc

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKSPACE = "workspaces/parch_and_posey"
TIMEOUT = 30  # seconds, per call
RESULT_COLUMNS = ["order_id", "account", "region", "occurred_at", "total", "total_amt_usd"]
TERMINAL = {
    report_pb2.ReportRun.STATE_SUCCEEDED,
    report_pb2.ReportRun.STATE_FAILED,
    report_pb2.ReportRun.STATE_CANCELLED,
    report_pb2.ReportRun.STATE_COMPLETED,
}


class Server:
    """A modeplatform process on a free loopback port, serving the built-in emulator."""

    def __init__(self):
        self._build_dir = None
        binary = os.environ.get("MODEPLATFORM_BIN")
        if not binary:
            self._build_dir = tempfile.mkdtemp(prefix="modeplatform-python-")
            binary = os.path.join(self._build_dir, "modeplatform")
            subprocess.run(["go", "build", "-o", binary, "./cmd/modeplatform"], cwd=REPO_ROOT, check=True)
        # Never real Mode: drop any credential or Mode setting from the environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODE_")}
        self._proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--admin-listen", "off"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log = []
        self.addr = None
        ready = threading.Event()

        def read_log():
            # Reads stderr for the server's whole life: a full pipe would block its logging.
            for line in self._proc.stderr:
                self.log.append(line.rstrip("\n"))
                if self.addr is None:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict) and entry.get("msg") == "modeplatform listening":
                        self.addr = entry["addr"]
                        ready.set()
            ready.set()  # stderr closed: the server exited

        threading.Thread(target=read_log, daemon=True).start()
        if not ready.wait(30) or self.addr is None:
            self.stop()
            raise RuntimeError("modeplatform did not start:\n" + "\n".join(self.log))

    def stop(self):
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._build_dir:
            shutil.rmtree(self._build_dir, ignore_errors=True)


server = None
channel = None


def setUpModule():
    global server, channel
    addr = os.environ.get("MODEPLATFORM_ADDR")
    if not addr:
        server = Server()
        addr = server.addr
    channel = grpc.insecure_channel(addr)
    grpc.channel_ready_future(channel).result(timeout=TIMEOUT)


def tearDownModule():
    if channel is not None:
        channel.close()
    if server is not None:
        server.stop()


def value(v):
    """A google.protobuf.Value as a Python value."""
    return json_format.MessageToDict(v)


class ReadTest(unittest.TestCase):
    def setUp(self):
        self.workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        self.reports = report_pb2_grpc.ReportServiceStub(channel)
        self.data_sources = data_source_pb2_grpc.DataSourceServiceStub(channel)

    def sales_space(self):
        spaces = self.workspaces.ListSpaces(workspace_pb2.ListSpacesRequest(parent=WORKSPACE), timeout=TIMEOUT).spaces
        by_name = {s.display_name: s for s in spaces}
        self.assertIn("Sales", by_name)
        return by_name["Sales"]

    def test_get_workspace(self):
        ws = self.workspaces.GetWorkspace(workspace_pb2.GetWorkspaceRequest(name=WORKSPACE), timeout=TIMEOUT).workspace
        self.assertEqual(ws.name, WORKSPACE)
        self.assertEqual(ws.display_name, "Parch & Posey")
        self.assertEqual(ws.create_time.ToJsonString(), "2024-01-15T09:00:00Z")
        self.assertEqual(ws.data_source_count, 1)

    def test_list_memberships(self):
        res = self.workspaces.ListMemberships(workspace_pb2.ListMembershipsRequest(parent=WORKSPACE), timeout=TIMEOUT)
        admins = {m.member_username: m.admin for m in res.memberships}
        self.assertEqual(sorted(admins), ["ana_analyst", "ben_builder", "carla_ceo", "dev_engineer", "erin_marketing"])
        self.assertTrue(admins["ana_analyst"])
        self.assertFalse(admins["ben_builder"])

    def test_list_groups(self):
        res = self.workspaces.ListGroups(workspace_pb2.ListGroupsRequest(parent=WORKSPACE), timeout=TIMEOUT)
        groups = {g.display_name: g for g in res.groups}
        self.assertEqual(sorted(groups), ["Analysts", "Everyone", "Executives"])
        self.assertEqual(groups["Everyone"].member_count, 5)

    def test_get_group(self):
        listed = self.workspaces.ListGroups(workspace_pb2.ListGroupsRequest(parent=WORKSPACE), timeout=TIMEOUT).groups[0]
        got = self.workspaces.GetGroup(workspace_pb2.GetGroupRequest(name=listed.name), timeout=TIMEOUT).group
        self.assertEqual(got, listed)
        with self.assertRaises(grpc.RpcError) as err:
            self.workspaces.GetGroup(workspace_pb2.GetGroupRequest(name=WORKSPACE + "/groups/nosuchgroup"), timeout=TIMEOUT)
        self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_list_and_get_space(self):
        sales = self.sales_space()
        self.assertRegex(sales.name, r"^workspaces/parch_and_posey/spaces/[0-9a-f]+$")
        space = self.workspaces.GetSpace(workspace_pb2.GetSpaceRequest(name=sales.name), timeout=TIMEOUT).space
        self.assertEqual(space.display_name, "Sales")
        self.assertEqual(space.description, "Orders, revenue and the sales team.")
        self.assertEqual(space.space_type, workspace_pb2.Space.SPACE_TYPE_CUSTOM)

    def test_data_sources(self):
        res = self.data_sources.ListDataSources(data_source_pb2.ListDataSourcesRequest(parent=WORKSPACE), timeout=TIMEOUT)
        self.assertEqual([d.display_name for d in res.data_sources], ["Parch & Posey"])
        ds = self.data_sources.GetDataSource(
            data_source_pb2.GetDataSourceRequest(name=res.data_sources[0].name), timeout=TIMEOUT
        ).data_source
        self.assertEqual(ds.name, res.data_sources[0].name)
        self.assertEqual(ds.vendor, "postgres")
        self.assertEqual(ds.database, "parch_and_posey")
        self.assertEqual(ds.port, 5432)

    def test_reports_and_queries(self):
        sales = self.sales_space()
        listed = self.reports.ListReports(report_pb2.ListReportsRequest(parent=sales.name), timeout=TIMEOUT).reports
        by_name = {r.display_name: r for r in listed}
        self.assertIn("Large Orders by Region", by_name)
        report = self.reports.GetReport(
            report_pb2.GetReportRequest(name=by_name["Large Orders by Region"].name), timeout=TIMEOUT
        ).report
        self.assertEqual(report.display_name, "Large Orders by Region")
        self.assertEqual(report.space, sales.name)
        self.assertEqual(report.query_count, 1)

        queries = self.reports.ListQueries(report_pb2.ListQueriesRequest(parent=report.name), timeout=TIMEOUT).queries
        self.assertEqual([q.display_name for q in queries], ["Large orders"])
        query = self.reports.GetQuery(report_pb2.GetQueryRequest(name=queries[0].name), timeout=TIMEOUT).query
        self.assertEqual(query.name, queries[0].name)
        self.assertIn("WHERE r.name = '{{ region }}'", query.sql)

    def test_unknown_report_is_not_found(self):
        name = WORKSPACE + "/reports/000000000000"
        with self.assertRaises(grpc.RpcError) as caught:
            self.reports.GetReport(report_pb2.GetReportRequest(name=name), timeout=TIMEOUT)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_invalid_name_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.reports.GetReport(report_pb2.GetReportRequest(name="reports/not a name"), timeout=TIMEOUT)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)


class RunTest(unittest.TestCase):
    """One run of "Large Orders by Region" for region West, started once for all the tests here."""

    @classmethod
    def setUpClass(cls):
        cls.reports = report_pb2_grpc.ReportServiceStub(channel)
        workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        spaces = workspaces.ListSpaces(workspace_pb2.ListSpacesRequest(parent=WORKSPACE), timeout=TIMEOUT).spaces
        cls.report = None
        for space in spaces:
            for report in cls.reports.ListReports(
                report_pb2.ListReportsRequest(parent=space.name), timeout=TIMEOUT
            ).reports:
                if report.display_name == "Large Orders by Region":
                    cls.report = report
        if cls.report is None:
            raise AssertionError('no report "Large Orders by Region" in any space')

        cls.started = cls.reports.RunReport(
            report_pb2.RunReportRequest(name=cls.report.name, parameters={"region": "West"}), timeout=TIMEOUT
        ).run
        cls.watched = list(
            cls.reports.WatchReportRun(report_pb2.WatchReportRunRequest(name=cls.started.name), timeout=60)
        )
        cls.query_runs = cls.reports.ListQueryRuns(
            report_pb2.ListQueryRunsRequest(parent=cls.started.name), timeout=TIMEOUT
        ).query_runs

    def stream_rows(self):
        """The query run's result through StreamQueryResults, as dicts, checking the stream's shape."""
        responses = list(
            self.reports.StreamQueryResults(
                report_pb2.StreamQueryResultsRequest(name=self.query_runs[0].name, max_rows_per_batch=7),
                timeout=TIMEOUT,
            )
        )
        self.assertGreater(len(responses), 1, "want several batches")
        columns = [c.name for c in responses[0].columns]
        self.assertEqual(columns, RESULT_COLUMNS)
        types = {c.name: c.type for c in responses[0].columns}
        self.assertEqual(types["region"], report_pb2.Column.TYPE_STRING)
        self.assertEqual(types["total_amt_usd"], report_pb2.Column.TYPE_NUMBER)
        rows = []
        for res in responses:
            if res is not responses[0]:
                self.assertEqual(len(res.columns), 0, "only the first response carries the columns")
            self.assertEqual(res.offset, len(rows), "offsets are continuous")
            self.assertLessEqual(len(res.rows), 7)
            for row in res.rows:
                self.assertEqual(len(row.values), len(columns))
                rows.append(dict(zip(columns, (value(v) for v in row.values))))
        return rows

    def test_run_starts_for_the_report(self):
        self.assertTrue(self.started.name.startswith(self.report.name + "/runs/"), self.started.name)

    def test_watch_ends_in_succeeded(self):
        self.assertTrue(self.watched, "WatchReportRun sent nothing")
        states = [r.run.state for r in self.watched]
        names = [report_pb2.ReportRun.State.Name(s) for s in states]
        self.assertIn(states[-1], TERMINAL, names)
        self.assertEqual(states[-1], report_pb2.ReportRun.STATE_SUCCEEDED, names)
        for before, after in zip(states, states[1:]):
            self.assertNotEqual(before, after, names)
        self.assertTrue(all(r.run.name == self.started.name for r in self.watched))

    def test_get_and_list_report_runs(self):
        run = self.reports.GetReportRun(report_pb2.GetReportRunRequest(name=self.started.name), timeout=TIMEOUT).run
        self.assertEqual(run.state, report_pb2.ReportRun.STATE_SUCCEEDED)
        self.assertEqual(run.parameters["region"], "West")
        self.assertTrue(run.HasField("complete_time"))
        runs = self.reports.ListReportRuns(
            report_pb2.ListReportRunsRequest(parent=self.report.name), timeout=TIMEOUT
        ).runs
        self.assertIn(self.started.name, [r.name for r in runs])

    def test_query_runs(self):
        self.assertEqual(len(self.query_runs), 1)
        query_run = self.reports.GetQueryRun(
            report_pb2.GetQueryRunRequest(name=self.query_runs[0].name), timeout=TIMEOUT
        ).query_run
        self.assertEqual(query_run.state, report_pb2.QueryRun.STATE_SUCCEEDED)
        self.assertEqual(query_run.query_display_name, "Large orders")
        self.assertIn("WHERE r.name = 'West'", query_run.rendered_sql)

    def test_stream_query_results(self):
        rows = self.stream_rows()
        self.assertGreater(len(rows), 7)
        for row in rows:
            self.assertEqual(row["region"], "West")
            self.assertGreaterEqual(row["total_amt_usd"], 1000)  # min_total's default
        amounts = [row["total_amt_usd"] for row in rows]
        self.assertEqual(amounts, sorted(amounts, reverse=True))  # ORDER BY total_amt_usd DESC

    def test_export_query_results_csv(self):
        data = b"".join(
            chunk.data
            for chunk in self.reports.ExportQueryResults(
                report_pb2.ExportQueryResultsRequest(
                    name=self.query_runs[0].name, format=report_pb2.ExportQueryResultsRequest.FORMAT_CSV
                ),
                timeout=TIMEOUT,
            )
        )
        header, *records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        self.assertEqual(header, RESULT_COLUMNS)
        streamed = self.stream_rows()
        self.assertEqual(len(records), len(streamed))
        for record, row in zip(records, streamed):
            exported = dict(zip(header, record))
            self.assertEqual(exported["region"], "West")
            self.assertEqual(float(exported["order_id"]), row["order_id"])


if __name__ == "__main__":
    unittest.main()
