"""modeplatform_client: a small typed helper over the generated gRPC client of modeplatform.

The generated messages and stubs come in the same package (``modeplatform.v1``: ``report_pb2``,
``report_pb2_grpc``, …); this module adds what every caller otherwise writes itself::

    from modeplatform_client import Client

    with Client("modeplatform.example.com:443", key=os.environ["MODEPLATFORM_KEY"], tls=True) as mp:
        run = mp.run_report("workspaces/acme/reports/dc63649ea16c", {"region": "West"})
        run = mp.wait_run(run.name)                     # follows WatchReportRun to the end
        query_run = mp.query_runs(run.name)[0]
        for row in mp.rows(query_run.name):             # StreamQueryResults, row by row
            print(row["account"], row["total_amt_usd"])
        df = mp.dataframe(query_run.name)               # with pandas installed

Streams the server ends with UNAVAILABLE (shutting down, open for their maximum lifetime) are opened
again where they stopped. The package's version follows the contract: modeplatform.v1 is 1.x.y.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import grpc

from modeplatform.v1 import (
    data_source_pb2_grpc,
    dataset_pb2_grpc,
    report_pb2,
    report_pb2_grpc,
    workspace_pb2_grpc,
)

try:
    from modeplatform_client._version import __version__
except ImportError:  # not built by setup.py (the source tree on sys.path)
    __version__ = "0+unknown"

if TYPE_CHECKING:
    import pandas

__all__ = ["Client", "Value", "Row", "TERMINAL_STATES", "CONTRACT_PACKAGE", "__version__"]

#: The proto package of the contract this client speaks.
CONTRACT_PACKAGE = "modeplatform.v1"

#: A value of a result: str (TYPE_STRING, and TYPE_TIMESTAMP as ISO-8601 text), float
#: (TYPE_NUMBER), bool (TYPE_BOOLEAN) or None (null).
Value = Union[str, float, bool, None]

#: A row of a result: its values by column name, in the columns' order.
Row = Dict[str, Value]

#: The states a report run ends in.
TERMINAL_STATES = frozenset(
    {
        report_pb2.ReportRun.STATE_SUCCEEDED,
        report_pb2.ReportRun.STATE_FAILED,
        report_pb2.ReportRun.STATE_CANCELLED,
        report_pb2.ReportRun.STATE_COMPLETED,
    }
)

# How many times in a row a stream is opened again after UNAVAILABLE without anything new arriving,
# and the waits before each (the server's RetryInfo is not read: Debian's grpcio has no
# grpc_status module to parse it).
_MAX_RETRIES = 5
_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)


class _KeyInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer <key>`` to the metadata of every call."""

    def __init__(self, key: str):
        self._metadata = ("authorization", "Bearer " + key)

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or ())
        metadata.append(self._metadata)
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


def _value(v: Any) -> Value:
    """A google.protobuf.Value of a result row as a Python value."""
    kind = v.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "number_value":
        return v.number_value
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    # Lists and structs do not occur in results; keep them as Python objects if they ever do.
    from google.protobuf import json_format

    return json_format.MessageToDict(v)


