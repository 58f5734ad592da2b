"""Indexer handlers of the Treasury contract (run in the indexer's DB transaction).

``Distributed`` confirms a distribution, tells every holder with something to claim (email,
feed) and publishes ``distribution.created`` on the project's channel; ``Claimed`` records
the claim (the row cascades away with its event on a reorg). Claimable amounts need no
handler: they are replayed from the event store (see ``services.ledger``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain import indexer
from partisipro.treasury import ports, services


@indexer.on_event("Treasury", "Distributed")
async def distributed(session: AsyncSession, event: Any) -> None:
    found = await services.on_distributed(session, event)
    if found is None:
        return
    project, row = found
    payload = {
        "type": "distribution.created",
        "project_id": str(project.id),
        "distribution_id": str(row.id),
        "period": row.period,
        "amount": str(row.amount),
        "index": row.chain_index,
        "tx_hash": event.tx_hash,
    }
    event.publish(f"project:{project.id}", payload)
    event.publish("public", payload)
    for user_id, claimable in (await services.holders_to_notify(session, project)).items():
        await ports.people.notify(
            session,
            "treasury.distribution_available",
            user_id,
            {
                "project_name": project.name,
                "project_url": ports.project_url(project.id),
                "claimable_idr": ports.people.to_idr(claimable),
            },
            event_id=f"distribution:{event.tx_hash}:{event.log_index}:{user_id}",
        )
        event.publish(f"user:{user_id}", {**payload, "claimable": str(claimable)})


@indexer.on_revert("Treasury", "Distributed")
async def distributed_reverted(session: AsyncSession, event: Any) -> None:
    await services.on_distributed_reverted(session, event)


@indexer.on_event("Treasury", "Claimed")
async def claimed(session: AsyncSession, event: Any) -> None:
    claim = await services.on_claimed(session, event)
    if claim is not None and claim.user_id is not None:
        event.publish(
            f"user:{claim.user_id}",
            {
                "type": "claim.confirmed",
                "project_id": str(claim.project_id),
                "wallet": claim.wallet,
                "amount": str(claim.amount),
                "tx_hash": claim.tx_hash,
            },
        )
