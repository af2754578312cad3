"""Widget delivery: the loader script, its config request (CORS per website), the panel."""

from __future__ import annotations

import html
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ValidationError

from sitechat import assets
from sitechat.errors import (
    BadJSON,
    BadRequest,
    OriginNotAllowed,
    SitechatError,
    WebsiteNotFound,
    field_errors,
    invalid,
)
from sitechat.http import error_body, error_body_of, get_ctx
from sitechat.paths import STATIC_DIR
from sitechat.ratelimit import check_widget_traffic
from sitechat.tracking import service as tracking
from sitechat.tracking.service import RequestInfo
from sitechat.visitors.schemas import EventsIn
from sitechat.websites.domains import origin_host
from sitechat.widget import service
from sitechat.widget.schemas import ConfigIn, ConfigOut

M = TypeVar("M", bound=BaseModel)

router = APIRouter(tags=["widget"])


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


@router.options("/api/v1/widget/{website_id}/config", include_in_schema=False)
@router.options("/api/v1/widget/{website_id}/events", include_in_schema=False)
async def config_preflight(website_id: str, request: Request) -> Response:
    ctx = get_ctx(request)
    origin = request.headers.get("origin") or ""
    try:
        async with ctx.uow() as uow:
            await service.allowed_website(uow, website_id, origin)
    except SitechatError as exc:
        return JSONResponse(
            error_body(exc.code, exc.detail), status_code=exc.status, headers={"Vary": "Origin"}
        )
    return Response(
        status_code=204,
        headers={
            **_cors(origin),
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Max-Age": "600",
        },
    )


def _widget_error(exc: SitechatError, origin: str) -> JSONResponse:
    """A refused origin gets no CORS header and so learns nothing but the failure (its
    origin is checked before anything is read or written). Other errors may be read by
    the page, which can then say what was wrong."""
    if isinstance(exc, OriginNotAllowed):
        return JSONResponse(
            error_body(exc.code, exc.detail), status_code=exc.status, headers={"Vary": "Origin"}
        )
    headers = {**exc.headers, **_cors(origin)}
    if "Retry-After" in exc.headers:
        headers["Access-Control-Expose-Headers"] = "Retry-After"  # so the loader can wait that long
    return JSONResponse(error_body_of(exc), status_code=exc.status, headers=headers)


def _request_info(request: Request) -> RequestInfo:
    # request.client is the visitor's own address: uvicorn replaces it from
    # X-Forwarded-For only for the configured trusted proxies (SITECHAT_TRUSTED_PROXIES).
    return RequestInfo(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        gpc=request.headers.get("sec-gpc") == "1",
    )


async def _parse(request: Request, model: type[M]) -> M:
    """Parsed here rather than by FastAPI so that a bad body is answered with the CORS
    headers: the loader can then read the error and say which identify field was wrong.
    Any content type is read as JSON: sendBeacon and preflight-free fetches send text/plain."""
    raw = await request.body()
    if len(raw) > 64 * 1024:
        raise BadRequest("The request body is too large.")
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise BadJSON() from None
        raise invalid(field_errors(exc.errors())) from None


@router.post(
    "/api/v1/widget/{website_id}/config",
    response_model=ConfigOut,
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": ConfigIn.model_json_schema()}}}
    },
)
async def widget_config(website_id: str, request: Request) -> JSONResponse:
    """Called by the loader on the host page; answered only for the website's domains."""
    ctx = get_ctx(request)
    origin = request.headers.get("origin") or ""
    ip = request.client.host if request.client else "unknown"
    try:
        await check_widget_traffic(ctx.limiter, ctx.settings, website_id, origin_host(origin), ip)
        # Per website and address: one busy site cannot spend another's allowance.
        await ctx.limiter.check(ctx.settings.rate_widget_config, "widget-config", website_id[:40], ip)
        try:
            data, bad = await _parse(request, ConfigIn), None
        except SitechatError as exc:
            data, bad = ConfigIn(), exc
        async with ctx.uow() as uow:
            if bad is not None:
                # Only an allowed origin learns what was wrong with its request.
                await service.allowed_website(uow, website_id, origin)
                raise bad
            out, live_ops = await service.config(uow, ctx, website_id, origin, data, _request_info(request))
        out = await service.with_presence(ctx, out)
        await tracking.apply_live(ctx, live_ops)
    except SitechatError as exc:
        return _widget_error(exc, origin)
    return JSONResponse(out.model_dump(mode="json"), headers={**_cors(origin), "Cache-Control": "no-store"})


@router.post(
    "/api/v1/widget/{website_id}/events",
    status_code=202,
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": EventsIn.model_json_schema()}}}
    },
)
async def widget_events(website_id: str, request: Request) -> JSONResponse:
    """``WebsiteChat.track(name, data)`` from the page, in batches of up to 20."""
    ctx = get_ctx(request)
    origin = request.headers.get("origin") or ""
    ip = request.client.host if request.client else "unknown"
    try:
        await check_widget_traffic(ctx.limiter, ctx.settings, website_id, origin_host(origin), ip)
        await ctx.limiter.check(ctx.settings.rate_widget_events, "widget-events", website_id[:40], ip)
        async with ctx.uow() as uow:
            # The origin first: a refused page learns nothing about its body.
            website = await service.allowed_website(uow, website_id, origin)
            data = await _parse(request, EventsIn)
            count, has_open, live_ops = await service.record_events(
                uow, ctx, website, data, _request_info(request)
            )
        await tracking.apply_live(ctx, live_ops)
    except SitechatError as exc:
        return _widget_error(exc, origin)
    return JSONResponse(
        {
            "recorded": count,
            "has_open_conversation": has_open,
            "settings_version": service.settings_version(website),
        },
        status_code=202,
        headers=_cors(origin),
    )


@router.get("/widget/loader.js", include_in_schema=False)
async def loader() -> Response:
    path = STATIC_DIR / "widget" / "loader.js"
    if not path.exists():
        return JSONResponse(error_body("not_built", "Run `make build` to build the widget."), status_code=503)
    # Stable URL in every snippet: a short cache so a new release reaches sites quickly.
    return FileResponse(
        path,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


PANEL_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat</title>
<link rel="stylesheet" href="{css}">
</head><body data-website-id="{website_id}"><div id="app"></div>
<script src="{js}"></script>
</body></html>
"""


@router.get("/widget/panel", include_in_schema=False)
async def panel(request: Request, website_id: str = "") -> Response:
    ctx = get_ctx(request)
    try:
        async with ctx.uow() as uow:
            from sitechat.websites import service as websites

            website = await websites.get(uow, website_id[:40])
    except WebsiteNotFound as exc:
        return JSONResponse(error_body(exc.code, exc.detail), status_code=404)
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: https:",
            f"connect-src 'self' {ctx.settings.ws_base}",
            "media-src 'self' data:",
            f"frame-ancestors {service.frame_ancestors(list(website.allowed_domains))}",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return HTMLResponse(
        PANEL_HTML.format(
            website_id=html.escape(website.id),
            css=html.escape(assets.url("widget/panel.css")),
            js=html.escape(assets.url("widget/panel.js")),
        ),
        headers={
            "Content-Security-Policy": csp,
            "Cache-Control": "no-cache",
            "Referrer-Policy": "strict-origin",
        },
    )
