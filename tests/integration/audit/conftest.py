"""Audit tests: the app served on the test's event loop, the SMTP server for emailed tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.mail import smtp_server  # noqa: F401
from tests.fixtures.users import asgi_client


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as http:
        yield http
