"""The indexer: chain logs -> ``chain_event`` rows and read models, each event exactly once.

Loop (``Indexer.run_once``):

1. **Lease.** One active indexer: ``chain_indexer_state`` holds an owner and a lease that the
   leader renews every pass; a standby takes over when the lease lapses. Every write
   transaction re-reads the row ``FOR UPDATE`` and aborts if another owner took it (fencing).
2. **Reorg check.** The stored hash of the checkpoint block is compared with the chain's. On
   a mismatch the indexer walks back through the stored hashes (``chain_block``) to the last
   block both agree on, and in one transaction reverts every later event: paired
   ``on_revert`` handlers run newest first, the built-in balances are debited, the events
   are deleted (read models that reference ``chain_event.id`` with ``ON DELETE CASCADE`` go
   with them) and the checkpoint moves back. The next passes replay the new branch.
3. **Range.** Logs of every watched contract from ``checkpoint + 1`` up to the confirmed head
   (``head - chain_confirmations``; on Arbitrum also at most the ``safe`` block), at most
   ``batch_blocks`` blocks, read in up to ``FETCH_SLICES`` raw ``eth_getLogs`` calls (the next
   in flight while one is inserted). A ``ProjectCreated`` cuts the range at its block so the
   next pass already watches the new project's contracts.
4. **Apply.** In one DB transaction: bulk-insert the events (unique ``(tx_hash, log_index)``),
   apply ERC-20 ``Transfer`` deltas to ``chain_token_balance`` (one upsert per
   (token, wallet)), register discovered contracts, run the domains' ``on_event`` handlers
   in log order, store block hashes, advance the checkpoint. A crash before the commit
   leaves nothing; after it, the checkpoint says where to resume.
5. **Publish** each applied event after the commit (``partisipro.events``, channel
   ``public``), plus whatever handlers queued with ``event.publish(channel, payload)``.

Domain handlers::

    from partisipro.chain import indexer

    @indexer.on_event("Offering", "Invested")
    async def investment_confirmed(session, event): ...     # idempotent by event.id

    @indexer.on_revert("Offering", "Invested")
    async def investment_orphaned(session, event): ...      # undo on a reorg

A handler may instead write rows with a foreign key to ``chain_event.id`` ``ON DELETE
CASCADE``: the rollback deletes them with the event and no revert handler is needed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import os
import re
import socket
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, cast

import structlog
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro import events as realtime
from partisipro import readcache
from partisipro.chain import client
from partisipro.chain.artifacts import list_artifacts, load_artifact
from partisipro.chain.client import ChainUnavailable, RpcError, to_int
from partisipro.chain.models import ChainBlock, ChainEvent, IndexerState, TokenBalance, WatchedContract
from partisipro.db import open_session, utcnow
from partisipro.settings import get_settings

log = structlog.get_logger("partisipro.chain.indexer")

ERC20_KINDS = frozenset({"ProjectToken", "MockStablecoin", "ReferenceERC20"})
ZERO = "0x0000000000000000000000000000000000000000"
ARBITRUM_CHAINS = frozenset({42161, 42170, 421614})
# ProjectCreated argument -> the kind (artifact) of the contract it names
PROJECT_CONTRACTS = {
    "token": "ProjectToken",
    "offering": "Offering",
    "treasury": "Treasury",
    "governor": "ProjectGovernor",
    "timelock": "ProjectTimelock",
}
DISCOVERY = {("ProjectFactory", "ProjectCreated")}
BLOCK_WINDOW = 1000  # block hashes kept behind the checkpoint for reorg detection
# A range is read in up to FETCH_SLICES eth_getLogs calls (whole blocks each; a range of at most
# ONE_CALL_BLOCKS blocks, the indexer following the head, in one call), the next slice's call in
# flight while one is decoded and inserted: the database starts on the first slice early and
# no single answer holds up the event loop for long while it is decoded.
FETCH_SLICES = 32
ONE_CALL_BLOCKS = 4
BUILD_ROWS = 250  # rows built between two looks at the insert in flight
INSERT_ROWS = 2000  # at most this many rows in one INSERT statement
AHEAD_ROWS = 2 * INSERT_ROWS  # built rows waiting behind the INSERT in flight before building pauses


# -- events given to handlers -----------------------------------------------------------------


class ChainLog:
    """One log as handlers see it: ``contract_kind``, ``event_name``, ``args`` (decoded on first
    use), ``address``, ``block_number``, ``block_hash``, ``block_timestamp``, ``tx_hash``,
    ``log_index`` and ``id`` (the ``chain_event`` row id)."""

    __slots__ = (
        "_args",
        "_args_json",
        "_data",
        "_decoder",
        "_outbox",
        "_topics",
        "address",
        "block_hash",
        "block_number",
        "block_timestamp",
        "contract_kind",
        "event_name",
        "id",
        "log_index",
        "tx_hash",
    )

    def __init__(
        self,
        contract_kind: str,
        event_name: str,
        args: dict[str, Any] | None,
        address: str,
        block_number: int,
        block_hash: str,
        block_timestamp: int | None,
        tx_hash: str,
        log_index: int,
        id: int | None = None,
        *,
        decoder: EventDecoder | None = None,
        topics: list[str] | None = None,
        data: str = "0x",
    ) -> None:
        self.contract_kind, self.event_name, self.address = contract_kind, event_name, address
        self.block_number, self.block_hash, self.block_timestamp = block_number, block_hash, block_timestamp
        self.tx_hash, self.log_index, self.id = tx_hash, log_index, id
        self._args: dict[str, Any] | None = args
        self._args_json: str | None = None
        self._decoder, self._topics, self._data = decoder, topics, data
        self._outbox: list[tuple[str, dict[str, Any]]] | None = None

    def _decode(self) -> None:
        assert self._decoder is not None and self._topics is not None
        self._args, self._args_json = self._decoder.decode_with_json(self._topics, self._data)

    @property
    def args(self) -> dict[str, Any]:
        if self._args is None:
            self._decode()
        return self._args  # type: ignore[return-value]

    @property
    def args_json(self) -> str:
        """The arguments as stored and published (ints as decimal strings), encoded once."""
        if self._args_json is None:
            if self._args is None and self._decoder is not None:
                self._decode()
            if self._args_json is None:
                self._args_json = json.dumps(_storable(self.args), separators=(",", ":"))
        return self._args_json

    @property
    def plain_args(self) -> bool:
        """``args_json`` holds only argument names, checked hex and digits: nothing to escape."""
        return self._decoder is not None and self._decoder.fast

    @property
    def key(self) -> tuple[str, int]:
        return self.tx_hash, self.log_index

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Queue a real-time message, published only after the indexer's transaction commits."""
        if self._outbox is None:
            self._outbox = []
        self._outbox.append((channel, payload))

    def __repr__(self) -> str:
        return f"ChainLog({self.contract_kind}.{self.event_name} {self.tx_hash}:{self.log_index})"


