"""POST /auth/login: credentials, the same answer for unknown emails, TOTP for staff, rate limits."""

import pytest
import sqlalchemy as sa
from partisipro.db import open_session
from partisipro.security import decode_access_token

from tests.fixtures.users import make_user, totp_now

pytestmark = pytest.mark.integration

LOGIN = "/api/v1/auth/login"


async def test_login_with_the_right_password_returns_a_bearer_token_pair(client):
    user, password, _ = await make_user(email="ana@example.com")
    response = await client.post(LOGIN, json={"email": "Ana@Example.com", "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    principal = decode_access_token(body["access_token"])
    assert principal.user_id == user.id
    assert principal.roles == {"investor"}
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "ana@example.com"


async def test_wrong_password_and_unknown_email_get_the_same_401(client):
    await make_user(email="ana@example.com")
    wrong = await client.post(LOGIN, json={"email": "ana@example.com", "password": "not the password"})
    unknown = await client.post(LOGIN, json={"email": "nobody@example.com", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["content-type"].startswith("application/problem+json")


async def test_an_unknown_email_costs_one_argon2_verification_like_a_wrong_password(client, monkeypatch):
    from argon2 import PasswordHasher

    await make_user(email="ana@example.com")
    calls: list[str] = []
    original = PasswordHasher.verify

    def counting_verify(self, hash_, password):
        calls.append("verify")
        return original(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    await client.post(LOGIN, json={"email": "nobody@example.com", "password": "not the password"})
    unknown_calls = len(calls)
    await client.post(LOGIN, json={"email": "ana@example.com", "password": "not the password"})
    assert unknown_calls == 1
    assert len(calls) == 2


async def test_failed_login_is_written_to_the_audit_log(client):
    user, _, _ = await make_user(email="ana@example.com")
    await client.post(LOGIN, json={"email": "ana@example.com", "password": "not the password"})
    async with open_session() as session:
        rows = (await session.execute(sa.text("SELECT action, actor_id, reason FROM audit_log"))).all()
    assert [(r.action, r.reason) for r in rows] == [("auth.login_failed", "bad_credentials")]
    assert bytes(rows[0].actor_id) == user.id.bytes


async def test_login_writes_last_login_and_an_audit_row(client):
    user, password, _ = await make_user()
    response = await client.post(LOGIN, json={"email": user.email, "password": password})
    assert response.status_code == 200
    async with open_session() as session:
        actions = (await session.execute(sa.text("SELECT action FROM audit_log ORDER BY seq"))).scalars().all()
        last_login = (
            await session.execute(sa.text("SELECT last_login_at FROM user_account WHERE email=:e"), {"e": user.email})
        ).scalar_one()
    assert actions == ["auth.login"]
    assert last_login is not None


async def test_staff_login_without_otp_is_401(client):
    user, password, _ = await make_user(role="compliance", with_totp=True)
    response = await client.post(LOGIN, json={"email": user.email, "password": password})
    assert response.status_code == 401
    assert "otp" in response.json()["detail"]


async def test_staff_login_with_a_valid_otp_gets_the_staff_role(client):
    user, password, secret = await make_user(role="admin", with_totp=True)
    response = await client.post(LOGIN, json={"email": user.email, "password": password, "otp": totp_now(secret)})
    assert response.status_code == 200, response.text
    assert decode_access_token(response.json()["access_token"]).roles == {"admin"}


async def test_staff_login_with_a_wrong_otp_is_401(client):
    user, password, secret = await make_user(role="compliance", with_totp=True)
    code = totp_now(secret)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = await client.post(LOGIN, json={"email": user.email, "password": password, "otp": wrong})
    assert response.status_code == 401


async def test_a_totp_code_cannot_be_used_twice(client):
    user, password, secret = await make_user(role="compliance", with_totp=True)
    code = totp_now(secret)
    first = await client.post(LOGIN, json={"email": user.email, "password": password, "otp": code})
    again = await client.post(LOGIN, json={"email": user.email, "password": password, "otp": code})
    assert first.status_code == 200
    assert again.status_code == 401
    assert "already used" in again.json()["detail"]


async def test_staff_without_totp_gets_a_role_less_token_that_can_only_enrol(client):
    user, password, _ = await make_user(role="admin")
    response = await client.post(LOGIN, json={"email": user.email, "password": password})
    assert response.status_code == 200
    body = response.json()
    assert body["mfa_enrollment_required"] is True
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/v1/admin/audit-log", headers=headers)).status_code == 403
    assert (await client.post("/api/v1/me/mfa/totp", headers=headers)).status_code == 200


async def test_eleventh_login_attempt_in_a_minute_for_one_email_is_429_with_retry_after(client):
    user, _, _ = await make_user()
    statuses = []
    for _ in range(11):
        response = await client.post(LOGIN, json={"email": user.email, "password": "wrong password"})
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["status"] == 429


async def test_login_rate_limit_counts_per_ip_across_emails(client):
    statuses = []
    for i in range(11):
        response = await client.post(LOGIN, json={"email": f"u{i}@example.com", "password": "wrong password"})
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert statuses.count(401) == 10


async def test_a_rate_limited_email_cannot_log_in_even_with_the_right_password(client):
    user, password, _ = await make_user()
    for _ in range(10):
        await client.post(LOGIN, json={"email": user.email, "password": "wrong password"})
    response = await client.post(LOGIN, json={"email": user.email, "password": password})
    assert response.status_code == 429
    assert "retry-after" in response.headers


async def test_login_with_missing_password_is_400_naming_the_field(client):
    response = await client.post(LOGIN, json={"email": "ana@example.com"})
    assert response.status_code == 400
    assert any(e["field"] == "password" for e in response.json()["errors"])
