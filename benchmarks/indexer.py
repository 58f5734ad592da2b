"""Indexer throughput: ``python -m benchmarks.indexer [--events 20000]``.

Starts a fresh anvil, deploys the platform (``chain deploy`` logic), builds a backlog of
ERC-20 ``Transfer`` events (MockStablecoin mints from anvil's unlocked accounts, sent as
JSON-RPC batches with automine off, then mined into full blocks), and measures over the
same block range, in the same run:

* ``raw_get_logs_events_per_second``: only fetching the logs (the indexer's own raw
  ``eth_getLogs`` calls, same address set and block ranges, no decoding, no database);
  measured before and after the indexer, the faster of the two is reported;
* ``indexer_events_per_second``: the indexer applying the backlog from scratch: fetch,
  decode, bulk-insert into ``chain_event``, upsert balances, store block hashes, advance the
  checkpoint, publish to Redis;

and prints one JSON object with both and their ratio. The machine is shared and noisy, so the
indexer applies the same backlog ``--rounds`` times from a cold start (its tables emptied, the
watched contracts kept), each round with its own raw reads; the round with the median ratio is
printed, with every round's ratio. Each round checks that the indexed balances add up to what
was minted. The database is ``PARTISIPRO_DATABASE_URL``
(default ``mysql+aiomysql://root@127.0.0.1:3306/bench_indexer``, created and migrated here) and
Redis ``PARTISIPRO_REDIS_URL`` (default db 14).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from typing import Any

import sqlalchemy as sa
from eth_utils import to_checksum_address

DEFAULT_DB = "mysql+aiomysql://root@127.0.0.1:3306/bench_indexer"


def _prepare_database(url: str) -> None:
    from partisipro.migrate import upgrade_sync

    sync = sa.engine.make_url(url.replace("+aiomysql", "+pymysql"))
    server = sa.create_engine(sync.set(database=""))
    with server.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{sync.database}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{sync.database}` CHARACTER SET utf8mb4"))
    server.dispose()
    upgrade_sync("head", url)


def _batch(node: Any, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    import urllib.request

    body = json.dumps(
        [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    ).encode()
    request = urllib.request.Request(node.rpc_url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        replies = json.loads(response.read())
    errors = [r["error"] for r in replies if "error" in r]
    if errors:
        raise RuntimeError(f"batch errors: {errors[:3]}")
    return [r["result"] for r in sorted(replies, key=lambda r: r["id"])]


def _backlog(node: Any, token: str, events: int) -> None:
    """``events`` mint transactions (one Transfer each) from 10 unlocked accounts."""
    from partisipro.chain.client import encode_call

    from tests.fixtures.anvil import derive_accounts

    senders = [a.address for a in derive_accounts(10)]
    rng = random.Random(7)
    wallets = [to_checksum_address("0x" + rng.randbytes(20).hex()) for _ in range(2000)]
    nonces = {a: int(node.request("eth_getTransactionCount", [a, "pending"]), 16) for a in senders}
    node.request("evm_setAutomine", [False])
    sent = 0
    while sent < events:
        calls = []
        for _ in range(min(500, events - sent)):
            data = encode_call("MockStablecoin", "mint", [wallets[sent % len(wallets)], 1 + sent])
            sender = senders[sent % len(senders)]
            tx = {"from": sender, "to": token, "data": data, "gas": hex(120_000), "nonce": hex(nonces[sender])}
            nonces[sender] += 1
            calls.append(("eth_sendTransaction", [tx]))
            sent += 1
        _batch(node, calls)
        while int(node.request("txpool_status")["pending"], 16) > 2000:
            node.request("evm_mine")
    while int(node.request("txpool_status")["pending"], 16) > 0:
        node.request("evm_mine")
    node.request("evm_setAutomine", [True])


async def _raw_rate(start: int, end: int, batch_blocks: int) -> tuple[int, float]:
    from partisipro.chain.indexer import fetch_logs
    from partisipro.chain.models import WatchedContract
    from partisipro.db import open_session

    async with open_session(commit=False) as session:
        addresses = sorted(a.lower() for a in await session.scalars(sa.select(WatchedContract.address)))
    count = 0
    began = time.perf_counter()
    for lo in range(start, end + 1, batch_blocks):
        hi = min(end, lo + batch_blocks - 1)
        count += len(await fetch_logs(addresses, lo, hi))
    return count, time.perf_counter() - began


async def main(events: int, batch_blocks: int, rounds: int = 5) -> dict[str, Any]:
    os.environ.setdefault("PARTISIPRO_PROFILE", "test")
    os.environ.setdefault("PARTISIPRO_DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("PARTISIPRO_REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("PARTISIPRO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("PARTISIPRO_DEPLOYMENTS_FILE", "/tmp/partisipro-bench-deployments.json")  # noqa: S108
    from partisipro.chain.anvil import Anvil

    await asyncio.to_thread(_prepare_database, os.environ["PARTISIPRO_DATABASE_URL"])
    with Anvil(accounts=10, balance_ether=1_000_000, gas_limit=300_000_000) as node:
        os.environ["PARTISIPRO_CHAIN_RPC_URL"] = node.rpc_url
        from partisipro.chain import deployment
        from partisipro.chain.client import close_clients
        from partisipro.db import dispose_engines
        from partisipro.logging import configure_logging
        from partisipro.redis import close_redis, get_redis
        from partisipro.settings import reset_settings

        reset_settings()
        configure_logging("WARNING", json=True)
        redis = get_redis()
        if redis is not None:
            await redis.flushdb()
        result = await deployment.deploy()
        token = result.contracts["mock_stablecoin"]
        _backlog(node, token, events)
        head = int(node.request("eth_blockNumber"), 16)
        start = result.start_block

        from partisipro.chain.indexer import settle_heap
        from partisipro.jobs import load_domain_jobs

        load_domain_jobs()  # what ``partisipro indexer`` does before its first pass
        settle_heap()
        runs = []
        for _ in range(rounds):
            await _reset_index()
            if redis is not None:
                await redis.flushdb()
            runs.append(await _round(start, head, batch_blocks, token, events))
        await close_clients()
        await close_redis()
        await dispose_engines()
    ratios = sorted(r["ratio"] for r in runs)
    median = ratios[len(ratios) // 2]
    middle = next(r for r in runs if r["ratio"] == median)
    return {
        **middle,
        "blocks": head - start + 1,
        "batch_blocks": batch_blocks,
        "rounds": rounds,
        "ratio_per_round": [r["ratio"] for r in runs],
        "ratio": median,
    }


async def _reset_index() -> None:
    """Forget what the indexer applied (the watched contracts stay) so a round starts cold."""
    from partisipro.db import open_session

    async with open_session() as session:
        await session.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
        for table in ("chain_event", "chain_token_balance", "chain_block", "chain_indexer_state"):
            await session.execute(sa.text(f"TRUNCATE TABLE {table}"))
        await session.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))


async def _round(start: int, head: int, batch_blocks: int, token: str, events: int) -> dict[str, Any]:
    """One measurement: raw reads, the indexer from scratch, raw reads again."""
    from partisipro.chain.indexer import Indexer
    from partisipro.chain.models import ChainEvent, TokenBalance
    from partisipro.db import open_session

    raw_before = await _raw_rate(start, head, batch_blocks)
    indexer = Indexer(batch_blocks=batch_blocks, confirmations=0)
    began = time.perf_counter()
    await indexer.run_until_caught_up(timeout=3600)
    indexer_seconds = time.perf_counter() - began
    raw_after = await _raw_rate(start, head, batch_blocks)
    await indexer.release()

    async with open_session(commit=False) as session:
        applied = int(await session.scalar(sa.select(sa.func.count()).select_from(ChainEvent)) or 0)
        is_transfer = ChainEvent.event_name == "Transfer"
        transfers = int(await session.scalar(sa.select(sa.func.count()).where(is_transfer)) or 0)
        total = int(
            await session.scalar(sa.select(sa.func.sum(TokenBalance.balance)).where(TokenBalance.token == token)) or 0
        )
    raw_count, raw_seconds = min(raw_before, raw_after, key=lambda r: r[1])
    raw_rate = raw_count / raw_seconds
    indexer_rate = applied / indexer_seconds
    return {
        "events_applied": applied,
        "transfer_events": transfers,
        "raw_get_logs_events": raw_count,
        "raw_get_logs_seconds": round(raw_seconds, 3),
        "raw_get_logs_events_per_second": round(raw_rate, 1),
        "indexer_seconds": round(indexer_seconds, 3),
        "indexer_events_per_second": round(indexer_rate, 1),
        "ratio": round(indexer_rate / raw_rate, 3),
        "balances_match_minted": total == sum(1 + i for i in range(events)),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-blocks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5, help="cold runs over the same backlog; the median is printed")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.events, args.batch_blocks, args.rounds)), indent=2))
    sys.exit(0)
