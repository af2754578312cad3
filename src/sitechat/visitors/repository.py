"""Queries on visitors. No rules here: the service decides, this reads and writes rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.visitors.models import Visitor, VisitorEvent


async def get(session: AsyncSession, visitor_id: str) -> Visitor | None:
    return await session.get(Visitor, visitor_id)


async def insert(
    session: AsyncSession, website_id: str, *, user_id: str | None = None, verified: bool = False
) -> Visitor:
    """Raises IntegrityError from the flush when ``user_id`` is taken on this website."""
    visitor = Visitor(website_id=website_id, custom_data={}, user_id=user_id, verified=verified)
    session.add(visitor)
    await session.flush()
    return visitor


async def lock(session: AsyncSession, visitor_id: str) -> Visitor | None:
    """``SELECT … FOR UPDATE`` on PostgreSQL (SQLite's BEGIN IMMEDIATE already serializes)."""
    return await session.scalar(select(Visitor).where(Visitor.id == visitor_id).with_for_update())


async def lock_fresh(session: AsyncSession, visitor_id: str) -> Visitor | None:
    """Like ``lock``, reloading every column: after a rolled-back savepoint the loaded
    object's attributes are stale or expired."""
    return await session.scalar(
        select(Visitor)
        .where(Visitor.id == visitor_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def by_user_id(session: AsyncSession, website_id: str, user_id: str) -> Visitor | None:
    """The website's visitor with that user id, locked (``FOR UPDATE``) and read afresh:
    after losing a race on the unique constraint, the winner's row is what we want."""
    return await session.scalar(
        select(Visitor)
        .where(Visitor.website_id == website_id, Visitor.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def delete(session: AsyncSession, visitor: Visitor) -> None:
    await session.delete(visitor)
    await session.flush()


async def insert_events(
    session: AsyncSession, visitor_id: str, website_id: str, events: list[tuple[str, dict[str, Any]]]
) -> None:
    session.add_all(
        VisitorEvent(visitor_id=visitor_id, website_id=website_id, event_type=t, event_data=d)
        for t, d in events
    )
    await session.flush()


async def events_of(session: AsyncSession, visitor_id: str, limit: int = 100) -> list[VisitorEvent]:
    rows = await session.scalars(
        select(VisitorEvent)
        .where(VisitorEvent.visitor_id == visitor_id)
        .order_by(VisitorEvent.created_at.desc(), VisitorEvent.id.desc())
        .limit(limit)
    )
    return list(rows.all())
