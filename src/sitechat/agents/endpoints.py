from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request, Response

from sitechat.agents import service
from sitechat.agents.models import Agent
from sitechat.agents.schemas import (
    AcceptInviteIn,
    AgentCreate,
    AgentInvited,
    AgentInviteIn,
    AgentOut,
    AgentUpdate,
    LoginIn,
    MeOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from sitechat.errors import Forbidden, Unauthorized
from sitechat.http import SESSION_COOKIE, Auth, agent_auth, get_ctx, same_origin
from sitechat.integrations.mailer import send_later

router = APIRouter(prefix="/api/v1", tags=["agents"])


def _agent_out(agent: Agent, website_ids: frozenset[str] | None = None) -> AgentOut:
    return AgentOut(
        id=agent.id,
        email=agent.email,
        name=agent.name,
        role=agent.role,
        avatar_url=agent.avatar_url,
        website_ids=sorted(website_ids) if website_ids is not None else None,
        created_at=agent.created_at,
        disabled=agent.disabled,
        invite_pending=service.invite_pending(agent),
    )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/login", response_model=MeOut)
async def login(data: LoginIn, request: Request, response: Response) -> MeOut:
    ctx = get_ctx(request)
    origin = request.headers.get("origin")
    if origin is not None and not same_origin(
        origin, request.headers.get("host"), ctx.settings.public_origin
    ):
        raise Forbidden("Sign in from the console's own page.")
    await ctx.limiter.check(ctx.settings.rate_login, "login-ip", _client_ip(request))
    await ctx.limiter.check(ctx.settings.rate_login, "login-email", data.email.strip().lower())
    async with ctx.uow() as uow:
        agent = await service.authenticate(uow, data.email, data.password)
        token, csrf = await service.start_session(uow, agent, ctx.settings.session_ttl)
        scope = await service.website_ids_of(uow, agent)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ctx.settings.session_ttl,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )
    return MeOut(agent=_agent_out(agent, scope), csrf_token=csrf)


@router.post("/auth/logout", status_code=204)
async def logout(response: Response, auth: Auth = Depends(agent_auth)) -> Response:
    if auth.session_token:
        async with auth.ctx.uow() as uow:
            await service.end_session(uow, auth.actor, auth.session_token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/auth/me", response_model=MeOut)
async def me(request: Request) -> MeOut:
    ctx = get_ctx(request)
    token = request.cookies.get(SESSION_COOKIE)
    header = request.headers.get("authorization", "")
    key_id = None
    async with ctx.uow() as uow:
        if header.lower().startswith("bearer "):
            agent, key = await service.from_api_token(uow, header[7:].strip())
            # Through a key tied to some websites, only those are shown.
            scope = (await service.key_actor(uow, agent, key)).website_ids
            csrf, key_id = None, key.id
        elif token:
            agent, session = await service.from_session(uow, token)
            csrf = session.csrf_token
            scope = await service.website_ids_of(uow, agent)
        else:
            raise Unauthorized()
    if key_id is not None:
        await ctx.limiter.check(ctx.settings.rate_api_key, "api-key", key_id)
    return MeOut(agent=_agent_out(agent, scope), csrf_token=csrf)


@router.get("/agents", response_model=list[AgentOut])
async def list_agents(auth: Auth = Depends(agent_auth)) -> list[AgentOut]:
    async with auth.ctx.uow() as uow:
        rows = await service.list_visible(uow, auth.actor)
        return [_agent_out(a, await service.website_ids_seen_by(uow, auth.actor, a)) for a in rows]


@router.post("/agents", response_model=AgentOut, status_code=201)
async def create_agent(data: AgentCreate, auth: Auth = Depends(agent_auth)) -> AgentOut:
    async with auth.ctx.uow() as uow:
        agent = await service.create(uow, data, by=auth.actor)
        return _agent_out(agent, await service.website_ids_of(uow, agent))


@router.post("/agents/invite", response_model=AgentInvited, status_code=201)
async def invite_agent(data: AgentInviteIn, auth: Auth = Depends(agent_auth)) -> AgentInvited:
    """Owners and admins (only owners invite owners and admins). The agent is created
    without a password; the one-time link to choose it is emailed when SMTP is configured,
    otherwise returned here as ``invite_url``, this once."""
    ctx = auth.ctx
    async with ctx.uow() as uow:
        agent, token, expires_at = await service.invite(uow, auth.actor, data, ctx.settings.invite_ttl)
        out = _agent_out(agent, await service.website_ids_of(uow, agent))
    return _invited(auth, out, agent, token, expires_at)


@router.post("/agents/{agent_id}/invite", response_model=AgentInvited)
async def reinvite_agent(agent_id: str, auth: Auth = Depends(agent_auth)) -> AgentInvited:
    """A new link for an agent who has not accepted yet (the earlier one stops working)."""
    ctx = auth.ctx
    async with ctx.uow() as uow:
        agent, token, expires_at = await service.reinvite(uow, auth.actor, agent_id, ctx.settings.invite_ttl)
        out = _agent_out(agent, await service.website_ids_of(uow, agent))
    return _invited(auth, out, agent, token, expires_at)


def _invited(auth: Auth, out: AgentOut, agent: Agent, token: str, expires_at: datetime) -> AgentInvited:
    # Runs after the commit: the mail never names an agent that was rolled back.
    ctx = auth.ctx
    url = service.invite_url(ctx.settings.public_url, token)
    if ctx.mailer.configured:
        send_later(ctx.mailer, service.invite_mail(agent, auth.actor, url, expires_at), "agent invite")
        return AgentInvited(**out.model_dump(), emailed=True, invite_expires_at=expires_at)
    return AgentInvited(**out.model_dump(), emailed=False, invite_url=url, invite_expires_at=expires_at)


@router.post("/auth/accept-invite", response_model=MeOut)
async def accept_invite(data: AcceptInviteIn, request: Request, response: Response) -> MeOut:
    """Set the password of an invited agent (the link works once) and sign them in."""
    ctx = get_ctx(request)
    origin = request.headers.get("origin")
    # It sets the session cookie, like login: only from the console's own pages.
    if origin is not None and not same_origin(
        origin, request.headers.get("host"), ctx.settings.public_origin
    ):
        raise Forbidden("Accept the invitation from the console's own page.")
    await ctx.limiter.check(ctx.settings.rate_login, "login-ip", _client_ip(request))
    async with ctx.uow() as uow:
        agent = await service.accept_invite(uow, data.token, data.password, data.name)
        token, csrf = await service.start_session(uow, agent, ctx.settings.session_ttl)
        scope = await service.website_ids_of(uow, agent)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ctx.settings.session_ttl,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )
    return MeOut(agent=_agent_out(agent, scope), csrf_token=csrf)


