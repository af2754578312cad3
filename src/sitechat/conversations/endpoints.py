from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.exc import IntegrityError

from sitechat.conversations import service
from sitechat.conversations.schemas import (
    AssignIn,
    ConversationPage,
    CountsOut,
    FilterCount,
    MessagePage,
    PriorityIn,
    SendIn,
    SendOut,
    SnoozeIn,
    StartIn,
    StatusFilter,
    TransferIn,
)
from sitechat.conversations.service import SendResult
from sitechat.db.uow import UnitOfWork
from sitechat.http import Auth, agent_auth
from sitechat.realtime.protocol import MAX_SEQ, ConversationOut

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("", response_model=ConversationPage)
async def list_conversations(
    auth: Auth = Depends(agent_auth),
    website_id: Annotated[str | None, Query(max_length=40)] = None,
    status: StatusFilter = "open",
    assignee: Annotated[str | None, Query(max_length=40, description="me, unassigned or an agent id")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    visitor_id: Annotated[str | None, Query(max_length=40, description="one visitor's conversations")] = None,
    priority: Annotated[Literal["normal", "urgent"] | None, Query()] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, description="visitor name, email or message text (case-insensitive)"),
    ] = None,
) -> ConversationPage:
    async with auth.ctx.uow() as uow:
        items, next_cursor = await service.list_conversations(
            uow,
            auth.actor,
            website_id=website_id,
            status=status,
            assignee=assignee,
            cursor=cursor,
            limit=limit,
            visitor_id=visitor_id,
            priority=priority,
            q=q,
        )
    return ConversationPage(items=items, next_cursor=next_cursor)


@router.get("/counts", response_model=CountsOut)
async def conversation_counts(
    auth: Auth = Depends(agent_auth),
    website_id: Annotated[str | None, Query(max_length=40)] = None,
    status: StatusFilter = "open",
) -> CountsOut:
    """How many conversations, and unread messages in them, each inbox filter holds."""
    async with auth.ctx.uow() as uow:
        n = await service.counts(uow, auth.actor, website_id=website_id, status=status)
    return CountsOut(**{k: FilterCount(conversations=c, unread=u) for k, (c, u) in n.items()})


async def _store(auth: Auth, send: Callable[[UnitOfWork], Awaitable[SendResult]]) -> SendResult:
    """Send as the agent, within the per-sender budget of WebSocket sends (so the API is no
    way around it). Two concurrent retries of one client_msg_id: the loser's IntegrityError
    rolls back, and its second try finds the stored message."""
    await auth.ctx.limiter.check(auth.ctx.settings.rate_messages, "messages", auth.actor.sender_key)
    for attempt in (1, 2):
        try:
            async with auth.ctx.uow() as uow:
                return await send(uow)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@router.post("", response_model=SendOut, status_code=201)
async def start_conversation(data: StartIn, auth: Auth = Depends(agent_auth)) -> SendOut:
    """Write first to a visitor; their open conversation is used when they have one
    (``created`` says which)."""
    result = await _store(
        auth,
        lambda uow: service.start_with_visitor(
            uow,
            auth.actor,
            visitor_id=data.visitor_id,
            body=data.body,
            max_chars=auth.ctx.settings.max_message_chars,
            client_msg_id=data.client_msg_id,
        ),
    )
    return SendOut(
        conversation_id=result.conversation.id,
        created=result.conversation.last_seq == 1,
        message=service.message_out(result.message),
    )


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(conversation_id: str, auth: Auth = Depends(agent_auth)) -> ConversationOut:
    async with auth.ctx.uow() as uow:
        return await service.get_out(uow, auth.actor, conversation_id)


@router.get("/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    conversation_id: str,
    auth: Auth = Depends(agent_auth),
    after_seq: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    before_seq: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagePage:
    async with auth.ctx.uow() as uow:
        rows, has_more = await service.list_messages(
            uow, auth.actor, conversation_id, after_seq=after_seq, before_seq=before_seq, limit=limit
        )
    return MessagePage(items=[service.message_out(m) for m in rows], has_more=has_more)


@router.post("/{conversation_id}/messages", response_model=SendOut, status_code=201)
async def send_message(conversation_id: str, data: SendIn, auth: Auth = Depends(agent_auth)) -> SendOut:
    result = await _store(
        auth,
        lambda uow: service.send_message(
            uow,
            auth.actor,
            body=data.body,
            max_chars=auth.ctx.settings.max_message_chars,
            conversation_id=conversation_id,
            client_msg_id=data.client_msg_id,
            note=data.note,
        ),
    )
    return SendOut(
        conversation_id=result.conversation.id,
        created=result.created,
        message=service.message_out(result.message),
    )


@router.post("/{conversation_id}/transfer", response_model=ConversationOut)
async def transfer(
    conversation_id: str, data: TransferIn, auth: Auth = Depends(agent_auth)
) -> ConversationOut:
    """To a colleague (``agent_id``) or to a team's least busy available member
    (``team_id``), with a ``note`` the receiver sees; the visitor is told who answers now."""
    async with auth.ctx.uow() as uow:
        return await service.transfer(
            uow, auth.actor, conversation_id, agent_id=data.agent_id, team_id=data.team_id, note=data.note
        )


@router.post("/{conversation_id}/assign", response_model=ConversationOut)
async def assign(conversation_id: str, data: AssignIn, auth: Auth = Depends(agent_auth)) -> ConversationOut:
    async with auth.ctx.uow() as uow:
        return await service.assign(uow, auth.actor, conversation_id, data.agent_id)


@router.post("/{conversation_id}/resolve", response_model=ConversationOut)
async def resolve(conversation_id: str, auth: Auth = Depends(agent_auth)) -> ConversationOut:
    async with auth.ctx.uow() as uow:
        return await service.set_status(uow, auth.actor, conversation_id, "resolved")


@router.post("/{conversation_id}/reopen", response_model=ConversationOut)
async def reopen(conversation_id: str, auth: Auth = Depends(agent_auth)) -> ConversationOut:
    async with auth.ctx.uow() as uow:
        return await service.set_status(uow, auth.actor, conversation_id, "open")


@router.post("/{conversation_id}/snooze", response_model=ConversationOut)
async def snooze(conversation_id: str, data: SnoozeIn, auth: Auth = Depends(agent_auth)) -> ConversationOut:
    """Status ``snoozed`` until ``until``; it opens again then, or when the visitor writes."""
    async with auth.ctx.uow() as uow:
        return await service.snooze(uow, auth.actor, conversation_id, data.until)


@router.post("/{conversation_id}/priority", response_model=ConversationOut)
async def set_priority(
    conversation_id: str, data: PriorityIn, auth: Auth = Depends(agent_auth)
) -> ConversationOut:
    async with auth.ctx.uow() as uow:
        return await service.set_priority(uow, auth.actor, conversation_id, data.priority)
