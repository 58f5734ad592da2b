"""The ``Idempotency-Key`` mechanism for creating POSTs (investments, distributions, claims, ...).

A handler wraps the work that creates something in :func:`idempotent`::

    return await idempotent(
        db_session, request, scope="investments.create", owner_id=principal.user_id,
        payload=data, response_type=Investment, produce=lambda: service.create(...),
    )

Rules:

* The key is scoped to the caller (``owner_id``) and to ``scope`` (name the endpoint and its
  path parameters, e.g. ``f"projects:{project_id}:claims"``), so two users never collide.
* The record is inserted in the *same* database transaction as the business change. A
  concurrent request with the same key blocks on the unique index until the first one ends:
  if the first committed, the second gets its stored answer; if the first failed (and rolled
  back), the second runs normally. So concurrent duplicates create exactly one object.
* Only successful answers are stored: an error (a 409, a 422...) leaves no record, and the
  client may retry with the same key once the cause is fixed.
* The same key with a different body (or another endpoint) answers 422.
* Without the header the work simply runs (the header is recommended, not required).
* A deadlock or lock-wait timeout (InnoDB undid the whole transaction, e.g. one investor's
  parallel intents) runs the whole thing again, up to three times
  (:func:`partisipro.db.retry_on_conflict`); ``produce`` keeps its effects in the database
  (outboxes), so running it again is safe.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from partisipro.db import Base, retry_on_conflict
from partisipro.errors import BadRequest, RuleViolation

__all__ = ["HEADER", "IdempotencyRecord", "idempotent", "request_fingerprint"]

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

T = TypeVar("T")


class IdempotencyRecord(Base):
    """The first successful answer to one (owner, scope, key)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("owner_id", "scope", "idem_key", name="uq_idempotency_owner_scope_key"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    scope: Mapped[str] = mapped_column(String(128), nullable=False)
    idem_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False, default=201)
    response_body: Mapped[Any] = mapped_column(JSON, nullable=True)


def request_fingerprint(scope: str, payload: Any) -> str:
    """SHA-256 of the scope and the canonical JSON of the request body."""
    builtins = msgspec.to_builtins(payload) if payload is not None else None
    canonical = json.dumps({"scope": scope, "body": builtins}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_from(request: Request[Any, Any, Any]) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest.field(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


async def _stored(session: AsyncSession, owner_id: uuid.UUID, scope: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.owner_id == owner_id, IdempotencyRecord.scope == scope, IdempotencyRecord.idem_key == key
    )
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()


def _replay(record: IdempotencyRecord, fingerprint: str, response_type: type[T]) -> T:
    if record.request_hash != fingerprint:
        raise RuleViolation(
            "This Idempotency-Key was already used with a different request",
            errors=[{"field": HEADER, "message": "already used with a different request body"}],
        )
    return msgspec.convert(record.response_body, type=response_type)


async def idempotent(
    session: AsyncSession,
    request: Request[Any, Any, Any],
    *,
    scope: str,
    owner_id: uuid.UUID,
    payload: Any,
    response_type: type[T],
    produce: Callable[[], Awaitable[T]],
    status_code: int = 201,
) -> T:
    """Run ``produce`` once per (owner, scope, Idempotency-Key); replay its answer afterwards."""
    key = key_from(request)
    if key is None:
        return await retry_on_conflict(session, produce)
    fingerprint = request_fingerprint(scope, payload)

    async def attempt() -> T:
        return await _once(session, owner_id, scope, key, fingerprint, response_type, produce, status_code)

    return await retry_on_conflict(session, attempt)


async def _once(
    session: AsyncSession,
    owner_id: uuid.UUID,
    scope: str,
    key: str,
    fingerprint: str,
    response_type: type[T],
    produce: Callable[[], Awaitable[T]],
    status_code: int,
) -> T:
    existing = await _stored(session, owner_id, scope, key)
    if existing is not None:
        return _replay(existing, fingerprint, response_type)
    record = IdempotencyRecord(
        owner_id=owner_id, scope=scope, idem_key=key, request_hash=fingerprint, status_code=status_code
    )
    session.add(record)
    try:
        # Blocks while a concurrent request holding the same key is still in its transaction.
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await _stored(session, owner_id, scope, key)
        if existing is None:  # the other request rolled back between our insert and this read
            raise RuleViolation("A request with this Idempotency-Key is being retried; try again") from None
        return _replay(existing, fingerprint, response_type)
    result = await produce()
    record.response_body = msgspec.to_builtins(result)
    await session.flush()
    return result
