"""Wire shapes of proposals, votes and delegation."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from msgspec import Meta, Struct

from partisipro.offerings.schemas import UnsignedTransaction

AmountStr = Annotated[
    str, Meta(pattern=r"^[0-9]{1,70}$", description="integer amount of base units as a decimal string")
]
Address = Annotated[str, Meta(pattern=r"^0x[0-9a-fA-F]{40}$", description="EVM address")]
Signature = Annotated[str, Meta(pattern=r"^0x[0-9a-fA-F]{130}$", description="65-byte ECDSA signature (r, s, v)")]
Uint = Annotated[str, Meta(pattern=r"^[0-9]{1,78}$", description="uint256 as a decimal string")]


class TreasuryTransfer(Struct, tag="treasury_transfer", tag_field="kind", forbid_unknown_fields=True):
    """Pay ``amount`` stablecoin base units from the treasury reserve to ``to`` (through the timelock)."""

    to: Address
    amount: AmountStr


class TextAction(Struct, tag="text", tag_field="kind", forbid_unknown_fields=True):
    """A signalling proposal: the timelock makes a harmless read of the treasury."""


Action = TreasuryTransfer | TextAction


class ProposalCreate(Struct, forbid_unknown_fields=True):
    title: Annotated[str, Meta(min_length=3, max_length=200)]
    description: Annotated[str, Meta(min_length=1, max_length=20_000)]
    actions: Annotated[list[Action], Meta(min_length=1, max_length=10)]
    wallet: Address | None = None  # the proposing wallet (default: the caller's wallet with the most votes)


class Tally(Struct):
    for_votes: str
    against_votes: str
    abstain_votes: str
    quorum: str | None
    voters: int


class VoteView(Struct):
    voter: str
    support: str
    weight: str
    reason: str | None
    status: str
    tx_hash: str | None = None
    cast_at: dt.datetime | None = None


class Proposal(Struct):
    """``state``: awaiting_signature (propose not mined yet), pending, active, succeeded, defeated,
    queued, executed, cancelled. Times are the token's clock (chain timestamps)."""

    id: uuid.UUID
    project_id: uuid.UUID
    proposal_id: str
    governor: str
    state: str
    title: str
    description: str
    description_hash: str
    proposer: str
    actions: list[dict[str, str]]
    tally: Tally
    created_at: dt.datetime
    vote_start: dt.datetime | None = None
    vote_end: dt.datetime | None = None
    eta: dt.datetime | None = None
    created_tx: str | None = None
    queued_tx: str | None = None
    executed_tx: str | None = None
    votes: list[VoteView] | None = None
    transaction: UnsignedTransaction | None = None


class ProposalPage(Struct):
    items: list[Proposal]
    total: int
    limit: int
    offset: int


class VoteCreate(Struct, forbid_unknown_fields=True):
    """Without ``signature``: the unsigned ``castVoteWithReason``. With it: an EIP-712 ``Ballot``
    (or ``ExtendedBallot`` with ``reason`` and empty params when ``reason`` is given) signed by
    the caller's wallet, relayed by the platform."""

    support: Literal["for", "against", "abstain"]
    reason: Annotated[str, Meta(max_length=2000)] | None = None
    signature: Signature | None = None
    wallet: Address | None = None


class VoteResult(Struct):
    proposal_id: str
    voter: str
    support: str
    status: str  # unsigned (sign and send the transaction) or relayed (the platform sends it)
    transaction: UnsignedTransaction | None = None
    typed_data_nonce: str | None = None


class DelegationCreate(Struct, forbid_unknown_fields=True):
    """Without ``signature``: the unsigned ``delegate``. With it: an EIP-712 ``Delegation``
    signed on the token's domain, relayed as ``delegateBySig``."""

    delegatee: Address
    signature: Signature | None = None
    nonce: Uint | None = None
    expiry: Uint | None = None


class DelegationResult(Struct):
    delegatee: str
    delegator: str | None
    status: str  # unsigned or relayed
    transaction: UnsignedTransaction | None = None


class GovernanceTransaction(Struct):
    """The queue or execute transaction of a proposal."""

    proposal_id: str
    action: str
    transaction: UnsignedTransaction
