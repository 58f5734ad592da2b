"""Real-time tests: the app under a real uvicorn on loopback (websockets need a server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fixtures.realtime import realtime_app, served


@pytest.fixture
async def server(clean_db: str, clean_redis: None) -> AsyncIterator[str]:
    from partisipro.settings import reset_settings

    reset_settings()
    async with served(realtime_app()) as base:
        yield base