Handler = Callable[[AsyncSession, ChainLog], Awaitable[None]]
_handlers: dict[tuple[str, str], list[Handler]] = defaultdict(list)
_reverters: dict[tuple[str, str], list[Handler]] = defaultdict(list)


def on_event(contract_kind: str, event_name: str) -> Callable[[Handler], Handler]:
    """Register ``handler(session, event)`` for an event; it runs in the indexer's transaction."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[(contract_kind, event_name)]:
            _handlers[(contract_kind, event_name)].append(handler)
        return handler

    return register


def on_revert(contract_kind: str, event_name: str) -> Callable[[Handler], Handler]:
    """Register the undo of an ``on_event`` handler, run when a reorg orphans the event."""

    def register(handler: Handler) -> Handler:
        if handler not in _reverters[(contract_kind, event_name)]:
            _reverters[(contract_kind, event_name)].append(handler)
        return handler

    return register


# -- decoding ---------------------------------------------------------------------------------

_STATIC_WORD = ("address", "bool", "uint", "int", "bytes")


def _is_static_word(kind: str) -> bool:
    return (
        kind in ("address", "bool")
        or (kind.startswith(("uint", "int")) and "[" not in kind)
        or (kind.startswith("bytes") and kind != "bytes" and "[" not in kind)
    )


_HEX40 = re.compile(r"[0-9a-fA-F]{40}")


@lru_cache(maxsize=65536)
def _checksum(word_tail: str) -> str:
    """EIP-55 for 40 hex digits from the node (``to_checksum_address`` without its generic
    input handling, which costs three times as much; a backlog has thousands of new wallets)."""
    if not _HEX40.fullmatch(word_tail):
        raise ValueError(f"the node returned a malformed address: {word_tail[:80]!r}")
    lower = word_tail.lower()
    digest = keccak(lower.encode("ascii")).hex()
    return "0x" + "".join([c if h < "8" else c.upper() for c, h in zip(lower, digest[:40], strict=True)])


def _word(kind: str, word: str) -> Any:
    if kind == "address":
        return _checksum(word[-40:])
    if kind == "bool":
        return int(word, 16) != 0
    if kind.startswith("uint"):
        return int(word, 16)
    if kind.startswith("int"):
        value = int(word, 16)
        return value - (1 << 256) if value >= 1 << 255 else value
    size = int(kind[5:])  # bytesN
    return "0x" + word[: size * 2]


def _signed(word: str) -> int:
    value = int(word, 16)
    return value - (1 << 256) if value >= 1 << 255 else value


def _quoted(value: Any) -> str:
    return f'"{value}"'


@lru_cache(maxsize=65536)
def _topic_address(topic: str) -> str:
    """The checksummed address in an indexed topic (cached by the whole topic: no slicing)."""
    return _checksum(topic[-40:])


def _converters(kind: str, *, from_topic: bool) -> tuple[Callable[[str], Any], Callable[[Any], str]]:
    """(word -> Python value, value -> JSON text) for a one-word static type; the word is a whole
    ``0x`` topic or 64 hex digits of data. Every text is checked hex or digits, so neither JSON
    nor SQL quoting needs escaping."""
    if kind == "address":
        return (_topic_address if from_topic else lambda w: _checksum(w[-40:])), _quoted
    if kind == "bool":
        return (lambda w: int(w, 16) != 0), (lambda v: "true" if v else "false")
    if kind.startswith("uint"):
        return (lambda w: int(w, 16)), _quoted
    if kind.startswith("int"):
        return _signed, _quoted
    size = int(kind[5:]) * 2  # bytesN
    if from_topic:
        return (lambda w: _hex(w[: 2 + size])), _quoted
    return (lambda w: _hex("0x" + w[:size])), _quoted


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    return value


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class EventDecoder:
    kind: str
    name: str
    inputs: tuple[tuple[str, str, bool], ...]  # (name, canonical type, indexed)
    data_types: list[str] = field(init=False)
    fast: bool = field(init=False)  # every argument is one static word: decode by slicing

    _plan: list[tuple[str, bool, int, Callable[[str], Any], Callable[[Any], str]]] = field(init=False)
    # Static events without bool arguments: the JSON is this template % the values (ints print
    # as digits, addresses and bytes as checked hex, each in quotes).
    _template: str | None = field(init=False)
    _names: tuple[str, ...] = field(init=False)
    _getters: tuple[tuple[bool, int, Callable[[str], Any]], ...] = field(init=False)

    def __post_init__(self) -> None:
        names = [self.kind, self.name, *(n for n, _, _ in self.inputs)]
        if not all(_IDENTIFIER.fullmatch(n) for n in names):
            raise ValueError(f"unexpected artifact, event or argument name in {self.kind}.{self.name}")
        self.data_types = [t for _, t, indexed in self.inputs if not indexed]
        self.fast = all(_is_static_word(t) for _, t, _ in self.inputs)
        self._plan = []
        topic_i = word_i = 0
        for name, kind, indexed in self.inputs:
            if indexed:
                topic_i += 1
            else:
                word_i += 1
            position = topic_i if indexed else word_i - 1
            if self.fast:
                self._plan.append((name, indexed, position, *_converters(kind, from_topic=indexed)))
        self._names = tuple(name for name, *_ in self._plan)
        self._getters = tuple((indexed, position, to_value) for _, indexed, position, to_value, _ in self._plan)
        plain = self.fast and not any(kind == "bool" for _, kind, _ in self.inputs)
        self._template = "{" + ",".join(f'"{n}":"%s"' for n in self._names) + "}" if plain else None

    def decode_with_json(self, topics: list[str], data: str) -> tuple[dict[str, Any], str]:
        """The arguments and their JSON (ints as strings); static events without json.dumps."""
        if not self.fast:
            args = self.decode(topics, data)
            return args, json.dumps(_storable(args), separators=(",", ":"))
        if self._template is not None:
            values = [
                to_value(topics[position] if indexed else data[2 + position * 64 : 66 + position * 64])
                for indexed, position, to_value in self._getters
            ]
            return dict(zip(self._names, values, strict=True)), self._template % tuple(values)
        out: dict[str, Any] = {}
        parts: list[str] = []
        for name, indexed, position, to_value, to_json in self._plan:
            word = topics[position] if indexed else data[2 + position * 64 : 66 + position * 64]
            value = to_value(word)
            out[name] = value
            parts.append(f'"{name}":{to_json(value)}')
        return out, "{" + ",".join(parts) + "}"

    def decode(self, topics: list[str], data: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        topic_i = 1
        body = data[2:]
        if self.fast:
            word_i = 0
            for name, kind, indexed in self.inputs:
                if indexed:
                    out[name] = _word(kind, topics[topic_i][2:])
                    topic_i += 1
                else:
                    out[name] = _word(kind, body[word_i * 64 : (word_i + 1) * 64])
                    word_i += 1
            return out
        values = iter(abi_decode(self.data_types, bytes.fromhex(body)) if self.data_types else ())
        for name, kind, indexed in self.inputs:
            if indexed:
                topic = topics[topic_i]
                topic_i += 1
                out[name] = _word(kind, topic[2:]) if _is_static_word(kind) else topic  # hashed
            else:
                out[name] = _plain(next(values))
        return out

    def revive(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Args read back from ``chain_event.args`` (ints were stored as strings)."""
        out = dict(stored)
        for name, kind, _ in self.inputs:
            if kind.startswith(("uint", "int")) and "[" not in kind and isinstance(out.get(name), str):
                out[name] = int(out[name])
        return out


