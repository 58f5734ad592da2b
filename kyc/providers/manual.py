"""The manual provider: no outside service; compliance staff review everything."""

from __future__ import annotations

from partisipro.errors import NotFound

from kyc.providers.base import WebhookPayload


class ManualProvider:
    name = "manual"

    async def create_applicant(self, *, external_user_id: str, email: str | None, country: str) -> str:
        return f"manual-{external_user_id}"

    async def request_check(self, applicant_id: str) -> None:
        return None

    def verify(self, raw: bytes, headers: dict[str, str]) -> tuple[str, str]:
        raise NotFound("The manual provider takes no webhooks")

    def parse_webhook(self, raw: bytes) -> WebhookPayload:
        raise NotFound("The manual provider takes no webhooks")
