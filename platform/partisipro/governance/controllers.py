"""Proposals, votes, queue/execute transactions and delegation of a project's governor."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.governance import schemas as s
from partisipro.governance.services import GovernanceService
from partisipro.idempotency import idempotent
from partisipro.security import current_principal, requires_user

Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000)]
ProposalRef = Annotated[
    str, Parameter(max_length=78, description="the on-chain proposal id (decimal) or the platform's id (uuid)")
]
IdempotencyKey = Annotated[
    str | None,
    Parameter(header="Idempotency-Key", required=False, description="the same key and body returns the first answer"),
]


def _short(ref: str) -> str:
    """A proposal reference short enough for an idempotency scope."""
    return hashlib.sha256(ref.encode()).hexdigest()[:32]


async def provide_governance(db_session: AsyncSession) -> GovernanceService:
    return GovernanceService(db_session)


class ProposalController(Controller):
    path = "/projects/{project_id:uuid}/proposals"
    tags = ["governance"]
    dependencies = {"governance": Provide(provide_governance)}

    @post(
        "/",
        status_code=201,
        guards=[requires_user],
        summary="Propose (a holder above the threshold): the stored proposal and the propose transaction",
    )
    async def create_proposal(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        governance: GovernanceService,
        project_id: uuid.UUID,
        data: s.ProposalCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> s.Proposal:
        principal = current_principal(request)
        return await idempotent(
            db_session,
            request,
            scope=f"projects:{project_id}:proposals",
            owner_id=principal.user_id,
            payload=data,
            response_type=s.Proposal,
            produce=lambda: governance.create(principal, project_id, data),
        )

    @get("/", security=[], summary="Proposals of a published project with state and tallies, newest first")
    async def list_proposals(
        self,
        request: Request[Any, Any, Any],
        governance: GovernanceService,
        project_id: uuid.UUID,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> s.ProposalPage:
        return await governance.list(request.scope.get("user"), project_id, limit=limit, offset=offset)

    @get("/{proposal_id:str}", security=[], summary="One proposal with state, tallies and votes")
    async def get_proposal(
        self,
        request: Request[Any, Any, Any],
        governance: GovernanceService,
        project_id: uuid.UUID,
        proposal_id: ProposalRef,
    ) -> s.Proposal:
        return await governance.get(request.scope.get("user"), project_id, proposal_id)

    @post(
        "/{proposal_id:str}/queue",
        status_code=200,
        guards=[requires_user],
        summary="The queue transaction of a succeeded proposal (409 in any other state)",
    )
    async def queue_proposal(
        self,
        request: Request[Any, Any, Any],
        governance: GovernanceService,
        project_id: uuid.UUID,
        proposal_id: ProposalRef,
    ) -> s.GovernanceTransaction:
        return await governance.queue_transaction(current_principal(request), project_id, proposal_id)

    @post(
        "/{proposal_id:str}/execute",
        status_code=200,
        guards=[requires_user],
        summary="The execute transaction of a queued proposal whose timelock delay passed (409 otherwise)",
    )
    async def execute_proposal(
        self,
        request: Request[Any, Any, Any],
        governance: GovernanceService,
        project_id: uuid.UUID,
        proposal_id: ProposalRef,
    ) -> s.GovernanceTransaction:
        return await governance.execute_transaction(current_principal(request), project_id, proposal_id)

    @post(
        "/{proposal_id:str}/votes",
        status_code=201,
        guards=[requires_user],
        summary="Vote: 201 with castVoteWithReason to sign, or 202 when a signed ballot is relayed",
    )
    async def vote(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        governance: GovernanceService,
        project_id: uuid.UUID,
        proposal_id: ProposalRef,
        data: s.VoteCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[s.VoteResult]:
        principal = current_principal(request)
        code = 202 if data.signature else 201
        result = await idempotent(
            db_session,
            request,
            scope=f"projects:{project_id}:proposals:{_short(proposal_id)}:votes",
            owner_id=principal.user_id,
            payload=data,
            response_type=s.VoteResult,
            produce=lambda: governance.vote(principal, project_id, proposal_id, data),
            status_code=code,
        )
        return Response(result, status_code=code)


class DelegationController(Controller):
    path = "/projects/{project_id:uuid}/delegation"
    tags = ["governance"]
    guards = [requires_user]
    dependencies = {"governance": Provide(provide_governance)}

    @post(
        "/", status_code=201, summary="Delegate votes: 201 with delegate to sign, or 202 when delegateBySig is relayed"
    )
    async def delegate(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        governance: GovernanceService,
        project_id: uuid.UUID,
        data: s.DelegationCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[s.DelegationResult]:
        principal = current_principal(request)
        code = 202 if data.signature else 201
        result = await idempotent(
            db_session,
            request,
            scope=f"projects:{project_id}:delegation",
            owner_id=principal.user_id,
            payload=data,
            response_type=s.DelegationResult,
            produce=lambda: governance.delegate(principal, project_id, data),
            status_code=code,
        )
        return Response(result, status_code=code)


ROUTE_HANDLERS = [ProposalController, DelegationController]
