"""Adapter for a Sumsub-style identity verification service.

Outbound (``settings.kyc_provider_url``): ``POST /resources/applicants?levelName=...`` creates
an applicant for our application id (``externalUserId``) and returns its ``id``;
``POST /resources/applicants/{id}/status/pending`` asks for a new check after a resubmission.
Requests carry ``X-App-Token`` (``settings.kyc_provider_token``) and, when a signing secret is
configured, ``X-App-Access-Ts`` / ``X-App-Access-Sig`` (hex HMAC-SHA256 over ts + method +
path + body), as Sumsub's API expects.

Inbound webhooks: the body is signed with the shared secret ``settings.kyc_webhook_secret``:
``X-Payload-Digest`` is the hex HMAC of the *raw* body, ``X-Payload-Digest-Alg`` names the hash
(``HMAC_SHA256_HEX``; ``HMAC_SHA512_HEX`` and ``HMAC_SHA1_HEX`` are accepted as Sumsub may send
them). The comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from partisipro.errors import BadRequest, ServiceUnavailable, Unauthorized
from partisipro.settings import get_settings

from kyc.providers.base import WebhookPayload

ALGORITHMS = {
    "HMAC_SHA256_HEX": hashlib.sha256,
    "HMAC_SHA512_HEX": hashlib.sha512,
    "HMAC_SHA1_HEX": hashlib.sha1,
}
LEVEL_NAME = "basic-kyc-level"


def sign_body(raw: bytes, secret: str, alg: str = "HMAC_SHA256_HEX") -> str:
    return hmac.new(secret.encode(), raw, ALGORITHMS[alg]).hexdigest()


def _parse_time(payload: dict[str, Any]) -> dt.datetime:
    for key, fmt in (("createdAtMs", "%Y-%m-%d %H:%M:%S.%f"), ("createdAt", "%Y-%m-%d %H:%M:%S%z")):
        value = payload.get(key)
        if isinstance(value, str) and value:
            try:
                parsed = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
    raise BadRequest.field("createdAt", "missing or not a provider timestamp")


class SumsubProvider:
    name = "sumsub"

    def __init__(self) -> None:
        settings = get_settings()
        self.base_url = settings.kyc_provider_url.rstrip("/")
        self.token = settings.kyc_provider_token
        self.webhook_secret = settings.kyc_webhook_secret
        self.signing_secret = settings.kyc_provider_secret

    # ---------------------------------------------------------------- outbound

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if not self.base_url:
            raise ServiceUnavailable("The KYC provider URL is not configured")
        raw = json.dumps(body).encode() if body is not None else b""
        ts = str(int(time.time()))
        headers = {"X-App-Token": self.token, "X-App-Access-Ts": ts, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.signing_secret:
            message = ts.encode() + method.upper().encode() + path.encode() + raw
            headers["X-App-Access-Sig"] = hmac.new(self.signing_secret.encode(), message, hashlib.sha256).hexdigest()
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
                response = await client.request(method, path, content=raw or None, headers=headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The KYC provider did not answer") from exc
        if response.status_code >= 400:
            raise ServiceUnavailable(f"The KYC provider answered {response.status_code}")
        return response.json() if response.content else {}

    async def create_applicant(self, *, external_user_id: str, email: str | None, country: str) -> str:
        body: dict[str, Any] = {"externalUserId": external_user_id, "fixedInfo": {"country": country}}
        if email:
            body["email"] = email
        answer = await self._call("POST", f"/resources/applicants?levelName={LEVEL_NAME}", body)
        applicant_id = answer.get("id")
        if not isinstance(applicant_id, str) or not applicant_id or len(applicant_id) > 64:
            raise ServiceUnavailable("The KYC provider returned no applicant id")
        return applicant_id

    async def request_check(self, applicant_id: str) -> None:
        await self._call("POST", f"/resources/applicants/{applicant_id}/status/pending")

    # ---------------------------------------------------------------- inbound

    def verify(self, raw: bytes, headers: dict[str, str]) -> tuple[str, str]:
        digest = headers.get("x-payload-digest", "").strip().lower()
        alg = headers.get("x-payload-digest-alg", "").strip().upper() or "HMAC_SHA256_HEX"
        if not digest or alg not in ALGORITHMS or not self.webhook_secret:
            raise Unauthorized("Missing or unsupported webhook signature")
        expected = sign_body(raw, self.webhook_secret, alg)
        if not hmac.compare_digest(expected.encode(), digest.encode()):
            raise Unauthorized("Bad webhook signature")
        return digest, alg

    def parse_webhook(self, raw: bytes) -> WebhookPayload:
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest.field("body", "is not JSON") from exc
        if not isinstance(payload, dict):
            raise BadRequest.field("body", "is not a JSON object")
        event_type = payload.get("type")
        if not isinstance(event_type, str) or not event_type or len(event_type) > 64:
            raise BadRequest.field("type", "is required")
        applicant_id = payload.get("applicantId")
        external = payload.get("externalUserId")
        applicant_id = applicant_id if isinstance(applicant_id, str) and 0 < len(applicant_id) <= 64 else None
        external = external if isinstance(external, str) and 0 < len(external) <= 64 else None
        created_at = _parse_time(payload)
        raw_review = payload.get("reviewResult")
        review: dict[str, Any] = raw_review if isinstance(raw_review, dict) else {}
        answer = review.get("reviewAnswer") if review.get("reviewAnswer") in ("GREEN", "RED") else None
        reject_type = review.get("reviewRejectType") if review.get("reviewRejectType") in ("RETRY", "FINAL") else None
        comment = review.get("moderationComment") or review.get("clientComment")
        comment = str(comment)[:1000] if comment else None
        correlation = payload.get("correlationId")
        if isinstance(correlation, str) and 0 < len(correlation) <= 100:
            dedupe_key = f"corr:{event_type}:{correlation}"[:160]
        else:
            dedupe_key = "body:" + hashlib.sha256(raw).hexdigest()
        return WebhookPayload(
            dedupe_key=dedupe_key,
            event_type=event_type,
            applicant_id=applicant_id,
            external_user_id=external,
            created_at=created_at,
            review_answer=answer,
            reject_type=reject_type if answer == "RED" else None,
            comment=comment,
        )
