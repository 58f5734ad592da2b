"""Document storage: S3 (boto3, server-side encryption, presigned GETs) or a local folder.

The backend is ``settings.storage_backend``:

* ``s3``: objects go to ``settings.s3_bucket`` (``settings.s3_endpoint_url`` for an
  S3-compatible server) with server-side encryption: ``aws:kms`` with
  ``settings.s3_kms_key_id`` when one is set, ``AES256`` otherwise. Reads hand out presigned
  GET URLs valid ``settings.presign_ttl_seconds``. boto3 is synchronous, so every call runs
  in a worker thread.
* ``local`` (dev profile): files under ``settings.var_dir / "documents"``; no presigned URLs.

Object keys are random (``<prefix>/<32 hex chars>``): a key says nothing about its owner or
its content. Callers record the key, the SHA-256 and the content type in their own tables.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from partisipro.settings import Settings, get_settings

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "ObjectNotFoundError",
    "get",
    "presigned_url",
    "put",
    "sniff_content_type",
]

ALLOWED_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9_\-/]{0,80}$")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_\-/]{0,80}/[0-9a-f]{32}$")


class ObjectNotFoundError(LookupError):
    """No stored object under that key."""


def sniff_content_type(data: bytes) -> str | None:
    """The real type of ``data`` from its leading bytes: PDF, JPEG or PNG, else None.

    The declared content type and the file name are never trusted.
    """
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _new_key(prefix: str) -> str:
    prefix = prefix.strip("/")
    if not _PREFIX_RE.match(prefix):
        raise ValueError("storage prefix must be lowercase letters, digits, '-', '_' or '/'")
    return f"{prefix}/{secrets.token_hex(16)}"


def _check_key(key: str) -> str:
    if not _KEY_RE.match(key) or ".." in key:
        raise ObjectNotFoundError(key)
    return key


async def put(data: bytes, *, prefix: str, content_type: str) -> str:
    """Store ``data`` under a new random key below ``prefix`` and return the key."""
    settings = get_settings()
    key = _new_key(prefix)
    if settings.storage_backend == "s3":
        await asyncio.to_thread(_s3_put, settings, key, data, content_type)
    else:
        await asyncio.to_thread(_local_put, settings, key, data)
    return key


async def get(key: str) -> bytes:
    """The bytes stored under ``key``; ObjectNotFoundError when there are none."""
    settings = get_settings()
    _check_key(key)
    if settings.storage_backend == "s3":
        return await asyncio.to_thread(_s3_get, settings, key)
    return await asyncio.to_thread(_local_get, settings, key)


async def presigned_url(key: str, filename: str | None = None) -> str | None:
    """A short-lived GET URL for ``key`` (S3), or None on the local backend."""
    settings = get_settings()
    _check_key(key)
    if settings.storage_backend != "s3":
        return None
    params: dict[str, Any] = {"Bucket": settings.s3_bucket, "Key": key}
    if filename:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:100]
        params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
    client = _s3_client(settings.s3_endpoint_url, settings.s3_region)
    return await asyncio.to_thread(
        client.generate_presigned_url, "get_object", Params=params, ExpiresIn=settings.presign_ttl_seconds
    )


# ------------------------------------------------------------------ S3


@lru_cache(maxsize=4)
def _s3_client(endpoint_url: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region,
        config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
    )


def _sse(settings: Settings) -> dict[str, str]:
    if settings.s3_kms_key_id:
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": settings.s3_kms_key_id}
    return {"ServerSideEncryption": "AES256"}


def _s3_put(settings: Settings, key: str, data: bytes, content_type: str) -> None:
    client = _s3_client(settings.s3_endpoint_url, settings.s3_region)
    client.put_object(Bucket=settings.s3_bucket, Key=key, Body=data, ContentType=content_type, **_sse(settings))


def _s3_get(settings: Settings, key: str) -> bytes:
    client = _s3_client(settings.s3_endpoint_url, settings.s3_region)
    try:
        response = client.get_object(Bucket=settings.s3_bucket, Key=key)
    except client.exceptions.NoSuchKey as exc:
        raise ObjectNotFoundError(key) from exc
    return response["Body"].read()


# ------------------------------------------------------------------ local folder


def _local_path(settings: Settings, key: str) -> Path:
    return settings.var_dir / "documents" / key


def _local_put(settings: Settings, key: str, data: bytes) -> None:
    path = _local_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _local_get(settings: Settings, key: str) -> bytes:
    try:
        return _local_path(settings, key).read_bytes()
    except FileNotFoundError as exc:
        raise ObjectNotFoundError(key) from exc
