"""KYC rules: applications and their state machine, documents, provider webhooks, compliance
review, screening, expiry, identity-registry writes and investor limits.

State machine (DESIGN.md "Flows", plus the states the review needs)::

    draft --submit--> in_review (manual provider) | submitted (provider checks first)
    submitted --provider GREEN--> in_review
    submitted | in_review --provider RED/RETRY or officer request_info--> info_requested
    info_requested --edit, upload, submit--> in_review | submitted
    submitted | in_review --officer approve (low/medium)--> approved
    submitted | in_review --officer approve (high)--> pending_second_approval
    pending_second_approval --a different officer approves--> approved
    submitted | in_review | pending_second_approval --reject (or provider RED/FINAL)--> rejected
    approved --revoke--> revoked ; approved --expiry job--> expired

"Open" applications (one per investor) are every state but rejected, revoked and expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from partisipro import storage
from partisipro.audit import services as audit
from partisipro.crypto import blind_index
from partisipro.db import utcnow
from partisipro.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RuleViolation,
    UnsupportedMediaType,
)
from partisipro.security import Principal
from partisipro.settings import get_settings
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kyc import accounts, identity, limits, outbound, registry, schemas, screening
from kyc.models import KycApplication, KycDocument, KycEvent, KycWebhookDelivery, RegistryEntry, ScreeningHit
from kyc.providers import base as provider_base

log = structlog.get_logger("kyc")

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
OPEN_STATUSES = ("draft", "submitted", "in_review", "info_requested", "pending_second_approval", "approved")
CLOSED_STATUSES = ("rejected", "revoked", "expired")
EDITABLE_STATUSES = ("draft", "info_requested")
DECIDABLE_STATUSES = ("submitted", "in_review", "pending_second_approval")
QUEUE_DEFAULT_STATUSES = ("submitted", "in_review", "pending_second_approval")
REQUIRED_DOCUMENTS = {
    "individual": ("id_card", "selfie"),
    "entity": ("id_card", "company_deed"),
}
RISK_ORDER = {"low": 0, "medium": 1, "high": 2}
EXPIRY_NOTICE = dt.timedelta(days=30)


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where (for the audit log). ``principal`` is None for jobs."""

    principal: Principal | None
    ip: str | None = None
    request_id: str | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.principal.user_id if self.principal else None


SYSTEM = Actor(None)


def _national_id_hash(nationality: str, number: str) -> str:
    return blind_index(f"{nationality}:{number}", purpose="kyc.national_id")


def mask(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:]


def case_url(application_id: uuid.UUID) -> str:
    return f"{get_settings().public_url.rstrip('/')}/compliance/kyc/{application_id}"


