"""Queries on agents, their website memberships, console sessions and API tokens.

No rules here: the service decides who may do what, this reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.agents.models import Agent, AgentInvite, AgentSession, AgentWebsite, ApiToken

# --- agents ----------------------------------------------------------------------------


async def get(session: AsyncSession, agent_id: str) -> Agent | None:
    return await session.get(Agent, agent_id)


async def by_email(session: AsyncSession, email: str) -> Agent | None:
    return await session.scalar(select(Agent).where(Agent.email == email))


async def id_by_email(session: AsyncSession, email: str) -> str | None:
    return await session.scalar(select(Agent.id).where(Agent.email == email))


async def any_exists(session: AsyncSession) -> bool:
    return bool((await session.scalars(select(Agent.id).limit(1))).all())


async def insert(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    avatar_url: str | None = None,
) -> Agent:
    """Raises IntegrityError from the flush when the email is taken."""
    agent = Agent(email=email, name=name, role=role, password_hash=password_hash, avatar_url=avatar_url)
    session.add(agent)
    await session.flush()
    return agent


async def list_all(session: AsyncSession) -> list[Agent]:
    return list((await session.scalars(select(Agent).order_by(Agent.created_at))).all())


async def list_visible_to(session: AsyncSession, agent_id: str, website_ids: Collection[str]) -> list[Agent]:
    """The agent itself, every owner and admin, and the agents on any of ``website_ids``."""
    colleague_ids = select(AgentWebsite.agent_id).where(AgentWebsite.website_id.in_(website_ids))
    stmt = (
        select(Agent)
        .where((Agent.id.in_(colleague_ids)) | (Agent.id == agent_id) | (Agent.role != "agent"))
        .order_by(Agent.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def team_of(session: AsyncSession, website_id: str, limit: int = 50) -> list[Agent]:
    """Who may answer on a website: its agents, and every owner and admin."""
    members = select(AgentWebsite.agent_id).where(AgentWebsite.website_id == website_id)
    stmt = (
        select(Agent)
        .where(Agent.disabled.is_(False), (Agent.id.in_(members)) | (Agent.role != "agent"))
        .order_by(Agent.created_at)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


# --- website membership ----------------------------------------------------------------


async def website_ids_of(session: AsyncSession, agent_id: str) -> list[str]:
    rows = await session.scalars(select(AgentWebsite.website_id).where(AgentWebsite.agent_id == agent_id))
    return list(rows.all())


async def shared_website(session: AsyncSession, agent_id: str, website_ids: Collection[str]) -> str | None:
    """One of ``website_ids`` the agent works on, if any."""
    return await session.scalar(
        select(AgentWebsite.website_id).where(
            AgentWebsite.agent_id == agent_id,
            AgentWebsite.website_id.in_(website_ids),
        )
    )


async def get_membership(session: AsyncSession, agent_id: str, website_id: str) -> AgentWebsite | None:
    return await session.get(AgentWebsite, (agent_id, website_id))


async def insert_memberships(session: AsyncSession, agent_id: str, website_ids: Iterable[str]) -> None:
    for website_id in website_ids:
        session.add(AgentWebsite(agent_id=agent_id, website_id=website_id))
    await session.flush()


async def delete_membership(session: AsyncSession, agent_id: str, website_id: str) -> bool:
    result = await session.execute(
        delete(AgentWebsite).where(AgentWebsite.agent_id == agent_id, AgentWebsite.website_id == website_id)
    )
    return bool(getattr(result, "rowcount", 0))


# --- console sessions ------------------------------------------------------------------


async def insert_session(
    session: AsyncSession, *, token_hash: str, agent_id: str, csrf_token: str, expires_at: datetime
) -> None:
    session.add(
        AgentSession(token_hash=token_hash, agent_id=agent_id, csrf_token=csrf_token, expires_at=expires_at)
    )
    await session.flush()


async def get_session(session: AsyncSession, token_hash: str) -> AgentSession | None:
    return await session.get(AgentSession, token_hash)


async def delete_expired_sessions(session: AsyncSession, agent_id: str, now: datetime) -> None:
    await session.execute(
        delete(AgentSession).where(AgentSession.agent_id == agent_id, AgentSession.expires_at <= now)
    )


async def delete_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.token_hash == token_hash))


# --- API tokens ------------------------------------------------------------------------


async def insert_token(
    session: AsyncSession,
    *,
    agent_id: str,
    name: str,
    token_hash: str,
    scopes: list[str],
    website_ids: list[str] | None,
    hint: str,
) -> ApiToken:
    token = ApiToken(
        agent_id=agent_id, name=name, token_hash=token_hash, scopes=scopes, website_ids=website_ids, hint=hint
    )
    session.add(token)
    await session.flush()
    return token


async def get_token(session: AsyncSession, token_id: str) -> ApiToken | None:
    return await session.get(ApiToken, token_id)


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    return await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


async def tokens_of(session: AsyncSession, agent_id: str) -> list[ApiToken]:
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.agent_id == agent_id).order_by(ApiToken.created_at)
    )
    return list(rows.all())


async def all_tokens(session: AsyncSession, limit: int = 1000) -> list[ApiToken]:
    rows = await session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id).limit(limit))
    return list(rows.all())


# --- administration: invitations, sessions, owners --------------------------------------


async def insert_invite(
    session: AsyncSession, *, token_hash: str, agent_id: str, expires_at: datetime
) -> None:
    session.add(AgentInvite(token_hash=token_hash, agent_id=agent_id, expires_at=expires_at))
    await session.flush()


async def invite_by_hash(session: AsyncSession, token_hash: str) -> AgentInvite | None:
    return await session.scalar(
        select(AgentInvite).where(AgentInvite.token_hash == token_hash).with_for_update()
    )


async def delete_invites_of(session: AsyncSession, agent_id: str) -> None:
    await session.execute(delete(AgentInvite).where(AgentInvite.agent_id == agent_id))


async def delete_sessions_of(session: AsyncSession, agent_id: str) -> list[str]:
    """The token hashes of the sessions deleted."""
    hashes = list(
        (
            await session.scalars(select(AgentSession.token_hash).where(AgentSession.agent_id == agent_id))
        ).all()
    )
    await session.execute(delete(AgentSession).where(AgentSession.agent_id == agent_id))
    return hashes


async def lock_active_owners(session: AsyncSession) -> list[str]:
    """``FOR UPDATE`` on PostgreSQL: two owners demoting each other at once are serialized."""
    rows = await session.scalars(
        select(Agent.id).where(Agent.role == "owner", Agent.disabled.is_(False)).with_for_update()
    )
    return list(rows.all())


async def lock(session: AsyncSession, agent_id: str) -> Agent | None:
    return await session.scalar(select(Agent).where(Agent.id == agent_id).with_for_update())
