"""Alembic from code: `partisipro db upgrade`, the dev profile's self-migration, and tests."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config

from partisipro.settings import REPO_ROOT, get_settings


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    return config


def upgrade_sync(revision: str = "head", database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_database(revision: str = "head") -> None:
    # Alembic's env.py runs its own event loop work; keep it off this loop.
    await asyncio.to_thread(upgrade_sync, revision)
