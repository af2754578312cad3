"""Recording and reading the audit log.

Services that change administrative state call :func:`record` with the same unit of work,
so the entry commits (or rolls back) with the change it describes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sitechat.actors import AgentActor
from sitechat.audit import repository
from sitechat.audit.models import AuditEntry
from sitechat.db.uow import UnitOfWork
from sitechat.errors import Forbidden, ValidationFailed

# The address of the request being served, set by RequestIP (app.py) so that services
# need not carry it through every signature.
request_ip: ContextVar[str | None] = ContextVar("sitechat_request_ip", default=None)

# Field names whose values are never stored: only a marker such as "rotated" is.
_SECRET_WORDS = ("secret", "password", "token", "hash", "api_key")
_MARKERS = frozenset({"rotated", "created", "deleted", "set", "redacted"})
MAX_LIMIT = 200


def _redacted(changes: Mapping[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if any(word in key.lower() for word in _SECRET_WORDS) and value not in _MARKERS:
            out[key] = "redacted"
        elif isinstance(value, Mapping):
            out[key] = _redacted(value)
        else:
            out[key] = value
    # Round-trip through JSON so that dates and the like are stored as text, not refused
    # by the database driver at commit time.
    result: dict[str, Any] = json.loads(json.dumps(out, default=str))
    return result


async def record(
    uow: UnitOfWork,
    actor: AgentActor | None,
    action: str,
    *,
    target_type: str,
    target_id: str | None = None,
    website_id: str | None = None,
    changes: Mapping[str, object] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Add an entry to the unit of work's transaction.

    ``action`` is a dotted code such as ``website.update``; ``changes`` the changed fields
    (secrets are replaced by "redacted" unless given as a marker like "rotated")."""
    api_key_id = getattr(actor, "api_key_id", None) if actor is not None else None
    return await repository.insert(
        uow.session,
        actor_agent_id=actor.agent_id if actor is not None else None,
        actor_name=actor.name if actor is not None else None,
        actor_api_key_id=api_key_id if isinstance(api_key_id, str) else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        website_id=website_id,
        changes=_redacted(changes or {}),
        ip=(ip if ip is not None else request_ip.get()),
    )


def require_viewer(actor: AgentActor) -> None:
    # The issue: "viewable by owners". Admins change things but do not read who else did.
    if actor.role != "owner":
        raise Forbidden("Only owners read the audit log.")


async def entries(
    uow: UnitOfWork,
    actor: AgentActor,
    *,
    website_id: str | None = None,
    action: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Newest first. ``before`` is the id of the last entry already seen, or an ISO time."""
    require_viewer(actor)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_LIMIT}.",
            fields=[{"field": "limit", "message": f"must be between 1 and {MAX_LIMIT}"}],
        )
    cursor: tuple[datetime, str] | None = None
    if before:
        cursor = await _cursor(uow, before)
    return await repository.page(
        uow.session, website_id=website_id, action=action, before=cursor, limit=limit
    )


async def _cursor(uow: UnitOfWork, before: str) -> tuple[datetime, str]:
    if before.startswith("aud_"):
        entry = await uow.session.get(AuditEntry, before)
        if entry is not None:
            return entry.at, entry.id
    else:
        try:
            at = datetime.fromisoformat(before)
        except ValueError:
            at = None
        if at is not None and at.tzinfo is not None:
            # Everything at that instant or later is excluded: "" sorts before every id.
            return at, ""
    raise ValidationFailed(
        "before must be the id of an audit entry or an ISO 8601 time with a time zone.",
        fields=[{"field": "before", "message": "unknown entry id or not an ISO time with zone"}],
    )
