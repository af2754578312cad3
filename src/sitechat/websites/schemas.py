from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sitechat.websites.domains import normalize_domain

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


class Appearance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    color: Annotated[str, Field(pattern=HEX_COLOR)] = "#4F46E5"
    position: Annotated[str, Field(pattern=r"^(left|right)$")] = "right"
    welcome: Annotated[str, Field(max_length=500)] = "Hi! How can we help?"


class WebsiteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    domains: Annotated[list[str], Field(min_length=1, max_length=100)]
    appearance: Appearance | None = None

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        return sorted({normalize_domain(d) for d in v})


class WebsiteOut(BaseModel):
    id: str
    name: str
    domains: list[str]
    appearance: Appearance
    created_at: datetime
    snippet: str


class WebsiteMemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: Annotated[str, Field(min_length=1, max_length=40)]


def appearance_of(settings: dict[str, Any]) -> Appearance:
    try:
        return Appearance.model_validate(settings.get("appearance") or {})
    except ValueError:
        return Appearance()
