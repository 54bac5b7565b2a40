from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import client_pb2 as _client_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from modeplatform.v1 import options_pb2 as _options_pb2
from modeplatform.v1 import report_pb2 as _report_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateFieldDescriptionRequest(_message.Message):
    __slots__ = ["field_description", "parent", "request_id"]
    FIELD_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    field_description: FieldDescription
    parent: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., field_description: _Optional[_Union[FieldDescription, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateFieldDescriptionResponse(_message.Message):
    __slots__ = ["field_description"]
    FIELD_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field_description: FieldDescription
    def __init__(self, field_description: _Optional[_Union[FieldDescription, _Mapping]] = ...) -> None: ...

class Dataset(_message.Message):
    __slots__ = ["create_time", "description", "display_name", "last_run_time", "last_successful_run", "last_successful_run_time", "name", "space", "update_time", "web_uri"]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESSFUL_RUN_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESSFUL_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    WEB_URI_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    description: str
    display_name: str
    last_run_time: _timestamp_pb2.Timestamp
    last_successful_run: str
    last_successful_run_time: _timestamp_pb2.Timestamp
    name: str
    space: str
    update_time: _timestamp_pb2.Timestamp
    web_uri: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., space: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_run_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_successful_run_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_successful_run: _Optional[str] = ..., web_uri: _Optional[str] = ...) -> None: ...

class DatasetField(_message.Message):
    __slots__ = ["column", "description", "field_description", "mode_type", "type"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FIELD_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MODE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    column: str
    description: str
    field_description: str
    mode_type: str
    type: _report_pb2.Column.Type
    def __init__(self, column: _Optional[str] = ..., type: _Optional[_Union[_report_pb2.Column.Type, str]] = ..., mode_type: _Optional[str] = ..., description: _Optional[str] = ..., field_description: _Optional[str] = ...) -> None: ...

class DatasetRun(_message.Message):
    __slots__ = ["complete_time", "create_time", "failures_since_last_success", "latest", "latest_successful", "name", "purge_complete_time", "purge_start_time", "report_run", "state", "update_time"]
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FAILURES_SINCE_LAST_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    LATEST_SUCCESSFUL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PURGE_COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    PURGE_START_TIME_FIELD_NUMBER: _ClassVar[int]
    REPORT_RUN_FIELD_NUMBER: _ClassVar[int]
    STATE_CANCELLED: DatasetRun.State
    STATE_COMPLETED: DatasetRun.State
    STATE_ENQUEUED: DatasetRun.State
    STATE_FAILED: DatasetRun.State
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_PENDING: DatasetRun.State
    STATE_SUCCEEDED: DatasetRun.State
    STATE_UNSPECIFIED: DatasetRun.State
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    complete_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    failures_since_last_success: bool
    latest: bool
    latest_successful: bool
    name: str
    purge_complete_time: _timestamp_pb2.Timestamp
    purge_start_time: _timestamp_pb2.Timestamp
    report_run: str
    state: DatasetRun.State
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[DatasetRun.State, str]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., latest: bool = ..., latest_successful: bool = ..., failures_since_last_success: bool = ..., purge_start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., purge_complete_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., report_run: _Optional[str] = ...) -> None: ...

class DeleteDatasetRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteDatasetResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteFieldDescriptionRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteFieldDescriptionResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class FieldDescription(_message.Message):
    __slots__ = ["column", "create_time", "description", "name", "update_time"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    column: str
    create_time: _timestamp_pb2.Timestamp
    description: str
    name: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., column: _Optional[str] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetDatasetRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDatasetResponse(_message.Message):
    __slots__ = ["dataset"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ...) -> None: ...

class GetDatasetRunRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDatasetRunResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: DatasetRun
    def __init__(self, run: _Optional[_Union[DatasetRun, _Mapping]] = ...) -> None: ...

class ListDatasetFieldsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDatasetFieldsResponse(_message.Message):
    __slots__ = ["fields", "next_page_token", "total_size"]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    fields: _containers.RepeatedCompositeFieldContainer[DatasetField]
    next_page_token: str
    total_size: int
    def __init__(self, fields: _Optional[_Iterable[_Union[DatasetField, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListDatasetReportsRequest(_message.Message):
    __slots__ = ["name", "page_size", "page_token"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDatasetReportsResponse(_message.Message):
    __slots__ = ["next_page_token", "reports", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    reports: _containers.RepeatedCompositeFieldContainer[_report_pb2.Report]
    total_size: int
    def __init__(self, reports: _Optional[_Iterable[_Union[_report_pb2.Report, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListDatasetRunsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDatasetRunsResponse(_message.Message):
    __slots__ = ["next_page_token", "runs", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    runs: _containers.RepeatedCompositeFieldContainer[DatasetRun]
    total_size: int
    def __init__(self, runs: _Optional[_Iterable[_Union[DatasetRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListDatasetsRequest(_message.Message):
    __slots__ = ["order_by", "page_size", "page_token", "parent"]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    order_by: str
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListDatasetsResponse(_message.Message):
    __slots__ = ["datasets", "next_page_token", "total_size"]
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    datasets: _containers.RepeatedCompositeFieldContainer[Dataset]
    next_page_token: str
    total_size: int
    def __init__(self, datasets: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListFieldDescriptionsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFieldDescriptionsResponse(_message.Message):
    __slots__ = ["field_descriptions", "next_page_token", "total_size"]
    FIELD_DESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    field_descriptions: _containers.RepeatedCompositeFieldContainer[FieldDescription]
    next_page_token: str
    total_size: int
    def __init__(self, field_descriptions: _Optional[_Iterable[_Union[FieldDescription, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class RunDatasetRequest(_message.Message):
    __slots__ = ["name", "request_id"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RunDatasetResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: DatasetRun
    def __init__(self, run: _Optional[_Union[DatasetRun, _Mapping]] = ...) -> None: ...

class UpdateDatasetRequest(_message.Message):
    __slots__ = ["dataset", "update_mask"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateDatasetResponse(_message.Message):
    __slots__ = ["dataset"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ...) -> None: ...

class UpdateFieldDescriptionRequest(_message.Message):
    __slots__ = ["field_description", "update_mask"]
    FIELD_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    field_description: FieldDescription
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, field_description: _Optional[_Union[FieldDescription, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateFieldDescriptionResponse(_message.Message):
    __slots__ = ["field_description"]
    FIELD_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field_description: FieldDescription
    def __init__(self, field_description: _Optional[_Union[FieldDescription, _Mapping]] = ...) -> None: ...

class WatchDatasetRunRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class WatchDatasetRunResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: DatasetRun
    def __init__(self, run: _Optional[_Union[DatasetRun, _Mapping]] = ...) -> None: ...
