"""Distributions and claims on a real anvil: the API's numbers equal the Treasury contract's views."""

from __future__ import annotations

import random
import uuid

import pytest

from tests.fixtures.projects import API
from tests.fixtures.treasury import (
    SPV,
    TOKEN,
    USDC,
    FundedProject,
    call,
    funded_project,
    holders,
    send,
    send_unsigned,
    settle,
)
from tests.fixtures.users import bearer_headers, make_user

pytestmark = pytest.mark.integration


async def distribute(client, node, project: FundedProject, amount: int, period: str) -> dict:
    send(node, SPV, "MockStablecoin", project.stablecoin, "mint", SPV.address, amount)
    response = await client.post(
        f"{API}/projects/{project.id}/distributions",
        json={"amount": str(amount), "period": period},
        headers={**project.spv_headers, "Idempotency-Key": f"dist-{period}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "awaiting_signature"
    assert [tx["to"] for tx in body["transactions"]] == [project.stablecoin, project.contracts["treasury"]]
    for tx in body["transactions"]:
        send_unsigned(node, SPV, tx)
    await settle()
    return body


async def assert_claims_equal_contract_views(client, node, project: FundedProject) -> dict[str, int]:
    shown: dict[str, int] = {}
    for investor in project.investors:
        body = (await client.get(f"{API}/me/claims", headers=investor.headers)).json()
        [item] = [i for i in body["items"] if i["project_id"] == project.id]
        treasury = project.contracts["treasury"]
        assert int(item["claimable"]) == call(node, "Treasury", treasury, "claimableOf", investor.address)
        assert int(item["claimed"]) == call(node, "Treasury", treasury, "claimedOf", investor.address)
        shown[investor.address] = int(item["claimable"])
    return shown


async def test_claimable_equals_the_contract_for_every_holder_after_random_transfers_and_claims_pay_it_exactly(
    client, chain_env
) -> None:
    node = chain_env
    project = await funded_project(client, node, list(zip(holders(3), (300, 200, 100), strict=True)))
    token = project.contracts["token"]
    rng = random.Random(8)

    await distribute(client, node, project, 1_000_000_007, "2025-Q1")
    shown = await assert_claims_equal_contract_views(client, node, project)
    assert sum(shown.values()) <= 1_000_000_007
    assert shown[project.investors[0].address] == 1_000_000_007 * 300 // 600

    for _ in range(6):
        sender, receiver = rng.sample(project.investors, 2)
        balance = call(node, "ProjectToken", token, "balanceOf", sender.address)
        send(node, sender.account, "ProjectToken", token, "transfer", receiver.address, rng.randint(1, balance))
    await distribute(client, node, project, 333_333_333, "2025-Q2")
    await assert_claims_equal_contract_views(client, node, project)

    # one holder claims between distributions, then more transfers and a third distribution
    first = project.investors[1]
    claim = await client.post(f"{API}/projects/{project.id}/claims", headers=first.headers)
    assert claim.status_code == 201, claim.text
    send_unsigned(node, first.account, claim.json()["transaction"])
    for _ in range(4):
        sender, receiver = rng.sample(project.investors, 2)
        balance = call(node, "ProjectToken", token, "balanceOf", sender.address)
        send(node, sender.account, "ProjectToken", token, "transfer", receiver.address, rng.randint(1, balance))
    await distribute(client, node, project, 77 * USDC + 1, "2025-Q3")
    shown = await assert_claims_equal_contract_views(client, node, project)

    for investor in project.investors:
        before = call(node, "MockStablecoin", project.stablecoin, "balanceOf", investor.address)
        response = await client.post(
            f"{API}/projects/{project.id}/claims", headers={**investor.headers, "Idempotency-Key": uuid.uuid4().hex}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["wallet"], int(body["amount"])) == (investor.address, shown[investor.address])
        send_unsigned(node, investor.account, body["transaction"])
        after = call(node, "MockStablecoin", project.stablecoin, "balanceOf", investor.address)
        assert after - before == shown[investor.address]
    await settle()
    await assert_claims_equal_contract_views(client, node, project)
    for investor in project.investors:
        again = await client.post(f"{API}/projects/{project.id}/claims", headers=investor.headers)
        assert again.status_code == 409

    listed = (await client.get(f"{API}/projects/{project.id}/distributions")).json()
    assert [(d["period"], d["amount"], d["chain_index"]) for d in listed["items"]] == [
        ("2025-Q3", str(77 * USDC + 1), 3),
        ("2025-Q2", "333333333", 2),
        ("2025-Q1", "1000000007", 1),
    ]
    assert listed["total_distributed"] == str(1_000_000_007 + 333_333_333 + 77 * USDC + 1)


async def test_the_same_period_twice_is_409_and_a_repeated_key_returns_the_first_answer(client, chain_env) -> None:
    project = await funded_project(client, chain_env, [(holders(1)[0], 100)])
    url = f"{API}/projects/{project.id}/distributions"
    headers = {**project.spv_headers, "Idempotency-Key": "q1"}
    first = await client.post(url, json={"amount": "5000000", "period": "2025-Q1"}, headers=headers)
    replay = await client.post(url, json={"amount": "5000000", "period": "2025-Q1"}, headers=headers)
    assert first.status_code == 201 and replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    twice = await client.post(url, json={"amount": "7000000", "period": "2025-Q1"}, headers=project.spv_headers)
    assert twice.status_code == 409
    assert "2025-Q1" in twice.json()["detail"]


async def test_who_may_ask_for_a_distribution_and_what_input_is_refused(client, chain_env) -> None:
    [alice] = holders(1)
    project = await funded_project(client, chain_env, [(alice, 100)])
    url = f"{API}/projects/{project.id}/distributions"
    body = {"amount": "5000000", "period": "2025-Q1"}
    other_spv, _, _ = await make_user(role="spv")
    assert (await client.post(url, json=body, headers=bearer_headers(other_spv))).status_code == 404
    assert (await client.post(url, json=body, headers=project.investors[0].headers)).status_code == 403
    assert (await client.post(url, json=body)).status_code == 401
    zero = await client.post(url, json={"amount": "0", "period": "2025-Q1"}, headers=project.spv_headers)
    assert zero.status_code == 400 and zero.json()["errors"][0]["field"] == "amount"
    bad = await client.post(url, json={"amount": "-1", "period": "x" * 33}, headers=project.spv_headers)
    assert bad.status_code == 400


async def test_nothing_to_claim_is_409_and_holders_see_the_distribution_in_their_claims(client, chain_env) -> None:
    [alice] = holders(1)
    project = await funded_project(client, chain_env, [(alice, 100)])
    investor = project.investors[0]
    nothing = await client.post(f"{API}/projects/{project.id}/claims", headers=investor.headers)
    assert nothing.status_code == 409
    await distribute(client, chain_env, project, 9 * USDC, "2025-Q1")
    owed = call(chain_env, "Treasury", project.contracts["treasury"], "claimableOf", alice.address)
    assert 9 * USDC - 1 <= owed <= 9 * USDC  # the per-share rounding leaves at most dust behind
    body = (await client.get(f"{API}/me/claims", headers=investor.headers)).json()
    assert body["total_claimable"] == str(owed)
    assert body["items"][0]["wallets"] == [{"address": alice.address, "claimable": str(owed), "claimed": "0"}]
    portfolio = (await client.get(f"{API}/portfolio", headers=investor.headers)).json()
    assert portfolio["items"][0]["claimable"] == str(owed)
    assert call(chain_env, "ProjectToken", project.contracts["token"], "balanceOf", alice.address) == 100 * TOKEN
