"""Writes to the on-chain IdentityRegistry, through the chain transaction outbox.

An approval registers every verified wallet of the investor (``registerIdentity(wallet,
investorId, country, expiry)``); revocation and expiry remove them (``removeIdentity``). Each
write is a ``RegistryEntry`` row plus a ``TxIntent`` in the same DB transaction as the KYC
change, with an idempotency key per (application, wallet, action), so a retried request or job
never sends twice. The wallet's ``registered_on_chain`` flag follows the registry's events
(``kyc.jobs`` indexer handlers), not the request.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable

import structlog
from partisipro.settings import get_settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kyc.identity import country_code
from kyc.models import KycApplication, RegistryEntry

log = structlog.get_logger("kyc.registry")

CONTRACT = "IdentityRegistry"

AddressResolver = Callable[[AsyncSession], Awaitable[str | None]]
_resolver: AddressResolver | None = None


def set_address_resolver(fn: AddressResolver | None) -> None:
    """Override where the registry lives (tests, or a chain module that knows deployments)."""
    global _resolver
    _resolver = fn


async def registry_address(session: AsyncSession) -> str | None:
    """The active IdentityRegistry of this chain, as ``partisipro chain deploy`` recorded it."""
    if _resolver is not None:
        return await _resolver(session)
    from partisipro.chain.models import Deployment

    found = await session.scalar(
        select(Deployment.address).where(
            Deployment.chain_id == get_settings().chain_id,
            Deployment.name.in_(("identity_registry", CONTRACT)),
            Deployment.active.is_(True),
        )
    )
    return str(found) if found else None


def investor_id(user_id: uuid.UUID) -> str:
    """bytes24 investor id: the first 24 bytes of SHA-256 over the platform's investor id."""
    return "0x" + hashlib.sha256(b"partisipro-investor:" + user_id.bytes).digest()[:24].hex()


async def register(
    session: AsyncSession, application: KycApplication, addresses: list[str], *, expiry_ts: int
) -> list[RegistryEntry]:
    """Ask the registry to register ``addresses`` for this approved application."""
    from partisipro.chain import outbox

    registry = await registry_address(session)
    entries: list[RegistryEntry] = []
    for address in addresses:
        existing = await session.scalar(
            select(RegistryEntry).where(
                RegistryEntry.application_id == application.id, RegistryEntry.address == address
            )
        )
        if existing is not None:
            entries.append(existing)
            continue
        key = f"kyc-register:{application.id}:{address}"
        entry = RegistryEntry(
            application_id=application.id,
            user_id=application.user_id,
            address=address,
            state="register_requested",
            expiry_ts=expiry_ts,
            register_key=key,
        )
        session.add(entry)
        entries.append(entry)
        if registry is None:
            log.warning("no IdentityRegistry address known; registration left pending", address=address)
            entry.state = "register_pending"
            continue
        await outbox.enqueue_intent(
            session,
            contract=CONTRACT,
            address=registry,
            function="registerIdentity",
            args=[address, investor_id(application.user_id), country_code(application.nationality), expiry_ts],
            idempotency_key=key,
        )
    await session.flush()
    return entries


async def remove_all(session: AsyncSession, application: KycApplication, *, why: str) -> list[RegistryEntry]:
    """Ask the registry to remove every wallet this application registered."""
    from partisipro.chain import outbox

    registry = await registry_address(session)
    entries = list(
        await session.scalars(
            select(RegistryEntry).where(
                RegistryEntry.application_id == application.id,
                RegistryEntry.state.in_(("register_requested", "registered", "register_pending")),
            )
        )
    )
    for entry in entries:
        if entry.state == "register_pending" or registry is None:
            entry.state = "removed"  # never reached the chain
            continue
        entry.remove_key = f"kyc-remove:{why}:{application.id}:{entry.address}"
        entry.state = "remove_requested"
        await outbox.enqueue_intent(
            session,
            contract=CONTRACT,
            address=registry,
            function="removeIdentity",
            args=[entry.address],
            idempotency_key=entry.remove_key,
        )
    await session.flush()
    return entries
