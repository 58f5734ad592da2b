"""Documents: size and real-type checks, SHA-256, S3 storage with SSE, staff downloads."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
import sqlalchemy as sa
from partisipro.audit.models import AuditEntry
from partisipro.db import open_session

from kyc.models import KycDocument
from tests.fixtures.kyc import create_application, investor, officer, pdf_bytes, png_bytes, upload
from tests.fixtures.s3 import S3Server

pytestmark = pytest.mark.integration


async def test_upload_records_sha256_and_size_and_stores_encrypted_in_s3(client, s3_server: S3Server) -> None:
    siti = await investor()
    application_id = await create_application(client, siti)
    data = pdf_bytes("my id card")
    response = await upload(client, siti, application_id, "id_card", data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "id_card"
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size"] == len(data)
    assert body["content_type"] == "application/pdf"

    async with open_session() as session:
        key = await session.scalar(sa.select(KycDocument.storage_key).where(KycDocument.id == uuid.UUID(body["id"])))
    assert application_id not in key and siti.id not in key  # random key, says nothing about the owner
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    stored = s3_server.client().get_object(Bucket=s3_server.bucket, Key=key)["Body"].read()
    assert stored == data


async def test_png_is_accepted_by_its_bytes_whatever_the_declared_type(client) -> None:
    siti = await investor()
    application_id = await create_application(client, siti)
    response = await upload(client, siti, application_id, "selfie", png_bytes(), name="selfie.pdf")
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


async def test_twelve_megabyte_upload_is_413(client) -> None:
    siti = await investor()
    application_id = await create_application(client, siti)
    big = pdf_bytes() + b"0" * (12 * 1024 * 1024)
    response = await upload(client, siti, application_id, "id_card", big)
    assert response.status_code == 413
    mine = await client.get("/api/v1/kyc/applications/me", headers=siti.headers)
    assert mine.json()["documents"] == []


async def test_just_over_ten_megabytes_is_413(client) -> None:
    siti = await investor()
    application_id = await create_application(client, siti)
    big = pdf_bytes() + b"0" * (10 * 1024 * 1024)
    response = await upload(client, siti, application_id, "id_card", big)
    assert response.status_code == 413


async def test_executable_renamed_pdf_is_415(client) -> None:
    siti = await investor()
    application_id = await create_application(client, siti)
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 512
    response = await upload(client, siti, application_id, "id_card", elf, name="passport.pdf")
    assert response.status_code == 415
    windows = b"MZ\x90\x00" + b"\x00" * 512
    response = await upload(client, siti, application_id, "id_card", windows, name="passport.pdf")
    assert response.status_code == 415


async def test_unknown_document_kind_is_400(client) -> None:
    siti = await investor()
    application_id = await create_application(client, siti)
    response = await upload(client, siti, application_id, "tax_return", pdf_bytes())
    assert response.status_code == 400


async def test_investor_downloads_own_document_but_not_anothers(client) -> None:
    owner, stranger = await investor(), await investor()
    application_id = await create_application(client, owner)
    data = pdf_bytes("owner's card")
    doc_id = (await upload(client, owner, application_id, "id_card", data)).json()["id"]
    path = f"/api/v1/kyc/applications/{application_id}/documents/{doc_id}"
    mine = await client.get(path, headers=owner.headers)
    assert mine.status_code == 200
    assert mine.content == data
    theirs = await client.get(path, headers=stranger.headers)
    assert theirs.status_code == 404


async def test_officer_downloads_document_and_the_read_is_audited(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await create_application(client, siti)
    data = pdf_bytes("for staff")
    doc_id = (await upload(client, siti, application_id, "id_card", data)).json()["id"]
    response = await client.get(
        f"/api/v1/compliance/kyc/{application_id}/documents/{doc_id}",
        params={"reason": "checking the ID photo"},
        headers=andi.headers,
    )
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"].startswith("application/pdf")
    async with open_session() as session:
        row = (
            (
                await session.execute(
                    sa.select(AuditEntry)
                    .where(AuditEntry.action == "kyc.document_read")
                    .order_by(AuditEntry.seq.desc())
                )
            )
            .scalars()
            .first()
        )
    assert row is not None
    assert row.actor_id == andi.user.id
    assert row.reason == "checking the ID photo"
    assert row.object_id == doc_id


async def test_presigned_url_is_short_lived_and_serves_the_file(client) -> None:
    siti, andi = await investor(), await officer()
    application_id = await create_application(client, siti)
    data = png_bytes()
    doc_id = (await upload(client, siti, application_id, "selfie", data)).json()["id"]
    response = await client.get(f"/api/v1/compliance/kyc/{application_id}/documents/{doc_id}/url", headers=andi.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in_seconds"] == 300
    assert "X-Amz-Expires=300" in body["url"]
    async with httpx.AsyncClient() as http:
        fetched = await http.get(body["url"])
    assert fetched.status_code == 200
    assert fetched.content == data
