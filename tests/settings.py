"""Where the test suite finds its servers (override with PARTISIPRO_TEST_* variables)."""

from __future__ import annotations

import os


def test_database_url() -> str:
    return os.environ.get("PARTISIPRO_TEST_DATABASE_URL", "mysql+aiomysql://root@127.0.0.1:3306/test")


def test_redis_url() -> str:
    return os.environ.get("PARTISIPRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
