from buf.validate import validate_pb2 as _validate_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateReportFilterRequest(_message.Message):
    __slots__ = ["parent", "report_filter", "request_id"]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REPORT_FILTER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    report_filter: ReportFilter
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., report_filter: _Optional[_Union[ReportFilter, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateReportFilterResponse(_message.Message):
    __slots__ = ["report_filter"]
    REPORT_FILTER_FIELD_NUMBER: _ClassVar[int]
    report_filter: ReportFilter
    def __init__(self, report_filter: _Optional[_Union[ReportFilter, _Mapping]] = ...) -> None: ...

class DeleteReportFilterRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteReportFilterResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetReportFilterRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReportFilterResponse(_message.Message):
    __slots__ = ["report_filter"]
    REPORT_FILTER_FIELD_NUMBER: _ClassVar[int]
    report_filter: ReportFilter
    def __init__(self, report_filter: _Optional[_Union[ReportFilter, _Mapping]] = ...) -> None: ...

class ListReportFiltersRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReportFiltersResponse(_message.Message):
    __slots__ = ["next_page_token", "report_filters", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REPORT_FILTERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    report_filters: _containers.RepeatedCompositeFieldContainer[ReportFilter]
    total_size: int
    def __init__(self, report_filters: _Optional[_Iterable[_Union[ReportFilter, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ReportFilter(_message.Message):
    __slots__ = ["control_type", "create_time", "data_type", "display_name", "filter_type", "formula", "formula_type", "hide_select_all", "name", "options", "position", "query", "show_relevant_values_only", "update_time", "variable_type"]
    class ControlType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    class FilterType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    class VariableType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    CONTROL_TYPE_DROPDOWN: ReportFilter.ControlType
    CONTROL_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTROL_TYPE_LIST: ReportFilter.ControlType
    CONTROL_TYPE_RANGE: ReportFilter.ControlType
    CONTROL_TYPE_UNSPECIFIED: ReportFilter.ControlType
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DATA_TYPE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    FILTER_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILTER_TYPE_MULTI: ReportFilter.FilterType
    FILTER_TYPE_RANGE: ReportFilter.FilterType
    FILTER_TYPE_SINGLE: ReportFilter.FilterType
    FILTER_TYPE_UNSPECIFIED: ReportFilter.FilterType
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    FORMULA_TYPE_FIELD_NUMBER: _ClassVar[int]
    HIDE_SELECT_ALL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SHOW_RELEVANT_VALUES_ONLY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_TYPE_CONTINUOUS: ReportFilter.VariableType
    VARIABLE_TYPE_DISCRETE: ReportFilter.VariableType
    VARIABLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_TYPE_UNSPECIFIED: ReportFilter.VariableType
    control_type: ReportFilter.ControlType
    create_time: _timestamp_pb2.Timestamp
    data_type: str
    display_name: str
    filter_type: ReportFilter.FilterType
    formula: str
    formula_type: str
    hide_select_all: bool
    name: str
    options: _struct_pb2.Struct
    position: int
    query: str
    show_relevant_values_only: bool
    update_time: _timestamp_pb2.Timestamp
    variable_type: ReportFilter.VariableType
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., formula: _Optional[str] = ..., data_type: _Optional[str] = ..., formula_type: _Optional[str] = ..., filter_type: _Optional[_Union[ReportFilter.FilterType, str]] = ..., control_type: _Optional[_Union[ReportFilter.ControlType, str]] = ..., variable_type: _Optional[_Union[ReportFilter.VariableType, str]] = ..., options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., position: _Optional[int] = ..., hide_select_all: bool = ..., show_relevant_values_only: bool = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., query: _Optional[str] = ...) -> None: ...

class UpdateReportFilterRequest(_message.Message):
    __slots__ = ["report_filter", "update_mask"]
    REPORT_FILTER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    report_filter: ReportFilter
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, report_filter: _Optional[_Union[ReportFilter, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateReportFilterResponse(_message.Message):
    __slots__ = ["report_filter"]
    REPORT_FILTER_FIELD_NUMBER: _ClassVar[int]
    report_filter: ReportFilter
    def __init__(self, report_filter: _Optional[_Union[ReportFilter, _Mapping]] = ...) -> None: ...
