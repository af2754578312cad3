"""Agents, passwords, console sessions and API tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError

from sitechat.actors import AgentActor
from sitechat.agents import repository
from sitechat.agents.models import Agent, AgentSession, ApiToken
from sitechat.agents.schemas import AgentCreate
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import Conflict, Forbidden, InvalidCredentials, NotFound, Unauthorized
from sitechat.realtime import topics
from sitechat.websites import service as websites

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong
# password and response time does not reveal which agents exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
TOKEN_PREFIX = "sct_"  # noqa: S105 - a public prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def credential_id(secret: str) -> str:
    """How a live connection names the credential it was opened with (a cookie value or
    an API token): its SHA-256, as stored, so a revocation can find the sockets it ends."""
    return _sha256(secret)


def _revoked(uow: UnitOfWork, agent_id: str, credential: str) -> None:
    # Credentials are checked when a socket opens; this closes the ones already open.
    uow.emit(topics.agent(agent_id), {"type": "_revoked", "credential": credential})


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def create(uow: UnitOfWork, data: AgentCreate, *, by: AgentActor | None = None) -> Agent:
    if by is not None:
        if not by.is_manager:
            raise Forbidden("Only owners and admins add agents.")
        if data.role == "owner" and by.role != "owner":
            raise Forbidden("Only an owner may add another owner.")
    for website_id in data.website_ids:
        await websites.get(uow, website_id)
    if await repository.id_by_email(uow.session, data.email) is not None:
        raise Conflict("An agent with that email exists.")
    password_hash = await asyncio.to_thread(hash_password, data.password)
    try:
        agent = await repository.insert(
            uow.session,
            email=data.email,
            name=data.name,
            role=data.role,
            password_hash=password_hash,
            avatar_url=data.avatar_url,
        )
    except IntegrityError:
        raise Conflict("An agent with that email exists.") from None
    await repository.insert_memberships(uow.session, agent.id, sorted(set(data.website_ids)))
    return agent


async def team_of(uow: UnitOfWork, website_id: str) -> list[Agent]:
    return await repository.team_of(uow.session, website_id)


async def count(uow: UnitOfWork) -> int:
    """1 if any agent exists, else 0 (enough to tell a first start)."""
    return int(await repository.any_exists(uow.session))


async def get_by_id(uow: UnitOfWork, agent_id: str) -> Agent | None:
    """Internal: the agent, disabled or not, without a visibility check."""
    return await repository.get(uow.session, agent_id)


async def website_ids_of(uow: UnitOfWork, agent: Agent) -> frozenset[str] | None:
    if agent.role in ("owner", "admin"):
        return None
    return frozenset(await repository.website_ids_of(uow.session, agent.id))


async def join_website(uow: UnitOfWork, agent_id: str, website_id: str) -> bool:
    """Internal, for websites.add_member (which checks the website): make the agent work
    on the website; False if it already did."""
    if await repository.get(uow.session, agent_id) is None:
        raise NotFound("No such agent.")
    if await repository.get_membership(uow.session, agent_id, website_id) is not None:
        return False
    await repository.insert_memberships(uow.session, agent_id, [website_id])
    return True


async def leave_website(uow: UnitOfWork, agent_id: str, website_id: str) -> None:
    """Internal: the agent no longer works on the website (a no-op if it did not)."""
    await repository.delete_membership(uow.session, agent_id, website_id)


async def website_ids_seen_by(uow: UnitOfWork, viewer: AgentActor, agent: Agent) -> frozenset[str] | None:
    """An agent's websites as the viewer may know them: a role-agent viewer sees only the
    websites it shares with that agent (None stays None: 'every website', by role)."""
    ids = await website_ids_of(uow, agent)
    if ids is None or viewer.website_ids is None:
        return ids
    return ids & viewer.website_ids


async def actor_for(uow: UnitOfWork, agent: Agent) -> AgentActor:
    return AgentActor(
        agent_id=agent.id,
        name=agent.name,
        email=agent.email,
        role=agent.role,
        website_ids=await website_ids_of(uow, agent),
    )


async def authenticate(uow: UnitOfWork, email: str, password: str) -> Agent:
    agent = await repository.by_email(uow.session, email.strip().lower())
    if agent is None:
        await asyncio.to_thread(verify_password, _DUMMY_HASH, password)
        raise InvalidCredentials()
    # argon2 takes tens of milliseconds by design: off the event loop, so a login never
    # delays anyone's messages.
    if not await asyncio.to_thread(verify_password, agent.password_hash, password) or agent.disabled:
        raise InvalidCredentials()
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = await asyncio.to_thread(hash_password, password)
    return agent


async def start_session(uow: UnitOfWork, agent: Agent, ttl_seconds: int) -> tuple[str, str]:
    """Returns (cookie value, csrf token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    # Each login sweeps the agent's expired sessions, so the table does not only grow.
    await repository.delete_expired_sessions(uow.session, agent.id, utcnow())
    await repository.insert_session(
        uow.session,
        token_hash=_sha256(token),
        agent_id=agent.id,
        csrf_token=csrf,
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    return token, csrf


async def end_session(uow: UnitOfWork, actor: AgentActor, token: str) -> None:
    await repository.delete_session(uow.session, _sha256(token))
    _revoked(uow, actor.agent_id, _sha256(token))


async def from_session(uow: UnitOfWork, token: str) -> tuple[Agent, AgentSession]:
    row = await repository.get_session(uow.session, _sha256(token))
    if row is None or row.expires_at <= utcnow():
        raise Unauthorized("Your session has ended; sign in again.")
    agent = await repository.get(uow.session, row.agent_id)
    if agent is None or agent.disabled:
        raise Unauthorized()
    return agent, row


def csrf_ok(session: AgentSession, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(session.csrf_token.encode(), presented.encode())


async def from_api_token(uow: UnitOfWork, token: str) -> Agent:
    # The lookup is by SHA-256 of a 256-bit random token: nothing to learn from timing.
    row = await repository.token_by_hash(uow.session, _sha256(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("Invalid or revoked API token.")
    agent = await repository.get(uow.session, row.agent_id)
    if agent is None or agent.disabled:
        raise Unauthorized()
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return agent


async def create_token(uow: UnitOfWork, actor: AgentActor, name: str) -> tuple[ApiToken, str]:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = await repository.insert_token(
        uow.session, agent_id=actor.agent_id, name=name, token_hash=_sha256(secret)
    )
    return token, secret


async def list_tokens(uow: UnitOfWork, actor: AgentActor) -> list[ApiToken]:
    return await repository.tokens_of(uow.session, actor.agent_id)


async def revoke_token(uow: UnitOfWork, actor: AgentActor, token_id: str) -> ApiToken:
    token = await repository.get_token(uow.session, token_id)
    if token is None or token.agent_id != actor.agent_id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        _revoked(uow, actor.agent_id, token.token_hash)
    return token


async def get(uow: UnitOfWork, actor: AgentActor, agent_id: str) -> Agent:
    agent = await repository.get(uow.session, agent_id)
    if agent is None:
        raise NotFound("No such agent.")
    if not actor.is_manager and agent_id != actor.agent_id:
        # Agents see colleagues who share one of their websites, and only those.
        shared = await repository.shared_website(uow.session, agent_id, actor.website_ids or frozenset())
        if shared is None and agent.role == "agent":
            raise NotFound("No such agent.")
    return agent


async def list_visible(uow: UnitOfWork, actor: AgentActor) -> list[Agent]:
    if actor.is_manager:
        return await repository.list_all(uow.session)
    return await repository.list_visible_to(uow.session, actor.agent_id, actor.website_ids or frozenset())
