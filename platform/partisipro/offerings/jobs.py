"""Offering jobs: the indexer handlers (registered on import) and the broadcast-receipt loop."""

from __future__ import annotations

from partisipro.db import open_session
from partisipro.jobs import loop
from partisipro.offerings import (
    handlers,  # noqa: F401  (registers the indexer handlers)
    services,
)
from partisipro.projects import handlers as project_handlers  # noqa: F401


@loop("offerings.broadcast_receipts", idle_seconds=2.0)
async def broadcast_receipts() -> int:
    """Mark investments whose client-signed transaction reverted as failed."""
    async with open_session() as session:
        return await services.check_broadcast_receipts(session)
