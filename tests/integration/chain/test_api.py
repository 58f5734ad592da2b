"""Chain endpoints over HTTP: admin transactions, the dev faucet, readiness with the chain."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from eth_account import Account
from litestar import Litestar
from partisipro.chain import outbox
from partisipro.chain.anvil import Anvil
from partisipro.chain.indexer import Indexer
from partisipro.chain.sender import Sender
from partisipro.db import open_session
from partisipro.security import issue_access_token

from tests.fixtures.users import asgi_client
from tests.integration.chain.conftest import balance_of, sync_w3

pytestmark = pytest.mark.integration


def bearer(*roles: str) -> dict[str, str]:
    token, _ = issue_access_token(uuid.uuid4(), list(roles), "test-session")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def api(chain_env: Anvil, app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as http:
        yield http


async def test_admin_lists_platform_transactions_with_their_states(chain_env: Anvil, api: httpx.AsyncClient) -> None:
    recipients = [Account.create().address for _ in range(3)]
    async with open_session() as session:
        for n, address in enumerate(recipients):
            await outbox.enqueue_intent(
                session, contract=outbox.NATIVE, address=address, function="", args=[], idempotency_key=f"t{n}", value=1
            )
    await Sender().run_until_idle()
    async with open_session() as session:
        await outbox.enqueue_intent(
            session,
            contract=outbox.NATIVE,
            address=recipients[0],
            function="",
            args=[],
            idempotency_key="later",
            value=1,
        )

    response = await api.get("/api/v1/admin/transactions?limit=2", headers=bearer("admin"))
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4 and body["limit"] == 2 and body["offset"] == 0
    assert len(body["items"]) == 2
    assert body["items"][0]["idempotency_key"] == "later"
    assert body["items"][0]["status"] == "pending"

    mined = await api.get("/api/v1/admin/transactions?status=mined", headers=bearer("admin"))
    items = mined.json()["items"]
    assert mined.json()["total"] == 3
    assert all(i["tx_hash"] and i["block_number"] and i["nonce"] is not None for i in items)
    assert sorted(i["address"] for i in items) == sorted(recipients)


async def test_transactions_need_an_admin(chain_env: Anvil, api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/admin/transactions")).status_code == 401
    assert (await api.get("/api/v1/admin/transactions", headers=bearer("investor"))).status_code == 403
    bad = await api.get("/api/v1/admin/transactions?status=lost", headers=bearer("admin"))
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "status"
    assert (await api.get("/api/v1/admin/transactions?limit=101", headers=bearer("admin"))).status_code == 400


async def test_faucet_funds_a_wallet_with_mock_stablecoin_and_eth(
    chain_env: Anvil, deployed: dict[str, str], api: httpx.AsyncClient
) -> None:
    wallet = Account.create().address
    response = await api.post("/api/v1/dev/faucet", json={"address": wallet.lower(), "amount": "2500000000"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["address"] == wallet
    assert body["token_balance"] == "2500000000"
    assert balance_of(chain_env, deployed["mock_stablecoin"], wallet) == 2_500_000_000
    assert sync_w3(chain_env).eth.get_balance(wallet) == 10**18


async def test_faucet_rejects_bad_input_naming_the_field(
    chain_env: Anvil, deployed: dict[str, str], api: httpx.AsyncClient
) -> None:
    bad_address = await api.post("/api/v1/dev/faucet", json={"address": "0x123", "amount": "1"})
    assert bad_address.status_code == 400
    assert "address" in bad_address.text
    bad_amount = await api.post("/api/v1/dev/faucet", json={"address": Account.create().address, "amount": "-5"})
    assert bad_amount.status_code == 400
    assert "amount" in bad_amount.text
    too_much = await api.post("/api/v1/dev/faucet", json={"address": Account.create().address, "amount": "9" * 20})
    assert too_much.status_code == 400
    assert too_much.json()["errors"][0]["field"] == "amount"


async def test_faucet_is_404_in_production(chain_env: Anvil, deployed: dict[str, str], api: httpx.AsyncClient) -> None:
    from partisipro.settings import get_settings

    settings = get_settings()
    settings.profile = "production"
    try:
        response = await api.post("/api/v1/dev/faucet", json={"address": Account.create().address, "amount": "1"})
    finally:
        settings.profile = "test"
    assert response.status_code == 404


async def test_readiness_reports_the_chain_and_the_indexer_lag(
    chain_env: Anvil, deployed: dict[str, str], api: httpx.AsyncClient
) -> None:
    await Indexer().run_until_caught_up()
    sync_w3(chain_env).provider.make_request("anvil_mine", [hex(3)])
    response = await api.get("/health/ready")
    assert response.status_code == 200, response.text
    chain = response.json()["checks"]["chain"]
    assert chain["status"] == "up"
    assert chain["chain_id"] == 31337
    assert chain["indexer_lag_blocks"] == 3


async def test_readiness_is_503_naming_the_chain_when_the_rpc_is_down(chain_env: Anvil, api: httpx.AsyncClient) -> None:
    chain_env.stop()
    response = await api.get("/health/ready")
    assert response.status_code == 503
    assert "chain" in response.json()["failing"]
    assert (await api.get("/health/live")).status_code == 200
