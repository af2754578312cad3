"""Visits: sessions, page views and time on page, the live list, returning visitors.

The rules (docs/tracking.md):
- A session is one visit. A page view starts a new one when the visitor's last session
  saw no activity for 30 minutes, or when the visitor arrives through another campaign
  (UTM tags or ad click ids different from the session's).
- Nothing is recorded when the website requires consent and the page has not given it,
  or honours Global Privacy Control and the browser sends it.
- Location comes from the full address; the stored address is truncated when the server
  is configured so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sitechat.context import AppContext
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.integrations.geoip import truncate_ip
from sitechat.integrations.useragent import parse_user_agent
from sitechat.realtime import protocol as p
from sitechat.realtime import topics
from sitechat.tracking import live, repository
from sitechat.tracking.ingest import CurrentSession, PendingView, new_view_id
from sitechat.tracking.models import PageView, VisitorSession
from sitechat.tracking.schemas import PageViewOut, SessionOut
from sitechat.visitors import repository as visitor_events
from sitechat.visitors import service as visitors
from sitechat.visitors.models import Visitor
from sitechat.visitors.schemas import (
    ClientInfo,
    EventsIn,
    ExitIntentEvent,
    LeaveEvent,
    PageIn,
    PageLeaveEvent,
    PageViewEvent,
    PingEvent,
    TrackedEvent,
)
from sitechat.visitors.traffic import classify
from sitechat.websites.domains import origin_allowed
from sitechat.websites.models import Website
from sitechat.websites.settings import WebsiteSettings

log = logging.getLogger(__name__)

SESSION_GAP = timedelta(minutes=30)
# Pings renew the session at most this often: a tab left open is one write a minute.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What the HTTP request says about the browser (the address is already the client's
    own when a trusted proxy forwarded it: see ``trusted_proxies``)."""

    ip: str | None
    user_agent: str | None
    gpc: bool = False


@dataclass
class LiveOps:
    """What to do once the transaction commits: the page views and session touches to
    queue for writing (tracking/ingest.py), and the changes to the live list."""

    website_id: str
    visitor_id: str
    tab: str | None
    show: p.LiveVisitor | None = None  # the tab's page changed (or it arrived)
    ping: bool = False
    leave: bool = False
    views: list[PendingView] = field(default_factory=list)
    touches: list[tuple[str, datetime, str | None]] = field(default_factory=list)
    durations: list[tuple[str, int]] = field(default_factory=list)  # (client pv, ms)
    session: CurrentSession | None = None  # the visit to remember for the next page view


def tracking_allowed(settings: WebsiteSettings, consent: bool | None, gpc: bool) -> bool:
    behavior = settings.behavior
    if behavior.require_consent and consent is not True:
        return False
    return not (behavior.honor_gpc and gpc)


