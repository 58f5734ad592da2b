"""The catalogue: every event other domains may notify, its category and its context keys.

A category decides whether the recipient may turn the email off (``security`` and
``regulatory`` are mandatory). ``context`` lists the keys the templates use; ``sample`` is a
realistic context used by the template tests and the README. Amounts named ``*_idr`` are
integer rupiah, ``*_at`` are ISO 8601 UTC timestamps, ``*_url`` absolute links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Category = Literal["security", "regulatory", "portfolio", "marketing"]

CATEGORIES: tuple[Category, ...] = ("security", "regulatory", "portfolio", "marketing")
MANDATORY: frozenset[str] = frozenset({"security", "regulatory"})
# What a user who never touched their preferences receives.
DEFAULT_ENABLED: dict[str, bool] = {"security": True, "regulatory": True, "portfolio": True, "marketing": False}

LOCALES: tuple[str, ...] = ("en", "id")

_WHEN = "2025-03-14T03:30:00+00:00"
_LATER = "2025-03-16T03:30:00+00:00"
_PROJECT = {"project_name": "Tol Trans-Sumatra Seksi 4", "project_url": "https://app.partisipro.id/projects/42"}


@dataclass(frozen=True, slots=True)
class EventSpec:
    name: str
    category: Category
    audience: str
    description: str
    context: tuple[str, ...]
    sample: dict[str, Any] = field(default_factory=dict)
    # Real-time push to the user's private channel besides email and feed.
    push: bool = True


def _spec(
    name: str, category: Category, audience: str, description: str, sample: dict[str, Any], *, push: bool = True
) -> EventSpec:
    return EventSpec(name, category, audience, description, tuple(sample), dict(sample), push)


EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        # account
        _spec(
            "account.verify_email",
            "security",
            "any user",
            "Confirm the email address after registration.",
            {"name": "Siti Rahma", "verify_url": "https://app.partisipro.id/verify?token=abc"},
            push=False,
        ),
        _spec(
            "account.password_reset",
            "security",
            "any user",
            "A password reset was requested; the link expires.",
            {"name": "Siti Rahma", "reset_url": "https://app.partisipro.id/reset?token=abc", "expires_at": _WHEN},
            push=False,
        ),
        _spec(
            "account.new_device_login",
            "security",
            "any user",
            "A sign-in from a device or address not seen before.",
            {"name": "Siti Rahma", "ip": "203.0.113.7", "device": "Firefox on Linux", "at": _WHEN},
        ),
        _spec(
            "account.staff_invite",
            "security",
            "new compliance officer or admin",
            "A staff account was created: set a password (the link expires), then enrol TOTP.",
            {
                "name": "Andi Wijaya",
                "role": "compliance",
                "set_password_url": "https://app.partisipro.id/reset-password?token=abc",
                "expires_at": _LATER,
            },
            push=False,
        ),
        # KYC
        _spec(
            "kyc.submitted",
            "regulatory",
            "investor",
            "The KYC application was submitted for review.",
            {"name": "Siti Rahma", "application_id": "c0ffee00-0000-4000-8000-000000000001"},
        ),
        _spec(
            "kyc.approved",
            "regulatory",
            "investor",
            "KYC approved: the investor may invest until the approval expires.",
            {"name": "Siti Rahma", "valid_until": "2027-03-14T00:00:00+00:00"},
        ),
        _spec(
            "kyc.rejected",
            "regulatory",
            "investor",
            "KYC rejected, with the reason.",
            {"name": "Siti Rahma", "reason": "The ID card photo is unreadable."},
        ),
        _spec(
            "kyc.info_requested",
            "regulatory",
            "investor",
            "Compliance needs more information before deciding.",
            {"name": "Siti Rahma", "reason": "Please upload a proof of address issued in the last 3 months."},
        ),
        _spec(
            "kyc.expiring",
            "regulatory",
            "investor",
            "The KYC approval expires soon; renew to keep investing.",
            {"name": "Siti Rahma", "expires_at": _LATER},
        ),
        _spec(
            "kyc.expired",
            "regulatory",
            "investor",
            "The KYC approval expired; wallets left the identity registry.",
            {"name": "Siti Rahma", "expired_at": _WHEN},
        ),
        # investing
        _spec(
            "investment.intent_created",
            "regulatory",
            "investor",
            "An investment was started; states the cancellation (cooling-off) deadline.",
            {**_PROJECT, "name": "Siti Rahma", "amount_idr": 1_500_000, "cancel_until": _LATER},
        ),
        _spec(
            "investment.confirmed",
            "regulatory",
            "investor",
            "The investment is confirmed on chain; cancellation still possible until the deadline.",
            {**_PROJECT, "name": "Siti Rahma", "amount_idr": 1_500_000, "cancel_until": _LATER, "tx_hash": "0xabc"},
        ),
        _spec(
            "investment.cancelled",
            "regulatory",
            "investor",
            "The investment was cancelled within the cooling-off window; funds returned.",
            {**_PROJECT, "name": "Siti Rahma", "amount_idr": 1_500_000},
        ),
        _spec(
            "investment.refund_available",
            "regulatory",
            "investor",
            "The offering failed: the investor can claim a refund.",
            {**_PROJECT, "name": "Siti Rahma", "amount_idr": 1_500_000},
        ),
        _spec(
            "investment.tokens_settled",
            "portfolio",
            "investor",
            "The offering succeeded and the project tokens are in the investor's wallet.",
            {**_PROJECT, "name": "Siti Rahma", "tokens": "1500", "symbol": "TTS4"},
        ),
        # offering
        _spec(
            "offering.opened",
            "marketing",
            "investors",
            "A new offering opened.",
            {**_PROJECT, "name": "Siti Rahma", "ends_at": _LATER, "min_investment_idr": 100_000},
        ),
        _spec(
            "offering.soft_cap_reached",
            "portfolio",
            "investors of the project, its SPV",
            "The offering reached its minimum target.",
            {**_PROJECT, "name": "Siti Rahma", "raised_idr": 5_000_000_000},
        ),
        _spec(
            "offering.funded",
            "portfolio",
            "investors of the project",
            "The offering closed successfully.",
            {**_PROJECT, "name": "Siti Rahma", "raised_idr": 7_250_000_000},
        ),
        _spec(
            "offering.failed",
            "regulatory",
            "investors of the project",
            "The offering missed its minimum target; every investor is refunded.",
            {**_PROJECT, "name": "Siti Rahma", "raised_idr": 1_250_000_000},
        ),
        # treasury
        _spec(
            "treasury.distribution_available",
            "portfolio",
            "holders",
            "Profit was distributed; the holder can claim a share.",
            {**_PROJECT, "name": "Siti Rahma", "claimable_idr": 12_500},
        ),
        _spec(
            "treasury.distribution_claimed",
            "portfolio",
            "holders",
            "The holder's claim of distributed profit was paid.",
            {**_PROJECT, "name": "Siti Rahma", "amount_idr": 12_500, "tx_hash": "0xabc"},
        ),
        # governance
        _spec(
            "governance.proposal_created",
            "portfolio",
            "holders",
            "A new proposal is open for voting.",
            {**_PROJECT, "name": "Siti Rahma", "title": "Raise the maintenance reserve", "vote_ends_at": _LATER},
        ),
        _spec(
            "governance.vote_ending_soon",
            "portfolio",
            "holders who have not voted",
            "Voting on a proposal ends soon.",
            {**_PROJECT, "name": "Siti Rahma", "title": "Raise the maintenance reserve", "vote_ends_at": _LATER},
        ),
        _spec(
            "governance.proposal_executed",
            "portfolio",
            "holders",
            "A proposal passed and was executed.",
            {**_PROJECT, "name": "Siti Rahma", "title": "Raise the maintenance reserve"},
        ),
        # SPV
        _spec(
            "spv.organization_decided",
            "regulatory",
            "SPV",
            "The organisation (KYB) was approved or rejected.",
            {"name": "Budi Santoso", "organization_name": "PT Jalan Nusantara", "approved": True, "reason": ""},
        ),
        _spec(
            "spv.project_decided",
            "regulatory",
            "SPV",
            "The project was approved or rejected.",
            {**_PROJECT, "name": "Budi Santoso", "approved": False, "reason": "The feasibility study is missing."},
        ),
        _spec(
            "spv.project_deployed",
            "portfolio",
            "SPV",
            "The project's contracts are deployed.",
            {**_PROJECT, "name": "Budi Santoso", "token_address": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
        ),
        _spec(
            "spv.project_funded",
            "portfolio",
            "SPV",
            "The offering succeeded; funds (minus the platform fee) are in the treasury.",
            {**_PROJECT, "name": "Budi Santoso", "raised_idr": 7_250_000_000, "net_idr": 7_177_500_000},
        ),
        # staff
        _spec(
            "staff.kyc_case_new",
            "regulatory",
            "compliance officers",
            "A KYC application entered the review queue.",
            {"name": "Compliance", "case_url": "https://app.partisipro.id/compliance/kyc/1", "risk_level": "medium"},
            push=True,
        ),
        _spec(
            "staff.second_approval_pending",
            "regulatory",
            "compliance officers other than the first approver",
            "A high-risk approval waits for a second officer.",
            {"name": "Compliance", "case_url": "https://app.partisipro.id/compliance/kyc/1", "first_officer": "Andi"},
        ),
    )
}


def get_event(name: str) -> EventSpec:
    try:
        return EVENTS[name]
    except KeyError:
        raise ValueError(f"unknown notification event {name!r}; add it to notifications/catalogue.py") from None
