"""Amazon SNS message verification and SES bounce/complaint handling.

SES publishes bounces and complaints to an SNS topic that POSTs to our endpoint. Every
message is verified the way AWS documents it: the certificate comes from ``SigningCertURL``
(https, on an ``sns.<region>.amazonaws.com`` host, fetched once and cached), and
``Signature`` is the RSA PKCS#1 v1.5 signature (SHA1 for SignatureVersion 1, SHA256 for 2)
of the canonical string of the message's fields.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from partisipro.db import utcnow
from partisipro.errors import BadRequest, Unauthorized
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.delivery import delivery_settings
from notifications.services import SuppressionService

log = structlog.get_logger("notifications.sns")

SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_AWS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_certificates: dict[str, x509.Certificate] = {}


def _check_aws_url(url: str, *, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not _AWS_HOST.match(parts.hostname or "") or parts.port not in (None, 443):
        raise Unauthorized(f"{what} must be an https URL on an sns.<region>.amazonaws.com host")


def trust_certificate(url: str, pem: bytes) -> None:
    """Pre-load the certificate served at ``url`` (tests; air-gapped deployments)."""
    _check_aws_url(url, what="SigningCertURL")
    _certificates[url] = x509.load_pem_x509_certificate(pem)


async def _certificate(url: str) -> x509.Certificate:
    _check_aws_url(url, what="SigningCertURL")
    cert = _certificates.get(url)
    if cert is None:
        try:
            async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
                response = await client.get(url)
                response.raise_for_status()
            cert = x509.load_pem_x509_certificate(response.content)
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthorized("SNS signing certificate could not be fetched") from exc
        _certificates[url] = cert
    now = utcnow()
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        raise Unauthorized("SNS signing certificate is not valid now")
    return cert


def canonical_string(message: dict[str, Any]) -> bytes:
    kind = message.get("Type")
    if kind not in SIGNED_FIELDS:
        raise BadRequest.field("Type", "not an SNS message type")
    lines: list[str] = []
    for key in SIGNED_FIELDS[kind]:
        if key in message and message[key] is not None:
            lines.append(f"{key}\n{message[key]}\n")
    return "".join(lines).encode()


async def verify(message: dict[str, Any]) -> None:
    """Raise Unauthorized unless ``message`` carries a valid SNS signature."""
    version = str(message.get("SignatureVersion", ""))
    algorithm: hashes.HashAlgorithm
    if version == "1":
        algorithm = hashes.SHA1()  # noqa: S303 - mandated by SNS SignatureVersion 1
    elif version == "2":
        algorithm = hashes.SHA256()
    else:
        raise Unauthorized("unsupported SNS SignatureVersion")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unauthorized("malformed SNS signature") from exc
    cert = await _certificate(str(message.get("SigningCertURL", "")))
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Unauthorized("SNS signing certificate is not RSA")
    try:
        key.verify(signature, canonical_string(message), padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise Unauthorized("invalid SNS signature") from exc
    max_age = delivery_settings().sns_max_age_seconds
    try:
        sent = dt.datetime.fromisoformat(str(message.get("Timestamp", "")).replace("Z", "+00:00"))
    except ValueError as exc:
        raise Unauthorized("malformed SNS Timestamp") from exc
    if sent.tzinfo is None or abs((utcnow() - sent).total_seconds()) > max_age:
        raise Unauthorized("SNS message is too old (possible replay)")


def parse(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest.field("body", "not a JSON SNS message") from exc
    if not isinstance(message, dict):
        raise BadRequest.field("body", "not a JSON SNS message")
    for key in ("Type", "MessageId", "TopicArn", "Timestamp", "Signature", "SigningCertURL"):
        if not isinstance(message.get(key), str):
            raise BadRequest.field(key, "missing")
    return message


async def handle(session: AsyncSession, body: bytes) -> str:
    """Verify one SNS POST and act on it; returns what was done."""
    message = parse(body)
    await verify(message)
    allowed = delivery_settings().sns_topic_arns
    if allowed and message["TopicArn"] not in allowed:
        raise Unauthorized("SNS topic not accepted")
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        url = str(message.get("SubscribeURL", ""))
        log.info("SNS subscription confirmation received", topic=message["TopicArn"], subscribe_url=url)
        if delivery_settings().sns_confirm_subscriptions:
            _check_aws_url(url, what="SubscribeURL")
            async with httpx.AsyncClient(timeout=5.0) as client:
                (await client.get(url)).raise_for_status()
            return "subscription_confirmed"
        return "subscription_logged"
    if kind == "UnsubscribeConfirmation":
        log.warning("SNS topic unsubscribed", topic=message["TopicArn"])
        return "unsubscribe_logged"
    try:
        payload = json.loads(message.get("Message", ""))
    except ValueError:
        return "ignored"
    if not isinstance(payload, dict):
        return "ignored"
    return await apply_ses_feedback(session, payload, source_message_id=message["MessageId"])


async def apply_ses_feedback(session: AsyncSession, payload: dict[str, Any], *, source_message_id: str) -> str:
    """Suppress addresses of permanent bounces and complaints; ignore the rest."""
    kind = payload.get("notificationType") or payload.get("eventType")
    suppressions = SuppressionService(session=session)
    if kind == "Bounce":
        bounce = payload.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return "transient_bounce_ignored"
        for recipient in bounce.get("bouncedRecipients") or []:
            if isinstance(recipient, dict) and recipient.get("emailAddress"):
                await suppressions.suppress(
                    str(recipient["emailAddress"]),
                    reason="bounce",
                    detail=str(recipient.get("diagnosticCode") or bounce.get("bounceSubType") or ""),
                    source_message_id=source_message_id[:255],
                )
        return "bounce_suppressed"
    if kind == "Complaint":
        complaint = payload.get("complaint") or {}
        for recipient in complaint.get("complainedRecipients") or []:
            if isinstance(recipient, dict) and recipient.get("emailAddress"):
                await suppressions.suppress(
                    str(recipient["emailAddress"]),
                    reason="complaint",
                    detail=str(complaint.get("complaintFeedbackType") or ""),
                    source_message_id=source_message_id[:255],
                )
        return "complaint_suppressed"
    return "ignored"
