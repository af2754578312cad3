from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What a reply may say about the conversation; the console fills them in on insertion.
VARIABLES = (
    "visitor.name",
    "visitor.first_name",
    "visitor.email",
    "agent.name",
    "agent.first_name",
    "website.name",
)
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_SHORTCUT = r"^[a-z0-9][a-z0-9_-]{0,39}$"


def unknown_variables(text: str) -> list[str]:
    return sorted({m for m in _VARIABLE.findall(text) if m not in VARIABLES})


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("shortcut", mode="before", check_fields=False)
    @classmethod
    def _shortcut(cls, v: object) -> object:
        # "/Refund" typed by habit is still the shortcut "refund".
        return v.strip().removeprefix("/").lower() if isinstance(v, str) else v

    @field_validator("title", check_fields=False)
    @classmethod
    def _title(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v.strip() if v is not None else None

    @field_validator("body", check_fields=False)
    @classmethod
    def _body(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.strip():
            raise ValueError("must not be blank")
        bad = unknown_variables(v)
        if bad:
            known = ", ".join("{{" + x + "}}" for x in VARIABLES)
            raise ValueError(f"unknown variable {', '.join('{{' + b + '}}' for b in bad)}; known: {known}")
        return v


class CannedCreate(_Fields):
    scope: Literal["personal", "shared"] = "personal"
    # Required for a shared reply; a personal one may be kept to one website too.
    website_id: Annotated[str, Field(max_length=40)] | None = None
    shortcut: Annotated[str, Field(pattern=_SHORTCUT)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=4000)]


class CannedUpdate(_Fields):
    shortcut: Annotated[str, Field(pattern=_SHORTCUT)] | None = None
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    body: Annotated[str, Field(min_length=1, max_length=4000)] | None = None


class CannedOut(BaseModel):
    id: str
    scope: Literal["personal", "shared"]
    website_id: str | None
    shortcut: str
    title: str
    body: str
    # Whether the caller may change it: their own, or a shared one if they manage websites.
    editable: bool
    created_at: datetime
    updated_at: datetime


class CannedList(BaseModel):
    items: list[CannedOut]
    variables: list[str] = Field(default_factory=lambda: list(VARIABLES))
