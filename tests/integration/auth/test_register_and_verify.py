"""POST /auth/register and /auth/verify-email, with the verification link read from real email."""

import pytest
import sqlalchemy as sa
from partisipro.db import open_session

from tests.fixtures.mail import deliver_notifications
from tests.fixtures.users import make_user, token_from_mail

pytestmark = pytest.mark.integration

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
NEW_USER = {"email": "Siti@Example.com", "password": "a long enough password", "full_name": "Siti Rahma"}


async def test_register_creates_an_unverified_investor_and_emails_a_verification_link(smtp_server, client):
    response = await client.post(REGISTER, json=NEW_USER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "siti@example.com"
    assert body["roles"] == ["investor"]
    assert body["email_verified"] is False
    assert "password" not in body and "password_hash" not in body
    await deliver_notifications()
    mails = smtp_server.to("siti@example.com")
    assert len(mails) == 1
    assert "/verify-email?token=" in mails[0].get_body(preferencelist=("plain",)).get_content()


async def test_register_as_spv_gives_the_spv_role(client):
    response = await client.post(REGISTER, json={**NEW_USER, "role": "spv"})
    assert response.status_code == 201
    assert response.json()["roles"] == ["spv"]


async def test_register_cannot_choose_a_staff_role(client):
    response = await client.post(REGISTER, json={**NEW_USER, "role": "admin"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "role"


async def test_register_with_a_taken_email_is_409(client):
    await make_user(email="siti@example.com")
    response = await client.post(REGISTER, json=NEW_USER)
    assert response.status_code == 409


async def test_register_with_a_short_password_is_400_naming_password(client):
    response = await client.post(REGISTER, json={**NEW_USER, "password": "short"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["password"]


async def test_register_with_a_malformed_email_is_400_naming_email(client):
    response = await client.post(REGISTER, json={**NEW_USER, "email": "not-an-email"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "email"


async def test_the_emailed_token_verifies_the_email_once(smtp_server, client):
    await client.post(REGISTER, json=NEW_USER)
    await deliver_notifications()
    token = token_from_mail(smtp_server.to("siti@example.com")[0])
    first = await client.post(VERIFY, json={"token": token})
    assert first.status_code == 200, first.text
    assert first.json()["email_verified"] is True
    again = await client.post(VERIFY, json={"token": token})
    assert again.status_code == 400
    assert again.json()["errors"][0]["field"] == "token"


async def test_an_unknown_verification_token_is_400(client):
    response = await client.post(VERIFY, json={"token": "made-up-token"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "token", "message": "unknown or invalid token"}]


async def test_an_expired_verification_token_is_400(smtp_server, client):
    await client.post(REGISTER, json=NEW_USER)
    await deliver_notifications()
    token = token_from_mail(smtp_server.to("siti@example.com")[0])
    async with open_session() as session:
        await session.execute(sa.text("UPDATE one_time_token SET expires_at = '2000-01-01 00:00:00'"))
    response = await client.post(VERIFY, json={"token": token})
    assert response.status_code == 400
    assert "expired" in response.json()["detail"]


async def test_the_password_is_stored_as_an_argon2_hash(client):
    await client.post(REGISTER, json=NEW_USER)
    async with open_session() as session:
        stored = (await session.execute(sa.text("SELECT password_hash FROM user_account"))).scalar_one()
    assert stored.startswith("$argon2id$")
    assert NEW_USER["password"] not in stored
