from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sitechat.canned import service
from sitechat.canned.schemas import CannedCreate, CannedList, CannedOut, CannedUpdate
from sitechat.http import Auth, agent_auth

router = APIRouter(prefix="/api/v1/canned-responses", tags=["canned responses"])


@router.get("", response_model=CannedList)
async def list_canned(
    auth: Auth = Depends(agent_auth),
    website_id: Annotated[str | None, Query(max_length=40)] = None,
) -> CannedList:
    """The caller's personal replies and the shared replies of their websites, by
    shortcut; with ``website_id`` only those that apply on that website. ``variables``
    lists what ``{{…}}`` a body may use."""
    async with auth.ctx.uow() as uow:
        return CannedList(items=await service.list_for(uow, auth.actor, website_id))


@router.post("", response_model=CannedOut, status_code=201)
async def create_canned(data: CannedCreate, auth: Auth = Depends(agent_auth)) -> CannedOut:
    """Personal (any agent), or shared on a website (owners and admins)."""
    async with auth.ctx.uow() as uow:
        return await service.create(uow, auth.actor, data)


@router.patch("/{canned_id}", response_model=CannedOut)
async def update_canned(canned_id: str, data: CannedUpdate, auth: Auth = Depends(agent_auth)) -> CannedOut:
    async with auth.ctx.uow() as uow:
        return await service.update(uow, auth.actor, canned_id, data)


@router.delete("/{canned_id}", status_code=204)
async def delete_canned(canned_id: str, auth: Auth = Depends(agent_auth)) -> None:
    async with auth.ctx.uow() as uow:
        await service.delete(uow, auth.actor, canned_id)
