"""Organisations (KYB) and projects: drafts, documents, review and deployment state."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partisipro.db import Amount, Base, UTCDateTime


class Organization(Base):
    """An SPV's company. ``owner_id`` is the SPV user who registered it and acts for it."""

    __tablename__ = "organization"
    __table_args__ = (
        UniqueConstraint("country", "registration_number", name="uq_organization_registration"),
        Index("ix_organization_owner", "owner_id"),
        Index("ix_organization_status", "status"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), nullable=False)
    legal_name: Mapped[str] = mapped_column(String(200), nullable=False)
    registration_number: Mapped[str] = mapped_column(String(64), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    address: Mapped[str] = mapped_column(String(500), nullable=False)
    # pending_review | approved | rejected
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="pending_review")
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class OrganizationDocument(Base):
    __tablename__ = "organization_document"
    __table_args__ = (Index("ix_organization_document_org", "organization_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)


class Project(Base):
    """A project and its offering terms; the lifecycle of DESIGN.md in ``status``.

    Amounts are stablecoin base units, except ``token_supply`` (whole tokens; the token has
    18 decimals) and ``price_per_token`` (stablecoin base units per whole token).
    """

    __tablename__ = "project"
    __table_args__ = (
        Index("ix_project_status_sector", "status", "sector"),
        Index("ix_project_organization", "organization_id"),
        Index("ix_project_offering_address", "offering_address"),
        UniqueConstraint("chain_project_id", name="uq_project_chain_project_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), nullable=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    symbol: Mapped[str] = mapped_column(String(11), nullable=False)
    description: Mapped[str] = mapped_column(String(5000), nullable=False)
    sector: Mapped[str] = mapped_column(String(32), nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False)
    concession_years: Mapped[int] = mapped_column(Integer, nullable=False)
    token_supply: Mapped[int] = mapped_column(Amount(), nullable=False)
    spv_wallet: Mapped[str | None] = mapped_column(String(42), nullable=True)

    price_per_token: Mapped[int] = mapped_column(Amount(), nullable=False)
    soft_cap: Mapped[int] = mapped_column(Amount(), nullable=False)
    hard_cap: Mapped[int] = mapped_column(Amount(), nullable=False)
    min_investment: Mapped[int] = mapped_column(Amount(), nullable=False)
    max_investment: Mapped[int] = mapped_column(Amount(), nullable=False)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)

    # draft | submitted | approved | rejected | deploying | deployed | funded | failed | operating | closed
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="draft")
    reject_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deployed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    chain_project_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deploy_tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    token_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    offering_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    treasury_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    governor_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    timelock_address: Mapped[str | None] = mapped_column(String(42), nullable=True)


class ProjectDocument(Base):
    __tablename__ = "project_document"
    __table_args__ = (Index("ix_project_document_project", "project_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
