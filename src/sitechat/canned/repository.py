"""Queries on canned responses. No rules here: the service decides."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.canned.models import CannedResponse


async def get(session: AsyncSession, canned_id: str) -> CannedResponse | None:
    return await session.get(CannedResponse, canned_id)


async def visible(
    session: AsyncSession, agent_id: str, website_ids: list[str] | None, limit: int
) -> list[CannedResponse]:
    """The agent's own replies and the shared replies of the given websites (None: all)."""
    shared: ColumnElement[bool] = CannedResponse.agent_id.is_(None)
    if website_ids is not None:
        shared = and_(shared, CannedResponse.website_id.in_(website_ids))
    rows = await session.scalars(
        select(CannedResponse)
        .where(or_(CannedResponse.agent_id == agent_id, shared))
        .order_by(CannedResponse.shortcut, CannedResponse.id)
        .limit(limit)
    )
    return list(rows.all())


async def shortcut_taken(session: AsyncSession, scope_key: str, shortcut: str, but: str | None) -> bool:
    q = select(CannedResponse.id).where(
        CannedResponse.scope_key == scope_key, CannedResponse.shortcut == shortcut
    )
    if but is not None:
        q = q.where(CannedResponse.id != but)
    return (await session.scalar(q.limit(1))) is not None


async def remove(session: AsyncSession, canned_id: str) -> None:
    await session.execute(delete(CannedResponse).where(CannedResponse.id == canned_id))
