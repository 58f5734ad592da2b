"""Projects: drafts, validation, documents, review, the createProject intent, public listing."""

import datetime as dt
import hashlib
import uuid

import httpx
import pytest
import sqlalchemy as sa
from partisipro.db import open_session

from tests.fixtures.projects import (
    API,
    PDF,
    approved_spv,
    draft_project,
    make_admin,
    project_body,
    record_deployments,
    register_organization,
    submitted_project,
    upload,
)
from tests.fixtures.users import bearer_headers, make_user

pytestmark = pytest.mark.integration

FACTORY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
STABLECOIN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


async def deploy_fake_platform() -> None:
    await record_deployments({"project_factory": FACTORY, "mock_stablecoin": STABLECOIN})


async def test_an_spv_of_an_approved_organisation_drafts_a_project(client):
    _, headers, org_id = await approved_spv(client)
    project = await draft_project(client, headers)
    assert project["status"] == "draft"
    assert project["organization_id"] == org_id
    assert project["offering"]["hard_cap"] == str(500_000 * 10**6)
    assert project["contracts"] is None


async def test_an_spv_whose_organisation_is_not_approved_gets_403(client):
    spv, _, _ = await make_user(role="spv")
    headers = bearer_headers(spv)
    await register_organization(client, headers)
    response = await client.post(f"{API}/projects", json=project_body(), headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"symbol": "tts-4"}, "symbol"),
        ({"offering": {"min_investment": "60000000000"}}, "offering.min_investment"),
        ({"offering": {"max_investment": "600000000000"}}, "offering.max_investment"),
        ({"offering": {"soft_cap": "600000000000"}}, "offering.soft_cap"),
        ({"token_supply": "1000"}, "offering.hard_cap"),
        ({"offering": {"price_per_token": "abc"}}, "offering.price_per_token"),
    ],
)
async def test_inconsistent_terms_are_400_naming_the_field(client, overrides, field):
    _, headers, _ = await approved_spv(client)
    response = await client.post(f"{API}/projects", json=project_body(**overrides), headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_an_offering_that_starts_in_the_past_is_400(client):
    _, headers, _ = await approved_spv(client)
    response = await client.post(
        f"{API}/projects", json=project_body(starts_in=-dt.timedelta(hours=1)), headers=headers
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "offering.starts_at"


async def test_an_offering_longer_than_45_days_is_422(client):
    _, headers, _ = await approved_spv(client)
    response = await client.post(f"{API}/projects", json=project_body(days=46), headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offering.ends_at"


async def test_a_draft_can_be_patched_and_is_revalidated(client):
    _, headers, _ = await approved_spv(client)
    project = await draft_project(client, headers)
    ok = await client.patch(
        f"{API}/projects/{project['id']}",
        json={"name": "Tol Seksi 5", "offering": {"soft_cap": "200000000000"}},
        headers=headers,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["name"] == "Tol Seksi 5"
    assert ok.json()["offering"]["soft_cap"] == "200000000000"
    bad = await client.patch(f"{API}/projects/{project['id']}", json={"token_supply": "10"}, headers=headers)
    assert bad.status_code == 400


async def test_documents_are_stored_with_their_sha256_and_read_back_by_the_owner(client):
    _, headers, _ = await approved_spv(client)
    project = await draft_project(client, headers)
    response = await upload(client, headers, project["id"], "prospectus")
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert doc["size"] == len(PDF)
    read = await client.get(f"{API}/projects/{project['id']}/documents/{doc['id']}", headers=headers)
    assert read.status_code == 200
    assert read.content == PDF
    anonymous = await client.get(f"{API}/projects/{project['id']}/documents/{doc['id']}")
    assert anonymous.status_code == 404


async def test_on_s3_the_owner_gets_a_short_lived_url_that_serves_the_document(s3_server, client):
    _, headers, _ = await approved_spv(client)
    project = await draft_project(client, headers)
    doc = (await upload(client, headers, project["id"], "prospectus")).json()

    read = await client.get(f"{API}/projects/{project['id']}/documents/{doc['id']}", headers=headers)

    assert read.status_code in (302, 307), read.text
    location = read.headers["location"]
    assert location.startswith(s3_server.endpoint_url) and "Signature" in location
    async with httpx.AsyncClient() as outside:
        fetched = await outside.get(location)
    assert fetched.status_code == 200
    assert fetched.content == PDF


async def test_a_document_of_an_unknown_kind_is_400_and_a_fake_pdf_is_415(client):
    _, headers, _ = await approved_spv(client)
    project = await draft_project(client, headers)
    assert (await upload(client, headers, project["id"], "selfie")).status_code == 400
    assert (await upload(client, headers, project["id"], "prospectus", data=b"<html>hi</html>")).status_code == 415


async def test_submitting_an_incomplete_draft_is_422_listing_what_is_missing(client):
    _, headers, _ = await approved_spv(client)
    project = await draft_project(client, headers)
    response = await client.post(f"{API}/projects/{project['id']}/submit", headers=headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"documents", "spv_wallet"}


async def test_a_submitted_project_can_no_longer_be_patched(client):
    _, headers, _ = await approved_spv(client)
    project = await submitted_project(client, headers)
    assert project["status"] == "submitted"
    response = await client.patch(f"{API}/projects/{project['id']}", json={"name": "Other name"}, headers=headers)
    assert response.status_code == 409


async def test_another_spv_cannot_see_or_change_a_draft(client):
    _, headers, _ = await approved_spv(client)
    project = await draft_project(client, headers)
    other, _, _ = await make_user(role="spv")
    assert (await client.get(f"{API}/projects/{project['id']}", headers=bearer_headers(other))).status_code == 404
    patch = await client.patch(f"{API}/projects/{project['id']}", json={"name": "Mine"}, headers=bearer_headers(other))
    assert patch.status_code == 404


async def test_admin_approval_queues_the_create_project_transaction_and_the_project_is_deploying(client):
    await deploy_fake_platform()
    _, headers, _ = await approved_spv(client)
    project = await submitted_project(client, headers)
    _, admin = await make_admin()
    response = await client.post(f"{API}/admin/projects/{project['id']}/approve", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "deploying"
    async with open_session() as session:
        rows = (
            await session.execute(
                sa.text("SELECT contract, function, address, status FROM chain_tx_intent WHERE idempotency_key = :k"),
                {"k": f"project.create:{project['id']}"},
            )
        ).all()
    assert rows == [("ProjectFactory", "createProject", FACTORY, "pending")]
    again = await client.post(f"{API}/admin/projects/{project['id']}/approve", headers=admin)
    assert again.status_code == 409


async def test_admin_rejection_keeps_the_reason_for_the_spv(client):
    _, headers, _ = await approved_spv(client)
    project = await submitted_project(client, headers)
    _, admin = await make_admin()
    response = await client.post(
        f"{API}/admin/projects/{project['id']}/reject", headers=admin, json={"reason": "The PPP agreement is unsigned."}
    )
    assert response.status_code == 200
    mine = await client.get(f"{API}/projects/{project['id']}", headers=headers)
    assert mine.json()["status"] == "rejected"
    assert mine.json()["reject_reason"] == "The PPP agreement is unsigned."


async def _publish(project_id: str, n: int) -> None:
    """Apply a ProjectCreated as the indexer does, with addresses unique to n."""
    from partisipro.db import provide_services
    from partisipro.projects.services import ProjectService

    def address(kind: int) -> str:
        return "0x" + f"{kind:02x}{n:038x}"

    async with provide_services(ProjectService) as projects:
        await projects.on_project_created(
            {
                "projectId": n,
                "token": address(1),
                "offering": address(2),
                "treasury": address(3),
                "governor": address(4),
                "timelock": address(5),
                "spv": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            },
            tx_hash="0x" + uuid.uuid4().hex * 2,
            block_time=None,
        )


async def test_project_created_moves_a_deploying_project_to_deployed_with_its_contracts(client):
    await deploy_fake_platform()
    _, headers, _ = await approved_spv(client)
    project = await submitted_project(client, headers)
    _, admin = await make_admin()
    await client.post(f"{API}/admin/projects/{project['id']}/approve", headers=admin)
    await _publish(project["id"], 1)
    public = await client.get(f"{API}/projects/{project['id']}")
    assert public.status_code == 200
    body = public.json()
    assert body["status"] == "deployed"
    assert set(body["contracts"]) == {"token", "offering", "treasury", "governor", "timelock"}
    assert body["offering"]["status"] == "upcoming"
    assert body["offering"]["raised"] == "0"
    await _publish(project["id"], 1)  # the same event again changes nothing
    assert (await client.get(f"{API}/projects/{project['id']}")).json() == body


async def test_the_public_list_shows_only_published_projects_with_filters_and_pages(client):
    await deploy_fake_platform()
    _, headers, _ = await approved_spv(client)
    _, admin = await make_admin()
    ids = []
    for n, sector in enumerate(["energy", "water", "energy"], start=1):
        spv_headers = headers if n == 1 else (await approved_spv(client))[1]
        project = await submitted_project(client, spv_headers, sector=sector, symbol=f"PRJ{n}")
        await client.post(f"{API}/admin/projects/{project['id']}/approve", headers=admin)
        await _publish(project["id"], n)
        ids.append(project["id"])
    await draft_project(client, headers, symbol="DRAFT1")
    everything = (await client.get(f"{API}/projects")).json()
    assert everything["total"] == 3
    assert {p["id"] for p in everything["items"]} == set(ids)
    energy = (await client.get(f"{API}/projects", params={"sector": "energy"})).json()
    assert energy["total"] == 2
    page = (await client.get(f"{API}/projects", params={"limit": 2, "offset": 2})).json()
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (3, 1, 2, 2)
    upcoming = (await client.get(f"{API}/projects", params={"status": "upcoming"})).json()
    assert upcoming["total"] == 3
    assert (await client.get(f"{API}/projects", params={"limit": 101})).status_code == 400
