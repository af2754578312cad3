"""Agents, passwords, console sessions and API tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError

from sitechat.actors import AgentActor
from sitechat.agents import repository
from sitechat.agents import scopes as scopes_
from sitechat.agents.models import Agent, AgentSession, ApiToken
from sitechat.agents.schemas import AgentCreate, AgentInviteIn, AgentUpdate
from sitechat.audit import service as audit
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import (
    Conflict,
    Forbidden,
    InsufficientScope,
    InvalidCredentials,
    InviteExpired,
    InviteInvalid,
    LastOwner,
    NotFound,
    Unauthorized,
    WebsiteNotFound,
)
from sitechat.integrations.mailer import Mail
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


async def _check_new_agent(
    uow: UnitOfWork, by: AgentActor | None, *, email: str, role: str, website_ids: list[str]
) -> None:
    if by is not None:
        if not by.is_manager:
            raise Forbidden("Only owners and admins add agents.")
        if role in ("owner", "admin") and by.role != "owner":
            raise Forbidden("Only an owner may add owners and admins.")
    for website_id in website_ids:
        if by is not None and not by.can_see(website_id):
            raise WebsiteNotFound()
        await websites.get(uow, website_id)
    if await repository.id_by_email(uow.session, email) is not None:
        raise Conflict("An agent with that email exists.")


async def create(uow: UnitOfWork, data: AgentCreate, *, by: AgentActor | None = None) -> Agent:
    await _check_new_agent(uow, by, email=data.email, role=data.role, website_ids=data.website_ids)
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
    await audit.record(
        uow,
        by,
        "agent.create",
        target_type="agent",
        target_id=agent.id,
        changes={"email": agent.email, "role": agent.role, "website_ids": sorted(set(data.website_ids))},
    )
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


async def leave_website(uow: UnitOfWork, agent_id: str, website_id: str) -> bool:
    """Internal: the agent no longer works on the website; False if it did not."""
    return await repository.delete_membership(uow.session, agent_id, website_id)


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


async def from_api_token(uow: UnitOfWork, token: str) -> tuple[Agent, ApiToken]:
    """The agent and key behind a presented API key; Unauthorized when revoked or unknown.

    Looked up by SHA-256 of a 256-bit random key, so lookup timing tells nothing about any
    stored key; the digest is compared once more in constant time in case a database
    compares loosely (a collation, trailing spaces)."""
    digest = _sha256(token)
    row = await repository.token_by_hash(uow.session, digest)
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        raise Unauthorized("Invalid or revoked API key.")
    agent = await repository.get(uow.session, row.agent_id)
    if agent is None or agent.disabled:
        raise Unauthorized()
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return agent, row


def narrowed(actor: AgentActor, key: ApiToken) -> AgentActor:
    """The agent as seen through a key: its scopes (never beyond what the agent's role may
    use today) and its websites (never beyond the agent's own)."""
    key_sites = frozenset(key.website_ids) if key.website_ids is not None else None
    sites = actor.website_ids
    if key_sites is not None:
        sites = key_sites if sites is None else sites & key_sites
    return replace(
        actor,
        website_ids=sites,
        api_key_id=key.id,
        scopes=frozenset(key.scopes) & scopes_.grantable(actor.role, tied_to_websites=key_sites is not None),
        key_website_ids=key_sites,
    )


async def key_actor(uow: UnitOfWork, agent: Agent, key: ApiToken) -> AgentActor:
    return narrowed(await actor_for(uow, agent), key)


def _installation_wide(actor: AgentActor) -> bool:
    """Owners and admins manage everyone's keys, unless they act through a key tied to
    some websites."""
    return actor.is_manager and actor.key_website_ids is None


async def create_token(
    uow: UnitOfWork,
    actor: AgentActor,
    name: str,
    scopes: list[str] | None = None,
    website_ids: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """A new key for the actor; its secret is returned here and never again. Without
    ``scopes`` it gets every scope the actor may grant; without ``website_ids`` it reaches
    the actor's websites (as they change)."""
    if website_ids is None and actor.key_website_ids is not None:
        website_ids = sorted(actor.key_website_ids)
    grantable = scopes_.grantable(actor.role, tied_to_websites=website_ids is not None)
    if actor.scopes is not None:
        grantable &= actor.scopes  # a key makes keys no stronger than itself
    wanted = sorted(set(scopes)) if scopes is not None else sorted(grantable)
    beyond = [s for s in wanted if s not in grantable]
    if beyond:
        raise InsufficientScope(f"This key cannot have {', '.join(beyond)}.")
    sites: list[str] | None = None
    if website_ids is not None:
        sites = sorted(set(website_ids))
        for wid in sites:
            if not actor.can_see(wid) or not await websites.exists(uow, wid):
                raise WebsiteNotFound(fields=[{"field": "website_ids", "message": f"no such website {wid}"}])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = await repository.insert_token(
        uow.session,
        agent_id=actor.agent_id,
        name=name,
        token_hash=_sha256(secret),
        scopes=wanted,
        website_ids=sites,
        hint=secret[-4:],
    )
    await audit.record(
        uow,
        actor,
        "api_key.create",
        target_type="api_key",
        target_id=token.id,
        changes={"name": name, "scopes": wanted, "website_ids": sites},
    )
    return token, secret


async def list_tokens(uow: UnitOfWork, actor: AgentActor, *, everyone: bool = False) -> list[ApiToken]:
    """The actor's keys; with ``everyone``, every key of the installation (owners and admins)."""
    if everyone:
        if not _installation_wide(actor):
            raise Forbidden("Only owners and admins list everyone's keys, and not with a website's key.")
        return await repository.all_tokens(uow.session)
    return await repository.tokens_of(uow.session, actor.agent_id)


async def revoke_token(uow: UnitOfWork, actor: AgentActor, token_id: str) -> ApiToken:
    """Agents revoke their own keys, owners and admins anyone's. Effective at once on
    every node: each request reads the key's row, and open sockets are closed."""
    token = await repository.get_token(uow.session, token_id)
    if token is None or (token.agent_id != actor.agent_id and not _installation_wide(actor)):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        _revoked(uow, token.agent_id, token.token_hash)
        await audit.record(
            uow,
            actor,
            "api_key.revoke",
            target_type="api_key",
            target_id=token.id,
            changes={"name": token.name, "agent_id": token.agent_id},
        )
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


# --- administration: invitations, roles, disabling (docs/admin.md) ------------------------

# Stored instead of a password hash until an invitation is accepted: no argon2 hash looks
# like this, so no password ever verifies against it.
INVITED = "!invited"


async def invite(
    uow: UnitOfWork, actor: AgentActor, data: AgentInviteIn, ttl_seconds: int
) -> tuple[Agent, str, datetime]:
    """A new agent without a password, and the one-time token (shown or mailed once) with
    which they choose it; returns (agent, token, expiry)."""
    await _check_new_agent(uow, actor, email=data.email, role=data.role, website_ids=data.website_ids)
    try:
        agent = await repository.insert(
            uow.session,
            email=data.email,
            name=data.name,
            role=data.role,
            password_hash=INVITED,
            avatar_url=None,
        )
    except IntegrityError:
        raise Conflict("An agent with that email exists.") from None
    sites = sorted(set(data.website_ids))
    await repository.insert_memberships(uow.session, agent.id, sites)
    token, expires_at = await _new_invite(uow, agent.id, ttl_seconds)
    await audit.record(
        uow,
        actor,
        "agent.invite",
        target_type="agent",
        target_id=agent.id,
        changes={"email": agent.email, "role": agent.role, "website_ids": sites},
    )
    return agent, token, expires_at


async def _new_invite(uow: UnitOfWork, agent_id: str, ttl_seconds: int) -> tuple[str, datetime]:
    # One live link per agent: a new invitation replaces any earlier one.
    await repository.delete_invites_of(uow.session, agent_id)
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=ttl_seconds)
    await repository.insert_invite(
        uow.session, token_hash=_sha256(token), agent_id=agent_id, expires_at=expires_at
    )
    return token, expires_at


async def accept_invite(uow: UnitOfWork, token: str, password: str, name: str | None) -> Agent:
    """Set the invited agent's password; the link works once. Looked up by the SHA-256 of
    a 256-bit random token (nothing to learn from timing), compared once more in constant
    time."""
    digest = _sha256(token)
    row = await repository.invite_by_hash(uow.session, digest)
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise InviteInvalid()
    if row.expires_at <= utcnow():
        raise InviteExpired()
    agent = await repository.lock(uow.session, row.agent_id)
    if agent is None or agent.disabled:
        raise InviteInvalid()
    agent.password_hash = await asyncio.to_thread(hash_password, password)
    if name is not None and name.strip():
        agent.name = name.strip()
    await repository.delete_invites_of(uow.session, agent.id)
    await audit.record(
        uow,
        await actor_for(uow, agent),
        "agent.invite.accept",
        target_type="agent",
        target_id=agent.id,
        changes={"password": "set"},
    )
    return agent


def invite_pending(agent: Agent) -> bool:
    """Invited and has not set a password yet."""
    return agent.password_hash == INVITED


def _may_manage(actor: AgentActor, target: Agent, new_role: str | None) -> None:
    if not actor.is_manager:
        raise Forbidden("Only owners and admins change agents.")
    if actor.role != "owner":
        # Admins look after agents; owners and admins are the owners' business.
        if target.role in ("owner", "admin") and target.id != actor.agent_id:
            raise Forbidden("Only an owner may change owners and admins.")
        if new_role in ("owner", "admin") and new_role != target.role:
            raise Forbidden("Only an owner may make owners and admins.")


async def update(uow: UnitOfWork, actor: AgentActor, agent_id: str, data: AgentUpdate) -> Agent:
    """Rename, change the role, disable or enable. Disabling ends the agent's sessions and
    sockets at once; a role change reconnects their sockets with the new reach. Nobody
    demotes or disables the last active owner."""
    agent = await repository.lock(uow.session, agent_id)
    if agent is None:
        raise NotFound("No such agent.")
    _may_manage(actor, agent, data.role)
    demoting = data.role is not None and data.role != "owner" and agent.role == "owner"
    disabling = data.disabled is True and not agent.disabled and agent.role == "owner"
    if demoting or disabling:
        owners = await repository.lock_active_owners(uow.session)
        if [o for o in owners if o != agent.id] == []:
            raise LastOwner()
    changes: dict[str, object] = {}
    if data.name is not None and data.name.strip() and data.name.strip() != agent.name:
        changes["name"] = {"from": agent.name, "to": data.name.strip()}
        agent.name = data.name.strip()
    if data.role is not None and data.role != agent.role:
        changes["role"] = {"from": agent.role, "to": data.role}
        agent.role = data.role
    reconnect: str | None = "role changed" if "role" in changes else None
    if data.disabled is not None and data.disabled != agent.disabled:
        agent.disabled = data.disabled
        await audit.record(
            uow,
            actor,
            "agent.disable" if data.disabled else "agent.enable",
            target_type="agent",
            target_id=agent.id,
        )
        if data.disabled:
            for token_hash in await repository.delete_sessions_of(uow.session, agent.id):
                _revoked(uow, agent.id, token_hash)
            reconnect = "account disabled"
    if changes:
        await audit.record(
            uow, actor, "agent.update", target_type="agent", target_id=agent.id, changes=changes
        )
    await uow.session.flush()
    if reconnect is not None:
        # Open sockets carry the agent's reach from their hello: end them (a disabled agent
        # cannot come back; anyone else reconnects with the new role).
        uow.emit(topics.agent(agent.id), {"type": "_disabled", "reason": reconnect})
    return agent


async def reinvite(
    uow: UnitOfWork, actor: AgentActor, agent_id: str, ttl_seconds: int
) -> tuple[Agent, str, datetime]:
    """A fresh link for an agent who has not accepted yet; the earlier link stops working."""
    agent = await repository.lock(uow.session, agent_id)
    if agent is None:
        raise NotFound("No such agent.")
    _may_manage(actor, agent, None)
    if agent.password_hash != INVITED or agent.disabled:
        raise Conflict("This agent has already set a password (or is disabled).")
    token, expires_at = await _new_invite(uow, agent.id, ttl_seconds)
    await audit.record(
        uow, actor, "agent.invite", target_type="agent", target_id=agent.id, changes={"resent": True}
    )
    return agent, token, expires_at


def invite_url(public_url: str, token: str) -> str:
    # In the fragment: browsers never send it, so it stays out of every access log.
    return f"{public_url}/console/#/accept-invite?token={token}"


def invite_mail(agent: Agent, inviter: AgentActor, url: str, expires_at: datetime) -> Mail:
    return Mail(
        to=agent.email,
        subject=f"{inviter.name} invited you to answer chats",
        text=(
            f"Hello {agent.name},\n\n"
            f"{inviter.name} invited you to sitechat as {agent.role}. Choose your password here:\n\n"
            f"{url}\n\n"
            f"The link works once, until {expires_at:%Y-%m-%d %H:%M} UTC.\n"
        ),
    )
