"""Wire shapes of the audit log endpoints."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class AuditEntryOut(msgspec.Struct):
    id: int
    occurred_at: dt.datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    reason: str | None
    ip_address: str | None
    request_id: str | None
    details: dict[str, Any] | None
    prev_hash: str
    row_hash: str


class AuditPageOut(msgspec.Struct):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


class AuditVerifyOut(msgspec.Struct):
    ok: bool
    checked: int
    first_bad_id: int | None
