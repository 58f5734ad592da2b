"""Journey: a websocket subscriber sees a project's distribution as the indexer applies it, and
never another user's private events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from partisipro import events
from partisipro.security import issue_access_token

from tests.fixtures.projects import API
from tests.fixtures.realtime import frames_until_quiet, next_frame, realtime_app, served, ws_connect
from tests.fixtures.treasury import SPV, chain_env, funded_project, holders, node, send, send_unsigned, settle  # noqa: F401
from tests.fixtures.users import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
async def server(chain_env) -> AsyncIterator[str]:  # noqa: F811
    from partisipro.settings import reset_settings

    reset_settings()
    async with served(realtime_app()) as base:
        yield base


async def test_a_project_subscriber_receives_the_distribution_and_no_other_users_private_events(
    server: str,
    chain_env,  # noqa: F811
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as client:
        alice, bob = holders(2)
        project = await funded_project(client, chain_env, [(alice, 300), (bob, 100)])
        watcher, _, _ = await make_user()
        token = issue_access_token(watcher.id, watcher.roles, uuid.uuid4().hex)[0]
        async with ws_connect(server, token, channels=f"project:{project.id}") as ws:
            await next_frame(ws, "subscribed")
            amount = 4_000_000
            send(chain_env, SPV, "MockStablecoin", project.stablecoin, "mint", SPV.address, amount)
            response = await client.post(
                f"{API}/projects/{project.id}/distributions",
                json={"amount": str(amount), "period": "2025-Q1"},
                headers=project.spv_headers,
            )
            assert response.status_code == 201, response.text
            for tx in response.json()["transactions"]:
                send_unsigned(chain_env, SPV, tx)
            await settle()

            frame = await next_frame(ws, "distribution.created")
            assert frame["channel"] == f"project:{project.id}"
            assert (frame["data"]["amount"], frame["data"]["period"]) == (str(amount), "2025-Q1")

            holder = project.investors[0]
            claim = await client.post(f"{API}/projects/{project.id}/claims", headers=holder.headers)
            send_unsigned(chain_env, holder.account, claim.json()["transaction"])
            await settle()  # the claimant's private claim.confirmed is published now
            seen = await frames_until_quiet(ws)
            assert all(f["channel"] in (f"user:{watcher.id}", f"project:{project.id}") for f in seen)
            assert not [f for f in seen if f["type"] == "claim.confirmed"]
        private = await events.history(f"user:{holder.user.id}")
        assert [p["type"] for _, p in private].count("claim.confirmed") == 1  # it was published, to the claimant
