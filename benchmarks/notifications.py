"""``python -m benchmarks.notifications``: email delivery throughput to a local SMTP server.

Fills the outbox with 5,000 email messages (one ``notify`` call, as a bulk domain event
would), then drains it with the real delivery code (``deliver_batch`` in a loop, as one
worker does) against an aiosmtpd server on loopback, and prints JSON with messages per
second. Uses ``PARTISIPRO_BENCH_DATABASE_URL`` (default: the local MariaDB, database
``bench_notifications``, created and migrated here). A figure, never a pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import threading
import time
from typing import Any

import sqlalchemy as sa

DEFAULT_URL = "mysql+aiomysql://root@127.0.0.1:3306/bench_notifications"


class CountingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.message_ids: set[str] = set()
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        header = envelope.content.split(b"\r\n\r\n", 1)[0]
        for line in header.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.message_ids.add(line.split(b":", 1)[1].strip().decode())
        with self.lock:
            self.received += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_database(url: str) -> None:
    from partisipro.migrate import upgrade_sync

    sync = sa.engine.make_url(url.replace("+aiomysql", "+pymysql"))
    server = sa.create_engine(sync.set(database=""))
    with server.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{sync.database}` CHARACTER SET utf8mb4"))
    server.dispose()
    upgrade_sync("head", url)
    engine = sa.create_engine(sync)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM notification_outbox"))
    engine.dispose()


async def _run(messages: int, batch_size: int) -> dict[str, Any]:
    from partisipro.db import dispose_engines, open_session

    import notifications
    from notifications.delivery import deliver_batch

    recipients = [notifications.Recipient(None, f"bench{i:05d}@example.com") for i in range(messages)]
    started = time.perf_counter()
    async with open_session() as session:
        await notifications.notify(session, "kyc.submitted", recipients, {"application_id": "bench"}, event_id="b")
    enqueue_seconds = time.perf_counter() - started

    started = time.perf_counter()
    delivered = 0
    while True:
        handled = await deliver_batch(batch_size)
        if handled == 0:
            break
        delivered += handled
    seconds = time.perf_counter() - started
    await dispose_engines()
    return {"delivered_rows": delivered, "seconds": seconds, "enqueue_seconds": enqueue_seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args(argv)

    from aiosmtpd.controller import Controller

    url = os.environ.get("PARTISIPRO_BENCH_DATABASE_URL", DEFAULT_URL)
    handler = CountingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    os.environ.update(
        {
            "PARTISIPRO_PROFILE": "test",
            "PARTISIPRO_DATABASE_URL": url,
            "PARTISIPRO_EMAIL_BACKEND": "smtp",
            "PARTISIPRO_SMTP_HOST": "127.0.0.1",
            "PARTISIPRO_SMTP_PORT": str(port),
            "PARTISIPRO_LOG_LEVEL": "WARNING",
        }
    )
    import partisipro.all_models  # noqa: F401 - every mapper, as the worker has them
    from partisipro.settings import reset_settings

    reset_settings()
    try:
        _prepare_database(url)
        result = asyncio.run(_run(args.messages, args.batch_size))
    finally:
        controller.stop()
    figures = {
        "benchmark": "notifications.smtp_delivery",
        "messages": args.messages,
        "batch_size": args.batch_size,
        "workers": 1,
        "received_by_smtp_server": handler.received,
        "distinct_message_ids": len(handler.message_ids),
        "delivery_seconds": round(result["seconds"], 3),
        "messages_per_second": round(handler.received / result["seconds"], 1) if result["seconds"] else None,
        "enqueue_seconds": round(result["enqueue_seconds"], 3),
        "database": sa.engine.make_url(url).get_backend_name(),
        "python": platform.python_version(),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
