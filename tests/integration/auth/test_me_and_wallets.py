"""GET /me and wallet linking by a signed EIP-4361 message (signed with eth_account)."""

import datetime as dt

import pytest
import sqlalchemy as sa
from eth_account import Account
from eth_account.messages import encode_defunct
from partisipro.auth import siwe
from partisipro.db import open_session

from tests.fixtures.users import bearer_headers, make_user

pytestmark = pytest.mark.integration

CHALLENGE = "/api/v1/me/wallets/challenge"
WALLETS = "/api/v1/me/wallets"


def sign(account, message: str) -> str:
    return account.sign_message(encode_defunct(text=message)).signature.to_0x_hex()


async def challenge_for(client, headers, address: str) -> dict:
    response = await client.post(CHALLENGE, headers=headers, json={"address": address})
    assert response.status_code == 200, response.text
    return response.json()


async def test_me_returns_the_account_with_roles_kyc_status_and_no_wallets(client):
    user, _, _ = await make_user(email="ana@example.com", full_name="Ana Putri")
    response = await client.get("/api/v1/me", headers=bearer_headers(user))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["email"] == "ana@example.com"
    assert body["full_name"] == "Ana Putri"
    assert body["roles"] == ["investor"]
    assert body["kyc_status"] == "none"
    assert body["wallets"] == []


async def test_me_without_a_token_is_401(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_challenge_is_an_eip4361_message_for_this_platform_and_chain(client):
    user, _, _ = await make_user()
    account = Account.create()
    body = await challenge_for(client, bearer_headers(user), account.address.lower())
    parsed = siwe.parse_message(body["message"])
    assert parsed.address == account.address
    assert parsed.domain == "127.0.0.1:8000"
    assert parsed.uri == "http://127.0.0.1:8000"
    assert parsed.chain_id == 31337
    assert parsed.nonce == body["nonce"] and len(body["nonce"]) >= 8
    assert parsed.expiration_time - parsed.issued_at == dt.timedelta(minutes=10)


async def test_a_correctly_signed_challenge_links_the_wallet(client):
    user, _, _ = await make_user()
    headers = bearer_headers(user)
    account = Account.create()
    body = await challenge_for(client, headers, account.address)
    response = await client.post(
        WALLETS, headers=headers, json={"message": body["message"], "signature": sign(account, body["message"])}
    )
    assert response.status_code == 201, response.text
    assert response.json()["address"] == account.address
    assert response.json()["registered_on_chain"] is False
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert [w["address"] for w in me["wallets"]] == [account.address]


async def test_a_signature_by_another_key_is_400_naming_signature(client):
    user, _, _ = await make_user()
    headers = bearer_headers(user)
    account, intruder = Account.create(), Account.create()
    body = await challenge_for(client, headers, account.address)
    response = await client.post(
        WALLETS, headers=headers, json={"message": body["message"], "signature": sign(intruder, body["message"])}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "signature"


async def test_a_garbage_signature_is_400(client):
    user, _, _ = await make_user()
    headers = bearer_headers(user)
    account = Account.create()
    body = await challenge_for(client, headers, account.address)
    response = await client.post(
        WALLETS, headers=headers, json={"message": body["message"], "signature": "0x" + "ab" * 65}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "signature"


async def test_a_message_with_a_nonce_never_issued_is_400(client):
    user, _, _ = await make_user()
    headers = bearer_headers(user)
    account = Account.create()
    body = await challenge_for(client, headers, account.address)
    forged = body["message"].replace(f"Nonce: {body['nonce']}", "Nonce: abcdefgh12345678")
    response = await client.post(WALLETS, headers=headers, json={"message": forged, "signature": sign(account, forged)})
    assert response.status_code == 400
    assert "nonce" in response.json()["detail"]


async def test_a_nonce_can_be_used_only_once(client):
    user, _, _ = await make_user()
    headers = bearer_headers(user)
    account = Account.create()
    body = await challenge_for(client, headers, account.address)
    payload = {"message": body["message"], "signature": sign(account, body["message"])}
    assert (await client.post(WALLETS, headers=headers, json=payload)).status_code == 201
    again = await client.post(WALLETS, headers=headers, json=payload)
    assert again.status_code == 400
    assert "already been used" in again.json()["detail"]


async def test_an_expired_challenge_is_400(client):
    user, _, _ = await make_user()
    headers = bearer_headers(user)
    account = Account.create()
    body = await challenge_for(client, headers, account.address)
    async with open_session() as session:
        await session.execute(sa.text("UPDATE wallet_challenge SET expires_at = '2000-01-01 00:00:00'"))
    response = await client.post(
        WALLETS, headers=headers, json={"message": body["message"], "signature": sign(account, body["message"])}
    )
    assert response.status_code == 400
    assert "expired" in response.json()["detail"]


async def test_an_edited_message_is_400_even_when_signed(client):
    user, _, _ = await make_user()
    headers = bearer_headers(user)
    account = Account.create()
    body = await challenge_for(client, headers, account.address)
    edited = body["message"].replace("Chain ID: 31337", "Chain ID: 1")
    response = await client.post(WALLETS, headers=headers, json={"message": edited, "signature": sign(account, edited)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "message"


async def test_another_users_challenge_cannot_be_redeemed(client):
    owner, _, _ = await make_user()
    thief, _, _ = await make_user()
    account = Account.create()
    body = await challenge_for(client, bearer_headers(owner), account.address)
    payload = {"message": body["message"], "signature": sign(account, body["message"])}
    assert (await client.post(WALLETS, headers=bearer_headers(thief), json=payload)).status_code == 400


async def test_a_wallet_linked_to_another_user_is_409(client):
    first, _, _ = await make_user()
    second, _, _ = await make_user()
    account = Account.create()
    for user, expected in ((first, 201), (second, 409)):
        body = await challenge_for(client, bearer_headers(user), account.address)
        payload = {"message": body["message"], "signature": sign(account, body["message"])}
        assert (await client.post(WALLETS, headers=bearer_headers(user), json=payload)).status_code == expected


async def test_a_challenge_for_a_malformed_address_is_400_naming_address(client):
    user, _, _ = await make_user()
    response = await client.post(CHALLENGE, headers=bearer_headers(user), json={"address": "0x1234"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "address"


async def test_a_challenge_for_a_wrongly_checksummed_address_is_400(client):
    user, _, _ = await make_user()
    address = Account.create().address
    flipped = address[:2] + "".join(c.swapcase() if c.isalpha() else c for c in address[2:])
    response = await client.post(CHALLENGE, headers=bearer_headers(user), json={"address": flipped})
    assert response.status_code == 400
