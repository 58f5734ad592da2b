"""Offerings (read model from the chain), investments, portfolio and stats.

The offering's state (raised, investors, finalized) comes only from chain events, applied by
the indexer handlers in ``handlers.py`` through the ``on_*`` functions here. The API checks an
investment against that read model; the Offering contract has the last word (it never
oversells), and the indexer's events decide every investment's final status.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from eth_utils import to_checksum_address
from sqlalchemy import Select, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from partisipro.db import utcnow
from partisipro.errors import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from partisipro.offerings import chainio, ports
from partisipro.offerings import schemas as s
from partisipro.offerings.models import Investment, OfferingState
from partisipro.security import Principal
from partisipro.settings import get_settings

TOKEN_UNIT = 10**18
INTENT_TTL = dt.timedelta(hours=1)
ACTIVE = ("confirmed", "settled")  # money that is (or was) in the offering and not given back
SETTLE_BATCH = 50


def _epoch(ts: int | str | None) -> dt.datetime | None:
    if ts in (None, ""):
        return None
    return dt.datetime.fromtimestamp(int(ts), dt.UTC)


async def chain_clock(session: AsyncSession) -> dt.datetime:
    """The chain's time as the read models know it: the newest indexed block, or the wall clock if later."""
    from partisipro.chain.models import ChainEvent

    newest = await session.scalar(select(ChainEvent.block_timestamp).order_by(ChainEvent.id.desc()).limit(1))
    now = utcnow()
    seen = _epoch(newest)
    return max(now, seen) if seen else now


def offering_status(state: OfferingState, now: dt.datetime) -> str:
    if state.finalized:
        return "funded" if state.successful else "failed"
    if state.chain_time and state.chain_time > now:
        now = state.chain_time
    if now < state.starts_at:
        return "upcoming"
    if now >= state.ends_at or state.raised >= state.hard_cap:
        return "closed"
    return "open"


def view_of(state: OfferingState, now: dt.datetime) -> s.OfferingView:
    return s.OfferingView(
        status=offering_status(state, now),
        price_per_token=str(state.price_per_token),
        soft_cap=str(state.soft_cap),
        hard_cap=str(state.hard_cap),
        min_investment=str(state.min_investment),
        max_investment=str(state.max_investment),
        starts_at=state.starts_at,
        ends_at=state.ends_at,
        raised=str(state.raised),
        investors=state.investors,
        remaining=str(max(state.hard_cap - state.raised, 0)),
        finalized=state.finalized,
        address=state.address,
    )


async def offering_views(session: AsyncSession, project_ids: list[uuid.UUID]) -> dict[uuid.UUID, s.OfferingView]:
    """Offering views of deployed projects, in one query."""
    if not project_ids:
        return {}
    rows = (await session.execute(select(OfferingState).where(OfferingState.project_id.in_(project_ids)))).scalars()
    states = list(rows)
    if not states:
        return {}
    now = await chain_clock(session)
    return {state.project_id: view_of(state, now) for state in states}


# What ``view_of`` reads (a page of offerings loads only these).
VIEW_COLUMNS = (
    OfferingState.id,
    OfferingState.address,
    OfferingState.price_per_token,
    OfferingState.soft_cap,
    OfferingState.hard_cap,
    OfferingState.min_investment,
    OfferingState.max_investment,
    OfferingState.starts_at,
    OfferingState.ends_at,
    OfferingState.raised,
    OfferingState.investors,
    OfferingState.finalized,
    OfferingState.successful,
    OfferingState.chain_time,
)


PORTFOLIO_COLUMNS = (
    *VIEW_COLUMNS,
    OfferingState.project_id,
    OfferingState.name,
    OfferingState.symbol,
    OfferingState.token_address,
    OfferingState.treasury_address,
)


def newest_block_time_column() -> Any:
    """The newest indexed block's timestamp as a scalar subquery (to fold the chain clock into a query)."""
    from partisipro.chain.models import ChainEvent

    return select(ChainEvent.block_timestamp).order_by(ChainEvent.id.desc()).limit(1).scalar_subquery()


def with_offering(stmt: Select[Any], project_id_column: Any) -> Select[Any]:
    """Add the project's offering read model (or None) and the chain clock to a query of projects.

    Lets a page of projects come back in one query; ``views_of_rows`` turns them into views.
    """
    return (
        stmt.add_columns(OfferingState, newest_block_time_column().label("newest_block_time"))
        .outerjoin(OfferingState, OfferingState.project_id == project_id_column)
        .options(load_only(*VIEW_COLUMNS, raiseload=True))
    )


