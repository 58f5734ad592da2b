"""Compliance review: the queue, decisions, second approval for high risk, revocation."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from partisipro.audit.models import AuditEntry
from partisipro.db import open_session

from kyc.models import KycApplication
from tests.fixtures.kyc import application_body, decide, investor, officer, pdf_bytes, submitted_application, upload

pytestmark = pytest.mark.integration


async def test_queue_lists_cases_oldest_first_and_filters_by_assignment(client) -> None:
    andi = await officer()
    first, second = await investor(), await investor()
    first_id = await submitted_application(client, first)
    second_id = await submitted_application(client, second)

    queue = await client.get("/api/v1/compliance/kyc", params={"status": "in_review"}, headers=andi.headers)
    assert queue.status_code == 200
    assert [item["id"] for item in queue.json()["items"]] == [first_id, second_id]
    assert queue.json()["total"] == 2

    assigned = await client.post(f"/api/v1/compliance/kyc/{second_id}/assign", headers=andi.headers)
    assert assigned.status_code == 200
    assert assigned.json()["assigned_to"] == andi.id
    mine = await client.get("/api/v1/compliance/kyc", params={"assigned_to": "me"}, headers=andi.headers)
    assert [item["id"] for item in mine.json()["items"]] == [second_id]
    # The queue carries no personal data.
    assert "legal_name" not in mine.json()["items"][0]


async def test_investor_calling_a_compliance_endpoint_is_403(client) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti)
    for method, path in (
        ("GET", "/api/v1/compliance/kyc"),
        ("GET", f"/api/v1/compliance/kyc/{application_id}"),
        ("POST", f"/api/v1/compliance/kyc/{application_id}/assign"),
        ("GET", f"/api/v1/compliance/screening/{application_id}"),
    ):
        response = await client.request(method, path, headers=siti.headers)
        assert response.status_code == 403, path
    response = await decide(client, siti, application_id, "approve")
    assert response.status_code == 403


async def test_low_risk_approval_approves_and_tells_the_investor(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    response = await decide(client, andi, application_id, "approve", "low")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    assert response.json()["expires_at"] is not None
    mine = await client.get("/api/v1/kyc/applications/me", headers=siti.headers)
    assert mine.json()["status"] == "approved"
    limits = await client.get("/api/v1/me/limits", headers=siti.headers)
    assert limits.json()["kyc_status"] == "approved"


async def test_high_risk_approval_needs_a_second_different_officer(client) -> None:
    siti, andi, budi = await investor(), await officer(), await officer("Budi Officer")
    application_id = await submitted_application(client, siti)
    first = await decide(client, andi, application_id, "approve", "high", "source of funds documented")
    assert first.status_code == 200
    assert first.json()["status"] == "pending_second_approval"

    again = await decide(client, andi, application_id, "approve", "high")
    assert again.status_code == 403
    mine = await client.get("/api/v1/kyc/applications/me", headers=siti.headers)
    assert mine.json()["status"] == "pending_second_approval"

    second = await decide(client, budi, application_id, "approve", "high")
    assert second.status_code == 200
    assert second.json()["status"] == "approved"


async def test_decision_on_a_closed_case_is_409(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    rejected = await decide(client, andi, application_id, "reject", "medium", "document forged")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    for decision in ("approve", "reject", "request_info"):
        response = await decide(client, andi, application_id, decision, "low", "again")
        assert response.status_code == 409


async def test_rejection_needs_a_reason_and_the_investor_sees_it(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    missing = await decide(client, andi, application_id, "reject", "low")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "reason"
    await decide(client, andi, application_id, "reject", "low", "The ID card photo is unreadable.")
    mine = (await client.get("/api/v1/kyc/applications/me", headers=siti.headers)).json()
    assert mine["status"] == "rejected"
    assert mine["reason"] == "The ID card photo is unreadable."
    assert mine["reasons"][-1]["reason"] == "The ID card photo is unreadable."


async def test_request_for_information_then_resubmission_returns_to_review(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    asked = await decide(client, andi, application_id, "request_info", "low", "Please add a proof of address.")
    assert asked.json()["status"] == "info_requested"

    mine = (await client.get("/api/v1/kyc/applications/me", headers=siti.headers)).json()
    assert mine["reason"] == "Please add a proof of address."
    changed = await client.patch(
        f"/api/v1/kyc/applications/{application_id}",
        json={"address": "Jl. Sudirman Kav. 52, Jakarta Pusat 10220"},
        headers=siti.headers,
    )
    assert changed.status_code == 200
    response = await upload(client, siti, application_id, "proof_of_address", pdf_bytes("utility bill"))
    assert response.status_code == 201
    resubmitted = await client.post(f"/api/v1/kyc/applications/{application_id}/submit", headers=siti.headers)
    assert resubmitted.status_code == 200
    assert resubmitted.json()["status"] == "in_review"
    approved = await decide(client, andi, application_id, "approve", "low")
    assert approved.json()["status"] == "approved"


async def test_revoke_closes_an_approval_and_needs_a_reason(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    too_early = await client.post(
        f"/api/v1/compliance/kyc/{application_id}/revoke", json={"reason": "x"}, headers=andi.headers
    )
    assert too_early.status_code == 409
    await decide(client, andi, application_id, "approve", "low")
    empty = await client.post(
        f"/api/v1/compliance/kyc/{application_id}/revoke", json={"reason": ""}, headers=andi.headers
    )
    assert empty.status_code == 400
    revoked = await client.post(
        f"/api/v1/compliance/kyc/{application_id}/revoke",
        json={"reason": "identity theft reported"},
        headers=andi.headers,
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    # A closed case frees the investor to apply again.
    again = await client.post("/api/v1/kyc/applications", json=application_body(), headers=siti.headers)
    assert again.status_code == 201


async def test_staff_read_of_personal_data_is_decrypted_and_audited(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti, legal_name="Dewi Lestari Anggraini")
    response = await client.get(
        f"/api/v1/compliance/kyc/{application_id}", params={"reason": "initial review"}, headers=andi.headers
    )
    assert response.status_code == 200
    case = response.json()
    assert case["legal_name"] == "Dewi Lestari Anggraini"
    assert len(case["national_id_number"]) == 16
    assert {d["kind"] for d in case["documents"]} == {"id_card", "selfie"}

    async with open_session() as session:
        entry = (
            await session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.action == "kyc.personal_data_read")
                .order_by(AuditEntry.seq.desc())
            )
        ).first()
    assert entry is not None
    assert entry.actor_id == andi.user.id
    assert entry.object_id == application_id
    assert entry.reason == "initial review"
    assert "national_id_number" in entry.details["fields"]


async def test_raw_database_row_holds_no_plaintext_name_or_national_id(client) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti, legal_name="Dewi Lestari Anggraini")
    async with open_session() as session:
        app = await session.get(KycApplication, uuid.UUID(application_id))
        assert app is not None
        nik = app.national_id_number
        raw = (
            (
                await session.execute(
                    sa.text("SELECT * FROM kyc_application WHERE user_id = :u"), {"u": siti.user.id.bytes}
                )
            )
            .mappings()
            .one()
        )
    dump = " ".join(str(v) for v in raw.values())
    assert "Dewi" not in dump and "Lestari" not in dump
    assert nik not in dump
    assert "Senopati" not in dump
    assert str(raw["legal_name"]).startswith("enc1:")


async def test_repeated_decision_with_the_same_idempotency_key_returns_the_first_answer(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await submitted_application(client, siti)
    headers = {**andi.headers, "Idempotency-Key": "decision-1"}
    body = {"decision": "approve", "risk_level": "low"}
    path = f"/api/v1/compliance/kyc/{application_id}/decision"
    first = await client.post(path, json=body, headers=headers)
    again = await client.post(path, json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    other_body = await client.post(path, json={**body, "risk_level": "medium"}, headers=headers)
    assert other_body.status_code == 422
    without_key = await client.post(path, json=body, headers=andi.headers)
    assert without_key.status_code == 409
