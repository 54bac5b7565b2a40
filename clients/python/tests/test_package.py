"""The installed modeplatform-client package against a real modeplatform server.

scripts/test-clients.sh installs the package into a fresh virtual environment and runs this file
from a directory outside the repository, against a server started with a caller policy:

    MODEPLATFORM_ADDR=host:port MODEPLATFORM_KEY=<a key of the policy> MODEPLATFORM_VERSION=<clients/VERSION> \\
      venv/bin/python -m unittest -v test_package

The DataFrame tests run when pandas is importable (Debian's python3-pandas, which the script
installs); the no-pandas path is tested either way, by hiding pandas.
"""

import importlib.metadata
import json
import os
import sys
import unittest
from unittest import mock

import grpc

import modeplatform_client
from modeplatform.v1 import report_pb2, workspace_pb2
from modeplatform_client import Client

ADDR = os.environ["MODEPLATFORM_ADDR"]
KEY = os.environ["MODEPLATFORM_KEY"]
WORKSPACE = "workspaces/parch_and_posey"
LARGE_ORDERS = WORKSPACE + "/reports/dc63649ea16c"  # "Large Orders by Region", parameter region
COLUMNS = ["order_id", "account", "region", "occurred_at", "total", "total_amt_usd"]
TIMEOUT = 60  # seconds, per call

try:
    import pandas
except ImportError:
    pandas = None


class InstalledTest(unittest.TestCase):
    def test_imported_from_the_environment_not_the_repository(self):
        for module in (modeplatform_client, report_pb2):
            path = os.path.realpath(module.__file__)
            self.assertTrue(path.startswith(os.path.realpath(sys.prefix) + os.sep), f"{module.__name__} from {path}")
            self.assertNotIn(os.sep + "gen" + os.sep + "python" + os.sep, path)

    def test_version_follows_the_contract(self):
        want = os.environ["MODEPLATFORM_VERSION"]
        self.assertEqual(modeplatform_client.__version__, want)
        self.assertEqual(importlib.metadata.version("modeplatform-client"), want)
        self.assertEqual(modeplatform_client.CONTRACT_PACKAGE, report_pb2.DESCRIPTOR.package)
        self.assertEqual(want.split(".")[0], report_pb2.DESCRIPTOR.package.rsplit(".v", 1)[1])

    def test_typed(self):
        import modeplatform.v1

        for package in (modeplatform_client, modeplatform.v1):
            directory = os.path.dirname(package.__file__) if package.__file__ else list(package.__path__)[0]
            self.assertTrue(os.path.exists(os.path.join(directory, "py.typed")), package.__name__)
        self.assertTrue(os.path.exists(report_pb2.__file__[: -len(".py")] + ".pyi"))


class ArgumentsTest(unittest.TestCase):
    def test_refused(self):
        cases = [
            ("empty target", "", {}),
            ("a URL, not host:port", "http://127.0.0.1:8080", {}),
            ("empty key", ADDR, {"key": ""}),
            ("key with a newline", ADDR, {"key": "mp_secret\nx"}),
            ("root certificates without TLS", ADDR, {"root_certificates": b"pem"}),
        ]
        for name, target, kwargs in cases:
            with self.subTest(name):
                with self.assertRaises(ValueError) as caught:
                    Client(target, **kwargs)
                self.assertNotIn("mp_secret", str(caught.exception))


class KeyTest(unittest.TestCase):
    """The key reaches the server's caller policy, on unary calls and on streams."""

    def test_keys(self):
        cases = [
            ("the policy's key", KEY, None),
            ("no key", None, grpc.StatusCode.UNAUTHENTICATED),
            ("a wrong key", "mp_not_a_key", grpc.StatusCode.UNAUTHENTICATED),
        ]
        for name, key, code in cases:
            for call in ("unary", "stream"):
                with self.subTest(name, call=call), Client(ADDR, key=key, timeout=TIMEOUT) as mp:
                    try:
                        if call == "unary":
                            ws = mp.workspaces.GetWorkspace(workspace_pb2.GetWorkspaceRequest(name=WORKSPACE), timeout=TIMEOUT)
                            self.assertEqual(ws.workspace.display_name, "Parch & Posey")
                        else:
                            # A run that does not exist: past the policy, the service says NOT_FOUND.
                            mp.wait_run(LARGE_ORDERS + "/runs/000000000000")
                    except grpc.RpcError as err:
                        want = code or (grpc.StatusCode.NOT_FOUND if call == "stream" else None)
                        self.assertEqual(err.code(), want, err.details())
                    else:
                        self.assertIsNone(code, "the call succeeded")
                        self.assertEqual(call, "unary", "wait_run of a run that does not exist succeeded")


