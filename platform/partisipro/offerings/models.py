"""Offering read model (kept from chain events) and investments."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partisipro.db import Amount, Base, UTCDateTime


class OfferingState(Base):
    """One deployed offering: its terms (copied at deployment) and what the chain says so far.

    ``name``/``symbol`` are copied from the project so portfolio and stats never join across
    domains. ``raised`` and ``investors`` are net of cancellations.
    """

    __tablename__ = "offering_state"
    __table_args__ = (
        UniqueConstraint("project_id", name="uq_offering_state_project"),
        UniqueConstraint("address", name="uq_offering_state_address"),
        Index("ix_offering_state_token", "token_address"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    symbol: Mapped[str] = mapped_column(String(11), nullable=False)
    address: Mapped[str] = mapped_column(String(42), nullable=False)
    token_address: Mapped[str] = mapped_column(String(42), nullable=False)
    treasury_address: Mapped[str] = mapped_column(String(42), nullable=False)
    governor_address: Mapped[str] = mapped_column(String(42), nullable=False)
    stablecoin_address: Mapped[str] = mapped_column(String(42), nullable=False)
    price_per_token: Mapped[int] = mapped_column(Amount(), nullable=False)
    soft_cap: Mapped[int] = mapped_column(Amount(), nullable=False)
    hard_cap: Mapped[int] = mapped_column(Amount(), nullable=False)
    min_investment: Mapped[int] = mapped_column(Amount(), nullable=False)
    max_investment: Mapped[int] = mapped_column(Amount(), nullable=False)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    cooling_off_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    raised: Mapped[int] = mapped_column(Amount(), nullable=False, default=0)
    investors: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finalized: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    successful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    finalized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The newest block timestamp seen for this offering (the chain's clock as the read model knows it).
    chain_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Investment(Base):
    """An investment: an intent made through the API and/or what the chain recorded.

    status: awaiting_signature -> confirmed -> cancelled | refunded | settled; an intent whose
    transaction reverted is ``failed``; one never signed is ``expired`` after a while.
    """

    __tablename__ = "investment"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_investment_event"),
        Index("ix_investment_investor", "investor_id", "created_at"),
        Index("ix_investment_project_wallet", "project_id", "wallet"),
        Index("ix_investment_status", "status"),
    )

    investor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    offering_address: Mapped[str] = mapped_column(String(42), nullable=False)
    wallet: Mapped[str] = mapped_column(String(42), nullable=False)
    amount: Mapped[int] = mapped_column(Amount(), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="awaiting_signature")
    # approve (approve + invest), permit (investWithPermit), chain (seen on chain without an intent)
    method: Mapped[str] = mapped_column(String(16), nullable=False, default="approve")
    contribution_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the Offering's id
    broadcast_tx_hashes: Mapped[str | None] = mapped_column(String(700), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    tokens: Mapped[int | None] = mapped_column(Amount(), nullable=True)
    failure: Mapped[str | None] = mapped_column(String(300), nullable=True)
