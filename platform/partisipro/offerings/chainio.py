"""Everything offerings and projects need from the chain package, in one module.

* platform contract addresses (ProjectFactory, the stablecoin) from ``partisipro.chain``'s
  deployments;
* platform-sent transactions through the outbox (createProject, finalize, settleBatch);
* unsigned transactions for investors, built with ABI encoding only (no RPC). ``value`` is a
  decimal string of wei, ``gas`` a fixed per-function limit that covers the contract's worst
  case (the chain refunds what is not used);
* the few RPC reads that cannot come from a read model (the chain clock for rare actions, the
  stablecoin's permit nonce) and raw-transaction broadcast.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.errors import BadRequest, Conflict, ServiceUnavailable
from partisipro.offerings.schemas import UnsignedTransaction
from partisipro.settings import get_settings

GAS = {
    "approve": 80_000,
    "invest": 300_000,
    "investWithPermit": 360_000,
    "cancel": 150_000,
    "refund": 120_000,
    "finalize": 400_000,
    "settle": 200_000,
}
CREATE_KEY = "project.create:"

# Names a deployment may be recorded under, by role.
_NAMES = {
    "ProjectFactory": ("ProjectFactory", "project_factory"),
    "Stablecoin": ("Stablecoin", "stablecoin", "MockStablecoin", "mock_stablecoin"),
}

AddressResolver = Callable[[AsyncSession, str], Awaitable[str | None]]
_resolver: AddressResolver | None = None
_stablecoin_names: dict[str, str] = {}


def set_address_resolver(fn: AddressResolver | None) -> None:
    """Override where platform contracts live (tests that deploy their own)."""
    global _resolver
    _resolver = fn


async def platform_address(session: AsyncSession, role: str) -> str | None:
    if _resolver is not None:
        return await _resolver(session, role)
    try:
        from partisipro.chain import deployments  # type: ignore[attr-defined]
    except ImportError:
        deployments = None
    if deployments is not None:
        for name in _NAMES[role]:
            found = await deployments.address(session, name)
            if found:
                return str(found)
        return None
    from partisipro.chain.models import Deployment

    row = await session.scalar(
        select(Deployment.address).where(
            Deployment.chain_id == get_settings().chain_id,
            Deployment.name.in_(_NAMES[role]),
            Deployment.active.is_(True),
        )
    )
    return str(row) if row else None


async def require_address(session: AsyncSession, role: str) -> str:
    found = await platform_address(session, role)
    if not found:
        raise ServiceUnavailable(
            f"The {role} contract is not deployed on this chain yet (run `partisipro chain deploy`)"
        )
    return to_checksum_address(found)


async def stablecoin_address(session: AsyncSession) -> str:
    return await require_address(session, "Stablecoin")


def unsigned(contract: str, address: str, function: str, args: list[Any]) -> UnsignedTransaction:
    from partisipro.chain.client import encode_call

    return UnsignedTransaction(
        to=to_checksum_address(address),
        data=encode_call(contract, function, args),
        value="0",
        chain_id=get_settings().chain_id,
        gas=GAS[function],
    )


# ---------------------------------------------------------------- platform-sent (outbox)
async def enqueue_create_project(session: AsyncSession, *, project_id: uuid.UUID, params: dict[str, Any]) -> str:
    from partisipro.chain import outbox

    factory = await require_address(session, "ProjectFactory")
    stablecoin = await stablecoin_address(session)
    settings = get_settings()
    spv = to_checksum_address(params["spv"])
    struct = (
        params["name"],
        params["symbol"],
        spv,
        stablecoin,
        params["price"],
        params["soft_cap"],
        params["hard_cap"],
        params["min_investment"],
        params["max_investment"],
        params["start_time"],
        params["end_time"],
        params["cooling_off"],
        getattr(settings, "governance_voting_delay_seconds", 3600),
        getattr(settings, "governance_voting_period_seconds", 3 * 24 * 3600),
        0,  # proposal threshold: any holder may propose (the API adds its own threshold)
        4,  # quorum: 4 % of the supply
        getattr(settings, "governance_timelock_delay_seconds", 24 * 3600),
    )
    intent = await outbox.enqueue_intent(
        session,
        contract="ProjectFactory",
        address=factory,
        function="createProject",
        args=[struct],
        idempotency_key=f"{CREATE_KEY}{project_id}",
    )
    return str(intent.id)


async def project_of_create_tx(session: AsyncSession, tx_hash: str) -> uuid.UUID | None:
    """The project whose createProject intent was mined in ``tx_hash`` (None when sent otherwise)."""
    from partisipro.chain.outbox import TxIntent

    key = await session.scalar(
        select(TxIntent.idempotency_key).where(
            or_(TxIntent.tx_hash == tx_hash, TxIntent.tx_hash == tx_hash.lower()),
            TxIntent.idempotency_key.startswith(CREATE_KEY),
        )
    )
    if not key:
        return None
    try:
        return uuid.UUID(key.removeprefix(CREATE_KEY))
    except ValueError:
        return None


async def enqueue_finalize(session: AsyncSession, project_id: uuid.UUID, offering: str) -> str:
    from partisipro.chain import outbox

    intent = await outbox.enqueue_intent(
        session,
        contract="Offering",
        address=offering,
        function="finalize",
        args=[],
        idempotency_key=f"offering.finalize:{project_id}",
    )
    return str(intent.id)


async def enqueue_settle(session: AsyncSession, offering: str, wallets: list[str], batch: int) -> None:
    """Queue ``settleBatch`` for the wallets (the platform pays the gas; anyone may call it)."""
    from partisipro.chain import outbox

    await outbox.enqueue_intent(
        session,
        contract="Offering",
        address=offering,
        function="settleBatch",
        args=[[to_checksum_address(w) for w in wallets]],
        idempotency_key=f"offering.settle:{offering}:{batch}",
    )


# ---------------------------------------------------------------- RPC reads and broadcast
async def chain_timestamp() -> int:
    """The latest block's timestamp (one RPC call; for rare actions such as cancel and finalize)."""
    from partisipro.chain.client import ChainUnavailable, get_block, to_int

    try:
        block = await get_block("latest")
    except ChainUnavailable as exc:
        raise ServiceUnavailable("The chain does not answer; try again shortly") from exc
    return to_int((block or {}).get("timestamp"))


