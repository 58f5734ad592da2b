"""The application factory: the one place that sees every domain and wires them together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from partisipro import __doc__ as package_doc
from partisipro import readcache, realtime
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
    from kyc.controllers import ComplianceController, KycController, KycWebhookController, LimitsController
    from notifications.controllers import ROUTE_HANDLERS as notification_handlers
    from partisipro.audit.controllers import AuditController
    from partisipro.auth.controllers import AdminUserController, AuthController, MeController
    from partisipro.chain.controllers import ROUTE_HANDLERS as chain_handlers
    from partisipro.governance.controllers import ROUTE_HANDLERS as governance_handlers
    from partisipro.offerings.controllers import ROUTE_HANDLERS as investing_handlers
    from partisipro.projects.controllers import ROUTE_HANDLERS as project_handlers
    from partisipro.realtime.controllers import ROUTE_HANDLERS as realtime_handlers
    from partisipro.treasury.controllers import ROUTE_HANDLERS as treasury_handlers

    kyc_handlers = [KycController, KycWebhookController, ComplianceController, LimitsController]
    account_handlers = [AuthController, MeController, AdminUserController, AuditController]
    return [
        *account_handlers,
        *kyc_handlers,
        *notification_handlers,
        *project_handlers,
        *investing_handlers,
        *chain_handlers,
        *realtime_handlers,
        *treasury_handlers,
        *governance_handlers,
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check_production()
    configure_logging(settings.log_level, settings.log_json)
    readcache.clear_all()  # one app per process; tests build one per case

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(dispose_engines)
            stack.push_async_callback(close_redis)
            if settings.uses_embedded:
                # The embedded profile is one process: migrate, start the local chain (anvil, the
                # platform's contracts, the indexer), then run the workers beside the API.
                from partisipro.chain.dev import start_dev_chain
                from partisipro.jobs import run_worker
                from partisipro.migrate import upgrade_database

                await upgrade_database()
                await stack.enter_async_context(start_dev_chain(settings))
                stop = asyncio.Event()
                worker = asyncio.create_task(run_worker(stop))

                async def stop_worker() -> None:
                    stop.set()
                    await worker

                stack.push_async_callback(stop_worker)
            yield

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
        plugins=[SQLAlchemyPlugin(config=db_config(settings)), realtime.plugin(settings)],
        middleware=[request_id_middleware, metrics_middleware, auth_middleware],
        exception_handlers=exception_handlers,
        openapi_config=openapi,
        lifespan=[lifespan],
        request_max_body_size=MAX_BODY_BYTES,
        cors_config=CORSConfig(allow_origins=settings.cors_origins) if settings.cors_origins else None,
        debug=False,
    )
