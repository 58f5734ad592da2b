"""Auth and account endpoints: thin handlers over ``AccountService``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.auth import schemas
from partisipro.auth.models import User, Wallet
from partisipro.auth.services import AccountService, ClientInfo, IssuedTokens
from partisipro.security import Principal, client_ip, provide_principal, requires_role, requires_user


async def provide_accounts(db_session: AsyncSession) -> AccountService:
    return AccountService(session=db_session)


def client_info(request: Request[Any, Any, Any]) -> ClientInfo:
    state = request.scope.get("state", {})
    return ClientInfo(
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        request_id=state.get("request_id") if isinstance(state, dict) else None,
    )


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        roles=user.roles,
        email_verified=user.email_verified_at is not None,
        totp_enabled=user.totp_enabled,
        created_at=user.created_at,
    )


def wallet_out(wallet: Wallet) -> schemas.WalletOut:
    return schemas.WalletOut(
        address=wallet.address, verified_at=wallet.verified_at, registered_on_chain=wallet.registered_on_chain
    )


def token_pair(issued: IssuedTokens) -> schemas.TokenPair:
    return schemas.TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        mfa_enrollment_required=issued.mfa_enrollment_required,
    )


_DEPENDENCIES = {"accounts": Provide(provide_accounts)}
_PRINCIPAL = {"principal": Provide(provide_principal)}


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]
    dependencies = _DEPENDENCIES
    security = [{}]

    @post("/register", status_code=HTTP_201_CREATED, summary="Register an investor or SPV account")
    async def register(
        self, data: schemas.Register, accounts: AccountService, request: Request[Any, Any, Any]
    ) -> schemas.UserOut:
        user = await accounts.register(
            email=data.email,
            password=data.password,
            full_name=data.full_name,
            role=data.role,
            client=client_info(request),
        )
        return user_out(user)

    @post("/verify-email", status_code=HTTP_200_OK, summary="Confirm an email address with the emailed token")
    async def verify_email(
        self, data: schemas.VerifyEmail, accounts: AccountService, request: Request[Any, Any, Any]
    ) -> schemas.UserOut:
        return user_out(await accounts.verify_email(token=data.token, client=client_info(request)))

    @post("/login", status_code=HTTP_200_OK, summary="Log in; staff also send a TOTP code as otp")
    async def login(
        self, data: schemas.Login, accounts: AccountService, request: Request[Any, Any, Any]
    ) -> schemas.TokenPair:
        issued = await accounts.login(
            email=data.email, password=data.password, otp=data.otp, client=client_info(request)
        )
        return token_pair(issued)

    @post("/refresh", status_code=HTTP_200_OK, summary="Rotate a refresh token for a new pair")
    async def refresh(
        self, data: schemas.Refresh, accounts: AccountService, request: Request[Any, Any, Any]
    ) -> schemas.TokenPair:
        return token_pair(await accounts.refresh(refresh_token=data.refresh_token, client=client_info(request)))

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_user],
        dependencies=_PRINCIPAL,
        security=[{"bearer": []}],
        summary="Revoke this session's refresh family",
    )
    async def logout(self, accounts: AccountService, principal: Principal, request: Request[Any, Any, Any]) -> None:
        await accounts.logout(principal=principal, client=client_info(request))

    @post("/password-reset", status_code=HTTP_202_ACCEPTED, summary="Email a password reset link (always 202)")
    async def password_reset(
        self, data: schemas.PasswordReset, accounts: AccountService, request: Request[Any, Any, Any]
    ) -> schemas.Accepted:
        await accounts.request_password_reset(email=data.email, client=client_info(request))
        return schemas.Accepted()

    @post("/password-reset/confirm", status_code=HTTP_200_OK, summary="Set a new password with the emailed token")
    async def password_reset_confirm(
        self, data: schemas.PasswordResetConfirm, accounts: AccountService, request: Request[Any, Any, Any]
    ) -> schemas.PasswordChanged:
        await accounts.confirm_password_reset(token=data.token, password=data.password, client=client_info(request))
        return schemas.PasswordChanged()


class MeController(Controller):
    path = "/me"
    tags = ["account"]
    guards = [requires_user]
    dependencies = {**_DEPENDENCIES, **_PRINCIPAL}

    @get("/", summary="The caller's account")
    async def me(self, accounts: AccountService, principal: Principal) -> schemas.Me:
        view = await accounts.me(principal.user_id)
        user = view.user
        return schemas.Me(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            roles=user.roles,
            kyc_status=view.kyc_status,
            wallets=[wallet_out(w) for w in sorted(user.wallets, key=lambda w: w.verified_at)],
            email_verified=user.email_verified_at is not None,
            totp_enabled=user.totp_enabled,
        )

    @post("/wallets/challenge", status_code=HTTP_200_OK, summary="An EIP-4361 message to sign with the wallet")
    async def wallet_challenge(
        self, data: schemas.WalletChallengeRequest, accounts: AccountService, principal: Principal
    ) -> schemas.WalletChallengeOut:
        challenge = await accounts.wallet_challenge(principal=principal, address=data.address)
        return schemas.WalletChallengeOut(
            message=challenge.message, nonce=challenge.nonce, expires_at=challenge.expires_at
        )

    @post("/wallets", status_code=HTTP_201_CREATED, summary="Link a wallet with the signed challenge")
    async def link_wallet(
        self,
        data: schemas.WalletLink,
        accounts: AccountService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.WalletOut:
        wallet = await accounts.link_wallet(
            principal=principal, message=data.message, signature=data.signature, client=client_info(request)
        )
        return wallet_out(wallet)

    @post("/mfa/totp", status_code=HTTP_200_OK, summary="Start TOTP enrolment")
    async def start_totp(
        self, accounts: AccountService, principal: Principal, request: Request[Any, Any, Any]
    ) -> schemas.TotpEnrollment:
        secret, uri = await accounts.start_totp(principal=principal, client=client_info(request))
        return schemas.TotpEnrollment(secret=secret, otpauth_uri=uri)

    @post("/mfa/totp/confirm", status_code=HTTP_200_OK, summary="Confirm TOTP enrolment with a first code")
    async def confirm_totp(
        self,
        data: schemas.TotpConfirm,
        accounts: AccountService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.TotpStatus:
        user = await accounts.confirm_totp(principal=principal, otp=data.otp, client=client_info(request))
        return schemas.TotpStatus(enabled=user.totp_enabled)


class AdminUserController(Controller):
    path = "/admin/users"
    tags = ["admin"]
    guards = [requires_role("admin")]
    dependencies = {**_DEPENDENCIES, **_PRINCIPAL}

    @post("/", status_code=HTTP_201_CREATED, summary="Create a staff account (compliance or admin)")
    async def create_staff(
        self,
        data: schemas.StaffCreate,
        accounts: AccountService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.UserOut:
        user = await accounts.create_staff(
            email=data.email, full_name=data.full_name, role=data.role, actor=principal, client=client_info(request)
        )
        return user_out(user)

    @put("/{user_id:uuid}/roles", status_code=HTTP_200_OK, summary="Replace a user's roles (audited)")
    async def set_roles(
        self,
        user_id: uuid.UUID,
        data: schemas.RolesUpdate,
        accounts: AccountService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.UserOut:
        user = await accounts.set_roles(
            user_id=user_id, roles=list(data.roles), actor=principal, client=client_info(request)
        )
        return user_out(user)


__all__ = ["AdminUserController", "AuthController", "MeController"]
