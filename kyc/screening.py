"""Sanctions / PEP screening against a list in OpenSanctions' ``targets.simple.csv`` format.

The list file and the thresholds are data (``kyc/data/screening.json``); a small fictional
sample list ships in ``kyc/data/sanctions/``. Production points ``list_file`` at a current
export (https://www.opensanctions.org/docs/bulk/csv/), same columns.

Matching: names are case-folded, stripped of accents and punctuation; the score is rapidfuzz's
``token_sort_ratio`` (0-100, word order ignored) against the listed name and every alias; the
best one counts. A hit is kept at ``name_threshold`` or above; it is *strong* at
``strong_name_threshold`` or above AND when the listed birth date equals the applicant's
(a listed ``1980`` or ``1980-03`` matches any date with that prefix).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class ListEntry:
    id: str
    schema: str
    name: str
    aliases: tuple[str, ...]
    birth_dates: tuple[str, ...]
    dataset: str
    topics: str


@dataclass(frozen=True)
class Match:
    entry: ListEntry
    score: int
    birth_date_match: bool
    strength: str  # strong | weak


@dataclass(frozen=True)
class Config:
    list_file: Path
    name_threshold: int
    strong_name_threshold: int


@cache
def config() -> Config:
    data = json.loads((DATA_DIR / "screening.json").read_text(encoding="utf-8"))
    list_file = Path(data["list_file"])
    if not list_file.is_absolute():
        list_file = DATA_DIR / list_file
    return Config(list_file, int(data["name_threshold"]), int(data["strong_name_threshold"]))


def normalise(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", ascii_only.casefold()).strip()


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


@cache
def load_list(path: Path) -> tuple[ListEntry, ...]:
    entries: list[ListEntry] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not row.get("id") or not row.get("name"):
                continue
            dataset = row.get("dataset") or ""
            topics = "pep" if "pep" in dataset.lower() else ("sanction" if row.get("sanctions") else "")
            entries.append(
                ListEntry(
                    id=row["id"],
                    schema=row.get("schema") or "",
                    name=row["name"],
                    aliases=_split(row.get("aliases") or ""),
                    birth_dates=_split(row.get("birth_date") or ""),
                    dataset=dataset,
                    topics=topics,
                )
            )
    return tuple(entries)


def _birth_date_matches(listed: tuple[str, ...], date_of_birth: dt.date | None) -> bool:
    if date_of_birth is None:
        return False
    iso = date_of_birth.isoformat()
    return any(iso.startswith(value) for value in listed if len(value) >= 4)


def screen(name: str, date_of_birth: dt.date | None, *, entries: tuple[ListEntry, ...] | None = None) -> list[Match]:
    """Every list entry whose name scores at or above the threshold, strongest first."""
    cfg = config()
    entries = entries if entries is not None else load_list(cfg.list_file)
    wanted = normalise(name)
    if not wanted:
        return []
    matches: list[Match] = []
    for entry in entries:
        score = max(
            round(fuzz.token_sort_ratio(wanted, normalise(candidate))) for candidate in (entry.name, *entry.aliases)
        )
        if score < cfg.name_threshold:
            continue
        dob_match = _birth_date_matches(entry.birth_dates, date_of_birth)
        strong = score >= cfg.strong_name_threshold and dob_match
        matches.append(Match(entry, score, dob_match, "strong" if strong else "weak"))
    matches.sort(key=lambda m: (m.strength != "strong", -m.score))
    return matches
