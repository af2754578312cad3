from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sitechat.errors import WebsiteNotFound
from sitechat.http import Auth, agent_auth
from sitechat.tracking import service
from sitechat.tracking.schemas import LiveList, SessionList
from sitechat.visitors import service as visitors

router = APIRouter(prefix="/api/v1", tags=["tracking"])


@router.get("/visitors/{visitor_id}/sessions", response_model=SessionList)
async def visitor_sessions(
    visitor_id: str,
    auth: Auth = Depends(agent_auth),
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SessionList:
    """The visitor's visits, newest first, each with its page trail in order."""
    # Page views are written behind: what this node queued is written first.
    await auth.ctx.ingest.flush()
    async with auth.ctx.uow() as uow:
        visitor = await visitors.get_for_agent(uow, auth.actor, visitor_id[:40])
        return SessionList(items=await service.sessions_of(uow, visitor.id, limit))


@router.get("/websites/{website_id}/visitors/live", response_model=LiveList)
async def live_visitors(website_id: str, auth: Auth = Depends(agent_auth)) -> LiveList:
    """Who is on the website right now (kept current over the agent WebSocket by
    ``visitor.live`` and ``visitor.left`` frames)."""
    if not auth.actor.can_see(website_id):
        raise WebsiteNotFound()
    return LiveList(website_id=website_id, visitors=await service.live_visitors(auth.ctx, website_id))
