"""The unanswered-conversation email: one per conversation per unanswered period.

Every node runs the sweep. A period (opened by a visitor's message after the last agent
reply, closed by the next reply or by resolving) is claimed with a conditional UPDATE, so
exactly one node sends its emails however many look at once. Sending comes after the
claim commits: a mail server that fails loses that email (it is logged), never doubles it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sitechat.agents import service as agents
from sitechat.conversations import service as conversations
from sitechat.db.base import utcnow
from sitechat.errors import SitechatError
from sitechat.integrations.mailer import Mail, send_later
from sitechat.notifications import repository, service
from sitechat.notifications.dispatch import preview
from sitechat.websites import service as websites

if TYPE_CHECKING:
    from sitechat.context import AppContext

log = logging.getLogger(__name__)


def start(ctx: AppContext) -> asyncio.Task[None]:
    """Start notifications on this node: the dispatcher watching published events, and
    the unanswered-conversation sweep (the returned task; cancel it to stop)."""
    from sitechat.notifications.dispatch import Notifier
    from sitechat.notifications.push import Pusher

    ctx.notifier = Notifier(ctx, Pusher(ctx.settings))
    ctx.notifier.install()
    return asyncio.create_task(run(ctx), name="notification-jobs")


async def run(ctx: AppContext) -> None:
    try:
        while True:
            await asyncio.sleep(ctx.settings.notify_sweep_interval)
            try:
                await sweep(ctx)
            except Exception:
                log.warning("unanswered-conversation sweep failed", exc_info=True)
    finally:
        if ctx.notifier is not None:
            await ctx.notifier.close()


async def sweep(ctx: AppContext, now: datetime | None = None) -> int:
    """Send what is due; returns how many emails were handed to the mailer."""
    now = now or utcnow()
    async with ctx.uow() as uow:
        # 1 minute is the shortest delay anyone may choose; each row is checked below.
        rows = await repository.due_unanswered(uow.session, now - timedelta(minutes=1), limit=1000)
    sent = 0
    for row in rows:
        mails = await _mails_for(ctx, row.conversation_id, row.website_id, row.since_seq, row.since_at, now)
        if mails is None:
            continue
        for mail in mails:
            send_later(ctx.mailer, mail, "unanswered conversation")
        sent += len(mails)
    return sent


async def _mails_for(
    ctx: AppContext, conversation_id: str, website_id: str, since_seq: int, since_at: datetime, now: datetime
) -> list[Mail] | None:
    """The emails of one period, once it is claimed; None while not due yet."""
    async with ctx.uow() as uow:
        try:
            settings = await websites.settings(uow, website_id)
            website = await websites.get(uow, website_id)
        except SitechatError:
            return None
        team = [await agents.actor_for(uow, a) for a in await agents.team_of(uow, website_id)]
        team = [a for a in team if a.can_see(website_id)]
        if not team:
            await repository.mark_answered(uow.session, conversation_id)
            return None
        try:
            conv = await conversations.get_out(uow, team[0], conversation_id)
        except SitechatError:
            return None
        if conv.status not in ("open", "pending"):
            await repository.mark_answered(uow.session, conversation_id)
            return None
        recipients = [a for a in team if a.agent_id == conv.assignee_id] if conv.assignee_id else team
        prefs = await repository.prefs_of_many(uow.session, [a.agent_id for a in recipients])
        muted = await repository.muted_conversations(uow.session, conversation_id)
        event = (
            "urgent" if conv.priority == "urgent" else "new_conversation" if since_seq == 1 else "new_message"
        )
        chosen = []
        wanted = False
        waited = now - since_at
        for actor in recipients:
            row = prefs.get(actor.agent_id)
            mine = service.effective(row, settings)
            after = timedelta(minutes=mine.email_after_minutes or service.DEFAULT_EMAIL_AFTER)
            decision = service.decide(
                mine,
                event,
                now,
                muted_until=row.muted_until if row is not None else None,
                conversation_muted=actor.agent_id in muted,
            )
            wanted = wanted or mine.wants(event, "email")
            if "email" in decision.channels and waited >= after:
                chosen.append(actor)
        if not wanted:
            # Nobody takes these emails: close the period so the sweep stops reading it.
            await repository.claim_unanswered(uow.session, conversation_id, since_seq, now)
            return None
        if not chosen:
            return None
        # Only one node gets past this, once per period.
        if not await repository.claim_unanswered(uow.session, conversation_id, since_seq, now):
            return None
        first = await conversations.messages_between(uow, conversation_id, since_seq - 1, since_seq, 1)
    body = first[0].body if first else ""
    who = conv.visitor.name or conv.visitor.email or "A visitor"
    minutes = int(waited.total_seconds() // 60)
    url = f"{ctx.settings.public_url}/console#/c/{conversation_id}"
    mails = []
    for actor in chosen:
        mails.append(
            Mail(
                to=actor.email,
                subject=f"Unanswered for {minutes} min: {who} on {website.name}",
                text=(
                    f"{who} wrote on {website.name} {minutes} minutes ago and nobody has answered yet:\n\n"
                    f"  {preview(body)}\n\nAnswer in the console: {url}\n\n"
                    "You get this email because of your notification preferences in the console."
                ),
            )
        )
    return mails
