"""Screening blocks approval until cleared; approvals expire; yearly limits from the rules table."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from partisipro.db import open_session, utcnow

from kyc.jobs import kyc_expire_approvals
from kyc.models import KycApplication
from notifications.models import Notification
from tests.fixtures.kyc import decide, investor, nik_for, officer, submitted_application
from tests.fixtures.mail import deliver_notifications
from tests.fixtures.s3 import S3Server

pytestmark = pytest.mark.integration

LISTED_DOB = dt.date(1968, 4, 12)  # "Bambang Wicaksono Hartono" in kyc/data/sanctions/targets.simple.csv


async def test_strong_sanctions_hit_blocks_approval_until_cleared_with_a_reason(client) -> None:
    bambang, andi = await investor("Bambang"), await officer()
    application_id = await submitted_application(
        client,
        bambang,
        legal_name="Bambang Wicaksono Hartono",
        dob=LISTED_DOB,
        national_id_number=nik_for(LISTED_DOB),
    )
    screening = await client.get(f"/api/v1/compliance/screening/{application_id}", headers=andi.headers)
    assert screening.status_code == 200
    body = screening.json()
    assert body["blocking"] is True
    hit = body["hits"][0]
    assert hit["entry_id"] == "NK-sample-0001"
    assert hit["strength"] == "strong" and hit["birth_date_match"] is True

    blocked = await decide(client, andi, application_id, "approve", "medium")
    assert blocked.status_code == 422

    no_reason = await client.post(
        f"/api/v1/compliance/screening/{application_id}/hits/{hit['id']}/clear", json={}, headers=andi.headers
    )
    assert no_reason.status_code == 400
    cleared = await client.post(
        f"/api/v1/compliance/screening/{application_id}/hits/{hit['id']}/clear",
        json={"reason": "Different person: listed individual's passport photo does not match"},
        headers=andi.headers,
    )
    assert cleared.status_code == 200
    assert cleared.json()["blocking"] is False
    approved = await decide(client, andi, application_id, "approve", "medium")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"


async def test_same_name_with_another_birth_date_is_a_weak_hit_that_does_not_block(client) -> None:
    bambang, andi = await investor("Bambang"), await officer()
    application_id = await submitted_application(client, bambang, legal_name="Bambang W. Hartono")
    body = (await client.get(f"/api/v1/compliance/screening/{application_id}", headers=andi.headers)).json()
    assert [h["strength"] for h in body["hits"]] == ["weak"]
    assert body["blocking"] is False
    queue = (await client.get("/api/v1/compliance/kyc", headers=andi.headers)).json()
    assert queue["items"][0]["screening_hits"] == 1 and queue["items"][0]["open_strong_hits"] == 0


async def test_unrelated_name_has_no_hits(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    body = (await client.get(f"/api/v1/compliance/screening/{application_id}", headers=andi.headers)).json()
    assert body["hits"] == []


async def _set_expiry(application_id: str, when: dt.datetime) -> None:
    async with open_session() as session:
        await session.execute(
            sa.update(KycApplication).where(KycApplication.id == uuid.UUID(application_id)).values(expires_at=when)
        )


async def _notifications(user_id: uuid.UUID, event: str) -> int:
    async with open_session() as session:
        return int(
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.user_id == user_id, Notification.event == event)
            )
            or 0
        )


async def test_daily_job_warns_thirty_days_ahead_once_then_expires_the_approval(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    await decide(client, andi, application_id, "approve", "low")

    await _set_expiry(application_id, utcnow() + dt.timedelta(days=20))
    assert (await kyc_expire_approvals({}))["warned"] == 1
    assert (await kyc_expire_approvals({}))["warned"] == 0
    assert await _notifications(siti.user.id, "kyc.expiring") == 1
    mine = await client.get("/api/v1/kyc/applications/me", headers=siti.headers)
    assert mine.json()["status"] == "approved"

    await _set_expiry(application_id, utcnow() - dt.timedelta(minutes=1))
    assert (await kyc_expire_approvals({}))["expired"] == 1
    mine = await client.get("/api/v1/kyc/applications/me", headers=siti.headers)
    assert mine.json()["status"] == "expired"
    assert await _notifications(siti.user.id, "kyc.expired") == 1
    limits = (await client.get("/api/v1/me/limits", headers=siti.headers)).json()
    assert limits["yearly_limit"] == "0"


@pytest.mark.parametrize(
    ("income", "investor_type", "account_since", "expected"),
    [
        (400_000_000, "individual", None, "20000000"),  # 5 % up to Rp500m
        (500_000_000, "individual", None, "25000000"),
        (1_000_000_000, "individual", None, "100000000"),  # 10 % above
        (1_000_000_000, "individual", "2015-01-01", None),  # securities account 2+ years: exempt
        (50_000_000, "entity", None, None),  # legal entity: exempt
    ],
)
async def test_limits_follow_the_rules_table(
    client, income: int, investor_type: str, account_since: str | None, expected: str | None
) -> None:
    siti, andi = await investor(), await officer()
    extra = {"securities_account_since": account_since} if account_since else {}
    application_id = await submitted_application(
        client, siti, annual_income_idr=income, investor_type=investor_type, **extra
    )
    before = (await client.get("/api/v1/me/limits", headers=siti.headers)).json()
    assert before["yearly_limit"] == "0" and before["kyc_status"] == "in_review"
    await decide(client, andi, application_id, "approve", "low")
    limits = await client.get("/api/v1/me/limits", headers=siti.headers)
    assert limits.status_code == 200
    body = limits.json()
    assert body["yearly_limit"] == expected
    assert body["unlimited"] is (expected is None)
    assert body["used"] == "0"
    assert body["remaining"] == expected
    assert body["currency"] == "IDR"


async def test_limits_are_for_investors_only(client) -> None:
    andi = await officer()
    assert (await client.get("/api/v1/me/limits", headers=andi.headers)).status_code == 403


async def test_investor_receives_the_approval_email(s3_server: S3Server, smtp_server, app, client) -> None:
    siti, andi = await investor("Siti Rahma"), await officer()
    application_id = await submitted_application(client, siti)
    await decide(client, andi, application_id, "approve", "low")
    await deliver_notifications()
    received = smtp_server.to(siti.user.email)
    subjects = [m["Subject"] for m in received]
    assert len(received) >= 2, subjects  # submitted + approved
    approval = received[-1]
    text = approval.get_body(preferencelist=("plain",)).get_content()
    assert "Siti Rahma" in text
