from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
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

class AuditEvent(_message.Message):
    __slots__ = ["action", "actor_ip", "actor_user_agent", "actor_username", "correlation_id", "description", "entity_id", "entity_name", "entity_type", "event_source", "event_time", "name"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_IP_FIELD_NUMBER: _ClassVar[int]
    ACTOR_USERNAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    ENTITY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    action: str
    actor_ip: str
    actor_user_agent: str
    actor_username: str
    correlation_id: str
    description: str
    entity_id: str
    entity_name: str
    entity_type: str
    event_source: str
    event_time: _timestamp_pb2.Timestamp
    name: str
    def __init__(self, name: _Optional[str] = ..., event_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., action: _Optional[str] = ..., description: _Optional[str] = ..., actor_username: _Optional[str] = ..., actor_ip: _Optional[str] = ..., actor_user_agent: _Optional[str] = ..., entity_type: _Optional[str] = ..., entity_id: _Optional[str] = ..., entity_name: _Optional[str] = ..., event_source: _Optional[str] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class AuditFilter(_message.Message):
    __slots__ = ["action", "actor_ip", "actor_username", "end_time", "entity_id", "entity_name", "entity_type", "event_source", "start_time"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_IP_FIELD_NUMBER: _ClassVar[int]
    ACTOR_USERNAME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    ENTITY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    action: str
    actor_ip: str
    actor_username: str
    end_time: _timestamp_pb2.Timestamp
    entity_id: str
    entity_name: str
    entity_type: str
    event_source: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., action: _Optional[str] = ..., entity_type: _Optional[str] = ..., entity_id: _Optional[str] = ..., entity_name: _Optional[str] = ..., actor_username: _Optional[str] = ..., actor_ip: _Optional[str] = ..., event_source: _Optional[str] = ...) -> None: ...

class CreateGroupMembershipRequest(_message.Message):
    __slots__ = ["group_membership", "parent", "request_id"]
    GROUP_MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    group_membership: GroupMembership
    parent: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., group_membership: _Optional[_Union[GroupMembership, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateGroupMembershipResponse(_message.Message):
    __slots__ = ["group_membership"]
    GROUP_MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    group_membership: GroupMembership
    def __init__(self, group_membership: _Optional[_Union[GroupMembership, _Mapping]] = ...) -> None: ...

class CreateGroupRequest(_message.Message):
    __slots__ = ["group", "parent", "request_id"]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    group: Group
    parent: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., group: _Optional[_Union[Group, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateGroupResponse(_message.Message):
    __slots__ = ["group"]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    group: Group
    def __init__(self, group: _Optional[_Union[Group, _Mapping]] = ...) -> None: ...

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

class CreateSpaceMembershipRequest(_message.Message):
    __slots__ = ["parent", "request_id", "space_membership"]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SPACE_MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    parent: str
    request_id: str
    space_membership: SpaceMembership
    def __init__(self, parent: _Optional[str] = ..., space_membership: _Optional[_Union[SpaceMembership, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSpaceMembershipResponse(_message.Message):
    __slots__ = ["space_membership"]
    SPACE_MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    space_membership: SpaceMembership
    def __init__(self, space_membership: _Optional[_Union[SpaceMembership, _Mapping]] = ...) -> None: ...

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

class Credential(_message.Message):
    __slots__ = ["admin", "check_time", "display_name", "email", "membership", "name", "username", "valid"]
    ADMIN_FIELD_NUMBER: _ClassVar[int]
    CHECK_TIME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    admin: bool
    check_time: _timestamp_pb2.Timestamp
    display_name: str
    email: str
    membership: str
    name: str
    username: str
    valid: bool
    def __init__(self, name: _Optional[str] = ..., valid: bool = ..., username: _Optional[str] = ..., display_name: _Optional[str] = ..., email: _Optional[str] = ..., membership: _Optional[str] = ..., admin: bool = ..., check_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeleteGroupMembershipRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteGroupMembershipResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteGroupRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteGroupResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteMembershipRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteMembershipResponse(_message.Message):
    __slots__ = ["membership"]
    MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    membership: Membership
    def __init__(self, membership: _Optional[_Union[Membership, _Mapping]] = ...) -> None: ...

class DeleteSignatureTokenRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteSignatureTokenResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteSpaceMembershipRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteSpaceMembershipResponse(_message.Message):
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

class GetCredentialRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetCredentialResponse(_message.Message):
    __slots__ = ["credential"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    credential: Credential
    def __init__(self, credential: _Optional[_Union[Credential, _Mapping]] = ...) -> None: ...

class GetGroupMembershipRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetGroupMembershipResponse(_message.Message):
    __slots__ = ["group_membership"]
    GROUP_MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    group_membership: GroupMembership
    def __init__(self, group_membership: _Optional[_Union[GroupMembership, _Mapping]] = ...) -> None: ...

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

class GetSpaceMembershipRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetSpaceMembershipResponse(_message.Message):
    __slots__ = ["space_membership"]
    SPACE_MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    space_membership: SpaceMembership
    def __init__(self, space_membership: _Optional[_Union[SpaceMembership, _Mapping]] = ...) -> None: ...

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

class GroupMembership(_message.Message):
    __slots__ = ["member", "member_username", "name"]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_USERNAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    member: str
    member_username: str
    name: str
    def __init__(self, name: _Optional[str] = ..., member: _Optional[str] = ..., member_username: _Optional[str] = ...) -> None: ...

class InviteMembersRequest(_message.Message):
    __slots__ = ["emails", "message", "parent", "request_id"]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    emails: _containers.RepeatedScalarFieldContainer[str]
    message: str
    parent: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., emails: _Optional[_Iterable[str]] = ..., message: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class InviteMembersResponse(_message.Message):
    __slots__ = ["results"]
    class Result(_message.Message):
        __slots__ = ["email", "expire_time", "outcome", "reason"]
        class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = []
        EMAIL_FIELD_NUMBER: _ClassVar[int]
        EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
        OUTCOME_ALREADY_MEMBER: InviteMembersResponse.Result.Outcome
        OUTCOME_FIELD_NUMBER: _ClassVar[int]
        OUTCOME_INVITED: InviteMembersResponse.Result.Outcome
        OUTCOME_REFUSED: InviteMembersResponse.Result.Outcome
        OUTCOME_UNSPECIFIED: InviteMembersResponse.Result.Outcome
        REASON_FIELD_NUMBER: _ClassVar[int]
        email: str
        expire_time: _timestamp_pb2.Timestamp
        outcome: InviteMembersResponse.Result.Outcome
        reason: str
        def __init__(self, email: _Optional[str] = ..., outcome: _Optional[_Union[InviteMembersResponse.Result.Outcome, str]] = ..., reason: _Optional[str] = ..., expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[InviteMembersResponse.Result]
    def __init__(self, results: _Optional[_Iterable[_Union[InviteMembersResponse.Result, _Mapping]]] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ["filter", "page_size", "page_token", "parent"]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    filter: AuditFilter
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[_Union[AuditFilter, _Mapping]] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ["audit_events", "next_page_token"]
    AUDIT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    audit_events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    next_page_token: str
    def __init__(self, audit_events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListGroupMembershipsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGroupMembershipsResponse(_message.Message):
    __slots__ = ["group_memberships", "next_page_token", "total_size"]
    GROUP_MEMBERSHIPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    group_memberships: _containers.RepeatedCompositeFieldContainer[GroupMembership]
    next_page_token: str
    total_size: int
    def __init__(self, group_memberships: _Optional[_Iterable[_Union[GroupMembership, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

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

class ListSpaceMembershipsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSpaceMembershipsResponse(_message.Message):
    __slots__ = ["next_page_token", "space_memberships", "total_size"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SPACE_MEMBERSHIPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    space_memberships: _containers.RepeatedCompositeFieldContainer[SpaceMembership]
    total_size: int
    def __init__(self, space_memberships: _Optional[_Iterable[_Union[SpaceMembership, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

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

class SpaceMembership(_message.Message):
    __slots__ = ["email", "group", "member", "name"]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    email: str
    group: str
    member: str
    name: str
    def __init__(self, name: _Optional[str] = ..., member: _Optional[str] = ..., group: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class StreamAuditEventsRequest(_message.Message):
    __slots__ = ["filter", "parent", "resume_token"]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: AuditFilter
    parent: str
    resume_token: str
    def __init__(self, parent: _Optional[str] = ..., filter: _Optional[_Union[AuditFilter, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class StreamAuditEventsResponse(_message.Message):
    __slots__ = ["audit_event", "resume_token"]
    AUDIT_EVENT_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    audit_event: AuditEvent
    resume_token: str
    def __init__(self, audit_event: _Optional[_Union[AuditEvent, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class TestPermissionsRequest(_message.Message):
    __slots__ = ["resource", "scopes"]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    resource: str
    scopes: _containers.RepeatedScalarFieldContainer[_options_pb2.Scope]
    def __init__(self, resource: _Optional[str] = ..., scopes: _Optional[_Iterable[_Union[_options_pb2.Scope, str]]] = ...) -> None: ...

class TestPermissionsResponse(_message.Message):
    __slots__ = ["scopes"]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    scopes: _containers.RepeatedScalarFieldContainer[_options_pb2.Scope]
    def __init__(self, scopes: _Optional[_Iterable[_Union[_options_pb2.Scope, str]]] = ...) -> None: ...

class UpdateGroupRequest(_message.Message):
    __slots__ = ["group", "update_mask"]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    group: Group
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, group: _Optional[_Union[Group, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateGroupResponse(_message.Message):
    __slots__ = ["group"]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    group: Group
    def __init__(self, group: _Optional[_Union[Group, _Mapping]] = ...) -> None: ...

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
