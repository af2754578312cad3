"""Visitors: created on the widget's first config request, remembered by a signed key."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from sitechat.actors import AgentActor
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import (
    IdentityInvalid,
    IdentitySecretUnreadable,
    NotFound,
    VerificationRequired,
    WebsiteNotFound,
    invalid,
)
from sitechat.realtime import protocol as p
from sitechat.realtime import topics
from sitechat.visitors import identity, repository
from sitechat.visitors.models import Visitor
from sitechat.visitors.schemas import (
    Identify,
    ProfileFields,
    ServerIdentify,
    TrackedEvent,
    VisitorOut,
    VisitorState,
)
from sitechat.websites import service as websites
from sitechat.websites.models import Website
from sitechat.websites.settings import CustomField, WebsiteSettings, settings_of

log = logging.getLogger(__name__)


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


PROFILE_ATTRS = ("name", "email", "phone", "company")


def profile_of(visitor: Visitor) -> p.VisitorProfile:
    """What the visitor's own widget sees."""
    return p.VisitorProfile(
        name=visitor.name,
        email=visitor.email,
        phone=visitor.phone,
        company=visitor.company,
        custom_data=dict(visitor.custom_data or {}),
    )


def state_of(visitor: Visitor) -> VisitorState:
    """PRD §2.3: verified (the website vouched for the user) > identified (name and
    email) > partial (any detail) > anonymous."""
    if visitor.verified:
        return "verified"
    if visitor.name and visitor.email:
        return "identified"
    if any(getattr(visitor, a) for a in PROFILE_ATTRS) or visitor.custom_data:
        return "partial"
    return "anonymous"


def agent_view(visitor: Visitor) -> p.VisitorProfileOut:
    """What agents see in ``visitor`` frames."""
    return p.VisitorProfileOut(
        id=visitor.id,
        **profile_of(visitor).model_dump(),
        state=state_of(visitor),
        verified=visitor.verified,
        user_id=visitor.user_id,
    )


def _announce(
    uow: UnitOfWork, visitor: Visitor, before: tuple[p.VisitorProfile, p.VisitorProfileOut] | None
) -> None:
    """Tell the visitor's tabs and the website's agents what changed since ``before``
    (everything when None)."""
    mine, theirs = profile_of(visitor), agent_view(visitor)
    if before is None or mine != before[0]:
        uow.emit(topics.visitor(visitor.id), p.ProfileFrame(visitor=mine).model_dump(mode="json"))
    if before is None or theirs != before[1]:
        uow.emit(
            topics.website(visitor.website_id),
            p.VisitorFrame(website_id=visitor.website_id, visitor=theirs).model_dump(mode="json"),
        )