@cache
def decoders() -> dict[tuple[str, str], EventDecoder]:
    """(contract kind, topic0) -> decoder, for every event of every artifact."""
    out: dict[tuple[str, str], EventDecoder] = {}
    for kind in list_artifacts():
        for item in load_artifact(kind).abi:
            if item.get("type") != "event" or item.get("anonymous"):
                continue
            inputs = tuple(
                (i.get("name") or f"arg{n}", client._canonical_type(i), bool(i.get("indexed")))
                for n, i in enumerate(item.get("inputs", []))
            )
            out[(kind, client.event_topic(item))] = EventDecoder(kind, item["name"], inputs)
    return out


@cache
def decoder_by_name() -> dict[tuple[str, str], EventDecoder]:
    return {(d.kind, d.name): d for d in decoders().values()}


def _storable(args: dict[str, Any]) -> dict[str, Any]:
    def conv(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, list):
            return [conv(v) for v in value]
        return value

    return {k: conv(v) for k, v in args.items()}


# -- the indexer --------------------------------------------------------------------------------


def settle_heap() -> None:
    """Move everything allocated so far (modules, ABIs, mappers) out of the garbage collector's
    sight. A backlog range allocates hundreds of thousands of short-lived objects; without this
    each full collection they trigger walks the whole startup heap again (tens of milliseconds
    a time, measured with ``benchmarks.indexer``)."""
    gc.collect()
    gc.freeze()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a range is applied. A backlog range allocates a few
    hundred thousand short-lived, acyclic objects (decoded logs, rows, messages) that reference
    counting frees; the collections they would trigger walk them all again for nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def confirmations_default() -> int:
    return get_settings().chain_confirmations


