"""Distributions (requested through the API, confirmed by ``Distributed``) and claims (from ``Claimed``)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partisipro.chain.models import BigId
from partisipro.db import Amount, Base, UTCDateTime


class Distribution(Base):
    """One profit distribution of a project.

    ``awaiting_signature``: the SPV asked for it (``period`` is unique per project) and got the
    approve + distribute transactions. ``confirmed``: the indexer applied ``Distributed``
    (``chain_index`` is the token's distribution index). A distribution made on chain without
    the API has no period and no requester.
    """

    __tablename__ = "treasury_distribution"
    __table_args__ = (
        UniqueConstraint("project_id", "period", name="uq_treasury_distribution_period"),
        UniqueConstraint("tx_hash", "log_index", name="uq_treasury_distribution_event"),
        Index("ix_treasury_distribution_project", "project_id", "status"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    period: Mapped[str | None] = mapped_column(String(32), nullable=True)
    amount: Mapped[int] = mapped_column(Amount(), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="awaiting_signature")
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    treasury_address: Mapped[str] = mapped_column(String(42), nullable=False)
    chain_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Claim(Base):
    """A holder's claim paid by the treasury (``Claimed``); leaves with its event on a reorg."""

    __tablename__ = "treasury_claim"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_treasury_claim_event"),
        Index("ix_treasury_claim_project_wallet", "project_id", "wallet"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    wallet: Mapped[str] = mapped_column(String(42), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    amount: Mapped[int] = mapped_column(Amount(), nullable=False)
    tx_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    log_index: Mapped[int] = mapped_column(Integer, nullable=False)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    event_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("chain_event.id", ondelete="CASCADE"), nullable=True, index=True
    )
