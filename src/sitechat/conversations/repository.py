"""Queries on conversations and messages. No rules here: the service decides who may read
and write what, this reads and writes rows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import new_id
from sitechat.visitors.models import Visitor

# --- conversations ---------------------------------------------------------------------


async def get(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def select_one(
    session: AsyncSession, conversation_id: str, *, lock: bool = False
) -> Conversation | None:
    """Always asks the database; with ``lock``, ``SELECT … FOR UPDATE``."""
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def current_of_visitor(session: AsyncSession, visitor_id: str) -> Conversation | None:
    """The visitor's newest conversation that is not resolved."""
    return await session.scalar(
        select(Conversation)
        .where(Conversation.visitor_id == visitor_id, Conversation.status != "resolved")
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )


async def insert(
    session: AsyncSession, *, website_id: str, visitor_id: str, now: datetime, origin: str = "chat"
) -> Conversation:
    conv = Conversation(
        id=new_id("c"),
        website_id=website_id,
        visitor_id=visitor_id,
        status="open",
        origin=origin,
        last_seq=0,
        visitor_seq=0,
        priority="normal",
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    session.add(conv)
    await session.flush()
    return conv


async def next_seq(
    session: AsyncSession, conversation_id: str, *, now: datetime, reopen: bool, visible: bool = True
) -> int | None:
    """Take the next seq with one atomic ``UPDATE … RETURNING``, so two nodes never hand
    out the same number. ``visible``: the visitor may see the message (not a note)."""
    values: dict[str, Any] = {
        "last_seq": Conversation.last_seq + 1,
        "last_activity_at": now,
        "updated_at": now,
    }
    if visible:
        # SET expressions read the row as it was: both become the new seq.
        values["visitor_seq"] = Conversation.last_seq + 1
    if reopen:
        values["status"] = "open"
        values["snoozed_until"] = None
    return await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(**values)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)
    )


async def set_marks(session: AsyncSession, conversation_id: str, side: str, seq: int) -> None:
    """Set ``side``'s (visitor or agent) read and delivered marks to ``seq``."""
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values({f"{side}_read_seq": seq, f"{side}_delivered_seq": seq})
        .execution_options(synchronize_session=False)
    )


async def raise_mark(session: AsyncSession, conversation_id: str, col: str, seq: int) -> None:
    """Raise one ``*_delivered_seq`` / ``*_read_seq`` column to ``seq`` if it is below."""
    # Monotonic under concurrency: only ever raise the mark.
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, getattr(Conversation, col) < seq)
        .values({col: seq})
        .execution_options(synchronize_session=False)
    )


async def refresh(session: AsyncSession, conv: Conversation) -> None:
    """Reload ``conv`` after next_seq, set_marks or raise_mark: they change the row without
    touching the loaded object (``synchronize_session=False``)."""
    await session.refresh(conv)


async def set_status(session: AsyncSession, conv: Conversation, status: str, now: datetime) -> None:
    conv.status = status
    conv.snoozed_until = None
    conv.updated_at = now
    await session.flush()


async def set_snoozed(session: AsyncSession, conv: Conversation, until: datetime, now: datetime) -> None:
    conv.status = "snoozed"
    conv.snoozed_until = until
    conv.updated_at = now
    await session.flush()


async def set_priority(session: AsyncSession, conv: Conversation, priority: str, now: datetime) -> None:
    conv.priority = priority
    conv.updated_at = now
    await session.flush()


async def wake_due(session: AsyncSession, now: datetime, limit: int) -> list[Conversation]:
    """Reopen snoozed conversations whose time has come, and return those this call
    changed. The WHERE is checked again on the locked row, so when nodes race each
    conversation is returned to exactly one of them."""
    due = (
        select(Conversation.id)
        .where(Conversation.snoozed_until <= now, Conversation.status == "snoozed")
        .order_by(Conversation.snoozed_until)
        .limit(limit)
    )
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    woke = await session.scalars(
        update(Conversation)
        .where(Conversation.id.in_(ids), Conversation.status == "snoozed", Conversation.snoozed_until <= now)
        .values(status="open", snoozed_until=None, updated_at=now)
        .returning(Conversation.id)
        .execution_options(synchronize_session=False)
    )
    changed = list(woke.all())
    if not changed:
        return []
    rows = await session.scalars(
        select(Conversation).where(Conversation.id.in_(changed)).execution_options(populate_existing=True)
    )
    return list(rows.all())