@dataclass
class Indexer:
    name: str = "main"
    confirmations: int = field(default_factory=confirmations_default)
    batch_blocks: int = 2000
    lease_seconds: float = 30.0
    publish: bool = True
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    head: int | None = field(default=None, init=False)
    checkpoint: int = field(default=-1, init=False)
    rewind_to: int | None = field(default=None, init=False)
    _publisher: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    # -- public entry points ------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, idle_seconds: float = 0.5) -> None:
        """Index until ``stop`` is set (``partisipro indexer``, the dev profile).

        Domains register their handlers from their ``jobs`` modules, so those are imported
        first (the same registry the worker loads)."""
        from partisipro.jobs import load_domain_jobs

        load_domain_jobs()
        settle_heap()
        log.info("indexer started", owner=self.owner, confirmations=self.confirmations)
        while not stop.is_set():
            try:
                applied = await self.run_once()
            except ChainUnavailable as exc:
                log.warning("chain RPC unavailable; indexer waits", error=str(exc))
                applied = 0
                idle = max(idle_seconds, 2.0)
            except Exception:
                log.exception("indexer pass failed")
                applied = 0
                idle = max(idle_seconds, 2.0)
            else:
                idle = idle_seconds
            if applied == 0 and self.caught_up is not False:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=idle)
                except TimeoutError:
                    pass
        await self.flush()
        await self.release()

    @property
    def caught_up(self) -> bool | None:
        if self.head is None:
            return None
        return self.checkpoint >= self.head - max(self.confirmations, 0)

    async def run_until_caught_up(self, timeout: float = 120.0) -> None:
        """Pass after pass until the checkpoint reaches the confirmed head (tests, benchmarks)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.run_once()
            if self.caught_up:
                await self.flush()
                return
            if loop.time() > deadline:
                raise TimeoutError(f"indexer at {self.checkpoint}, head {self.head}")

    async def run_once(self) -> int:
        """One pass; returns the number of events applied (negative: events rolled back)."""
        head = await client.block_number()
        self.head = head
        target = await self._confirmed_head(head)
        if not await self._acquire(head):
            return 0
        if self.rewind_to is not None:
            rolled = await self.rollback(self.rewind_to)
            return -rolled or -1
        rolled = await self._check_reorg()
        if rolled:
            return -rolled
        start = self.checkpoint + 1
        if start > target:
            return 0
        end = min(target, start + self.batch_blocks - 1)
        with _gc_paused():
            return await self._index_range(start, end)

    async def release(self) -> None:
        async with open_session() as session:
            await session.execute(
                update(IndexerState)
                .where(IndexerState.name == self.name, IndexerState.owner == self.owner)
                .values(owner=None, lease_until=None)
            )

    # -- lease and checkpoint ------------------------------------------------------------------

    async def _confirmed_head(self, head: int) -> int:
        target = head - max(self.confirmations, 0)
        if get_settings().chain_id in ARBITRUM_CHAINS:
            safe = await client.get_block("safe")
            if safe is not None:
                target = min(target, to_int(safe["number"]))
        return target

    async def _acquire(self, head: int) -> bool:
        """Take or renew the lease; False when another live indexer holds it."""
        now = utcnow()
        genesis: str | None = None
        async with open_session() as session:
            state = await self._locked_state(session)
            if state is None:
                genesis = (await client.get_block(0) or {}).get("hash")
                self.checkpoint = await self._start_block(session) - 1
                session.add(
                    IndexerState(
                        name=self.name,
                        chain_id=get_settings().chain_id,
                        genesis_hash=genesis,
                        checkpoint=self.checkpoint,
                        owner=self.owner,
                        lease_until=now + dt.timedelta(seconds=self.lease_seconds),
                        head=head,
                    )
                )
                return True
            if state.owner not in (None, self.owner) and state.lease_until and state.lease_until > now:
                self.checkpoint = state.checkpoint
                return False
            if state.owner != self.owner:
                log.info("indexer lease taken", owner=self.owner, previous=state.owner)
                genesis = (await client.get_block(0) or {}).get("hash")
                if state.genesis_hash and genesis and genesis != state.genesis_hash:
                    await self._forget_chain(session, state, genesis)
            rewind = state.rewind_to
            self.rewind_to = rewind if rewind is not None and rewind < state.checkpoint else None
            state.owner = self.owner
            state.lease_until = now + dt.timedelta(seconds=self.lease_seconds)
            state.head = head
            state.updated_at = now
            self.checkpoint = state.checkpoint
        return True

    async def _locked_state(self, session: AsyncSession) -> IndexerState | None:
        return await session.scalar(select(IndexerState).where(IndexerState.name == self.name).with_for_update())

    async def _fenced_state(self, session: AsyncSession) -> IndexerState:
        state = await self._locked_state(session)
        if state is None or state.owner != self.owner:
            raise LeaseLost(f"indexer lease held by {state.owner if state else None}")
        return state

    async def _start_block(self, session: AsyncSession) -> int:
        first = await session.scalar(select(func.min(WatchedContract.from_block)))
        return int(first or 0)

    async def _forget_chain(self, session: AsyncSession, state: IndexerState, genesis: str) -> None:
        """The node is a different chain than the one indexed (a fresh dev anvil): start over."""
        log.error("chain genesis changed; indexed data dropped", old=state.genesis_hash, new=genesis)
        await session.execute(delete(WatchedContract).where(WatchedContract.event_id.is_not(None)))
        await session.execute(delete(ChainEvent))
        await session.execute(delete(ChainBlock))
        await session.execute(delete(TokenBalance))
        state.genesis_hash = genesis
        state.checkpoint = await self._start_block(session) - 1

    # -- reorgs --------------------------------------------------------------------------------

    async def _check_reorg(self) -> int:
        if self.checkpoint < 0:
            return 0
        async with open_session(commit=False) as session:
            stored = list(
                (
                    await session.execute(
                        select(ChainBlock.number, ChainBlock.hash)
                        .where(ChainBlock.number <= self.checkpoint)
                        .order_by(ChainBlock.number.desc())
                    )
                ).all()
            )
        if not stored:
            return 0
        number, known = stored[0]
        block = await client.get_block(number)
        if block is not None and block["hash"] == known:
            return 0
        ancestor = None
        for number, known in stored[1:]:
            block = await client.get_block(number)
            if block is not None and block["hash"] == known:
                ancestor = number
                break
        if ancestor is None:
            ancestor = stored[-1][0] - 1
            log.error("reorg deeper than the stored window; rolling back the whole window", to=ancestor)
        return await self.rollback(ancestor)

    async def rollback(self, ancestor: int) -> int:
        """Revert every event after block ``ancestor`` and move the checkpoint back to it."""
        async with open_session() as session:
            state = await self._fenced_state(session)
            rows = list(
                await session.scalars(
                    select(ChainEvent).where(ChainEvent.block_number > ancestor).order_by(ChainEvent.id.desc())
                )
            )
            reverted = [self._from_row(row) for row in rows]
            for event in reverted:
                for reverter in _reverters.get((event.contract_kind, event.event_name), ()):
                    await reverter(session, event)
            await _apply_balances(session, reverted, sign=-1)
            ids = [row.id for row in rows]
            for chunk in _chunks(ids, 1000):
                await session.execute(delete(WatchedContract).where(WatchedContract.event_id.in_(chunk)))
            await session.execute(delete(ChainEvent).where(ChainEvent.block_number > ancestor))
            await session.execute(delete(ChainBlock).where(ChainBlock.number > ancestor))
            state.checkpoint = ancestor
            state.rewind_to = None
            self.checkpoint = ancestor
            self.rewind_to = None
        readcache.clear_all()
        log.warning("rolled back", to_block=ancestor, events=len(rows))
        if self.publish:
            await realtime.publish("public", {"type": "chain.reorg", "to_block": ancestor, "events": len(rows)})
        return len(rows)

    def _from_row(self, row: ChainEvent) -> ChainLog:
        decoder = decoder_by_name().get((row.contract_kind, row.event_name))
        args = decoder.revive(row.args) if decoder else dict(row.args)
        return ChainLog(
            row.contract_kind,
            row.event_name,
            args,
            row.address,
            row.block_number,
            row.block_hash,
            row.block_timestamp,
            row.tx_hash,
            row.log_index,
            row.id,
        )

    # -- a block range -------------------------------------------------------------------------

    async def _watched(self, session: AsyncSession, end: int) -> dict[str, str]:
        rows = await session.execute(
            select(WatchedContract.address, WatchedContract.kind).where(WatchedContract.from_block <= end)
        )
        return {address.lower(): kind for address, kind in rows.all()}

    def _parse(self, raw_logs: list[dict[str, Any]], watched: dict[str, str]) -> list[ChainLog]:
        table = decoders()
        contracts: dict[str, tuple[str | None, str]] = {}  # address as the node wrote it -> kind, checksum
        numbers: dict[str, int] = {}  # hex block number -> int (thousands of logs share a block)
        parsed: list[ChainLog] = []
        previous = (-1, -1)
        ordered = True
        for item in raw_logs:
            if item.get("removed"):
                continue
            raw_address = item["address"]
            known = contracts.get(raw_address)
            if known is None:
                lower = raw_address.lower()
                kind = watched.get(lower)
                known = contracts[raw_address] = (kind, _checksum(lower[2:]) if kind else "")
            kind, address = known
            topics = item.get("topics")
            if kind is None or not topics:
                continue
            decoder = table.get((kind, topics[0]))
            if decoder is None:
                continue  # an event of no known ABI (e.g. from a library) is not applied
            raw_number = item["blockNumber"]
            number = numbers.get(raw_number)
            if number is None:
                number = numbers[raw_number] = int(raw_number, 16)
            log_index = int(item["logIndex"], 16)
            if ordered and (number, log_index) < previous:
                ordered = False
            previous = (number, log_index)
            stamp = item.get("blockTimestamp")
            parsed.append(
                ChainLog(
                    kind,
                    decoder.name,
                    None,  # decoded when first used (while the previous chunk is being inserted)
                    address,
                    number,
                    item["blockHash"],
                    int(stamp, 16) if stamp else None,
                    item["transactionHash"],
                    log_index,
                    decoder=decoder,
                    topics=topics,
                    data=item.get("data") or "0x",
                )
            )
        if not ordered:
            parsed.sort(key=lambda e: (e.block_number, e.log_index))
        return parsed

    async def _index_range(self, start: int, end: int) -> int:
        """Apply blocks ``start..end`` in one DB transaction. The range is fetched in slices,
        the next slice's ``eth_getLogs`` running while this one is decoded and inserted."""
        async with open_session(commit=False) as session:
            watched = await self._watched(session, end)
        if not watched:
            return 0  # nothing to read yet: keep the checkpoint where contracts will start
        addresses = sorted(watched)
        parsed: list[ChainLog] = []
        outbox: list[tuple[str, dict[str, Any]]] = []
        async with open_session() as session:
            state = await self._fenced_state(session)
            if state.checkpoint != start - 1:
                return 0  # someone else moved it (a rollback or another leader): start over
            writer = _EventWriter(session, public=self.publish)
            # Bodies only: each is decoded here, at a moment when the database has rows to insert.
            slicer = _Slicer(start, end)
            fetch = slicer.fetch(addresses)
            end_block_read = asyncio.create_task(client.get_block(end))  # its hash closes the range
            try:
                while fetch is not None:
                    lo, hi, task = fetch
                    body = await task
                    raw_logs = _decode_logs(body, lo, hi)
                    if raw_logs is None:  # the node refused the slice as too large
                        raw_logs = await _fetch_halves(addresses, lo, hi)
                    fetch = slicer.fetch(addresses)
                    chunk = self._parse(raw_logs, watched)
                    # Stop after a block that adds contracts: the rest is read again with them.
                    cut = next((e.block_number for e in chunk if (e.contract_kind, e.event_name) in DISCOVERY), None)
                    if cut is not None:
                        chunk = [e for e in chunk if e.block_number <= cut]
                        end = cut
                    await self._fill_timestamps(chunk)
                    await writer.add(chunk)
                    parsed.extend(chunk)
                    if cut is not None:
                        break
                await writer.complete()
                end_block = await end_block_read
                if end_block is not None and to_int(end_block["number"]) != end:  # the range was cut
                    end_block = await client.get_block(end)
                if end_block is None:
                    raise LeaseLost("the chain got shorter under the indexer; the next pass checks for a reorg")
                hashes = {**writer.block_hashes, end: end_block["hash"]}
                if writer.mysql:
                    writer.queue(_block_statements(hashes, end))
                await writer.drain()
            except BaseException:
                end_block_read.cancel()
                await asyncio.gather(end_block_read, return_exceptions=True)
                await writer.abandon()
                raise
            finally:
                if fetch is not None:  # the slice past a cut
                    fetch[2].cancel()
                    await asyncio.gather(fetch[2], return_exceptions=True)
            await self._assign_ids(session, writer.handled)
            if not writer.mysql:  # on MySQL the writer ran them behind the inserts
                await _upsert_balances(session, writer.deltas)
            await self._discover(session, writer.handled)
            for event in writer.handled:
                for handler in _handlers.get((event.contract_kind, event.event_name), ()):
                    await handler(session, event)
                if event._outbox:
                    outbox.extend(event._outbox)
            if not writer.mysql:
                await self._remember_blocks(session, hashes, end)
            state.checkpoint = end
            state.head = self.head
            state.updated_at = utcnow()
        self.checkpoint = end
        if parsed:
            readcache.clear_all()  # this process's cached reads predate these events
        if self.publish and (parsed or outbox):
            self._publish_later(writer.public, [(channel, realtime.encode(payload)) for channel, payload in outbox])
        return len(parsed)

    def _publish_later(self, *batches: list[tuple[str, bytes]]) -> None:
        """Publish after the commit without holding up the next range (one ordered publisher)."""
        messages = [m for batch in batches for m in batch]
        previous = self._publisher

        async def publish() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            try:
                await realtime.publish_encoded(messages)
            except Exception:
                log.exception("publishing applied events failed", messages=len(messages))

        self._publisher = asyncio.create_task(publish())

    async def flush(self) -> None:
        """Wait until every applied event has been published."""
        if self._publisher is not None:
            await asyncio.gather(self._publisher, return_exceptions=True)

    async def _fill_timestamps(self, parsed: list[ChainLog]) -> None:
        missing = sorted({e.block_number for e in parsed if e.block_timestamp is None})
        if not missing:
            return
        blocks = await asyncio.gather(*(client.get_block(n) for n in missing))
        stamps = {n: to_int(b["timestamp"]) for n, b in zip(missing, blocks, strict=True) if b}
        for event in parsed:
            if event.block_timestamp is None:
                event.block_timestamp = stamps.get(event.block_number)

    async def _assign_ids(self, session: AsyncSession, parsed: list[ChainLog]) -> None:
        """Row ids for the events handlers (and discovered contracts) reference."""
        needs_ids = any(
            (e.contract_kind, e.event_name) in _handlers or (e.contract_kind, e.event_name) in DISCOVERY for e in parsed
        )
        if not needs_ids:
            return
        found = await session.execute(
            select(ChainEvent.id, ChainEvent.tx_hash, ChainEvent.log_index).where(
                ChainEvent.block_number.between(parsed[0].block_number, parsed[-1].block_number)
            )
        )
        ids = {(tx, index): row_id for row_id, tx, index in found.all()}
        for e in parsed:
            e.id = ids.get(e.key)

    async def _discover(self, session: AsyncSession, parsed: list[ChainLog]) -> None:
        rows = []
        for event in parsed:
            if (event.contract_kind, event.event_name) != ("ProjectFactory", "ProjectCreated"):
                continue
            ref = event.args.get("projectId")
            for arg, kind in PROJECT_CONTRACTS.items():
                address = event.args.get(arg)
                if isinstance(address, str) and address != ZERO:
                    rows.append(
                        {
                            "address": address,
                            "kind": kind,
                            "from_block": event.block_number,
                            "project_ref": None if ref is None else str(ref),
                            "event_id": event.id,
                        }
                    )
        if rows:
            await session.execute(insert(WatchedContract), rows)

    async def _remember_blocks(self, session: AsyncSession, hashes: dict[int, str], end: int) -> None:
        rows = [{"number": n, "hash": h} for n, h in hashes.items()]
        await session.execute(delete(ChainBlock).where(ChainBlock.number.in_(list(hashes))))
        await session.execute(insert(ChainBlock), rows)
        await session.execute(delete(ChainBlock).where(ChainBlock.number < end - BLOCK_WINDOW))


