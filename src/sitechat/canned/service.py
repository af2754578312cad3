"""Who may see and change which canned responses (docs/console.md, "Canned responses").

- Personal replies belong to their agent alone (optionally kept to one website).
- Shared replies belong to a website: every agent of the website sees them; owners and
  admins write them.
- Anything the caller may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from sitechat.actors import AgentActor
from sitechat.audit import service as audit
from sitechat.canned import repository
from sitechat.canned.models import CannedResponse
from sitechat.canned.schemas import CannedCreate, CannedOut, CannedUpdate
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import CannedNotFound, Forbidden, ShortcutTaken, WebsiteNotFound, invalid
from sitechat.websites import service as websites

MAX_LISTED = 500


def _scope_key(row_agent: str | None, row_website: str | None) -> str:
    return f"agent:{row_agent}" if row_agent else f"website:{row_website}"


def _editable(actor: AgentActor, row: CannedResponse) -> bool:
    if row.agent_id is not None:
        return row.agent_id == actor.agent_id
    return actor.is_manager and row.website_id is not None and actor.can_see(row.website_id)


def to_out(actor: AgentActor, row: CannedResponse) -> CannedOut:
    return CannedOut(
        id=row.id,
        scope="personal" if row.agent_id else "shared",
        website_id=row.website_id,
        shortcut=row.shortcut,
        title=row.title,
        body=row.body,
        editable=_editable(actor, row),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _visible_website(uow: UnitOfWork, actor: AgentActor, website_id: str) -> None:
    if not actor.can_see(website_id) or not await websites.exists(uow, website_id):
        raise WebsiteNotFound()


async def list_for(uow: UnitOfWork, actor: AgentActor, website_id: str | None) -> list[CannedOut]:
    """The caller's replies and the shared ones of their websites; with ``website_id``, only
    what applies there (shared ones of that website, personal ones for it or for all)."""
    if website_id is not None:
        await _visible_website(uow, actor, website_id)
        ids: list[str] | None = [website_id]
    else:
        ids = sorted(actor.website_ids) if actor.website_ids is not None else None
    rows = await repository.visible(uow.session, actor.agent_id, ids, MAX_LISTED)
    if website_id is not None:
        rows = [r for r in rows if r.website_id in (None, website_id)]
    return [to_out(actor, r) for r in rows]


async def _get_visible(uow: UnitOfWork, actor: AgentActor, canned_id: str) -> CannedResponse:
    row = await repository.get(uow.session, canned_id[:40])
    if row is None:
        raise CannedNotFound()
    if row.agent_id is not None and row.agent_id != actor.agent_id:
        raise CannedNotFound()
    if row.agent_id is None and (row.website_id is None or not actor.can_see(row.website_id)):
        raise CannedNotFound()
    return row


def _taken(shortcut: str) -> ShortcutTaken:
    return ShortcutTaken(
        f"/{shortcut} is already taken here.",
        fields=[{"field": "shortcut", "message": f"/{shortcut} is already taken"}],
    )


async def _check_shortcut(uow: UnitOfWork, scope_key: str, shortcut: str, but: str | None) -> None:
    if await repository.shortcut_taken(uow.session, scope_key, shortcut, but):
        raise _taken(shortcut)


async def create(uow: UnitOfWork, actor: AgentActor, data: CannedCreate) -> CannedOut:
    if data.scope == "shared":
        if data.website_id is None:
            raise invalid([{"field": "website_id", "message": "a shared reply belongs to a website"}])
        await _visible_website(uow, actor, data.website_id)
        if not actor.is_manager:
            raise Forbidden("Only owners and admins write shared canned responses.")
        agent_id = None
    else:
        if data.website_id is not None:
            await _visible_website(uow, actor, data.website_id)
        agent_id = actor.agent_id
    scope_key = _scope_key(agent_id, data.website_id)
    await _check_shortcut(uow, scope_key, data.shortcut, None)
    row = CannedResponse(
        agent_id=agent_id,
        website_id=data.website_id,
        scope_key=scope_key,
        shortcut=data.shortcut,
        title=data.title,
        body=data.body,
        created_by=actor.agent_id,
    )
    uow.session.add(row)
    try:
        await uow.session.flush()
    except IntegrityError:  # the same shortcut created at the same instant
        raise _taken(data.shortcut) from None
    if agent_id is None:
        await audit.record(
            uow,
            actor,
            "canned.create",
            target_type="canned_response",
            target_id=row.id,
            website_id=row.website_id,
            changes={"shortcut": row.shortcut, "title": row.title},
        )
    return to_out(actor, row)


async def update(uow: UnitOfWork, actor: AgentActor, canned_id: str, data: CannedUpdate) -> CannedOut:
    row = await _get_visible(uow, actor, canned_id)
    if not _editable(actor, row):
        raise Forbidden("Only owners and admins change shared canned responses.")
    changes = data.model_dump(exclude_none=True)
    if "shortcut" in changes and changes["shortcut"] != row.shortcut:
        await _check_shortcut(uow, row.scope_key, changes["shortcut"], row.id)
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    try:
        await uow.session.flush()
    except IntegrityError:
        raise _taken(row.shortcut) from None
    if row.agent_id is None and changes:
        await audit.record(
            uow,
            actor,
            "canned.update",
            target_type="canned_response",
            target_id=row.id,
            website_id=row.website_id,
            changes={k: ("changed" if k == "body" else v) for k, v in changes.items()},
        )
    return to_out(actor, row)


async def delete(uow: UnitOfWork, actor: AgentActor, canned_id: str) -> None:
    row = await _get_visible(uow, actor, canned_id)
    if not _editable(actor, row):
        raise Forbidden("Only owners and admins delete shared canned responses.")
    if row.agent_id is None:
        await audit.record(
            uow,
            actor,
            "canned.delete",
            target_type="canned_response",
            target_id=row.id,
            website_id=row.website_id,
            changes={"shortcut": row.shortcut},
        )
    await repository.remove(uow.session, row.id)
