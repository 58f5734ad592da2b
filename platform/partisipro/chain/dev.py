"""The dev profile's chain: anvil started by the app, the platform deployed, the indexer running.

``start_dev_chain(settings)`` is entered by the app's lifespan on the embedded profile. With
``chain_start_anvil`` it starts anvil on 127.0.0.1:8545 (or a free port) with its state kept in
``<var_dir>/anvil/state.json`` (dumped every 30 s and on exit, loaded at the next start, so
the chain and the SQLite database stay in step across restarts), points the settings at it,
deploys the platform (idempotent), and runs the indexer as a task. Leaving it stops the
indexer and then anvil.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog

from partisipro.settings import Settings

log = structlog.get_logger("partisipro.chain.dev")
DEV_PORT = 8545


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@asynccontextmanager
async def start_dev_chain(settings: Settings) -> AsyncIterator[None]:
    if not settings.chain_start_anvil and not settings.chain_rpc_url:
        yield
        return
    from partisipro.chain import deployment
    from partisipro.chain.anvil import Anvil
    from partisipro.chain.client import close_clients
    from partisipro.chain.indexer import Indexer

    node: Anvil | None = None
    if settings.chain_start_anvil:
        folder = settings.var_dir / "anvil"
        folder.mkdir(parents=True, exist_ok=True)
        node = Anvil(
            chain_id=settings.chain_id,
            port=DEV_PORT if _port_free(DEV_PORT) else None,
            state_path=folder / "state.json",
            state_interval=30,
            log_path=folder / "anvil.log",
        )
        await asyncio.to_thread(node.start)
        settings.chain_rpc_url = node.rpc_url
        log.info("anvil started", rpc=node.rpc_url, state=str(folder / "state.json"))
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        result = await deployment.deploy(settings=settings)
        log.info("platform contracts", deployed=result.deployed, file=str(result.json_path))
        task = asyncio.create_task(Indexer().run(stop))
        yield
    finally:
        stop.set()
        if task is not None:
            with suppress(Exception):
                await task
        await close_clients()
        if node is not None:
            await asyncio.to_thread(node.stop)
            log.info("anvil stopped")
