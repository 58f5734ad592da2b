"""KYC background work: apply provider webhooks, the daily expiry run, registry event handlers."""

from __future__ import annotations

from typing import Any

import structlog
from partisipro.db import provide_services
from partisipro.jobs import cron, job

from kyc.services import KycService

log = structlog.get_logger("kyc.jobs")


@job
async def kyc_apply_webhooks(ctx: dict[str, Any] | None = None) -> int:
    """Apply every stored, unapplied provider delivery in provider-time order."""
    total = 0
    while True:
        async with provide_services(KycService) as kyc:
            handled = await kyc.apply_pending_webhooks()
        total += handled
        if handled == 0:
            return total


@cron("*/5 * * * *")
async def kyc_apply_webhooks_sweep(ctx: dict[str, Any] | None = None) -> int:
    """Safety net: a delivery whose job was lost is applied within five minutes."""
    return await kyc_apply_webhooks(ctx)


@cron("15 1 * * *", timeout=1800)
async def kyc_expire_approvals(ctx: dict[str, Any] | None = None) -> dict[str, int]:
    """Daily: expire due approvals (wallets leave the registry) and warn 30 days ahead."""
    async with provide_services(KycService) as kyc:
        result = await kyc.run_expiry()
    log.info("kyc expiry run", **result)
    return result


def _register_indexer_handlers() -> None:
    """Keep wallets' ``registered_on_chain`` in step with the IdentityRegistry's events.

    Idempotent (they set a state, they do not count), and undone on a reorg by the paired
    ``on_revert`` handlers.
    """
    from partisipro.chain import indexer

    @indexer.on_event("IdentityRegistry", "IdentityRegistered")
    async def kyc_identity_registered(session: Any, event: Any) -> None:
        await KycService(session).on_identity_registered(event.args["wallet"])

    @indexer.on_revert("IdentityRegistry", "IdentityRegistered")
    async def kyc_identity_registered_reverted(session: Any, event: Any) -> None:
        await KycService(session).on_identity_removed(event.args["wallet"], reverted=True)

    @indexer.on_event("IdentityRegistry", "IdentityRemoved")
    async def kyc_identity_removed(session: Any, event: Any) -> None:
        await KycService(session).on_identity_removed(event.args["wallet"])

    @indexer.on_revert("IdentityRegistry", "IdentityRemoved")
    async def kyc_identity_removed_reverted(session: Any, event: Any) -> None:
        await KycService(session).on_identity_registered(event.args["wallet"], reverted=True)


_register_indexer_handlers()
