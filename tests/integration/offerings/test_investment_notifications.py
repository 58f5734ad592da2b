"""Investors get an email for each step of an investment (real SMTP server, real chain)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.mail import deliver_notifications, smtp_server  # noqa: F401
from tests.fixtures.offerings import intent, invest, live_offering, sign_and_send
from tests.fixtures.projects import API, USDC
from tests.fixtures.treasury import chain_env, index, node  # noqa: F401
from tests.fixtures.users import asgi_client

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(smtp_server, chain_env, app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with asgi_client(app) as http:
        yield http


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def test_the_investor_is_emailed_the_intent_with_its_deadline_the_confirmation_and_the_cancellation(
    client,
    smtp_server,  # noqa: F811
    chain_env,  # noqa: F811
):
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    name = live.project["name"]

    body = await intent(client, alice, live.id, 500 * USDC)
    await deliver_notifications()
    (started,) = smtp_server.to(alice.user.email)
    assert started["Subject"] == f"Your investment in {name} has started"
    assert "cancel this investment until" in text_of(started)

    sign_and_send(chain_env, alice.account, body["transactions"])
    await index()
    response = await client.post(f"{API}/investments/{body['id']}/cancel", headers=alice.headers)
    assert response.status_code == 200, response.text
    sign_and_send(chain_env, alice.account, [response.json()["transaction"]])
    await index()
    await deliver_notifications()
    mails = smtp_server.to(alice.user.email)
    assert sorted(m["Subject"] for m in mails) == sorted(
        [
            f"Your investment in {name} has started",
            f"Investment confirmed: {name}",
            f"Investment cancelled: {name}",
        ]
    )


async def test_a_later_investment_through_the_helper_sends_no_duplicate_confirmation(client, smtp_server, chain_env):  # noqa: F811
    live = await live_offering(client, chain_env, investors=1)
    alice = live.investors[0]
    name = live.project["name"]
    await invest(client, chain_env, live, alice, 300 * USDC)
    await index()  # indexing again applies nothing twice
    await deliver_notifications()
    subjects = [m["Subject"] for m in smtp_server.to(alice.user.email)]
    assert sorted(subjects) == sorted([f"Your investment in {name} has started", f"Investment confirmed: {name}"])
