from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from sitechat.agents import service
from sitechat.agents.models import Agent
from sitechat.agents.schemas import AgentCreate, AgentOut, LoginIn, MeOut, TokenCreate, TokenCreated, TokenOut
from sitechat.errors import Forbidden, Unauthorized
from sitechat.http import SESSION_COOKIE, Auth, agent_auth, get_ctx, same_origin

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
    async with ctx.uow() as uow:
        if header.lower().startswith("bearer "):
            agent = await service.from_api_token(uow, header[7:].strip())
            csrf = None
        elif token:
            agent, session = await service.from_session(uow, token)
            csrf = session.csrf_token
        else:
            raise Unauthorized()
        scope = await service.website_ids_of(uow, agent)
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


@router.get("/agents/{agent_id}", response_model=AgentOut)
async def get_agent(agent_id: str, auth: Auth = Depends(agent_auth)) -> AgentOut:
    async with auth.ctx.uow() as uow:
        agent = await service.get(uow, auth.actor, agent_id)
        return _agent_out(agent, await service.website_ids_seen_by(uow, auth.actor, agent))


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(auth: Auth = Depends(agent_auth)) -> list[TokenOut]:
    async with auth.ctx.uow() as uow:
        return [
            TokenOut.model_validate(t, from_attributes=True)
            for t in await service.list_tokens(uow, auth.actor)
        ]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
async def create_token(data: TokenCreate, auth: Auth = Depends(agent_auth)) -> TokenCreated:
    async with auth.ctx.uow() as uow:
        token, secret = await service.create_token(uow, auth.actor, data.name)
        return TokenCreated(
            id=token.id,
            name=token.name,
            created_at=token.created_at,
            last_used_at=None,
            revoked_at=None,
            token=secret,
        )


@router.delete("/tokens/{token_id}", response_model=TokenOut)
async def revoke_token(token_id: str, auth: Auth = Depends(agent_auth)) -> TokenOut:
    async with auth.ctx.uow() as uow:
        return TokenOut.model_validate(
            await service.revoke_token(uow, auth.actor, token_id), from_attributes=True
        )
