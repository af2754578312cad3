from __future__ import annotations

from fastapi import APIRouter, Depends

from sitechat.http import Auth, agent_auth
from sitechat.websites import service
from sitechat.websites.schemas import WebsiteCreate, WebsiteMemberAdd, WebsiteOut

router = APIRouter(prefix="/api/v1/websites", tags=["websites"])


@router.get("", response_model=list[WebsiteOut])
async def list_websites(auth: Auth = Depends(agent_auth)) -> list[WebsiteOut]:
    async with auth.ctx.uow() as uow:
        rows = await service.list_all(uow)
    return [service.to_out(w, auth.ctx.settings.public_url) for w in rows if auth.actor.can_see(w.id)]


@router.post("", response_model=WebsiteOut, status_code=201)
async def create_website(data: WebsiteCreate, auth: Auth = Depends(agent_auth)) -> WebsiteOut:
    service.require_manager(auth.actor.role)
    async with auth.ctx.uow() as uow:
        website = await service.create(uow, data)
    return service.to_out(website, auth.ctx.settings.public_url)


@router.get("/{website_id}", response_model=WebsiteOut)
async def get_website(website_id: str, auth: Auth = Depends(agent_auth)) -> WebsiteOut:
    async with auth.ctx.uow() as uow:
        website = await service.get_visible(uow, auth.actor, website_id)
    return service.to_out(website, auth.ctx.settings.public_url)


@router.post("/{website_id}/agents", status_code=204)
async def add_member(website_id: str, data: WebsiteMemberAdd, auth: Auth = Depends(agent_auth)) -> None:
    service.require_manager(auth.actor.role)
    async with auth.ctx.uow() as uow:
        await service.add_member(uow, website_id, data.agent_id)


@router.delete("/{website_id}/agents/{agent_id}", status_code=204)
async def remove_member(website_id: str, agent_id: str, auth: Auth = Depends(agent_auth)) -> None:
    service.require_manager(auth.actor.role)
    async with auth.ctx.uow() as uow:
        await service.remove_member(uow, website_id, agent_id)
