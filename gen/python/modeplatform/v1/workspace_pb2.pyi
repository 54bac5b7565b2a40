from buf.validate import validate_pb2 as _validate_pb2
from google.api import client_pb2 as _client_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from modeplatform.v1 import options_pb2 as _options_pb2
from modeplatform.v1 import view_pb2 as _view_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateSignatureTokenRequest(_message.Message):
    __slots__ = ["parent", "request_id", "signature_token"]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    request_id: str
    signature_token: SignatureToken
    def __init__(self, parent: _Optional[str] = ..., signature_token: _Optional[_Union[SignatureToken, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSignatureTokenResponse(_message.Message):
    __slots__ = ["signature_token"]
    SIGNATURE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    signature_token: SignatureToken
    def __init__(self, signature_token: _Optional[_Union[SignatureToken, _Mapping]] = ...) -> None: ...

class CreateSpaceRequest(_message.Message):
    __slots__ = ["parent", "request_id", "space"]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    request_id: str
    space: Space
    def __init__(self, parent: _Optional[str] = ..., space: _Optional[_Union[Space, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSpaceResponse(_message.Message):
    __slots__ = ["space"]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: Space
    def __init__(self, space: _Optional[_Union[Space, _Mapping]] = ...) -> None: ...

class DeleteSignatureTokenRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteSignatureTokenResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteSpaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteSpaceResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetGroupRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetGroupResponse(_message.Message):
    __slots__ = ["group"]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    group: Group
    def __init__(self, group: _Optional[_Union[Group, _Mapping]] = ...) -> None: ...

class GetSpaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetSpaceResponse(_message.Message):
    __slots__ = ["space"]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: Space
    def __init__(self, space: _Optional[_Union[Space, _Mapping]] = ...) -> None: ...

class GetWorkspaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetWorkspaceResponse(_message.Message):
    __slots__ = ["workspace"]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    workspace: Workspace
    def __init__(self, workspace: _Optional[_Union[Workspace, _Mapping]] = ...) -> None: ...

class Group(_message.Message):
    __slots__ = ["data_source_count", "description", "display_name", "group_type", "member_count", "name", "space_count", "state", "web_uri"]
    DATA_SOURCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    GROUP_TYPE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    WEB_URI_FIELD_NUMBER: _ClassVar[int]
    data_source_count: int
    description: str
    display_name: str
    group_type: str
    member_count: int
    name: str
    space_count: int
    state: str
    web_uri: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., group_type: _Optional[str] = ..., state: _Optional[str] = ..., member_count: _Optional[int] = ..., space_count: _Optional[int] = ..., data_source_count: _Optional[int] = ..., web_uri: _Optional[str] = ...) -> None: ...

class ListGroupsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGroupsResponse(_message.Message):
    __slots__ = ["groups", "next_page_token", "total_size"]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[Group]
    next_page_token: str
    total_size: int
    def __init__(self, groups: _Optional[_Iterable[_Union[Group, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListMembershipsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMembershipsResponse(_message.Message):
    __slots__ = ["memberships", "next_page_token", "total_size"]
    MEMBERSHIPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    memberships: _containers.RepeatedCompositeFieldContainer[Membership]
    next_page_token: str
    total_size: int
    def __init__(self, memberships: _Optional[_Iterable[_Union[Membership, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListSpacesRequest(_message.Message):
    __slots__ = ["include_personal", "page_size", "page_token", "parent", "view"]
    INCLUDE_PERSONAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    include_personal: bool
    page_size: int
    page_token: str
    parent: str
    view: _view_pb2.View
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_personal: bool = ..., view: _Optional[_Union[_view_pb2.View, str]] = ...) -> None: ...

class ListSpacesResponse(_message.Message):
    __slots__ = ["next_page_token", "spaces", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SPACES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    spaces: _containers.RepeatedCompositeFieldContainer[Space]
    total_size: int
    def __init__(self, spaces: _Optional[_Iterable[_Union[Space, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class Membership(_message.Message):
    __slots__ = ["activate_time", "admin", "invited", "managed_by_scim", "member_username", "name", "state"]
    ACTIVATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ADMIN_FIELD_NUMBER: _ClassVar[int]
    INVITED_FIELD_NUMBER: _ClassVar[int]
    MANAGED_BY_SCIM_FIELD_NUMBER: _ClassVar[int]
    MEMBER_USERNAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    activate_time: _timestamp_pb2.Timestamp
    admin: bool
    invited: bool
    managed_by_scim: bool
    member_username: str
    name: str
    state: str
    def __init__(self, name: _Optional[str] = ..., member_username: _Optional[str] = ..., admin: bool = ..., invited: bool = ..., state: _Optional[str] = ..., activate_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., managed_by_scim: bool = ...) -> None: ...

class SignatureToken(_message.Message):
    __slots__ = ["access_key", "access_secret", "authentication_for", "authorization_type", "create_time", "display_name", "expire_time", "name", "update_time"]
    ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    ACCESS_SECRET_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_FOR_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    access_key: str
    access_secret: str
    authentication_for: str
    authorization_type: str
    create_time: _timestamp_pb2.Timestamp
    display_name: str
    expire_time: _timestamp_pb2.Timestamp
    name: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., access_key: _Optional[str] = ..., access_secret: _Optional[str] = ..., authentication_for: _Optional[str] = ..., authorization_type: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Space(_message.Message):
    __slots__ = ["default_access_level", "description", "display_name", "name", "restricted", "space_type", "state", "web_uri"]
    class SpaceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    DEFAULT_ACCESS_LEVEL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESTRICTED_FIELD_NUMBER: _ClassVar[int]
    SPACE_TYPE_CUSTOM: Space.SpaceType
    SPACE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SPACE_TYPE_PRIVATE: Space.SpaceType
    SPACE_TYPE_UNSPECIFIED: Space.SpaceType
    STATE_FIELD_NUMBER: _ClassVar[int]
    WEB_URI_FIELD_NUMBER: _ClassVar[int]
    default_access_level: str
    description: str
    display_name: str
    name: str
    restricted: bool
    space_type: Space.SpaceType
    state: str
    web_uri: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., space_type: _Optional[_Union[Space.SpaceType, str]] = ..., state: _Optional[str] = ..., restricted: bool = ..., default_access_level: _Optional[str] = ..., web_uri: _Optional[str] = ...) -> None: ...

class UpdateSpaceRequest(_message.Message):
    __slots__ = ["space", "update_mask"]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    space: Space
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, space: _Optional[_Union[Space, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateSpaceResponse(_message.Message):
    __slots__ = ["space"]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: Space
    def __init__(self, space: _Optional[_Union[Space, _Mapping]] = ...) -> None: ...

class Workspace(_message.Message):
    __slots__ = ["create_time", "data_source_count", "default_data_source", "display_name", "name", "query_run_size_limit_bytes", "space_count", "web_uri"]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_RUN_SIZE_LIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    SPACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    WEB_URI_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    data_source_count: int
    default_data_source: str
    display_name: str
    name: str
    query_run_size_limit_bytes: int
    space_count: int
    web_uri: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., space_count: _Optional[int] = ..., data_source_count: _Optional[int] = ..., default_data_source: _Optional[str] = ..., query_run_size_limit_bytes: _Optional[int] = ..., web_uri: _Optional[str] = ...) -> None: ...
