"""`partisipro users create-admin` (create_admin_user): an admin who enrols TOTP at first login."""

import pytest
from partisipro.auth.services import create_admin_user
from partisipro.errors import BadRequest, Conflict

from tests.fixtures.users import login

pytestmark = pytest.mark.integration


async def test_create_admin_makes_a_verified_admin_who_must_enrol_totp_at_first_login(client):
    user = await create_admin_user(email="Root@Example.com", full_name="Root", password="root passphrase 1")
    assert user.email == "root@example.com"
    assert user.roles == ["admin"]
    tokens = await login(client, "root@example.com", "root passphrase 1")
    assert tokens["mfa_enrollment_required"] is True
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    assert me["roles"] == ["admin"]
    assert me["email_verified"] is True
    assert me["totp_enabled"] is False


async def test_create_admin_refuses_a_taken_email(client):
    await create_admin_user(email="root@example.com", full_name="Root", password="root passphrase 1")
    with pytest.raises(Conflict):
        await create_admin_user(email="root@example.com", full_name="Root", password="root passphrase 1")


async def test_create_admin_refuses_a_short_password(client):
    with pytest.raises(BadRequest) as error:
        await create_admin_user(email="root@example.com", full_name="Root", password="short")
    assert error.value.errors == [{"field": "password", "message": "must be at least 10 characters"}]