class RunTest(unittest.TestCase):
    """One run of "Large Orders by Region" for region West, followed and read through the helpers."""

    @classmethod
    def setUpClass(cls):
        cls.mp = Client(ADDR, key=KEY, timeout=TIMEOUT, stream_timeout=TIMEOUT)
        cls.started = cls.mp.run_report(LARGE_ORDERS, {"region": "West"})
        cls.states = [r.state for r in cls.mp.follow_run(cls.started.name)]
        cls.query_run = cls.mp.query_runs(cls.started.name)[0].name
        cls.rows = list(cls.mp.rows(cls.query_run, batch_size=4))
        data = b"".join(
            chunk.data
            for chunk in cls.mp.reports.ExportQueryResults(
                report_pb2.ExportQueryResultsRequest(name=cls.query_run, format=report_pb2.ExportQueryResultsRequest.FORMAT_JSON),
                timeout=TIMEOUT,
            )
        )
        cls.exported = json.loads(data)

    @classmethod
    def tearDownClass(cls):
        cls.mp.close()

    def test_follow_run_ends_in_succeeded(self):
        names = [report_pb2.ReportRun.State.Name(s) for s in self.states]
        self.assertEqual(self.states[-1], report_pb2.ReportRun.STATE_SUCCEEDED, names)
        for before, after in zip(self.states, self.states[1:]):
            self.assertNotEqual(before, after, names)
            self.assertNotIn(before, modeplatform_client.TERMINAL_STATES, names)

    def test_wait_run(self):
        seen = []
        run = self.mp.wait_run(self.started.name, on_state=seen.append)
        self.assertEqual(run.state, report_pb2.ReportRun.STATE_SUCCEEDED)
        self.assertEqual(run.parameters["region"], "West")
        self.assertEqual([r.state for r in seen], [report_pb2.ReportRun.STATE_SUCCEEDED])

    def test_rows_equal_the_json_export(self):
        self.assertGreaterEqual(len(self.rows), 5)
        self.assertEqual(len(self.rows), len(self.exported))
        for row, exported in zip(self.rows, self.exported):
            self.assertEqual(list(row), COLUMNS)
            self.assertEqual(row["region"], "West")
            for column, value in exported.items():
                self.assertEqual(row[column], value, column)
        amounts = [row["total_amt_usd"] for row in self.rows]
        self.assertEqual(amounts, sorted(amounts, reverse=True))

    def test_rows_from_an_offset(self):
        rows = self.mp.rows(self.query_run, offset=3, batch_size=2)
        self.assertEqual([next(rows) for _ in range(3)], self.rows[3:6])
        rows.close()  # cancels the stream

    def test_columns(self):
        columns = self.mp.columns(self.query_run)
        self.assertEqual([c.name for c in columns], COLUMNS)
        types = {c.name: c.type for c in columns}
        self.assertEqual(types["total_amt_usd"], report_pb2.Column.TYPE_NUMBER)
        self.assertEqual(types["occurred_at"], report_pb2.Column.TYPE_TIMESTAMP)
        self.assertEqual(types["account"], report_pb2.Column.TYPE_STRING)

    @unittest.skipIf(pandas is None, "pandas is not installed")
    def test_dataframe(self):
        df = self.mp.dataframe(self.query_run)
        self.assertEqual(list(df.columns), COLUMNS)
        self.assertEqual(len(df), len(self.rows))
        self.assertEqual(str(df["total_amt_usd"].dtype), "float64")
        self.assertEqual(str(df["order_id"].dtype), "float64")
        self.assertEqual(str(df["occurred_at"].dtype), "datetime64[ns, UTC]")
        self.assertEqual(df["account"].tolist(), [r["account"] for r in self.rows])
        self.assertEqual(df["total_amt_usd"].tolist(), [r["total_amt_usd"] for r in self.rows])
        first = pandas.Timestamp(self.rows[0]["occurred_at"])
        self.assertEqual(df["occurred_at"].iloc[0], first if first.tzinfo else first.tz_localize("UTC"))

    def test_dataframe_without_pandas(self):
        with mock.patch.dict(sys.modules, {"pandas": None}):  # import pandas raises ImportError
            with self.assertRaises(ImportError) as caught:
                self.mp.dataframe(self.query_run)
        self.assertIn("modeplatform-client[pandas]", str(caught.exception))

    def test_errors(self):
        cases = [
            ("a bad name", "runs/x", grpc.StatusCode.INVALID_ARGUMENT),
            ("an unknown query run", LARGE_ORDERS + "/runs/000000000000/queryRuns/000000000000", grpc.StatusCode.NOT_FOUND),
        ]
        for name, query_run, code in cases:
            with self.subTest(name):
                with self.assertRaises(grpc.RpcError) as caught:
                    list(self.mp.rows(query_run))
                self.assertEqual(caught.exception.code(), code)
        with self.assertRaises(ValueError):
            list(self.mp.rows(self.query_run, offset=-1))


if __name__ == "__main__":
    unittest.main()
