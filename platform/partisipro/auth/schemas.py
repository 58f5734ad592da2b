"""Wire shapes of the auth and account endpoints (msgspec Structs)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$"

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN, examples=["ana@example.com"])]
NewPassword = Annotated[str, msgspec.Meta(min_length=10, max_length=128, description="10 to 128 characters")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
OpaqueToken = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Otp = Annotated[str, msgspec.Meta(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")]
Address = Annotated[str, msgspec.Meta(max_length=42, examples=["0x71C7656EC7ab88b098defB751B7401B5f6d8976F"])]
SiweText = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Signature = Annotated[str, msgspec.Meta(max_length=140)]


class Register(msgspec.Struct):
    email: Email
    password: NewPassword
    full_name: FullName
    role: Literal["investor", "spv"] = "investor"


class VerifyEmail(msgspec.Struct):
    token: OpaqueToken


class Login(msgspec.Struct):
    email: Email
    password: Password
    otp: Otp | None = None


class Refresh(msgspec.Struct):
    refresh_token: OpaqueToken


class PasswordReset(msgspec.Struct):
    email: Email


class PasswordResetConfirm(msgspec.Struct):
    token: OpaqueToken
    password: NewPassword


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    # True for a staff login before TOTP is enrolled: the access token carries no role and
    # only serves /me and /me/mfa/totp; log in again with an otp once enrolled.
    mfa_enrollment_required: bool = False


class Accepted(msgspec.Struct):
    status: str = "accepted"


class UserOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    email_verified: bool
    totp_enabled: bool
    created_at: dt.datetime


class WalletOut(msgspec.Struct):
    address: str
    verified_at: dt.datetime
    registered_on_chain: bool


class Me(msgspec.Struct):
    id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    kyc_status: str
    wallets: list[WalletOut]
    email_verified: bool
    totp_enabled: bool


class WalletChallengeRequest(msgspec.Struct):
    address: Address


class WalletChallengeOut(msgspec.Struct):
    message: str
    nonce: str
    expires_at: dt.datetime


class WalletLink(msgspec.Struct):
    message: SiweText
    signature: Signature


class TotpEnrollment(msgspec.Struct):
    secret: str
    otpauth_uri: str


class TotpConfirm(msgspec.Struct):
    otp: Otp


class TotpStatus(msgspec.Struct):
    enabled: bool


class EmailVerified(msgspec.Struct):
    email_verified: bool = True


class PasswordChanged(msgspec.Struct):
    password_changed: bool = True


class StaffCreate(msgspec.Struct):
    email: Email
    full_name: FullName
    role: Literal["compliance", "admin"]


class RolesUpdate(msgspec.Struct):
    roles: Annotated[list[Literal["investor", "spv", "compliance", "admin"]], msgspec.Meta(min_length=1, max_length=4)]
