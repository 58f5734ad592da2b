"""Investor limits (rules table as data), NIK validation, screening and webhook signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from partisipro.errors import BadRequest, Unauthorized

from kyc import identity, limits, screening
from kyc.providers.sumsub import SumsubProvider, sign_body

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("income", "expected"),
    [
        (0, 0),
        (100_000_000, 5_000_000),
        (500_000_000, 25_000_000),
        (500_000_001, 50_000_000),
        (2_000_000_000, 200_000_000),
    ],
)
def test_indonesian_yearly_limit_is_5_then_10_percent_of_income(income: int, expected: int) -> None:
    assert limits.yearly_limit(annual_income_idr=income, investor_type="individual", today=TODAY) == expected


def test_entities_are_exempt() -> None:
    assert limits.yearly_limit(annual_income_idr=1, investor_type="entity", today=TODAY) is None


@pytest.mark.parametrize(("since", "exempt"), [(dt.date(2024, 6, 1), True), (dt.date(2024, 6, 2), False)])
def test_securities_account_exemption_starts_on_the_second_anniversary(since: dt.date, exempt: bool) -> None:
    result = limits.yearly_limit(
        annual_income_idr=100_000_000, investor_type="individual", securities_account_since=since, today=TODAY
    )
    assert (result is None) is exempt


def test_unknown_jurisdiction_is_refused() -> None:
    with pytest.raises(limits.UnknownJurisdictionError):
        limits.load_rules("ZZ")


def test_valid_nik_matching_the_birth_date_passes_for_men_and_women() -> None:
    assert identity.check_nik("3171011708450001", dt.date(1945, 8, 17)) == "3171011708450001"
    assert identity.check_nik("3171015708450001", dt.date(1945, 8, 17)) == "3171015708450001"


@pytest.mark.parametrize(
    "nik",
    ["9971011708450001", "317101170845000", "31710117084500AB", "3171013302900001", "3171011708460001"],
)
def test_bad_nik_is_400_naming_the_field(nik: str) -> None:
    with pytest.raises(BadRequest) as caught:
        identity.check_nik(nik, dt.date(1945, 8, 17))
    assert caught.value.errors == [{"field": "national_id_number", "message": caught.value.errors[0]["message"]}]


def test_screening_finds_aliases_and_birth_dates() -> None:
    matches = screening.screen("Hartono, Bambang Wicaksono", dt.date(1968, 4, 12))
    assert matches[0].entry.id == "NK-sample-0001"
    assert matches[0].strength == "strong"
    year_only = screening.screen("María Fernanda Quintero", dt.date(1980, 7, 1))
    assert year_only[0].entry.id == "NK-sample-0003" and year_only[0].strength == "strong"
    assert screening.screen("Siti Rahma Putri", dt.date(1990, 5, 17)) == []


def test_webhook_signature_is_hex_hmac_sha256_of_the_raw_body(monkeypatch: pytest.MonkeyPatch) -> None:
    from partisipro.settings import reset_settings

    monkeypatch.setenv("PARTISIPRO_KYC_WEBHOOK_SECRET", "s3cret")
    reset_settings()
    try:
        raw = json.dumps({"type": "applicantReviewed"}).encode()
        digest = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
        assert sign_body(raw, "s3cret") == digest
        provider = SumsubProvider()
        assert provider.verify(raw, {"x-payload-digest": digest, "x-payload-digest-alg": "HMAC_SHA256_HEX"})
        with pytest.raises(Unauthorized):
            provider.verify(raw + b" ", {"x-payload-digest": digest, "x-payload-digest-alg": "HMAC_SHA256_HEX"})
        with pytest.raises(Unauthorized):
            provider.verify(raw, {})
    finally:
        monkeypatch.undo()
        reset_settings()
