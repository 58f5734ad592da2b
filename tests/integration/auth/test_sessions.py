"""POST /auth/refresh and /auth/logout: rotation, reuse detection revoking the family, logout."""

import pytest
import sqlalchemy as sa
from partisipro.db import open_session
from partisipro.security import decode_access_token

from tests.fixtures.users import login, make_user

pytestmark = pytest.mark.integration

REFRESH = "/api/v1/auth/refresh"


async def test_refresh_rotates_the_pair_within_the_same_session(client):
    user, password, _ = await make_user()
    first = await login(client, user.email, password)
    response = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["token_type"] == "bearer"
    old_sid = decode_access_token(first["access_token"]).session_id
    assert decode_access_token(second["access_token"]).session_id == old_sid
    again = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 200


async def test_reusing_a_rotated_refresh_token_is_401_and_revokes_the_whole_family(client):
    user, password, _ = await make_user()
    first = await login(client, user.email, password)
    rotated = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()
    reuse = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert "reuse" in reuse.json()["detail"]
    # The legitimate holder's newer token is dead too.
    latest = await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert latest.status_code == 401
    async with open_session() as session:
        actions = (await session.execute(sa.text("SELECT action FROM audit_log ORDER BY seq"))).scalars().all()
        live = (
            await session.execute(sa.text("SELECT COUNT(*) FROM refresh_token WHERE revoked_at IS NULL"))
        ).scalar_one()
    assert "auth.refresh_reuse" in actions
    assert live == 0


async def test_reuse_in_one_session_leaves_other_sessions_alive(client):
    user, password, _ = await make_user()
    phone = await login(client, user.email, password)
    laptop = await login(client, user.email, password)
    await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    assert (await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})).status_code == 200


async def test_an_unknown_refresh_token_is_401(client):
    response = await client.post(REFRESH, json={"refresh_token": "not-a-real-token"})
    assert response.status_code == 401


async def test_an_expired_refresh_token_is_401(client):
    user, password, _ = await make_user()
    tokens = await login(client, user.email, password)
    async with open_session() as session:
        await session.execute(sa.text("UPDATE refresh_token SET expires_at = '2000-01-01 00:00:00'"))
    assert (await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})).status_code == 401


async def test_logout_is_204_and_the_refresh_token_stops_working(client):
    user, password, _ = await make_user()
    tokens = await login(client, user.email, password)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await client.post("/api/v1/auth/logout", headers=headers)
    assert response.status_code == 204
    assert (await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})).status_code == 401


async def test_logout_without_a_token_is_401(client):
    assert (await client.post("/api/v1/auth/logout")).status_code == 401


async def test_refresh_tokens_are_stored_only_as_sha256_digests(client):
    user, password, _ = await make_user()
    tokens = await login(client, user.email, password)
    async with open_session() as session:
        stored = (await session.execute(sa.text("SELECT token_hash FROM refresh_token"))).scalars().all()
    assert tokens["refresh_token"] not in stored
    assert len(stored) == 1 and len(stored[0]) == 64
