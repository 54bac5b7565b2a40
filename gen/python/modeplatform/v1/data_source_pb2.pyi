from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import client_pb2 as _client_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from modeplatform.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateDefinitionRequest(_message.Message):
    __slots__ = ["definition", "parent", "request_id"]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    definition: Definition
    parent: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., definition: _Optional[_Union[Definition, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateDefinitionResponse(_message.Message):
    __slots__ = ["definition"]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    definition: Definition
    def __init__(self, definition: _Optional[_Union[Definition, _Mapping]] = ...) -> None: ...

class DataSource(_message.Message):
    __slots__ = ["adapter", "asleep", "create_time", "credentials", "database", "description", "display_name", "host", "name", "port", "public", "queryable", "soft_deleted", "update_time", "vendor", "warehouse", "web_uri"]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    ASLEEP_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    QUERYABLE_FIELD_NUMBER: _ClassVar[int]
    SOFT_DELETED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    WEB_URI_FIELD_NUMBER: _ClassVar[int]
    adapter: str
    asleep: bool
    create_time: _timestamp_pb2.Timestamp
    credentials: DataSourceCredentials
    database: str
    description: str
    display_name: str
    host: str
    name: str
    port: int
    public: bool
    queryable: bool
    soft_deleted: bool
    update_time: _timestamp_pb2.Timestamp
    vendor: str
    warehouse: str
    web_uri: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., adapter: _Optional[str] = ..., vendor: _Optional[str] = ..., database: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., warehouse: _Optional[str] = ..., queryable: bool = ..., public: bool = ..., asleep: bool = ..., soft_deleted: bool = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., web_uri: _Optional[str] = ..., credentials: _Optional[_Union[DataSourceCredentials, _Mapping]] = ...) -> None: ...

class DataSourceCredentials(_message.Message):
    __slots__ = ["connection_string", "password"]
    CONNECTION_STRING_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    connection_string: str
    password: str
    def __init__(self, password: _Optional[str] = ..., connection_string: _Optional[str] = ...) -> None: ...

class Definition(_message.Message):
    __slots__ = ["create_time", "data_source", "description", "display_name", "github_uri", "last_sync_time", "name", "sql", "update_time"]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    GITHUB_URI_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_TIME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    data_source: str
    description: str
    display_name: str
    github_uri: str
    last_sync_time: _timestamp_pb2.Timestamp
    name: str
    sql: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., sql: _Optional[str] = ..., data_source: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_sync_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., github_uri: _Optional[str] = ...) -> None: ...

class DeleteDefinitionRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteDefinitionResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetDataSourceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDataSourceResponse(_message.Message):
    __slots__ = ["data_source"]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    data_source: DataSource
    def __init__(self, data_source: _Optional[_Union[DataSource, _Mapping]] = ...) -> None: ...

class GetDefinitionRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDefinitionResponse(_message.Message):
    __slots__ = ["definition"]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    definition: Definition
    def __init__(self, definition: _Optional[_Union[Definition, _Mapping]] = ...) -> None: ...

class ListDataSourcesRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDataSourcesResponse(_message.Message):
    __slots__ = ["data_sources", "next_page_token", "total_size"]
    DATA_SOURCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    data_sources: _containers.RepeatedCompositeFieldContainer[DataSource]
    next_page_token: str
    total_size: int
    def __init__(self, data_sources: _Optional[_Iterable[_Union[DataSource, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListDefinitionsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDefinitionsResponse(_message.Message):
    __slots__ = ["definitions", "next_page_token", "total_size"]
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    definitions: _containers.RepeatedCompositeFieldContainer[Definition]
    next_page_token: str
    total_size: int
    def __init__(self, definitions: _Optional[_Iterable[_Union[Definition, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class PurgeDataSourceResultsRequest(_message.Message):
    __slots__ = ["name", "request_id"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PurgeDataSourceResultsResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class RefreshDataSourceSchemaRequest(_message.Message):
    __slots__ = ["name", "request_id"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RefreshDataSourceSchemaResponse(_message.Message):
    __slots__ = ["schema_refresh"]
    SCHEMA_REFRESH_FIELD_NUMBER: _ClassVar[int]
    schema_refresh: SchemaRefresh
    def __init__(self, schema_refresh: _Optional[_Union[SchemaRefresh, _Mapping]] = ...) -> None: ...

class SchemaRefresh(_message.Message):
    __slots__ = ["last_success_time", "schema_count", "state", "table_count", "token"]
    LAST_SUCCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TABLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    last_success_time: _timestamp_pb2.Timestamp
    schema_count: int
    state: str
    table_count: int
    token: str
    def __init__(self, token: _Optional[str] = ..., state: _Optional[str] = ..., schema_count: _Optional[int] = ..., table_count: _Optional[int] = ..., last_success_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateDataSourceRequest(_message.Message):
    __slots__ = ["data_source", "update_mask"]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    data_source: DataSource
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, data_source: _Optional[_Union[DataSource, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateDataSourceResponse(_message.Message):
    __slots__ = ["data_source"]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    data_source: DataSource
    def __init__(self, data_source: _Optional[_Union[DataSource, _Mapping]] = ...) -> None: ...

class UpdateDefinitionRequest(_message.Message):
    __slots__ = ["definition", "update_mask"]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    definition: Definition
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, definition: _Optional[_Union[Definition, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateDefinitionResponse(_message.Message):
    __slots__ = ["definition"]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    definition: Definition
    def __init__(self, definition: _Optional[_Union[Definition, _Mapping]] = ...) -> None: ...
