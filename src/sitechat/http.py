"""HTTP plumbing shared by every domain: auth dependencies, CSRF, origins, errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sitechat.actors import AgentActor
from sitechat.agents import scopes
from sitechat.agents import service as agents
from sitechat.context import AppContext
from sitechat.errors import (
    CSRFFailed,
    Forbidden,
    InsufficientScope,
    SitechatError,
    Unauthorized,
    field_errors,
)

log = logging.getLogger(__name__)

SESSION_COOKIE = "sitechat_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(origin: str | None, host: str | None, public_origin: str) -> bool:
    """True for our own pages: the Origin is the configured public origin, or the
    origin of the Host the request was sent to."""
    if not origin:
        return False
    if origin == public_origin:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


@dataclass(frozen=True, slots=True)
class Auth:
    ctx: AppContext
    actor: AgentActor
    session_token: str | None  # set when authenticated by the console cookie


async def agent_auth(request: Request) -> Auth:
    """Bearer API key, or the console session cookie (with CSRF on writes)."""
    ctx = get_ctx(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        async with ctx.uow() as uow:
            agent, key = await agents.from_api_token(uow, header[7:].strip())
            actor = await agents.key_actor(uow, agent, key)
        # Counted once the key is known, so requests with made-up keys cannot spend a
        # real key's allowance; in Redis when configured, so it holds across nodes.
        await ctx.limiter.check(ctx.settings.rate_api_key, "api-key", key.id)
        require_scope(actor, route_scope(request))
        return Auth(ctx=ctx, actor=actor, session_token=None)
    async with ctx.uow() as uow:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthorized()
        agent, session = await agents.from_session(uow, token)
        if request.method not in SAFE_METHODS and not agents.csrf_ok(
            session, request.headers.get(CSRF_HEADER)
        ):
            raise CSRFFailed()
        return Auth(ctx=ctx, actor=await agents.actor_for(uow, agent), session_token=token)


def route_scope(request: Request) -> str | None:
    """The scope an API key needs for the route being served (agents/scopes.py)."""
    route = request.scope.get("route")
    template = getattr(route, "path", None) or request.url.path
    return scopes.required_scope(request.method, template)


def require_scope(actor: AgentActor, scope: str | None) -> None:
    if scope is None or actor.has_scope(scope):
        return
    if scope in scopes.MANAGER_SCOPES and not actor.is_manager:
        # The role is the reason, whatever the key says. A key with everything its agent
        # may hold answers exactly as the agent's session: the endpoint decides (a website
        # the agent cannot see is not found, before any role check).
        tied = actor.key_website_ids is not None
        if actor.scopes is not None and actor.scopes >= scopes.grantable(actor.role, tied_to_websites=tied):
            return
        raise Forbidden("Only owners and admins may do that.")
    raise InsufficientScope(f"This API key lacks the {scope} scope.")


def error_body(code: str, detail: object) -> dict[str, object]:
    return {"error": code, "detail": detail}


def error_body_of(exc: SitechatError) -> dict[str, object]:
    body = error_body(exc.code, exc.detail)
    if exc.fields:
        body["fields"] = exc.fields
    return body


def _field_path(loc: tuple[object, ...] | list[object]) -> list[object]:
    """Drop FastAPI's leading 'body'/'query'/'path' so a field reads as the client wrote it."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return parts


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SitechatError)
    async def _sitechat_error(_request: Request, exc: SitechatError) -> JSONResponse:
        return JSONResponse(error_body_of(exc), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body("bad_json", "The body is not valid JSON."), status_code=400)
        fields = field_errors({**e, "loc": _field_path(e["loc"])} for e in errors)
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        body = error_body("validation_error", detail)
        body["fields"] = fields
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        code = codes.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "Something went wrong."), status_code=500)
