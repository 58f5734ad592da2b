"""POST /admin/users: admins create staff, who accept the emailed invitation and enrol TOTP."""

import pytest
from partisipro.security import decode_access_token

from tests.fixtures.mail import deliver_notifications
from tests.fixtures.users import bearer_headers, login, make_user, token_from_mail, totp_now

pytestmark = pytest.mark.integration

STAFF = "/api/v1/admin/users"


async def test_an_admin_creates_a_compliance_officer_who_is_invited_by_email(smtp_server, client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    response = await client.post(
        STAFF,
        headers=bearer_headers(admin),
        json={"email": "Officer@Example.com", "full_name": "Budi", "role": "compliance"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["roles"] == ["compliance"]
    assert response.json()["email"] == "officer@example.com"
    await deliver_notifications()
    token = token_from_mail(smtp_server.to("officer@example.com")[0])
    password = "officer passphrase 1"
    accepted = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": password})
    assert accepted.status_code == 200
    enrol = await login(client, "officer@example.com", password)
    assert enrol["mfa_enrollment_required"] is True
    headers = {"Authorization": f"Bearer {enrol['access_token']}"}
    secret = (await client.post("/api/v1/me/mfa/totp", headers=headers)).json()["secret"]
    assert (
        await client.post("/api/v1/me/mfa/totp/confirm", headers=headers, json={"otp": totp_now(secret)})
    ).status_code == 200
    tokens = await login(client, "officer@example.com", password, otp=totp_now(secret))
    assert decode_access_token(tokens["access_token"]).roles == {"compliance"}


async def test_staff_creation_is_audited_with_the_admin_as_actor(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    headers = bearer_headers(admin)
    await client.post(STAFF, headers=headers, json={"email": "o@example.com", "full_name": "Budi", "role": "admin"})
    log = (
        await client.get("/api/v1/admin/audit-log", headers=headers, params={"action": "admin.staff_created"})
    ).json()
    assert log["total"] == 1
    assert log["items"][0]["actor_id"] == str(admin.id)
    assert log["items"][0]["details"]["role"] == "admin"


async def test_a_non_admin_cannot_create_staff(client):
    officer, _, _ = await make_user(role="compliance", with_totp=True)
    response = await client.post(
        STAFF, headers=bearer_headers(officer), json={"email": "o@example.com", "full_name": "B", "role": "admin"}
    )
    assert response.status_code == 403


async def test_creating_staff_without_a_token_is_401(client):
    response = await client.post(STAFF, json={"email": "o@example.com", "full_name": "B", "role": "admin"})
    assert response.status_code == 401


async def test_staff_role_must_be_compliance_or_admin(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    response = await client.post(
        STAFF, headers=bearer_headers(admin), json={"email": "o@example.com", "full_name": "B", "role": "investor"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "role"


async def test_staff_with_a_taken_email_is_409(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    await make_user(email="taken@example.com")
    response = await client.post(
        STAFF,
        headers=bearer_headers(admin),
        json={"email": "taken@example.com", "full_name": "B", "role": "compliance"},
    )
    assert response.status_code == 409


async def test_an_invited_staff_member_cannot_log_in_before_setting_a_password(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    await client.post(
        STAFF, headers=bearer_headers(admin), json={"email": "o@example.com", "full_name": "B", "role": "compliance"}
    )
    response = await client.post("/api/v1/auth/login", json={"email": "o@example.com", "password": "anything at all"})
    assert response.status_code == 401


async def test_an_admin_changes_a_users_roles_and_the_change_is_audited(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    user, password, _ = await make_user()
    headers = bearer_headers(admin)
    response = await client.put(f"{STAFF}/{user.id}/roles", headers=headers, json={"roles": ["investor", "spv"]})
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["investor", "spv"]
    tokens = await login(client, user.email, password)
    assert decode_access_token(tokens["access_token"]).roles == {"investor", "spv"}
    log = (
        await client.get("/api/v1/admin/audit-log", headers=headers, params={"action": "admin.roles_changed"})
    ).json()
    assert log["total"] == 1
    assert log["items"][0]["details"] == {"before": ["investor"], "after": ["investor", "spv"]}
    assert log["items"][0]["object_id"] == str(user.id)


async def test_a_role_change_reaches_live_sessions_at_their_next_refresh(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    user, password, _ = await make_user()
    tokens = await login(client, user.email, password)
    await client.put(f"{STAFF}/{user.id}/roles", headers=bearer_headers(admin), json={"roles": ["spv"]})
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert decode_access_token(refreshed.json()["access_token"]).roles == {"spv"}


async def test_changing_roles_of_an_unknown_user_is_404(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    response = await client.put(
        f"{STAFF}/00000000-0000-4000-8000-000000000000/roles", headers=bearer_headers(admin), json={"roles": ["spv"]}
    )
    assert response.status_code == 404


async def test_an_admin_cannot_remove_their_own_admin_role(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    response = await client.put(
        f"{STAFF}/{admin.id}/roles", headers=bearer_headers(admin), json={"roles": ["investor"]}
    )
    assert response.status_code == 409


async def test_an_unknown_role_is_400_naming_roles(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    user, _, _ = await make_user()
    response = await client.put(f"{STAFF}/{user.id}/roles", headers=bearer_headers(admin), json={"roles": ["king"]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("roles")


async def test_only_admins_change_roles(client):
    officer, _, _ = await make_user(role="compliance", with_totp=True)
    user, _, _ = await make_user()
    response = await client.put(f"{STAFF}/{user.id}/roles", headers=bearer_headers(officer), json={"roles": ["spv"]})
    assert response.status_code == 403


async def test_promoting_a_user_to_staff_ends_their_sessions_opened_without_totp(client):
    admin, _, _ = await make_user(role="admin", with_totp=True)
    user, password, _ = await make_user()
    tokens = await login(client, user.email, password)
    await client.put(f"{STAFF}/{user.id}/roles", headers=bearer_headers(admin), json={"roles": ["compliance"]})
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
