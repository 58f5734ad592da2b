"""Bad input and bad tokens: 400 naming the field or 401, never a 500."""

import base64
import json
import time
import uuid

import pytest
from authlib.jose import JsonWebToken
from partisipro.security import issue_access_token

from tests.fixtures.users import bearer_headers, make_user

pytestmark = pytest.mark.integration

ME = "/api/v1/me"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(user_id: uuid.UUID, **extra) -> dict:
    now = int(time.time())
    return {
        "iss": "partisipro",
        "sub": str(user_id),
        "roles": ["admin"],
        "sid": "x",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "typ": "access",
        **extra,
    }


async def test_a_valid_token_reaches_me(client):
    user, _, _ = await make_user()
    assert (await client.get(ME, headers=bearer_headers(user))).status_code == 200


async def test_an_alg_none_token_is_401(client):
    user, _, _ = await make_user()
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(user.id))}."
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_a_token_signed_with_another_key_is_401(client):
    user, _, _ = await make_user()
    token = (
        JsonWebToken(["HS256"]).encode({"alg": "HS256"}, claims(user.id), b"another key entirely, 32 bytes+").decode()
    )
    assert (await client.get(ME, headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_a_token_with_an_edited_payload_is_401(client):
    user, _, _ = await make_user()
    token, _ = issue_access_token(user.id, ["investor"], "sid")
    header, _, signature = token.split(".")
    forged = f"{header}.{b64(claims(user.id))}.{signature}"
    assert (await client.get(ME, headers={"Authorization": f"Bearer {forged}"})).status_code == 401


async def test_an_expired_token_is_401(client, monkeypatch):
    user, _, _ = await make_user()
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
    token, _ = issue_access_token(user.id, ["investor"], "sid")
    monkeypatch.undo()
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"].lower()


async def test_a_non_bearer_authorization_header_is_401(client):
    assert (await client.get(ME, headers={"Authorization": "Basic dXNlcjpwYXNz"})).status_code == 401


async def test_garbage_in_the_bearer_token_is_401(client):
    assert (await client.get(ME, headers={"Authorization": "Bearer not.a.jwt"})).status_code == 401


async def test_malformed_json_is_400(client):
    response = await client.post(
        "/api/v1/auth/login", content=b'{"email": "a@b.co", "password": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_wrong_type_is_400_naming_the_field(client):
    response = await client.post("/api/v1/auth/login", json={"email": "a@b.co", "password": 12345})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"


async def test_an_overlong_string_is_400_naming_the_field(client):
    response = await client.post(
        "/api/v1/auth/register", json={"email": "a@b.co", "password": "x" * 500, "full_name": "A"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"


async def test_an_unknown_enum_value_is_400_naming_the_field(client):
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "a@b.co", "password": "long enough pass", "full_name": "A", "role": "king"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "role"


async def test_a_5_mb_body_is_400_not_500(client):
    body = json.dumps({"email": "a@b.co", "password": "p" * (5 * 1024 * 1024)})
    response = await client.post("/api/v1/auth/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"


async def test_a_body_over_the_limit_is_413(client):
    body = b'{"email": "' + b"a" * (12 * 1024 * 1024) + b'"}'
    response = await client.post("/api/v1/auth/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_a_json_array_instead_of_an_object_is_400(client):
    response = await client.post("/api/v1/auth/login", json=["a@b.co", "pw"])
    assert response.status_code == 400


async def test_an_otp_that_is_not_six_digits_is_400_naming_otp(client):
    response = await client.post("/api/v1/auth/login", json={"email": "a@b.co", "password": "pw", "otp": "12ab"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "otp"
