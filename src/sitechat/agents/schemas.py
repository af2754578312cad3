from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Role = Literal["owner", "admin", "agent"]


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


class MeOut(BaseModel):
    agent: AgentOut
    csrf_token: str | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]


class TokenOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str  # shown once
