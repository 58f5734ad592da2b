"""Before the suite runs: do the servers the tests need answer? One clear sentence if not."""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlsplit

from tests.settings import test_database_url, test_redis_url


def _answers(url: str, default_port: int) -> tuple[str, int, bool]:
    parts = urlsplit(url.replace("+aiomysql", "").replace("+pymysql", ""))
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return host, port, True
    except OSError:
        return host, port, False


def main() -> int:
    missing = []
    host, port, ok = _answers(test_database_url(), 3306)
    if not ok:
        missing.append(
            f"MariaDB or MySQL on {host}:{port} (e.g. `start-stop-daemon --start --oknodo "
            f"--background --exec /usr/sbin/mariadbd`)"
        )
    host, port, ok = _answers(test_redis_url(), 6379)
    if not ok:
        missing.append(
            f"Redis on {host}:{port} (e.g. `redis-server --daemonize yes --bind 127.0.0.1 "
            f"--port {port} --save '' --appendonly no`)"
        )
    if missing:
        print(
            "The tests need real servers that are not answering: start "
            + " and ".join(missing)
            + ", or point PARTISIPRO_TEST_DATABASE_URL / PARTISIPRO_TEST_REDIS_URL at running ones."
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