@router.patch("/agents/{agent_id}", response_model=AgentOut)
async def update_agent(agent_id: str, data: AgentUpdate, auth: Auth = Depends(agent_auth)) -> AgentOut:
    """Owners and admins: name, role, disabled. Only owners change owners and admins or
    make them; the last active owner can be neither demoted nor disabled (last_owner).
    Disabling signs the agent out everywhere at once."""
    async with auth.ctx.uow() as uow:
        agent = await service.update(uow, auth.actor, agent_id, data)
        return _agent_out(agent, await service.website_ids_of(uow, agent))


@router.get("/agents/{agent_id}", response_model=AgentOut)
async def get_agent(agent_id: str, auth: Auth = Depends(agent_auth)) -> AgentOut:
    async with auth.ctx.uow() as uow:
        agent = await service.get(uow, auth.actor, agent_id)
        return _agent_out(agent, await service.website_ids_seen_by(uow, auth.actor, agent))


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(
    auth: Auth = Depends(agent_auth),
    everyone: bool = Query(False, alias="all", description="Owners and admins: every key there is."),
) -> list[TokenOut]:
    async with auth.ctx.uow() as uow:
        return [
            TokenOut.model_validate(t, from_attributes=True)
            for t in await service.list_tokens(uow, auth.actor, everyone=everyone)
        ]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
async def create_token(data: TokenCreate, auth: Auth = Depends(agent_auth)) -> TokenCreated:
    """A new API key, shown in this answer only (docs/security.md)."""
    async with auth.ctx.uow() as uow:
        token, secret = await service.create_token(
            uow,
            auth.actor,
            data.name,
            scopes=list(data.scopes) if data.scopes is not None else None,
            website_ids=data.website_ids,
        )
        out = TokenOut.model_validate(token, from_attributes=True)
    return TokenCreated(**out.model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
async def revoke_token(token_id: str, auth: Auth = Depends(agent_auth)) -> TokenOut:
    async with auth.ctx.uow() as uow:
        return TokenOut.model_validate(
            await service.revoke_token(uow, auth.actor, token_id), from_attributes=True
        )
