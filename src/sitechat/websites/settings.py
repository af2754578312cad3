"""A website's widget settings: appearance, behaviour, pre-chat form, business hours, offline form.

Stored as one JSON document in ``websites.settings``; every read goes through
:func:`settings_of`, so a document written by an older release (or missing sections)
still yields complete, valid settings.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sitechat.errors import field_errors, invalid

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FieldMode = Literal["off", "optional", "required"]
# A custom field's key becomes a key of the visitor's custom_data: keep it boring.
FIELD_KEY = r"^[a-z][a-z0-9_]{0,39}$"
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
RESERVED_KEYS = frozenset({"name", "email", "phone"})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Appearance(_Section):
    color: Annotated[str, Field(pattern=HEX_COLOR)] = "#4F46E5"
    position: Literal["left", "right"] = "right"
    # https only: the panel's CSP allows images from https: and itself, and a host page on
    # https would refuse mixed content anyway.
    logo_url: Annotated[str, Field(max_length=500, pattern=r"^https://[^\s\"'<>]+$")] | None = None
    # Shown in the panel header; empty means the website's name.
    title: Annotated[str, Field(max_length=60)] = ""
    welcome: Annotated[str, Field(max_length=500)] = "Hi! How can we help?"


class Behavior(_Section):
    show_agent_photos: bool = True
    auto_greet: bool = False
    greet_delay_ms: Annotated[int, Field(ge=0, le=600_000)] = 3000
    # Progressive profiling: ask for an email inside the conversation when none is known.
    ask_email_in_chat: bool = True
    # Until the page calls consent(true): write nothing to the visitor's browser storage,
    # and record no tracking (sessions, page views, live list).
    require_consent: bool = False
    # Browsers sending Global Privacy Control (Sec-GPC / navigator.globalPrivacyControl)
    # are not tracked.
    honor_gpc: bool = False
    # Only verified identify calls (user_id + a valid user_hash) are accepted: any other
    # identify is refused with verification_required and nothing from it is saved. The
    # panel's own pre-chat and in-chat questions still work.
    require_verification: bool = False


class PrechatFields(_Section):
    name: FieldMode = "optional"
    email: FieldMode = "optional"
    phone: FieldMode = "off"


class CustomField(_Section):
    key: Annotated[str, Field(pattern=FIELD_KEY)]
    label: Annotated[str, Field(min_length=1, max_length=80)]
    type: Literal["text", "number", "select", "checkbox"] = "text"
    required: bool = False
    options: Annotated[list[Annotated[str, Field(min_length=1, max_length=80)]], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _options_match_type(self) -> CustomField:
        if self.type == "select" and not self.options:
            raise ValueError("a select field needs at least one option")
        if self.type != "select" and self.options:
            raise ValueError("only select fields have options")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options must be unique")
        return self


class Prechat(_Section):
    enabled: bool = False
    fields: PrechatFields = PrechatFields()
    custom_fields: Annotated[list[CustomField], Field(max_length=10)] = []

    @field_validator("custom_fields")
    @classmethod
    def _unique_keys(cls, v: list[CustomField]) -> list[CustomField]:
        keys = [f.key for f in v]
        if len(set(keys)) != len(keys):
            raise ValueError("custom field keys must be unique")
        if RESERVED_KEYS & set(keys):
            raise ValueError("name, email and phone are built-in fields, not custom ones")
        return v

    def required(self) -> list[str]:
        """Profile fields a visitor must have given before starting a conversation."""
        if not self.enabled:
            return []
        built_in = [k for k in ("name", "email", "phone") if getattr(self.fields, k) == "required"]
        return built_in + [f"custom_data.{f.key}" for f in self.custom_fields if f.required]


class DayHours(_Section):
    open: str = "09:00"
    close: str = "17:00"

    @field_validator("open", "close")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not HHMM.match(v):
            raise ValueError("use HH:MM, 00:00 to 24:00")
        return v

    @model_validator(mode="after")
    def _ordered(self) -> DayHours:
        if self.open >= self.close:
            raise ValueError("close must be after open")
        return self

    def contains(self, t: time) -> bool:
        hhmm = t.strftime("%H:%M")
        return self.open <= hhmm < self.close


def _weekdays() -> dict[Weekday, DayHours | None]:
    days: tuple[Weekday, ...] = WEEKDAYS
    return {d: (DayHours() if d not in ("saturday", "sunday") else None) for d in days}


class BusinessHours(_Section):
    enabled: bool = False
    timezone: Annotated[str, Field(max_length=64)] = "UTC"
    # A day missing or null is closed all day.
    schedule: dict[Weekday, DayHours | None] = Field(default_factory=_weekdays)
    holidays: Annotated[list[date], Field(max_length=366)] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if v not in _zones():
            raise ValueError("not an IANA time zone such as Europe/Paris")
        return v

    def open_at(self, now: datetime) -> bool:
        if not self.enabled:
            return True
        try:
            local = now.astimezone(ZoneInfo(self.timezone))
        except ZoneInfoNotFoundError:  # the zone database lost a zone since it was saved
            return True
        if local.date() in self.holidays:
            return False
        hours = self.schedule.get(WEEKDAYS[local.weekday()])
        return hours is not None and hours.contains(local.time())


class Offline(_Section):
    message: Annotated[str, Field(min_length=1, max_length=500)] = (
        "We're away right now. Leave a message and we'll get back to you by email."
    )
    form_enabled: bool = True
    # Where offline messages are emailed (needs SMTP, see docs/admin.md); null: nowhere.
    email_to: Annotated[str, Field(max_length=320)] | None = None

    @field_validator("email_to")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is None or v.strip() == "":
            return None
        v = v.strip()
        local, _, domain = v.partition("@")
        # One plain address: no display name, no list, nothing a mail header could be
        # smuggled through.
        if (
            not local
            or "." not in domain.strip(".")
            or "@" in domain
            or any(c.isspace() or c in ',;<>"()' for c in v)
        ):
            raise ValueError("not an email address such as support@example.com")
        return v

    def public(self) -> PublicOffline:
        """What the widget may know: not where the mail goes."""
        return PublicOffline(message=self.message, form_enabled=self.form_enabled)


class PublicOffline(_Section):
    message: str
    form_enabled: bool


NotificationSound = Literal["chime", "bell", "pop", "none"]


class Notifications(_Section):
    """Defaults for the team (PRD Appendix C): each agent may still change their own."""

    sound: NotificationSound = "chime"
    desktop: bool = True
    # Email the team: offline messages go to offline.email_to while this is on.
    email: bool = True


Skill = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,39}$")]


class RoutingRule(_Section):
    """One skill-routing rule (docs/routing.md): the first that matches names the skill."""

    # language: the visitor's browser language ("fr" matches fr-CA); page: a substring of
    # the page's URL, or a glob when it holds * or ?; prechat: the answer to the field
    # ``key``; tag: one of the visitor's tags (custom data ``tags``).
    match: Literal["language", "page", "prechat", "tag"]
    value: Annotated[str, Field(min_length=1, max_length=500)]
    key: Annotated[str, Field(pattern=r"^(name|email|phone|company|[a-z][a-z0-9_]{0,39})$")] | None = None
    skill: Skill

    @model_validator(mode="after")
    def _key_for_prechat(self) -> RoutingRule:
        if self.match == "prechat" and self.key is None:
            raise ValueError("a prechat rule needs the field's key")
        if self.match != "prechat" and self.key is not None:
            raise ValueError("only prechat rules have a key")
        return self


class Routing(_Section):
    """Who gets a new conversation (docs/routing.md)."""

    mode: Literal["manual", "round_robin", "skills"] = "manual"
    # Most open conversations routing gives one agent (each agent may have their own).
    capacity: Annotated[int, Field(ge=1, le=100)] = 5
    rules: Annotated[list[RoutingRule], Field(max_length=50)] = []
    # Skill mode, when no rule matches or nobody with the skill can take it.
    fallback: Literal["round_robin", "queue"] = "round_robin"
    # When nobody can take it: the visitor waits ("someone will answer soon"), or is
    # shown the offline form; either way the conversation is queued.
    when_nobody: Literal["queue", "offline_form"] = "queue"
    # An agent whose console is gone this long has their open conversations reassigned.
    offline_grace_seconds: Annotated[int, Field(ge=0, le=3600)] = 60


class WebsiteSettings(_Section):
    appearance: Appearance = Appearance()
    behavior: Behavior = Behavior()
    prechat: Prechat = Prechat()
    business_hours: BusinessHours = BusinessHours()
    offline: Offline = Offline()
    notifications: Notifications = Notifications()
    routing: Routing = Routing()


SECTIONS = tuple(WebsiteSettings.model_fields)

_zone_cache: set[str] = set()


def _zones() -> set[str]:
    if not _zone_cache:
        _zone_cache.update(available_timezones())
    return _zone_cache


def settings_of(stored: dict[str, Any] | None) -> WebsiteSettings:
    """Stored settings, section by section; a section that no longer validates falls back to
    its defaults rather than breaking the widget."""
    stored = stored or {}
    out = WebsiteSettings()
    for name in SECTIONS:
        raw = stored.get(name)
        if isinstance(raw, dict):
            try:
                setattr(out, name, type(getattr(out, name)).model_validate(raw))
            except ValidationError:
                pass
    return out


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def merged(current: dict[str, Any] | None, patch: dict[str, Any]) -> WebsiteSettings:
    """Apply a partial update: objects merge key by key at every depth (so
    ``{"prechat": {"fields": {"email": "required"}}}`` changes only that field); a list or
    a plain value replaces what was stored; null resets a nullable field (a closed day,
    no logo). Raises ValidationFailed naming every bad field; nothing is applied then."""
    errors = [{"field": k, "message": "unknown settings section"} for k in patch if k not in SECTIONS]
    errors += [
        {"field": k, "message": "must be an object"}
        for k, v in patch.items()
        if k in SECTIONS and not isinstance(v, dict)
    ]
    usable = {k: v for k, v in patch.items() if k in SECTIONS and isinstance(v, dict)}
    doc = _deep_merge(settings_of(current).model_dump(mode="json"), usable)
    try:
        result = WebsiteSettings.model_validate(doc)
    except ValidationError as exc:
        errors += field_errors(exc.errors())
    if errors:
        raise invalid(errors)
    return result
