"""Field encryption for personal data at rest (AES-256-GCM, rotating keys).

Keys come from ``settings.field_encryption_keys`` (``"keyid:base64key,keyid2:base64key"``, each
key 32 bytes) and new values are written with ``settings.field_encryption_active_key``. A stored
value reads ``enc1:<keyid>:<base64(nonce || ciphertext+tag)>``: the key id travels beside the
ciphertext, so after a rotation old rows still decrypt with their old key (keep it listed) while
new writes use the new one. The column name is bound in as associated data, so a ciphertext
copied into another column does not decrypt.

``blind_index`` is a keyed HMAC used to compare or enforce uniqueness of a secret value (a
national id) without storing it in clear. Its key is derived from the *first* key in the list,
so keep that key listed (first) when rotating the active key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from partisipro.settings import ConfigurationError, get_settings

__all__ = [
    "DecryptionError",
    "EncryptedString",
    "Keyring",
    "blind_index",
    "ciphertext_length",
    "decrypt",
    "encrypt",
    "keyring",
]

PREFIX = "enc1"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    """The value is not ours, was tampered with, or its key is no longer configured."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active: str

    @classmethod
    def parse(cls, spec: str, active: str) -> Keyring:
        keys: dict[str, bytes] = {}
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            if not sep or not key_id or ":" in key_id:
                raise ConfigurationError("field_encryption_keys entries read keyid:base64key")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ConfigurationError(f"field encryption key {key_id!r} is not base64") from exc
            if len(key) != 32:
                raise ConfigurationError(f"field encryption key {key_id!r} must be 32 bytes (AES-256)")
            keys[key_id] = key
        if not keys:
            raise ConfigurationError("no field encryption key configured")
        active = active or next(iter(keys))
        if active not in keys:
            raise ConfigurationError(f"the active field encryption key {active!r} is not in the key list")
        return cls(keys=keys, active=active)

    @property
    def index_key(self) -> bytes:
        first = next(iter(self.keys.values()))
        return hashlib.sha256(b"partisipro-blind-index:" + first).digest()


@lru_cache(maxsize=8)
def _keyring(spec: str, active: str) -> Keyring:
    return Keyring.parse(spec, active)


def keyring() -> Keyring:
    settings = get_settings()
    return _keyring(settings.field_encryption_keys, settings.field_encryption_active_key)


def encrypt(plaintext: str, *, context: str = "", ring: Keyring | None = None) -> str:
    """Encrypt ``plaintext`` with the active key; ``context`` is authenticated (e.g. the column)."""
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.active]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}:{ring.active}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str = "", ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    prefix, _, rest = token.partition(":")
    key_id, _, encoded = rest.partition(":")
    if prefix != PREFIX or not key_id or not encoded:
        raise DecryptionError("not an encrypted field value")
    key = ring.keys.get(key_id)
    if key is None:
        raise DecryptionError(f"field encryption key {key_id!r} is not configured")
    try:
        raw = base64.b64decode(encoded, validate=True)
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise DecryptionError("field value does not decrypt") from exc
    return plain.decode()


def key_id_of(token: str) -> str | None:
    """The key a stored value was written with (for re-encryption after a rotation)."""
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def blind_index(value: str, *, purpose: str) -> str:
    """Hex HMAC-SHA256 of a normalised value: equal inputs give equal digests, nothing else leaks."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(keyring().index_key, message, hashlib.sha256).hexdigest()


def ciphertext_length(plaintext_chars: int, key_id_chars: int = 16) -> int:
    """Column length that holds ``plaintext_chars`` characters (4 UTF-8 bytes each) encrypted."""
    raw = NONCE_BYTES + 4 * plaintext_chars + TAG_BYTES
    return len(PREFIX) + 2 + key_id_chars + 4 * ((raw + 2) // 3)


class EncryptedString(TypeDecorator[str]):
    """A string column stored encrypted; Python sees the plaintext.

    ``EncryptedString(200)`` accepts up to 200 characters and sizes the VARCHAR for the
    ciphertext. ``context`` (usually ``"table.column"``) is bound as associated data.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int, context: str = "", **kwargs: Any) -> None:
        self.max_chars = length
        self.context = context
        super().__init__(ciphertext_length(length), **kwargs)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if len(value) > self.max_chars:
            raise ValueError(f"value longer than {self.max_chars} characters")
        return encrypt(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(value, context=self.context)

    def copy(self, **kw: Any) -> EncryptedString:
        return EncryptedString(self.max_chars, self.context)

    def __repr__(self) -> str:
        # What Alembic writes into migrations: the same constructor call as in the model.
        return f"EncryptedString({self.max_chars}, context={self.context!r})"
