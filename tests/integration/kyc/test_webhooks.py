"""The Sumsub-style provider: applicant creation, signed webhooks, dedupe, ordering."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from partisipro.db import open_session

from kyc.jobs import kyc_apply_webhooks
from kyc.models import KycWebhookDelivery
from tests.fixtures.kyc import investor, submitted_application
from tests.fixtures.kyc_provider import FakeKycProvider

pytestmark = pytest.mark.integration

HOOK = "/api/v1/kyc/webhooks/sumsub"


async def _deliveries() -> int:
    async with open_session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(KycWebhookDelivery)) or 0)


async def _status(client, person) -> str:
    return (await client.get("/api/v1/kyc/applications/me", headers=person.headers)).json()["status"]


async def test_submit_creates_an_applicant_and_a_green_review_moves_the_case_to_review(
    fake_kyc_provider: FakeKycProvider, client
) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti)
    assert await _status(client, siti) == "submitted"
    applicant_id = fake_kyc_provider.applicant_for(application_id)
    assert fake_kyc_provider.requests[0][2]["X-App-Token"] == "fake-app-token"

    raw, headers = fake_kyc_provider.review_webhook(applicant_id, answer="GREEN")
    response = await client.post(HOOK, content=raw, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "duplicate": False}
    assert await kyc_apply_webhooks({}) == 1
    assert await _status(client, siti) == "in_review"


async def test_replayed_delivery_is_200_and_has_no_second_effect(fake_kyc_provider: FakeKycProvider, client) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti)
    applicant_id = fake_kyc_provider.applicant_for(application_id)
    raw, headers = fake_kyc_provider.review_webhook(
        applicant_id, answer="RED", reject_type="RETRY", comment="Selfie is blurred"
    )
    first = await client.post(HOOK, content=raw, headers=headers)
    replay = await client.post(HOOK, content=raw, headers=headers)
    assert first.status_code == replay.status_code == 200
    assert replay.json()["duplicate"] is True
    assert await _deliveries() == 1
    assert await kyc_apply_webhooks({}) == 1
    mine = (await client.get("/api/v1/kyc/applications/me", headers=siti.headers)).json()
    assert mine["status"] == "info_requested"
    assert mine["reason"] == "Selfie is blurred"
    assert await kyc_apply_webhooks({}) == 0


@pytest.mark.parametrize("tamper", ["forged", "missing", "wrong_secret", "body_changed", "bad_alg"])
async def test_bad_or_missing_signature_is_401_and_changes_nothing(
    fake_kyc_provider: FakeKycProvider, client, tamper: str
) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti)
    applicant_id = fake_kyc_provider.applicant_for(application_id)
    raw, headers = fake_kyc_provider.review_webhook(applicant_id, answer="RED", reject_type="FINAL")
    if tamper == "forged":
        headers["X-Payload-Digest"] = "0" * 64
    elif tamper == "missing":
        del headers["X-Payload-Digest"]
    elif tamper == "wrong_secret":
        headers = FakeKycProvider(url="", secret="not-the-shared-secret").sign(raw)
    elif tamper == "body_changed":
        raw = raw.replace(b'"RED"', b'"GREEN"')
    else:
        headers["X-Payload-Digest-Alg"] = "MD5_HEX"
    response = await client.post(HOOK, content=raw, headers=headers)
    assert response.status_code == 401
    assert await _deliveries() == 0
    assert await kyc_apply_webhooks({}) == 0
    assert await _status(client, siti) == "submitted"


async def test_late_older_event_never_overrides_a_newer_one(fake_kyc_provider: FakeKycProvider, client) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti)
    applicant_id = fake_kyc_provider.applicant_for(application_id)
    newer = dt.datetime.now(dt.UTC)
    older = newer - dt.timedelta(minutes=5)

    raw_new, h_new = fake_kyc_provider.review_webhook(applicant_id, answer="GREEN", created_at=newer)
    assert (await client.post(HOOK, content=raw_new, headers=h_new)).status_code == 200
    await kyc_apply_webhooks({})
    assert await _status(client, siti) == "in_review"

    raw_old, h_old = fake_kyc_provider.review_webhook(
        applicant_id, answer="RED", reject_type="FINAL", comment="old verdict", created_at=older
    )
    assert (await client.post(HOOK, content=raw_old, headers=h_old)).status_code == 200
    await kyc_apply_webhooks({})
    assert await _status(client, siti) == "in_review"
    async with open_session() as session:
        outcomes = list(
            await session.scalars(
                sa.select(KycWebhookDelivery.outcome).order_by(KycWebhookDelivery.provider_created_at)
            )
        )
    assert outcomes == ["stale", "applied"]


async def test_deliveries_waiting_together_are_applied_in_provider_time_order(
    fake_kyc_provider: FakeKycProvider, client
) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti)
    applicant_id = fake_kyc_provider.applicant_for(application_id)
    now = dt.datetime.now(dt.UTC)
    later = fake_kyc_provider.review_webhook(applicant_id, answer="GREEN", created_at=now)
    earlier = fake_kyc_provider.review_webhook(
        applicant_id,
        answer="RED",
        reject_type="RETRY",
        comment="first try blurred",
        created_at=now - dt.timedelta(hours=1),
    )
    for raw, headers in (later, earlier):  # received newest first
        assert (await client.post(HOOK, content=raw, headers=headers)).status_code == 200
    assert await kyc_apply_webhooks({}) == 2
    # The RETRY (older) applied first, then the GREEN found the case waiting for the investor.
    mine = (await client.get("/api/v1/kyc/applications/me", headers=siti.headers)).json()
    assert mine["status"] == "info_requested"


async def test_webhook_for_the_manual_provider_is_404(client) -> None:
    response = await client.post("/api/v1/kyc/webhooks/manual", content=b"{}")
    assert response.status_code == 404
