"""Investing endpoints, the portfolio and public stats."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.db import open_session
from partisipro.idempotency import idempotent
from partisipro.offerings import schemas as s
from partisipro.offerings.services import InvestmentService
from partisipro.readcache import read_cache
from partisipro.security import Principal, current_principal, requires_role

Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0)]
IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        required=False,
        description="the same key and body returns the first answer; another body 422",
    ),
]


async def provide_investments(db_session: AsyncSession) -> InvestmentService:
    return InvestmentService(session=db_session)


# Portfolios are read far more often than they change: each investor's is kept for a second
# (per process), computed once at a time, and dropped after the investor's own writes here.
# The indexer clears it when it applies events (see partisipro.readcache).
PORTFOLIOS = read_cache(ttl=1.0)


async def _portfolio_of(principal: Principal) -> s.Portfolio:
    async with open_session(commit=False) as session:
        return await InvestmentService(session=session).portfolio(principal)


async def _forget_portfolio(request: Request[Any, Any, Any]) -> None:
    principal = request.scope.get("user")
    if principal is not None:
        PORTFOLIOS.forget(principal.user_id)


class InvestmentController(Controller):
    path = "/investments"
    tags = ["investing"]
    guards = [requires_role("investor")]
    dependencies = {"investments": Provide(provide_investments)}

    @post(
        "/",
        status_code=201,
        summary="An investment intent: the approve + invest transactions, or permit data",
        after_response=_forget_portfolio,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        investments: InvestmentService,
        data: s.InvestmentCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> s.Investment:
        principal = current_principal(request)
        return await idempotent(
            db_session,
            request,
            scope="investments.create",
            owner_id=principal.user_id,
            payload=data,
            response_type=s.Investment,
            produce=lambda: investments.create_intent(principal, data),
        )

    @get("/", summary="The caller's investments")
    async def list_mine(
        self,
        request: Request[Any, Any, Any],
        investments: InvestmentService,
        status: str | None = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> s.InvestmentPage:
        return await investments.list_mine(current_principal(request), status=status, limit=limit, offset=offset)

    @get("/{investment_id:uuid}", summary="One of the caller's investments")
    async def one(
        self, request: Request[Any, Any, Any], investments: InvestmentService, investment_id: uuid.UUID
    ) -> s.Investment:
        return await investments.get_view(current_principal(request), investment_id)

    @post(
        "/{investment_id:uuid}/broadcast",
        status_code=202,
        summary="Send client-signed raw transactions",
        after_response=_forget_portfolio,
    )
    async def broadcast(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        investments: InvestmentService,
        investment_id: uuid.UUID,
        data: s.BroadcastRequest,
        idempotency_key: IdempotencyKey = None,
    ) -> s.BroadcastResult:
        principal = current_principal(request)
        return await idempotent(
            db_session,
            request,
            scope=f"investments:{investment_id}:broadcast",
            owner_id=principal.user_id,
            payload=data,
            response_type=s.BroadcastResult,
            produce=lambda: investments.broadcast(principal, investment_id, data),
            status_code=202,
        )

    @post(
        "/{investment_id:uuid}/cancel",
        status_code=200,
        summary="Within the cooling-off window: the withdrawal transaction",
    )
    async def cancel(
        self, request: Request[Any, Any, Any], investments: InvestmentService, investment_id: uuid.UUID
    ) -> s.CancelResult:
        return await investments.cancel(current_principal(request), investment_id)

    @post("/{investment_id:uuid}/refund", status_code=200, summary="Failed offering: the refund transaction")
    async def refund(
        self, request: Request[Any, Any, Any], investments: InvestmentService, investment_id: uuid.UUID
    ) -> s.RefundResult:
        return await investments.refund(current_principal(request), investment_id)


class PortfolioController(Controller):
    path = "/portfolio"
    tags = ["investing"]
    guards = [requires_role("investor")]

    @get("/", summary="Per project: tokens, invested, claimable, claimed, votes (at most a second old)")
    async def portfolio(self, request: Request[Any, Any, Any]) -> s.Portfolio:
        principal = current_principal(request)
        return await PORTFOLIOS.get(principal.user_id, lambda: _portfolio_of(principal))


class StatsController(Controller):
    path = "/stats"
    tags = ["projects"]
    dependencies = {"investments": Provide(provide_investments)}

    @get("/", summary="Projects, investors, total raised, total distributed", security=[{}])
    async def stats(self, investments: InvestmentService) -> s.Stats:
        return await investments.stats()


ROUTE_HANDLERS = [InvestmentController, PortfolioController, StatsController]
