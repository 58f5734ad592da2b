"""Governance background work: the indexer handlers (registered on import) and the vote-ending reminder."""

from __future__ import annotations

from typing import Any

from partisipro.db import open_session
from partisipro.governance import handlers  # noqa: F401
from partisipro.governance.services import GovernanceService
from partisipro.jobs import cron


@cron("*/10 * * * *")
async def governance_remind_ending_votes(ctx: dict[str, Any] | None = None) -> int:
    """Holders who have not voted hear, once per proposal, that voting ends within 24 hours."""
    async with open_session() as session:
        return await GovernanceService(session).remind_ending_votes()
