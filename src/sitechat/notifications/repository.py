"""Queries of the notifications domain (its own tables only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.notifications.models import (
    ConversationMute,
    NotificationPrefs,
    PushSubscription,
    UnansweredConversation,
)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def prefs_of(session: AsyncSession, agent_id: str) -> NotificationPrefs | None:
    return await session.get(NotificationPrefs, agent_id)


async def prefs_of_many(session: AsyncSession, agent_ids: Sequence[str]) -> dict[str, NotificationPrefs]:
    if not agent_ids:
        return {}
    rows = await session.scalars(select(NotificationPrefs).where(NotificationPrefs.agent_id.in_(agent_ids)))
    return {r.agent_id: r for r in rows}


async def prefs_row(session: AsyncSession, agent_id: str, now: datetime) -> NotificationPrefs:
    """The agent's row, created if missing (two first saves at once: one inserts, both update)."""
    ins = _insert(session)
    await session.execute(
        ins(NotificationPrefs)
        .values(agent_id=agent_id, prefs=None, muted_until=None, updated_at=now)
        .on_conflict_do_nothing()
    )
    row = await session.get(NotificationPrefs, agent_id, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


async def muted_conversations(session: AsyncSession, conversation_id: str) -> set[str]:
    """The agents who muted this conversation."""
    rows = await session.scalars(
        select(ConversationMute.agent_id).where(ConversationMute.conversation_id == conversation_id)
    )
    return set(rows)


async def is_muted(session: AsyncSession, agent_id: str, conversation_id: str) -> bool:
    return await session.get(ConversationMute, (agent_id, conversation_id)) is not None


async def mute_conversation(
    session: AsyncSession, agent_id: str, conversation_id: str, now: datetime
) -> None:
    ins = _insert(session)
    stmt = (
        ins(ConversationMute)
        .values(agent_id=agent_id, conversation_id=conversation_id, created_at=now)
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)


async def unmute_conversation(session: AsyncSession, agent_id: str, conversation_id: str) -> None:
    await session.execute(
        delete(ConversationMute).where(
            ConversationMute.agent_id == agent_id, ConversationMute.conversation_id == conversation_id
        )
    )


async def muted_ids(session: AsyncSession, agent_id: str, limit: int = 1000) -> list[str]:
    rows = await session.scalars(
        select(ConversationMute.conversation_id)
        .where(ConversationMute.agent_id == agent_id)
        .order_by(ConversationMute.created_at.desc())
        .limit(limit)
    )
    return list(rows)


# --- push subscriptions ------------------------------------------------------------------


async def subscriptions_of(session: AsyncSession, agent_id: str) -> list[PushSubscription]:
    rows = await session.scalars(
        select(PushSubscription)
        .where(PushSubscription.agent_id == agent_id)
        .order_by(PushSubscription.created_at)
    )
    return list(rows)


async def count_subscriptions(session: AsyncSession, agent_id: str) -> int:
    return len(await subscriptions_of(session, agent_id))


async def upsert_subscription(
    session: AsyncSession, agent_id: str, endpoint: str, p256dh: str, auth: str, now: datetime
) -> PushSubscription:
    existing = await session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if existing is not None:
        # The browser (same endpoint) now belongs to whoever signed in last.
        existing.agent_id, existing.p256dh, existing.auth = agent_id, p256dh, auth
        await session.flush()
        return existing
    sub = PushSubscription(agent_id=agent_id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=now)
    session.add(sub)
    await session.flush()
    return sub


async def delete_subscription(session: AsyncSession, agent_id: str, endpoint: str) -> bool:
    res = await session.execute(
        delete(PushSubscription).where(
            PushSubscription.agent_id == agent_id, PushSubscription.endpoint == endpoint
        )
    )
    return bool(getattr(res, "rowcount", 0))


async def delete_subscription_by_id(session: AsyncSession, sub_id: str) -> None:
    await session.execute(delete(PushSubscription).where(PushSubscription.id == sub_id))


# --- unanswered conversations --------------------------------------------------------------


async def mark_unanswered(
    session: AsyncSession, conversation_id: str, website_id: str, seq: int, at: datetime
) -> None:
    """Start an unanswered period unless one is running (its first message names it)."""
    ins = _insert(session)
    stmt = (
        ins(UnansweredConversation)
        .values(conversation_id=conversation_id, website_id=website_id, since_seq=seq, since_at=at)
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)


async def mark_answered(session: AsyncSession, conversation_id: str) -> None:
    await session.execute(
        delete(UnansweredConversation).where(UnansweredConversation.conversation_id == conversation_id)
    )


async def due_unanswered(
    session: AsyncSession, before: datetime, limit: int = 200
) -> list[UnansweredConversation]:
    rows = await session.scalars(
        select(UnansweredConversation)
        .where(UnansweredConversation.emailed_at.is_(None), UnansweredConversation.since_at <= before)
        .order_by(UnansweredConversation.since_at)
        .limit(limit)
    )
    return list(rows)


async def claim_unanswered(
    session: AsyncSession, conversation_id: str, since_seq: int, now: datetime
) -> bool:
    """True for exactly one caller across nodes: the one whose UPDATE set emailed_at."""
    res = await session.execute(
        update(UnansweredConversation)
        .where(
            UnansweredConversation.conversation_id == conversation_id,
            UnansweredConversation.since_seq == since_seq,
            UnansweredConversation.emailed_at.is_(None),
        )
        .values(emailed_at=now)
    )
    return bool(getattr(res, "rowcount", 0))
