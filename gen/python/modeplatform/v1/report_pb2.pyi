from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import client_pb2 as _client_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from modeplatform.v1 import chart_pb2 as _chart_pb2
from modeplatform.v1 import options_pb2 as _options_pb2
from modeplatform.v1 import report_filter_pb2 as _report_filter_pb2
from modeplatform.v1 import schedule_pb2 as _schedule_pb2
from modeplatform.v1 import subscription_pb2 as _subscription_pb2
from modeplatform.v1 import view_pb2 as _view_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ArchiveReportRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ArchiveReportResponse(_message.Message):
    __slots__ = ["report"]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class CloneReportRunRequest(_message.Message):
    __slots__ = ["name", "request_id"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CloneReportRunResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ReportRun
    def __init__(self, run: _Optional[_Union[ReportRun, _Mapping]] = ...) -> None: ...

class Column(_message.Message):
    __slots__ = ["name", "type"]
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_BOOLEAN: Column.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_NUMBER: Column.Type
    TYPE_STRING: Column.Type
    TYPE_TIMESTAMP: Column.Type
    TYPE_UNSPECIFIED: Column.Type
    name: str
    type: Column.Type
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[Column.Type, str]] = ...) -> None: ...

class CreateQueryRequest(_message.Message):
    __slots__ = ["parent", "query", "request_id"]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    query: Query
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., query: _Optional[_Union[Query, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateQueryResponse(_message.Message):
    __slots__ = ["query"]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: Query
    def __init__(self, query: _Optional[_Union[Query, _Mapping]] = ...) -> None: ...

class DeleteQueryRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteQueryResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteReportRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteReportResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DuplicateReportRunRequest(_message.Message):
    __slots__ = ["name", "request_id", "space"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    space: str
    def __init__(self, name: _Optional[str] = ..., space: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DuplicateReportRunResponse(_message.Message):
    __slots__ = ["duplicate"]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    duplicate: ReportRunDuplicate
    def __init__(self, duplicate: _Optional[_Union[ReportRunDuplicate, _Mapping]] = ...) -> None: ...

class ExportQueryResultsRequest(_message.Message):
    __slots__ = ["format", "name", "offset"]
    class Format(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    FORMAT_ARROW: ExportQueryResultsRequest.Format
    FORMAT_CSV: ExportQueryResultsRequest.Format
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_JSON: ExportQueryResultsRequest.Format
    FORMAT_PARQUET: ExportQueryResultsRequest.Format
    FORMAT_UNSPECIFIED: ExportQueryResultsRequest.Format
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    format: ExportQueryResultsRequest.Format
    name: str
    offset: int
    def __init__(self, name: _Optional[str] = ..., format: _Optional[_Union[ExportQueryResultsRequest.Format, str]] = ..., offset: _Optional[int] = ...) -> None: ...

class ExportQueryResultsResponse(_message.Message):
    __slots__ = ["content_type", "data"]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    data: bytes
    def __init__(self, data: _Optional[bytes] = ..., content_type: _Optional[str] = ...) -> None: ...

class ExportReportRunRequest(_message.Message):
    __slots__ = ["format", "name", "offset"]
    class Format(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    FORMAT_CSV: ExportReportRunRequest.Format
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_JSON: ExportReportRunRequest.Format
    FORMAT_PDF: ExportReportRunRequest.Format
    FORMAT_UNSPECIFIED: ExportReportRunRequest.Format
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    format: ExportReportRunRequest.Format
    name: str
    offset: int
    def __init__(self, name: _Optional[str] = ..., format: _Optional[_Union[ExportReportRunRequest.Format, str]] = ..., offset: _Optional[int] = ...) -> None: ...

class ExportReportRunResponse(_message.Message):
    __slots__ = ["content_type", "data", "file_name"]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    data: bytes
    file_name: str
    def __init__(self, content_type: _Optional[str] = ..., file_name: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class GetQueryRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetQueryResponse(_message.Message):
    __slots__ = ["query"]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: Query
    def __init__(self, query: _Optional[_Union[Query, _Mapping]] = ...) -> None: ...

class GetQueryRunRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetQueryRunResponse(_message.Message):
    __slots__ = ["query_run"]
    QUERY_RUN_FIELD_NUMBER: _ClassVar[int]
    query_run: QueryRun
    def __init__(self, query_run: _Optional[_Union[QueryRun, _Mapping]] = ...) -> None: ...

class GetReportParametersRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReportParametersResponse(_message.Message):
    __slots__ = ["parameters", "run"]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedCompositeFieldContainer[ReportParameter]
    run: str
    def __init__(self, parameters: _Optional[_Iterable[_Union[ReportParameter, _Mapping]]] = ..., run: _Optional[str] = ...) -> None: ...

class GetReportRequest(_message.Message):
    __slots__ = ["name", "view"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    name: str
    view: _view_pb2.View
    def __init__(self, name: _Optional[str] = ..., view: _Optional[_Union[_view_pb2.View, str]] = ...) -> None: ...

class GetReportResponse(_message.Message):
    __slots__ = ["report"]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class GetReportRunDuplicateRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReportRunDuplicateResponse(_message.Message):
    __slots__ = ["duplicate"]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    duplicate: ReportRunDuplicate
    def __init__(self, duplicate: _Optional[_Union[ReportRunDuplicate, _Mapping]] = ...) -> None: ...

class GetReportRunRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReportRunResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ReportRun
    def __init__(self, run: _Optional[_Union[ReportRun, _Mapping]] = ...) -> None: ...

class ListQueriesRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListQueriesResponse(_message.Message):
    __slots__ = ["next_page_token", "queries", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    queries: _containers.RepeatedCompositeFieldContainer[Query]
    total_size: int
    def __init__(self, queries: _Optional[_Iterable[_Union[Query, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListQueryRunsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListQueryRunsResponse(_message.Message):
    __slots__ = ["next_page_token", "query_runs", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    QUERY_RUNS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    query_runs: _containers.RepeatedCompositeFieldContainer[QueryRun]
    total_size: int
    def __init__(self, query_runs: _Optional[_Iterable[_Union[QueryRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListReportRunsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReportRunsResponse(_message.Message):
    __slots__ = ["next_page_token", "runs", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    runs: _containers.RepeatedCompositeFieldContainer[ReportRun]
    total_size: int
    def __init__(self, runs: _Optional[_Iterable[_Union[ReportRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListReportStatsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReportStatsResponse(_message.Message):
    __slots__ = ["next_page_token", "report_stats", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REPORT_STATS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    report_stats: _containers.RepeatedCompositeFieldContainer[ReportStats]
    total_size: int
    def __init__(self, report_stats: _Optional[_Iterable[_Union[ReportStats, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListReportsRequest(_message.Message):
    __slots__ = ["archived_filter", "order_by", "page_size", "page_token", "parent", "view"]
    class ArchivedFilter(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    ARCHIVED_FILTER_ACTIVE: ListReportsRequest.ArchivedFilter
    ARCHIVED_FILTER_ALL: ListReportsRequest.ArchivedFilter
    ARCHIVED_FILTER_ARCHIVED: ListReportsRequest.ArchivedFilter
    ARCHIVED_FILTER_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FILTER_UNSPECIFIED: ListReportsRequest.ArchivedFilter
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    archived_filter: ListReportsRequest.ArchivedFilter
    order_by: str
    page_size: int
    page_token: str
    parent: str
    view: _view_pb2.View
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., archived_filter: _Optional[_Union[ListReportsRequest.ArchivedFilter, str]] = ..., order_by: _Optional[str] = ..., view: _Optional[_Union[_view_pb2.View, str]] = ...) -> None: ...

class ListReportsResponse(_message.Message):
    __slots__ = ["next_page_token", "reports", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    reports: _containers.RepeatedCompositeFieldContainer[Report]
    total_size: int
    def __init__(self, reports: _Optional[_Iterable[_Union[Report, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class PurgeReportResultsRequest(_message.Message):
    __slots__ = ["parent", "request_id"]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PurgeReportResultsResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class Query(_message.Message):
    __slots__ = ["create_time", "data_source", "display_name", "name", "sql", "update_time"]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    data_source: str
    display_name: str
    name: str
    sql: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., sql: _Optional[str] = ..., data_source: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class QueryRun(_message.Message):
    __slots__ = ["complete_time", "create_time", "data_source", "error", "max_result_bytes", "name", "query", "query_display_name", "raw_sql", "rendered_sql", "row_limit", "state"]
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    class Error(_message.Message):
        __slots__ = ["code", "message", "type"]
        CODE_FIELD_NUMBER: _ClassVar[int]
        MESSAGE_FIELD_NUMBER: _ClassVar[int]
        TYPE_FIELD_NUMBER: _ClassVar[int]
        code: str
        message: str
        type: str
        def __init__(self, code: _Optional[str] = ..., type: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULT_BYTES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    RAW_SQL_FIELD_NUMBER: _ClassVar[int]
    RENDERED_SQL_FIELD_NUMBER: _ClassVar[int]
    ROW_LIMIT_FIELD_NUMBER: _ClassVar[int]
    STATE_CANCELLED: QueryRun.State
    STATE_COMPLETED: QueryRun.State
    STATE_ENQUEUED: QueryRun.State
    STATE_FAILED: QueryRun.State
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_PENDING: QueryRun.State
    STATE_RUNNING: QueryRun.State
    STATE_SUCCEEDED: QueryRun.State
    STATE_UNSPECIFIED: QueryRun.State
    complete_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    data_source: str
    error: QueryRun.Error
    max_result_bytes: int
    name: str
    query: str
    query_display_name: str
    raw_sql: str
    rendered_sql: str
    row_limit: int
    state: QueryRun.State
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[QueryRun.State, str]] = ..., query: _Optional[str] = ..., query_display_name: _Optional[str] = ..., data_source: _Optional[str] = ..., raw_sql: _Optional[str] = ..., rendered_sql: _Optional[str] = ..., row_limit: _Optional[int] = ..., max_result_bytes: _Optional[int] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[QueryRun.Error, _Mapping]] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ["archived", "chart_count", "create_time", "description", "display_name", "edit_time", "last_run_time", "last_successful_run", "last_successful_run_time", "manual_run_disabled", "name", "public", "publish_time", "query_count", "run_count", "run_privately", "schedule_count", "space", "update_time", "view_count", "web_uri"]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    CHART_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EDIT_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESSFUL_RUN_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESSFUL_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    MANUAL_RUN_DISABLED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    QUERY_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUN_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUN_PRIVATELY_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    WEB_URI_FIELD_NUMBER: _ClassVar[int]
    archived: bool
    chart_count: int
    create_time: _timestamp_pb2.Timestamp
    description: str
    display_name: str
    edit_time: _timestamp_pb2.Timestamp
    last_run_time: _timestamp_pb2.Timestamp
    last_successful_run: str
    last_successful_run_time: _timestamp_pb2.Timestamp
    manual_run_disabled: bool
    name: str
    public: bool
    publish_time: _timestamp_pb2.Timestamp
    query_count: int
    run_count: int
    run_privately: bool
    schedule_count: int
    space: str
    update_time: _timestamp_pb2.Timestamp
    view_count: int
    web_uri: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., space: _Optional[str] = ..., archived: bool = ..., public: bool = ..., run_privately: bool = ..., manual_run_disabled: bool = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., edit_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., publish_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_run_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_successful_run_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_successful_run: _Optional[str] = ..., query_count: _Optional[int] = ..., chart_count: _Optional[int] = ..., run_count: _Optional[int] = ..., schedule_count: _Optional[int] = ..., view_count: _Optional[int] = ..., web_uri: _Optional[str] = ...) -> None: ...

class ReportParameter(_message.Message):
    __slots__ = ["allowed_values", "allowed_values_error", "default_value", "description", "has_default", "label", "name", "type"]
    class AllowedValue(_message.Message):
        __slots__ = ["label", "value"]
        LABEL_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        label: str
        value: str
        def __init__(self, label: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALLOWED_VALUES_ERROR_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_VALUES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HAS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    allowed_values: _containers.RepeatedCompositeFieldContainer[ReportParameter.AllowedValue]
    allowed_values_error: str
    default_value: str
    description: str
    has_default: bool
    label: str
    name: str
    type: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., label: _Optional[str] = ..., description: _Optional[str] = ..., default_value: _Optional[str] = ..., has_default: bool = ..., allowed_values: _Optional[_Iterable[_Union[ReportParameter.AllowedValue, _Mapping]]] = ..., allowed_values_error: _Optional[str] = ...) -> None: ...

class ReportRun(_message.Message):
    __slots__ = ["complete_time", "create_time", "name", "parameters", "state", "update_time", "web_uri"]
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    class ParametersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    STATE_CANCELLED: ReportRun.State
    STATE_COMPLETED: ReportRun.State
    STATE_ENQUEUED: ReportRun.State
    STATE_FAILED: ReportRun.State
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_PENDING: ReportRun.State
    STATE_RUNNING: ReportRun.State
    STATE_RUNNING_NOTEBOOK: ReportRun.State
    STATE_SUCCEEDED: ReportRun.State
    STATE_UNSPECIFIED: ReportRun.State
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    WEB_URI_FIELD_NUMBER: _ClassVar[int]
    complete_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    name: str
    parameters: _containers.ScalarMap[str, str]
    state: ReportRun.State
    update_time: _timestamp_pb2.Timestamp
    web_uri: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[ReportRun.State, str]] = ..., parameters: _Optional[_Mapping[str, str]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., web_uri: _Optional[str] = ...) -> None: ...

class ReportRunDuplicate(_message.Message):
    __slots__ = ["complete_time", "create_time", "name", "new_report", "space", "state"]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_REPORT_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    complete_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    name: str
    new_report: str
    space: str
    state: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[str] = ..., new_report: _Optional[str] = ..., space: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReportStats(_message.Message):
    __slots__ = ["active_schedule_count", "editors", "exploration_count", "name", "recent_manual_run_creators", "report", "scheduled_run_creators", "view_count"]
    ACTIVE_SCHEDULE_COUNT_FIELD_NUMBER: _ClassVar[int]
    EDITORS_FIELD_NUMBER: _ClassVar[int]
    EXPLORATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECENT_MANUAL_RUN_CREATORS_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_RUN_CREATORS_FIELD_NUMBER: _ClassVar[int]
    VIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    active_schedule_count: int
    editors: _containers.RepeatedScalarFieldContainer[str]
    exploration_count: int
    name: str
    recent_manual_run_creators: _containers.RepeatedScalarFieldContainer[str]
    report: str
    scheduled_run_creators: _containers.RepeatedScalarFieldContainer[str]
    view_count: int
    def __init__(self, name: _Optional[str] = ..., report: _Optional[str] = ..., view_count: _Optional[int] = ..., active_schedule_count: _Optional[int] = ..., exploration_count: _Optional[int] = ..., recent_manual_run_creators: _Optional[_Iterable[str]] = ..., scheduled_run_creators: _Optional[_Iterable[str]] = ..., editors: _Optional[_Iterable[str]] = ...) -> None: ...

class Row(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, values: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ...) -> None: ...

class RunReportRequest(_message.Message):
    __slots__ = ["name", "parameters", "request_id"]
    class ParametersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    parameters: _containers.ScalarMap[str, str]
    request_id: str
    def __init__(self, name: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RunReportResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ReportRun
    def __init__(self, run: _Optional[_Union[ReportRun, _Mapping]] = ...) -> None: ...

class StreamQueryResultsRequest(_message.Message):
    __slots__ = ["max_rows_per_batch", "name", "offset"]
    MAX_ROWS_PER_BATCH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    max_rows_per_batch: int
    name: str
    offset: int
    def __init__(self, name: _Optional[str] = ..., offset: _Optional[int] = ..., max_rows_per_batch: _Optional[int] = ...) -> None: ...

class StreamQueryResultsResponse(_message.Message):
    __slots__ = ["columns", "offset", "rows"]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedCompositeFieldContainer[Column]
    offset: int
    rows: _containers.RepeatedCompositeFieldContainer[Row]
    def __init__(self, columns: _Optional[_Iterable[_Union[Column, _Mapping]]] = ..., rows: _Optional[_Iterable[_Union[Row, _Mapping]]] = ..., offset: _Optional[int] = ...) -> None: ...

class UnarchiveReportRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UnarchiveReportResponse(_message.Message):
    __slots__ = ["report"]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class UpdateQueryRequest(_message.Message):
    __slots__ = ["query", "update_mask"]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    query: Query
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, query: _Optional[_Union[Query, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateQueryResponse(_message.Message):
    __slots__ = ["query"]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: Query
    def __init__(self, query: _Optional[_Union[Query, _Mapping]] = ...) -> None: ...

class UpdateReportRequest(_message.Message):
    __slots__ = ["report", "update_mask"]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    report: Report
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateReportResponse(_message.Message):
    __slots__ = ["report"]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class WatchReportRunRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class WatchReportRunResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ReportRun
    def __init__(self, run: _Optional[_Union[ReportRun, _Mapping]] = ...) -> None: ...
