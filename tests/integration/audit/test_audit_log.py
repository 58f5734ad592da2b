"""The audit log: hash chain, tamper detection through /verify, filters and pagination."""

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from partisipro.audit import services as audit
from partisipro.db import open_session
from partisipro.security import Principal

from tests.fixtures.users import bearer_headers, make_user

pytestmark = pytest.mark.integration

LOG = "/api/v1/admin/audit-log"
VERIFY = "/api/v1/admin/audit-log/verify"


async def write(n: int, *, action: str = "test.event", actor: Principal | None = None, **kw) -> None:
    for i in range(n):
        async with open_session() as session:
            await audit.record(session, action=action, actor=actor, object_type="thing", object_id=str(i), **kw)


@pytest.fixture
async def admin_headers(clean_db):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    return bearer_headers(admin)


async def test_each_row_carries_the_previous_rows_hash(client, admin_headers):
    await write(3)
    async with open_session() as session:
        rows = (await session.execute(sa.text("SELECT seq, prev_hash, row_hash FROM audit_log ORDER BY seq"))).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].row_hash
    assert rows[2].prev_hash == rows[1].row_hash


async def test_verify_reports_an_intact_chain(client, admin_headers):
    await write(5, details={"amount": "2500000000", "nested": {"a": [1, 2]}}, reason="because")
    response = await client.get(VERIFY, headers=admin_headers)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "checked": 5, "first_bad_id": None}


async def test_verify_finds_the_first_edited_row(client, admin_headers):
    await write(5)
    async with open_session() as session:
        await session.execute(sa.text("UPDATE audit_log SET object_id = 'forged' WHERE seq = 3"))
    response = await client.get(VERIFY, headers=admin_headers)
    assert response.json() == {"ok": False, "checked": 2, "first_bad_id": 3}


async def test_verify_finds_a_row_edited_with_a_recomputed_hash_by_the_broken_link(client, admin_headers):
    await write(4)
    async with open_session() as session:
        await session.execute(
            sa.text("UPDATE audit_log SET action = 'forged', row_hash = SHA2('x', 256) WHERE seq = 2")
        )
    response = await client.get(VERIFY, headers=admin_headers)
    assert response.json()["ok"] is False
    assert response.json()["first_bad_id"] == 2


async def test_verify_finds_a_deleted_row(client, admin_headers):
    await write(4)
    async with open_session() as session:
        await session.execute(sa.text("DELETE FROM audit_log WHERE seq = 2"))
    response = await client.get(VERIFY, headers=admin_headers)
    assert response.json() == {"ok": False, "checked": 1, "first_bad_id": 2}


async def test_verify_finds_a_cut_tail(client, admin_headers):
    await write(4)
    async with open_session() as session:
        await session.execute(sa.text("DELETE FROM audit_log WHERE seq = 4"))
    response = await client.get(VERIFY, headers=admin_headers)
    assert response.json() == {"ok": False, "checked": 3, "first_bad_id": 4}


async def test_concurrent_writers_never_fork_the_chain(client, admin_headers):
    async def one(i: int) -> None:
        async with open_session() as session:
            await audit.record(session, action="test.concurrent", actor=None, object_id=str(i))

    await asyncio.gather(*(one(i) for i in range(20)))
    response = await client.get(VERIFY, headers=admin_headers)
    assert response.json() == {"ok": True, "checked": 20, "first_bad_id": None}


async def test_a_rolled_back_transaction_leaves_no_row_and_no_gap(client, admin_headers):
    await write(1)
    with pytest.raises(RuntimeError):
        async with open_session() as session:
            await audit.record(session, action="test.rolled_back", actor=None)
            raise RuntimeError("business change failed")
    await write(1)
    response = await client.get(VERIFY, headers=admin_headers)
    assert response.json() == {"ok": True, "checked": 2, "first_bad_id": None}


async def test_the_list_is_newest_first_and_paginated(client, admin_headers):
    await write(7)
    response = await client.get(LOG, headers=admin_headers, params={"limit": 3, "offset": 2, "action": "test.event"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 7 and body["limit"] == 3 and body["offset"] == 2
    assert [item["object_id"] for item in body["items"]] == ["4", "3", "2"]


async def test_the_list_filters_by_actor_object_and_time(client, admin_headers):
    actor = Principal(user_id=uuid.uuid4(), roles=frozenset({"compliance"}))
    await write(2, action="kyc.read", actor=actor)
    await write(3, action="test.event")
    by_actor = (await client.get(LOG, headers=admin_headers, params={"actor_id": str(actor.user_id)})).json()
    assert by_actor["total"] == 2
    assert {i["actor_role"] for i in by_actor["items"]} == {"compliance"}
    by_object = (await client.get(LOG, headers=admin_headers, params={"object_type": "thing", "object_id": "1"})).json()
    assert by_object["total"] == 2
    future = (await client.get(LOG, headers=admin_headers, params={"from": "2999-01-01T00:00:00Z"})).json()
    assert future["total"] == 0
    past = (
        await client.get(LOG, headers=admin_headers, params={"to": "2999-01-01T00:00:00Z", "action": "kyc.read"})
    ).json()
    assert past["total"] == 2


async def test_a_limit_over_100_is_400(client, admin_headers):
    response = await client.get(LOG, headers=admin_headers, params={"limit": 101})
    assert response.status_code == 400


async def test_a_malformed_actor_id_is_400(client, admin_headers):
    response = await client.get(LOG, headers=admin_headers, params={"actor_id": "not-a-uuid"})
    assert response.status_code == 400


async def test_only_admins_read_the_audit_log(client):
    officer, _, _ = await make_user(role="compliance", with_totp=True)
    assert (await client.get(LOG, headers=bearer_headers(officer))).status_code == 403
    assert (await client.get(VERIFY, headers=bearer_headers(officer))).status_code == 403
    assert (await client.get(LOG)).status_code == 401


async def test_auth_events_land_in_the_log_with_ip_and_request_id(client, admin_headers):
    user, password, _ = await make_user()
    await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": password}, headers={"X-Request-ID": "req-123"}
    )
    body = (await client.get(LOG, headers=admin_headers, params={"action": "auth.login"})).json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["actor_id"] == str(user.id)
    assert item["request_id"] == "req-123"
    assert item["ip_address"] == "127.0.0.1"
