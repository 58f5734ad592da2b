"""Security primitives: argon2 passwords, JWT access tokens, refresh token digests, TOTP helpers."""

import base64
import json
import time
import uuid

import pyotp
import pytest
from argon2 import PasswordHasher
from authlib.jose import JsonWebToken
from partisipro.auth import totp
from partisipro.errors import Unauthorized
from partisipro.security import (
    Principal,
    decode_access_token,
    hash_password,
    issue_access_token,
    new_token,
    token_digest,
    verify_password,
)
from partisipro.settings import get_settings


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_password_verifies_against_its_argon2id_hash_and_a_wrong_one_does_not():
    stored = hash_password("correct horse battery 9")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery 9")
    assert not verify_password(stored, "correct horse battery 8")


def test_verifying_against_no_hash_is_false_but_still_runs_one_argon2_verification(monkeypatch):
    calls = []
    original = PasswordHasher.verify

    def counting_verify(self, hash_, password):
        calls.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    assert verify_password(None, "anything") is False
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_a_corrupt_hash_is_a_failed_verification_not_an_error():
    assert verify_password("not-a-hash", "anything") is False


def test_an_access_token_round_trips_user_roles_and_session():
    user_id = uuid.uuid4()
    token, ttl = issue_access_token(user_id, ["investor", "spv"], "family-1")
    assert ttl == 900
    principal = decode_access_token(token)
    assert principal == Principal(user_id=user_id, roles=frozenset({"investor", "spv"}), session_id="family-1")


def test_an_alg_none_token_is_rejected():
    now = int(time.time())
    claims = {"iss": "partisipro", "sub": str(uuid.uuid4()), "exp": now + 60, "typ": "access", "roles": ["admin"]}
    with pytest.raises(Unauthorized):
        decode_access_token(f"{_b64({'alg': 'none'})}.{_b64(claims)}.")


def test_a_token_signed_with_another_key_is_rejected():
    now = int(time.time())
    claims = {"iss": "partisipro", "sub": str(uuid.uuid4()), "exp": now + 60, "typ": "access", "roles": ["admin"]}
    token = JsonWebToken(["HS256"]).encode({"alg": "HS256"}, claims, b"some other secret of enough size").decode()
    with pytest.raises(Unauthorized):
        decode_access_token(token)


def test_an_expired_token_is_rejected(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
    token, _ = issue_access_token(uuid.uuid4(), ["investor"], "f")
    monkeypatch.undo()
    with pytest.raises(Unauthorized):
        decode_access_token(token)


def test_a_token_of_another_type_is_rejected():
    now = int(time.time())
    claims = {"iss": "partisipro", "sub": str(uuid.uuid4()), "exp": now + 60, "typ": "refresh"}
    token = JsonWebToken(["HS256"]).encode({"alg": "HS256"}, claims, get_settings().jwt_secret.encode()).decode()
    with pytest.raises(Unauthorized):
        decode_access_token(token)


def test_new_tokens_are_random_and_stored_as_sha256_hex():
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 40
    assert len(token_digest(first)) == 64
    assert token_digest(first) == token_digest(first) != token_digest(second)


def test_a_totp_code_is_accepted_once_per_step():
    secret = pyotp.random_base32()
    at = 1_700_000_000.0
    code = pyotp.TOTP(secret).at(at)
    step = totp.accept(secret, code, None, at=at)
    assert step == int(at) // 30
    assert totp.accept(secret, code, step, at=at) is None


def test_a_totp_code_from_the_previous_step_is_accepted_but_not_from_two_steps_back():
    secret = pyotp.random_base32()
    at = 1_700_000_000.0
    previous = pyotp.TOTP(secret).at(at - 30)
    too_old = pyotp.TOTP(secret).at(at - 60)
    assert totp.accept(secret, previous, None, at=at) == int(at) // 30 - 1
    assert totp.accept(secret, too_old, None, at=at) is None


def test_a_totp_code_older_than_the_last_used_step_is_refused():
    secret = pyotp.random_base32()
    at = 1_700_000_000.0
    previous = pyotp.TOTP(secret).at(at - 30)
    assert totp.accept(secret, previous, int(at) // 30, at=at) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 456"])
def test_malformed_totp_codes_are_refused(code):
    assert totp.accept(pyotp.random_base32(), code, None) is None


def test_the_provisioning_uri_names_the_issuer_and_account():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ana@example.com")
    assert uri.startswith("otpauth://totp/Partisipro:ana%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert "issuer=Partisipro" in uri