async def set_assignee(
    session: AsyncSession, conv: Conversation, agent_id: str | None, now: datetime
) -> None:
    conv.assignee_id = agent_id
    conv.updated_at = now
    await session.flush()


async def of_visitor(
    session: AsyncSession, visitor_id: str, website_id: str, limit: int
) -> list[tuple[Conversation, Message | None]]:
    """The visitor's conversations, newest first, each with its last message."""
    last = aliased(Message)
    stmt = (
        select(Conversation, last)
        # The last message the visitor may see: never a note.
        .outerjoin(last, and_(last.conversation_id == Conversation.id, last.seq == Conversation.visitor_seq))
        .where(Conversation.visitor_id == visitor_id, Conversation.website_id == website_id)
        .order_by(Conversation.created_at.desc())
        .limit(limit)
    )
    return [(c, m) for c, m in (await session.execute(stmt)).all()]


async def count_for_website(session: AsyncSession, website_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.website_id == website_id)
        )
        or 0
    )


async def list_page(
    session: AsyncSession,
    *,
    website_id: str | None,
    website_ids: Collection[str] | None,
    status: str | None,
    assignee_id: str | None,
    unassigned: bool,
    before: tuple[datetime, str] | None,
    limit: int,
    visitor_id: str | None = None,
    priority: str | None = None,
    q: str | None = None,
) -> list[tuple[Conversation, Visitor, Message | None]]:
    """Conversations newest activity first, each with its visitor and last message.

    ``website_id`` one website, else ``website_ids`` some, else (both None) every website;
    ``before`` is the (last_activity_at, id) of the last row of the previous page; ``q``
    matches the visitor's name or email or any message's text, case-insensitively.
    """
    # This reads the visitors table, which belongs to the visitors domain: the list view
    # wants each row's visitor and last message in one round trip, not one per row.
    last = aliased(Message)
    stmt = (
        select(Conversation, Visitor, last)
        .join(Visitor, Visitor.id == Conversation.visitor_id)
        .outerjoin(last, and_(last.conversation_id == Conversation.id, last.seq == Conversation.last_seq))
    )
    if website_id is not None:
        stmt = stmt.where(Conversation.website_id == website_id)
    elif website_ids is not None:
        stmt = stmt.where(Conversation.website_id.in_(website_ids or {""}))
    if status is not None:
        stmt = stmt.where(Conversation.status == status)
    if unassigned:
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    elif assignee_id is not None:
        stmt = stmt.where(Conversation.assignee_id == assignee_id)
    if visitor_id is not None:
        stmt = stmt.where(Conversation.visitor_id == visitor_id)
    if priority is not None:
        stmt = stmt.where(Conversation.priority == priority)
    if q is not None:
        stmt = stmt.where(_matches(q))
    if before is not None:
        at, cid = before
        stmt = stmt.where(
            or_(
                Conversation.last_activity_at < at,
                and_(Conversation.last_activity_at == at, Conversation.id < cid),
            )
        )
    stmt = stmt.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(limit)
    # The outer join gives None for a conversation with no message yet.
    return [(c, v, m) for c, v, m in (await session.execute(stmt)).all()]


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches(q: str) -> ColumnElement[bool]:
    """ILIKE on PostgreSQL (a pg_trgm index on messages.body serves it where the migration
    could create one), lower() LIKE on SQLite: a scan, bounded by the website filter."""
    pattern = _like(q)
    # Correlated: each candidate conversation (already narrowed to the agent's websites
    # and the filters) is searched through its own messages by the (conversation, seq) key.
    in_messages = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id, Message.body.ilike(pattern, escape="\\"))
        .exists()
    )
    return or_(
        Visitor.name.ilike(pattern, escape="\\"),
        Visitor.email.ilike(pattern, escape="\\"),
        in_messages,
    )


