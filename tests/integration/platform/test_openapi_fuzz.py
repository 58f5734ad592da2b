"""Schemathesis over the served OpenAPI document: no generated request gets a 5xx.

The app runs as a real server (`partisipro serve`, test profile) in a subprocess on a free
loopback port, against this run's MariaDB database and Redis db. Requests carry a token
holding every role, for an admin made by `partisipro users create-admin`, so the fuzzer
gets past the guards. Bounded: a few examples per operation, no deadline.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import truncate_all
from tests.settings import test_database_url as database_url
from tests.settings import test_redis_url as redis_url

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES_PER_OPERATION = 6  # per operation and per mode (valid and invalid input)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PARTISIPRO_PROFILE": "test",
        "PARTISIPRO_DATABASE_URL": database_url(),
        "PARTISIPRO_REDIS_URL": redis_url(),
        "PARTISIPRO_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PARTISIPRO_LOG_LEVEL": "WARNING",
        "PARTISIPRO_LOG_JSON": "false",
    }


@pytest.fixture(scope="module")
def served_app(database: str) -> Iterator[tuple[str, dict[str, str]]]:
    truncate_all(database)
    redis.Redis.from_url(redis_url()).flushdb()
    port = _free_port()
    env = _env(port)
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "partisipro.cli",
            "users",
            "create-admin",
            "--email",
            "fuzz-admin@example.com",
            "--full-name",
            "Fuzz Admin",
            "--password",
            "fuzzing passphrase 1",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    user_id = uuid.UUID(re.search(r"with id ([0-9a-f-]{36})", created.stdout).group(1))
    server = subprocess.Popen(
        [sys.executable, "-m", "partisipro.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.2)
        from partisipro.security import ROLES, issue_access_token

        token, _ = issue_access_token(user_id, list(ROLES), uuid.uuid4().hex)
        yield base, {"Authorization": f"Bearer {token}"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def test_no_generated_request_gets_a_server_error(served_app):
    base, headers = served_app
    api = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    server_errors: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def exercise(case) -> None:
                response = case.call(base_url=base, headers=headers, timeout=30)
                if response.status_code >= 500:
                    server_errors.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                    )

            try:
                exercise()
            except Unsatisfiable:  # e.g. no invalid input exists for an operation without parameters
                continue
    assert operations > 10
    assert server_errors == [], "\n".join(sorted(set(server_errors)))
