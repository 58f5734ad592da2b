"""Distributions and claims: requests from the SPV, read models from the indexer, claimable amounts.

Claimable and claimed amounts come from ``dividends.Ledger`` replayed over the indexed events
of the project's token (Transfer, WalletRecovered) and treasury (Distributed, Claimed), so
they equal the contract's ``claimableOf``/``claimedOf`` to the base unit and follow a reorg
by themselves (rolled-back events leave the event store).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from eth_utils import to_checksum_address
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain.models import ChainEvent
from partisipro.db import utcnow
from partisipro.errors import BadRequest, Conflict, NotFound
from partisipro.offerings import chainio
from partisipro.offerings.schemas import UnsignedTransaction
from partisipro.security import Principal
from partisipro.treasury import ports
from partisipro.treasury import schemas as s
from partisipro.treasury.dividends import ZERO, Ledger
from partisipro.treasury.models import Claim, Distribution

# Project statuses in which profit may be distributed (tokens exist after a successful offering).
DISTRIBUTABLE = ("funded", "operating")
GAS = {"approve": 80_000, "distribute": 200_000, "claim": 160_000, "claimFor": 160_000}
MAX_AMOUNT = 2**96 - 1  # the treasury's totals are uint96


def _tx(contract: str, address: str, function: str, args: list[Any]) -> UnsignedTransaction:
    """An unsigned transaction for the client to sign (ABI encoding only, a fixed gas limit)."""
    from partisipro.chain.client import encode_call
    from partisipro.settings import get_settings

    return UnsignedTransaction(
        to=to_checksum_address(address),
        data=encode_call(contract, function, args),
        value="0",
        chain_id=get_settings().chain_id,
        gas=GAS[function],
    )


def _epoch(ts: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC) if ts else None


# ---------------------------------------------------------------- the ledger
async def ledger(session: AsyncSession, project: ports.ProjectRef) -> Ledger:
    """The project's dividend ledger, replayed from the indexed events in log order."""
    book = Ledger(custodian=project.offering, exempt=frozenset({project.timelock}))
    rows = await session.execute(
        select(ChainEvent.event_name, ChainEvent.args)
        .where(
            or_(
                and_(ChainEvent.address == project.token, ChainEvent.event_name.in_(("Transfer", "WalletRecovered"))),
                and_(ChainEvent.address == project.treasury, ChainEvent.event_name.in_(("Distributed", "Claimed"))),
            )
        )
        .order_by(ChainEvent.block_number, ChainEvent.log_index)
    )
    for name, args in rows.all():
        if name == "Transfer":
            book.transfer(
                to_checksum_address(args.get("from") or ZERO),
                to_checksum_address(args.get("to") or ZERO),
                int(args["value"]),
            )
        elif name == "WalletRecovered":
            book.recover(to_checksum_address(args["lostWallet"]), to_checksum_address(args["newWallet"]))
        elif name == "Distributed":
            book.distribute(int(args["amount"]))
        elif name == "Claimed":
            book.claim(to_checksum_address(args["account"]))
    return book