def clock_of(newest_block_time: int | None) -> dt.datetime:
    now = utcnow()
    seen = _epoch(newest_block_time)
    return max(now, seen) if seen else now


def project_ids_with_status_query(status: str) -> Select[Any]:
    """Project ids whose offering is ``upcoming`` or ``open`` now (wall clock), for list filters."""
    now = utcnow()
    live = and_(OfferingState.finalized.is_(False), OfferingState.raised < OfferingState.hard_cap)
    if status == "upcoming":
        cond = and_(live, OfferingState.starts_at > now)
    else:
        cond = and_(live, OfferingState.starts_at <= now, OfferingState.ends_at > now)
    return select(OfferingState.project_id).where(cond)


async def open_offering(
    session: AsyncSession, *, project_id: uuid.UUID, chain_time: dt.datetime | None, **terms: Any
) -> None:
    """Create the read model of a newly deployed offering (idempotent)."""
    existing = await session.scalar(select(OfferingState).where(OfferingState.project_id == project_id))
    if existing is not None:
        return
    session.add(OfferingState(project_id=project_id, chain_time=chain_time, **terms))
    await session.flush()


async def drop_offering(session: AsyncSession, project_id: uuid.UUID) -> None:
    state = await session.scalar(select(OfferingState).where(OfferingState.project_id == project_id))
    if state is not None:
        await session.delete(state)
        await session.flush()


async def finalize_transaction(session: AsyncSession, project_id: uuid.UUID) -> s.UnsignedTransaction:
    """The ``finalize`` transaction; 409 before the end (unless the hard cap is reached) or once finalized."""
    state = await session.scalar(select(OfferingState).where(OfferingState.project_id == project_id))
    if state is None:
        raise Conflict("The offering is not deployed")
    if state.finalized:
        raise Conflict("The offering is already finalized")
    now = max(await chain_clock(session), _epoch(await chainio.chain_timestamp()) or utcnow())
    if now < state.ends_at and state.raised < state.hard_cap:
        raise Conflict(f"The offering can be finalized after {state.ends_at.isoformat()} or once the hard cap is met")
    return chainio.unsigned("Offering", state.address, "finalize", [])


# ---------------------------------------------------------------- investor notifications
def _about(state: OfferingState, amount: int) -> dict[str, Any]:
    """The context every investment notification carries (names of notifications/catalogue.py)."""
    return {
        "project_name": state.name,
        "project_url": f"{get_settings().public_url.rstrip('/')}/projects/{state.project_id}",
        "amount_idr": ports.to_idr(amount),
    }


def _whole_tokens(tokens: int) -> str:
    whole, rest = divmod(tokens, TOKEN_UNIT)
    return str(whole) if not rest else f"{whole}.{str(rest).rjust(18, '0').rstrip('0')}"


async def yearly_usage(session: AsyncSession, user_id: uuid.UUID) -> int:
    """What the investor put in over the last 12 months, in rupiah (all projects; the kyc usage hook)."""
    since = utcnow() - dt.timedelta(days=365)
    total = await session.scalar(
        select(func.coalesce(func.sum(Investment.amount), 0)).where(
            Investment.investor_id == user_id,
            Investment.created_at >= since,
            Investment.status.in_((*ACTIVE, "awaiting_signature")),
        )
    )
    return ports.to_idr(int(total or 0))


def _register_usage_provider() -> None:
    try:
        from kyc import limits
    except ImportError:  # pragma: no cover
        return
    limits.register_usage_provider(yearly_usage)


_register_usage_provider()


# ---------------------------------------------------------------- investments
class InvestmentRepository(SQLAlchemyAsyncRepository[Investment]):
    model_type = Investment


