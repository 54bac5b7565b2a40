from buf.validate import validate_pb2 as _validate_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchDeleteSchedulesRequest(_message.Message):
    __slots__ = ["names", "parent"]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    parent: str
    def __init__(self, parent: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchDeleteSchedulesResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ["parent", "request_id", "schedule"]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    request_id: str
    schedule: Schedule
    def __init__(self, parent: _Optional[str] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateScheduleResponse(_message.Message):
    __slots__ = ["schedule"]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class Cron(_message.Message):
    __slots__ = ["day_of_month", "day_of_week", "frequency", "hour", "minute", "time_zone"]
    class DayOfWeek(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    class Frequency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    DAY_OF_MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_OF_WEEK_FIELD_NUMBER: _ClassVar[int]
    DAY_OF_WEEK_FRIDAY: Cron.DayOfWeek
    DAY_OF_WEEK_MONDAY: Cron.DayOfWeek
    DAY_OF_WEEK_SATURDAY: Cron.DayOfWeek
    DAY_OF_WEEK_SUNDAY: Cron.DayOfWeek
    DAY_OF_WEEK_THURSDAY: Cron.DayOfWeek
    DAY_OF_WEEK_TUESDAY: Cron.DayOfWeek
    DAY_OF_WEEK_UNSPECIFIED: Cron.DayOfWeek
    DAY_OF_WEEK_WEDNESDAY: Cron.DayOfWeek
    FREQUENCY_DAILY: Cron.Frequency
    FREQUENCY_EVERY_15_MINUTES: Cron.Frequency
    FREQUENCY_EVERY_30_MINUTES: Cron.Frequency
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_HOURLY: Cron.Frequency
    FREQUENCY_MONTHLY: Cron.Frequency
    FREQUENCY_UNSPECIFIED: Cron.Frequency
    FREQUENCY_WEEKLY: Cron.Frequency
    HOUR_FIELD_NUMBER: _ClassVar[int]
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    day_of_month: int
    day_of_week: Cron.DayOfWeek
    frequency: Cron.Frequency
    hour: int
    minute: int
    time_zone: str
    def __init__(self, frequency: _Optional[_Union[Cron.Frequency, str]] = ..., day_of_month: _Optional[int] = ..., day_of_week: _Optional[_Union[Cron.DayOfWeek, str]] = ..., hour: _Optional[int] = ..., minute: _Optional[int] = ..., time_zone: _Optional[str] = ...) -> None: ...

class DeleteScheduleRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteScheduleResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetScheduleRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetScheduleResponse(_message.Message):
    __slots__ = ["schedule"]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ["next_page_token", "schedules", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    schedules: _containers.RepeatedCompositeFieldContainer[Schedule]
    total_size: int
    def __init__(self, schedules: _Optional[_Iterable[_Union[Schedule, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ["create_time", "cron", "display_name", "last_run_time", "last_scheduled_run_time", "last_success_time", "name", "next_scheduled_run_time", "parameters", "retry_count", "retry_state", "subscriber_count", "timeout", "update_time"]
    class ParametersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SCHEDULED_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEXT_SCHEDULED_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    RETRY_STATE_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    cron: Cron
    display_name: str
    last_run_time: _timestamp_pb2.Timestamp
    last_scheduled_run_time: _timestamp_pb2.Timestamp
    last_success_time: _timestamp_pb2.Timestamp
    name: str
    next_scheduled_run_time: _timestamp_pb2.Timestamp
    parameters: _containers.ScalarMap[str, str]
    retry_count: int
    retry_state: str
    subscriber_count: int
    timeout: _duration_pb2.Duration
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., cron: _Optional[_Union[Cron, _Mapping]] = ..., parameters: _Optional[_Mapping[str, str]] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., retry_state: _Optional[str] = ..., retry_count: _Optional[int] = ..., last_run_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_success_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_scheduled_run_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., next_scheduled_run_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., subscriber_count: _Optional[int] = ...) -> None: ...

class UpdateScheduleRequest(_message.Message):
    __slots__ = ["schedule", "update_mask"]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateScheduleResponse(_message.Message):
    __slots__ = ["schedule"]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...
