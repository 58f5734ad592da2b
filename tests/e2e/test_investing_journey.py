"""The whole investing journey over HTTP, on a real anvil, with the platform's sender and indexer.

An SPV registers and its organisation is approved; it drafts a project with documents, submits
it; an admin approves it and the platform deploys it. Three investors register, pass KYC with a
compliance officer, link wallets with SIWE signed by eth_account, get dev-faucet funds and
invest (one with approve + invest, one by permit, one by broadcasting signed transactions);
one cancels inside the cooling-off window; the offering is finalized, the tokens land in the
wallets and the portfolio shows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from eth_account import Account

from tests.fixtures.mail import deliver_notifications, smtp_server  # noqa: F401
from tests.fixtures.offerings import (
    coin_balance,
    intent,
    investors_over_http,
    sign,
    sign_and_send,
    spv_project_over_http,
    token_balance,
)
from tests.fixtures.projects import API, USDC
from tests.fixtures.s3 import moto_s3, s3_server  # noqa: F401
from tests.fixtures.treasury import chain_env, holders, index, node, settle, warp  # noqa: F401
from tests.fixtures.users import asgi_client

pytestmark = pytest.mark.e2e
TOKEN = 10**18


@pytest.fixture
async def client(smtp_server, s3_server, chain_env, app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with asgi_client(app) as http:
        yield http


async def status_of(client, person, investment_id) -> dict:
    response = await client.get(f"{API}/investments/{investment_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_three_investors_invest_one_cancels_and_the_others_receive_their_tokens(client, smtp_server, chain_env):  # noqa: F811
    offering = {
        "price_per_token": str(USDC),
        "soft_cap": str(1_000 * USDC),
        "hard_cap": str(50_000 * USDC),
        "min_investment": str(100 * USDC),
        "max_investment": str(10_000 * USDC),
    }
    live = await spv_project_over_http(client, smtp_server, chain_env, offering)
    listed = (await client.get(f"{API}/projects")).json()
    assert [p["id"] for p in listed["items"]] == [live.id]

    warp(chain_env, live.starts_at + 10)
    ana, ben, citra = await investors_over_http(client, smtp_server, chain_env, holders(3), 20_000 * USDC)
    assert (await client.get(f"{API}/projects/{live.id}")).json()["offering"]["status"] == "open"

    # Ana: approve + invest, signed and sent by her wallet.
    ana_intent = await intent(client, ana, live.id, 3_000 * USDC)
    sign_and_send(chain_env, ana.account, ana_intent["transactions"])
    # Ben: one investWithPermit transaction with an EIP-2612 permit.
    ben_intent = await intent(client, ben, live.id, 2_000 * USDC, method="permit")
    permit = ben_intent["permit"]
    signed = Account.sign_typed_data(ben.account.key, full_message=permit["typed_data"])
    sign_and_send(chain_env, ben.account, [permit_tx(chain_env, permit, signed)])
    # Citra: signs in her wallet and lets the platform broadcast.
    citra_intent = await intent(client, citra, live.id, 1_500 * USDC)
    response = await client.post(
        f"{API}/investments/{citra_intent['id']}/broadcast",
        json={"signed_transactions": sign(chain_env, citra.account, citra_intent["transactions"])},
        headers={**citra.headers, "Idempotency-Key": "citra-broadcast-1"},
    )
    assert response.status_code == 202, response.text
    await index()
    for person, body in ((ana, ana_intent), (ben, ben_intent), (citra, citra_intent)):
        assert (await status_of(client, person, body["id"]))["status"] == "confirmed"
    view = (await client.get(f"{API}/projects/{live.id}")).json()["offering"]
    assert view["raised"] == str(6_500 * USDC) and view["investors"] == 3

    # Citra changes her mind inside the cooling-off window.
    response = await client.post(f"{API}/investments/{citra_intent['id']}/cancel", headers=citra.headers)
    assert response.status_code == 200, response.text
    sign_and_send(chain_env, citra.account, [response.json()["transaction"]])
    await index()
    assert (await status_of(client, citra, citra_intent["id"]))["status"] == "cancelled"
    assert coin_balance(chain_env, live, citra.address) == 20_000 * USDC

    # The offering ends; the admin finalizes it; the platform settles the tokens.
    warp(chain_env, live.ends_at + 10)
    response = await client.post(f"{API}/projects/{live.id}/offering/finalize", headers=live.admin_headers)
    assert response.status_code == 200, response.text
    await settle()
    project = (await client.get(f"{API}/projects/{live.id}")).json()
    assert project["status"] == "funded"
    assert project["offering"]["raised"] == str(5_000 * USDC) and project["offering"]["investors"] == 2

    for person, whole in ((ana, 3_000), (ben, 2_000)):
        assert token_balance(chain_env, live, person.address) == whole * TOKEN
        portfolio = (await client.get(f"{API}/portfolio", headers=person.headers)).json()
        (item,) = portfolio["items"]
        assert item["project_id"] == live.id
        assert item["tokens"] == str(whole * TOKEN) and item["invested"] == str(whole * USDC)
        assert item["votes"] == str(whole * TOKEN)
        mine = (await client.get(f"{API}/investments", headers=person.headers)).json()
        assert [i["status"] for i in mine["items"]] == ["settled"]
    await deliver_notifications()
    symbol = project["symbol"]
    for person in (ana, ben):
        assert f"Your {symbol} tokens have arrived" in [m["Subject"] for m in smtp_server.to(person.email)]
    assert token_balance(chain_env, live, citra.address) == 0
    assert (await client.get(f"{API}/portfolio", headers=citra.headers)).json()["items"][0]["tokens"] == "0"
    stats = (await client.get(f"{API}/stats")).json()
    assert stats["total_raised"] == str(5_000 * USDC) and stats["investors"] == 2


def permit_tx(rpc_node, permit, signed) -> dict:
    """What a wallet app does with ``permit.call``: encode investWithPermit(amount, deadline, v, r, s)."""
    from partisipro.chain.deploy import contract

    from tests.fixtures.treasury import w3_of

    call = permit["call"]
    data = contract(w3_of(rpc_node), "Offering", call["to"]).encode_abi(
        "investWithPermit",
        [int(call["args"]["amount"]), permit["deadline"], signed.v, signed.r.to_bytes(32), signed.s.to_bytes(32)],
    )
    return {"to": call["to"], "data": data, "value": "0", "chain_id": call["chain_id"], "gas": call["gas"]}
