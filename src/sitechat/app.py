"""create_app(settings): routes, middleware, lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from sitechat import __version__
from sitechat.agents.endpoints import router as agents_router
from sitechat.assets import StaticFiles
from sitechat.audit.endpoints import router as audit_router
from sitechat.audit.middleware import RequestIP
from sitechat.canned.endpoints import router as canned_router
from sitechat.config import Settings, load_settings
from sitechat.context import build_context
from sitechat.conversations import jobs as conversation_jobs
from sitechat.conversations.endpoints import router as conversations_router
from sitechat.http import error_body, get_ctx, install_error_handlers
from sitechat.notifications import jobs as notification_jobs
from sitechat.notifications.endpoints import router as notifications_router
from sitechat.pages import router as pages_router
from sitechat.paths import STATIC_DIR
from sitechat.realtime import endpoints as ws_endpoints
from sitechat.realtime.connection import heartbeats
from sitechat.routing import jobs as routing_jobs
from sitechat.routing.endpoints import router as routing_router
from sitechat.tracking import jobs as tracking_jobs
from sitechat.tracking.endpoints import router as tracking_router
from sitechat.visitors.endpoints import router as visitors_router
from sitechat.websites.endpoints import router as websites_router
from sitechat.widget.endpoints import router as widget_router

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await build_context(settings)
        app.state.ctx = ctx
        beats = asyncio.create_task(heartbeats(ctx), name="heartbeats")
        sweeps = asyncio.create_task(tracking_jobs.run(ctx), name="tracking-jobs")
        routing = asyncio.create_task(routing_jobs.run(ctx), name="routing-jobs")
        notifying = notification_jobs.start(ctx)
        snoozes = asyncio.create_task(conversation_jobs.run(ctx), name="snooze-jobs")
        log.info(
            "sitechat %s ready on %s (database: %s, broker: %s)",
            __version__,
            settings.public_url,
            "sqlite" if settings.is_sqlite else "postgresql",
            "redis" if settings.redis_url else "memory",
        )
        try:
            yield
        finally:
            beats.cancel()
            sweeps.cancel()
            routing.cancel()
            notifying.cancel()
            snoozes.cancel()
            for conn in list(ctx.connections):
                conn.close_soon(1001, "server shutting down")
            await ctx.close()

    app = FastAPI(
        title="sitechat",
        version=__version__,
        description='Live chat for websites. Errors are `{"error": code, "detail": …}`.',
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(agents_router)
    app.include_router(websites_router)
    app.include_router(audit_router)
    app.include_router(conversations_router)
    app.include_router(canned_router)
    app.include_router(routing_router)
    app.include_router(notifications_router)
    app.include_router(widget_router)
    app.include_router(tracking_router)
    app.include_router(visitors_router)
    ws_endpoints.install(app)
    app.include_router(pages_router)
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.add_middleware(StaticFiles)
    app.add_middleware(RequestIP)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        """Ready when the database and (if configured) Redis answer."""
        ctx = get_ctx(request)
        try:
            async with ctx.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("readiness: database unreachable: %s", type(exc).__name__)
            return JSONResponse(error_body("not_ready", "database unreachable"), status_code=503)
        try:
            await asyncio.wait_for(ctx.hub.broker.ping(), timeout=2)
        except Exception as exc:
            log.warning("readiness: broker unreachable: %s", type(exc).__name__)
            return JSONResponse(error_body("not_ready", "redis unreachable"), status_code=503)
        return JSONResponse(
            {"status": "ready", "database": "ok", "broker": "redis" if settings.redis_url else "memory"}
        )

    return app
