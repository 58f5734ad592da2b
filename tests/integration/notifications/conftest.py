"""Factories for notification tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.fixtures.mail import SmtpServer, deliver_notifications, smtp_server  # noqa: F401


async def notify_now(event: str, recipients: list[Any], context: dict[str, Any], **kw: Any) -> None:
    """Call notifications.notify in its own committed transaction, like a domain service would."""
    from partisipro.db import open_session

    import notifications

    async with open_session() as session:
        await notifications.notify(session, event, recipients, context, **kw)


async def outbox_rows(**where: Any) -> list[Any]:
    from partisipro.db import open_session

    from notifications.models import NotificationOutbox

    async with open_session(commit=False) as session:
        query = sa.select(NotificationOutbox).order_by(NotificationOutbox.created_at)
        for key, value in where.items():
            query = query.where(getattr(NotificationOutbox, key) == value)
        return list((await session.scalars(query)).all())


def a_user() -> tuple[uuid.UUID, str]:
    user_id = uuid.uuid4()
    return user_id, f"investor-{user_id.hex[:8]}@example.com"


@pytest.fixture
async def db(clean_db: str, clean_redis: None) -> AsyncIterator[str]:
    """Empty tables and Redis, settings re-read (after smtp_server when both are requested)."""
    from partisipro.settings import reset_settings

    reset_settings()
    yield clean_db
