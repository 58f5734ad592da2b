"""The transaction outbox: services write a ``TxIntent`` in their own DB transaction.

    from partisipro.chain import outbox

    await outbox.enqueue_intent(
        session, contract="IdentityRegistry", address=registry, function="registerIdentity",
        args=[wallet, investor_hash, country, expiry], idempotency_key=f"kyc-register:{wallet}",
    )

Nothing is sent until the caller's transaction commits (the sender only sees committed
rows), so the business change and the chain work are all-or-nothing. The calldata is
encoded here, so bad arguments fail in the caller, not later in the worker. The same
``idempotency_key`` twice returns the first intent (a retried request makes one
transaction). ``contract="native"`` with ``function=""`` is a plain value transfer.
"""

from __future__ import annotations

from typing import Any

from eth_utils import is_address, to_checksum_address
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain.client import NATIVE, encode_call
from partisipro.chain.models import IntentStatus, TxIntent
from partisipro.settings import get_settings

__all__ = ["NATIVE", "IntentStatus", "TxIntent", "enqueue_intent", "get_intent"]


def _storable(value: Any) -> Any:
    """Arguments as JSON for display (ints as strings: MySQL JSON numbers are doubles)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _storable(v) for k, v in value.items()}
    return value


async def enqueue_intent(
    session: AsyncSession,
    *,
    contract: str,
    address: str,
    function: str,
    args: list[Any],
    idempotency_key: str,
    value: int = 0,
) -> TxIntent:
    """Write a transaction intent in the caller's transaction and return it."""
    if not idempotency_key or len(idempotency_key) > 191:
        raise ValueError("idempotency_key must be 1..191 characters")
    if not is_address(address):
        raise ValueError(f"not an address: {address!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("value must be a non-negative integer of wei")
    existing = await get_intent(session, idempotency_key)
    if existing is not None:
        return existing
    if contract == NATIVE:
        if function or args:
            raise ValueError("a native transfer has no function or arguments")
        data = "0x"
    else:
        data = encode_call(contract, function, list(args))
    intent = TxIntent(
        idempotency_key=idempotency_key,
        chain_id=get_settings().chain_id,
        contract=contract,
        address=to_checksum_address(address),
        function=function,
        args=_storable(list(args)),
        value=value,
        data=data,
        status=IntentStatus.PENDING,
        previous_hashes=[],
        attempts=0,
        replacements=0,
    )
    try:
        async with session.begin_nested():
            session.add(intent)
    except IntegrityError:
        # A concurrent transaction wrote the same key first: that one is the intent.
        found = await get_intent(session, idempotency_key)
        if found is None:
            raise
        return found
    return intent


async def get_intent(session: AsyncSession, idempotency_key: str) -> TxIntent | None:
    return await session.scalar(select(TxIntent).where(TxIntent.idempotency_key == idempotency_key))
