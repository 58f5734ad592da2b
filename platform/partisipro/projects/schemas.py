"""Wire shapes of organisations and projects (amounts are decimal strings of base units)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from partisipro.offerings.schemas import OfferingView, UnsignedTransaction

AmountStr = Annotated[
    str, Meta(pattern=r"^[0-9]{1,70}$", description="integer amount of base units as a decimal string")
]
Address = Annotated[str, Meta(pattern=r"^0x[0-9a-fA-F]{40}$", description="EVM address (checksummed on output)")]
Reason = Annotated[str, Meta(min_length=3, max_length=1000)]

Sector = Literal[
    "toll_road", "transport", "energy", "water", "telecommunications", "health", "education", "housing", "waste",
    "other",
]  # fmt: skip
ORGANIZATION_DOCUMENT_KINDS = ("company_deed", "business_license", "tax_registration", "other")
PROJECT_DOCUMENT_KINDS = ("prospectus", "feasibility_study", "ppp_agreement", "financial_report")
OrganizationDocumentKind = Literal["company_deed", "business_license", "tax_registration", "other"]
ProjectDocumentKind = Literal["prospectus", "feasibility_study", "ppp_agreement", "financial_report"]


# ---------------------------------------------------------------- organisations
class OrganizationCreate(Struct, forbid_unknown_fields=True):
    legal_name: Annotated[str, Meta(min_length=2, max_length=200)]
    registration_number: Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9./-]+$")]
    country: Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
    address: Annotated[str, Meta(min_length=5, max_length=500)]


class Document(Struct):
    id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class Organization(Struct):
    id: uuid.UUID
    legal_name: str
    registration_number: str
    country: str
    address: str
    status: str
    reason: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    documents: list[Document] = msgspec.field(default_factory=list)


class OrganizationPage(Struct):
    items: list[Organization]
    total: int
    limit: int
    offset: int


class RejectRequest(Struct, forbid_unknown_fields=True):
    reason: Reason


# ---------------------------------------------------------------- projects
class OfferingTerms(Struct, forbid_unknown_fields=True):
    price_per_token: AmountStr
    soft_cap: AmountStr
    hard_cap: AmountStr
    min_investment: AmountStr
    max_investment: AmountStr
    starts_at: dt.datetime
    ends_at: dt.datetime


class ProjectCreate(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=2, max_length=120)]
    symbol: Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9]{2,10}$", description="3-11 capitals/digits")]
    description: Annotated[str, Meta(min_length=10, max_length=5000)]
    sector: Sector
    location: Annotated[str, Meta(min_length=2, max_length=200)]
    concession_years: Annotated[int, Meta(ge=1, le=99)]
    token_supply: AmountStr
    offering: OfferingTerms
    spv_wallet: Address | None = None


class OfferingTermsUpdate(Struct, forbid_unknown_fields=True):
    price_per_token: AmountStr | UnsetType = UNSET
    soft_cap: AmountStr | UnsetType = UNSET
    hard_cap: AmountStr | UnsetType = UNSET
    min_investment: AmountStr | UnsetType = UNSET
    max_investment: AmountStr | UnsetType = UNSET
    starts_at: dt.datetime | UnsetType = UNSET
    ends_at: dt.datetime | UnsetType = UNSET


class ProjectUpdate(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=2, max_length=120)] | UnsetType = UNSET
    symbol: Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9]{2,10}$")] | UnsetType = UNSET
    description: Annotated[str, Meta(min_length=10, max_length=5000)] | UnsetType = UNSET
    sector: Sector | UnsetType = UNSET
    location: Annotated[str, Meta(min_length=2, max_length=200)] | UnsetType = UNSET
    concession_years: Annotated[int, Meta(ge=1, le=99)] | UnsetType = UNSET
    token_supply: AmountStr | UnsetType = UNSET
    spv_wallet: Address | UnsetType | None = UNSET
    offering: OfferingTermsUpdate | UnsetType = UNSET


class ProjectContracts(Struct):
    token: str
    offering: str
    treasury: str
    governor: str
    timelock: str


class Project(Struct):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    symbol: str
    description: str
    sector: str
    location: str
    concession_years: int
    token_supply: str
    status: str
    spv_wallet: str | None
    offering: OfferingView
    contracts: ProjectContracts | None
    chain_project_id: int | None
    reject_reason: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    deployed_at: dt.datetime | None
    documents: list[Document] = msgspec.field(default_factory=list)


class ProjectSummary(Struct):
    id: uuid.UUID
    name: str
    symbol: str
    sector: str
    location: str
    status: str
    offering: OfferingView
    contracts: ProjectContracts | None


class ProjectPage(Struct):
    items: list[ProjectSummary]
    total: int
    limit: int
    offset: int


class FinalizeResult(Struct):
    status: Literal["queued", "awaiting_signature"]
    transaction: UnsignedTransaction
    intent_id: str | None = None
