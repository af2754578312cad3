"""Who gets a conversation: round robin or skills among available agents, within capacity;
the queue when nobody can take it; reassignment when an agent goes away (docs/routing.md).

Correct across nodes by the database's locks, never by timing: every decision locks the
candidate agents' rows (in id order) and counts their open conversations under that lock,
so two nodes routing at once take turns per agent; the conversations routing changes are
either new (invisible to others) or taken with SKIP LOCKED, so nothing waits in a cycle
and no conversation is given twice. Services flush; the caller commits, then the frames go.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from sitechat.actors import AgentActor
from sitechat.agents import service as agents
from sitechat.agents.models import Agent
from sitechat.conversations.models import Conversation
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import Conflict, Forbidden, NotFound, invalid
from sitechat.realtime import topics
from sitechat.realtime.presence import Presence
from sitechat.realtime.protocol import AgentStatusFrame, AssignedFrame
from sitechat.routing import repository, rules
from sitechat.routing.models import Team
from sitechat.routing.schemas import AgentRoutingOut, Status, TeamCreate, TeamOut, TeamPatch
from sitechat.websites import service as websites
from sitechat.websites.settings import Routing

if TYPE_CHECKING:
    from sitechat.context import AppContext

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Queued conversations one drain looks at per website.
DRAIN_BATCH = 200


@dataclass
class _Runtime:
    presence: Presence | None = None


_runtime = _Runtime()


def install(presence: Presence) -> None:
    """At start-up: where routing learns which agents' consoles are connected."""
    _runtime.presence = presence


async def _present(website_id: str) -> set[str]:
    presence = _runtime.presence
    if presence is None:
        return set()
    try:
        return await presence.agents_present(website_id)
    except Exception:
        # Presence is best effort (Redis away): nobody counts as available, so new
        # conversations wait in the queue rather than failing.
        log.warning("presence unavailable for routing", exc_info=True)
        return set()


# --- the pool: locked candidates and their loads ----------------------------------------


@dataclass
class _Pool:
    agents: dict[str, Agent] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=dict)
    loads: dict[str, int] = field(default_factory=dict)
    skills: dict[str, set[str]] = field(default_factory=dict)

    def free(self, website_id: str, routing: Routing) -> list[Agent]:
        """Who may take one more conversation on the website now."""
        out = []
        for agent_id in self.present.get(website_id, ()):
            a = self.agents.get(agent_id)
            if a is None or a.disabled or a.status != "online":
                continue
            if self.loads.get(a.id, 0) < (a.capacity or routing.capacity):
                out.append(a)
        return out


async def _lock_pool(
    uow: UnitOfWork, website_ids: list[str], *, exclude: str | None = None, also: str | None = None
) -> _Pool:
    """Lock, in one statement and one order, every agent who could take a conversation on
    these websites (plus ``also``), then count their open conversations."""
    pool = _Pool()
    for wid in website_ids:
        ids = (await repository.website_agent_ids(uow.session, wid)) & await _present(wid)
        ids.discard(exclude or "")
        pool.present[wid] = ids
    wanted = set().union(*pool.present.values()) if pool.present else set()
    if also is not None:
        wanted.add(also)
    locked = await repository.lock_agents(uow.session, wanted)
    pool.agents = {a.id: a for a in locked}
    pool.loads = await repository.loads(uow.session, list(pool.agents))
    pool.skills = await repository.skills_of(uow.session, list(pool.agents))
    return pool


def _least_busy(candidates: list[Agent], loads: dict[str, int]) -> Agent:
    """Fewest open conversations; then the one routing served longest ago."""
    return min(candidates, key=lambda a: (loads.get(a.id, 0), a.last_assigned_at or _EPOCH, a.id))


async def _context(uow: UnitOfWork, conv: Conversation) -> rules.VisitorContext:
    from sitechat.tracking import service as tracking  # a domain calls another's service
    from sitechat.visitors import service as visitors

    visitor = await visitors.get(uow, conv.visitor_id)
    sessions = await tracking.sessions_of(uow, conv.visitor_id, limit=1)
    languages: list[str] = []
    page = None
    if sessions:
        latest = sessions[0]
        raw = latest.device.get("languages")
        languages = [str(x) for x in raw] if isinstance(raw, list) else []
        page = latest.page_views[-1].url if latest.page_views else latest.landing_page
    answers: dict[str, object] = {}
    tags: list[str] = []
    if visitor is not None:
        custom = dict(visitor.custom_data or {})
        answers = {**custom, "name": visitor.name, "email": visitor.email, "phone": visitor.phone}
        answers["company"] = visitor.company
        tags = rules.tags_of(custom)
    return rules.VisitorContext(languages=languages, page=page, answers=answers, tags=tags)


