"""Conversations and messages: the rules of who may read and write what, and the seq log.

Every message is stored before anything is published; ``seq`` comes from an atomic
``UPDATE … SET last_seq = last_seq + 1 RETURNING`` so two nodes never hand out the same
number, and ``(sender_key, client_msg_id)`` is unique so a retried send finds the first.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from sitechat.actors import Actor, AgentActor, VisitorActor
from sitechat.conversations import repository
from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import (
    BadRequest,
    MessageTooLong,
    NotFound,
    OfflineFormDisabled,
    ProfileRequired,
    Unauthorized,
    ValidationFailed,
    WebsiteNotFound,
)
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
from sitechat.visitors import service as visitors
from sitechat.visitors.models import Visitor
from sitechat.visitors.schemas import ProfileFields
from sitechat.websites import service as websites


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


def brief(c: Conversation, last: Message | None = None) -> ConversationBrief:
    return ConversationBrief(
        id=c.id,
        status=c.status,
        last_seq=c.last_seq,
        created_at=c.created_at,
        origin=c.origin,
        last_message=_last(last),
        agent_delivered_seq=c.agent_delivered_seq,
        agent_read_seq=c.agent_read_seq,
        visitor_read_seq=c.visitor_read_seq,
    )


def _last(m: Message | None) -> LastMessage | None:
    if m is None:
        return None
    return LastMessage(body=m.body[:200], sender_kind=m.sender_kind, created_at=m.created_at)


def _out(c: Conversation, v: Visitor | None, last: Message | None) -> ConversationOut:
    return ConversationOut(
        id=c.id,
        website_id=c.website_id,
        visitor=VisitorBrief(id=c.visitor_id, name=v.name if v else None, email=v.email if v else None),
        status=c.status,
        origin=c.origin,
        assignee_id=c.assignee_id,
        last_seq=c.last_seq,
        last_message=_last(last),
        unread_count=max(0, c.last_seq - c.agent_read_seq),
        visitor_read_seq=c.visitor_read_seq,
        agent_read_seq=c.agent_read_seq,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


async def conversation_out(uow: UnitOfWork, c: Conversation) -> ConversationOut:
    visitor = await visitors.get(uow, c.visitor_id)
    last = None
    if c.last_seq:
        last = await repository.message_at(uow.session, c.id, c.last_seq)
    return _out(c, visitor, last)


# --- access ----------------------------------------------------------------------------


async def get_for(uow: UnitOfWork, actor: Actor, conversation_id: str, *, lock: bool = False) -> Conversation:
    """The conversation if the actor may see it; ``not_found`` otherwise (never 'forbidden',
    which would tell a stranger the id exists)."""
    conv = await repository.select_one(uow.session, conversation_id, lock=lock)
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
        VisitorConversationFrame(
            conversation=brief(conv).model_copy(update={"last_message": out.last_message})
        ).model_dump(mode="json"),
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
    msg = await repository.sent_message(uow.session, actor.sender_key, client_msg_id)
    if msg is None:
        return None
    conv = await repository.get(uow.session, msg.conversation_id)
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
    new_conversation: bool = False,
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
            visitor = await visitors.lock(uow, actor.visitor_id)
            if visitor is None:
                # Merged into a verified profile (or forgotten) while this socket was open:
                # a conversation must not be started for a visitor that no longer exists.
                raise Unauthorized("This visitor no longer exists; fetch the widget config again.")
            current = None
            if not new_conversation:
                current = await repository.current_of_visitor(uow.session, actor.visitor_id)
            if current is None:
                await _check_prechat(uow, actor, visitor)
                current = await repository.insert(
                    uow.session, website_id=actor.website_id, visitor_id=actor.visitor_id, now=now
                )
                created = True
            conv = current
    else:
        if conversation_id is None:
            raise BadRequest("conversation_id is required.")
        conv = await get_for(uow, actor, conversation_id)
    return await _append(uow, actor, conv, body=body, client_msg_id=client_msg_id, created=created, now=now)


async def _check_prechat(uow: UnitOfWork, actor: VisitorActor, visitor: Visitor | None) -> None:
    """A website that requires pre-chat details gets them before a conversation starts,
    whatever the client does."""
    settings = await websites.settings(uow, actor.website_id)
    missing = visitors.missing_for_prechat(visitor, settings) if visitor is not None else []
    if missing:
        raise ProfileRequired(
            "Fill in " + ", ".join(missing) + " first.",
            fields=[{"field": f, "message": "required"} for f in missing],
        )


async def submit_offline(
    uow: UnitOfWork,
    actor: VisitorActor,
    *,
    profile: ProfileFields,
    body: str,
    client_msg_id: str,
    max_chars: int,
) -> SendResult:
    """The offline form: save who wrote, then a new conversation holding their message."""
    check_body(body, max_chars)
    earlier = await find_sent(uow, actor, client_msg_id)
    if earlier is not None:
        return earlier
    settings = await websites.settings(uow, actor.website_id)
    if not settings.offline.form_enabled:
        raise OfflineFormDisabled()
    await visitors.update_profile(uow, actor.visitor_id, settings, profile, any_custom_keys=False)
    now = utcnow()
    conv = await repository.insert(
        uow.session, website_id=actor.website_id, visitor_id=actor.visitor_id, now=now, origin="offline"
    )
    return await _append(uow, actor, conv, body=body, client_msg_id=client_msg_id, created=True, now=now)


async def start_with_visitor(
    uow: UnitOfWork,
    actor: AgentActor,
    *,
    visitor_id: str,
    body: str,
    max_chars: int,
    client_msg_id: str | None = None,
) -> SendResult:
    """An agent writes first to a visitor on the website (from the live list). The message
    goes into the visitor's open conversation if there is one, else into a new one
    (``origin: agent``) assigned to the agent; the widget shows it as any reply."""
    check_body(body, max_chars)
    if client_msg_id is not None:
        earlier = await find_sent(uow, actor, client_msg_id)
        if earlier is not None:
            return earlier
    visitor = await visitors.lock(uow, visitor_id)
    if visitor is None or not actor.can_see(visitor.website_id):
        raise NotFound("No such visitor.")
    now = utcnow()
    conv = await repository.current_of_visitor(uow.session, visitor.id)
    created = conv is None
    if conv is None:
        conv = await repository.insert(
            uow.session, website_id=visitor.website_id, visitor_id=visitor.id, now=now, origin="agent"
        )
        conv.assignee_id = actor.agent_id
        await uow.session.flush()
    return await _append(uow, actor, conv, body=body, client_msg_id=client_msg_id, created=created, now=now)


async def _append(
    uow: UnitOfWork,
    actor: Actor,
    conv: Conversation,
    *,
    body: str,
    client_msg_id: str | None,
    created: bool,
    now: datetime,
) -> SendResult:
    if isinstance(actor, VisitorActor):
        sender_kind, sender_id, sender_name = "visitor", actor.visitor_id, None
        visitor = await visitors.get(uow, actor.visitor_id)
        if visitor is not None:
            sender_name = visitor.name
    else:
        sender_kind, sender_id, sender_name = "agent", actor.agent_id, actor.name

    reopened = sender_kind == "visitor" and conv.status in ("resolved", "snoozed")
    seq = await repository.next_seq(uow.session, conv.id, now=now, reopen=reopened)
    assert seq is not None
    # Writing is reading: the sender's side has read everything up to its own message.
    read_col = "visitor" if sender_kind == "visitor" else "agent"
    await repository.set_marks(uow.session, conv.id, read_col, seq)
    await repository.refresh(uow.session, conv)
    msg = await repository.insert_message(
        uow.session,
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
    return await repository.messages_between(uow.session, conversation_id, after_seq, upto_seq, limit)


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
    return await repository.messages_page(
        uow.session, conversation_id, after_seq=after_seq, before_seq=before_seq, limit=limit
    )


# --- state changes ---------------------------------------------------------------------


async def set_status(
    uow: UnitOfWork, actor: AgentActor, conversation_id: str, status: str
) -> ConversationOut:
    conv = await get_for(uow, actor, conversation_id, lock=True)
    if conv.status != status:
        await repository.set_status(uow.session, conv, status, utcnow())
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

        assignee = await agents.get_by_id(uow, agent_id)
        if assignee is None or assignee.disabled:
            raise NotFound("No such agent.")
        scope = await agents.website_ids_of(uow, assignee)
        if scope is not None and conv.website_id not in scope:
            raise ValidationFailed("That agent does not work on this conversation's website.")
    if conv.assignee_id != agent_id:
        await repository.set_assignee(uow.session, conv, agent_id, utcnow())
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
            await repository.raise_mark(uow.session, conv.id, col, seq)
            changed = True
    if not changed:
        return
    await repository.refresh(uow.session, conv)
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


async def visitor_conversations(
    uow: UnitOfWork, actor: VisitorActor, limit: int = 50
) -> list[tuple[Conversation, Message | None]]:
    return await repository.of_visitor(uow.session, actor.visitor_id, actor.website_id, limit)


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
        return dt.astimezone(UTC), cid
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
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
    if website_id is not None:
        if not actor.can_see(website_id) or not await websites.exists(uow, website_id):
            raise WebsiteNotFound()
    unassigned = assignee == "unassigned"
    rows = await repository.list_page(
        uow.session,
        website_id=website_id,
        website_ids=actor.website_ids,
        status=None if status == "all" else status,
        assignee_id=actor.agent_id if assignee == "me" else None if unassigned else assignee,
        unassigned=unassigned,
        before=_decode_cursor(cursor) if cursor else None,
        limit=limit + 1,  # one more than a page tells whether there is a next one
    )
    items = [_out(c, v, m) for c, v, m in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        c = rows[limit - 1][0]
        next_cursor = _encode_cursor(c.last_activity_at, c.id)
    return items, next_cursor


async def count_for_website(uow: UnitOfWork, website_id: str) -> int:
    return await repository.count_for_website(uow.session, website_id)


async def visitor_has_open(uow: UnitOfWork, visitor_id: str) -> bool:
    return await repository.current_of_visitor(uow.session, visitor_id) is not None


# --- identification: one verified user, one visitor (docs/identification.md) ----------------


async def move_visitor(uow: UnitOfWork, from_visitor_id: str, to_visitor_id: str) -> int:
    """Give every conversation of one visitor to another (a verified user seen on a new
    device joins their profile), their own messages included, so a send retried by the
    old device is still recognised. Agents and the new visitor's tabs hear of each moved
    conversation. Returns how many moved."""
    moved = await repository.move_visitor(uow.session, from_visitor_id, to_visitor_id)
    for conv in moved:
        _emit_conversation(uow, await conversation_out(uow, conv), conv)
    return len(moved)


async def count_for_visitor(uow: UnitOfWork, visitor_id: str) -> int:
    return await repository.count_for_visitor(uow.session, visitor_id)
