from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sitechat.websites.settings import Skill

AgentId = Annotated[str, Field(min_length=1, max_length=40)]
Status = Literal["online", "away", "offline"]


def _skills(v: list[str] | None) -> list[str] | None:
    if v is None:
        return None
    if len(set(v)) != len(v):
        raise ValueError("skills must be unique")
    return v


def _name(v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip()
    if not v:
        raise ValueError("a team needs a name")
    return v


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    skills: Annotated[list[Skill], Field(max_length=50)] = []
    agent_ids: Annotated[list[AgentId], Field(max_length=500)] = []

    _check_name = field_validator("name")(classmethod(lambda cls, v: _name(v)))
    _check_skills = field_validator("skills")(classmethod(lambda cls, v: _skills(v)))


class TeamPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    skills: Annotated[list[Skill], Field(max_length=50)] | None = None

    _check_name = field_validator("name")(classmethod(lambda cls, v: _name(v)))
    _check_skills = field_validator("skills")(classmethod(lambda cls, v: _skills(v)))


class TeamMembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_ids: Annotated[list[AgentId], Field(max_length=500)]


class TeamOut(BaseModel):
    id: str
    name: str
    skills: list[str]
    # Agents only see the members they may see (colleagues on their websites, managers).
    agent_ids: list[str]
    created_at: datetime
    updated_at: datetime


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # away: no new conversations, keeps the open ones; offline: as if the console closed
    # (open conversations are reassigned).
    status: Status


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # null: the website's default (routing.capacity).
    capacity: Annotated[int, Field(ge=1, le=100, strict=True)] | None


class AgentRoutingOut(BaseModel):
    agent_id: str
    status: Status
    # A console of the agent is connected (on any node).
    connected: bool
    # connected and online: routing may give them conversations (up to capacity).
    available: bool
    # The agent's own capacity; null means each website's default.
    capacity: int | None
    # Open (or pending) conversations assigned to the agent now.
    open_conversations: int
