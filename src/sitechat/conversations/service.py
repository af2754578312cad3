"""Conversations and messages: the rules of who may read and write what, and the seq log.

Every message is stored before anything is published; ``seq`` comes from an atomic
``UPDATE … SET last_seq = last_seq + 1 RETURNING`` so two nodes never hand out the same
number, and ``(sender_key, client_msg_id)`` is unique so a retried send finds the first.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased

from sitechat.actors import Actor, AgentActor, VisitorActor
from sitechat.agents.models import Agent
from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import new_id, utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import BadRequest, MessageTooLong, NotFound, ValidationFailed, WebsiteNotFound
from sitechat.realtime import topics
from sitechat.realtime.protocol import (
    ConversationBrief,
    ConversationFrame,
    ConversationOut,
    LastMessage,
    MessageFrame,
    MessageOut,
    Receipt,
    Sender,
    TypingFrame,
    VisitorBrief,
    VisitorConversationFrame,
)
from sitechat.visitors.models import Visitor
from sitechat.websites.models import Website


@dataclass(frozen=True, slots=True)
class SendResult:
    message: Message
    conversation: Conversation
    created: bool  # False when an earlier send with the same client_msg_id is returned


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        seq=m.seq,
        sender=Sender(kind=m.sender_kind, id=m.sender_id, name=m.sender_name),
        body=m.body,
        client_msg_id=m.client_msg_id,
        created_at=m.created_at,
    )


def brief(c: Conversation) -> ConversationBrief:
    return ConversationBrief(id=c.id, status=c.status, last_seq=c.last_seq, created_at=c.created_at)


def _out(c: Conversation, v: Visitor | None, last: Message | None) -> ConversationOut:
    return ConversationOut(
        id=c.id,
        website_id=c.website_id,
        visitor=VisitorBrief(id=c.visitor_id, name=v.name if v else None, email=v.email if v else None),
        status=c.status,
        assignee_id=c.assignee_id,
        last_seq=c.last_seq,
        last_message=(
            LastMessage(body=last.body[:200], sender_kind=last.sender_kind, created_at=last.created_at)
            if last
            else None
        ),
        unread_count=max(0, c.last_seq - c.agent_read_seq),
        visitor_read_seq=c.visitor_read_seq,
        agent_read_seq=c.agent_read_seq,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


async def conversation_out(uow: UnitOfWork, c: Conversation) -> ConversationOut:
    visitor = await uow.session.get(Visitor, c.visitor_id)
    last = None
    if c.last_seq:
        last = await uow.session.scalar(
            select(Message).where(Message.conversation_id == c.id, Message.seq == c.last_seq)
        )
    return _out(c, visitor, last)


# --- access ----------------------------------------------------------------------------


async def get_for(uow: UnitOfWork, actor: Actor, conversation_id: str, *, lock: bool = False) -> Conversation:
    """The conversation if the actor may see it; ``not_found`` otherwise (never 'forbidden',
    which would tell a stranger the id exists)."""
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        stmt = stmt.with_for_update()
    conv = await uow.session.scalar(stmt)
    if conv is None or not _may_see(actor, conv):
        raise NotFound("No such conversation.")
    return conv


def _may_see(actor: Actor, conv: Conversation) -> bool:
    if isinstance(actor, VisitorActor):
        return conv.visitor_id == actor.visitor_id and conv.website_id == actor.website_id
    return actor.can_see(conv.website_id)


def _emit_conversation(uow: UnitOfWork, out: ConversationOut, conv: Conversation) -> None:
    uow.emit(topics.website(conv.website_id), ConversationFrame(conversation=out).model_dump(mode="json"))
    uow.emit(
        topics.visitor(conv.visitor_id),
        VisitorConversationFrame(conversation=brief(conv)).model_dump(mode="json"),
    )


# --- messages --------------------------------------------------------------------------


def check_body(body: str, max_chars: int) -> str:
    if len(body) > max_chars:
        raise MessageTooLong(f"A message may have at most {max_chars} characters.")
    if not body.strip():
        raise ValidationFailed("A message needs some text.")
    if "\x00" in body:
        raise ValidationFailed("A message may not contain NUL characters.")
    return body


async def find_sent(uow: UnitOfWork, actor: Actor, client_msg_id: str) -> SendResult | None:
    msg = await uow.session.scalar(
        select(Message).where(Message.sender_key == actor.sender_key, Message.client_msg_id == client_msg_id)
    )
    if msg is None:
        return None
    conv = await uow.session.get(Conversation, msg.conversation_id)
    if conv is None:
        return None
    return SendResult(message=msg, conversation=conv, created=False)


async def send_message(
    uow: UnitOfWork,
    actor: Actor,
    *,
    body: str,
    max_chars: int,
    conversation_id: str | None = None,
    client_msg_id: str | None = None,
) -> SendResult:
    """Store a message and queue its events. A caller that hits IntegrityError (two
    concurrent retries of one client_msg_id) rolls back and calls again: the retry then
    finds the stored message."""
    check_body(body, max_chars)
    if client_msg_id is not None:
        earlier = await find_sent(uow, actor, client_msg_id)
        if earlier is not None:
            return earlier

    created = False
    now = utcnow()
    if isinstance(actor, VisitorActor):
        if conversation_id is not None:
            conv = await get_for(uow, actor, conversation_id)
        else:
            current = await uow.session.scalar(
                select(Conversation)
                .where(Conversation.visitor_id == actor.visitor_id, Conversation.status != "resolved")
                .order_by(Conversation.created_at.desc())
                .limit(1)
            )
            if current is None:
                current = Conversation(
                    id=new_id("c"),
                    website_id=actor.website_id,
                    visitor_id=actor.visitor_id,
                    status="open",
                    last_seq=0,
                    created_at=now,
                    updated_at=now,
                    last_activity_at=now,
                )
                uow.session.add(current)
                await uow.session.flush()
                created = True
            conv = current
        sender_kind, sender_id, sender_name = "visitor", actor.visitor_id, None
        visitor = await uow.session.get(Visitor, actor.visitor_id)
        if visitor is not None:
            sender_name = visitor.name
    else:
        if conversation_id is None:
            raise BadRequest("conversation_id is required.")
        conv = await get_for(uow, actor, conversation_id)
        sender_kind, sender_id, sender_name = "agent", actor.agent_id, actor.name

    reopened = sender_kind == "visitor" and conv.status in ("resolved", "snoozed")
    values: dict[str, Any] = {
        "last_seq": Conversation.last_seq + 1,
        "last_activity_at": now,
        "updated_at": now,
    }
    if reopened:
        values["status"] = "open"
    seq = await uow.session.scalar(
        update(Conversation)
        .where(Conversation.id == conv.id)
        .values(**values)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)
    )
    assert seq is not None
    # Writing is reading: the sender's side has read everything up to its own message.
    read_col = "visitor" if sender_kind == "visitor" else "agent"
    await uow.session.execute(
        update(Conversation)
        .where(Conversation.id == conv.id)
        .values({f"{read_col}_read_seq": seq, f"{read_col}_delivered_seq": seq})
        .execution_options(synchronize_session=False)
    )
    await uow.session.refresh(conv)
    msg = Message(
        id=new_id("m"),
        conversation_id=conv.id,
        seq=seq,
        sender_kind=sender_kind,
        sender_id=sender_id,
        sender_name=sender_name,
        sender_key=actor.sender_key,
        client_msg_id=client_msg_id,
        body=body,
        created_at=now,
    )
    uow.session.add(msg)
    await uow.session.flush()

    if created or reopened:
        # Agents learn of the conversation before its first message.
        _emit_conversation(uow, await conversation_out(uow, conv), conv)
    out = message_out(msg)
    uow.emit(
        topics.website(conv.website_id),
        MessageFrame(conversation_id=conv.id, website_id=conv.website_id, message=out).model_dump(
            mode="json"
        ),
    )
    uow.emit(
        topics.visitor(conv.visitor_id),
        MessageFrame(conversation_id=conv.id, message=out).model_dump(mode="json"),
    )
    return SendResult(message=msg, conversation=conv, created=True)


async def messages_between(
    uow: UnitOfWork, conversation_id: str, after_seq: int, upto_seq: int | None = None, limit: int = 500
) -> list[Message]:
    """Internal: replay and gap filling for a connection already authorized for it."""
    stmt = select(Message).where(Message.conversation_id == conversation_id, Message.seq > after_seq)
    if upto_seq is not None:
        stmt = stmt.where(Message.seq <= upto_seq)
    return list((await uow.session.scalars(stmt.order_by(Message.seq).limit(limit))).all())


async def list_messages(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: str,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = 100,
    latest: bool = False,
) -> tuple[list[Message], bool]:
    """A page of messages in ascending seq. With neither bound, the oldest page, or with
    ``latest`` the newest one (what a chat window shows first)."""
    conv = await get_for(uow, actor, conversation_id)
    if latest and before_seq is None and after_seq is None:
        before_seq = conv.last_seq + 1
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if after_seq is not None:
        stmt = stmt.where(Message.seq > after_seq)
    if before_seq is not None:
        stmt = stmt.where(Message.seq < before_seq)
    if before_seq is not None and after_seq is None:
        # The newest page below before_seq, returned in ascending order.
        rows = list((await uow.session.scalars(stmt.order_by(Message.seq.desc()).limit(limit + 1))).all())
        has_more = len(rows) > limit
        return list(reversed(rows[:limit])), has_more
    rows = list((await uow.session.scalars(stmt.order_by(Message.seq).limit(limit + 1))).all())
    return rows[:limit], len(rows) > limit


# --- state changes ---------------------------------------------------------------------


async def set_status(
    uow: UnitOfWork, actor: AgentActor, conversation_id: str, status: str
) -> ConversationOut:
    conv = await get_for(uow, actor, conversation_id, lock=True)
    if conv.status != status:
        conv.status = status
        conv.updated_at = utcnow()
        await uow.session.flush()
        out = await conversation_out(uow, conv)
        _emit_conversation(uow, out, conv)
        return out
    return await conversation_out(uow, conv)


async def assign(
    uow: UnitOfWork, actor: AgentActor, conversation_id: str, agent_id: str | None
) -> ConversationOut:
    conv = await get_for(uow, actor, conversation_id, lock=True)
    if agent_id is not None:
        from sitechat.agents import service as agents  # a domain calls another's service

        assignee = await uow.session.get(Agent, agent_id)
        if assignee is None or assignee.disabled:
            raise NotFound("No such agent.")
        scope = await agents.website_ids_of(uow, assignee)
        if scope is not None and conv.website_id not in scope:
            raise ValidationFailed("That agent does not work on this conversation's website.")
    if conv.assignee_id != agent_id:
        conv.assignee_id = agent_id
        conv.updated_at = utcnow()
        await uow.session.flush()
        out = await conversation_out(uow, conv)
        _emit_conversation(uow, out, conv)
        return out
    return await conversation_out(uow, conv)


async def get_out(uow: UnitOfWork, actor: AgentActor, conversation_id: str) -> ConversationOut:
    return await conversation_out(uow, await get_for(uow, actor, conversation_id))


async def mark_seen(uow: UnitOfWork, actor: Actor, conversation_id: str, seq: int, state: str) -> None:
    conv = await get_for(uow, actor, conversation_id)
    seq = min(seq, conv.last_seq)
    side = "visitor" if isinstance(actor, VisitorActor) else "agent"
    cols = [f"{side}_delivered_seq"] + ([f"{side}_read_seq"] if state == "read" else [])
    changed = False
    for col in cols:
        if getattr(conv, col) < seq:
            # Monotonic under concurrency: only ever raise the mark.
            await uow.session.execute(
                update(Conversation)
                .where(Conversation.id == conv.id, getattr(Conversation, col) < seq)
                .values({col: seq})
                .execution_options(synchronize_session=False)
            )
            changed = True
    if not changed:
        return
    await uow.session.refresh(conv)
    frame = Receipt(
        conversation_id=conv.id,
        side=side,
        delivered_seq=getattr(conv, f"{side}_delivered_seq"),
        read_seq=getattr(conv, f"{side}_read_seq"),
    ).model_dump(mode="json")
    uow.emit(topics.website(conv.website_id), frame)
    uow.emit(topics.visitor(conv.visitor_id), frame)


async def typing(uow: UnitOfWork, actor: Actor, conversation_id: str, is_typing: bool) -> None:
    conv = await get_for(uow, actor, conversation_id)
    if isinstance(actor, VisitorActor):
        frame = TypingFrame(
            conversation_id=conv.id, sender=Sender(kind="visitor", id=actor.visitor_id), typing=is_typing
        )
        uow.emit(topics.website(conv.website_id), frame.model_dump(mode="json"))
    else:
        frame = TypingFrame(
            conversation_id=conv.id,
            sender=Sender(kind="agent", id=actor.agent_id, name=actor.name),
            typing=is_typing,
        )
        uow.emit(topics.visitor(conv.visitor_id), frame.model_dump(mode="json"))
        # Other agents on the conversation see a colleague typing too.
        uow.emit(topics.website(conv.website_id), frame.model_dump(mode="json"))


async def visitor_conversations(uow: UnitOfWork, actor: VisitorActor, limit: int = 50) -> list[Conversation]:
    rows = await uow.session.scalars(
        select(Conversation)
        .where(Conversation.visitor_id == actor.visitor_id, Conversation.website_id == actor.website_id)
        .order_by(Conversation.created_at.desc())
        .limit(limit)
    )
    return list(rows.all())


# --- listing ---------------------------------------------------------------------------


def _encode_cursor(at: datetime, cid: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{cid}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, cid = raw.split("|", 1)
        dt = datetime.fromisoformat(at)
        if dt.tzinfo is None:
            raise ValueError
        return dt, cid
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("cursor is not one this server gave out.") from None


async def list_conversations(
    uow: UnitOfWork,
    actor: AgentActor,
    *,
    website_id: str | None = None,
    status: str = "open",
    assignee: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[ConversationOut], str | None]:
    last = aliased(Message)
    stmt = (
        select(Conversation, Visitor, last)
        .join(Visitor, Visitor.id == Conversation.visitor_id)
        .outerjoin(last, and_(last.conversation_id == Conversation.id, last.seq == Conversation.last_seq))
    )
    if website_id is not None:
        if not actor.can_see(website_id) or await uow.session.get(Website, website_id) is None:
            raise WebsiteNotFound()
        stmt = stmt.where(Conversation.website_id == website_id)
    elif actor.website_ids is not None:
        stmt = stmt.where(Conversation.website_id.in_(actor.website_ids or {""}))
    if status != "all":
        stmt = stmt.where(Conversation.status == status)
    if assignee == "me":
        stmt = stmt.where(Conversation.assignee_id == actor.agent_id)
    elif assignee == "unassigned":
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    elif assignee is not None:
        stmt = stmt.where(Conversation.assignee_id == assignee)
    if cursor:
        at, cid = _decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                Conversation.last_activity_at < at,
                and_(Conversation.last_activity_at == at, Conversation.id < cid),
            )
        )
    stmt = stmt.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(limit + 1)
    rows = (await uow.session.execute(stmt)).all()
    items = [_out(c, v, m) for c, v, m in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        c = rows[limit - 1][0]
        next_cursor = _encode_cursor(c.last_activity_at, c.id)
    return items, next_cursor


async def count_for_website(uow: UnitOfWork, website_id: str) -> int:
    return int(
        await uow.session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.website_id == website_id)
        )
        or 0
    )
