"""Investing on a real anvil through the platform's sender and indexer: no hand-made events.

Cancel inside and after the cooling-off window, finalize too early / at the hard cap / after
the end, refunds of a failed offering, settlement of a successful one, investWithPermit with an
EIP-2612 permit signed by eth_account, and broadcast of client-signed raw transactions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from eth_account import Account
from partisipro.db import open_session
from partisipro.offerings import services as offerings

from tests.fixtures.offerings import (
    coin_balance,
    intent,
    invest,
    live_offering,
    sign,
    sign_and_send,
    token_balance,
)
from tests.fixtures.projects import API, USDC
from tests.fixtures.treasury import (  # noqa: F401
    OUTSIDER,
    chain_env,
    index,
    node,
    send_platform_transactions,
    settle,
    warp,
)
from tests.fixtures.users import asgi_client

pytestmark = pytest.mark.integration
HOURS_48 = 48 * 3600


@pytest.fixture
async def client(chain_env, app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with asgi_client(app) as http:
        yield http


async def offering_view(client, live) -> dict:
    return (await client.get(f"{API}/projects/{live.id}")).json()["offering"]


async def test_cancel_inside_the_window_returns_the_money_and_marks_the_investment_cancelled(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    before = coin_balance(chain_env, live, alice.address)
    inv = await invest(client, chain_env, live, alice, 500 * USDC)
    assert coin_balance(chain_env, live, alice.address) == before - 500 * USDC
    assert (await offering_view(client, live))["raised"] == str(500 * USDC)

    response = await client.post(f"{API}/investments/{inv['id']}/cancel", headers=alice.headers)
    assert response.status_code == 200, response.text
    sign_and_send(chain_env, alice.account, [response.json()["transaction"]])
    await index()

    body = (await client.get(f"{API}/investments/{inv['id']}", headers=alice.headers)).json()
    assert body["status"] == "cancelled" and body["cancelled_at"]
    assert coin_balance(chain_env, live, alice.address) == before
    view = await offering_view(client, live)
    assert view["raised"] == "0" and view["investors"] == 0


async def test_cancel_after_the_cooling_off_window_is_409(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    inv = await invest(client, chain_env, live, alice, 500 * USDC)
    warp(chain_env, live.starts_at + 10 + HOURS_48 + 60)
    response = await client.post(f"{API}/investments/{inv['id']}/cancel", headers=alice.headers)
    assert response.status_code == 409
    assert "cooling-off" in response.json()["detail"]


async def test_finalize_before_the_end_and_below_the_hard_cap_is_409(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    await invest(client, chain_env, live, live.investors[0], 500 * USDC)
    response = await client.post(f"{API}/projects/{live.id}/offering/finalize", headers=live.spv_headers)
    assert response.status_code == 409
    response = await client.post(f"{API}/projects/{live.id}/offering/finalize", headers=live.admin_headers)
    assert response.status_code == 409


async def test_finalize_at_the_hard_cap_gives_the_spv_a_transaction_that_succeeds_and_tokens_settle(client, chain_env):  # noqa: F811
    live = await live_offering(
        client, chain_env, investors=2, offering={"hard_cap": str(3_000 * USDC), "max_investment": str(2_000 * USDC)}
    )
    alice, bob = live.investors
    await invest(client, chain_env, live, alice, 2_000 * USDC)
    await invest(client, chain_env, live, bob, 1_000 * USDC)
    assert (await offering_view(client, live))["status"] == "closed"

    response = await client.post(f"{API}/projects/{live.id}/offering/finalize", headers=live.spv_headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_signature"
    from tests.fixtures.treasury import SPV

    sign_and_send(chain_env, SPV, [response.json()["transaction"]])
    await settle()  # Finalized indexed -> settleBatch sent by the platform -> TokensSettled indexed

    assert (await client.get(f"{API}/projects/{live.id}")).json()["status"] == "funded"
    for investor, whole in ((alice, 2_000), (bob, 1_000)):
        on_chain = token_balance(chain_env, live, investor.address)
        assert on_chain == whole * 10**18
        portfolio = (await client.get(f"{API}/portfolio", headers=investor.headers)).json()
        (item,) = portfolio["items"]
        assert item["tokens"] == str(on_chain) and item["invested"] == str(whole * USDC)
        assert item["votes"] == str(on_chain) and item["offering_status"] == "funded"
        mine = (await client.get(f"{API}/investments", headers=investor.headers)).json()["items"]
        assert [i["status"] for i in mine] == ["settled"]


async def test_a_failed_offering_refunds_every_investor_exactly(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=3, offering={"soft_cap": str(5_000 * USDC)})
    before = {i.address: coin_balance(chain_env, live, i.address) for i in live.investors}
    investments = {}
    for investor, amount in zip(live.investors, (700, 300, 1_200), strict=True):
        investments[investor.address] = await invest(client, chain_env, live, investor, amount * USDC)
    # a second contribution of the first investor
    investments["again"] = await invest(client, chain_env, live, live.investors[0], 150 * USDC)

    warp(chain_env, live.ends_at + 10)
    response = await client.post(f"{API}/projects/{live.id}/offering/finalize", headers=live.admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"
    await send_platform_transactions()  # finalize
    await index()  # Finalized(false): refundFor queued for every investor
    assert (await client.get(f"{API}/projects/{live.id}")).json()["status"] == "failed"

    # Before the platform's refunds go out, each investor sees the refund transaction.
    carol = live.investors[2]
    body = (await client.get(f"{API}/investments/{investments[carol.address]['id']}", headers=carol.headers)).json()
    (refund_tx,) = body["transactions"]
    assert refund_tx["to"] == live.offering
    response = await client.post(f"{API}/investments/{body['id']}/refund", headers=carol.headers)
    assert response.status_code == 200 and response.json()["transaction"] == refund_tx
    sign_and_send(chain_env, carol.account, [refund_tx])  # carol pulls hers herself

    await settle()  # the platform's refundFor for the others; carol's fails harmlessly
    for investor in live.investors:
        assert coin_balance(chain_env, live, investor.address) == before[investor.address]
        mine = (await client.get(f"{API}/investments", headers=investor.headers)).json()["items"]
        assert mine and {i["status"] for i in mine} == {"refunded"}
        assert all(i["refunded_at"] for i in mine)
    assert call_offering(chain_env, live, "totalRaised") == 2_350 * USDC
    assert coin_balance(chain_env, live, live.offering) == 0


def call_offering(rpc_node, live, function, *args):
    from tests.fixtures.treasury import call

    return call(rpc_node, "Offering", live.offering, function, *args)


async def test_invest_with_permit_signed_by_eth_account_is_confirmed_in_one_transaction(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    body = await intent(client, alice, live.id, 800 * USDC, method="permit")
    assert body["transactions"] == [] and body["permit"]
    permit = body["permit"]
    typed = permit["typed_data"]
    assert typed["domain"]["verifyingContract"] == live.stablecoin
    assert typed["message"]["spender"] == live.offering and typed["message"]["value"] == str(800 * USDC)

    signed = Account.sign_typed_data(alice.account.key, full_message=typed)
    tx = permit_transaction(chain_env, live, permit, signed)
    sign_and_send(chain_env, alice.account, [tx])
    await index()

    mine = (await client.get(f"{API}/investments/{body['id']}", headers=alice.headers)).json()
    assert mine["status"] == "confirmed" and mine["tokens"] == str(800 * 10**18)
    assert call_offering(chain_env, live, "investedOf", alice.address) == 800 * USDC


def permit_transaction(rpc_node, live, permit, signed) -> dict:
    """What a client does with ``permit.call``: encode investWithPermit(amount, deadline, v, r, s)."""
    from partisipro.chain.deploy import contract

    from tests.fixtures.treasury import w3_of

    call_info = permit["call"]
    offering = contract(w3_of(rpc_node), "Offering", call_info["to"])
    data = offering.encode_abi(
        "investWithPermit",
        [int(call_info["args"]["amount"]), permit["deadline"], signed.v, signed.r.to_bytes(32), signed.s.to_bytes(32)],
    )
    return {"to": call_info["to"], "data": data, "value": "0", "chain_id": call_info["chain_id"],
            "gas": call_info["gas"]}  # fmt: skip


async def test_broadcast_of_client_signed_transactions_is_202_and_the_chain_confirms(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    body = await intent(client, alice, live.id, 400 * USDC)
    raws = sign(chain_env, alice.account, body["transactions"])
    response = await client.post(
        f"{API}/investments/{body['id']}/broadcast", json={"signed_transactions": raws}, headers=alice.headers
    )
    assert response.status_code == 202, response.text
    assert len(response.json()["tx_hashes"]) == 2
    await index()
    mine = (await client.get(f"{API}/investments/{body['id']}", headers=alice.headers)).json()
    assert mine["status"] == "confirmed"
    assert mine["tx_hash"].lower() == response.json()["tx_hashes"][1].lower()


async def test_broadcast_signed_by_another_wallet_is_400_naming_the_field(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    body = await intent(client, alice, live.id, 400 * USDC)
    raws = sign(chain_env, OUTSIDER, body["transactions"])
    response = await client.post(
        f"{API}/investments/{body['id']}/broadcast", json={"signed_transactions": raws}, headers=alice.headers
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"][0]["field"] == "signed_transactions"
    assert "wallet" in problem["errors"][0]["message"]


async def test_broadcast_to_another_contract_is_400_naming_the_field(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    body = await intent(client, alice, live.id, 400 * USDC)
    elsewhere = [{**body["transactions"][0], "to": live.contracts["token"]}]
    response = await client.post(
        f"{API}/investments/{body['id']}/broadcast",
        json={"signed_transactions": sign(chain_env, alice.account, elsewhere)},
        headers=alice.headers,
    )
    assert response.status_code == 400
    assert "offering or the stablecoin" in response.json()["errors"][0]["message"]


async def test_a_broadcast_invest_that_reverts_on_chain_ends_failed(client, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    body = await intent(client, alice, live.id, 400 * USDC)
    _approve, invest_tx = body["transactions"]  # invest without the approval: the transfer reverts
    response = await client.post(
        f"{API}/investments/{body['id']}/broadcast",
        json={"signed_transactions": sign(chain_env, alice.account, [invest_tx])},
        headers=alice.headers,
    )
    assert response.status_code == 202, response.text
    async with open_session() as session:
        assert await offerings.check_broadcast_receipts(session) == 1
    mine = (await client.get(f"{API}/investments/{body['id']}", headers=alice.headers)).json()
    assert mine["status"] == "failed"
