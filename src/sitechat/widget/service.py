"""What the widget's loader gets: the website's look, who the visitor is, a WebSocket token."""

from __future__ import annotations

from sitechat.agents import service as agents
from sitechat.context import AppContext
from sitechat.conversations import service as conversations
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import OriginNotAllowed, Unauthorized
from sitechat.tracking import service as tracking
from sitechat.tracking.service import LiveOps, RequestInfo
from sitechat.visitors import service as visitors
from sitechat.visitors.schemas import EventsIn
from sitechat.websites import service as websites
from sitechat.websites.domains import origin_allowed
from sitechat.websites.models import Website
from sitechat.websites.settings import settings_of
from sitechat.widget.schemas import ConfigIn, ConfigOut, WidgetAgent, WidgetWebsite


async def allowed_website(uow: UnitOfWork, website_id: str, origin: str | None) -> Website:
    website = await websites.get(uow, website_id)
    if not origin_allowed(origin, list(website.allowed_domains)):
        raise OriginNotAllowed()
    return website


async def config(
    uow: UnitOfWork, ctx: AppContext, website_id: str, origin: str, data: ConfigIn, req: RequestInfo
) -> tuple[ConfigOut, LiveOps | None]:
    """The answer to the loader, and the live-list update to make once committed."""
    website = await allowed_website(uow, website_id, origin)
    settings = settings_of(website.settings)
    known = ctx.signer.read_key(data.visitor_key, website.id)
    visitor = await visitors.get_or_create(uow, website.id, known)
    if data.identify is not None:
        # May answer with another visitor: a verified user's own, seen on any device
        # (docs/identification.md). Everything below is for that one.
        visitor = await visitors.identify(
            uow, website, visitor.id, data.identify, server_key=ctx.settings.secret_key
        )
    tracked, live_ops = await tracking.page_loaded(
        uow,
        ctx,
        website,
        visitor,
        settings,
        tab=data.tab,
        page=data.page,
        client=data.client,
        consent=data.consent,
        req=RequestInfo(req.ip, req.user_agent, req.gpc or data.gpc),
    )
    photos = settings.behavior.show_agent_photos
    team = [
        WidgetAgent(id=a.id, name=a.name, avatar_url=a.avatar_url if photos else None)
        for a in await agents.team_of(uow, website.id)
    ]
    return ConfigOut(
        website=WidgetWebsite(
            id=website.id,
            name=website.name,
            appearance=settings.appearance,
            behavior=settings.behavior,
            prechat=settings.prechat,
            offline=settings.offline.public(),
        ),
        visitor_id=visitor.id,
        visitor_key=ctx.signer.make_key(website.id, visitor.id),
        token=ctx.signer.make_token(website.id, visitor.id, origin),
        token_expires_in=ctx.signer.token_ttl,
        ws_url=f"{ctx.settings.ws_base}/ws/visitor",
        agents_online=False,  # filled in by ``with_presence``, outside the transaction
        open_now=settings.business_hours.open_at(utcnow()),
        agents=team,
        visitor=visitors.profile_of(visitor),
        has_open_conversation=await conversations.visitor_has_open(uow, visitor.id),
        tracking=tracked,
        settings_version=settings_version(website),
    ), live_ops


def settings_version(website: Website) -> str:
    """Short and opaque: the time of the website's last change."""
    return format(int(website.updated_at.timestamp() * 1000), "x")


def frame_ancestors(allowed: list[str]) -> str:
    """CSP frame-ancestors for the panel: the website's allowed hosts on any port."""
    sources = ["'self'"]
    for d in allowed:
        sources += [f"https://{d}:*", f"http://{d}:*"]
    return " ".join(sources)


async def with_presence(ctx: AppContext, out: ConfigOut) -> ConfigOut:
    """Presence may be a Redis round trip: read it after the database transaction, so the
    (on SQLite, only) connection is not held meanwhile."""
    out.agents_online = await ctx.presence.agents_online(out.website.id) > 0
    return out


async def record_events(
    uow: UnitOfWork, ctx: AppContext, website: Website, data: EventsIn, req: RequestInfo
) -> tuple[int, bool, LiveOps | None]:
    """For a website whose origin the caller has checked (allowed_website): how many
    events came, whether the visitor has a conversation going (an agent may have started
    one: the launcher then opens the panel's connection), and the live-list update."""
    visitor_id = ctx.signer.read_key(data.visitor_key, website.id)
    visitor = await visitors.get(uow, visitor_id) if visitor_id else None
    if visitor is None or visitor.website_id != website.id:
        raise Unauthorized("Unknown or invalid visitor_key; fetch the config again.")
    ops = await tracking.record_events(uow, ctx, website, visitor, settings_of(website.settings), data, req)
    return len(data.events), await conversations.visitor_has_open(uow, visitor.id), ops
