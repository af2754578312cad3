"""Queries on sessions and page views. No rules here: the service decides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.conversations.models import Conversation
from sitechat.tracking.models import PageView, VisitorSession
from sitechat.visitors.models import Visitor, VisitorEvent


async def latest_session(session: AsyncSession, visitor_id: str) -> VisitorSession | None:
    return await session.scalar(
        select(VisitorSession)
        .where(VisitorSession.visitor_id == visitor_id)
        .order_by(VisitorSession.started_at.desc(), VisitorSession.id.desc())
        .limit(1)
    )


async def count_sessions(session: AsyncSession, visitor_id: str) -> int:
    n = await session.scalar(select(func.count()).where(VisitorSession.visitor_id == visitor_id))
    return int(n or 0)


async def page_view(session: AsyncSession, session_id: str, client_pv: str) -> PageView | None:
    return await session.scalar(
        select(PageView).where(PageView.session_id == session_id, PageView.client_pv == client_pv)
    )


async def page_view_of_visitor(session: AsyncSession, visitor_id: str, client_pv: str) -> PageView | None:
    return await session.scalar(
        select(PageView)
        .where(PageView.visitor_id == visitor_id, PageView.client_pv == client_pv)
        .order_by(PageView.started_at.desc())
        .limit(1)
    )


async def latest_page_view(session: AsyncSession, session_id: str) -> PageView | None:
    return await session.scalar(
        select(PageView)
        .where(PageView.session_id == session_id)
        .order_by(PageView.started_at.desc(), PageView.id.desc())
        .limit(1)
    )


async def sessions_of(
    session: AsyncSession, visitor_id: str, limit: int
) -> list[tuple[VisitorSession, list[PageView]]]:
    rows = list(
        (
            await session.scalars(
                select(VisitorSession)
                .where(VisitorSession.visitor_id == visitor_id)
                .order_by(VisitorSession.started_at.desc(), VisitorSession.id.desc())
                .limit(limit)
            )
        ).all()
    )
    if not rows:
        return []
    views = (
        await session.scalars(
            select(PageView)
            .where(PageView.session_id.in_([r.id for r in rows]))
            .order_by(PageView.started_at, PageView.id)
        )
    ).all()
    by_session: dict[str, list[PageView]] = {r.id: [] for r in rows}
    for v in views:
        by_session[v.session_id].append(v)
    return [(r, by_session[r.id]) for r in rows]


async def move_visitor(session: AsyncSession, from_id: str, to_id: str) -> None:
    for model in (VisitorSession, PageView, VisitorEvent):
        await session.execute(update(model).where(model.visitor_id == from_id).values(visitor_id=to_id))


async def purge_anonymous(session: AsyncSession, idle_before: datetime, batch: int = 500) -> int:
    """Delete up to ``batch`` visitors who never chatted nor said who they are and were
    last seen before ``idle_before`` (their sessions, page views and events go with them
    by ON DELETE CASCADE). Retention reaches across domains on purpose: it is the one
    place that decides what is forgotten."""
    chatted = select(Conversation.id).where(Conversation.visitor_id == Visitor.id).exists()
    ids = list(
        (
            await session.scalars(
                select(Visitor.id)
                .where(
                    Visitor.last_seen_at < idle_before,
                    Visitor.name.is_(None),
                    Visitor.email.is_(None),
                    Visitor.phone.is_(None),
                    Visitor.company.is_(None),
                    Visitor.user_id.is_(None),
                    ~chatted,
                )
                .limit(batch)
            )
        ).all()
    )
    if not ids:
        return 0
    # Children first: SQLite enforces ON DELETE CASCADE only with foreign keys on.
    for model in (PageView, VisitorSession, VisitorEvent):
        await session.execute(delete(model).where(model.visitor_id.in_(ids)))
    await session.execute(delete(Visitor).where(Visitor.id.in_(ids)))
    return len(ids)
