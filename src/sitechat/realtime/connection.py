"""One WebSocket: its send queue and writer, its per-conversation cursors, its frames.

Nothing lost, nothing shown twice: each connection keeps, per conversation, the last seq
it sent. A live message at or below it is a duplicate and is dropped; one beyond the next
is preceded by the missing ones read from the database. The same rule serves resume after
reconnect and events that two nodes publish out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from sitechat.actors import Actor, AgentActor, VisitorActor
from sitechat.agents.scopes import FRAME_SCOPES
from sitechat.conversations import service as conversations
from sitechat.db.base import new_id, utcnow
from sitechat.errors import Forbidden, InsufficientScope, NotFound, RateLimited, SitechatError, field_errors
from sitechat.integrations.mailer import send_later
from sitechat.realtime import protocol as p
from sitechat.realtime import topics
from sitechat.visitors import service as visitors
from sitechat.visitors.schemas import ProfileFields
from sitechat.websites import service as websites

if TYPE_CHECKING:
    from sitechat.context import AppContext
    from sitechat.db.uow import UnitOfWork

log = logging.getLogger(__name__)

# Frames rejected for rate before the connection is closed with RATE_LIMITED.
MAX_STRIKES = 20
# How far back an agent connection fills a conversation it sees for the first time.
FIRST_SIGHT_BACKFILL = 20
# Cursors kept per connection; the oldest is forgotten past this (it is then "first
# sight" again), so a console left open on a busy site does not grow without end.
MAX_CURSORS = 2000


class Connection:
    def __init__(self, ws: WebSocket, ctx: AppContext, actor: Actor, credential: str | None = None) -> None:
        self.ws = ws
        self.credential = credential  # agents: the id of the session or API token used
        self.ctx = ctx
        self.actor = actor
        self.id = new_id("conn", 12)
        self.cursors: dict[str, int] = {}
        self.topics: set[str] = set()
        # A bare deque, not asyncio.Queue: an idle connection then holds one empty deque,
        # not four plus an Event (about 3 KiB less each, measured).
        self._queue: deque[tuple[str, Any]] = deque()
        self._queue_max = ctx.settings.ws_send_queue
        self._started = False
        self._aborting: asyncio.Task[None] | None = None
        self._closing = False
        self._close_code: tuple[int, str] | None = None
        self._last_heard = time.monotonic()
        self._strikes = 0
        self._reader_task: asyncio.Task[Any] | None = None
        self._stopping = False
        self._handling = False
        self._writer_task: asyncio.Task[None] | None = None
        # Agent consoles: the page is visible (a visibility frame said so); see notifications.
        self.visible = False

    # --- outbound ----------------------------------------------------------------------
    #
    # Frames go through a bounded deque drained by a writer task that runs only while
    # there is something to send: an idle connection holds no task of its own (measured
    # at about 0.7 KiB a socket). One writer at a time keeps frames in order.

    def _put(self, item: tuple[str, Any]) -> None:
        if self._closing:
            return
        if len(self._queue) >= self._queue_max:
            # One slow socket must never stall a broadcast: drop it, it will resume.
            self.close_soon(p.CloseCode.TOO_SLOW, "too slow")
            return
        self._queue.append(item)
        self._kick()

    def _kick(self) -> None:
        if self._started and (self._writer_task is None or self._writer_task.done()):
            self._writer_task = asyncio.create_task(self._writer(), name=f"ws-writer-{self.id}")

    def send(self, frame: BaseModel | dict[str, Any]) -> None:
        self._put(("frame", frame))

    def on_event(self, topic: str, event: dict[str, Any]) -> None:
        self._put(("event", event))

    def close_soon(self, code: int, reason: str) -> None:
        if self._close_code is None:
            self._close_code = (code, reason)
        if self._closing:
            return
        self._closing = True
        if len(self._queue) < self._queue_max:
            self._queue.append(("close", None))  # flush what is queued, then close
            self._kick()
        else:
            # The writer is stuck on a socket that does not read: stop it now.
            self._aborting = asyncio.create_task(self._abort())

    async def _abort(self) -> None:
        writer = self._writer_task
        if writer is not None and not writer.done():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        await self._end()

    async def _write(self, frame: BaseModel | dict[str, Any]) -> None:
        text = (
            frame.model_dump_json()
            if isinstance(frame, BaseModel)
            else json.dumps(frame, separators=(",", ":"))
        )
        await self.ws.send_text(text)

    async def _writer(self) -> None:
        """The only task that writes to the socket. It returns when the queue is empty;
        a close item, a failed socket or a cancel ends the connection."""
        try:
            while self._queue:
                kind, item = self._queue.popleft()
                if kind == "close":
                    break
                if kind == "frame":
                    await self._write(item)
                elif kind == "event":
                    await self._deliver_event(item)
                elif kind == "replay":
                    await self._replay()
            else:
                return  # idle: the next frame starts a new writer
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        except Exception:
            log.exception("connection writer failed")
            self._close_code = self._close_code or (1011, "internal error")
        await self._end()

    async def _end(self) -> None:
        self._closing = True
        self._queue.clear()
        code, reason = self._close_code or (1000, "")
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code, reason), timeout=2)
        # End the reader too, unless it is the one winding the connection down, or is
        # applying a frame: a cancel between a commit and its publish would store a
        # message nobody hears of. That reader stops after the frame (see ``closing``).
        if self._reader_task is not None and not self._stopping and not self._handling:
            self._reader_task.cancel()

    def start(self) -> None:
        """The calling task becomes the reader. Frames are held until ``release``.
        (Heartbeats come from one sweeper per node: see ``heartbeats``.)"""
        self._reader_task = asyncio.current_task()

    def release(self, first: BaseModel | None = None) -> None:
        """Start writing, with ``first`` (the welcome) ahead of anything that queued up
        while the hello was handled: welcome is always the first frame a client reads."""
        if first is not None:
            self._queue.appendleft(("frame", first))
        self._started = True
        if self._queue:
            self._kick()

    def winding_down(self) -> None:
        """The reader has finished and is cleaning up (unsubscribing): from now on nothing
        cancels it."""
        self._stopping = True

    async def stop(self) -> None:
        """Reader side is done: let the writer flush what it has, then end everything."""
        self._stopping = True
        self.close_soon(1000, "")
        writer = self._writer_task
        if writer is not None and not writer.done():
            try:
                await asyncio.wait_for(asyncio.shield(writer), timeout=2)
            except (TimeoutError, asyncio.CancelledError, Exception):
                writer.cancel()

    # --- message ordering ----------------------------------------------------------------

    async def _send_message(self, conv_id: str, frame: dict[str, Any]) -> None:
        await self._write(frame)
        if conv_id not in self.cursors and len(self.cursors) >= MAX_CURSORS:
            del self.cursors[next(iter(self.cursors))]
        self.cursors[conv_id] = int(frame["message"]["seq"])

    async def _fill(self, conv_id: str, after: int, upto: int | None, website_id: str | None) -> None:
        while True:
            async with self.ctx.uow() as uow:
                rows = await conversations.messages_between(
                    uow, conv_id, after, upto, limit=500, notes=not isinstance(self.actor, VisitorActor)
                )
            for m in rows:
                frame = p.MessageFrame(
                    conversation_id=conv_id, website_id=website_id, message=conversations.message_out(m)
                )
                await self._send_message(conv_id, frame.model_dump(mode="json"))
                after = m.seq
            if len(rows) < 500:
                return

    async def _deliver_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type", "")
        if kind.startswith("_"):
            await self._internal(event)
            return
        if isinstance(self.actor, AgentActor) and self.actor.key_website_ids is not None:
            # Events addressed to the agent (notifications) follow the agent's websites,
            # not the narrower ones of the API key this socket was opened with.
            wid = event.get("website_id")
            if isinstance(wid, str) and not self.actor.can_see(wid):
                return
        if kind == "message":
            conv_id = str(event["conversation_id"])
            seq = int(event["message"]["seq"])
            cur = self.cursors.get(conv_id)
            if cur is None:
                cur = self._first_sight(seq)
            if seq <= cur:
                return
            if seq > cur + 1:
                await self._fill(conv_id, cur, seq - 1, event.get("website_id"))
            await self._send_message(conv_id, event)
            return
        if kind == "typing" and isinstance(self.actor, AgentActor):
            sender = event.get("sender") or {}
            if sender.get("kind") == "agent" and sender.get("id") == self.actor.agent_id:
                return
        await self._write(event)

    def _first_sight(self, seq: int) -> int:
        """The cursor for a conversation this connection has not sent anything of yet.

        A visitor's conversations were all in its welcome, so one it has not seen is new:
        send it from the start. An agent gets the recent past too, not only this message,
        because two nodes may publish a new conversation's first messages out of order
        (seq 2 arriving before seq 1 must not make seq 1 a 'duplicate')."""
        if isinstance(self.actor, VisitorActor):
            return 0
        return max(0, seq - 1 - FIRST_SIGHT_BACKFILL)

    async def _replay(self) -> None:
        website_id = None
        for conv_id, after in list(self.cursors.items()):
            if isinstance(self.actor, AgentActor):
                try:
                    async with self.ctx.uow() as uow:
                        website_id = (await conversations.get_for(uow, self.actor, conv_id)).website_id
                except NotFound:
                    continue  # membership changed since the hello
            await self._fill(conv_id, after, None, website_id)

    # --- internal events (membership) ----------------------------------------------------

    async def _internal(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "_website.deleted":
            await self._website_deleted(str(event.get("website_id", "")), event.get("frame"))
            return
        if not isinstance(self.actor, AgentActor):
            return
        if kind == "_disabled":
            # The agent was disabled or their role changed: the reach this socket was
            # opened with is no longer theirs.
            self.close_soon(p.CloseCode.UNAUTHORIZED, str(event.get("reason") or "signed out"))
            return
        if kind == "_revoked":
            if self.credential is not None and event.get("credential") == self.credential:
                self.close_soon(p.CloseCode.UNAUTHORIZED, "signed out")
            return
        wid = str(event.get("website_id", ""))
        keyed = self.actor.key_website_ids
        if keyed is not None and wid not in keyed:
            return  # an API key tied to some websites never reaches others
        if kind == "_website.created" and self.actor.is_manager:
            await self.subscribe(topics.website(wid))
        elif kind == "_membership" and self.actor.website_ids is not None:
            ids = set(self.actor.website_ids)
            if event.get("member"):
                ids.add(wid)
                await self.subscribe(topics.website(wid))
            else:
                ids.discard(wid)
                await self.unsubscribe(topics.website(wid))
            self.actor = dataclasses.replace(self.actor, website_ids=frozenset(ids))

    async def _website_deleted(self, wid: str, frame: Any) -> None:
        if isinstance(self.actor, VisitorActor):
            if self.actor.website_id == wid:
                self.close_soon(p.CloseCode.WEBSITE_DELETED, "website deleted")
            return
        await self.unsubscribe(topics.website(wid))
        if isinstance(frame, dict):
            await self._write(frame)
        if self.actor.website_ids is not None and wid in self.actor.website_ids:
            self.actor = dataclasses.replace(self.actor, website_ids=self.actor.website_ids - {wid})

    async def subscribe(self, topic: str) -> None:
        if topic not in self.topics:
            self.topics.add(topic)
            await self.ctx.hub.subscribe(self, topic)

    async def unsubscribe(self, topic: str) -> None:
        if topic in self.topics:
            self.topics.discard(topic)
            await self.ctx.hub.unsubscribe(self, topic)

    async def unsubscribe_all(self) -> None:
        for topic in list(self.topics):
            await self.unsubscribe(topic)

    # --- inbound ---------------------------------------------------------------------------

    def error(
        self,
        code: str,
        detail: str,
        ref: str | None = None,
        fields: list[dict[str, str]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.send(
            p.ErrorFrame(
                id=ref,
                code=code,
                detail=detail,
                fields=[p.FieldError(**f) for f in fields] if fields else None,
                retry_after=retry_after,
            )
        )

    async def receive_text(self) -> str | None:
        """The next text frame, or None when the client has gone."""
        while True:
            msg = await self.ws.receive()
            if msg["type"] == "websocket.disconnect":
                return None
            self._last_heard = time.monotonic()
            # Every frame counts against the rate, refused ones included.
            if not await self.rate_ok():
                continue
            text = msg.get("text")
            if text is None:
                self.error("invalid_frame", "Frames are JSON text; binary frames are not accepted.")
                continue
            limit = self.ctx.settings.max_frame_bytes
            # Characters never outnumber UTF-8 bytes: encode only when it could matter.
            if len(text) > limit or (len(text) * 4 > limit and len(text.encode()) > limit):
                self.error(
                    "frame_too_large", f"A frame may be at most {self.ctx.settings.max_frame_bytes} bytes."
                )
                continue
            return str(text)

    def parse(self, text: str) -> p.AnyClientFrame | None:
        """A valid client frame, or None after answering with the error."""
        try:
            raw = json.loads(text)
        except ValueError:
            self.error("bad_json", "The frame is not valid JSON.")
            return None
        ref = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            self.error("invalid_frame", "A frame is a JSON object with a string 'type'.", ref)
            return None
        if raw["type"] not in p.CLIENT_FRAME_TYPES:
            self.error("unknown_frame", f"Unknown frame type {raw['type'][:40]!r}.", ref)
            return None
        try:
            return p.client_frame_adapter.validate_python(raw)
        except ValidationError as exc:
            # loc[0] is the frame's type tag.
            fields = field_errors(exc.errors(), skip=1)[:5]
            self.error(
                "invalid_frame", "; ".join(f"{f['field']}: {f['message']}" for f in fields), ref, fields
            )
            return None

    async def beat(self, now: float) -> None:
        """One heartbeat, called for every connection by the node's sweeper."""
        if self._closing or not self._started:
            return
        if now - self._last_heard > self.ctx.settings.heartbeat_timeout:
            self.close_soon(p.CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout")
            return
        self.send(p.PingFrame())
        if isinstance(self.actor, AgentActor):
            try:
                await self._touch_presence()
            except Exception:
                # Presence is best effort (Redis may be away); the heartbeat must go on.
                log.warning("presence refresh failed", exc_info=True)

    async def _touch_presence(self) -> None:
        assert isinstance(self.actor, AgentActor)
        await self.ctx.presence.touch(self.actor.agent_id, self.id, self.presence_websites)
        if self.visible:
            await self.ctx.presence.set_visible(self.actor.agent_id, self.id, True)

    @property
    def presence_websites(self) -> list[str]:
        return [t.split(":", 1)[1] for t in self.topics if t.startswith("website:")]

    async def rate_ok(self) -> bool:
        if await self.ctx.local_limiter.allow(self.ctx.settings.rate_ws_frames, "ws-frames", self.id):
            self._strikes = 0
            return True
        self._strikes += 1
        if self._strikes >= MAX_STRIKES:
            self.close_soon(p.CloseCode.RATE_LIMITED, "rate limited")
        else:
            self.error("rate_limited", "Too many frames; slow down.")
        return False

    @property
    def closing(self) -> bool:
        return self._closing

    async def handle(self, frame: p.AnyClientFrame) -> None:
        self._handling = True
        try:
            await self._handle(frame)
        except SitechatError as exc:
            wait = exc.retry_after if isinstance(exc, RateLimited) else None
            self.error(exc.code, exc.detail, frame.id, exc.fields, retry_after=wait)
        except Exception:
            log.exception("frame handler failed (type %s)", frame.type)
            self.error("internal_error", "Something went wrong; the frame was not applied.", frame.id)
        finally:
            self._handling = False

    async def _handle(self, frame: p.AnyClientFrame) -> None:
        ctx = self.ctx
        if isinstance(self.actor, AgentActor) and frame.type in FRAME_SCOPES:
            # A read-only API key may watch, not write.
            if not self.actor.has_scope(FRAME_SCOPES[frame.type]):
                raise InsufficientScope(f"This API key lacks the {FRAME_SCOPES[frame.type]} scope.")
        if isinstance(frame, p.Ping):
            self.send(p.PongFrame(id=frame.id))
        elif isinstance(frame, p.Pong):
            return
        elif isinstance(frame, p.Hello):
            self.error("invalid_frame", "hello was already received on this connection.", frame.id)
        elif isinstance(frame, p.MessageSend):
            await ctx.limiter.check(ctx.settings.rate_messages, "messages", self.actor.sender_key)
            result = await self._send_message_frame(frame)
            self.send(
                p.Ack(
                    id=frame.id,
                    client_msg_id=frame.client_msg_id,
                    conversation_id=result.conversation.id,
                    seq=result.message.seq,
                    message_id=result.message.id,
                )
            )
        elif isinstance(frame, p.ProfileUpdate):
            actor = self._visitor_only()
            async with ctx.uow() as uow:
                settings = await websites.settings(uow, actor.website_id)
                visitor = await visitors.update_profile(
                    uow, actor.visitor_id, settings, frame, any_custom_keys=False
                )
                profile = visitors.profile_of(visitor)
            self.send(p.ProfileFrame(id=frame.id, visitor=profile))
        elif isinstance(frame, p.OfflineSubmit):
            actor = self._visitor_only()
            await ctx.limiter.check(ctx.settings.rate_messages, "messages", actor.sender_key)
            result = await self._with_retry(
                lambda uow: conversations.submit_offline(
                    uow,
                    actor,
                    profile=ProfileFields.model_validate(
                        frame.model_dump(include={"name", "email", "phone", "company", "custom_data"})
                    ),
                    body=frame.body,
                    client_msg_id=frame.client_msg_id,
                    max_chars=ctx.settings.max_message_chars,
                )
            )
            if result.mail is not None:
                # Committed by now; the visitor's ack never waits for the mail server.
                send_later(ctx.mailer, result.mail, "offline message")
            self.send(
                p.Ack(
                    id=frame.id,
                    client_msg_id=frame.client_msg_id,
                    conversation_id=result.conversation.id,
                    seq=result.message.seq,
                    message_id=result.message.id,
                )
            )
        elif isinstance(frame, p.Typing):
            async with ctx.uow() as uow:
                await conversations.typing(uow, self.actor, frame.conversation_id, frame.typing)
        elif isinstance(frame, p.Seen):
            async with ctx.uow() as uow:
                await conversations.mark_seen(uow, self.actor, frame.conversation_id, frame.seq, frame.state)
        elif isinstance(frame, p.Visibility):
            if not isinstance(self.actor, AgentActor):
                raise Forbidden("Only agent consoles send this frame.")
            self.visible = frame.visible
            await ctx.presence.set_visible(self.actor.agent_id, self.id, frame.visible)
        elif isinstance(frame, p.HistoryRequest):
            async with ctx.uow() as uow:
                rows, _ = await conversations.list_messages(
                    uow,
                    self.actor,
                    frame.conversation_id,
                    before_seq=frame.before_seq,
                    limit=frame.limit,
                    latest=True,
                )
            self.send(
                p.HistoryFrame(
                    id=frame.id,
                    conversation_id=frame.conversation_id,
                    messages=[conversations.message_out(m) for m in rows],
                )
            )

    async def _send_message_frame(self, frame: p.MessageSend) -> conversations.SendResult:
        return await self._with_retry(
            lambda uow: conversations.send_message(
                uow,
                self.actor,
                body=frame.body,
                max_chars=self.ctx.settings.max_message_chars,
                conversation_id=frame.conversation_id,
                client_msg_id=frame.client_msg_id,
                new_conversation=frame.new_conversation,
                note=frame.note,
            )
        )

    async def _with_retry(
        self, send: Callable[[UnitOfWork], Awaitable[conversations.SendResult]]
    ) -> conversations.SendResult:
        for attempt in (1, 2):
            try:
                async with self.ctx.uow() as uow:
                    return await send(uow)
            except IntegrityError:
                # Two copies of one retried send raced; the second attempt finds the first.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _visitor_only(self) -> VisitorActor:
        if not isinstance(self.actor, VisitorActor):
            raise Forbidden("Only the visitor's widget sends this frame.")
        return self.actor

    # --- hello -----------------------------------------------------------------------------

    async def authorize_resume(self, resume: dict[str, int]) -> None:
        """Set cursors for the resumed conversations the actor may see; refuse the rest."""
        async with self.ctx.uow() as uow:
            for conv_id, seq in resume.items():
                try:
                    conv = await conversations.get_for(uow, self.actor, conv_id)
                except NotFound:
                    self.error("not_found", f"No such conversation {conv_id}.")
                    continue
                self.cursors[conv.id] = min(seq, conv.last_seq)

    def start_replay(self) -> None:
        self._put(("replay", None))


async def visitor_welcome(conn: Connection) -> p.WelcomeVisitor:
    assert isinstance(conn.actor, VisitorActor)
    async with conn.ctx.uow() as uow:
        convs = await conversations.visitor_conversations(uow, conn.actor)
        visitor = await visitors.get(uow, conn.actor.visitor_id)
        settings = await websites.settings(uow, conn.actor.website_id)
    for c, _last in convs:
        # Conversations the client did not name resume from now (it asks for history).
        conn.cursors.setdefault(c.id, c.last_seq)
    online = await conn.ctx.presence.agents_online(conn.actor.website_id)
    return p.WelcomeVisitor(
        visitor_id=conn.actor.visitor_id,
        conversations=[conversations.brief(c, last) for c, last in convs],
        agents_online=online > 0,
        profile=visitors.profile_of(visitor) if visitor is not None else p.VisitorProfile(),
        open_now=settings.business_hours.open_at(utcnow()),
    )


async def heartbeats(ctx: AppContext) -> None:
    """The node's heartbeat: pings every connection each interval and closes the silent
    ones (one task for all connections keeps an idle connection cheap), and re-reads agent
    presence for the websites whose visitors are on this node."""
    interval = ctx.settings.heartbeat_interval
    online: dict[str, bool] = {}
    while True:
        await asyncio.sleep(interval)
        now = time.monotonic()
        for i, conn in enumerate(list(ctx.connections)):
            try:
                await conn.beat(now)
            except Exception:
                log.exception("heartbeat failed for a connection")
            if i % 500 == 499:
                await asyncio.sleep(0)  # let other work run between batches
        try:
            await _refresh_presence(ctx, online)
        except Exception:
            log.warning("presence refresh failed", exc_info=True)


async def _refresh_presence(ctx: AppContext, online: dict[str, bool]) -> None:
    """Connects and disconnects announce themselves; this catches what nobody announced:
    agents whose node died, dropping out when their presence entries expire."""
    topics_now = ctx.hub.local_topics("presence:")
    for topic in topics_now:
        website_id = topic.split(":", 1)[1]
        now_online = await ctx.presence.agents_online(website_id) > 0
        before = online.get(website_id)
        online[website_id] = now_online
        if before is not None and before != now_online:
            ctx.hub.deliver_local(topic, p.VisitorPresence(agents_online=now_online).model_dump(mode="json"))
    for website_id in set(online) - {t.split(":", 1)[1] for t in topics_now}:
        del online[website_id]
