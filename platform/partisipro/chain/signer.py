"""Who signs platform transactions: a local key (dev, tests) or an AWS KMS secp256k1 key.

Both implement ``Signer``: an ``address`` and ``await sign(tx_dict) -> SignedTx``. The
private key of the KMS signer never leaves KMS; we ask it to sign the transaction's
signing hash and rebuild the recoverable signature (low-s, recovery id by trial).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from eth_account import Account
from eth_account._utils.legacy_transactions import encode_transaction
from eth_account.typed_transactions import TypedTransaction
from eth_keys import keys
from eth_keys.datatypes import PublicKey
from eth_utils import keccak, to_checksum_address

from partisipro.settings import Settings, get_settings

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True, slots=True)
class SignedTx:
    raw: str  # 0x-hex of the signed, encoded transaction
    hash: str  # 0x-hex transaction hash


class Signer(Protocol):
    address: str

    async def sign(self, tx: dict[str, Any]) -> SignedTx: ...


class LocalKeySigner:
    """Signs with a private key held in memory (settings.platform_signer_key)."""

    def __init__(self, private_key: str) -> None:
        self._account = Account.from_key(private_key)
        self.address: str = str(to_checksum_address(self._account.address))

    async def sign(self, tx: dict[str, Any]) -> SignedTx:
        signed = self._account.sign_transaction(tx)
        return SignedTx(raw="0x" + signed.raw_transaction.hex(), hash="0x" + signed.hash.hex())


def _der_integers(der: bytes) -> tuple[int, int]:
    """(r, s) of a DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }."""
    if der[0] != 0x30:
        raise ValueError("not a DER sequence")
    pos = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    values = []
    for _ in range(2):
        if der[pos] != 0x02:
            raise ValueError("not a DER integer")
        length = der[pos + 1]
        values.append(int.from_bytes(der[pos + 2 : pos + 2 + length], "big"))
        pos += 2 + length
    return values[0], values[1]


def _public_key_from_spki(spki: bytes) -> PublicKey:
    # The uncompressed point (0x04 || X || Y) is the last 65 bytes of the SubjectPublicKeyInfo.
    point = spki[-65:]
    if point[0] != 0x04:
        raise ValueError("KMS key is not an uncompressed secp256k1 point")
    return PublicKey(point[1:])


class KmsSigner:
    """Signs with an AWS KMS asymmetric key of spec ECC_SECG_P256K1 (SIGN_VERIFY)."""

    def __init__(self, key_id: str, *, client: Any | None = None, region: str | None = None) -> None:
        import boto3

        self.key_id = key_id
        self._client = client or boto3.client("kms", region_name=region or get_settings().s3_region)
        spki = self._client.get_public_key(KeyId=key_id)["PublicKey"]
        self._public_key = _public_key_from_spki(spki)
        self.address: str = str(to_checksum_address(self._public_key.to_canonical_address()))

    def _sign_digest(self, digest: bytes) -> tuple[int, int, int]:
        answer = self._client.sign(
            KeyId=self.key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
        )
        r, s = _der_integers(answer["Signature"])
        if s > SECP256K1_N // 2:  # Ethereum accepts only low-s signatures
            s = SECP256K1_N - s
        for recovery in (0, 1):
            candidate = keys.Signature(vrs=(recovery, r, s))
            if candidate.recover_public_key_from_msg_hash(digest) == self._public_key:
                return recovery, r, s
        raise ValueError("KMS signature does not recover to the key's public key")

    async def sign(self, tx: dict[str, Any]) -> SignedTx:
        unsigned = TypedTransaction.from_dict(tx)
        digest = unsigned.hash()
        recovery, r, s = await asyncio.to_thread(self._sign_digest, digest)
        raw = encode_transaction(unsigned, vrs=(recovery, r, s))
        return SignedTx(raw="0x" + raw.hex(), hash="0x" + keccak(raw).hex())


@lru_cache(maxsize=4)
def _signer_for(private_key: str, kms_key_id: str) -> Signer:
    if kms_key_id:
        return KmsSigner(kms_key_id)
    if not private_key:
        raise RuntimeError("no platform signer configured (PARTISIPRO_PLATFORM_SIGNER_KEY or _KMS_KEY_ID)")
    return LocalKeySigner(private_key)


def platform_signer(settings: Settings | None = None) -> Signer:
    """The platform's signer from settings (KMS when a key id is set, else the local key)."""
    settings = settings or get_settings()
    return _signer_for(settings.platform_signer_key, settings.platform_signer_kms_key_id)