async def _choose(uow: UnitOfWork, conv: Conversation, routing: Routing, pool: _Pool) -> Agent | None:
    free = pool.free(conv.website_id, routing)
    if routing.mode == "skills" and routing.rules:
        skill = rules.skill_for(routing.rules, await _context(uow, conv))
        if skill is not None:
            skilled = [a for a in free if skill in pool.skills.get(a.id, set())]
            if skilled:
                return _least_busy(skilled, pool.loads)
            if routing.fallback == "queue":
                return None
    return _least_busy(free, pool.loads) if free else None


async def _give(
    uow: UnitOfWork, conv: Conversation, agent: Agent, pool: _Pool, now: datetime, *, announce: bool
) -> None:
    from sitechat.conversations import service as conversations

    await repository.assign(uow.session, conv, agent, now)
    pool.loads[agent.id] = pool.loads.get(agent.id, 0) + 1
    out = await (conversations.announce(uow, conv) if announce else conversations.conversation_out(uow, conv))
    uow.emit(topics.agent(agent.id), AssignedFrame(conversation=out).model_dump(mode="json"))


async def _route(
    uow: UnitOfWork, conv: Conversation, routing: Routing, pool: _Pool, now: datetime, *, announce: bool
) -> bool:
    """Give the conversation to someone, or queue it. True when assigned."""
    from sitechat.conversations import service as conversations

    chosen = await _choose(uow, conv, routing, pool)
    if chosen is not None:
        await _give(uow, conv, chosen, pool, now, announce=announce)
        return True
    changed = conv.waiting != routing.when_nobody or conv.assignee_id is not None
    # A new conversation queues from when the visitor wrote (not from when this
    # transaction got its turn at the locks): oldest first means first written.
    since = conv.created_at if conv.last_seq == 0 else None
    await repository.enqueue(uow.session, conv, routing.when_nobody, now, since)
    if announce and changed:
        await conversations.announce(uow, conv)
    return False


# --- entry points from conversations -----------------------------------------------------


async def route_new(uow: UnitOfWork, conv: Conversation) -> None:
    """A visitor started a conversation (same transaction): assign it or queue it. The
    caller announces the new conversation; the assignee hears of it here too."""
    routing = (await websites.settings(uow, conv.website_id)).routing
    if routing.mode == "manual":
        return
    pool = await _lock_pool(uow, [conv.website_id])
    await _route(uow, conv, routing, pool, utcnow(), announce=False)


async def after_status(uow: UnitOfWork, conv: Conversation, previous_assignee: str | None) -> None:
    """A conversation's status changed: one that no longer waits leaves the queue, and a
    place freed by a resolved (or snoozed) conversation goes to the queue's oldest."""
    if conv.status in repository.ACTIVE:
        return
    if conv.queued_at is not None:
        await repository.dequeue(uow.session, conv, utcnow())
    if previous_assignee is not None:
        await drain(uow, conv.website_id)


async def after_manual_assign(
    uow: UnitOfWork,
    conv: Conversation,
    *,
    transfer_from: str | None = None,
    note: str | None = None,
) -> None:
    """Assigned by hand or transferred (capacity does not apply): out of the queue; the
    assignee is told (with who transferred it and their note)."""
    from sitechat.conversations import service as conversations

    if conv.assignee_id is None:
        return
    if conv.queued_at is not None:
        await repository.dequeue(uow.session, conv, utcnow())
    out = await conversations.conversation_out(uow, conv)
    frame = AssignedFrame(
        conversation=out,
        by="transfer" if transfer_from is not None else "manual",
        from_agent=transfer_from,
        note=note,
    )
    uow.emit(topics.agent(conv.assignee_id), frame.model_dump(mode="json"))


