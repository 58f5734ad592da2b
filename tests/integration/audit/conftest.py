"""Audit tests: the SMTP server for emailed tokens."""

from __future__ import annotations

from tests.fixtures.mail import smtp_server  # noqa: F401
