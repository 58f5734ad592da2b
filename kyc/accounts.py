"""The few facts KYC needs about accounts (name, email, locale, linked wallets).

Read-only lookups of the auth domain's tables, kept in this one module so the coupling is
visible; the only write is the ``registered_on_chain`` flag of a wallet, which belongs to
the identity-registry state KYC owns.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from partisipro.auth.models import User, Wallet
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    full_name: str
    locale: str


async def account(session: AsyncSession, user_id: uuid.UUID) -> Account | None:
    row = (
        await session.execute(select(User.id, User.email, User.full_name, User.locale).where(User.id == user_id))
    ).one_or_none()
    return Account(*row) if row else None


async def compliance_officers(session: AsyncSession, *, exclude: uuid.UUID | None = None) -> list[Account]:
    rows = (
        await session.execute(
            select(User.id, User.email, User.full_name, User.locale).where(
                User.roles_csv.contains("compliance"), User.is_active.is_(True)
            )
        )
    ).all()
    return [Account(*row) for row in rows if row[0] != exclude]


async def wallet_addresses(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(select(Wallet.address).where(Wallet.user_id == user_id).order_by(Wallet.verified_at))
    return list(rows)


async def wallet_owner(session: AsyncSession, address: str) -> uuid.UUID | None:
    return await session.scalar(select(Wallet.user_id).where(Wallet.address == address))


async def set_registered(session: AsyncSession, address: str, registered: bool, at: dt.datetime | None) -> None:
    await session.execute(
        update(Wallet)
        .where(Wallet.address == address)
        .values(registered_on_chain=registered, registered_at=at if registered else None)
    )
