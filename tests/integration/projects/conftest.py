"""Project and organisation tests: the app served on the test's event loop."""

from __future__ import annotations

from tests.fixtures.s3 import moto_s3, s3_server  # noqa: F401
