"""Wire shapes of the KYC and compliance endpoints (msgspec Structs)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile
from msgspec import Meta, Struct

InvestorType = Literal["individual", "entity"]
DocumentKind = Literal["id_card", "selfie", "proof_of_address", "company_deed"]
Decision = Literal["approve", "reject", "request_info"]
RiskLevel = Literal["low", "medium", "high"]

LegalName = Annotated[str, Meta(min_length=2, max_length=200)]
Nationality = Annotated[str, Meta(min_length=2, max_length=2, examples=["ID"])]
NationalId = Annotated[str, Meta(min_length=4, max_length=32, examples=["3171011708450001"])]
Address = Annotated[str, Meta(min_length=5, max_length=500)]
IncomeIdr = Annotated[int, Meta(ge=0, le=10**15, description="declared annual income, integer rupiah")]
Reason = Annotated[str, Meta(min_length=1, max_length=1000)]


class ApplicationCreate(Struct, forbid_unknown_fields=True):
    legal_name: LegalName
    date_of_birth: dt.date
    nationality: Nationality
    national_id_number: NationalId
    address: Address
    annual_income_idr: IncomeIdr
    investor_type: InvestorType
    securities_account_since: dt.date | None = None


class ApplicationUpdate(Struct, forbid_unknown_fields=True):
    """Changes while the application is a draft or after a request for information."""

    legal_name: LegalName | None = None
    date_of_birth: dt.date | None = None
    nationality: Nationality | None = None
    national_id_number: NationalId | None = None
    address: Address | None = None
    annual_income_idr: IncomeIdr | None = None
    securities_account_since: dt.date | None = None


class ApplicationCreated(Struct):
    id: uuid.UUID
    status: str


class DocumentUpload(Struct):
    file: UploadFile
    kind: DocumentKind


class Document(Struct):
    id: uuid.UUID
    kind: str
    sha256: str
    size: int
    content_type: str
    uploaded_at: dt.datetime


class HistoryItem(Struct):
    action: str
    status: str
    reason: str | None
    at: dt.datetime


class Application(Struct):
    """The investor's own application. The national id is masked; documents are metadata only."""

    id: uuid.UUID
    status: str
    investor_type: str
    legal_name: str
    date_of_birth: dt.date
    nationality: str
    national_id_number_masked: str
    address: str
    annual_income_idr: int
    securities_account_since: dt.date | None
    reason: str | None
    reasons: list[HistoryItem]
    documents: list[Document]
    required_documents: list[str]
    missing_documents: list[str]
    provider: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    expires_at: dt.datetime | None


class StatusView(Struct):
    id: uuid.UUID
    status: str
    risk_level: str | None = None
    assigned_to: uuid.UUID | None = None
    expires_at: dt.datetime | None = None


# ------------------------------------------------------------------ compliance


class CaseSummary(Struct):
    """A queue row: no personal data (reading that is an audited action)."""

    id: uuid.UUID
    user_id: uuid.UUID
    status: str
    investor_type: str
    risk_level: str | None
    assigned_to: uuid.UUID | None
    provider: str
    provider_review_answer: str | None
    screening_hits: int
    open_strong_hits: int
    created_at: dt.datetime
    submitted_at: dt.datetime | None


class CasePage(Struct):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class ScreeningHitView(Struct):
    id: uuid.UUID
    entry_id: str
    dataset: str
    listed_name: str
    listed_birth_date: str | None
    topics: str | None
    score: int
    birth_date_match: bool
    strength: str
    blocking: bool
    cleared_by: uuid.UUID | None
    cleared_at: dt.datetime | None
    clear_reason: str | None


class Screening(Struct):
    application_id: uuid.UUID
    list_name: str
    hits: list[ScreeningHitView]
    blocking: bool


class CaseDocument(Struct):
    id: uuid.UUID
    kind: str
    sha256: str
    size: int
    content_type: str
    uploaded_at: dt.datetime
    download_path: str


class RegistryEntryView(Struct):
    address: str
    state: str


class CaseDetail(Struct):
    """The full application, decrypted (each read is in the audit log)."""

    id: uuid.UUID
    user_id: uuid.UUID
    status: str
    investor_type: str
    legal_name: str
    date_of_birth: dt.date
    nationality: str
    national_id_number: str
    address: str
    annual_income_idr: int
    securities_account_since: dt.date | None
    risk_level: str | None
    assigned_to: uuid.UUID | None
    first_approver_id: uuid.UUID | None
    reason: str | None
    provider: str
    provider_applicant_id: str | None
    provider_review_answer: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    expires_at: dt.datetime | None
    history: list[HistoryItem]
    documents: list[CaseDocument]
    screening: Screening
    registry: list[RegistryEntryView]


class DecisionRequest(Struct, forbid_unknown_fields=True):
    decision: Decision
    risk_level: RiskLevel
    reason: Annotated[str, Meta(max_length=1000)] | None = None


class RevokeRequest(Struct, forbid_unknown_fields=True):
    reason: Reason


class ClearHitRequest(Struct, forbid_unknown_fields=True):
    reason: Reason


class DocumentUrl(Struct):
    url: str | None
    expires_in_seconds: int | None


class Limits(Struct):
    """Yearly investment limit in integer rupiah as decimal strings.

    ``yearly_limit`` and ``remaining`` are null when the investor is exempt (``unlimited``
    true, ``exempt_reason`` "investor_type" for legal entities or "securities_account" for a
    securities account held long enough). ``used`` counts the last 12 months.
    """

    jurisdiction: str
    currency: str
    kyc_status: str
    investor_type: str | None
    unlimited: bool
    exempt_reason: str | None
    yearly_limit: str | None
    used: str
    remaining: str | None
    period_days: int = 365


class WebhookAck(Struct):
    ok: bool
    duplicate: bool


def to_builtins(value: Struct) -> object:
    return msgspec.to_builtins(value)