def _internal(url: str, website: Website) -> bool:
    """A referrer on the website's own domains is navigation, not a traffic source."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return origin_allowed(f"{parts.scheme}://{parts.netloc}", list(website.allowed_domains))


async def _new_session(
    uow: UnitOfWork,
    ctx: AppContext,
    website: Website,
    visitor: Visitor,
    page_url: str,
    referrer: str,
    client: ClientInfo | None,
    req: RequestInfo,
    now: datetime,
) -> VisitorSession:
    traffic = classify(page_url, None if not referrer or _internal(referrer, website) else referrer)
    location = ctx.geoip.lookup(req.ip) if req.ip else None
    device = parse_user_agent(req.user_agent)
    stored_ip = req.ip
    if stored_ip and ctx.settings.ip_truncate:
        try:
            stored_ip = truncate_ip(stored_ip)
        except ValueError:
            stored_ip = None
    loc = location.as_dict() if location else {}
    dev: dict[str, object] = dict(device.as_dict())
    if client is not None:
        dev.update(screen=client.screen, viewport=client.viewport, languages=client.languages)
    row = VisitorSession(
        visitor_id=visitor.id,
        website_id=website.id,
        started_at=now,
        last_seen_at=now,
        ip_address=stored_ip,
        location=loc,
        timezone=(client.tz if client and client.tz else None) or loc.get("timezone"),
        user_agent=(req.user_agent or "")[:1024] or None,
        device=dev,
        referrer=referrer[:2048] or None,
        landing_page=page_url[:2048],
        source_class=traffic.source_class,
        source=(traffic.source or "")[:200] or None,
        campaign={"utm": traffic.utm, "click_ids": traffic.click_ids},
        campaign_key=(traffic.campaign() or "")[:500] or None,
        page_views=0,
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


async def _session_for(
    uow: UnitOfWork,
    ctx: AppContext,
    website: Website,
    visitor: Visitor,
    ops: LiveOps,
    page_url: str,
    referrer: str,
    client: ClientInfo | None,
    req: RequestInfo,
    now: datetime,
) -> CurrentSession:
    """The visit a page view belongs to. The common case, a visit going on that this
    node remembers, reads nothing."""
    current = ctx.ingest.current(visitor.id)
    if current is None or now - current.last_seen_at >= SESSION_GAP:
        latest = await repository.latest_session(uow.session, visitor.id)
        current = CurrentSession.of(latest) if latest is not None else None
    if current is not None and now - current.last_seen_at < SESSION_GAP:
        campaign = classify(page_url, None).campaign()
        if campaign is None or campaign == current.campaign_key:
            current.last_seen_at = now
            tz = client.tz if client is not None and client.tz and not current.timezone else None
            if tz:
                current.timezone = tz
            ops.touches.append((current.id, now, tz))
            ops.session = current
            return current
    row = await _new_session(uow, ctx, website, visitor, page_url, referrer, client, req, now)
    new = ops.session = CurrentSession.of(row)
    if current is not None:
        visits = await repository.count_sessions(uow.session, visitor.id)
        await visitor_events.insert_events(
            uow.session,
            visitor.id,
            website.id,
            [("returned", {"session_id": row.id, "previous_visit_at": current.last_seen_at.isoformat()})],
        )
        uow.emit(
            topics.website(website.id),
            p.VisitorReturnedFrame(
                website_id=website.id,
                visitor_id=visitor.id,
                name=visitor.name,
                email=visitor.email,
                session_id=row.id,
                previous_visit_at=current.last_seen_at,
                visits=visits,
            ).model_dump(mode="json"),
        )
    return new


def _page_view(
    ctx: AppContext, ops: LiveOps, session: CurrentSession, visitor: Visitor, page: PageIn, now: datetime
) -> PendingView:
    queued = ctx.ingest.queued_view(visitor.id, page.pv)
    if queued is not None and queued.session_id == session.id:  # a retried request
        return queued
    view = PendingView(
        id=new_view_id(),
        session_id=session.id,
        visitor_id=visitor.id,
        client_pv=page.pv,
        url=page.url,
        title=page.title,
        started_at=now,
    )
    ops.views.append(view)
    if not any(t[0] == session.id for t in ops.touches):
        ops.touches.append((session.id, now, None))
    return view


def live_visitor(
    visitor: Visitor, session: CurrentSession, url: str, title: str, since: datetime
) -> p.LiveVisitor:
    dev = session.device or {}
    return p.LiveVisitor(
        visitor_id=visitor.id,
        name=visitor.name,
        email=visitor.email,
        state=visitors.state_of(visitor),
        page_url=url,
        page_title=title,
        page_since=since,
        session_started_at=session.started_at,
        source_class=session.source_class,
        source=session.source,
        location={k: session.location.get(k) for k in ("country_code", "country", "region", "city")},
        timezone=session.timezone,
        device={k: dev.get(k) for k in ("type", "browser", "browser_version", "os", "os_version")},
    )


async def page_loaded(
    uow: UnitOfWork,
    ctx: AppContext,
    website: Website,
    visitor: Visitor,
    settings: WebsiteSettings,
    *,
    tab: str | None,
    page: PageIn | None,
    client: ClientInfo | None,
    consent: bool | None,
    req: RequestInfo,
) -> tuple[bool, LiveOps | None]:
    """The config request of a page load. Returns whether this page is tracked, and what
    to tell the live list once committed."""
    if page is None or not tracking_allowed(settings, consent, req.gpc):
        return False, None
    now = utcnow()
    ops = LiveOps(website.id, visitor.id, tab)
    session = await _session_for(uow, ctx, website, visitor, ops, page.url, page.referrer, client, req, now)
    view = _page_view(ctx, ops, session, visitor, page, now)
    ops.show = live_visitor(visitor, session, view.url, view.title, view.started_at)
    return True, ops


async def record_events(
    uow: UnitOfWork,
    ctx: AppContext,
    website: Website,
    visitor: Visitor,
    settings: WebsiteSettings,
    data: EventsIn,
    req: RequestInfo,
) -> LiveOps | None:
    """A batch from the widget's events endpoint (track calls, SPA page views, time on
    page, exit intent, pings). Nothing is kept when tracking is not allowed."""
    if not tracking_allowed(settings, data.consent, data.gpc or req.gpc):
        return None
    now = utcnow()
    ops = LiveOps(website.id, visitor.id, data.tab)
    custom: list[tuple[str, dict[str, object]]] = []
    session: CurrentSession | None = None
    for e in data.events:
        if isinstance(e, TrackedEvent):
            custom.append(("custom", {"name": e.name, "data": e.data}))
        elif isinstance(e, PageViewEvent):
            session = await _session_for(uow, ctx, website, visitor, ops, e.url, e.referrer, None, req, now)
            view = _page_view(ctx, ops, session, visitor, e, now)
            ops.show = live_visitor(visitor, session, view.url, view.title, view.started_at)
        elif isinstance(e, PageLeaveEvent):
            ops.durations.append((e.pv, e.duration_ms))
        elif isinstance(e, ExitIntentEvent):
            queued = ctx.ingest.queued_view(visitor.id, e.pv)
            url = queued.url if queued is not None else None
            if url is None:
                leaving = await repository.page_view_of_visitor(uow.session, visitor.id, e.pv)
                url = leaving.url if leaving is not None else None
            custom.append(("exit_intent", {"pv": e.pv, "url": url}))
        elif isinstance(e, PingEvent):
            ops.ping = True
            if session is None:
                session = ctx.ingest.current(visitor.id)
                if session is None:
                    latest = await repository.latest_session(uow.session, visitor.id)
                    session = CurrentSession.of(latest) if latest is not None else None
                if session is not None:
                    ops.session = session
                    if now - session.last_seen_at >= TOUCH_EVERY:
                        session.last_seen_at = now
                        ops.touches.append((session.id, now, None))
        elif isinstance(e, LeaveEvent):
            ops.leave = True
    if custom:
        await visitor_events.insert_events(uow.session, visitor.id, website.id, custom)
    await uow.session.flush()
    return ops


async def _live_info(uow: UnitOfWork, visitor: Visitor) -> p.LiveVisitor | None:
    session = await repository.latest_session(uow.session, visitor.id)
    if session is None:
        return None
    view = await repository.latest_page_view(uow.session, session.id)
    if view is None:
        return None
    return live_visitor(visitor, CurrentSession.of(session), view.url, view.title, view.started_at)


def _queue_writes(ctx: AppContext, ops: LiveOps) -> None:
    ingest = ctx.ingest
    if ops.session is not None:
        ingest.remember(ops.visitor_id, ops.session)
    for view in ops.views:
        ingest.add_view(view)
    for session_id, at, tz in ops.touches:
        ingest.touch(session_id, at, tz)
    for pv, ms in ops.durations:
        ingest.duration(ops.visitor_id, pv, ms)


async def apply_live(ctx: AppContext, ops: LiveOps | None) -> None:
    """After commit: queue the visit's writes, update the live list and tell the
    website's agents. The live list is best effort: presence lives in Redis, which may be
    away; the visit is recorded either way."""
    if ops is None:
        return
    _queue_writes(ctx, ops)
    if not ops.tab:
        return
    try:
        await _apply_live(ctx, ops)
    except Exception:
        log.warning("live visitor update failed", exc_info=True)


async def _apply_live(ctx: AppContext, ops: LiveOps) -> None:
    m = live.member(ops.visitor_id, ops.tab or "")
    if ops.leave:
        # Announced by the sweep after a grace period, unless another tab shows up.
        await ctx.live.leave(ops.website_id, m)
        return
    show = ops.show
    if show is None and ops.ping:
        if not await ctx.live.touch(ops.website_id, m, None):
            return
        # Swept meanwhile (a sleeping laptop): list the tab again with what it shows.
        await ctx.ingest.flush()
        async with ctx.uow() as uow:
            visitor = await visitors.get(uow, ops.visitor_id)
            show = await _live_info(uow, visitor) if visitor is not None else None
        if show is None:
            return
    if show is None:
        return
    await ctx.live.touch(ops.website_id, m, show.model_dump_json())
    await ctx.hub.publish(
        topics.website(ops.website_id),
        p.VisitorLiveFrame(website_id=ops.website_id, visitor=show).model_dump(mode="json"),
    )


async def _announce_left(ctx: AppContext, website_id: str, visitor_id: str) -> None:
    # Still on the site in another tab: not gone.
    members = await ctx.live.members(website_id)
    if any(live.visitor_of(m) == visitor_id for m in members):
        return
    await ctx.hub.publish(
        topics.website(website_id),
        p.VisitorLeftFrame(website_id=website_id, visitor_id=visitor_id).model_dump(mode="json"),
    )


async def sweep_live(ctx: AppContext) -> None:
    """Called by the node's heartbeat: tabs that stopped pinging leave the list."""
    for website_id, m in await ctx.live.expired():
        await _announce_left(ctx, website_id, live.visitor_of(m))
    for website_id, visitor_id in await ctx.live.departures():
        await _announce_left(ctx, website_id, visitor_id)


