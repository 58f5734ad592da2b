"""Investor side: creating, reading and submitting applications; validation of identity data."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.kyc import (
    application_body,
    create_application,
    investor,
    nik_for,
    officer,
    pdf_bytes,
    submitted_application,
    upload,
)

pytestmark = pytest.mark.integration


async def test_investor_creates_a_draft_application(client) -> None:
    siti = await investor()
    sent = application_body()
    response = await client.post("/api/v1/kyc/applications", json=sent, headers=siti.headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"

    mine = await client.get("/api/v1/kyc/applications/me", headers=siti.headers)
    assert mine.status_code == 200
    body = mine.json()
    assert body["id"] == response.json()["id"]
    assert body["legal_name"] == "Siti Rahma Putri"
    assert body["national_id_number_masked"].endswith(sent["national_id_number"][-4:])
    assert body["national_id_number_masked"].startswith("************")
    assert body["missing_documents"] == ["id_card", "selfie"]


async def test_second_open_application_is_a_conflict(client) -> None:
    siti = await investor()
    await create_application(client, siti)
    again = await client.post("/api/v1/kyc/applications", json=application_body(), headers=siti.headers)
    assert again.status_code == 409


async def test_nik_with_bad_checksum_is_400_naming_the_field(client) -> None:
    siti = await investor()
    # Province 99 does not exist: the structure check of python-stdnum fails.
    bad = "9971015705900001"
    response = await client.post(
        "/api/v1/kyc/applications", json=application_body(national_id_number=bad), headers=siti.headers
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "national_id_number"


async def test_nik_that_disagrees_with_the_birth_date_is_400(client) -> None:
    siti = await investor()
    other_date = nik_for(dt.date(1985, 1, 2), female=True)
    response = await client.post(
        "/api/v1/kyc/applications", json=application_body(national_id_number=other_date), headers=siti.headers
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "national_id_number"


async def test_same_national_id_for_two_investors_is_a_conflict(client) -> None:
    first, second = await investor(), await investor()
    body = application_body()
    await client.post("/api/v1/kyc/applications", json=body, headers=first.headers)
    response = await client.post("/api/v1/kyc/applications", json=body, headers=second.headers)
    assert response.status_code == 409


async def test_malformed_body_is_400_not_500(client) -> None:
    siti = await investor()
    response = await client.post(
        "/api/v1/kyc/applications",
        json=application_body(annual_income_idr="lots", investor_type="alien"),
        headers=siti.headers,
    )
    assert response.status_code == 400


async def test_investor_cannot_read_another_investors_application(client) -> None:
    owner, stranger = await investor(), await investor()
    application_id = await create_application(client, owner)
    response = await client.get(f"/api/v1/kyc/applications/{application_id}", headers=stranger.headers)
    assert response.status_code == 404


async def test_investor_cannot_upload_to_or_submit_another_investors_application(client) -> None:
    owner, stranger = await investor(), await investor()
    application_id = await create_application(client, owner)
    response = await upload(client, stranger, application_id, "id_card", pdf_bytes())
    assert response.status_code == 404
    response = await client.post(f"/api/v1/kyc/applications/{application_id}/submit", headers=stranger.headers)
    assert response.status_code == 404


async def test_submit_without_required_documents_is_422(client) -> None:
    siti = await investor()
    application_id = await create_application(client, siti)
    await upload(client, siti, application_id, "id_card", pdf_bytes())
    response = await client.post(f"/api/v1/kyc/applications/{application_id}/submit", headers=siti.headers)
    assert response.status_code == 422
    assert "selfie" in response.json()["detail"]


async def test_submit_with_documents_puts_the_case_in_review(client) -> None:
    siti = await investor()
    application_id = await submitted_application(client, siti)
    mine = await client.get("/api/v1/kyc/applications/me", headers=siti.headers)
    assert mine.json()["status"] == "in_review"
    assert mine.json()["id"] == application_id


async def test_officer_may_not_use_the_investor_endpoints(client) -> None:
    andi = await officer()
    response = await client.post("/api/v1/kyc/applications", json=application_body(), headers=andi.headers)
    assert response.status_code == 403


async def test_anonymous_caller_gets_401(client) -> None:
    response = await client.get("/api/v1/kyc/applications/me")
    assert response.status_code == 401
