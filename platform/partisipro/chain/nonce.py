"""One nonce manager per signer: a ``chain_signer`` row locked with ``SELECT ... FOR UPDATE``.

Arbitrum keeps no mempool, so a nonce gap makes every later transaction fail. Nonces are
therefore handed out only here, inside the DB transaction that also stores the signed
transaction of each nonce: either both the counter and the signed rows commit, or neither.
Any number of worker processes may reserve concurrently; the row lock serialises them.

If the chain's nonce for the address is ahead of ``next_nonce`` (the key was used outside
the platform, or by ``chain deploy``), the counter jumps forward to it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain import client
from partisipro.chain.models import ChainSigner
from partisipro.db import open_session


async def ensure_signer(chain_id: int, address: str) -> None:
    """Create the signer's row if it does not exist (its own short transaction)."""
    async with open_session() as session:
        found = await session.scalar(
            select(ChainSigner.id).where(ChainSigner.chain_id == chain_id, ChainSigner.address == address)
        )
        if found is not None:
            return
        session.add(ChainSigner(chain_id=chain_id, address=address, next_nonce=0))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()  # another worker created it first


async def reserve(session: AsyncSession, *, chain_id: int, address: str, count: int) -> int:
    """Reserve ``count`` consecutive nonces; returns the first. Holds the signer's row lock
    until ``session`` commits or rolls back, so sign and store before committing."""
    signer = await session.scalar(
        select(ChainSigner).where(ChainSigner.chain_id == chain_id, ChainSigner.address == address).with_for_update()
    )
    if signer is None:
        raise RuntimeError(f"signer {address} has no chain_signer row (call ensure_signer first)")
    on_chain = await client.nonce_of(address, "pending")
    first = max(signer.next_nonce, on_chain)
    signer.next_nonce = first + count
    await session.flush()
    return first


async def release_unused(session: AsyncSession, *, chain_id: int, address: str, first_unused: int) -> None:
    """Give back the tail of a reservation that was not used (still under the row lock)."""
    signer = await session.scalar(
        select(ChainSigner).where(ChainSigner.chain_id == chain_id, ChainSigner.address == address).with_for_update()
    )
    if signer is not None and signer.next_nonce > first_unused:
        signer.next_nonce = first_unused
        await session.flush()
