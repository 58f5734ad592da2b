"""Failure behaviour: the worker SIGKILLed mid-batch, and the RPC down for 30 s."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from litestar import Litestar
from partisipro import jobs
from partisipro.chain import outbox
from partisipro.chain.anvil import Anvil
from partisipro.chain.indexer import Indexer
from partisipro.chain.jobs import chain_sender
from partisipro.chain.models import IndexerState, IntentStatus, TxIntent
from partisipro.chain.sender import Sender
from partisipro.db import open_session
from sqlalchemy import func, select

from tests.fixtures.users import asgi_client
from tests.integration.chain.conftest import (
    DEPLOYER,
    balance_of,
    holders,
    point_settings_at,
    start_node,
    sync_w3,
    token_call,
)
from tests.integration.chain.test_api import bearer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
OUTAGE_SECONDS = float(os.environ.get("PARTISIPRO_TEST_OUTAGE_SECONDS", "30"))


async def _enqueue_payments(recipients: list[str], prefix: str, first: int = 0) -> None:
    async with open_session() as session:
        for n, address in enumerate(recipients, start=first):
            await outbox.enqueue_intent(
                session,
                contract=outbox.NATIVE,
                address=address,
                function="",
                args=[],
                idempotency_key=f"{prefix}:{n}",
                value=n + 1,
            )


async def _status_counts() -> dict[str, int]:
    async with open_session(commit=False) as session:
        rows = await session.execute(select(TxIntent.status, func.count()).group_by(TxIntent.status))
        return {status: int(count) for status, count in rows.all()}


async def _assert_each_intent_mined_once(node: Anvil, recipients: list[str], start_nonce: int) -> None:
    w3 = sync_w3(node)
    async with open_session(commit=False) as session:
        intents = list(await session.scalars(select(TxIntent).order_by(TxIntent.nonce)))
    assert {i.status for i in intents} == {IntentStatus.MINED}
    assert [i.nonce for i in intents] == list(range(start_nonce, start_nonce + len(intents)))
    assert w3.eth.get_transaction_count(DEPLOYER.address) == start_nonce + len(intents)
    for n, address in enumerate(recipients):
        assert w3.eth.get_balance(address) == n + 1, address  # twice would be 2 * (n + 1)


def _worker(node: Anvil, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PARTISIPRO_PROFILE": "test",
        "PARTISIPRO_CHAIN_RPC_URL": node.rpc_url,
        "PARTISIPRO_CHAIN_SENDER_BATCH": "10",
        "PARTISIPRO_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "partisipro.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def slow_node() -> Any:
    node = start_node(block_time=1)  # a block a second: transactions wait in flight
    try:
        yield node
    finally:
        node.stop()


async def test_worker_killed_with_sigkill_mid_batch_loses_and_duplicates_nothing(
    slow_node: Anvil, clean_db: str, clean_redis: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    point_settings_at(monkeypatch, slow_node.rpc_url)
    start_nonce = sync_w3(slow_node).eth.get_transaction_count(DEPLOYER.address)
    recipients = [Account.create().address for _ in range(60)]
    await _enqueue_payments(recipients, "kill")

    worker = _worker(slow_node, tmp_path / "worker.log")
    try:
        for _ in range(2400):  # until transactions are signed or sent but not yet recorded as mined
            counts = await _status_counts()
            if sum(counts.get(s, 0) for s in IntentStatus.IN_FLIGHT) > 0:
                break
            await asyncio.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    counts = await _status_counts()
    assert counts.get(IntentStatus.MINED, 0) < 60, "the kill came after the batch: nothing to prove"

    restarted = _worker(slow_node, tmp_path / "worker.log")
    try:
        for _ in range(1200):
            if (await _status_counts()).get(IntentStatus.MINED, 0) == 60:
                break
            await asyncio.sleep(0.1)
    finally:
        restarted.kill()  # its state is what we check; a graceful stop is not the point here
        restarted.wait(timeout=10)
    await _assert_each_intent_mined_once(slow_node, recipients, start_nonce)


@pytest.fixture
async def stateful_node(tmp_path: Path) -> AsyncIterator[Anvil]:
    node = start_node(state_path=tmp_path / "anvil-state.json")
    try:
        yield node
    finally:
        node.stop()


async def test_rpc_down_for_30_seconds_then_every_intent_completes_once_and_the_indexer_catches_up(
    stateful_node: Anvil,
    clean_db: str,
    clean_redis: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from partisipro.app import create_app
    from partisipro.chain import deployment
    from partisipro.chain.client import close_clients

    monkeypatch.setenv("PARTISIPRO_DEPLOYMENTS_FILE", str(tmp_path / "deployments.json"))
    point_settings_at(monkeypatch, stateful_node.rpc_url)
    node = stateful_node
    contracts = (await deployment.deploy()).contracts
    token = contracts["mock_stablecoin"]
    people = holders(3)
    for person in people:
        token_call(node, token, person, "mint", person.address, 1_000)
    start_nonce = sync_w3(node).eth.get_transaction_count(DEPLOYER.address)
    recipients = [Account.create().address for _ in range(40)]
    await _enqueue_payments(recipients[:20], "before")

    stop = asyncio.Event()
    indexer = Indexer()
    background = [
        asyncio.create_task(jobs.run_loop(jobs.Loop("chain-sender", chain_sender, 0.1), stop)),
        asyncio.create_task(indexer.run(stop, idle_seconds=0.1)),
    ]
    app: Litestar = create_app()
    try:
        async with asgi_client(app) as api:
            await asyncio.sleep(0.5)
            node.stop()  # the RPC stops answering (state dumped to the file)
            await _enqueue_payments(recipients[20:], "during", first=20)  # business goes on
            elapsed = 0.0
            while elapsed < OUTAGE_SECONDS:
                live = await api.get("/health/live")
                ready = await api.get("/health/ready")
                listed = await api.get("/api/v1/admin/transactions", headers=bearer("admin"))
                assert live.status_code == 200
                assert ready.status_code == 503 and "chain" in ready.json()["failing"]
                assert ready.json()["checks"]["database"]["status"] == "up"
                assert listed.status_code == 200 and listed.json()["total"] == 40
                await asyncio.sleep(2.0)
                elapsed += 2.0
            node.start()  # back on the same port with its state
            for _ in range(600):
                ready = await api.get("/health/ready")
                if ready.status_code == 200 and (await _status_counts()).get(IntentStatus.MINED) == 40:
                    break
                await asyncio.sleep(0.1)
            assert ready.status_code == 200, ready.text
            await Sender().run_until_idle()
            await _caught_up(indexer, node)
    finally:
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await close_clients()

    await _assert_each_intent_mined_once(node, recipients, start_nonce)
    async with open_session(commit=False) as session:
        from partisipro.chain import indexer as indexer_module

        for person in people:
            assert await indexer_module.token_balance(session, token, person.address) == balance_of(
                node, token, person.address
            )
        state = await session.get(IndexerState, "main")
    assert state is not None
    assert state.checkpoint == sync_w3(node).eth.block_number


async def _caught_up(indexer: Indexer, node: Anvil) -> None:
    head = sync_w3(node).eth.block_number
    for _ in range(300):
        if indexer.checkpoint >= head:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"indexer at {indexer.checkpoint}, head {head}")


async def test_api_reads_answer_while_the_rpc_url_points_nowhere(
    clean_db: str, clean_redis: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partisipro.app import create_app

    point_settings_at(monkeypatch, "http://127.0.0.1:9")  # nothing listens on the discard port
    async with asgi_client(create_app()) as api:
        response: httpx.Response = await api.get("/api/v1/admin/transactions", headers=bearer("admin"))
        assert response.status_code == 200
        assert response.json()["items"] == []
        ready = await api.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["failing"] == ["chain"]
