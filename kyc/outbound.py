"""KYC's calls into the notification and real-time modules.

Both are called in the caller's DB transaction. ``notifications.notify`` writes outbox rows;
``events.publish`` goes to Redis pub/sub, so it is only called after a successful write path.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from kyc import accounts

log = structlog.get_logger("kyc")


async def notify_user(
    session: AsyncSession, event: str, user_id: uuid.UUID, context: dict[str, Any], *, event_id: str
) -> None:
    import notifications

    acct = await accounts.account(session, user_id)
    if acct is None:
        return
    recipient = notifications.Recipient(user_id=acct.id, email=acct.email, locale=acct.locale)
    await notifications.notify(session, event, [recipient], {"name": acct.full_name, **context}, event_id=event_id)


async def notify_officers(
    session: AsyncSession,
    event: str,
    context: dict[str, Any],
    *,
    event_id: str,
    exclude: uuid.UUID | None = None,
) -> None:
    import notifications

    officers = await accounts.compliance_officers(session, exclude=exclude)
    if not officers:
        return
    recipients = [notifications.Recipient(user_id=o.id, email=o.email, locale=o.locale) for o in officers]
    await notifications.notify(session, event, recipients, {"name": "Compliance", **context}, event_id=event_id)


async def publish_user(user_id: uuid.UUID, payload: dict[str, Any]) -> None:
    try:
        from partisipro import events
    except ImportError:  # the real-time module lands with the chain work
        return
    try:
        await events.publish(f"user:{user_id}", payload)
    except Exception:  # a lost push is not a lost decision: the client re-reads on connect
        log.warning("real-time publish failed", user_id=str(user_id), event=payload.get("type"))
