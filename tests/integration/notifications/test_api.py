"""The in-app feed and preferences over HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest
from partisipro.security import issue_access_token

import notifications
from notifications.models import NotificationOutbox
from tests.fixtures.mail import SmtpServer, deliver_notifications
from tests.integration.notifications.conftest import a_user, notify_now, outbox_rows

pytestmark = pytest.mark.integration

Client = httpx.AsyncClient


def bearer(user_id: uuid.UUID) -> dict[str, str]:
    token, _ = issue_access_token(user_id, ["investor"], "test-session")
    return {"Authorization": f"Bearer {token}"}


async def test_feed_lists_own_notifications_newest_first_and_marks_them_read(client: Client) -> None:
    user_id, address = a_user()
    other_id, other_address = a_user()
    me = notifications.Recipient(user_id=user_id, email=address, locale="en")
    await notify_now("kyc.submitted", [me], {"name": "Siti", "application_id": "a"})
    await notify_now("kyc.approved", [me], {"name": "Siti", "valid_until": "2027-03-14T00:00:00+00:00"})
    await notify_now("kyc.rejected", [notifications.Recipient(other_id, other_address)], {"name": "O", "reason": "x"})

    response = await client.get("/api/v1/notifications", headers=bearer(user_id))

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 2 and page["unread"] == 2 and page["limit"] == 20 and page["offset"] == 0
    assert [item["event"] for item in page["items"]] == ["kyc.approved", "kyc.submitted"]
    newest = page["items"][0]
    assert newest["title"] == "Your identity verification is approved"
    assert "valid until 14 March 2027" in newest["body"] and newest["read"] is False

    read = await client.post(f"/api/v1/notifications/{newest['id']}/read", headers=bearer(user_id))
    assert read.status_code == 204
    page = (await client.get("/api/v1/notifications?unread_only=true", headers=bearer(user_id))).json()
    assert page["unread"] == 1 and [i["event"] for i in page["items"]] == ["kyc.submitted"]


async def test_marking_someone_elses_notification_read_is_404(client: Client) -> None:
    owner, address = a_user()
    await notify_now("kyc.submitted", [notifications.Recipient(owner, address)], {"application_id": "a"})
    [item] = (await client.get("/api/v1/notifications", headers=bearer(owner))).json()["items"]

    response = await client.post(f"/api/v1/notifications/{item['id']}/read", headers=bearer(uuid.uuid4()))

    assert response.status_code == 404
    assert (await client.get("/api/v1/notifications", headers=bearer(owner))).json()["unread"] == 1


async def test_feed_needs_a_token_and_rejects_bad_paging(client: Client) -> None:
    assert (await client.get("/api/v1/notifications")).status_code == 401
    assert (await client.post(f"/api/v1/notifications/{uuid.uuid4()}/read")).status_code == 401
    response = await client.get("/api/v1/notifications?limit=1000", headers=bearer(uuid.uuid4()))
    assert response.status_code == 400
    assert (await client.get("/api/v1/notifications?offset=-1", headers=bearer(uuid.uuid4()))).status_code == 400


async def test_preferences_default_to_marketing_off_and_mandatory_on(client: Client) -> None:
    response = await client.get("/api/v1/me/notification-preferences", headers=bearer(uuid.uuid4()))

    assert response.status_code == 200
    assert response.json() == {
        "security": True,
        "regulatory": True,
        "portfolio": True,
        "marketing": False,
        "mandatory": ["regulatory", "security"],
    }


async def test_turning_off_a_mandatory_category_is_422_and_changes_nothing(client: Client) -> None:
    user_id = uuid.uuid4()

    response = await client.put(
        "/api/v1/me/notification-preferences",
        json={"regulatory": False, "marketing": True},
        headers=bearer(user_id),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "regulatory", "message": "mandatory category cannot be turned off"}]
    prefs = (await client.get("/api/v1/me/notification-preferences", headers=bearer(user_id))).json()
    assert prefs["marketing"] is False and prefs["regulatory"] is True


async def test_preferences_reject_unknown_fields_and_wrong_types(client: Client) -> None:
    headers = bearer(uuid.uuid4())
    assert (
        await client.put("/api/v1/me/notification-preferences", json={"sms": True}, headers=headers)
    ).status_code == 400
    assert (
        await client.put("/api/v1/me/notification-preferences", json={"marketing": "yes"}, headers=headers)
    ).status_code == 400


async def test_opting_out_of_a_category_stops_its_email_but_keeps_the_feed_copy(
    smtp_server: SmtpServer, client: Client
) -> None:
    user_id, address = a_user()
    headers = bearer(user_id)
    response = await client.put(
        "/api/v1/me/notification-preferences", json={"portfolio": False, "marketing": True}, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["portfolio"] is False and response.json()["marketing"] is True
    me = notifications.Recipient(user_id=user_id, email=address)
    sample_project = {"project_name": "Tol", "project_url": "https://app.partisipro.id/p/1"}

    await notify_now("offering.funded", [me], {**sample_project, "raised_idr": 10})
    await notify_now(
        "offering.opened", [me], {**sample_project, "ends_at": "2030-01-01T00:00:00Z", "min_investment_idr": 1}
    )
    await notify_now("offering.failed", [me], {**sample_project, "raised_idr": 10})
    await deliver_notifications()

    subjects = sorted(str(m["Subject"]) for m in smtp_server.to(address))
    assert subjects == ["New offering open: Tol", "The offering of Tol did not succeed"]
    feed = (await client.get("/api/v1/notifications", headers=headers)).json()
    assert sorted(i["event"] for i in feed["items"]) == ["offering.failed", "offering.funded", "offering.opened"]
    emails = await outbox_rows(channel="email")
    assert all(isinstance(row, NotificationOutbox) for row in emails) and len(emails) == 2


async def test_marketing_email_is_not_sent_by_default(smtp_server: SmtpServer, client: Client) -> None:
    user_id, address = a_user()
    project = {"project_name": "Tol", "project_url": "https://app.partisipro.id/p/1"}

    await notify_now(
        "offering.opened",
        [notifications.Recipient(user_id, address)],
        {**project, "ends_at": "2030-01-01T00:00:00Z", "min_investment_idr": 1},
    )
    await deliver_notifications()

    assert smtp_server.to(address) == []
    feed = (await client.get("/api/v1/notifications", headers=bearer(user_id))).json()
    assert [i["event"] for i in feed["items"]] == ["offering.opened"]
