"""A journey over HTTP on a real anvil where the soft cap is missed: every investor is refunded
exactly what they put in, and sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.mail import deliver_notifications, smtp_server  # noqa: F401
from tests.fixtures.offerings import (
    coin_balance,
    invest,
    investors_over_http,
    sign_and_send,
    spv_project_over_http,
    token_balance,
)
from tests.fixtures.projects import API, USDC
from tests.fixtures.s3 import moto_s3, s3_server  # noqa: F401
from tests.fixtures.treasury import SPV, chain_env, holders, index, node, settle, warp  # noqa: F401
from tests.fixtures.users import asgi_client

pytestmark = pytest.mark.e2e


@pytest.fixture
async def client(smtp_server, s3_server, chain_env, app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with asgi_client(app) as http:
        yield http


async def test_a_missed_soft_cap_fails_the_offering_and_refunds_every_investor_exactly(client, smtp_server, chain_env):  # noqa: F811
    offering = {
        "price_per_token": str(USDC // 2),  # half a coin per token
        "soft_cap": str(10_000 * USDC),
        "hard_cap": str(50_000 * USDC),
        "min_investment": str(100 * USDC),
        "max_investment": str(10_000 * USDC),
    }
    live = await spv_project_over_http(client, smtp_server, chain_env, offering)
    warp(chain_env, live.starts_at + 10)
    people = await investors_over_http(client, smtp_server, chain_env, holders(3), 7_777 * USDC + 123)
    before = {p.address: coin_balance(chain_env, live, p.address) for p in people}
    assert set(before.values()) == {7_777 * USDC + 123}

    stakes = [(people[0], 1_250 * USDC), (people[1], 3_000 * USDC), (people[2], 900 * USDC), (people[0], 500 * USDC)]
    for person, amount in stakes:
        await invest(client, chain_env, live, person, amount)
    assert coin_balance(chain_env, live, people[0].address) == before[people[0].address] - 1_750 * USDC

    warp(chain_env, live.ends_at + 10)
    response = await client.post(f"{API}/projects/{live.id}/offering/finalize", headers=live.spv_headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_signature"
    sign_and_send(chain_env, SPV, [response.json()["transaction"]])  # the SPV's wallet finalizes
    await index()

    project = (await client.get(f"{API}/projects/{live.id}")).json()
    assert project["status"] == "failed" and project["offering"]["status"] == "failed"
    for person in people:  # each sees the refund transaction until the platform's refund lands
        items = (await client.get(f"{API}/investments", headers=person.headers)).json()["items"]
        for item in items:
            assert item["status"] == "confirmed"
            one = (await client.get(f"{API}/investments/{item['id']}", headers=person.headers)).json()
            assert [tx["to"] for tx in one["transactions"]] == [live.offering]

    await deliver_notifications()
    name = live.project["name"]
    for person in people:  # one email per investment
        refunds = [m for m in smtp_server.to(person.email) if m["Subject"] == f"Refund available: {name}"]
        assert len(refunds) == (2 if person is people[0] else 1)

    await settle()  # the platform's refundFor for every investor, and the Refunded events
    for person in people:
        assert coin_balance(chain_env, live, person.address) == before[person.address]
        assert token_balance(chain_env, live, person.address) == 0
        items = (await client.get(f"{API}/investments", headers=person.headers)).json()["items"]
        assert items and all(i["status"] == "refunded" and i["refunded_at"] for i in items)
        portfolio = (await client.get(f"{API}/portfolio", headers=person.headers)).json()
        assert portfolio["total_invested"] == "0"
    assert coin_balance(chain_env, live, live.offering) == 0
