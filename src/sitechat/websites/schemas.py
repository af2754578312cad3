from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sitechat.websites.domains import normalize_domain
from sitechat.websites.settings import Appearance, WebsiteSettings


class WebsiteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    domains: Annotated[list[str], Field(min_length=1, max_length=100)]
    # Shorthand for settings.appearance.
    appearance: Appearance | None = None
    # Any settings sections (see SettingsUpdate); validated like an update.
    settings: dict[str, Any] | None = None

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        return sorted({normalize_domain(d) for d in v})


class WebsiteUpdate(BaseModel):
    """Fields left out stay as they are; ``domains`` replaces the whole allowlist."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    domains: Annotated[list[str], Field(min_length=1, max_length=100)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v.strip() if v is not None else None

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str] | None) -> list[str] | None:
        return sorted({normalize_domain(d) for d in v}) if v is not None else None

    @model_validator(mode="after")
    def _something(self) -> WebsiteUpdate:
        if self.name is None and self.domains is None:
            raise ValueError("give name and/or domains")
        return self


class WebsiteOut(BaseModel):
    id: str
    name: str
    domains: list[str]
    appearance: Appearance
    settings: WebsiteSettings
    created_at: datetime
    snippet: str


class WebsiteMemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: Annotated[str, Field(min_length=1, max_length=40)]


class IdentitySecretOut(BaseModel):
    """The website's identity secret, to compute ``user_hash`` on the website's own server;
    null when it has none."""

    secret: str | None


class IdentitySecretCreated(BaseModel):
    secret: str
    # False when an existing secret was replaced (the old one no longer verifies).
    created: bool