async def team_member_for(uow: UnitOfWork, team_id: str, conv: Conversation, exclude: str) -> Agent | None:
    """A transfer to a team: its least busy member who is online, works on the
    conversation's website and has room (``exclude``: who hands it over). None when
    nobody can take it now. Raises NotFound for an unknown team."""
    if await repository.team(uow.session, team_id) is None:
        raise NotFound("No such team.")
    members = set((await repository.members(uow.session, [team_id])).get(team_id, []))
    routing = (await websites.settings(uow, conv.website_id)).routing
    pool = await _lock_pool(uow, [conv.website_id], exclude=exclude)
    free = [a for a in pool.free(conv.website_id, routing) if a.id in members]
    return _least_busy(free, pool.loads) if free else None


# --- the queue and reassignment -----------------------------------------------------------


async def drain(uow: UnitOfWork, website_id: str, pool: _Pool | None = None) -> int:
    """Give the website's queued conversations, oldest first, to whoever can take them
    (``pool``: the agents already locked for it). Returns how many were assigned."""
    from sitechat.conversations import service as conversations

    routing = (await websites.settings(uow, website_id)).routing
    now = utcnow()
    for conv in await repository.stale_queued(uow.session, website_id):
        await repository.dequeue(uow.session, conv, now)
    if routing.mode == "manual":
        # Routing was turned off: nobody will take them automatically any more.
        for conv in await repository.queued(uow.session, website_id, DRAIN_BATCH):
            await repository.dequeue(uow.session, conv, now)
            await conversations.announce(uow, conv)
        return 0
    if pool is None:
        pool = await _lock_pool(uow, [website_id])
    if not pool.free(website_id, routing):
        return 0
    assigned = 0
    for conv in await repository.queued(uow.session, website_id, DRAIN_BATCH):
        if not pool.free(website_id, routing):
            break
        chosen = await _choose(uow, conv, routing, pool)
        if chosen is not None:
            await _give(uow, conv, chosen, pool, now, announce=True)
            assigned += 1
    return assigned


async def release(uow: UnitOfWork, agent_id: str, website_ids: list[str], pool: _Pool | None = None) -> int:
    """The agent is gone (or set offline): route their open conversations on these
    websites again, without them. Returns how many were reassigned (the rest queued)."""
    convs = await repository.active_of_agent(uow.session, agent_id, website_ids)
    if not convs:
        return 0
    sites = sorted({c.website_id for c in convs})
    routings = {w: (await websites.settings(uow, w)).routing for w in sites}
    if pool is None:
        pool = await _lock_pool(uow, [w for w in sites if routings[w].mode != "manual"], exclude=agent_id)
    now = utcnow()
    moved = 0
    for conv in convs:
        routing = routings[conv.website_id]
        if routing.mode == "manual":
            continue
        conv.assignee_id = None
        moved += await _route(uow, conv, routing, pool, now, announce=True)
    return moved


async def sweep(ctx: AppContext) -> None:
    """One pass of the routing job (every node runs it; the locks make overlaps safe):
    reassign the conversations of agents gone longer than the website's grace period,
    then serve the queues (an agent came online, a capacity was raised...)."""
    presence = _runtime.presence
    async with ctx.uow() as uow:
        pairs = await repository.assigned_pairs(uow.session)
        routings = {w: (await websites.settings(uow, w)).routing for w in {w for w, _ in pairs}}
        by_agent: dict[str, list[str]] = defaultdict(list)
        for w, a in pairs:
            if routings[w].mode != "manual":
                by_agent[a].append(w)
        status = {a: await repository.get_agent(uow.session, a) for a in by_agent}
    present: dict[str, set[str]] = {}
    for agent_id, wids in by_agent.items():
        agent = status[agent_id]
        if agent is None:
            continue
        if agent.disabled or agent.status == "offline":
            gone = wids
        else:
            since = await presence.seconds_since_seen(agent_id) if presence is not None else None
            gone = []
            for w in wids:
                if w not in present:
                    present[w] = await _present(w)
                if agent_id not in present[w] and (
                    since is None or since >= routings[w].offline_grace_seconds
                ):
                    gone.append(w)
        if gone:
            await _in_own_transaction(ctx, _releaser(agent_id, sorted(gone)))
    async with ctx.uow() as uow:
        queued = await repository.queued_websites(uow.session)
    for wid in queued:
        await _in_own_transaction(ctx, _drainer(wid))


