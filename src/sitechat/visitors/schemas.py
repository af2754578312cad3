"""What a visitor tells us about themselves: through the pre-chat form, in the chat, or
through the page's ``WebsiteChat.identify`` call."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

PHONE = re.compile(r"^\+?[0-9 ()./-]{3,50}$")
CUSTOM_KEY = r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$"


def _custom_value(v: Any) -> Any:
    """One clear error for a wrong value, instead of one per allowed type."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        return v
    if isinstance(v, str):
        if len(v) > 500:
            raise ValueError("text may be at most 500 characters")
        return v
    raise ValueError("must be text, a number, true, false or null (not a list or an object)")


CustomValue = Annotated[Any, AfterValidator(_custom_value)]
MAX_CUSTOM_KEYS = 50


def email_address(v: str) -> str:
    """Lower-cased, trimmed; refuses what cannot be an address (full RFC 5322 is not the point:
    a typo must be caught while the visitor can still fix it)."""
    v = v.strip().lower()
    local, _, domain = v.partition("@")
    if (
        not local
        or "." not in domain.strip(".")
        or any(c.isspace() for c in v)
        or "@" in domain
        or len(v) > 320
    ):
        raise ValueError("not a valid email address")
    return v


class ProfileFields(BaseModel):
    """A partial profile: a field left out is unchanged, an empty string clears it.
    ``custom_data`` merges key by key; a null value deletes that key."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=200)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None
    company: Annotated[str, Field(max_length=100)] | None = None
    custom_data: (
        Annotated[
            dict[Annotated[str, Field(pattern=CUSTOM_KEY)], CustomValue], Field(max_length=MAX_CUSTOM_KEYS)
        ]
        | None
    ) = None

    @field_validator("name", "company")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else " ".join(v.split())

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None if v is None else ""
        return email_address(v)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None if v is None else ""
        v = v.strip()
        if not PHONE.match(v) or sum(c.isdigit() for c in v) < 3:
            raise ValueError("not a valid phone number")
        return v


UserId = Annotated[str, Field(min_length=1, max_length=200)]


class Identify(ProfileFields):
    """``WebsiteChat.identify(...)`` from the host page, sent with the config request.

    ``user_id`` counts only with ``user_hash`` = hex HMAC-SHA256(website's identity
    secret, user_id): then the visitor is that verified user (docs/identification.md).
    Without a hash it is never stored: anyone can type any user id into a page."""

    user_id: Annotated[str, Field(max_length=200)] | None = None
    user_hash: Annotated[str, Field(max_length=200)] | None = None

    @field_validator("user_id", "user_hash")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        # A logged-out page often passes "" for "no user".
        return v if v else None


VisitorState = Literal["anonymous", "partial", "identified", "verified"]


class ServerIdentify(ProfileFields):
    """``POST /api/v1/visitors/identify``: the website's server vouches for its user, so no
    hash is needed; the visitor with that ``user_id`` is created or updated, verified."""

    website_id: Annotated[str, Field(min_length=1, max_length=40)]
    user_id: UserId


class VisitorOut(BaseModel):
    """A visitor as agents see it."""

    id: str
    website_id: str
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    custom_data: dict[str, Any]
    # The website's own id for this user; only ever set by a verified identify.
    user_id: str | None
    verified: bool
    state: VisitorState
    created_at: datetime
    last_seen_at: datetime
    conversation_count: int


# --- tracking: what the loader reports about the page (docs/tracking.md) ---------------------

# A page view id (one per page shown, SPA navigations included) and a tab id (one per loaded
# document), both made by the loader.
ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,40}$")]
Url = Annotated[str, Field(max_length=2048)]
Title = Annotated[str, Field(max_length=300)]
Resolution = Annotated[str, Field(pattern=r"^[0-9]{1,5}x[0-9]{1,5}$")]


class PageIn(BaseModel):
    """The page the visitor is on (``location.href``, ``document.title``, the referrer)."""

    model_config = ConfigDict(extra="forbid")
    pv: ClientId
    url: Url
    title: Title = ""
    referrer: Url = ""


class ClientInfo(BaseModel):
    """What only the browser knows. An unknown time zone is dropped, not refused: the
    widget must keep working on an odd browser."""

    model_config = ConfigDict(extra="forbid")
    tz: Annotated[str, Field(max_length=64)] | None = None
    screen: Resolution | None = None
    viewport: Resolution | None = None
    languages: Annotated[list[Annotated[str, Field(max_length=35)]], Field(max_length=10)] = []

    @field_validator("tz")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if not v:
            return None
        try:
            ZoneInfo(v)
        except (ValueError, ZoneInfoNotFoundError):
            return None
        return v


class TrackedEvent(BaseModel):
    """One ``WebsiteChat.track(name, data)`` call."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["custom"] = "custom"
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]*$")]
    data: Annotated[dict[Annotated[str, Field(max_length=80)], CustomValue], Field(max_length=30)] = {}


class PageViewEvent(PageIn):
    """A single-page app moved to another URL (History API); ``referrer`` is the previous URL."""

    type: Literal["page_view"]


class PageLeaveEvent(BaseModel):
    """Time the page was visible so far; sent on navigation and when the tab is hidden,
    so it may come several times for one page (the largest counts)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["page_leave"]
    pv: ClientId
    duration_ms: Annotated[int, Field(ge=0, le=7 * 24 * 3600 * 1000)]


class ExitIntentEvent(BaseModel):
    """The cursor left through the top of the window (desktop)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["exit_intent"]
    pv: ClientId


class PingEvent(BaseModel):
    """The tab is still open: keeps the visitor in the live list."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["ping"]


class LeaveEvent(BaseModel):
    """The tab was closed or left the site (``pagehide``)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["leave"]


def _event_type(v: Any) -> str:
    # Loaders from before page tracking sent track() calls without a type.
    if isinstance(v, dict):
        return str(v.get("type", "custom"))
    return str(getattr(v, "type", "custom"))


WidgetEvent = Annotated[
    Annotated[TrackedEvent, Tag("custom")]
    | Annotated[PageViewEvent, Tag("page_view")]
    | Annotated[PageLeaveEvent, Tag("page_leave")]
    | Annotated[ExitIntentEvent, Tag("exit_intent")]
    | Annotated[PingEvent, Tag("ping")]
    | Annotated[LeaveEvent, Tag("leave")],
    Discriminator(_event_type),
]


class EventsIn(BaseModel):
    """Sent by the loader (often with ``navigator.sendBeacon``, hence also as text/plain)."""

    model_config = ConfigDict(extra="forbid")
    visitor_key: Annotated[str, Field(max_length=512)]
    tab: ClientId | None = None
    # WebsiteChat.consent(...) as the page last said it (null: never called), and the
    # browser's Global Privacy Control signal; the server decides what it may keep.
    consent: bool | None = None
    gpc: bool = False
    events: Annotated[list[WidgetEvent], Field(min_length=1, max_length=20)]
