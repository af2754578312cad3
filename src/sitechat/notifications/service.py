"""Notification rules: preferences, Do Not Disturb, and what each alert may use.

``decide`` is the one place that says, for one agent and one event, which channels alert
(sound, desktop, push, email) or why none does (quiet hours, a temporary mute, a muted
conversation). The dispatcher (dispatch.py) and the email job (jobs.py) both ask it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sitechat.actors import AgentActor
from sitechat.config import Settings
from sitechat.conversations import service as conversations
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import NotFound, PushEndpointRefused
from sitechat.notifications import repository
from sitechat.notifications.models import NotificationPrefs, PushSubscription
from sitechat.notifications.push import host_allowed
from sitechat.notifications.schemas import (
    CHANNELS,
    Channels,
    EventPrefs,
    EventSounds,
    Preferences,
    PreferencesOut,
    PushSubscriptionIn,
)
from sitechat.websites.settings import WebsiteSettings

# Minutes a conversation may stay unanswered before its email, when nobody chose.
DEFAULT_EMAIL_AFTER = 10
Suppressed = str  # "quiet_hours" | "muted" | "conversation_muted"


@dataclass(frozen=True, slots=True)
class Decision:
    channels: frozenset[str]
    suppressed: Suppressed | None = None


def website_defaults(ws: WebsiteSettings | None) -> Preferences:
    """An agent who never saved preferences gets the website's team defaults."""
    if ws is None:
        return Preferences()
    n = ws.notifications
    sound_on = n.sound != "none"

    def chans(base: Channels) -> Channels:
        return base.model_copy(
            update={
                "sound": base.sound and sound_on,
                "desktop": base.desktop and n.desktop,
                "email": base.email and n.email,
            }
        )

    base = EventPrefs()
    events = EventPrefs(**{name: chans(getattr(base, name)) for name in EventPrefs.model_fields})
    sounds = EventSounds()
    if sound_on:
        sounds = sounds.model_copy(update={"new_conversation": n.sound})
    return Preferences(events=events, sounds=sounds)


def effective(row: NotificationPrefs | None, ws: WebsiteSettings | None) -> Preferences:
    if row is not None and row.prefs is not None:
        return Preferences.model_validate(row.prefs)
    return website_defaults(ws)


def decide(
    prefs: Preferences,
    event: str,
    now: datetime,
    *,
    muted_until: datetime | None,
    conversation_muted: bool,
) -> Decision:
    wanted = frozenset(c for c in CHANNELS if prefs.wants(event, c))
    if conversation_muted:
        return Decision(frozenset(), "conversation_muted")
    if muted_until is not None and muted_until > now:
        return Decision(frozenset(), "muted")
    if prefs.quiet_hours.active(now.astimezone(ZoneInfo(prefs.timezone))):
        return Decision(frozenset(), "quiet_hours")
    return Decision(wanted)


# --- preferences ----------------------------------------------------------------------------


async def _out(uow: UnitOfWork, agent_id: str, row: NotificationPrefs | None) -> PreferencesOut:
    prefs = effective(row, None)
    muted = row.muted_until if row is not None and row.muted_until and row.muted_until > utcnow() else None
    return PreferencesOut(
        **prefs.model_dump(),
        customized=row is not None and row.prefs is not None,
        muted_until=muted,
        muted_conversations=await repository.muted_ids(uow.session, agent_id),
    )


async def get_preferences(uow: UnitOfWork, actor: AgentActor) -> PreferencesOut:
    return await _out(uow, actor.agent_id, await repository.prefs_of(uow.session, actor.agent_id))


async def put_preferences(uow: UnitOfWork, actor: AgentActor, prefs: Preferences) -> PreferencesOut:
    now = utcnow()
    row = await repository.prefs_row(uow.session, actor.agent_id, now)
    row.prefs = prefs.model_dump(mode="json")
    row.updated_at = now
    await uow.session.flush()
    return await _out(uow, actor.agent_id, row)


async def mute(uow: UnitOfWork, actor: AgentActor, minutes: int) -> datetime:
    now = utcnow()
    row = await repository.prefs_row(uow.session, actor.agent_id, now)
    row.muted_until = now + timedelta(minutes=minutes)
    row.updated_at = now
    await uow.session.flush()
    return row.muted_until


async def unmute(uow: UnitOfWork, actor: AgentActor) -> None:
    row = await repository.prefs_of(uow.session, actor.agent_id)
    if row is not None and row.muted_until is not None:
        row.muted_until = None
        row.updated_at = utcnow()
        await uow.session.flush()


async def set_conversation_muted(
    uow: UnitOfWork, actor: AgentActor, conversation_id: str, muted: bool
) -> None:
    # Only a conversation the agent may see (not_found otherwise, as everywhere).
    conv = await conversations.get_for(uow, actor, conversation_id)
    if muted:
        await repository.mute_conversation(uow.session, actor.agent_id, conv.id, utcnow())
    else:
        await repository.unmute_conversation(uow.session, actor.agent_id, conv.id)


# --- push subscriptions ---------------------------------------------------------------------


async def subscribe_push(
    uow: UnitOfWork, actor: AgentActor, sub: PushSubscriptionIn, settings: Settings
) -> PushSubscription:
    if not host_allowed(sub.endpoint, settings):
        raise PushEndpointRefused(fields=[{"field": "endpoint", "message": "not a known push service"}])
    return await repository.upsert_subscription(
        uow.session, actor.agent_id, sub.endpoint, sub.keys.p256dh, sub.keys.auth, utcnow()
    )


async def unsubscribe_push(uow: UnitOfWork, actor: AgentActor, endpoint: str) -> None:
    if not await repository.delete_subscription(uow.session, actor.agent_id, endpoint):
        raise NotFound("No such push subscription.")


async def subscriptions(uow: UnitOfWork, agent_id: str) -> list[PushSubscription]:
    return await repository.subscriptions_of(uow.session, agent_id)


async def drop_subscription(uow: UnitOfWork, sub_id: str) -> None:
    """Internal: the push service said this subscription is gone (404/410)."""
    await repository.delete_subscription_by_id(uow.session, sub_id)
