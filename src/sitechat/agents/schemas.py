from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from sitechat.agents.scopes import SCOPES, Scope

Role = Literal["owner", "admin", "agent"]
WebsiteId = Annotated[str, Field(min_length=1, max_length=40)]


def _email(v: str) -> str:
    v = v.strip().lower()
    local, _, domain = v.partition("@")
    if not local or "." not in domain or " " in v or len(v) > 320:
        raise ValueError("not an email address")
    return v


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class AgentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, Field(min_length=3, max_length=320)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role = "agent"
    password: Annotated[str, Field(min_length=10, max_length=1024)]
    website_ids: list[str] = Field(default_factory=list, max_length=1000)
    # Shown to visitors when the website shows agent photos; https only (see Appearance.logo_url).
    avatar_url: Annotated[str, Field(max_length=500, pattern=r"^https://[^\s\"'<>]+$")] | None = None

    _norm_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))


class AgentOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    avatar_url: str | None = None
    website_ids: list[str] | None = None
    created_at: datetime | None = None
    disabled: bool = False
    # Invited and has not set a password yet.
    invite_pending: bool = False


class AgentInviteIn(BaseModel):
    """An agent without a password: they set it through a one-time link."""

    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, Field(min_length=3, max_length=320)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role = "agent"
    website_ids: list[str] = Field(default_factory=list, max_length=1000)

    _norm_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))


class AgentInvited(AgentOut):
    # True when the link went out by email; otherwise invite_url is here, this once.
    emailed: bool
    invite_url: str | None = None
    invite_expires_at: datetime


class AcceptInviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, Field(min_length=16, max_length=200)]
    password: Annotated[str, Field(min_length=10, max_length=1024)]
    # Optional: the invited agent may correct the name they were invited under.
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class AgentUpdate(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    role: Role | None = None
    # Strict: "yes" or 1 must not disable anyone by coercion.
    disabled: StrictBool | None = None


class MeOut(BaseModel):
    agent: AgentOut
    csrf_token: str | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    # None: every scope the creator may grant (docs/security.md).
    scopes: Annotated[list[Scope], Field(max_length=len(SCOPES))] | None = None
    # None: every website of the creator, as that changes. Otherwise only these.
    website_ids: Annotated[list[WebsiteId], Field(min_length=1, max_length=200)] | None = None


class TokenOut(BaseModel):
    id: str
    name: str
    agent_id: str
    scopes: list[str]
    website_ids: list[str] | None
    # The key's last characters, to tell keys apart (the key itself is never shown again).
    hint: str | None = None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str  # shown once
