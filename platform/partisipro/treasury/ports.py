"""What treasury and governance need from other domains, in one visible place.

Projects: read through ``projects.services`` for visibility rules, and a read-only lookup
by contract address for the indexer handlers. Wallet owners, accounts and notifications
through ``offerings.ports`` (the same helpers investing uses).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.errors import Conflict
from partisipro.offerings import ports as people
from partisipro.security import Principal
from partisipro.settings import get_settings

__all__ = ["ProjectRef", "people", "project_by_address", "project_for", "project_url"]


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: uuid.UUID
    name: str
    symbol: str
    status: str
    owner_id: uuid.UUID
    spv_wallet: str | None
    token: str
    offering: str
    treasury: str
    governor: str
    timelock: str


def _ref(project: object) -> ProjectRef:
    return ProjectRef(
        id=project.id,  # type: ignore[attr-defined]
        name=project.name,  # type: ignore[attr-defined]
        symbol=project.symbol,  # type: ignore[attr-defined]
        status=project.status,  # type: ignore[attr-defined]
        owner_id=project.owner_id,  # type: ignore[attr-defined]
        spv_wallet=project.spv_wallet,  # type: ignore[attr-defined]
        token=project.token_address or "",  # type: ignore[attr-defined]
        offering=project.offering_address or "",  # type: ignore[attr-defined]
        treasury=project.treasury_address or "",  # type: ignore[attr-defined]
        governor=project.governor_address or "",  # type: ignore[attr-defined]
        timelock=project.timelock_address or "",  # type: ignore[attr-defined]
    )


async def project_for(
    session: AsyncSession, principal: Principal | None, project_id: uuid.UUID, *, deployed: bool = True
) -> ProjectRef:
    """The project as ``principal`` may see it (404 otherwise); 409 when its contracts are not deployed."""
    from partisipro.projects.services import ProjectService

    project = await ProjectService(session=session).visible(principal, project_id)
    ref = _ref(project)
    if deployed and not ref.treasury:
        raise Conflict(f"The project is {ref.status}; its contracts are not deployed")
    return ref


async def project_by_address(
    session: AsyncSession, *, treasury: str | None = None, governor: str | None = None, token: str | None = None
) -> ProjectRef | None:
    """The project whose contract is at this address (indexer handlers)."""
    from partisipro.projects.models import Project

    stmt = select(Project)
    if treasury:
        stmt = stmt.where(Project.treasury_address == treasury)
    elif governor:
        stmt = stmt.where(Project.governor_address == governor)
    elif token:
        stmt = stmt.where(Project.token_address == token)
    else:
        return None
    project = (await session.execute(stmt)).scalars().first()
    return _ref(project) if project is not None else None


async def projects_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, ProjectRef]:
    from partisipro.projects.models import Project

    if not ids:
        return {}
    rows = await session.scalars(select(Project).where(Project.id.in_(ids)))
    return {p.id: _ref(p) for p in rows}


async def projects_holding(session: AsyncSession, wallets: list[str]) -> list[ProjectRef]:
    """Deployed projects whose token these wallets hold or held (from the indexed balances)."""
    from partisipro.chain.models import TokenBalance
    from partisipro.projects.models import Project

    if not wallets:
        return []
    tokens = select(TokenBalance.token).where(TokenBalance.wallet.in_(wallets))
    rows = await session.scalars(select(Project).where(Project.token_address.in_(tokens)).order_by(Project.name))
    return [_ref(p) for p in rows]


def project_url(project_id: uuid.UUID) -> str:
    return f"{get_settings().public_url}/projects/{project_id}"
