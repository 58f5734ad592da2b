"""Organisations (KYB): an SPV registers its company with documents; an admin decides."""

import pytest

from tests.fixtures.projects import API, PDF, make_admin, register_organization
from tests.fixtures.users import bearer_headers, make_user

pytestmark = pytest.mark.integration


async def test_an_spv_registers_an_organisation_that_awaits_review(client):
    spv, _, _ = await make_user(role="spv")
    org = await register_organization(client, bearer_headers(spv), legal_name="PT Tol Lampung")
    assert org["status"] == "pending_review"
    assert org["legal_name"] == "PT Tol Lampung"
    assert org["country"] == "ID"


async def test_an_investor_cannot_register_an_organisation(client):
    investor, _, _ = await make_user(role="investor")
    body = {"legal_name": "PT X", "registration_number": "AHU-1", "country": "ID", "address": "Jl. Y 1, Jakarta"}
    response = await client.post(f"{API}/organizations", json=body, headers=bearer_headers(investor))
    assert response.status_code == 403


async def test_a_second_open_registration_of_the_same_spv_is_409(client):
    spv, _, _ = await make_user(role="spv")
    await register_organization(client, bearer_headers(spv))
    body = {"legal_name": "PT Lain", "registration_number": "AHU-2", "country": "ID", "address": "Jl. Z 2, Jakarta"}
    response = await client.post(f"{API}/organizations", json=body, headers=bearer_headers(spv))
    assert response.status_code == 409


async def test_a_bad_country_code_is_400_naming_the_field(client):
    spv, _, _ = await make_user(role="spv")
    body = {"legal_name": "PT X", "registration_number": "AHU-1", "country": "Indonesia", "address": "Jl. Y 1"}
    response = await client.post(f"{API}/organizations", json=body, headers=bearer_headers(spv))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "country"


async def test_company_documents_are_stored_with_their_sha256(client):
    import hashlib

    spv, _, _ = await make_user(role="spv")
    headers = bearer_headers(spv)
    org = await register_organization(client, headers)
    response = await client.post(
        f"{API}/organizations/{org['id']}/documents",
        headers=headers,
        files={"file": ("deed.pdf", PDF, "application/pdf")},
        data={"kind": "company_deed"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    mine = await client.get(f"{API}/organizations/{org['id']}", headers=headers)
    assert [d["kind"] for d in mine.json()["documents"]] == ["company_deed"]


async def test_a_document_that_is_not_pdf_jpeg_or_png_is_415(client):
    spv, _, _ = await make_user(role="spv")
    headers = bearer_headers(spv)
    org = await register_organization(client, headers)
    response = await client.post(
        f"{API}/organizations/{org['id']}/documents",
        headers=headers,
        files={"file": ("deed.exe", b"MZ\x90\x00 not a pdf", "application/pdf")},
        data={"kind": "company_deed"},
    )
    assert response.status_code == 415


async def test_an_admin_approves_and_a_second_decision_is_409(client):
    spv, _, _ = await make_user(role="spv")
    org = await register_organization(client, bearer_headers(spv))
    _, admin = await make_admin()
    approved = await client.post(f"{API}/admin/organizations/{org['id']}/approve", headers=admin)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    again = await client.post(f"{API}/admin/organizations/{org['id']}/reject", headers=admin, json={"reason": "late"})
    assert again.status_code == 409


async def test_an_admin_rejects_with_a_reason_the_spv_can_read(client):
    spv, _, _ = await make_user(role="spv")
    headers = bearer_headers(spv)
    org = await register_organization(client, headers)
    _, admin = await make_admin()
    rejected = await client.post(
        f"{API}/admin/organizations/{org['id']}/reject", headers=admin, json={"reason": "The deed is unreadable."}
    )
    assert rejected.status_code == 200
    mine = await client.get(f"{API}/organizations/{org['id']}", headers=headers)
    assert mine.json()["status"] == "rejected"
    assert mine.json()["reason"] == "The deed is unreadable."


async def test_an_spv_cannot_approve_organisations(client):
    spv, _, _ = await make_user(role="spv")
    headers = bearer_headers(spv)
    org = await register_organization(client, headers)
    response = await client.post(f"{API}/admin/organizations/{org['id']}/approve", headers=headers)
    assert response.status_code == 403


async def test_another_spv_cannot_see_the_organisation(client):
    spv, _, _ = await make_user(role="spv")
    org = await register_organization(client, bearer_headers(spv))
    other, _, _ = await make_user(role="spv")
    response = await client.get(f"{API}/organizations/{org['id']}", headers=bearer_headers(other))
    assert response.status_code == 404
