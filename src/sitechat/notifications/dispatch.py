"""Who is told of what: turns published events into alerts for each agent.

The node that publishes an event (always after its commit) hands it here through the
hub's observer, so each event is considered exactly once across the cluster. For each
agent who may see the website (never anyone else), the agent's preferences and Do Not
Disturb decide the channels; then a ``notify`` frame goes to the agent's consoles, and a
Web Push to their browsers when none of their consoles is visible.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sitechat.actors import AgentActor
from sitechat.agents import service as agents
from sitechat.conversations import service as conversations
from sitechat.db.base import utcnow
from sitechat.errors import NotFound, SitechatError
from sitechat.notifications import repository, service
from sitechat.notifications.push import Pusher, Target
from sitechat.notifications.schemas import EVENTS
from sitechat.realtime import protocol as p
from sitechat.realtime import topics
from sitechat.websites import service as websites

if TYPE_CHECKING:
    from sitechat.context import AppContext

log = logging.getLogger(__name__)

PREVIEW_CHARS = 140
# A new conversation that routing assigns at once rings once: its "assigned" is dropped
# when the assignee was told of the new conversation this many seconds before.
COALESCE_SECONDS = 2.0
MAX_TASKS = 500

TITLES = {
    "new_conversation": "New conversation",
    "new_message": "New message",
    "visitor_returned": "Visitor returned",
    "urgent": "Urgent conversation",
    "assigned": "Conversation assigned to you",
    "test": "Test notification",
}


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class Alert:
    event: str
    website_id: str
    conversation_id: str | None
    visitor: p.NotifyVisitor
    preview: str
    # None: everyone who may see the website (the conversation's assignee when it has one).
    only_agent: str | None = None
    # An assignment made by routing (not by a person).
    by_routing: bool = False


def push_payload(frame: p.NotifyFrame, public_url: str) -> dict[str, object]:
    who = frame.visitor.name or frame.visitor.email or "A visitor"
    url = "/console" + (f"#/c/{frame.conversation_id}" if frame.conversation_id else "")
    return {
        "title": f"{TITLES.get(frame.event, 'sitechat')}: {who}",
        "body": frame.preview,
        # The console's own notification for the same alert uses this tag: one replaces the other.
        "tag": f"sitechat:{frame.conversation_id or frame.event}",
        "url": url,
        "event": frame.event,
        "conversation_id": frame.conversation_id,
        "website_id": frame.website_id,
        "origin": public_url,
    }


class Notifier:
    def __init__(self, ctx: AppContext, pusher: Pusher) -> None:
        self.ctx = ctx
        self.pusher = pusher
        self._tasks: set[asyncio.Task[None]] = set()
        self._recent: dict[tuple[str, str], float] = {}
        self._warned = 0.0

    def install(self) -> None:
        self.ctx.hub.observe(self.on_published)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    # --- events -> alerts --------------------------------------------------------------------

    def on_published(self, topic: str, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind not in ("message", "visitor.returned", "conversation", "assigned"):
            return
        if len(self._tasks) >= MAX_TASKS:
            # Overload: alerts are worth less than the messages themselves. Said once a minute.
            now = time.monotonic()
            if now - self._warned > 60:
                self._warned = now
                log.warning("notifications: %d alerts pending, skipping new ones", len(self._tasks))
            return
        task = asyncio.create_task(self._on_event(topic, event), name="notify")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_event(self, topic: str, event: dict[str, Any]) -> None:
        try:
            await self._route(topic, event)
        except Exception:
            log.exception("notifications: handling a %s event failed", event.get("type"))

    async def _route(self, topic: str, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "message" and topic.startswith("website:"):
            await self._on_message(event)
        elif kind == "visitor.returned" and topic.startswith("website:"):
            await self.alert(
                Alert(
                    event="visitor_returned",
                    website_id=str(event["website_id"]),
                    conversation_id=None,
                    visitor=p.NotifyVisitor(
                        id=event.get("visitor_id"), name=event.get("name"), email=event.get("email")
                    ),
                    preview=f"Back for visit {int(event.get('visits') or 0)}",
                )
            )
        elif kind == "conversation" and topic.startswith("website:"):
            conv = event.get("conversation") or {}
            if conv.get("status") in ("resolved", "snoozed"):
                async with self.ctx.uow() as uow:
                    await repository.mark_answered(uow.session, str(conv["id"]))
            if event.get("change") == "priority" and conv.get("priority") == "urgent":
                await self.alert(self._from_conversation("urgent", conv))
        elif kind == "assigned" and topic.startswith("agent:"):
            conv = event.get("conversation") or {}
            agent_id = topic.split(":", 1)[1]
            alert = self._from_conversation("assigned", conv, only_agent=agent_id)
            await self.alert(replace(alert, by_routing=event.get("by") == "routing"))

    @staticmethod
    def _from_conversation(name: str, conv: dict[str, Any], only_agent: str | None = None) -> Alert:
        visitor = conv.get("visitor") or {}
        last = conv.get("last_message") or {}
        return Alert(
            event=name,
            website_id=str(conv["website_id"]),
            conversation_id=str(conv["id"]),
            visitor=p.NotifyVisitor(
                id=visitor.get("id"), name=visitor.get("name"), email=visitor.get("email")
            ),
            preview=preview(str(last.get("body") or "")),
            only_agent=only_agent,
        )

    async def _on_message(self, event: dict[str, Any]) -> None:
        msg = event["message"]
        if msg.get("note"):
            return  # an internal note is neither a question nor an answer
        kind = (msg.get("sender") or {}).get("kind")
        conv_id, website_id = str(event["conversation_id"]), str(event.get("website_id") or "")
        if not website_id:
            return
        if kind == "agent":
            async with self.ctx.uow() as uow:
                await repository.mark_answered(uow.session, conv_id)
            return
        if kind != "visitor":
            return
        seq = int(msg["seq"])
        async with self.ctx.uow() as uow:
            await repository.mark_unanswered(uow.session, conv_id, website_id, seq, utcnow())
        sender = msg.get("sender") or {}
        await self.alert(
            Alert(
                event="new_conversation" if seq == 1 else "new_message",
                website_id=website_id,
                conversation_id=conv_id,
                visitor=p.NotifyVisitor(id=sender.get("id"), name=sender.get("name")),
                preview=preview(str(msg.get("body") or "")),
            )
        )

    # --- deciding and sending ----------------------------------------------------------------

    def _coalesced(self, agent_id: str, alert: Alert) -> bool:
        if alert.conversation_id is None:
            return False
        now = time.monotonic()
        if len(self._recent) > 5000:
            self._recent = {k: t for k, t in self._recent.items() if now - t < COALESCE_SECONDS}
        key = (agent_id, alert.conversation_id)
        if alert.event == "new_conversation":
            self._recent[key] = now
            return False
        if alert.event == "assigned" and alert.by_routing:
            told = self._recent.pop(key, None)
            return told is not None and now - told < COALESCE_SECONDS
        return False

    async def alert(self, alert: Alert) -> None:
        now = utcnow()
        frames: list[tuple[str, p.NotifyFrame, bool]] = []
        async with self.ctx.uow() as uow:
            try:
                settings = await websites.settings(uow, alert.website_id)
            except SitechatError:
                return  # the website is gone
            team = await agents.team_of(uow, alert.website_id)
            actors = [await agents.actor_for(uow, a) for a in team]
            # Never anyone who cannot see the website, whatever the frame said.
            actors = [a for a in actors if a.can_see(alert.website_id)]
            if not actors:
                return
            visitor = alert.visitor
            assignee: str | None = None
            if alert.conversation_id is not None:
                try:
                    conv = await conversations.get_out(uow, actors[0], alert.conversation_id)
                except NotFound:
                    return
                assignee = conv.assignee_id
                visitor = p.NotifyVisitor(
                    id=conv.visitor.id, name=conv.visitor.name, email=conv.visitor.email
                )
            recipients = self._recipients(alert, actors, assignee)
            prefs = await repository.prefs_of_many(uow.session, [a.agent_id for a in recipients])
            muted = (
                await repository.muted_conversations(uow.session, alert.conversation_id)
                if alert.conversation_id
                else set()
            )
            for actor in recipients:
                row = prefs.get(actor.agent_id)
                mine = service.effective(row, settings)
                decision = service.decide(
                    mine,
                    alert.event,
                    now,
                    muted_until=row.muted_until if row is not None else None,
                    conversation_muted=actor.agent_id in muted,
                )
                sound = None
                if "sound" in decision.channels and mine.volume > 0:
                    sound = p.NotifySound(name=getattr(mine.sounds, alert.event), volume=mine.volume)
                frame = p.NotifyFrame(
                    event=alert.event,
                    website_id=alert.website_id,
                    conversation_id=alert.conversation_id,
                    visitor=visitor,
                    preview=alert.preview,
                    sound=sound,
                    desktop="desktop" in decision.channels,
                    suppressed=decision.suppressed,
                    at=now,
                )
                frames.append((actor.agent_id, frame, "push" in decision.channels))
        for agent_id, frame, push in frames:
            if frame.suppressed is None and self._coalesced(agent_id, alert):
                continue
            await self.ctx.hub.publish(topics.agent(agent_id), frame.model_dump(mode="json"))
            if push and not await self.ctx.presence.any_visible(agent_id):
                await self.push(agent_id, frame)

    @staticmethod
    def _recipients(alert: Alert, actors: list[AgentActor], assignee: str | None) -> list[AgentActor]:
        if alert.only_agent is not None:
            return [a for a in actors if a.agent_id == alert.only_agent]
        if alert.event != "visitor_returned" and assignee is not None:
            return [a for a in actors if a.agent_id == assignee]
        return actors

    async def push(self, agent_id: str, frame: p.NotifyFrame) -> tuple[int, int]:
        """Push to each of the agent's browsers; returns (sent, failed). Subscriptions the
        push service calls gone are deleted."""
        async with self.ctx.uow() as uow:
            subs = await service.subscriptions(uow, agent_id)
        if not subs:
            return 0, 0
        payload = push_payload(frame, self.ctx.settings.public_url)
        outcomes = await asyncio.gather(
            *(self.pusher.send(Target(s.endpoint, s.p256dh, s.auth), payload) for s in subs)
        )
        gone = [s.id for s, o in zip(subs, outcomes, strict=True) if o == "gone"]
        if gone:
            async with self.ctx.uow() as uow:
                for sub_id in gone:
                    await service.drop_subscription(uow, sub_id)
            log.info("removed %d dead push subscription(s)", len(gone))
        return sum(o == "sent" for o in outcomes), sum(o == "failed" for o in outcomes)


async def send_test(ctx: AppContext, notifier: Notifier, actor: AgentActor) -> dict[str, tuple[str, str]]:
    """``POST /notifications/test``: one test alert through each channel the agent has on
    for any event (Do Not Disturb does not hold back a test asked for), and what happened."""
    from sitechat.integrations.mailer import Mail

    async with ctx.uow() as uow:
        row = await repository.prefs_of(uow.session, actor.agent_id)
        subs = await service.subscriptions(uow, actor.agent_id)
    prefs = service.effective(row, None)
    on = {c: any(prefs.wants(e, c) for e in EVENTS) for c in ("sound", "desktop", "push", "email")}
    out: dict[str, tuple[str, str]] = {}
    frame = p.NotifyFrame(
        event="test",
        preview="This is how new conversations will alert you.",
        visitor=p.NotifyVisitor(name="sitechat"),
        sound=p.NotifySound(name=prefs.sounds.new_conversation, volume=prefs.volume) if on["sound"] else None,
        desktop=on["desktop"],
        at=utcnow(),
    )
    consoles = (await ctx.presence.seconds_since_seen(actor.agent_id)) == 0
    if on["sound"] or on["desktop"]:
        await ctx.hub.publish(topics.agent(actor.agent_id), frame.model_dump(mode="json"))
    for channel in ("sound", "desktop"):
        if not on[channel]:
            out[channel] = ("off", f"{channel} is off for every event")
        elif consoles:
            out[channel] = ("sent", "sent to your open consoles")
        else:
            out[channel] = ("no_target", "no console of yours is open")
    if not on["push"]:
        out["push"] = ("off", "push is off for every event")
    elif not subs:
        out["push"] = ("no_target", "no browser of yours is subscribed to push")
    else:
        sent, failed = await notifier.push(actor.agent_id, frame)
        status = "sent" if sent else "failed"
        out["push"] = (status, f"{sent} delivered to the push service, {failed} failed")
    if not on["email"]:
        out["email"] = ("off", "email is off for every event")
    elif not ctx.mailer.configured:
        out["email"] = ("not_configured", "this server has no SMTP server (SITECHAT_SMTP_HOST)")
    else:
        try:
            await ctx.mailer.send(
                Mail(
                    to=actor.email,
                    subject="sitechat test notification",
                    text="This is a test of your sitechat email notifications.",
                )
            )
            out["email"] = ("sent", f"sent to {actor.email}")
        except Exception as exc:
            log.warning("test email to %s failed: %s", actor.email, type(exc).__name__)
            out["email"] = ("failed", f"the mail server refused it ({type(exc).__name__})")
    return out
