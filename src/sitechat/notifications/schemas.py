"""Notification preferences and the API's bodies.

Preferences are validated strictly: an unknown event or channel is an error, never
silently dropped, so a typo in a client cannot turn an alert off without anyone knowing.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EVENTS = ("new_conversation", "new_message", "visitor_returned", "urgent", "assigned")
CHANNELS = ("sound", "desktop", "push", "email")
SOUNDS = ("chime", "bell", "pop", "ding", "knock")
MUTE_MINUTES = (30, 60, 120)

Event = Literal["new_conversation", "new_message", "visitor_returned", "urgent", "assigned"]
Channel = Literal["sound", "desktop", "push", "email"]
Sound = Literal["chime", "bell", "pop", "ding", "knock"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Channels(_Strict):
    sound: bool = True
    desktop: bool = True
    push: bool = True
    email: bool = False


class EventPrefs(_Strict):
    new_conversation: Channels = Channels(email=True)
    new_message: Channels = Channels(email=True)
    # A returning visitor is news, not an emergency: a quiet desktop note by default.
    visitor_returned: Channels = Channels(sound=False, push=False)
    urgent: Channels = Channels(email=True)
    assigned: Channels = Channels()


class EventSounds(_Strict):
    """A different sound per event, each chosen from SOUNDS."""

    new_conversation: Sound = "chime"
    new_message: Sound = "pop"
    visitor_returned: Sound = "ding"
    urgent: Sound = "bell"
    assigned: Sound = "knock"


class QuietHours(_Strict):
    """A daily window (in the agent's time zone) with no alerts; it may cross midnight
    (22:00-07:00). ``days`` are ISO weekdays (1 Monday … 7 Sunday) on which a window starts."""

    enabled: bool = False
    start: str = "22:00"
    end: str = "07:00"
    days: Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(max_length=7)] = [1, 2, 3, 4, 5, 6, 7]

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError("must be a time HH:MM (00:00-23:59)")
        return v

    @model_validator(mode="after")
    def _window(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        self.days = sorted(set(self.days))
        return self

    def active(self, local: datetime) -> bool:
        """Whether the local wall-clock time falls inside a quiet window."""
        if not self.enabled:
            return False
        start, end = _parse(self.start), _parse(self.end)
        now = local.time().replace(second=0, microsecond=0, tzinfo=None)
        weekday = local.isoweekday()
        if start < end:
            return weekday in self.days and start <= now < end
        # Crosses midnight: before midnight the window started today, after it yesterday.
        if now >= start:
            return weekday in self.days
        if now < end:
            return (weekday - 2) % 7 + 1 in self.days
        return False


def _parse(hhmm: str) -> time:
    h, m = hhmm.split(":")
    return time(int(h), int(m))


def check_timezone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Europe/Paris") from None
    if v not in _zones():
        raise ValueError("must be an IANA time zone such as Europe/Paris")
    return v


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES


class Preferences(_Strict):
    """What alerts one agent, on every device."""

    events: EventPrefs = EventPrefs()
    sounds: EventSounds = EventSounds()
    # 0 (silent) … 1 (full).
    volume: Annotated[float, Field(ge=0, le=1)] = 0.8
    timezone: str = "UTC"
    quiet_hours: QuietHours = QuietHours()
    # Email about a conversation left unanswered this many minutes; None: the website's
    # setting (its notifications section), else 10.
    email_after_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return check_timezone(v)

    def wants(self, event: str, channel: str) -> bool:
        chans: Channels = getattr(self.events, event)
        return bool(getattr(chans, channel))


class PreferencesOut(Preferences):
    # False while the agent never saved theirs (website defaults apply per website).
    customized: bool = False
    muted_until: datetime | None = None
    # Conversations this agent muted (newest first, at most 1000).
    muted_conversations: list[str] = []


class MuteIn(_Strict):
    minutes: Literal[30, 60, 120]


class MuteOut(BaseModel):
    muted_until: datetime | None


class ConversationMuteOut(BaseModel):
    conversation_id: str
    muted: bool


class PushKeys(_Strict):
    p256dh: Annotated[str, Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+=*$")]
    auth: Annotated[str, Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")]


class PushSubscriptionIn(BaseModel):
    """``PushSubscription.toJSON()`` as the browser gives it (expirationTime is ignored)."""

    model_config = ConfigDict(extra="ignore")
    endpoint: Annotated[str, Field(min_length=10, max_length=1000)]
    keys: PushKeys


class PushSubscriptionOut(BaseModel):
    id: str
    endpoint: str
    created_at: datetime


class PushUnsubscribeIn(_Strict):
    endpoint: Annotated[str, Field(min_length=10, max_length=1000)]


class PushKeyOut(BaseModel):
    # The VAPID public key (uncompressed P-256 point, base64url): applicationServerKey.
    public_key: str


ChannelStatus = Literal["sent", "off", "failed", "not_configured", "no_target"]


class ChannelResult(BaseModel):
    status: ChannelStatus
    detail: str


class TestOut(BaseModel):
    channels: dict[str, ChannelResult]
