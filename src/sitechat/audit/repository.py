"""Queries on the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.audit.models import AuditEntry


async def insert(session: AsyncSession, **values: Any) -> AuditEntry:
    entry = AuditEntry(**values)
    session.add(entry)
    await session.flush()
    return entry


async def page(
    session: AsyncSession,
    *,
    website_id: str | None,
    action: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[AuditEntry]:
    """Newest first; ``before`` is the (at, id) of the last entry of the previous page."""
    query = select(AuditEntry)
    if website_id is not None:
        query = query.where(AuditEntry.website_id == website_id)
    if action is not None:
        if action.endswith(".*"):
            query = query.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    if before is not None:
        at, entry_id = before
        query = query.where(or_(AuditEntry.at < at, (AuditEntry.at == at) & (AuditEntry.id < entry_id)))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())
