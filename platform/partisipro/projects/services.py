"""Organisations (KYB) and projects: registration, drafts, validation, documents, review, deployment."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from partisipro.db import utcnow
from partisipro.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, RuleViolation
from partisipro.offerings import services as offerings
from partisipro.offerings.schemas import OfferingView, UnsignedTransaction
from partisipro.projects import schemas
from partisipro.projects.models import Organization, OrganizationDocument, Project, ProjectDocument
from partisipro.security import Principal
from partisipro.settings import get_settings

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_OFFERING_DAYS = 45
# Statuses in which a project is public (listed, readable by anyone).
PUBLISHED = ("deployed", "funded", "failed", "operating", "closed")
# Document kinds anyone may read once the project is published (feasibility studies stay private).
PUBLIC_DOCUMENT_KINDS = ("prospectus", "ppp_agreement", "financial_report")
# What a draft needs before it can be submitted.
REQUIRED_DOCUMENT_KINDS = ("prospectus", "feasibility_study", "ppp_agreement")
OFFERING_STATUSES = ("upcoming", "open")


def _checksum(address: str) -> str:
    from web3 import Web3

    return Web3.to_checksum_address(address)


async def _audit(session: AsyncSession, **kwargs: Any) -> None:
    from partisipro.audit import services as audit

    await audit.record(session, **kwargs)


async def _notify(
    session: AsyncSession, event: str, user_id: uuid.UUID, context: dict[str, Any], event_id: str
) -> None:
    from partisipro.offerings import ports

    await ports.notify(session, event, user_id, context, event_id=event_id)


def _project_context(project: Project) -> dict[str, Any]:
    return {"project_name": project.name, "project_url": f"{get_settings().public_url}/projects/{project.id}"}


@dataclass(frozen=True, slots=True)
class Upload:
    kind: str
    filename: str
    data: bytes


async def _store_document(upload: Upload, prefix: str) -> dict[str, Any]:
    from partisipro import storage

    if len(upload.data) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge("Documents are at most 10 MB")
    if not upload.data:
        raise BadRequest.field("file", "is empty")
    content_type = storage.sniff_content_type(upload.data)
    if content_type is None:
        from partisipro.errors import UnsupportedMediaType

        raise UnsupportedMediaType("Documents must be PDF, JPEG or PNG")
    key = await storage.put(upload.data, prefix=prefix, content_type=content_type)
    return {
        "kind": upload.kind,
        "storage_key": key,
        "filename": (upload.filename or "document")[:255],
        "content_type": content_type,
        "size": len(upload.data),
        "sha256": hashlib.sha256(upload.data).hexdigest(),
    }


def document_schema(doc: OrganizationDocument | ProjectDocument) -> schemas.Document:
    return schemas.Document(
        id=doc.id,
        kind=doc.kind,
        filename=doc.filename,
        content_type=doc.content_type,
        size=doc.size,
        sha256=doc.sha256,
        created_at=doc.created_at,
    )


# ---------------------------------------------------------------- organisations
class OrganizationRepository(SQLAlchemyAsyncRepository[Organization]):
    model_type = Organization


class OrganizationService(SQLAlchemyAsyncRepositoryService[Organization, OrganizationRepository]):
    repository_type = OrganizationRepository

    async def register(self, principal: Principal, data: schemas.OrganizationCreate) -> Organization:
        open_one = await self.repository.get_one_or_none(
            Organization.owner_id == principal.user_id, Organization.status.in_(("pending_review", "approved"))
        )
        if open_one is not None:
            raise Conflict("You already have an organisation that is approved or awaiting review")
        duplicate = await self.repository.get_one_or_none(
            country=data.country, registration_number=data.registration_number.upper()
        )
        if duplicate is not None and duplicate.status != "rejected":
            raise Conflict("An organisation with this registration number is already registered")
        if duplicate is not None:  # a rejected registration may be filed again: reuse the row
            await self.repository.delete(duplicate.id)
            await self.repository.session.flush()
        org = Organization(
            owner_id=principal.user_id,
            legal_name=data.legal_name.strip(),
            registration_number=data.registration_number.upper(),
            country=data.country,
            address=data.address.strip(),
            status="pending_review",
        )
        org = await self.repository.add(org)
        await _audit(
            cast(AsyncSession, self.repository.session),
            action="organization.registered",
            actor=principal,
            object_type="organization",
            object_id=str(org.id),
        )
        return org

    async def visible(self, principal: Principal, org_id: uuid.UUID) -> Organization:
        org = await self.repository.get_one_or_none(id=org_id)
        if org is None or (org.owner_id != principal.user_id and not principal.has("admin", "compliance")):
            raise NotFound("No such organisation")
        return org

    async def mine(self, principal: Principal) -> list[Organization]:
        return list(
            await self.repository.list(Organization.owner_id == principal.user_id, order_by=[("created_at", True)])
        )

    async def documents(self, org_id: uuid.UUID) -> list[OrganizationDocument]:
        rows = await self.repository.session.execute(
            select(OrganizationDocument)
            .where(OrganizationDocument.organization_id == org_id)
            .order_by(OrganizationDocument.created_at)
        )
        return list(rows.scalars())

    async def add_document(self, principal: Principal, org_id: uuid.UUID, upload: Upload) -> OrganizationDocument:
        org = await self.visible(principal, org_id)
        if org.owner_id != principal.user_id:
            raise NotFound("No such organisation")
        if org.status != "pending_review":
            raise Conflict(f"The organisation is {org.status}; documents can only be added while it awaits review")
        if upload.kind not in schemas.ORGANIZATION_DOCUMENT_KINDS:
            raise BadRequest.field("kind", f"must be one of {', '.join(schemas.ORGANIZATION_DOCUMENT_KINDS)}")
        fields = await _store_document(upload, prefix=f"organizations/{org.id}")
        doc = OrganizationDocument(organization_id=org.id, **fields)
        self.repository.session.add(doc)
        await self.repository.session.flush()
        return doc

    async def admin_list(self, status: str | None, limit: int, offset: int) -> tuple[list[Organization], int]:
        filters = [Organization.status == status] if status else []
        total = (
            await self.repository.session.execute(select(func.count()).select_from(Organization).where(*filters))
        ).scalar_one()
        rows = await self.repository.session.execute(
            select(Organization).where(*filters).order_by(Organization.created_at).limit(limit).offset(offset)
        )
        return list(rows.scalars()), int(total)

    async def decide(
        self, principal: Principal, org_id: uuid.UUID, *, approve: bool, reason: str | None = None
    ) -> Organization:
        stmt = select(Organization).where(Organization.id == org_id).with_for_update()
        org = (await self.repository.session.execute(stmt)).scalar_one_or_none()
        if org is None:
            raise NotFound("No such organisation")
        if org.status != "pending_review":
            raise Conflict(f"The organisation is already {org.status}")
        org.status = "approved" if approve else "rejected"
        org.reason = reason
        org.decided_at = utcnow()
        org.decided_by = principal.user_id
        await self.repository.session.flush()
        session = cast(AsyncSession, self.repository.session)
        await _audit(
            session,
            action=f"organization.{org.status}",
            actor=principal,
            object_type="organization",
            object_id=str(org.id),
            reason=reason,
        )
        await _notify(
            session,
            "spv.organization_decided",
            org.owner_id,
            {"organization_name": org.legal_name, "approved": approve, "reason": reason or ""},
            event_id=f"organization.{org.status}:{org.id}",
        )
        return org

    async def approved_of(self, user_id: uuid.UUID) -> Organization | None:
        return await self.repository.get_one_or_none(owner_id=user_id, status="approved")

    async def to_schema(  # type: ignore[override]
        self, org: Organization, *, with_documents: bool = True
    ) -> schemas.Organization:
        docs = await self.documents(org.id) if with_documents else []
        return schemas.Organization(
            id=org.id,
            legal_name=org.legal_name,
            registration_number=org.registration_number,
            country=org.country,
            address=org.address,
            status=org.status,
            reason=org.reason,
            created_at=org.created_at,
            decided_at=org.decided_at,
            documents=[document_schema(d) for d in docs],
        )


# ---------------------------------------------------------------- projects
@dataclass
class Terms:
    token_supply: int
    price_per_token: int
    soft_cap: int
    hard_cap: int
    min_investment: int
    max_investment: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def validate_terms(terms: Terms, *, now: dt.datetime) -> None:
    """Raise 400 naming the field for inconsistent terms, 422 for the regulatory window."""
    positive = {
        "token_supply": terms.token_supply,
        "offering.price_per_token": terms.price_per_token,
        "offering.soft_cap": terms.soft_cap,
        "offering.hard_cap": terms.hard_cap,
        "offering.min_investment": terms.min_investment,
        "offering.max_investment": terms.max_investment,
    }
    for name, value in positive.items():
        if value <= 0:
            raise BadRequest.field(name, "must be greater than zero")
    if terms.min_investment > terms.max_investment:
        raise BadRequest.field("offering.min_investment", "must not exceed max_investment")
    if terms.max_investment > terms.hard_cap:
        raise BadRequest.field("offering.max_investment", "must not exceed hard_cap")
    if terms.soft_cap > terms.hard_cap:
        raise BadRequest.field("offering.soft_cap", "must not exceed hard_cap")
    if terms.hard_cap > terms.token_supply * terms.price_per_token:
        raise BadRequest.field("offering.hard_cap", "must not exceed token_supply x price_per_token")
    starts_at, ends_at = terms.starts_at, terms.ends_at
    if starts_at.tzinfo is None:
        raise BadRequest.field("offering.starts_at", "needs a time zone (ISO 8601 with Z or an offset)")
    if ends_at.tzinfo is None:
        raise BadRequest.field("offering.ends_at", "needs a time zone (ISO 8601 with Z or an offset)")
    if starts_at <= now:
        raise BadRequest.field("offering.starts_at", "must be in the future")
    if ends_at <= starts_at:
        raise BadRequest.field("offering.ends_at", "must be after starts_at")
    if ends_at - starts_at > dt.timedelta(days=MAX_OFFERING_DAYS):
        raise RuleViolation(
            f"An offering lasts at most {MAX_OFFERING_DAYS} days",
            errors=[{"field": "offering.ends_at", "message": f"at most {MAX_OFFERING_DAYS} days after starts_at"}],
        )


def _terms_of(project: Project) -> Terms:
    return Terms(
        token_supply=project.token_supply,
        price_per_token=project.price_per_token,
        soft_cap=project.soft_cap,
        hard_cap=project.hard_cap,
        min_investment=project.min_investment,
        max_investment=project.max_investment,
        starts_at=project.starts_at,
        ends_at=project.ends_at,
    )


# What a list item reads (pages of projects load only these columns).
SUMMARY_COLUMNS = (
    Project.id,
    Project.name,
    Project.symbol,
    Project.sector,
    Project.location,
    Project.status,
    Project.price_per_token,
    Project.soft_cap,
    Project.hard_cap,
    Project.min_investment,
    Project.max_investment,
    Project.starts_at,
    Project.ends_at,
    Project.token_address,
    Project.offering_address,
    Project.treasury_address,
    Project.governor_address,
    Project.timelock_address,
)


def draft_offering_view(project: Project) -> OfferingView:
    status = "draft" if project.status not in ("deploying", "approved") else "deploying"
    return OfferingView(
        status=status,
        price_per_token=str(project.price_per_token),
        soft_cap=str(project.soft_cap),
        hard_cap=str(project.hard_cap),
        min_investment=str(project.min_investment),
        max_investment=str(project.max_investment),
        starts_at=project.starts_at,
        ends_at=project.ends_at,
    )


def contracts_of(project: Project) -> schemas.ProjectContracts | None:
    if not project.offering_address:
        return None
    return schemas.ProjectContracts(
        token=project.token_address or "",
        offering=project.offering_address,
        treasury=project.treasury_address or "",
        governor=project.governor_address or "",
        timelock=project.timelock_address or "",
    )


class ProjectRepository(SQLAlchemyAsyncRepository[Project]):
    model_type = Project


class ProjectService(SQLAlchemyAsyncRepositoryService[Project, ProjectRepository]):
    repository_type = ProjectRepository

    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    # ---- reading
    async def _get(self, project_id: uuid.UUID, *, lock: bool = False) -> Project:
        stmt = select(Project).where(Project.id == project_id)
        if lock:
            stmt = stmt.with_for_update()
        project = (await self.session.execute(stmt)).scalar_one_or_none()
        if project is None:
            raise NotFound("No such project")
        return project

    async def visible(self, principal: Principal | None, project_id: uuid.UUID, *, lock: bool = False) -> Project:
        """Published projects for anyone; others for their owner and staff; else 404."""
        project = await self._get(project_id, lock=lock)
        if project.status in PUBLISHED:
            return project
        if principal is not None and (project.owner_id == principal.user_id or principal.is_staff):
            return project
        raise NotFound("No such project")

    async def owned(self, principal: Principal, project_id: uuid.UUID, *, lock: bool = True) -> Project:
        project = await self._get(project_id, lock=lock)
        if project.owner_id != principal.user_id:
            raise NotFound("No such project")
        return project

    async def documents(self, project_id: uuid.UUID) -> list[ProjectDocument]:
        rows = await self.session.execute(
            select(ProjectDocument).where(ProjectDocument.project_id == project_id).order_by(ProjectDocument.created_at)
        )
        return list(rows.scalars())

    async def to_schema(self, project: Project) -> schemas.Project:  # type: ignore[override]
        views = await offerings.offering_views(self.session, [project.id])
        docs = await self.documents(project.id)
        return schemas.Project(
            id=project.id,
            organization_id=project.organization_id,
            name=project.name,
            symbol=project.symbol,
            description=project.description,
            sector=project.sector,
            location=project.location,
            concession_years=project.concession_years,
            token_supply=str(project.token_supply),
            status=project.status,
            spv_wallet=project.spv_wallet,
            offering=views.get(project.id) or draft_offering_view(project),
            contracts=contracts_of(project),
            chain_project_id=project.chain_project_id,
            reject_reason=project.reject_reason,
            created_at=project.created_at,
            submitted_at=project.submitted_at,
            approved_at=project.approved_at,
            deployed_at=project.deployed_at,
            documents=[document_schema(d) for d in docs],
        )

    async def list_published(
        self, *, status: str | None, sector: str | None, limit: int, offset: int
    ) -> schemas.ProjectPage:
        filters: list[Any] = [Project.status.in_(PUBLISHED)]
        if status in OFFERING_STATUSES:
            filters.append(Project.id.in_(offerings.project_ids_with_status_query(status)))
        elif status:
            filters.append(Project.status == status)
        if sector:
            filters.append(Project.sector == sector)
        # One query: the page, each project's offering read model, the total and the chain clock.
        stmt = offerings.with_offering(
            select(Project, func.count().over().label("total"))
            .where(*filters)
            .options(load_only(*SUMMARY_COLUMNS, raiseload=True)),
            Project.id,
        )
        rows = (
            await self.session.execute(
                stmt.order_by(Project.deployed_at.desc(), Project.id).limit(limit).offset(offset)
            )
        ).all()
        if rows:
            total = int(rows[0].total)
            now = offerings.clock_of(rows[0].newest_block_time)
        else:  # past the last page: the total needs its own count
            total = (await self.session.execute(select(func.count()).select_from(Project).where(*filters))).scalar_one()
            now = offerings.clock_of(None)
        items = [
            schemas.ProjectSummary(
                id=p.id,
                name=p.name,
                symbol=p.symbol,
                sector=p.sector,
                location=p.location,
                status=p.status,
                offering=offerings.view_of(state, now) if state is not None else draft_offering_view(p),
                contracts=contracts_of(p),
            )
            for p, _total, state, _clock in rows
        ]
        return schemas.ProjectPage(items=items, total=int(total), limit=limit, offset=offset)

    async def list_mine(self, principal: Principal, limit: int, offset: int) -> schemas.ProjectPage:
        filters = [Project.owner_id == principal.user_id]
        total = (await self.session.execute(select(func.count()).select_from(Project).where(*filters))).scalar_one()
        projects = list(
            (
                await self.session.execute(
                    select(Project).where(*filters).order_by(Project.created_at.desc()).limit(limit).offset(offset)
                )
            ).scalars()
        )
        views = await offerings.offering_views(self.session, [p.id for p in projects])
        items = [
            schemas.ProjectSummary(
                id=p.id,
                name=p.name,
                symbol=p.symbol,
                sector=p.sector,
                location=p.location,
                status=p.status,
                offering=views.get(p.id) or draft_offering_view(p),
                contracts=contracts_of(p),
            )
            for p in projects
        ]
        return schemas.ProjectPage(items=items, total=int(total), limit=limit, offset=offset)

    # ---- drafting
    async def create(self, principal: Principal, data: schemas.ProjectCreate) -> Project:  # type: ignore[override]
        org = await OrganizationService(session=self.session).approved_of(principal.user_id)
        if org is None:
            raise Forbidden("Only users of an approved organisation may create projects")
        offering = data.offering
        terms = Terms(
            token_supply=int(data.token_supply),
            price_per_token=int(offering.price_per_token),
            soft_cap=int(offering.soft_cap),
            hard_cap=int(offering.hard_cap),
            min_investment=int(offering.min_investment),
            max_investment=int(offering.max_investment),
            starts_at=offering.starts_at,
            ends_at=offering.ends_at,
        )
        validate_terms(terms, now=utcnow())
        project = Project(
            organization_id=org.id,
            owner_id=principal.user_id,
            name=data.name.strip(),
            symbol=data.symbol,
            description=data.description,
            sector=data.sector,
            location=data.location.strip(),
            concession_years=data.concession_years,
            spv_wallet=_checksum(data.spv_wallet) if data.spv_wallet else None,
            status="draft",
            **terms.__dict__,
        )
        self.session.add(project)
        await self.session.flush()
        await _audit(
            self.session, action="project.created", actor=principal, object_type="project", object_id=str(project.id)
        )
        return project

    async def update_draft(self, principal: Principal, project_id: uuid.UUID, data: schemas.ProjectUpdate) -> Project:
        project = await self.owned(principal, project_id)
        if project.status != "draft":
            raise Conflict(f"The project is {project.status}; only drafts can be changed")
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET and k != "offering"}
        terms = _terms_of(project)
        if "token_supply" in changes:
            terms.token_supply = int(changes.pop("token_supply"))
        if data.offering is not msgspec.UNSET:
            for key, value in msgspec.structs.asdict(data.offering).items():
                if value is msgspec.UNSET:
                    continue
                setattr(terms, key, value if key in ("starts_at", "ends_at") else int(value))
        validate_terms(terms, now=utcnow())
        if changes.get("spv_wallet"):
            changes["spv_wallet"] = _checksum(changes["spv_wallet"])
        for key, value in {**changes, **terms.__dict__}.items():
            setattr(project, key, value.strip() if isinstance(value, str) and key in ("name", "location") else value)
        await self.session.flush()
        return project

    async def add_document(self, principal: Principal, project_id: uuid.UUID, upload: Upload) -> ProjectDocument:
        project = await self.owned(principal, project_id, lock=False)
        if upload.kind not in schemas.PROJECT_DOCUMENT_KINDS:
            raise BadRequest.field("kind", f"must be one of {', '.join(schemas.PROJECT_DOCUMENT_KINDS)}")
        if project.status in ("submitted", "approved", "deploying", "rejected") and upload.kind != "financial_report":
            raise Conflict(f"The project is {project.status}; its offering documents are frozen")
        fields = await _store_document(upload, prefix=f"projects/{project.id}")
        doc = ProjectDocument(project_id=project.id, **fields)
        self.session.add(doc)
        await self.session.flush()
        await _audit(
            self.session,
            action="project.document_added",
            actor=principal,
            object_type="project",
            object_id=str(project.id),
            details={"kind": doc.kind, "sha256": doc.sha256, "document_id": str(doc.id)},
        )
        return doc

    async def document(
        self, principal: Principal | None, project_id: uuid.UUID, doc_id: uuid.UUID
    ) -> tuple[ProjectDocument, bytes | None, str | None]:
        """The document and either its bytes or a short-lived URL to it."""
        from partisipro import storage

        project = await self._get(project_id)
        doc = (
            await self.session.execute(
                select(ProjectDocument).where(ProjectDocument.id == doc_id, ProjectDocument.project_id == project.id)
            )
        ).scalar_one_or_none()
        if doc is None:
            raise NotFound("No such document")
        privileged = principal is not None and (principal.user_id == project.owner_id or principal.is_staff)
        if not privileged and not (project.status in PUBLISHED and doc.kind in PUBLIC_DOCUMENT_KINDS):
            raise NotFound("No such document")
        url = await storage.presigned_url(doc.storage_key, filename=doc.filename)
        if url is not None:
            return doc, None, url
        return doc, await storage.get(doc.storage_key), None

    # ---- review
    async def submit(self, principal: Principal, project_id: uuid.UUID) -> Project:
        project = await self.owned(principal, project_id)
        if project.status != "draft":
            raise Conflict(f"The project is {project.status}; only drafts can be submitted")
        problems: list[dict[str, str]] = []
        kinds = {d.kind for d in await self.documents(project.id)}
        problems.extend(
            {"field": "documents", "message": f"a {kind} document is required"}
            for kind in REQUIRED_DOCUMENT_KINDS
            if kind not in kinds
        )
        if not project.spv_wallet:
            problems.append({"field": "spv_wallet", "message": "the SPV wallet that receives the funds is required"})
        if project.starts_at <= utcnow():
            problems.append({"field": "offering.starts_at", "message": "must still be in the future"})
        if problems:
            raise RuleViolation(
                "The project is incomplete: " + "; ".join(p["message"] for p in problems), errors=problems
            )
        project.status = "submitted"
        project.submitted_at = utcnow()
        project.reject_reason = None
        await self.session.flush()
        await _audit(
            self.session, action="project.submitted", actor=principal, object_type="project", object_id=str(project.id)
        )
        return project

    async def reject(self, principal: Principal, project_id: uuid.UUID, reason: str) -> Project:
        project = await self._get(project_id, lock=True)
        if project.status != "submitted":
            raise Conflict(f"The project is {project.status}; only submitted projects can be rejected")
        project.status = "rejected"
        project.reject_reason = reason
        await self.session.flush()
        await _audit(
            self.session,
            action="project.rejected",
            actor=principal,
            object_type="project",
            object_id=str(project.id),
            reason=reason,
        )
        await _notify(
            self.session,
            "spv.project_decided",
            project.owner_id,
            {**_project_context(project), "approved": False, "reason": reason},
            event_id=f"project.rejected:{project.id}:{project.submitted_at}",
        )
        return project

    async def approve(self, principal: Principal, project_id: uuid.UUID) -> Project:
        """submitted -> approved -> deploying: queue ``ProjectFactory.createProject`` in this transaction."""
        project = await self._get(project_id, lock=True)
        if project.status != "submitted":
            raise Conflict(f"The project is {project.status}; only submitted projects can be approved")
        if project.starts_at <= utcnow():
            raise RuleViolation(
                "The offering start has passed; the SPV must move it before approval",
                errors=[{"field": "offering.starts_at", "message": "must still be in the future"}],
            )
        project.status = "approved"
        project.approved_at = utcnow()
        await self.session.flush()
        await _audit(
            self.session, action="project.approved", actor=principal, object_type="project", object_id=str(project.id)
        )
        from partisipro.offerings import chainio

        await chainio.enqueue_create_project(self.session, project_id=project.id, params=self._create_params(project))
        project.status = "deploying"
        await self.session.flush()
        await _notify(
            self.session,
            "spv.project_decided",
            project.owner_id,
            {**_project_context(project), "approved": True, "reason": ""},
            event_id=f"project.approved:{project.id}",
        )
        return project

    def _create_params(self, project: Project) -> dict[str, Any]:
        settings = get_settings()
        return {
            "name": project.name,
            "symbol": project.symbol,
            "spv": project.spv_wallet,
            "price": project.price_per_token,
            "soft_cap": project.soft_cap,
            "hard_cap": project.hard_cap,
            "min_investment": project.min_investment,
            "max_investment": project.max_investment,
            "start_time": int(project.starts_at.timestamp()),
            "end_time": int(project.ends_at.timestamp()),
            "cooling_off": settings.cooling_off_seconds,
        }

    # ---- chain events
    async def on_project_created(self, args: dict[str, Any], *, tx_hash: str, block_time: dt.datetime | None) -> None:
        """ProjectCreated: the deploying project becomes deployed with its addresses (idempotent)."""
        offering_address = _checksum(args["offering"])
        already = (
            await self.session.execute(select(Project).where(Project.offering_address == offering_address))
        ).scalar_one_or_none()
        if already is not None:
            return
        project = await self._match_deploying(args, tx_hash)
        if project is None:
            return
        project.status = "deployed"
        project.chain_project_id = int(args["projectId"])
        project.deploy_tx_hash = tx_hash
        project.token_address = _checksum(args["token"])
        project.offering_address = offering_address
        project.treasury_address = _checksum(args["treasury"])
        project.governor_address = _checksum(args["governor"])
        project.timelock_address = _checksum(args["timelock"])
        project.deployed_at = block_time or utcnow()
        await self.session.flush()
        from partisipro.offerings import chainio

        await offerings.open_offering(
            self.session,
            project_id=project.id,
            name=project.name,
            symbol=project.symbol,
            address=offering_address,
            token_address=project.token_address,
            treasury_address=project.treasury_address,
            governor_address=project.governor_address,
            stablecoin_address=await chainio.stablecoin_address(self.session),
            price_per_token=project.price_per_token,
            soft_cap=project.soft_cap,
            hard_cap=project.hard_cap,
            min_investment=project.min_investment,
            max_investment=project.max_investment,
            starts_at=project.starts_at,
            ends_at=project.ends_at,
            cooling_off_seconds=get_settings().cooling_off_seconds,
            chain_time=block_time,
        )
        await _notify(
            self.session,
            "spv.project_deployed",
            project.owner_id,
            {**_project_context(project), "token_address": project.token_address},
            event_id=f"project.deployed:{project.id}",
        )

    async def on_project_created_reverted(self, args: dict[str, Any]) -> None:
        offering_address = _checksum(args["offering"])
        project = (
            await self.session.execute(select(Project).where(Project.offering_address == offering_address))
        ).scalar_one_or_none()
        if project is None:
            return
        await offerings.drop_offering(self.session, project.id)
        project.status = "deploying"
        project.chain_project_id = None
        project.deploy_tx_hash = None
        project.token_address = project.offering_address = project.treasury_address = None
        project.governor_address = project.timelock_address = None
        project.deployed_at = None
        await self.session.flush()

    async def _match_deploying(self, args: dict[str, Any], tx_hash: str) -> Project | None:
        """Which deploying project this event deployed: by the outbox intent's tx hash, else by SPV and symbol."""
        from partisipro.offerings import chainio

        project_id = await chainio.project_of_create_tx(self.session, tx_hash)
        if project_id is not None:
            return await self.session.get(Project, project_id, with_for_update=True)
        spv = _checksum(args["spv"]) if args.get("spv") else None
        stmt = select(Project).where(Project.status == "deploying").order_by(Project.approved_at).with_for_update()
        if spv:
            stmt = stmt.where(Project.spv_wallet == spv)
        if args.get("symbol"):
            stmt = stmt.where(Project.symbol == args["symbol"])
        return (await self.session.execute(stmt.limit(1))).scalars().first()

    async def finalize(self, principal: Principal, project_id: uuid.UUID) -> schemas.FinalizeResult:
        project = await self._get(project_id)
        if project.owner_id != principal.user_id and not principal.has("admin"):
            raise NotFound("No such project")
        if not project.offering_address:
            raise Conflict(f"The project is {project.status}; its offering is not deployed")
        from partisipro.offerings import chainio

        tx: UnsignedTransaction = await offerings.finalize_transaction(self.session, project.id)
        if principal.has("admin") and project.owner_id != principal.user_id:
            intent_id = await chainio.enqueue_finalize(self.session, project.id, project.offering_address)
            await _audit(
                self.session,
                action="offering.finalize_queued",
                actor=principal,
                object_type="project",
                object_id=str(project.id),
            )
            return schemas.FinalizeResult(status="queued", transaction=tx, intent_id=intent_id)
        return schemas.FinalizeResult(status="awaiting_signature", transaction=tx)

    async def counts(self) -> int:
        return int(
            (
                await self.session.execute(
                    select(func.count()).select_from(Project).where(Project.status.in_(PUBLISHED))
                )
            ).scalar_one()
        )
