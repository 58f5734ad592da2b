"""The audit log: append-only, each row carrying the hash of the previous one."""

from __future__ import annotations

import datetime as dt
import uuid

from advanced_alchemy.types import GUID
from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partisipro.db import UTCDateTime, metadata, utcnow

GENESIS_HASH = "0" * 64


class _AuditBase(DeclarativeBase):
    metadata = metadata


class AuditEntry(_AuditBase):
    """A row is never updated or deleted. ``seq`` orders the chain; ``row_hash`` covers the
    row's content and ``prev_hash``, so editing or deleting any row breaks every later link.
    ``prev_hash`` is unique: two rows can never claim the same predecessor (no fork)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_action", "action"),
        Index("ix_audit_log_actor", "actor_id"),
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_occurred_at", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(GUID(), nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    row_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class AuditHead(_AuditBase):
    """The chain's tip: one row (id 1) locked FOR UPDATE by every append, which serialises
    writers for the rest of their transaction, so concurrent appends never fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)
