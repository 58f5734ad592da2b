"""Votes relayed by signature, delegation and the vote-ending reminder, on a real anvil."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.fixtures.governance import get_proposal, propose, sign_ballot, sign_delegation, start_voting, vote
from tests.fixtures.projects import API
from tests.fixtures.treasury import (
    OUTSIDER,
    TOKEN,
    call,
    chain_now,
    funded_project,
    holders,
    send_unsigned,
    settle,
    warp,
)

pytestmark = pytest.mark.integration


async def intents(function: str) -> list:
    from partisipro.chain.models import TxIntent
    from partisipro.db import open_session

    async with open_session(commit=False) as session:
        return list(await session.scalars(select(TxIntent).where(TxIntent.function == function)))


async def test_a_signed_ballot_is_relayed_by_the_platform_and_counted_once(client, chain_env) -> None:
    node = chain_env
    project = await funded_project(client, node, list(zip(holders(2), (300, 100), strict=True)))
    alice, bob = project.investors
    proposal = await propose(client, node, project, alice, [{"kind": "text"}])
    await start_voting(client, node, project, proposal)
    ref = f"{API}/projects/{project.id}/proposals/{proposal['proposal_id']}/votes"

    forged = sign_ballot(node, project, alice.account, proposal["proposal_id"], "for")  # alice's key, bob asks
    refused = await client.post(ref, json={"support": "for", "signature": forged}, headers=bob.headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"][0]["field"] == "signature"
    wrong_support = sign_ballot(node, project, bob.account, proposal["proposal_id"], "against")
    refused = await client.post(ref, json={"support": "for", "signature": wrong_support}, headers=bob.headers)
    assert refused.status_code == 400, refused.text
    assert await intents("castVoteBySig") == []  # nothing was sent for a bad signature

    signature = sign_ballot(node, project, bob.account, proposal["proposal_id"], "for")
    relayed = await client.post(ref, json={"support": "for", "signature": signature}, headers=bob.headers)
    assert relayed.status_code == 202, relayed.text
    assert relayed.json()["status"] == "relayed" and relayed.json()["voter"] == bob.address
    twice = await client.post(ref, json={"support": "for", "signature": signature}, headers=bob.headers)
    assert twice.status_code == 409, twice.text
    await settle()  # the sender relays castVoteBySig, the indexer records VoteCast

    governor = project.contracts["governor"]
    assert call(node, "ProjectGovernor", governor, "hasVoted", int(proposal["proposal_id"]), bob.address)
    assert call(node, "ProjectGovernor", governor, "proposalVotes", int(proposal["proposal_id"]))[1] == 100 * TOKEN
    shown = await get_proposal(client, project, proposal)
    assert [(v["voter"], v["support"], v["weight"], v["status"]) for v in shown["votes"]] == [
        (bob.address, "for", str(100 * TOKEN), "cast")
    ]
    assert shown["tally"]["for_votes"] == str(100 * TOKEN)
    assert len(await intents("castVoteBySig")) == 1


async def test_a_signed_ballot_with_a_reason_is_relayed_as_an_extended_ballot(client, chain_env) -> None:
    node = chain_env
    project = await funded_project(client, node, list(zip(holders(2), (300, 100), strict=True)))
    alice, bob = project.investors
    proposal = await propose(client, node, project, bob, [{"kind": "text"}])
    await start_voting(client, node, project, proposal)
    signature = sign_ballot(node, project, alice.account, proposal["proposal_id"], "abstain", "too early to tell")
    response = await client.post(
        f"{API}/projects/{project.id}/proposals/{proposal['proposal_id']}/votes",
        json={"support": "abstain", "reason": "too early to tell", "signature": signature},
        headers=alice.headers,
    )
    assert response.status_code == 202, response.text
    await settle()
    [shown] = (await get_proposal(client, project, proposal))["votes"]
    assert (shown["voter"], shown["support"], shown["reason"]) == (alice.address, "abstain", "too early to tell")


async def test_delegation_returns_the_transaction_or_relays_a_signed_delegation(client, chain_env) -> None:
    node = chain_env
    project = await funded_project(client, node, list(zip(holders(2), (300, 100), strict=True)))
    alice, bob = project.investors
    token = project.contracts["token"]
    unsigned = await client.post(
        f"{API}/projects/{project.id}/delegation", json={"delegatee": bob.address}, headers=alice.headers
    )
    assert unsigned.status_code == 201, unsigned.text
    assert unsigned.json()["transaction"]["to"] == token
    send_unsigned(node, alice.account, unsigned.json()["transaction"])
    assert call(node, "ProjectToken", token, "getVotes", bob.address) == 400 * TOKEN

    body = sign_delegation(node, project, bob.account, OUTSIDER.address, chain_now(node) + 3600)
    stale = await client.post(
        f"{API}/projects/{project.id}/delegation", json={**body, "nonce": str(int(body["nonce"]) + 1)},
        headers=bob.headers,
    )  # fmt: skip
    assert stale.status_code == 400, stale.text
    relayed = await client.post(f"{API}/projects/{project.id}/delegation", json=body, headers=bob.headers)
    assert relayed.status_code == 202, relayed.text
    assert relayed.json()["delegator"] == bob.address
    await settle()
    assert call(node, "ProjectToken", token, "delegates", bob.address) == OUTSIDER.address
    assert call(node, "ProjectToken", token, "getVotes", OUTSIDER.address) == 100 * TOKEN


async def test_holders_who_have_not_voted_are_reminded_once_when_voting_ends_within_a_day(client, chain_env) -> None:
    from partisipro.governance.jobs import governance_remind_ending_votes

    node = chain_env
    project = await funded_project(client, node, list(zip(holders(3), (300, 200, 100), strict=True)))
    alice, bob, carol = project.investors
    proposal = await propose(client, node, project, alice, [{"kind": "text"}])
    active = await start_voting(client, node, project, proposal)
    await vote(client, node, project, alice, proposal, "for")
    assert await governance_remind_ending_votes() == 0  # three days left: too early

    import datetime as dt

    ends = int(dt.datetime.fromisoformat(active["vote_end"]).timestamp())
    warp(node, ends - 3600)
    assert await governance_remind_ending_votes() == 2
    assert await governance_remind_ending_votes() == 0

    async def reminders(investor) -> int:
        feed = (await client.get(f"{API}/notifications", headers=investor.headers)).json()
        return [n["event"] for n in feed["items"]].count("governance.vote_ending_soon")

    assert [await reminders(i) for i in (alice, bob, carol)] == [0, 1, 1]
