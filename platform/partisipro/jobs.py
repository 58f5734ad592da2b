"""Background work: queue jobs (SAQ on Redis) and outbox loops, same functions in every profile.

Two kinds of work are registered here by the domains' ``jobs`` modules:

* **jobs**: async functions ``fn(ctx, **kwargs)`` enqueued by name. With Redis they go to a
  SAQ queue and any ``partisipro worker`` process runs them (retries, timeouts, uniqueness
  by key); on the embedded profile they run as tasks in this process.
* **loops**: async functions ``fn() -> int`` that drain an outbox table (notifications, chain
  transactions). The worker calls each one repeatedly; when it reports 0 items done it
  sleeps for its interval. Outbox rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``
  so any number of workers can run the same loop.
* **cron**: jobs run on a schedule (SAQ cron syntax, seconds field first is not used).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from saq import CronJob, Queue, Worker

from partisipro.settings import get_settings

log = structlog.get_logger("partisipro.jobs")

JobFn = Callable[..., Awaitable[Any]]
LoopFn = Callable[[], Awaitable[int]]


@dataclass(frozen=True)
class Loop:
    name: str
    fn: LoopFn
    idle_seconds: float


@dataclass(frozen=True)
class Cron:
    fn: JobFn
    cron: str
    timeout: int


_jobs: dict[str, JobFn] = {}
_loops: dict[str, Loop] = {}
_crons: dict[str, Cron] = {}
_queue: Queue | None = None
_local_tasks: set[asyncio.Task[Any]] = set()


def job(fn: JobFn) -> JobFn:
    """Register a queue job under its function name."""
    _jobs[fn.__name__] = fn
    return fn


def loop(name: str, *, idle_seconds: float = 0.5) -> Callable[[LoopFn], LoopFn]:
    """Register an outbox loop: ``fn()`` returns how many items it handled."""

    def register(fn: LoopFn) -> LoopFn:
        _loops[name] = Loop(name, fn, idle_seconds)
        return fn

    return register


def cron(schedule: str, *, timeout: int = 300) -> Callable[[JobFn], JobFn]:
    """Register a scheduled job (standard five-field cron, UTC)."""

    def register(fn: JobFn) -> JobFn:
        _jobs[fn.__name__] = fn
        _crons[fn.__name__] = Cron(fn, schedule, timeout)
        return fn

    return register


def load_domain_jobs() -> None:
    """Import every domain's jobs module so their registrations run."""
    import partisipro.all_jobs  # noqa: F401


def get_queue() -> Queue | None:
    global _queue
    settings = get_settings()
    if not settings.redis_url:
        return None
    if _queue is None:
        _queue = Queue.from_url(settings.redis_url, name="partisipro")
    return _queue


async def enqueue(name: str, *, key: str | None = None, retries: int = 5, timeout: int = 120, **kwargs: Any) -> None:
    """Run job ``name`` soon: on the Redis queue, or as a local task on the embedded profile.

    ``key`` makes the job unique while it is queued (a second enqueue with the same key is
    dropped), which is how a burst of triggers becomes one run.
    """
    if name not in _jobs:
        load_domain_jobs()
    queue = get_queue()
    if queue is None:
        fn = _jobs[name]
        task = asyncio.create_task(_run_local(name, fn, kwargs))
        _local_tasks.add(task)
        task.add_done_callback(_local_tasks.discard)
        return
    options: dict[str, Any] = {"retries": retries, "timeout": timeout}
    if key:
        options["key"] = key
    await queue.enqueue(name, **options, **kwargs)


async def _run_local(name: str, fn: JobFn, kwargs: dict[str, Any]) -> None:
    try:
        await fn({}, **kwargs)
    except Exception:
        log.exception("local job failed", job=name)


async def run_loop(item: Loop, stop: asyncio.Event) -> None:
    """Drain one outbox until ``stop`` is set; errors are logged and retried after a pause."""
    while not stop.is_set():
        try:
            handled = await item.fn()
        except Exception:
            log.exception("outbox loop failed", loop=item.name)
            handled = 0
            await _sleep_or_stop(stop, max(item.idle_seconds, 1.0))
            continue
        if handled == 0:
            await _sleep_or_stop(stop, item.idle_seconds)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_worker(stop: asyncio.Event, *, loops: bool = True, queue_jobs: bool = True) -> None:
    """Everything a worker does until ``stop`` is set: the SAQ worker, outbox loops, cron."""
    load_domain_jobs()
    tasks: list[asyncio.Task[Any]] = []
    worker: Worker | None = None
    queue = get_queue()
    if queue_jobs and queue is not None:
        worker = Worker(
            queue,
            functions=list(_jobs.values()),
            cron_jobs=[CronJob(c.fn, cron=c.cron, timeout=c.timeout) for c in _crons.values()],
            concurrency=10,
            dequeue_timeout=1.0,  # wake up regularly so a SIGTERM stops the worker promptly
            shutdown_grace_period_s=10,
        )
        tasks.append(asyncio.create_task(worker.start()))
    elif queue_jobs:
        tasks.extend(asyncio.create_task(_local_cron(c, stop)) for c in _crons.values())
    if loops:
        tasks.extend(asyncio.create_task(run_loop(item, stop)) for item in _loops.values())
    log.info("worker started", jobs=sorted(_jobs), loops=sorted(_loops), queue=queue is not None)
    await stop.wait()
    if worker is not None:
        await worker.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _local_cron(item: Cron, stop: asyncio.Event) -> None:
    """Embedded profile: run a scheduled job at each of its cron times while the app runs."""
    from croniter import croniter

    from partisipro.db import utcnow

    schedule = croniter(item.cron, utcnow())
    while not stop.is_set():
        delay = max((schedule.get_next(type(utcnow())) - utcnow()).total_seconds(), 0.0)
        await _sleep_or_stop(stop, delay)
        if not stop.is_set():
            await _run_local(item.fn.__name__, item.fn, {})