async def claims_by_project(
    session: AsyncSession, wallets: list[str], project_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(claimable, claimed) per project for these wallets (the portfolio uses it)."""
    out: dict[uuid.UUID, tuple[int, int]] = {}
    refs = await ports.projects_by_ids(session, project_ids)
    for project_id, ref in refs.items():
        if not ref.treasury:
            continue
        book = await ledger(session, ref)
        out[project_id] = (sum(book.claimable(w) for w in wallets), sum(book.claimed(w) for w in wallets))
    return out


async def total_distributed(session: AsyncSession) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Distribution.amount), 0)).where(Distribution.status == "confirmed")
    )
    return int(total or 0)


def distribution_schema(row: Distribution, transactions: list[Any] | None = None) -> s.Distribution:
    return s.Distribution(
        id=row.id,
        project_id=row.project_id,
        period=row.period,
        amount=str(row.amount),
        status=row.status,
        created_at=row.created_at,
        chain_index=row.chain_index,
        tx_hash=row.tx_hash,
        confirmed_at=row.confirmed_at,
        transactions=transactions or [],
    )


class DistributionRepository(SQLAlchemyAsyncRepository[Distribution]):
    model_type = Distribution


class DistributionService(SQLAlchemyAsyncRepositoryService[Distribution, DistributionRepository]):
    repository_type = DistributionRepository

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    async def request(self, principal: Principal, project_id: uuid.UUID, data: s.DistributionCreate) -> s.Distribution:
        """The owning SPV asks to distribute ``amount`` for ``period``: approve + distribute transactions."""
        project = await ports.project_for(self.session, principal, project_id, deployed=False)
        if project.owner_id != principal.user_id:
            raise NotFound("No such project")
        amount = int(data.amount)
        if amount <= 0 or amount > MAX_AMOUNT:
            raise BadRequest.field("amount", f"must be between 1 and {MAX_AMOUNT} base units")
        if not project.treasury or project.status not in DISTRIBUTABLE:
            raise Conflict(f"The project is {project.status}; profit can be distributed once its offering is funded")
        period = data.period.strip()
        taken = await self.session.scalar(
            select(Distribution.id).where(Distribution.project_id == project.id, Distribution.period == period)
        )
        if taken is not None:
            raise Conflict(f"A distribution for the period {period!r} already exists")
        row = Distribution(
            project_id=project.id,
            period=period,
            amount=amount,
            status="awaiting_signature",
            requested_by=principal.user_id,
            treasury_address=project.treasury,
        )
        self.session.add(row)
        await self.session.flush()
        from partisipro.audit import services as audit

        await audit.record(
            self.session,
            action="treasury.distribution_requested",
            actor=principal,
            object_type="project",
            object_id=str(project.id),
            details={"distribution_id": str(row.id), "period": period, "amount": str(amount)},
        )
        stablecoin = await chainio.stablecoin_address(self.session)
        transactions = [
            _tx("MockStablecoin", stablecoin, "approve", [project.treasury, amount]),
            _tx("Treasury", project.treasury, "distribute", [amount]),
        ]
        return distribution_schema(row, transactions)

    async def confirmed(
        self, principal: Principal | None, project_id: uuid.UUID, *, limit: int, offset: int
    ) -> s.DistributionPage:
        project = await ports.project_for(self.session, principal, project_id, deployed=False)
        where = (Distribution.project_id == project.id, Distribution.status == "confirmed")
        total, amount = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(Distribution.amount), 0)).where(*where)
            )
        ).one()
        rows = await self.session.scalars(
            select(Distribution).where(*where).order_by(Distribution.chain_index.desc()).limit(limit).offset(offset)
        )
        return s.DistributionPage(
            items=[distribution_schema(r) for r in rows],
            total=int(total),
            limit=limit,
            offset=offset,
            total_distributed=str(int(amount)),
        )

    # ---------------------------------------------------------------- claims
    async def my_claims(self, principal: Principal) -> s.MyClaims:
        wallets = await ports.people.wallets_of(self.session, principal.user_id)
        items: list[s.ProjectClaims] = []
        total = 0
        for project in await ports.projects_holding(self.session, wallets):
            book = await ledger(self.session, project)
            per_wallet = [
                s.WalletClaim(address=w, claimable=str(book.claimable(w)), claimed=str(book.claimed(w)))
                for w in wallets
                if w in book.accounts
            ]
            claimable = sum(book.claimable(w) for w in wallets)
            claimed = sum(book.claimed(w) for w in wallets)
            total += claimable
            items.append(
                s.ProjectClaims(
                    project_id=project.id,
                    name=project.name,
                    symbol=project.symbol,
                    treasury=project.treasury,
                    claimable=str(claimable),
                    claimed=str(claimed),
                    wallets=per_wallet,
                )
            )
        return s.MyClaims(items=items, total_claimable=str(total))

    async def claim_transaction(
        self, principal: Principal, project_id: uuid.UUID, data: s.ClaimCreate
    ) -> s.ClaimTransaction:
        """The claim transaction for the caller's wallet with something to claim (409 when none)."""
        project = await ports.project_for(self.session, principal, project_id)
        wallets = await ports.people.wallets_of(self.session, principal.user_id)
        if data.wallet is not None:
            wallet = to_checksum_address(data.wallet)
            if wallet not in wallets:
                raise BadRequest.field("wallet", "is not one of your linked wallets")
            wallets = [wallet]
        book = await ledger(self.session, project)
        owed = sorted(((book.claimable(w), w) for w in wallets), reverse=True)
        if not owed or owed[0][0] == 0:
            raise Conflict("Nothing to claim: no profit is owed to your wallets for this project")
        amount, wallet = owed[0]
        return s.ClaimTransaction(
            project_id=project.id,
            wallet=wallet,
            amount=str(amount),
            transaction=_tx("Treasury", project.treasury, "claimFor", [wallet]),
        )


# ---------------------------------------------------------------- chain events (indexer handlers)
async def on_distributed(session: AsyncSession, event: Any) -> tuple[ports.ProjectRef, Distribution] | None:
    """``Distributed(index, distributor, amount)``: confirm the oldest matching request, or record it."""
    project = await ports.project_by_address(session, treasury=event.address)
    if project is None:
        return None
    seen = await session.scalar(
        select(Distribution).where(Distribution.tx_hash == event.tx_hash, Distribution.log_index == event.log_index)
    )
    if seen is not None:
        return project, seen
    amount = int(event.args["amount"])
    row = (
        await session.execute(
            select(Distribution)
            .where(
                Distribution.project_id == project.id,
                Distribution.status == "awaiting_signature",
                Distribution.amount == amount,
            )
            .order_by(Distribution.created_at)
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        row = Distribution(project_id=project.id, amount=amount, treasury_address=project.treasury)
        session.add(row)
    row.status = "confirmed"
    row.chain_index = int(event.args["index"])
    row.tx_hash, row.log_index, row.block_number = event.tx_hash, int(event.log_index), int(event.block_number)
    row.confirmed_at = _epoch(event.block_timestamp) or utcnow()
    await session.flush()
    return project, row


async def on_distributed_reverted(session: AsyncSession, event: Any) -> None:
    row = await session.scalar(
        select(Distribution).where(Distribution.tx_hash == event.tx_hash, Distribution.log_index == event.log_index)
    )
    if row is None:
        return
    if row.period is None:
        await session.delete(row)
    else:
        row.status = "awaiting_signature"
        row.chain_index = row.tx_hash = row.log_index = row.block_number = row.confirmed_at = None
    await session.flush()


async def on_claimed(session: AsyncSession, event: Any) -> Claim | None:
    """``Claimed(account, amount)``: record the claim (idempotent by the event key)."""
    project = await ports.project_by_address(session, treasury=event.address)
    if project is None:
        return None
    seen = await session.scalar(select(Claim).where(Claim.tx_hash == event.tx_hash, Claim.log_index == event.log_index))
    if seen is not None:
        return seen
    wallet = to_checksum_address(event.args["account"])
    owners = await ports.people.wallet_owners(session, [wallet])
    claim = Claim(
        project_id=project.id,
        wallet=wallet,
        user_id=owners.get(wallet),
        amount=int(event.args["amount"]),
        tx_hash=event.tx_hash,
        log_index=int(event.log_index),
        block_number=int(event.block_number),
        claimed_at=_epoch(event.block_timestamp) or utcnow(),
        event_id=event.id,
    )
    session.add(claim)
    await session.flush()
    return claim


async def holders_to_notify(session: AsyncSession, project: ports.ProjectRef) -> dict[uuid.UUID, int]:
    """user id -> claimable, for every user whose wallets have something to claim now."""
    book = await ledger(session, project)
    owed = {w: book.claimable(w) for w in book.accounts if book.claimable(w) > 0}
    owners = await ports.people.wallet_owners(session, list(owed))
    out: dict[uuid.UUID, int] = {}
    for wallet, amount in owed.items():
        user_id = owners.get(wallet)
        if user_id is not None:
            out[user_id] = out.get(user_id, 0) + amount
    return out
