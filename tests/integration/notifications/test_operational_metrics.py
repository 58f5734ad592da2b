"""The worker's operational gauges reach CloudWatch (moto's server speaking the real API)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from partisipro import jobs
from partisipro.opsmetrics import publish_gauges
from partisipro.settings import reset_settings

import notifications
from tests.fixtures.mail import SmtpServer, deliver_notifications, free_port
from tests.integration.notifications.conftest import notify_now

pytestmark = pytest.mark.integration


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PARTISIPRO_CLOUDWATCH_NAMESPACE", "Partisipro")
    monkeypatch.setenv("PARTISIPRO_CLOUDWATCH_ENVIRONMENT", "staging")
    reset_settings()
    yield boto3.client("cloudwatch", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
    server.stop()
    monkeypatch.undo()
    reset_settings()


def _latest(client: object, name: str) -> float | None:
    now = dt.datetime.now(dt.UTC)
    answer = client.get_metric_statistics(  # type: ignore[attr-defined]
        Namespace="Partisipro",
        MetricName=name,
        Dimensions=[{"Name": "Environment", "Value": "staging"}],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )
    points = answer["Datapoints"]
    return max(p["Maximum"] for p in points) if points else None


async def test_dead_letters_and_queue_depth_are_published_for_autoscaling_and_alarms(
    smtp_server: SmtpServer, db: str, cloudwatch: object
) -> None:
    await notify_now(
        "kyc.submitted",
        [notifications.Recipient(user_id=uuid.uuid4(), email="not an address")],
        {"name": "X", "application_id": "x"},
    )
    await deliver_notifications()  # an invalid address is dead-lettered at once
    queue = jobs.get_queue()
    assert queue is not None
    await queue.enqueue("kyc_expire_approvals", key=f"gauge-{uuid.uuid4()}")  # no worker runs it

    sent = await publish_gauges(cloudwatch)

    assert sent["DeadLetters"] == 1
    assert sent["QueueDepth"] >= 1
    assert _latest(cloudwatch, "DeadLetters") == 1
    assert (_latest(cloudwatch, "QueueDepth") or 0) >= 1


async def test_nothing_is_published_without_a_namespace(smtp_server: SmtpServer, db: str) -> None:
    reset_settings()
    assert await publish_gauges() == {}