def _releaser(agent_id: str, website_ids: list[str]) -> Callable[[UnitOfWork], Awaitable[int]]:
    return lambda uow: release(uow, agent_id, website_ids)


def _drainer(website_id: str) -> Callable[[UnitOfWork], Awaitable[int]]:
    return lambda uow: drain(uow, website_id)


async def _in_own_transaction(ctx: AppContext, work: Callable[[UnitOfWork], Awaitable[int]]) -> None:
    try:
        async with ctx.uow() as uow:
            await work(uow)
    except Exception:
        # A lost race (deadlock victim, a row that vanished): the next sweep tries again.
        log.warning("routing sweep step failed", exc_info=True)


# --- agent status and capacity ---------------------------------------------------------


async def _scope(uow: UnitOfWork, agent: Agent) -> list[str]:
    ids = await agents.website_ids_of(uow, agent)
    return sorted(ids) if ids is not None else await websites.all_ids(uow)


async def _routing_out(uow: UnitOfWork, agent: Agent) -> AgentRoutingOut:
    connected = False
    for wid in await _scope(uow, agent):
        if agent.id in await _present(wid):
            connected = True
            break
    load = (await repository.loads(uow.session, [agent.id]))[agent.id]
    status: Status = (
        "away" if agent.status == "away" else "offline" if agent.status == "offline" else "online"
    )
    return AgentRoutingOut(
        agent_id=agent.id,
        status=status,
        connected=connected,
        available=connected and status == "online" and not agent.disabled,
        capacity=agent.capacity,
        open_conversations=load,
    )


async def status_of(uow: UnitOfWork, agent_id: str) -> Status:
    agent = await repository.get_agent(uow.session, agent_id)
    return (
        "away"
        if agent and agent.status == "away"
        else "offline"
        if agent and agent.status == "offline"
        else "online"
    )


async def websites_of(uow: UnitOfWork, actor: AgentActor) -> list[str]:
    """The websites whose visitors hear of the agent's status."""
    return sorted(actor.website_ids) if actor.website_ids is not None else await websites.all_ids(uow)


async def my_status(uow: UnitOfWork, actor: AgentActor) -> AgentRoutingOut:
    agent = await repository.get_agent(uow.session, actor.agent_id)
    if agent is None:
        raise NotFound("No such agent.")
    return await _routing_out(uow, agent)


async def set_status(uow: UnitOfWork, actor: AgentActor, status: Status) -> AgentRoutingOut:
    """online / away / offline as routing sees the agent. Offline gives their open
    conversations to others now; online serves the queues of their websites now."""
    agent = await repository.get_agent(uow.session, actor.agent_id)
    if agent is None:
        raise NotFound("No such agent.")
    sites = await _scope(uow, agent)
    queued = set(await repository.queued_websites(uow.session))
    # Everyone this may involve is locked at once, the agent too, in the one order: a
    # second lock later in the transaction could close a cycle with a concurrent router.
    if status == "offline":
        pool = await _lock_pool(uow, sites, exclude=agent.id, also=agent.id)
    else:
        pool = await _lock_pool(
            uow, [w for w in sites if w in queued] if status == "online" else [], also=agent.id
        )
    agent.status = status
    await uow.session.flush()
    if status == "offline":
        await release(uow, agent.id, sites, pool)
    elif status == "online":
        for wid, ids in pool.present.items():
            # Read while the agent was still away: count them in where they are connected.
            if agent.id in await _present(wid):
                ids.add(agent.id)
        for wid in sites:
            if wid in queued:
                await drain(uow, wid, pool)
    uow.emit(
        topics.agent(agent.id),
        AgentStatusFrame(agent_id=agent.id, status=status).model_dump(mode="json"),
    )
    return await _routing_out(uow, agent)


async def agent_routing(uow: UnitOfWork, actor: AgentActor, agent_id: str) -> AgentRoutingOut:
    agent = await agents.get(uow, actor, agent_id)  # not_found for agents the actor may not see
    if not actor.is_manager and agent.id != actor.agent_id:
        raise Forbidden("Only owners and admins see colleagues' routing.")
    return await _routing_out(uow, agent)