class InvestmentService(SQLAlchemyAsyncRepositoryService[Investment, InvestmentRepository]):
    repository_type = InvestmentRepository

    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    async def _state(self, project_id: uuid.UUID, *, lock: bool = False) -> OfferingState:
        stmt = select(OfferingState).where(OfferingState.project_id == project_id)
        if lock:
            stmt = stmt.with_for_update()
        state = await self.session.scalar(stmt)
        if state is None:
            raise NotFound("No such project, or its offering is not deployed")
        return state

    async def create_intent(self, principal: Principal, data: s.InvestmentCreate) -> s.Investment:
        """Every check of API.md in order, then the unsigned transactions (or the permit data)."""
        session = self.session
        amount = int(data.amount)
        if amount <= 0:
            raise BadRequest.field("amount", "must be greater than zero")
        wallet_address = to_checksum_address(data.wallet)
        # 1. role: the controller's guard.  2. KYC approved and not expired.
        kyc = await ports.kyc_state(session, principal.user_id)
        if kyc.status != "approved" or (kyc.expires_at is not None and kyc.expires_at <= utcnow()):
            raise Forbidden(f"Investing needs an approved, unexpired KYC (yours is {kyc.status})")
        # 3. the wallet is the caller's and registered on chain.
        linked = await ports.wallet(session, wallet_address)
        if linked is None or linked.user_id != principal.user_id:
            raise Conflict("This wallet is not linked to your account; link it first")
        if not linked.registered_on_chain:
            raise Conflict("This wallet is not registered in the identity registry yet")
        # 4. the offering is open (read model; the lock serialises intents on one offering).
        state = await self._state(data.project_id, lock=True)
        now = await chain_clock(session)
        status = offering_status(state, now)
        if status != "open":
            raise Conflict(f"The offering is {status}, not open")
        if amount * TOKEN_UNIT % state.price_per_token:
            raise BadRequest.field("amount", "must buy a whole number of token base units")
        # Older unsigned intents of this wallet for this offering are replaced by this one. Found
        # by a plain read and updated by primary key: a range UPDATE would take gap locks on the
        # investment index that deadlock with concurrent intents on other offerings.
        stale = list(
            await session.scalars(
                select(Investment.id).where(
                    Investment.project_id == state.project_id,
                    Investment.wallet == wallet_address,
                    Investment.status == "awaiting_signature",
                    Investment.broadcast_tx_hashes.is_(None),
                )
            )
        )
        if stale:
            await session.execute(
                update(Investment)
                .where(Investment.id.in_(stale), Investment.status == "awaiting_signature")
                .values(status="expired")
                .execution_options(synchronize_session=False)
            )
        # 5. per-investor min / max, counting what the investor already put in.
        already = await self._invested(principal.user_id, state.project_id, include_pending=True)
        if already + amount < state.min_investment:
            raise RuleViolation(
                f"Below the minimum investment of {state.min_investment}",
                errors=[{"field": "amount", "message": f"at least {state.min_investment - already} more is needed"}],
            )
        if already + amount > state.max_investment:
            raise RuleViolation(
                f"Above the maximum investment of {state.max_investment} per investor",
                errors=[{"field": "amount", "message": f"at most {max(state.max_investment - already, 0)}"}],
            )
        # 6. the yearly limit by income, over all projects in the last 12 months.
        limit_idr = await ports.yearly_limit_idr(session, principal.user_id)
        if limit_idr is not None:
            used_idr = await yearly_usage(session, principal.user_id)
            if used_idr + ports.to_idr(amount) > limit_idr:
                remaining = max(limit_idr - used_idr, 0)
                raise RuleViolation(
                    "Over your yearly investment limit",
                    errors=[{"field": "amount", "message": f"at most {ports.from_idr(remaining)} this year"}],
                )
        # 7. remaining capacity.
        remaining = state.hard_cap - state.raised
        if amount > remaining:
            raise Conflict(f"Only {max(remaining, 0)} of the offering remains")
        investment = Investment(
            investor_id=principal.user_id,
            project_id=state.project_id,
            offering_address=state.address,
            wallet=wallet_address,
            amount=amount,
            status="awaiting_signature",
            method=data.method,
        )
        session.add(investment)
        await session.flush()
        # The cooling-off window runs from the confirmation on chain: this is its earliest end.
        cancel_until = utcnow() + dt.timedelta(seconds=state.cooling_off_seconds)
        await ports.notify(
            session,
            "investment.intent_created",
            principal.user_id,
            {**_about(state, amount), "cancel_until": cancel_until.isoformat()},
            event_id=f"investment.intent_created:{investment.id}",
        )
        return await self._with_instructions(investment, state)

    async def _invested(self, user_id: uuid.UUID, project_id: uuid.UUID, *, include_pending: bool) -> int:
        statuses: tuple[str, ...] = ACTIVE + (("awaiting_signature",) if include_pending else ())
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Investment.amount), 0)).where(
                Investment.investor_id == user_id,
                Investment.project_id == project_id,
                Investment.status.in_(statuses),
            )
        )
        return int(total or 0)

    async def _with_instructions(self, inv: Investment, state: OfferingState) -> s.Investment:
        view = self.schema(inv, state)
        if inv.status == "awaiting_signature":
            if inv.method == "permit":
                view.permit = await self._permit(inv, state)
            else:
                view.transactions = [
                    chainio.unsigned(
                        "MockStablecoin", state.stablecoin_address, "approve", [state.address, inv.amount]
                    ),
                    chainio.unsigned("Offering", state.address, "invest", [inv.amount]),
                ]
        elif inv.status == "confirmed" and state.finalized and state.successful is False:
            view.transactions = [chainio.unsigned("Offering", state.address, "refund", [])]
        return view

    async def _permit(self, inv: Investment, state: OfferingState) -> s.PermitData:
        name, nonce = await chainio.permit_domain(state.stablecoin_address, inv.wallet)
        # The permit's deadline is checked against the chain's clock, which may run ahead of ours.
        now = max(utcnow(), _epoch(await chainio.chain_timestamp()) or utcnow())
        deadline = int(min(state.ends_at, now + INTENT_TTL).timestamp())
        typed = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Permit": [
                    {"name": "owner", "type": "address"},
                    {"name": "spender", "type": "address"},
                    {"name": "value", "type": "uint256"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ],
            },
            "primaryType": "Permit",
            "domain": {
                "name": name,
                "version": "1",
                "chainId": get_settings().chain_id,
                "verifyingContract": state.stablecoin_address,
            },
            "message": {
                "owner": inv.wallet,
                "spender": state.address,
                "value": str(inv.amount),
                "nonce": str(nonce),
                "deadline": str(deadline),
            },
        }
        call = {
            "to": state.address,
            "function": "investWithPermit(uint256,uint256,uint8,bytes32,bytes32)",
            "args": {
                "amount": str(inv.amount),
                "deadline": str(deadline),
                "v": "from signature",
                "r": "...",
                "s": "...",
            },
            "chain_id": get_settings().chain_id,
            "gas": chainio.GAS["investWithPermit"],
            "value": "0",
        }
        return s.PermitData(typed_data=typed, deadline=deadline, call=call)

    def schema(self, inv: Investment, state: OfferingState | None) -> s.Investment:
        return s.Investment(
            id=inv.id,
            project_id=inv.project_id,
            project_name=state.name if state else "",
            symbol=state.symbol if state else "",
            wallet=inv.wallet,
            amount=str(inv.amount),
            status=inv.status,
            method=inv.method,
            created_at=inv.created_at,
            tx_hash=inv.tx_hash,
            confirmed_at=inv.confirmed_at,
            cancel_deadline=inv.cancel_deadline,
            cancelled_at=inv.cancelled_at,
            refunded_at=inv.refunded_at,
            settled_at=inv.settled_at,
            tokens=None if inv.tokens is None else str(inv.tokens),
        )

    async def _owned(self, principal: Principal, investment_id: uuid.UUID, *, lock: bool = False) -> Investment:
        stmt = select(Investment).where(Investment.id == investment_id)
        if lock:
            stmt = stmt.with_for_update()
        inv = await self.session.scalar(stmt)
        if inv is None or inv.investor_id != principal.user_id:
            raise NotFound("No such investment")
        return inv

    async def get_view(self, principal: Principal, investment_id: uuid.UUID) -> s.Investment:
        inv = await self._owned(principal, investment_id)
        state = await self._state(inv.project_id)
        return await self._with_instructions(inv, state)

    async def list_mine(self, principal: Principal, *, status: str | None, limit: int, offset: int) -> s.InvestmentPage:
        filters = [Investment.investor_id == principal.user_id]
        if status:
            filters.append(Investment.status == status)
        total = await self.session.scalar(select(func.count()).select_from(Investment).where(*filters))
        rows = await self.session.execute(
            select(Investment, OfferingState)
            .join(OfferingState, OfferingState.project_id == Investment.project_id)
            .where(*filters)
            .order_by(Investment.created_at.desc(), Investment.id)
            .limit(limit)
            .offset(offset)
        )
        items = [self.schema(inv, state) for inv, state in rows.all()]
        return s.InvestmentPage(items=items, total=int(total or 0), limit=limit, offset=offset)

    async def broadcast(
        self, principal: Principal, investment_id: uuid.UUID, data: s.BroadcastRequest
    ) -> s.BroadcastResult:
        inv = await self._owned(principal, investment_id, lock=True)
        if inv.status not in ("awaiting_signature", "expired"):
            raise Conflict(f"The investment is {inv.status}; nothing to broadcast")
        state = await self._state(inv.project_id)
        allowed = {state.address.lower(), state.stablecoin_address.lower()}
        decoded = [chainio.decode_signed(raw) for raw in data.signed_transactions]
        for tx in decoded:
            if tx["from"] != inv.wallet:
                raise BadRequest.field("signed_transactions", "must be signed by the investment's wallet")
            if not tx["to"] or tx["to"].lower() not in allowed:
                raise BadRequest.field("signed_transactions", "must go to the offering or the stablecoin")
            if tx["chain_id"] not in (0, get_settings().chain_id):
                raise BadRequest.field("signed_transactions", "signed for another chain")
        hashes = [await chainio.send_raw(raw) for raw in data.signed_transactions]
        inv.status = "awaiting_signature"
        inv.broadcast_tx_hashes = ",".join(hashes)[:700]
        await self.session.flush()
        return s.BroadcastResult(id=inv.id, status=inv.status, tx_hashes=hashes)

    async def cancel(self, principal: Principal, investment_id: uuid.UUID) -> s.CancelResult:
        inv = await self._owned(principal, investment_id)
        if inv.status != "confirmed" or inv.contribution_id is None:
            raise Conflict(f"The investment is {inv.status}; only confirmed investments can be cancelled")
        state = await self._state(inv.project_id)
        if state.finalized:
            raise Conflict("The offering is finalized; investments can no longer be cancelled")
        now = _epoch(await chainio.chain_timestamp()) or utcnow()
        # The chain checks the deadline against the next block's timestamp (>= now); keep a small margin.
        if inv.cancel_deadline is None or now + dt.timedelta(seconds=15) >= inv.cancel_deadline:
            raise Conflict("The cooling-off window of this investment has passed")
        tx = chainio.unsigned("Offering", state.address, "cancel", [inv.contribution_id])
        return s.CancelResult(id=inv.id, status=inv.status, cancel_deadline=inv.cancel_deadline, transaction=tx)

    async def refund(self, principal: Principal, investment_id: uuid.UUID) -> s.RefundResult:
        inv = await self._owned(principal, investment_id)
        state = await self._state(inv.project_id)
        if inv.status != "confirmed" or not state.finalized or state.successful:
            raise Conflict(f"Nothing to refund: the investment is {inv.status} and the offering has not failed")
        return s.RefundResult(
            id=inv.id, status=inv.status, transaction=chainio.unsigned("Offering", state.address, "refund", [])
        )

    # ---------------------------------------------------------------- portfolio and stats
    async def portfolio(self, principal: Principal) -> s.Portfolio:
        """Per project, from read models only (a handful of queries whatever the number of projects)."""
        from partisipro.chain.models import TokenBalance

        session = self.session
        # One query: the offerings the investor put money in or whose token their wallets hold,
        # with the sums of their investments, the token balances and the chain clock.
        mine = (
            select(
                Investment.project_id.label("project_id"),
                func.sum(case((Investment.status.in_(ACTIVE), Investment.amount), else_=0)).label("invested"),
                func.sum(case((Investment.status == "awaiting_signature", Investment.amount), else_=0)).label(
                    "pending"
                ),
            )
            .where(Investment.investor_id == principal.user_id)
            .group_by(Investment.project_id)
            .subquery()
        )
        held = (
            select(TokenBalance.token.label("token"), func.sum(TokenBalance.balance).label("balance"))
            .where(TokenBalance.wallet.in_(ports.wallets_query(principal.user_id)))
            .group_by(TokenBalance.token)
            .subquery()
        )
        found = (
            await session.execute(
                select(
                    OfferingState,
                    mine.c.invested,
                    mine.c.pending,
                    held.c.balance,
                    newest_block_time_column().label("newest_block_time"),
                )
                .outerjoin(mine, mine.c.project_id == OfferingState.project_id)
                .outerjoin(held, held.c.token == OfferingState.token_address)
                .where(mine.c.project_id.is_not(None) | (held.c.balance > 0))
                .options(load_only(*PORTFOLIO_COLUMNS, raiseload=True))
            )
        ).all()
        states = [row[0] for row in found]
        per_project = {st.project_id: (int(inv or 0), int(pending or 0)) for st, inv, pending, _b, _c in found}
        balances = {st.token_address: int(balance or 0) for st, _i, _p, balance, _c in found}
        now = clock_of(found[0].newest_block_time) if found else utcnow()
        # Profit exists only where a distribution happened: ask the treasury about those alone.
        paying = await _paying_treasuries(session, [st.treasury_address for st in states])
        claims: dict[uuid.UUID, tuple[int, int]] = {}
        if paying:
            wallets = await ports.wallets_of(session, principal.user_id)
            claims = await _claims(session, wallets, [st.project_id for st in states if st.treasury_address in paying])
        items: list[s.PortfolioItem] = []
        total = 0
        for st in sorted(states, key=lambda x: x.name):
            invested, pending = per_project.get(st.project_id, (0, 0))
            tokens = balances.get(st.token_address, 0)
            claimable, claimed = claims.get(st.project_id, (0, 0))
            total += invested
            items.append(
                s.PortfolioItem(
                    project_id=st.project_id,
                    name=st.name,
                    symbol=st.symbol,
                    token_address=st.token_address,
                    offering_status=offering_status(st, now),
                    tokens=str(tokens),
                    invested=str(invested),
                    pending=str(pending),
                    claimable=str(claimable),
                    claimed=str(claimed),
                    votes=str(tokens),  # holders are self-delegated: votes equal the balance
                )
            )
        return s.Portfolio(items=items, total_invested=str(total))

    async def stats(self) -> s.Stats:
        session = self.session
        now = utcnow()
        projects, raised, open_count = (
            await session.execute(
                select(
                    func.count(OfferingState.id),
                    func.coalesce(
                        func.sum(case((OfferingState.successful.is_(False), 0), else_=OfferingState.raised)), 0
                    ),
                    func.coalesce(
                        func.sum(
                            case(
                                (
                                    and_(
                                        OfferingState.finalized.is_(False),
                                        OfferingState.starts_at <= now,
                                        OfferingState.ends_at > now,
                                        OfferingState.raised < OfferingState.hard_cap,
                                    ),
                                    1,
                                ),
                                else_=0,
                            )
                        ),
                        0,
                    ),
                )
            )
        ).one()
        investors = await session.scalar(
            select(func.count(func.distinct(Investment.wallet))).where(Investment.status.in_(ACTIVE))
        )
        return s.Stats(
            projects=int(projects),
            open_offerings=int(open_count),
            investors=int(investors or 0),
            total_raised=str(int(raised)),
            total_distributed=str(await _total_distributed(session)),
        )


