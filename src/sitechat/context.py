"""Everything one node holds for its lifetime, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sitechat.config import Settings
from sitechat.db.engine import make_engine, make_sessionmaker
from sitechat.db.uow import UnitOfWork
from sitechat.integrations.geoip import GeoIP, make_geoip
from sitechat.integrations.mailer import Mailer, make_mailer
from sitechat.ratelimit import RateLimiter
from sitechat.realtime.broker import make_broker
from sitechat.realtime.hub import Hub
from sitechat.realtime.presence import Presence, make_presence
from sitechat.tracking.ingest import PageViewIngest, make_ingest
from sitechat.tracking.live import LivePresence, make_live_presence
from sitechat.visitors.tokens import VisitorSigner

if TYPE_CHECKING:
    from sitechat.notifications.dispatch import Notifier
    from sitechat.realtime.connection import Connection


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    hub: Hub
    presence: Presence
    # Shared across nodes when Redis is configured (logins, messages per sender) …
    limiter: RateLimiter
    # … and per node, for limits on one connection's frames.
    local_limiter: RateLimiter
    signer: VisitorSigner
    # Visitors on each website now (tabs that ping), and where addresses are.
    live: LivePresence
    # Page views written behind, in batches (tracking/ingest.py).
    ingest: PageViewIngest
    geoip: GeoIP
    # SMTP when configured, else a logger (integrations/mailer.py).
    mailer: Mailer
    connections: set[Connection] = field(default_factory=set)
    # Alerts for agents (notifications/dispatch.py), set when the app starts.
    notifier: Notifier | None = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessionmaker, self.hub)

    async def close(self) -> None:
        await self.hub.close()
        await self.presence.close()
        await self.live.close()
        await self.ingest.close()
        self.geoip.close()
        await self.engine.dispose()


async def build_context(settings: Settings) -> AppContext:
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    hub = Hub(make_broker(settings.redis_url))
    await hub.start()
    sessionmaker = make_sessionmaker(engine)
    return AppContext(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        hub=hub,
        presence=make_presence(settings.redis_url, ttl=settings.heartbeat_interval * 2.5),
        limiter=RateLimiter(settings.redis_url),
        local_limiter=RateLimiter(None),
        signer=VisitorSigner(settings.secret_key, settings.visitor_token_ttl),
        live=make_live_presence(settings.redis_url, ttl=settings.live_visitor_ttl),
        ingest=make_ingest(sessionmaker, settings.database_url, settings.visit_memory_seconds),
        geoip=make_geoip(settings.geoip_db or None),
        mailer=make_mailer(settings),
    )
