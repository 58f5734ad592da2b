"""Wire shapes of the notification endpoints."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

Title = Annotated[str, msgspec.Meta(max_length=300)]
Body = Annotated[str, msgspec.Meta(max_length=4000)]


class Preferences(msgspec.Struct):
    """Email on/off per category. ``security`` and ``regulatory`` are always on."""

    security: bool
    regulatory: bool
    portfolio: bool
    marketing: bool
    mandatory: list[str]


class PreferencesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Categories to change; omitted ones keep their value. Turning a mandatory one off is 422."""

    security: bool | None = None
    regulatory: bool | None = None
    portfolio: bool | None = None
    marketing: bool | None = None

    def changes(self) -> dict[str, bool]:
        return {name: value for name in self.__struct_fields__ if (value := getattr(self, name)) is not None}


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    event: Annotated[str, msgspec.Meta(max_length=64, examples=["kyc.approved"])]
    category: Annotated[str, msgspec.Meta(max_length=16)]
    title: Title
    body: Body
    link: Annotated[str, msgspec.Meta(max_length=1000)] | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    read: bool


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    total: int
    limit: int
    offset: int
    unread: int


class SnsResult(msgspec.Struct):
    result: Annotated[str, msgspec.Meta(max_length=64)]
