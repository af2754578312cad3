"""Conversations and messages: the rules of who may read and write what, and the seq log.

Every message is stored before anything is published; ``seq`` comes from an atomic
``UPDATE … SET last_seq = last_seq + 1 RETURNING`` so two nodes never hand out the same
number, and ``(sender_key, client_msg_id)`` is unique so a retried send finds the first.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from sitechat.actors import Actor, AgentActor, VisitorActor
from sitechat.conversations import repository
from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    MessageTooLong,
    NotFound,
    OfflineFormDisabled,
    ProfileRequired,
    TeamUnavailable,
    Unauthorized,
    ValidationFailed,
    WebsiteNotFound,
)
from sitechat.integrations.mailer import Mail
from sitechat.realtime import topics
from sitechat.realtime.protocol import (
    ConversationBrief,
    ConversationChange,
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

# Snoozing further ahead than this is refused: past it, "resolve" says what is meant.
MAX_SNOOZE = timedelta(days=365)
MIN_SEARCH_CHARS = 2


@dataclass(frozen=True, slots=True)
class SendResult:
    message: Message
    conversation: Conversation
    created: bool  # False when an earlier send with the same client_msg_id is returned
    # An offline message's email to the team, for the caller to send once committed.
    mail: Mail | None = None


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        seq=m.seq,
        sender=Sender(kind=m.sender_kind, id=m.sender_id, name=m.sender_name),
        body=m.body,
        client_msg_id=m.client_msg_id,
        created_at=m.created_at,
        note=m.note,
    )


def brief(c: Conversation, last: Message | None = None) -> ConversationBrief:
    # The visitor's view: seqs stop at the last message they may see, so an internal note
    # never shows, not even as a count or a read mark beyond it.
    return ConversationBrief(
        id=c.id,
        status=c.status,
        last_seq=c.visitor_seq,
        created_at=c.created_at,
        origin=c.origin,
        last_message=_last(last) if last is None or not last.note else None,
        agent_delivered_seq=min(c.agent_delivered_seq, c.visitor_seq),
        agent_read_seq=min(c.agent_read_seq, c.visitor_seq),
        visitor_read_seq=c.visitor_read_seq,
        waiting=_waiting(c.waiting),
    )


def _waiting(w: str | None) -> Literal["queue", "offline_form"] | None:
    return "queue" if w == "queue" else "offline_form" if w == "offline_form" else None


def _last(m: Message | None) -> LastMessage | None:
    if m is None:
        return None
    return LastMessage(body=m.body[:200], sender_kind=m.sender_kind, created_at=m.created_at, note=m.note)


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
        waiting=c.waiting,
        priority="urgent" if c.priority == "urgent" else "normal",
        snoozed_until=c.snoozed_until if c.status == "snoozed" else None,
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


async def announce(uow: UnitOfWork, conv: Conversation) -> ConversationOut:
    """Internal (routing): tell the website's agents and the visitor's tabs that the
    conversation changed (assignee, queue), once the transaction commits."""
    out = await conversation_out(uow, conv)
    _emit_conversation(uow, out, conv, "assignee")
    return out


def _emit_conversation(
    uow: UnitOfWork,
    out: ConversationOut,
    conv: Conversation,
    change: ConversationChange | None = None,
    *,
    to_visitor: bool = True,
) -> None:
    uow.emit(
        topics.website(conv.website_id),
        ConversationFrame(conversation=out, change=change).model_dump(mode="json"),
    )
    if not to_visitor:
        return  # nothing the visitor sees changed (priority)
    # The agents' last message may be a note: the visitor's copy never carries one.
    visible = out.last_message if conv.last_seq == conv.visitor_seq else None
    uow.emit(
        topics.visitor(conv.visitor_id),
        VisitorConversationFrame(
            conversation=brief(conv).model_copy(update={"last_message": visible})
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
    note: bool = False,
) -> SendResult:
    """Store a message and queue its events. A caller that hits IntegrityError (two
    concurrent retries of one client_msg_id) rolls back and calls again: the retry then
    finds the stored message. ``note``: an agent's internal note."""
    check_body(body, max_chars)
    if note and isinstance(actor, VisitorActor):
        raise Forbidden("Only agents write internal notes.")
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
                from sitechat.routing import service as routing  # a domain calls another's service

                await routing.route_new(uow, current)
            conv = current
    else:
        if conversation_id is None:
            raise BadRequest("conversation_id is required.")
        conv = await get_for(uow, actor, conversation_id)
    return await _append(
        uow, actor, conv, body=body, client_msg_id=client_msg_id, created=created, now=now, note=note
    )


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
    visitor = await visitors.update_profile(uow, actor.visitor_id, settings, profile, any_custom_keys=False)
    now = utcnow()
    conv = await repository.insert(
        uow.session, website_id=actor.website_id, visitor_id=actor.visitor_id, now=now, origin="offline"
    )
    result = await _append(uow, actor, conv, body=body, client_msg_id=client_msg_id, created=True, now=now)
    mail = await websites.offline_mail(
        uow, actor.website_id, name=visitor.name, email=visitor.email, body=body, conversation_id=conv.id
    )
    return replace(result, mail=mail) if mail is not None else result


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
    note: bool = False,
) -> SendResult:
    if isinstance(actor, VisitorActor):
        sender_kind, sender_id, sender_name = "visitor", actor.visitor_id, None
        visitor = await visitors.get(uow, actor.visitor_id)
        if visitor is not None:
            sender_name = visitor.name
    else:
        sender_kind, sender_id, sender_name = "agent", actor.agent_id, actor.name

    reopened = sender_kind == "visitor" and conv.status in ("resolved", "snoozed")
    seq = await repository.next_seq(uow.session, conv.id, now=now, reopen=reopened, visible=not note)
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
        note=note,
    )

    if created or reopened:
        # Agents learn of the conversation before its first message.
        _emit_conversation(uow, await conversation_out(uow, conv), conv, None if created else "reopened")
    out = message_out(msg)
    uow.emit(
        topics.website(conv.website_id),
        MessageFrame(conversation_id=conv.id, website_id=conv.website_id, message=out).model_dump(
            mode="json"
        ),
    )
    if note:
        return SendResult(message=msg, conversation=conv, created=True)
    uow.emit(
        topics.visitor(conv.visitor_id),
        MessageFrame(conversation_id=conv.id, message=out).model_dump(mode="json"),
    )
    return SendResult(message=msg, conversation=conv, created=True)


