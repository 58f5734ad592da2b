"""Notification rules: the transactional ``notify``, preferences, the in-app feed, suppressions.

``notify`` only writes rows in the caller's session: the in-app copy (final at once) and one
outbox row per remote channel (email, real-time push). The caller's commit makes them real;
a rollback leaves nothing to send. Delivery is ``notifications.delivery``'s job.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import structlog
from partisipro.db import Base, utcnow
from partisipro.errors import NotFound, RuleViolation
from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.catalogue import CATEGORIES, DEFAULT_ENABLED, MANDATORY, get_event
from notifications.models import (
    EMAIL,
    PUSH,
    EmailSuppression,
    Notification,
    NotificationOutbox,
    NotificationPreference,
)
from notifications.render import normalise_locale, render_feed

log = structlog.get_logger("notifications")

IN_APP = "in_app"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets a notification. ``email`` None: in-app only; ``user_id`` None: email only."""

    user_id: uuid.UUID | None
    email: str | None
    locale: str = "en"


def idempotency_key(event: str, event_id: str, recipient: Recipient, channel: str) -> str:
    """One message per (event, event id, recipient, channel), whoever calls notify how often."""
    who = str(recipient.user_id) if recipient.user_id else f"email:{(recipient.email or '').strip().lower()}"
    return hashlib.sha256(f"{event}\x1f{event_id}\x1f{who}\x1f{channel}".encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


async def insert_ignoring_duplicates(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """INSERT rows, silently skipping those whose unique key already exists (same transaction)."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect in {"mysql", "mariadb"}:
        upsert = mysql.insert(table)
        stmt = upsert.on_duplicate_key_update(idempotency_key=upsert.inserted.idempotency_key)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - other databases are not supported
        raise RuntimeError(f"unsupported database {dialect}")
    await session.execute(stmt, rows)


async def notify(
    session: AsyncSession,
    event: str,
    recipients: list[Recipient],
    context: dict[str, Any],
    *,
    event_id: str | None = None,
) -> None:
    """Record ``event`` for ``recipients`` in the caller's transaction.

    Writes the in-app copy for every recipient with a user id, and outbox rows for email
    (when the address is known and the category is on for that user) and real-time push.
    Calling it again with the same ``event_id`` adds nothing. Unknown events raise
    ``ValueError`` (a programming error: add the event to the catalogue).
    """
    spec = get_event(event)
    payload = _jsonable(context)
    missing = [key for key in spec.context if key not in payload and key != "name"]
    if missing:
        log.warning("notification context incomplete", notification_event=event, missing=missing)
    event_id = str(event_id) if event_id else uuid.uuid4().hex
    user_ids = {r.user_id for r in recipients if r.user_id is not None}
    enabled = await PreferenceService(session=session).email_enabled_for(user_ids, spec.category)

    outbox: list[dict[str, Any]] = []
    feed: list[dict[str, Any]] = []
    for recipient in recipients:
        locale = normalise_locale(recipient.locale)
        base = {
            "event": event,
            "event_id": event_id,
            "category": spec.category,
            "user_id": recipient.user_id,
        }
        if recipient.user_id is not None:
            title, body, link = render_feed(event, locale, payload)
            notification_id = uuid.uuid4()
            feed.append(
                {
                    **base,
                    "id": notification_id,
                    "idempotency_key": idempotency_key(event, event_id, recipient, IN_APP),
                    "title": title[:300],
                    "body": body[:4000],
                    "link": link[:1000] if link else None,
                }
            )
            if spec.push:
                outbox.append(
                    {
                        **base,
                        "id": uuid.uuid4(),
                        "idempotency_key": idempotency_key(event, event_id, recipient, PUSH),
                        "channel": PUSH,
                        "email": None,
                        "locale": locale,
                        "context": {
                            "notification_id": str(notification_id),
                            "title": title,
                            "link": link,
                        },
                    }
                )
        email = (recipient.email or "").strip()
        if email and (recipient.user_id is None or enabled.get(recipient.user_id, True)):
            outbox.append(
                {
                    **base,
                    "id": uuid.uuid4(),
                    "idempotency_key": idempotency_key(event, event_id, recipient, EMAIL),
                    "channel": EMAIL,
                    "email": email[:320],
                    "locale": locale,
                    "context": payload,
                }
            )
    await insert_ignoring_duplicates(session, Notification, feed)
    await insert_ignoring_duplicates(session, NotificationOutbox, outbox)


class PreferenceService:
    """Per-category choices; security and regulatory are always on."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> dict[str, bool]:
        rows = await self.session.execute(
            select(NotificationPreference.category, NotificationPreference.enabled).where(
                NotificationPreference.user_id == user_id
            )
        )
        chosen = dict(rows.tuples().all())
        return {c: True if c in MANDATORY else bool(chosen.get(c, DEFAULT_ENABLED[c])) for c in CATEGORIES}

    async def update(self, user_id: uuid.UUID, changes: dict[str, bool]) -> dict[str, bool]:
        refused = [c for c, on in changes.items() if c in MANDATORY and not on]
        if refused:
            raise RuleViolation(
                f"{', '.join(refused)} notifications are mandatory and cannot be turned off",
                errors=[{"field": c, "message": "mandatory category cannot be turned off"} for c in refused],
            )
        for category, on in changes.items():
            if category not in CATEGORIES:
                raise NotFound(f"unknown notification category {category}")
            if category in MANDATORY:
                continue
            existing = await self.session.scalar(
                select(NotificationPreference)
                .where(NotificationPreference.user_id == user_id, NotificationPreference.category == category)
                .with_for_update()
            )
            if existing is None:
                self.session.add(NotificationPreference(user_id=user_id, category=category, enabled=on))
            else:
                existing.enabled = on
        await self.session.flush()
        return await self.get(user_id)

    async def email_enabled_for(self, user_ids: Iterable[uuid.UUID], category: str) -> dict[uuid.UUID, bool]:
        ids = list(user_ids)
        if category in MANDATORY or not ids:
            return dict.fromkeys(ids, True)
        rows = await self.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.enabled).where(
                NotificationPreference.user_id.in_(ids), NotificationPreference.category == category
            )
        )
        chosen = dict(rows.tuples().all())
        return {uid: bool(chosen.get(uid, DEFAULT_ENABLED[category])) for uid in ids}


