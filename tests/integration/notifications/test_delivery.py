"""Outbox delivery against a real SMTP server on loopback."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from partisipro.db import open_session

import notifications
from notifications.models import DEAD, PENDING, SENT, NotificationOutbox
from tests.fixtures.mail import SmtpServer, deliver_notifications
from tests.integration.notifications.conftest import a_user, notify_now, outbox_rows

pytestmark = pytest.mark.integration


async def test_committed_notification_arrives_once_with_subject_both_parts_and_language(
    smtp_server: SmtpServer, db: str
) -> None:
    user_id, address = a_user()
    recipient = notifications.Recipient(user_id=user_id, email=address, locale="id")
    context = {"name": "Siti", "reason": "Foto KTP tidak terbaca."}

    await notify_now("kyc.rejected", [recipient], context, event_id="app-1")
    await notify_now("kyc.rejected", [recipient], context, event_id="app-1")  # a repeated call adds nothing
    delivered = await deliver_notifications()
    await deliver_notifications()

    assert delivered >= 1
    received = smtp_server.to(address)
    assert len(received) == 1
    message = received[0]
    assert message["Subject"] == "Verifikasi identitas Anda tidak disetujui"
    assert message["Content-Language"] == "id"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Alasan: Foto KTP tidak terbaca." in text.get_content()
    assert "<p" in html.get_content() and "Halo Siti" in html.get_content()
    [row] = await outbox_rows(channel="email")
    assert row.status == SENT and row.message_id == message["Message-ID"]


async def test_rolled_back_business_change_sends_nothing(smtp_server: SmtpServer, db: str) -> None:
    user_id, address = a_user()

    with pytest.raises(RuntimeError):
        async with open_session() as session:
            await notifications.notify(
                session,
                "kyc.approved",
                [notifications.Recipient(user_id=user_id, email=address)],
                {"name": "Siti", "valid_until": "2027-01-01T00:00:00+00:00"},
            )
            raise RuntimeError("the business change failed")
    await deliver_notifications()

    assert smtp_server.messages == []
    assert await outbox_rows() == []


async def test_email_only_recipient_gets_email_and_no_feed_entry(smtp_server: SmtpServer, db: str) -> None:
    from notifications.models import Notification

    await notify_now(
        "account.verify_email",
        [notifications.Recipient(user_id=None, email="new@example.com")],
        {"name": "New", "verify_url": "https://app.partisipro.id/verify?token=t"},
    )
    await deliver_notifications()

    [message] = smtp_server.to("new@example.com")
    assert message["Subject"] == "Confirm your email address"
    assert "https://app.partisipro.id/verify?token=t" in message.get_body(("plain",)).get_content()
    async with open_session(commit=False) as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


async def test_smtp_421_is_retried_with_backoff_and_delivered_later(smtp_server: SmtpServer, db: str) -> None:
    user_id, address = a_user()
    smtp_server.answer_data_with("421 4.3.0 Service busy, try later", times=2)
    await notify_now(
        "kyc.expiring",
        [notifications.Recipient(user_id=user_id, email=address)],
        {"name": "Siti", "expires_at": "2027-01-01T00:00:00+00:00"},
    )

    await deliver_notifications()
    [row] = await outbox_rows(channel="email")
    assert row.status == PENDING and row.attempts == 1 and "421" in (row.last_error or "")
    assert smtp_server.messages == []

    for _ in range(2):  # make the retry due now instead of waiting for the backoff
        await _make_due(row.id)
        await deliver_notifications()

    [message] = smtp_server.to(address)
    assert message["Subject"] == "Your identity verification expires soon"
    [row] = await outbox_rows(channel="email")
    assert row.status == SENT and row.attempts == 3


async def test_permanent_smtp_rejection_is_dead_lettered_without_retry(smtp_server: SmtpServer, db: str) -> None:
    smtp_server.reject_recipient("gone@example.com", "550 5.1.1 No such user")
    await notify_now(
        "kyc.submitted",
        [notifications.Recipient(user_id=uuid.uuid4(), email="gone@example.com")],
        {"name": "Gone", "application_id": "x"},
    )

    await deliver_notifications()
    [row] = await outbox_rows(channel="email")
    await _make_due(row.id)
    await deliver_notifications()

    [row] = await outbox_rows(channel="email")
    assert row.status == DEAD and row.permanent_failure and row.attempts == 1
    assert "550" in (row.last_error or "")


async def test_invalid_address_is_dead_lettered_and_never_sent(smtp_server: SmtpServer, db: str) -> None:
    await notify_now(
        "kyc.submitted",
        [notifications.Recipient(user_id=uuid.uuid4(), email="not an address")],
        {"name": "X", "application_id": "x"},
    )

    await deliver_notifications()

    [row] = await outbox_rows(channel="email")
    assert row.status == DEAD and row.permanent_failure and row.last_error == "invalid email address"
    assert smtp_server.data_attempts == 0


async def test_transient_failures_end_in_dead_letter_after_max_attempts(
    smtp_server: SmtpServer, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTISIPRO_NOTIFICATIONS_MAX_ATTEMPTS", "3")
    smtp_server.answer_data_with("451 4.3.0 Local error", times=10)
    await notify_now(
        "kyc.submitted",
        [notifications.Recipient(user_id=uuid.uuid4(), email="later@example.com")],
        {"name": "X", "application_id": "x"},
    )

    for _ in range(5):
        for row in await outbox_rows(status=PENDING):
            await _make_due(row.id)
        await deliver_notifications()

    [row] = await outbox_rows(channel="email")
    assert row.status == DEAD and not row.permanent_failure and row.attempts == 3
    assert "451" in (row.last_error or "")
    assert smtp_server.messages == []


async def _make_due(row_id: uuid.UUID) -> None:
    from partisipro.db import utcnow

    async with open_session() as session:
        await session.execute(
            sa.update(NotificationOutbox).where(NotificationOutbox.id == row_id).values(next_attempt_at=utcnow())
        )
