"""Visitors: created on the widget's first config request, remembered by a signed key."""

from __future__ import annotations

from datetime import timedelta

from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.visitors import repository
from sitechat.visitors.models import Visitor


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
