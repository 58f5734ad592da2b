"""Operational gauges published to CloudWatch for autoscaling and alarms.

Domains register a gauge (an async function returning a number, or None when it cannot
be measured); a scheduled job reads them all once a minute and sends them with one
``PutMetricData`` call to ``PARTISIPRO_CLOUDWATCH_NAMESPACE`` with the dimension
``Environment=PARTISIPRO_CLOUDWATCH_ENVIRONMENT``. infra/terraform scales the workers on
``QueueDepth`` and alarms on ``IndexerLagBlocks`` and ``DeadLetters``. Without a namespace
(dev, tests by default) nothing is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from partisipro import jobs
from partisipro.settings import get_settings

log = structlog.get_logger("partisipro.opsmetrics")

Gauge = Callable[[], Awaitable[float | int | None]]
_gauges: dict[str, Gauge] = {}


def register_gauge(name: str, gauge: Gauge) -> None:
    _gauges[name] = gauge


async def read_gauges() -> dict[str, float]:
    """Every gauge that answers; a failing one is logged and left out (its alarm sees no data)."""
    jobs.load_domain_jobs()  # the domains register their gauges from their jobs modules
    values: dict[str, float] = {}
    for name, gauge in _gauges.items():
        try:
            value = await gauge()
        except Exception as exc:
            log.warning("gauge failed", gauge=name, error=f"{type(exc).__name__}: {exc}")
            continue
        if value is not None:
            values[name] = float(value)
    return values


async def publish_gauges(cloudwatch: Any = None) -> dict[str, float]:
    """Read the gauges and send them to CloudWatch; returns what was sent."""
    settings = get_settings()
    if not settings.cloudwatch_namespace:
        return {}
    values = await read_gauges()
    if not values:
        return {}
    if cloudwatch is None:
        import boto3

        cloudwatch = boto3.client("cloudwatch")  # region and credentials from the task's environment
    dimensions = [{"Name": "Environment", "Value": settings.cloudwatch_environment or settings.profile}]
    data = [
        {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": "Count"}
        for name, value in sorted(values.items())
    ]
    await asyncio.to_thread(cloudwatch.put_metric_data, Namespace=settings.cloudwatch_namespace, MetricData=data)
    return values


@jobs.cron("* * * * *", timeout=50)
async def publish_operational_metrics(_: Any) -> None:
    await publish_gauges()


async def _queue_depth() -> int | None:
    queue = jobs.get_queue()
    if queue is None:
        return None
    return int(await queue.count("queued"))


register_gauge("QueueDepth", _queue_depth)
