"""``/ws/visitor`` and ``/ws/agent``: handshake checks, hello, then the frame loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketState

from sitechat.actors import AgentActor, VisitorActor
from sitechat.agents import service as agents
from sitechat.agents.scopes import SOCKET_SCOPE
from sitechat.context import AppContext
from sitechat.errors import RateLimited, SitechatError
from sitechat.http import SESSION_COOKIE, same_origin
from sitechat.ratelimit import check_widget_traffic
from sitechat.realtime import protocol as p
from sitechat.realtime import topics
from sitechat.realtime.connection import Connection, visitor_welcome
from sitechat.routing import service as routing
from sitechat.websites import service as websites
from sitechat.websites.domains import origin_allowed, origin_host

log = logging.getLogger(__name__)


def install(app: Starlette) -> None:
    """Plain Starlette routes: FastAPI's WebSocket routing adds dependency solving and two
    exit stacks per socket that these handlers do not use (about 1.5 KiB each, measured)."""
    app.router.routes.append(WebSocketRoute("/ws/visitor", visitor_socket))
    app.router.routes.append(WebSocketRoute("/ws/agent", agent_socket))


async def _refuse(ws: WebSocket, code: int, reason: str) -> None:
    """Accept, then close with a named code: a browser cannot read an HTTP 403 on a
    WebSocket handshake, but it can read a close code."""
    await ws.accept()
    await ws.close(code, reason)


async def _refuse_limited(ws: WebSocket, exc: RateLimited) -> None:
    """A rate-limited opening: an error frame saying how long to wait, then RATE_LIMITED."""
    await ws.accept()
    frame = p.ErrorFrame(code=exc.code, detail=exc.detail, retry_after=exc.retry_after)
    with contextlib.suppress(Exception):
        await ws.send_text(frame.model_dump_json())
    await ws.close(p.CloseCode.RATE_LIMITED, f"rate limited; retry after {exc.retry_after}s")


def _ctx(ws: WebSocket) -> AppContext:
    ctx: AppContext = ws.app.state.ctx
    return ctx


async def visitor_socket(ws: WebSocket) -> None:
    ctx = _ctx(ws)
    claims = ctx.signer.read_token(ws.query_params.get("token"))
    if claims is None:
        await _refuse(ws, p.CloseCode.UNAUTHORIZED, "invalid or expired token")
        return
    origin = ws.headers.get("origin")
    try:
        await check_widget_traffic(
            ctx.limiter,
            ctx.settings,
            claims.website_id,
            origin_host(claims.origin),
            ws.client.host if ws.client else "unknown",
        )
    except RateLimited as exc:
        await _refuse_limited(ws, exc)
        return
    async with ctx.uow() as uow:
        try:
            website = await websites.get(uow, claims.website_id)
        except SitechatError:
            await _refuse(ws, p.CloseCode.UNAUTHORIZED, "unknown website")
            return
        allowed = list(website.allowed_domains)
    # The panel iframe connects from our own origin; a loader could connect from the host
    # page. Either way the host page the token was issued to must still be allowed.
    origin_ok = same_origin(origin, ws.headers.get("host"), ctx.settings.public_origin) or origin_allowed(
        origin, allowed
    )
    if not origin_ok or not origin_allowed(claims.origin, allowed):
        await _refuse(ws, p.CloseCode.ORIGIN_NOT_ALLOWED, "origin not allowed")
        return
    actor = VisitorActor(visitor_id=claims.visitor_id, website_id=claims.website_id)
    await _serve(ws, ctx, actor)


async def agent_socket(ws: WebSocket) -> None:
    ctx = _ctx(ws)
    auth = ws.headers.get("authorization", "")
    cookie = ws.cookies.get(SESSION_COOKIE)
    try:
        async with ctx.uow() as uow:
            if auth.lower().startswith("bearer "):
                secret = auth[7:].strip()
                agent, key = await agents.from_api_token(uow, secret)
            elif cookie:
                # Cookies ride along on cross-site WebSocket handshakes: only our own
                # pages may use them (cross-site WebSocket hijacking).
                if not same_origin(
                    ws.headers.get("origin"), ws.headers.get("host"), ctx.settings.public_origin
                ):
                    await _refuse(ws, p.CloseCode.ORIGIN_NOT_ALLOWED, "origin not allowed")
                    return
                agent, _session = await agents.from_session(uow, cookie)
                secret = cookie
                key = None
            else:
                await _refuse(ws, p.CloseCode.UNAUTHORIZED, "sign in first")
                return
            actor = await agents.actor_for(uow, agent)
            if key is not None:
                actor = agents.narrowed(actor, key)
    except SitechatError:
        await _refuse(ws, p.CloseCode.UNAUTHORIZED, "sign in first")
        return
    if actor.api_key_id is not None:
        try:
            await ctx.limiter.check(ctx.settings.rate_api_key, "api-key", actor.api_key_id)
        except RateLimited as exc:
            await _refuse_limited(ws, exc)
            return
        if not actor.has_scope(SOCKET_SCOPE):
            await _refuse(ws, p.CloseCode.INSUFFICIENT_SCOPE, f"this API key lacks the {SOCKET_SCOPE} scope")
            return
    await _serve(ws, ctx, actor, credential=agents.credential_id(secret))


async def _serve(
    ws: WebSocket, ctx: AppContext, actor: VisitorActor | AgentActor, credential: str | None = None
) -> None:
    await ws.accept()
    conn = Connection(ws, ctx, actor, credential=credential)
    ctx.connections.add(conn)
    conn.start()
    try:
        if not await _hello(conn):
            return
        while True:
            text = await conn.receive_text()
            if text is None:
                return
            frame = conn.parse(text)
            if frame is not None:
                await conn.handle(frame)
            if conn.closing:
                return
    except asyncio.CancelledError:
        pass  # the writer ended the connection
    except Exception:
        log.exception("websocket reader failed")
    finally:
        ctx.connections.discard(conn)
        # From here the reader winds the connection down: the writer must not cancel it
        # (a cancel inside the goodbye left the broker subscribed to this connection's
        # topics for good), and a shutdown's cancel must not cut the goodbye short.
        conn.winding_down()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(_goodbye(conn))
        await conn.stop()
        if ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close(1000)


async def _hello(conn: Connection) -> bool:
    """Read the hello, subscribe, then queue welcome first and the replay after it.

    Frames stay held until welcome is queued (``release``); a failed hello releases what
    it queued (the error, the close) so the client still reads why."""
    try:
        ok = await _handshake(conn)
    except BaseException:
        conn.release()
        raise
    if not ok:
        conn.release()
    return ok


async def _handshake(conn: Connection) -> bool:
    ctx = conn.ctx
    try:
        text = await asyncio.wait_for(conn.receive_text(), timeout=ctx.settings.hello_timeout)
    except TimeoutError:
        conn.close_soon(p.CloseCode.HELLO_TIMEOUT, "no hello")
        return False
    if text is None:
        return False
    frame = conn.parse(text)
    if not isinstance(frame, p.Hello):
        if frame is not None:
            conn.error("invalid_frame", "The first frame must be hello.", frame.id)
        conn.close_soon(p.CloseCode.BAD_HELLO, "expected hello")
        return False
    await conn.authorize_resume(dict(frame.resume))
    actor = conn.actor
    if isinstance(actor, VisitorActor):
        # Subscribe before reading the conversations: a conversation created after the
        # read is then announced live rather than lost between the two.
        await conn.subscribe(topics.visitor(actor.visitor_id))
        await conn.subscribe(topics.presence(actor.website_id))
        welcome: p.WelcomeVisitor | p.WelcomeAgent = await visitor_welcome(conn)
        site_ids: list[str] = []
    else:
        async with ctx.uow() as uow:
            site_ids = (
                sorted(actor.website_ids) if actor.website_ids is not None else await websites.all_ids(uow)
            )
            status = await routing.status_of(uow, actor.agent_id)
        for wid in site_ids:
            await conn.subscribe(topics.website(wid))
        await conn.subscribe(topics.agent(actor.agent_id))
        if actor.is_manager:
            await conn.subscribe(topics.ADMIN)
        welcome = p.WelcomeAgent(
            agent=p.AgentBrief(id=actor.agent_id, email=actor.email, name=actor.name, role=actor.role),
            websites=site_ids,
        )
    conn.start_replay()
    conn.release(first=welcome)
    if isinstance(actor, AgentActor):
        # Away and offline agents are connected, but visitors are not told "online".
        await ctx.presence.set_available(actor.agent_id, status == "online")
        await ctx.presence.touch(actor.agent_id, conn.id, site_ids)
        await announce_presence(ctx, site_ids)
    return True


async def _goodbye(conn: Connection) -> None:
    site_ids = conn.presence_websites
    await conn.unsubscribe_all()
    if isinstance(conn.actor, AgentActor):
        await conn.ctx.presence.leave(conn.actor.agent_id, conn.id, site_ids)
        if conn.visible:
            await conn.ctx.presence.set_visible(conn.actor.agent_id, conn.id, False)
        await announce_presence(conn.ctx, site_ids)


async def announce_presence(ctx: AppContext, website_ids: list[str]) -> None:
    """Tell the websites' visitors whether anyone is online, and their agents how many."""
    for wid in website_ids:
        n = await ctx.presence.agents_online(wid)
        await ctx.hub.publish(
            topics.presence(wid), p.VisitorPresence(agents_online=n > 0).model_dump(mode="json")
        )
        await ctx.hub.publish(
            topics.website(wid), p.AgentPresence(website_id=wid, agents_online=n).model_dump(mode="json")
        )
