"""Queries of routing: teams, and the agent and conversation rows routing locks.

Routing is where agents meet conversations, so it reads (and assigns) both tables here,
always under the locks described in docs/routing.md: agents first, in id order, with
``FOR UPDATE``; conversations after them only with ``SKIP LOCKED`` (never waiting), so
two transactions can never wait on each other in a cycle. On SQLite the FOR UPDATE
clauses render as nothing: BEGIN IMMEDIATE already makes writers take turns.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sitechat.agents.models import Agent, AgentWebsite
from sitechat.conversations.models import Conversation
from sitechat.routing.models import Team, TeamMember

# Statuses in which a conversation takes up a place of its assignee's capacity.
ACTIVE = ("open", "pending")

# --- teams -----------------------------------------------------------------------------


async def teams(session: AsyncSession) -> list[Team]:
    return list((await session.scalars(select(Team).order_by(Team.name))).all())


async def team(session: AsyncSession, team_id: str) -> Team | None:
    return await session.get(Team, team_id)


async def team_by_name(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))


async def insert_team(session: AsyncSession, *, name: str, skills: list[str], now: datetime) -> Team:
    row = Team(name=name, skills=skills, created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def delete_team(session: AsyncSession, row: Team) -> None:
    await session.execute(delete(TeamMember).where(TeamMember.team_id == row.id))
    await session.delete(row)
    await session.flush()


async def members(session: AsyncSession, team_ids: Collection[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {t: [] for t in team_ids}
    if not team_ids:
        return out
    rows = await session.execute(
        select(TeamMember.team_id, TeamMember.agent_id)
        .where(TeamMember.team_id.in_(team_ids))
        .order_by(TeamMember.agent_id)
    )
    for team_id, agent_id in rows.all():
        out[team_id].append(agent_id)
    return out


async def set_members(session: AsyncSession, team_id: str, agent_ids: Iterable[str]) -> None:
    await session.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
    for agent_id in agent_ids:
        session.add(TeamMember(team_id=team_id, agent_id=agent_id))
    await session.flush()


async def existing_agents(session: AsyncSession, agent_ids: Collection[str]) -> set[str]:
    if not agent_ids:
        return set()
    return set((await session.scalars(select(Agent.id).where(Agent.id.in_(agent_ids)))).all())


async def skills_of(session: AsyncSession, agent_ids: Collection[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {a: set() for a in agent_ids}
    if not agent_ids:
        return out
    rows = await session.execute(
        select(TeamMember.agent_id, Team.skills)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.agent_id.in_(agent_ids))
    )
    for agent_id, skills in rows.all():
        out[agent_id].update(skills or [])
    return out


# --- agents ----------------------------------------------------------------------------


async def website_agent_ids(session: AsyncSession, website_id: str) -> set[str]:
    """Who may answer on a website and is not away: its agents, and every owner and admin.
    (Read before locking, to lock fewer rows; the status is checked again under the lock.)"""
    on_site = select(AgentWebsite.agent_id).where(AgentWebsite.website_id == website_id)
    stmt = select(Agent.id).where(
        Agent.disabled.is_(False),
        Agent.status == "online",
        Agent.id.in_(on_site) | (Agent.role != "agent"),
    )
    return set((await session.scalars(stmt)).all())


async def lock_agents(session: AsyncSession, agent_ids: Collection[str]) -> list[Agent]:
    """The agents, locked for the rest of the transaction, in id order (one order for
    everyone: no deadlock), read afresh (status and capacity may have just changed)."""
    if not agent_ids:
        return []
    stmt = (
        select(Agent)
        .where(Agent.id.in_(sorted(agent_ids)))
        .order_by(Agent.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def get_agent(session: AsyncSession, agent_id: str) -> Agent | None:
    return await session.get(Agent, agent_id)


async def loads(session: AsyncSession, agent_ids: Collection[str]) -> dict[str, int]:
    """Open (or pending) conversations assigned to each agent, committed ones included:
    read after ``lock_agents``, nobody else can be adding to them meanwhile."""
    out = dict.fromkeys(agent_ids, 0)
    if not agent_ids:
        return out
    rows = await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.assignee_id.in_(agent_ids), Conversation.status.in_(ACTIVE))
        .group_by(Conversation.assignee_id)
    )
    for agent_id, n in rows.all():
        if agent_id is not None:
            out[agent_id] = int(n)
    return out


# --- conversations ---------------------------------------------------------------------


async def queued(session: AsyncSession, website_id: str, limit: int) -> list[Conversation]:
    """The website's queue, oldest first; rows another transaction holds are skipped (it
    is changing them; the next sweep looks again)."""
    stmt = (
        select(Conversation)
        .where(
            Conversation.website_id == website_id,
            Conversation.queued_at.is_not(None),
            Conversation.assignee_id.is_(None),
            Conversation.status.in_(ACTIVE),
        )
        .order_by(Conversation.queued_at, Conversation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def stale_queued(session: AsyncSession, website_id: str) -> list[Conversation]:
    """Flagged as waiting but no longer waiting (assigned by hand, resolved): to clear."""
    stmt = (
        select(Conversation)
        .where(
            Conversation.website_id == website_id,
            Conversation.queued_at.is_not(None),
            Conversation.assignee_id.is_not(None) | Conversation.status.not_in(ACTIVE),
        )
        .limit(200)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())


async def queued_websites(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(Conversation.website_id).where(Conversation.queued_at.is_not(None)).distinct()
    )
    return list(rows.all())


async def assigned_pairs(session: AsyncSession) -> list[tuple[str, str]]:
    """(website_id, agent_id) for every agent with an active conversation on a website."""
    rows = await session.execute(
        select(Conversation.website_id, Conversation.assignee_id)
        .where(Conversation.assignee_id.is_not(None), Conversation.status.in_(ACTIVE))
        .distinct()
    )
    return [(w, a) for w, a in rows.all() if a is not None]


async def active_of_agent(
    session: AsyncSession, agent_id: str, website_ids: Collection[str], limit: int = 500
) -> list[Conversation]:
    stmt = (
        select(Conversation)
        .where(
            Conversation.assignee_id == agent_id,
            Conversation.website_id.in_(website_ids),
            Conversation.status.in_(ACTIVE),
        )
        .order_by(Conversation.created_at, Conversation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def assign(session: AsyncSession, conv: Conversation, agent: Agent, now: datetime) -> None:
    conv.assignee_id = agent.id
    conv.queued_at = None
    conv.waiting = None
    conv.updated_at = now
    agent.last_assigned_at = now
    await session.flush()


async def enqueue(
    session: AsyncSession, conv: Conversation, waiting: str, now: datetime, since: datetime | None = None
) -> None:
    conv.assignee_id = None
    if conv.queued_at is None:
        conv.queued_at = since or now
    conv.waiting = waiting
    conv.updated_at = now
    await session.flush()


async def dequeue(session: AsyncSession, conv: Conversation, now: datetime) -> None:
    conv.queued_at = None
    conv.waiting = None
    conv.updated_at = now
    await session.flush()
