"""Accounts and authentication: registration, email verification, login with TOTP, rotating
refresh tokens, password reset, wallet linking (EIP-4361) and staff accounts.

Rules that shape the code below:

* Passwords are argon2; an unknown email still costs one argon2 verification, and every
  credential failure answers the same 401.
* Refresh tokens are opaque, stored as SHA-256, grouped in a family (one login, the access
  token's ``sid``). Each use rotates; presenting a used token revokes the whole family.
* Staff (compliance, admin) need TOTP. A staff account that has not enrolled yet may log in
  with its password only to enrol: it gets a token without roles (``scope = mfa_enroll``)
  that serves /me and /me/mfa/totp; once confirmed, it logs in again with an otp.
* Failures that must leave a trace (failed logins, refresh reuse) commit their audit row
  and revocations before raising, because the request's transaction is rolled back on errors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlparse

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro import ratelimit
from partisipro.audit import services as audit
from partisipro.auth import siwe, totp
from partisipro.auth.models import OneTimeToken, RefreshToken, User, Wallet, WalletChallenge
from partisipro.db import provide_services, utcnow
from partisipro.errors import BadRequest, Conflict, NotFound, Unauthorized
from partisipro.security import (
    ROLES,
    STAFF_ROLES,
    Principal,
    hash_password,
    issue_access_token,
    new_token,
    password_needs_rehash,
    token_digest,
    verify_password,
)
from partisipro.settings import get_settings

__all__ = ["AccountService", "ClientInfo", "IssuedTokens", "MeView", "create_admin_user"]

PURPOSE_VERIFY_EMAIL = "verify_email"
PURPOSE_PASSWORD_RESET = "password_reset"  # noqa: S105 - a token purpose
PURPOSE_STAFF_INVITE = "staff_invite"
STAFF_INVITE_TTL_SECONDS = 72 * 3600
SCOPE_FULL = "full"
SCOPE_MFA_ENROLL = "mfa_enroll"
BAD_CREDENTIALS = "Invalid email or password"
WALLET_STATEMENT = "Link this wallet to your Partisipro account."
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a request came from, for rate limits, audit rows and new-login emails."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    mfa_enrollment_required: bool = False


@dataclass(frozen=True, slots=True)
class MeView:
    user: User
    kyc_status: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def _kyc_status(session: AsyncSession, user_id: uuid.UUID) -> str:
    """The user's KYC status for /me, from the KYC domain ("none" before any application)."""
    from kyc import services as kyc  # imported late: kyc reads the account tables

    return await kyc.status_for_user(session, user_id)


async def _wallet_linked(session: AsyncSession, user_id: uuid.UUID, address: str) -> None:
    """Tell KYC: a wallet linked after approval joins the identity registry (same transaction)."""
    from kyc import services as kyc

    await kyc.on_wallet_linked(session, user_id, address)


class UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