async def messages_between(
    uow: UnitOfWork,
    conversation_id: str,
    after_seq: int,
    upto_seq: int | None = None,
    limit: int = 500,
    *,
    notes: bool = True,
) -> list[Message]:
    """Internal: replay and gap filling for a connection already authorized for it
    (``notes=False`` for a visitor's: internal notes never reach one)."""
    return await repository.messages_between(uow.session, conversation_id, after_seq, upto_seq, limit, notes)


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
        uow.session,
        conversation_id,
        after_seq=after_seq,
        before_seq=before_seq,
        limit=limit,
        notes=not isinstance(actor, VisitorActor),
    )


# --- state changes ---------------------------------------------------------------------


async def set_status(
    uow: UnitOfWork, actor: AgentActor, conversation_id: str, status: str
) -> ConversationOut:
    conv = await get_for(uow, actor, conversation_id, lock=True)
    if conv.status != status:
        await repository.set_status(uow.session, conv, status, utcnow())
        from sitechat.routing import service as routing  # a domain calls another's service

        # A resolved conversation frees a place: the queue's oldest may take it.
        await routing.after_status(uow, conv, conv.assignee_id)
        out = await conversation_out(uow, conv)
        _emit_conversation(uow, out, conv, "status")
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
        from sitechat.routing import service as routing  # a domain calls another's service

        await routing.after_manual_assign(uow, conv)
        out = await conversation_out(uow, conv)
        _emit_conversation(uow, out, conv, "assignee")
        return out
    return await conversation_out(uow, conv)


