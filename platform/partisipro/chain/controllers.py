"""Chain endpoints: the admin's list of platform-sent transactions and the dev faucet.

Importing this module (the app factory does, through ``api_route_handlers``) also registers
the chain's readiness check for /health/ready.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain import client, services
from partisipro.chain.schemas import FaucetIn, FaucetOut, TransactionPageOut
from partisipro.health import register_readiness_check
from partisipro.security import requires_role
from partisipro.settings import get_settings


class TransactionController(Controller):
    path = "/admin/transactions"
    tags = ["admin"]
    guards = [requires_role("admin")]

    @get("/", summary="Platform-sent transactions and their states, newest first")
    async def list_transactions(
        self,
        db_session: AsyncSession,
        status: Annotated[str | None, Parameter(max_length=16)] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=10_000_000)] = 0,
    ) -> TransactionPageOut:
        service = services.TransactionService(session=db_session)
        return await service.page(status=status, limit=limit, offset=offset)


class FaucetController(Controller):
    path = "/dev/faucet"
    tags = ["dev"]

    @post(
        "/",
        summary="Dev profile only: mock stablecoin and ETH for a wallet (404 in production)",
        status_code=200,
        security=[],
    )
    async def fund(self, data: FaucetIn) -> FaucetOut:
        return await services.faucet(data.address, data.amount)


ROUTE_HANDLERS = [TransactionController, FaucetController]


async def chain_readiness() -> dict[str, Any] | None:
    """RPC answers, chain id matches the settings, and how far the indexer is behind."""
    from partisipro.chain.indexer import indexer_lag

    settings = get_settings()
    if not settings.chain_rpc_url:
        return {"configured": False}
    found = await client.chain_id()
    if found != settings.chain_id:
        raise RuntimeError(f"RPC is chain {found}, expected {settings.chain_id}")
    return {"chain_id": found, **await indexer_lag()}


register_readiness_check("chain", chain_readiness)
