"""A delivery worker killed with SIGKILL mid-batch: after a restart every message arrives, once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from partisipro.db import open_session
from partisipro.settings import get_settings

import notifications
from notifications.delivery import message_id_for
from notifications.models import SENDING, SENT, NotificationOutbox
from tests.fixtures.mail import SmtpServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 1000
LANES = 4
# A guard against a hung worker, not a performance assertion.
DEADLINE_SECONDS = 240


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PARTISIPRO_NOTIFICATIONS_LEASE_SECONDS": "3",
        "PARTISIPRO_NOTIFICATIONS_BATCH_SIZE": "50",
        "PARTISIPRO_NOTIFICATIONS_CONCURRENCY": str(LANES),
        "PARTISIPRO_LOG_LEVEL": "INFO",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "notifications.worker"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def counts() -> dict[str, int]:
    async with open_session(commit=False) as session:
        rows = await session.execute(
            sa.select(NotificationOutbox.status, sa.func.count()).group_by(NotificationOutbox.status)
        )
        return dict(rows.tuples().all())


def tail(log: Path) -> str:
    return log.read_text()[-3000:]


async def wait_until(predicate: object, worker: subprocess.Popen[bytes], log: Path) -> dict[str, int]:
    for _ in range(DEADLINE_SECONDS * 20):
        current = await counts()
        if predicate(current):  # type: ignore[operator]
            return current
        assert worker.poll() is None, tail(log)
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker did not get there: {await counts()}\n{tail(log)}")


async def test_sigkill_mid_batch_then_restart_delivers_every_message_exactly_once_by_message_id(
    smtp_server: SmtpServer, db: str, tmp_path: Path
) -> None:
    recipients = [notifications.Recipient(None, f"investor{i:04d}@example.com") for i in range(MESSAGES)]
    async with open_session() as session:
        await notifications.notify(session, "kyc.submitted", recipients, {"application_id": "bulk"}, event_id="bulk")
    async with open_session(commit=False) as session:
        ids = (await session.scalars(sa.select(NotificationOutbox.id))).all()
    expected = {message_id_for(row_id, get_settings().email_from) for row_id in ids}
    assert len(expected) == MESSAGES
    log = tmp_path / "worker.log"

    first = start_worker(log)
    try:
        at_kill = await wait_until(lambda c: c.get(SENT, 0) >= MESSAGES // 3 and c.get(SENDING, 0) > 0, first, log)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    after_kill = await counts()
    assert first.returncode == -signal.SIGKILL
    assert after_kill.get(SENDING, 0) > 0, "the worker must die holding a claimed batch"
    assert after_kill.get(SENT, 0) < MESSAGES

    second = start_worker(log)
    try:
        final = await wait_until(lambda c: c.get(SENT, 0) == MESSAGES, second, log)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    received = smtp_server.message_ids()
    assert final == {SENT: MESSAGES}
    assert set(received) == expected  # nothing missing, nothing foreign
    duplicates = len(received) - len(set(received))
    # At-least-once: only messages accepted by SMTP but not yet committed as sent can repeat,
    # at most one in flight per delivery lane of the killed worker.
    assert duplicates <= LANES, (at_kill, after_kill, duplicates)
    print(f"killed at {at_kill}; {len(received)} received, {len(set(received))} distinct, {duplicates} repeated")