async def live_visitors(ctx: AppContext, website_id: str) -> list[p.LiveVisitor]:
    """One entry per visitor: the page of their most recently moved tab."""
    by_visitor: dict[str, list[p.LiveVisitor]] = {}
    for m, info in (await ctx.live.members(website_id)).items():
        try:
            v = p.LiveVisitor.model_validate(json.loads(info))
        except ValueError:
            continue
        by_visitor.setdefault(live.visitor_of(m), []).append(v)
    out = []
    for tabs in by_visitor.values():
        latest = max(tabs, key=lambda t: t.page_since)
        latest.tabs = len(tabs)
        out.append(latest)
    return sorted(out, key=lambda v: v.session_started_at, reverse=True)


def session_out(s: VisitorSession, views: list[PageView]) -> SessionOut:
    return SessionOut(
        id=s.id,
        started_at=s.started_at,
        last_seen_at=s.last_seen_at,
        ip_address=s.ip_address,
        location=s.location or {},
        timezone=s.timezone,
        device=s.device or {},
        user_agent=s.user_agent,
        referrer=s.referrer,
        landing_page=s.landing_page,
        source_class=s.source_class,
        source=s.source,
        utm=(s.campaign or {}).get("utm", {}),
        click_ids=(s.campaign or {}).get("click_ids", {}),
        page_views=[
            PageViewOut(url=v.url, title=v.title, started_at=v.started_at, duration_ms=v.duration_ms)
            for v in views
        ],
    )


async def sessions_of(uow: UnitOfWork, visitor_id: str, limit: int = 20) -> list[SessionOut]:
    return [
        session_out(s, views) for s, views in await repository.sessions_of(uow.session, visitor_id, limit)
    ]


async def move_visitor(uow: UnitOfWork, from_visitor_id: str, to_visitor_id: str) -> None:
    """A visitor merged into another (a verified identify): their visits go along."""
    await repository.move_visitor(uow.session, from_visitor_id, to_visitor_id)
