"""Errors raised by services and their single mapping to RFC 9457 problem details."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions import NotFoundException as LitestarNotFound
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """Base of domain errors. ``status`` and ``title`` shape the problem document."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(AppError):
    status, title, type_slug = 400, "Bad request", "bad-request"

    @classmethod
    def field(cls, field: str, message: str) -> BadRequest:
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class Unauthorized(AppError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class Forbidden(AppError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, type_slug = 404, "Not found", "not-found"


class Conflict(AppError):
    status, title, type_slug = 409, "Conflict", "conflict"


class PayloadTooLarge(AppError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(AppError):
    status, title, type_slug = 415, "Unsupported media type", "unsupported-media-type"


class RuleViolation(AppError):
    status, title, type_slug = 422, "Business rule violated", "rule-violation"


class TooManyRequests(AppError):
    status, title, type_slug = 429, "Too many requests", "rate-limited"


class ServiceUnavailable(AppError):
    status, title, type_slug = 503, "Service unavailable", "unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"https://partisipro.id/problems/{slug or title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
_AT_PATH = re.compile(r"- at `\$\.([^`]+)`")


def _field_of(key: str, message: str) -> str:
    """The field a validation message is about (msgspec names nested or missing fields in the text)."""
    if found := _MISSING_FIELD.search(message):
        prefix = _AT_PATH.search(message)
        return f"{prefix.group(1)}.{found.group(1)}" if prefix else found.group(1)
    if key in {"data", "body", ""} and (found := _AT_PATH.search(message)):
        return found.group(1)
    return key or "body"


def _validation_errors(extra: Any) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                message = str(item.get("message", "invalid"))
                key = _field_of(str(item.get("key") or item.get("source") or ""), message)
                errors.append({"field": key, "message": message})
    elif isinstance(extra, dict):
        errors.extend({"field": str(k), "message": str(v)} for k, v in extra.items())
    return errors


def app_error_handler(_: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    return problem(exc.status, exc.title, exc.detail, slug=exc.type_slug, errors=exc.errors, headers=exc.headers)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc.extra)
        detail = exc.detail or "Validation failed"
        if errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(400, "Bad request", detail, slug="validation", errors=errors or None)
    if status == HTTP_500_INTERNAL_SERVER_ERROR:
        return internal_error_handler(request, exc)
    titles = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        413: "Payload too large",
        415: "Unsupported media type",
        429: "Too many requests",
    }
    title = titles.get(status, "Bad request" if status < 500 else "Service error")
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException | LitestarNotFound):
        detail = exc.detail
    else:
        detail = exc.detail or title
    return problem(status, title, detail, headers=dict(exc.headers or {}))


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    import structlog

    from partisipro.db import is_retryable_conflict

    if is_retryable_conflict(exc):  # a deadlock or lock wait: the database undid the transaction
        structlog.get_logger("partisipro.errors").warning("transaction conflict", path=request.url.path)
        return problem(
            409,
            "Conflict",
            "Another request changed the same records at the same moment; nothing was saved. Send it again.",
            slug="concurrent-update",
            headers={"Retry-After": "1"},
        )

    structlog.get_logger("partisipro.errors").exception(
        "unhandled error", path=request.url.path, error=type(exc).__name__
    )
    return problem(500, "Internal server error", "An unexpected error occurred; it has been logged.")


exception_handlers: dict[Any, Any] = {
    AppError: app_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}

__all__ = [
    "PROBLEM_JSON",
    "AppError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "RuleViolation",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "exception_handlers",
    "problem",
]
