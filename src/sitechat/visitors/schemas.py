"""What a visitor tells us about themselves: through the pre-chat form, in the chat, or
through the page's ``WebsiteChat.identify`` call."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

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
    custom_data: (
        Annotated[
            dict[Annotated[str, Field(pattern=CUSTOM_KEY)], CustomValue], Field(max_length=MAX_CUSTOM_KEYS)
        ]
        | None
    ) = None

    @field_validator("name")
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


class Identify(ProfileFields):
    """``WebsiteChat.identify(...)`` from the host page, sent with the config request."""

    # Identity verification (user_hash = HMAC-SHA256(secret, user_id)) belongs to the
    # tracking release; until then both are accepted and not stored.
    user_id: Annotated[str, Field(max_length=200)] | None = None
    user_hash: Annotated[str, Field(max_length=200)] | None = None


class TrackedEvent(BaseModel):
    """One ``WebsiteChat.track(name, data)`` call."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]*$")]
    data: Annotated[dict[Annotated[str, Field(max_length=80)], CustomValue], Field(max_length=30)] = {}


class EventsIn(BaseModel):
    """Sent by the loader (often with ``navigator.sendBeacon``, hence also as text/plain)."""

    model_config = ConfigDict(extra="forbid")
    visitor_key: Annotated[str, Field(max_length=512)]
    events: Annotated[list[TrackedEvent], Field(min_length=1, max_length=20)]
