"""KYC tables: applications, their history, documents, provider webhooks, screening hits and
the identity-registry entries written for an approval.

Personal data (name, birth date, nationality, national id, address, income) is encrypted per
field (``partisipro.crypto.EncryptedString``). What the compliance queue filters and sorts on
(status, investor type, risk, assignment, timestamps) stays in clear. ``national_id_hash`` is a
keyed HMAC of the national id so one id cannot be used by two investors.
"""

from __future__ import annotations

import datetime as dt
import uuid

from advanced_alchemy.types import GUID
from partisipro.crypto import EncryptedString
from partisipro.db import Base, UTCDateTime
from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class KycApplication(Base):
    __tablename__ = "kyc_application"
    __table_args__ = (
        Index("ix_kyc_application_user", "user_id", "created_at"),
        Index("ix_kyc_application_queue", "status", "submitted_at"),
        Index("ix_kyc_application_expiry", "status", "expires_at"),
        Index("ix_kyc_application_nid", "national_id_hash"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="draft")
    investor_type: Mapped[str] = mapped_column(String(16), nullable=False)
    jurisdiction: Mapped[str] = mapped_column(String(8), nullable=False, default="ID")

    legal_name: Mapped[str] = mapped_column(EncryptedString(200, "kyc_application.legal_name"), nullable=False)
    date_of_birth: Mapped[str] = mapped_column(EncryptedString(10, "kyc_application.date_of_birth"), nullable=False)
    nationality: Mapped[str] = mapped_column(EncryptedString(2, "kyc_application.nationality"), nullable=False)
    national_id_number: Mapped[str] = mapped_column(
        EncryptedString(32, "kyc_application.national_id_number"), nullable=False
    )
    national_id_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    address: Mapped[str] = mapped_column(EncryptedString(500, "kyc_application.address"), nullable=False)
    annual_income_idr: Mapped[str] = mapped_column(
        EncryptedString(24, "kyc_application.annual_income_idr"), nullable=False
    )
    securities_account_since: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    risk_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(GUID(), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    first_approver_id: Mapped[uuid.UUID | None] = mapped_column(GUID(), nullable=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(GUID(), nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expiry_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    provider: Mapped[str] = mapped_column(String(16), nullable=False, default="manual")
    provider_applicant_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    provider_review_answer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    provider_reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class KycEvent(Base):
    """The history of an application: every transition with who, why and at what risk."""

    __tablename__ = "kyc_event"
    __table_args__ = (Index("ix_kyc_event_application", "application_id", "created_at"),)

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kyc_application.id", ondelete="CASCADE"), nullable=False
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(GUID(), nullable=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    risk_level: Mapped[str | None] = mapped_column(String(16), nullable=True)


class KycDocument(Base):
    __tablename__ = "kyc_document"
    __table_args__ = (Index("ix_kyc_document_application", "application_id"),)

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kyc_application.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)


class KycWebhookDelivery(Base):
    """One provider webhook delivery, stored once (``dedupe_key``) and applied by a job."""

    __tablename__ = "kyc_webhook_delivery"
    __table_args__ = (
        UniqueConstraint("provider", "dedupe_key", name="uq_kyc_webhook_dedupe"),
        Index("ix_kyc_webhook_pending", "applied_at", "provider_created_at"),
    )

    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(160), nullable=False)
    digest: Mapped[str] = mapped_column(String(128), nullable=False)
    digest_alg: Mapped[str] = mapped_column(String(32), nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    applicant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider_created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    raw_body: Mapped[str] = mapped_column(Text, nullable=False)
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ScreeningHit(Base):
    """A possible sanctions/PEP match of an application against the screening list."""

    __tablename__ = "kyc_screening_hit"
    __table_args__ = (UniqueConstraint("application_id", "entry_id", name="uq_kyc_screening_hit"),)

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kyc_application.id", ondelete="CASCADE"), nullable=False
    )
    entry_id: Mapped[str] = mapped_column(String(128), nullable=False)
    dataset: Mapped[str] = mapped_column(String(200), nullable=False)
    listed_name: Mapped[str] = mapped_column(String(300), nullable=False)
    listed_birth_date: Mapped[str | None] = mapped_column(String(32), nullable=True)
    topics: Mapped[str | None] = mapped_column(String(200), nullable=True)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    birth_date_match: Mapped[bool] = mapped_column(Boolean, nullable=False)
    strength: Mapped[str] = mapped_column(String(16), nullable=False)  # strong | weak
    cleared_by: Mapped[uuid.UUID | None] = mapped_column(GUID(), nullable=True)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    clear_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class RegistryEntry(Base):
    """A wallet written to (or removed from) the on-chain IdentityRegistry for an approval."""

    __tablename__ = "kyc_registry_entry"
    __table_args__ = (
        UniqueConstraint("application_id", "address", name="uq_kyc_registry_entry"),
        Index("ix_kyc_registry_user", "user_id"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kyc_application.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(GUID(), nullable=False)
    address: Mapped[str] = mapped_column(String(42), nullable=False)
    # register_requested -> (chain) registered -> remove_requested -> (chain) removed
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    expiry_ts: Mapped[int] = mapped_column(BigInteger, nullable=False)
    register_key: Mapped[str] = mapped_column(String(128), nullable=False)
    remove_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
