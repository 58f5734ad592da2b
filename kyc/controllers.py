"""KYC (investor side), provider webhooks, compliance review and investor limits: thin handlers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Body, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from partisipro import jobs
from partisipro.errors import NotFound
from partisipro.idempotency import idempotent
from partisipro.security import Principal, client_ip, provide_principal, requires_role
from sqlalchemy.ext.asyncio import AsyncSession

from kyc import schemas
from kyc.models import KycApplication, KycDocument
from kyc.services import Actor, KycService

COMPLIANCE = requires_role("compliance")
INVESTOR = requires_role("investor")
DEFAULT_READ_REASON = "compliance review"


async def provide_kyc(db_session: AsyncSession) -> KycService:
    return KycService(session=db_session)


def actor_of(request: Request[Any, Any, Any], principal: Principal | None) -> Actor:
    state = request.scope.get("state", {})
    return Actor(
        principal=principal,
        ip=client_ip(request),
        request_id=state.get("request_id") if isinstance(state, dict) else None,
    )


def status_view(app: KycApplication) -> schemas.StatusView:
    return schemas.StatusView(
        id=app.id, status=app.status, risk_level=app.risk_level, assigned_to=app.assigned_to, expires_at=app.expires_at
    )


def document_out(doc: KycDocument) -> schemas.Document:
    return schemas.Document(
        id=doc.id,
        kind=doc.kind,
        sha256=doc.sha256,
        size=doc.size,
        content_type=doc.content_type,
        uploaded_at=doc.created_at,
    )


def file_response(doc: KycDocument, data: bytes) -> Response[bytes]:
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[doc.content_type]
    return Response(
        data,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{doc.kind}.{extension}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@dataclass
class WebhookOperation(Operation):
    """OpenAPI for the webhook: the body is read raw (the signature covers the exact bytes)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        description="Provider event, e.g. applicantReviewed (applicantId, externalUserId, type, "
                        "reviewResult {reviewAnswer, reviewRejectType, moderationComment}, createdAtMs, "
                        "correlationId)",
                    )
                )
            },
            required=True,
            description="Signed with X-Payload-Digest (hex HMAC of the raw body) and X-Payload-Digest-Alg",
        )


_DEPS = {"kyc": Provide(provide_kyc), "principal": Provide(provide_principal)}


