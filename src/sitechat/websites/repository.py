"""Queries on websites. No rules here: the service decides, this reads and writes rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.websites.models import Website


async def get(session: AsyncSession, website_id: str) -> Website | None:
    return await session.get(Website, website_id)


async def insert(
    session: AsyncSession, *, name: str, allowed_domains: list[str], settings: dict[str, Any]
) -> Website:
    website = Website(name=name, allowed_domains=allowed_domains, settings=settings)
    session.add(website)
    await session.flush()
    return website


async def list_all(session: AsyncSession) -> list[Website]:
    return list((await session.scalars(select(Website).order_by(Website.created_at))).all())


async def all_ids(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(Website.id))).all())


async def first_created(session: AsyncSession) -> Website | None:
    return await session.scalar(select(Website).order_by(Website.created_at).limit(1))


async def lock(session: AsyncSession, website_id: str) -> Website | None:
    """``SELECT … FOR UPDATE`` on PostgreSQL: two settings updates merge one after the other."""
    return await session.scalar(select(Website).where(Website.id == website_id).with_for_update())


async def delete(session: AsyncSession, website: Website) -> None:
    # Rows of other domains go by ON DELETE CASCADE, in the database, in this transaction.
    await session.delete(website)
    await session.flush()
