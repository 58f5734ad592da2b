"""Chain tables: the transaction outbox, signer nonces, the event store and the indexer's read models.

* ``chain_tx_intent``: one row per platform-sent transaction (the outbox). Written in the
  caller's DB transaction; the sender worker signs, sends and records it.
* ``chain_signer``: one row per signing address holding ``next_nonce`` (the nonce manager
  locks it with ``SELECT ... FOR UPDATE``).
* ``chain_event``: every log the indexer applied, once (unique tx hash + log index). Domain
  read models written by event handlers may reference ``chain_event.id`` with
  ``ON DELETE CASCADE`` so a reorg rollback removes them with the orphaned event.
* ``chain_block``: recent block hashes (the reorg window). ``chain_indexer_state``: the
  checkpoint and the leader lease. ``chain_contract``: every address the indexer watches.
* ``chain_token_balance``: ERC-20 balances per (token, wallet) from Transfer events.
* ``chain_deployment``: the platform contracts ``partisipro chain deploy`` recorded.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partisipro.db import Amount, Base, UTCDateTime, metadata, utcnow

ADDRESS = 42
TX_HASH = 66
BigId = BigInteger().with_variant(Integer, "sqlite")
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql").with_variant(mysql.MEDIUMTEXT(), "mariadb")


class IntentStatus:
    PENDING = "pending"  # written by a service, not yet signed
    SIGNED = "signed"  # nonce assigned, signed raw tx persisted, maybe not broadcast yet
    SENT = "sent"  # broadcast accepted by the node, waiting for the receipt
    MINED = "mined"  # receipt status 1
    REVERTED = "reverted"  # receipt status 0 (the nonce is consumed)
    FAILED = "failed"  # never mined: the call cannot succeed (gas estimation reverts)

    IN_FLIGHT = (SIGNED, SENT)
    FINAL = (MINED, REVERTED, FAILED)
    ALL = (PENDING, SIGNED, SENT, MINED, REVERTED, FAILED)


class TxIntent(Base):
    """A transaction the platform wants on chain. Never sent twice: the nonce, the signed raw
    transaction and its hash are stored before the broadcast, so a restart re-broadcasts the
    very same transaction (same hash) instead of signing a new one."""

    __tablename__ = "chain_tx_intent"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_chain_tx_intent_key"),
        UniqueConstraint("chain_id", "signer", "nonce", name="uq_chain_tx_intent_nonce"),
        Index("ix_chain_tx_intent_status", "status", "created_at"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(191), nullable=False)
    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    contract: Mapped[str] = mapped_column(String(64), nullable=False)
    address: Mapped[str] = mapped_column(String(ADDRESS), nullable=False)
    function: Mapped[str] = mapped_column(String(64), nullable=False)
    args: Mapped[list] = mapped_column(JSON, nullable=False)
    value: Mapped[int] = mapped_column(Amount(), nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=IntentStatus.PENDING)
    signer: Mapped[str | None] = mapped_column(String(ADDRESS), nullable=True)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    data: Mapped[str | None] = mapped_column(LongText, nullable=True)
    gas_limit: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_fee_per_gas: Mapped[int | None] = mapped_column(Amount(), nullable=True)
    max_priority_fee_per_gas: Mapped[int | None] = mapped_column(Amount(), nullable=True)
    raw_tx: Mapped[str | None] = mapped_column(LongText, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(TX_HASH), nullable=True, index=True)
    # Hashes of earlier signatures of this same nonce (fee replacements): any may be mined.
    previous_hashes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    replacements: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The intent was abandoned after its nonce was assigned: ``raw_tx`` is now a 0-value
    # self-transfer that fills the nonce (no gap), and the intent ends ``failed``.
    filler: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    mined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class ChainSigner(Base):
    """The nonce manager's row for one signing address on one chain."""

    __tablename__ = "chain_signer"
    __table_args__ = (UniqueConstraint("chain_id", "address", name="uq_chain_signer"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    address: Mapped[str] = mapped_column(String(ADDRESS), nullable=False)
    next_nonce: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class _EventBase(DeclarativeBase):
    metadata = metadata


class ChainEvent(_EventBase):
    """One applied log. The integer id lets read models cascade-delete with their event."""

    __tablename__ = "chain_event"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_chain_event_log"),
        Index("ix_chain_event_block", "block_number"),
        # Read models replay one contract's events of one kind (treasury dividends, distributions).
        Index("ix_chain_event_contract", "address", "event_name", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_hash: Mapped[str] = mapped_column(String(TX_HASH), nullable=False)
    block_timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tx_hash: Mapped[str] = mapped_column(String(TX_HASH), nullable=False)
    log_index: Mapped[int] = mapped_column(Integer, nullable=False)
    address: Mapped[str] = mapped_column(String(ADDRESS), nullable=False)
    contract_kind: Mapped[str] = mapped_column(String(64), nullable=False)
    event_name: Mapped[str] = mapped_column(String(64), nullable=False)
    # Decoded arguments; integers are stored as decimal strings (MySQL JSON numbers are doubles).
    args: Mapped[dict] = mapped_column(JSON, nullable=False)
    indexed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class ChainBlock(_EventBase):
    """Hash of a recent block the indexer processed (the window it checks for reorgs)."""

    __tablename__ = "chain_block"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(TX_HASH), nullable=False)


class IndexerState(_EventBase):
    """The checkpoint (last applied block) and the leader lease of the one active indexer."""

    __tablename__ = "chain_indexer_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    genesis_hash: Mapped[str | None] = mapped_column(String(TX_HASH), nullable=True)
    checkpoint: Mapped[int] = mapped_column(BigInteger, nullable=False, default=-1)
    head: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Set when a contract is watched from a block the indexer already passed: the leader
    # rolls back to it and replays with the new address set.
    rewind_to: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class WatchedContract(_EventBase):
    """An address whose logs the indexer reads. Contracts found through an event (a project's
    token, offering, ...) point at it and leave with it on a reorg."""

    __tablename__ = "chain_contract"

    address: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    from_block: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # The project's on-chain id or key, for project contracts (the ProjectCreated argument).
    project_ref: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    event_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("chain_event.id", ondelete="CASCADE"), nullable=True, index=True
    )


class TokenBalance(_EventBase):
    """ERC-20 balance of a wallet for a token, the sum of its Transfer events."""

    __tablename__ = "chain_token_balance"

    token: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    wallet: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    balance: Mapped[int] = mapped_column(Amount(), nullable=False, default=0)


class Deployment(Base):
    """A platform contract recorded by ``partisipro chain deploy``."""

    __tablename__ = "chain_deployment"
    __table_args__ = (UniqueConstraint("chain_id", "name", name="uq_chain_deployment"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    address: Mapped[str] = mapped_column(String(ADDRESS), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
