"""Governance tests: a fresh anvil per test, the app served on the test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.treasury import chain_env, node  # noqa: F401
from tests.fixtures.users import asgi_client


@pytest.fixture
async def client(chain_env, app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with asgi_client(app) as http:
        yield http
