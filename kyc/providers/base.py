"""What a KYC provider adapter offers, and how to pick one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WebhookPayload:
    dedupe_key: str
    event_type: str
    applicant_id: str | None
    external_user_id: str | None
    created_at: dt.datetime
    review_answer: str | None  # GREEN | RED
    reject_type: str | None  # RETRY | FINAL
    comment: str | None


class Provider(Protocol):
    name: str

    async def create_applicant(self, *, external_user_id: str, email: str | None, country: str) -> str: ...

    async def request_check(self, applicant_id: str) -> None: ...

    def verify(self, raw: bytes, headers: dict[str, str]) -> tuple[str, str]: ...

    def parse_webhook(self, raw: bytes) -> WebhookPayload: ...


def get_provider(name: str, *, for_webhook: bool = False) -> Provider | None:  # type: ignore[return]
    """The adapter called ``name``. For webhooks, None when that provider takes none."""
    from kyc.providers.manual import ManualProvider
    from kyc.providers.sumsub import SumsubProvider

    if name == "sumsub":
        return SumsubProvider()
    if name == "manual":
        return None if for_webhook else ManualProvider()
    if for_webhook:
        return None
    raise ValueError(f"unknown KYC provider {name!r}")
