"""Audit log endpoints (admin only): the filtered log and a verification of its hash chain."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.audit import services as audit
from partisipro.audit.models import AuditEntry
from partisipro.audit.schemas import AuditEntryOut, AuditPageOut, AuditVerifyOut
from partisipro.errors import BadRequest
from partisipro.security import requires_role


def entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.seq,
        occurred_at=entry.occurred_at,
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        reason=entry.reason,
        ip_address=entry.ip_address,
        request_id=entry.request_id,
        details=entry.details,
        prev_hash=entry.prev_hash,
        row_hash=entry.row_hash,
    )


class AuditController(Controller):
    path = "/admin/audit-log"
    tags = ["admin"]
    guards = [requires_role("admin")]

    @get("/", summary="The audit log, newest first, filtered and paginated")
    async def list_entries(
        self,
        db_session: AsyncSession,
        action: Annotated[str | None, Parameter(max_length=64)] = None,
        actor_id: uuid.UUID | None = None,
        object_type: Annotated[str | None, Parameter(max_length=64)] = None,
        object_id: Annotated[str | None, Parameter(max_length=100)] = None,
        occurred_from: Annotated[dt.datetime | None, Parameter(query="from")] = None,
        occurred_to: Annotated[dt.datetime | None, Parameter(query="to")] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=10_000_000)] = 0,
    ) -> AuditPageOut:
        for name, value in (("from", occurred_from), ("to", occurred_to)):
            if value is not None and value.tzinfo is None:
                raise BadRequest.field(name, "needs a time zone (ISO 8601, e.g. 2026-01-01T00:00:00Z)")
        filters = audit.AuditFilters(
            action=action,
            actor_id=actor_id,
            object_type=object_type,
            object_id=object_id,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
        )
        page = await audit.list_entries(db_session, filters, limit=limit, offset=offset)
        return AuditPageOut(items=[entry_out(e) for e in page.items], total=page.total, limit=limit, offset=offset)

    @get("/verify", summary="Walk the hash chain; report the first tampered row")
    async def verify(self, db_session: AsyncSession) -> AuditVerifyOut:
        result = await audit.verify(db_session)
        return AuditVerifyOut(ok=result.ok, checked=result.checked, first_bad_id=result.first_bad_id)