class FeedService:
    """The in-app feed of one user."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self, user_id: uuid.UUID, *, limit: int, offset: int, unread_only: bool = False
    ) -> tuple[Sequence[Notification], int, int]:
        where = [Notification.user_id == user_id]
        if unread_only:
            where.append(Notification.read_at.is_(None))
        items = (
            await self.session.scalars(
                select(Notification)
                .where(*where)
                .order_by(Notification.created_at.desc(), Notification.id.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
        total = await self.session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
        unread = (
            await self.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            )
            or 0
        )
        return items, total, unread

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
        item = await self.session.scalar(
            select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
        )
        if item is None:
            raise NotFound("Notification not found")
        if item.read_at is None:
            item.read_at = utcnow()
            await self.session.flush()

    async def mark_all_read(self, user_id: uuid.UUID) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SuppressionService:
    """Addresses that must not receive email (hard bounces, complaints)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def suppress(
        self, email: str, *, reason: str, detail: str | None = None, source_message_id: str | None = None
    ) -> None:
        address = email.strip().lower()[:320]
        if not address:
            return
        dialect = self.session.get_bind().dialect.name
        values = {
            "id": uuid.uuid4(),
            "email": address,
            "reason": reason[:16],
            "detail": (detail or "")[:1000] or None,
            "source_message_id": source_message_id,
        }
        table = cast(Table, EmailSuppression.__table__)
        stmt: Any
        if dialect in {"mysql", "mariadb"}:
            upsert = mysql.insert(table).values(values)
            stmt = upsert.on_duplicate_key_update(email=upsert.inserted.email)
        else:
            stmt = sqlite.insert(table).values(values).on_conflict_do_nothing()
        await self.session.execute(stmt)
        log.info("email address suppressed", reason=reason)

    async def suppressed(self, emails: Iterable[str]) -> set[str]:
        addresses = {e.strip().lower() for e in emails if e}
        if not addresses:
            return set()
        rows = await self.session.scalars(select(EmailSuppression.email).where(EmailSuppression.email.in_(addresses)))
        return set(rows.all())

    async def is_suppressed(self, email: str) -> bool:
        return bool(await self.suppressed([email]))
