"""Proposals (asked through the API, confirmed by ``ProposalCreated``) and votes (from ``VoteCast``)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partisipro.chain.models import BigId
from partisipro.db import Amount, Base, UTCDateTime


class Proposal(Base):
    """One governor proposal of a project.

    ``awaiting_signature``: a holder asked for it through the API and got the ``propose``
    transaction (``proposal_id`` is already known: the governor's ``hashProposal``).
    ``created``: the indexer applied ``ProposalCreated``. The lifecycle after that
    (queued, executed, cancelled) is recorded from the governor's events; pending, active,
    succeeded and defeated follow from the chain clock, the tallies and the quorum.
    """

    __tablename__ = "governance_proposal"
    __table_args__ = (
        UniqueConstraint("project_id", "proposal_id", name="uq_governance_proposal_chain_id"),
        Index("ix_governance_proposal_project", "project_id", "status"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    governor: Mapped[str] = mapped_column(String(42), nullable=False)
    proposal_id: Mapped[str] = mapped_column(String(78), nullable=False)  # uint256 as a decimal string
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="awaiting_signature")
    proposer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    proposer_wallet: Mapped[str] = mapped_column(String(42), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)  # the exact text hashed on chain
    description_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    actions: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    targets: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    call_values: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    calldatas: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    vote_start: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # unix seconds (token clock)
    vote_end: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    quorum: Mapped[int | None] = mapped_column(Amount(), nullable=True)  # read once the snapshot is past
    eta: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    created_log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    queued_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    executed_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    canceled_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    ending_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Vote(Base):
    """One voter's vote on a proposal: ``relayed`` (a signed vote the platform is sending) or
    ``cast`` (``VoteCast`` indexed). Unique per (proposal, voter); a cast vote leaves with its
    event on a reorg (``event_id`` cascades)."""

    __tablename__ = "governance_vote"
    __table_args__ = (UniqueConstraint("proposal_id", "voter", name="uq_governance_vote_voter"),)

    proposal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("governance_proposal.id", ondelete="CASCADE"), nullable=False
    )
    voter: Mapped[str] = mapped_column(String(42), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    support: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 0 against, 1 for, 2 abstain
    weight: Mapped[int] = mapped_column(Amount(), nullable=False, default=0)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="cast")
    intent_key: Mapped[str | None] = mapped_column(String(191), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cast_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    event_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("chain_event.id", ondelete="CASCADE"), nullable=True, index=True
    )