async def _get_logs_body(addresses: list[str], start: int, end: int) -> bytes:
    return await client.rpc_body("eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}])


def _decode_logs(body: bytes, start: int, end: int) -> list[dict[str, Any]] | None:
    """The logs in an ``eth_getLogs`` body; None when the node refused the range as too large."""
    try:
        return cast(list[dict[str, Any]], client.rpc_result("eth_getLogs", body) or [])
    except RpcError as exc:
        message = exc.message.lower()
        if end > start and ("range" in message or "limit" in message or "too many" in message):
            return None
        raise


async def fetch_logs(addresses: list[str], start: int, end: int) -> list[dict[str, Any]]:
    """Logs of blocks ``start..end``, halving the range while the node says it is too large."""
    logs = _decode_logs(await _get_logs_body(addresses, start, end), start, end)
    return await _fetch_halves(addresses, start, end) if logs is None else logs


async def _fetch_halves(addresses: list[str], start: int, end: int) -> list[dict[str, Any]]:
    middle = (start + end) // 2
    return [*await fetch_logs(addresses, start, middle), *await fetch_logs(addresses, middle + 1, end)]


class LeaseLost(RuntimeError):
    """Another indexer holds the lease: this one must not write."""


def _public_body(event: ChainLog) -> bytes:
    """``{"type": "chain.event", contract, event, address, args, block_number, tx_hash, log_index}``
    encoded once (the kind and name come from our ABIs, the hex fields were checked)."""
    return (
        f'{{"type":"chain.event","contract":"{event.contract_kind}","event":"{event.event_name}",'
        f'"address":"{event.address}","args":{event.args_json},"block_number":{event.block_number},'
        f'"tx_hash":"{event.tx_hash}","log_index":{event.log_index}}}'
    ).encode()


_HEX = re.compile(r"0x[0-9a-fA-F]*")


def _hex(value: str) -> str:
    if not _HEX.fullmatch(value):
        raise ValueError(f"the node returned a non-hex value: {value[:80]!r}")
    return value


class _EventWriter:
    """Inserts ``chain_event`` rows in the session's transaction.

    On MySQL/MariaDB (the hot path) the rows are built as SQL text in units of ``BUILD_ROWS``
    (hex fields are checked to be hex, kind and event names are identifiers checked when the
    decoders are built, the JSON arguments of events with dynamic types go through the
    driver's ``escape_string``; the others are only identifiers, checked hex and digits) and
    sent straight through the driver, without per-row SQLAlchemy type processing. One INSERT
    is in flight at a time; the moment it completes, everything built meanwhile goes out as
    the next one (up to ``INSERT_ROWS`` rows), so the server never waits while Python decodes
    and builds, and the statements grow when Python is ahead.
    """

    def __init__(self, session: AsyncSession, *, public: bool = True) -> None:
        self.session = session
        self.mysql = _dialect(session) in {"mysql", "mariadb"}
        self.now = utcnow()
        self.stamp = self.now.replace(tzinfo=None).isoformat(sep=" ")
        self.driver: Any = None
        self.ready: deque[tuple[int, str]] = deque()  # (rows, VALUES text) built, not sent yet
        self.ready_rows = 0
        self.checked: set[str] = set()  # block hashes and addresses already checked to be hex
        self.progress = asyncio.Event()  # set whenever an INSERT completes
        self.unsummarised: list[ChainLog] = []
        self.after: deque[str] = deque()  # statements that follow the last INSERT
        self.handled: list[ChainLog] = []  # events with handlers or that add contracts
        self.block_hashes: dict[int, str] = {}  # of the blocks with events
        self.pending: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        # Worked out while the server inserts: the Transfer deltas per (token, wallet) and the
        # encoded real-time messages (published once the transaction commits).
        self.deltas: dict[tuple[str, str], int] = defaultdict(int)
        self.public: list[tuple[str, bytes]] = []
        self.encode_public = public

    async def add(self, events: list[ChainLog]) -> None:
        if not events:
            return
        if not self.mysql:
            self._summarise(events)
            rows = [
                {
                    "block_number": e.block_number,
                    "block_hash": e.block_hash,
                    "block_timestamp": e.block_timestamp,
                    "tx_hash": e.tx_hash,
                    "log_index": e.log_index,
                    "address": e.address,
                    "contract_kind": e.contract_kind,
                    "event_name": e.event_name,
                    "args": json.loads(e.args_json),
                    "indexed_at": self.now,
                }
                for e in events
            ]
            await self.session.execute(insert(ChainEvent), rows)
            return
        await self._connect()
        escape = self.driver.escape_string
        for unit in _chunks(events, BUILD_ROWS):
            self.ready.append((len(unit), _values_sql(unit, self.stamp, escape, self.checked)))
            self.ready_rows += len(unit)
            self._send()
            await asyncio.sleep(0)  # the loop hears of a finished insert (and sends the next)
            while self.ready_rows >= AHEAD_ROWS and self.error is None:
                # Two whole statements wait behind the one in flight: building more now would
                # only take the CPU from the server (on a small machine they share the cores).
                self.progress.clear()
                await self.progress.wait()
        self.unsummarised.extend(events)  # worked out in complete(), while the server catches up
        self._raise()

    async def _connect(self) -> None:
        if self.driver is None:
            connection = await self.session.connection()
            self.driver = (await connection.get_raw_connection()).driver_connection

    def _summarise(self, events: list[ChainLog]) -> None:
        _balance_deltas(events, 1, self.deltas)
        self.block_hashes.update({e.block_number: e.block_hash for e in events})
        if self.encode_public:
            self.public.extend([("public", _public_body(e)) for e in events])
        interesting = _handlers.keys() | DISCOVERY
        self.handled.extend([e for e in events if (e.contract_kind, e.event_name) in interesting])

    def _send(self) -> None:
        """Start the next INSERT with what is ready (or, once every row is in, the next of the
        statements queued behind them), unless one is in flight."""
        if self.pending is not None or self.error is not None:
            return
        if not self.ready:
            if self.after:
                self.pending = asyncio.create_task(_execute(self.driver, self.after.popleft()))
                self.pending.add_done_callback(self._sent)
            return
        parts: list[str] = []
        rows = 0
        while self.ready and (not parts or rows + self.ready[0][0] <= INSERT_ROWS):
            count, values = self.ready.popleft()
            parts.append(values)
            rows += count
        self.ready_rows -= rows
        self.pending = asyncio.create_task(_execute(self.driver, _INSERT_HEAD + ",".join(parts)))
        self.pending.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self.pending = None
        self.progress.set()
        if task.cancelled():
            self.error = self.error or asyncio.CancelledError()
        elif task.exception() is not None:
            self.error = self.error or task.exception()
        else:
            self._send()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    async def complete(self) -> None:
        """Every row is added: send what is left and work out the balances, real-time bodies and
        handled events while the server inserts; on MySQL the balance upserts are queued behind
        the last INSERT."""
        self._send()
        for unit in _chunks(self.unsummarised, BUILD_ROWS * 4):
            self._summarise(unit)
            await asyncio.sleep(0)
        self.unsummarised.clear()
        if self.mysql:
            await self._connect()
            self.queue(_balance_statements(self.deltas))

    def queue(self, statements: list[str]) -> None:
        """Statements to run after every INSERT (MySQL), in order."""
        self.after.extend(statements)
        self._send()

    async def drain(self) -> None:
        """Wait until the server has run every row and queued statement."""
        self._send()
        while self.pending is not None:
            await asyncio.wait([self.pending])
            await asyncio.sleep(0)  # the done callback sends the next statement
            self._raise()
            self._send()
        self._raise()

    async def abandon(self) -> None:
        """The range failed: send nothing more and let the statement in flight end before the
        session rolls back (one connection: its reply must be read first)."""
        self.ready.clear()
        self.after.clear()
        self.ready_rows = 0
        self.error = self.error or RuntimeError("the range was abandoned")
        self.progress.set()
        if self.pending is not None:
            await asyncio.wait([self.pending])


_INSERT_HEAD = (
    "INSERT INTO chain_event (block_number, block_hash, block_timestamp, tx_hash, log_index, address, "
    "contract_kind, event_name, args, indexed_at) VALUES "
)


def _values_sql(chunk: list[ChainLog], stamp: str, escape: Callable[[str], str], checked: set[str]) -> str:
    """The VALUES tuples of ``chunk`` for ``_INSERT_HEAD``. Every hex field is checked to be hex
    (block hashes and addresses once each: ``checked`` remembers them)."""
    rows = []
    for e in chunk:
        block_hash, address = e.block_hash, e.address
        if block_hash not in checked:
            checked.add(_hex(block_hash))
        if address not in checked:
            checked.add(_hex(address))
        args = e.args_json if e.plain_args else escape(e.args_json)
        stamp_sql = "NULL" if e.block_timestamp is None else e.block_timestamp
        rows.append(
            f"({e.block_number},'{block_hash}',{stamp_sql},'{_hex(e.tx_hash)}',{e.log_index},"
            f"'{address}','{e.contract_kind}','{e.event_name}','{args}','{stamp}')"
        )
    return ",".join(rows)


async def _execute(driver: Any, sql: str) -> None:
    cursor = await driver.cursor()
    try:
        await cursor.execute(sql)
    finally:
        await cursor.close()


class _Slicer:
    """The block slices of one range, read one ahead."""

    def __init__(self, start: int, end: int) -> None:
        blocks = end - start + 1
        self.next, self.end = start, end
        self.size = blocks if blocks <= ONE_CALL_BLOCKS else -(-blocks // FETCH_SLICES)

    def take(self) -> tuple[int, int] | None:
        """The next slice's first and last block (None when the range is done)."""
        if self.next > self.end:
            return None
        lo, hi = self.next, min(self.end, self.next + self.size - 1)
        self.next = hi + 1
        return lo, hi

    def fetch(self, addresses: list[str]) -> tuple[int, int, asyncio.Task[bytes]] | None:
        """Start reading the next slice (None when the range is done)."""
        taken = self.take()
        if taken is None:
            return None
        return *taken, asyncio.create_task(_get_logs_body(addresses, *taken))


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "mysql"


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _balance_deltas(
    events: list[ChainLog], sign: int, deltas: dict[tuple[str, str], int] | None = None
) -> dict[tuple[str, str], int]:
    """Add each ERC-20 Transfer to ``deltas`` ((token, wallet) -> change; ``sign=-1`` undoes)."""
    if deltas is None:
        deltas = defaultdict(int)
    for e in events:
        if e.event_name != "Transfer" or e.contract_kind not in ERC20_KINDS:
            continue
        args = e.args
        sender, receiver, value = args.get("from"), args.get("to"), args.get("value")
        if not isinstance(value, int):
            continue
        if sender and sender != ZERO:
            deltas[(e.address, sender)] -= value * sign
        if receiver and receiver != ZERO:
            deltas[(e.address, receiver)] += value * sign
    return deltas


async def _apply_balances(session: AsyncSession, events: list[ChainLog], *, sign: int) -> None:
    """Add (or, for a rollback, subtract) the ERC-20 Transfer deltas, one upsert per holder."""
    await _upsert_balances(session, _balance_deltas(events, sign))


_UPSERT_HEAD = "INSERT INTO chain_token_balance (token, wallet, balance) VALUES "
_UPSERT_TAIL = " ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)"


_BLOCKS_HEAD = "INSERT INTO chain_block (number, hash) VALUES "
_BLOCKS_TAIL = " ON DUPLICATE KEY UPDATE hash = VALUES(hash)"
_BLOCKS_PRUNE = "DELETE FROM chain_block WHERE number < "


def _block_statements(hashes: dict[int, str], end: int) -> list[str]:
    """MySQL: remember these block hashes (a block read again after a rollback is replaced) and
    forget those older than the reorg window; built from integers and checked hex."""
    values = ",".join(f"({int(number)},'{_hex(block_hash)}')" for number, block_hash in hashes.items())
    return [_BLOCKS_HEAD + values + _BLOCKS_TAIL, _BLOCKS_PRUNE + str(int(end) - BLOCK_WINDOW)]


def _balance_statements(deltas: dict[tuple[str, str], int]) -> list[str]:
    """MySQL upserts of the non-zero deltas: one multi-row statement per 2,000 holders, built
    from checked addresses and integers."""
    rows = [(t, w, d) for (t, w), d in deltas.items() if d]
    return [
        _UPSERT_HEAD + ",".join(f"('{_address(t)}','{_address(w)}',{d})" for t, w, d in chunk) + _UPSERT_TAIL
        for chunk in _chunks(rows, 2000)
    ]


async def _upsert_balances(session: AsyncSession, deltas: dict[tuple[str, str], int]) -> None:
    rows = [(t, w, d) for (t, w), d in deltas.items() if d]
    if not rows:
        return
    if _dialect(session) in {"mysql", "mariadb"}:
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        for statement in _balance_statements(deltas):
            await _execute(driver, statement)
        return
    table = cast(Table, TokenBalance.__table__)
    lite = sqlite_insert(table)
    stmt = lite.on_conflict_do_update(
        index_elements=["token", "wallet"], set_={"balance": table.c.balance + lite.excluded.balance}
    )
    for chunk in _chunks(rows, 2000):
        await session.execute(stmt, [{"token": t, "wallet": w, "balance": d} for t, w, d in chunk])


def _address(value: str) -> str:
    if not (value.startswith("0x") and _HEX40.fullmatch(value, 2)):
        raise ValueError(f"not an address: {value[:80]!r}")
    return value


async def watch(session: AsyncSession, address: str, kind: str, from_block: int = 0) -> None:
    """Make the indexer read ``address`` (as artifact ``kind``) from ``from_block`` on."""
    address = to_checksum_address(address)
    existing = await session.get(WatchedContract, address)
    if existing is None:
        session.add(WatchedContract(address=address, kind=kind, from_block=from_block))
    else:
        existing.kind, existing.from_block = kind, from_block
    # Already past that block? Ask the leader to roll back and replay with this address too.
    for state in await session.scalars(select(IndexerState).with_for_update()):
        if state.checkpoint >= from_block:
            state.rewind_to = min(from_block - 1, state.rewind_to if state.rewind_to is not None else from_block)
    await session.flush()


async def token_balance(session: AsyncSession, token: str, wallet: str) -> int:
    row = await session.get(TokenBalance, (to_checksum_address(token), to_checksum_address(wallet)))
    return row.balance if row else 0


async def indexer_lag(name: str = "main") -> dict[str, Any]:
    """Checkpoint, head and lag in blocks (for /health/ready)."""
    async with open_session(commit=False) as session:
        state = await session.get(IndexerState, name)
    head = await client.block_number()
    if state is None:
        return {"indexer_checkpoint": None, "head": head, "indexer_lag_blocks": None}
    return {
        "indexer_checkpoint": state.checkpoint,
        "head": head,
        "indexer_lag_blocks": max(head - state.checkpoint, 0),
    }
