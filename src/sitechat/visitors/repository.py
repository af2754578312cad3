"""Queries on visitors. No rules here: the service decides, this reads and writes rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.visitors.models import Visitor


async def get(session: AsyncSession, visitor_id: str) -> Visitor | None:
    return await session.get(Visitor, visitor_id)


async def insert(session: AsyncSession, website_id: str) -> Visitor:
    visitor = Visitor(website_id=website_id, custom_data={})
    session.add(visitor)
    await session.flush()
    return visitor


async def lock(session: AsyncSession, visitor_id: str) -> Visitor | None:
    """``SELECT … FOR UPDATE`` on PostgreSQL (SQLite's BEGIN IMMEDIATE already serializes)."""
    return await session.scalar(select(Visitor).where(Visitor.id == visitor_id).with_for_update())