async def set_capacity(
    uow: UnitOfWork, actor: AgentActor, agent_id: str, capacity: int | None
) -> AgentRoutingOut:
    if not actor.is_manager:
        raise Forbidden("Only owners and admins set capacities.")
    agent = await agents.get(uow, actor, agent_id)
    locked = await repository.lock_agents(uow.session, [agent.id])
    locked[0].capacity = capacity
    await uow.session.flush()
    return await _routing_out(uow, locked[0])


# --- teams -----------------------------------------------------------------------------


def _require_manager(actor: AgentActor) -> None:
    if not actor.is_manager:
        raise Forbidden("Only owners and admins manage teams.")


async def _visible_ids(uow: UnitOfWork, actor: AgentActor) -> set[str] | None:
    if actor.is_manager:
        return None
    return {a.id for a in await agents.list_visible(uow, actor)}


async def _outs(uow: UnitOfWork, actor: AgentActor, rows: list[Team]) -> list[TeamOut]:
    members = await repository.members(uow.session, [t.id for t in rows])
    visible = await _visible_ids(uow, actor)
    return [
        TeamOut(
            id=t.id,
            name=t.name,
            skills=list(t.skills or []),
            agent_ids=[a for a in members[t.id] if visible is None or a in visible],
            created_at=t.created_at,
            updated_at=t.updated_at,
        )
        for t in rows
    ]


async def _team(uow: UnitOfWork, team_id: str) -> Team:
    row = await repository.team(uow.session, team_id)
    if row is None:
        raise NotFound("No such team.")
    return row


async def _check_name(uow: UnitOfWork, name: str, team_id: str | None = None) -> None:
    same = await repository.team_by_name(uow.session, name)
    if same is not None and same.id != team_id:
        raise Conflict("A team with that name exists.")


async def _check_agents(uow: UnitOfWork, agent_ids: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(agent_ids))
    known = await repository.existing_agents(uow.session, wanted)
    errors = [
        {"field": f"agent_ids.{i}", "message": "no such agent"}
        for i, a in enumerate(agent_ids)
        if a not in known
    ]
    if errors:
        raise invalid(errors)
    return wanted


async def list_teams(uow: UnitOfWork, actor: AgentActor) -> list[TeamOut]:
    return await _outs(uow, actor, await repository.teams(uow.session))


async def get_team(uow: UnitOfWork, actor: AgentActor, team_id: str) -> TeamOut:
    return (await _outs(uow, actor, [await _team(uow, team_id)]))[0]


async def create_team(uow: UnitOfWork, actor: AgentActor, data: TeamCreate) -> TeamOut:
    _require_manager(actor)
    await _check_name(uow, data.name)
    member_ids = await _check_agents(uow, data.agent_ids)
    try:
        row = await repository.insert_team(uow.session, name=data.name, skills=data.skills, now=utcnow())
    except IntegrityError:
        raise Conflict("A team with that name exists.") from None
    await repository.set_members(uow.session, row.id, member_ids)
    return (await _outs(uow, actor, [row]))[0]


async def update_team(uow: UnitOfWork, actor: AgentActor, team_id: str, data: TeamPatch) -> TeamOut:
    _require_manager(actor)
    row = await _team(uow, team_id)
    if data.name is not None:
        await _check_name(uow, data.name, row.id)
        row.name = data.name
    if data.skills is not None:
        row.skills = list(data.skills)
    row.updated_at = utcnow()
    try:
        await uow.session.flush()
    except IntegrityError:
        raise Conflict("A team with that name exists.") from None
    return (await _outs(uow, actor, [row]))[0]


async def set_team_members(uow: UnitOfWork, actor: AgentActor, team_id: str, agent_ids: list[str]) -> TeamOut:
    _require_manager(actor)
    row = await _team(uow, team_id)
    await repository.set_members(uow.session, row.id, await _check_agents(uow, agent_ids))
    row.updated_at = utcnow()
    await uow.session.flush()
    return (await _outs(uow, actor, [row]))[0]


async def delete_team(uow: UnitOfWork, actor: AgentActor, team_id: str) -> None:
    _require_manager(actor)
    await repository.delete_team(uow.session, await _team(uow, team_id))
