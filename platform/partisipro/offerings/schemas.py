"""Wire shapes of offerings, investments, the portfolio and stats."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

AmountStr = Annotated[
    str, Meta(pattern=r"^[0-9]{1,70}$", description="integer amount of base units as a decimal string")
]
Address = Annotated[str, Meta(pattern=r"^0x[0-9a-fA-F]{40}$", description="EVM address")]
SignedTx = Annotated[str, Meta(pattern=r"^0x[0-9a-fA-F]{2,100000}$", description="a signed raw transaction")]


class UnsignedTransaction(Struct):
    """A transaction for the client to sign: ``value`` is a decimal string of wei, ``gas`` an int limit."""

    to: str
    data: str
    value: str
    chain_id: int
    gas: int


class OfferingView(Struct):
    """Offering terms, plus the chain state once deployed.

    ``status``: draft (not deployed yet), upcoming, open, closed (ended or hard cap reached, not
    finalized), funded (finalized, soft cap met), failed (finalized, soft cap missed).
    """

    status: str
    price_per_token: str
    soft_cap: str
    hard_cap: str
    min_investment: str
    max_investment: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    raised: str = "0"
    investors: int = 0
    remaining: str | None = None
    finalized: bool = False
    address: str | None = None


class InvestmentCreate(Struct, forbid_unknown_fields=True):
    project_id: uuid.UUID
    amount: AmountStr
    wallet: Address
    method: Literal["approve", "permit"] = "approve"


class PermitData(Struct):
    """EIP-712 typed data for the stablecoin's ``permit``; sign it, then send ``invest_with_permit``.

    ``invest_with_permit`` is the Offering's ``investWithPermit(amount, deadline, v, r, s)``
    selector and arguments described in ``call``.
    """

    typed_data: dict[str, Any]
    deadline: int
    call: dict[str, Any]


class Investment(Struct):
    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    symbol: str
    wallet: str
    amount: str
    status: str
    method: str
    created_at: dt.datetime
    tx_hash: str | None = None
    confirmed_at: dt.datetime | None = None
    cancel_deadline: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    refunded_at: dt.datetime | None = None
    settled_at: dt.datetime | None = None
    tokens: str | None = None
    transactions: list[UnsignedTransaction] = msgspec.field(default_factory=list)
    permit: PermitData | None = None


class InvestmentPage(Struct):
    items: list[Investment]
    total: int
    limit: int
    offset: int


class BroadcastRequest(Struct, forbid_unknown_fields=True):
    signed_transactions: Annotated[list[SignedTx], Meta(min_length=1, max_length=3)]


class BroadcastResult(Struct):
    id: uuid.UUID
    status: str
    tx_hashes: list[str]


class CancelResult(Struct):
    id: uuid.UUID
    status: str
    cancel_deadline: dt.datetime | None
    transaction: UnsignedTransaction


class RefundResult(Struct):
    id: uuid.UUID
    status: str
    transaction: UnsignedTransaction


class PortfolioItem(Struct):
    project_id: uuid.UUID
    name: str
    symbol: str
    token_address: str
    offering_status: str
    tokens: str
    invested: str
    pending: str
    claimable: str
    claimed: str
    votes: str


class Portfolio(Struct):
    items: list[PortfolioItem]
    total_invested: str


class Stats(Struct):
    projects: int
    open_offerings: int
    investors: int
    total_raised: str
    total_distributed: str
