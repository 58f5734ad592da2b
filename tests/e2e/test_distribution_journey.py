"""Journey over HTTP (a real uvicorn server, a real anvil): three holders, transfers between two
distributions, and every holder's claim paid exactly to the base unit the API showed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.projects import API
from tests.fixtures.realtime import realtime_app, served
from tests.fixtures.treasury import (  # noqa: F401
    SPV,
    TOKEN,
    call,
    chain_env,
    funded_project,
    holders,
    node,
    send,
    send_unsigned,
    settle,
)

pytestmark = pytest.mark.e2e
MAGNITUDE = 2**96


@pytest.fixture
async def server(chain_env) -> AsyncIterator[str]:  # noqa: F811
    from partisipro.settings import reset_settings

    reset_settings()
    async with served(realtime_app()) as base:
        yield base


async def distribute(client: httpx.AsyncClient, node, project, amount: int, period: str) -> None:  # noqa: F811
    send(node, SPV, "MockStablecoin", project.stablecoin, "mint", SPV.address, amount)
    response = await client.post(
        f"{API}/projects/{project.id}/distributions",
        json={"amount": str(amount), "period": period},
        headers={**project.spv_headers, "Idempotency-Key": f"journey-{period}"},
    )
    assert response.status_code == 201, response.text
    for tx in response.json()["transactions"]:
        send_unsigned(node, SPV, tx)
    await settle()


async def test_three_holders_with_transfers_between_distributions_each_claim_exactly_what_they_are_owed(
    server: str,
    chain_env,  # noqa: F811
) -> None:
    node = chain_env  # noqa: F811
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=60) as client:
        project = await funded_project(client, node, list(zip(holders(3), (300, 200, 100), strict=True)))
        alice, bob, carol = project.investors
        token, treasury = project.contracts["token"], project.contracts["treasury"]
        supply = 600 * TOKEN
        first, second = 1_234_567_891, 987_654_321

        await distribute(client, node, project, first, "2025-Q1")
        send(node, alice.account, "ProjectToken", token, "transfer", carol.address, 50 * TOKEN + 7)
        await distribute(client, node, project, second, "2025-Q2")

        # The contract's arithmetic, worked by hand: per-share dividends magnified by 2^96,
        # rounded down for each account whenever the account is touched (alice and carol by
        # the transfer, bob only when he claims).
        m1 = first * MAGNITUDE // supply
        m2 = m1 + second * MAGNITUDE // supply
        expected = {
            alice.address: 300 * TOKEN * m1 // MAGNITUDE + (250 * TOKEN - 7) * (m2 - m1) // MAGNITUDE,
            bob.address: 200 * TOKEN * m2 // MAGNITUDE,
            carol.address: 100 * TOKEN * m1 // MAGNITUDE + (150 * TOKEN + 7) * (m2 - m1) // MAGNITUDE,
        }
        distributions = (await client.get(f"{API}/projects/{project.id}/distributions")).json()
        assert distributions["total_distributed"] == str(first + second)

        for investor in project.investors:
            mine = (await client.get(f"{API}/me/claims", headers=investor.headers)).json()
            [item] = [i for i in mine["items"] if i["project_id"] == project.id]
            assert int(item["claimable"]) == expected[investor.address]
            assert call(node, "Treasury", treasury, "claimableOf", investor.address) == expected[investor.address]

            before = call(node, "MockStablecoin", project.stablecoin, "balanceOf", investor.address)
            claim = await client.post(f"{API}/projects/{project.id}/claims", headers=investor.headers)
            assert claim.status_code == 201, claim.text
            assert claim.json()["amount"] == str(expected[investor.address])
            send_unsigned(node, investor.account, claim.json()["transaction"])
            await settle()
            after = call(node, "MockStablecoin", project.stablecoin, "balanceOf", investor.address)
            assert after - before == expected[investor.address]

            mine = (await client.get(f"{API}/me/claims", headers=investor.headers)).json()
            [item] = [i for i in mine["items"] if i["project_id"] == project.id]
            assert (item["claimable"], item["claimed"]) == ("0", str(expected[investor.address]))
            again = await client.post(f"{API}/projects/{project.id}/claims", headers=investor.headers)
            assert again.status_code == 409, again.text

        paid = sum(expected.values())
        assert 0 <= first + second - paid < 6  # rounding dust only: a base unit per holder per distribution
