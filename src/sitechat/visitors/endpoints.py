"""Visitors for agents and for the website's own server (docs/identification.md)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from sitechat.http import Auth, agent_auth
from sitechat.visitors import service
from sitechat.visitors.schemas import ServerIdentify, VisitorOut

router = APIRouter(prefix="/api/v1/visitors", tags=["visitors"])


@router.post(
    "/identify",
    response_model=VisitorOut,
    status_code=201,
    responses={200: {"model": VisitorOut, "description": "The user's visitor existed and was updated."}},
)
async def identify(data: ServerIdentify, response: Response, auth: Auth = Depends(agent_auth)) -> VisitorOut:
    """Owners and admins (an API token, from the website's server). Creates (201) or
    updates (200) the verified visitor of the website's user ``user_id``; the profile
    fields are a partial update, ``custom_data`` merges key by key (null deletes)."""
    async with auth.ctx.uow() as uow:
        visitor, created = await service.server_identify(uow, auth.actor, data)
        out = await service.visitor_out(uow, visitor)
    response.status_code = 201 if created else 200
    return out


@router.get("/{visitor_id}", response_model=VisitorOut)
async def get_visitor(visitor_id: str, auth: Auth = Depends(agent_auth)) -> VisitorOut:
    """Any agent of the visitor's website; everyone else gets 404."""
    async with auth.ctx.uow() as uow:
        visitor = await service.get_for_agent(uow, auth.actor, visitor_id)
        return await service.visitor_out(uow, visitor)
