"""Indexer handlers of the ProjectGovernor (run in the indexer's DB transaction, idempotent by event key).

ProposalCreated confirms the proposal, tells the project's holders and publishes
``proposal.created``; VoteCast (and VoteCastWithParams) records the vote and publishes
``vote.cast`` on the project's channel and the voter's private one; ProposalQueued,
ProposalExecuted and ProposalCanceled move the lifecycle and publish ``proposal.state_changed``
(executed also tells the holders). Reorgs: votes leave with their event (``event_id``
cascades); the proposal's fields are undone by the paired ``on_revert`` handlers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain import indexer
from partisipro.governance import services
from partisipro.treasury import ports

LIFECYCLE = {"ProposalQueued": ("queued_tx", "queued"), "ProposalExecuted": ("executed_tx", "executed"),
             "ProposalCanceled": ("canceled_tx", "cancelled")}  # fmt: skip


def _publish_project(event: Any, project: ports.ProjectRef, payload: dict[str, Any]) -> None:
    event.publish(f"project:{project.id}", payload)
    event.publish("public", payload)


@indexer.on_event("ProjectGovernor", "ProposalCreated")
async def proposal_created(session: AsyncSession, event: Any) -> None:
    found = await services.on_proposal_created(session, event)
    if found is None or not found[2]:
        return
    project, row, _ = found
    _publish_project(
        event,
        project,
        {
            "type": "proposal.created",
            "project_id": str(project.id),
            "proposal": str(row.id),
            "proposal_id": row.proposal_id,
            "title": row.title,
            "proposer": row.proposer_wallet,
            "vote_start": row.vote_start,
            "vote_end": row.vote_end,
            "tx_hash": event.tx_hash,
        },
    )
    ends = services._epoch(row.vote_end)
    for user_id in await services.holders(session, project):
        await ports.people.notify(
            session,
            "governance.proposal_created",
            user_id,
            {
                "project_name": project.name,
                "project_url": ports.project_url(project.id),
                "title": row.title,
                "vote_ends_at": ends.isoformat() if ends else "",
            },
            event_id=f"governance.proposal_created:{row.id}:{user_id}",
        )


@indexer.on_revert("ProjectGovernor", "ProposalCreated")
async def proposal_created_reverted(session: AsyncSession, event: Any) -> None:
    await services.on_proposal_created_reverted(session, event)


async def _lifecycle(session: AsyncSession, event: Any) -> None:
    field, state = LIFECYCLE[event.event_name]
    found = await services.on_lifecycle(session, event, field)
    if found is None or not found[2]:
        return
    project, row, _ = found
    _publish_project(
        event,
        project,
        {
            "type": "proposal.state_changed",
            "project_id": str(project.id),
            "proposal": str(row.id),
            "proposal_id": row.proposal_id,
            "state": state,
            "eta": row.eta,
            "tx_hash": event.tx_hash,
        },
    )
    if state != "executed":
        return
    for user_id in await services.holders(session, project):
        await ports.people.notify(
            session,
            "governance.proposal_executed",
            user_id,
            {"project_name": project.name, "project_url": ports.project_url(project.id), "title": row.title},
            event_id=f"governance.proposal_executed:{row.id}:{user_id}",
        )


async def _lifecycle_reverted(session: AsyncSession, event: Any) -> None:
    await services.on_lifecycle_reverted(session, event, LIFECYCLE[event.event_name][0])


for _name in LIFECYCLE:
    indexer.on_event("ProjectGovernor", _name)(_lifecycle)
    indexer.on_revert("ProjectGovernor", _name)(_lifecycle_reverted)


async def _vote_cast(session: AsyncSession, event: Any) -> None:
    found = await services.on_vote_cast(session, event)
    if found is None or not found[3]:
        return
    project, row, vote, _ = found
    payload = {
        "type": "vote.cast",
        "project_id": str(project.id),
        "proposal": str(row.id),
        "proposal_id": row.proposal_id,
        "voter": vote.voter,
        "support": services.SUPPORT_NAMES.get(vote.support, str(vote.support)),
        "weight": str(vote.weight),
        "tx_hash": event.tx_hash,
    }
    _publish_project(event, project, payload)
    if vote.user_id is not None:
        event.publish(f"user:{vote.user_id}", payload)


indexer.on_event("ProjectGovernor", "VoteCast")(_vote_cast)
indexer.on_event("ProjectGovernor", "VoteCastWithParams")(_vote_cast)
