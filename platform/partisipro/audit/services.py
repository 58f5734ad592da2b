"""The audit log: append a hash-chained row in the caller's transaction, list, verify.

Every append locks the chain's head row (``audit_head``, ``SELECT ... FOR UPDATE``) until the
caller's transaction ends, takes the next ``seq`` and the previous row's hash from it, and
stores ``row_hash = sha256(canonical JSON of the row including prev_hash)``. Editing any
stored field, deleting a row or cutting the tail is found by :func:`verify`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from partisipro.db import utcnow
from partisipro.security import Principal

__all__ = ["AuditFilters", "AuditPage", "VerifyResult", "list_entries", "record", "row_hash", "verify"]

_HEAD_ID = 1
_VERIFY_BATCH = 500
_GENESIS = {"id": _HEAD_ID, "last_seq": 0, "last_hash": GENESIS_HASH}


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _jsonable(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """Details as they will read back from the JSON column (so the hash is stable)."""
    if details is None:
        return None
    return json.loads(json.dumps(details, default=str, sort_keys=True))


def row_hash(entry: AuditEntry) -> str:
    """SHA-256 over the canonical JSON of the row's content and ``prev_hash``."""
    content = {
        "seq": entry.seq,
        "occurred_at": _iso(entry.occurred_at),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "reason": entry.reason,
        "ip_address": entry.ip_address,
        "request_id": entry.request_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _lock_head(session: AsyncSession) -> AuditHead:
    """Lock the chain's head row for the rest of the caller's transaction (creating it once)."""
    stmt = select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update()
    dialect = session.get_bind().dialect.name
    if dialect != "sqlite":
        exists = (await session.execute(select(AuditHead.id).where(AuditHead.id == _HEAD_ID))).first()
        if exists is None:
            # First append ever (or after a truncate): create the head in its own committed
            # transaction, so that concurrent first writers only ever lock an existing row
            # (locking a missing row takes gap locks, and two of those deadlock on insert).
            async with session.bind.connect() as connection:  # type: ignore[union-attr]
                await connection.execute(mysql_insert(AuditHead).values(**_GENESIS).prefix_with("IGNORE"))
                await connection.commit()
        return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one()
    head = (await session.execute(stmt)).scalar_one_or_none()
    if head is None:  # SQLite (dev) serialises writers itself
        await session.execute(sqlite_insert(AuditHead).values(**_GENESIS).on_conflict_do_nothing())
        head = (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one()
    return head


def _clip(value: str | None, size: int) -> str | None:
    return None if value is None else value[:size]


async def record(
    session: AsyncSession,
    *,
    action: str,
    actor: Principal | None,
    object_type: str | None = None,
    object_id: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
    request_id: str | None = None,
) -> None:
    """Append one row to the chain inside the caller's transaction."""
    head = await _lock_head(session)
    entry = AuditEntry(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor_role=_clip(",".join(sorted(actor.roles)), 64) if actor and actor.roles else None,
        action=action[:64],
        object_type=_clip(object_type, 64),
        object_id=_clip(object_id, 100),
        reason=_clip(reason, 500),
        ip_address=_clip(ip, 64),
        request_id=_clip(request_id, 64),
        details=_jsonable(details),
        prev_hash=head.last_hash,
    )
    entry.row_hash = row_hash(entry)
    session.add(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.row_hash
    await session.flush()


@dataclass(frozen=True, slots=True)
class AuditFilters:
    action: str | None = None
    actor_id: uuid.UUID | None = None
    object_type: str | None = None
    object_id: str | None = None
    occurred_from: dt.datetime | None = None
    occurred_to: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditEntry]
    total: int


async def list_entries(session: AsyncSession, filters: AuditFilters, *, limit: int, offset: int) -> AuditPage:
    """Newest first, filtered; ``occurred_to`` is exclusive."""
    conditions = []
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.actor_id:
        conditions.append(AuditEntry.actor_id == filters.actor_id)
    if filters.object_type:
        conditions.append(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        conditions.append(AuditEntry.object_id == filters.object_id)
    if filters.occurred_from:
        conditions.append(AuditEntry.occurred_at >= filters.occurred_from)
    if filters.occurred_to:
        conditions.append(AuditEntry.occurred_at < filters.occurred_to)
    total = (await session.execute(select(func.count()).select_from(AuditEntry).where(*conditions))).scalar_one()
    rows = await session.execute(
        select(AuditEntry).where(*conditions).order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
    )
    return AuditPage(items=list(rows.scalars()), total=int(total))


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None


async def verify(session: AsyncSession) -> VerifyResult:
    """Walk the chain in ``seq`` order; report the first row whose link or hash is wrong.

    A deleted row shows as a gap in ``seq`` (the first missing seq is reported); a cut tail
    shows as a head that points past the last row (the first missing seq is reported).
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    while True:
        rows = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.seq >= expected_seq)
                    .order_by(AuditEntry.seq)
                    .limit(_VERIFY_BATCH)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(ok=False, checked=checked, first_bad_id=expected_seq)
            if entry.prev_hash != expected_prev or row_hash(entry) != entry.row_hash:
                return VerifyResult(ok=False, checked=checked, first_bad_id=entry.seq)
            checked += 1
            expected_prev = entry.row_hash
            expected_seq += 1
    head = (await session.execute(select(AuditHead).where(AuditHead.id == _HEAD_ID))).scalar_one_or_none()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return VerifyResult(ok=False, checked=checked, first_bad_id=expected_seq)
    return VerifyResult(ok=True, checked=checked, first_bad_id=None)
