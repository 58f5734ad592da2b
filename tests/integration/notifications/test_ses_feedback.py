"""SES bounces and complaints arrive through signed SNS messages and suppress addresses."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

import notifications
from notifications import sns
from notifications.models import SENT, SUPPRESSED
from tests.fixtures.mail import SmtpServer, deliver_notifications
from tests.integration.notifications.conftest import a_user, notify_now, outbox_rows
from tests.integration.notifications.test_api import bearer

pytestmark = pytest.mark.integration

URL = "/api/v1/notifications/ses/sns"
CERT_URL = "https://sns.ap-southeast-3.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:ap-southeast-3:123456789012:ses-feedback"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    """A locally made key and certificate standing in for AWS's, trusted at CERT_URL."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    sns.trust_certificate(CERT_URL, cert.public_bytes(serialization.Encoding.PEM))
    return key


def signed(key: rsa.RSAPrivateKey, message: dict[str, Any], *, version: str = "2") -> dict[str, Any]:
    body = {
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC,
        "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
        **message,
    }
    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303 - SNS v1 is SHA1
    body["Signature"] = base64.b64encode(key.sign(sns.canonical_string(body), padding.PKCS1v15(), algorithm)).decode()
    return body


def bounce(address: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    payload = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        },
        "mail": {"messageId": "ses-1"},
    }
    return {"Type": "Notification", "Message": json.dumps(payload)}


def complaint(address: str) -> dict[str, Any]:
    payload = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"},
    }
    return {"Type": "Notification", "Message": json.dumps(payload), "Subject": "Amazon SES Email Event Notification"}


async def post(client: httpx.AsyncClient, message: dict[str, Any]) -> httpx.Response:
    return await client.post(URL, content=json.dumps(message), headers={"Content-Type": "text/plain"})


async def test_permanent_bounce_suppresses_email_but_the_in_app_copy_stays(
    smtp_server: SmtpServer, client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
) -> None:
    user_id, address = a_user()

    response = await post(client, signed(signing_key, bounce(address.upper())))
    assert response.status_code == 200 and response.json() == {"result": "bounce_suppressed"}

    await notify_now(
        "kyc.approved",
        [notifications.Recipient(user_id, address)],
        {"name": "S", "valid_until": "2027-01-01T00:00:00Z"},
    )
    await deliver_notifications()

    assert smtp_server.messages == []
    [row] = await outbox_rows(channel="email")
    assert row.status == SUPPRESSED
    feed = (await client.get("/api/v1/notifications", headers=bearer(user_id))).json()
    assert [i["event"] for i in feed["items"]] == ["kyc.approved"]


async def test_complaint_signed_with_signature_version_1_suppresses_the_address(
    smtp_server: SmtpServer, client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
) -> None:
    user_id, address = a_user()

    response = await post(client, signed(signing_key, complaint(address), version="1"))

    assert response.status_code == 200 and response.json() == {"result": "complaint_suppressed"}
    await notify_now("kyc.submitted", [notifications.Recipient(user_id, address)], {"application_id": "a"})
    await deliver_notifications()
    assert smtp_server.messages == []


async def test_transient_bounce_does_not_suppress(
    smtp_server: SmtpServer, client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
) -> None:
    user_id, address = a_user()

    response = await post(client, signed(signing_key, bounce(address, "Transient")))

    assert response.json() == {"result": "transient_bounce_ignored"}
    await notify_now("kyc.submitted", [notifications.Recipient(user_id, address)], {"application_id": "a"})
    await deliver_notifications()
    assert len(smtp_server.to(address)) == 1
    [row] = await outbox_rows(channel="email")
    assert row.status == SENT


async def test_tampered_or_unsigned_messages_are_401_and_suppress_nothing(
    smtp_server: SmtpServer, client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
) -> None:
    _, address = a_user()
    good = signed(signing_key, bounce("someone-else@example.com"))
    tampered = {**good, "Message": bounce(address)["Message"]}
    wrong_host = {**good, "SigningCertURL": "https://sns.evil.example.com/cert.pem"}
    plain_http = {**good, "SigningCertURL": CERT_URL.replace("https://", "http://")}
    no_signature = {**good, "Signature": "not base64!"}
    old = signed(signing_key, {**bounce(address), "Timestamp": "2020-01-01T00:00:00.000Z"})

    for message in (tampered, wrong_host, plain_http, no_signature, old):
        response = await post(client, message)
        assert response.status_code == 401, message

    user_id = uuid.uuid4()
    await notify_now("kyc.submitted", [notifications.Recipient(user_id, address)], {"application_id": "a"})
    await deliver_notifications()
    assert len(smtp_server.to(address)) == 1


async def test_malformed_body_is_400_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, content=b"{not json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body"
    response = await client.post(URL, content=json.dumps({"Type": "Notification"}))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "MessageId"


async def test_subscription_confirmation_is_verified_and_logged_without_fetching(
    client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
) -> None:
    message = signed(
        signing_key,
        {
            "Type": "SubscriptionConfirmation",
            "Message": "You have chosen to subscribe to the topic",
            "SubscribeURL": "https://sns.ap-southeast-3.amazonaws.com/?Action=ConfirmSubscription&Token=t",
            "Token": "t",
        },
    )

    response = await post(client, message)

    assert response.status_code == 200 and response.json() == {"result": "subscription_logged"}
    assert (await post(client, {**message, "Token": "other"})).status_code == 401
