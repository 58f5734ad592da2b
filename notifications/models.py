"""Notification tables: the delivery outbox, the in-app feed, preferences and the suppression list.

No foreign key to the user table: ``notifications`` sits below the domains (it imports only
the core), and pre-account messages have no user at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from partisipro.db import Base, UTCDateTime, utcnow
from sqlalchemy import JSON, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# Outbox row states.
PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
SENDING = "sending"  # claimed by a worker until lease_until
SENT = "sent"
DEAD = "dead"  # permanent failure or retries exhausted (dead letter, last_error kept)
SUPPRESSED = "suppressed"  # address on the suppression list: not sent
SKIPPED = "skipped"  # channel unavailable in this deployment (e.g. no real-time module)

EMAIL = "email"
PUSH = "push"


class NotificationOutbox(Base):
    """One message to one recipient on one channel, written in the business transaction."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_notification_outbox_key"),
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
        Index("ix_notification_outbox_lease", "status", "lease_until"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    locale: Mapped[str] = mapped_column(String(8), nullable=False, default="en")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    permanent_failure: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class Notification(Base):
    """The in-app copy a user reads in their feed (written by notify, needs no delivery)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_notification_key"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(String(4000), nullable=False)
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationPreference(Base):
    """A user's choice for one category; no row means the category default."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "category", name="uq_notification_preference"),)

    user_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)


class EmailSuppression(Base):
    """An address that bounced permanently or complained: email to it is skipped."""

    __tablename__ = "email_suppression"
    __table_args__ = (UniqueConstraint("email", name="uq_email_suppression_email"),)

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)  # bounce | complaint | manual
    detail: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    source_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
