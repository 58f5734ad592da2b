"""Regenerate migrations/versions/0001_initial.py from the models (pre-release only).

Until the first production deployment the schema is one initial revision, rebuilt from
the models against a scratch MariaDB/MySQL database. After that, revisions are appended.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from partisipro.migrate import alembic_config

from tests.settings import test_database_url

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = "partisipro_migrations"


def main() -> int:
    url = sa.engine.make_url(test_database_url().replace("+aiomysql", "+pymysql"))
    server = sa.create_engine(url.set(database=""))
    with server.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{SCRATCH}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{SCRATCH}` CHARACTER SET utf8mb4"))
    server.dispose()
    for old in (ROOT / "migrations" / "versions").glob("*.py"):
        old.unlink()
    async_url = url.set(database=SCRATCH, drivername="mysql+aiomysql").render_as_string(hide_password=False)
    command.revision(alembic_config(async_url), message="initial", autogenerate=True, rev_id="0001")
    written = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    subprocess.run([sys.executable, "-m", "ruff", "format", *map(str, written)], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "-q", *map(str, written)], check=False)
    print("wrote", ", ".join(p.name for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
