"""POST /auth/password-reset and /confirm: always 202, emailed single-use token, rate limits."""

import pytest
import sqlalchemy as sa
from partisipro.db import open_session

from tests.fixtures.mail import deliver_notifications
from tests.fixtures.users import login, make_user, token_from_mail

pytestmark = pytest.mark.integration

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a brand new passphrase"


async def _reset_token(client, smtp_server, email: str) -> str:
    response = await client.post(RESET, json={"email": email})
    assert response.status_code == 202
    await deliver_notifications()
    return token_from_mail(smtp_server.to(email)[-1])


async def test_password_reset_answers_202_for_unknown_emails_and_sends_nothing(smtp_server, client):
    response = await client.post(RESET, json={"email": "nobody@example.com"})
    assert response.status_code == 202
    await deliver_notifications()
    assert smtp_server.messages == []


async def test_reset_link_sets_a_new_password_and_the_old_one_stops_working(smtp_server, client):
    user, old_password, _ = await make_user(email="ana@example.com")
    token = await _reset_token(client, smtp_server, "ana@example.com")
    response = await client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 200, response.text
    old = await client.post("/api/v1/auth/login", json={"email": user.email, "password": old_password})
    assert old.status_code == 401
    assert (await login(client, user.email, NEW_PASSWORD))["access_token"]


async def test_a_reset_token_works_only_once(smtp_server, client):
    await make_user(email="ana@example.com")
    token = await _reset_token(client, smtp_server, "ana@example.com")
    assert (await client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})).status_code == 200
    again = await client.post(CONFIRM, json={"token": token, "password": "yet another passphrase"})
    assert again.status_code == 400
    assert again.json()["errors"][0]["field"] == "token"


async def test_an_expired_reset_token_is_400(smtp_server, client):
    await make_user(email="ana@example.com")
    token = await _reset_token(client, smtp_server, "ana@example.com")
    async with open_session() as session:
        await session.execute(sa.text("UPDATE one_time_token SET expires_at = '2000-01-01 00:00:00'"))
    response = await client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.json()["detail"]


async def test_a_newer_reset_request_voids_the_older_link(smtp_server, client):
    await make_user(email="ana@example.com")
    first = await _reset_token(client, smtp_server, "ana@example.com")
    second = await _reset_token(client, smtp_server, "ana@example.com")
    assert (await client.post(CONFIRM, json={"token": first, "password": NEW_PASSWORD})).status_code == 400
    assert (await client.post(CONFIRM, json={"token": second, "password": NEW_PASSWORD})).status_code == 200


async def test_resetting_the_password_revokes_existing_sessions(smtp_server, client):
    user, password, _ = await make_user(email="ana@example.com")
    tokens = await login(client, user.email, password)
    token = await _reset_token(client, smtp_server, "ana@example.com")
    await client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401


async def test_a_weak_new_password_is_400_naming_password(client):
    response = await client.post(CONFIRM, json={"token": "whatever", "password": "short"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"


async def test_eleventh_password_reset_for_one_email_in_a_minute_is_429_with_retry_after(client):
    statuses = [(await client.post(RESET, json={"email": "ana@example.com"})).status_code for _ in range(10)]
    response = await client.post(RESET, json={"email": "ana@example.com"})
    assert statuses == [202] * 10
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
