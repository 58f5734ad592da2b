"""Accounts: users, their roles, refresh-token families, one-time tokens and linked wallets."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partisipro.db import Base, UTCDateTime


class User(Base):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Comma-separated subset of investor, spv, compliance, admin.
    roles_csv: Mapped[str] = mapped_column(String(100), nullable=False, default="investor")
    locale: Mapped[str] = mapped_column(String(8), nullable=False, default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(nullable=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    wallets: Mapped[list[Wallet]] = relationship(back_populates="user", lazy="selectin")

    @property
    def roles(self) -> list[str]:
        return [r for r in self.roles_csv.split(",") if r]

    @roles.setter
    def roles(self, value: list[str]) -> None:
        self.roles_csv = ",".join(sorted(set(value)))


class RefreshToken(Base):
    """One refresh token of a family (one login). Reusing a rotated token revokes the family."""

    __tablename__ = "refresh_token"
    __table_args__ = (Index("ix_refresh_token_family", "family_id"), Index("ix_refresh_token_user", "user_id"))

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    family_id: Mapped[str] = mapped_column(String(64), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # "full", or "mfa_enroll" for a staff login before TOTP is set up (tokens carry no roles).
    scope: Mapped[str] = mapped_column(String(16), nullable=False, default="full")


class OneTimeToken(Base):
    """Email verification and password reset tokens: stored hashed, single use, expiring."""

    __tablename__ = "one_time_token"
    __table_args__ = (Index("ix_one_time_token_user_purpose", "user_id", "purpose"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    # verify_email | password_reset | staff_invite
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WalletChallenge(Base):
    """An EIP-4361 sign-in message handed out for linking a wallet: single use, 10 minutes."""

    __tablename__ = "wallet_challenge"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    address: Mapped[str] = mapped_column(String(42), nullable=False)
    nonce: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    message: Mapped[str] = mapped_column(String(2000), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Wallet(Base):
    """A wallet proven to belong to a user. One wallet belongs to one user only."""

    __tablename__ = "wallet"
    __table_args__ = (UniqueConstraint("address", name="uq_wallet_address"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    address: Mapped[str] = mapped_column(String(42), nullable=False)  # checksummed
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    registered_on_chain: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship(back_populates="wallets", lazy="noload")
