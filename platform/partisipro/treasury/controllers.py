"""Distributions (SPV), the public list, and investors' claims."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.idempotency import idempotent
from partisipro.security import current_principal, requires_role
from partisipro.treasury import schemas as s
from partisipro.treasury.services import DistributionService

Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000)]
IdempotencyKey = Annotated[
    str | None,
    Parameter(header="Idempotency-Key", required=False, description="the same key and body returns the first answer"),
]


async def provide_distributions(db_session: AsyncSession) -> DistributionService:
    return DistributionService(session=db_session)


class DistributionController(Controller):
    path = "/projects/{project_id:uuid}/distributions"
    tags = ["treasury"]
    dependencies = {"distributions": Provide(provide_distributions)}

    @post(
        "/",
        status_code=201,
        guards=[requires_role("spv")],
        summary="Ask to distribute profit for a period: the approve and distribute transactions",
    )
    async def request_distribution(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        distributions: DistributionService,
        project_id: uuid.UUID,
        data: s.DistributionCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> s.Distribution:
        principal = current_principal(request)
        return await idempotent(
            db_session,
            request,
            scope=f"projects:{project_id}:distributions",
            owner_id=principal.user_id,
            payload=data,
            response_type=s.Distribution,
            produce=lambda: distributions.request(principal, project_id, data),
        )

    @get("/", security=[], summary="Confirmed distributions of a published project, newest first")
    async def list_distributions(
        self,
        request: Request[Any, Any, Any],
        distributions: DistributionService,
        project_id: uuid.UUID,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> s.DistributionPage:
        return await distributions.confirmed(request.scope.get("user"), project_id, limit=limit, offset=offset)


class ClaimController(Controller):
    path = "/projects/{project_id:uuid}/claims"
    tags = ["treasury"]
    guards = [requires_role("investor")]
    dependencies = {"distributions": Provide(provide_distributions)}

    @post("/", status_code=201, summary="The transaction that claims the caller's profit (409 when nothing is owed)")
    async def claim(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        distributions: DistributionService,
        project_id: uuid.UUID,
        data: s.ClaimCreate | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> s.ClaimTransaction:
        principal = current_principal(request)
        body = data or s.ClaimCreate()
        return await idempotent(
            db_session,
            request,
            scope=f"projects:{project_id}:claims",
            owner_id=principal.user_id,
            payload=body,
            response_type=s.ClaimTransaction,
            produce=lambda: distributions.claim_transaction(principal, project_id, body),
        )


class MyClaimsController(Controller):
    path = "/me/claims"
    tags = ["treasury"]
    guards = [requires_role("investor")]
    dependencies = {"distributions": Provide(provide_distributions)}

    @get("/", summary="Claimable and claimed profit per project, per wallet")
    async def my_claims(self, request: Request[Any, Any, Any], distributions: DistributionService) -> s.MyClaims:
        return await distributions.my_claims(current_principal(request))


ROUTE_HANDLERS = [DistributionController, ClaimController, MyClaimsController]
