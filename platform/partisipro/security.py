"""Security primitives: password hashing, JWT access tokens, the authenticated principal, guards.

Access tokens are HS256 JWTs signed with authlib (``sub`` = user id, ``roles``, ``sid`` =
the refresh family, ``exp``/``iat``/``jti``). They are verified statelessly on every request:
the algorithm is pinned, so ``alg: none`` or a token signed with another key is rejected.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from partisipro.errors import Forbidden, Unauthorized
from partisipro.settings import get_settings

with warnings.catch_warnings():
    # authlib announces its jose module's move to joserfc (same author); the API we use stays.
    # Its warning module installs an "always" filter on import, so ours must come after it.
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebToken
    from authlib.jose.errors import JoseError

ROLES = ("investor", "spv", "compliance", "admin")
STAFF_ROLES = frozenset({"compliance", "admin"})

_hasher = PasswordHasher()
_jwt = JsonWebToken(["HS256"])
# Verified against when the email is unknown, so both failures cost one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A random, URL-safe secret for refresh, email and reset tokens."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What we store of a bearer secret: its SHA-256 (the secret itself never hits the DB)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the access token says."""

    user_id: uuid.UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    session_id: str = ""

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)


def issue_access_token(user_id: uuid.UUID, roles: list[str] | frozenset[str], session_id: str) -> tuple[str, int]:
    settings = get_settings()
    now = int(time.time())
    ttl = settings.access_token_ttl_seconds
    claims = {
        "iss": "partisipro",
        "sub": str(user_id),
        "roles": sorted(roles),
        "sid": session_id,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    token = _jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, settings.jwt_secret.encode())
    return token.decode(), ttl


def decode_access_token(token: str) -> Principal:
    settings = get_settings()
    try:
        claims = _jwt.decode(
            token,
            settings.jwt_secret.encode(),
            claims_options={
                "iss": {"essential": True, "value": "partisipro"},
                "sub": {"essential": True},
                "exp": {"essential": True},
                "typ": {"essential": True, "value": "access"},
            },
        )
        claims.validate(leeway=5)
        user_id = uuid.UUID(str(claims["sub"]))
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Unauthorized("Invalid access token")
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("Invalid or expired access token") from exc
    return Principal(user_id=user_id, roles=frozenset(roles), session_id=str(claims.get("sid", "")))


def auth_middleware(app: ASGIApp) -> ASGIApp:
    """Put the caller's Principal (or None) in ``scope['user']``; guards decide what is allowed.

    The token comes from ``Authorization: Bearer`` or, for websockets, ``?token=``.
    A present but invalid token is remembered so that guards answer 401 with a reason.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            token = _bearer(scope)
            scope["user"] = None
            scope["auth"] = None
            if token:
                try:
                    scope["user"] = decode_access_token(token)
                    scope["auth"] = token
                except Unauthorized as exc:
                    scope.setdefault("state", {})["auth_error"] = exc.detail
        await app(scope, receive, send)

    return middleware


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
            return "invalid"
    if scope["type"] == "websocket":
        from urllib.parse import parse_qs

        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0]
    return None


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if principal is None:
        reason = connection.scope.get("state", {}).get("auth_error")
        raise Unauthorized(reason or "Authentication required", headers={"WWW-Authenticate": "Bearer"})
    return principal


# Guards are coroutines: Litestar runs a plain-function guard in a worker thread, a thread
# hand-off per request for what is a dictionary lookup.
async def requires_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    current_principal(connection)


def requires_role(*roles: str) -> Any:
    """Guard: the caller is authenticated (401) and holds one of ``roles`` (403)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = current_principal(connection)
        if not principal.has(*roles):
            raise Forbidden(f"This action needs the role {' or '.join(roles)}")

    guard.__name__ = f"requires_role_{'_'.join(roles)}"
    return guard


async def provide_principal(request: Any) -> Principal:
    """Dependency: the authenticated caller (handlers guarded by requires_user/requires_role)."""
    return current_principal(request)


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return client[0] if client else "unknown"