class AccountService(SQLAlchemyAsyncRepositoryService[User]):
    """Users and everything that authenticates them."""

    repository_type = UserRepository

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    # ---- helpers -------------------------------------------------------------------------

    async def _audit(
        self,
        action: str,
        client: ClientInfo,
        *,
        actor: Principal | None = None,
        user: User | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if actor is None and user is not None:
            actor = Principal(user_id=user.id, roles=frozenset(user.roles))
        await audit.record(
            self.session,
            action=action,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
            details=details,
            ip=client.ip,
            request_id=client.request_id,
        )

    async def _notify(self, event: str, user: User, context: dict[str, Any], *, event_id: str | None = None) -> None:
        import notifications

        recipient = notifications.Recipient(user_id=user.id, email=user.email, locale=user.locale or "en")
        await notifications.notify(
            self.session, event, [recipient], {"name": user.full_name, **context}, event_id=event_id
        )

    async def get_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == normalize_email(email)))
        return result.scalar_one_or_none()

    async def get_user(self, user_id: uuid.UUID) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound("User not found")
        return user

    async def _one_time_token(self, user: User, purpose: str, ttl_seconds: int) -> str:
        """A fresh single-use token; earlier unused tokens of the same purpose stop working."""
        now = utcnow()
        await self.session.execute(
            update(OneTimeToken)
            .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None))
            .values(used_at=now)
        )
        token = new_token()
        self.session.add(
            OneTimeToken(
                user_id=user.id,
                purpose=purpose,
                token_hash=token_digest(token),
                expires_at=now + dt.timedelta(seconds=ttl_seconds),
            )
        )
        await self.session.flush()
        return token

    async def _consume_one_time_token(self, token: str, purposes: tuple[str, ...]) -> tuple[OneTimeToken, User]:
        row = (
            await self.session.execute(
                select(OneTimeToken).where(OneTimeToken.token_hash == token_digest(token)).with_for_update()
            )
        ).scalar_one_or_none()
        if row is None or row.purpose not in purposes:
            raise BadRequest.field("token", "unknown or invalid token")
        if row.used_at is not None:
            raise BadRequest.field("token", "this token has already been used")
        if row.expires_at <= utcnow():
            raise BadRequest.field("token", "this token has expired")
        user = await self.get_user(row.user_id)
        if not user.is_active:
            raise BadRequest.field("token", "unknown or invalid token")
        row.used_at = utcnow()
        return row, user

    @staticmethod
    def _link(path: str, token: str) -> str:
        return f"{get_settings().public_url.rstrip('/')}{path}?{urlencode({'token': token})}"

    # ---- users ---------------------------------------------------------------------------

    async def create_user(
        self,
        *,
        email: str,
        full_name: str,
        roles: list[str],
        password: str | None,
        verified: bool = False,
        totp_secret: str | None = None,
    ) -> User:
        """Insert a user (no email, no audit: callers decide). Duplicate email: 409."""
        if not roles or any(role not in ROLES for role in roles):
            raise BadRequest.field("role", f"must be one of {', '.join(ROLES)}")
        email = normalize_email(email)
        if await self.get_by_email(email) is not None:
            raise Conflict("An account with this email already exists")
        user = User(
            id=uuid.uuid4(),
            email=email,
            full_name=full_name.strip(),
            password_hash=hash_password(password) if password is not None else None,
            email_verified_at=utcnow() if verified else None,
            totp_secret=totp_secret,
            totp_enabled=totp_secret is not None,
            is_active=True,
            locale="en",
            wallets=[],
        )
        user.roles = roles
        self.session.add(user)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            raise Conflict("An account with this email already exists") from exc
        return user

    async def register(self, *, email: str, password: str, full_name: str, role: str, client: ClientInfo) -> User:
        if role not in ("investor", "spv"):
            raise BadRequest.field("role", "must be investor or spv")
        user = await self.create_user(email=email, full_name=full_name, roles=[role], password=password)
        token = await self._one_time_token(user, PURPOSE_VERIFY_EMAIL, get_settings().email_token_ttl_seconds)
        await self._notify(
            "account.verify_email", user, {"token": token, "verify_url": self._link("/verify-email", token)}
        )
        await self._audit(
            "auth.registered", client, user=user, object_type="user", object_id=str(user.id), details={"role": role}
        )
        return user

    async def verify_email(self, *, token: str, client: ClientInfo) -> User:
        _, user = await self._consume_one_time_token(token, (PURPOSE_VERIFY_EMAIL,))
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
        await self._audit("auth.email_verified", client, user=user, object_type="user", object_id=str(user.id))
        return user

    async def create_staff(
        self, *, email: str, full_name: str, role: str, actor: Principal, client: ClientInfo
    ) -> User:
        """An admin creates a compliance officer or admin. The invitee sets a password with the
        emailed token (POST /auth/password-reset/confirm), logs in, and enrols TOTP."""
        if role not in STAFF_ROLES:
            raise BadRequest.field("role", "must be compliance or admin")
        user = await self.create_user(email=email, full_name=full_name, roles=[role], password=None)
        token = await self._one_time_token(user, PURPOSE_STAFF_INVITE, STAFF_INVITE_TTL_SECONDS)
        invite = {
            "token": token,
            "set_password_url": self._link("/reset-password", token),
            "expires_at": utcnow() + dt.timedelta(seconds=STAFF_INVITE_TTL_SECONDS),
            "role": role,
        }
        await self._notify("account.staff_invite", user, invite)
        await self._audit(
            "admin.staff_created",
            client,
            actor=actor,
            object_type="user",
            object_id=str(user.id),
            details={"role": role, "email": user.email},
        )
        return user

    async def set_roles(self, *, user_id: uuid.UUID, roles: list[str], actor: Principal, client: ClientInfo) -> User:
        """An admin changes a user's roles. Live sessions pick the new roles up at their next
        refresh (access tokens already issued keep theirs until they expire, 15 min)."""
        wanted = sorted(set(roles))
        if not wanted or any(role not in ROLES for role in wanted):
            raise BadRequest.field("roles", f"must be a non-empty subset of {', '.join(ROLES)}")
        user = (
            await self.session.execute(select(User).where(User.id == user_id).with_for_update())
        ).scalar_one_or_none()
        if user is None:
            raise NotFound("User not found")
        if user.id == actor.user_id and "admin" not in wanted:
            raise Conflict("An admin cannot remove their own admin role")
        before = user.roles
        if before == wanted:
            return user
        user.roles = wanted
        if (set(wanted) - set(before)) & STAFF_ROLES:
            # A staff role must be earned with TOTP: sessions opened without it end here.
            await self._revoke_all_families(user.id)
        await self._audit(
            "admin.roles_changed",
            client,
            actor=actor,
            object_type="user",
            object_id=str(user.id),
            details={"before": before, "after": wanted},
        )
        return user

    async def me(self, user_id: uuid.UUID) -> MeView:
        user = await self.get_user(user_id)
        await self.session.refresh(user, attribute_names=["wallets"])
        return MeView(user=user, kyc_status=await _kyc_status(self.session, user.id))

    # ---- login and sessions --------------------------------------------------------------

    async def _fail_login(self, client: ClientInfo, email: str, user: User | None, reason: str, detail: str) -> None:
        await self._audit(
            "auth.login_failed",
            client,
            user=user,
            object_type="user",
            object_id=str(user.id) if user else None,
            reason=reason,
            details={"email": email},
        )
        await self.session.commit()
        raise Unauthorized(detail)

    async def login(self, *, email: str, password: str, otp: str | None, client: ClientInfo) -> IssuedTokens:
        settings = get_settings()
        email = normalize_email(email)
        limit = settings.rate_limit_per_minute
        await ratelimit.hit("login:ip", client.ip or "unknown", limit=limit)
        await ratelimit.hit("login:email", email, limit=limit)
        user = await self.get_by_email(email)
        password_ok = verify_password(user.password_hash if user else None, password)
        if user is None or not password_ok or not user.is_active:
            await self._fail_login(client, email, user, "bad_credentials", BAD_CREDENTIALS)
        assert user is not None
        if user.password_hash and password_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        scope = SCOPE_FULL
        is_staff = bool(set(user.roles) & STAFF_ROLES)
        if user.totp_enabled and user.totp_secret:
            if not otp:
                await self._fail_login(
                    client, email, user, "otp_missing", "A one-time code (otp) is required for this account"
                )
            assert otp is not None
            step = totp.accept(user.totp_secret, otp, user.totp_last_step)
            if step is None or not await self._claim_totp_step(user, step):
                await self._fail_login(client, email, user, "otp_invalid", "Invalid or already used one-time code")
        elif is_staff and settings.staff_requires_totp:
            scope = SCOPE_MFA_ENROLL
        issued = await self._start_family(user, scope, client)
        await self._maybe_new_login_notice(user, client)
        user.last_login_at = utcnow()
        await self._audit(
            "auth.login", client, user=user, object_type="user", object_id=str(user.id), details={"scope": scope}
        )
        return issued

    async def _claim_totp_step(self, user: User, step: int) -> bool:
        """Record ``step`` as used unless it (or a later one) already was: a code works once."""
        result = await self.session.execute(
            update(User)
            .where(User.id == user.id)
            .where((User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        user.totp_last_step = step
        return True

    async def _maybe_new_login_notice(self, user: User, client: ClientInfo) -> None:
        """Email the user when they log in from an IP and browser not seen in their sessions."""
        if user.last_login_at is None:
            return
        seen = await self.session.execute(
            select(func.count())
            .select_from(RefreshToken)
            .where(
                RefreshToken.user_id == user.id,
                RefreshToken.ip_address == (client.ip or None),
                RefreshToken.user_agent == (client.user_agent[:255] if client.user_agent else None),
            )
        )
        # The family just started is one of them.
        if seen.scalar_one() > 1:
            return
        await self._notify(
            "account.new_device_login",
            user,
            {
                "ip": client.ip or "unknown",
                "device": client.user_agent or "unknown",
                "user_agent": client.user_agent or "unknown",
                "at": utcnow(),
            },
        )

    async def _start_family(self, user: User, scope: str, client: ClientInfo) -> IssuedTokens:
        family_id = uuid.uuid4().hex
        return await self._issue(user, family_id, scope, client)

    async def _issue(self, user: User, family_id: str, scope: str, client: ClientInfo) -> IssuedTokens:
        settings = get_settings()
        refresh = new_token()
        self.session.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=token_digest(refresh),
                expires_at=utcnow() + dt.timedelta(seconds=settings.refresh_token_ttl_seconds),
                user_agent=client.user_agent[:255] if client.user_agent else None,
                ip_address=client.ip[:64] if client.ip else None,
                scope=scope,
            )
        )
        await self.session.flush()
        roles = user.roles if scope == SCOPE_FULL else []
        access, ttl = issue_access_token(user.id, roles, family_id)
        return IssuedTokens(access, refresh, ttl, mfa_enrollment_required=scope == SCOPE_MFA_ENROLL)

    async def _revoke_family(self, family_id: str, user_id: uuid.UUID) -> int:
        result = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.family_id == family_id,
                RefreshToken.user_id == user_id,
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _revoke_all_families(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def refresh(self, *, refresh_token: str, client: ClientInfo) -> IssuedTokens:
        row = (
            await self.session.execute(
                select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)).with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            raise Unauthorized("Invalid refresh token")
        if row.revoked_at is not None:
            raise Unauthorized("This session has been revoked; log in again")
        user = await self.session.get(User, row.user_id)
        if row.used_at is not None:
            await self._revoke_family(row.family_id, row.user_id)
            await self._audit(
                "auth.refresh_reuse",
                client,
                user=user,
                object_type="session",
                object_id=row.family_id,
                reason="a rotated refresh token was presented again",
            )
            await self.session.commit()
            raise Unauthorized("Refresh token reuse detected; the session has been revoked")
        if row.expires_at <= utcnow():
            raise Unauthorized("Refresh token expired; log in again")
        if user is None or not user.is_active:
            raise Unauthorized("Invalid refresh token")
        row.used_at = utcnow()
        issued = await self._issue(user, row.family_id, row.scope, client)
        await self._audit("auth.refreshed", client, user=user, object_type="session", object_id=row.family_id)
        return issued

    async def logout(self, *, principal: Principal, client: ClientInfo) -> None:
        await self._revoke_family(principal.session_id, principal.user_id)
        await self._audit(
            "auth.logout", client, actor=principal, object_type="session", object_id=principal.session_id or None
        )

    # ---- passwords -----------------------------------------------------------------------

    async def request_password_reset(self, *, email: str, client: ClientInfo) -> None:
        """Always answers the same; only an existing, active account gets an email."""
        settings = get_settings()
        email = normalize_email(email)
        await ratelimit.hit("password_reset:ip", client.ip or "unknown", limit=settings.rate_limit_per_minute)
        await ratelimit.hit("password_reset:email", email, limit=settings.rate_limit_per_minute)
        user = await self.get_by_email(email)
        if user is None or not user.is_active:
            return
        token = await self._one_time_token(user, PURPOSE_PASSWORD_RESET, settings.password_reset_ttl_seconds)
        await self._notify(
            "account.password_reset",
            user,
            {
                "token": token,
                "reset_url": self._link("/reset-password", token),
                "expires_at": utcnow() + dt.timedelta(seconds=settings.password_reset_ttl_seconds),
            },
        )
        await self._audit(
            "auth.password_reset_requested", client, user=user, object_type="user", object_id=str(user.id)
        )

    async def confirm_password_reset(self, *, token: str, password: str, client: ClientInfo) -> User:
        settings = get_settings()
        await ratelimit.hit("password_reset_confirm:ip", client.ip or "unknown", limit=settings.rate_limit_per_minute)
        row, user = await self._consume_one_time_token(token, (PURPOSE_PASSWORD_RESET, PURPOSE_STAFF_INVITE))
        user.password_hash = hash_password(password)
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()  # the token arrived by email
        await self._revoke_all_families(user.id)
        action = "auth.staff_invite_accepted" if row.purpose == PURPOSE_STAFF_INVITE else "auth.password_reset"
        await self._audit(action, client, user=user, object_type="user", object_id=str(user.id))
        return user

    # ---- TOTP ----------------------------------------------------------------------------

    async def start_totp(self, *, principal: Principal, client: ClientInfo) -> tuple[str, str]:
        user = await self.get_user(principal.user_id)
        if user.totp_enabled:
            raise Conflict("TOTP is already enabled for this account")
        secret = totp.new_secret()
        user.totp_secret = secret
        user.totp_last_step = None
        await self._audit(
            "auth.totp_enrollment_started", client, actor=principal, object_type="user", object_id=str(user.id)
        )
        return secret, totp.provisioning_uri(secret, user.email)

    async def confirm_totp(self, *, principal: Principal, otp: str, client: ClientInfo) -> User:
        user = await self.get_user(principal.user_id)
        if user.totp_enabled:
            raise Conflict("TOTP is already enabled for this account")
        if not user.totp_secret:
            raise Conflict("Start TOTP enrolment first (POST /api/v1/me/mfa/totp)")
        step = totp.accept(user.totp_secret, otp, user.totp_last_step)
        if step is None or not await self._claim_totp_step(user, step):
            raise BadRequest.field("otp", "invalid or already used code")
        user.totp_enabled = True
        await self._audit("auth.totp_enabled", client, actor=principal, object_type="user", object_id=str(user.id))
        return user

    # ---- wallets -------------------------------------------------------------------------

    async def wallet_challenge(self, *, principal: Principal, address: str) -> WalletChallenge:
        settings = get_settings()
        try:
            address = siwe.checksum_address(address)
        except siwe.SiweError as exc:
            raise BadRequest.field("address", exc.message) from exc
        now = utcnow().replace(microsecond=0)
        expires = now + dt.timedelta(seconds=settings.wallet_challenge_ttl_seconds)
        nonce = siwe.new_nonce()
        message = siwe.build_message(
            domain=urlparse(settings.public_url).netloc,
            address=address,
            uri=settings.public_url,
            chain_id=settings.chain_id,
            nonce=nonce,
            issued_at=now,
            expiration_time=expires,
            statement=WALLET_STATEMENT,
        )
        challenge = WalletChallenge(
            user_id=principal.user_id, address=address, nonce=nonce, message=message.text(), expires_at=expires
        )
        self.session.add(challenge)
        await self.session.flush()
        return challenge

    async def link_wallet(self, *, principal: Principal, message: str, signature: str, client: ClientInfo) -> Wallet:
        settings = get_settings()
        try:
            parsed = siwe.parse_message(message)
        except siwe.SiweError as exc:
            raise BadRequest.field("message", exc.message) from exc
        challenge = (
            await self.session.execute(
                select(WalletChallenge).where(WalletChallenge.nonce == parsed.nonce).with_for_update()
            )
        ).scalar_one_or_none()
        now = utcnow()
        if challenge is None or challenge.user_id != principal.user_id:
            raise BadRequest.field("message", "unknown nonce; ask for a new challenge")
        if challenge.used_at is not None:
            raise BadRequest.field("message", "this nonce has already been used")
        if challenge.expires_at <= now or (parsed.expiration_time is not None and parsed.expiration_time <= now):
            raise BadRequest.field("message", "the challenge has expired; ask for a new one")
        if (
            challenge.message != message
            or parsed.address != challenge.address
            or parsed.domain != urlparse(settings.public_url).netloc
            or parsed.chain_id != settings.chain_id
        ):
            raise BadRequest.field("message", "the message differs from the challenge that was issued")
        try:
            signer = siwe.recover_signer(message, signature)
        except siwe.SiweError as exc:
            raise BadRequest.field("signature", exc.message) from exc
        if signer != parsed.address:
            raise BadRequest.field("signature", "not signed by the wallet in the message")
        existing = (
            await self.session.execute(select(Wallet).where(Wallet.address == parsed.address))
        ).scalar_one_or_none()
        if existing is not None and existing.user_id != principal.user_id:
            raise Conflict("This wallet is linked to another account")
        challenge.used_at = now
        if existing is not None:
            return existing
        wallet = Wallet(user_id=principal.user_id, address=parsed.address, verified_at=now)
        self.session.add(wallet)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            raise Conflict("This wallet is linked to another account") from exc
        await _wallet_linked(self.session, principal.user_id, wallet.address)
        await self._audit("wallet.linked", client, actor=principal, object_type="wallet", object_id=wallet.address)
        return wallet


async def create_admin_user(email: str, full_name: str, password: str) -> User:
    """`partisipro users create-admin`: an admin with a verified email and no TOTP yet.

    The first login (password only) returns a role-less token that can enrol TOTP at
    /api/v1/me/mfa/totp and /confirm; from then on the admin logs in with an otp.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest.field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if "@" not in email or len(email) > 320:
        raise BadRequest.field("email", "not an email address")
    if not full_name.strip() or len(full_name) > 200:
        raise BadRequest.field("full_name", "must be 1 to 200 characters")
    async with provide_services(AccountService) as accounts:
        user = await accounts.create_user(
            email=email, full_name=full_name, roles=["admin"], password=password, verified=True
        )
        await accounts._audit(
            "admin.created_by_cli", ClientInfo(), user=user, object_type="user", object_id=str(user.id)
        )
    return user
