"""Validation of identity data: Indonesian NIK, nationality codes, dates of birth.

NIK (Nomor Induk Kependudukan) has no check digit. "A NIK with a bad checksum" therefore means
one that fails the structural checks python-stdnum (``stdnum.id.nik``) makes: 16 digits, a
known province/regency code, a valid embedded date, plus our own check that the embedded
date of birth (DDMMYY, day + 40 for women) agrees with the declared ``date_of_birth``.
"""

from __future__ import annotations

import datetime as dt

from partisipro.errors import BadRequest
from stdnum.exceptions import ValidationError
from stdnum.id import nik as stdnum_nik

# ISO 3166-1 alpha-2 -> numeric, for the registry's uint16 country. Countries missing here are
# written as 0 ("unknown") on chain; the alpha-2 code stays in the encrypted application.
ISO_NUMERIC: dict[str, int] = {
    "ID": 360,
    "SG": 702,
    "MY": 458,
    "TH": 764,
    "PH": 608,
    "VN": 704,
    "BN": 96,
    "KH": 116,
    "LA": 418,
    "MM": 104,
    "TL": 626,
    "AU": 36,
    "NZ": 554,
    "JP": 392,
    "KR": 410,
    "CN": 156,
    "HK": 344,
    "TW": 158,
    "IN": 356,
    "PK": 586,
    "BD": 50,
    "LK": 144,
    "AE": 784,
    "SA": 682,
    "QA": 634,
    "TR": 792,
    "GB": 826,
    "IE": 372,
    "FR": 250,
    "DE": 276,
    "NL": 528,
    "BE": 56,
    "LU": 442,
    "CH": 756,
    "AT": 40,
    "IT": 380,
    "ES": 724,
    "PT": 620,
    "SE": 752,
    "NO": 578,
    "DK": 208,
    "FI": 246,
    "PL": 616,
    "US": 840,
    "CA": 124,
    "MX": 484,
    "BR": 76,
    "AR": 32,
    "CL": 152,
    "CO": 170,
    "ZA": 710,
    "NG": 566,
    "EG": 818,
    "KE": 404,
    "RU": 643,
    "UA": 804,
}


def country_code(alpha2: str) -> int:
    return ISO_NUMERIC.get(alpha2.upper(), 0)


def check_nationality(value: str) -> str:
    from babel import Locale

    code = value.strip().upper()
    territories = Locale("en").territories
    if len(code) != 2 or not code.isalpha() or code not in territories:
        raise BadRequest.field("nationality", "must be an ISO 3166-1 alpha-2 country code")
    return code


def check_date_of_birth(value: dt.date, today: dt.date | None = None) -> dt.date:
    today = today or dt.datetime.now(dt.UTC).date()
    if value >= today or value.year < 1900:
        raise BadRequest.field("date_of_birth", "is not a plausible date of birth")
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if age < 17:
        raise BadRequest.field("date_of_birth", "investors must be at least 17 years old")
    return value


def check_nik(number: str, date_of_birth: dt.date, *, investor_type: str = "individual") -> str:
    """Return the compact NIK or raise 400 naming ``national_id_number``."""
    try:
        compact = stdnum_nik.validate(number)
    except ValidationError as exc:
        raise BadRequest.field("national_id_number", f"is not a valid NIK ({exc})") from exc
    if investor_type == "individual":
        day = int(compact[6:8])
        day = day - 40 if day > 40 else day
        month, yy = int(compact[8:10]), int(compact[10:12])
        if (day, month, yy) != (date_of_birth.day, date_of_birth.month, date_of_birth.year % 100):
            raise BadRequest.field("national_id_number", "does not match the date of birth")
    return compact


def check_national_id(number: str, *, nationality: str, date_of_birth: dt.date, investor_type: str) -> str:
    """Indonesian ids are NIKs; other ids: 4-32 letters, digits or dashes."""
    if nationality == "ID":
        return check_nik(number, date_of_birth, investor_type=investor_type)
    compact = number.replace(" ", "").upper()
    if not (4 <= len(compact) <= 32) or not all(c.isalnum() or c == "-" for c in compact):
        raise BadRequest.field("national_id_number", "must be 4-32 letters, digits or dashes")
    return compact
