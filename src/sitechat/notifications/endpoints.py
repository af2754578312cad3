"""``/api/v1/notifications/…`` and ``/api/v1/conversations/{id}/mute``: an agent's own
alerts. Every route acts on the calling agent only; there is nothing to see of others."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from sitechat.http import Auth, agent_auth
from sitechat.notifications import dispatch, service
from sitechat.notifications.schemas import (
    ChannelResult,
    ConversationMuteOut,
    MuteIn,
    MuteOut,
    Preferences,
    PreferencesOut,
    PushKeyOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    PushUnsubscribeIn,
    TestOut,
)

router = APIRouter(tags=["notifications"])
PREFIX = "/api/v1/notifications"


def _notifier(auth: Auth) -> dispatch.Notifier:
    notifier = auth.ctx.notifier
    assert notifier is not None, "the notifier starts with the app"
    return notifier


@router.get(PREFIX + "/preferences", response_model=PreferencesOut)
async def get_preferences(auth: Auth = Depends(agent_auth)) -> PreferencesOut:
    """The caller's preferences (website defaults until they save their own), the mute
    in force and the conversations they muted."""
    async with auth.ctx.uow() as uow:
        return await service.get_preferences(uow, auth.actor)


@router.put(PREFIX + "/preferences", response_model=PreferencesOut)
async def put_preferences(prefs: Preferences, auth: Auth = Depends(agent_auth)) -> PreferencesOut:
    """Replace the caller's preferences (every field has a default; unknown events,
    channels or fields are refused)."""
    async with auth.ctx.uow() as uow:
        return await service.put_preferences(uow, auth.actor, prefs)


@router.post(PREFIX + "/mute", response_model=MuteOut)
async def mute(data: MuteIn, auth: Auth = Depends(agent_auth)) -> MuteOut:
    """Silence every alert for 30, 60 or 120 minutes (from now; replaces a running mute)."""
    async with auth.ctx.uow() as uow:
        until = await service.mute(uow, auth.actor, data.minutes)
    return MuteOut(muted_until=until)


@router.delete(PREFIX + "/mute", status_code=204)
async def unmute(auth: Auth = Depends(agent_auth)) -> None:
    async with auth.ctx.uow() as uow:
        await service.unmute(uow, auth.actor)


@router.post("/api/v1/conversations/{conversation_id}/mute", response_model=ConversationMuteOut)
async def mute_conversation(conversation_id: str, auth: Auth = Depends(agent_auth)) -> ConversationMuteOut:
    """No alerts about this conversation for the caller until unmuted."""
    async with auth.ctx.uow() as uow:
        await service.set_conversation_muted(uow, auth.actor, conversation_id, True)
    return ConversationMuteOut(conversation_id=conversation_id, muted=True)


@router.delete("/api/v1/conversations/{conversation_id}/mute", status_code=204)
async def unmute_conversation(conversation_id: str, auth: Auth = Depends(agent_auth)) -> None:
    async with auth.ctx.uow() as uow:
        await service.set_conversation_muted(uow, auth.actor, conversation_id, False)


@router.post(PREFIX + "/test", response_model=TestOut)
async def test_notification(auth: Auth = Depends(agent_auth)) -> TestOut:
    """Send a test alert through each channel the caller has on, and say per channel
    what happened: sent, off, no_target, not_configured or failed."""
    results = await dispatch.send_test(auth.ctx, _notifier(auth), auth.actor)
    return TestOut(channels={c: ChannelResult(status=s, detail=d) for c, (s, d) in results.items()})


@router.get(PREFIX + "/push/key", response_model=PushKeyOut)
async def push_key(auth: Auth = Depends(agent_auth)) -> PushKeyOut:
    """The VAPID public key to subscribe with (``applicationServerKey``)."""
    return PushKeyOut(public_key=_notifier(auth).pusher.keys.public_key)


@router.post(PREFIX + "/push/subscriptions", response_model=PushSubscriptionOut, status_code=201)
async def subscribe(data: PushSubscriptionIn, auth: Auth = Depends(agent_auth)) -> PushSubscriptionOut:
    """Save this browser's ``PushSubscription.toJSON()``; the same endpoint again
    replaces it. Endpoints must belong to a known push service."""
    async with auth.ctx.uow() as uow:
        sub = await service.subscribe_push(uow, auth.actor, data, auth.ctx.settings)
        out = PushSubscriptionOut(id=sub.id, endpoint=sub.endpoint, created_at=sub.created_at)
    return out


@router.delete(PREFIX + "/push/subscriptions", status_code=204)
async def unsubscribe(data: PushUnsubscribeIn, auth: Auth = Depends(agent_auth)) -> None:
    """Forget one of the caller's subscriptions (body ``{"endpoint": …}``)."""
    async with auth.ctx.uow() as uow:
        await service.unsubscribe_push(uow, auth.actor, data.endpoint)
