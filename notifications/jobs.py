"""Background work of notifications: the outbox delivery loop."""

from __future__ import annotations

from partisipro import jobs

from notifications.delivery import deliver_batch


@jobs.loop("notifications", idle_seconds=0.5)
async def deliver_notifications_loop() -> int:
    """Deliver one batch of due outbox rows (email and real-time push)."""
    return await deliver_batch()
