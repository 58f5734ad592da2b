"""Indexer handlers of the Offering contract's events (run in the indexer's DB transaction).

Each is idempotent by the event key and has its paired revert for reorgs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain import indexer
from partisipro.offerings import services


@indexer.on_event("Offering", "Invested")
async def invested(session: AsyncSession, event: Any) -> None:
    investor_id = await services.on_invested(session, event)
    if investor_id is not None:
        event.publish(
            f"user:{investor_id}",
            {"type": "investment.confirmed", "offering": event.address, "amount": str(event.args["amount"])},
        )


@indexer.on_revert("Offering", "Invested")
async def invested_reverted(session: AsyncSession, event: Any) -> None:
    await services.on_invested_reverted(session, event)


@indexer.on_event("Offering", "Cancelled")
async def cancelled(session: AsyncSession, event: Any) -> None:
    await services.on_cancelled(session, event)


@indexer.on_revert("Offering", "Cancelled")
async def cancelled_reverted(session: AsyncSession, event: Any) -> None:
    await services.on_cancelled(session, event, revert=True)


@indexer.on_event("Offering", "TokensSettled")
async def tokens_settled(session: AsyncSession, event: Any) -> None:
    await services.on_tokens_settled(session, event)


@indexer.on_revert("Offering", "TokensSettled")
async def tokens_settled_reverted(session: AsyncSession, event: Any) -> None:
    await services.on_tokens_settled(session, event, revert=True)


@indexer.on_event("Offering", "Refunded")
async def refunded(session: AsyncSession, event: Any) -> None:
    await services.on_refunded(session, event)


@indexer.on_revert("Offering", "Refunded")
async def refunded_reverted(session: AsyncSession, event: Any) -> None:
    await services.on_refunded(session, event, revert=True)
