"""Chain background work: the sender loop (run by ``partisipro worker``)."""

from __future__ import annotations

import structlog

from partisipro import jobs, opsmetrics
from partisipro.chain.client import ChainUnavailable
from partisipro.settings import get_settings

log = structlog.get_logger("partisipro.chain.jobs")


async def _indexer_lag_blocks() -> int | None:
    if not get_settings().chain_rpc_url:
        return None
    from partisipro.chain.indexer import indexer_lag

    return (await indexer_lag())["indexer_lag_blocks"]


opsmetrics.register_gauge("IndexerLagBlocks", _indexer_lag_blocks)


@jobs.loop("chain-sender", idle_seconds=0.5)
async def chain_sender() -> int:
    """Reconcile in-flight platform transactions and send pending intents."""
    if not get_settings().chain_rpc_url:
        return 0
    from partisipro.chain.sender import get_sender

    try:
        return await get_sender().run_once()
    except ChainUnavailable as exc:
        log.warning("chain RPC unavailable; sender waits", error=str(exc))
        return 0
