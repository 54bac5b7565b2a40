from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
VIEW_BASIC: View
VIEW_FULL: View
VIEW_UNSPECIFIED: View

class View(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
