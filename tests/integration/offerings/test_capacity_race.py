"""50 investors race for the last capacity of an offering on a real anvil.

All 50 ask for an intent at once (each gets one: intents reserve nothing, the chain decides),
all 50 have their signed approve + invest broadcast by the API at once, and every transaction
is mined in the same block. The Offering never oversells: the ones past the hard cap revert
with ``HardCapExceeded``. The indexer confirms the winners, the receipt loop fails the losers,
and each investor's status is checked against the chain account by account.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from eth_utils import keccak
from partisipro.db import open_session
from partisipro.offerings import services as offerings

from tests.fixtures.offerings import coin_balance, fresh_accounts, live_offering, sign
from tests.fixtures.projects import API, USDC
from tests.fixtures.treasury import call, chain_env, index, node, w3_of  # noqa: F401
from tests.fixtures.users import asgi_client

pytestmark = pytest.mark.integration
N = 50
EACH = 200 * USDC
HARD_CAP = 5_000 * USDC  # room for 25 of the 50
HARD_CAP_EXCEEDED = "0x" + keccak(text="HardCapExceeded(uint256)")[:4].hex()


@pytest.fixture
async def client(chain_env, app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with asgi_client(app) as http:
        yield http


def revert_data(rpc_node, tx_hash: str) -> str:
    trace = w3_of(rpc_node).provider.make_request(  # type: ignore[arg-type]
        "debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}]
    )
    return str(trace["result"].get("output") or "")


async def test_fifty_investors_racing_never_oversell_and_each_status_ends_right(client, chain_env):  # noqa: F811
    live = await live_offering(
        client,
        chain_env,
        accounts=fresh_accounts(chain_env, N),
        offering={
            "soft_cap": str(1_000 * USDC),
            "hard_cap": str(HARD_CAP),
            "min_investment": str(EACH),
            "max_investment": str(EACH),
        },
    )
    investors = live.investors

    async def ask(investor):
        body = {"project_id": live.id, "amount": str(EACH), "wallet": investor.address}
        return await client.post(f"{API}/investments", json=body, headers=investor.headers)

    answers = await asyncio.gather(*(ask(i) for i in investors))
    assert [a.status_code for a in answers] == [201] * N, [a.text for a in answers if a.status_code != 201][:3]
    intents = [a.json() for a in answers]

    w3 = w3_of(chain_env)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        raws = [sign(chain_env, i.account, body["transactions"]) for i, body in zip(investors, intents, strict=True)]

        async def broadcast(investor, body, signed):
            return await client.post(
                f"{API}/investments/{body['id']}/broadcast",
                json={"signed_transactions": signed},
                headers=investor.headers,
            )

        sent = await asyncio.gather(*(broadcast(*args) for args in zip(investors, intents, raws, strict=True)))
        assert [r.status_code for r in sent] == [202] * N, [r.text for r in sent if r.status_code != 202][:3]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]  # all 100 transactions, one block
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]

    invest_hashes = [r.json()["tx_hashes"][1] for r in sent]
    receipts = [w3.eth.get_transaction_receipt(h) for h in invest_hashes]
    assert len({r["blockNumber"] for r in receipts}) == 1

    await index()
    async with open_session() as session:
        failed = await offerings.check_broadcast_receipts(session)

    raised = call(chain_env, "Offering", live.offering, "totalRaised")
    assert raised <= HARD_CAP
    assert raised == HARD_CAP  # demand was twice the capacity: it sold out, exactly
    assert coin_balance(chain_env, live, live.offering) == raised
    winners = 0
    for investor, body, receipt, tx_hash in zip(investors, intents, receipts, invest_hashes, strict=True):
        on_chain = call(chain_env, "Offering", live.offering, "investedOf", investor.address)
        mine = (await client.get(f"{API}/investments/{body['id']}", headers=investor.headers)).json()
        if receipt["status"] == 1:
            winners += 1
            assert on_chain == EACH
            assert mine["status"] == "confirmed", (investor.address, mine)
        else:
            assert on_chain == 0
            assert revert_data(chain_env, tx_hash).startswith(HARD_CAP_EXCEEDED)
            assert mine["status"] == "failed", (investor.address, mine)
    assert winners == HARD_CAP // EACH and failed == N - winners
    view = (await client.get(f"{API}/projects/{live.id}")).json()["offering"]
    assert view["raised"] == str(HARD_CAP) and view["investors"] == winners and view["remaining"] == "0"
