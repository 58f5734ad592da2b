"""POST /me/mfa/totp and /confirm, and the staff bootstrap: enrol, then log in with an otp."""

import pyotp
import pytest
from partisipro.security import decode_access_token

from tests.fixtures.users import login, make_user, totp_now

pytestmark = pytest.mark.integration

START = "/api/v1/me/mfa/totp"
CONFIRM = "/api/v1/me/mfa/totp/confirm"


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_a_new_admin_enrols_totp_then_logs_in_with_an_otp_and_gets_the_admin_role(client):
    user, password, _ = await make_user(role="admin")
    enrol = await login(client, user.email, password)
    assert decode_access_token(enrol["access_token"]).roles == frozenset()
    started = await client.post(START, headers=bearer(enrol))
    assert started.status_code == 200
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert body["secret"] in body["otpauth_uri"]
    confirmed = await client.post(CONFIRM, headers=bearer(enrol), json={"otp": totp_now(body["secret"])})
    assert confirmed.status_code == 200
    assert confirmed.json() == {"enabled": True}
    no_otp = await client.post("/api/v1/auth/login", json={"email": user.email, "password": password})
    assert no_otp.status_code == 401
    tokens = await login(client, user.email, password, otp=totp_now(body["secret"]))
    assert decode_access_token(tokens["access_token"]).roles == {"admin"}
    assert (await client.get("/api/v1/admin/audit-log", headers=bearer(tokens))).status_code == 200


async def test_confirming_with_a_wrong_code_is_400_naming_otp(client):
    user, password, _ = await make_user()
    tokens = await login(client, user.email, password)
    secret = (await client.post(START, headers=bearer(tokens))).json()["secret"]
    good = pyotp.TOTP(secret).now()
    response = await client.post(CONFIRM, headers=bearer(tokens), json={"otp": f"{(int(good) + 1) % 10**6:06d}"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "otp"


async def test_starting_enrolment_when_totp_is_already_on_is_409(client):
    user, password, secret = await make_user(with_totp=True)
    tokens = await login(client, user.email, password, otp=totp_now(secret))
    assert (await client.post(START, headers=bearer(tokens))).status_code == 409


async def test_confirming_before_starting_is_409(client):
    user, password, _ = await make_user()
    tokens = await login(client, user.email, password)
    assert (await client.post(CONFIRM, headers=bearer(tokens), json={"otp": "123456"})).status_code == 409


async def test_an_investor_who_enabled_totp_must_send_an_otp_at_login(client):
    user, password, secret = await make_user(with_totp=True)
    response = await client.post("/api/v1/auth/login", json={"email": user.email, "password": password})
    assert response.status_code == 401
    assert (await login(client, user.email, password, otp=totp_now(secret)))["access_token"]


async def test_mfa_endpoints_need_a_token(client):
    assert (await client.post(START)).status_code == 401
