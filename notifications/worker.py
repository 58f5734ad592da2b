"""``python -m notifications.worker``: run only the notification delivery loop until SIGTERM/SIGINT.

``partisipro worker`` runs this loop beside every other job; this entry is for scaling email
delivery on its own and for the crash-recovery test. Any number may run at once (rows are
claimed with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import signal

import partisipro.all_models  # noqa: F401 - every mapper (and the domains' driver set-up), as in the app
import structlog
from partisipro.db import dispose_engines
from partisipro.jobs import Loop, run_loop
from partisipro.logging import configure_logging
from partisipro.settings import get_settings

from notifications.jobs import deliver_notifications_loop

log = structlog.get_logger("notifications.worker")


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("notification worker started", backend=settings.email_backend)
    try:
        await run_loop(Loop("notifications", deliver_notifications_loop, 0.2), stop)
    finally:
        await dispose_engines()


if __name__ == "__main__":
    asyncio.run(main())
