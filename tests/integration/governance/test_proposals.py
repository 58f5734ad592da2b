"""Proposals on a real anvil: created over HTTP, hashed like the Governor, state and tallies from the indexer."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from tests.fixtures.governance import end_voting, fund_reserve, get_proposal, propose, start_voting, vote
from tests.fixtures.projects import API
from tests.fixtures.treasury import (
    OUTSIDER,
    USDC,
    call,
    chain_now,
    funded_project,
    holders,
    register_investor,
    send_unsigned,
    settle,
    warp,
)

pytestmark = pytest.mark.integration


async def test_a_holder_proposes_and_the_proposal_id_is_the_governors_hash_of_the_stored_description(
    client, chain_env
) -> None:
    node = chain_env
    project = await funded_project(client, node, list(zip(holders(2), (300, 100), strict=True)))
    alice = project.investors[0]
    response = await client.post(
        f"{API}/projects/{project.id}/proposals",
        json={
            "title": "Pay the resurfacing",
            "description": "Resurface km 12-18 before the rainy season.",
            "actions": [{"kind": "treasury_transfer", "to": OUTSIDER.address, "amount": str(50 * USDC)}],
        },
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "awaiting_signature"
    assert body["proposer"] == alice.address
    tx = body["transaction"]
    assert tx["to"] == project.contracts["governor"] and tx["value"] == "0" and tx["chain_id"] == 31337
    text = "# Pay the resurfacing\n\nResurface km 12-18 before the rainy season."
    assert body["description_hash"] == "0x" + keccak(text=text).hex()

    send_unsigned(node, alice.account, tx)
    await settle()
    shown = await get_proposal(client, project, body)
    assert shown["state"] == "pending"
    assert shown["description"] == "Resurface km 12-18 before the rainy season."
    assert shown["actions"] == [{"kind": "treasury_transfer", "to": OUTSIDER.address, "amount": str(50 * USDC)}]
    assert call(node, "ProjectGovernor", project.contracts["governor"], "state", int(body["proposal_id"])) == 0
    listed = (await client.get(f"{API}/projects/{project.id}/proposals")).json()
    assert [(p["proposal_id"], p["state"]) for p in listed["items"]] == [(body["proposal_id"], "pending")]
    assert listed["total"] == 1


async def test_a_user_without_votes_cannot_propose(client, chain_env) -> None:
    node = chain_env
    project = await funded_project(client, node, [(holders(1)[0], 100)])
    stranger = await register_investor(node, project.platform, holders(3)[2])
    response = await client.post(
        f"{API}/projects/{project.id}/proposals",
        json={"title": "Hello", "description": "Text only", "actions": [{"kind": "text"}]},
        headers=stranger.headers,
    )
    assert response.status_code == 403, response.text
    bad = await client.post(
        f"{API}/projects/{project.id}/proposals",
        json={"title": "Hello", "description": "x", "actions": [{"kind": "mint", "to": OUTSIDER.address}]},
        headers=project.investors[0].headers,
    )
    assert bad.status_code == 400, bad.text
    too_much = await client.post(
        f"{API}/projects/{project.id}/proposals",
        json={
            "title": "Take everything",
            "description": "More than the reserve",
            "actions": [
                {"kind": "treasury_transfer", "to": OUTSIDER.address, "amount": str(fund_reserve(node, project) + 1)}
            ],
        },
        headers=project.investors[0].headers,
    )
    assert too_much.status_code == 422, too_much.text


async def test_a_treasury_payment_passes_is_queued_and_executed_and_the_timelock_pays_it(client, chain_env) -> None:
    node = chain_env
    project = await funded_project(client, node, list(zip(holders(3), (300, 200, 100), strict=True)))
    alice, bob, carol = project.investors
    amount = 40 * USDC
    before = call(node, "MockStablecoin", project.stablecoin, "balanceOf", OUTSIDER.address)
    proposal = await propose(
        client, node, project, alice, [{"kind": "treasury_transfer", "to": OUTSIDER.address, "amount": str(amount)}]
    )
    ref = f"{API}/projects/{project.id}/proposals/{proposal['proposal_id']}"
    early = await client.post(f"{ref}/votes", json={"support": "for"}, headers=bob.headers)
    assert early.status_code == 409, early.text

    await start_voting(client, node, project, proposal)
    await vote(client, node, project, alice, proposal, "for")
    await vote(client, node, project, carol, proposal, "against")
    again = await client.post(f"{ref}/votes", json={"support": "against"}, headers=alice.headers)
    assert again.status_code == 409, again.text
    shown = await get_proposal(client, project, proposal)
    assert (shown["tally"]["for_votes"], shown["tally"]["against_votes"]) == (str(300 * 10**18), str(100 * 10**18))
    assert {(v["voter"], v["support"]) for v in shown["votes"]} == {(alice.address, "for"), (carol.address, "against")}
    too_early = await client.post(f"{ref}/queue", headers=alice.headers)
    assert too_early.status_code == 409, too_early.text

    ended = await end_voting(client, node, project, proposal)
    assert ended["state"] == "succeeded", ended
    queued = await client.post(f"{ref}/queue", headers=bob.headers)
    assert queued.status_code == 200, queued.text
    send_unsigned(node, bob.account, queued.json()["transaction"])
    await settle()
    shown = await get_proposal(client, project, proposal)
    assert shown["state"] == "queued" and shown["eta"] is not None
    not_yet = await client.post(f"{ref}/execute", headers=bob.headers)
    assert not_yet.status_code == 409, not_yet.text

    warp(node, chain_now(node) + 24 * 3600 + 1)
    executed = await client.post(f"{ref}/execute", headers=carol.headers)
    assert executed.status_code == 200, executed.text
    send_unsigned(node, carol.account, executed.json()["transaction"])
    await settle()
    assert (await get_proposal(client, project, proposal))["state"] == "executed"
    assert call(node, "MockStablecoin", project.stablecoin, "balanceOf", OUTSIDER.address) == before + amount
    feed = (await client.get(f"{API}/notifications", headers=carol.headers)).json()
    events = [n["event"] for n in feed["items"]]
    assert "governance.proposal_created" in events and "governance.proposal_executed" in events


async def test_a_proposal_without_enough_votes_is_defeated_and_cannot_be_queued(client, chain_env) -> None:
    node = chain_env
    project = await funded_project(client, node, list(zip(holders(2), (300, 100), strict=True)))
    alice, bob = project.investors
    proposal = await propose(client, node, project, bob, [{"kind": "text"}], description="Rename the rest area")
    await start_voting(client, node, project, proposal)
    await vote(client, node, project, alice, proposal, "against")
    assert (await end_voting(client, node, project, proposal))["state"] == "defeated"
    response = await client.post(
        f"{API}/projects/{project.id}/proposals/{proposal['proposal_id']}/queue", headers=bob.headers
    )
    assert response.status_code == 409, response.text
