"""Liveness and readiness. Readiness asks every dependency and names the ones that fail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Response, get
from sqlalchemy import text

from partisipro.db import session_maker
from partisipro.redis import get_redis

ReadinessCheck = Callable[[], Awaitable[dict[str, Any] | None]]
CHECK_TIMEOUT_SECONDS = 2.0

_checks: dict[str, ReadinessCheck] = {}


def register_readiness_check(name: str, check: ReadinessCheck) -> None:
    """Add a dependency to /health/ready. The check raises (or times out) when it is down."""
    _checks[name] = check


async def _database() -> dict[str, Any] | None:
    async with session_maker()() as session:
        await session.execute(text("SELECT 1"))
    return None


async def _redis() -> dict[str, Any] | None:
    redis = get_redis()
    if redis is None:
        return {"mode": "in-process"}
    await redis.ping()
    return None


register_readiness_check("database", _database)
register_readiness_check("redis", _redis)


async def _run(check: ReadinessCheck) -> tuple[bool, dict[str, Any]]:
    try:
        details = await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return False, {"status": "down", "error": f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"}
    except Exception as exc:
        return False, {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return True, {"status": "up", **(details or {})}


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get("/live", summary="The process is running", sync_to_thread=False)
    def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", summary="Every dependency answers (503 names the ones that do not)")
    async def ready(self) -> Response[dict[str, Any]]:
        names = list(_checks)
        results = await asyncio.gather(*(_run(_checks[name]) for name in names))
        checks = {name: detail for name, (_, detail) in zip(names, results, strict=True)}
        failing = [name for name, (ok, _) in zip(names, results, strict=True) if not ok]
        if failing:
            body = {
                "status": "unavailable",
                "failing": failing,
                "checks": checks,
                "detail": f"not ready: {', '.join(failing)} down",
            }
            return Response(body, status_code=503)
        return Response({"status": "ready", "checks": checks}, status_code=200)