async def transfer(
    uow: UnitOfWork,
    actor: AgentActor,
    conversation_id: str,
    *,
    agent_id: str | None,
    team_id: str | None,
    note: str | None,
) -> ConversationOut:
    """Hand the conversation to a colleague, or to the least busy available member of a
    team (docs/api.md). In one transaction: the new assignee; an internal note for the
    agents ("Transferred to …" and the note); a system message that tells the visitor who
    answers now. The receiver gets an ``assigned`` frame with the note (and so an alert)."""
    from sitechat.agents import service as agents  # a domain calls another's service
    from sitechat.routing import service as routing

    conv = await get_for(uow, actor, conversation_id, lock=True)
    if conv.status == "resolved":
        raise Conflict("The conversation is resolved: reopen it before transferring it.")
    if team_id is not None:
        receiver = await routing.team_member_for(uow, team_id, conv, exclude=actor.agent_id)
        if receiver is None:
            raise TeamUnavailable()
    else:
        assert agent_id is not None
        receiver = await agents.get_by_id(uow, agent_id)
        if receiver is None or receiver.disabled:
            raise NotFound("No such agent.")
        scope = await agents.website_ids_of(uow, receiver)
        if scope is not None and conv.website_id not in scope:
            raise ValidationFailed(
                "That agent does not work on this conversation's website.",
                fields=[{"field": "agent_id", "message": "does not work on this website"}],
            )
    if receiver.id == conv.assignee_id:
        raise Conflict(f"The conversation is already {receiver.name}'s.")
    now = utcnow()
    await repository.set_assignee(uow.session, conv, receiver.id, now)
    text = f"Transferred to {receiver.name} by {actor.name}" + (f": {note}" if note else ".")
    await _append(uow, actor, conv, body=text, client_msg_id=None, created=False, now=now, note=True)
    await _append_system(uow, conv, f"{receiver.name} is now answering.", now)
    await routing.after_manual_assign(uow, conv, transfer_from=actor.name, note=note)
    out = await conversation_out(uow, conv)
    _emit_conversation(uow, out, conv, "assignee")
    return out


