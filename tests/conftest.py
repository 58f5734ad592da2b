"""Suite-wide fixtures: the test profile on real MariaDB/MySQL and Redis, the app and its client.

Every test starts with empty tables and an empty Redis database. The schema is built once
per run by the Alembic migrations (the same path production takes).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar

from tests.fixtures.http import asgi_client
from tests.preflight import main as preflight
from tests.settings import test_database_url, test_redis_url

os.environ["PARTISIPRO_PROFILE"] = "test"
os.environ["PARTISIPRO_DATABASE_URL"] = test_database_url()
os.environ["PARTISIPRO_REDIS_URL"] = test_redis_url()
os.environ.setdefault("PARTISIPRO_LOG_JSON", "false")
os.environ.setdefault("PARTISIPRO_LOG_LEVEL", "WARNING")


def pytest_sessionstart(session: pytest.Session) -> None:
    if preflight() != 0:
        pytest.exit("test servers are not running (see the sentence above)", returncode=2)


def _sync_url(url: str) -> sa.engine.URL:
    return sa.engine.make_url(url.replace("+aiomysql", "+pymysql"))


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """Create the test database if needed, drop every table, migrate to head."""
    from partisipro.migrate import upgrade_sync

    url = _sync_url(test_database_url())
    server = sa.create_engine(url.set(database=""))
    with server.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{url.database}` CHARACTER SET utf8mb4"))
    server.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
        for (table,) in conn.execute(sa.text("SHOW TABLES")).all():
            conn.execute(sa.text(f"DROP TABLE `{table}`"))
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))
    engine.dispose()
    upgrade_sync("head", test_database_url())
    yield test_database_url()


_engines: dict[str, sa.engine.Engine] = {}


def truncate_all(url: str) -> None:
    """Empty every table. DELETE, not TRUNCATE: on InnoDB a TRUNCATE recreates the table
    (tens of milliseconds each), while deleting the few rows a test wrote is instant."""
    engine = _engines.get(url) or _engines.setdefault(url, sa.create_engine(_sync_url(url), pool_size=1))
    with engine.begin() as conn:
        tables = [t for (t,) in conn.execute(sa.text("SHOW TABLES")).all() if t != "alembic_version"]
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
        for table in tables:
            conn.execute(sa.text(f"DELETE FROM `{table}`"))
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture
def clean_db(database: str) -> str:
    truncate_all(database)
    return database


@pytest.fixture
async def clean_redis() -> AsyncIterator[None]:
    from partisipro.redis import get_redis

    redis = get_redis()
    assert redis is not None
    await redis.flushdb()
    yield


@pytest.fixture
def app(clean_db: str, clean_redis: None) -> Litestar:
    from partisipro.app import create_app
    from partisipro.settings import reset_settings

    reset_settings()
    return create_app()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client running the app (and its lifespan) on the test's own event loop, so the app
    shares the engine pool and Redis client with factories and direct sessions."""
    async with asgi_client(app) as http:
        yield http
