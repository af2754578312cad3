from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response

from sitechat.http import Auth, agent_auth
from sitechat.websites import service
from sitechat.websites.schemas import (
    IdentitySecretCreated,
    IdentitySecretOut,
    WebsiteCreate,
    WebsiteMemberAdd,
    WebsiteOut,
    WebsiteUpdate,
)
from sitechat.websites.settings import WebsiteSettings, settings_of

router = APIRouter(prefix="/api/v1/websites", tags=["websites"])


@router.get("", response_model=list[WebsiteOut])
async def list_websites(auth: Auth = Depends(agent_auth)) -> list[WebsiteOut]:
    async with auth.ctx.uow() as uow:
        rows = await service.list_all(uow)
    return [service.to_out(w, auth.ctx.settings.public_url) for w in rows if auth.actor.can_see(w.id)]


@router.post("", response_model=WebsiteOut, status_code=201)
async def create_website(data: WebsiteCreate, auth: Auth = Depends(agent_auth)) -> WebsiteOut:
    """Owners and admins."""
    async with auth.ctx.uow() as uow:
        website = await service.create(uow, data, by=auth.actor)
    return service.to_out(website, auth.ctx.settings.public_url)


@router.patch("/{website_id}", response_model=WebsiteOut)
async def update_website(
    website_id: str, data: WebsiteUpdate, auth: Auth = Depends(agent_auth)
) -> WebsiteOut:
    """Owners and admins. Rename, or replace the domain allowlist (exact hosts and
    ``*.example.com``); the new allowlist holds from the next widget request."""
    async with auth.ctx.uow() as uow:
        website = await service.update(uow, auth.actor, website_id, data)
    return service.to_out(website, auth.ctx.settings.public_url)


@router.delete("/{website_id}", status_code=204)
async def delete_website(website_id: str, auth: Auth = Depends(agent_auth)) -> None:
    """Owners and admins. Deletes the website with its visitors, conversations and
    tracking data; its open widgets are disconnected (close code 4004)."""
    async with auth.ctx.uow() as uow:
        await service.delete(uow, auth.actor, website_id)


@router.get("/{website_id}", response_model=WebsiteOut)
async def get_website(website_id: str, auth: Auth = Depends(agent_auth)) -> WebsiteOut:
    async with auth.ctx.uow() as uow:
        website = await service.get_visible(uow, auth.actor, website_id)
    return service.to_out(website, auth.ctx.settings.public_url)


@router.get("/{website_id}/settings", response_model=WebsiteSettings)
async def get_settings(website_id: str, auth: Auth = Depends(agent_auth)) -> WebsiteSettings:
    async with auth.ctx.uow() as uow:
        website = await service.get_visible(uow, auth.actor, website_id)
    return settings_of(website.settings)


@router.post("/{website_id}/settings", response_model=WebsiteSettings)
async def update_settings(
    website_id: str,
    patch: dict[str, Any] = Body(
        ...,
        examples=[{"appearance": {"color": "#0F766E"}, "prechat": {"enabled": True}}],
        description="Settings sections to change; objects merge key by key, lists and values replace.",
    ),
    auth: Auth = Depends(agent_auth),
) -> WebsiteSettings:
    """Owners and admins. Every field is validated; on any error nothing changes. Widgets
    already open get the new settings at once (a ``settings`` frame)."""
    async with auth.ctx.uow() as uow:
        website = await service.update_settings(uow, auth.actor, website_id, patch)
    return settings_of(website.settings)


@router.post("/{website_id}/agents", status_code=204)
async def add_member(website_id: str, data: WebsiteMemberAdd, auth: Auth = Depends(agent_auth)) -> None:
    async with auth.ctx.uow() as uow:
        await service.add_member(uow, auth.actor, website_id, data.agent_id)


@router.delete("/{website_id}/agents/{agent_id}", status_code=204)
async def remove_member(website_id: str, agent_id: str, auth: Auth = Depends(agent_auth)) -> None:
    async with auth.ctx.uow() as uow:
        await service.remove_member(uow, auth.actor, website_id, agent_id)


# The secret lets its holder vouch for any of the website's users: never cached on the way.
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/{website_id}/identity-secret", response_model=IdentitySecretOut)
async def get_identity_secret(
    website_id: str, response: Response, auth: Auth = Depends(agent_auth)
) -> IdentitySecretOut:
    """Owners and admins. The secret the website's server signs user ids with
    (docs/identification.md); null when none was created."""
    async with auth.ctx.uow() as uow:
        secret = await service.identity_secret(uow, auth.actor, website_id, auth.ctx.settings.secret_key)
    response.headers.update(NO_STORE)
    return IdentitySecretOut(secret=secret)


@router.post(
    "/{website_id}/identity-secret",
    response_model=IdentitySecretCreated,
    status_code=201,
    responses={200: {"model": IdentitySecretCreated, "description": "An existing secret was replaced."}},
)
async def rotate_identity_secret(
    website_id: str, response: Response, auth: Auth = Depends(agent_auth)
) -> IdentitySecretCreated:
    """Owners and admins. Creates the secret (201), or replaces it (200): from then on
    only hashes made with the new secret verify."""
    async with auth.ctx.uow() as uow:
        secret, created = await service.rotate_identity_secret(
            uow, auth.actor, website_id, auth.ctx.settings.secret_key
        )
    response.status_code = 201 if created else 200
    response.headers.update(NO_STORE)
    return IdentitySecretCreated(secret=secret, created=created)


@router.delete("/{website_id}/identity-secret", status_code=204)
async def delete_identity_secret(website_id: str, auth: Auth = Depends(agent_auth)) -> None:
    """Owners and admins. Afterwards every identify carrying a user_hash is refused
    (identity_invalid) until a new secret is created."""
    async with auth.ctx.uow() as uow:
        await service.delete_identity_secret(uow, auth.actor, website_id)