class KycController(Controller):
    path = "/kyc/applications"
    tags = ["kyc"]
    dependencies = _DEPS
    guards = [INVESTOR]

    @post("/", status_code=HTTP_201_CREATED, summary="Start a KYC application (draft)")
    async def create(
        self,
        data: schemas.ApplicationCreate,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.ApplicationCreated:
        app = await kyc.create(actor_of(request, principal), data)
        return schemas.ApplicationCreated(id=app.id, status=app.status)

    @get("/me", summary="The caller's newest application, with status, reasons and document list")
    async def mine(self, kyc: KycService, principal: Principal) -> schemas.Application:
        app = await kyc.newest(principal.user_id)
        if app is None:
            raise NotFound("No KYC application yet")
        return await kyc.investor_view(app)

    @get("/{application_id:uuid}", summary="One of the caller's applications")
    async def one(self, application_id: uuid.UUID, kyc: KycService, principal: Principal) -> schemas.Application:
        return await kyc.investor_view(await kyc.own(principal.user_id, application_id))

    @patch("/{application_id:uuid}", summary="Change a draft, or answer a request for information")
    async def update(
        self,
        application_id: uuid.UUID,
        data: schemas.ApplicationUpdate,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.Application:
        app = await kyc.update(actor_of(request, principal), application_id, data)
        return await kyc.investor_view(app)

    @post(
        "/{application_id:uuid}/documents",
        status_code=HTTP_201_CREATED,
        summary="Upload a document (PDF, JPEG or PNG, at most 10 MB)",
    )
    async def upload(
        self,
        application_id: uuid.UUID,
        data: Annotated[schemas.DocumentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.Document:
        content = await data.file.read()
        doc = await kyc.add_document(actor_of(request, principal), application_id, kind=data.kind, data=content)
        return document_out(doc)

    @get("/{application_id:uuid}/documents/{document_id:uuid}", summary="Download one of the caller's documents")
    async def download(
        self, application_id: uuid.UUID, document_id: uuid.UUID, kyc: KycService, principal: Principal
    ) -> Response[bytes]:
        doc, content = await kyc.own_document(principal.user_id, application_id, document_id)
        return file_response(doc, content)

    @post("/{application_id:uuid}/submit", status_code=HTTP_200_OK, summary="Submit for review")
    async def submit(
        self,
        application_id: uuid.UUID,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.StatusView:
        return status_view(await kyc.submit(actor_of(request, principal), application_id))


class KycWebhookController(Controller):
    path = "/kyc/webhooks"
    tags = ["kyc"]
    security = [{}]

    @post(
        "/{provider:str}",
        status_code=HTTP_200_OK,
        summary="Provider webhook (HMAC-signed body: X-Payload-Digest, X-Payload-Digest-Alg)",
        dependencies={"kyc": Provide(provide_kyc)},
        operation_class=WebhookOperation,
    )
    async def receive(
        self,
        provider: Annotated[str, Parameter(max_length=32)],
        request: Request[Any, Any, Any],
        kyc: KycService,
        db_session: AsyncSession,
    ) -> schemas.WebhookAck:
        raw = await request.body()  # the exact bytes: the signature covers them
        headers = {k.lower(): v for k, v in request.headers.items()}
        duplicate, _key = await kyc.receive_webhook(provider, raw, headers)
        # The delivery is durable before the job that applies it can look for it.
        await db_session.commit()
        if not duplicate:
            await jobs.enqueue("kyc_apply_webhooks", key="kyc_apply_webhooks")
        return schemas.WebhookAck(ok=True, duplicate=duplicate)


class ComplianceController(Controller):
    path = "/compliance"
    tags = ["compliance"]
    dependencies = _DEPS
    guards = [COMPLIANCE]

    @get("/kyc", summary="The KYC queue, oldest first")
    async def queue(
        self,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
        status: Annotated[
            str | None,
            Parameter(
                max_length=32,
                description="one status; default submitted, in_review and pending_second_approval",
            ),
        ] = None,
        assigned_to: Annotated[
            str | None, Parameter(max_length=36, description="me, unassigned or an officer id")
        ] = None,
        risk_level: Annotated[str | None, Parameter(max_length=16)] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> schemas.CasePage:
        return await kyc.queue(
            actor_of(request, principal),
            status=status,
            assigned_to=assigned_to,
            risk_level=risk_level,
            limit=limit,
            offset=offset,
        )

    @get("/kyc/{application_id:uuid}", summary="The full application, decrypted (audit-logged)")
    async def case(
        self,
        application_id: uuid.UUID,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
        reason: Annotated[str, Parameter(min_length=1, max_length=500, description="why it is read")] = (
            DEFAULT_READ_REASON
        ),
    ) -> schemas.CaseDetail:
        return await kyc.case_detail(actor_of(request, principal), application_id, reason=reason)

    @get("/kyc/{application_id:uuid}/documents/{document_id:uuid}", summary="A document's file (audit-logged)")
    async def document(
        self,
        application_id: uuid.UUID,
        document_id: uuid.UUID,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
        reason: Annotated[str, Parameter(min_length=1, max_length=500)] = DEFAULT_READ_REASON,
    ) -> Response[bytes]:
        doc, content = await kyc.case_document(actor_of(request, principal), application_id, document_id, reason=reason)
        return file_response(doc, content)

    @get(
        "/kyc/{application_id:uuid}/documents/{document_id:uuid}/url",
        summary="A short-lived presigned URL to a document (null on the local backend; audit-logged)",
    )
    async def document_url(
        self,
        application_id: uuid.UUID,
        document_id: uuid.UUID,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
        reason: Annotated[str, Parameter(min_length=1, max_length=500)] = DEFAULT_READ_REASON,
    ) -> schemas.DocumentUrl:
        return await kyc.case_document_url(actor_of(request, principal), application_id, document_id, reason=reason)

    @post("/kyc/{application_id:uuid}/assign", status_code=HTTP_200_OK, summary="Assign the case to the caller")
    async def assign(
        self, application_id: uuid.UUID, kyc: KycService, principal: Principal, request: Request[Any, Any, Any]
    ) -> schemas.StatusView:
        return status_view(await kyc.assign(actor_of(request, principal), application_id))

    @post("/kyc/{application_id:uuid}/decision", status_code=HTTP_200_OK, summary="Approve, reject or ask for more")
    async def decide(
        self,
        application_id: uuid.UUID,
        data: schemas.DecisionRequest,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
    ) -> schemas.StatusView:
        async def produce() -> schemas.StatusView:
            return status_view(await kyc.decide(actor_of(request, principal), application_id, data))

        return await idempotent(
            db_session,
            request,
            scope=f"kyc:{application_id}:decision",
            owner_id=principal.user_id,
            payload=data,
            response_type=schemas.StatusView,
            produce=produce,
            status_code=HTTP_200_OK,
        )

    @post("/kyc/{application_id:uuid}/revoke", status_code=HTTP_200_OK, summary="Revoke an approval")
    async def revoke(
        self,
        application_id: uuid.UUID,
        data: schemas.RevokeRequest,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
    ) -> schemas.StatusView:
        async def produce() -> schemas.StatusView:
            return status_view(await kyc.revoke(actor_of(request, principal), application_id, data.reason))

        return await idempotent(
            db_session,
            request,
            scope=f"kyc:{application_id}:revoke",
            owner_id=principal.user_id,
            payload=data,
            response_type=schemas.StatusView,
            produce=produce,
            status_code=HTTP_200_OK,
        )

    @get("/screening/{application_id:uuid}", summary="Sanctions / PEP screening hits of an application")
    async def screening(self, application_id: uuid.UUID, kyc: KycService) -> schemas.Screening:
        return await kyc.screening_result(application_id)

    @post(
        "/screening/{application_id:uuid}/hits/{hit_id:uuid}/clear",
        status_code=HTTP_200_OK,
        summary="Clear a screening hit as a false positive, with the reason",
    )
    async def clear_hit(
        self,
        application_id: uuid.UUID,
        hit_id: uuid.UUID,
        data: schemas.ClearHitRequest,
        kyc: KycService,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> schemas.Screening:
        return await kyc.clear_hit(actor_of(request, principal), application_id, hit_id, data.reason)


class LimitsController(Controller):
    path = "/me/limits"
    tags = ["kyc"]
    dependencies = _DEPS
    guards = [INVESTOR]

    @get("/", summary="Yearly investment limit, used and remaining (integer rupiah as strings)")
    async def limits(self, kyc: KycService, principal: Principal) -> schemas.Limits:
        return await kyc.limits(principal.user_id)
