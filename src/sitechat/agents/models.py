from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, JSONType, UTCDateTime, new_id, utcnow

ROLES = ("owner", "admin", "agent")


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ag"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown to visitors beside the agent's messages when the website shows agent photos.
    avatar_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Routing (docs/routing.md): most open conversations given automatically (None: the
    # website's default), the status the agent chose, and when routing last gave one.
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="online", server_default="online")
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AgentWebsite(Base):
    """Which websites an agent of role ``agent`` works on (owners and admins see all)."""

    __tablename__ = "agent_websites"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    website_id: Mapped[str] = mapped_column(
        ForeignKey("websites.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AgentSession(Base):
    """A console login. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "agent_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """An API key; shown once, stored as SHA-256 (it has 256 bits of entropy: a fast hash
    is enough, and unlike a keyed one it survives a change of SITECHAT_SECRET_KEY)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tok"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the key may do (agents/scopes.py) and, when set, the only websites it reaches.
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    website_ids: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    # The key's last four characters, so people can tell their keys apart.
    hint: Mapped[str | None] = mapped_column(String(8), nullable=True)


class AgentInvite(Base):
    """A one-time link to set the password of an invited agent. Only the SHA-256 of the
    token is stored; accepting deletes the row, so a link works once."""

    __tablename__ = "agent_invites"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
