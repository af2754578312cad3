"""Page views are written behind, in batches.

A page view used to be five ORM statements inside the page's config request: read the
visitor's latest session, read the page view (a retry?), insert it, update the session.
That is most of what a page load costs the server (bench/RESULTS.md). Now the node keeps
the visitor's current session in memory, so the common case (a page view in a visit that
is going on) reads nothing, and queues its writes; a background task writes everything
queued every ``FLUSH_EVERY`` in one transaction: one multi-row INSERT of page views
(duplicates of a retried request ignored by the unique key), one UPDATE per touched
session, one per time-on-page report.

What this costs: the trail in the database is up to ``FLUSH_EVERY`` late (the node's own
reads flush first, so an agent on the same node never sees it late), and a node that is
killed outright (SIGKILL, power loss) loses what it had not written yet. A normal stop
flushes. Sessions themselves (one per visit) are still written in the request: page
views point at them.

With several nodes, a node trusts its memory of a visitor's session for
``SITECHAT_VISIT_MEMORY_SECONDS`` (60) only, then reads the database again: a visitor whose requests reach
another node meanwhile (no sticky sessions) is seen there, and the session's
``last_seen_at`` only grows, so a stale memory can only send a page view to the slow
(reading) path, never start a visit early. The one thing a stale memory can get wrong is
a new campaign started through another node less than a minute earlier: the page view
lands in the previous visit. And a visitor merged into a verified user's profile
(docs/identification.md) takes along the page views already written; one queued in the
same quarter second is not kept (its visitor is gone).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sitechat.db.base import new_id
from sitechat.tracking.models import PageView, VisitorSession

# Core tables: executemany with WHERE criteria is a Core statement, not an ORM one.
_VIEWS = cast(Table, PageView.__table__)
_SESSIONS = cast(Table, VisitorSession.__table__)

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.25
REMEMBER_FOR = 60.0
MAX_REMEMBERED = 50_000
# A database that refuses writes for this many flushes in a row loses what is queued,
# rather than the node's memory.
MAX_ATTEMPTS = 20


@dataclass(slots=True)
class CurrentSession:
    """What a page view needs to know of the visit it belongs to (and what the live list
    shows of it)."""

    id: str
    website_id: str
    started_at: datetime
    last_seen_at: datetime
    campaign_key: str | None
    timezone: str | None
    source_class: str
    source: str | None
    location: dict[str, Any]
    device: dict[str, Any]
    remembered_at: float = field(default_factory=time.monotonic)

    @classmethod
    def of(cls, row: VisitorSession) -> CurrentSession:
        return cls(
            id=row.id,
            website_id=row.website_id,
            started_at=row.started_at,
            last_seen_at=row.last_seen_at,
            campaign_key=row.campaign_key,
            timezone=row.timezone,
            source_class=row.source_class,
            source=row.source,
            location=dict(row.location or {}),
            device=dict(row.device or {}),
        )


@dataclass(slots=True)
class PendingView:
    id: str
    session_id: str
    visitor_id: str
    client_pv: str
    url: str
    title: str
    started_at: datetime
    duration_ms: int | None = None


@dataclass(slots=True)
class Batch:
    views: list[PendingView] = field(default_factory=list)
    # session id -> (last_seen_at, time zone learnt from the browser)
    touches: dict[str, tuple[datetime, str | None]] = field(default_factory=dict)
    # (visitor id, client pv) -> visible time in ms, for page views already written
    durations: dict[tuple[str, str], int] = field(default_factory=dict)
    attempts: int = 0

    def __bool__(self) -> bool:
        return bool(self.views or self.touches or self.durations)


class PageViewIngest:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], dialect: str, remember_for: float = REMEMBER_FOR
    ) -> None:
        self._sessionmaker = sessionmaker
        self._remember_for = remember_for
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._sessions: OrderedDict[str, CurrentSession] = OrderedDict()
        self._batch = Batch()
        # Queued views by (visitor, pv): a retried request, a time-on-page report or an
        # exit intent about a page not written yet is answered from here.
        self._queued: dict[tuple[str, str], PendingView] = {}
        self._lock = asyncio.Lock()

    # --- the visitor's current session -------------------------------------------------

    def current(self, visitor_id: str) -> CurrentSession | None:
        s = self._sessions.get(visitor_id)
        if s is None:
            return None
        if time.monotonic() - s.remembered_at >= self._remember_for:
            del self._sessions[visitor_id]
            return None
        self._sessions.move_to_end(visitor_id)
        return s

    def remember(self, visitor_id: str, session: CurrentSession) -> None:
        """Keep a visit read from the database or just started. Its ``remembered_at`` is
        when it was read: using it does not make it trusted for longer."""
        self._sessions[visitor_id] = session
        self._sessions.move_to_end(visitor_id)
        while len(self._sessions) > MAX_REMEMBERED:
            self._sessions.popitem(last=False)

    def forget(self, visitor_id: str) -> None:
        self._sessions.pop(visitor_id, None)

    # --- queued writes --------------------------------------------------------------------

    def queued_view(self, visitor_id: str, client_pv: str) -> PendingView | None:
        return self._queued.get((visitor_id, client_pv))

    def add_view(self, view: PendingView) -> PendingView:
        """Queue a page view; a retried one (same session and pv) is the queued one."""
        key = (view.visitor_id, view.client_pv)
        queued = self._queued.get(key)
        if queued is not None and queued.session_id == view.session_id:
            return queued
        self._queued[key] = view
        self._batch.views.append(view)
        return view

    def touch(self, session_id: str, at: datetime, timezone: str | None = None) -> None:
        prev = self._batch.touches.get(session_id)
        if prev is not None:
            at = max(at, prev[0])
            timezone = timezone or prev[1]
        self._batch.touches[session_id] = (at, timezone)

    def duration(self, visitor_id: str, client_pv: str, ms: int) -> None:
        """Visible time reported for a page: the largest report wins."""
        queued = self._queued.get((visitor_id, client_pv))
        if queued is not None:
            queued.duration_ms = max(queued.duration_ms or 0, ms)
            return
        key = (visitor_id, client_pv)
        self._batch.durations[key] = max(self._batch.durations.get(key, 0), ms)

    # --- writing --------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write what is queued. Readers of the trail call this first."""
        async with self._lock:
            batch, self._batch = self._batch, Batch()
            if not batch:
                return
            try:
                await self._write(batch)
            except Exception:
                batch.attempts += 1
                if batch.attempts >= MAX_ATTEMPTS:
                    log.error(
                        "page views: giving up on %d page views after %d failed writes",
                        len(batch.views),
                        batch.attempts,
                        exc_info=True,
                    )
                    self._drop(batch)
                else:
                    log.warning("page views: write failed, retrying", exc_info=True)
                    self._requeue(batch)
                return
            self._drop(batch)

    def _drop(self, batch: Batch) -> None:
        for v in batch.views:
            if self._queued.get((v.visitor_id, v.client_pv)) is v:
                del self._queued[(v.visitor_id, v.client_pv)]

    def _requeue(self, batch: Batch) -> None:
        """Put a failed batch back in front of what came meanwhile."""
        newer, self._batch = self._batch, batch
        batch.views.extend(newer.views)
        for sid, (at, tz) in newer.touches.items():
            self.touch(sid, at, tz)
        for key, ms in newer.durations.items():
            batch.durations[key] = max(batch.durations.get(key, 0), ms)

    async def _write(self, batch: Batch) -> None:
        async with self._sessionmaker() as session, session.begin():
            conn = await session.connection()
            if batch.views:
                rows = [
                    {
                        "id": v.id,
                        "session_id": v.session_id,
                        "visitor_id": v.visitor_id,
                        "client_pv": v.client_pv,
                        "url": v.url,
                        "title": v.title,
                        "started_at": v.started_at,
                        "duration_ms": v.duration_ms,
                    }
                    for v in batch.views
                ]
                insert = self._insert(_VIEWS).on_conflict_do_nothing(
                    index_elements=["session_id", "client_pv"]
                )
                try:
                    async with conn.begin_nested():
                        await conn.execute(insert, rows)
                except DBAPIError:
                    # One row's visit or visitor is gone (forgotten, merged away at the
                    # same instant): write the others one by one.
                    lost = 0
                    for row in rows:
                        try:
                            async with conn.begin_nested():
                                await conn.execute(insert, [row])
                        except DBAPIError:
                            lost += 1
                    log.warning(
                        "page views: %d of %d refer to a visit that is gone; not kept", lost, len(rows)
                    )
            if batch.touches:
                count = (
                    select(func.count())
                    .select_from(_VIEWS)
                    .where(_VIEWS.c.session_id == _SESSIONS.c.id)
                    .scalar_subquery()
                )
                await conn.execute(
                    update(_SESSIONS)
                    .where(_SESSIONS.c.id == bindparam("sid"))
                    .values(
                        last_seen_at=bindparam("at"),
                        timezone=func.coalesce(_SESSIONS.c.timezone, bindparam("tz")),
                        page_views=count,
                    ),
                    [{"sid": sid, "at": at, "tz": tz} for sid, (at, tz) in batch.touches.items()],
                )
            if batch.durations:
                await conn.execute(
                    update(_VIEWS)
                    .where(
                        and_(
                            _VIEWS.c.visitor_id == bindparam("vid"),
                            _VIEWS.c.client_pv == bindparam("pv"),
                            or_(_VIEWS.c.duration_ms.is_(None), _VIEWS.c.duration_ms < bindparam("ms")),
                        )
                    )
                    .values(duration_ms=bindparam("ms")),
                    [{"vid": v, "pv": pv, "ms": ms} for (v, pv), ms in batch.durations.items()],
                )

    async def run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            await self.flush()

    async def close(self) -> None:
        await self.flush()


def make_ingest(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str, remember_for: float
) -> PageViewIngest:
    dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    return PageViewIngest(sessionmaker, dialect, remember_for)


def new_view_id() -> str:
    return new_id("pv")