async def _append_system(uow: UnitOfWork, conv: Conversation, body: str, now: datetime) -> None:
    """A line from sitechat itself, seen by the visitor and the agents."""
    seq = await repository.next_seq(uow.session, conv.id, now=now, reopen=False, visible=True)
    assert seq is not None
    await repository.refresh(uow.session, conv)
    msg = await repository.insert_message(
        uow.session,
        conversation_id=conv.id,
        seq=seq,
        sender_kind="system",
        sender_id=None,
        sender_name=None,
        sender_key="system",
        client_msg_id=None,
        body=body,
        created_at=now,
        note=False,
    )
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
    receipt = Receipt(
        conversation_id=conv.id,
        side=side,
        delivered_seq=getattr(conv, f"{side}_delivered_seq"),
        read_seq=getattr(conv, f"{side}_read_seq"),
    )
    uow.emit(topics.website(conv.website_id), receipt.model_dump(mode="json"))
    # An agent's mark may lie on a note: the visitor's copy stops at what they can see.
    top = conv.visitor_seq
    uow.emit(
        topics.visitor(conv.visitor_id),
        receipt.model_copy(
            update={"delivered_seq": min(receipt.delivered_seq, top), "read_seq": min(receipt.read_seq, top)}
        ).model_dump(mode="json"),
    )


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
    visitor_id: str | None = None,
    priority: str | None = None,
    q: str | None = None,
) -> tuple[list[ConversationOut], str | None]:
    if website_id is not None:
        if not actor.can_see(website_id) or not await websites.exists(uow, website_id):
            raise WebsiteNotFound()
    q = _search_text(q)
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
        visitor_id=visitor_id,
        priority=priority,
        q=q,
    )
    items = [_out(c, v, m) for c, v, m in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        c = rows[limit - 1][0]
        next_cursor = _encode_cursor(c.last_activity_at, c.id)
    return items, next_cursor


def _search_text(q: str | None) -> str | None:
    """Whitespace-folded search text; None when there is nothing to search for."""
    if q is None:
        return None
    q = " ".join(q.split())
    if not q:
        return None
    if len(q) < MIN_SEARCH_CHARS:
        raise ValidationFailed(
            f"Search for at least {MIN_SEARCH_CHARS} characters.",
            fields=[{"field": "q", "message": f"at least {MIN_SEARCH_CHARS} characters"}],
        )
    if "\x00" in q:
        raise ValidationFailed("q may not contain NUL characters.", fields=[{"field": "q", "message": "NUL"}])
    return q


async def counts(
    uow: UnitOfWork, actor: AgentActor, *, website_id: str | None = None, status: str = "open"
) -> dict[str, tuple[int, int]]:
    """Per inbox filter (mine, unassigned, all): how many conversations, how many unread
    messages, within the agent's websites."""
    if website_id is not None:
        if not actor.can_see(website_id) or not await websites.exists(uow, website_id):
            raise WebsiteNotFound()
    return await repository.counts(
        uow.session,
        website_id=website_id,
        website_ids=actor.website_ids,
        status=None if status == "all" else status,
        agent_id=actor.agent_id,
    )


# --- snooze and priority ------------------------------------------------------------------


async def snooze(
    uow: UnitOfWork, actor: AgentActor, conversation_id: str, until: datetime
) -> ConversationOut:
    """Put a conversation aside until ``until``: the snooze job opens it again then, or
    the visitor writing does sooner."""
    conv = await get_for(uow, actor, conversation_id, lock=True)
    now = utcnow()
    if until.tzinfo is None:
        raise ValidationFailed(
            "until needs a time zone (e.g. 2030-01-01T09:00:00Z).",
            fields=[{"field": "until", "message": "needs a time zone"}],
        )
    until = until.astimezone(UTC)
    if until <= now:
        raise ValidationFailed(
            "until must be in the future.", fields=[{"field": "until", "message": "in the past"}]
        )
    if until > now + MAX_SNOOZE:
        raise ValidationFailed(
            f"A conversation may be snoozed for at most {MAX_SNOOZE.days} days.",
            fields=[{"field": "until", "message": "too far ahead"}],
        )
    if conv.status == "resolved":
        raise Conflict("A resolved conversation cannot be snoozed; reopen it first.")
    await repository.set_snoozed(uow.session, conv, until, now)
    from sitechat.routing import service as routing  # a domain calls another's service

    # Snoozed is not active: out of the queue, and its place goes to the next in line.
    await routing.after_status(uow, conv, conv.assignee_id)
    out = await conversation_out(uow, conv)
    _emit_conversation(uow, out, conv, "snoozed")
    return out


async def set_priority(
    uow: UnitOfWork, actor: AgentActor, conversation_id: str, priority: str
) -> ConversationOut:
    conv = await get_for(uow, actor, conversation_id, lock=True)
    if conv.priority != priority:
        await repository.set_priority(uow.session, conv, priority, utcnow())
        out = await conversation_out(uow, conv)
        _emit_conversation(uow, out, conv, "priority", to_visitor=False)
        return out
    return await conversation_out(uow, conv)


async def wake_due(uow: UnitOfWork, limit: int = 100) -> int:
    """The snooze job: reopen the conversations whose snooze is over and tell their
    agents. Safe on every node at once: each conversation wakes exactly once."""
    woke = await repository.wake_due(uow.session, utcnow(), limit)
    for conv in woke:
        _emit_conversation(uow, await conversation_out(uow, conv), conv, "woke")
    return len(woke)


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
