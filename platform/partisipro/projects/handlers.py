"""Indexer handlers that move projects through their lifecycle (ProjectCreated, Finalized)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain import indexer
from partisipro.offerings import services as offerings
from partisipro.projects.models import Project
from partisipro.projects.services import ProjectService


def _when(event: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(event.block_timestamp), dt.UTC) if event.block_timestamp else None


@indexer.on_event("ProjectFactory", "ProjectCreated")
async def project_created(session: AsyncSession, event: Any) -> None:
    await ProjectService(session=session).on_project_created(
        dict(event.args), tx_hash=event.tx_hash, block_time=_when(event)
    )


@indexer.on_revert("ProjectFactory", "ProjectCreated")
async def project_created_reverted(session: AsyncSession, event: Any) -> None:
    await ProjectService(session=session).on_project_created_reverted(dict(event.args))


async def _set_status(session: AsyncSession, project_id: Any, status: str) -> None:
    project = await session.scalar(select(Project).where(Project.id == project_id).with_for_update())
    if project is not None:
        project.status = status
        await session.flush()


@indexer.on_event("Offering", "Finalized")
async def finalized(session: AsyncSession, event: Any) -> None:
    result = await offerings.on_finalized(session, event)
    if result is not None:
        project_id, success = result
        await _set_status(session, project_id, "funded" if success else "failed")


@indexer.on_revert("Offering", "Finalized")
async def finalized_reverted(session: AsyncSession, event: Any) -> None:
    result = await offerings.on_finalized(session, event, revert=True)
    if result is not None:
        await _set_status(session, result[0], "deployed")
