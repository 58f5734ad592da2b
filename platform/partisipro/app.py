"""The application factory: the one place that sees every domain and wires them together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from partisipro import __doc__ as package_doc
from partisipro.db import db_config, dispose_engines
from partisipro.errors import exception_handlers
from partisipro.health import HealthController
from partisipro.logging import configure_logging, request_id_middleware
from partisipro.metrics import metrics_endpoint, metrics_middleware
from partisipro.redis import close_redis
from partisipro.security import auth_middleware
from partisipro.settings import Settings, get_settings

API_PREFIX = "/api/v1"
# Uploads are at most 10 MB (checked by the services, answered 413); leave room for multipart framing.
MAX_BODY_BYTES = 11 * 1024 * 1024


def api_route_handlers() -> list[Any]:
    """Every domain's controllers, mounted under /api/v1."""
    from partisipro.audit.controllers import AuditController
    from partisipro.auth.controllers import AdminUserController, AuthController, MeController

    return [AuthController, MeController, AdminUserController, AuditController]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check_production()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        background: asyncio.Task[None] | None = None
        if settings.uses_embedded:
            # The embedded profile is one process: migrate, then run the workers beside the API.
            from partisipro.jobs import run_worker
            from partisipro.migrate import upgrade_database

            await upgrade_database()
            background = asyncio.create_task(run_worker(stop))
        try:
            yield
        finally:
            stop.set()
            if background is not None:
                await background
            await close_redis()
            await dispose_engines()

    openapi = OpenAPIConfig(
        title="Partisipro API",
        version="1.0.0",
        description=(package_doc or "").strip(),
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
        security=[{"bearer": []}],
    )
    api = Router(path=API_PREFIX, route_handlers=api_route_handlers())
    return Litestar(
        route_handlers=[HealthController, metrics_endpoint, api],
        plugins=[SQLAlchemyPlugin(config=db_config(settings))],
        middleware=[request_id_middleware, metrics_middleware, auth_middleware],
        exception_handlers=exception_handlers,
        openapi_config=openapi,
        lifespan=[lifespan],
        request_max_body_size=MAX_BODY_BYTES,
        cors_config=CORSConfig(allow_origins=settings.cors_origins) if settings.cors_origins else None,
        debug=False,
    )