async def permit_domain(stablecoin: str, owner: str) -> tuple[str, int]:
    """The stablecoin's EIP-712 name (cached) and ``owner``'s permit nonce."""
    from partisipro.chain.client import ChainUnavailable, contract

    token = contract("MockStablecoin", stablecoin)
    try:
        name = _stablecoin_names.get(stablecoin)
        if name is None:
            name = str(await token.functions.name().call())
            _stablecoin_names[stablecoin] = name
        nonce = int(await token.functions.nonces(to_checksum_address(owner)).call())
    except ChainUnavailable as exc:
        raise ServiceUnavailable("The chain does not answer; try again shortly") from exc
    return name, nonce


def decode_signed(raw: str) -> dict[str, Any]:
    """Sender, destination and calldata of a signed raw transaction (400 when it is not one)."""
    from eth_account import Account
    from eth_account.typed_transactions import TypedTransaction
    from hexbytes import HexBytes

    try:
        data = HexBytes(raw)
        sender = Account.recover_transaction(data)
        if data[0] <= 0x7F:
            tx = TypedTransaction.from_bytes(data).as_dict()
        else:
            import rlp
            from eth_account._utils.legacy_transactions import Transaction

            tx = rlp.decode(bytes(data), Transaction).as_dict()
    except Exception as exc:
        raise BadRequest.field("signed_transactions", "is not a signed transaction") from exc
    to = tx.get("to")
    return {
        "from": to_checksum_address(sender),
        "to": to_checksum_address(to) if to else None,
        "data": "0x" + bytes(tx.get("data", b"")).hex(),
        "chain_id": int(tx.get("chainId", 0) or 0),
    }


async def send_raw(raw: str) -> str:
    from partisipro.chain.client import ChainUnavailable, RpcError, decode_revert, rpc

    try:
        return str(await rpc("eth_sendRawTransaction", [raw]))
    except RpcError as exc:
        reason = decode_revert(exc.data) if exc.data else exc.message
        raise Conflict(f"The chain refused the transaction: {reason}") from exc
    except ChainUnavailable as exc:
        raise ServiceUnavailable("The chain does not answer; try again shortly") from exc
