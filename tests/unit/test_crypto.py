"""Field encryption: AES-GCM with the key id beside the ciphertext, rotation, tamper detection."""

from __future__ import annotations

import base64
import os

import pytest
from partisipro.crypto import DecryptionError, Keyring, ciphertext_length, decrypt, encrypt, key_id_of
from partisipro.settings import ConfigurationError


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


OLD, NEW = _key(), _key()


def test_round_trip_and_the_key_id_travels_with_the_ciphertext() -> None:
    ring = Keyring.parse(f"k1:{OLD}", "k1")
    token = encrypt("3171011708450001", context="t.c", ring=ring)
    assert token.startswith("enc1:k1:")
    assert "3171011708450001" not in token
    assert decrypt(token, context="t.c", ring=ring) == "3171011708450001"
    assert key_id_of(token) == "k1"


def test_same_plaintext_encrypts_differently_each_time() -> None:
    ring = Keyring.parse(f"k1:{OLD}", "k1")
    assert encrypt("Siti", ring=ring) != encrypt("Siti", ring=ring)


def test_after_rotation_old_values_still_decrypt_and_new_ones_use_the_new_key() -> None:
    before = Keyring.parse(f"k1:{OLD}", "k1")
    old_token = encrypt("Dewi Lestari", ring=before)
    after = Keyring.parse(f"k1:{OLD},k2:{NEW}", "k2")
    assert decrypt(old_token, ring=after) == "Dewi Lestari"
    assert key_id_of(encrypt("Dewi Lestari", ring=after)) == "k2"


def test_dropping_a_key_that_is_still_in_use_fails_loudly() -> None:
    old_token = encrypt("x", ring=Keyring.parse(f"k1:{OLD}", "k1"))
    with pytest.raises(DecryptionError):
        decrypt(old_token, ring=Keyring.parse(f"k2:{NEW}", "k2"))


def test_tampered_ciphertext_or_other_column_context_does_not_decrypt() -> None:
    ring = Keyring.parse(f"k1:{OLD}", "k1")
    token = encrypt("Siti", context="kyc_application.legal_name", ring=ring)
    with pytest.raises(DecryptionError):
        decrypt(token, context="kyc_application.address", ring=ring)
    raw = bytearray(base64.b64decode(token.split(":", 2)[2]))
    raw[-1] ^= 1
    tampered = "enc1:k1:" + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(DecryptionError):
        decrypt(tampered, context="kyc_application.legal_name", ring=ring)


@pytest.mark.parametrize(
    ("spec", "active"),
    [("", ""), ("k1:notbase64!!", "k1"), (f"k1:{base64.b64encode(b'short').decode()}", "k1"), (f"k1:{OLD}", "k9")],
)
def test_bad_key_configuration_is_refused(spec: str, active: str) -> None:
    with pytest.raises(ConfigurationError):
        Keyring.parse(spec, active)


def test_column_length_fits_the_longest_value() -> None:
    ring = Keyring.parse(f"a-long-key-id-16:{OLD}", "a-long-key-id-16")
    token = encrypt("\U0001f600" * 200, ring=ring)
    assert len(token) <= ciphertext_length(200)
