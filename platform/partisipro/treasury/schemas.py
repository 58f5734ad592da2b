"""Wire shapes of distributions and claims."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from msgspec import Meta, Struct

from partisipro.offerings.schemas import UnsignedTransaction

AmountStr = Annotated[
    str, Meta(pattern=r"^[0-9]{1,70}$", description="integer amount of base units as a decimal string")
]
Address = Annotated[str, Meta(pattern=r"^0x[0-9a-fA-F]{40}$", description="EVM address")]
Period = Annotated[
    str,
    Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/ ]*$", description="e.g. 2025-Q1"),
]


class DistributionCreate(Struct, forbid_unknown_fields=True):
    amount: AmountStr
    period: Period


class Distribution(Struct):
    id: uuid.UUID
    project_id: uuid.UUID
    period: str | None
    amount: str
    status: str
    created_at: dt.datetime
    chain_index: int | None = None
    tx_hash: str | None = None
    confirmed_at: dt.datetime | None = None
    transactions: list[UnsignedTransaction] = []


class DistributionPage(Struct):
    items: list[Distribution]
    total: int
    limit: int
    offset: int
    total_distributed: str = "0"


class WalletClaim(Struct):
    address: str
    claimable: str
    claimed: str


class ProjectClaims(Struct):
    project_id: uuid.UUID
    name: str
    symbol: str
    treasury: str
    claimable: str
    claimed: str
    wallets: list[WalletClaim]


class MyClaims(Struct):
    items: list[ProjectClaims]
    total_claimable: str


class ClaimCreate(Struct, forbid_unknown_fields=True):
    wallet: Address | None = None


class ClaimTransaction(Struct):
    project_id: uuid.UUID
    wallet: str
    amount: str
    transaction: UnsignedTransaction
