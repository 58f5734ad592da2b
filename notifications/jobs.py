"""Background work of notifications: the outbox delivery loop and the dead-letter gauge."""

from __future__ import annotations

from partisipro import jobs, opsmetrics
from partisipro.db import open_session
from sqlalchemy import func, select

from notifications.delivery import deliver_batch
from notifications.models import DEAD, NotificationOutbox


@jobs.loop("notifications", idle_seconds=0.5)
async def deliver_notifications_loop() -> int:
    """Deliver one batch of due outbox rows (email and real-time push)."""
    return await deliver_batch()


async def dead_letters() -> int:
    """Messages that will not be delivered (permanent failure or retries exhausted)."""
    async with open_session(commit=False) as session:
        return int(await session.scalar(select(func.count()).where(NotificationOutbox.status == DEAD)) or 0)


opsmetrics.register_gauge("DeadLetters", dead_letters)
