"""Organisation and project endpoints (thin: each handler calls one service method)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.db import open_session
from partisipro.projects import schemas
from partisipro.projects.services import OrganizationService, ProjectService, Upload
from partisipro.readcache import read_cache
from partisipro.security import Principal, current_principal, requires_role

Limit = Annotated[int, Parameter(ge=1, le=100, description="page size (at most 100)")]
Offset = Annotated[int, Parameter(ge=0)]


async def provide_organizations(db_session: AsyncSession) -> OrganizationService:
    return OrganizationService(session=db_session)


async def provide_projects(db_session: AsyncSession) -> ProjectService:
    return ProjectService(session=db_session)


# The public catalogue is the same for every caller: a page is kept for a second per query
# (per process), computed once at a time and served stale while it refreshes, so a burst of
# visitors costs one query a second and nobody waits on it (see partisipro.readcache).
CATALOGUE = read_cache(ttl=1.0)


async def _published_page(status: str | None, sector: str | None, limit: int, offset: int) -> schemas.ProjectPage:
    async with open_session(commit=False) as session:
        service = ProjectService(session=session)
        return await service.list_published(status=status, sector=sector, limit=limit, offset=offset)


def _optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    return request.scope.get("user")


@dataclass
class DocumentForm:
    file: UploadFile
    kind: str


async def _upload(form: DocumentForm) -> Upload:
    data = await form.file.read()
    return Upload(kind=form.kind, filename=form.file.filename or "document", data=data)


class OrganizationController(Controller):
    path = "/organizations"
    tags = ["organisations"]
    guards = [requires_role("spv")]
    dependencies = {"organizations": Provide(provide_organizations)}

    @post("/", status_code=201, summary="Register the SPV's company (KYB); it awaits admin review")
    async def register(
        self, request: Request[Any, Any, Any], organizations: OrganizationService, data: schemas.OrganizationCreate
    ) -> schemas.Organization:
        org = await organizations.register(current_principal(request), data)
        return await organizations.to_schema(org)

    @get("/mine", summary="The caller's organisations")
    async def mine(
        self, request: Request[Any, Any, Any], organizations: OrganizationService
    ) -> list[schemas.Organization]:
        return [await organizations.to_schema(o) for o in await organizations.mine(current_principal(request))]

    @get("/{org_id:uuid}", summary="One of the caller's organisations")
    async def one(
        self, request: Request[Any, Any, Any], organizations: OrganizationService, org_id: uuid.UUID
    ) -> schemas.Organization:
        return await organizations.to_schema(await organizations.visible(current_principal(request), org_id))

    @post("/{org_id:uuid}/documents", status_code=201, summary="Upload a company document (PDF/JPEG/PNG, 10 MB)")
    async def add_document(
        self,
        request: Request[Any, Any, Any],
        organizations: OrganizationService,
        org_id: uuid.UUID,
        data: Annotated[DocumentForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> schemas.Document:
        from partisipro.projects.services import document_schema

        doc = await organizations.add_document(current_principal(request), org_id, await _upload(data))
        return document_schema(doc)


class AdminOrganizationController(Controller):
    path = "/admin/organizations"
    tags = ["admin"]
    guards = [requires_role("admin")]
    dependencies = {"organizations": Provide(provide_organizations)}

    @get("/", summary="Organisations, oldest first, `?status=pending_review`")
    async def list_all(
        self, organizations: OrganizationService, status: str | None = None, limit: Limit = 20, offset: Offset = 0
    ) -> schemas.OrganizationPage:
        rows, total = await organizations.admin_list(status, limit, offset)
        items = [await organizations.to_schema(o) for o in rows]
        return schemas.OrganizationPage(items=items, total=total, limit=limit, offset=offset)

    @post("/{org_id:uuid}/approve", status_code=200, summary="Approve a pending organisation")
    async def approve(
        self, request: Request[Any, Any, Any], organizations: OrganizationService, org_id: uuid.UUID
    ) -> schemas.Organization:
        org = await organizations.decide(current_principal(request), org_id, approve=True)
        return await organizations.to_schema(org)

    @post("/{org_id:uuid}/reject", status_code=200, summary="Reject a pending organisation with a reason")
    async def reject(
        self,
        request: Request[Any, Any, Any],
        organizations: OrganizationService,
        org_id: uuid.UUID,
        data: schemas.RejectRequest,
    ) -> schemas.Organization:
        org = await organizations.decide(current_principal(request), org_id, approve=False, reason=data.reason)
        return await organizations.to_schema(org)


class ProjectController(Controller):
    path = "/projects"
    tags = ["projects"]
    dependencies = {"projects": Provide(provide_projects)}

    @get("/", summary="Published projects, `?status=&sector=` (at most a second old)", security=[{}])
    async def list_published(
        self,
        status: str | None = None,
        sector: str | None = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> schemas.ProjectPage:
        key = (status, sector, limit, offset)
        return await CATALOGUE.get(key, lambda: _published_page(status, sector, limit, offset))

    @get("/mine", summary="The SPV's own projects, every status", guards=[requires_role("spv")])
    async def mine(
        self, request: Request[Any, Any, Any], projects: ProjectService, limit: Limit = 20, offset: Offset = 0
    ) -> schemas.ProjectPage:
        return await projects.list_mine(current_principal(request), limit, offset)

    @post(
        "/", status_code=201, summary="Draft a project (SPV of an approved organisation)", guards=[requires_role("spv")]
    )
    async def create(
        self, request: Request[Any, Any, Any], projects: ProjectService, data: schemas.ProjectCreate
    ) -> schemas.Project:
        project = await projects.create(current_principal(request), data)
        return await projects.to_schema(project)

    @get("/{project_id:uuid}", summary="A project: anyone once published, else its owner and staff")
    async def one(
        self, request: Request[Any, Any, Any], projects: ProjectService, project_id: uuid.UUID
    ) -> schemas.Project:
        project = await projects.visible(_optional_principal(request), project_id)
        return await projects.to_schema(project)

    @patch("/{project_id:uuid}", summary="Change a draft", guards=[requires_role("spv")])
    async def update(
        self,
        request: Request[Any, Any, Any],
        projects: ProjectService,
        project_id: uuid.UUID,
        data: schemas.ProjectUpdate,
    ) -> schemas.Project:
        project = await projects.update_draft(current_principal(request), project_id, data)
        return await projects.to_schema(project)

    @post("/{project_id:uuid}/documents", status_code=201, summary="Upload a document", guards=[requires_role("spv")])
    async def add_document(
        self,
        request: Request[Any, Any, Any],
        projects: ProjectService,
        project_id: uuid.UUID,
        data: Annotated[DocumentForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> schemas.Document:
        from partisipro.projects.services import document_schema

        doc = await projects.add_document(current_principal(request), project_id, await _upload(data))
        return document_schema(doc)

    @get(
        "/{project_id:uuid}/documents/{doc_id:uuid}",
        summary="The file, or a redirect to a short-lived URL",
        media_type="application/octet-stream",
    )
    async def document(
        self, request: Request[Any, Any, Any], projects: ProjectService, project_id: uuid.UUID, doc_id: uuid.UUID
    ) -> Response[bytes] | Redirect:
        doc, content, url = await projects.document(_optional_principal(request), project_id, doc_id)
        if url is not None:
            return Redirect(url, media_type="text/plain")  # the handler's own type is the file's
        headers = {
            "Content-Disposition": f'attachment; filename="{doc.filename.replace(chr(34), "")}"',
            "X-Content-SHA256": doc.sha256,
        }
        return Response(content or b"", media_type=doc.content_type, headers=headers)

    @post("/{project_id:uuid}/submit", status_code=200, summary="draft -> submitted", guards=[requires_role("spv")])
    async def submit(
        self, request: Request[Any, Any, Any], projects: ProjectService, project_id: uuid.UUID
    ) -> schemas.Project:
        project = await projects.submit(current_principal(request), project_id)
        return await projects.to_schema(project)

    @post(
        "/{project_id:uuid}/offering/finalize",
        status_code=200,
        summary="After the end or at the hard cap: the SPV gets the transaction, an admin has it sent",
        guards=[requires_role("spv", "admin")],
    )
    async def finalize(
        self, request: Request[Any, Any, Any], projects: ProjectService, project_id: uuid.UUID
    ) -> schemas.FinalizeResult:
        return await projects.finalize(current_principal(request), project_id)


class AdminProjectController(Controller):
    path = "/admin/projects"
    tags = ["admin"]
    guards = [requires_role("admin")]
    dependencies = {"projects": Provide(provide_projects)}

    @post(
        "/{project_id:uuid}/approve",
        status_code=200,
        summary="submitted -> approved -> deploying (createProject queued)",
    )
    async def approve(
        self, request: Request[Any, Any, Any], projects: ProjectService, project_id: uuid.UUID
    ) -> schemas.Project:
        project = await projects.approve(current_principal(request), project_id)
        return await projects.to_schema(project)

    @post("/{project_id:uuid}/reject", status_code=200, summary="submitted -> rejected, with a reason")
    async def reject(
        self,
        request: Request[Any, Any, Any],
        projects: ProjectService,
        project_id: uuid.UUID,
        data: schemas.RejectRequest,
    ) -> schemas.Project:
        project = await projects.reject(current_principal(request), project_id, data.reason)
        return await projects.to_schema(project)


ROUTE_HANDLERS = [OrganizationController, AdminOrganizationController, ProjectController, AdminProjectController]