async def _claims(
    session: AsyncSession, wallets: list[str], project_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """Claimable and claimed profit per project, from the treasury domain's read model when it exists."""
    try:
        from partisipro.treasury import services as treasury  # type: ignore[attr-defined]
    except ImportError:
        return {}
    fn = getattr(treasury, "claims_by_project", None)
    if fn is None or not wallets or not project_ids:
        return {}
    return dict(await fn(session, wallets, project_ids))


async def _paying_treasuries(session: AsyncSession, treasuries: list[str]) -> set[str]:
    """The treasuries among these that have had at least one distribution (from the indexed events)."""
    from partisipro.chain.models import ChainEvent

    if not treasuries:
        return set()
    rows = await session.scalars(
        select(ChainEvent.address)
        .where(ChainEvent.address.in_(treasuries), ChainEvent.event_name == "Distributed")
        .distinct()
    )
    return set(rows)


async def _total_distributed(session: AsyncSession) -> int:
    try:
        from partisipro.treasury import services as treasury  # type: ignore[attr-defined]
    except ImportError:
        return 0
    fn = getattr(treasury, "total_distributed", None)
    return int(await fn(session)) if fn is not None else 0


# ---------------------------------------------------------------- chain events (called by handlers)
async def _state_at(session: AsyncSession, address: str) -> OfferingState | None:
    return await session.scalar(
        select(OfferingState).where(OfferingState.address == to_checksum_address(address)).with_for_update()
    )


async def _recount(session: AsyncSession, state: OfferingState) -> None:
    state.investors = int(
        await session.scalar(
            select(func.count(func.distinct(Investment.wallet))).where(
                Investment.offering_address == state.address, Investment.status.in_(ACTIVE)
            )
        )
        or 0
    )


def _tick(state: OfferingState, when: dt.datetime | None) -> None:
    if when and (state.chain_time is None or when > state.chain_time):
        state.chain_time = when


async def on_invested(session: AsyncSession, event: Any) -> uuid.UUID | None:
    """Invested(contributionId, investor, amount, tokens): confirm the matching intent, or record a new one."""
    state = await _state_at(session, event.address)
    if state is None:
        return None
    tx_hash, log_index = str(event.tx_hash), int(event.log_index)
    seen = await session.scalar(
        select(Investment).where(Investment.tx_hash == tx_hash, Investment.log_index == log_index)
    )
    if seen is not None:
        return seen.investor_id
    args = event.args
    wallet = to_checksum_address(args["investor"])
    amount = int(args["amount"])
    when = _epoch(event.block_timestamp) or utcnow()
    candidates = list(
        (
            await session.execute(
                select(Investment)
                .where(
                    Investment.offering_address == state.address,
                    Investment.wallet == wallet,
                    Investment.status.in_(("awaiting_signature", "expired", "failed")),
                    Investment.amount == amount,
                )
                .order_by(Investment.created_at)
                .with_for_update()
            )
        ).scalars()
    )
    inv = next(
        (c for c in candidates if c.broadcast_tx_hashes and tx_hash.lower() in c.broadcast_tx_hashes.lower()), None
    )
    inv = (
        inv
        or next((c for c in candidates if c.status == "awaiting_signature"), None)
        or (candidates[0] if candidates else None)
    )
    if inv is None:
        owners = await ports.wallet_owners(session, [wallet])
        inv = Investment(
            investor_id=owners.get(wallet),
            project_id=state.project_id,
            offering_address=state.address,
            wallet=wallet,
            amount=amount,
            method="chain",
        )
        session.add(inv)
    inv.status = "confirmed"
    inv.failure = None
    inv.contribution_id = int(args["contributionId"])
    inv.tokens = int(args.get("tokens") or amount * TOKEN_UNIT // state.price_per_token)
    inv.tx_hash, inv.log_index, inv.block_number = tx_hash, log_index, int(event.block_number)
    inv.confirmed_at = when
    deadline = when + dt.timedelta(seconds=state.cooling_off_seconds)
    inv.cancel_deadline = deadline
    state.raised += amount
    _tick(state, when)
    await session.flush()
    await _recount(session, state)
    await session.flush()
    await ports.notify(
        session,
        "investment.confirmed",
        inv.investor_id,
        {**_about(state, amount), "cancel_until": deadline.isoformat(), "tx_hash": tx_hash},
        event_id=f"investment.confirmed:{tx_hash}:{log_index}",
    )
    return inv.investor_id


async def on_invested_reverted(session: AsyncSession, event: Any) -> None:
    state = await _state_at(session, event.address)
    inv = await session.scalar(
        select(Investment).where(Investment.tx_hash == str(event.tx_hash), Investment.log_index == int(event.log_index))
    )
    if state is None or inv is None:
        return
    state.raised -= inv.amount
    if inv.method == "chain":
        await session.delete(inv)
    else:
        inv.status = "awaiting_signature"
        inv.tx_hash = inv.log_index = inv.block_number = inv.contribution_id = None
        inv.confirmed_at = inv.cancel_deadline = None
    await session.flush()
    await _recount(session, state)


async def on_cancelled(session: AsyncSession, event: Any, *, revert: bool = False) -> None:
    state = await _state_at(session, event.address)
    if state is None:
        return
    inv = await session.scalar(
        select(Investment)
        .where(
            Investment.offering_address == state.address,
            Investment.contribution_id == int(event.args["contributionId"]),
        )
        .with_for_update()
    )
    if inv is None:
        return
    if not revert and inv.status == "confirmed":
        inv.status, inv.cancelled_at = "cancelled", _epoch(event.block_timestamp) or utcnow()
        state.raised -= inv.amount
        await ports.notify(
            session,
            "investment.cancelled",
            inv.investor_id,
            _about(state, inv.amount),
            event_id=f"investment.cancelled:{inv.id}",
        )
    elif revert and inv.status == "cancelled":
        inv.status, inv.cancelled_at = "confirmed", None
        state.raised += inv.amount
    _tick(state, _epoch(event.block_timestamp))
    await session.flush()
    await _recount(session, state)


async def on_finalized(session: AsyncSession, event: Any, *, revert: bool = False) -> tuple[uuid.UUID, bool] | None:
    """Finalized(success, raised, ...): close the offering; queue settlement (success) or refunds (failure)."""
    state = await _state_at(session, event.address)
    if state is None:
        return None
    success = str(event.args["success"]).lower() in ("true", "1")
    if revert:
        state.finalized, state.successful, state.finalized_at = False, None, None
        await session.flush()
        return state.project_id, success
    if state.finalized:
        return state.project_id, bool(state.successful)
    state.finalized, state.successful = True, success
    state.finalized_at = _epoch(event.block_timestamp) or utcnow()
    state.raised = int(event.args["raised"])
    _tick(state, state.finalized_at)
    wallets = sorted(
        set(
            (
                await session.scalars(
                    select(Investment.wallet).where(
                        Investment.offering_address == state.address, Investment.status == "confirmed"
                    )
                )
            ).all()
        )
    )
    for n in range(0, len(wallets), SETTLE_BATCH):
        batch = wallets[n : n + SETTLE_BATCH]
        if success:
            await chainio.enqueue_settle(session, state.address, batch, n // SETTLE_BATCH)
    if not success:
        from partisipro.chain import outbox

        waiting = (
            await session.scalars(
                select(Investment).where(Investment.offering_address == state.address, Investment.status == "confirmed")
            )
        ).all()
        for inv in waiting:
            await ports.notify(
                session,
                "investment.refund_available",
                inv.investor_id,
                _about(state, inv.amount),
                event_id=f"investment.refund_available:{inv.id}",
            )

        for wallet in wallets:
            await outbox.enqueue_intent(
                session,
                contract="Offering",
                address=state.address,
                function="refundFor",
                args=[wallet],
                idempotency_key=f"offering.refund:{state.address}:{wallet}",
            )
    await session.flush()
    return state.project_id, success


async def _per_wallet(session: AsyncSession, event: Any, *, from_status: str, to_status: str, stamp: str) -> None:
    state = await _state_at(session, event.address)
    if state is None:
        return
    wallet = to_checksum_address(event.args["investor"])
    when = _epoch(event.block_timestamp) or utcnow()
    await session.execute(
        update(Investment)
        .where(
            Investment.offering_address == state.address,
            Investment.wallet == wallet,
            Investment.status == from_status,
        )
        .values(status=to_status, **{stamp: when if to_status != "confirmed" else None})
        .execution_options(synchronize_session=False)
    )
    _tick(state, when)
    await session.flush()
    await _recount(session, state)


async def on_tokens_settled(session: AsyncSession, event: Any, *, revert: bool = False) -> None:
    if revert:
        await _per_wallet(session, event, from_status="settled", to_status="confirmed", stamp="settled_at")
        return
    await _per_wallet(session, event, from_status="confirmed", to_status="settled", stamp="settled_at")
    state = await _state_at(session, event.address)
    if state is None:
        return
    wallet = to_checksum_address(event.args["investor"])
    owners = await ports.wallet_owners(session, [wallet])
    await ports.notify(
        session,
        "investment.tokens_settled",
        owners.get(wallet),
        {
            "project_name": state.name,
            "project_url": _about(state, 0)["project_url"],
            "tokens": _whole_tokens(int(event.args["tokens"])),
            "symbol": state.symbol,
        },
        event_id=f"investment.tokens_settled:{event.tx_hash}:{event.log_index}",
    )


async def on_refunded(session: AsyncSession, event: Any, *, revert: bool = False) -> None:
    if revert:
        await _per_wallet(session, event, from_status="refunded", to_status="confirmed", stamp="refunded_at")
    else:
        await _per_wallet(session, event, from_status="confirmed", to_status="refunded", stamp="refunded_at")


async def check_broadcast_receipts(session: AsyncSession, limit: int = 100) -> int:
    """Mark intents whose broadcast transaction reverted as ``failed`` (the chain refused them)."""
    from partisipro.chain.client import RpcError, rpc, to_int

    rows = list(
        (
            await session.execute(
                select(Investment)
                .where(Investment.status == "awaiting_signature", Investment.broadcast_tx_hashes.is_not(None))
                .order_by(Investment.updated_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    done = 0
    for inv in rows:
        hashes = [h for h in (inv.broadcast_tx_hashes or "").split(",") if h]
        receipts = []
        for h in hashes:
            try:
                receipts.append(await rpc("eth_getTransactionReceipt", [h]))
            except RpcError:
                receipts.append(None)
        if receipts and all(r is not None for r in receipts):
            failed = [r for r in receipts if to_int(r.get("status")) != 1]
            if failed:
                inv.status = "failed"
                inv.failure = "the transaction reverted on chain"
                done += 1
    await session.flush()
    return done
