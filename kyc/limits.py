"""Investor limits: the yearly investment limit from the jurisdiction's rules table.

The rules are data, one JSON file per jurisdiction in ``kyc/rules/<CODE>.json`` (Indonesia:
``ID.json``). ``yearly_limit`` returns the limit in integer rupiah, or ``None`` when the
investor is exempt (unlimited). How much was used in the last 12 months belongs to the
investing domain: it calls ``register_usage_provider(fn)`` once at import, with
``fn(session, user_id) -> int``. Until it does, usage counts as 0.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

RULES_DIR = Path(__file__).resolve().parent / "rules"

UsageProvider = Callable[[AsyncSession, uuid.UUID], Awaitable[int]]
_usage_provider: UsageProvider | None = None


class UnknownJurisdictionError(LookupError):
    pass


@dataclass(frozen=True)
class Bracket:
    income_up_to_idr: int | None
    percent_of_income_bps: int


@dataclass(frozen=True)
class Rules:
    jurisdiction: str
    currency: str
    source: str
    brackets: tuple[Bracket, ...]
    exempt_investor_types: frozenset[str]
    exempt_securities_account_years: int | None


@cache
def load_rules(jurisdiction: str) -> Rules:
    code = jurisdiction.upper()
    if not code.isalpha() or len(code) > 3:
        raise UnknownJurisdictionError(jurisdiction)
    path = RULES_DIR / f"{code}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UnknownJurisdictionError(jurisdiction) from exc
    limit = data["yearly_limit"]
    brackets = tuple(Bracket(b["income_up_to_idr"], int(b["percent_of_income_bps"])) for b in limit["brackets"])
    if not brackets or brackets[-1].income_up_to_idr is not None:
        raise ValueError(f"{path}: the last bracket must be open-ended (income_up_to_idr null)")
    return Rules(
        jurisdiction=data["jurisdiction"],
        currency=data["currency"],
        source=data.get("source", ""),
        brackets=brackets,
        exempt_investor_types=frozenset(limit.get("exempt_investor_types", [])),
        exempt_securities_account_years=limit.get("exempt_securities_account_years"),
    )


def _years_between(start: dt.date, end: dt.date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def exemption(
    *,
    investor_type: str,
    securities_account_since: dt.date | None,
    today: dt.date,
    jurisdiction: str = "ID",
) -> str | None:
    """Why the investor has no yearly limit ("investor_type" or "securities_account"), or None."""
    rules = load_rules(jurisdiction)
    if investor_type in rules.exempt_investor_types:
        return "investor_type"
    years = rules.exempt_securities_account_years
    if (
        years is not None
        and securities_account_since is not None
        and _years_between(securities_account_since, today) >= years
    ):
        return "securities_account"
    return None


def yearly_limit(
    *,
    annual_income_idr: int,
    investor_type: str,
    securities_account_since: dt.date | None = None,
    today: dt.date | None = None,
    jurisdiction: str = "ID",
) -> int | None:
    """The most the investor may invest in 12 months, in rupiah; None when exempt."""
    today = today or dt.datetime.now(dt.UTC).date()
    if exemption(
        investor_type=investor_type,
        securities_account_since=securities_account_since,
        today=today,
        jurisdiction=jurisdiction,
    ):
        return None
    income = max(int(annual_income_idr), 0)
    for bracket in load_rules(jurisdiction).brackets:
        if bracket.income_up_to_idr is None or income <= bracket.income_up_to_idr:
            return income * bracket.percent_of_income_bps // 10_000
    raise AssertionError("unreachable: the last bracket is open-ended")


def register_usage_provider(fn: UsageProvider | None) -> None:
    """The investing domain tells KYC how much an investor invested in the last 12 months."""
    global _usage_provider
    _usage_provider = fn


async def used_last_12_months(session: AsyncSession, user_id: uuid.UUID) -> int:
    if _usage_provider is None:
        return 0
    return int(await _usage_provider(session, user_id))