def _snapshot(visitor: Visitor) -> tuple[p.VisitorProfile, p.VisitorProfileOut]:
    return profile_of(visitor), agent_view(visitor)


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
    bad field is reported at once and nothing is saved then. Never touches ``user_id`` or
    ``verified``: only a verified identify (``identify``) sets those."""
    visitor = await repository.lock(uow.session, visitor_id)
    if visitor is None:
        raise NotFound("No such visitor.")
    before = _snapshot(visitor)
    _apply(visitor, settings, patch, any_custom_keys=any_custom_keys, field_prefix=field_prefix)
    if _snapshot(visitor) != before:
        await uow.session.flush()
        _announce(uow, visitor, before)
    return visitor


def _apply(
    visitor: Visitor,
    settings: WebsiteSettings,
    patch: ProfileFields,
    *,
    any_custom_keys: bool,
    field_prefix: str,
) -> None:
    """Check every field of ``patch`` against the website's form, then apply them all, or
    raise ``validation_error`` naming each bad one and change nothing."""
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
    for attr in PROFILE_ATTRS:
        value = getattr(patch, attr)
        if value is not None:
            setattr(visitor, attr, value or None)
    if custom != (visitor.custom_data or {}):
        visitor.custom_data = custom  # a new dict, so the JSON column is marked dirty


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


# --- identification (docs/identification.md) ---------------------------------------------------


def _has_details(data: Identify) -> bool:
    return data.user_id is not None or any(
        getattr(data, a) is not None for a in (*PROFILE_ATTRS, "custom_data")
    )


async def identify(
    uow: UnitOfWork, website: Website, visitor_id: str, data: Identify, *, server_key: str
) -> Visitor:
    """The page's ``WebsiteChat.identify(...)``, sent with the widget's config request.

    With ``user_id`` and a ``user_hash`` that proves it, the visitor *is* that user of the
    website: verified, and merged into the user's existing visitor if there is one (that
    one is returned, and the caller must use it from then on). Without a hash, ``user_id``
    is ignored, never stored or matched: a page could claim anyone's id. Raises
    ``identity_invalid`` or ``verification_required`` and saves nothing then."""
    settings = settings_of(website.settings)
    if data.user_hash is None:
        if settings.behavior.require_verification and _has_details(data):
            raise VerificationRequired(
                "This website accepts only verified identify calls: pass user_id with "
                "user_hash = HMAC-SHA256(identity secret, user_id), computed on the website's "
                "server (docs/identification.md). Nothing was saved."
            )
        return await update_profile(
            uow, visitor_id, settings, data, any_custom_keys=True, field_prefix="identify."
        )
    if data.user_id is None:
        raise IdentityInvalid("identify.user_hash was given without identify.user_id.")
    try:
        secret = websites.verification_secret(website, server_key)
    except IdentitySecretUnreadable:
        log.warning("identity secret of website %s cannot be decrypted; refusing identify", website.id)
        raise IdentityInvalid(
            "This website's identity secret cannot be read by the server (its secret key "
            "changed), so no user_hash can be verified. The website's owner must create a new one."
        ) from None
    if secret is None:
        raise IdentityInvalid(
            "identify.user_hash was given, but this website has no identity secret, so "
            f"nothing can be verified. Create one (POST /api/v1/websites/{website.id}/identity-secret) "
            "and compute user_hash with it, or stop sending user_hash."
        )
    if not identity.verify(secret, data.user_id, data.user_hash):
        raise IdentityInvalid(
            "identify.user_hash does not match identify.user_id: it must be the hex "
            "HMAC-SHA256 of user_id keyed with the website's current identity secret, "
            "computed on the website's server (docs/identification.md)."
        )
    return await _identify_verified(uow, website, visitor_id, data.user_id, data, settings)


async def _identify_verified(
    uow: UnitOfWork,
    website: Website,
    visitor_id: str,
    user_id: str,
    patch: ProfileFields,
    settings: WebsiteSettings,
) -> Visitor:
    session = uow.session
    current = await repository.lock(session, visitor_id)
    if current is None or current.website_id != website.id:
        raise NotFound("No such visitor.")
    before: tuple[p.VisitorProfile, p.VisitorProfileOut] | None = _snapshot(current)
    merged_from: Visitor | None = None
    if current.user_id == user_id:
        target = current
    elif current.user_id is not None:
        # This browser belonged to another verified user (a shared computer, a new login):
        # switch to this user's own visitor and take nothing of the previous user's.
        target, created = await _user_visitor(uow, website.id, user_id)
        before = None if created else _snapshot(target)
    else:
        canonical = await repository.by_user_id(session, website.id, user_id)
        if canonical is None and await _claim(uow, current, user_id):
            target = current
        else:
            if canonical is None:
                # A concurrent request verified the same user first and won the unique
                # constraint: join its visitor.
                log.info("visitor %s lost a verified-identify race; joining the winner", visitor_id)
                fresh = await repository.lock_fresh(session, visitor_id)
                canonical = await repository.by_user_id(session, website.id, user_id)
                if fresh is None or canonical is None:
                    raise NotFound("No such visitor.")
                current = fresh
            target, merged_from = canonical, current
            before = _snapshot(canonical)
    if merged_from is not None:
        _fill_in(target, merged_from)
    # What the site says now overrides what we had: identify is the site telling the truth.
    _apply(target, settings, patch, any_custom_keys=True, field_prefix="identify.")
    target.user_id, target.verified = user_id, True
    await session.flush()
    if merged_from is not None:
        await _move_and_delete(uow, merged_from, target)
    if before is None or _snapshot(target) != before:
        _announce(uow, target, before)
    return target


async def _claim(uow: UnitOfWork, visitor: Visitor, user_id: str) -> bool:
    """Make ``visitor`` the user's verified visitor; False when a concurrent request took
    the user id first (the unique constraint, under a savepoint so the transaction goes on)."""
    try:
        async with uow.session.begin_nested():
            visitor.user_id, visitor.verified = user_id, True
            await uow.session.flush()
    except IntegrityError:
        return False
    return True


async def _user_visitor(uow: UnitOfWork, website_id: str, user_id: str) -> tuple[Visitor, bool]:
    """The user's visitor, created (verified) when there is none; True when created."""
    session = uow.session
    found = await repository.by_user_id(session, website_id, user_id)
    if found is not None:
        return found, False
    try:
        async with session.begin_nested():
            return await repository.insert(session, website_id, user_id=user_id, verified=True), True
    except IntegrityError:
        # Lost a race with a concurrent identify of the same user: use the winner's row.
        found = await repository.by_user_id(session, website_id, user_id)
        if found is None:
            raise
        return found, False


