"""WS /api/v1/ws: authentication, private and public channels, replay after a reconnect."""

from __future__ import annotations

import uuid

import pytest
from partisipro import events
from partisipro.security import issue_access_token
from websockets.exceptions import ConnectionClosed

from tests.fixtures.realtime import frames_until_quiet, next_frame, ws_connect
from tests.fixtures.users import make_user

pytestmark = pytest.mark.integration


def token_of(user) -> str:
    return issue_access_token(user.id, user.roles, uuid.uuid4().hex)[0]


async def closed_with(base: str, token: str | None, **query: str) -> tuple[int, str]:
    async with ws_connect(base, token, **query) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await next_frame(ws)
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_a_user_receives_their_private_events_and_never_another_users(server: str) -> None:
    alice, _, _ = await make_user()
    bob, _, _ = await make_user()
    async with ws_connect(server, token_of(alice)) as alice_ws, ws_connect(server, token_of(bob)) as bob_ws:
        assert (await next_frame(alice_ws, "subscribed"))["channels"] == [f"user:{alice.id}"]
        await next_frame(bob_ws, "subscribed")

        await events.publish(f"user:{bob.id}", {"type": "investment.confirmed", "amount": "5000000"})
        await events.publish(f"user:{alice.id}", {"type": "kyc.decided", "status": "approved"})

        bob_frame = await next_frame(bob_ws, "investment.confirmed")
        assert bob_frame["channel"] == f"user:{bob.id}"
        assert bob_frame["data"] == {"type": "investment.confirmed", "amount": "5000000"}
        alice_frame = await next_frame(alice_ws, "kyc.decided")
        assert alice_frame["data"]["status"] == "approved"
        assert all(f.get("type") != "investment.confirmed" for f in await frames_until_quiet(alice_ws))


async def test_project_subscribers_receive_the_projects_public_events(server: str) -> None:
    voter, _, _ = await make_user()
    watcher, _, _ = await make_user()
    project, other_project = uuid.uuid4(), uuid.uuid4()
    async with ws_connect(server, token_of(watcher), channels=f"project:{project},public") as ws:
        subscribed = await next_frame(ws, "subscribed")
        assert subscribed["channels"] == [f"user:{watcher.id}", f"project:{project}", "public"]

        await events.publish(f"project:{other_project}", {"type": "vote.cast", "voter": "0xother"})
        await events.publish(f"project:{project}", {"type": "vote.cast", "voter": str(voter.id), "support": "for"})
        await events.publish("public", {"type": "proposal.created", "title": "Raise the reserve"})

        frames = await frames_until_quiet(ws)
        assert [(f["channel"], f["type"]) for f in frames] == [
            (f"project:{project}", "vote.cast"),
            ("public", "proposal.created"),
        ]
        assert frames[0]["data"]["support"] == "for"


async def test_a_reconnecting_client_first_gets_what_it_missed_then_live_events_once(server: str) -> None:
    user, _, _ = await make_user()
    channel = f"user:{user.id}"
    async with ws_connect(server, token_of(user)) as ws:
        await next_frame(ws, "subscribed")
        await events.publish(channel, {"type": "notification", "n": 1})
        first = await next_frame(ws, "notification")
    await events.publish(channel, {"type": "notification", "n": 2})
    await events.publish(channel, {"type": "notification", "n": 3})

    async with ws_connect(server, token_of(user), last_event_id=first["id"]) as ws:
        replayed = [await next_frame(ws, "notification"), await next_frame(ws, "notification")]
        assert [f["data"]["n"] for f in replayed] == [2, 3]
        await next_frame(ws, "subscribed")
        await events.publish(channel, {"type": "notification", "n": 4})
        later = await frames_until_quiet(ws)
        assert [f["data"]["n"] for f in later if f["type"] == "notification"] == [4]


async def test_a_client_connecting_without_last_event_id_gets_only_live_events(server: str) -> None:
    user, _, _ = await make_user()
    await events.publish(f"user:{user.id}", {"type": "notification", "n": "old"})
    async with ws_connect(server, token_of(user)) as ws:
        await next_frame(ws, "subscribed")
        await events.publish(f"user:{user.id}", {"type": "notification", "n": "new"})
        frames = [f for f in await frames_until_quiet(ws) if f["type"] == "notification"]
    assert [f["data"]["n"] for f in frames] == ["new"]


async def test_without_a_valid_token_the_socket_is_closed_4401(server: str) -> None:
    assert (await closed_with(server, None))[0] == 4401
    code, reason = await closed_with(server, "not-a-jwt")
    assert code == 4401
    assert "token" in reason.lower()


async def test_asking_for_another_users_private_channel_is_closed_4403(server: str) -> None:
    alice, _, _ = await make_user()
    bob, _, _ = await make_user()
    assert (await closed_with(server, token_of(alice), channels=f"user:{bob.id}"))[0] == 4403


async def test_a_malformed_channel_or_event_id_is_closed_4400_naming_the_field(server: str) -> None:
    user, _, _ = await make_user()
    code, reason = await closed_with(server, token_of(user), channels="project:not-a-uuid")
    assert (code, reason.split(":")[0]) == (4400, "channels")
    code, reason = await closed_with(server, token_of(user), last_event_id="yesterday")
    assert (code, reason.split(":")[0]) == (4400, "last_event_id")


async def test_a_ping_is_answered_with_a_pong(server: str) -> None:
    user, _, _ = await make_user()
    async with ws_connect(server, token_of(user)) as ws:
        await next_frame(ws, "subscribed")
        await ws.send('{"type": "ping"}')
        assert (await next_frame(ws))["type"] == "pong"
