"""Visitors: created on the widget's first config request, remembered by a signed key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import NotFound, invalid
from sitechat.realtime import protocol as p
from sitechat.realtime import topics
from sitechat.visitors import repository
from sitechat.visitors.models import Visitor
from sitechat.visitors.schemas import ProfileFields, TrackedEvent
from sitechat.websites.settings import CustomField, WebsiteSettings


async def get_or_create(uow: UnitOfWork, website_id: str, visitor_id: str | None) -> Visitor:
    if visitor_id is not None:
        visitor = await repository.get(uow.session, visitor_id)
        if visitor is not None and visitor.website_id == website_id:
            now = utcnow()
            # Cheap page loads: touch last_seen at most once a minute.
            if now - visitor.last_seen_at > timedelta(minutes=1):
                visitor.last_seen_at = now
            return visitor
    return await repository.insert(uow.session, website_id)


async def get(uow: UnitOfWork, visitor_id: str) -> Visitor | None:
    return await repository.get(uow.session, visitor_id)


async def lock(uow: UnitOfWork, visitor_id: str) -> Visitor | None:
    """Hold the visitor for the rest of the transaction: two tabs sending a first message
    at once must end up in one conversation, not two."""
    return await repository.lock(uow.session, visitor_id)


# --- profile -------------------------------------------------------------------------------

MAX_STORED_CUSTOM_KEYS = 100


def profile_of(visitor: Visitor) -> p.VisitorProfile:
    return p.VisitorProfile(
        name=visitor.name,
        email=visitor.email,
        phone=visitor.phone,
        custom_data=dict(visitor.custom_data or {}),
    )


def _custom_value(field: CustomField, value: Any) -> Any:
    """A pre-chat custom field's value in its declared type, or ValueError."""
    if value is None:
        return None
    if field.type == "checkbox":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if field.type == "number":
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, str):
            try:
                value = float(value.strip()) if "." in value else int(value.strip())
            except ValueError:
                raise ValueError("must be a number") from None
        if not isinstance(value, int | float) or value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a number")
        return value
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if field.type == "select" and text and text not in field.options:
        raise ValueError("must be one of the listed options")
    return text or None


async def update_profile(
    uow: UnitOfWork,
    visitor_id: str,
    settings: WebsiteSettings,
    patch: ProfileFields,
    *,
    any_custom_keys: bool,
    field_prefix: str = "",
) -> Visitor:
    """Save what the visitor (or the page) told us. ``any_custom_keys`` is for the page's
    ``identify`` call; the panel may only fill the website's own pre-chat fields. Every
    bad field is reported at once and nothing is saved then."""
    visitor = await repository.lock(uow.session, visitor_id)
    if visitor is None:
        raise NotFound("No such visitor.")
    errors: list[dict[str, str]] = []
    custom = dict(visitor.custom_data or {})
    defined = {f.key: f for f in settings.prechat.custom_fields}
    for key, value in (patch.custom_data or {}).items():
        field = defined.get(key)
        if field is None and not any_custom_keys:
            errors.append(
                {"field": f"{field_prefix}custom_data.{key}", "message": "not a field of this website's form"}
            )
            continue
        try:
            value = _custom_value(field, value) if field is not None else value
        except ValueError as exc:
            errors.append({"field": f"{field_prefix}custom_data.{key}", "message": str(exc)})
            continue
        if value is None:
            custom.pop(key, None)
        else:
            custom[key] = value
    if len(custom) > MAX_STORED_CUSTOM_KEYS:
        errors.append(
            {
                "field": f"{field_prefix}custom_data",
                "message": f"at most {MAX_STORED_CUSTOM_KEYS} keys in all",
            }
        )
    if errors:
        raise invalid(errors)

    before = profile_of(visitor)
    for attr in ("name", "email", "phone"):
        value = getattr(patch, attr)
        if value is not None:
            setattr(visitor, attr, value or None)
    if custom != (visitor.custom_data or {}):
        visitor.custom_data = custom  # a new dict, so the JSON column is marked dirty
    after = profile_of(visitor)
    if after != before:
        await uow.session.flush()
        uow.emit(topics.visitor(visitor.id), p.ProfileFrame(visitor=after).model_dump(mode="json"))
        uow.emit(
            topics.website(visitor.website_id),
            p.VisitorFrame(
                website_id=visitor.website_id,
                visitor=p.VisitorProfileOut(id=visitor.id, **after.model_dump()),
            ).model_dump(mode="json"),
        )
    return visitor


def missing_for_prechat(visitor: Visitor, settings: WebsiteSettings) -> list[str]:
    """Required pre-chat fields the visitor has not given yet."""
    custom = visitor.custom_data or {}
    checkboxes = {f.key for f in settings.prechat.custom_fields if f.type == "checkbox"}
    missing = []
    for field in settings.prechat.required():
        if field.startswith("custom_data."):
            key = field.split(".", 1)[1]
            # A required checkbox ("I accept the terms") must be ticked, not just answered.
            if (custom.get(key) is not True) if key in checkboxes else (custom.get(key) in (None, "")):
                missing.append(field)
        elif not getattr(visitor, field):
            missing.append(field)
    return missing


async def record_tracked(uow: UnitOfWork, visitor: Visitor, events: list[TrackedEvent]) -> None:
    """``WebsiteChat.track`` calls, stored as ``custom`` visitor events."""
    await repository.insert_events(
        uow.session,
        visitor.id,
        visitor.website_id,
        [("custom", {"name": e.name, "data": e.data}) for e in events],
    )
