"""The other channels: real-time push, the dev mailbox folder and Amazon SES (moto server)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from partisipro.redis import get_redis
from partisipro.settings import reset_settings

import notifications
from notifications.models import DEAD, SENT
from tests.fixtures.mail import deliver_notifications
from tests.integration.notifications.conftest import a_user, notify_now, outbox_rows

pytestmark = pytest.mark.integration

SENDER = "no-reply@partisipro.test"


async def test_push_reaches_the_users_private_real_time_channel(db: str) -> None:
    user_id, address = a_user()

    await notify_now(
        "kyc.approved",
        [notifications.Recipient(user_id, address)],
        {"name": "S", "valid_until": "2027-01-01T00:00:00Z"},
        event_id="kyc-1",
    )
    await deliver_notifications()

    redis = get_redis()
    assert redis is not None
    entries = await redis.xrange(f"events:user:{user_id}")
    payloads = [json.loads(fields[b"data"]) for _, fields in entries]
    assert [(p["type"], p["event"], p["title"]) for p in payloads] == [
        ("notification", "kyc.approved", "Your identity verification is approved")
    ]
    [push] = await outbox_rows(channel="push")
    assert push.status == SENT


@pytest.fixture
def mailbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PARTISIPRO_EMAIL_BACKEND", "mailbox")
    monkeypatch.setenv("PARTISIPRO_VAR_DIR", str(tmp_path))
    reset_settings()
    yield tmp_path / "mailbox"
    monkeypatch.undo()
    reset_settings()


async def test_dev_mailbox_writes_one_eml_file_per_message(db: str, mailbox: Path) -> None:
    await notify_now(
        "account.password_reset",
        [notifications.Recipient(None, "ana@example.com", locale="id")],
        {"name": "Ana", "reset_url": "https://app.partisipro.id/reset?token=r", "expires_at": "2030-01-01T00:00:00Z"},
    )

    await deliver_notifications()

    [path] = list(mailbox.glob("*.eml"))  # noqa: ASYNC240 - a test reading a temp folder
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Atur ulang kata sandi Anda"
    assert "https://app.partisipro.id/reset?token=r" in message.get_body(("plain",)).get_content()


@pytest.fixture
def ses_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {
        "PARTISIPRO_EMAIL_BACKEND": "ses",
        "PARTISIPRO_EMAIL_FROM": f"Partisipro <{SENDER}>",
        "PARTISIPRO_SES_REGION": "us-east-1",
        "PARTISIPRO_NOTIFICATIONS_SES_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    try:
        yield endpoint
    finally:
        server.stop()
        monkeypatch.undo()
        reset_settings()


def _ses(endpoint: str) -> object:
    return boto3.client("ses", endpoint_url=endpoint, region_name="us-east-1")


async def test_ses_backend_sends_the_raw_mime_message_through_boto3(db: str, ses_server: str) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    _ses(ses_server).verify_email_identity(EmailAddress=SENDER)  # type: ignore[attr-defined]
    received = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    before = len(received)
    user_id, address = a_user()

    await notify_now(
        "kyc.approved",
        [notifications.Recipient(user_id, address)],
        {"name": "S", "valid_until": "2027-01-01T00:00:00Z"},
    )
    await deliver_notifications()

    [row] = await outbox_rows(channel="email")
    assert row.status == SENT
    [sent] = received[before:]
    message = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert message["Subject"] == "Your identity verification is approved"
    assert message["Message-ID"] == row.message_id
    assert {part.get_content_type() for part in message.iter_parts()} == {"text/plain", "text/html"}


async def test_ses_rejection_is_a_permanent_failure(db: str, ses_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTISIPRO_EMAIL_FROM", f"never-verified-{uuid.uuid4().hex[:8]}@partisipro.test")
    reset_settings()  # an unverified sender identity: SES answers MessageRejected
    await notify_now("kyc.submitted", [notifications.Recipient(uuid.uuid4(), "x@example.com")], {"application_id": "a"})

    await deliver_notifications()

    [row] = await outbox_rows(channel="email")
    assert row.status == DEAD and row.permanent_failure and "MessageRejected" in (row.last_error or "")
