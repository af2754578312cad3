from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from sitechat.http import Auth, agent_auth
from sitechat.realtime.endpoints import announce_presence
from sitechat.routing import service
from sitechat.routing.schemas import (
    AgentRoutingOut,
    CapacityIn,
    StatusIn,
    TeamCreate,
    TeamMembersIn,
    TeamOut,
    TeamPatch,
)

router = APIRouter(prefix="/api/v1", tags=["routing"])
TeamId = Annotated[str, Path(max_length=40)]
AgentIdPath = Annotated[str, Path(max_length=40)]


@router.get("/teams", response_model=list[TeamOut])
async def list_teams(auth: Auth = Depends(agent_auth)) -> list[TeamOut]:
    async with auth.ctx.uow() as uow:
        return await service.list_teams(uow, auth.actor)


@router.post("/teams", response_model=TeamOut, status_code=201)
async def create_team(data: TeamCreate, auth: Auth = Depends(agent_auth)) -> TeamOut:
    """Owners and admins."""
    async with auth.ctx.uow() as uow:
        return await service.create_team(uow, auth.actor, data)


@router.get("/teams/{team_id}", response_model=TeamOut)
async def get_team(team_id: TeamId, auth: Auth = Depends(agent_auth)) -> TeamOut:
    async with auth.ctx.uow() as uow:
        return await service.get_team(uow, auth.actor, team_id)


@router.patch("/teams/{team_id}", response_model=TeamOut)
async def update_team(team_id: TeamId, data: TeamPatch, auth: Auth = Depends(agent_auth)) -> TeamOut:
    """Owners and admins: rename, or replace the skills."""
    async with auth.ctx.uow() as uow:
        return await service.update_team(uow, auth.actor, team_id, data)


@router.delete("/teams/{team_id}", status_code=204)
async def delete_team(team_id: TeamId, auth: Auth = Depends(agent_auth)) -> Response:
    async with auth.ctx.uow() as uow:
        await service.delete_team(uow, auth.actor, team_id)
    return Response(status_code=204)


@router.put("/teams/{team_id}/members", response_model=TeamOut)
async def set_members(team_id: TeamId, data: TeamMembersIn, auth: Auth = Depends(agent_auth)) -> TeamOut:
    """Owners and admins: the team's members, replaced by this list of agent ids."""
    async with auth.ctx.uow() as uow:
        return await service.set_team_members(uow, auth.actor, team_id, data.agent_ids)


@router.get("/agents/me/status", response_model=AgentRoutingOut)
async def my_status(auth: Auth = Depends(agent_auth)) -> AgentRoutingOut:
    async with auth.ctx.uow() as uow:
        return await service.my_status(uow, auth.actor)


@router.put("/agents/me/status", response_model=AgentRoutingOut)
async def set_my_status(data: StatusIn, auth: Auth = Depends(agent_auth)) -> AgentRoutingOut:
    """online, away (no new conversations) or offline (open ones are reassigned now).
    Visitors see agents away or offline as not online."""
    async with auth.ctx.uow() as uow:
        out = await service.set_status(uow, auth.actor, data.status)
        sites = await service.websites_of(uow, auth.actor)
    await auth.ctx.presence.set_available(auth.actor.agent_id, out.status == "online")
    await announce_presence(auth.ctx, sites)
    return out


@router.get("/agents/{agent_id}/routing", response_model=AgentRoutingOut)
async def agent_routing(agent_id: AgentIdPath, auth: Auth = Depends(agent_auth)) -> AgentRoutingOut:
    """The agent themself, or owners and admins."""
    async with auth.ctx.uow() as uow:
        return await service.agent_routing(uow, auth.actor, agent_id)


@router.patch("/agents/{agent_id}/routing", response_model=AgentRoutingOut)
async def set_capacity(
    agent_id: AgentIdPath, data: CapacityIn, auth: Auth = Depends(agent_auth)
) -> AgentRoutingOut:
    """Owners and admins: the agent's capacity (null: each website's default)."""
    async with auth.ctx.uow() as uow:
        return await service.set_capacity(uow, auth.actor, agent_id, data.capacity)