async def counts(
    session: AsyncSession,
    *,
    website_id: str | None,
    website_ids: Collection[str] | None,
    status: str | None,
    agent_id: str,
) -> dict[str, tuple[int, int]]:
    """Per inbox filter (mine, unassigned, all): (conversations, unread messages)."""
    unread = Conversation.last_seq - Conversation.agent_read_seq
    mine = Conversation.assignee_id == agent_id
    nobody = Conversation.assignee_id.is_(None)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(unread), 0),
        func.coalesce(func.sum(case((mine, 1), else_=0)), 0),
        func.coalesce(func.sum(case((mine, unread), else_=0)), 0),
        func.coalesce(func.sum(case((nobody, 1), else_=0)), 0),
        func.coalesce(func.sum(case((nobody, unread), else_=0)), 0),
    ).select_from(Conversation)
    if website_id is not None:
        stmt = stmt.where(Conversation.website_id == website_id)
    elif website_ids is not None:
        stmt = stmt.where(Conversation.website_id.in_(website_ids or {""}))
    if status is not None:
        stmt = stmt.where(Conversation.status == status)
    row = (await session.execute(stmt)).one()
    n = [int(x or 0) for x in row]
    return {"all": (n[0], n[1]), "mine": (n[2], n[3]), "unassigned": (n[4], n[5])}


# --- messages --------------------------------------------------------------------------


async def message_at(session: AsyncSession, conversation_id: str, seq: int) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.conversation_id == conversation_id, Message.seq == seq)
    )


async def sent_message(session: AsyncSession, sender_key: str, client_msg_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.sender_key == sender_key, Message.client_msg_id == client_msg_id)
    )


async def insert_message(
    session: AsyncSession,
    *,
    conversation_id: str,
    seq: int,
    sender_kind: str,
    sender_id: str | None,
    sender_name: str | None,
    sender_key: str,
    client_msg_id: str | None,
    body: str,
    created_at: datetime,
    note: bool = False,
) -> Message:
    """Raises IntegrityError from the flush when ``(sender_key, client_msg_id)`` is taken."""
    msg = Message(
        id=new_id("m"),
        conversation_id=conversation_id,
        seq=seq,
        sender_kind=sender_kind,
        sender_id=sender_id,
        sender_name=sender_name,
        sender_key=sender_key,
        client_msg_id=client_msg_id,
        body=body,
        note=note,
        created_at=created_at,
    )
    session.add(msg)
    await session.flush()
    return msg


async def messages_between(
    session: AsyncSession,
    conversation_id: str,
    after_seq: int,
    upto_seq: int | None,
    limit: int,
    notes: bool = True,
) -> list[Message]:
    stmt = select(Message).where(Message.conversation_id == conversation_id, Message.seq > after_seq)
    if not notes:
        stmt = stmt.where(Message.note.is_(False))
    if upto_seq is not None:
        stmt = stmt.where(Message.seq <= upto_seq)
    return list((await session.scalars(stmt.order_by(Message.seq).limit(limit))).all())


async def messages_page(
    session: AsyncSession,
    conversation_id: str,
    *,
    after_seq: int | None,
    before_seq: int | None,
    limit: int,
    notes: bool = True,
) -> tuple[list[Message], bool]:
    """Up to ``limit`` messages in ascending seq, and whether the range holds more."""
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if not notes:
        stmt = stmt.where(Message.note.is_(False))
    if after_seq is not None:
        stmt = stmt.where(Message.seq > after_seq)
    if before_seq is not None:
        stmt = stmt.where(Message.seq < before_seq)
    if before_seq is not None and after_seq is None:
        # The newest page below before_seq, returned in ascending order.
        rows = list((await session.scalars(stmt.order_by(Message.seq.desc()).limit(limit + 1))).all())
        has_more = len(rows) > limit
        return list(reversed(rows[:limit])), has_more
    rows = list((await session.scalars(stmt.order_by(Message.seq).limit(limit + 1))).all())
    return rows[:limit], len(rows) > limit


# --- identification ------------------------------------------------------------------------


async def move_visitor(session: AsyncSession, from_visitor_id: str, to_visitor_id: str) -> list[Conversation]:
    """Every conversation of one visitor, given to another, with that visitor's messages
    (sender id and the key client_msg_id is unique in). Returns them, reloaded."""
    stmt = select(Conversation.id).where(Conversation.visitor_id == from_visitor_id)
    ids = list((await session.scalars(stmt)).all())
    if not ids:
        return []
    await session.execute(
        update(Conversation)
        .where(Conversation.id.in_(ids))
        .values(visitor_id=to_visitor_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Message)
        .where(
            Message.conversation_id.in_(ids),
            Message.sender_kind == "visitor",
            Message.sender_id == from_visitor_id,
        )
        .values(sender_id=to_visitor_id, sender_key=f"visitor:{to_visitor_id}")
        .execution_options(synchronize_session=False)
    )
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.id.in_(ids))
        .order_by(Conversation.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def count_for_visitor(session: AsyncSession, visitor_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.visitor_id == visitor_id)
        )
        or 0
    )