def _fill_in(target: Visitor, other: Visitor) -> None:
    """The user's profile keeps what it has; what only the other visitor knew fills in
    the gaps (custom_data key by key)."""
    for attr in PROFILE_ATTRS:
        if getattr(target, attr) is None and getattr(other, attr) is not None:
            setattr(target, attr, getattr(other, attr))
    mine = dict(target.custom_data or {})
    for key, value in (other.custom_data or {}).items():
        if key not in mine and len(mine) < MAX_STORED_CUSTOM_KEYS:
            mine[key] = value
    if mine != (target.custom_data or {}):
        target.custom_data = mine
    target.created_at = min(target.created_at, other.created_at)
    target.last_seen_at = max(target.last_seen_at, other.last_seen_at, utcnow())


async def _move_and_delete(uow: UnitOfWork, old: Visitor, target: Visitor) -> None:
    """Everything of ``old`` becomes ``target``'s, then ``old`` is deleted."""
    # Imported here: both domains import this one.
    from sitechat.conversations import service as conversations
    from sitechat.tracking import service as tracking

    moved = await conversations.move_visitor(uow, old.id, target.id)
    await tracking.move_visitor(uow, old.id, target.id)
    await repository.delete(uow.session, old)
    log.info("visitor %s merged into %s (%d conversations)", old.id, target.id, moved)


async def server_identify(uow: UnitOfWork, actor: AgentActor, data: ServerIdentify) -> tuple[Visitor, bool]:
    """``POST /api/v1/visitors/identify``: the website's server vouches for the user (its
    API token is the proof), so the user's visitor is created or updated, verified.
    True when created."""
    if not actor.can_see(data.website_id):
        raise WebsiteNotFound()
    website = await websites.get(uow, data.website_id)
    websites.require_manager(actor.role)
    target, created = await _user_visitor(uow, website.id, data.user_id)
    before = None if created else _snapshot(target)
    _apply(target, settings_of(website.settings), data, any_custom_keys=True, field_prefix="")
    target.verified = True
    await uow.session.flush()
    if before is None or _snapshot(target) != before:
        _announce(uow, target, before)
    return target, created


async def visitor_out(uow: UnitOfWork, visitor: Visitor) -> VisitorOut:
    from sitechat.conversations import service as conversations  # it imports this module

    return VisitorOut(
        id=visitor.id,
        website_id=visitor.website_id,
        name=visitor.name,
        email=visitor.email,
        phone=visitor.phone,
        company=visitor.company,
        custom_data=dict(visitor.custom_data or {}),
        user_id=visitor.user_id,
        verified=visitor.verified,
        state=state_of(visitor),
        created_at=visitor.created_at,
        last_seen_at=visitor.last_seen_at,
        conversation_count=await conversations.count_for_visitor(uow, visitor.id),
    )


async def get_for_agent(uow: UnitOfWork, actor: AgentActor, visitor_id: str) -> Visitor:
    """The visitor if the agent works on its website; ``not_found`` otherwise (never
    'forbidden', which would tell a stranger the id exists)."""
    visitor = await repository.get(uow.session, visitor_id)
    if visitor is None or not actor.can_see(visitor.website_id):
        raise NotFound("No such visitor.")
    return visitor
