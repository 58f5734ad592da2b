"""What investing needs from other domains (KYC status and limits, linked wallets), in one module.

KYC is asked through its public functions. Linked wallets are read-only lookups of the auth
domain's wallet table (the same way ``kyc.accounts`` does), kept here so the coupling is visible.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.auth.models import Wallet

# Investments are stablecoin base units; limits are rupiah. The platform's stablecoin is
# rupiah-pegged (1 whole coin = IDR_PER_COIN rupiah) with COIN_DECIMALS decimals.
COIN_DECIMALS = 6
IDR_PER_COIN = 1


def to_idr(amount: int) -> int:
    return amount * IDR_PER_COIN // 10**COIN_DECIMALS


def from_idr(idr: int) -> int:
    return idr * 10**COIN_DECIMALS // IDR_PER_COIN


@dataclass(frozen=True, slots=True)
class KycState:
    status: str  # approved, rejected, expired, none, ...
    expires_at: dt.datetime | None


async def kyc_state(session: AsyncSession, user_id: uuid.UUID) -> KycState:
    """``approved`` only while the approval is unexpired (kyc decides); otherwise the newest status."""
    from kyc import services as kyc_services

    if await kyc_services.is_approved(session, user_id):
        return KycState(status="approved", expires_at=None)
    status = await kyc_services.status_for_user(session, user_id)
    return KycState(status="expired" if status == "approved" else status, expires_at=None)


async def yearly_limit_idr(session: AsyncSession, user_id: uuid.UUID) -> int | None:
    """The investor's yearly limit in rupiah (None when exempt)."""
    from kyc import services as kyc_services

    limits = await kyc_services.limits_for_user(session, user_id)
    if limits.unlimited or limits.yearly_limit is None:
        return None
    return int(limits.yearly_limit)


@dataclass(frozen=True, slots=True)
class LinkedWallet:
    user_id: uuid.UUID
    address: str
    registered_on_chain: bool


async def wallet(session: AsyncSession, address: str) -> LinkedWallet | None:
    row = (
        await session.execute(
            select(Wallet.user_id, Wallet.address, Wallet.registered_on_chain).where(Wallet.address == address)
        )
    ).one_or_none()
    return LinkedWallet(*row) if row else None


async def wallet_owners(session: AsyncSession, addresses: list[str]) -> dict[str, uuid.UUID]:
    if not addresses:
        return {}
    rows = await session.execute(select(Wallet.address, Wallet.user_id).where(Wallet.address.in_(addresses)))
    return {address: user_id for address, user_id in rows.all()}


def wallets_query(user_id: uuid.UUID) -> Select[tuple[str]]:
    """The user's linked wallet addresses, as a subquery for other queries."""
    return select(Wallet.address).where(Wallet.user_id == user_id)


async def wallets_of(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    return list(await session.scalars(select(Wallet.address).where(Wallet.user_id == user_id)))


@dataclass(frozen=True, slots=True)
class Account:
    user_id: uuid.UUID
    email: str
    full_name: str
    locale: str


async def account(session: AsyncSession, user_id: uuid.UUID) -> Account | None:
    from partisipro.auth.models import User

    row = (
        await session.execute(select(User.id, User.email, User.full_name, User.locale).where(User.id == user_id))
    ).one_or_none()
    return Account(*row) if row else None


async def notify(
    session: AsyncSession, event: str, user_id: uuid.UUID | None, context: dict[str, object], *, event_id: str
) -> None:
    """Notify one user (email, feed, push) in the caller's transaction; ``name`` is filled in."""
    if user_id is None:
        return
    import notifications

    who = await account(session, user_id)
    if who is None:
        return
    recipient = notifications.Recipient(user_id=who.user_id, email=who.email, locale=who.locale)
    await notifications.notify(session, event, [recipient], {"name": who.full_name, **context}, event_id=event_id)
