"""Chain services for the API: the admin's transaction list and the dev faucet."""

from __future__ import annotations

import asyncio
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from eth_account import Account
from eth_utils import is_address, to_checksum_address
from sqlalchemy import func, select

from partisipro.chain import client, deployment
from partisipro.chain.client import ChainUnavailable, RpcError, to_int
from partisipro.chain.models import IntentStatus, TxIntent
from partisipro.chain.schemas import FaucetOut, TransactionOut, TransactionPageOut
from partisipro.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from partisipro.settings import get_settings

# Anvil's well-known account #9 pays the faucet's gas (never the platform signer: that key's
# nonces belong to the nonce manager). MockStablecoin's mint is open to anyone.
FAUCET_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"
FAUCET_ETH_WEI = 10**18
FAUCET_MAX_AMOUNT = 10**15  # 1e9 whole units of a 6-decimals stablecoin


class TxIntentRepository(SQLAlchemyAsyncRepository[TxIntent]):
    model_type = TxIntent


class TransactionService(SQLAlchemyAsyncRepositoryService[TxIntent]):
    repository_type = TxIntentRepository

    async def page(self, *, status: str | None, limit: int, offset: int) -> TransactionPageOut:
        if status is not None and status not in IntentStatus.ALL:
            raise BadRequest.field("status", f"one of {', '.join(IntentStatus.ALL)}")
        query = select(TxIntent)
        count = select(func.count()).select_from(TxIntent)
        if status is not None:
            query = query.where(TxIntent.status == status)
            count = count.where(TxIntent.status == status)
        rows = await self.repository.session.scalars(
            query.order_by(TxIntent.created_at.desc(), TxIntent.id).limit(limit).offset(offset)
        )
        total = int(await self.repository.session.scalar(count) or 0)
        return TransactionPageOut([transaction_out(r) for r in rows], total, limit, offset)


def transaction_out(row: TxIntent) -> TransactionOut:
    return TransactionOut(
        id=row.id,
        idempotency_key=row.idempotency_key,
        status=row.status,
        contract=row.contract,
        address=row.address,
        function=row.function,
        args=list(row.args or []),
        value=str(row.value),
        signer=row.signer,
        nonce=row.nonce,
        tx_hash=row.tx_hash,
        previous_hashes=[h for h in (row.previous_hashes or []) if h],
        replacements=row.replacements,
        attempts=row.attempts,
        gas_limit=row.gas_limit,
        gas_used=row.gas_used,
        block_number=row.block_number,
        error=row.error,
        created_at=row.created_at,
        signed_at=row.signed_at,
        sent_at=row.sent_at,
        mined_at=row.mined_at,
    )


_faucet_lock = asyncio.Lock()


async def faucet(address: str, amount: str) -> FaucetOut:
    """Dev profile: mint ``amount`` mock stablecoin to ``address`` and add 1 ETH (404 in production)."""
    settings = get_settings()
    if settings.is_production:
        raise NotFound("Not found")
    if not is_address(address):
        raise BadRequest.field("address", "not an Ethereum address")
    value = int(amount)
    if value <= 0 or value > FAUCET_MAX_AMOUNT:
        raise BadRequest.field("amount", f"between 1 and {FAUCET_MAX_AMOUNT} base units")
    wallet = to_checksum_address(address)
    token = await deployment.address_of("mock_stablecoin")
    if token is None:
        raise Conflict("the platform is not deployed on this chain (run `partisipro chain deploy`)")
    payer = Account.from_key(FAUCET_KEY)
    try:
        async with _faucet_lock:
            balance = to_int(await client.rpc("eth_getBalance", [wallet, "latest"]))
            await client.rpc("anvil_setBalance", [wallet, hex(balance + FAUCET_ETH_WEI)])
            tx_hash = await _send(payer, token, client.encode_call("MockStablecoin", "mint", [wallet, value]))
        receipt = await _receipt(tx_hash)
        if to_int(receipt.get("status")) != 1:
            raise Conflict("the mint reverted")
        token_balance = to_int(
            await client.rpc(
                "eth_call",
                [{"to": token, "data": client.encode_call("MockStablecoin", "balanceOf", [wallet])}, "latest"],
            )
        )
        eth_balance = to_int(await client.rpc("eth_getBalance", [wallet, "latest"]))
    except ChainUnavailable as exc:
        raise ServiceUnavailable("the chain does not answer") from exc
    except RpcError as exc:
        raise Conflict(f"the local chain refused the faucet: {exc.message}") from exc
    return FaucetOut(
        address=wallet,
        token=token,
        amount=str(value),
        token_balance=str(token_balance),
        eth_added=str(FAUCET_ETH_WEI),
        eth_balance=str(eth_balance),
        transactions=[tx_hash],
    )


async def _send(payer: Any, to: str, data: str) -> str:
    nonce = await client.nonce_of(payer.address, "pending")
    block = await client.get_block("latest")
    base = to_int((block or {}).get("baseFeePerGas"))
    tx = {
        "type": 2,
        "chainId": get_settings().chain_id,
        "nonce": nonce,
        "to": to,
        "value": 0,
        "gas": 200_000,
        "maxFeePerGas": 2 * base + 1,
        "maxPriorityFeePerGas": 1,
        "data": data,
    }
    signed = payer.sign_transaction(tx)
    return str(await client.rpc("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()]))


async def _receipt(tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        receipt = await client.rpc("eth_getTransactionReceipt", [tx_hash])
        if receipt is not None and receipt.get("blockNumber") is not None:
            return receipt
        if loop.time() > deadline:
            raise ServiceUnavailable("the faucet transaction was not mined in time")
        await asyncio.sleep(0.05)
