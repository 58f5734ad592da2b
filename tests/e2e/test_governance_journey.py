"""Journey over HTTP (a real uvicorn server, a real anvil): a proposal that pays from the treasury
reserve goes through voting (one vote relayed by signature), queueing and execution; a websocket
subscriber sees the votes, and never another user's private events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from partisipro import events
from partisipro.security import issue_access_token

from tests.fixtures.governance import end_voting, get_proposal, propose, sign_ballot, start_voting, vote
from tests.fixtures.projects import API
from tests.fixtures.realtime import frames_until_quiet, next_frame, realtime_app, served, ws_connect
from tests.fixtures.treasury import (  # noqa: F401
    OUTSIDER,
    TOKEN,
    USDC,
    call,
    chain_env,
    chain_now,
    funded_project,
    holders,
    node,
    send_unsigned,
    settle,
    warp,
)
from tests.fixtures.users import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
async def server(chain_env) -> AsyncIterator[str]:  # noqa: F811
    from partisipro.settings import reset_settings

    reset_settings()
    async with served(realtime_app()) as base:
        yield base


async def test_a_reserve_payment_is_proposed_voted_by_signature_queued_and_executed_while_a_subscriber_watches(
    server: str,
    chain_env,  # noqa: F811
) -> None:
    node = chain_env  # noqa: F811
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=60) as client:
        project = await funded_project(client, node, list(zip(holders(3), (300, 200, 100), strict=True)))
        alice, bob, carol = project.investors
        amount = 75 * USDC
        paid_before = call(node, "MockStablecoin", project.stablecoin, "balanceOf", OUTSIDER.address)
        reserve_before = call(node, "Treasury", project.contracts["treasury"], "reserve")

        watcher, _, _ = await make_user()
        token = issue_access_token(watcher.id, watcher.roles, uuid.uuid4().hex)[0]
        async with ws_connect(server, token, channels=f"project:{project.id}") as ws:
            await next_frame(ws, "subscribed")
            proposal = await propose(
                client, node, project, alice,
                [{"kind": "treasury_transfer", "to": OUTSIDER.address, "amount": str(amount)}],
                title="Pay the bridge inspection", description="Inspection of the Musi bridge, invoice 2025-114.",
            )  # fmt: skip
            created = await next_frame(ws, "proposal.created")
            assert created["data"]["proposal_id"] == proposal["proposal_id"]
            assert created["data"]["title"] == "Pay the bridge inspection"

            await start_voting(client, node, project, proposal)
            await vote(client, node, project, alice, proposal, "for")
            signature = sign_ballot(node, project, bob.account, proposal["proposal_id"], "for")
            relayed = await client.post(
                f"{API}/projects/{project.id}/proposals/{proposal['proposal_id']}/votes",
                json={"support": "for", "signature": signature},
                headers={**bob.headers, "Idempotency-Key": "bob-votes-for"},
            )
            assert relayed.status_code == 202, relayed.text
            await settle()  # the platform sends castVoteBySig; the indexer applies VoteCast
            cast = [await next_frame(ws, "vote.cast"), await next_frame(ws, "vote.cast")]
            assert {(f["data"]["voter"], f["data"]["support"]) for f in cast} == {
                (alice.address, "for"),
                (bob.address, "for"),
            }
            assert all(f["channel"] == f"project:{project.id}" for f in cast)

            ended = await end_voting(client, node, project, proposal)
            assert ended["state"] == "succeeded"
            assert ended["tally"]["for_votes"] == str(500 * TOKEN)
            ref = f"{API}/projects/{project.id}/proposals/{proposal['proposal_id']}"
            queue = await client.post(f"{ref}/queue", headers=carol.headers)
            assert queue.status_code == 200, queue.text
            send_unsigned(node, carol.account, queue.json()["transaction"])
            await settle()
            queued = await next_frame(ws, "proposal.state_changed")
            assert queued["data"]["state"] == "queued"

            warp(node, chain_now(node) + 24 * 3600 + 1)
            execute = await client.post(f"{ref}/execute", headers=carol.headers)
            assert execute.status_code == 200, execute.text
            send_unsigned(node, carol.account, execute.json()["transaction"])
            await settle()
            executed = await next_frame(ws, "proposal.state_changed")
            assert executed["data"]["state"] == "executed"

            seen = await frames_until_quiet(ws)
            assert all(f["channel"] in (f"user:{watcher.id}", f"project:{project.id}") for f in seen)

        assert (await get_proposal(client, project, proposal))["state"] == "executed"
        assert call(node, "MockStablecoin", project.stablecoin, "balanceOf", OUTSIDER.address) == paid_before + amount
        assert call(node, "Treasury", project.contracts["treasury"], "reserve") == reserve_before - amount
        private = await events.history(f"user:{bob.user.id}")
        assert [p["type"] for _, p in private].count("vote.cast") == 1  # bob's own copy went to bob only
