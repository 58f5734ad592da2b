"""Delivery of the outbox: claim due rows, send them, record the outcome.

A batch is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and marked ``sending`` with a
lease and a claim token, then committed; the messages are sent outside any transaction and
each outcome is committed on its own by a conditional UPDATE (``WHERE claim_token = ours``),
so a worker whose lease ran out cannot overwrite the row another worker reclaimed.

Delivery is at-least-once: a worker killed after the SMTP server accepted a message and
before its ``sent`` commit sends it again once the lease expires. Every email carries a
Message-ID derived from the outbox row id, identical on every attempt, so such a repeat is
recognisable (and collapsed by receivers that deduplicate on Message-ID).

Failures: transient ones (connection errors, 4xx replies, throttling) are retried with
exponential backoff and full jitter up to ``max_attempts``, then dead-lettered with the last
error; permanent ones (invalid address, 5xx recipient or data replies, SES MessageRejected)
are dead-lettered at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
import re
import uuid
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
import structlog
from partisipro.db import open_session, utcnow
from partisipro.settings import Settings, get_settings
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import and_, or_, select, update

from notifications.catalogue import get_event
from notifications.models import DEAD, EMAIL, PENDING, PUSH, SENDING, SENT, SKIPPED, SUPPRESSED, NotificationOutbox
from notifications.render import render
from notifications.services import SuppressionService

log = structlog.get_logger("notifications.delivery")


class DeliverySettings(BaseSettings):
    """Tuning of the delivery loop (``PARTISIPRO_NOTIFICATIONS_*``), read when a batch starts."""

    model_config = SettingsConfigDict(env_prefix="PARTISIPRO_NOTIFICATIONS_", extra="ignore")

    batch_size: int = 50
    # Parallel SMTP connections per worker; also the most messages a killed worker can repeat.
    concurrency: int = 4
    lease_seconds: float = 300.0
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    smtp_timeout_seconds: float = 30.0
    ses_endpoint_url: str = ""
    # SNS (SES bounce and complaint feedback)
    sns_topic_arns: list[str] = []
    sns_confirm_subscriptions: bool = False
    sns_max_age_seconds: int = 3600


def delivery_settings() -> DeliverySettings:
    return DeliverySettings()


class PermanentFailure(Exception):
    """Sending can never succeed (bad address, 5xx reply): dead-letter without retrying."""


class TransientFailure(Exception):
    """Sending may succeed later: retry with backoff."""


_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*$")


def valid_address(address: str) -> bool:
    return len(address) <= 320 and bool(_ADDRESS.match(address)) and "\n" not in address and "\r" not in address


def message_id_for(row_id: uuid.UUID, sender: str) -> str:
    """The Message-ID of an outbox row: the same on every attempt."""
    _, addr = email.utils.parseaddr(sender)
    domain = addr.rpartition("@")[2] or "partisipro.local"
    return f"<{row_id.hex}.notification@{domain}>"


def build_email(row: NotificationOutbox, settings: Settings, *, strict: bool = False) -> EmailMessage:
    """The MIME message (text + HTML alternatives) for an email outbox row."""
    rendered = render(row.event, row.locale, row.context, strict=strict)
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = row.email or ""
    message["Subject"] = rendered.subject
    message["Date"] = email.utils.format_datetime(utcnow())
    message["Message-ID"] = message_id_for(row.id, settings.email_from)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Partisipro-Event"] = row.event
    if get_event(row.event).category == "marketing":
        link = f"{settings.public_url.rstrip('/')}/settings/notifications"
        message["List-Unsubscribe"] = f"<{link}>"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = row.locale  # after the body: set_content drops Content-* headers
    return message


class Transport(Protocol):
    async def send(self, message: EmailMessage, sender: str, recipient: str) -> None: ...

    async def close(self) -> None: ...


class MailboxTransport:
    """Dev profile: each email is an .eml file in ``var_dir/mailbox`` and a log line."""

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.var_dir / "mailbox"

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9.@_-]", "", str(message["Message-ID"])) or uuid.uuid4().hex
        path = self.folder / f"{name}.eml"
        await asyncio.to_thread(path.write_bytes, message.as_bytes())
        log.info("email written to mailbox", to=recipient, subject=str(message["Subject"]), path=str(path))

    async def close(self) -> None:
        return None


def _smtp_code_failure(exc: aiosmtplib.SMTPResponseException, what: str) -> Exception:
    text = f"{what}: {exc.code} {exc.message}"
    return PermanentFailure(text) if 500 <= exc.code < 600 else TransientFailure(text)


class SmtpTransport:
    """SMTP with aiosmtplib; one connection reused across a batch, reopened after an error."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_use_tls,
            start_tls=True if s.smtp_starttls else False,
            timeout=self.timeout,
        )
        await client.connect()
        self._client = client
        return client

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        try:
            client = await self._connected()
            await client.send_message(message, sender=sender, recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.close()
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentFailure(f"recipient refused: {text}") from exc
            raise TransientFailure(f"recipient refused: {text}") from exc
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
            await self.close()
            raise _smtp_code_failure(exc, "smtp") from exc
        except aiosmtplib.SMTPResponseException as exc:
            # Sender refused, HELO or AUTH problems are our configuration: retry, never blame the address.
            await self.close()
            raise TransientFailure(f"smtp: {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise TransientFailure(f"smtp: {type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


# SES error codes that no retry will fix.
SES_PERMANENT = frozenset(
    {"MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException", "InvalidParameterValue"}
)


class SesTransport:
    """Amazon SES (v1 API) SendRawEmail through boto3, run in a thread."""

    def __init__(self, settings: Settings, endpoint_url: str = "") -> None:
        import boto3

        self.settings = settings
        self.client = boto3.client("ses", region_name=settings.ses_region, endpoint_url=endpoint_url or None)

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        kwargs: dict[str, Any] = {
            "Source": sender,
            "Destinations": [recipient],
            "RawMessage": {"Data": message.as_bytes()},
        }
        if self.settings.ses_configuration_set:
            kwargs["ConfigurationSetName"] = self.settings.ses_configuration_set
        try:
            await asyncio.to_thread(partial(self.client.send_raw_email, **kwargs))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            text = f"ses: {code} {exc.response.get('Error', {}).get('Message', '')}"
            if code in SES_PERMANENT:
                raise PermanentFailure(text) from exc
            raise TransientFailure(text) from exc
        except BotoCoreError as exc:
            raise TransientFailure(f"ses: {exc}") from exc

    async def close(self) -> None:
        return None


def email_transport(settings: Settings | None = None) -> Transport:
    settings = settings or get_settings()
    if settings.email_backend == "smtp":
        return SmtpTransport(settings, delivery_settings().smtp_timeout_seconds)
    if settings.email_backend == "ses":
        return SesTransport(settings, delivery_settings().ses_endpoint_url)
    return MailboxTransport(settings)


def backoff_seconds(attempts: int, cfg: DeliverySettings) -> float:
    """Exponential backoff with jitter: uniform in [d/2, d], d = base * 2^(attempts-1) capped."""
    delay = min(cfg.backoff_max_seconds, cfg.backoff_base_seconds * (2 ** max(attempts - 1, 0)))
    return random.uniform(delay / 2, delay)


async def _publish(row: NotificationOutbox) -> bool:
    try:
        from partisipro import events  # the chain engineer's real-time module
    except ImportError:
        return False
    await events.publish(
        f"user:{row.user_id}",
        {
            "type": "notification",
            "event": row.event,
            "id": row.context.get("notification_id"),
            "title": row.context.get("title"),
            "link": row.context.get("link"),
            "category": row.category,
        },
    )
    return True


async def _claim(cfg: DeliverySettings, limit: int) -> tuple[str, list[NotificationOutbox]]:
    token = uuid.uuid4().hex
    now = utcnow()
    due = or_(
        and_(NotificationOutbox.status == PENDING, NotificationOutbox.next_attempt_at <= now),
        and_(NotificationOutbox.status == SENDING, NotificationOutbox.lease_until < now),
    )
    async with open_session() as session:
        ids = (
            await session.scalars(
                select(NotificationOutbox.id)
                .where(due)
                .order_by(NotificationOutbox.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not ids:
            return token, []
        await session.execute(
            update(NotificationOutbox)
            .where(NotificationOutbox.id.in_(ids))
            .values(
                status=SENDING,
                claim_token=token,
                lease_until=now + dt.timedelta(seconds=cfg.lease_seconds),
                attempts=NotificationOutbox.attempts + 1,
            )
        )
    async with open_session(commit=False) as session:
        rows = (
            await session.scalars(
                select(NotificationOutbox)
                .where(NotificationOutbox.claim_token == token)
                .order_by(NotificationOutbox.next_attempt_at)
            )
        ).all()
    return token, list(rows)


async def deliver_batch(limit: int | None = None) -> int:
    """Claim and deliver one batch of due outbox rows; returns how many rows were handled.

    The batch is split over ``concurrency`` lanes, each with its own SMTP connection and DB
    session, sending in parallel; each outcome is committed as soon as it is known.
    """
    cfg = delivery_settings()
    settings = get_settings()
    token, rows = await _claim(cfg, limit or cfg.batch_size)
    if not rows:
        return 0
    emails = [r.email for r in rows if r.channel == EMAIL and r.email]
    async with open_session(commit=False) as session:
        suppressed = await SuppressionService(session=session).suppressed(emails)
    lanes = max(1, min(cfg.concurrency, len(rows)))
    await asyncio.gather(*(_lane(rows[i::lanes], token, cfg, settings, suppressed) for i in range(lanes)))
    return len(rows)


async def _lane(
    rows: list[NotificationOutbox], token: str, cfg: DeliverySettings, settings: Settings, suppressed: set[str]
) -> None:
    transport: Transport | None = None
    async with open_session(commit=False) as session:
        try:
            for row in rows:
                values = _outcome_without_email(row, cfg, suppressed) if row.channel != PUSH else await _push(row, cfg)
                if values is None:
                    if transport is None:
                        transport = email_transport(settings)
                    values = await _send_email(row, cfg, settings, transport)
                await session.execute(
                    update(NotificationOutbox)
                    .where(NotificationOutbox.id == row.id, NotificationOutbox.claim_token == token)
                    .values(claim_token=None, lease_until=None, **values)
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
        finally:
            if transport is not None:
                await transport.close()


_CRASHED = "lease expired on every attempt (the worker died while sending)"


async def _push(row: NotificationOutbox, cfg: DeliverySettings) -> dict[str, Any]:
    if row.attempts > cfg.max_attempts:
        return {"status": DEAD, "last_error": _CRASHED}
    try:
        published = await _publish(row)
    except Exception as exc:
        return _failed(row, cfg, TransientFailure(f"publish: {type(exc).__name__}: {exc}"))
    if not published:
        return {"status": SKIPPED, "last_error": "real-time channel not available"}
    return {"status": SENT, "sent_at": utcnow(), "last_error": None}


def _outcome_without_email(
    row: NotificationOutbox, cfg: DeliverySettings, suppressed: set[str]
) -> dict[str, Any] | None:
    """Outcome of an email row decided before sending; None means: send it."""
    if row.attempts > cfg.max_attempts:
        return {"status": DEAD, "last_error": _CRASHED}
    if row.channel != EMAIL:
        return {"status": DEAD, "permanent_failure": True, "last_error": f"unknown channel {row.channel}"}
    address = (row.email or "").strip()
    if not valid_address(address):
        return {"status": DEAD, "permanent_failure": True, "last_error": "invalid email address"}
    if address.lower() in suppressed:
        return {"status": SUPPRESSED, "last_error": "address on the suppression list"}
    return None


async def _send_email(
    row: NotificationOutbox, cfg: DeliverySettings, settings: Settings, transport: Transport
) -> dict[str, Any]:
    address = (row.email or "").strip()
    try:
        message = build_email(row, settings)
    except Exception as exc:  # a template or context bug: retrying the same input cannot help
        log.exception("notification rendering failed", outbox_id=str(row.id), notification_event=row.event)
        return {"status": DEAD, "permanent_failure": True, "last_error": f"render: {type(exc).__name__}: {exc}"}
    _, sender = email.utils.parseaddr(settings.email_from)
    try:
        await transport.send(message, sender or settings.email_from, address)
    except (PermanentFailure, TransientFailure) as exc:
        log.warning(
            "email delivery failed",
            outbox_id=str(row.id),
            notification_event=row.event,
            error=str(exc),
            permanent=isinstance(exc, PermanentFailure),
        )
        return _failed(row, cfg, exc)
    return {"status": SENT, "sent_at": utcnow(), "message_id": str(message["Message-ID"]), "last_error": None}


def _failed(row: NotificationOutbox, cfg: DeliverySettings, exc: Exception) -> dict[str, Any]:
    error = str(exc)[:1000]
    if isinstance(exc, PermanentFailure):
        return {"status": DEAD, "permanent_failure": True, "last_error": error}
    if row.attempts >= cfg.max_attempts:
        return {"status": DEAD, "last_error": error}
    delay = backoff_seconds(row.attempts, cfg)
    return {"status": PENDING, "next_attempt_at": utcnow() + dt.timedelta(seconds=delay), "last_error": error}


async def deliver_notifications() -> int:
    """Drain every due row once (tests, CLI): batches until nothing is due; returns the count."""
    total = 0
    for _ in range(10_000):
        handled = await deliver_batch()
        total += handled
        if handled == 0:
            break
    return total


def mailbox_folder(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).var_dir / "mailbox"