class Client:
    """The modeplatform services over one gRPC channel, with the caller's key on every call.

    ``target`` is ``host:port``. ``key`` is the caller's key from the server's caller policy, sent
    as ``authorization: Bearer <key>``; use ``tls=True`` (optionally with ``root_certificates``,
    PEM bytes) for a server that is not on this host, or the key crosses the network in clear text.
    ``timeout`` (seconds) bounds each unary call; streams are bounded by ``stream_timeout`` (None:
    not at all). ``options`` are passed to the channel.
    """

    def __init__(
        self,
        target: str,
        *,
        key: Optional[str] = None,
        tls: bool = False,
        root_certificates: Optional[bytes] = None,
        timeout: Optional[float] = 60.0,
        stream_timeout: Optional[float] = None,
        options: Sequence[Tuple[str, Any]] = (),
    ):
        if not target or "/" in target:
            raise ValueError(f"target must be host:port, not {target!r}")
        if key is not None and (not key or any(c <= " " or c > "~" for c in key)):
            # Never echo the key: it is a secret.
            raise ValueError("key must be non-empty printable ASCII without spaces")
        if root_certificates is not None and not tls:
            raise ValueError("root_certificates needs tls=True")
        if tls:
            channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates), options=list(options))
        else:
            channel = grpc.insecure_channel(target, options=list(options))
        self._raw_channel = channel
        if key is not None:
            channel = grpc.intercept_channel(channel, _KeyInterceptor(key))
        self.channel: grpc.Channel = channel
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        #: WorkspaceService: workspaces, members, groups, spaces, people and access.
        self.workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        #: ReportService: reports, runs, queries, results, schedules, subscriptions.
        self.reports = report_pb2_grpc.ReportServiceStub(channel)
        #: DatasetService: datasets (Mode's data models), their runs and fields.
        self.datasets = dataset_pb2_grpc.DatasetServiceStub(channel)
        #: DataSourceService: data sources and shared SQL definitions.
        self.data_sources = data_source_pb2_grpc.DataSourceServiceStub(channel)

    def close(self) -> None:
        """Closes the channel."""
        self._raw_channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_report(
        self, report: str, parameters: Optional[Mapping[str, str]] = None, *, request_id: str = ""
    ) -> report_pb2.ReportRun:
        """Starts a run of ``report`` (``workspaces/{w}/reports/{r}``) with ``parameters`` and
        returns it as it started; ``request_id`` makes a retried start start one run only."""
        req = report_pb2.RunReportRequest(name=report, parameters=dict(parameters or {}), request_id=request_id)
        return self.reports.RunReport(req, timeout=self.timeout).run

    def follow_run(self, run: str) -> Iterator[report_pb2.ReportRun]:
        """Yields the report run named ``run`` (``workspaces/{w}/reports/{r}/runs/{run}``) as it is
        now, then each time its state changes, and stops after a terminal state
        (``TERMINAL_STATES``), through WatchReportRun. A watch the server ends with UNAVAILABLE is
        opened again. Errors are ``grpc.RpcError``; leaving the loop early cancels the watch."""
        last: Optional[report_pb2.ReportRun] = None
        retries = 0
        while True:
            call = self.reports.WatchReportRun(report_pb2.WatchReportRunRequest(name=run), timeout=self.stream_timeout)
            try:
                for res in call:
                    if last is not None and res.run.state == last.state:
                        continue  # the same state again, after a watch was opened again
                    last, retries = res.run, 0
                    yield res.run
                    if res.run.state in TERMINAL_STATES:
                        return
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNAVAILABLE or retries >= _MAX_RETRIES:
                    raise
                time.sleep(_RETRY_DELAYS[retries])
                retries += 1
                continue
            finally:
                call.cancel()
            raise RuntimeError(f"the watch of {run} ended before the run did")

    def wait_run(self, run: str, on_state: Optional[Callable[[report_pb2.ReportRun], None]] = None) -> report_pb2.ReportRun:
        """Follows the report run named ``run`` to its end (see follow_run), calling ``on_state``
        with each state seen, and returns it in its terminal state. A failed or cancelled run is
        returned too: look at its state."""
        last = None
        for last in self.follow_run(run):
            if on_state is not None:
                on_state(last)
        assert last is not None  # follow_run yields at least once or raises
        return last

    def query_runs(self, run: str) -> List[report_pb2.QueryRun]:
        """Every query run of the report run named ``run`` (one per query of the report), all pages."""
        out: List[report_pb2.QueryRun] = []
        req = report_pb2.ListQueryRunsRequest(parent=run)
        while True:
            res = self.reports.ListQueryRuns(req, timeout=self.timeout)
            out.extend(res.query_runs)
            if not res.next_page_token:
                return out
            req.page_token = res.next_page_token

    def _batches(
        self, query_run: str, offset: int, batch_size: int
    ) -> Iterator[Tuple[List[report_pb2.Column], Sequence[Any]]]:
        """(columns, rows) batches of StreamQueryResults from ``offset``, resumed after UNAVAILABLE."""
        if offset < 0 or batch_size < 0:
            raise ValueError("offset and batch_size must not be negative")
        columns: List[report_pb2.Column] = []
        retries = 0
        while True:
            call = self.reports.StreamQueryResults(
                report_pb2.StreamQueryResultsRequest(name=query_run, offset=offset, max_rows_per_batch=batch_size),
                timeout=self.stream_timeout,
            )
            try:
                for res in call:
                    if res.columns:
                        columns = list(res.columns)
                    if res.rows and res.offset != offset:
                        raise RuntimeError(f"the result of {query_run}: the server sent rows from {res.offset}, not {offset}")
                    offset += len(res.rows)
                    if res.rows:
                        retries = 0
                    yield columns, res.rows
                return
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNAVAILABLE or retries >= _MAX_RETRIES:
                    raise
                time.sleep(_RETRY_DELAYS[retries])
                retries += 1
            finally:
                call.cancel()

    def columns(self, query_run: str) -> List[report_pb2.Column]:
        """The columns (names and types) of the result of the succeeded query run ``query_run``."""
        for columns, _ in self._batches(query_run, 0, 1):
            return columns
        return []

    def rows(self, query_run: str, *, offset: int = 0, batch_size: int = 0) -> Iterator[Row]:
        """Yields the rows of the succeeded query run named ``query_run``
        (``workspaces/{w}/reports/{r}/runs/{run}/queryRuns/{q}``) in result order, each a dict by
        column name (see ``Value``), through StreamQueryResults: from row ``offset``, asking for
        ``batch_size`` rows per message (0: the server's choice). Leaving the loop early cancels
        the stream."""
        for columns, rows in self._batches(query_run, offset, batch_size):
            names = [c.name for c in columns]
            for row in rows:
                yield dict(zip(names, (_value(v) for v in row.values)))

    def dataframe(self, query_run: str) -> "pandas.DataFrame":
        """The result of the succeeded query run ``query_run`` as a pandas DataFrame, with a dtype
        per column type: float64 (TYPE_NUMBER), the nullable boolean (TYPE_BOOLEAN), datetime64 in
        UTC (TYPE_TIMESTAMP; a time without a zone is taken as UTC; a column that does not parse
        stays text) and object (text, and columns of unknown type). Needs pandas (ImportError
        otherwise): ``pip install 'modeplatform-client[pandas]'`` or Debian's python3-pandas."""
        try:
            import pandas as pd
        except ImportError as err:
            raise ImportError(
                "modeplatform_client.Client.dataframe needs pandas: "
                "pip install 'modeplatform-client[pandas]' (or apt-get install python3-pandas)"
            ) from err
        columns: List[report_pb2.Column] = []
        data: List[List[Value]] = []
        for columns, rows in self._batches(query_run, 0, 0):
            data.extend([_value(v) for v in row.values] for row in rows)
        names = [c.name for c in columns]
        series = {}
        for i, col in enumerate(columns):
            values = [row[i] for row in data]
            if col.type == report_pb2.Column.TYPE_NUMBER:
                s = pd.Series(values, dtype="float64")
            elif col.type == report_pb2.Column.TYPE_BOOLEAN:
                s = pd.Series(values, dtype="boolean")
            elif col.type == report_pb2.Column.TYPE_TIMESTAMP:
                try:
                    s = pd.Series(pd.to_datetime(values, utc=True))
                except (ValueError, TypeError, OverflowError):
                    s = pd.Series(values, dtype="object")
            else:
                s = pd.Series(values, dtype="object")
            series[col.name] = s
        return pd.DataFrame(series, columns=names)