class KycService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ helpers

    async def _audit(
        self,
        actor: Actor,
        action: str,
        application_id: uuid.UUID,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        object_type: str = "kyc_application",
        object_id: str | None = None,
    ) -> None:
        await audit.record(
            self.session,
            action=action,
            actor=actor.principal,
            object_type=object_type,
            object_id=object_id or str(application_id),
            reason=reason,
            details=details,
            ip=actor.ip,
            request_id=actor.request_id,
        )

    def _history(
        self,
        app: KycApplication,
        actor: Actor | None,
        action: str,
        from_status: str | None,
        reason: str | None = None,
    ) -> None:
        self.session.add(
            KycEvent(
                application_id=app.id,
                actor_id=actor.user_id if actor else None,
                action=action,
                from_status=from_status,
                to_status=app.status,
                reason=reason,
                risk_level=app.risk_level,
            )
        )

    async def _load(self, application_id: uuid.UUID, *, lock: bool = False) -> KycApplication:
        stmt = select(KycApplication).where(KycApplication.id == application_id)
        if lock:
            stmt = stmt.with_for_update()
        app = (await self.session.execute(stmt)).scalar_one_or_none()
        if app is None:
            raise NotFound("No such KYC application")
        return app

    async def own(self, user_id: uuid.UUID, application_id: uuid.UUID, *, lock: bool = False) -> KycApplication:
        """The caller's application; someone else's is 404 (never 403: ids do not leak)."""
        app = await self._load(application_id, lock=lock)
        if app.user_id != user_id:
            raise NotFound("No such KYC application")
        return app

    async def newest(self, user_id: uuid.UUID) -> KycApplication | None:
        stmt = (
            select(KycApplication)
            .where(KycApplication.user_id == user_id)
            .order_by(KycApplication.created_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def _documents(self, application_id: uuid.UUID) -> list[KycDocument]:
        stmt = select(KycDocument).where(KycDocument.application_id == application_id).order_by(KycDocument.created_at)
        return list(await self.session.scalars(stmt))

    async def _events(self, application_id: uuid.UUID) -> list[KycEvent]:
        stmt = select(KycEvent).where(KycEvent.application_id == application_id).order_by(KycEvent.created_at)
        return list(await self.session.scalars(stmt))

    async def _check_national_id_unused(self, user_id: uuid.UUID, id_hash: str) -> None:
        other = await self.session.scalar(
            select(KycApplication.id)
            .where(KycApplication.national_id_hash == id_hash, KycApplication.user_id != user_id)
            .limit(1)
        )
        if other is not None:
            raise Conflict("This national id number is already used by another investor")

    # ------------------------------------------------------------------ investor: applications

    async def create(self, actor: Actor, data: schemas.ApplicationCreate) -> KycApplication:
        assert actor.principal is not None
        user_id = actor.principal.user_id
        # Serialise concurrent creates of one investor on their account row.
        open_app = await self.session.scalar(
            select(KycApplication.id)
            .where(KycApplication.user_id == user_id, KycApplication.status.in_(OPEN_STATUSES))
            .limit(1)
            .with_for_update()
        )
        if open_app is not None:
            raise Conflict("An open KYC application exists already")
        nationality = identity.check_nationality(data.nationality)
        dob = identity.check_date_of_birth(data.date_of_birth)
        number = identity.check_national_id(
            data.national_id_number, nationality=nationality, date_of_birth=dob, investor_type=data.investor_type
        )
        self._check_account_since(data.securities_account_since, dob)
        id_hash = _national_id_hash(nationality, number)
        await self._check_national_id_unused(user_id, id_hash)
        app = KycApplication(
            user_id=user_id,
            status="draft",
            investor_type=data.investor_type,
            jurisdiction=get_settings().jurisdiction,
            legal_name=data.legal_name.strip(),
            date_of_birth=dob.isoformat(),
            nationality=nationality,
            national_id_number=number,
            national_id_hash=id_hash,
            address=data.address.strip(),
            annual_income_idr=str(data.annual_income_idr),
            securities_account_since=data.securities_account_since,
            provider=get_settings().kyc_provider,
        )
        self.session.add(app)
        await self.session.flush()
        self._history(app, actor, "created", None)
        await self._audit(actor, "kyc.application_created", app.id)
        return app

    def _check_account_since(self, since: dt.date | None, dob: dt.date) -> None:
        if since is not None and (since > utcnow().date() or since < dob):
            raise BadRequest.field("securities_account_since", "must be a past date after the date of birth")

    async def update(self, actor: Actor, application_id: uuid.UUID, data: schemas.ApplicationUpdate) -> KycApplication:
        assert actor.principal is not None
        app = await self.own(actor.principal.user_id, application_id, lock=True)
        if app.status not in EDITABLE_STATUSES:
            raise Conflict(f"An application in status {app.status} cannot be changed")
        nationality = identity.check_nationality(data.nationality) if data.nationality else app.nationality
        dob = (
            identity.check_date_of_birth(data.date_of_birth)
            if data.date_of_birth
            else dt.date.fromisoformat(app.date_of_birth)
        )
        raw_number = data.national_id_number or app.national_id_number
        number = identity.check_national_id(
            raw_number, nationality=nationality, date_of_birth=dob, investor_type=app.investor_type
        )
        if data.securities_account_since is not None:
            self._check_account_since(data.securities_account_since, dob)
            app.securities_account_since = data.securities_account_since
        id_hash = _national_id_hash(nationality, number)
        await self._check_national_id_unused(app.user_id, id_hash)
        app.nationality, app.date_of_birth, app.national_id_number = nationality, dob.isoformat(), number
        app.national_id_hash = id_hash
        if data.legal_name:
            app.legal_name = data.legal_name.strip()
        if data.address:
            app.address = data.address.strip()
        if data.annual_income_idr is not None:
            app.annual_income_idr = str(data.annual_income_idr)
        self._history(app, actor, "updated", app.status)
        await self._audit(actor, "kyc.application_updated", app.id)
        return app

    async def investor_view(self, app: KycApplication) -> schemas.Application:
        documents = await self._documents(app.id)
        events = await self._events(app.id)
        required = list(REQUIRED_DOCUMENTS[app.investor_type])
        have = {d.kind for d in documents}
        return schemas.Application(
            id=app.id,
            status=app.status,
            investor_type=app.investor_type,
            legal_name=app.legal_name,
            date_of_birth=dt.date.fromisoformat(app.date_of_birth),
            nationality=app.nationality,
            national_id_number_masked=mask(app.national_id_number),
            address=app.address,
            annual_income_idr=int(app.annual_income_idr),
            securities_account_since=app.securities_account_since,
            reason=app.reason,
            reasons=[
                schemas.HistoryItem(action=e.action, status=e.to_status, reason=e.reason, at=e.created_at)
                for e in events
                if e.reason
            ],
            documents=[_document_out(d) for d in documents],
            required_documents=required,
            missing_documents=[k for k in required if k not in have],
            provider=app.provider,
            created_at=app.created_at,
            submitted_at=app.submitted_at,
            approved_at=app.approved_at,
            expires_at=app.expires_at,
        )

    # ------------------------------------------------------------------ investor: documents

    async def add_document(self, actor: Actor, application_id: uuid.UUID, *, kind: str, data: bytes) -> KycDocument:
        assert actor.principal is not None
        app = await self.own(actor.principal.user_id, application_id, lock=True)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise PayloadTooLarge("Documents are at most 10 MB")
        if not data:
            raise BadRequest.field("file", "is empty")
        content_type = storage.sniff_content_type(data)
        if content_type is None:
            raise UnsupportedMediaType("Documents must be PDF, JPEG or PNG files")
        if app.status not in EDITABLE_STATUSES:
            raise Conflict(f"Documents cannot be added to an application in status {app.status}")
        key = await storage.put(data, prefix="kyc", content_type=content_type)
        document = KycDocument(
            application_id=app.id,
            kind=kind,
            storage_key=key,
            content_type=content_type,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
        )
        self.session.add(document)
        await self.session.flush()
        await self._audit(
            actor,
            "kyc.document_uploaded",
            app.id,
            object_type="kyc_document",
            object_id=str(document.id),
            details={"kind": kind, "sha256": document.sha256, "size": document.size},
        )
        return document

    async def _document(self, application_id: uuid.UUID, document_id: uuid.UUID) -> KycDocument:
        doc = await self.session.scalar(
            select(KycDocument).where(KycDocument.id == document_id, KycDocument.application_id == application_id)
        )
        if doc is None:
            raise NotFound("No such document")
        return doc

    async def own_document(
        self, user_id: uuid.UUID, application_id: uuid.UUID, document_id: uuid.UUID
    ) -> tuple[KycDocument, bytes]:
        await self.own(user_id, application_id)
        doc = await self._document(application_id, document_id)
        return doc, await _read(doc)

    # ------------------------------------------------------------------ investor: submit

    async def submit(self, actor: Actor, application_id: uuid.UUID) -> KycApplication:
        assert actor.principal is not None
        app = await self.own(actor.principal.user_id, application_id, lock=True)
        if app.status not in EDITABLE_STATUSES:
            raise Conflict(f"An application in status {app.status} cannot be submitted")
        have = {d.kind for d in await self._documents(app.id)}
        missing = [k for k in REQUIRED_DOCUMENTS[app.investor_type] if k not in have]
        if missing:
            raise RuleViolation(
                f"Missing required documents: {', '.join(missing)}",
                errors=[{"field": "documents", "message": f"{k} is required"} for k in missing],
            )
        before = app.status
        resubmission = before == "info_requested"
        provider = provider_base.get_provider(app.provider)
        assert provider is not None  # only webhooks have no adapter for "manual"
        if provider.name == "manual":
            app.status = "in_review"
        else:
            if app.provider_applicant_id is None:
                app.provider_applicant_id = await provider.create_applicant(
                    external_user_id=str(app.id), email=None, country=app.nationality
                )
            elif resubmission:
                await provider.request_check(app.provider_applicant_id)
            app.status = "submitted"
        app.submitted_at = utcnow()
        app.reason = None
        await self._run_screening(app)
        self._history(app, actor, "resubmitted" if resubmission else "submitted", before)
        await self._audit(actor, "kyc.submitted", app.id, details={"status": app.status})
        await outbound.notify_user(
            self.session,
            "kyc.submitted",
            app.user_id,
            {"application_id": str(app.id)},
            event_id=f"kyc.submitted:{app.id}:{app.submitted_at.isoformat()}",
        )
        await outbound.notify_officers(
            self.session,
            "staff.kyc_case_new",
            {"case_url": case_url(app.id), "risk_level": app.risk_level or "unrated"},
            event_id=f"staff.kyc_case_new:{app.id}:{app.submitted_at.isoformat()}",
        )
        return app

    # ------------------------------------------------------------------ screening

    async def _run_screening(self, app: KycApplication) -> list[ScreeningHit]:
        """Screen the application's name and birth date; cleared hits keep their clearance."""
        matches = screening.screen(app.legal_name, dt.date.fromisoformat(app.date_of_birth))
        existing = {
            h.entry_id: h
            for h in await self.session.scalars(select(ScreeningHit).where(ScreeningHit.application_id == app.id))
        }
        seen = set()
        for match in matches:
            seen.add(match.entry.id)
            hit = existing.get(match.entry.id)
            if hit is None:
                hit = ScreeningHit(application_id=app.id, entry_id=match.entry.id)
                self.session.add(hit)
            elif hit.cleared_at is not None and hit.score == match.score and hit.strength == match.strength:
                continue
            hit.dataset = match.entry.dataset[:200]
            hit.listed_name = match.entry.name[:300]
            hit.listed_birth_date = ";".join(match.entry.birth_dates)[:32] or None
            hit.topics = match.entry.topics or None
            hit.score = match.score
            hit.birth_date_match = match.birth_date_match
            hit.strength = match.strength
            hit.cleared_by = hit.cleared_at = hit.clear_reason = None
        for entry_id, hit in existing.items():
            if entry_id not in seen:
                await self.session.delete(hit)
        await self.session.flush()
        return list(await self.session.scalars(select(ScreeningHit).where(ScreeningHit.application_id == app.id)))

    async def screening_result(self, application_id: uuid.UUID) -> schemas.Screening:
        await self._load(application_id)
        hits = list(
            await self.session.scalars(
                select(ScreeningHit)
                .where(ScreeningHit.application_id == application_id)
                .order_by(ScreeningHit.score.desc())
            )
        )
        views = [_hit_out(h) for h in hits]
        return schemas.Screening(
            application_id=application_id,
            list_name=screening.config().list_file.name,
            hits=views,
            blocking=any(v.blocking for v in views),
        )

    async def clear_hit(
        self, actor: Actor, application_id: uuid.UUID, hit_id: uuid.UUID, reason: str
    ) -> schemas.Screening:
        await self._load(application_id, lock=True)
        hit = await self.session.scalar(
            select(ScreeningHit).where(ScreeningHit.id == hit_id, ScreeningHit.application_id == application_id)
        )
        if hit is None:
            raise NotFound("No such screening hit")
        if hit.cleared_at is not None:
            raise Conflict("This hit is cleared already")
        hit.cleared_by, hit.cleared_at, hit.clear_reason = actor.user_id, utcnow(), reason
        await self._audit(
            actor,
            "kyc.screening_hit_cleared",
            application_id,
            reason=reason,
            details={"hit_id": str(hit.id), "entry_id": hit.entry_id, "strength": hit.strength},
        )
        return await self.screening_result(application_id)

    # ------------------------------------------------------------------ compliance: queue and reads

    async def queue(
        self,
        actor: Actor,
        *,
        status: str | None,
        assigned_to: str | None,
        risk_level: str | None,
        limit: int,
        offset: int,
    ) -> schemas.CasePage:
        conditions: list[Any] = []
        if status:
            conditions.append(KycApplication.status == status)
        else:
            conditions.append(KycApplication.status.in_(QUEUE_DEFAULT_STATUSES))
        if assigned_to == "me":
            conditions.append(KycApplication.assigned_to == actor.user_id)
        elif assigned_to == "unassigned":
            conditions.append(KycApplication.assigned_to.is_(None))
        elif assigned_to:
            try:
                conditions.append(KycApplication.assigned_to == uuid.UUID(assigned_to))
            except ValueError as exc:
                raise BadRequest.field("assigned_to", "is me, unassigned or an officer id") from exc
        if risk_level:
            conditions.append(KycApplication.risk_level == risk_level)
        total = await self.session.scalar(select(func.count()).select_from(KycApplication).where(*conditions))
        stmt = (
            select(KycApplication)
            .where(*conditions)
            .order_by(
                KycApplication.submitted_at.is_(None),
                KycApplication.submitted_at.asc(),
                KycApplication.created_at.asc(),
            )
            .limit(limit)
            .offset(offset)
        )
        apps = list(await self.session.scalars(stmt))
        counts: dict[uuid.UUID, tuple[int, int]] = {}
        if apps:
            rows = await self.session.execute(
                select(
                    ScreeningHit.application_id,
                    func.count(),
                    func.sum(
                        case(((ScreeningHit.strength == "strong") & ScreeningHit.cleared_at.is_(None), 1), else_=0)
                    ),
                )
                .where(ScreeningHit.application_id.in_([a.id for a in apps]))
                .group_by(ScreeningHit.application_id)
            )
            counts = {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}
        items = [
            schemas.CaseSummary(
                id=a.id,
                user_id=a.user_id,
                status=a.status,
                investor_type=a.investor_type,
                risk_level=a.risk_level,
                assigned_to=a.assigned_to,
                provider=a.provider,
                provider_review_answer=a.provider_review_answer,
                screening_hits=counts.get(a.id, (0, 0))[0],
                open_strong_hits=counts.get(a.id, (0, 0))[1],
                created_at=a.created_at,
                submitted_at=a.submitted_at,
            )
            for a in apps
        ]
        return schemas.CasePage(items=items, total=int(total or 0), limit=limit, offset=offset)

    async def case_detail(self, actor: Actor, application_id: uuid.UUID, *, reason: str) -> schemas.CaseDetail:
        app = await self._load(application_id)
        documents = await self._documents(app.id)
        events = await self._events(app.id)
        entries = list(
            await self.session.scalars(
                select(RegistryEntry).where(RegistryEntry.application_id == app.id).order_by(RegistryEntry.created_at)
            )
        )
        await self._audit(
            actor,
            "kyc.personal_data_read",
            app.id,
            reason=reason,
            details={
                "fields": [
                    "legal_name",
                    "date_of_birth",
                    "nationality",
                    "national_id_number",
                    "address",
                    "annual_income_idr",
                ]
            },
        )
        return schemas.CaseDetail(
            id=app.id,
            user_id=app.user_id,
            status=app.status,
            investor_type=app.investor_type,
            legal_name=app.legal_name,
            date_of_birth=dt.date.fromisoformat(app.date_of_birth),
            nationality=app.nationality,
            national_id_number=app.national_id_number,
            address=app.address,
            annual_income_idr=int(app.annual_income_idr),
            securities_account_since=app.securities_account_since,
            risk_level=app.risk_level,
            assigned_to=app.assigned_to,
            first_approver_id=app.first_approver_id,
            reason=app.reason,
            provider=app.provider,
            provider_applicant_id=app.provider_applicant_id,
            provider_review_answer=app.provider_review_answer,
            created_at=app.created_at,
            submitted_at=app.submitted_at,
            approved_at=app.approved_at,
            expires_at=app.expires_at,
            history=[
                schemas.HistoryItem(action=e.action, status=e.to_status, reason=e.reason, at=e.created_at)
                for e in events
            ],
            documents=[
                schemas.CaseDocument(
                    id=d.id,
                    kind=d.kind,
                    sha256=d.sha256,
                    size=d.size,
                    content_type=d.content_type,
                    uploaded_at=d.created_at,
                    download_path=f"/api/v1/compliance/kyc/{app.id}/documents/{d.id}",
                )
                for d in documents
            ],
            screening=await self.screening_result(app.id),
            registry=[schemas.RegistryEntryView(address=e.address, state=e.state) for e in entries],
        )

    async def case_document(
        self, actor: Actor, application_id: uuid.UUID, document_id: uuid.UUID, *, reason: str
    ) -> tuple[KycDocument, bytes]:
        await self._load(application_id)
        doc = await self._document(application_id, document_id)
        await self._audit(
            actor,
            "kyc.document_read",
            application_id,
            reason=reason,
            object_type="kyc_document",
            object_id=str(doc.id),
            details={"application_id": str(application_id), "kind": doc.kind},
        )
        return doc, await _read(doc)

    async def case_document_url(
        self, actor: Actor, application_id: uuid.UUID, document_id: uuid.UUID, *, reason: str
    ) -> schemas.DocumentUrl:
        await self._load(application_id)
        doc = await self._document(application_id, document_id)
        await self._audit(
            actor,
            "kyc.document_url_issued",
            application_id,
            reason=reason,
            object_type="kyc_document",
            object_id=str(doc.id),
            details={"application_id": str(application_id), "kind": doc.kind},
        )
        extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[doc.content_type]
        url = await storage.presigned_url(doc.storage_key, f"{doc.kind}.{extension}")
        return schemas.DocumentUrl(url=url, expires_in_seconds=get_settings().presign_ttl_seconds if url else None)

    # ------------------------------------------------------------------ compliance: actions

    async def assign(self, actor: Actor, application_id: uuid.UUID) -> KycApplication:
        app = await self._load(application_id, lock=True)
        if app.status not in DECIDABLE_STATUSES:
            raise Conflict(f"A case in status {app.status} cannot be assigned")
        app.assigned_to = actor.user_id
        self._history(app, actor, "assigned", app.status)
        await self._audit(actor, "kyc.assigned", app.id)
        return app

    async def decide(self, actor: Actor, application_id: uuid.UUID, data: schemas.DecisionRequest) -> KycApplication:
        app = await self._load(application_id, lock=True)
        if app.status not in DECIDABLE_STATUSES:
            raise Conflict(f"The case is {app.status}: no decision can be made on it")
        reason = (data.reason or "").strip() or None
        if data.decision in ("reject", "request_info") and not reason:
            raise BadRequest.field("reason", "is required to reject or request information")
        before = app.status
        if data.decision == "approve":
            await self._approve(actor, app, data.risk_level, reason)
        elif data.decision == "reject":
            app.status, app.reason, app.risk_level = "rejected", reason, data.risk_level
            app.decided_by, app.decided_at, app.closed_at = actor.user_id, utcnow(), utcnow()
            await outbound.notify_user(
                self.session, "kyc.rejected", app.user_id, {"reason": reason}, event_id=f"kyc.rejected:{app.id}"
            )
        else:
            app.status, app.reason, app.risk_level = "info_requested", reason, data.risk_level
            app.first_approver_id = None
            await outbound.notify_user(
                self.session,
                "kyc.info_requested",
                app.user_id,
                {"reason": reason},
                event_id=f"kyc.info_requested:{app.id}:{utcnow().isoformat()}",
            )
        self._history(app, actor, data.decision, before, reason)
        await self._audit(
            actor,
            "kyc.decision",
            app.id,
            reason=reason,
            details={"decision": data.decision, "risk_level": data.risk_level, "from": before, "to": app.status},
        )
        await outbound.publish_user(
            app.user_id, {"type": "kyc.decided", "application_id": str(app.id), "status": app.status}
        )
        return app

    async def _approve(self, actor: Actor, app: KycApplication, risk_level: str, reason: str | None) -> None:
        open_strong = await self.session.scalar(
            select(func.count())
            .select_from(ScreeningHit)
            .where(
                ScreeningHit.application_id == app.id,
                ScreeningHit.strength == "strong",
                ScreeningHit.cleared_at.is_(None),
            )
        )
        if open_strong:
            raise RuleViolation(
                "A strong sanctions/PEP screening hit must be cleared before approval",
                errors=[{"field": "screening", "message": "uncleared strong hit"}],
            )
        if app.status == "pending_second_approval":
            if app.first_approver_id == actor.user_id:
                raise Forbidden("A high-risk approval needs a second, different compliance officer")
            if RISK_ORDER[risk_level] > RISK_ORDER[app.risk_level or "low"]:
                app.risk_level = risk_level
        else:
            app.risk_level = risk_level
            if risk_level == "high":
                app.status = "pending_second_approval"
                app.first_approver_id = actor.user_id
                first = await accounts.account(self.session, actor.user_id) if actor.user_id else None
                await outbound.notify_officers(
                    self.session,
                    "staff.second_approval_pending",
                    {"case_url": case_url(app.id), "first_officer": first.full_name if first else "a colleague"},
                    event_id=f"staff.second_approval_pending:{app.id}:{utcnow().isoformat()}",
                    exclude=actor.user_id,
                )
                return
        now = utcnow()
        app.status = "approved"
        app.reason = reason
        app.decided_by, app.decided_at, app.approved_at = actor.user_id, now, now
        app.expires_at = now + dt.timedelta(days=get_settings().kyc_approval_valid_days)
        app.expiry_notified_at = None
        wallets = await accounts.wallet_addresses(self.session, app.user_id)
        if wallets:
            await registry.register(self.session, app, wallets, expiry_ts=int(app.expires_at.timestamp()))
        await outbound.notify_user(
            self.session,
            "kyc.approved",
            app.user_id,
            {"valid_until": app.expires_at.isoformat()},
            event_id=f"kyc.approved:{app.id}",
        )

    async def revoke(self, actor: Actor, application_id: uuid.UUID, reason: str) -> KycApplication:
        app = await self._load(application_id, lock=True)
        if app.status != "approved":
            raise Conflict(f"Only an approved application can be revoked (this one is {app.status})")
        app.status, app.reason, app.closed_at = "revoked", reason, utcnow()
        await registry.remove_all(self.session, app, why="revoked")
        self._history(app, actor, "revoked", "approved", reason)
        await self._audit(actor, "kyc.revoked", app.id, reason=reason)
        await outbound.notify_user(
            self.session, "kyc.rejected", app.user_id, {"reason": reason}, event_id=f"kyc.revoked:{app.id}"
        )
        await outbound.publish_user(
            app.user_id, {"type": "kyc.decided", "application_id": str(app.id), "status": app.status}
        )
        return app

    # ------------------------------------------------------------------ wallets and the registry

    async def on_wallet_linked(self, user_id: uuid.UUID, address: str) -> bool:
        """Register a wallet linked after approval. Returns whether a registry write was queued."""
        app = await self.session.scalar(
            select(KycApplication)
            .where(KycApplication.user_id == user_id, KycApplication.status == "approved")
            .with_for_update()
        )
        if app is None or app.expires_at is None or app.expires_at <= utcnow():
            return False
        await registry.register(self.session, app, [address], expiry_ts=int(app.expires_at.timestamp()))
        return True

    async def on_identity_registered(self, address: str, *, reverted: bool = False) -> None:
        """The registry emitted IdentityRegistered (or a reorg undid an IdentityRemoved)."""
        await accounts.set_registered(self.session, address, True, utcnow())
        before = ("register_requested",) if not reverted else ("removed",)
        for entry in await self.session.scalars(
            select(RegistryEntry).where(RegistryEntry.address == address, RegistryEntry.state.in_(before))
        ):
            entry.state = "registered" if not reverted else "remove_requested"

    async def on_identity_removed(self, address: str, *, reverted: bool = False) -> None:
        """The registry emitted IdentityRemoved (or a reorg undid an IdentityRegistered)."""
        await accounts.set_registered(self.session, address, False, None)
        before = ("remove_requested",) if not reverted else ("registered",)
        for entry in await self.session.scalars(
            select(RegistryEntry).where(RegistryEntry.address == address, RegistryEntry.state.in_(before))
        ):
            entry.state = "removed" if not reverted else "register_requested"

    # ------------------------------------------------------------------ expiry (daily job)

    async def run_expiry(self, now: dt.datetime | None = None) -> dict[str, int]:
        now = now or utcnow()
        expired = 0
        due = await self.session.scalars(
            select(KycApplication)
            .where(KycApplication.status == "approved", KycApplication.expires_at <= now)
            .with_for_update(skip_locked=True)
        )
        for app in list(due):
            app.status, app.closed_at = "expired", now
            await registry.remove_all(self.session, app, why="expired")
            self._history(app, None, "expired", "approved")
            await self._audit(SYSTEM, "kyc.expired", app.id)
            await outbound.notify_user(
                self.session,
                "kyc.expired",
                app.user_id,
                {"expired_at": (app.expires_at or now).isoformat()},
                event_id=f"kyc.expired:{app.id}",
            )
            expired += 1
        warned = 0
        soon = await self.session.scalars(
            select(KycApplication)
            .where(
                KycApplication.status == "approved",
                KycApplication.expires_at <= now + EXPIRY_NOTICE,
                KycApplication.expiry_notified_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
        for app in list(soon):
            app.expiry_notified_at = now
            await outbound.notify_user(
                self.session,
                "kyc.expiring",
                app.user_id,
                {"expires_at": (app.expires_at or now).isoformat()},
                event_id=f"kyc.expiring:{app.id}:{(app.expires_at or now).isoformat()}",
            )
            warned += 1
        return {"expired": expired, "warned": warned}

    # ------------------------------------------------------------------ provider webhooks

    async def receive_webhook(self, provider_name: str, raw: bytes, headers: dict[str, str]) -> tuple[bool, str]:
        """Verify and store one delivery. Returns (duplicate, dedupe_key). Bad signature: 401."""
        provider = provider_base.get_provider(provider_name, for_webhook=True)
        if provider is None:
            raise NotFound("Unknown KYC provider")
        digest, alg = provider.verify(raw, headers)  # raises Unauthorized
        payload = provider.parse_webhook(raw)
        existing = await self.session.scalar(
            select(KycWebhookDelivery.id).where(
                KycWebhookDelivery.provider == provider.name, KycWebhookDelivery.dedupe_key == payload.dedupe_key
            )
        )
        if existing is not None:
            return True, payload.dedupe_key
        delivery = KycWebhookDelivery(
            provider=provider.name,
            dedupe_key=payload.dedupe_key,
            digest=digest,
            digest_alg=alg,
            event_type=payload.event_type,
            applicant_id=payload.applicant_id,
            external_user_id=payload.external_user_id,
            provider_created_at=payload.created_at,
            raw_body=raw.decode("utf-8"),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(delivery)
                await self.session.flush()
        except IntegrityError:
            return True, payload.dedupe_key  # a concurrent identical delivery won the insert
        return False, payload.dedupe_key

    async def apply_pending_webhooks(self, batch: int = 100) -> int:
        """Apply stored deliveries in provider-time order; an older event never overrides a newer one."""
        deliveries = list(
            await self.session.scalars(
                select(KycWebhookDelivery)
                .where(KycWebhookDelivery.applied_at.is_(None))
                .order_by(KycWebhookDelivery.provider_created_at, KycWebhookDelivery.created_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        for delivery in deliveries:
            delivery.outcome = await self._apply_delivery(delivery)
            delivery.applied_at = utcnow()
        return len(deliveries)

    async def _apply_delivery(self, delivery: KycWebhookDelivery) -> str:
        provider = provider_base.get_provider(delivery.provider, for_webhook=True)
        assert provider is not None
        payload = provider.parse_webhook(delivery.raw_body.encode())
        conditions = []
        if payload.applicant_id:
            conditions.append(KycApplication.provider_applicant_id == payload.applicant_id)
        app = None
        if conditions:
            app = await self.session.scalar(select(KycApplication).where(*conditions).with_for_update())
        if app is None and payload.external_user_id:
            try:
                app = await self.session.scalar(
                    select(KycApplication)
                    .where(KycApplication.id == uuid.UUID(payload.external_user_id))
                    .with_for_update()
                )
            except ValueError:
                app = None
        if app is None:
            return "unknown_applicant"
        if payload.event_type != "applicantReviewed" or payload.review_answer is None:
            return "ignored"
        if app.provider_reviewed_at is not None and payload.created_at <= app.provider_reviewed_at:
            return "stale"
        app.provider_reviewed_at = payload.created_at
        app.provider_review_answer = payload.review_answer
        before = app.status
        reason = payload.comment
        if payload.review_answer == "GREEN":
            if app.status == "submitted":
                app.status = "in_review"
        elif payload.reject_type == "RETRY":
            if app.status in ("submitted", "in_review"):
                app.status = "info_requested"
                app.reason = reason or "The identity check asks for new documents"
                await outbound.notify_user(
                    self.session,
                    "kyc.info_requested",
                    app.user_id,
                    {"reason": app.reason},
                    event_id=f"kyc.info_requested:{app.id}:{delivery.dedupe_key}",
                )
        elif app.status in ("submitted", "in_review", "info_requested"):
            app.status = "rejected"
            app.reason = reason or "The identity check failed"
            app.decided_at = app.closed_at = utcnow()
            await outbound.notify_user(
                self.session, "kyc.rejected", app.user_id, {"reason": app.reason}, event_id=f"kyc.rejected:{app.id}"
            )
        self._history(app, None, f"provider_{payload.review_answer.lower()}", before, reason)
        await self._audit(
            SYSTEM,
            "kyc.provider_review",
            app.id,
            reason=reason,
            details={
                "provider": delivery.provider,
                "answer": payload.review_answer,
                "reject_type": payload.reject_type,
                "delivery": delivery.dedupe_key,
                "from": before,
                "to": app.status,
            },
        )
        return "applied"

    # ------------------------------------------------------------------ limits and status

    async def limits(self, user_id: uuid.UUID) -> schemas.Limits:
        settings = get_settings()
        rules = limits.load_rules(settings.jurisdiction)
        newest = await self.newest(user_id)
        approved = await self.session.scalar(
            select(KycApplication)
            .where(KycApplication.user_id == user_id, KycApplication.status == "approved")
            .order_by(KycApplication.approved_at.desc())
            .limit(1)
        )
        status = newest.status if newest else "none"
        if approved is None:
            return schemas.Limits(
                jurisdiction=rules.jurisdiction,
                currency=rules.currency,
                kyc_status=status,
                investor_type=newest.investor_type if newest else None,
                unlimited=False,
                exempt_reason=None,
                yearly_limit="0",
                used="0",
                remaining="0",
            )
        today = utcnow().date()
        reason = limits.exemption(
            investor_type=approved.investor_type,
            securities_account_since=approved.securities_account_since,
            today=today,
            jurisdiction=approved.jurisdiction,
        )
        limit = limits.yearly_limit(
            annual_income_idr=int(approved.annual_income_idr),
            investor_type=approved.investor_type,
            securities_account_since=approved.securities_account_since,
            today=today,
            jurisdiction=approved.jurisdiction,
        )
        used = await limits.used_last_12_months(self.session, user_id)
        return schemas.Limits(
            jurisdiction=rules.jurisdiction,
            currency=rules.currency,
            kyc_status=status,
            investor_type=approved.investor_type,
            unlimited=limit is None,
            exempt_reason=reason,
            yearly_limit=None if limit is None else str(limit),
            used=str(used),
            remaining=None if limit is None else str(max(limit - used, 0)),
        )


# ---------------------------------------------------------------------- module-level API


async def status_for_user(session: AsyncSession, user_id: uuid.UUID) -> str:
    """The investor's KYC status for /me: the newest application's status, or "none"."""
    app = await KycService(session).newest(user_id)
    return app.status if app else "none"


async def is_approved(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """True while the investor holds an unexpired approval (the investing domain's check)."""
    expires = await session.scalar(
        select(KycApplication.expires_at).where(KycApplication.user_id == user_id, KycApplication.status == "approved")
    )
    return expires is not None and expires > utcnow()


async def on_wallet_linked(session: AsyncSession, user_id: uuid.UUID, address: str) -> bool:
    """Called by the wallet-link service in its transaction: registers the wallet if approved."""
    return await KycService(session).on_wallet_linked(user_id, address)


async def limits_for_user(session: AsyncSession, user_id: uuid.UUID) -> schemas.Limits:
    return await KycService(session).limits(user_id)


def _document_out(d: KycDocument) -> schemas.Document:
    return schemas.Document(
        id=d.id, kind=d.kind, sha256=d.sha256, size=d.size, content_type=d.content_type, uploaded_at=d.created_at
    )


def _hit_out(h: ScreeningHit) -> schemas.ScreeningHitView:
    return schemas.ScreeningHitView(
        id=h.id,
        entry_id=h.entry_id,
        dataset=h.dataset,
        listed_name=h.listed_name,
        listed_birth_date=h.listed_birth_date,
        topics=h.topics,
        score=h.score,
        birth_date_match=h.birth_date_match,
        strength=h.strength,
        blocking=h.strength == "strong" and h.cleared_at is None,
        cleared_by=h.cleared_by,
        cleared_at=h.cleared_at,
        clear_reason=h.clear_reason,
    )


async def _read(doc: KycDocument) -> bytes:
    try:
        return await storage.get(doc.storage_key)
    except storage.ObjectNotFoundError as exc:
        raise NotFound("The document file is missing from storage") from exc


__all__ = [
    "SYSTEM",
    "Actor",
    "KycService",
    "is_approved",
    "limits_for_user",
    "on_wallet_linked",
    "status_for_user",
]
