"""Wire shapes of the chain endpoints (amounts and wei as decimal strings)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
AMOUNT_PATTERN = r"^[0-9]{1,30}$"


class TransactionOut(msgspec.Struct):
    id: uuid.UUID
    idempotency_key: str
    status: str
    contract: str
    address: str
    function: str
    args: list[Any]
    value: str
    signer: str | None
    nonce: int | None
    tx_hash: str | None
    previous_hashes: list[str]
    replacements: int
    attempts: int
    gas_limit: int | None
    gas_used: int | None
    block_number: int | None
    error: str | None
    created_at: dt.datetime
    signed_at: dt.datetime | None
    sent_at: dt.datetime | None
    mined_at: dt.datetime | None


class TransactionPageOut(msgspec.Struct):
    items: list[TransactionOut]
    total: int
    limit: int
    offset: int


class FaucetIn(msgspec.Struct, forbid_unknown_fields=True):
    address: Annotated[str, msgspec.Meta(pattern=ADDRESS_PATTERN, max_length=42)]
    amount: Annotated[str, msgspec.Meta(pattern=AMOUNT_PATTERN, max_length=30)]


class FaucetOut(msgspec.Struct):
    address: str
    token: str
    amount: str
    token_balance: str
    eth_added: str
    eth_balance: str
    transactions: list[str]
