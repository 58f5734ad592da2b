"""The sender worker: turns committed ``TxIntent`` rows into mined transactions, each once.

One pass (``Sender.run_once``) does two things for the platform signer:

1. **reconcile** the intents in flight (``signed``/``sent``), in nonce order, with their rows
   locked (``FOR UPDATE SKIP LOCKED``): a receipt for any hash the intent was ever signed
   with records ``mined`` or ``reverted`` (the revert reason decoded through the ABIs);
   a ``signed`` row without a receipt is (re)broadcast with the *same* raw transaction;
   a ``sent`` row older than the stuck deadline is replaced: same nonce, fees bumped by at
   least 12.5 %, the new signature stored (and committed) before it is broadcast. If the
   chain's nonce passed the intent's nonce while none of its hashes is mined, something
   outside the platform used that nonce: the intent goes back to ``pending`` for a new one.
2. **dispatch** ``pending`` intents in creation order: estimate gas (with a margin) first,
   so an intent whose call reverts fails *before* it takes a nonce; then reserve one nonce
   per estimated intent from the nonce manager, sign, store nonce + raw tx + hash, commit,
   and only then broadcast in nonce order.

Because every signature is persisted before it is broadcast, a worker killed at any point
restarts into (1) and re-broadcasts the very same transactions: an intent is never signed
with two different nonces, and two signatures of one nonce can never both be mined.

Nonce gaps: a nonce is only taken together with a stored signed transaction (one DB
transaction). If the node keeps rejecting a signed transaction for a reason that will not
go away, the intent is abandoned by *filling* its nonce with a 0-value self-transfer (the
intent ends ``failed`` with the reason) so the later nonces are not stuck.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.chain import client, nonce
from partisipro.chain.client import ChainUnavailable, RpcError, to_int
from partisipro.chain.models import IntentStatus, TxIntent
from partisipro.chain.signer import Signer, platform_signer
from partisipro.db import is_retryable_conflict, open_session, utcnow
from partisipro.settings import get_settings

log = structlog.get_logger("partisipro.chain.sender")

FILLER_GAS = 21_000
TRANSIENT_BROADCAST = ("insufficient funds", "underpriced", "nonce too high", "gapped", "future")


@dataclass
class SenderConfig:
    batch_size: int = 50
    gas_multiplier: float = 1.25
    gas_extra: int = 10_000
    stuck_seconds: float = 60.0
    fee_bump: float = 1.125
    estimate_attempts: int = 3
    broadcast_attempts: int = 5
    receipt_concurrency: int = 16

    @classmethod
    def from_settings(cls) -> SenderConfig:
        """Tuning from PARTISIPRO_CHAIN_TX_STUCK_SECONDS and PARTISIPRO_CHAIN_SENDER_BATCH."""
        settings = get_settings()
        return cls(stuck_seconds=settings.chain_tx_stuck_seconds, batch_size=settings.chain_sender_batch)


@dataclass
class _Broadcast:
    intent_id: Any
    nonce: int
    raw: str
    hash: str
    mark_sent: bool


@dataclass
class Sender:
    signer: Signer = field(default_factory=platform_signer)
    config: SenderConfig = field(default_factory=SenderConfig.from_settings)
    chain_id: int = field(default_factory=lambda: get_settings().chain_id)
    _ready: bool = field(default=False, init=False)

    @property
    def address(self) -> str:
        return self.signer.address

    async def run_once(self) -> int:
        """One reconcile + dispatch pass; returns how many intents changed state."""
        if not self._ready:
            await nonce.ensure_signer(self.chain_id, self.address)
            self._ready = True
        changed = 0
        for step in (self.reconcile, self.dispatch):
            try:
                changed += await step()
            except DBAPIError as exc:
                # Two senders touching neighbouring rows can deadlock; InnoDB rolled the victim's
                # transaction back before anything was broadcast, so the next pass redoes it.
                if not is_retryable_conflict(exc):
                    raise
                log.info("sender pass lost a lock conflict; retrying", step=step.__name__)
        return changed

    async def run_until_idle(self, timeout: float = 120.0, poll: float = 0.05) -> None:
        """Run passes until no intent is pending or in flight (tests, the CLI, benchmarks)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.run_once()
            async with open_session(commit=False) as session:
                left = await session.scalar(
                    select(TxIntent.id)
                    .where(
                        TxIntent.chain_id == self.chain_id,
                        TxIntent.status.in_((IntentStatus.PENDING, *IntentStatus.IN_FLIGHT)),
                    )
                    .limit(1)
                )
            if left is None:
                return
            if loop.time() > deadline:
                raise TimeoutError("intents still pending or in flight")
            await asyncio.sleep(poll)

    # -- reconcile -------------------------------------------------------------------------

    async def reconcile(self) -> int:
        changed = 0
        to_broadcast: list[_Broadcast] = []
        async with open_session() as session:
            rows = list(
                await session.scalars(
                    select(TxIntent)
                    .where(
                        TxIntent.chain_id == self.chain_id,
                        TxIntent.signer == self.address,
                        TxIntent.status.in_(IntentStatus.IN_FLIGHT),
                    )
                    .order_by(TxIntent.nonce)
                    .limit(500)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return 0
            # The mined nonce first, receipts second: a nonce passed *before* we looked for
            # receipts and still no receipt means a foreign transaction took it.
            mined_nonce = await client.nonce_of(self.address, "latest")
            receipts = await self._receipts(rows)
            fees: tuple[int, int] | None = None
            now = utcnow()
            for row in rows:
                receipt = receipts.get(row.id)
                if receipt is not None:
                    await self._record(row, receipt)
                    changed += 1
                elif row.nonce is not None and row.nonce < mined_nonce:
                    log.warning(
                        "nonce used outside the platform; intent re-queued", intent=str(row.id), nonce=row.nonce
                    )
                    row.previous_hashes = [*row.previous_hashes, row.tx_hash]
                    row.status, row.nonce, row.tx_hash, row.raw_tx = IntentStatus.PENDING, None, None, None
                    row.signer = None
                    changed += 1
                elif row.status == IntentStatus.SIGNED:
                    to_broadcast.append(_Broadcast(row.id, row.nonce or 0, row.raw_tx or "", row.tx_hash or "", True))
                elif row.sent_at is not None and now - row.sent_at > dt.timedelta(seconds=self.config.stuck_seconds):
                    fees = fees or await self._fees()
                    await self._replace(row, fees)
                    to_broadcast.append(_Broadcast(row.id, row.nonce or 0, row.raw_tx or "", row.tx_hash or "", False))
                    changed += 1
        changed += await self._broadcast(to_broadcast)
        return changed

    async def _receipts(self, rows: list[TxIntent]) -> dict[Any, dict[str, Any]]:
        semaphore = asyncio.Semaphore(self.config.receipt_concurrency)

        async def lookup(row: TxIntent) -> tuple[Any, dict[str, Any] | None]:
            for tx_hash in [row.tx_hash, *reversed(row.previous_hashes or [])]:
                if not tx_hash:
                    continue
                async with semaphore:
                    receipt = await client.rpc("eth_getTransactionReceipt", [tx_hash])
                if receipt is not None and receipt.get("blockNumber") is not None:
                    return row.id, receipt
            return row.id, None

        found = await asyncio.gather(*(lookup(row) for row in rows))
        return {key: receipt for key, receipt in found if receipt is not None}

    async def _record(self, row: TxIntent, receipt: dict[str, Any]) -> None:
        mined_hash = receipt["transactionHash"]
        if mined_hash != row.tx_hash:  # an earlier signature of this nonce was mined
            row.previous_hashes = [h for h in [*row.previous_hashes, row.tx_hash] if h != mined_hash]
            row.tx_hash = mined_hash
        row.block_number = to_int(receipt["blockNumber"])
        row.gas_used = to_int(receipt.get("gasUsed"))
        row.mined_at = utcnow()
        if row.filler:
            row.status = IntentStatus.FAILED
        elif to_int(receipt.get("status")) == 1:
            row.status = IntentStatus.MINED
            row.error = None
        else:
            row.status = IntentStatus.REVERTED
            row.error = (await self._revert_reason(row, row.block_number))[:1000]
        log.info("transaction recorded", intent=str(row.id), status=row.status, nonce=row.nonce, tx_hash=row.tx_hash)

    async def _revert_reason(self, row: TxIntent, block_number: int) -> str:
        call = {
            "from": self.address,
            "to": row.address,
            "data": row.data or "0x",
            "value": hex(row.value),
            "gas": hex(row.gas_limit or 0),
        }
        try:
            await client.rpc("eth_call", [call, hex(max(block_number - 1, 0))])
        except RpcError as exc:
            return client.decode_revert(exc.data) if exc.data else exc.message
        except ChainUnavailable:
            return "reverted (reason unavailable)"
        return "reverted (the call succeeds when replayed; likely out of gas or state-dependent)"

    async def _replace(self, row: TxIntent, fees: tuple[int, int]) -> None:
        base_max, base_priority = fees
        bump = self.config.fee_bump
        priority = max(math.ceil((row.max_priority_fee_per_gas or 0) * bump) + 1, base_priority)
        max_fee = max(math.ceil((row.max_fee_per_gas or 0) * bump) + 1, base_max, priority)
        tx = self._tx(row, row.nonce or 0, row.gas_limit or FILLER_GAS, max_fee, priority)
        signed = await self.signer.sign(tx)
        row.previous_hashes = [*row.previous_hashes, row.tx_hash]
        row.tx_hash, row.raw_tx = signed.hash, signed.raw
        row.max_fee_per_gas, row.max_priority_fee_per_gas = max_fee, priority
        row.replacements += 1
        row.sent_at = utcnow()
        log.warning("stuck transaction replaced", intent=str(row.id), nonce=row.nonce, tx_hash=signed.hash)

    # -- dispatch --------------------------------------------------------------------------

    async def dispatch(self) -> int:
        changed = 0
        to_broadcast: list[_Broadcast] = []
        async with open_session() as session:
            rows = list(
                await session.scalars(
                    select(TxIntent)
                    .where(TxIntent.chain_id == self.chain_id, TxIntent.status == IntentStatus.PENDING)
                    .order_by(TxIntent.created_at, TxIntent.id)
                    .limit(self.config.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return 0
            ready: list[tuple[TxIntent, int]] = []
            for row in rows:
                gas = await self._estimate(session, row)
                if gas is None:
                    changed += row.status == IntentStatus.FAILED
                    continue
                ready.append((row, gas))
            if ready:
                max_fee, priority = await self._fees()
                first = await nonce.reserve(session, chain_id=self.chain_id, address=self.address, count=len(ready))
                now = utcnow()
                for offset, (row, gas) in enumerate(ready):
                    row_nonce = first + offset
                    signed = await self.signer.sign(self._tx(row, row_nonce, gas, max_fee, priority))
                    row.signer, row.nonce, row.gas_limit = self.address, row_nonce, gas
                    row.max_fee_per_gas, row.max_priority_fee_per_gas = max_fee, priority
                    row.raw_tx, row.tx_hash, row.signed_at = signed.raw, signed.hash, now
                    row.status = IntentStatus.SIGNED
                    row.attempts += 1
                    to_broadcast.append(_Broadcast(row.id, row_nonce, signed.raw, signed.hash, True))
                    changed += 1
        # committed: every nonce above is now tied to a stored signed transaction
        await self._broadcast(to_broadcast)
        return changed

    async def _estimate(self, session: AsyncSession, row: TxIntent) -> int | None:
        call = {"from": self.address, "to": row.address, "data": row.data or "0x", "value": hex(row.value)}
        try:
            estimate = to_int(await client.rpc("eth_estimateGas", [call, "pending"]))
        except RpcError as exc:
            reverted = exc.data is not None or "revert" in exc.message.lower()
            reason = client.decode_revert(exc.data) if exc.data else exc.message
            row.error = f"gas estimation failed: {reason}"[:1000]
            row.attempts += 1
            if reverted and row.attempts >= self.config.estimate_attempts:
                row.status = IntentStatus.FAILED
                log.warning("intent failed: the call reverts", intent=str(row.id), reason=reason)
            return None
        return int(estimate * self.config.gas_multiplier) + self.config.gas_extra

    async def _fees(self) -> tuple[int, int]:
        block = await client.get_block("latest")
        base = to_int((block or {}).get("baseFeePerGas"))
        try:
            priority = to_int(await client.rpc("eth_maxPriorityFeePerGas"))
        except RpcError:
            priority = 0
        return 2 * base + priority, priority

    def _tx(self, row: TxIntent, tx_nonce: int, gas: int, max_fee: int, priority: int) -> dict[str, Any]:
        if row.filler:
            return {
                "type": 2,
                "chainId": self.chain_id,
                "nonce": tx_nonce,
                "to": self.address,
                "value": 0,
                "gas": FILLER_GAS,
                "maxFeePerGas": max_fee,
                "maxPriorityFeePerGas": priority,
                "data": "0x",
            }
        return {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": tx_nonce,
            "to": row.address,
            "value": row.value,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "data": row.data or "0x",
        }

    # -- broadcast -------------------------------------------------------------------------

    async def _broadcast(self, items: list[_Broadcast]) -> int:
        """Send stored signed transactions in nonce order; errors leave them for reconcile."""
        sent: list[_Broadcast] = []
        failures: dict[Any, str] = {}
        for item in sorted(items, key=lambda i: i.nonce):
            try:
                await client.rpc("eth_sendRawTransaction", [item.raw])
            except ChainUnavailable as exc:
                log.warning("RPC down; broadcast resumes later", error=str(exc))
                break
            except RpcError as exc:
                message = exc.message.lower()
                if "already known" in message or "known transaction" in message:
                    sent.append(item)
                elif "nonce too low" in message or "already imported" in message:
                    continue  # mined already (or taken): reconcile decides from receipts
                else:
                    failures[item.intent_id] = exc.message
                continue
            sent.append(item)
        if not sent and not failures:
            return 0
        async with open_session() as session:
            now = utcnow()
            for item in sent:
                if item.mark_sent:
                    await session.execute(
                        update(TxIntent)
                        .where(
                            TxIntent.id == item.intent_id,
                            TxIntent.status == IntentStatus.SIGNED,
                            TxIntent.tx_hash == item.hash,
                        )
                        .values(status=IntentStatus.SENT, sent_at=now)
                    )
            for intent_id, message in failures.items():
                await self._broadcast_failed(session, intent_id, message)
        return len(sent)

    async def _broadcast_failed(self, session: AsyncSession, intent_id: Any, message: str) -> None:
        row = await session.get(TxIntent, intent_id, with_for_update=True)
        if row is None or row.status not in IntentStatus.IN_FLIGHT:
            return
        row.error = f"broadcast rejected: {message}"[:1000]
        row.attempts += 1
        lowered = message.lower()
        if "max fee per gas less than block base fee" in lowered or "fee cap" in lowered:
            # fees went up: re-sign this nonce with current fees (same as a stuck replacement)
            await self._replace(row, await self._fees())
            row.status = IntentStatus.SIGNED
            return
        if any(word in lowered for word in TRANSIENT_BROADCAST):
            return
        if row.attempts >= self.config.broadcast_attempts and not row.filler:
            # Abandon the call but keep the nonce: a 0-value self-transfer fills it.
            max_fee, priority = await self._fees()
            row.filler = True
            signed = await self.signer.sign(self._tx(row, row.nonce or 0, FILLER_GAS, max_fee, priority))
            row.previous_hashes = [*row.previous_hashes, row.tx_hash]
            row.tx_hash, row.raw_tx, row.gas_limit = signed.hash, signed.raw, FILLER_GAS
            row.max_fee_per_gas, row.max_priority_fee_per_gas = max_fee, priority
            row.status = IntentStatus.SIGNED
            log.error("intent abandoned; its nonce is filled", intent=str(row.id), reason=message)


_senders: dict[tuple[str, str, int], Sender] = {}


def get_sender() -> Sender:
    """The process's sender for the configured platform signer."""
    settings = get_settings()
    signer = platform_signer(settings)
    key = (settings.chain_rpc_url, signer.address, settings.chain_id)
    if key not in _senders:
        _senders[key] = Sender(signer=signer, chain_id=settings.chain_id)
    return _senders[key]
